//! How every Capstan component reaches the API server: a kube-rs client built from a kubeconfig,
//! exactly as an out-of-process controller, scheduler or agent on another host would — but over
//! one HTTP/2 connection. kube-rs' own client speaks HTTP/1.1, where every open watch holds a TLS
//! connection of its own (the controllers alone held ~60, each costing memory on both ends) and
//! concurrent requests open more; HTTP/2 multiplexes them all, as client-go does.

use std::path::Path;
use std::time::Duration;

use anyhow::Context;
use kube::Client;
use kube::config::{KubeConfigOptions, Kubeconfig};

/// A client for the kubeconfig's current context.
pub async fn connect(kubeconfig: &Path) -> anyhow::Result<Client> {
    // Another part of the process may have installed it already; either way ring is in place.
    let _ = rustls::crypto::ring::default_provider().install_default();
    let file = Kubeconfig::read_from(kubeconfig)
        .with_context(|| format!("cannot read kubeconfig {}", kubeconfig.display()))?;
    let config = kube::Config::from_custom_kubeconfig(file, &KubeConfigOptions::default())
        .await
        .with_context(|| format!("kubeconfig {} is not usable", kubeconfig.display()))?;
    from_config(config)
}

/// A client over one HTTP/2 connection (TLS with ALPN h2) for `config`: its identity, bearer token
/// and CA as kube-rs reads them.
pub fn from_config(config: kube::Config) -> anyhow::Result<Client> {
    use kube::client::ConfigExt;
    let _ = rustls::crypto::ring::default_provider().install_default();
    if config.cluster_url.scheme_str() != Some("https")
        || config.proxy_url.is_some()
        || config.tls_server_name.is_some()
    {
        // Plain HTTP, a proxy or a TLS server name override (never needed for Capstan's own
        // server): kube-rs' default client handles those.
        return Ok(Client::try_from(config)?);
    }
    // hyper-rustls offers ALPN h2 itself (enable_http2 below).
    let tls = config.rustls_client_config()?;
    let mut http = hyper_util::client::legacy::connect::HttpConnector::new();
    http.enforce_http(false);
    http.set_nodelay(true);
    let https = hyper_rustls::HttpsConnectorBuilder::new()
        .with_tls_config(tls)
        .https_only()
        .enable_http2()
        .wrap_connector(http);
    let transport =
        hyper_util::client::legacy::Client::builder(hyper_util::rt::TokioExecutor::new())
            .http2_only(true)
            // A dead peer is noticed by pings rather than by a read timeout, which a quiet watch would
            // trip on a multiplexed connection.
            .http2_keep_alive_interval(Duration::from_secs(30))
            .http2_keep_alive_timeout(Duration::from_secs(10))
            .http2_keep_alive_while_idle(true)
            .timer(hyper_util::rt::TokioTimer::new())
            .build(https);
    let service = tower::ServiceBuilder::new()
        .layer(config.base_uri_layer())
        .option_layer(config.auth_layer()?)
        .layer(config.extra_headers_layer()?)
        .map_err(|e: hyper_util::client::legacy::Error| Box::new(e) as tower::BoxError)
        .service(transport);
    Ok(Client::new(service, config.default_namespace))
}

/// A client for the kubeconfig, waiting for the file to appear and be usable (the API server in
/// the same process writes it while starting up).
pub async fn connect_when_ready(kubeconfig: &Path) -> Client {
    let mut delay = Duration::from_millis(100);
    loop {
        match connect(kubeconfig).await {
            Ok(client) => return client,
            Err(e) => {
                tracing::warn!(kubeconfig = %kubeconfig.display(), error = %format!("{e:#}"), "cannot build API client; retrying");
                tokio::time::sleep(delay).await;
                delay = (delay * 2).min(Duration::from_secs(5));
            }
        }
    }
}
