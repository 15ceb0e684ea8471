//! The controllers kube-controller-manager runs that Capstan's API server relies on: namespace
//! deletion, garbage collection by owner references, the `default` ServiceAccount and the
//! `kube-root-ca.crt` ConfigMap in every namespace, and node pod ranges (node IPAM). They talk to the API server as ordinary
//! clients (kube-rs), never to the store.

pub mod discovery;
pub mod errors;
pub mod gc;
pub mod namespace;
pub mod nodeipam;
pub mod queue;
pub mod rootca;
pub mod serviceaccount;

use std::future::Future;
use std::hash::Hash;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use crate::queue::WorkQueue;

#[derive(Clone, Debug)]
pub struct ControllerConfig {
    /// Kubeconfig with credentials allowed to read, write and delete everything.
    pub kubeconfig: PathBuf,
    /// The cluster CA bundle published as `ca.crt` in every namespace.
    pub cluster_ca_pem: String,
    /// How long a terminating namespace waits before its content is deleted (upstream: 5 s), so
    /// creations racing with the delete land first.
    pub namespace_deletion_delay: Duration,
    /// How often the garbage collector re-runs discovery to start and stop watches.
    pub gc_discovery_period: Duration,
    /// Where node pod CIDRs come from (`--cluster-cidr`, a /24 each); None leaves nodes alone.
    pub pod_ranges: Option<capstan_apimachinery::cidr::SubnetPlan>,
}

impl ControllerConfig {
    pub fn new(
        kubeconfig: impl Into<PathBuf>,
        cluster_ca_pem: impl Into<String>,
    ) -> ControllerConfig {
        ControllerConfig {
            kubeconfig: kubeconfig.into(),
            cluster_ca_pem: cluster_ca_pem.into(),
            namespace_deletion_delay: Duration::from_secs(5),
            gc_discovery_period: Duration::from_secs(30),
            pod_ranges: None,
        }
    }
}

/// Runs all controllers until the future is dropped; logs and retries on errors, never panics.
pub async fn run(config: ControllerConfig) -> anyhow::Result<()> {
    let client = capstan_client::connect_when_ready(&config.kubeconfig).await;
    tracing::info!("starting controllers");
    tokio::join!(
        namespace::run(client.clone(), config.namespace_deletion_delay, 2),
        gc::run(client.clone(), config.gc_discovery_period),
        serviceaccount::run(client.clone()),
        rootca::run(client.clone(), config.cluster_ca_pem.clone()),
        async {
            if let Some(plan) = config.pod_ranges.clone() {
                nodeipam::run(client.clone(), plan).await;
            }
        },
    );
    Ok(())
}

/// Runs `workers` loops taking keys off the queue; `sync` decides how each key is requeued.
pub(crate) async fn run_workers<K, F, Fut>(queue: Arc<WorkQueue<K>>, workers: usize, sync: F)
where
    K: Hash + Eq + Clone,
    F: Fn(K) -> Fut,
    Fut: Future<Output = ()>,
{
    let loops = (0..workers.max(1)).map(|_| async {
        loop {
            let key = queue.next().await;
            sync(key.clone()).await;
            queue.done(&key);
        }
    });
    futures::future::join_all(loops).await;
}
