//! `capstan sim nodes`: simulated nodes register, say they are simulated, keep their Leases
//! fresh, run the pods the scheduler gives them (to completion when asked), restart them by
//! their policy and finish their deletion.

mod common;

use common::*;
use serde_json::Value;

fn get(s: &Server, args: &[&str]) -> Value {
    let mut all = vec!["get"];
    all.extend_from_slice(args);
    all.extend_from_slice(&["-o", "json"]);
    serde_json::from_str(&ok(s.kubectl(&all))).unwrap()
}

#[test]
fn simulated_nodes_act_like_kubelets() {
    let s = Server::start();
    let _sim = s.sim_nodes(
        4,
        &[
            "--zones",
            "2",
            "--taint",
            "sim=true:PreferNoSchedule",
            "--label",
            "tier=test",
            "--lease-renew-interval",
            "1s",
        ],
    );
    let node = get(&s, &["node", "sim-1"]);
    assert_eq!(node["metadata"]["labels"]["capstan.dev/simulated"], "true");
    assert!(
        node["metadata"]["annotations"]["capstan.dev/simulated"]
            .as_str()
            .unwrap()
            .contains("simulated")
    );
    assert_eq!(node["metadata"]["labels"]["tier"], "test");
    assert_eq!(
        node["metadata"]["labels"]["topology.kubernetes.io/zone"],
        "zone-1"
    );
    assert_eq!(node["spec"]["taints"][0]["effect"], "PreferNoSchedule");
    let ready = node["status"]["conditions"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["type"] == "Ready")
        .cloned()
        .unwrap();
    assert_eq!(ready["status"], "True");

    // Leases are renewed.
    let renewed = |s: &Server| {
        get(s, &["lease", "-n", "kube-node-lease", "sim-2"])["spec"]["renewTime"]
            .as_str()
            .unwrap()
            .to_owned()
    };
    wait_until(10, "the lease exists", || {
        s.kubectl(&["get", "lease", "-n", "kube-node-lease", "sim-2"])
            .status
            .success()
    });
    let first = renewed(&s);
    wait_until(10, "the lease is renewed", || renewed(&s) != first);

    // Pods run, get IPs, finish with the code they ask for, restart by policy.
    let manifest = r#"apiVersion: v1
kind: Pod
metadata: {name: runner}
spec:
  containers: [{name: c, image: busybox}]
---
apiVersion: v1
kind: Pod
metadata:
  name: job-ok
  annotations: {capstan.dev/sim-complete-after: 1s}
spec:
  restartPolicy: Never
  containers: [{name: c, image: busybox}]
---
apiVersion: v1
kind: Pod
metadata:
  name: job-fail
  annotations: {capstan.dev/sim-complete-after: 1s, capstan.dev/sim-exit-code: "2"}
spec:
  restartPolicy: Never
  containers: [{name: c, image: busybox}]
---
apiVersion: v1
kind: Pod
metadata:
  name: crasher
  annotations: {capstan.dev/sim-complete-after: 500ms, capstan.dev/sim-exit-code: "1"}
spec:
  restartPolicy: Always
  containers: [{name: c, image: busybox}]
"#;
    ok(s.kubectl_with(&newest_kubectl(), &["apply", "-f", "-"], Some(manifest)));
    let phase = |s: &Server, pod: &str| {
        get(s, &["pod", pod])["status"]["phase"]
            .as_str()
            .unwrap_or("")
            .to_owned()
    };
    wait_until(20, "runner is running", || phase(&s, "runner") == "Running");
    let runner = get(&s, &["pod", "runner"]);
    assert!(
        runner["status"]["podIP"]
            .as_str()
            .unwrap()
            .starts_with("10.1"),
        "{runner}"
    );
    assert_eq!(runner["status"]["containerStatuses"][0]["ready"], true);
    wait_until(20, "job-ok succeeds", || phase(&s, "job-ok") == "Succeeded");
    wait_until(20, "job-fail fails", || phase(&s, "job-fail") == "Failed");
    let failed = get(&s, &["pod", "job-fail"]);
    assert_eq!(
        failed["status"]["containerStatuses"][0]["state"]["terminated"]["exitCode"],
        2
    );
    wait_until(20, "crasher backs off", || {
        let p = get(&s, &["pod", "crasher"]);
        p["status"]["containerStatuses"][0]["state"]["waiting"]["reason"] == "CrashLoopBackOff"
            && p["status"]["containerStatuses"][0]["restartCount"] == 1
    });

    // Deletion is finished by the node.
    ok(s.kubectl(&["delete", "pod", "runner", "--timeout=20s"]));
    assert!(!s.kubectl(&["get", "pod", "runner"]).status.success());
}
