//! The scheduling queue (upstream `PriorityQueue`): activeQ ordered by
//! priority then time, backoffQ by backoff expiry, and unschedulable pods
//! parked until an event that could help them or a periodic flush.

pub mod events;

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;
use std::time::{Duration, Instant};

use rustc_hash::FxHashMap;

use crate::framework::Nominator;
use crate::plugins::PluginName;
use crate::podinfo::{PodId, PodInfo};

pub use events::{ClusterEvent, EventView, plugin_hint};

/// Queue timing (upstream defaults: 1 s initial, 10 s max backoff, 5 min
/// in unschedulablePods before a forced retry).
#[derive(Clone, Debug)]
pub struct QueueConfig {
    pub initial_backoff: Duration,
    pub max_backoff: Duration,
    pub max_in_unschedulable: Duration,
    /// Pop a backing-off pod when activeQ is empty (SchedulerPopFromBackoffQ).
    pub pop_from_backoff: bool,
}

impl Default for QueueConfig {
    fn default() -> Self {
        QueueConfig {
            initial_backoff: Duration::from_secs(1),
            max_backoff: Duration::from_secs(10),
            max_in_unschedulable: Duration::from_secs(300),
            pop_from_backoff: true,
        }
    }
}

/// A pod waiting in the queue.
#[derive(Clone, Debug)]
pub struct QueuedPod {
    pub info: Arc<PodInfo>,
    /// When it was last added to the queue (QueueSort tie-break).
    pub timestamp: Instant,
    /// When it was first added.
    pub initial_attempt: Instant,
    pub attempts: u32,
    /// Plugins that rejected it in the last attempt.
    pub unschedulable_plugins: BTreeSet<PluginName>,
    /// Blocked by scheduling gates.
    pub gated: bool,
    seq: u64,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Location {
    Active,
    Backoff,
    /// Backing off after an error (no rejecting plugin): never popped before its backoff ends,
    /// as upstream's podErrorBackoffQ, or an empty cluster would be retried in a busy loop.
    ErrorBackoff,
    Unschedulable,
    InFlight,
}

/// activeQ order: higher priority first, then earlier timestamp.
type ActiveKey = (std::cmp::Reverse<i32>, Instant, u64);
type BackoffKey = (Instant, u64);

/// The three queues plus nominated pods.
#[derive(Debug)]
pub struct SchedulingQueue {
    config: QueueConfig,
    pods: FxHashMap<PodId, (QueuedPod, Location)>,
    active: BTreeMap<ActiveKey, PodId>,
    backoff: BTreeMap<BackoffKey, PodId>,
    error_backoff: BTreeMap<BackoffKey, PodId>,
    /// Ids of pods parked in unschedulablePods (gated ones included).
    unschedulable: BTreeSet<PodId>,
    seq: u64,
    last_flush: Option<Instant>,
    pub nominator: Nominator,
}

impl SchedulingQueue {
    pub fn new(config: QueueConfig) -> SchedulingQueue {
        SchedulingQueue {
            config,
            pods: FxHashMap::default(),
            active: BTreeMap::new(),
            backoff: BTreeMap::new(),
            error_backoff: BTreeMap::new(),
            unschedulable: BTreeSet::new(),
            seq: 0,
            last_flush: None,
            nominator: Nominator::default(),
        }
    }

    fn next_seq(&mut self) -> u64 {
        self.seq += 1;
        self.seq
    }

    fn active_key(q: &QueuedPod) -> ActiveKey {
        (std::cmp::Reverse(q.info.priority), q.timestamp, q.seq)
    }

    /// Upstream backoff: initial doubled per attempt beyond the first, capped.
    pub fn backoff_duration(&self, attempts: u32) -> Duration {
        if attempts == 0 {
            return Duration::ZERO;
        }
        let mut d = self.config.initial_backoff;
        for _ in 1..attempts {
            if d > self.config.max_backoff.saturating_sub(d) {
                return self.config.max_backoff;
            }
            d += d;
        }
        d.min(self.config.max_backoff)
    }

    fn backoff_expiry(&self, q: &QueuedPod) -> Instant {
        q.timestamp + self.backoff_duration(q.attempts)
    }

    fn detach(&mut self, id: &PodId) -> Option<(QueuedPod, Location)> {
        let (q, loc) = self.pods.remove(id)?;
        match loc {
            Location::Active => {
                self.active.remove(&Self::active_key(&q));
            }
            Location::Backoff => {
                let key = (self.backoff_expiry(&q), q.seq);
                self.backoff.remove(&key);
            }
            Location::ErrorBackoff => {
                let key = (self.backoff_expiry(&q), q.seq);
                self.error_backoff.remove(&key);
            }
            Location::Unschedulable => {
                self.unschedulable.remove(id);
            }
            Location::InFlight => {}
        }
        Some((q, loc))
    }

    fn put(&mut self, mut q: QueuedPod, loc: Location) {
        q.seq = self.next_seq();
        match loc {
            Location::Active => {
                self.active.insert(Self::active_key(&q), q.info.id.clone());
            }
            Location::Backoff => {
                let key = (self.backoff_expiry(&q), q.seq);
                self.backoff.insert(key, q.info.id.clone());
            }
            Location::ErrorBackoff => {
                let key = (self.backoff_expiry(&q), q.seq);
                self.error_backoff.insert(key, q.info.id.clone());
            }
            Location::Unschedulable => {
                self.unschedulable.insert(q.info.id.clone());
            }
            Location::InFlight => {}
        }
        self.pods.insert(q.info.id.clone(), (q, loc));
    }

    /// A new pending pod (informer add). Gated pods wait in unschedulablePods.
    pub fn add(&mut self, info: Arc<PodInfo>, now: Instant) {
        if self.pods.contains_key(&info.id) {
            self.update(info, now);
            return;
        }
        if let Some(node) = info.nominated_node.clone() {
            self.nominator.add(info.clone(), &node);
        }
        let gated = !info.scheduling_gates.is_empty();
        let q = QueuedPod {
            info,
            timestamp: now,
            initial_attempt: now,
            attempts: 0,
            unschedulable_plugins: BTreeSet::new(),
            gated,
            seq: 0,
        };
        let loc = if gated {
            Location::Unschedulable
        } else {
            Location::Active
        };
        self.put(q, loc);
    }

    /// A pending pod changed. Spec or label changes give an unschedulable pod
    /// another try; removing the last scheduling gate releases it.
    pub fn update(&mut self, info: Arc<PodInfo>, now: Instant) {
        match info.nominated_node.clone() {
            Some(node) => self.nominator.add(info.clone(), &node),
            None => {
                if self.nominator.node_of(&info.id).is_some() {
                    self.nominator.remove(&info.id);
                }
            }
        }
        let Some((mut q, loc)) = self.detach(&info.id) else {
            self.add(info, now);
            return;
        };
        let changed = {
            let old = &q.info.pod;
            let new = &info.pod;
            old.spec != new.spec || old.metadata.labels != new.metadata.labels
        };
        q.gated = !info.scheduling_gates.is_empty();
        q.info = info;
        let loc = match loc {
            Location::Unschedulable if q.gated => Location::Unschedulable,
            Location::Unschedulable if changed => self.requeue_location(&q, now),
            other => other,
        };
        self.put(q, loc);
    }

    /// The pod was deleted or got bound elsewhere.
    pub fn delete(&mut self, id: &PodId) {
        self.detach(id);
        self.nominator.remove(id);
    }

    fn requeue_location(&self, q: &QueuedPod, now: Instant) -> Location {
        if now < self.backoff_expiry(q) {
            Location::Backoff
        } else {
            Location::Active
        }
    }

    /// Moves expired backoffs to activeQ and flushes pods that waited too
    /// long in unschedulablePods.
    pub fn tick(&mut self, now: Instant) {
        for errors in [false, true] {
            loop {
                let heap = if errors {
                    &mut self.error_backoff
                } else {
                    &mut self.backoff
                };
                match heap.first_key_value() {
                    Some((key, _)) if key.0 <= now => {}
                    _ => break,
                }
                let Some((_, id)) = heap.pop_first() else {
                    break;
                };
                if let Some((q, _)) = self.pods.remove(&id) {
                    self.put(q, Location::Active);
                }
            }
        }
        if self
            .last_flush
            .is_some_and(|t| now.saturating_duration_since(t) < Duration::from_secs(30))
        {
            return;
        }
        self.last_flush = Some(now);
        let stale: Vec<PodId> = self
            .unschedulable
            .iter()
            .filter(|id| {
                self.pods.get(*id).is_some_and(|(q, _)| {
                    !q.gated
                        && now.saturating_duration_since(q.timestamp)
                            > self.config.max_in_unschedulable
                })
            })
            .cloned()
            .collect();
        for id in stale {
            if let Some((q, _)) = self.detach(&id) {
                let loc = self.requeue_location(&q, now);
                self.put(q, loc);
            }
        }
    }

    /// Takes the next pod to schedule, if any is ready.
    pub fn pop(&mut self, now: Instant) -> Option<QueuedPod> {
        self.tick(now);
        let id = match self.active.pop_first() {
            Some((_, id)) => id,
            None if self.config.pop_from_backoff => self.backoff.pop_first()?.1,
            None => return None,
        };
        let (mut q, _) = self.pods.remove(&id)?;
        q.attempts += 1;
        let out = q.clone();
        self.pods.insert(id, (q, Location::InFlight));
        Some(out)
    }

    /// The attempt failed: park the pod (rejected by plugins) or back it
    /// off (errors). `plugins` are the rejecting plugins.
    pub fn add_unschedulable(&mut self, id: &PodId, plugins: BTreeSet<PluginName>, now: Instant) {
        let Some((mut q, _)) = self.detach(id) else {
            return;
        };
        q.timestamp = now;
        let loc = if plugins.is_empty() {
            Location::ErrorBackoff
        } else {
            Location::Unschedulable
        };
        q.unschedulable_plugins = plugins;
        self.put(q, loc);
    }

    /// The attempt succeeded (the pod is assumed): it leaves the queue.
    pub fn done(&mut self, id: &PodId) {
        if let Some((_, Location::InFlight)) = self.pods.get(id) {
            self.pods.remove(id);
        }
        self.nominator.remove(id);
    }

    /// A failed binding: the pod comes back after its backoff.
    pub fn requeue_after_bind_failure(&mut self, info: Arc<PodInfo>, attempts: u32, now: Instant) {
        self.detach(&info.id);
        let q = QueuedPod {
            info,
            timestamp: now,
            initial_attempt: now,
            attempts,
            unschedulable_plugins: BTreeSet::new(),
            gated: false,
            seq: 0,
        };
        self.put(q, Location::ErrorBackoff);
    }

    /// Moves parked pods that the event may help (per their rejecting
    /// plugins' hints) to activeQ, or backoffQ while backing off.
    pub fn on_event(&mut self, event: &ClusterEvent<'_>, now: Instant) {
        if self.unschedulable.is_empty() {
            return;
        }
        let view = EventView::new(event);
        let movable: Vec<PodId> = self
            .unschedulable
            .iter()
            .filter(|id| {
                self.pods.get(*id).is_some_and(|(q, _)| {
                    !q.gated
                        && (q.unschedulable_plugins.is_empty()
                            || q.unschedulable_plugins
                                .iter()
                                .any(|p| plugin_hint(*p, &q.info, &view)))
                })
            })
            .cloned()
            .collect();
        for id in movable {
            if let Some((q, _)) = self.detach(&id) {
                let loc = self.requeue_location(&q, now);
                self.put(q, loc);
            }
        }
    }

    /// When the next backoff expires, so the caller can sleep until then.
    pub fn next_backoff_expiry(&self) -> Option<Instant> {
        let first = |heap: &BTreeMap<BackoffKey, PodId>| heap.first_key_value().map(|(k, _)| k.0);
        match (first(&self.backoff), first(&self.error_backoff)) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }

    pub fn len_active(&self) -> usize {
        self.active.len()
    }

    pub fn len_backoff(&self) -> usize {
        self.backoff.len() + self.error_backoff.len()
    }

    pub fn len_unschedulable(&self) -> usize {
        self.unschedulable.len()
    }

    pub fn contains(&self, id: &PodId) -> bool {
        self.pods.contains_key(id)
    }

    pub fn is_unschedulable(&self, id: &PodId) -> bool {
        matches!(self.pods.get(id), Some((_, Location::Unschedulable)))
    }

    pub fn is_backing_off(&self, id: &PodId) -> bool {
        matches!(
            self.pods.get(id),
            Some((_, Location::Backoff | Location::ErrorBackoff))
        )
    }

    pub fn is_active(&self, id: &PodId) -> bool {
        matches!(self.pods.get(id), Some((_, Location::Active)))
    }

    pub fn get(&self, id: &PodId) -> Option<&QueuedPod> {
        self.pods.get(id).map(|(q, _)| q)
    }
}

#[cfg(test)]
mod tests;
