//! Carrying out the scheduler's decisions through the API: bindings (after their volume work),
//! PodScheduled conditions, nominations, preemption victims, and events. Each runs as its own
//! task so the scheduling loop never waits on the network.

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use capstan_scheduler::{
    BindDecision, EventSpec, PreemptDecision, UnschedulableDecision, scheduled_event,
};
use k8s_openapi::api::core::v1::{PersistentVolume, PersistentVolumeClaim, Pod};
use k8s_openapi::api::events::v1::Event;
use kube::Client;
use kube::api::{Api, DeleteParams, Patch, PatchParams, PostParams};
use serde_json::{Value, json};
use std::sync::atomic::AtomicBool;

use tokio::sync::mpsc;

use crate::informers::Input;

/// The field manager (and event reporter) name of this scheduler.
pub const MANAGER: &str = "capstan-scheduler";

fn params() -> PatchParams {
    PatchParams {
        field_manager: Some(MANAGER.into()),
        ..Default::default()
    }
}

fn now() -> String {
    chrono::Utc::now().format("%Y-%m-%dT%H:%M:%SZ").to_string()
}

fn ns_name(pod: &Pod) -> (String, String) {
    (
        pod.metadata.namespace.clone().unwrap_or_default(),
        pod.metadata.name.clone().unwrap_or_default(),
    )
}

fn message(e: &kube::Error) -> String {
    match e {
        kube::Error::Api(s) => s.message.clone(),
        other => other.to_string(),
    }
}

/// Events are best effort: a bounded queue drained by a few writers; when it is full the event
/// is dropped (and counted), as client-go's broadcaster drops them, rather than slowing
/// scheduling. An event identical to one recorded for the same pod in the last 30 minutes is not
/// written again (upstream folds such repeats into a series written every 30 minutes), so pods
/// retried for hours do not flood the API with FailedScheduling events.
#[derive(Clone)]
pub struct Recorder {
    tx: mpsc::Sender<EventSpec>,
    pub dropped: Arc<AtomicU64>,
    repeats: Arc<parking_lot::Mutex<RepeatFilter>>,
}

/// What makes two events the same: the pod (uid), the reason and the text.
type EventKey = (String, &'static str, String);

const REPEAT_WINDOW: Duration = Duration::from_secs(30 * 60);
/// Past this many remembered events, expired ones are swept (and all, if none expired).
const MAX_REMEMBERED: usize = 100_000;

/// Lets an event through unless the same one went through within the window.
#[derive(Default)]
pub struct RepeatFilter {
    recent: HashMap<EventKey, Instant>,
}

impl RepeatFilter {
    pub fn admit(&mut self, key: EventKey, now: Instant) -> bool {
        if self
            .recent
            .get(&key)
            .is_some_and(|at| now.duration_since(*at) < REPEAT_WINDOW)
        {
            return false;
        }
        if self.recent.len() >= MAX_REMEMBERED {
            self.recent
                .retain(|_, at| now.duration_since(*at) < REPEAT_WINDOW);
            if self.recent.len() >= MAX_REMEMBERED {
                self.recent.clear();
            }
        }
        self.recent.insert(key, now);
        true
    }
}

impl Recorder {
    pub fn start(client: Client, instance: String) -> Recorder {
        let (tx, rx) = mpsc::channel::<EventSpec>(1000);
        let rx = Arc::new(tokio::sync::Mutex::new(rx));
        for _ in 0..4 {
            let rx = rx.clone();
            let client = client.clone();
            let instance = instance.clone();
            tokio::spawn(async move {
                loop {
                    let Some(spec) = rx.lock().await.recv().await else {
                        return;
                    };
                    write_event(&client, &instance, &spec).await;
                }
            });
        }
        Recorder {
            tx,
            dropped: Arc::new(AtomicU64::new(0)),
            repeats: Default::default(),
        }
    }

    pub fn record(&self, spec: EventSpec) {
        // Only warnings repeat (a pod is scheduled once); keep the binding path free of it.
        if spec.type_ == "Warning" {
            let key = (
                spec.regarding.metadata.uid.clone().unwrap_or_default(),
                spec.reason,
                spec.note.clone(),
            );
            if !self.repeats.lock().admit(key, Instant::now()) {
                return;
            }
        }
        if self.tx.try_send(spec).is_err() {
            self.dropped.fetch_add(1, Ordering::Relaxed);
        }
    }
}

fn object_ref(pod: &Pod) -> Value {
    json!({
        "apiVersion": "v1", "kind": "Pod",
        "namespace": pod.metadata.namespace, "name": pod.metadata.name,
        "uid": pod.metadata.uid, "resourceVersion": pod.metadata.resource_version,
    })
}

async fn write_event(client: &Client, instance: &str, spec: &EventSpec) {
    let (namespace, name) = ns_name(&spec.regarding);
    let stamp = chrono::Utc::now();
    let mut event = json!({
        "apiVersion": "events.k8s.io/v1",
        "kind": "Event",
        "metadata": {
            "name": format!("{name}.{:x}", stamp.timestamp_nanos_opt().unwrap_or(0)),
            "namespace": namespace,
        },
        "eventTime": stamp.format("%Y-%m-%dT%H:%M:%S%.6fZ").to_string(),
        "reportingController": "default-scheduler",
        "reportingInstance": instance,
        "action": spec.action,
        "reason": spec.reason,
        "regarding": object_ref(&spec.regarding),
        "note": spec.note,
        "type": spec.type_,
    });
    if let Some(related) = &spec.related {
        event["related"] = object_ref(related);
    }
    let Ok(event) = serde_json::from_value::<Event>(event) else {
        return;
    };
    let api: Api<Event> = Api::namespaced(client.clone(), &namespace);
    if let Err(e) = api.create(&PostParams::default(), &event).await {
        tracing::debug!(error = %e, "cannot record event");
    }
}

/// Executes decisions; reports binding outcomes back to the loop.
#[derive(Clone)]
pub struct Actions {
    pub client: Client,
    pub recorder: Recorder,
    pub inputs: std::sync::mpsc::Sender<Input>,
    /// Cleared when leadership is lost: actions not yet started are dropped.
    pub active: Arc<AtomicBool>,
    /// Bounds the API calls in flight, so a burst of decisions queues here rather than as
    /// thousands of open streams and pending bodies on the connection.
    pub in_flight: Arc<tokio::sync::Semaphore>,
}

/// API calls the scheduler keeps in flight at most (kube-scheduler's default client QPS is far
/// lower; this is enough to keep the API server's write batching full).
pub const MAX_IN_FLIGHT: usize = 32;

impl Actions {
    fn pods(&self, namespace: &str) -> Api<Pod> {
        Api::namespaced(self.client.clone(), namespace)
    }

    fn active(&self) -> bool {
        self.active.load(Ordering::Relaxed)
    }

    /// PreBind volume work, then the Binding; the outcome goes back to the loop.
    pub async fn bind(&self, d: BindDecision) {
        let Ok(_permit) = self.in_flight.acquire().await else {
            return;
        };
        if !self.active() {
            return;
        }
        let (namespace, name) = ns_name(&d.pod);
        let uid = d.pod.metadata.uid.clone().unwrap_or_default();
        let result = async {
            self.bind_volumes(&d).await?;
            let binding = json!({
                "apiVersion": "v1", "kind": "Binding",
                "metadata": {"name": name, "namespace": namespace, "uid": uid},
                "target": {"apiVersion": "v1", "kind": "Node", "name": d.node},
            });
            self.pods(&namespace)
                .create_subresource::<Value, Value>(
                    "binding",
                    &name,
                    &PostParams::default(),
                    &binding,
                )
                .await
                .map_err(|e| message(&e))
        }
        .await;
        let error = match result {
            Ok(_) => {
                self.recorder.record(scheduled_event(&d.pod, &d.node));
                None
            }
            Err(e) => Some(format!("binding rejected: {e}")),
        };
        let _ = self.inputs.send(Input::Bound { uid, error });
    }

    /// What the volume binder's PreBind does: claim statically matched volumes for their
    /// claims, and ask for provisioning on the chosen node.
    async fn bind_volumes(&self, d: &BindDecision) -> Result<(), String> {
        let pvs: Api<PersistentVolume> = Api::all(self.client.clone());
        for (pv, claim) in &d.volumes.bind {
            let (namespace, name) = claim.split_once('/').unwrap_or(("", claim));
            let patch = json!({"spec": {"claimRef": {"kind": "PersistentVolumeClaim", "apiVersion": "v1", "namespace": namespace, "name": name}}});
            pvs.patch(pv, &params(), &Patch::Merge(&patch))
                .await
                .map_err(|e| format!("binding volume {pv}: {}", message(&e)))?;
        }
        for claim in &d.volumes.provision {
            let (namespace, name) = claim.split_once('/').unwrap_or(("", claim));
            let pvcs: Api<PersistentVolumeClaim> = Api::namespaced(self.client.clone(), namespace);
            let patch = json!({"metadata": {"annotations": {"volume.kubernetes.io/selected-node": d.node}}});
            pvcs.patch(name, &params(), &Patch::Merge(&patch))
                .await
                .map_err(|e| format!("provisioning claim {claim}: {}", message(&e)))?;
        }
        Ok(())
    }

    /// PodScheduled=False with the reason and message (written only when they changed), the
    /// nomination cleared if asked, and the FailedScheduling event.
    pub async fn unschedulable(&self, d: UnschedulableDecision) {
        let Ok(_permit) = self.in_flight.acquire().await else {
            return;
        };
        if !self.active() {
            return;
        }
        for e in d.events {
            self.recorder.record(e);
        }
        let nominated = d.clear_nominated_node.then_some(None);
        self.set_pod_scheduled_false(&d.pod, d.reason, &d.message, nominated)
            .await;
    }

    async fn set_pod_scheduled_false(
        &self,
        pod: &Pod,
        reason: &str,
        text: &str,
        nominated: Option<Option<&str>>,
    ) {
        let current = pod
            .status
            .as_ref()
            .and_then(|s| s.conditions.as_ref())
            .and_then(|c| c.iter().find(|c| c.type_ == "PodScheduled"));
        let unchanged = current.is_some_and(|c| {
            c.status == "False"
                && c.reason.as_deref() == Some(reason)
                && c.message.as_deref() == Some(text)
        });
        let current_nomination = pod
            .status
            .as_ref()
            .and_then(|s| s.nominated_node_name.as_deref());
        let nomination_unchanged = nominated.is_none_or(|n| n == current_nomination);
        if unchanged && nomination_unchanged {
            return;
        }
        let transition = match current {
            Some(c) if c.status == "False" => c
                .last_transition_time
                .as_ref()
                .and_then(|t| serde_json::to_value(t).ok())
                .unwrap_or_else(|| json!(now())),
            _ => json!(now()),
        };
        let mut status = json!({"conditions": [{
            "type": "PodScheduled", "status": "False", "reason": reason, "message": text,
            "lastProbeTime": null, "lastTransitionTime": transition,
        }]});
        if let Some(n) = nominated {
            status["nominatedNodeName"] = json!(n);
        }
        let (namespace, name) = ns_name(pod);
        let body = json!({"status": status});
        if let Err(e) = self
            .pods(&namespace)
            .patch_status(&name, &params(), &Patch::Strategic(&body))
            .await
        {
            tracing::debug!(pod = %format!("{namespace}/{name}"), error = %message(&e), "cannot update pod condition");
        }
    }

    /// Preemption: the preemptor is nominated to the node (and stays unschedulable until the
    /// victims go), victims get DisruptionTarget and are deleted, lower nominations are cleared.
    pub async fn preempt(&self, d: PreemptDecision) {
        if !self.active() {
            return;
        }
        for e in d.events {
            self.recorder.record(e);
        }
        // Nominate first: the space the victims free is then visibly reserved for the preemptor.
        self.set_pod_scheduled_false(
            &d.pod,
            "Unschedulable",
            &d.message,
            Some(Some(&d.nominated_node)),
        )
        .await;
        for victim in &d.victims {
            let (namespace, name) = ns_name(victim);
            let pods = self.pods(&namespace);
            let condition = json!({"status": {"conditions": [{
                "type": "DisruptionTarget", "status": "True", "reason": "PreemptionByScheduler",
                "message": d.disruption_message, "lastTransitionTime": now(),
            }]}});
            if let Err(e) = pods
                .patch_status(&name, &params(), &Patch::Strategic(&condition))
                .await
            {
                tracing::debug!(pod = %name, error = %message(&e), "cannot mark preemption victim");
            }
            let delete =
                DeleteParams {
                    preconditions: victim.metadata.uid.clone().map(|uid| {
                        kube::api::Preconditions {
                            uid: Some(uid),
                            resource_version: None,
                        }
                    }),
                    ..Default::default()
                };
            if let Err(e) = pods.delete(&name, &delete).await {
                tracing::debug!(pod = %name, error = %message(&e), "cannot delete preemption victim");
            }
        }
        for other in &d.clear_nominated {
            let (namespace, name) = ns_name(other);
            let body = json!({"status": {"nominatedNodeName": null}});
            let _ = self
                .pods(&namespace)
                .patch_status(&name, &params(), &Patch::Merge(&body))
                .await;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn repeated_events_pass_once_per_window() {
        let mut f = RepeatFilter::default();
        let t = Instant::now();
        let key = |note: &str| ("uid-1".to_owned(), "FailedScheduling", note.to_owned());
        assert!(f.admit(key("0/3 nodes are available"), t));
        assert!(!f.admit(key("0/3 nodes are available"), t + Duration::from_secs(60)));
        // A different explanation is news.
        assert!(f.admit(key("0/4 nodes are available"), t + Duration::from_secs(61)));
        assert!(f.admit(key("0/3 nodes are available"), t + REPEAT_WINDOW));
    }
}
