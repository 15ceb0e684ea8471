//! `Scheduler`: cache + queue + profiles. The IO shell feeds informer
//! events in, calls [`Scheduler::schedule_one`] and executes the returned
//! [`Decision`], then reports the binding outcome back.

use std::collections::BTreeSet;
use std::sync::Arc;
use std::time::Instant;

use k8s_openapi::api::core::v1::{Node, PersistentVolume, PersistentVolumeClaim, Pod};
use k8s_openapi::api::policy::v1::PodDisruptionBudget;
use k8s_openapi::api::storage::v1::StorageClass;
use rustc_hash::FxHashMap;

use crate::cache::Cache;
use crate::config::SchedulerConfig;
use crate::framework::ERR_NO_NODES_AVAILABLE;
use crate::framework::{Ctx, CycleState, Prepared, Profile, ScheduleFailure, schedule_pod};
use crate::plugins::{PluginName, preemption, volumes};
use crate::podinfo::{PodId, PodInfo, pod_id};
use crate::queue::{ClusterEvent, SchedulingQueue};
use crate::rng::Rng;
use crate::status::{FitError, truncate_message};

pub use crate::plugins::volumes::VolumeActions;

/// An event the shell should record (core/v1 or events.k8s.io).
#[derive(Clone, Debug, PartialEq)]
pub struct EventSpec {
    pub regarding: Arc<Pod>,
    pub related: Option<Arc<Pod>>,
    /// `Normal` or `Warning`.
    pub type_: &'static str,
    pub reason: &'static str,
    pub action: &'static str,
    pub note: String,
}

/// Bind the pod to a node (it is already assumed in the cache).
#[derive(Clone, Debug)]
pub struct BindDecision {
    pub pod: Arc<Pod>,
    pub node: String,
    /// PreBind work: PV/PVC bindings and provisioning to request first.
    pub volumes: VolumeActions,
    pub evaluated_nodes: usize,
    pub feasible_nodes: usize,
}

/// The pod cannot be scheduled now: set `PodScheduled=False` with
/// `reason`/`message` and record `events`.
#[derive(Clone, Debug)]
pub struct UnschedulableDecision {
    pub pod: Arc<Pod>,
    /// `Unschedulable` or `SchedulerError`.
    pub reason: &'static str,
    pub message: String,
    /// Clear `status.nominatedNodeName` (preemption found no node).
    pub clear_nominated_node: bool,
    pub events: Vec<EventSpec>,
}

/// Preemption: nominate the node, evict the victims (setting their
/// DisruptionTarget condition first), clear lower nominations, and mark
/// the pod unschedulable for this attempt.
#[derive(Clone, Debug)]
pub struct PreemptDecision {
    pub pod: Arc<Pod>,
    pub nominated_node: String,
    pub victims: Vec<Arc<Pod>>,
    pub clear_nominated: Vec<Arc<Pod>>,
    /// `PodScheduled=False` message for the preemptor.
    pub message: String,
    /// Message of the victims' `DisruptionTarget` condition.
    pub disruption_message: String,
    pub events: Vec<EventSpec>,
}

/// What one scheduling cycle decided.
#[derive(Clone, Debug)]
pub enum Decision {
    Bind(BindDecision),
    Unschedulable(UnschedulableDecision),
    Preempt(PreemptDecision),
}

struct Binding {
    info: Arc<PodInfo>,
    attempts: u32,
    volumes: VolumeActions,
}

/// The scheduler without IO.
pub struct Scheduler {
    pub cache: Cache,
    pub queue: SchedulingQueue,
    profiles: Vec<Profile>,
    percentage_of_nodes_to_score: i32,
    next_start: usize,
    rng: Rng,
    binding: FxHashMap<PodId, Binding>,
}

fn is_terminal(pod: &Pod) -> bool {
    matches!(
        pod.status.as_ref().and_then(|s| s.phase.as_deref()),
        Some("Succeeded") | Some("Failed")
    )
}

fn is_assigned(pod: &Pod) -> bool {
    pod.spec
        .as_ref()
        .and_then(|s| s.node_name.as_deref())
        .is_some_and(|n| !n.is_empty())
}

/// The `Scheduled` event to record after a successful binding.
pub fn scheduled_event(pod: &Arc<Pod>, node: &str) -> EventSpec {
    EventSpec {
        regarding: pod.clone(),
        related: None,
        type_: "Normal",
        reason: "Scheduled",
        action: "Binding",
        note: format!(
            "Successfully assigned {}/{} to {node}",
            pod.metadata.namespace.as_deref().unwrap_or(""),
            pod.metadata.name.as_deref().unwrap_or("")
        ),
    }
}

fn failed_scheduling(pod: &Arc<Pod>, message: &str) -> EventSpec {
    EventSpec {
        regarding: pod.clone(),
        related: None,
        type_: "Warning",
        reason: "FailedScheduling",
        action: "Scheduling",
        note: truncate_message(message),
    }
}

impl Scheduler {
    pub fn new(config: SchedulerConfig) -> Scheduler {
        Scheduler {
            cache: Cache::new(),
            queue: SchedulingQueue::new(config.queue),
            profiles: config.profiles,
            percentage_of_nodes_to_score: config.percentage_of_nodes_to_score,
            next_start: 0,
            rng: Rng::new(config.seed),
            binding: FxHashMap::default(),
        }
    }

    pub fn profiles(&self) -> &[Profile] {
        &self.profiles
    }

    /// Whether a profile handles pods with this `schedulerName`.
    pub fn responsible_for(&self, pod: &Pod) -> bool {
        let name = pod
            .spec
            .as_ref()
            .and_then(|s| s.scheduler_name.as_deref())
            .unwrap_or(crate::DEFAULT_SCHEDULER_NAME);
        self.profiles.iter().any(|p| p.scheduler_name == name)
    }

    // ----- informer input -----

    /// Informer input takes pods (and nodes) as `Arc`s so a caller keeping the last version of
    /// each object shares it with the cache instead of holding a second copy.
    pub fn on_pod_add(&mut self, pod: impl Into<Arc<Pod>>, now: Instant) {
        let pod: Arc<Pod> = pod.into();
        if is_terminal(&pod) {
            return;
        }
        if is_assigned(&pod) {
            let id = pod_id(&pod);
            self.queue.delete(&id);
            self.binding.remove(&id);
            self.cache.upsert_pod(pod.clone());
            self.queue
                .on_event(&ClusterEvent::AssignedPodAdd(&pod), now);
        } else if self.responsible_for(&pod) && !self.cache.is_assumed(&pod_id(&pod)) {
            self.queue.add(Arc::new(PodInfo::from_arc(pod)), now);
        }
    }

    pub fn on_pod_update(&mut self, old: &Pod, new: impl Into<Arc<Pod>>, now: Instant) {
        let new: Arc<Pod> = new.into();
        if is_terminal(&new) {
            self.on_pod_delete(old, now);
            return;
        }
        let id = pod_id(&new);
        if is_assigned(&new) {
            self.queue.delete(&id);
            self.binding.remove(&id);
            let was_placed = self.cache.contains_pod(&id) && !self.cache.is_assumed(&id);
            self.cache.upsert_pod(new.clone());
            let event = if was_placed && is_assigned(old) {
                ClusterEvent::AssignedPodUpdate { old, new: &new }
            } else {
                ClusterEvent::AssignedPodAdd(&new)
            };
            self.queue.on_event(&event, now);
        } else if self.cache.is_assumed(&id) {
            // Binding in flight; the bound update will follow.
        } else if self.responsible_for(&new) {
            self.queue.update(Arc::new(PodInfo::from_arc(new)), now);
        }
    }

    pub fn on_pod_delete(&mut self, pod: &Pod, now: Instant) {
        let id = pod_id(pod);
        self.queue.delete(&id);
        if self.cache.contains_pod(&id) {
            self.binding.remove(&id);
            self.cache.remove_pod_by_id(&id);
            self.queue
                .on_event(&ClusterEvent::AssignedPodDelete(pod), now);
        }
    }

    pub fn on_node_add(&mut self, node: impl Into<Arc<Node>>, now: Instant) {
        let node: Arc<Node> = node.into();
        self.queue.on_event(&ClusterEvent::NodeAdd(&node), now);
        self.cache.upsert_node(node);
    }

    pub fn on_node_update(&mut self, old: &Node, new: impl Into<Arc<Node>>, now: Instant) {
        let new: Arc<Node> = new.into();
        self.queue
            .on_event(&ClusterEvent::NodeUpdate { old, new: &new }, now);
        self.cache.upsert_node(new);
    }

    pub fn on_node_delete(&mut self, node: &Node, now: Instant) {
        self.cache
            .remove_node(node.metadata.name.as_deref().unwrap_or(""));
        self.queue.on_event(&ClusterEvent::NodeDelete(node), now);
    }

    pub fn on_namespace(
        &mut self,
        name: &str,
        labels: std::collections::BTreeMap<String, String>,
        now: Instant,
    ) {
        self.cache.upsert_namespace(name, labels);
        self.queue.on_event(&ClusterEvent::NamespaceChange, now);
    }

    pub fn on_namespace_delete(&mut self, name: &str) {
        self.cache.remove_namespace(name);
    }

    pub fn on_pvc(&mut self, pvc: PersistentVolumeClaim, now: Instant) {
        self.cache.objects.upsert_pvc(pvc);
        self.queue
            .on_event(&ClusterEvent::PersistentVolumeClaimChange, now);
    }

    pub fn on_pvc_delete(&mut self, namespace: &str, name: &str) {
        self.cache.objects.remove_pvc(namespace, name);
    }

    pub fn on_pv(&mut self, pv: PersistentVolume, now: Instant) {
        self.cache.objects.upsert_pv(pv);
        self.queue
            .on_event(&ClusterEvent::PersistentVolumeChange, now);
    }

    pub fn on_pv_delete(&mut self, name: &str) {
        self.cache.objects.remove_pv(name);
    }

    pub fn on_storage_class(&mut self, class: StorageClass, now: Instant) {
        self.cache.objects.upsert_storage_class(class);
        self.queue.on_event(&ClusterEvent::StorageClassChange, now);
    }

    pub fn on_storage_class_delete(&mut self, name: &str) {
        self.cache.objects.remove_storage_class(name);
    }

    pub fn on_pdb(&mut self, pdb: PodDisruptionBudget) {
        self.cache.objects.upsert_pdb(pdb);
    }

    pub fn on_pdb_delete(&mut self, namespace: &str, name: &str) {
        self.cache.objects.remove_pdb(namespace, name);
    }

    // ----- binding outcome -----

    /// The Binding was accepted; the bound pod's informer update confirms it.
    pub fn binding_succeeded(&mut self, id: &PodId) {
        self.binding.remove(id);
    }

    /// The Binding failed: forget the assumption, free other pods that may
    /// fit now, and retry the pod after its backoff.
    pub fn binding_failed(&mut self, id: &PodId, error: &str, now: Instant) -> Option<Decision> {
        let b = self.binding.remove(id)?;
        for (pv, _) in &b.volumes.bind {
            self.cache.objects.assumed_pv_claims.remove(pv);
        }
        let _ = self.cache.forget_pod(id);
        self.queue
            .on_event(&ClusterEvent::AssignedPodDelete(&b.info.pod), now);
        let pod = b.info.pod.clone();
        self.queue
            .requeue_after_bind_failure(b.info, b.attempts, now);
        Some(Decision::Unschedulable(UnschedulableDecision {
            events: vec![failed_scheduling(&pod, error)],
            pod,
            reason: "SchedulerError",
            message: error.to_string(),
            clear_nominated_node: false,
        }))
    }

    /// When a backing-off pod becomes ready, if none is ready now.
    pub fn next_wakeup(&self) -> Option<Instant> {
        self.queue.next_backoff_expiry()
    }

    // ----- the cycle -----

    /// Pops the next pod and decides for it. `None` when no pod is ready.
    pub fn schedule_one(&mut self, now: Instant) -> Option<Decision> {
        loop {
            let queued = self.queue.pop(now)?;
            let info = queued.info.clone();
            let Some(profile_idx) = self
                .profiles
                .iter()
                .position(|p| p.scheduler_name == info.scheduler_name)
            else {
                self.queue.done(&info.id);
                continue;
            };
            if info.terminating
                || self.cache.is_assumed(&info.id)
                || self.cache.contains_pod(&info.id)
            {
                self.queue.done(&info.id);
                continue;
            }
            return Some(self.schedule_queued(info, queued.attempts, profile_idx, now));
        }
    }

    fn schedule_queued(
        &mut self,
        info: Arc<PodInfo>,
        attempts: u32,
        profile_idx: usize,
        now: Instant,
    ) -> Decision {
        self.cache.refresh_order();
        self.cache.next_cycle();
        let profile = &self.profiles[profile_idx];
        let prepared = Prepared::new(&mut self.cache, &info, profile);
        let cache = &self.cache;
        let ctx = Ctx {
            cache,
            pod: &info,
            profile,
            prepared: &prepared,
        };
        let mut state = CycleState::default();
        let result = schedule_pod(
            &ctx,
            &mut state,
            &self.queue.nominator,
            &mut self.next_start,
            self.percentage_of_nodes_to_score,
            &mut self.rng,
        );
        match result {
            Ok(r) => {
                let node = cache.node(r.slot);
                let node_name = node.name.to_string();
                let volumes = match &state.binding {
                    Some(b) if profile.reserve.contains(&PluginName::VolumeBinding) => {
                        volumes::plan_volumes(cache, b, node).unwrap_or_default()
                    }
                    _ => VolumeActions::default(),
                };
                for (pv, claim) in &volumes.bind {
                    self.cache
                        .objects
                        .assumed_pv_claims
                        .insert(pv.clone(), claim.clone());
                }
                if let Err(e) = self.cache.assume_pod(info.clone(), &node_name) {
                    self.queue.add_unschedulable(&info.id, BTreeSet::new(), now);
                    return self.error_decision(&info, &e.0);
                }
                self.queue.done(&info.id);
                self.binding.insert(
                    info.id.clone(),
                    Binding {
                        info: info.clone(),
                        attempts,
                        volumes: volumes.clone(),
                    },
                );
                Decision::Bind(BindDecision {
                    pod: info.pod.clone(),
                    node: node_name,
                    volumes,
                    evaluated_nodes: r.evaluated_nodes,
                    feasible_nodes: r.feasible_nodes,
                })
            }
            Err(ScheduleFailure::Error(msg)) => {
                self.queue.add_unschedulable(&info.id, BTreeSet::new(), now);
                self.error_decision(&info, &msg)
            }
            Err(ScheduleFailure::NoNodes) => {
                self.queue.add_unschedulable(&info.id, BTreeSet::new(), now);
                let pod = info.pod.clone();
                Decision::Unschedulable(UnschedulableDecision {
                    events: vec![failed_scheduling(&pod, ERR_NO_NODES_AVAILABLE)],
                    pod,
                    reason: "Unschedulable",
                    message: ERR_NO_NODES_AVAILABLE.to_string(),
                    clear_nominated_node: false,
                })
            }
            Err(ScheduleFailure::Fit(mut fit)) => {
                let mut preemption = None;
                let mut clear_nominated_node = false;
                if profile.post_filter.contains(&PluginName::DefaultPreemption) {
                    match preemption::post_filter(
                        &ctx,
                        &state,
                        &fit.diagnosis.node_to_status,
                        &self.queue.nominator,
                        &mut self.rng,
                    ) {
                        Ok(p) => preemption = Some(p),
                        Err(msg) => {
                            clear_nominated_node = info.nominated_node.is_some()
                                && !msg.starts_with("preemption: not eligible");
                            fit.diagnosis.post_filter_msg = msg;
                        }
                    }
                }
                self.finish_fit_error(&info, *fit, preemption, clear_nominated_node, now)
            }
        }
    }

    fn error_decision(&self, info: &Arc<PodInfo>, msg: &str) -> Decision {
        let pod = info.pod.clone();
        Decision::Unschedulable(UnschedulableDecision {
            events: vec![failed_scheduling(&pod, msg)],
            pod,
            reason: "SchedulerError",
            message: msg.to_string(),
            clear_nominated_node: false,
        })
    }

    fn finish_fit_error(
        &mut self,
        info: &Arc<PodInfo>,
        fit: FitError,
        preemption: Option<preemption::Preemption>,
        clear_nominated_node: bool,
        now: Instant,
    ) -> Decision {
        let message = fit.message();
        let plugins = fit.diagnosis.unschedulable_plugins.clone();
        let pod = info.pod.clone();
        let mut events = vec![failed_scheduling(&pod, &message)];
        match preemption {
            Some(p) => {
                self.queue.add_unschedulable(&info.id, plugins, now);
                self.queue.nominator.add(info.clone(), &p.node);
                for c in &p.clear_nominations {
                    self.queue.nominator.remove(&c.id);
                }
                let uid = info.pod.metadata.uid.clone().unwrap_or_default();
                for v in &p.victims {
                    events.push(EventSpec {
                        regarding: v.pod.clone(),
                        related: Some(pod.clone()),
                        type_: "Normal",
                        reason: "Preempted",
                        action: "Preempting",
                        note: format!("Preempted by pod {uid} on node {}", p.node),
                    });
                }
                Decision::Preempt(PreemptDecision {
                    pod,
                    nominated_node: p.node,
                    victims: p.victims.iter().map(|v| v.pod.clone()).collect(),
                    clear_nominated: p.clear_nominations.iter().map(|c| c.pod.clone()).collect(),
                    message,
                    disruption_message: format!(
                        "{}: preempting to accommodate a higher priority pod",
                        info.scheduler_name
                    ),
                    events,
                })
            }
            None => {
                self.queue.add_unschedulable(&info.id, plugins, now);
                if clear_nominated_node {
                    self.queue.nominator.remove(&info.id);
                }
                Decision::Unschedulable(UnschedulableDecision {
                    pod,
                    reason: "Unschedulable",
                    message,
                    clear_nominated_node,
                    events,
                })
            }
        }
    }
}

#[cfg(test)]
mod tests;
