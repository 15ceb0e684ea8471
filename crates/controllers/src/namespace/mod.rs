//! Namespace controller: empties a terminating namespace, then releases its `kubernetes`
//! finalizer through the `finalize` subresource so the API server can delete it.

mod conditions;
mod content;

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use futures::StreamExt;
use k8s_openapi::api::core::v1::Namespace;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::Time;
use kube::Client;
use kube::api::{Api, PostParams};
use kube::runtime::WatchStreamExt;
use kube::runtime::watcher::{self, Event};

pub use conditions::ConditionUpdater;
use content::{ContentDeleter, OpCache};

use crate::discovery::{self, GroupVersionResource};
use crate::errors;
use crate::queue::{Backoff, WorkQueue};

/// The finalizer token this controller owns.
pub const FINALIZER: &str = "kubernetes";

/// Retries at least once a minute, as upstream tunes this controller's queue.
const BACKOFF: Backoff = Backoff::new(Duration::from_millis(5), Duration::from_secs(60));

enum SyncError {
    /// Content is still going away; look again after this many seconds.
    Remaining(i64),
    Failed(String),
}

struct Controller {
    client: Client,
    ops: OpCache,
}

pub async fn run(client: Client, deletion_delay: Duration, workers: usize) {
    let queue: Arc<WorkQueue<String>> = WorkQueue::new(BACKOFF);
    let ctl = Arc::new(Controller {
        client: client.clone(),
        ops: OpCache::default(),
    });
    let watch = {
        let queue = queue.clone();
        async move {
            let api: Api<Namespace> = Api::all(client);
            let mut events = watcher::watcher(api, watcher::Config::default())
                .default_backoff()
                .boxed();
            while let Some(ev) = events.next().await {
                match ev {
                    Ok(Event::Apply(ns) | Event::InitApply(ns)) => {
                        // Only terminating namespaces are work; the delay lets last-moment
                        // creations land first, as upstream does.
                        if ns.metadata.deletion_timestamp.is_some()
                            && let Some(name) = ns.metadata.name
                        {
                            queue.add_after(name, deletion_delay);
                        }
                    }
                    Ok(_) => {}
                    Err(e) => tracing::warn!(error = %e, "namespace watch failed"),
                }
            }
        }
    };
    let work = crate::run_workers(queue.clone(), workers, move |name: String| {
        let ctl = ctl.clone();
        let queue = queue.clone();
        async move {
            match ctl.sync(&name).await {
                Ok(()) => queue.forget(&name),
                Err(SyncError::Remaining(estimate)) => {
                    let wait = estimate / 2 + 1;
                    tracing::debug!(namespace = %name, wait_seconds = wait, "content remaining in namespace");
                    queue.add_after(name, Duration::from_secs(wait.max(1) as u64));
                }
                Err(SyncError::Failed(e)) => {
                    tracing::warn!(namespace = %name, error = %e, "deletion of namespace failed");
                    queue.add_rate_limited(name);
                }
            }
        }
    });
    tokio::join!(watch, work);
}

fn failed(e: kube::Error) -> SyncError {
    SyncError::Failed(errors::message(&e))
}

impl Controller {
    fn api(&self) -> Api<Namespace> {
        Api::all(self.client.clone())
    }

    async fn sync(&self, name: &str) -> Result<(), SyncError> {
        let ns = match self.api().get(name).await {
            Ok(ns) => ns,
            Err(e) if errors::is_not_found(&e) => return Ok(()),
            Err(e) => return Err(failed(e)),
        };
        if ns.metadata.deletion_timestamp.is_none() {
            return Ok(());
        }
        let ns = match self.ensure_terminating(ns).await {
            Ok(ns) => ns,
            Err(e) if errors::is_not_found(&e) => return Ok(()),
            Err(e) => return Err(failed(e)),
        };
        if finalizers(&ns).is_empty() {
            return Ok(());
        }
        let estimate = self.delete_all_content(ns.clone()).await?;
        tracing::debug!(namespace = name, estimate, "deleted namespace content");
        if estimate > 0 {
            return Err(SyncError::Remaining(estimate));
        }
        match self.finalize(ns).await {
            Ok(()) => Ok(()),
            Err(e) if errors::is_not_found(&e) => Ok(()),
            Err(e) => Err(failed(e)),
        }
    }

    /// Sets the phase to Terminating if the API server has not already.
    async fn ensure_terminating(&self, mut ns: Namespace) -> Result<Namespace, kube::Error> {
        loop {
            let phase = ns.status.as_ref().and_then(|s| s.phase.as_deref());
            if phase == Some("Terminating") {
                return Ok(ns);
            }
            let name = ns.metadata.name.clone().unwrap_or_default();
            let mut updated = ns.clone();
            updated.status.get_or_insert_with(Default::default).phase = Some("Terminating".into());
            match self
                .api()
                .replace_status(&name, &PostParams::default(), &updated)
                .await
            {
                Ok(ns) => return Ok(ns),
                Err(e) if errors::is_conflict(&e) => ns = self.refetch(&ns).await?,
                Err(e) => return Err(e),
            }
        }
    }

    /// The namespace again after a conflict; an error if it was replaced by another one.
    async fn refetch(&self, old: &Namespace) -> Result<Namespace, kube::Error> {
        let latest = self
            .api()
            .get(old.metadata.name.as_deref().unwrap_or_default())
            .await?;
        if latest.metadata.uid != old.metadata.uid {
            return Err(kube::Error::Service(
                "namespace uid has changed across retries".into(),
            ));
        }
        Ok(latest)
    }

    /// Removes this controller's token from spec.finalizers.
    async fn finalize(&self, mut ns: Namespace) -> Result<(), kube::Error> {
        loop {
            let name = ns.metadata.name.clone().unwrap_or_default();
            let mut rest: Vec<String> = finalizers(&ns)
                .into_iter()
                .filter(|f| f != FINALIZER)
                .collect();
            rest.sort();
            rest.dedup();
            let mut updated = ns.clone();
            updated.spec.get_or_insert_with(Default::default).finalizers = Some(rest);
            match self
                .api()
                .replace_subresource("finalize", &name, &PostParams::default(), &updated)
                .await
            {
                Ok(_) => {
                    tracing::info!(namespace = %name, "namespace finalized");
                    return Ok(());
                }
                Err(e) if errors::is_conflict(&e) => ns = self.refetch(&ns).await?,
                Err(e) => return Err(e),
            }
        }
    }

    /// Deletes everything in the namespace; returns seconds to wait if something is still going.
    async fn delete_all_content(&self, mut ns: Namespace) -> Result<i64, SyncError> {
        let name = ns.metadata.name.clone().unwrap_or_default();
        let deleted_at = ns
            .metadata
            .deletion_timestamp
            .clone()
            .unwrap_or(Time(k8s_openapi::jiff::Timestamp::now()));
        let mut updater = ConditionUpdater::default();
        let mut errs: Vec<String> = Vec::new();
        let found = match discovery::discover(&self.client).await {
            Ok(d) => d,
            Err(e) => {
                let msg = errors::message(&e);
                updater.discovery_failed(None, &msg);
                errs.push(msg);
                Default::default()
            }
        };
        if let Some(msg) = found.failure_message() {
            updater.discovery_failed(Some(found.failed.len()), &msg);
            errs.push(msg);
        }
        let deleter = ContentDeleter {
            client: &self.client,
            ops: &self.ops,
            namespace: &name,
            deleted_at: &deleted_at,
        };
        let mut estimate = 0;
        let mut by_resource: BTreeMap<GroupVersionResource, usize> = BTreeMap::new();
        let mut by_finalizer: BTreeMap<String, usize> = BTreeMap::new();
        for res in found
            .preferred
            .iter()
            .filter(|r| r.namespaced && r.verbs.contains("delete"))
        {
            let left = match deleter.delete_all(res).await {
                Ok(left) => left,
                Err((left, e)) => {
                    updater.delete_content_failed(e.clone());
                    errs.push(e);
                    left
                }
            };
            estimate = estimate.max(left.estimate);
            if left.count > 0 {
                by_resource.insert(res.gvr.clone(), left.count);
                for (f, n) in left.by_finalizer {
                    *by_finalizer.entry(f).or_insert(0) += n;
                }
            }
        }
        updater.content_totals(&by_resource, &by_finalizer);
        let status = ns.status.get_or_insert_with(Default::default);
        if updater.update(status, Time(k8s_openapi::jiff::Timestamp::now()))
            && let Err(e) = self
                .api()
                .replace_status(&name, &PostParams::default(), &ns)
                .await
        {
            tracing::warn!(namespace = %name, error = %errors::message(&e), "couldn't update status condition for namespace");
        }
        match errs.len() {
            0 => Ok(estimate),
            1 => Err(SyncError::Failed(errs.remove(0))),
            _ => Err(SyncError::Failed(format!("[{}]", errs.join(", ")))),
        }
    }
}

fn finalizers(ns: &Namespace) -> Vec<String> {
    ns.spec
        .as_ref()
        .and_then(|s| s.finalizers.clone())
        .unwrap_or_default()
}
