//! Pods: READY, STATUS (reason) and RESTARTS are derived from container statuses.

use serde_json::{Value, json};

use crate::json::{arr_at, bool_at, cell, get, i64_at, is_deleting, name, opt_bool, str_at};
use crate::time::{Clock, timestamp};
use crate::{AGE, Cells, Column, NAME};

pub(crate) const COLUMNS: &[Column] = &[
    NAME,
    Column::new(
        "Ready",
        "string",
        "Ready containers out of all containers of the pod.",
    ),
    Column::new(
        "Status",
        "string",
        "Summary of the pod's lifecycle and container states.",
    ),
    Column::new(
        "Restarts",
        "string",
        "Container restarts, with the time of the latest one.",
    ),
    AGE,
    Column::new("IP", "string", "Primary IP address of the pod.").wide(),
    Column::new("Node", "string", "Node the pod is bound to.").wide(),
    Column::new(
        "Nominated Node",
        "string",
        "Node the scheduler nominated for preemption.",
    )
    .wide(),
    Column::new(
        "Readiness Gates",
        "string",
        "Readiness gates that are satisfied.",
    )
    .wide(),
];

/// Sidecars are init containers with `restartPolicy: Always`.
fn is_restartable_init(container: &Value) -> bool {
    str_at(container, &["restartPolicy"]) == "Always"
}

/// Time the previous run of a container finished, if it restarted.
fn last_finished(status: &Value) -> Option<i128> {
    timestamp(get(status, &["lastState", "terminated", "finishedAt"]))
}

/// First condition of `type_` decides; absent means false.
fn condition_true(pod: &Value, type_: &str) -> bool {
    arr_at(pod, &["status", "conditions"])
        .iter()
        .find(|c| str_at(c, &["type"]) == type_)
        .is_some_and(|c| str_at(c, &["status"]) == "True")
}

fn has_ready_condition(pod: &Value) -> bool {
    arr_at(pod, &["status", "conditions"])
        .iter()
        .any(|c| str_at(c, &["type"]) == "Ready" && str_at(c, &["status"]) == "True")
}

/// Reason text for a terminated container without an explicit reason.
fn exit_text(terminated: &Value) -> String {
    let signal = i64_at(terminated, &["signal"]);
    if signal != 0 {
        format!("Signal:{signal}")
    } else {
        format!("ExitCode:{}", i64_at(terminated, &["exitCode"]))
    }
}

/// Running totals while walking container statuses.
#[derive(Default)]
struct Restarts {
    count: i64,
    last: Option<i128>,
}

impl Restarts {
    fn add(&mut self, status: &Value) {
        self.count += i64_at(status, &["restartCount"]);
        if let Some(t) = last_finished(status) {
            self.last = Some(self.last.map_or(t, |l| l.max(t)));
        }
    }
}

struct Summary {
    ready: usize,
    total: usize,
    reason: String,
    restarts: Restarts,
}

fn summarize(pod: &Value) -> Summary {
    let init_specs = arr_at(pod, &["spec", "initContainers"]);
    let restartable: Vec<&str> = init_specs
        .iter()
        .filter(|c| is_restartable_init(c))
        .map(|c| str_at(c, &["name"]))
        .collect();
    let total = arr_at(pod, &["spec", "containers"]).len() + restartable.len();
    let phase = str_at(pod, &["status", "phase"]);
    let mut reason = match str_at(pod, &["status", "reason"]) {
        "" => phase.to_string(),
        r => r.to_string(),
    };
    let gated = arr_at(pod, &["status", "conditions"]).iter().any(|c| {
        str_at(c, &["type"]) == "PodScheduled" && str_at(c, &["reason"]) == "SchedulingGated"
    });
    if gated {
        reason = "SchedulingGated".to_string();
    }

    let mut ready = 0;
    let mut all_restarts = Restarts::default();
    let mut sidecar_restarts = Restarts::default();
    let mut initializing = false;
    for (i, status) in arr_at(pod, &["status", "initContainerStatuses"])
        .iter()
        .enumerate()
    {
        all_restarts.add(status);
        let is_sidecar = restartable.contains(&str_at(status, &["name"]));
        if is_sidecar {
            sidecar_restarts.add(status);
        }
        let terminated = get(status, &["state", "terminated"]);
        if terminated.is_some_and(|t| i64_at(t, &["exitCode"]) == 0) {
            continue;
        }
        if is_sidecar && opt_bool(status, &["started"]) == Some(true) {
            if bool_at(status, &["ready"]) {
                ready += 1;
            }
            continue;
        }
        let waiting_reason = str_at(status, &["state", "waiting", "reason"]);
        reason = if let Some(t) = terminated {
            match str_at(t, &["reason"]) {
                "" => format!("Init:{}", exit_text(t)),
                r => format!("Init:{r}"),
            }
        } else if !waiting_reason.is_empty() && waiting_reason != "PodInitializing" {
            format!("Init:{waiting_reason}")
        } else {
            format!("Init:{i}/{}", init_specs.len())
        };
        initializing = true;
        break;
    }

    let mut restarts = all_restarts;
    if !initializing || condition_true(pod, "Initialized") {
        // Regular init containers no longer count once initialization is done.
        restarts = sidecar_restarts;
        let mut has_running = false;
        for status in arr_at(pod, &["status", "containerStatuses"]).iter().rev() {
            restarts.add(status);
            let waiting_reason = str_at(status, &["state", "waiting", "reason"]);
            let terminated = get(status, &["state", "terminated"]);
            if !waiting_reason.is_empty() {
                reason = waiting_reason.to_string();
            } else if let Some(t) = terminated {
                reason = match str_at(t, &["reason"]) {
                    "" => exit_text(t),
                    r => r.to_string(),
                };
            } else if bool_at(status, &["ready"]) && get(status, &["state", "running"]).is_some() {
                has_running = true;
                ready += 1;
            }
        }
        if reason == "Completed" && has_running {
            reason = if has_ready_condition(pod) {
                "Running"
            } else {
                "NotReady"
            }
            .to_string();
        }
    }

    if is_deleting(pod) && str_at(pod, &["status", "reason"]) == "NodeLost" {
        reason = "Unknown".to_string();
    } else if is_deleting(pod) && !matches!(phase, "Succeeded" | "Failed") {
        reason = "Terminating".to_string();
    }
    Summary {
        ready,
        total,
        reason,
        restarts,
    }
}

fn or_none(s: &str) -> String {
    if s.is_empty() {
        "<none>".to_string()
    } else {
        s.to_string()
    }
}

fn readiness_gates(pod: &Value) -> String {
    let gates = arr_at(pod, &["spec", "readinessGates"]);
    if gates.is_empty() {
        return "<none>".to_string();
    }
    let conditions = arr_at(pod, &["status", "conditions"]);
    let satisfied = gates
        .iter()
        .filter(|gate| {
            let wanted = str_at(gate, &["conditionType"]);
            conditions
                .iter()
                .find(|c| str_at(c, &["type"]) == wanted)
                .is_some_and(|c| str_at(c, &["status"]) == "True")
        })
        .count();
    format!("{satisfied}/{}", gates.len())
}

/// `status.podIP` wins over `status.podIPs`, as in the v1 conversion.
fn pod_ip(pod: &Value) -> String {
    let ip = str_at(pod, &["status", "podIP"]);
    if !ip.is_empty() {
        return ip.to_string();
    }
    or_none(
        arr_at(pod, &["status", "podIPs"])
            .first()
            .map_or("", |p| str_at(p, &["ip"])),
    )
}

pub(crate) fn cells(pod: &Value, clock: &Clock) -> Cells {
    let s = summarize(pod);
    let restarts = match s.restarts.last {
        Some(t) if s.restarts.count != 0 => {
            format!("{} ({} ago)", s.restarts.count, clock.since_nanos(t))
        }
        _ => s.restarts.count.to_string(),
    };
    Ok(vec![
        cell(name(pod)),
        cell(format!("{}/{}", s.ready, s.total)),
        cell(s.reason),
        cell(restarts),
        cell(clock.age(pod)),
        cell(pod_ip(pod)),
        cell(or_none(str_at(pod, &["spec", "nodeName"]))),
        cell(or_none(str_at(pod, &["status", "nominatedNodeName"]))),
        cell(readiness_gates(pod)),
    ])
}

/// Pods that ran to completion carry a `Completed` row condition.
pub(crate) fn row_conditions(pod: &Value) -> Vec<Value> {
    let (reason, message) = match str_at(pod, &["status", "phase"]) {
        "Succeeded" => ("Succeeded", "The pod has completed successfully."),
        "Failed" => ("Failed", "The pod failed."),
        _ => return Vec::new(),
    };
    vec![json!({"type": "Completed", "status": "True", "reason": reason, "message": message})]
}
