//! Automatic compaction, as kube-apiserver asks of etcd: every interval, forget history up to the
//! revision that was current one interval earlier. Watchers and paged lists therefore always have at
//! least one interval of history to resume from, and the database stays bounded under steady writes.

use std::sync::Arc;
use std::time::Duration;

use tokio::task::JoinHandle;

use crate::{Revision, Store, StoreError};

/// Upstream's default `--etcd-compaction-interval`.
pub const DEFAULT_INTERVAL: Duration = Duration::from_secs(300);

pub struct CompactorHandle {
    task: JoinHandle<()>,
}

impl Drop for CompactorHandle {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// Starts the periodic compactor; it stops when the handle is dropped.
pub fn spawn_compactor(store: Arc<dyn Store>, interval: Duration) -> CompactorHandle {
    let task = tokio::spawn(async move {
        let mut ticker = tokio::time::interval(interval);
        ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        ticker.tick().await;
        let mut previous: Option<Revision> = None;
        loop {
            ticker.tick().await;
            let current = match store.current_revision().await {
                Ok(r) => r,
                Err(e) => {
                    tracing::warn!(error = %e, "compactor: cannot read the current revision");
                    continue;
                }
            };
            if let Some(target) = previous.filter(|p| *p > 0) {
                match store.compact(target).await {
                    Ok(()) => tracing::debug!(revision = target, "compacted store history"),
                    // Someone else (another server on the same etcd) compacted further already.
                    Err(StoreError::Compacted { .. }) => {}
                    Err(e) => tracing::warn!(error = %e, revision = target, "compaction failed"),
                }
            }
            previous = Some(current);
        }
    });
    CompactorHandle { task }
}
