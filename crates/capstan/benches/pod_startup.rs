//! Pod startup latency and agent memory on one real node (containerd, CNI, busybox pods), as
//! root: `cargo bench -p capstan --bench pod_startup`. Figures go in docs/PERFORMANCE.md
//! ("Node agent").

#[path = "../tests/common/mod.rs"]
mod common;

use std::collections::HashMap;
use std::time::{Duration, Instant};

use common::node::{BUSYBOX_IMAGE, Node, runtime_available};
use futures::StreamExt;
use k8s_openapi::api::core::v1::Pod;
use kube::api::{Api, DeleteParams, ListParams, PostParams, WatchEvent, WatchParams};

const PODS: usize = 100;

/// One `/proc/PID/status` memory field in KiB.
fn status_kib(pid: u32, field: &str) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .unwrap_or_default()
        .lines()
        .find_map(|l| l.strip_prefix(field)?.strip_prefix(':'))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or(0)
}

/// VmRSS, with its split into heap and stacks (RssAnon) and mapped binary pages (RssFile).
fn rss(pid: u32) -> String {
    let mib = |f| status_kib(pid, f) as f64 / 1024.0;
    format!(
        "{:.1} MiB (anon {:.1}, file {:.1})",
        mib("VmRSS"),
        mib("RssAnon"),
        mib("RssFile")
    )
}

fn pod(name: &str) -> Pod {
    serde_json::from_value(serde_json::json!({
        "apiVersion": "v1", "kind": "Pod",
        "metadata": {"name": name, "labels": {"bench": "startup"}},
        "spec": {
            "terminationGracePeriodSeconds": 0,
            "containers": [{"name": "main", "image": BUSYBOX_IMAGE, "command": ["sleep", "3600"],
                            "imagePullPolicy": "IfNotPresent"}]
        }
    }))
    .unwrap()
}

fn all_running(p: &Pod) -> bool {
    let Some(status) = &p.status else {
        return false;
    };
    let n = p.spec.as_ref().map(|s| s.containers.len()).unwrap_or(1);
    let cs = status.container_statuses.as_deref().unwrap_or(&[]);
    cs.len() == n
        && cs
            .iter()
            .all(|c| c.state.as_ref().is_some_and(|s| s.running.is_some()))
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let i = ((sorted.len() as f64 * p).ceil() as usize).clamp(1, sorted.len()) - 1;
    sorted[i]
}

/// Creates PODS pods (every `interval`, or all at once) and returns create → running latencies
/// as seen by a watch.
async fn round(api: &Api<Pod>, prefix: &str, interval: Option<Duration>) -> Vec<Duration> {
    let mut stream = api
        .watch(&WatchParams::default().labels("bench=startup"), "0")
        .await
        .unwrap()
        .boxed();
    let started: std::sync::Arc<parking_lot::Mutex<HashMap<String, Instant>>> = Default::default();
    let creator = {
        let api = api.clone();
        let started = started.clone();
        let prefix = prefix.to_owned();
        tokio::spawn(async move {
            let mut tasks = Vec::new();
            for i in 0..PODS {
                let name = format!("{prefix}-{i}");
                let api = api.clone();
                let started = started.clone();
                tasks.push(tokio::spawn(async move {
                    started.lock().insert(name.clone(), Instant::now());
                    api.create(&PostParams::default(), &pod(&name))
                        .await
                        .unwrap();
                }));
                if let Some(d) = interval {
                    tokio::time::sleep(d).await;
                }
            }
            for t in tasks {
                t.await.unwrap();
            }
        })
    };
    let mut latencies = HashMap::new();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(120);
    while latencies.len() < PODS {
        let ev = match tokio::time::timeout_at(deadline, stream.next()).await {
            Ok(Some(Ok(ev))) => ev,
            Ok(Some(Err(e))) => panic!("watch error: {e}"),
            Ok(None) => panic!("watch ended with {} pods running", latencies.len()),
            Err(_) => panic!(
                "only {} of {PODS} pods running after 120 s",
                latencies.len()
            ),
        };
        let p = match ev {
            WatchEvent::Added(p) | WatchEvent::Modified(p) => p,
            _ => continue,
        };
        let name = p.metadata.name.clone().unwrap_or_default();
        if !name.starts_with(prefix) || latencies.contains_key(&name) || !all_running(&p) {
            continue;
        }
        let t0 = started.lock().get(&name).copied();
        if let Some(t0) = t0 {
            latencies.insert(name, t0.elapsed());
        }
    }
    creator.await.unwrap();
    let mut v: Vec<Duration> = latencies.into_values().collect();
    v.sort();
    v
}

/// Deletes the bench pods and waits until the runtime has torn down their sandboxes too, so the
/// next round does not share the machine with a hundred teardowns.
async fn delete_all(api: &Api<Pod>, node: &Node) {
    let _ = api
        .delete_collection(
            &DeleteParams::default().grace_period(0),
            &ListParams::default().labels("bench=startup"),
        )
        .await;
    for _ in 0..600 {
        let left = api
            .list(&ListParams::default().labels("bench=startup"))
            .await
            .map(|l| l.items.len())
            .unwrap_or(1);
        if left == 0 && node.runtime_containers().is_empty() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    panic!("bench pods not deleted and torn down in 120 s");
}

fn main() {
    assert!(
        runtime_available(),
        "needs root, containerd, runc, busybox, CNI plugins"
    );
    let node = Node::start_with(true, |agent_data| {
        common::node::build_busybox(
            &agent_data.join("agent").join("images").join("busybox.tar"),
            BUSYBOX_IMAGE,
        );
    });
    let pid = node.agent_pid().unwrap();
    std::thread::sleep(Duration::from_secs(10));
    let idle = rss(pid);
    let kubeconfig = node.kubeconfig();
    let node_ref = &node;
    std::thread::scope(|s| {
        s.spawn(move || {
            node_ref.enter_netns();
            let rt = tokio::runtime::Builder::new_multi_thread()
                .worker_threads(2)
                .enable_all()
                .build()
                .unwrap();
            rt.block_on(async {
                let client = capstan_client::connect_when_ready(&kubeconfig).await;
                let api: Api<Pod> = Api::namespaced(client, "default");
                let report = |what: &str, v: &[Duration]| {
                    println!(
                        "{what}: {} pods, p50 {:.0} ms, p99 {:.0} ms, max {:.0} ms",
                        v.len(),
                        percentile(v, 0.50).as_secs_f64() * 1e3,
                        percentile(v, 0.99).as_secs_f64() * 1e3,
                        v.last().unwrap().as_secs_f64() * 1e3
                    );
                };
                let steady = round(&api, "rate", Some(Duration::from_millis(100))).await;
                report("10 pods/s", &steady);
                let with_pods = rss(pid);
                delete_all(&api, node_ref).await;
                let burst = round(&api, "burst", None).await;
                report("burst", &burst);
                let with_pods_burst = rss(pid);
                delete_all(&api, node_ref).await;
                println!(
                    "agent RSS: idle {idle}; with {PODS} pods {with_pods}; after the burst {with_pods_burst}"
                );
            });
        });
    });
}
