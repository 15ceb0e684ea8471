//! The node agent (the kubelet): joins a node to the cluster and runs the pods bound to it on
//! containerd through CRI v1.
//!
//! Layout under `DATA_DIR/agent/`: `containerd/` (the supervised containerd's config, root, state,
//! socket, log and registry `certs.d`), `images/` (archives imported at every start), `pause.tar`,
//! `cni/` (conflist and IPAM state), `pods/UID/` (volumes, termination messages), `logs/pods/`.
//!
//! Pure logic (status, restart and back-off decisions, QoS and resources, PLEG diffing, probe
//! thresholds, configs) lives in modules without IO; CRI, containerd, the API and HTTP are at the
//! edges (`cri`, `containerd`, `worker`, `pods`, `node`, `server`).

pub mod backoff;
pub mod cni;
pub mod containerd;
pub mod cri;
pub mod ctx;
pub mod image;
pub mod join;
pub mod logs;
pub mod masquerade;
pub mod metrics;
pub mod node;
pub mod pleg;
pub mod podconfig;
pub mod pods;
pub mod probe;
pub mod resources;
pub mod routes;
pub mod runtime;
pub mod server;
pub mod status;
pub mod volumes;
pub mod worker;

use std::collections::BTreeMap;
use std::net::IpAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use anyhow::{Context, bail};
use futures::FutureExt;

pub use image::archive::PAUSE_IMAGE;

/// Milliseconds since the epoch.
pub fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}

/// How the agent reaches the API server.
#[derive(Debug, Clone)]
pub enum ApiAccess {
    /// A kubeconfig file (what `capstan server` passes for its own agent).
    Kubeconfig(PathBuf),
    /// `--server URL --token TOKEN`: the CA is fetched and checked against the token.
    Token { server: String, token: String },
}

/// The pod network `capstan server --cluster-cidr` hands node ranges from by default.
pub const DEFAULT_CLUSTER_CIDR: &str = "10.42.0.0/16";

#[derive(Debug, Clone)]
pub struct AgentConfig {
    /// The data directory; the agent's files go under `DATA_DIR/agent`.
    pub data_dir: PathBuf,
    pub api: ApiAccess,
    /// The node's name (default: the host name, lowercased).
    pub node_name: Option<String>,
    /// The address other hosts reach this node at (default: the first non-loopback IPv4).
    pub node_ip: Option<IpAddr>,
    /// HTTPS port of the agent's endpoint (the kubelet's 10250).
    pub kubelet_port: u16,
    /// Label the node `node-role.kubernetes.io/control-plane` (the server's own node).
    pub control_plane: bool,
    /// Extra node labels.
    pub node_labels: BTreeMap<String, String>,
    /// Use this CRI socket instead of starting containerd.
    pub container_runtime_endpoint: Option<PathBuf>,
    /// Where the CNI conflist is written (default `DATA_DIR/agent/cni/net.d`, which the agent's
    /// own containerd reads).
    pub cni_conf_dir: Option<PathBuf>,
    pub cni_bin_dir: PathBuf,
    /// Registry mirrors and credentials (k3s's registries.yaml format).
    pub registries_file: Option<PathBuf>,
    pub system_reserved: BTreeMap<String, String>,
    pub kube_reserved: BTreeMap<String, String>,
    pub max_pods: u32,
    pub cluster_dns: Vec<String>,
    pub cluster_domain: String,
    /// The cluster's pod network: pod traffic leaving it is masqueraded.
    pub cluster_cidr: capstan_apimachinery::cidr::Ipv4Cidr,
}

impl AgentConfig {
    pub fn new(data_dir: PathBuf, api: ApiAccess) -> AgentConfig {
        AgentConfig {
            data_dir,
            api,
            node_name: None,
            node_ip: None,
            kubelet_port: 10250,
            control_plane: false,
            node_labels: BTreeMap::new(),
            container_runtime_endpoint: None,
            cni_conf_dir: None,
            cni_bin_dir: PathBuf::from("/usr/lib/cni"),
            registries_file: None,
            system_reserved: BTreeMap::new(),
            kube_reserved: BTreeMap::new(),
            max_pods: 110,
            cluster_dns: Vec::new(),
            cluster_domain: "cluster.local".into(),
            cluster_cidr: capstan_apimachinery::cidr::Ipv4Cidr::parse(DEFAULT_CLUSTER_CIDR)
                .expect("the default cluster CIDR parses"),
        }
    }
}

/// The host's name, lowercased (node names must be DNS subdomains).
pub fn hostname() -> String {
    let mut buf = [0u8; 256];
    let ok = unsafe { libc::gethostname(buf.as_mut_ptr().cast(), buf.len()) } == 0;
    let name = if ok {
        let end = buf.iter().position(|b| *b == 0).unwrap_or(buf.len());
        String::from_utf8_lossy(&buf[..end]).into_owned()
    } else {
        "localhost".into()
    };
    name.to_ascii_lowercase()
}

/// The first non-loopback IPv4 address of an interface that is up (skipping the pod bridge).
pub fn default_ip() -> Option<IpAddr> {
    let mut addrs: *mut libc::ifaddrs = std::ptr::null_mut();
    if unsafe { libc::getifaddrs(&mut addrs) } != 0 {
        return None;
    }
    let mut found = None;
    let mut cur = addrs;
    while !cur.is_null() {
        let ifa = unsafe { &*cur };
        cur = ifa.ifa_next;
        if ifa.ifa_addr.is_null() || ifa.ifa_flags & libc::IFF_UP as u32 == 0 {
            continue;
        }
        let name = unsafe { std::ffi::CStr::from_ptr(ifa.ifa_name) }.to_string_lossy();
        if name == cni::BRIDGE || name.starts_with("veth") {
            continue;
        }
        if unsafe { (*ifa.ifa_addr).sa_family } as i32 == libc::AF_INET {
            let sin = unsafe { &*(ifa.ifa_addr as *const libc::sockaddr_in) };
            let ip = std::net::Ipv4Addr::from(u32::from_be(sin.sin_addr.s_addr));
            if !ip.is_loopback() {
                found = Some(IpAddr::V4(ip));
                break;
            }
        }
    }
    unsafe { libc::freeifaddrs(addrs) };
    found
}

async fn client(api: &ApiAccess) -> anyhow::Result<kube::Client> {
    match api {
        ApiAccess::Kubeconfig(path) => Ok(capstan_client::connect_when_ready(path).await),
        ApiAccess::Token { server, token } => {
            let mut delay = Duration::from_millis(200);
            let config = loop {
                match join::config(server, token).await {
                    Ok(c) => break c,
                    // A hash mismatch is final; an unreachable server may still come up.
                    Err(e) if e.to_string().contains("does not match") => return Err(e),
                    Err(e) => {
                        tracing::warn!(error = %format!("{e:#}"), "cannot reach the server yet; retrying");
                        tokio::time::sleep(delay).await;
                        delay = (delay * 2).min(Duration::from_secs(5));
                    }
                }
            };
            capstan_client::from_config(config)
        }
    }
}

/// Imports one archive into the runtime at `socket`.
pub async fn import_archive(socket: &Path, archive: &Path) -> anyhow::Result<Vec<String>> {
    image::import::import(&image::import::ctr_binary(), socket, archive).await
}

/// The containerd socket of an agent whose data dir is `data_dir` (what `capstan images` uses).
pub fn default_runtime_socket(data_dir: &Path) -> PathBuf {
    containerd::Layout::new(&data_dir.join("agent")).socket
}

async fn wait_runtime(cri: &cri::Cri) -> anyhow::Result<cri::pb::VersionResponse> {
    let mut last = String::new();
    for _ in 0..150 {
        match cri.version().await {
            Ok(v) => return Ok(v),
            Err(e) => last = e.to_string(),
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    bail!("the container runtime does not answer CRI: {last}")
}

async fn ensure_pause(cri: &cri::Cri, socket: &Path, agent_dir: &Path) -> anyhow::Result<()> {
    if cri.image_status(PAUSE_IMAGE).await.ok().flatten().is_some() {
        return Ok(());
    }
    let path = agent_dir.join("pause.tar");
    image::archive::build_pause_image(&path).with_context(|| {
        format!(
            "cannot build the pause image (needs {})",
            image::archive::BUSYBOX
        )
    })?;
    import_archive(socket, &path).await?;
    tracing::info!(image = PAUSE_IMAGE, "pause image imported");
    Ok(())
}

/// Runs the agent until SIGINT/SIGTERM; then stops its containerd (containers keep running).
pub async fn run(config: AgentConfig) -> anyhow::Result<()> {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let agent_dir = config.data_dir.join("agent");
    for d in ["images", "pods", "logs/pods", "cni"] {
        std::fs::create_dir_all(agent_dir.join(d))
            .with_context(|| format!("cannot create {}", agent_dir.join(d).display()))?;
    }
    let node_name = config.node_name.clone().unwrap_or_else(hostname);
    let host = hostname();
    let node_ip = config
        .node_ip
        .or_else(default_ip)
        .unwrap_or(IpAddr::V4(std::net::Ipv4Addr::LOCALHOST))
        .to_string();
    let cni_conf_dir = config
        .cni_conf_dir
        .clone()
        .unwrap_or_else(|| agent_dir.join("cni").join("net.d"));
    std::fs::create_dir_all(&cni_conf_dir)?;

    // Registries.
    let registries = match &config.registries_file {
        Some(p) => {
            let text = std::fs::read_to_string(p)
                .with_context(|| format!("cannot read {}", p.display()))?;
            image::registry::parse(&text).map_err(anyhow::Error::msg)?
        }
        None => image::registry::Registries::default(),
    };

    // The runtime.
    let layout = containerd::Layout::new(&agent_dir);
    let (socket, supervisor) = match &config.container_runtime_endpoint {
        Some(endpoint) => (cri::socket_path(endpoint), None),
        None => {
            std::fs::create_dir_all(&layout.dir)?;
            let _ = std::fs::remove_dir_all(&layout.certs_d);
            std::fs::create_dir_all(&layout.certs_d)?;
            for (dir, text) in image::registry::hosts_files(&registries) {
                let d = layout.certs_d.join(dir);
                std::fs::create_dir_all(&d)?;
                std::fs::write(d.join("hosts.toml"), text)?;
            }
            let toml = containerd::config_toml(&containerd::ConfigInput {
                layout: &layout,
                sandbox_image: PAUSE_IMAGE,
                cni_bin_dir: &config.cni_bin_dir,
                cni_conf_dir: &cni_conf_dir,
                runc: &containerd::runc_binary(),
                extra: &image::registry::auth_toml(&registries),
            });
            std::fs::write(&layout.config, toml)?;
            let sup = containerd::Supervisor::start(layout.clone()).await?;
            (layout.socket.clone(), Some(sup))
        }
    };
    let result = run_with_runtime(
        &config,
        &agent_dir,
        &socket,
        node_name,
        host,
        node_ip,
        cni_conf_dir,
    )
    .await;
    if let Some(s) = supervisor {
        s.stop().await;
    }
    result
}

#[allow(clippy::too_many_arguments)]
async fn run_with_runtime(
    config: &AgentConfig,
    agent_dir: &Path,
    socket: &Path,
    node_name: String,
    host: String,
    node_ip: String,
    cni_conf_dir: PathBuf,
) -> anyhow::Result<()> {
    let metrics = Arc::new(metrics::Metrics::new());
    let cri = cri::Cri::new(socket, metrics.clone())?;
    let version = wait_runtime(&cri).await?;
    ensure_pause(&cri, socket, agent_dir).await?;
    for archive in image::import::archives_in(&agent_dir.join("images")) {
        match import_archive(socket, &archive).await {
            Ok(names) => tracing::info!(archive = %archive.display(), images = ?names, "imported"),
            Err(e) => {
                tracing::warn!(archive = %archive.display(), error = %format!("{e:#}"), "cannot import")
            }
        }
    }

    // Bind the endpoint early: a port in use is a configuration error worth failing for.
    let listener = tokio::net::TcpListener::bind(("0.0.0.0", config.kubelet_port))
        .await
        .with_context(|| format!("cannot listen on port {}", config.kubelet_port))?;
    let tls = server::tls_config(vec![
        node_name.clone(),
        host.clone(),
        node_ip.clone(),
        "localhost".into(),
        "127.0.0.1".into(),
    ])?;

    let client = client(&config.api).await?;
    let machine = node::machine(agent_dir);
    let params = Arc::new(node::NodeParams {
        name: node_name.clone(),
        ip: node_ip.clone(),
        hostname: host.clone(),
        port: listener.local_addr()?.port(),
        control_plane: config.control_plane,
        labels: config.node_labels.clone(),
        max_pods: config.max_pods,
        system_reserved: config.system_reserved.clone(),
        kube_reserved: config.kube_reserved.clone(),
        runtime_version: format!("{}://{}", version.runtime_name, version.runtime_version),
    });
    let not_ready = node::Health {
        network_error: Some("NetworkReady=false reason:NetworkPluginNotReady message:Network plugin returns error: cni plugin not initialized".into()),
        ..Default::default()
    };
    let mut delay = Duration::from_millis(200);
    let node = loop {
        match node::register(&client, &params, &machine, &not_ready).await {
            Ok(n) => break n,
            Err(e) => {
                tracing::warn!(error = %format!("{e:#}"), "cannot register node; retrying");
                tokio::time::sleep(delay).await;
                delay = (delay * 2).min(Duration::from_secs(5));
            }
        }
    };
    tracing::info!(node = %node_name, ip = %node_ip, "node registered");

    let cache = Arc::new(pleg::PodCache::default());
    let ctx = Arc::new(ctx::Ctx::new(ctx::CtxParts {
        node_name: node_name.clone(),
        node_ip,
        hostname: host,
        agent_dir: agent_dir.to_path_buf(),
        client: client.clone(),
        cri: cri.clone(),
        metrics: metrics.clone(),
        cache: cache.clone(),
        memory_capacity: machine.memory_bytes,
        cpu_capacity: machine.cpus,
        cluster_dns: config.cluster_dns.clone(),
        cluster_domain: config.cluster_domain.clone(),
    }));
    let pleg = Arc::new(pleg::Pleg::new(cri.clone(), metrics, cache));
    let workers = Arc::new(pods::Workers::default());

    let network = {
        let ctx = ctx.clone();
        let client = client.clone();
        let name = node_name.clone();
        let ipam = agent_dir.join("cni").join("ipam");
        let cluster_cidr = config.cluster_cidr;
        async move {
            let cidr = cni::wait_for_pod_cidr(&client, &name).await;
            match masquerade::apply(&cluster_cidr).await {
                Ok(()) => tracing::info!(cluster_cidr = %cluster_cidr, "pod egress masqueraded"),
                Err(e) => {
                    tracing::warn!(error = %e, "pods cannot reach addresses outside the cluster")
                }
            }
            loop {
                match cni::write(&cni_conf_dir, &ipam, &cidr) {
                    Ok(path) => {
                        tracing::info!(pod_cidr = %cidr, conflist = %path.display(), "pod network configured");
                        break;
                    }
                    Err(e) => {
                        tracing::warn!(error = %e, "cannot write the CNI config");
                        tokio::time::sleep(Duration::from_secs(2)).await;
                    }
                }
            }
            // containerd picks the file up asynchronously; wait until it says so.
            for _ in 0..100 {
                if let Ok(s) = ctx.cri.status().await
                    && s.status.as_ref().is_some_and(|st| {
                        st.conditions
                            .iter()
                            .any(|c| c.r#type == "NetworkReady" && c.status)
                    })
                {
                    break;
                }
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
            ctx.network_ready.store(true, Ordering::Relaxed);
        }
    };
    let health = {
        let ctx = ctx.clone();
        let pleg = pleg.clone();
        move || {
            let ctx = ctx.clone();
            let pleg = pleg.clone();
            async move {
                let mut h = node::Health::default();
                if let Err(e) = ctx.cri.status().await {
                    h.runtime_error = Some(e.to_string());
                }
                if !ctx.network_ready() {
                    h.network_error = not_ready_message();
                }
                h.pleg_error = pleg.healthy().err();
                h
            }
            .boxed()
        }
    };
    let node_uid = node.metadata.uid.clone().unwrap_or_default();
    let endpoint_token = match &config.api {
        ApiAccess::Token { token, .. } => Some(token.trim().to_owned()),
        ApiAccess::Kubeconfig(_) => None,
    };
    let tasks = async {
        tokio::join!(
            network,
            node::keep_lease(client.clone(), node_name.clone(), node_uid),
            node::keep_status(
                client.clone(),
                params.clone(),
                agent_dir.to_path_buf(),
                health
            ),
            pleg.clone().run(workers.clone()),
            pods::run(ctx.clone(), workers.clone()),
            routes::run(client.clone(), node_name.clone()),
            server::serve(listener, tls, ctx.clone(), pleg.clone(), endpoint_token),
        );
    };
    tokio::select! {
        _ = tasks => Ok(()),
        _ = shutdown_signal() => {
            tracing::info!("agent stopping (containers keep running)");
            Ok(())
        }
    }
}

fn not_ready_message() -> Option<String> {
    Some("NetworkReady=false reason:NetworkPluginNotReady message:Network plugin returns error: cni plugin not initialized".into())
}

async fn shutdown_signal() {
    let mut term = match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
        Ok(s) => s,
        Err(_) => return std::future::pending().await,
    };
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {}
        _ = term.recv() => {}
    }
}
