//! `capstan server`: the control plane (and, unless disabled, a node agent on this host).

use std::net::IpAddr;
use std::path::PathBuf;
use std::time::Duration;

use anyhow::Result;
use capstan_store::StoreConfig;
use capstan_store::etcd::EtcdConfig;
use clap::Args;

#[derive(Args, Debug)]
pub struct ServerArgs {
    /// Where the cluster's state, certificates and kubeconfig live.
    #[arg(long, default_value = "/var/lib/capstan")]
    data_dir: PathBuf,
    /// HTTPS port of the API server.
    #[arg(long, default_value_t = 6443)]
    https_port: u16,
    /// Address the API server listens on.
    #[arg(long, default_value = "0.0.0.0")]
    bind_address: IpAddr,
    /// Address other hosts reach this server at (default: the host's first IPv4 address).
    #[arg(long)]
    advertise_address: Option<IpAddr>,
    /// Extra name or address for the serving certificate (repeatable).
    #[arg(long = "tls-san")]
    tls_san: Vec<String>,
    /// Range Service cluster IPs are allocated from.
    #[arg(long, default_value = "10.43.0.0/16")]
    service_cidr: String,
    /// Range node pod CIDRs are allocated from.
    #[arg(long, default_value = "10.42.0.0/16")]
    cluster_cidr: String,
    /// Use etcd (etcd://host:port[,host:port…]) instead of the embedded database.
    #[arg(long)]
    datastore_endpoint: Option<String>,
    /// CA certificate to verify etcd's serving certificate.
    #[arg(long)]
    datastore_cafile: Option<PathBuf>,
    /// Client certificate for etcd.
    #[arg(long)]
    datastore_certfile: Option<PathBuf>,
    /// Client key for etcd.
    #[arg(long)]
    datastore_keyfile: Option<PathBuf>,
    /// How often store history is compacted.
    #[arg(long, default_value = "5m", value_parser = humantime::parse_duration)]
    compaction_interval: Duration,
    /// Run the control plane without a node agent on this host.
    #[arg(long)]
    disable_agent: bool,
    /// Do not run the scheduler.
    #[arg(long)]
    disable_scheduler: bool,
    /// Configuration of the built-in scheduler (a KubeSchedulerConfiguration).
    #[arg(long)]
    scheduler_config: Option<PathBuf>,
    /// The node agent on this host (unless --disable-agent).
    #[command(flatten)]
    agent: crate::agent::NodeArgs,
}

pub async fn run(args: ServerArgs) -> Result<()> {
    let mut config = capstan_apiserver::Config::new(args.data_dir.clone());
    config.https_port = args.https_port;
    config.bind_address = args.bind_address;
    config.advertise_address = args.advertise_address;
    config.tls_sans = args.tls_san;
    config.service_cidr = args.service_cidr;
    config.compaction_interval = args.compaction_interval;
    if let Some(endpoint) = &args.datastore_endpoint {
        let mut etcd = EtcdConfig::from_endpoint_flag(endpoint).map_err(anyhow::Error::msg)?;
        etcd.ca_file = args.datastore_cafile;
        etcd.cert_file = args.datastore_certfile;
        etcd.key_file = args.datastore_keyfile;
        config.store = StoreConfig::Etcd(etcd);
    } else if args.datastore_cafile.is_some()
        || args.datastore_certfile.is_some()
        || args.datastore_keyfile.is_some()
    {
        anyhow::bail!(
            "--datastore-cafile/--datastore-certfile/--datastore-keyfile need --datastore-endpoint"
        );
    }
    let pod_network = capstan_apimachinery::cidr::Ipv4Cidr::parse(&args.cluster_cidr)
        .map_err(|e| anyhow::anyhow!("--cluster-cidr: {e}"))?;
    let cluster_cidr = capstan_apimachinery::cidr::SubnetPlan::new(pod_network, 24)
        .map_err(|e| anyhow::anyhow!("--cluster-cidr: {e}"))?;
    // Checked before anything starts, so a bad file is a one-line error, not a half-started server.
    let scheduler = (!args.disable_scheduler)
        .then(|| crate::scheduler::options(args.scheduler_config.as_deref(), true))
        .transpose()?;
    let data_dir = config.data_dir.clone();
    let running = capstan_apiserver::start(config).await?;
    // Controllers are API clients like any other: they use a kubeconfig, never the store.
    let ca = std::fs::read_to_string(data_dir.join("tls").join("ca.crt"))?;
    let mut controllers =
        capstan_controllers::ControllerConfig::new(running.kubeconfig.clone(), ca);
    controllers.pod_ranges = Some(cluster_cidr);
    tokio::spawn(async move {
        if let Err(e) = capstan_controllers::run(controllers).await {
            tracing::error!(error = %e, "controllers stopped");
        }
    });
    if let Some(options) = scheduler {
        let kubeconfig = running.kubeconfig.clone();
        tokio::spawn(async move {
            let client = capstan_client::connect_when_ready(&kubeconfig).await;
            capstan_schedulerd::run(client, options).await;
        });
    }
    // Agents join with the token in DATA_DIR/node-token (running.node_token holds the same).
    eprintln!(
        "capstan API server listening on https://{}\nTo use kubectl:\n  export KUBECONFIG={}\n  kubectl get namespaces\nTo join another node:\n  capstan agent --server https://<this host>:{} --token-file {}",
        running.addr,
        running.kubeconfig.display(),
        running.addr.port(),
        data_dir.join("node-token").display()
    );
    if !args.disable_agent {
        // The server's own node joins like any other, with the node token over loopback.
        let host = match running.addr.ip() {
            ip if ip.is_unspecified() => "127.0.0.1".to_owned(),
            IpAddr::V6(ip) => format!("[{ip}]"),
            ip => ip.to_string(),
        };
        let mut agent = capstan_agent::AgentConfig::new(
            data_dir.clone(),
            capstan_agent::ApiAccess::Token {
                server: format!("https://{host}:{}", running.addr.port()),
                token: running.node_token.clone(),
            },
        );
        agent.control_plane = true;
        agent.cluster_cidr = pod_network;
        args.agent.apply(&mut agent)?;
        let agent = tokio::spawn(capstan_agent::run(agent));
        let wait = running.wait();
        tokio::pin!(wait);
        // The agent handles SIGINT/SIGTERM (stopping its containerd); when it returns because of
        // one, the whole server stops with it. An agent that fails leaves the control plane up.
        tokio::select! {
            _ = &mut wait => return Ok(()),
            result = agent => match result {
                Ok(Ok(())) => {
                    tracing::info!("server stopping");
                    return Ok(());
                }
                Ok(Err(e)) => tracing::error!(error = %format!("{e:#}"), "node agent stopped; the control plane keeps running"),
                Err(e) => tracing::error!(error = %e, "node agent stopped"),
            },
        }
        // Keep the usual signal behaviour after the agent's handlers were installed.
        tokio::select! {
            _ = &mut wait => {}
            _ = tokio::signal::ctrl_c() => {}
        }
        return Ok(());
    }
    running.wait().await;
    Ok(())
}
