//! How every Capstan component reaches the API server: a kube-rs client built from a kubeconfig,
//! exactly as an out-of-process controller, scheduler or agent on another host would.

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
    Ok(Client::try_from(config)?)
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
