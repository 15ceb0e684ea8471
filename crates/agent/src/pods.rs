//! The pods bound to this node: one watch (field selector spec.nodeName=NAME), one worker per
//! pod, PLEG events routed to their workers, and the runtime leftovers of pods the API no longer
//! has removed once a complete listing is in.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::time::Duration;

use futures::StreamExt;
use k8s_openapi::api::core::v1::Pod;
use kube::api::Api;
use kube::runtime::WatchStreamExt;
use kube::runtime::watcher::{self, Event};
use parking_lot::Mutex;
use tokio::sync::{Notify, watch};

use crate::ctx::Ctx;
use crate::pleg::{self, EventSink};
use crate::worker::{self, Handle, Update};

#[derive(Default)]
pub struct Workers {
    handles: Mutex<HashMap<String, Handle>>,
}

impl EventSink for Workers {
    fn deliver(&self, event: &pleg::Event) {
        if let Some(h) = self.handles.lock().get(&event.pod_uid) {
            h.wake.notify_one();
        }
    }
}

impl Workers {
    fn update(&self, ctx: &Arc<Ctx>, self_arc: &Arc<Workers>, pod: Pod) {
        let Some(uid) = pod.metadata.uid.clone() else {
            return;
        };
        let pod = Arc::new(pod);
        ctx.pods.lock().insert(uid.clone(), pod.clone());
        let mut handles = self.handles.lock();
        if let Some(h) = handles.get(&uid) {
            // Same object seen again (a relist): nothing for the worker to do.
            let same = match &*h.update.borrow() {
                Update::Pod(p) => p.metadata.resource_version == pod.metadata.resource_version,
                Update::Removed(_) => true,
            };
            if !same {
                let _ = h.update.send(Update::Pod(pod));
            }
            return;
        }
        let (tx, rx) = watch::channel(Update::Pod(pod));
        let wake = Arc::new(Notify::new());
        handles.insert(
            uid.clone(),
            Handle {
                update: tx,
                wake: wake.clone(),
            },
        );
        drop(handles);
        let ctx = ctx.clone();
        let workers = self_arc.clone();
        tokio::spawn(async move {
            worker::run(ctx, uid.clone(), rx, wake).await;
            workers.handles.lock().remove(&uid);
        });
    }

    fn removed(&self, pod: Pod) {
        let Some(uid) = pod.metadata.uid.clone() else {
            return;
        };
        if let Some(h) = self.handles.lock().get(&uid) {
            let _ = h.update.send(Update::Removed(Arc::new(pod)));
        }
    }

    fn known(&self) -> HashSet<String> {
        self.handles.lock().keys().cloned().collect()
    }
}

/// Watches this node's pods and runs their workers, forever.
pub async fn run(ctx: Arc<Ctx>, workers: Arc<Workers>) {
    let api: Api<Pod> = Api::all(ctx.client.clone());
    let config = watcher::Config::default().fields(&format!("spec.nodeName={}", ctx.node_name));
    let mut events = watcher::watcher(api, config).default_backoff().boxed();
    let mut listing: Option<HashMap<String, Pod>> = None;
    let mut orphan_check = tokio::time::interval(Duration::from_secs(60));
    orphan_check.tick().await;
    let mut listed_once = false;
    loop {
        tokio::select! {
            event = events.next() => {
                let Some(event) = event else { return };
                match event {
                    Ok(Event::Init) => listing = Some(HashMap::new()),
                    Ok(Event::InitApply(p)) => {
                        if let (Some(l), Some(uid)) = (listing.as_mut(), p.metadata.uid.clone()) {
                            l.insert(uid, p.clone());
                        }
                        workers.update(&ctx, &workers, p);
                    }
                    Ok(Event::InitDone) => {
                        if let Some(seen) = listing.take() {
                            // Pods deleted while we were not watching.
                            let known = workers.known();
                            for uid in known.difference(&seen.keys().cloned().collect()) {
                                let pod = ctx.pods.lock().get(uid).map(|p| (**p).clone());
                                if let Some(p) = pod {
                                    workers.removed(p);
                                }
                            }
                            let keep: HashSet<String> = seen.keys().cloned().collect();
                            if !listed_once {
                                listed_once = true;
                                let ctx = ctx.clone();
                                tokio::spawn(async move { worker::remove_orphans(&ctx, &keep).await });
                            }
                        }
                    }
                    Ok(Event::Apply(p)) => workers.update(&ctx, &workers, p),
                    Ok(Event::Delete(p)) => workers.removed(p),
                    Err(e) => tracing::warn!(error = %e, "pod watch failed; retrying"),
                }
            }
            _ = orphan_check.tick() => {
                if listed_once {
                    let known = workers.known();
                    let ctx = ctx.clone();
                    tokio::spawn(async move { worker::remove_orphans(&ctx, &known).await });
                }
                ctx.images.gc();
                ctx.backoff.lock().gc(crate::now_ms());
            }
        }
    }
}
