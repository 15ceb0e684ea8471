//! One metadata-only watch per deletable resource type, started and stopped as discovery
//! changes, feeding the graph.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;
use std::time::Duration;

use futures::StreamExt;
use k8s_openapi::apiextensions_apiserver::pkg::apis::apiextensions::v1::CustomResourceDefinition;
use kube::Client;
use kube::api::{Api, DynamicObject, PartialObjectMeta};
use kube::runtime::WatchStreamExt;
use kube::runtime::watcher::{self, Event};
use tokio::sync::{Notify, mpsc};
use tokio::task::{AbortHandle, JoinSet};

use super::graph::GraphEvent;
use super::model::{Identity, Observed, Uid};
use super::{Gc, IGNORED_RESOURCES};
use crate::discovery::{self, DiscoveredResource, Discovery, GroupVersionResource};

/// The resources to watch: preferred versions that can be listed, watched and deleted.
pub fn monitored(d: &Discovery) -> BTreeMap<GroupVersionResource, DiscoveredResource> {
    d.with_verbs(&["delete", "list", "watch"])
        .filter(|r| {
            !IGNORED_RESOURCES
                .iter()
                .any(|(g, res)| r.gvr.group == *g && r.gvr.resource == *res)
        })
        .map(|r| (r.gvr.clone(), r.clone()))
        .collect()
}

/// Which running monitors to stop: those no longer discovered, except ones whose group version
/// merely failed discovery this time.
pub fn to_stop<'a>(
    running: impl Iterator<Item = &'a GroupVersionResource>,
    wanted: &BTreeMap<GroupVersionResource, DiscoveredResource>,
    d: &Discovery,
) -> Vec<GroupVersionResource> {
    running
        .filter(|gvr| {
            !wanted.contains_key(*gvr)
                && !d
                    .failed
                    .contains_key(&discovery::api_version(&gvr.group, &gvr.version))
        })
        .cloned()
        .collect()
}

pub(super) async fn sync_monitors(gc: Arc<Gc>, period: Duration) {
    // Dropping the set (when the collector stops) aborts every watch.
    let mut tasks: JoinSet<()> = JoinSet::new();
    let mut running: HashMap<GroupVersionResource, AbortHandle> = HashMap::new();
    let crds_changed = watch_crds(gc.client.clone());
    loop {
        match discovery::discover(&gc.client).await {
            Ok(d) => {
                if let Some(msg) = d.failure_message() {
                    tracing::warn!(error = %msg, "failed to discover some groups");
                }
                let wanted = monitored(&d);
                if wanted.is_empty() {
                    tracing::warn!(
                        "no resources reported by discovery, skipping garbage collector sync"
                    );
                } else {
                    if let Ok(mut current) = gc.discovery.write() {
                        *current = Arc::new(d.clone());
                    }
                    for gvr in to_stop(running.keys(), &wanted, &d) {
                        if let Some(handle) = running.remove(&gvr) {
                            tracing::info!(resource = %gvr, "stopping garbage collector monitor");
                            handle.abort();
                        }
                    }
                    for (gvr, res) in wanted {
                        if running.contains_key(&gvr) {
                            continue;
                        }
                        tracing::debug!(resource = %gvr, "starting garbage collector monitor");
                        let handle =
                            tasks.spawn(monitor(gc.client.clone(), res, gc.events.clone()));
                        running.insert(gvr, handle);
                    }
                }
            }
            Err(e) => {
                tracing::warn!(error = %crate::errors::message(&e), "garbage collector discovery failed")
            }
        }
        while tasks.try_join_next().is_some() {}
        // Rediscover on the period, and as soon as a CRD changes, so custom resources created
        // right after their definition are collected too.
        tokio::select! {
            _ = tokio::time::sleep(period) => {}
            _ = crds_changed.notified() => {}
        }
    }
}

/// Signals every change of a CustomResourceDefinition (after the initial listing).
fn watch_crds(client: Client) -> Arc<Notify> {
    let notify = Arc::new(Notify::new());
    let signal = notify.clone();
    tokio::spawn(async move {
        let api: Api<PartialObjectMeta<CustomResourceDefinition>> = Api::all(client);
        let mut stream = watcher::watcher(api, watcher::Config::default())
            .default_backoff()
            .boxed();
        let mut initialised = false;
        while let Some(ev) = stream.next().await {
            match ev {
                Ok(Event::InitDone) => initialised = true,
                Ok(Event::Apply(_) | Event::Delete(_)) if initialised => signal.notify_one(),
                _ => {}
            }
        }
    });
    notify
}

/// Watches one resource type. After each (re)list, objects that were known but not listed
/// again are reported deleted, since their delete events were missed.
async fn monitor(
    client: Client,
    res: DiscoveredResource,
    events: mpsc::UnboundedSender<GraphEvent>,
) {
    let api: Api<PartialObjectMeta<DynamicObject>> = Api::all_with(client, &res.api_resource());
    let api_version = res.api_version();
    let mut known: HashMap<Uid, Identity> = HashMap::new();
    let mut listed: Option<HashMap<Uid, Identity>> = None;
    let mut stream = watcher::watcher(api, watcher::Config::default())
        .default_backoff()
        .boxed();
    let observe = |obj: &PartialObjectMeta<DynamicObject>| {
        Observed::from_meta(&api_version, &res.kind, &obj.metadata)
    };
    while let Some(ev) = stream.next().await {
        match ev {
            Ok(Event::Init) => listed = Some(HashMap::new()),
            Ok(Event::InitApply(obj)) => {
                if let Some(o) = observe(&obj) {
                    if let Some(l) = listed.as_mut() {
                        l.insert(o.identity.uid.clone(), o.identity.clone());
                    }
                    let _ = events.send(GraphEvent::Upsert(o));
                }
            }
            Ok(Event::InitDone) => {
                let now = listed.take().unwrap_or_default();
                for (uid, id) in &known {
                    if !now.contains_key(uid) {
                        let _ = events.send(GraphEvent::Delete(id.clone()));
                    }
                }
                known = now;
            }
            Ok(Event::Apply(obj)) => {
                if let Some(o) = observe(&obj) {
                    known.insert(o.identity.uid.clone(), o.identity.clone());
                    let _ = events.send(GraphEvent::Upsert(o));
                }
            }
            Ok(Event::Delete(obj)) => {
                if let Some(o) = observe(&obj) {
                    known.remove(&o.identity.uid);
                    let _ = events.send(GraphEvent::Delete(o.identity));
                }
            }
            Err(e) => {
                tracing::debug!(resource = %res.gvr, error = %e, "garbage collector watch failed")
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeSet;

    fn res(group: &str, version: &str, name: &str, verbs: &[&str]) -> DiscoveredResource {
        DiscoveredResource {
            gvr: GroupVersionResource::new(group, version, name),
            kind: "K".into(),
            namespaced: true,
            verbs: verbs.iter().map(|v| v.to_string()).collect::<BTreeSet<_>>(),
        }
    }

    #[test]
    fn monitors_deletable_watchable_resources_except_events() {
        let all = ["delete", "list", "watch"];
        let d = Discovery {
            preferred: vec![
                res("", "v1", "configmaps", &all),
                res("", "v1", "events", &all),
                res("events.k8s.io", "v1", "events", &all),
                res("", "v1", "bindings", &["create"]),
                res("x.io", "v1", "things", &["delete", "list"]),
            ],
            ..Default::default()
        };
        let names: Vec<String> = monitored(&d).keys().map(|g| g.resource.clone()).collect();
        assert_eq!(names, vec!["configmaps"]);
    }

    #[test]
    fn keeps_monitors_of_groups_that_failed_discovery() {
        let all = ["delete", "list", "watch"];
        let mut d = Discovery {
            preferred: vec![res("", "v1", "configmaps", &all)],
            ..Default::default()
        };
        d.failed.insert("x.io/v1".into(), "boom".into());
        let wanted = monitored(&d);
        let running = [
            GroupVersionResource::new("", "v1", "configmaps"),
            GroupVersionResource::new("x.io", "v1", "things"),
            GroupVersionResource::new("y.io", "v1", "gone"),
        ];
        assert_eq!(
            to_stop(running.iter(), &wanted, &d),
            vec![GroupVersionResource::new("y.io", "v1", "gone")]
        );
    }
}
