//! `capstan sim …`: simulated nodes for scale tests and benchmarks.

use std::path::PathBuf;
use std::time::Duration;

use anyhow::Result;
use capstan_sim::{NodeShape, SimConfig};
use clap::{Args, Subcommand};

#[derive(Subcommand)]
pub enum SimCommand {
    /// Register N simulated nodes and act as their agents (leases, conditions, pod status) until
    /// interrupted. No container runs; the nodes are labelled capstan.dev/simulated=true.
    Nodes(NodesArgs),
}

#[derive(Args)]
pub struct NodesArgs {
    /// How many nodes.
    #[arg(long, default_value_t = 1)]
    count: usize,
    /// Kubeconfig to reach the API server with.
    #[arg(long, env = "KUBECONFIG")]
    kubeconfig: PathBuf,
    /// Node names are this prefix and a zero-padded index.
    #[arg(long, default_value = "sim-")]
    prefix: String,
    /// CPU capacity of each node.
    #[arg(long, default_value = "32")]
    cpu: String,
    /// Memory capacity of each node.
    #[arg(long, default_value = "256Gi")]
    memory: String,
    /// Pod capacity of each node.
    #[arg(long, default_value_t = 110)]
    pods: u32,
    /// Extra label on every node, key=value (repeatable).
    #[arg(long = "label")]
    labels: Vec<String>,
    /// Taint on every node, key[=value]:Effect (repeatable).
    #[arg(long = "taint")]
    taints: Vec<String>,
    /// Spread the nodes over this many zones (topology.kubernetes.io/zone=zone-0…).
    #[arg(long, default_value_t = 0)]
    zones: usize,
    /// How often each node renews its Lease.
    #[arg(long, default_value = "10s", value_parser = humantime::parse_duration)]
    lease_renew_interval: Duration,
    /// How often each node refreshes its condition heartbeats.
    #[arg(long, default_value = "60s", value_parser = humantime::parse_duration)]
    status_interval: Duration,
    /// Leave pods bound to the nodes alone (no status, no deletion).
    #[arg(long)]
    no_pods: bool,
}

pub async fn run(cmd: SimCommand) -> Result<()> {
    let SimCommand::Nodes(a) = cmd;
    let mut shape = NodeShape {
        cpu: a.cpu,
        memory: a.memory,
        pods: a.pods,
        zones: (0..a.zones).map(|z| format!("zone-{z}")).collect(),
        ..Default::default()
    };
    for label in &a.labels {
        let (k, v) = capstan_sim::node::parse_label(label).map_err(anyhow::Error::msg)?;
        shape.labels.insert(k, v);
    }
    for taint in &a.taints {
        shape
            .taints
            .push(capstan_sim::node::parse_taint(taint).map_err(anyhow::Error::msg)?);
    }
    let client = capstan_client::connect(&a.kubeconfig).await?;
    let config = SimConfig {
        count: a.count,
        prefix: a.prefix,
        shape,
        lease_renew_interval: a.lease_renew_interval,
        status_interval: a.status_interval,
        run_pods: !a.no_pods,
        ..Default::default()
    };
    tokio::select! {
        result = capstan_sim::run(client, config) => result,
        _ = tokio::signal::ctrl_c() => {
            eprintln!("stopped; the simulated nodes stay registered (delete them with: kubectl delete nodes -l capstan.dev/simulated=true)");
            Ok(())
        }
    }
}
