//! `capstan agent`: joins this host to a cluster as a node and runs the pods bound to it.

use std::collections::BTreeMap;
use std::net::IpAddr;
use std::path::PathBuf;

use anyhow::{Context, Result, bail};
use capstan_agent::{AgentConfig, ApiAccess};
use clap::Args;

#[derive(Args, Debug)]
pub struct AgentArgs {
    /// The API server to join, e.g. https://10.0.0.1:6443.
    #[arg(long)]
    server: String,
    /// The join token (the content of the server's DATA_DIR/node-token).
    #[arg(long, env = "CAPSTAN_TOKEN", conflicts_with = "token_file")]
    token: Option<String>,
    /// A file holding the join token.
    #[arg(long)]
    token_file: Option<PathBuf>,
    /// Where the agent keeps its state (containerd, images, pod files under DATA_DIR/agent).
    #[arg(long, default_value = "/var/lib/capstan")]
    data_dir: PathBuf,
    /// The cluster's pod network (the server's --cluster-cidr): pod traffic leaving it is
    /// masqueraded to this node's address.
    #[arg(long, default_value = capstan_agent::DEFAULT_CLUSTER_CIDR)]
    cluster_cidr: String,
    #[command(flatten)]
    node: NodeArgs,
}

/// Node flags shared by `capstan agent` and `capstan server` (for its own agent).
#[derive(Args, Debug, Clone, Default)]
pub struct NodeArgs {
    /// The node's name (default: the host name).
    #[arg(long)]
    pub node_name: Option<String>,
    /// The address other hosts reach this node at (default: the host's first IPv4 address).
    #[arg(long)]
    pub node_ip: Option<IpAddr>,
    /// Use this CRI runtime socket (unix:///path) instead of starting containerd.
    #[arg(long)]
    pub container_runtime_endpoint: Option<PathBuf>,
    /// HTTPS port of the agent's endpoint (logs, metrics, stats).
    #[arg(long, default_value_t = 10250)]
    pub kubelet_port: u16,
    /// A node label key=value (repeatable).
    #[arg(long = "node-label")]
    pub node_label: Vec<String>,
    /// Resources reserved for the system, e.g. cpu=500m,memory=512Mi.
    #[arg(long)]
    pub system_reserved: Option<String>,
    /// Resources reserved for Kubernetes components, e.g. cpu=100m,memory=256Mi.
    #[arg(long)]
    pub kube_reserved: Option<String>,
    /// Registry mirrors and credentials (k3s's registries.yaml format).
    #[arg(long)]
    pub private_registry: Option<PathBuf>,
    /// Most pods this node runs.
    #[arg(long, default_value_t = 110)]
    pub max_pods: u32,
}

/// `k=v,k=v` → a map; `flag` names the flag in errors.
pub fn parse_pairs(flag: &str, text: &str) -> Result<BTreeMap<String, String>> {
    let mut out = BTreeMap::new();
    for part in text.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        let Some((k, v)) = part.split_once('=') else {
            bail!("{flag}: {part:?} is not key=value (e.g. cpu=500m,memory=512Mi)");
        };
        if k.trim().is_empty() {
            bail!("{flag}: {part:?} has an empty key");
        }
        out.insert(k.trim().to_owned(), v.trim().to_owned());
    }
    Ok(out)
}

impl NodeArgs {
    /// Applies these flags to an agent configuration.
    pub fn apply(&self, config: &mut AgentConfig) -> Result<()> {
        config.node_name = self.node_name.clone();
        config.node_ip = self.node_ip;
        config.container_runtime_endpoint = self.container_runtime_endpoint.clone();
        config.kubelet_port = self.kubelet_port;
        for label in &self.node_label {
            let Some((k, v)) = label.split_once('=') else {
                bail!("--node-label: {label:?} is not key=value");
            };
            config.node_labels.insert(k.to_owned(), v.to_owned());
        }
        if let Some(s) = &self.system_reserved {
            config.system_reserved = parse_pairs("--system-reserved", s)?;
        }
        if let Some(s) = &self.kube_reserved {
            config.kube_reserved = parse_pairs("--kube-reserved", s)?;
        }
        config.registries_file = self.private_registry.clone();
        if self.max_pods == 0 {
            bail!("--max-pods must be at least 1");
        }
        config.max_pods = self.max_pods;
        Ok(())
    }
}

pub async fn run(args: AgentArgs) -> Result<()> {
    let token = match (&args.token, &args.token_file) {
        (Some(t), _) => t.clone(),
        (None, Some(path)) => std::fs::read_to_string(path)
            .with_context(|| format!("cannot read the join token from {}", path.display()))?,
        (None, None) => bail!(
            "give the join token with --token or --token-file (the server writes it to DATA_DIR/node-token)"
        ),
    };
    let token = token.trim().to_owned();
    if token.is_empty() {
        bail!("the join token is empty; copy the server's DATA_DIR/node-token");
    }
    let mut config = AgentConfig::new(
        args.data_dir.clone(),
        ApiAccess::Token {
            server: args.server.trim_end_matches('/').to_owned(),
            token,
        },
    );
    config.cluster_cidr = capstan_apimachinery::cidr::Ipv4Cidr::parse(&args.cluster_cidr)
        .map_err(|e| anyhow::anyhow!("--cluster-cidr: {e}"))?;
    args.node.apply(&mut config)?;
    capstan_agent::run(config).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pairs_parse_and_reject() {
        let m = parse_pairs("--x", "cpu=500m, memory=1Gi").unwrap();
        assert_eq!(m["cpu"], "500m");
        assert_eq!(m["memory"], "1Gi");
        assert!(parse_pairs("--x", "cpu").is_err());
        assert!(parse_pairs("--x", "=1").is_err());
        assert!(parse_pairs("--x", "").unwrap().is_empty());
    }
}
