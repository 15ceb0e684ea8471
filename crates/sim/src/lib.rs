//! Simulated nodes, as kwok provides them for Kubernetes: `capstan sim nodes` registers N nodes
//! and acts as their agents through the API server only — Leases and Ready conditions kept
//! fresh, pods bound to them reported Running with an IP (and finished or restarted when their
//! annotations ask), terminating pods deleted for good. No container runs. Every node carries the
//! `capstan.dev/simulated` label and annotation. For scale tests and benchmarks only.

mod cadence;
pub mod node;
pub mod nodes;
pub mod pod;
pub mod pods;

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use kube::Client;

pub use cadence::Cadence;
pub use node::NodeShape;
pub use nodes::SimNode;
pub use pods::PodCounts;

#[derive(Debug, Clone)]
pub struct SimConfig {
    pub count: usize,
    pub prefix: String,
    pub shape: NodeShape,
    /// How often each Lease is renewed (the kubelet's default: 10 s).
    pub lease_renew_interval: Duration,
    pub lease_duration_seconds: u32,
    /// How often each node's condition heartbeats are refreshed.
    pub status_interval: Duration,
    /// Whether to act on pods (off for pure scheduling benchmarks, as scheduler_perf's nodes).
    pub run_pods: bool,
    /// How often progress is printed (zero: never).
    pub report_interval: Duration,
}

impl Default for SimConfig {
    fn default() -> Self {
        SimConfig {
            count: 1,
            prefix: "sim-".into(),
            shape: NodeShape::default(),
            lease_renew_interval: Duration::from_secs(10),
            lease_duration_seconds: 40,
            status_interval: Duration::from_secs(60),
            run_pods: true,
            report_interval: Duration::from_secs(30),
        }
    }
}

/// What a running simulation reports.
#[derive(Default, Debug, Clone)]
pub struct SimStats {
    pub leases: Arc<Cadence>,
    pub conditions: Arc<Cadence>,
    pub pods: Arc<PodCounts>,
}

/// Registers the nodes, then runs their agents until the future is dropped.
pub async fn run(client: Client, config: SimConfig) -> anyhow::Result<()> {
    let nodes = nodes::register(&client, &config.prefix, config.count, &config.shape, 64).await?;
    run_agents(client, config, nodes, SimStats::default()).await;
    Ok(())
}

/// Runs the agents of registered nodes: leases, conditions, pods and the progress report.
pub async fn run_agents(client: Client, config: SimConfig, nodes: Vec<SimNode>, stats: SimStats) {
    let names: Arc<Vec<String>> = Arc::new(nodes.iter().map(|n| n.name.clone()).collect());
    let leases = Arc::new(nodes::Leases::new(
        &client,
        &nodes,
        config.lease_duration_seconds,
    ));
    // Every node has its Lease from the start, as a kubelet creates it on registration.
    let created = {
        use futures::StreamExt;
        futures::stream::iter(names.iter().cloned())
            .map(|name| {
                let leases = leases.clone();
                async move { leases.renew(&name).await }
            })
            .buffer_unordered(64)
            .filter(|ok| std::future::ready(*ok))
            .count()
            .await
    };
    if created < names.len() {
        tracing::warn!(
            created,
            nodes = names.len(),
            "some leases could not be created yet; they are retried on schedule"
        );
    }
    let SimStats {
        leases: lease_stats,
        conditions: condition_stats,
        pods: pod_counts,
    } = stats;
    let leases_task = nodes::keep_leases(
        leases,
        names.clone(),
        config.lease_renew_interval,
        lease_stats.clone(),
    );
    let conditions_task = nodes::keep_conditions(
        client.clone(),
        names,
        config.status_interval,
        condition_stats.clone(),
    );
    let pods_task = async {
        if config.run_pods {
            pods::run(client.clone(), &nodes, pod_counts.clone()).await;
        }
    };
    let report = async {
        if config.report_interval.is_zero() {
            return std::future::pending().await;
        }
        loop {
            tokio::time::sleep(config.report_interval).await;
            eprintln!(
                "{} simulated nodes: leases renewed {} (failed {}), worst gap between renewals {:.1}s of {}s allowed; pods started {}, finished {}, restarted {}, deleted {}",
                nodes.len(),
                lease_stats.done.load(Ordering::Relaxed),
                lease_stats.failed.load(Ordering::Relaxed),
                lease_stats.take_worst_gap().as_secs_f64(),
                config.lease_duration_seconds,
                pod_counts.started.load(Ordering::Relaxed),
                pod_counts.finished.load(Ordering::Relaxed),
                pod_counts.restarted.load(Ordering::Relaxed),
                pod_counts.deleted.load(Ordering::Relaxed),
            );
        }
    };
    tokio::join!(leases_task, conditions_task, pods_task, report);
}
