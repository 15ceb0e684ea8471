//! What a simulated node reports for its pods: running, then (when the pod asks for it by
//! annotation) finished with an exit code, or restarted as its restartPolicy says. Pure.

use std::time::Duration;

use serde_json::{Value, json};

/// Annotation: how long the pod's containers run before they exit (a duration: `30s`, `2m`).
pub const COMPLETE_AFTER: &str = "capstan.dev/sim-complete-after";
/// Annotation: the exit code they exit with (default 0).
pub const EXIT_CODE: &str = "capstan.dev/sim-exit-code";

/// What the simulation needs to know about a pod.
#[derive(Debug, Clone, PartialEq)]
pub struct PodPlan {
    pub restart_policy: RestartPolicy,
    /// (name, image) of the app containers.
    pub containers: Vec<(String, String)>,
    /// (name, image, is a sidecar: restartPolicy Always) of the init containers.
    pub init_containers: Vec<(String, String, bool)>,
    pub host_network: bool,
    /// When the containers exit, and with what code.
    pub exit: Option<(Duration, i32)>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RestartPolicy {
    Always,
    OnFailure,
    Never,
}

fn str_at<'a>(v: &'a Value, pointer: &str) -> &'a str {
    v.pointer(pointer).and_then(Value::as_str).unwrap_or("")
}

fn named(list: Option<&Value>) -> Vec<&Value> {
    list.and_then(Value::as_array)
        .map(|a| a.iter().collect())
        .unwrap_or_default()
}

/// Reads a pod's plan. A malformed annotation is reported (the pod then simply runs).
pub fn plan(pod: &Value) -> (PodPlan, Option<String>) {
    let restart_policy = match str_at(pod, "/spec/restartPolicy") {
        "Never" => RestartPolicy::Never,
        "OnFailure" => RestartPolicy::OnFailure,
        _ => RestartPolicy::Always,
    };
    let containers = named(pod.pointer("/spec/containers"))
        .into_iter()
        .map(|c| {
            (
                str_at(c, "/name").to_owned(),
                str_at(c, "/image").to_owned(),
            )
        })
        .collect();
    let init_containers = named(pod.pointer("/spec/initContainers"))
        .into_iter()
        .map(|c| {
            (
                str_at(c, "/name").to_owned(),
                str_at(c, "/image").to_owned(),
                str_at(c, "/restartPolicy") == "Always",
            )
        })
        .collect();
    let annotations = pod.pointer("/metadata/annotations");
    let annotation = |key: &str| annotations.and_then(|a| a.get(key)).and_then(Value::as_str);
    let mut problem = None;
    let exit = annotation(COMPLETE_AFTER).and_then(|after| {
        let delay = match humantime::parse_duration(after.trim()) {
            Ok(d) => d,
            Err(e) => {
                problem = Some(format!(
                    "annotation {COMPLETE_AFTER}={after:?} is not a duration: {e}"
                ));
                return None;
            }
        };
        let code = match annotation(EXIT_CODE).map(|c| c.trim().parse::<i32>()) {
            None => 0,
            Some(Ok(c)) => c,
            Some(Err(_)) => {
                problem = Some(format!(
                    "annotation {EXIT_CODE}={:?} is not an integer; exiting with 0",
                    annotation(EXIT_CODE).unwrap_or("")
                ));
                0
            }
        };
        Some((delay, code))
    });
    let plan = PodPlan {
        restart_policy,
        containers,
        init_containers,
        host_network: pod
            .pointer("/spec/hostNetwork")
            .and_then(Value::as_bool)
            .unwrap_or(false),
        exit,
    };
    (plan, problem)
}

/// Where the pod is in its simulated life.
#[derive(Debug, Clone, PartialEq)]
pub enum Stage {
    /// Containers running since `started`, after `restarts` restarts; the last exit (code and its
    /// start/finish times) if there was one.
    Running {
        started: String,
        restarts: i32,
        last_exit: Option<(i32, String, String)>,
    },
    /// Containers exited and wait to be restarted (CrashLoopBackOff); `restarts` so far.
    BackOff {
        restarts: i32,
        last_exit: (i32, String, String),
        wait: Duration,
    },
    /// Containers exited with `code` at `finished` and will not restart.
    Finished {
        started: String,
        finished: String,
        code: i32,
        restarts: i32,
    },
}

/// What happens when the containers exit with `code`, by restart policy.
pub fn after_exit(plan: &PodPlan, code: i32) -> bool {
    match plan.restart_policy {
        RestartPolicy::Always => true,
        RestartPolicy::OnFailure => code != 0,
        RestartPolicy::Never => false,
    }
}

/// The kubelet's restart back-off after the `restarts`-th restart: none before the first
/// restart, then 10 s doubling up to 5 minutes.
pub fn backoff(restarts: i32) -> Duration {
    if restarts <= 0 {
        return Duration::ZERO;
    }
    let doublings = (restarts - 1).min(5) as u32;
    Duration::from_secs(10 << doublings).min(Duration::from_secs(300))
}

fn exit_reason(code: i32) -> &'static str {
    if code == 0 { "Completed" } else { "Error" }
}

/// The pod's status at `stage` (a merge patch body's `status`).
pub fn status(
    plan: &PodPlan,
    stage: &Stage,
    uid: &str,
    pod_ip: &str,
    host_ip: &str,
    start_time: &str,
    now: &str,
) -> Value {
    let container_id = |name: &str| format!("sim://{uid}/{name}");
    let (running, restarts) = match stage {
        Stage::Running { restarts, .. } => (true, *restarts),
        Stage::BackOff { restarts, .. } | Stage::Finished { restarts, .. } => (false, *restarts),
    };
    let terminated = |name: &str, (code, from, to): (&i32, &String, &String)| {
        json!({"terminated": {"exitCode": code, "reason": exit_reason(*code),
            "startedAt": from, "finishedAt": to, "containerID": container_id(name)}})
    };
    let containers: Vec<Value> = plan
        .containers
        .iter()
        .map(|(name, image)| {
            let mut s = json!({
                "name": name, "image": image, "imageID": format!("sim://{image}"),
                "containerID": container_id(name), "restartCount": restarts,
                "ready": running, "started": running,
            });
            match stage {
                Stage::Running {
                    started, last_exit, ..
                } => {
                    s["state"] = json!({"running": {"startedAt": started}});
                    s["lastState"] = match last_exit {
                        Some((code, from, to)) => terminated(name, (code, from, to)),
                        None => json!({}),
                    };
                }
                Stage::BackOff {
                    last_exit: (code, from, to),
                    wait,
                    ..
                } => {
                    s["state"] = json!({"waiting": {"reason": "CrashLoopBackOff", "message":
                        format!("back-off {}s restarting failed container={name}", wait.as_secs())}});
                    s["lastState"] = terminated(name, (code, from, to));
                }
                Stage::Finished {
                    started,
                    finished,
                    code,
                    ..
                } => {
                    s["state"] = terminated(name, (code, started, finished));
                    s["lastState"] = json!({});
                }
            }
            s
        })
        .collect();
    let init: Vec<Value> = plan
        .init_containers
        .iter()
        .map(|(name, image, sidecar)| {
            let mut s = json!({
                "name": name, "image": image, "imageID": format!("sim://{image}"),
                "containerID": container_id(name), "restartCount": 0,
            });
            if *sidecar && running {
                s["ready"] = json!(true);
                s["started"] = json!(true);
                s["state"] = json!({"running": {"startedAt": start_time}});
            } else {
                s["ready"] = json!(!*sidecar);
                s["started"] = json!(false);
                s["state"] = json!({"terminated": {"exitCode": 0, "reason": "Completed",
                    "startedAt": start_time, "finishedAt": start_time, "containerID": container_id(name)}});
            }
            s
        })
        .collect();
    let (phase, ready, why) = match stage {
        Stage::Running { .. } => ("Running", "True", None),
        Stage::BackOff { .. } => ("Running", "False", Some("ContainersNotReady")),
        Stage::Finished { code: 0, .. } => ("Succeeded", "False", Some("PodCompleted")),
        Stage::Finished { .. } => ("Failed", "False", Some("ContainersNotReady")),
    };
    let condition = |kind: &str, status: &str, reason: Option<&str>| {
        let mut c = json!({"type": kind, "status": status, "lastProbeTime": null,
                           "lastTransitionTime": if status == "True" { start_time } else { now }});
        if let Some(r) = reason {
            c["reason"] = json!(r);
        }
        c
    };
    let mut status = json!({
        "phase": phase,
        "conditions": [
            condition("PodReadyToStartContainers", "True", None),
            condition("Initialized", "True", None),
            condition("Ready", ready, why),
            condition("ContainersReady", ready, why),
            condition("PodScheduled", "True", None),
        ],
        "hostIP": host_ip,
        "hostIPs": [{"ip": host_ip}],
        "podIP": pod_ip,
        "podIPs": [{"ip": pod_ip}],
        "startTime": start_time,
        "containerStatuses": containers,
    });
    if !init.is_empty() {
        status["initContainerStatuses"] = json!(init);
    }
    status
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pod(annotations: Value, restart: &str) -> Value {
        json!({
            "metadata": {"name": "p", "annotations": annotations},
            "spec": {"restartPolicy": restart,
                     "initContainers": [{"name": "setup", "image": "busybox"}],
                     "containers": [{"name": "app", "image": "busybox"}]},
        })
    }

    #[test]
    fn annotations_ask_for_an_exit() {
        let (p, problem) = plan(&pod(
            json!({COMPLETE_AFTER: "1m30s", EXIT_CODE: "3"}),
            "Never",
        ));
        assert_eq!(problem, None);
        assert_eq!(p.exit, Some((Duration::from_secs(90), 3)));
        assert_eq!(p.restart_policy, RestartPolicy::Never);
        let (p, _) = plan(&pod(json!({}), ""));
        assert_eq!(p.exit, None);
        assert_eq!(p.restart_policy, RestartPolicy::Always);
        let (p, problem) = plan(&pod(json!({COMPLETE_AFTER: "soon"}), "Never"));
        assert_eq!(p.exit, None);
        assert!(problem.unwrap().contains("not a duration"));
    }

    #[test]
    fn restart_policies_decide_what_follows_an_exit() {
        let mut p = plan(&pod(json!({}), "Never")).0;
        assert!(!after_exit(&p, 1));
        p.restart_policy = RestartPolicy::OnFailure;
        assert!(after_exit(&p, 1));
        assert!(!after_exit(&p, 0));
        p.restart_policy = RestartPolicy::Always;
        assert!(after_exit(&p, 0));
    }

    #[test]
    fn statuses_follow_upstream_shapes() {
        let p = plan(&pod(json!({}), "Never")).0;
        let running = status(
            &p,
            &Stage::Running {
                started: "t0".into(),
                restarts: 0,
                last_exit: None,
            },
            "u",
            "10.128.0.2",
            "172.16.0.1",
            "t0",
            "t0",
        );
        assert_eq!(running["phase"], "Running");
        assert_eq!(running["containerStatuses"][0]["ready"], true);
        assert_eq!(
            running["initContainerStatuses"][0]["state"]["terminated"]["reason"],
            "Completed"
        );
        assert_eq!(running["conditions"][2]["type"], "Ready");
        assert_eq!(running["conditions"][2]["status"], "True");

        let failed = status(
            &p,
            &Stage::Finished {
                started: "t0".into(),
                finished: "t1".into(),
                code: 2,
                restarts: 0,
            },
            "u",
            "10.128.0.2",
            "172.16.0.1",
            "t0",
            "t1",
        );
        assert_eq!(failed["phase"], "Failed");
        assert_eq!(
            failed["containerStatuses"][0]["state"]["terminated"]["exitCode"],
            2
        );
        assert_eq!(
            failed["containerStatuses"][0]["state"]["terminated"]["reason"],
            "Error"
        );
        assert_eq!(failed["conditions"][2]["status"], "False");

        let restarted = status(
            &p,
            &Stage::Running {
                started: "t2".into(),
                restarts: 1,
                last_exit: Some((0, "t0".into(), "t1".into())),
            },
            "u",
            "ip",
            "host",
            "t0",
            "t2",
        );
        assert_eq!(restarted["containerStatuses"][0]["restartCount"], 1);
        assert_eq!(
            restarted["containerStatuses"][0]["lastState"]["terminated"]["reason"],
            "Completed"
        );

        let waiting = status(
            &p,
            &Stage::BackOff {
                restarts: 2,
                last_exit: (1, "t0".into(), "t1".into()),
                wait: backoff(2),
            },
            "u",
            "ip",
            "host",
            "t0",
            "t2",
        );
        assert_eq!(waiting["phase"], "Running");
        assert_eq!(
            waiting["containerStatuses"][0]["state"]["waiting"]["reason"],
            "CrashLoopBackOff"
        );
        assert_eq!(waiting["containerStatuses"][0]["ready"], false);
    }

    #[test]
    fn backoff_doubles_to_five_minutes() {
        let secs: Vec<u64> = (0..9).map(|r| backoff(r).as_secs()).collect();
        assert_eq!(secs, [0, 10, 20, 40, 80, 160, 300, 300, 300]);
    }
}
