//! The scheduler as a process, for `capstan scheduler` and `capstan server`: watches what
//! capstan-scheduler reads, runs its decision loop on a thread of its own (scheduling is CPU
//! work), and carries the decisions out through the API server — bindings, PodScheduled
//! conditions, nominations, preemption, events. With leader election, only the holder of the
//! `kube-system/kube-scheduler` Lease schedules, so two schedulers never both bind.

pub mod actions;
pub mod informers;
pub mod leader;

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{Receiver, RecvTimeoutError, Sender};
use std::time::{Duration, Instant};

use capstan_scheduler::cache::WorkloadKind;
use capstan_scheduler::{Decision, Scheduler, SchedulerConfig};
use k8s_openapi::api::core::v1::{Node, Pod};
use kube::Client;
use tokio::task::JoinSet;

use crate::actions::{Actions, Recorder};
use crate::informers::{Change, Input, WATCHED_KINDS};
pub use crate::leader::LeaderElection;

#[derive(Clone)]
pub struct Options {
    pub config: SchedulerConfig,
    /// None: schedule without electing a leader (a single scheduler).
    pub leader_election: Option<LeaderElection>,
}

/// Runs until the future is dropped.
pub async fn run(client: Client, options: Options) {
    let Some(election) = options.leader_election.clone() else {
        schedule(client, options.config).await;
        return;
    };
    let mut elector = leader::Elector::new(client.clone(), election);
    loop {
        elector.acquire().await;
        let scheduling = tokio::spawn(schedule(client.clone(), options.config.clone()));
        elector.hold().await;
        // Dropping the scheduling future stops its watches and its loop.
        scheduling.abort();
        let _ = scheduling.await;
    }
}

/// Sends `Stop` to the loop when the scheduling future goes away (leadership lost, shutdown).
struct StopOnDrop {
    inputs: Sender<Input>,
    active: Arc<AtomicBool>,
}

impl Drop for StopOnDrop {
    fn drop(&mut self) {
        self.active.store(false, Ordering::Relaxed);
        let _ = self.inputs.send(Input::Stop);
    }
}

async fn schedule(client: Client, config: SchedulerConfig) {
    let (tx, rx) = std::sync::mpsc::channel::<Input>();
    let mut watches = JoinSet::new();
    informers::start(&client, &tx, &mut watches);
    let instance = format!(
        "default-scheduler-{}",
        std::fs::read_to_string("/proc/sys/kernel/hostname")
            .map(|h| h.trim().to_owned())
            .unwrap_or_default()
    );
    let active = Arc::new(AtomicBool::new(true));
    let actions = Actions {
        recorder: Recorder::start(client.clone(), instance),
        client,
        inputs: tx.clone(),
        active: active.clone(),
        in_flight: Arc::new(tokio::sync::Semaphore::new(actions::MAX_IN_FLIGHT)),
    };
    let _stop = StopOnDrop { inputs: tx, active };
    let runtime = tokio::runtime::Handle::current();
    let decisions = tokio::task::spawn_blocking(move || decide(config, rx, actions, runtime));
    let _ = decisions.await;
}

/// The scheduling loop: apply every pending input, decide for one pod, hand the decision to a
/// task, repeat; sleep when nothing is ready until an input arrives or a backoff ends.
fn decide(
    config: SchedulerConfig,
    inputs: Receiver<Input>,
    actions: Actions,
    runtime: tokio::runtime::Handle,
) {
    let mut state = State::new(config);
    // Decide nothing until every watch has listed once, or early pods would see no nodes.
    while state.synced.len() < WATCHED_KINDS {
        match inputs.recv() {
            Ok(Input::Stop) | Err(_) => return,
            Ok(input) => {
                state.apply(input);
            }
        }
    }
    tracing::info!(
        nodes = state.nodes.len(),
        pods = state.pods.len(),
        "scheduler caches synced"
    );
    let execute = |decision: Decision| {
        let actions = actions.clone();
        match decision {
            Decision::Bind(d) => runtime.spawn(async move { actions.bind(d).await }),
            Decision::Unschedulable(d) => {
                runtime.spawn(async move { actions.unschedulable(d).await })
            }
            Decision::Preempt(d) => runtime.spawn(async move { actions.preempt(d).await }),
        };
    };
    loop {
        loop {
            match inputs.try_recv() {
                Ok(Input::Stop) => return,
                Ok(input) => {
                    if let Some(d) = state.apply(input) {
                        execute(d);
                    }
                }
                Err(std::sync::mpsc::TryRecvError::Empty) => break,
                Err(std::sync::mpsc::TryRecvError::Disconnected) => return,
            }
        }
        if let Some(decision) = state.scheduler.schedule_one(Instant::now()) {
            execute(decision);
            continue;
        }
        let wait = state
            .scheduler
            .next_wakeup()
            .map(|at| at.saturating_duration_since(Instant::now()))
            .unwrap_or(Duration::from_secs(60));
        match inputs.recv_timeout(wait) {
            Ok(Input::Stop) => return,
            Ok(input) => {
                if let Some(d) = state.apply(input) {
                    execute(d);
                }
            }
            Err(RecvTimeoutError::Timeout) => {}
            Err(RecvTimeoutError::Disconnected) => return,
        }
    }
}

/// The scheduler plus what the loop needs to turn watch events into its calls: the last version
/// of each pod and node (updates pass old and new), and the keys of other kinds (for relists).
struct State {
    scheduler: Scheduler,
    pods: HashMap<String, Arc<Pod>>,
    nodes: HashMap<String, Arc<Node>>,
    keys: HashMap<&'static str, HashSet<(String, String)>>,
    synced: HashSet<&'static str>,
}

fn key_of(meta: &kube::api::ObjectMeta) -> (String, String) {
    (
        meta.namespace.clone().unwrap_or_default(),
        meta.name.clone().unwrap_or_default(),
    )
}

/// How the last seen version of each pod or node is kept (updates pass old and new) and which
/// scheduler calls a change turns into. The kept version is the very `Arc` the scheduler's cache
/// holds, so each object is in memory once.
struct Mirror<K> {
    key: fn(&K) -> String,
    add: fn(&mut Scheduler, Arc<K>, Instant),
    update: fn(&mut Scheduler, &K, Arc<K>, Instant),
    delete: fn(&mut Scheduler, &K, Instant),
}

impl<K> Mirror<K> {
    fn apply(
        &self,
        items: &mut HashMap<String, Arc<K>>,
        scheduler: &mut Scheduler,
        change: Change<K>,
        now: Instant,
    ) {
        match change {
            Change::Upsert(obj) => self.upsert(items, scheduler, obj, now),
            Change::Delete(obj) => match items.remove(&(self.key)(&obj)) {
                Some(old) => (self.delete)(scheduler, &old, now),
                None => (self.delete)(scheduler, &obj, now),
            },
            Change::Resync(listed) => {
                let keys: HashSet<String> = listed.iter().map(self.key).collect();
                let gone: Vec<String> = items
                    .keys()
                    .filter(|k| !keys.contains(*k))
                    .cloned()
                    .collect();
                for k in gone {
                    if let Some(old) = items.remove(&k) {
                        (self.delete)(scheduler, &old, now);
                    }
                }
                for obj in listed {
                    self.upsert(items, scheduler, obj, now);
                }
            }
        }
    }

    fn upsert(
        &self,
        items: &mut HashMap<String, Arc<K>>,
        scheduler: &mut Scheduler,
        obj: K,
        now: Instant,
    ) {
        let obj = Arc::new(obj);
        match items.insert((self.key)(&obj), obj.clone()) {
            Some(old) => (self.update)(scheduler, &old, obj, now),
            None => (self.add)(scheduler, obj, now),
        }
    }
}

impl State {
    fn new(config: SchedulerConfig) -> State {
        State {
            scheduler: Scheduler::new(config),
            pods: HashMap::new(),
            nodes: HashMap::new(),
            keys: HashMap::new(),
            synced: HashSet::new(),
        }
    }

    /// Applies one input; a failed binding may come back as a decision to carry out.
    fn apply(&mut self, input: Input) -> Option<Decision> {
        let now = Instant::now();
        match input {
            Input::Pod(change) => {
                self.pod_change(change, now);
            }
            Input::Node(change) => self.node_change(change, now),
            Input::Bound { uid, error } => {
                let uid: capstan_scheduler::PodId = Arc::from(uid.as_str());
                match error {
                    None => self.scheduler.binding_succeeded(&uid),
                    Some(e) => return self.scheduler.binding_failed(&uid, &e, now),
                }
            }
            Input::Namespace(change) => self.keyed(
                "Namespace",
                change,
                |o| &o.metadata,
                |s, ns| {
                    let labels: BTreeMap<String, String> =
                        ns.metadata.labels.clone().unwrap_or_default();
                    s.on_namespace(ns.metadata.name.as_deref().unwrap_or(""), labels, now);
                },
                |s, (_, name)| s.on_namespace_delete(name),
            ),
            Input::Pvc(change) => self.keyed(
                "PersistentVolumeClaim",
                change,
                |o| &o.metadata,
                |s, pvc| s.on_pvc(pvc, now),
                |s, (ns, name)| s.on_pvc_delete(ns, name),
            ),
            Input::Pv(change) => self.keyed(
                "PersistentVolume",
                change,
                |o| &o.metadata,
                |s, pv| s.on_pv(pv, now),
                |s, (_, name)| s.on_pv_delete(name),
            ),
            Input::StorageClass(change) => self.keyed(
                "StorageClass",
                change,
                |o| &o.metadata,
                |s, sc| s.on_storage_class(sc, now),
                |s, (_, name)| s.on_storage_class_delete(name),
            ),
            Input::Pdb(change) => self.keyed(
                "PodDisruptionBudget",
                change,
                |o| &o.metadata,
                |s, pdb| s.on_pdb(pdb),
                |s, (ns, name)| s.on_pdb_delete(ns, name),
            ),
            Input::Service(change) => self.keyed(
                "Service",
                change,
                |o| &o.metadata,
                |s, svc| {
                    let (ns, name) = key_of(&svc.metadata);
                    let selector = svc.spec.and_then(|sp| sp.selector);
                    s.cache.objects.upsert_service(&ns, &name, selector);
                },
                |s, (ns, name)| s.cache.objects.remove_service(ns, name),
            ),
            Input::ReplicationController(change) => self.keyed(
                "ReplicationController",
                change,
                |o| &o.metadata,
                |s, rc| {
                    let (ns, name) = key_of(&rc.metadata);
                    let selector = rc.spec.and_then(|sp| sp.selector).unwrap_or_default();
                    s.cache
                        .objects
                        .upsert_replication_controller(&ns, &name, selector);
                },
                |s, (ns, name)| {
                    s.cache
                        .objects
                        .remove_workload(WorkloadKind::ReplicationController, ns, name)
                },
            ),
            Input::ReplicaSet(change) => self.keyed(
                "ReplicaSet",
                change,
                |o| &o.metadata,
                |s, rs| {
                    let (ns, name) = key_of(&rs.metadata);
                    let selector = rs.spec.map(|sp| sp.selector);
                    s.cache.objects.upsert_workload(
                        WorkloadKind::ReplicaSet,
                        &ns,
                        &name,
                        selector.as_ref(),
                    );
                },
                |s, (ns, name)| {
                    s.cache
                        .objects
                        .remove_workload(WorkloadKind::ReplicaSet, ns, name)
                },
            ),
            Input::StatefulSet(change) => self.keyed(
                "StatefulSet",
                change,
                |o| &o.metadata,
                |s, sts| {
                    let (ns, name) = key_of(&sts.metadata);
                    let selector = sts.spec.map(|sp| sp.selector);
                    s.cache.objects.upsert_workload(
                        WorkloadKind::StatefulSet,
                        &ns,
                        &name,
                        selector.as_ref(),
                    );
                },
                |s, (ns, name)| {
                    s.cache
                        .objects
                        .remove_workload(WorkloadKind::StatefulSet, ns, name)
                },
            ),
            Input::Stop => {}
        }
        None
    }

    fn pod_change(&mut self, change: Change<Pod>, now: Instant) {
        let resynced = matches!(change, Change::Resync(_));
        let pods = Mirror {
            key: |p: &Pod| p.metadata.uid.clone().unwrap_or_default(),
            add: |s, pod, now| s.on_pod_add(pod, now),
            update: |s, old, new, now| s.on_pod_update(old, new, now),
            delete: Scheduler::on_pod_delete,
        };
        pods.apply(&mut self.pods, &mut self.scheduler, change, now);
        if resynced {
            self.synced.insert("Pod");
        }
    }

    fn node_change(&mut self, change: Change<Node>, now: Instant) {
        let resynced = matches!(change, Change::Resync(_));
        let nodes = Mirror {
            key: |n: &Node| n.metadata.name.clone().unwrap_or_default(),
            add: |s, node, now| s.on_node_add(node, now),
            update: |s, old, new, now| s.on_node_update(old, new, now),
            delete: Scheduler::on_node_delete,
        };
        nodes.apply(&mut self.nodes, &mut self.scheduler, change, now);
        if resynced {
            self.synced.insert("Node");
        }
    }

    /// Kinds the scheduler only upserts and removes by key.
    fn keyed<K>(
        &mut self,
        kind: &'static str,
        change: Change<K>,
        meta: fn(&K) -> &kube::api::ObjectMeta,
        upsert: impl Fn(&mut Scheduler, K),
        remove: impl Fn(&mut Scheduler, &(String, String)),
    ) {
        let keys = self.keys.entry(kind).or_default();
        match change {
            Change::Upsert(obj) => {
                keys.insert(key_of(meta(&obj)));
                upsert(&mut self.scheduler, obj);
            }
            Change::Delete(obj) => {
                let key = key_of(meta(&obj));
                keys.remove(&key);
                remove(&mut self.scheduler, &key);
            }
            Change::Resync(objs) => {
                let listed: HashSet<(String, String)> =
                    objs.iter().map(|o| key_of(meta(o))).collect();
                for key in keys.iter().filter(|k| !listed.contains(*k)) {
                    remove(&mut self.scheduler, key);
                }
                *keys = listed;
                for obj in objs {
                    upsert(&mut self.scheduler, obj);
                }
                self.synced.insert(kind);
            }
        }
    }
}
