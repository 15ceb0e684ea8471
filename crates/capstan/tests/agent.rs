//! The node agent on a real containerd: every test runs a whole node (server, agent, containerd,
//! kubectl) inside a network namespace it creates (see tests/common/node.rs).

mod common;

use std::time::{Duration, Instant};

use common::node::{BUSYBOX_IMAGE, Node, runtime_available};
use serde_json::Value;

fn require_runtime() {
    assert!(
        runtime_available(),
        "these tests need root, containerd, runc, /bin/busybox and the CNI plugins in /usr/lib/cni: run scripts/setup-deps.sh"
    );
}

/// A one-container pod running `script` under sh.
fn pod(name: &str, restart: &str, script: &str, extra_container: &str, extra_spec: &str) -> String {
    format!(
        r#"apiVersion: v1
kind: Pod
metadata:
  name: {name}
spec:
  restartPolicy: {restart}
  terminationGracePeriodSeconds: 2
{extra_spec}
  containers:
  - name: main
    image: {BUSYBOX_IMAGE}
    command: ["sh", "-c", {script:?}]
{extra_container}
"#
    )
}

fn container_status(p: &Value) -> &Value {
    &p["status"]["containerStatuses"][0]
}

fn logs(node: &Node, args: &[&str]) -> String {
    let mut a = vec!["logs"];
    a.extend_from_slice(args);
    let out = node.kubectl(&a);
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[test]
fn pods_run_with_ips_talk_to_each_other_and_log() {
    require_runtime();
    let node = Node::start();
    node.import_busybox();
    assert!(
        node.images().contains(BUSYBOX_IMAGE),
        "capstan images list: {}",
        node.images()
    );
    node.apply(&pod(
        "web",
        "Always",
        "mkdir -p /www && echo hello-from-web > /www/index.html && echo web-started && exec httpd -f -p 8080 -h /www",
        "    readinessProbe:\n      httpGet: {path: /index.html, port: 8080}\n      periodSeconds: 1\n    livenessProbe:\n      tcpSocket: {port: 8080}\n      periodSeconds: 1\n    startupProbe:\n      httpGet: {path: /index.html, port: 8080}\n      periodSeconds: 1",
        "",
    ));
    let web = node.wait_running("web");
    let ip = web["status"]["podIP"].as_str().unwrap().to_owned();
    assert!(ip.starts_with("10.42."), "pod IP {ip}");
    assert_eq!(web["status"]["podIPs"][0]["ip"], ip.as_str());
    assert_eq!(web["status"]["hostIP"], "127.0.0.1");
    assert_eq!(web["status"]["qosClass"], "BestEffort");
    assert!(web["status"]["startTime"].is_string());
    let cs = container_status(&web);
    assert!(
        cs["containerID"]
            .as_str()
            .unwrap()
            .starts_with("containerd://")
    );
    assert!(
        cs["imageID"].as_str().unwrap().starts_with("sha256:"),
        "{cs}"
    );
    assert_eq!(cs["image"], BUSYBOX_IMAGE);
    assert_eq!(cs["started"], true);
    assert_eq!(cs["ready"], true);
    assert_eq!(cs["restartCount"], 0);
    assert!(cs["state"]["running"]["startedAt"].is_string());
    for cond in [
        "PodScheduled",
        "PodReadyToStartContainers",
        "Initialized",
        "ContainersReady",
        "Ready",
    ] {
        assert!(
            web["status"]["conditions"]
                .as_array()
                .unwrap()
                .iter()
                .any(|c| c["type"] == cond && c["status"] == "True"),
            "condition {cond} not True: {}",
            web["status"]
        );
    }

    // A second pod reaches the first over the pod network.
    node.apply(&pod(
        "client",
        "Always",
        &format!(
            "until timeout 3 wget -qO- http://{ip}:8080/index.html; do sleep 0.3; done; echo client-done; sleep 3600"
        ),
        "",
        "",
    ));
    let client = node.wait_running("client");
    assert_ne!(client["status"]["podIP"], web["status"]["podIP"]);
    node.wait_for(Duration::from_secs(30), "client to reach web", || {
        let l = logs(&node, &["client"]);
        (l.contains("hello-from-web") && l.contains("client-done")).then_some(())
    });
    // kubectl logs through the API server to the agent (bearer node token on 10250).
    let l = logs(&node, &["web", "-c", "main"]);
    assert!(l.contains("web-started"), "kubectl logs web: {l:?}");
    let l = logs(&node, &["web", "--timestamps"]);
    assert!(l.starts_with("20"), "timestamps: {l:?}");
    // The HTTP and TCP probes keep passing: no restart, still ready.
    let web = node.pod("web");
    assert_eq!(container_status(&web)["restartCount"], 0);
    assert_eq!(container_status(&web)["ready"], true);
}

#[test]
fn restart_policies_and_crash_loop_back_off() {
    require_runtime();
    let node = Node::start();
    node.import_busybox();
    node.apply(&pod("crash", "Always", "echo boom; exit 3", "", ""));
    node.apply(&pod("ok-once", "OnFailure", "exit 0", "", ""));
    node.apply(&pod("fail-never", "Never", "exit 1", "", ""));
    let p = node.wait_for(Duration::from_secs(60), "crash in CrashLoopBackOff", || {
        let p = node.pod("crash");
        let cs = container_status(&p);
        (cs["restartCount"].as_i64()? >= 2
            && cs["state"]["waiting"]["reason"] == "CrashLoopBackOff")
            .then_some(p)
    });
    let cs = container_status(&p);
    assert_eq!(cs["lastState"]["terminated"]["exitCode"], 3, "{cs}");
    assert_eq!(cs["lastState"]["terminated"]["reason"], "Error");
    let msg = cs["state"]["waiting"]["message"].as_str().unwrap_or("");
    assert!(msg.starts_with("back-off "), "waiting message {msg:?}");
    assert_eq!(p["status"]["phase"], "Running");

    node.wait_for(Duration::from_secs(30), "ok-once Succeeded", || {
        let p = node.pod("ok-once");
        (p["status"]["phase"] == "Succeeded"
            && container_status(&p)["state"]["terminated"]["reason"] == "Completed")
            .then_some(())
    });
    node.wait_for(Duration::from_secs(30), "fail-never Failed", || {
        let p = node.pod("fail-never");
        (p["status"]["phase"] == "Failed"
            && container_status(&p)["state"]["terminated"]["exitCode"] == 1
            && container_status(&p)["restartCount"] == 0)
            .then_some(())
    });

    // The back-off doubles: between the 2nd and 3rd restart at least ~20 s pass (10 s, then 20 s).
    let started = Instant::now();
    let before = container_status(&node.pod("crash"))["restartCount"]
        .as_i64()
        .unwrap();
    node.wait_for(Duration::from_secs(60), "another restart", || {
        (container_status(&node.pod("crash"))["restartCount"].as_i64()? > before).then_some(())
    });
    assert!(
        started.elapsed() >= Duration::from_secs(5),
        "restarted again after only {:?}: no back-off",
        started.elapsed()
    );
    // Repeated BackOff events are one Event whose count rises, as kubectl describe shows them.
    let events = node.kubectl(&[
        "get",
        "events",
        "--field-selector",
        "involvedObject.name=crash,reason=BackOff",
        "-o",
        "jsonpath={range .items[*]}{.count}{\"\\n\"}{end}",
    ]);
    let counts = String::from_utf8_lossy(&events.stdout).into_owned();
    let counts: Vec<i64> = counts
        .lines()
        .filter_map(|l| l.trim().parse().ok())
        .collect();
    assert_eq!(
        counts.len(),
        1,
        "one BackOff event object, got counts {counts:?}"
    );
    assert!(counts[0] >= 2, "BackOff counted {counts:?}");
}

#[test]
fn init_containers_in_order_readiness_gates_ready_liveness_restarts() {
    require_runtime();
    let node = Node::start();
    node.import_busybox();
    node.apply(&format!(
        r#"apiVersion: v1
kind: Pod
metadata:
  name: ordered
spec:
  volumes:
  - name: work
    emptyDir: {{}}
  initContainers:
  - name: first
    image: {BUSYBOX_IMAGE}
    command: ["sh", "-c", "sleep 1; echo one >> /work/order"]
    volumeMounts: [{{name: work, mountPath: /work}}]
  - name: second
    image: {BUSYBOX_IMAGE}
    command: ["sh", "-c", "echo two >> /work/order"]
    volumeMounts: [{{name: work, mountPath: /work}}]
  containers:
  - name: main
    image: {BUSYBOX_IMAGE}
    command: ["sh", "-c", "cat /work/order; sleep 4; touch /tmp/ready; sleep 3600"]
    volumeMounts: [{{name: work, mountPath: /work}}]
    readinessProbe:
      exec: {{command: ["test", "-f", "/tmp/ready"]}}
      periodSeconds: 1
"#
    ));
    // Running but not Ready until the probe passes.
    let p = node.wait_for(
        Duration::from_secs(60),
        "ordered running, not ready",
        || {
            let p = node.pod("ordered");
            let cs = container_status(&p);
            (cs["state"]["running"].is_object() && cs["ready"] == false).then_some(p)
        },
    );
    let init = p["status"]["initContainerStatuses"].as_array().unwrap();
    assert_eq!(init.len(), 2);
    for s in init {
        assert_eq!(s["state"]["terminated"]["reason"], "Completed", "{s}");
    }
    let ready_cond = |p: &Value| {
        p["status"]["conditions"]
            .as_array()
            .and_then(|c| c.iter().find(|c| c["type"] == "Ready").cloned())
            .unwrap_or(Value::Null)
    };
    assert_eq!(ready_cond(&p)["status"], "False", "{}", p["status"]);
    node.wait_running("ordered");
    assert_eq!(logs(&node, &["ordered", "-c", "main"]), "one\ntwo\n");

    // Liveness: the file disappears after 3 s, the probe fails, the container restarts.
    node.apply(&pod(
        "alive",
        "Always",
        "touch /tmp/alive; sleep 3; rm /tmp/alive; sleep 3600",
        "    livenessProbe:\n      exec: {command: [\"test\", \"-f\", \"/tmp/alive\"]}\n      periodSeconds: 1\n      failureThreshold: 2",
        "",
    ));
    let p = node.wait_for(Duration::from_secs(60), "liveness restart", || {
        let p = node.pod("alive");
        (container_status(&p)["restartCount"].as_i64()? >= 1).then_some(p)
    });
    let last = &container_status(&p)["lastState"]["terminated"];
    assert!(last.is_object(), "lastState {}", container_status(&p));

    // A sidecar (an init container with restartPolicy Always) keeps running beside the app.
    node.apply(&format!(
        r#"apiVersion: v1
kind: Pod
metadata:
  name: sidecar
spec:
  initContainers:
  - name: side
    image: {BUSYBOX_IMAGE}
    restartPolicy: Always
    command: ["sh", "-c", "echo side-up; sleep 3600"]
  containers:
  - name: main
    image: {BUSYBOX_IMAGE}
    command: ["sleep", "3600"]
"#
    ));
    let p = node.wait_running("sidecar");
    let side = &p["status"]["initContainerStatuses"][0];
    assert!(side["state"]["running"].is_object(), "{side}");
    assert_eq!(side["started"], true, "{side}");
    assert!(logs(&node, &["sidecar", "-c", "side"]).contains("side-up"));
}

#[test]
fn pre_stop_and_grace_period_are_honoured() {
    require_runtime();
    let node = Node::start();
    node.import_busybox();
    let host = node.dir.path().join("marks");
    std::fs::create_dir_all(&host).unwrap();
    node.apply(&format!(
        r#"apiVersion: v1
kind: Pod
metadata:
  name: graceful
spec:
  terminationGracePeriodSeconds: 4
  volumes:
  - name: marks
    hostPath: {{path: {host:?}}}
  containers:
  - name: main
    image: {BUSYBOX_IMAGE}
    command: ["sh", "-c", "trap 'date +%s > /marks/term' TERM; while true; do sleep 0.2; done"]
    volumeMounts: [{{name: marks, mountPath: /marks}}]
    lifecycle:
      preStop:
        exec: {{command: ["sh", "-c", "date +%s > /marks/prestop"]}}
"#
    ));
    node.wait_running("graceful");
    let started = Instant::now();
    let out = node.kubectl(&["delete", "pod", "graceful", "--wait=true", "--timeout=60s"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let took = started.elapsed();
    assert!(host.join("prestop").exists(), "preStop hook did not run");
    assert!(host.join("term").exists(), "SIGTERM was not delivered");
    // The container ignores SIGTERM: it is killed only when the 4 s grace period runs out.
    assert!(
        took >= Duration::from_millis(3500),
        "deleted after {took:?}"
    );
    assert!(took < Duration::from_secs(20), "deleted after {took:?}");
    assert!(node.get_json(&["get", "pod", "graceful"]).is_none());
}

#[test]
fn oom_killed_under_a_memory_limit() {
    require_runtime();
    let node = Node::start();
    node.import_busybox();
    node.apply(&pod(
        "hog",
        "Never",
        "head -c 300m /dev/zero | tail",
        "    resources:\n      limits: {memory: 32Mi}\n      requests: {memory: 32Mi}",
        "",
    ));
    let p = node.wait_for(Duration::from_secs(60), "hog terminated", || {
        let p = node.pod("hog");
        container_status(&p)["state"]["terminated"]
            .is_object()
            .then_some(p)
    });
    let t = &container_status(&p)["state"]["terminated"];
    assert_eq!(t["reason"], "OOMKilled", "{t}");
    assert_eq!(p["status"]["phase"], "Failed");
    assert_eq!(p["status"]["qosClass"], "Burstable");

    // Guaranteed: limits reach the cgroup; oom_score_adj is clamped to 0 (no CAP_SYS_RESOURCE).
    node.apply(&pod(
        "guaranteed",
        "Always",
        "cat /proc/self/oom_score_adj /sys/fs/cgroup/cpu/cpu.cfs_quota_us /sys/fs/cgroup/memory/memory.limit_in_bytes; sleep 3600",
        "    resources:\n      limits: {cpu: 250m, memory: 64Mi}",
        "",
    ));
    let p = node.wait_running("guaranteed");
    assert_eq!(p["status"]["qosClass"], "Guaranteed");
    let l = logs(&node, &["guaranteed"]);
    let lines: Vec<&str> = l.lines().collect();
    assert_eq!(lines, ["0", "25000", "67108864"], "{l:?}");
}

#[test]
fn server_restart_does_not_restart_containers() {
    require_runtime();
    let mut node = Node::start();
    node.import_busybox();
    node.apply(&pod("steady", "Always", "sleep 3600", "", ""));
    let before = node.wait_running("steady");
    let id = container_status(&before)["containerID"].clone();
    let ip = before["status"]["podIP"].clone();
    // A clean stop (SIGTERM) of server, agent and containerd, then a start.
    node.stop_server_gracefully();
    node.restart_server();
    node.wait_node_ready();
    // The restarted agent re-adopts the pod: a new pod still works, the old one is untouched.
    node.apply(&pod("after", "Always", "sleep 3600", "", ""));
    node.wait_running("after");
    let now = node.wait_running("steady");
    assert_eq!(container_status(&now)["containerID"], id);
    assert_eq!(container_status(&now)["restartCount"], 0);
    assert_eq!(now["status"]["podIP"], ip);
}

#[test]
fn joined_agent_imports_air_gap_images_and_re_adopts_pods() {
    require_runtime();
    let mut node = Node::start_with(true, |agent_data| {
        common::node::build_busybox(
            &agent_data.join("agent").join("images").join("busybox.tar"),
            BUSYBOX_IMAGE,
        );
        // An OCI archive too.
        capstan_agent::image::archive::build_busybox_image(
            &agent_data.join("agent").join("images").join("oci.tar"),
            "capstan.test/busybox-oci:2",
            &capstan_agent::image::archive::ImageConfig {
                cmd: vec!["sh".into()],
                ..Default::default()
            },
            capstan_agent::image::archive::Format::Oci,
        )
        .unwrap();
    });
    let images = node.images();
    assert!(images.contains(BUSYBOX_IMAGE), "{images}");
    assert!(images.contains("capstan.test/busybox-oci:2"), "{images}");
    let n = node.get_json(&["get", "node", "node1"]).unwrap();
    assert!(
        n["metadata"]["labels"]
            .get("node-role.kubernetes.io/control-plane")
            .is_none()
    );
    assert_eq!(
        n["status"]["daemonEndpoints"]["kubeletEndpoint"]["Port"],
        10250
    );
    node.apply(&pod("kept", "Always", "echo kept-log; sleep 3600", "", ""));
    let before = node.wait_running("kept");
    let id = container_status(&before)["containerID"].clone();
    node.kill_agent();
    node.launch_agent();
    node.wait_node_ready();
    node.apply(&pod("fresh", "Always", "sleep 3600", "", ""));
    node.wait_running("fresh");
    let now = node.wait_running("kept");
    assert_eq!(container_status(&now)["containerID"], id);
    assert_eq!(container_status(&now)["restartCount"], 0);
    assert!(logs(&node, &["kept"]).contains("kept-log"));
    let out = node.kubectl(&["delete", "pod", "kept", "--wait=true", "--timeout=60s"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn endpoint_serves_only_the_node_token_and_reports_metrics() {
    require_runtime();
    let node = Node::start();
    node.import_busybox();
    node.apply(&pod("m", "Always", "sleep 3600", "", ""));
    node.wait_running("m");
    let token = node.node_token();
    let (code, body) = node.kubelet_get("/healthz", None);
    assert_eq!((code, body.as_str()), (200, "ok"));
    for path in [
        "/pods",
        "/metrics",
        "/stats/summary",
        "/containerLogs/default/m/main",
    ] {
        assert_eq!(
            node.kubelet_get(path, None).0,
            401,
            "{path} without a token"
        );
        assert_eq!(
            node.kubelet_get(path, Some("K10deadbeef::node:wrong")).0,
            401,
            "{path} with another token"
        );
    }
    let (code, pods) = node.kubelet_get("/pods", Some(&token));
    assert_eq!(code, 200);
    let pods: Value = serde_json::from_str(&pods).unwrap();
    assert!(
        pods["items"]
            .as_array()
            .unwrap()
            .iter()
            .any(|p| p["metadata"]["name"] == "m")
    );
    let (code, metrics) = node.kubelet_get("/metrics", Some(&token));
    assert_eq!(code, 200);
    for needle in [
        "kubelet_pleg_relist_duration_seconds_count",
        "kubelet_pleg_relist_interval_seconds_bucket",
        "kubelet_runtime_operations_total{operation_type=\"run_podsandbox\"}",
        "kubelet_runtime_operations_duration_seconds_bucket",
    ] {
        assert!(
            metrics.contains(needle),
            "{needle} missing from:\n{metrics}"
        );
    }
    let (code, summary) = node.kubelet_get("/stats/summary", Some(&token));
    assert_eq!(code, 200, "{summary}");
    let summary: Value = serde_json::from_str(&summary).unwrap();
    assert_eq!(summary["node"]["nodeName"], "node1");
}

#[test]
fn missing_images_back_off_and_never_pull_is_reported() {
    require_runtime();
    let node = Node::start();
    node.apply(
        "apiVersion: v1\nkind: Pod\nmetadata: {name: nope}\nspec:\n  containers:\n  - {name: main, image: \"127.0.0.1:1/absent/image:1\"}\n",
    );
    node.apply(
        "apiVersion: v1\nkind: Pod\nmetadata: {name: never}\nspec:\n  containers:\n  - {name: main, image: \"absent/image:2\", imagePullPolicy: Never}\n",
    );
    node.wait_for(
        Duration::from_secs(60),
        "ErrImagePull then ImagePullBackOff",
        || {
            let p = node.pod("nope");
            let reason = container_status(&p)["state"]["waiting"]["reason"]
                .as_str()?
                .to_owned();
            (reason == "ImagePullBackOff").then_some(())
        },
    );
    node.wait_for(Duration::from_secs(30), "ErrImageNeverPull", || {
        let p = node.pod("never");
        (container_status(&p)["state"]["waiting"]["reason"] == "ErrImageNeverPull").then_some(())
    });
    assert_eq!(node.pod("nope")["status"]["phase"], "Pending");
    // The kubelet's events for each step, as `kubectl describe pod` shows them.
    let events_of = |pod: &str| {
        let out = node.kubectl(&[
            "get",
            "events",
            "--field-selector",
            &format!("involvedObject.name={pod}"),
            "-o",
            "jsonpath={range .items[*]}{.type} {.reason}: {.message}{\"\\n\"}{end}",
        ]);
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    node.wait_for(Duration::from_secs(15), "the pull events", || {
        let e = events_of("nope");
        [
            "Normal Pulling: Pulling image \"127.0.0.1:1/absent/image:1\"",
            "Warning Failed: Failed to pull image \"127.0.0.1:1/absent/image:1\": ",
            "Warning Failed: Error: ErrImagePull",
            "Normal BackOff: Back-off pulling image \"127.0.0.1:1/absent/image:1\"",
            "Warning Failed: Error: ImagePullBackOff",
        ]
        .iter()
        .all(|line| e.contains(line))
        .then_some(())
    });
    node.wait_for(Duration::from_secs(15), "the never-pull events", || {
        let e = events_of("never");
        (e.contains("Warning ErrImageNeverPull: Container image \"absent/image:2\" is not present with pull policy of Never")
            && e.contains("Warning Failed: Error: ErrImageNeverPull"))
        .then_some(())
    });
}

#[test]
fn pods_deleted_while_the_agent_is_down_are_cleaned_up() {
    require_runtime();
    let mut node = Node::start_with(true, |agent_data| {
        common::node::build_busybox(
            &agent_data.join("agent").join("images").join("busybox.tar"),
            BUSYBOX_IMAGE,
        );
    });
    node.apply(&pod("gone", "Always", "sleep 3600", "", ""));
    node.wait_running("gone");
    assert!(!node.runtime_containers().is_empty());
    node.kill_agent();
    let out = node.kubectl(&["delete", "pod", "gone", "--grace-period=0", "--force"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    node.launch_agent();
    node.wait_node_ready();
    node.wait_for(Duration::from_secs(60), "orphan containers removed", || {
        node.runtime_containers().is_empty().then_some(())
    });
}

#[test]
fn node_registers_with_labels_reservations_and_lease() {
    require_runtime();
    let node = Node::start_args(&[
        "--node-label",
        "team=blue",
        "--node-label",
        "zone=z1",
        "--system-reserved",
        "cpu=500m,memory=512Mi",
        "--kube-reserved",
        "memory=256Mi",
        "--max-pods",
        "50",
    ]);
    let n = node.get_json(&["get", "node", "node1"]).unwrap();
    let labels = &n["metadata"]["labels"];
    assert_eq!(labels["team"], "blue");
    assert_eq!(labels["zone"], "z1");
    assert_eq!(labels["kubernetes.io/hostname"], "node1");
    assert_eq!(labels["kubernetes.io/os"], "linux");
    assert!(labels["kubernetes.io/arch"].is_string());
    assert!(
        labels
            .get("node-role.kubernetes.io/control-plane")
            .is_some()
    );
    let status = &n["status"];
    assert_eq!(status["capacity"]["pods"], "50");
    assert_eq!(status["allocatable"]["pods"], "50");
    let cpus: i64 = status["capacity"]["cpu"].as_str().unwrap().parse().unwrap();
    assert_eq!(
        status["allocatable"]["cpu"],
        format!("{}m", cpus * 1000 - 500).as_str(),
        "{status}"
    );
    let ki = |v: &Value| -> i64 {
        v.as_str()
            .unwrap()
            .trim_end_matches("Ki")
            .parse()
            .unwrap_or_else(|_| panic!("memory {v} not in Ki"))
    };
    assert_eq!(
        ki(&status["capacity"]["memory"]) - ki(&status["allocatable"]["memory"]),
        // system + kube reserved, plus the default hard eviction threshold (memory.available<100Mi).
        (512 + 256 + 100) * 1024
    );
    assert!(
        status["nodeInfo"]["containerRuntimeVersion"]
            .as_str()
            .unwrap()
            .starts_with("containerd://")
    );
    assert_eq!(status["addresses"][0]["type"], "InternalIP");
    // DiskPressure follows upstream's default threshold (nodefs.available < 10 %) on the disk
    // the data dir is on, so what to expect depends on this machine's disk.
    let df = std::process::Command::new("stat")
        .args(["-f", "-c", "%b %a"])
        .arg(node.data_dir())
        .output()
        .unwrap();
    let blocks: Vec<u64> = String::from_utf8_lossy(&df.stdout)
        .split_whitespace()
        .filter_map(|v| v.parse().ok())
        .collect();
    let disk_short = blocks[1] < blocks[0] / 10;
    let expected = [
        ("MemoryPressure", "False"),
        ("DiskPressure", if disk_short { "True" } else { "False" }),
        ("PIDPressure", "False"),
    ];
    for (cond, want) in expected {
        assert!(
            status["conditions"]
                .as_array()
                .unwrap()
                .iter()
                .any(|c| c["type"] == cond && c["status"] == want),
            "{cond} should be {want}: {}",
            status["conditions"]
        );
    }
    // The Lease is renewed every 10 s.
    let renew = |node: &Node| {
        node.get_json(&["get", "lease", "-n", "kube-node-lease", "node1"])
            .and_then(|l| l["spec"]["renewTime"].as_str().map(str::to_owned))
    };
    let first = node.wait_for(Duration::from_secs(20), "node lease", || renew(&node));
    node.wait_for(Duration::from_secs(25), "lease renewal", || {
        renew(&node).filter(|r| *r != first)
    });
}

/// Stops a daemon the test started when the test ends, pass or fail.
struct Daemon(std::process::Child);

impl Drop for Daemon {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

const REGISTRY_USER: &str = "capstan";
const REGISTRY_PASSWORD: &str = "s3cret-pull";
/// bcrypt of REGISTRY_PASSWORD (the only htpasswd format the registry reads).
const REGISTRY_HTPASSWD: &str =
    "capstan:$2b$05$2.6pSmcGLC64.ouhRcMq/OD2xjhgR7XKelr6g.b1uoMdJtFgsfJFS";

/// A pod pulling `image` on every start, optionally with a pull secret.
fn pulling_pod(name: &str, image: &str, secret: Option<&str>) -> String {
    let secrets = secret
        .map(|s| format!("  imagePullSecrets: [{{name: {s}}}]\n"))
        .unwrap_or_default();
    format!(
        "apiVersion: v1\nkind: Pod\nmetadata: {{name: {name}}}\nspec:\n{secrets}  terminationGracePeriodSeconds: 1\n  containers:\n  - {{name: main, image: \"{image}\", imagePullPolicy: Always, command: [sleep, \"3600\"]}}\n"
    )
}

#[test]
fn images_pull_from_a_password_protected_registry_via_mirrors_and_pull_secrets() {
    require_runtime();
    for tool in ["/usr/bin/docker-registry", "/usr/bin/skopeo"] {
        assert!(
            std::path::Path::new(tool).exists(),
            "{tool} is missing: run scripts/setup-deps.sh"
        );
    }
    let files = tempfile::tempdir().unwrap();
    let path = |name: &str| files.path().join(name).to_string_lossy().into_owned();
    // Pulls of mirror.capstan.test go to the local registry as `localhost:5000`, whose
    // credentials the registries file holds; `127.0.0.1:5000` is the same registry under a
    // name with no credentials configured, so only a pod's pull secret can open it.
    std::fs::write(
        path("registries.yaml"),
        format!(
            "mirrors:\n  mirror.capstan.test:\n    endpoint: [\"http://localhost:5000\"]\n  \"127.0.0.1:5000\":\n    endpoint: [\"http://127.0.0.1:5000\"]\nconfigs:\n  \"localhost:5000\":\n    auth: {{username: {REGISTRY_USER}, password: {REGISTRY_PASSWORD}}}\n"
        ),
    )
    .unwrap();
    std::fs::write(path("htpasswd"), format!("{REGISTRY_HTPASSWD}\n")).unwrap();
    std::fs::write(
        path("registry.yml"),
        format!(
            "version: 0.1\nstorage:\n  filesystem: {{rootdirectory: {}}}\nhttp:\n  addr: 127.0.0.1:5000\nauth:\n  htpasswd: {{realm: capstan-test, path: {}}}\n",
            path("blobs"),
            path("htpasswd")
        ),
    )
    .unwrap();
    let node = Node::start_args(&["--private-registry", &path("registries.yaml")]);
    let _registry = Daemon(node.spawn_in_netns(
        "/usr/bin/docker-registry",
        &["serve", &path("registry.yml")],
        "registry.log",
    ));
    common::node::build_busybox(&files.path().join("busybox.tar"), BUSYBOX_IMAGE);
    let pushed = node.wait_for(Duration::from_secs(30), "a push to the registry", || {
        let out = node.run_in_netns(
            "/usr/bin/skopeo",
            &[
                "copy",
                "--dest-tls-verify=false",
                "--dest-creds",
                &format!("{REGISTRY_USER}:{REGISTRY_PASSWORD}"),
                &format!("docker-archive:{}", path("busybox.tar")),
                "docker://127.0.0.1:5000/team/busybox:1",
            ],
        );
        out.status.success().then_some(out)
    });
    assert!(pushed.status.success());

    // Through the mirror, with the registries file's credentials.
    node.apply(&pulling_pod(
        "mirrored",
        "mirror.capstan.test/team/busybox:1",
        None,
    ));
    let p = node.wait_running("mirrored");
    assert_eq!(
        container_status(&p)["image"],
        "mirror.capstan.test/team/busybox:1"
    );
    assert!(
        container_status(&p)["imageID"]
            .as_str()
            .unwrap_or("")
            .contains("sha256:"),
        "{}",
        container_status(&p)
    );

    // Without credentials the registry refuses: upstream's ErrImagePull, then ImagePullBackOff.
    node.apply(&pulling_pod(
        "refused",
        "127.0.0.1:5000/team/busybox:1",
        None,
    ));
    node.wait_for(Duration::from_secs(60), "ImagePullBackOff", || {
        let p = node.pod("refused");
        (container_status(&p)["state"]["waiting"]["reason"] == "ImagePullBackOff").then_some(())
    });

    // With a kubernetes.io/dockerconfigjson secret naming that registry, the pull succeeds.
    let out = node.kubectl(&[
        "create",
        "secret",
        "docker-registry",
        "pull-creds",
        "--docker-server=127.0.0.1:5000",
        &format!("--docker-username={REGISTRY_USER}"),
        &format!("--docker-password={REGISTRY_PASSWORD}"),
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    node.apply(&pulling_pod(
        "with-secret",
        "127.0.0.1:5000/team/busybox:1",
        Some("pull-creds"),
    ));
    node.wait_running("with-secret");
    // Events are written in the background: wait for the Pulled one.
    node.wait_for(Duration::from_secs(15), "the Pulled event", || {
        let out = node.kubectl(&[
            "get",
            "events",
            "--field-selector",
            "involvedObject.name=with-secret,reason=Pulled",
            "-o",
            "jsonpath={.items[*].message}",
        ]);
        String::from_utf8_lossy(&out.stdout)
            .contains("Successfully pulled image \"127.0.0.1:5000/team/busybox:1\"")
            .then_some(())
    });
}

#[test]
fn host_ports_reach_the_pod_and_force_deletion_stops_it_at_once() {
    require_runtime();
    let node = Node::start();
    node.import_busybox();
    node.apply(&pod(
        "hostport",
        "Always",
        "mkdir -p /www && echo via-host-port > /www/index.html && exec httpd -f -p 8080 -h /www",
        "    ports:\n    - {containerPort: 8080, hostPort: 18080}",
        "",
    ));
    node.wait_running("hostport");
    // The node's address is 127.0.0.1 inside the test's namespace; portmap DNATs it.
    let body = node.wait_for(Duration::from_secs(30), "the host port to answer", || {
        let out = node.run_in_netns(
            "timeout",
            &[
                "3",
                "busybox",
                "wget",
                "-qO-",
                "http://127.0.0.1:18080/index.html",
            ],
        );
        let body = String::from_utf8_lossy(&out.stdout).into_owned();
        out.status.success().then_some(body)
    });
    assert_eq!(body.trim(), "via-host-port");

    // A second pod asking for the same host port cannot share the node: the scheduler says so.
    node.apply(&pod(
        "hostport-2",
        "Always",
        "sleep 3600",
        "    ports:\n    - {containerPort: 8081, hostPort: 18080}",
        "",
    ));
    node.wait_for(
        Duration::from_secs(30),
        "the port conflict to be reported",
        || {
            let p = node.pod("hostport-2");
            let message = p["status"]["conditions"]
                .as_array()?
                .iter()
                .find(|c| c["type"] == "PodScheduled" && c["status"] == "False")?["message"]
                .as_str()?
                .to_owned();
            message
                .contains("node(s) didn't have free ports for the requested pod ports")
                .then_some(())
        },
    );

    // --grace-period=0 --force on a running pod that ignores SIGTERM and may take 60 s: the
    // object goes at once, and the agent kills its containers without waiting out the 60 s.
    node.apply(&format!(
        "apiVersion: v1\nkind: Pod\nmetadata: {{name: stubborn}}\nspec:\n  terminationGracePeriodSeconds: 60\n  containers:\n  - name: main\n    image: {BUSYBOX_IMAGE}\n    command: [sh, -c, \"trap '' TERM; while true; do sleep 1; done\"]\n",
    ));
    let p = node.wait_running("stubborn");
    let id = container_status(&p)["containerID"]
        .as_str()
        .unwrap()
        .trim_start_matches("containerd://")
        .to_owned();
    let started = Instant::now();
    let out = node.kubectl(&["delete", "pod", "stubborn", "--grace-period=0", "--force"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("Immediate deletion does not wait for confirmation"),
        "kubectl's force warning: {err:?}"
    );
    assert!(node.get_json(&["get", "pod", "stubborn"]).is_none());
    node.wait_for(
        Duration::from_secs(20),
        "the forced pod's container to go",
        || (!node.runtime_containers().contains(&id)).then_some(()),
    );
    assert!(
        started.elapsed() < Duration::from_secs(15),
        "force deletion took {:?}",
        started.elapsed()
    );
}

#[test]
fn pods_on_two_nodes_reach_each_other_through_node_routes() {
    require_runtime();
    let mut node = Node::start_lan();
    node.import_busybox();
    node.join_peer();
    let on = |name: &str, host: &str, script: &str| {
        node.apply(&pod(
            name,
            "Always",
            script,
            "",
            &format!("  nodeSelector: {{kubernetes.io/hostname: {host}}}"),
        ));
    };
    on(
        "far-web",
        "node2",
        "mkdir -p /www && echo hello-across-nodes > /www/index.html && echo web-on-node2 && exec httpd -f -p 8080 -h /www",
    );
    let web = node.wait_running("far-web");
    assert_eq!(web["spec"]["nodeName"], "node2");
    assert_eq!(web["status"]["hostIP"], common::node::LAN_PEER_IP);
    let ip = web["status"]["podIP"].as_str().unwrap().to_owned();
    let node2 = node.get_json(&["get", "node", "node2"]).unwrap();
    let range = node2["spec"]["podCIDR"].as_str().unwrap().to_owned();
    let node1 = node.get_json(&["get", "node", "node1"]).unwrap();
    assert_ne!(node1["spec"]["podCIDR"].as_str(), Some(range.as_str()));
    let prefix = range
        .rsplit_once(".0/24")
        .map(|(p, _)| format!("{p}."))
        .unwrap();
    assert!(
        ip.starts_with(&prefix),
        "pod IP {ip} outside node2's {range}"
    );

    // A pod on node1 fetches from the pod on node2 (routed node to node, no NAT).
    on(
        "near-client",
        "node1",
        &format!(
            "until timeout 3 wget -qO- http://{ip}:8080/index.html; do sleep 0.5; done; echo fetched; sleep 3600"
        ),
    );
    node.wait_running("near-client");
    node.wait_for(
        Duration::from_secs(60),
        "node1's pod to reach node2's",
        || {
            logs(&node, &["near-client"])
                .contains("hello-across-nodes")
                .then_some(())
        },
    );
    assert!(logs(&node, &["near-client"]).contains("fetched"));
    // The API server reads node2's logs from node2's agent, at node2's address.
    assert!(logs(&node, &["far-web"]).contains("web-on-node2"));

    // Pod egress: a connection from a pod on node1 to an address outside the pod network (a
    // listener on node2's own address) arrives from node1's address, masqueraded.
    let peer = node.peer_netns();
    let listener = std::thread::spawn(move || {
        common::node::enter_netns_named(&peer);
        let l = std::net::TcpListener::bind((common::node::LAN_PEER_IP, 9999)).unwrap();
        l.set_nonblocking(true).unwrap();
        let deadline = Instant::now() + Duration::from_secs(60);
        while Instant::now() < deadline {
            match l.accept() {
                Ok((mut s, from)) => {
                    use std::io::Write;
                    let _ = s.write_all(b"HTTP/1.0 200 OK\r\ncontent-length: 3\r\n\r\nok\n");
                    return Some(from.ip().to_string());
                }
                Err(_) => std::thread::sleep(Duration::from_millis(100)),
            }
        }
        None
    });
    on(
        "egress",
        "node1",
        &format!(
            "until timeout 3 wget -qO- http://{}:9999/; do sleep 0.5; done; sleep 3600",
            common::node::LAN_PEER_IP
        ),
    );
    let from = listener.join().unwrap();
    assert_eq!(
        from.as_deref(),
        Some(common::node::LAN_SERVER_IP),
        "egress from a pod must leave with its node's address"
    );
}
