//! Pod rows: READY, STATUS reason logic, RESTARTS and the wide columns.

mod common;

use common::{DAY, MINUTE, ago, assert_row, cells, column_names, wide_column_names};
use serde_json::{Value, json};

fn pod(spec: Value, status: Value) -> Value {
    json!({
        "apiVersion": "v1", "kind": "Pod",
        "metadata": {"name": "web-0", "namespace": "default", "creationTimestamp": ago(5 * MINUTE)},
        "spec": spec,
        "status": status,
    })
}

fn containers(n: usize) -> Value {
    Value::Array(
        (0..n)
            .map(|i| json!({"name": format!("c{i}"), "image": "nginx"}))
            .collect(),
    )
}

fn running(ready: bool, restarts: i64) -> Value {
    json!({"name": "c", "ready": ready, "restartCount": restarts, "state": {"running": {"startedAt": ago(MINUTE)}}})
}

/// The first five cells (NAME READY STATUS RESTARTS AGE).
fn summary(p: &Value) -> Vec<Value> {
    cells("", "pods", p)[..5].to_vec()
}

#[test]
fn columns_match_upstream() {
    assert_eq!(
        column_names("", "pods"),
        [
            "Name",
            "Ready",
            "Status",
            "Restarts",
            "Age",
            "IP",
            "Node",
            "Nominated Node",
            "Readiness Gates"
        ]
    );
    assert_eq!(
        wide_column_names("", "pods"),
        ["IP", "Node", "Nominated Node", "Readiness Gates"]
    );
    let cols = capstan_printers::columns("", "pods").unwrap();
    assert_eq!((cols[0].format, cols[3].type_), ("name", "string"));
}

#[test]
fn running_pod_full_row() {
    let p = pod(
        json!({"containers": containers(2), "nodeName": "node-1"}),
        json!({
            "phase": "Running", "podIP": "10.244.0.5", "podIPs": [{"ip": "10.244.0.5"}],
            "conditions": [{"type": "Ready", "status": "True"}],
            "containerStatuses": [running(true, 0), running(true, 0)]
        }),
    );
    assert_row(
        "",
        "pods",
        &p,
        json!([
            "web-0",
            "2/2",
            "Running",
            "0",
            "5m",
            "10.244.0.5",
            "node-1",
            "<none>",
            "<none>"
        ]),
    );
}

#[test]
fn pending_pod_without_ip_or_node() {
    let p = pod(
        json!({"containers": containers(1)}),
        json!({"phase": "Pending"}),
    );
    assert_row(
        "",
        "pods",
        &p,
        json!([
            "web-0", "0/1", "Pending", "0", "5m", "<none>", "<none>", "<none>", "<none>"
        ]),
    );
}

#[test]
fn ready_count_and_restarts_sum_over_containers() {
    let p = pod(
        json!({"containers": containers(2)}),
        json!({"phase": "podPhase", "containerStatuses": [running(true, 3), {"restartCount": 3}]}),
    );
    assert_eq!(
        summary(&p),
        json!(["web-0", "1/2", "podPhase", "6", "5m"])
            .as_array()
            .unwrap()
            .clone()
    );
}

#[test]
fn waiting_reason_overrides_phase() {
    let p = pod(
        json!({"containers": containers(2)}),
        json!({"phase": "Running", "containerStatuses": [
            running(true, 0),
            {"ready": false, "restartCount": 4,
             "state": {"waiting": {"reason": "CrashLoopBackOff"}},
             "lastState": {"terminated": {"exitCode": 1, "finishedAt": ago(5 * MINUTE - 30)}}}
        ]}),
    );
    assert_eq!(
        summary(&p)[1..4],
        [
            json!("1/2"),
            json!("CrashLoopBackOff"),
            json!("4 (4m30s ago)")
        ]
    );
}

#[test]
fn first_container_reason_wins() {
    let p = pod(
        json!({"containers": containers(2)}),
        json!({"phase": "podPhase", "containerStatuses": [
            {"restartCount": 3, "state": {"waiting": {"reason": "ContainerWaitingReason"}}},
            {"restartCount": 3, "state": {"terminated": {"reason": "ContainerTerminatedReason"}}}
        ]}),
    );
    assert_eq!(
        summary(&p)[1..4],
        [json!("0/2"), json!("ContainerWaitingReason"), json!("6")]
    );
}

#[test]
fn ready_without_running_state_does_not_count() {
    let p = pod(
        json!({"containers": containers(2)}),
        json!({"phase": "podPhase", "reason": "podReason",
               "containerStatuses": [running(true, 3), {"ready": true, "restartCount": 3}]}),
    );
    assert_eq!(summary(&p)[1..3], [json!("1/2"), json!("podReason")]);
}

#[test]
fn completed_container_next_to_running_one() {
    let status = |conditions: Value| {
        json!({"phase": "Running", "conditions": conditions, "containerStatuses": [
            {"ready": true, "restartCount": 3, "state": {"terminated": {"reason": "Completed", "exitCode": 0}}},
            running(true, 3)
        ]})
    };
    let not_ready = pod(json!({"containers": containers(2)}), status(json!([])));
    assert_eq!(summary(&not_ready)[1..3], [json!("1/2"), json!("NotReady")]);
    let ready = pod(
        json!({"containers": containers(2)}),
        status(json!([{"type": "Ready", "status": "True"}])),
    );
    assert_eq!(summary(&ready)[1..3], [json!("1/2"), json!("Running")]);
}

#[test]
fn terminated_without_reason_shows_exit_code_or_signal() {
    let p = |terminated: Value| {
        pod(
            json!({"containers": containers(1)}),
            json!({"phase": "Running", "containerStatuses": [{"state": {"terminated": terminated}}]}),
        )
    };
    assert_eq!(summary(&p(json!({"exitCode": 2})))[2], json!("ExitCode:2"));
    assert_eq!(
        summary(&p(json!({"exitCode": 137, "signal": 9})))[2],
        json!("Signal:9")
    );
}

#[test]
fn init_container_progress() {
    let init = |statuses: Value, n: usize| {
        pod(
            json!({"initContainers": containers(n), "containers": containers(1)}),
            json!({"phase": "Pending", "initContainerStatuses": statuses,
                   "containerStatuses": [{"state": {"waiting": {"reason": "PodInitializing"}}}]}),
        )
    };
    let restarting = json!({"restartCount": 3, "state": {"running": {}},
                            "lastState": {"terminated": {"finishedAt": ago(10)}}});
    let waiting = json!({"state": {"waiting": {}}});
    let done = json!({"state": {"terminated": {"exitCode": 0}}});
    assert_eq!(
        summary(&init(json!([restarting]), 1))[1..4],
        [json!("0/1"), json!("Init:0/1"), json!("3 (10s ago)")]
    );
    assert_eq!(
        summary(&init(json!([restarting, waiting]), 2))[2],
        json!("Init:0/2")
    );
    assert_eq!(
        summary(&init(json!([done, restarting]), 2))[2],
        json!("Init:1/2")
    );
    let done_with_restarts = json!({"restartCount": 2, "state": {"terminated": {"exitCode": 0}},
                                    "lastState": {"terminated": {"finishedAt": ago(2 * MINUTE)}}});
    assert_eq!(
        summary(&init(json!([done_with_restarts, restarting]), 2))[2..4],
        [json!("Init:1/2"), json!("5 (10s ago)")]
    );
}

#[test]
fn init_container_failures() {
    let failed = |state: Value| {
        pod(
            json!({"initContainers": containers(1), "containers": containers(1)}),
            json!({"phase": "Pending", "initContainerStatuses": [{"state": state}]}),
        )
    };
    assert_eq!(
        summary(&failed(
            json!({"terminated": {"exitCode": 1, "reason": "Error"}})
        ))[2],
        json!("Init:Error")
    );
    assert_eq!(
        summary(&failed(json!({"terminated": {"exitCode": 3}})))[2],
        json!("Init:ExitCode:3")
    );
    assert_eq!(
        summary(&failed(
            json!({"terminated": {"exitCode": 3, "signal": 15}})
        ))[2],
        json!("Init:Signal:15")
    );
    assert_eq!(
        summary(&failed(json!({"waiting": {"reason": "CrashLoopBackOff"}})))[2],
        json!("Init:CrashLoopBackOff")
    );
    // PodInitializing is not an init failure; the progress counter is shown instead.
    assert_eq!(
        summary(&failed(json!({"waiting": {"reason": "PodInitializing"}})))[2],
        json!("Init:0/1")
    );
}

#[test]
fn init_restarts_are_dropped_once_initialized() {
    let p = pod(
        json!({"initContainers": containers(1), "containers": containers(1)}),
        json!({"phase": "Running",
               "initContainerStatuses": [{"restartCount": 2, "state": {"terminated": {"exitCode": 0}},
                                          "lastState": {"terminated": {"finishedAt": ago(2 * MINUTE)}}}],
               "containerStatuses": [{"restartCount": 4, "state": {"running": {}},
                                      "lastState": {"terminated": {"finishedAt": ago(20)}}}]}),
    );
    assert_eq!(
        summary(&p)[1..4],
        [json!("0/1"), json!("Running"), json!("4 (20s ago)")]
    );
}

#[test]
fn latest_restart_time_is_reported() {
    let restarted = |n: i64, secs: i64| {
        json!({"ready": true, "restartCount": n, "state": {"running": {}},
               "lastState": {"terminated": {"finishedAt": ago(secs)}}})
    };
    let p = pod(
        json!({"containers": containers(2)}),
        json!({"phase": "Running", "containerStatuses": [restarted(6, 5 * DAY), restarted(3, 20 * DAY)]}),
    );
    assert_eq!(
        summary(&p)[1..4],
        [json!("2/2"), json!("Running"), json!("9 (5d ago)")]
    );
}

#[test]
fn sidecar_containers_count_towards_ready_and_total() {
    let spec = json!({
        "initContainers": [{"name": "side-1", "restartPolicy": "Always"}, {"name": "side-2", "restartPolicy": "Always"}],
        "containers": containers(1)
    });
    let starting = pod(
        spec.clone(),
        json!({"phase": "Pending",
               "conditions": [{"type": "Initialized", "status": "False"}],
               "initContainerStatuses": [
                   {"name": "side-1", "restartCount": 3, "started": true, "state": {"running": {}},
                    "lastState": {"terminated": {"finishedAt": ago(10)}}},
                   {"name": "side-2", "started": false, "state": {"running": {}}}],
               "containerStatuses": [{"state": {"waiting": {}}}]}),
    );
    assert_eq!(
        summary(&starting)[1..4],
        [json!("0/3"), json!("Init:1/2"), json!("3 (10s ago)")]
    );
    let running_pod = pod(
        spec,
        json!({"phase": "Running",
               "conditions": [{"type": "Initialized", "status": "True"}],
               "initContainerStatuses": [
                   {"name": "side-1", "restartCount": 3, "started": true, "state": {"running": {}},
                    "lastState": {"terminated": {"finishedAt": ago(10)}}},
                   {"name": "side-2", "started": true, "ready": true, "state": {"running": {}}}],
               "containerStatuses": [{"ready": true, "restartCount": 4, "state": {"running": {}},
                                      "lastState": {"terminated": {"finishedAt": ago(20)}}}]}),
    );
    assert_eq!(
        summary(&running_pod)[1..4],
        [json!("2/3"), json!("Running"), json!("7 (10s ago)")]
    );
}

#[test]
fn statuses_of_unknown_containers_are_harmless() {
    let p = pod(
        json!({"initContainers": [{"name": "init1"}, {"name": "sidecar1", "restartPolicy": "Always"}],
               "containers": [{"name": "container1"}]}),
        json!({"phase": "Running",
               "initContainerStatuses": [{"name": "initinvalid"}, {"name": "init1"}, {"name": "sidecar1"}],
               "containerStatuses": [{"name": "containerinvalid"}, {"name": "container1"}]}),
    );
    assert_eq!(
        summary(&p)[1..4],
        [json!("0/2"), json!("Init:0/2"), json!("0")]
    );
}

#[test]
fn scheduling_gated_pod() {
    let p = pod(
        json!({"containers": containers(2), "schedulingGates": [{"name": "example.com/gate"}]}),
        json!({"phase": "Pending", "conditions": [{"type": "PodScheduled", "status": "False", "reason": "SchedulingGated"}]}),
    );
    assert_eq!(
        summary(&p)[1..4],
        [json!("0/2"), json!("SchedulingGated"), json!("0")]
    );
}

#[test]
fn terminating_and_node_lost_pods() {
    let deleting = |phase: &str, reason: &str| {
        let mut p = pod(
            json!({"containers": containers(1)}),
            json!({"phase": phase, "reason": reason}),
        );
        p["metadata"]["deletionTimestamp"] = json!(ago(10));
        p
    };
    assert_eq!(summary(&deleting("Running", ""))[2], json!("Terminating"));
    assert_eq!(summary(&deleting("Pending", ""))[2], json!("Terminating"));
    assert_eq!(
        summary(&deleting("Running", "NodeLost"))[2],
        json!("Unknown")
    );
    // Pods that already finished keep their final status.
    assert_eq!(summary(&deleting("Succeeded", ""))[2], json!("Succeeded"));
}

#[test]
fn completed_and_failed_pods_get_row_conditions() {
    let finished = |phase: &str, reason: &str, code: i64| {
        pod(
            json!({"containers": containers(1)}),
            json!({"phase": phase, "containerStatuses": [{"state": {"terminated": {"reason": reason, "exitCode": code}}}]}),
        )
    };
    let ok = finished("Succeeded", "Completed", 0);
    assert_eq!(
        summary(&ok)[1..4],
        [json!("0/1"), json!("Completed"), json!("0")]
    );
    assert_eq!(
        capstan_printers::row_conditions("", "pods", &ok),
        vec![
            json!({"type": "Completed", "status": "True", "reason": "Succeeded", "message": "The pod has completed successfully."})
        ]
    );
    let failed = finished("Failed", "Error", 1);
    assert_eq!(summary(&failed)[2], json!("Error"));
    assert_eq!(
        capstan_printers::row_conditions("", "pods", &failed),
        vec![
            json!({"type": "Completed", "status": "True", "reason": "Failed", "message": "The pod failed."})
        ]
    );
    let running_pod = pod(
        json!({"containers": containers(1)}),
        json!({"phase": "Running"}),
    );
    assert!(capstan_printers::row_conditions("", "pods", &running_pod).is_empty());
    assert!(capstan_printers::row_conditions("apps", "deployments", &ok).is_empty());
}

#[test]
fn wide_columns_ip_nominated_node_and_readiness_gates() {
    let p = pod(
        json!({"containers": containers(2), "nodeName": "test1",
               "readinessGates": [{"conditionType": "condition1"}, {"conditionType": "condition2"}, {"conditionType": "condition3"}]}),
        json!({"phase": "podPhase", "podIPs": [{"ip": "1.1.1.1"}, {"ip": "2001:db8::"}],
               "nominatedNodeName": "node1",
               "conditions": [{"type": "condition1", "status": "False"}, {"type": "condition2", "status": "True"}],
               "containerStatuses": [running(true, 3), {"restartCount": 3}]}),
    );
    assert_eq!(
        cells("", "pods", &p)[5..],
        [
            json!("1.1.1.1"),
            json!("test1"),
            json!("node1"),
            json!("1/3")
        ]
    );
}

#[test]
fn empty_object_does_not_panic() {
    assert_eq!(
        cells("", "pods", &json!({})),
        json!([
            "",
            "0/0",
            "",
            "0",
            "<unknown>",
            "<none>",
            "<none>",
            "<none>",
            "<none>"
        ])
        .as_array()
        .unwrap()
        .clone()
    );
    assert_eq!(cells("", "pods", &Value::Null).len(), 9);
}
