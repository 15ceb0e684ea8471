//! The pod status the agent reports, computed from the pod, what the runtime holds, the reasons
//! of the last sync (back-off, pull errors) and the probes, as the kubelet's
//! generateAPIPodStatus does: container statuses, phase, the kubelet-owned conditions. Pure.

use std::collections::HashMap;

use k8s_openapi::api::core::v1::{Container, Pod};
use serde_json::{Value, json};

use crate::resources;
use crate::runtime::{CState, ContainerInfo, PodRuntime, rfc3339_ns};

/// Why a container is not running, as the last sync found it (CrashLoopBackOff, ErrImagePull…).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Waiting {
    pub reason: String,
    pub message: String,
}

/// Probe results for a container (by container id).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ProbeView {
    pub ready: bool,
    pub started: bool,
}

pub struct Input<'a> {
    pub pod: &'a Pod,
    pub runtime: &'a PodRuntime,
    pub waiting: &'a HashMap<String, Waiting>,
    /// Container id → probe view; a running container missing here has no probes running yet.
    pub probes: &'a HashMap<String, ProbeView>,
    pub host_ip: &'a str,
    pub start_time: &'a str,
    pub now: &'a str,
    /// The pod will run nothing more (all done, or being torn down).
    pub terminal: bool,
}

pub fn is_sidecar(c: &Container) -> bool {
    c.restart_policy.as_deref() == Some("Always")
}

fn restart_policy(pod: &Pod) -> &str {
    pod.spec
        .as_ref()
        .and_then(|s| s.restart_policy.as_deref())
        .unwrap_or("Always")
}

fn terminated(c: &ContainerInfo) -> Value {
    let mut t = json!({
        "exitCode": c.exit_code,
        "containerID": format!("containerd://{}", c.id),
    });
    if !c.reason.is_empty() {
        t["reason"] = json!(c.reason);
    }
    if !c.message.is_empty() {
        t["message"] = json!(c.message);
    }
    if let Some(s) = rfc3339_ns(c.started_at) {
        t["startedAt"] = json!(s);
    }
    if let Some(f) = rfc3339_ns(c.finished_at) {
        t["finishedAt"] = json!(f);
    }
    t
}

fn old_status<'a>(
    pod: &'a Pod,
    name: &str,
    init: bool,
) -> Option<&'a k8s_openapi::api::core::v1::ContainerStatus> {
    let st = pod.status.as_ref()?;
    let list = if init {
        st.init_container_statuses.as_ref()
    } else {
        st.container_statuses.as_ref()
    }?;
    list.iter().find(|c| c.name == name)
}

fn container_status(
    input: &Input<'_>,
    spec: &Container,
    init: bool,
    default_waiting: &str,
) -> Value {
    let rt = input.runtime;
    let name = spec.name.as_str();
    let old = old_status(input.pod, name, init);
    let image = spec.image.clone().unwrap_or_default();
    let mut s = json!({
        "name": name,
        "image": image,
        "imageID": "",
        "ready": false,
        "restartCount": old.map(|o| o.restart_count).unwrap_or(0),
        "started": false,
        "lastState": {},
    });
    let waiting = input.waiting.get(name);
    let Some(c) = rt.latest(name) else {
        let (reason, message) = match waiting {
            Some(w) => (w.reason.clone(), w.message.clone()),
            None => (default_waiting.to_owned(), String::new()),
        };
        let mut w = json!({"reason": reason});
        if !message.is_empty() {
            w["message"] = json!(message);
        }
        s["state"] = json!({"waiting": w});
        if let Some(last) = old.and_then(|o| o.last_state.as_ref()) {
            s["lastState"] = serde_json::to_value(last).unwrap_or(json!({}));
        }
        return s;
    };
    s["containerID"] = json!(format!("containerd://{}", c.id));
    if !c.image.is_empty() && !c.image.starts_with("sha256:") {
        s["image"] = json!(c.image);
    }
    s["imageID"] = json!(c.image_ref);
    s["restartCount"] = json!(c.attempt);
    let previous = rt.previous(name).map(terminated);
    match c.state {
        CState::Running => {
            let mut r = json!({});
            if let Some(t) = rfc3339_ns(c.started_at) {
                r["startedAt"] = json!(t);
            }
            s["state"] = json!({"running": r});
            let view = input.probes.get(&c.id).copied().unwrap_or_default();
            s["ready"] = json!(view.ready && !input.terminal);
            s["started"] = json!(view.started);
            if let Some(p) = previous {
                s["lastState"] = json!({"terminated": p});
            } else if c.attempt > 0
                && let Some(last) = old.and_then(|o| o.last_state.as_ref())
            {
                s["lastState"] = serde_json::to_value(last).unwrap_or(json!({}));
            }
        }
        CState::Exited | CState::Unknown => {
            let term = terminated(c);
            match waiting {
                Some(w) if !input.terminal => {
                    let mut wv = json!({"reason": w.reason});
                    if !w.message.is_empty() {
                        wv["message"] = json!(w.message);
                    }
                    s["state"] = json!({"waiting": wv});
                    s["lastState"] = json!({"terminated": term});
                }
                _ => {
                    s["state"] = json!({"terminated": term});
                    if let Some(p) = previous {
                        s["lastState"] = json!({"terminated": p});
                    }
                }
            }
        }
        CState::Created => {
            let (reason, message) = match waiting {
                Some(w) => (w.reason.clone(), w.message.clone()),
                None => ("ContainerCreating".to_owned(), String::new()),
            };
            let mut w = json!({"reason": reason});
            if !message.is_empty() {
                w["message"] = json!(message);
            }
            s["state"] = json!({"waiting": w});
            if let Some(p) = previous {
                s["lastState"] = json!({"terminated": p});
            }
        }
    }
    s
}

fn has_state(s: &Value, state: &str) -> bool {
    s.pointer(&format!("/state/{state}")).is_some()
}

fn exit_code(s: &Value, pointer: &str) -> Option<i64> {
    s.pointer(pointer).and_then(Value::as_i64)
}

/// Upstream's getPhase over the computed statuses.
pub fn phase(
    pod: &Pod,
    init_statuses: &[Value],
    statuses: &[Value],
    terminal: bool,
) -> &'static str {
    let Some(spec) = &pod.spec else {
        return "Pending";
    };
    let find = |list: &[Value], name: &str| -> Option<Value> {
        list.iter().find(|s| s["name"] == name).cloned()
    };
    let mut pending_init = 0;
    let mut failed_init = 0;
    let (mut unknown, mut running, mut waiting, mut stopped, mut succeeded) = (0, 0, 0, 0, 0);
    for c in spec.init_containers.iter().flatten() {
        let Some(s) = find(init_statuses, &c.name) else {
            if is_sidecar(c) {
                unknown += 1;
            } else {
                pending_init += 1;
            }
            continue;
        };
        if is_sidecar(c) {
            if has_state(&s, "running") {
                if s["started"] != json!(true) {
                    pending_init += 1;
                }
                running += 1;
            } else if has_state(&s, "terminated") {
            } else if has_state(&s, "waiting") {
                if s.pointer("/lastState/terminated").is_none() {
                    pending_init += 1;
                    waiting += 1;
                }
            } else {
                pending_init += 1;
                unknown += 1;
            }
            continue;
        }
        if has_state(&s, "running") {
            pending_init += 1;
        } else if has_state(&s, "terminated") {
            if exit_code(&s, "/state/terminated/exitCode") != Some(0) {
                failed_init += 1;
            }
        } else if has_state(&s, "waiting") {
            match exit_code(&s, "/lastState/terminated/exitCode") {
                Some(code) if code != 0 => failed_init += 1,
                Some(_) => {}
                None => pending_init += 1,
            }
        } else {
            pending_init += 1;
        }
    }
    for c in &spec.containers {
        let Some(s) = find(statuses, &c.name) else {
            unknown += 1;
            continue;
        };
        if has_state(&s, "running") {
            running += 1;
        } else if has_state(&s, "terminated") {
            stopped += 1;
            if exit_code(&s, "/state/terminated/exitCode") == Some(0) {
                succeeded += 1;
            }
        } else if has_state(&s, "waiting") {
            if s.pointer("/lastState/terminated").is_some() {
                stopped += 1;
            } else {
                waiting += 1;
            }
        } else {
            unknown += 1;
        }
    }
    let policy = restart_policy(pod);
    if failed_init > 0 && policy == "Never" {
        return "Failed";
    }
    let any_regular_started = spec.containers.iter().any(|c| {
        find(statuses, &c.name).is_some_and(|s| {
            has_state(&s, "running")
                || has_state(&s, "terminated")
                || s.pointer("/lastState/terminated").is_some()
        })
    });
    if (pending_init > 0 && !any_regular_started) || waiting > 0 {
        return "Pending";
    }
    if running > 0 && unknown == 0 {
        return "Running";
    }
    if running == 0 && stopped > 0 && unknown == 0 {
        if terminal {
            return if stopped == succeeded {
                "Succeeded"
            } else {
                "Failed"
            };
        }
        if policy == "Always" {
            return "Running";
        }
        if stopped == succeeded {
            return "Succeeded";
        }
        if policy == "Never" {
            return "Failed";
        }
        return "Running";
    }
    "Pending"
}

fn condition(kind: &str, ok: bool, reason: &str, message: &str) -> Value {
    let mut c = json!({"type": kind, "status": if ok { "True" } else { "False" }});
    if !reason.is_empty() {
        c["reason"] = json!(reason);
    }
    if !message.is_empty() {
        c["message"] = json!(message);
    }
    c
}

/// Go's `%s` of a string slice: `[a b]`.
fn go_list(names: &[String]) -> String {
    format!("[{}]", names.join(" "))
}

const KUBELET_CONDITIONS: &[&str] = &[
    "PodReadyToStartContainers",
    "Initialized",
    "Ready",
    "ContainersReady",
    "PodScheduled",
];

fn conditions(input: &Input<'_>, init: &[Value], app: &[Value], phase: &str) -> Vec<Value> {
    let pod = input.pod;
    let spec = pod.spec.as_ref();
    let old: Vec<Value> = pod
        .status
        .as_ref()
        .and_then(|s| s.conditions.as_ref())
        .map(|c| {
            c.iter()
                .filter_map(|c| serde_json::to_value(c).ok())
                .collect()
        })
        .unwrap_or_default();
    let mut out: Vec<Value> = old
        .iter()
        .filter(|c| !KUBELET_CONDITIONS.contains(&c["type"].as_str().unwrap_or("")))
        .cloned()
        .collect();
    let host_network = spec.and_then(|s| s.host_network).unwrap_or(false);
    let sandbox_ready = input
        .runtime
        .ready_sandbox()
        .is_some_and(|s| host_network || !s.ips.is_empty());
    out.push(condition(
        "PodReadyToStartContainers",
        sandbox_ready,
        "",
        "",
    ));

    // Initialized.
    let mut incomplete = Vec::new();
    for c in spec
        .map(|s| s.init_containers.iter().flatten().collect::<Vec<_>>())
        .unwrap_or_default()
    {
        let s = init.iter().find(|s| s["name"] == c.name.as_str());
        let done = match s {
            None => false,
            Some(s) if is_sidecar(c) => s["started"] == json!(true),
            Some(s) => {
                has_state(s, "terminated") && exit_code(s, "/state/terminated/exitCode") == Some(0)
            }
        };
        if !done {
            incomplete.push(c.name.clone());
        }
    }
    let completed = phase == "Succeeded";
    if incomplete.is_empty() || completed {
        let reason = if completed && !incomplete.is_empty() {
            "PodCompleted"
        } else {
            ""
        };
        out.push(condition("Initialized", true, reason, ""));
    } else {
        out.push(condition(
            "Initialized",
            false,
            "ContainersNotInitialized",
            &format!(
                "containers with incomplete status: {}",
                go_list(&incomplete)
            ),
        ));
    }

    // ContainersReady and Ready.
    let mut unready: Vec<String> = Vec::new();
    for c in spec
        .map(|s| s.init_containers.iter().flatten().collect::<Vec<_>>())
        .unwrap_or_default()
    {
        if is_sidecar(c) {
            let ready = init
                .iter()
                .find(|s| s["name"] == c.name.as_str())
                .is_some_and(|s| s["ready"] == json!(true));
            if !ready {
                unready.push(c.name.clone());
            }
        }
    }
    for c in spec
        .map(|s| s.containers.iter().collect::<Vec<_>>())
        .unwrap_or_default()
    {
        let ready = app
            .iter()
            .find(|s| s["name"] == c.name.as_str())
            .is_some_and(|s| s["ready"] == json!(true));
        if !ready {
            unready.push(c.name.clone());
        }
    }
    let (containers_ready, reason, message) = if completed {
        (false, "PodCompleted", String::new())
    } else if unready.is_empty() {
        (true, "", String::new())
    } else {
        (
            false,
            "ContainersNotReady",
            format!("containers with unready status: {}", go_list(&unready)),
        )
    };
    let mut ready = (containers_ready, reason.to_owned(), message.clone());
    if containers_ready {
        let mut missing = Vec::new();
        let mut not_true = Vec::new();
        for gate in spec
            .and_then(|s| s.readiness_gates.as_ref())
            .into_iter()
            .flatten()
        {
            match old
                .iter()
                .find(|c| c["type"] == gate.condition_type.as_str())
            {
                None => missing.push(gate.condition_type.clone()),
                Some(c) if c["status"] != "True" => not_true.push(gate.condition_type.clone()),
                Some(_) => {}
            }
        }
        let mut msgs = Vec::new();
        for m in &missing {
            msgs.push(format!(
                "corresponding condition of pod readiness gate \"{m}\" does not exist."
            ));
        }
        if !not_true.is_empty() {
            msgs.push(format!(
                "the status of pod readiness gate \"{}\" is not \"True\", but False",
                not_true.join("\", \"")
            ));
        }
        if !msgs.is_empty() {
            ready = (false, "ReadinessGatesNotReady".into(), msgs.join(", "));
        }
    }
    out.push(condition("Ready", ready.0, &ready.1, &ready.2));
    out.push(condition(
        "ContainersReady",
        containers_ready,
        reason,
        &message,
    ));
    out.push(condition("PodScheduled", true, "", ""));

    // Transition times: kept while the status stays, now when it changes.
    for c in &mut out {
        let kind = c["type"].as_str().unwrap_or("").to_owned();
        if !KUBELET_CONDITIONS.contains(&kind.as_str()) {
            continue;
        }
        let prior = old.iter().find(|o| o["type"] == kind.as_str());
        let since = match prior {
            Some(p) if p["status"] == c["status"] => p
                .get("lastTransitionTime")
                .cloned()
                .unwrap_or_else(|| json!(input.now)),
            _ => json!(input.now),
        };
        c["lastTransitionTime"] = since;
        c["lastProbeTime"] = Value::Null;
    }
    out
}

/// The whole status to write.
pub fn compute(input: &Input<'_>) -> Value {
    let pod = input.pod;
    let Some(spec) = &pod.spec else {
        return json!({});
    };
    let has_init = spec.init_containers.as_ref().is_some_and(|v| !v.is_empty());
    let init_statuses: Vec<Value> = spec
        .init_containers
        .iter()
        .flatten()
        .map(|c| container_status(input, c, true, "PodInitializing"))
        .collect();
    let default_app = if has_init {
        "PodInitializing"
    } else {
        "ContainerCreating"
    };
    let statuses: Vec<Value> = spec
        .containers
        .iter()
        .map(|c| container_status(input, c, false, default_app))
        .collect();
    let mut phase = phase(pod, &init_statuses, &statuses, input.terminal);
    // Terminal phases never change back.
    let api_phase = pod.status.as_ref().and_then(|s| s.phase.as_deref());
    if let Some(p @ ("Succeeded" | "Failed")) = api_phase {
        phase = if p == "Succeeded" {
            "Succeeded"
        } else {
            "Failed"
        };
    }
    let conditions = conditions(input, &init_statuses, &statuses, phase);
    let mut status = json!({
        "phase": phase,
        "conditions": conditions,
        "hostIP": input.host_ip,
        "hostIPs": [{"ip": input.host_ip}],
        "startTime": input.start_time,
        "qosClass": resources::qos_class(pod).as_str(),
        "containerStatuses": statuses,
    });
    if has_init {
        status["initContainerStatuses"] = json!(init_statuses);
    }
    let host_network = spec.host_network.unwrap_or(false);
    let ips: Vec<String> = if host_network {
        vec![input.host_ip.to_owned()]
    } else {
        input
            .runtime
            .ready_sandbox()
            .map(|s| s.ips.clone())
            .filter(|ips| !ips.is_empty())
            .or_else(|| {
                // Keep the last known IP while the sandbox is gone (a finished pod keeps it).
                pod.status
                    .as_ref()
                    .and_then(|s| s.pod_ips.as_ref())
                    .map(|ips| ips.iter().map(|p| p.ip.clone()).collect())
            })
            .unwrap_or_default()
    };
    if let Some(first) = ips.first() {
        status["podIP"] = json!(first);
        status["podIPs"] = json!(ips.iter().map(|ip| json!({"ip": ip})).collect::<Vec<_>>());
    }
    status
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::runtime::SandboxInfo;

    fn pod(spec: Value) -> Pod {
        serde_json::from_value(
            json!({"metadata": {"name": "p", "namespace": "d", "uid": "u"}, "spec": spec}),
        )
        .unwrap()
    }

    fn container(
        id: &str,
        name: &str,
        attempt: u32,
        state: CState,
        exit: i32,
        created: i64,
    ) -> ContainerInfo {
        ContainerInfo {
            id: id.into(),
            name: name.into(),
            attempt,
            sandbox_id: "s".into(),
            state,
            created_at: created,
            started_at: created,
            finished_at: if state == CState::Exited {
                created + 1
            } else {
                0
            },
            exit_code: exit,
            reason: match (state, exit) {
                (CState::Exited, 0) => "Completed".into(),
                (CState::Exited, _) => "Error".into(),
                _ => String::new(),
            },
            message: String::new(),
            image: "docker.io/library/busybox:1".into(),
            image_ref: "sha256:abc".into(),
            hash: String::new(),
            annotations: HashMap::new(),
            log_path: String::new(),
        }
    }

    fn sandbox() -> SandboxInfo {
        SandboxInfo {
            id: "s".into(),
            attempt: 0,
            ready: true,
            created_at: 1,
            ips: vec!["10.42.0.7".into()],
        }
    }

    fn run(
        p: &Pod,
        rt: &PodRuntime,
        waiting: &HashMap<String, Waiting>,
        probes: &HashMap<String, ProbeView>,
        terminal: bool,
    ) -> Value {
        compute(&Input {
            pod: p,
            runtime: rt,
            waiting,
            probes,
            host_ip: "192.0.2.1",
            start_time: "2026-01-01T00:00:00Z",
            now: "2026-01-01T00:00:05Z",
            terminal,
        })
    }

    #[test]
    fn running_pod_with_ready_container() {
        let p = pod(json!({"containers": [{"name": "app", "image": "busybox:1"}]}));
        let rt = PodRuntime {
            sandboxes: vec![sandbox()],
            containers: vec![container(
                "c1",
                "app",
                0,
                CState::Running,
                0,
                10_000_000_000,
            )],
        };
        let probes = HashMap::from([(
            "c1".to_owned(),
            ProbeView {
                ready: true,
                started: true,
            },
        )]);
        let s = run(&p, &rt, &HashMap::new(), &probes, false);
        assert_eq!(s["phase"], "Running");
        assert_eq!(s["podIP"], "10.42.0.7");
        assert_eq!(s["qosClass"], "BestEffort");
        assert_eq!(s["containerStatuses"][0]["ready"], true);
        assert_eq!(s["containerStatuses"][0]["containerID"], "containerd://c1");
        assert_eq!(
            s["containerStatuses"][0]["image"],
            "docker.io/library/busybox:1"
        );
        let cond = |t: &str| {
            s["conditions"]
                .as_array()
                .unwrap()
                .iter()
                .find(|c| c["type"] == t)
                .unwrap()
                .clone()
        };
        assert_eq!(cond("Ready")["status"], "True");
        assert_eq!(cond("PodReadyToStartContainers")["status"], "True");
        assert_eq!(cond("Initialized")["status"], "True");
        assert_eq!(cond("PodScheduled")["status"], "True");
    }

    #[test]
    fn crash_loop_shows_waiting_and_last_state() {
        let p = pod(json!({"containers": [{"name": "app", "image": "busybox:1"}]}));
        let rt = PodRuntime {
            sandboxes: vec![sandbox()],
            containers: vec![
                container("c2", "app", 1, CState::Exited, 3, 20),
                container("c1", "app", 0, CState::Exited, 3, 10),
            ],
        };
        let waiting = HashMap::from([(
            "app".to_owned(),
            Waiting {
                reason: "CrashLoopBackOff".into(),
                message: "back-off 10s restarting failed container=app pod=p_d(u)".into(),
            },
        )]);
        let s = run(&p, &rt, &waiting, &HashMap::new(), false);
        let c = &s["containerStatuses"][0];
        assert_eq!(c["state"]["waiting"]["reason"], "CrashLoopBackOff");
        assert_eq!(c["lastState"]["terminated"]["exitCode"], 3);
        assert_eq!(c["lastState"]["terminated"]["reason"], "Error");
        assert_eq!(c["restartCount"], 1);
        assert_eq!(s["phase"], "Running");
        let ready = s["conditions"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["type"] == "ContainersReady")
            .unwrap()
            .clone();
        assert_eq!(ready["message"], "containers with unready status: [app]");
    }

    #[test]
    fn phases_follow_restart_policy() {
        let never = pod(json!({"restartPolicy": "Never", "containers": [{"name": "a"}]}));
        let rt_ok = PodRuntime {
            sandboxes: vec![],
            containers: vec![container("c", "a", 0, CState::Exited, 0, 1)],
        };
        let rt_fail = PodRuntime {
            sandboxes: vec![],
            containers: vec![container("c", "a", 0, CState::Exited, 1, 1)],
        };
        let none = HashMap::new();
        assert_eq!(
            run(&never, &rt_ok, &HashMap::new(), &none, true)["phase"],
            "Succeeded"
        );
        assert_eq!(
            run(&never, &rt_fail, &HashMap::new(), &none, true)["phase"],
            "Failed"
        );
        let always = pod(json!({"containers": [{"name": "a"}]}));
        assert_eq!(
            run(&always, &rt_ok, &HashMap::new(), &none, false)["phase"],
            "Running"
        );
        let on_failure = pod(json!({"restartPolicy": "OnFailure", "containers": [{"name": "a"}]}));
        assert_eq!(
            run(&on_failure, &rt_ok, &HashMap::new(), &none, false)["phase"],
            "Succeeded"
        );
        assert_eq!(
            run(&on_failure, &rt_fail, &HashMap::new(), &none, false)["phase"],
            "Running"
        );
        let empty = PodRuntime::default();
        let s = run(&always, &empty, &HashMap::new(), &none, false);
        assert_eq!(s["phase"], "Pending");
        assert_eq!(
            s["containerStatuses"][0]["state"]["waiting"]["reason"],
            "ContainerCreating"
        );
    }

    #[test]
    fn init_containers_gate_initialized() {
        let p = pod(
            json!({"initContainers": [{"name": "i1"}, {"name": "i2"}], "containers": [{"name": "a"}]}),
        );
        let rt = PodRuntime {
            sandboxes: vec![sandbox()],
            containers: vec![
                container("x2", "i2", 0, CState::Running, 0, 2),
                container("x1", "i1", 0, CState::Exited, 0, 1),
            ],
        };
        let s = run(&p, &rt, &HashMap::new(), &HashMap::new(), false);
        assert_eq!(s["phase"], "Pending");
        assert_eq!(
            s["initContainerStatuses"][0]["state"]["terminated"]["reason"],
            "Completed"
        );
        assert_eq!(
            s["containerStatuses"][0]["state"]["waiting"]["reason"],
            "PodInitializing"
        );
        let init = s["conditions"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["type"] == "Initialized")
            .unwrap()
            .clone();
        assert_eq!(init["status"], "False");
        assert_eq!(init["message"], "containers with incomplete status: [i2]");
        // A failed init container fails a Never pod.
        let never = pod(
            json!({"restartPolicy": "Never", "initContainers": [{"name": "i1"}], "containers": [{"name": "a"}]}),
        );
        let rt = PodRuntime {
            sandboxes: vec![],
            containers: vec![container("x1", "i1", 0, CState::Exited, 2, 1)],
        };
        assert_eq!(
            run(&never, &rt, &HashMap::new(), &HashMap::new(), false)["phase"],
            "Failed"
        );
    }

    #[test]
    fn transition_times_are_kept_while_unchanged() {
        let mut p = pod(json!({"containers": [{"name": "a"}]}));
        p.status = serde_json::from_value(json!({"conditions": [
            {"type": "PodScheduled", "status": "True", "lastTransitionTime": "2025-01-01T00:00:00Z"},
            {"type": "Ready", "status": "True", "lastTransitionTime": "2025-01-01T00:00:00Z"},
            {"type": "example.com/gate", "status": "True"}
        ]})).unwrap();
        let s = run(
            &p,
            &PodRuntime::default(),
            &HashMap::new(),
            &HashMap::new(),
            false,
        );
        let cond = |t: &str| {
            s["conditions"]
                .as_array()
                .unwrap()
                .iter()
                .find(|c| c["type"] == t)
                .unwrap()
                .clone()
        };
        assert_eq!(
            cond("PodScheduled")["lastTransitionTime"],
            "2025-01-01T00:00:00Z"
        );
        assert_eq!(cond("Ready")["lastTransitionTime"], "2026-01-01T00:00:05Z");
        assert_eq!(cond("example.com/gate")["status"], "True");
    }
}
