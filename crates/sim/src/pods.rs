//! The simulated nodes' pod agent: pods bound to them are reported Running with an IP and ready
//! containers, finish or restart when their annotations ask, and terminating pods are deleted for
//! good (what a kubelet does once containers are stopped).

use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use futures::StreamExt;
use k8s_openapi::api::core::v1::Pod;
use kube::Client;
use kube::api::{Api, DeleteParams, Patch, PatchParams, Preconditions};
use kube::runtime::WatchStreamExt;
use kube::runtime::watcher::{self, Event};
use serde_json::{Value, json};
use tokio::sync::{Semaphore, mpsc};
use tokio::task::AbortHandle;

use crate::node::{self, now_rfc3339};
use crate::nodes::{MANAGER, SimNode};
use crate::pod::{self, PodPlan, Stage};

/// Counters for the progress report.
#[derive(Default, Debug)]
pub struct PodCounts {
    pub started: AtomicU64,
    pub finished: AtomicU64,
    pub restarted: AtomicU64,
    pub deleted: AtomicU64,
    pub failed_writes: AtomicU64,
}

/// Addresses of one simulated node.
struct NodeNet {
    host_ip: String,
    /// First three octets of its /24.
    prefix: [u8; 3],
    next: u8,
}

impl NodeNet {
    fn next_ip(&mut self) -> String {
        // .1 is the gateway; hand out .2–.254 round-robin (a simulated node never runs 253 pods
        // at once with the default capacity of 110).
        self.next = if (2..254).contains(&self.next) {
            self.next + 1
        } else {
            2
        };
        let [a, b, c] = self.prefix;
        format!("{a}.{b}.{c}.{}", self.next)
    }
}

/// One pod this agent looks after.
struct Tracked {
    namespace: String,
    name: String,
    plan: PodPlan,
    pod_ip: String,
    host_ip: String,
    start_time: String,
    stage: Stage,
    timer: Option<AbortHandle>,
    deleting: bool,
}

impl Drop for Tracked {
    fn drop(&mut self) {
        if let Some(t) = self.timer.take() {
            t.abort();
        }
    }
}

/// Runs the pod agent for `nodes` until the future is dropped.
pub async fn run(client: Client, nodes: &[SimNode], counts: Arc<PodCounts>) {
    let mut nets: HashMap<String, NodeNet> = nodes
        .iter()
        .map(|n| {
            let (base, _) = node::pod_cidr(n.index);
            let o = base.octets();
            (
                n.name.clone(),
                NodeNet {
                    host_ip: node::node_ip(n.index).to_string(),
                    prefix: [o[0], o[1], o[2]],
                    next: 1,
                },
            )
        })
        .collect();
    let api: Api<Pod> = Api::all(client.clone());
    let config = watcher::Config::default().fields("spec.nodeName!=");
    let mut events = watcher::watcher(api, config).default_backoff().boxed();
    let (exits_tx, mut exits) = mpsc::unbounded_channel::<String>();
    let writes = Arc::new(Semaphore::new(64));
    let mut tracked: HashMap<String, Tracked> = HashMap::new();
    let mut relisted: Option<HashSet<String>> = None;
    let agent = Agent {
        client,
        writes,
        counts,
        exits: exits_tx,
    };
    loop {
        tokio::select! {
            event = events.next() => {
                let Some(event) = event else { return };
                match event {
                    Ok(Event::Init) => relisted = Some(HashSet::new()),
                    Ok(Event::InitApply(p)) => {
                        if let Some(seen) = relisted.as_mut() {
                            seen.insert(uid_of(&p));
                        }
                        agent.observe(&p, &mut tracked, &mut nets);
                    }
                    Ok(Event::InitDone) => {
                        // Pods deleted while the watch was down.
                        if let Some(seen) = relisted.take() {
                            tracked.retain(|uid, _| seen.contains(uid));
                        }
                    }
                    Ok(Event::Apply(p)) => agent.observe(&p, &mut tracked, &mut nets),
                    Ok(Event::Delete(p)) => {
                        tracked.remove(&uid_of(&p));
                    }
                    Err(e) => tracing::warn!(error = %e, "pod watch failed; retrying"),
                }
            }
            Some(uid) = exits.recv() => agent.wake(&uid, &mut tracked),
        }
    }
}

fn uid_of(pod: &Pod) -> String {
    pod.metadata.uid.clone().unwrap_or_default()
}

struct Agent {
    client: Client,
    writes: Arc<Semaphore>,
    counts: Arc<PodCounts>,
    exits: mpsc::UnboundedSender<String>,
}

impl Agent {
    fn observe(
        &self,
        pod: &Pod,
        tracked: &mut HashMap<String, Tracked>,
        nets: &mut HashMap<String, NodeNet>,
    ) {
        let node = pod
            .spec
            .as_ref()
            .and_then(|s| s.node_name.as_deref())
            .unwrap_or("");
        let Some(net) = nets.get_mut(node) else {
            return;
        };
        let uid = uid_of(pod);
        let namespace = pod.metadata.namespace.clone().unwrap_or_default();
        let name = pod.metadata.name.clone().unwrap_or_default();
        if pod.metadata.deletion_timestamp.is_some() {
            let entry = tracked.get_mut(&uid);
            if entry.as_ref().is_some_and(|t| t.deleting) {
                return;
            }
            if let Some(t) = entry {
                t.deleting = true;
                if let Some(timer) = t.timer.take() {
                    timer.abort();
                }
            }
            self.delete(namespace, name, uid);
            return;
        }
        if tracked.contains_key(&uid) {
            return;
        }
        let value = serde_json::to_value(pod).unwrap_or(Value::Null);
        let (plan, problem) = pod::plan(&value);
        if let Some(problem) = problem {
            tracing::warn!(pod = %format!("{namespace}/{name}"), "{problem}");
        }
        let status = pod.status.as_ref();
        let phase = status.and_then(|s| s.phase.as_deref()).unwrap_or("");
        let now = now_rfc3339();
        // A pod this agent ran before it restarted: adopt it as it is.
        if matches!(phase, "Running" | "Succeeded" | "Failed") {
            let started = value
                .pointer("/status/containerStatuses/0/state/running/startedAt")
                .and_then(Value::as_str)
                .unwrap_or(&now)
                .to_owned();
            let restarts = value
                .pointer("/status/containerStatuses/0/restartCount")
                .and_then(Value::as_i64)
                .unwrap_or(0) as i32;
            let stage = if phase == "Running" {
                Stage::Running {
                    started: started.clone(),
                    restarts,
                    last_exit: None,
                }
            } else {
                Stage::Finished {
                    started: started.clone(),
                    finished: now.clone(),
                    code: 0,
                    restarts,
                }
            };
            let mut t = Tracked {
                namespace,
                name,
                pod_ip: status.and_then(|s| s.pod_ip.clone()).unwrap_or_default(),
                host_ip: status.and_then(|s| s.host_ip.clone()).unwrap_or_default(),
                start_time: value
                    .pointer("/status/startTime")
                    .and_then(Value::as_str)
                    .unwrap_or(&now)
                    .to_owned(),
                plan,
                stage,
                timer: None,
                deleting: false,
            };
            if phase == "Running" {
                let ran_for = chrono::DateTime::parse_from_rfc3339(&started)
                    .ok()
                    .and_then(|s| (chrono::Utc::now() - s.to_utc()).to_std().ok())
                    .unwrap_or_default();
                self.arm(&uid, &mut t, ran_for);
            }
            tracked.insert(uid, t);
            return;
        }
        let pod_ip = if plan.host_network {
            net.host_ip.clone()
        } else {
            net.next_ip()
        };
        let mut t = Tracked {
            namespace,
            name,
            plan,
            pod_ip,
            host_ip: net.host_ip.clone(),
            start_time: now.clone(),
            stage: Stage::Running {
                started: now,
                restarts: 0,
                last_exit: None,
            },
            timer: None,
            deleting: false,
        };
        self.counts.started.fetch_add(1, Ordering::Relaxed);
        self.write_status(&uid, &t);
        self.arm(&uid, &mut t, Duration::ZERO);
        tracked.insert(uid, t);
    }

    /// Starts the exit timer of a pod that asked for one, `already` into its run.
    fn arm(&self, uid: &str, t: &mut Tracked, already: Duration) {
        let Some((after, _)) = t.plan.exit else {
            return;
        };
        self.wake_after(uid, t, after.saturating_sub(already));
    }

    /// Sends the pod's uid to the agent loop after `wait` (its containers exit, or its back-off
    /// ends, depending on its stage then).
    fn wake_after(&self, uid: &str, t: &mut Tracked, wait: Duration) {
        let exits = self.exits.clone();
        let uid = uid.to_owned();
        t.timer = Some(
            tokio::spawn(async move {
                tokio::time::sleep(wait).await;
                let _ = exits.send(uid);
            })
            .abort_handle(),
        );
    }

    /// A timer of pod `uid` fired: running containers exit (and finish, restart or back off by
    /// the restart policy); backed-off containers restart.
    fn wake(&self, uid: &str, tracked: &mut HashMap<String, Tracked>) {
        let Some(mut t) = tracked.remove(uid) else {
            return;
        };
        if t.deleting {
            tracked.insert(uid.to_owned(), t);
            return;
        }
        let now = now_rfc3339();
        let (started, restarts) = match t.stage.clone() {
            Stage::Running {
                started, restarts, ..
            } => (started, restarts),
            Stage::BackOff {
                restarts,
                last_exit,
                ..
            } => {
                t.stage = Stage::Running {
                    started: now,
                    restarts: restarts + 1,
                    last_exit: Some(last_exit),
                };
                self.counts.restarted.fetch_add(1, Ordering::Relaxed);
                self.arm(uid, &mut t, Duration::ZERO);
                self.write_status(uid, &t);
                tracked.insert(uid.to_owned(), t);
                return;
            }
            Stage::Finished { .. } => {
                tracked.insert(uid.to_owned(), t);
                return;
            }
        };
        let code = t.plan.exit.map(|(_, c)| c).unwrap_or(0);
        if pod::after_exit(&t.plan, code) {
            let wait = pod::backoff(restarts);
            if wait.is_zero() {
                t.stage = Stage::Running {
                    started: now.clone(),
                    restarts: restarts + 1,
                    last_exit: Some((code, started, now)),
                };
                self.counts.restarted.fetch_add(1, Ordering::Relaxed);
                self.arm(uid, &mut t, Duration::ZERO);
            } else {
                t.stage = Stage::BackOff {
                    restarts,
                    last_exit: (code, started, now),
                    wait,
                };
                self.wake_after(uid, &mut t, wait);
            }
        } else {
            t.stage = Stage::Finished {
                started,
                finished: now,
                code,
                restarts,
            };
            t.timer = None;
            self.counts.finished.fetch_add(1, Ordering::Relaxed);
        }
        self.write_status(uid, &t);
        tracked.insert(uid.to_owned(), t);
    }

    fn write_status(&self, uid: &str, t: &Tracked) {
        let status = pod::status(
            &t.plan,
            &t.stage,
            uid,
            &t.pod_ip,
            &t.host_ip,
            &t.start_time,
            &now_rfc3339(),
        );
        let api: Api<Pod> = Api::namespaced(self.client.clone(), &t.namespace);
        let name = t.name.clone();
        let writes = self.writes.clone();
        let counts = self.counts.clone();
        let uid = uid.to_owned();
        tokio::spawn(async move {
            let Ok(_permit) = writes.acquire_owned().await else {
                return;
            };
            // The uid guards against writing to a new pod of the same name.
            let body = json!({"metadata": {"uid": uid}, "status": status});
            let params = PatchParams {
                field_manager: Some(MANAGER.into()),
                ..Default::default()
            };
            for attempt in 0..3u32 {
                match api.patch_status(&name, &params, &Patch::Merge(&body)).await {
                    Ok(_) => return,
                    Err(kube::Error::Api(s)) if matches!(s.code, 404 | 409 | 422) => return,
                    Err(e) => {
                        if attempt == 2 {
                            counts.failed_writes.fetch_add(1, Ordering::Relaxed);
                            tracing::warn!(pod = %name, error = %e, "cannot report pod status");
                        }
                        tokio::time::sleep(Duration::from_millis(200 << attempt)).await;
                    }
                }
            }
        });
    }

    /// Containers of a terminating pod are gone at once here: delete it for good.
    fn delete(&self, namespace: String, name: String, uid: String) {
        let api: Api<Pod> = Api::namespaced(self.client.clone(), &namespace);
        let writes = self.writes.clone();
        let counts = self.counts.clone();
        tokio::spawn(async move {
            let Ok(_permit) = writes.acquire_owned().await else {
                return;
            };
            let params = DeleteParams {
                grace_period_seconds: Some(0),
                preconditions: Some(Preconditions {
                    uid: Some(uid),
                    resource_version: None,
                }),
                ..Default::default()
            };
            match api.delete(&name, &params).await {
                Ok(_) => {
                    counts.deleted.fetch_add(1, Ordering::Relaxed);
                }
                Err(kube::Error::Api(s)) if s.code == 404 || s.code == 409 => {}
                Err(e) => {
                    counts.failed_writes.fetch_add(1, Ordering::Relaxed);
                    tracing::warn!(pod = %name, error = %e, "cannot finish pod deletion");
                }
            }
        });
    }
}
