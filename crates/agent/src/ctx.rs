//! What every part of a running agent shares.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use k8s_openapi::api::core::v1::{Event, ObjectReference, Pod};
use kube::api::{Api, PostParams};
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
        let api: Api<Event> = Api::namespaced(self.client.clone(), &ns);
        tokio::spawn(async move {
            let _permit = permit;
            if let Err(e) = api.create(&PostParams::default(), &event).await {
                tracing::debug!(error = %e, "cannot record event");
            }
        });
    }
}

/// Concurrent sandbox/container starts for a node with `cpus` CPUs.
pub fn start_slots(cpus: i64) -> usize {
    (cpus.max(1) as usize * 2).clamp(2, 16)
}
