//! The Kubernetes API server: HTTPS with client-certificate authentication, REST handlers driven by
//! the resource registry, a watch cache in front of the store, discovery and OpenAPI.
//!
//! It is the only component that talks to the store; everything else uses the API.

mod admission;
pub mod allocator;
mod bootstrap;
mod convert;
mod crd;
mod discovery;
mod errors;
mod field_manager;
mod field_validation;
mod handler;
mod http_util;
mod metered_store;
mod metrics;
pub mod nodes;
mod object;
mod openapi;
mod openapi_http;
pub mod pki;
mod protobuf;
mod render;
mod request;
mod rest;
mod server;
mod state;
mod watch_cache;

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::path::PathBuf;
use std::sync::Arc;

use anyhow::{Context, Result};
use capstan_store::{DynStore, StoreConfig};
use tokio::net::TcpListener;

pub use state::ApiServer;

pub fn arch() -> &'static str {
    match std::env::consts::ARCH {
        "x86_64" => "amd64",
        "aarch64" => "arm64",
        other => other,
    }
}

#[derive(Clone, Debug)]
pub struct Config {
    pub data_dir: PathBuf,
    pub bind_address: IpAddr,
    pub https_port: u16,
    /// Extra names and addresses for the serving certificate.
    pub tls_sans: Vec<String>,
    pub service_cidr: String,
    /// The address other hosts (and the `kubernetes` Service) reach this server at.
    pub advertise_address: Option<IpAddr>,
    pub store: StoreConfig,
    pub compaction_interval: std::time::Duration,
}

impl Config {
    pub fn new(data_dir: PathBuf) -> Config {
        Config {
            store: StoreConfig::Embedded {
                path: data_dir.join("db").join("state.db"),
            },
            data_dir,
            bind_address: IpAddr::V4(Ipv4Addr::UNSPECIFIED),
            https_port: 6443,
            tls_sans: Vec::new(),
            service_cidr: "10.43.0.0/16".into(),
            advertise_address: None,
            compaction_interval: capstan_store::compactor::DEFAULT_INTERVAL,
        }
    }

    pub fn kubeconfig_path(&self) -> PathBuf {
        self.data_dir.join("admin.kubeconfig")
    }
}

/// A running API server.
pub struct Running {
    pub addr: SocketAddr,
    pub kubeconfig: PathBuf,
    pub server: Arc<ApiServer>,
    /// What agents join with (also in `DATA_DIR/node-token`).
    pub node_token: String,
    _compactor: capstan_store::CompactorHandle,
    task: tokio::task::JoinHandle<()>,
}

impl Running {
    /// Serves until the process ends.
    pub async fn wait(self) {
        let _ = self.task.await;
    }
}

/// The host's own addresses, for the serving certificate (loopback excluded: it is added anyway).
fn host_addresses() -> Vec<IpAddr> {
    if_addrs::get_if_addrs()
        .map(|ifs| {
            ifs.into_iter()
                .map(|i| i.ip())
                .filter(|ip| !ip.is_loopback())
                .collect()
        })
        .unwrap_or_default()
}

fn hostname() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .map(|h| h.trim().to_owned())
        .unwrap_or_else(|_| "localhost".into())
}

/// Opens the store, prepares certificates and bootstrap objects, and starts serving.
pub async fn start(config: Config) -> Result<Running> {
    std::fs::create_dir_all(&config.data_dir)
        .with_context(|| format!("cannot create data dir {}", config.data_dir.display()))?;
    let service_cidr = allocator::Ipv4Cidr::parse(&config.service_cidr)
        .map_err(|e| anyhow::anyhow!("--service-cidr: {e}"))?;
    let metrics = Arc::new(metrics::Metrics::default());
    let store: DynStore = capstan_store::open(&config.store)
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    let store = metered_store::MeteredStore::wrap(store, metrics.clone());

    // Certificates.
    let pki = pki::Pki::load_or_create(&config.data_dir.join("tls"))?;
    let addresses = host_addresses();
    let advertise = config
        .advertise_address
        .or_else(|| addresses.iter().copied().find(IpAddr::is_ipv4))
        .unwrap_or(IpAddr::V4(Ipv4Addr::LOCALHOST));
    let allocators = allocator::ServiceAllocators::new(store.clone(), service_cidr);
    let mut dns = vec![
        "localhost".to_owned(),
        hostname(),
        "kubernetes".into(),
        "kubernetes.default".into(),
        "kubernetes.default.svc".into(),
        "kubernetes.default.svc.cluster.local".into(),
    ];
    let mut ips = vec![
        IpAddr::V4(Ipv4Addr::LOCALHOST),
        IpAddr::V4(allocators.api_service_ip()),
    ];
    ips.extend(addresses.iter().copied());
    for san in &config.tls_sans {
        match san.parse::<IpAddr>() {
            Ok(ip) => ips.push(ip),
            Err(_) => dns.push(san.clone()),
        }
    }
    dns.sort();
    dns.dedup();
    ips.sort();
    ips.dedup();
    let serving = pki.serving_cert(&dns, &ips)?;
    let admin = pki.client_cert("admin", "system:admin", &["system:masters"])?;
    let node_access = nodes::NodeAccess::load_or_create(&config.data_dir, &pki.ca_pem)?;
    let node_token = node_access.token.clone();
    let tls = pki::server_tls_config(&pki, &serving)?;

    let listener = TcpListener::bind(SocketAddr::new(config.bind_address, config.https_port))
        .await
        .with_context(|| {
            format!(
                "cannot listen on {}:{} (is another API server running? choose another port with --https-port)",
                config.bind_address, config.https_port
            )
        })?;
    let addr = listener.local_addr()?;
    let kubeconfig = config.kubeconfig_path();
    let server_url = format!("https://127.0.0.1:{}", addr.port());
    pki::write_secret_file(
        &kubeconfig,
        &pki::kubeconfig(&server_url, &pki.ca_pem, &admin, "admin"),
    )?;

    bootstrap::run(&store, &allocators, advertise, addr.port()).await?;

    let registry = capstan_api::Registry::new(capstan_api::builtin::resources());
    let version = state::VersionInfo {
        server_address: format!("{advertise}:{}", addr.port()),
        git_version: format!("v1.33.0+capstan.{}", env!("CARGO_PKG_VERSION")),
        git_commit: option_env!("CAPSTAN_GIT_COMMIT")
            .unwrap_or("unknown")
            .to_owned(),
        build_date: option_env!("CAPSTAN_BUILD_DATE")
            .unwrap_or("1970-01-01T00:00:00Z")
            .to_owned(),
    };
    let server = Arc::new(ApiServer::new(
        store.clone(),
        registry,
        allocators,
        version,
        metrics,
        node_access,
    ));
    // OpenAPI documents take a moment to build; do it off the request path.
    let docs_server = server.clone();
    tokio::task::spawn_blocking(move || {
        docs_server.openapi.ensure_built();
    });
    let compactor = capstan_store::spawn_compactor(store, config.compaction_interval);
    tokio::spawn(crd::run(server.clone()));
    let task = tokio::spawn(server::serve(listener, tls, server.clone()));
    Ok(Running {
        addr,
        kubeconfig,
        server,
        node_token,
        _compactor: compactor,
        task,
    })
}
