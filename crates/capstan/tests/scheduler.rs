//! The scheduler through a real server with simulated nodes, on the seeds' examples: node
//! affinity, pod anti-affinity per hostname, preferred (anti-)affinity weights, the three taint
//! effects, upstream's "0/N nodes are available" explanation, preemption, profiles from a
//! configuration file, leader election between two schedulers, and a cluster with no nodes yet.

mod common;

use common::*;
use serde_json::Value;

fn apply(s: &Server, yaml: &str) {
    ok(s.kubectl_with(&newest_kubectl(), &["apply", "-f", "-"], Some(yaml)));
}

fn node_of(s: &Server, pod: &str) -> String {
    ok(s.kubectl(&["get", "pod", pod, "-o", "jsonpath={.spec.nodeName}"]))
}

fn pod_json(s: &Server, pod: &str) -> Value {
    serde_json::from_str(&ok(s.kubectl(&["get", "pod", pod, "-o", "json"]))).unwrap()
}

fn wait_bound(s: &Server, pod: &str) -> String {
    wait_until(30, &format!("{pod} is bound"), || {
        !node_of(s, pod).is_empty()
    });
    node_of(s, pod)
}

/// Waits for the PodScheduled=False message of a pending pod.
fn unschedulable_message(s: &Server, pod: &str) -> String {
    let mut message = String::new();
    wait_until(30, &format!("{pod} is reported unschedulable"), || {
        let p = pod_json(s, pod);
        let cond = p["status"]["conditions"]
            .as_array()
            .and_then(|c| c.iter().find(|c| c["type"] == "PodScheduled").cloned());
        match cond {
            Some(c) if c["status"] == "False" && c["reason"] == "Unschedulable" => {
                message = c["message"].as_str().unwrap_or("").to_owned();
                true
            }
            _ => false,
        }
    });
    message
}

fn pod(name: &str, extra_spec: &str, labels: &str) -> String {
    format!(
        "apiVersion: v1\nkind: Pod\nmetadata:\n  name: {name}\n  labels: {{{labels}}}\nspec:\n  containers: [{{name: c, image: busybox}}]\n{extra_spec}"
    )
}

#[test]
fn node_affinity_anti_affinity_and_weights() {
    let s = Server::start();
    let _nodes = s.sim_nodes(6, &[]);
    ok(s.kubectl(&["label", "node", "sim-1", "sim-4", "disktype=ssd"]));
    ok(s.kubectl(&["label", "node", "sim-0", "sim-1", "sim-2", "pool=web"]));

    // Required node affinity with Exists.
    apply(
        &s,
        &pod(
            "fast",
            "  affinity:\n    nodeAffinity:\n      requiredDuringSchedulingIgnoredDuringExecution:\n        nodeSelectorTerms:\n        - matchExpressions:\n          - {key: disktype, operator: Exists}\n",
            "",
        ),
    );
    let node = wait_bound(&s, "fast");
    assert!(node == "sim-1" || node == "sim-4", "{node}");

    // One pod per hostname: four replicas, three nodes in the pool.
    let web = |i: usize| {
        pod(
            &format!("web-{i}"),
            "  nodeSelector: {pool: web}\n  affinity:\n    podAntiAffinity:\n      requiredDuringSchedulingIgnoredDuringExecution:\n      - labelSelector: {matchLabels: {app: web}}\n        topologyKey: kubernetes.io/hostname\n",
            "app: web",
        )
    };
    for i in 0..3 {
        apply(&s, &web(i));
    }
    let mut hosts: Vec<String> = (0..3)
        .map(|i| wait_bound(&s, &format!("web-{i}")))
        .collect();
    hosts.sort();
    assert_eq!(hosts, ["sim-0", "sim-1", "sim-2"]);
    apply(&s, &web(3));
    let message = unschedulable_message(&s, "web-3");
    assert!(
        message.starts_with("0/6 nodes are available: 3 node(s) didn't match Pod's node affinity/selector, 3 node(s) didn't match pod anti-affinity rules."),
        "{message}"
    );

    // Preferred terms: the heavier weight wins.
    ok(s.kubectl(&["label", "node", "sim-3", "sim-5", "pool=prefs"]));
    apply(&s, &pod("a", "  nodeName: sim-3\n", "app: a"));
    apply(&s, &pod("b", "  nodeName: sim-5\n", "app: b"));
    apply(
        &s,
        &pod(
            "chooser",
            "  nodeSelector: {pool: prefs}\n  affinity:\n    podAffinity:\n      preferredDuringSchedulingIgnoredDuringExecution:\n      - weight: 20\n        podAffinityTerm:\n          labelSelector: {matchLabels: {app: a}}\n          topologyKey: kubernetes.io/hostname\n      - weight: 80\n        podAffinityTerm:\n          labelSelector: {matchLabels: {app: b}}\n          topologyKey: kubernetes.io/hostname\n",
            "",
        ),
    );
    assert_eq!(wait_bound(&s, "chooser"), "sim-5");
    // Preferred anti-affinity pushes away from the pod it names.
    apply(
        &s,
        &pod(
            "avoider",
            "  nodeSelector: {pool: prefs}\n  affinity:\n    podAntiAffinity:\n      preferredDuringSchedulingIgnoredDuringExecution:\n      - weight: 100\n        podAffinityTerm:\n          labelSelector: {matchLabels: {app: b}}\n          topologyKey: kubernetes.io/hostname\n",
            "",
        ),
    );
    assert_eq!(wait_bound(&s, "avoider"), "sim-3");
}

#[test]
fn taint_effects() {
    let s = Server::start();
    let _nodes = s.sim_nodes(3, &["--label", "group=taints"]);
    ok(s.kubectl(&["taint", "node", "sim-0", "hard=yes:NoSchedule"]));
    ok(s.kubectl(&["taint", "node", "sim-1", "soft=yes:PreferNoSchedule"]));
    ok(s.kubectl(&["taint", "node", "sim-2", "evict=yes:NoExecute"]));

    // PreferNoSchedule only scores: an intolerant pod still lands there, and only there.
    for i in 0..3 {
        apply(&s, &pod(&format!("plain-{i}"), "", ""));
        assert_eq!(wait_bound(&s, &format!("plain-{i}")), "sim-1");
    }
    // Tolerating NoSchedule opens sim-0; NoExecute still filters.
    apply(
        &s,
        &pod(
            "tolerant",
            "  nodeSelector: {kubernetes.io/hostname: sim-0}\n  tolerations: [{key: hard, operator: Exists, effect: NoSchedule}]\n",
            "",
        ),
    );
    assert_eq!(wait_bound(&s, "tolerant"), "sim-0");
    apply(
        &s,
        &pod(
            "no-execute",
            "  nodeSelector: {kubernetes.io/hostname: sim-2}\n  tolerations: [{key: hard, operator: Exists}]\n",
            "",
        ),
    );
    let message = unschedulable_message(&s, "no-execute");
    assert!(
        message.starts_with("0/3 nodes are available: 1 node(s) had untolerated taint {evict: yes}, 2 node(s) didn't match Pod's node affinity/selector."),
        "{message}"
    );
    // An empty key with Exists tolerates everything.
    apply(
        &s,
        &pod(
            "anything",
            "  nodeSelector: {kubernetes.io/hostname: sim-2}\n  tolerations: [{operator: Exists}]\n",
            "",
        ),
    );
    assert_eq!(wait_bound(&s, "anything"), "sim-2");
}

#[test]
fn failures_are_explained_as_upstream() {
    let s = Server::start();
    let _nodes = s.sim_nodes(6, &["--memory", "4Gi"]);
    for n in ["sim-3", "sim-4", "sim-5"] {
        ok(s.kubectl(&["taint", "node", n, "dedicated=infra:NoSchedule"]));
    }
    apply(
        &s,
        &pod(
            "huge",
            "  containers: [{name: c, image: busybox, resources: {requests: {memory: 5Gi}}}]\n",
            "",
        )
        .replace("  containers: [{name: c, image: busybox}]\n", ""),
    );
    let message = unschedulable_message(&s, "huge");
    assert!(
        message.starts_with("0/6 nodes are available: 3 Insufficient memory, 3 node(s) had untolerated taint {dedicated: infra}. preemption: 0/6 nodes are available:"),
        "{message}"
    );
    // The explanation is an event too.
    wait_until(20, "a FailedScheduling event", || {
        let events = ok(s.kubectl(&[
            "get",
            "events",
            "--field-selector",
            "involvedObject.name=huge,reason=FailedScheduling",
            "-o",
            "jsonpath={.items[*].message}",
        ]));
        events.contains("3 Insufficient memory")
    });
    // A new node that fits moves the pod out of the unschedulable pool by itself.
    let _big = s.sim_nodes(1, &["--prefix", "big-", "--memory", "16Gi"]);
    assert_eq!(wait_bound(&s, "huge"), "big-0");
}

#[test]
fn a_cluster_without_nodes_says_so_and_stays_responsive() {
    let s = Server::start();
    apply(&s, &pod("early", "", ""));
    assert_eq!(
        unschedulable_message(&s, "early"),
        "no nodes available to schedule pods"
    );
    // Retried with backoff, not in a loop: the API keeps answering promptly.
    for _ in 0..5 {
        let started = std::time::Instant::now();
        ok(s.kubectl(&["get", "pods"]));
        assert!(started.elapsed() < std::time::Duration::from_secs(5));
        std::thread::sleep(std::time::Duration::from_millis(300));
    }
    let _nodes = s.sim_nodes(1, &[]);
    assert_eq!(wait_bound(&s, "early"), "sim-0");
}

#[test]
fn preemption_of_a_lower_priority_pod() {
    let s = Server::start();
    let _nodes = s.sim_nodes(2, &["--memory", "4Gi"]);
    apply(
        &s,
        "apiVersion: scheduling.k8s.io/v1\nkind: PriorityClass\nmetadata: {name: high}\nvalue: 1000\n",
    );
    let sized = |name: &str, extra: &str| {
        pod(name, extra, "").replace(
            "  containers: [{name: c, image: busybox}]\n",
            "  containers: [{name: c, image: busybox, resources: {requests: {memory: 3Gi}}}]\n",
        )
    };
    apply(&s, &sized("low-0", ""));
    apply(&s, &sized("low-1", ""));
    let low_nodes = [wait_bound(&s, "low-0"), wait_bound(&s, "low-1")];
    apply(&s, &sized("vip", "  priorityClassName: high\n"));
    let vip_node = wait_bound(&s, "vip");
    assert!(low_nodes.contains(&vip_node));
    let victim = if low_nodes[0] == vip_node {
        "low-0"
    } else {
        "low-1"
    };
    wait_until(20, "the victim is gone", || {
        !s.kubectl(&["get", "pod", victim]).status.success()
    });
    let vip = pod_json(&s, "vip");
    assert_eq!(vip["spec"]["priority"], 1000);
    assert_eq!(vip["status"]["nominatedNodeName"], vip_node.as_str());
    let preempted = ok(s.kubectl(&[
        "get",
        "events",
        "--field-selector",
        &format!("involvedObject.name={victim},reason=Preempted"),
        "-o",
        "jsonpath={.items[*].message}",
    ]));
    assert!(preempted.contains("Preempted by pod"), "{preempted}");
    // A pod that may not preempt waits instead.
    apply(
        &s,
        "apiVersion: scheduling.k8s.io/v1\nkind: PriorityClass\nmetadata: {name: polite}\nvalue: 2000\npreemptionPolicy: Never\n",
    );
    apply(&s, &sized("patient", "  priorityClassName: polite\n"));
    let message = unschedulable_message(&s, "patient");
    assert!(message.contains("Insufficient memory"), "{message}");
    assert!(s.kubectl(&["get", "pod", "vip"]).status.success());
}

#[test]
fn profiles_from_a_configuration_file() {
    let dir = tempfile::tempdir().unwrap();
    let config = write_file(
        dir.path(),
        "scheduler.yaml",
        r#"apiVersion: kubescheduler.config.k8s.io/v1
kind: KubeSchedulerConfiguration
profiles:
- schedulerName: default-scheduler
- schedulerName: bin-packing
  pluginConfig:
  - name: NodeResourcesFit
    args:
      scoringStrategy:
        type: MostAllocated
        resources: [{name: cpu, weight: 1}, {name: memory, weight: 1}]
"#,
    );
    let s = Server::start_with(&["--scheduler-config", config.to_str().unwrap()]);
    let _nodes = s.sim_nodes(3, &["--memory", "8Gi", "--cpu", "4"]);
    let sized = |name: &str, scheduler: &str| {
        pod(name, &format!("  schedulerName: {scheduler}\n"), "").replace(
            "  containers: [{name: c, image: busybox}]\n",
            "  containers: [{name: c, image: busybox, resources: {requests: {memory: 2Gi, cpu: 500m}}}]\n",
        )
    };
    // Bin-packing puts every pod on the node already in use.
    apply(&s, &sized("pack-0", "bin-packing"));
    let first = wait_bound(&s, "pack-0");
    for i in 1..3 {
        apply(&s, &sized(&format!("pack-{i}"), "bin-packing"));
        assert_eq!(wait_bound(&s, &format!("pack-{i}")), first);
    }
    // The default profile spreads (LeastAllocated): not onto the packed node.
    apply(&s, &sized("spread", "default-scheduler"));
    assert_ne!(wait_bound(&s, "spread"), first);
    // Pods for schedulers nobody runs are left alone.
    apply(&s, &sized("other", "someone-else"));
    std::thread::sleep(std::time::Duration::from_secs(2));
    assert_eq!(node_of(&s, "other"), "");
    let bad = write_file(
        dir.path(),
        "bad.yaml",
        "apiVersion: kubescheduler.config.k8s.io/v1\nkind: KubeSchedulerConfiguration\npercentageOfNodesToScore: 120\n",
    );
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_capstan"))
        .args([
            "scheduler",
            "--config",
            bad.to_str().unwrap(),
            "--kubeconfig",
        ])
        .arg(s.kubeconfig())
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("percentageOfNodesToScore"), "{err}");
}

#[test]
fn two_schedulers_elect_one_leader() {
    let s = Server::start_with(&["--disable-scheduler"]);
    let _nodes = s.sim_nodes(2, &[]);
    let mut first = s.capstan(&["scheduler"]);
    wait_until(20, "a leader", || {
        !ok(s.kubectl(&[
            "get",
            "lease",
            "-n",
            "kube-system",
            "kube-scheduler",
            "-o",
            "jsonpath={.spec.holderIdentity}",
        ]))
        .is_empty()
    });
    let mut second = s.capstan(&["scheduler"]);
    for i in 0..10 {
        apply(&s, &pod(&format!("p{i}"), "", ""));
    }
    for i in 0..10 {
        wait_bound(&s, &format!("p{i}"));
    }
    std::thread::sleep(std::time::Duration::from_secs(1));
    let scheduled = |p: &Process| p.log().matches("became leader").count();
    assert_eq!(
        scheduled(&first) + scheduled(&second),
        1,
        "exactly one leader: {} / {}",
        first.log(),
        second.log()
    );
    // Each pod was bound once: one Scheduled event per pod.
    let events = ok(s.kubectl(&[
        "get",
        "events",
        "--field-selector",
        "reason=Scheduled",
        "-o",
        "name",
    ]));
    assert_eq!(events.lines().count(), 10, "{events}");
    // The leader goes away; the other takes over within a lease duration or so.
    let (leader, standby) = if scheduled(&first) == 1 {
        (&mut first, &mut second)
    } else {
        (&mut second, &mut first)
    };
    leader.kill();
    apply(&s, &pod("after", "", ""));
    wait_until(45, "the standby takes over and binds", || {
        !node_of(&s, "after").is_empty()
    });
    assert_eq!(standby.log().matches("became leader").count(), 1);
}
