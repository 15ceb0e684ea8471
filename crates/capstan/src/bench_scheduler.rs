//! `capstan bench scheduler`: end to end through a real `capstan server` process (its scheduler
//! included) with simulated nodes from a `capstan sim nodes` process: pods are created over
//! HTTP/2 and counted as bound by a watch, per workload shape (upstream's scheduler_perf shapes:
//! SchedulingBasic, required pod anti-affinity, topology spread over zones, mixed taints). While
//! it runs, the nodes' Leases are watched to show the simulator keeps up with them.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use bytes::Bytes;
use futures::{StreamExt, TryStreamExt};
use k8s_openapi::api::coordination::v1::Lease;
use k8s_openapi::api::core::v1::{Node, Pod};
use kube::api::{Api, ListParams, WatchEvent, WatchParams};
use parking_lot::Mutex;
use serde_json::{Value, json};

use crate::bench_api::{
    Client, connect_ready, cpu_seconds, ms, percentile, rss_kib, start_server, tempdir_in,
};

#[derive(Debug, Clone)]
pub struct SchedulerBenchOptions {
    pub nodes: usize,
    pub pods: usize,
    pub shapes: Vec<String>,
    pub clients: usize,
    pub modes: Vec<Mode>,
    pub timeout: Duration,
    pub dir: Option<PathBuf>,
}

pub const SHAPES: &[&str] = &["basic", "anti-affinity", "spread", "taints"];

/// The pod of one shape; `i` numbers it, `nodes` is the cluster size.
pub fn pod_for(shape: &str, i: usize, nodes: usize) -> Value {
    let name = format!("sched-{i:06}");
    let container = json!([{"name": "c", "image": "registry.local/pause:3.10",
        "resources": {"requests": {"cpu": "100m", "memory": "500Mi"}}}]);
    let mut pod = json!({"apiVersion": "v1", "kind": "Pod",
        "metadata": {"name": name, "labels": {"app": "bench"}},
        "spec": {"containers": container}});
    match shape {
        "anti-affinity" => {
            // Groups of half the node count whose members may not share a node (2,500 on
            // 5,000 nodes): every group fits, and every pod is checked against the existing
            // pods' terms too.
            let group = format!("g{}", i / (nodes / 2).max(1));
            pod["metadata"]["labels"]["group"] = json!(group);
            pod["spec"]["affinity"] = json!({"podAntiAffinity": {
                "requiredDuringSchedulingIgnoredDuringExecution": [{
                    "labelSelector": {"matchLabels": {"group": group}},
                    "topologyKey": "kubernetes.io/hostname"}]}});
        }
        "spread" => {
            pod["spec"]["topologySpreadConstraints"] = json!([{
                "maxSkew": 1, "topologyKey": "topology.kubernetes.io/zone",
                "whenUnsatisfiable": "DoNotSchedule",
                "labelSelector": {"matchLabels": {"app": "bench"}}}]);
        }
        // Half the nodes are tainted; every other pod tolerates the taint.
        "taints" if i.is_multiple_of(2) => {
            pod["spec"]["tolerations"] = json!([{"key": "dedicated", "operator": "Equal",
                "value": "batch", "effect": "NoSchedule"}]);
        }
        _ => {}
    }
    pod
}

/// `capstan sim nodes` runs for one shape: (prefix, count, extra args).
fn node_groups(shape: &str, nodes: usize) -> Vec<(String, usize, Vec<String>)> {
    match shape {
        "spread" => vec![("sim-".into(), nodes, vec!["--zones".into(), "3".into()])],
        "taints" => {
            let tainted = nodes / 2;
            vec![
                ("plain-".into(), nodes - tainted, vec![]),
                (
                    "tainted-".into(),
                    tainted,
                    vec!["--taint".into(), "dedicated=batch:NoSchedule".into()],
                ),
            ]
        }
        _ => vec![("sim-".into(), nodes, vec![])],
    }
}

struct KillOnDrop(Child);

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn start_sim(
    dir: &Path,
    kubeconfig: &Path,
    prefix: &str,
    count: usize,
    extra: &[String],
) -> Result<KillOnDrop> {
    let log = std::fs::File::create(dir.join(format!("sim-{prefix}log")))?;
    let child = Command::new(std::env::current_exe()?)
        .args(["sim", "nodes", "--no-pods", "--count", &count.to_string()])
        .args(["--prefix", prefix])
        .arg("--kubeconfig")
        .arg(kubeconfig)
        .args(extra)
        .stdout(Stdio::null())
        .stderr(log)
        .spawn()
        .context("cannot start capstan sim nodes")?;
    Ok(KillOnDrop(child))
}

/// Longest time between two renewals of any Lease, and how many gaps exceeded `limit`.
#[derive(Default)]
struct LeaseGaps {
    last: HashMap<String, chrono::DateTime<chrono::Utc>>,
    worst: Duration,
    renewals: usize,
    over_limit: usize,
}

impl LeaseGaps {
    fn observe(&mut self, lease: &Lease, limit: Duration) {
        let Some(name) = lease.metadata.name.clone() else {
            return;
        };
        let Some(renewed) = lease.spec.as_ref().and_then(|s| s.renew_time.as_ref()) else {
            return;
        };
        let at =
            chrono::DateTime::from_timestamp_micros(renewed.0.as_microsecond()).unwrap_or_default();
        if let Some(prev) = self.last.insert(name, at)
            && at > prev
        {
            let gap = (at - prev).to_std().unwrap_or_default();
            self.renewals += 1;
            self.worst = self.worst.max(gap);
            if gap > limit {
                self.over_limit += 1;
            }
        }
    }
}

async fn watch_leases(client: kube::Client, gaps: Arc<Mutex<LeaseGaps>>) {
    let api: Api<Lease> = Api::namespaced(client, "kube-node-lease");
    let mut rv = "0".to_owned();
    loop {
        let params = WatchParams::default().timeout(290);
        let Ok(stream) = api.watch(&params, &rv).await else {
            tokio::time::sleep(Duration::from_millis(200)).await;
            continue;
        };
        let mut stream = stream.boxed();
        while let Ok(Some(event)) = stream.try_next().await {
            match event {
                WatchEvent::Added(l) | WatchEvent::Modified(l) => {
                    if let Some(v) = &l.metadata.resource_version {
                        rv = v.clone();
                    }
                    gaps.lock().observe(&l, Duration::from_secs(40));
                }
                WatchEvent::Bookmark(b) => rv = b.metadata.resource_version,
                WatchEvent::Error(_) => rv = "0".into(),
                WatchEvent::Deleted(_) => {}
            }
        }
    }
}

async fn wait_for_nodes(client: &kube::Client, want: usize, deadline: Instant) -> Result<()> {
    let api: Api<Node> = Api::all(client.clone());
    loop {
        let ready = api
            .list_metadata(&ListParams::default())
            .await
            .map(|l| l.items.len())
            .unwrap_or(0);
        if ready >= want {
            return Ok(());
        }
        if Instant::now() > deadline {
            bail!("only {ready} of {want} simulated nodes registered in time");
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
}

/// How the pods meet the scheduler.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Created while the scheduler runs (in the server): create->bound latency.
    Stream,
    /// All created first, then a `capstan scheduler` process starts: its scheduling throughput
    /// alone, measured from the first binding to the last (as scheduler_perf measures it).
    Backlog,
}

struct Run {
    bound: usize,
    /// From the first create (stream) or the first binding (backlog) to the last binding.
    elapsed: Duration,
    latencies: Vec<Duration>,
    gaps: LeaseGaps,
    /// CPU seconds and final RSS of the process that scheduled.
    cpu: f64,
    rss_kib: u64,
}

/// Counts pods named sched-N as they get a node; per pod, when.
async fn watch_bindings(pods: Api<Pod>, rv: String, total: usize) -> Result<Vec<Option<Instant>>> {
    let mut bound_at: Vec<Option<Instant>> = vec![None; total];
    let mut count = 0;
    let mut rv = rv;
    // Watches end after their timeout; resume from the last version seen.
    while count < total {
        let mut stream = pods
            .watch(&WatchParams::default().timeout(290), &rv)
            .await?
            .boxed();
        while let Some(event) = stream.next().await {
            let p = match event? {
                WatchEvent::Added(p) | WatchEvent::Modified(p) => p,
                WatchEvent::Bookmark(b) => {
                    rv = b.metadata.resource_version;
                    continue;
                }
                WatchEvent::Error(e) => bail!("the pod watch failed: {}", e.message),
                WatchEvent::Deleted(_) => continue,
            };
            if let Some(v) = &p.metadata.resource_version {
                rv = v.clone();
            }
            let bound = p.spec.as_ref().and_then(|s| s.node_name.as_ref()).is_some();
            let index = p
                .metadata
                .name
                .as_deref()
                .and_then(|n| n.strip_prefix("sched-"))
                .and_then(|n| n.parse::<usize>().ok());
            if let (true, Some(i)) = (bound, index)
                && i < total
                && bound_at[i].is_none()
            {
                bound_at[i] = Some(Instant::now());
                count += 1;
                if count == total {
                    return Ok(bound_at);
                }
            }
        }
    }
    Ok(bound_at)
}

/// Creates the shape's pods with `clients` concurrent requests; when each was sent.
async fn create_pods(
    http: &Client,
    opts: &SchedulerBenchOptions,
    shape: &str,
) -> Result<Vec<Option<Instant>>> {
    let sent: Arc<Mutex<Vec<Option<Instant>>>> = Arc::new(Mutex::new(vec![None; opts.pods]));
    let next = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let begin = Instant::now();
    let mut tasks = Vec::new();
    for w in 0..opts.clients {
        let (http, next, sent) = (http.clone(), next.clone(), sent.clone());
        let (shape, total, nodes) = (shape.to_owned(), opts.pods, opts.nodes);
        tasks.push(tokio::spawn(async move {
            loop {
                let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                if i >= total {
                    break;
                }
                let body = Bytes::from(pod_for(&shape, i, nodes).to_string());
                sent.lock()[i] = Some(Instant::now());
                let (status, body) = http
                    .request(w, "POST", "/api/v1/namespaces/default/pods", Some(body))
                    .await?;
                if status != 201 {
                    bail!(
                        "create failed with {status}: {}",
                        String::from_utf8_lossy(&body)
                    );
                }
            }
            Ok::<_, anyhow::Error>(())
        }));
    }
    for t in tasks {
        t.await??;
    }
    let created = begin.elapsed();
    println!(
        "    created {} pods in {:.2} s ({:.0} creates/s)",
        opts.pods,
        created.as_secs_f64(),
        opts.pods as f64 / created.as_secs_f64()
    );
    Ok(std::mem::take(&mut *sent.lock()))
}

async fn run_shape(
    opts: &SchedulerBenchOptions,
    shape: &str,
    mode: Mode,
    dir: &Path,
) -> Result<Run> {
    let server_args: &[&str] = match mode {
        Mode::Stream => &[],
        Mode::Backlog => &["--disable-scheduler"],
    };
    let server = start_server(dir, server_args)?;
    let http = connect_ready(&server, dir, 8).await?;
    let kubeconfig = server.data_dir.join("admin.kubeconfig");
    let client = capstan_client::connect(&kubeconfig).await?;
    let started = Instant::now();
    let mut sims = Vec::new();
    for (prefix, count, extra) in node_groups(shape, opts.nodes) {
        sims.push(start_sim(dir, &kubeconfig, &prefix, count, &extra)?);
    }
    wait_for_nodes(
        &client,
        opts.nodes,
        Instant::now() + Duration::from_secs(300),
    )
    .await?;
    println!(
        "    {} simulated nodes registered in {:.1} s",
        opts.nodes,
        started.elapsed().as_secs_f64()
    );
    let gaps = Arc::new(Mutex::new(LeaseGaps::default()));
    let lease_watch = tokio::spawn(watch_leases(client.clone(), gaps.clone()));
    // Let the scheduler's informers see every node before the pods come.
    tokio::time::sleep(Duration::from_secs(3)).await;

    let pods: Api<Pod> = Api::namespaced(client.clone(), "default");
    let rv = pods
        .list_metadata(&ListParams::default().limit(1))
        .await?
        .metadata
        .resource_version
        .unwrap_or_else(|| "0".into());
    let watcher = tokio::spawn(watch_bindings(pods, rv, opts.pods));
    let server_cpu_before = cpu_seconds(server.child.id());
    let begin = Instant::now();
    let sent = create_pods(&http, opts, shape).await?;
    let mut scheduler = None;
    if mode == Mode::Backlog {
        let log = std::fs::File::create(dir.join("scheduler.log"))?;
        let child = Command::new(std::env::current_exe()?)
            .arg("scheduler")
            .arg("--kubeconfig")
            .arg(&kubeconfig)
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .context("cannot start capstan scheduler")?;
        scheduler = Some(KillOnDrop(child));
    }
    let scheduling_pid = scheduler
        .as_ref()
        .map(|s| s.0.id())
        .unwrap_or(server.child.id());
    // A separate scheduler process starts from zero.
    let cpu_before = if scheduler.is_some() {
        0.0
    } else {
        server_cpu_before
    };
    let bound_at = match tokio::time::timeout(opts.timeout, watcher).await {
        Ok(joined) => joined??,
        Err(_) => bail!(
            "shape {shape}: not every pod was bound within {:?} (raise --timeout, or see the logs in {})",
            opts.timeout,
            dir.display()
        ),
    };
    let cpu = cpu_seconds(scheduling_pid) - cpu_before;
    let rss_kib = rss_kib(scheduling_pid);
    lease_watch.abort();
    drop(scheduler);
    drop(sims);
    drop(server);
    let first = bound_at.iter().flatten().min().copied();
    let last = bound_at.iter().flatten().max().copied();
    let elapsed = match (mode, first, last) {
        (Mode::Stream, _, Some(l)) => l - begin,
        (Mode::Backlog, Some(f), Some(l)) => l - f,
        _ => Duration::ZERO,
    };
    let latencies = bound_at
        .iter()
        .zip(&sent)
        .filter_map(|(b, s)| Some(b.as_ref()?.saturating_duration_since(*s.as_ref()?)))
        .collect();
    let gaps = std::mem::take(&mut *gaps.lock());
    Ok(Run {
        bound: bound_at.iter().flatten().count(),
        elapsed,
        latencies,
        gaps,
        cpu,
        rss_kib,
    })
}

pub async fn run(opts: SchedulerBenchOptions) -> Result<()> {
    let _ = rustls::crypto::ring::default_provider().install_default();
    for shape in &opts.shapes {
        if !SHAPES.contains(&shape.as_str()) {
            bail!("unknown shape {shape:?}; choose from {}", SHAPES.join(", "));
        }
    }
    let tmp = tempdir_in(opts.dir.as_deref(), "scheduler")?;
    println!(
        "scheduler benchmark: {} simulated nodes, {} pods per shape, created by {} clients",
        opts.nodes, opts.pods, opts.clients
    );
    let mut worst_gap = Duration::ZERO;
    for shape in &opts.shapes {
        for mode in &opts.modes {
            println!("{shape}, {mode:?}:");
            let dir = tmp.join(format!("{shape}-{mode:?}"));
            std::fs::create_dir_all(&dir)?;
            let mut r = run_shape(&opts, shape, *mode, &dir).await?;
            let rate = r.bound as f64 / r.elapsed.as_secs_f64().max(1e-9);
            match mode {
                Mode::Stream => {
                    r.latencies.sort();
                    println!(
                        "  RESULT {shape} stream: {} pods bound {:.2} s after the first create = {rate:.0} pods/s; create->bound p50 {} p99 {}",
                        r.bound,
                        r.elapsed.as_secs_f64(),
                        ms(percentile(&r.latencies, 0.5)),
                        ms(percentile(&r.latencies, 0.99)),
                    );
                }
                Mode::Backlog => println!(
                    "  RESULT {shape} backlog: {} pods bound in {:.2} s from the first binding to the last = {rate:.0} pods/s",
                    r.bound,
                    r.elapsed.as_secs_f64(),
                ),
            }
            println!(
                "    scheduling process: CPU {:.1} s, RSS at the end {:.0} MiB; node leases: {} renewals, longest gap {:.1} s, {} gaps over 40 s",
                r.cpu,
                r.rss_kib as f64 / 1024.0,
                r.gaps.renewals,
                r.gaps.worst.as_secs_f64(),
                r.gaps.over_limit
            );
            worst_gap = worst_gap.max(r.gaps.worst);
        }
    }
    println!(
        "longest Lease renewal gap of any simulated node in the whole run: {:.1} s",
        worst_gap.as_secs_f64()
    );
    if opts.dir.is_none() {
        let _ = std::fs::remove_dir_all(&tmp);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shapes_build_the_pods_they_describe() {
        assert!(pod_for("basic", 1, 5000)["spec"]["affinity"].is_null());
        let anti = pod_for("anti-affinity", 2600, 5000);
        assert_eq!(anti["metadata"]["labels"]["group"], "g1");
        assert_eq!(
            anti["spec"]["affinity"]["podAntiAffinity"]["requiredDuringSchedulingIgnoredDuringExecution"]
                [0]["topologyKey"],
            "kubernetes.io/hostname"
        );
        assert_eq!(
            pod_for("spread", 0, 5000)["spec"]["topologySpreadConstraints"][0]["maxSkew"],
            1
        );
        assert!(pod_for("taints", 0, 5000)["spec"]["tolerations"].is_array());
        assert!(pod_for("taints", 1, 5000)["spec"]["tolerations"].is_null());
        let groups = node_groups("taints", 5000);
        assert_eq!(groups.iter().map(|g| g.1).sum::<usize>(), 5000);
    }
}
