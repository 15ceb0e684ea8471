//! What every part of a running agent shares.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use k8s_openapi::api::core::v1::{Event, ObjectReference, Pod};
use kube::api::{Api, Patch, PatchParams, PostParams};
use parking_lot::Mutex;
use tokio::sync::Semaphore;

use crate::backoff::Backoff;
use crate::cri::Cri;
use crate::image::ImageManager;
use crate::metrics::Metrics;
use crate::pleg::PodCache;

pub struct Ctx {
    pub node_name: String,
    pub node_ip: String,
    pub hostname: String,
    pub agent_dir: PathBuf,
    pub pods_dir: PathBuf,
    pub logs_dir: PathBuf,
    pub client: kube::Client,
    pub cri: Cri,
    pub images: ImageManager,
    pub metrics: Arc<Metrics>,
    pub cache: Arc<PodCache>,
    /// Container restart back-off, keyed `uid_container`.
    pub backoff: Mutex<Backoff>,
    pub memory_capacity: i64,
    pub cpu_capacity: i64,
    pub may_lower_oom: bool,
    pub cluster_dns: Vec<String>,
    pub cluster_domain: String,
    /// The CNI config is in place (pods other than host-network ones can start).
    pub network_ready: AtomicBool,
    /// The pods this agent runs (for `/pods`), by uid.
    pub pods: Mutex<HashMap<String, Arc<Pod>>>,
    events: Arc<Semaphore>,
    /// Recent events by what makes them the same, so repeats raise a count (as client-go's
    /// event correlator does) instead of piling up objects.
    recent_events: Arc<Mutex<EventCorrelator>>,
    /// Bounds how many sandboxes and containers start at once (FIFO): on a small node a burst of
    /// pods then starts in order instead of every pod finishing at the end of the burst.
    pub start_slots: Semaphore,
}

pub struct CtxParts {
    pub node_name: String,
    pub node_ip: String,
    pub hostname: String,
    pub agent_dir: PathBuf,
    pub client: kube::Client,
    pub cri: Cri,
    pub metrics: Arc<Metrics>,
    pub cache: Arc<PodCache>,
    pub memory_capacity: i64,
    pub cpu_capacity: i64,
    pub cluster_dns: Vec<String>,
    pub cluster_domain: String,
}

impl Ctx {
    pub fn new(p: CtxParts) -> Ctx {
        Ctx {
            pods_dir: p.agent_dir.join("pods"),
            logs_dir: p.agent_dir.join("logs").join("pods"),
            images: ImageManager::new(p.cri.clone()),
            backoff: Mutex::new(Backoff::default()),
            may_lower_oom: crate::resources::has_cap_sys_resource(),
            network_ready: AtomicBool::new(false),
            pods: Mutex::new(HashMap::new()),
            events: Arc::new(Semaphore::new(8)),
            recent_events: Default::default(),
            start_slots: Semaphore::new(start_slots(p.cpu_capacity)),
            node_name: p.node_name,
            node_ip: p.node_ip,
            hostname: p.hostname,
            agent_dir: p.agent_dir,
            client: p.client,
            cri: p.cri,
            metrics: p.metrics,
            cache: p.cache,
            memory_capacity: p.memory_capacity,
            cpu_capacity: p.cpu_capacity,
            cluster_dns: p.cluster_dns,
            cluster_domain: p.cluster_domain,
        }
    }

    pub fn network_ready(&self) -> bool {
        self.network_ready.load(Ordering::Relaxed)
    }

    /// Records a core/v1 Event about `pod` in the background (dropped when too many are in
    /// flight: events are best effort).
    pub fn event(
        &self,
        pod: &Pod,
        kind: &str,
        reason: &str,
        message: String,
        field: Option<String>,
    ) {
        let Ok(permit) = self.events.clone().try_acquire_owned() else {
            return;
        };
        let ns = pod
            .metadata
            .namespace
            .clone()
            .unwrap_or_else(|| "default".into());
        let name = pod.metadata.name.clone().unwrap_or_default();
        let now = chrono::Utc::now();
        let stamp = k8s_openapi::jiff::Timestamp::now();
        let event = Event {
            metadata: kube::api::ObjectMeta {
                name: Some(format!(
                    "{name}.{:x}",
                    now.timestamp_nanos_opt().unwrap_or(0)
                )),
                namespace: Some(ns.clone()),
                ..Default::default()
            },
            involved_object: ObjectReference {
                api_version: Some("v1".into()),
                kind: Some("Pod".into()),
                name: Some(name),
                namespace: Some(ns.clone()),
                uid: pod.metadata.uid.clone(),
                resource_version: pod.metadata.resource_version.clone(),
                field_path: field,
            },
            reason: Some(reason.into()),
            message: Some(message),
            type_: Some(kind.into()),
            source: Some(k8s_openapi::api::core::v1::EventSource {
                component: Some("kubelet".into()),
                host: Some(self.node_name.clone()),
            }),
            first_timestamp: Some(k8s_openapi::apimachinery::pkg::apis::meta::v1::Time(stamp)),
            last_timestamp: Some(k8s_openapi::apimachinery::pkg::apis::meta::v1::Time(stamp)),
            count: Some(1),
            reporting_component: Some("kubelet".into()),
            reporting_instance: Some(self.node_name.clone()),
            ..Default::default()
        };
        let key = format!(
            "{ns}\u{0}{}\u{0}{}\u{0}{}\u{0}{}\u{0}{}\u{0}{}",
            event.involved_object.name.as_deref().unwrap_or(""),
            event.involved_object.uid.as_deref().unwrap_or(""),
            event.involved_object.field_path.as_deref().unwrap_or(""),
            reason,
            kind,
            event.message.as_deref().unwrap_or("")
        );
        let seen = self
            .recent_events
            .lock()
            .observe(key.clone(), event.metadata.name.clone().unwrap_or_default());
        let api: Api<Event> = Api::namespaced(self.client.clone(), &ns);
        let recent = self.recent_events.clone();
        tokio::spawn(async move {
            let _permit = permit;
            if let Seen::Again { name, count } = seen {
                let patch = serde_json::json!({"count": count, "lastTimestamp": now.format("%Y-%m-%dT%H:%M:%SZ").to_string()});
                // A repeat may overtake the create of the first one: give that a moment.
                for attempt in 0..3 {
                    if api
                        .patch(&name, &PatchParams::default(), &Patch::Merge(&patch))
                        .await
                        .is_ok()
                    {
                        return;
                    }
                    tokio::time::sleep(std::time::Duration::from_millis(200 << attempt)).await;
                }
                // The first one is gone (expired or deleted): start over.
                recent.lock().forget(&key);
            }
            if let Err(e) = api.create(&PostParams::default(), &event).await {
                tracing::debug!(error = %e, "cannot record event");
            }
        });
    }
}

/// Whether an event was recorded before (then it is counted on the existing object).
#[derive(Debug, PartialEq, Eq)]
pub enum Seen {
    First,
    Again { name: String, count: i32 },
}

/// Remembers recent events (at most `CAPACITY`, like client-go's cache of 4,096) by their
/// identity: object, field, reason, type and message.
#[derive(Default)]
pub struct EventCorrelator {
    recent: HashMap<String, (String, i32)>,
}

impl EventCorrelator {
    const CAPACITY: usize = 4096;

    pub fn observe(&mut self, key: String, new_name: String) -> Seen {
        if let Some((name, count)) = self.recent.get_mut(&key) {
            *count += 1;
            return Seen::Again {
                name: name.clone(),
                count: *count,
            };
        }
        if self.recent.len() >= Self::CAPACITY {
            self.recent.clear();
        }
        self.recent.insert(key, (new_name, 1));
        Seen::First
    }

    pub fn forget(&mut self, key: &str) {
        self.recent.remove(key);
    }
}

/// Concurrent sandbox/container starts for a node with `cpus` CPUs.
pub fn start_slots(cpus: i64) -> usize {
    (cpus.max(1) as usize * 2).clamp(2, 16)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn repeated_events_count_on_the_first_object() {
        let mut c = EventCorrelator::default();
        assert_eq!(c.observe("k".into(), "p.1".into()), Seen::First);
        assert_eq!(
            c.observe("k".into(), "p.2".into()),
            Seen::Again {
                name: "p.1".into(),
                count: 2
            }
        );
        assert_eq!(
            c.observe("k".into(), "p.3".into()),
            Seen::Again {
                name: "p.1".into(),
                count: 3
            }
        );
        assert_eq!(c.observe("other".into(), "p.4".into()), Seen::First);
        c.forget("k");
        assert_eq!(c.observe("k".into(), "p.5".into()), Seen::First);
    }
}
