//! The Pod Lifecycle Event Generator: one relist per second (all sandboxes and containers in two
//! CRI calls), compared with the previous listing; for each pod with changes the pod cache is
//! refreshed and ContainerStarted/ContainerDied/ContainerRemoved events go to its worker
//! (ContainerChanged is filtered, as upstream does). Healthy only while a relist completed within
//! the last three minutes.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use parking_lot::Mutex;

use crate::cri::{Cri, pb};
use crate::metrics::Metrics;
use crate::runtime::{self, CState, LABEL_POD_UID, PodRuntime};

pub const RELIST_PERIOD: Duration = Duration::from_secs(1);
pub const RELIST_THRESHOLD: Duration = Duration::from_secs(180);

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum State {
    Running,
    Exited,
    Unknown,
    NonExistent,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EventType {
    ContainerStarted,
    ContainerDied,
    ContainerRemoved,
    ContainerChanged,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Event {
    pub pod_uid: String,
    pub kind: EventType,
    pub container_id: String,
}

/// pod uid → container (or sandbox) id → state.
pub type Records = HashMap<String, HashMap<String, State>>;

fn state_of_container(s: i32) -> State {
    match CState::from_cri(s) {
        CState::Running => State::Running,
        CState::Exited => State::Exited,
        // Created-not-started counts as Unknown, as upstream's convertState does.
        CState::Created | CState::Unknown => State::Unknown,
    }
}

/// Groups a listing by pod uid. Sandboxes take part like containers (ready = running).
pub fn records(sandboxes: &[pb::PodSandbox], containers: &[pb::Container]) -> Records {
    let mut out: Records = HashMap::new();
    for s in sandboxes {
        let Some(uid) = s.labels.get(LABEL_POD_UID) else {
            continue;
        };
        let state = if s.state == pb::PodSandboxState::SandboxReady as i32 {
            State::Running
        } else {
            State::Exited
        };
        out.entry(uid.clone())
            .or_default()
            .insert(s.id.clone(), state);
    }
    for c in containers {
        let Some(uid) = c.labels.get(LABEL_POD_UID) else {
            continue;
        };
        out.entry(uid.clone())
            .or_default()
            .insert(c.id.clone(), state_of_container(c.state));
    }
    out
}

/// Upstream's generateEvents for one container's old → new state.
pub fn generate(uid: &str, id: &str, old: State, new: State) -> Vec<Event> {
    if old == new {
        return Vec::new();
    }
    let ev = |kind| Event {
        pod_uid: uid.to_owned(),
        kind,
        container_id: id.to_owned(),
    };
    match new {
        State::Running => vec![ev(EventType::ContainerStarted)],
        State::Exited => vec![ev(EventType::ContainerDied)],
        State::Unknown => vec![ev(EventType::ContainerChanged)],
        State::NonExistent => match old {
            State::Exited => vec![ev(EventType::ContainerRemoved)],
            _ => vec![
                ev(EventType::ContainerDied),
                ev(EventType::ContainerRemoved),
            ],
        },
    }
}

/// Events per pod between two listings.
pub fn diff(old: &Records, new: &Records) -> HashMap<String, Vec<Event>> {
    let mut out: HashMap<String, Vec<Event>> = HashMap::new();
    let empty = HashMap::new();
    let uids = old
        .keys()
        .chain(new.keys().filter(|k| !old.contains_key(*k)));
    for uid in uids {
        let o = old.get(uid).unwrap_or(&empty);
        let n = new.get(uid).unwrap_or(&empty);
        let ids = o.keys().chain(n.keys().filter(|k| !o.contains_key(*k)));
        for id in ids {
            let os = o.get(id).copied().unwrap_or(State::NonExistent);
            let ns = n.get(id).copied().unwrap_or(State::NonExistent);
            let events = generate(uid, id, os, ns);
            if !events.is_empty() {
                out.entry(uid.clone()).or_default().extend(events);
            }
        }
    }
    out
}

/// The pod cache: the last runtime view of each pod and when it was read.
#[derive(Default)]
pub struct PodCache {
    pods: Mutex<HashMap<String, (Arc<PodRuntime>, Instant)>>,
}

impl PodCache {
    pub fn set(&self, uid: &str, rt: PodRuntime, at: Instant) {
        self.pods.lock().insert(uid.to_owned(), (Arc::new(rt), at));
    }

    /// The cached view if it was read after `after`.
    pub fn newer_than(&self, uid: &str, after: Instant) -> Option<Arc<PodRuntime>> {
        self.pods
            .lock()
            .get(uid)
            .filter(|(_, at)| *at > after)
            .map(|(rt, _)| rt.clone())
    }

    pub fn get(&self, uid: &str) -> Option<Arc<PodRuntime>> {
        self.pods.lock().get(uid).map(|(rt, _)| rt.clone())
    }

    pub fn remove(&self, uid: &str) {
        self.pods.lock().remove(uid);
    }
}

/// Where events go: the pod workers.
pub trait EventSink: Send + Sync {
    fn deliver(&self, event: &Event);
}

pub struct Pleg {
    cri: Cri,
    metrics: Arc<Metrics>,
    pub cache: Arc<PodCache>,
    last_relist: Mutex<Option<Instant>>,
    started: Instant,
}

impl Pleg {
    pub fn new(cri: Cri, metrics: Arc<Metrics>, cache: Arc<PodCache>) -> Pleg {
        Pleg {
            cri,
            metrics,
            cache,
            last_relist: Mutex::new(None),
            started: Instant::now(),
        }
    }

    /// Ok, or upstream's message (`pleg was last seen active 3m2.5s ago; threshold is 3m0s`).
    pub fn healthy(&self) -> Result<(), String> {
        let since = self.last_relist.lock().unwrap_or(self.started);
        let elapsed = since.elapsed();
        if elapsed > RELIST_THRESHOLD {
            return Err(format!(
                "pleg was last seen active {} ago; threshold is {}",
                go_duration_precise(elapsed),
                go_duration_precise(RELIST_THRESHOLD)
            ));
        }
        Ok(())
    }

    /// Relists forever.
    pub async fn run(self: Arc<Self>, sink: Arc<dyn EventSink>) {
        let mut old: Records = HashMap::new();
        let mut last_start: Option<Instant> = None;
        loop {
            let start = Instant::now();
            let interval = last_start.map(|l| start - l);
            last_start = Some(start);
            match self.relist_once(&old, sink.as_ref()).await {
                Ok(new) => {
                    old = new;
                    *self.last_relist.lock() = Some(start);
                }
                Err(e) => tracing::warn!(error = %e, "PLEG relist failed"),
            }
            self.metrics.relist(start.elapsed(), interval);
            // The next relist starts a period after this one ended (wait.Until's sliding period).
            tokio::time::sleep(RELIST_PERIOD).await;
        }
    }

    async fn relist_once(
        &self,
        old: &Records,
        sink: &dyn EventSink,
    ) -> Result<Records, crate::cri::CriError> {
        let sandboxes = self.cri.list_pod_sandbox(None).await?;
        let containers = self.cri.list_containers(None).await?;
        let running_pods = sandboxes
            .iter()
            .filter(|s| s.state == pb::PodSandboxState::SandboxReady as i32)
            .count();
        let running_containers = containers
            .iter()
            .filter(|c| c.state == pb::ContainerState::ContainerRunning as i32)
            .count();
        self.metrics
            .running(running_pods as i64, running_containers as i64);
        let mut new = records(&sandboxes, &containers);
        let events = diff(old, &new);
        for (uid, evs) in events {
            let at = Instant::now();
            match runtime::fetch(&self.cri, &uid).await {
                Ok(rt) => {
                    if rt.is_empty() {
                        self.cache.remove(&uid);
                    } else {
                        self.cache.set(&uid, rt, at);
                    }
                }
                Err(e) => {
                    // Keep the old record so the change is seen again next time.
                    tracing::warn!(pod_uid = %uid, error = %e, "PLEG: cannot inspect pod; retrying next relist");
                    match old.get(&uid) {
                        Some(o) => {
                            new.insert(uid.clone(), o.clone());
                        }
                        None => {
                            new.remove(&uid);
                        }
                    }
                    continue;
                }
            }
            for e in evs {
                if e.kind == EventType::ContainerChanged {
                    continue;
                }
                sink.deliver(&e);
            }
        }
        Ok(new)
    }
}

/// A duration as Go's `time.Duration.String()` prints it (`3m0s`, `3m2.512s`, `1.5s`, `20ms`).
pub fn go_duration_precise(d: Duration) -> String {
    let total_ns = d.as_nanos();
    if total_ns == 0 {
        return "0s".into();
    }
    if total_ns < 1_000_000_000 {
        let (unit, div) = if total_ns < 1_000 {
            ("ns", 1u128)
        } else if total_ns < 1_000_000 {
            ("µs", 1_000)
        } else {
            ("ms", 1_000_000)
        };
        return format!("{}{unit}", trim_fraction(total_ns, div));
    }
    let secs_total = total_ns / 1_000_000_000;
    let frac_ns = total_ns % 1_000_000_000;
    let h = secs_total / 3600;
    let m = (secs_total % 3600) / 60;
    let s = secs_total % 60;
    let secs = trim_fraction(s * 1_000_000_000 + frac_ns, 1_000_000_000);
    match (h, m) {
        (0, 0) => format!("{secs}s"),
        (0, m) => format!("{m}m{secs}s"),
        (h, m) => format!("{h}h{m}m{secs}s"),
    }
}

fn trim_fraction(value: u128, div: u128) -> String {
    let whole = value / div;
    let frac = value % div;
    if frac == 0 {
        return whole.to_string();
    }
    let width = div.to_string().len() - 1;
    let text = format!("{frac:0width$}");
    format!("{whole}.{}", text.trim_end_matches('0'))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rec(entries: &[(&str, &str, State)]) -> Records {
        let mut r: Records = HashMap::new();
        for (uid, id, s) in entries {
            r.entry(uid.to_string())
                .or_default()
                .insert(id.to_string(), *s);
        }
        r
    }

    fn kinds(events: &HashMap<String, Vec<Event>>, uid: &str) -> Vec<(String, EventType)> {
        let mut v: Vec<(String, EventType)> = events
            .get(uid)
            .map(|e| e.iter().map(|e| (e.container_id.clone(), e.kind)).collect())
            .unwrap_or_default();
        v.sort_by(|a, b| a.0.cmp(&b.0));
        v
    }

    #[test]
    fn events_follow_upstreams_table() {
        let old = rec(&[
            ("p1", "a", State::Running),
            ("p1", "b", State::Exited),
            ("p1", "c", State::Running),
            ("p2", "d", State::Running),
        ]);
        let new = rec(&[
            ("p1", "a", State::Exited),
            ("p1", "e", State::Running),
            ("p1", "f", State::Unknown),
            ("p2", "d", State::Running),
        ]);
        let ev = diff(&old, &new);
        assert_eq!(
            kinds(&ev, "p1"),
            vec![
                ("a".into(), EventType::ContainerDied),
                ("b".into(), EventType::ContainerRemoved),
                ("c".into(), EventType::ContainerDied),
                ("c".into(), EventType::ContainerRemoved),
                ("e".into(), EventType::ContainerStarted),
                ("f".into(), EventType::ContainerChanged),
            ]
        );
        assert!(!ev.contains_key("p2"), "no change, no event");
    }

    #[test]
    fn listing_groups_by_pod_uid() {
        let sandboxes = vec![pb::PodSandbox {
            id: "s".into(),
            state: pb::PodSandboxState::SandboxReady as i32,
            labels: HashMap::from([(LABEL_POD_UID.to_owned(), "u".to_owned())]),
            ..Default::default()
        }];
        let containers = vec![
            pb::Container {
                id: "c".into(),
                state: pb::ContainerState::ContainerExited as i32,
                labels: HashMap::from([(LABEL_POD_UID.to_owned(), "u".to_owned())]),
                ..Default::default()
            },
            pb::Container {
                id: "stranger".into(),
                ..Default::default()
            },
        ];
        let r = records(&sandboxes, &containers);
        assert_eq!(r.len(), 1);
        assert_eq!(r["u"]["s"], State::Running);
        assert_eq!(r["u"]["c"], State::Exited);
    }

    #[test]
    fn go_durations() {
        assert_eq!(go_duration_precise(Duration::from_secs(180)), "3m0s");
        assert_eq!(
            go_duration_precise(Duration::from_millis(182_512)),
            "3m2.512s"
        );
        assert_eq!(go_duration_precise(Duration::from_millis(1500)), "1.5s");
        assert_eq!(go_duration_precise(Duration::from_millis(20)), "20ms");
        assert_eq!(go_duration_precise(Duration::from_secs(3661)), "1h1m1s");
    }

    #[tokio::test]
    async fn health_threshold_message() {
        let m = Arc::new(Metrics::new());
        // A Cri is needed only for relisting; a lazy channel never connects here.
        let cri = Cri::new(std::path::Path::new("/nonexistent.sock"), m.clone()).unwrap();
        let p = Pleg::new(cri, m, Arc::new(PodCache::default()));
        assert!(p.healthy().is_ok());
        *p.last_relist.lock() = Some(Instant::now() - Duration::from_secs(200));
        let e = p.healthy().unwrap_err();
        assert!(e.starts_with("pleg was last seen active 3m20"), "{e}");
        assert!(e.ends_with("ago; threshold is 3m0s"), "{e}");
    }
}
