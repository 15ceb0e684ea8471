//! Garbage collector: watches the metadata of every deletable resource, keeps an
//! owner→dependents graph, and deletes dependents whose owners are gone (background), deletes
//! blocking dependents before an owner with `foregroundDeletion`, and detaches dependents from
//! an owner with `orphan`, releasing the finalizer afterwards.

mod decide;
mod graph;
mod model;
mod monitor;
mod worker;

use std::sync::{Arc, Mutex, MutexGuard, RwLock};
use std::time::Duration;

use kube::Client;
use tokio::sync::mpsc;

pub use graph::{Graph, GraphEvent, Work};
pub use model::{Identity, Observed, OwnerRef, Uid};

use crate::discovery::Discovery;
use crate::queue::{Backoff, WorkQueue};
use worker::AttemptError;

const BACKOFF: Backoff = Backoff::new(Duration::from_millis(5), Duration::from_secs(60));
const DELETE_WORKERS: usize = 4;
const ORPHAN_WORKERS: usize = 2;

/// Resources the collector leaves alone, as kube-controller-manager's defaults do.
pub const IGNORED_RESOURCES: [(&str, &str); 2] = [("", "events"), ("events.k8s.io", "events")];

struct Gc {
    client: Client,
    graph: Mutex<Graph>,
    discovery: RwLock<Arc<Discovery>>,
    events: mpsc::UnboundedSender<GraphEvent>,
    delete_queue: Arc<WorkQueue<Uid>>,
    orphan_queue: Arc<WorkQueue<Uid>>,
}

impl Gc {
    fn graph(&self) -> MutexGuard<'_, Graph> {
        // Graph updates never panic half-way; a poisoned lock still holds a usable graph.
        self.graph.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn dispatch(&self, work: Vec<Work>) {
        for w in work {
            match w {
                Work::AttemptToDelete(uid) => self.delete_queue.add(uid),
                Work::AttemptToOrphan(uid) => self.orphan_queue.add(uid),
                Work::InvalidOwnerNamespace { dependent, owner } => {
                    // Upstream records this as a Warning event on the dependent.
                    let reference = self
                        .graph()
                        .nodes
                        .get(&dependent.uid)
                        .and_then(|n| n.owners.iter().find(|r| r.uid == owner).cloned())
                        .map(|r| Identity::of_reference(&r, &dependent.namespace).to_string())
                        .unwrap_or(owner);
                    tracing::warn!(
                        reason = "OwnerRefInvalidNamespace",
                        item = %dependent,
                        "ownerRef {reference} does not exist in namespace {:?}",
                        dependent.namespace
                    );
                }
            }
        }
    }

    async fn process_delete(&self, uid: Uid) {
        match self.attempt_to_delete(&uid).await {
            Ok(true) => self.delete_queue.forget(&uid),
            // A virtual owner that exists but no watch has shown yet: look again later.
            Ok(false) => self.delete_queue.add_rate_limited(uid),
            Err(
                AttemptError::VirtualDeleteEnqueued | AttemptError::NamespacedOwnerOfClusterScoped,
            ) => self.delete_queue.forget(&uid),
            Err(AttemptError::Failed(e)) => {
                tracing::warn!(uid = %uid, error = %e, "error syncing item");
                self.delete_queue.add_rate_limited(uid);
            }
        }
    }

    async fn process_orphan(&self, uid: Uid) {
        match self.attempt_to_orphan(&uid).await {
            Ok(())
            | Err(
                AttemptError::VirtualDeleteEnqueued | AttemptError::NamespacedOwnerOfClusterScoped,
            ) => self.orphan_queue.forget(&uid),
            Err(AttemptError::Failed(e)) => {
                tracing::warn!(uid = %uid, error = %e, "orphaning dependents failed");
                self.orphan_queue.add_rate_limited(uid);
            }
        }
    }
}

pub async fn run(client: Client, discovery_period: Duration) {
    let (tx, mut rx) = mpsc::unbounded_channel();
    let gc = Arc::new(Gc {
        client,
        graph: Mutex::new(Graph::default()),
        discovery: RwLock::new(Arc::new(Discovery::default())),
        events: tx,
        delete_queue: WorkQueue::new(BACKOFF),
        orphan_queue: WorkQueue::new(BACKOFF),
    });
    let graph_changes = async {
        while let Some(event) = rx.recv().await {
            let work = gc.graph().apply(event);
            gc.dispatch(work);
        }
    };
    let deleters = crate::run_workers(gc.delete_queue.clone(), DELETE_WORKERS, |uid| {
        gc.process_delete(uid)
    });
    let orphaners = crate::run_workers(gc.orphan_queue.clone(), ORPHAN_WORKERS, |uid| {
        gc.process_orphan(uid)
    });
    let monitors = monitor::sync_monitors(gc.clone(), discovery_period);
    tokio::join!(graph_changes, deleters, orphaners, monitors);
}
