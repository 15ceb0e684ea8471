//! One worker per pod: each sync compares the pod with what the runtime holds and acts — the
//! sandbox, then init containers in order (each to completion; sidecars kept running), then app
//! containers, restarts by restartPolicy with CrashLoopBackOff, probe-driven kills, graceful
//! termination — and reports the resulting status through pods/status. Woken by pod updates,
//! PLEG events, probe changes and its own timers.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use futures::future::join_all;
use k8s_openapi::api::core::v1::{ConfigMap, Container, LifecycleHandler, Pod, Secret};
use kube::api::{Api, DeleteParams, Patch, PatchParams, Preconditions};
use serde_json::{Value, json};
use tokio::sync::{Notify, watch};

use crate::backoff::go_duration;
use crate::cri::pb;
use crate::ctx::Ctx;
use crate::podconfig::{self, Lookups, pod_name, pod_namespace, pod_uid};
use crate::probe::{self, Kind};
use crate::resources;
use crate::runtime::{self, CState, ContainerInfo, PodRuntime};
use crate::status::{self, ProbeView, Waiting, is_sidecar};

/// How often a quiet pod is synced anyway.
const RESYNC: Duration = Duration::from_secs(30);
/// The kubelet's floor for a graceful stop (unless the deletion forced less).
const MIN_GRACE: i64 = 2;

#[derive(Clone)]
pub enum Update {
    Pod(Arc<Pod>),
    /// Gone from the API (force-deleted, or deleted while we were not watching).
    Removed(Arc<Pod>),
}

pub struct Handle {
    pub update: watch::Sender<Update>,
    pub wake: Arc<Notify>,
}

struct State {
    seen_at: Instant,
    start_time: Option<String>,
    last_status: Option<Value>,
    waiting: HashMap<String, Waiting>,
    probes: HashMap<(String, Kind), tokio::task::AbortHandle>,
    results: Arc<probe::Results>,
    /// The pod runs nothing more.
    terminal: bool,
    start_reported: bool,
    last_action: Instant,
    volumes: Option<HashMap<String, PathBuf>>,
}

impl Drop for State {
    fn drop(&mut self) {
        for (_, h) in self.probes.drain() {
            h.abort();
        }
    }
}

enum Next {
    After(Duration),
    Done,
}

pub fn now_rfc3339() -> String {
    chrono::Utc::now().format("%Y-%m-%dT%H:%M:%SZ").to_string()
}

/// Runs the worker of pod `uid` until the pod is gone and cleaned up.
pub async fn run(
    ctx: Arc<Ctx>,
    uid: String,
    mut updates: watch::Receiver<Update>,
    wake: Arc<Notify>,
) {
    let mut st = State {
        seen_at: Instant::now(),
        start_time: None,
        last_status: None,
        waiting: HashMap::new(),
        probes: HashMap::new(),
        results: Arc::new(probe::Results::default()),
        terminal: false,
        start_reported: false,
        last_action: Instant::now() - Duration::from_secs(3600),
        volumes: None,
    };
    loop {
        let update = updates.borrow_and_update().clone();
        let next = match update {
            Update::Removed(pod) => {
                // Force deletion gives one second; a pod that vanished otherwise keeps its grace.
                let grace = pod
                    .metadata
                    .deletion_grace_period_seconds
                    .map(|g| g.max(1))
                    .unwrap_or(1);
                terminate(&ctx, &mut st, &pod, grace, true).await;
                cleanup(&ctx, &uid).await;
                Next::Done
            }
            Update::Pod(pod) => sync(&ctx, &mut st, &pod, &wake).await,
        };
        let wait = match next {
            Next::Done => break,
            Next::After(d) => d,
        };
        tokio::select! {
            r = updates.changed() => {
                if r.is_err() {
                    // The manager dropped us: only when the agent stops.
                    return;
                }
            }
            _ = wake.notified() => {}
            _ = tokio::time::sleep(wait) => {}
        }
    }
    ctx.pods.lock().remove(&uid);
    ctx.cache.remove(&uid);
}

fn grace_of(pod: &Pod) -> i64 {
    pod.metadata
        .deletion_grace_period_seconds
        .or_else(|| {
            pod.spec
                .as_ref()
                .and_then(|s| s.termination_grace_period_seconds)
        })
        .unwrap_or(30)
}

fn now_ms() -> i64 {
    crate::now_ms()
}

async fn fetch(ctx: &Ctx, st: &mut State, uid: &str) -> Result<PodRuntime, String> {
    if let Some(rt) = ctx.cache.newer_than(uid, st.last_action) {
        return Ok((*rt).clone());
    }
    let at = Instant::now();
    let rt = runtime::fetch(&ctx.cri, uid)
        .await
        .map_err(|e| e.message())?;
    ctx.cache.set(uid, rt.clone(), at);
    st.last_action = at;
    Ok(rt)
}

/// Reads termination messages written by containers that exited.
fn add_termination_messages(rt: &mut PodRuntime) {
    for c in &mut rt.containers {
        if c.state != CState::Exited || !c.message.is_empty() {
            continue;
        }
        if let Some(file) = c
            .annotations
            .get(runtime::ANNOTATION_TERMINATION_MESSAGE_FILE)
        {
            let mut data = std::fs::read(file).unwrap_or_default();
            data.truncate(4096);
            let text = String::from_utf8_lossy(&data).into_owned();
            if !text.is_empty() {
                c.message = text;
                continue;
            }
        }
        let fallback = c
            .annotations
            .get(runtime::ANNOTATION_TERMINATION_MESSAGE_POLICY)
            .is_some_and(|p| p == "FallbackToLogsOnError");
        if fallback && c.exit_code != 0 && !c.log_path.is_empty() {
            let text = crate::logs::tail_text(std::path::Path::new(&c.log_path), 80, 2048);
            c.message = text;
        }
    }
}

fn should_restart(policy: &str, exit_code: i32) -> bool {
    match policy {
        "Never" => false,
        "OnFailure" => exit_code != 0,
        _ => true,
    }
}

async fn sync(ctx: &Arc<Ctx>, st: &mut State, pod: &Arc<Pod>, wake: &Arc<Notify>) -> Next {
    let uid = pod_uid(pod).to_owned();
    if st.start_time.is_none() {
        st.start_time = Some(
            pod.status
                .as_ref()
                .and_then(|s| s.start_time.as_ref())
                .map(|t| t.0.strftime("%Y-%m-%dT%H:%M:%SZ").to_string())
                .unwrap_or_else(now_rfc3339),
        );
    }
    if pod.metadata.deletion_timestamp.is_some() {
        terminate(ctx, st, pod, grace_of(pod), false).await;
        // Report the final state, then remove the object for good.
        if let Ok(mut rt) = fetch(ctx, st, &uid).await {
            add_termination_messages(&mut rt);
            st.terminal = true;
            write_status(ctx, st, pod, &rt).await;
        }
        let api: Api<Pod> = Api::namespaced(ctx.client.clone(), pod_namespace(pod));
        let params = DeleteParams {
            grace_period_seconds: Some(0),
            preconditions: Some(Preconditions {
                uid: Some(uid.clone()),
                resource_version: None,
            }),
            ..Default::default()
        };
        match api.delete(pod_name(pod), &params).await {
            Ok(_) => {}
            Err(kube::Error::Api(s)) if s.code == 404 || s.code == 409 => {}
            Err(e) => {
                tracing::warn!(pod = %pod_name(pod), error = %e, "cannot delete the terminated pod; retrying");
                return Next::After(Duration::from_secs(2));
            }
        }
        cleanup(ctx, &uid).await;
        return Next::Done;
    }

    let mut rt = match fetch(ctx, st, &uid).await {
        Ok(rt) => rt,
        Err(e) => {
            tracing::warn!(pod = %pod_name(pod), error = %e, "cannot read the pod's runtime state");
            return Next::After(Duration::from_secs(2));
        }
    };
    add_termination_messages(&mut rt);
    let api_phase = pod
        .status
        .as_ref()
        .and_then(|s| s.phase.as_deref())
        .unwrap_or("");
    if st.terminal || matches!(api_phase, "Succeeded" | "Failed") {
        st.terminal = true;
        if rt.running().next().is_some() || rt.ready_sandbox().is_some() {
            stop_everything(ctx, st, pod, &rt, grace_of(pod), false).await;
            rt = fresh(ctx, st, &uid).await.unwrap_or(rt);
            add_termination_messages(&mut rt);
        }
        stop_probes(st, &HashSet::new());
        write_status(ctx, st, pod, &rt).await;
        return Next::After(RESYNC * 4);
    }

    let spec = match &pod.spec {
        Some(s) => s,
        None => return Next::After(RESYNC),
    };
    let policy = spec
        .restart_policy
        .as_deref()
        .unwrap_or("Always")
        .to_owned();
    let host_network = spec.host_network.unwrap_or(false);
    let mut next = RESYNC;
    st.waiting.clear();

    // Liveness/startup failures: kill before anything else.
    let failed: Vec<(String, String)> = {
        let results = st.results.by_container.lock();
        rt.running()
            .filter_map(|c| {
                results
                    .get(&c.id)
                    .and_then(|p| p.failed.clone())
                    .map(|m| (c.id.clone(), m))
            })
            .collect()
    };
    if !failed.is_empty() {
        for (id, message) in failed {
            if let Some(c) = rt.containers.iter().find(|c| c.id == id).cloned() {
                let spec_c = find_container(pod, &c.name);
                ctx.event(
                    pod,
                    "Normal",
                    "Killing",
                    message.clone(),
                    Some(format!("spec.containers{{{}}}", c.name)),
                );
                let grace = spec_c
                    .and_then(|s| {
                        s.liveness_probe
                            .as_ref()
                            .and_then(|p| p.termination_grace_period_seconds)
                    })
                    .unwrap_or_else(|| grace_of(pod));
                kill_container(ctx, Some(pod), &c, grace, false).await;
                st.results.by_container.lock().remove(&id);
            }
        }
        rt = match fresh(ctx, st, &uid).await {
            Ok(rt) => rt,
            Err(_) => return Next::After(Duration::from_secs(1)),
        };
        add_termination_messages(&mut rt);
    }

    // The sandbox.
    let sandbox_params = podconfig::SandboxParams {
        log_directory: ctx
            .logs_dir
            .join(podconfig::log_dir_name(pod))
            .to_string_lossy()
            .into_owned(),
        cluster_dns: &ctx.cluster_dns,
        cluster_domain: &ctx.cluster_domain,
        node_hostname: &ctx.hostname,
    };
    let sandbox_id = match rt.ready_sandbox() {
        Some(s) => s.id.clone(),
        None => {
            let ran_before = !rt.containers.is_empty();
            if ran_before && policy == "Never" {
                // Its sandbox died after its containers ran: nothing is restarted.
                st.terminal = true;
                stop_everything(ctx, st, pod, &rt, 0, true).await;
                write_status(ctx, st, pod, &rt).await;
                return Next::After(RESYNC);
            }
            if rt.running().next().is_some() {
                stop_everything(ctx, st, pod, &rt, 0, true).await;
            }
            if !host_network && !ctx.network_ready() {
                write_status(ctx, st, pod, &rt).await;
                return Next::After(Duration::from_millis(500));
            }
            let attempt = rt.newest_sandbox().map(|s| s.attempt + 1).unwrap_or(0);
            let _ = std::fs::create_dir_all(&sandbox_params.log_directory);
            let config = podconfig::sandbox_config(pod, attempt, &sandbox_params);
            let slot = ctx.start_slots.acquire().await.ok();
            let created = ctx.cri.run_pod_sandbox(config).await;
            drop(slot);
            match created {
                Ok(id) => {
                    if attempt > 0 {
                        ctx.event(
                            pod,
                            "Normal",
                            "SandboxChanged",
                            "Pod sandbox changed, it will be killed and re-created.".into(),
                            None,
                        );
                    }
                    st.last_action = Instant::now();
                    id
                }
                Err(e) => {
                    let msg = format!("Failed to create pod sandbox: {}", e);
                    tracing::warn!(pod = %pod_name(pod), error = %e, "cannot create sandbox");
                    ctx.event(pod, "Warning", "FailedCreatePodSandBox", msg, None);
                    write_status(ctx, st, pod, &rt).await;
                    return Next::After(Duration::from_secs(2));
                }
            }
        }
    };
    let sandbox_attempt = rt
        .ready_sandbox()
        .map(|s| s.attempt)
        .unwrap_or_else(|| rt.newest_sandbox().map(|s| s.attempt + 1).unwrap_or(0));
    let sandbox_config = podconfig::sandbox_config(pod, sandbox_attempt, &sandbox_params);
    let pod_ip = if host_network {
        ctx.node_ip.clone()
    } else {
        match rt.ready_sandbox() {
            Some(s) if s.id == sandbox_id => s.ips.first().cloned().unwrap_or_default(),
            _ => match ctx.cri.pod_sandbox_status(&sandbox_id).await {
                Ok(s) => s.network.map(|n| n.ip).unwrap_or_default(),
                Err(_) => String::new(),
            },
        }
    };

    // Objects the containers need (fetched once per sync that starts something).
    let mut lookups: Option<Lookups> = None;
    let mut started_any = false;

    // Init containers, in order.
    let mut initialized = true;
    for c in spec.init_containers.iter().flatten() {
        let latest = latest_in(&rt, &c.name, &sandbox_id);
        if is_sidecar(c) {
            match latest {
                None => {
                    start(
                        ctx,
                        st,
                        pod,
                        c,
                        0,
                        &sandbox_id,
                        &sandbox_config,
                        &pod_ip,
                        &mut lookups,
                    )
                    .await;
                    started_any = true;
                    initialized = false;
                    break;
                }
                Some(l) if matches!(l.state, CState::Running | CState::Unknown) => {
                    let started = container_started(st, c, &l.id);
                    if !started {
                        initialized = false;
                        break;
                    }
                }
                Some(l) => {
                    if l.state == CState::Created {
                        let _ = ctx.cri.start_container(&l.id).await;
                        started_any = true;
                    } else if let Some(wait) = restart_with_backoff(
                        ctx,
                        st,
                        pod,
                        c,
                        &l,
                        &sandbox_id,
                        &sandbox_config,
                        &pod_ip,
                        &mut lookups,
                    )
                    .await
                    {
                        next = next.min(wait);
                    } else {
                        started_any = true;
                    }
                    initialized = false;
                    break;
                }
            }
            continue;
        }
        match latest {
            None => {
                start(
                    ctx,
                    st,
                    pod,
                    c,
                    next_attempt(&rt, &c.name),
                    &sandbox_id,
                    &sandbox_config,
                    &pod_ip,
                    &mut lookups,
                )
                .await;
                started_any = true;
                initialized = false;
                break;
            }
            Some(l) if l.state == CState::Exited && l.exit_code == 0 => continue,
            Some(l) if l.state == CState::Exited => {
                if policy == "Never" {
                    // A failed init container fails the pod.
                    st.terminal = true;
                    stop_everything(ctx, st, pod, &rt, grace_of(pod), false).await;
                    let rt = fresh(ctx, st, &uid).await.unwrap_or(rt);
                    write_status(ctx, st, pod, &rt).await;
                    return Next::After(RESYNC);
                }
                if let Some(wait) = restart_with_backoff(
                    ctx,
                    st,
                    pod,
                    c,
                    &l,
                    &sandbox_id,
                    &sandbox_config,
                    &pod_ip,
                    &mut lookups,
                )
                .await
                {
                    next = next.min(wait);
                } else {
                    started_any = true;
                }
                initialized = false;
                break;
            }
            Some(l) if l.state == CState::Created => {
                let _ = ctx.cri.start_container(&l.id).await;
                started_any = true;
                initialized = false;
                break;
            }
            Some(_) => {
                initialized = false;
                break;
            }
        }
    }

    if initialized {
        let mut all_done = true;
        for c in &spec.containers {
            let latest = latest_in(&rt, &c.name, &sandbox_id);
            match latest {
                None => {
                    start(
                        ctx,
                        st,
                        pod,
                        c,
                        next_attempt(&rt, &c.name),
                        &sandbox_id,
                        &sandbox_config,
                        &pod_ip,
                        &mut lookups,
                    )
                    .await;
                    started_any = true;
                    all_done = false;
                }
                Some(l) if l.state == CState::Running || l.state == CState::Unknown => {
                    all_done = false;
                    if !l.hash.is_empty() && l.hash != podconfig::container_hash(c) {
                        let msg =
                            format!("Container {} definition changed, will be restarted", c.name);
                        ctx.event(
                            pod,
                            "Normal",
                            "Killing",
                            msg,
                            Some(format!("spec.containers{{{}}}", c.name)),
                        );
                        kill_container(ctx, Some(pod), &l, grace_of(pod), false).await;
                        next = Duration::from_millis(100);
                    }
                }
                Some(l) if l.state == CState::Created => {
                    all_done = false;
                    if let Err(e) = ctx.cri.start_container(&l.id).await {
                        st.waiting.insert(
                            c.name.clone(),
                            Waiting {
                                reason: "RunContainerError".into(),
                                message: e.message(),
                            },
                        );
                    }
                    started_any = true;
                }
                Some(l) => {
                    if should_restart(&policy, l.exit_code) {
                        all_done = false;
                        match restart_with_backoff(
                            ctx,
                            st,
                            pod,
                            c,
                            &l,
                            &sandbox_id,
                            &sandbox_config,
                            &pod_ip,
                            &mut lookups,
                        )
                        .await
                        {
                            Some(wait) => next = next.min(wait),
                            None => started_any = true,
                        }
                    }
                }
            }
        }
        // Sidecars keep running alongside the app containers.
        if !all_done {
            for c in spec
                .init_containers
                .iter()
                .flatten()
                .filter(|c| is_sidecar(c))
            {
                if let Some(l) = latest_in(&rt, &c.name, &sandbox_id)
                    && l.state == CState::Exited
                {
                    match restart_with_backoff(
                        ctx,
                        st,
                        pod,
                        c,
                        &l,
                        &sandbox_id,
                        &sandbox_config,
                        &pod_ip,
                        &mut lookups,
                    )
                    .await
                    {
                        Some(wait) => next = next.min(wait),
                        None => started_any = true,
                    }
                }
            }
        }
        if all_done && !spec.containers.is_empty() {
            // Every app container finished for good: the pod is complete.
            st.terminal = true;
            stop_everything(ctx, st, pod, &rt, grace_of(pod), false).await;
        }
    }

    if started_any || st.terminal {
        rt = match fresh(ctx, st, &uid).await {
            Ok(rt) => rt,
            Err(_) => rt,
        };
        add_termination_messages(&mut rt);
    }
    ensure_probes(ctx, st, pod, &rt, &pod_ip, wake);
    write_status(ctx, st, pod, &rt).await;
    if !st.start_reported
        && spec.containers.iter().all(|c| {
            rt.latest(&c.name)
                .is_some_and(|l| l.state == CState::Running)
        })
    {
        st.start_reported = true;
        ctx.metrics.pod_started(st.seen_at.elapsed());
    }
    Next::After(next)
}

async fn fresh(ctx: &Ctx, st: &mut State, uid: &str) -> Result<PodRuntime, String> {
    let at = Instant::now();
    let rt = runtime::fetch(&ctx.cri, uid)
        .await
        .map_err(|e| e.message())?;
    ctx.cache.set(uid, rt.clone(), at);
    st.last_action = at;
    Ok(rt)
}

fn find_container<'a>(pod: &'a Pod, name: &str) -> Option<&'a Container> {
    let spec = pod.spec.as_ref()?;
    spec.containers
        .iter()
        .chain(spec.init_containers.iter().flatten())
        .find(|c| c.name == name)
}

/// The newest container of `name` — only if it belongs to the current sandbox (containers of
/// an older sandbox are history: their successor starts over in the new one).
fn latest_in(rt: &PodRuntime, name: &str, sandbox_id: &str) -> Option<ContainerInfo> {
    rt.latest(name)
        .filter(|c| c.sandbox_id.is_empty() || c.sandbox_id == sandbox_id)
        .cloned()
}

fn next_attempt(rt: &PodRuntime, name: &str) -> u32 {
    rt.latest(name).map(|c| c.attempt + 1).unwrap_or(0)
}

fn container_started(st: &State, c: &Container, id: &str) -> bool {
    if c.startup_probe.is_none() {
        return true;
    }
    st.results
        .by_container
        .lock()
        .get(id)
        .is_some_and(|p| p.started)
}

/// Restarts an exited container unless it is backing off; the time to wait when it is.
#[allow(clippy::too_many_arguments)]
async fn restart_with_backoff(
    ctx: &Ctx,
    st: &mut State,
    pod: &Pod,
    c: &Container,
    last: &ContainerInfo,
    sandbox_id: &str,
    sandbox_config: &pb::PodSandboxConfig,
    pod_ip: &str,
    lookups: &mut Option<Lookups>,
) -> Option<Duration> {
    let key = format!("{}_{}", pod_uid(pod), c.name);
    let finished_ms = last.finished_at / 1_000_000;
    let now = now_ms();
    {
        let mut b = ctx.backoff.lock();
        if b.in_backoff_since(&key, finished_ms, now) {
            let delay = b.get(&key);
            let wait = (b.until(&key, finished_ms) - now).max(50) as u64;
            drop(b);
            let message = format!(
                "back-off {} restarting failed container={} pod={}_{}({})",
                go_duration(delay),
                c.name,
                pod_name(pod),
                pod_namespace(pod),
                pod_uid(pod)
            );
            st.waiting.insert(
                c.name.clone(),
                Waiting {
                    reason: "CrashLoopBackOff".into(),
                    message: message.clone(),
                },
            );
            ctx.event(
                pod,
                "Warning",
                "BackOff",
                format!(
                    "Back-off restarting failed container {} in pod {}_{}({})",
                    c.name,
                    pod_name(pod),
                    pod_namespace(pod),
                    pod_uid(pod)
                ),
                Some(format!("spec.containers{{{}}}", c.name)),
            );
            return Some(Duration::from_millis(wait));
        }
        b.next(&key, finished_ms);
    }
    start(
        ctx,
        st,
        pod,
        c,
        last.attempt + 1,
        sandbox_id,
        sandbox_config,
        pod_ip,
        lookups,
    )
    .await;
    None
}

async fn load_lookups(ctx: &Ctx, pod: &Pod) -> Lookups {
    let (cms, secrets) = podconfig::references(pod);
    let ns = pod_namespace(pod);
    let mut l = Lookups::default();
    let cm_api: Api<ConfigMap> = Api::namespaced(ctx.client.clone(), ns);
    for name in cms {
        let data = match cm_api.get_opt(&name).await {
            Ok(Some(cm)) => Some(cm.data.unwrap_or_default()),
            _ => None,
        };
        l.config_maps.insert(name, data);
    }
    let secret_api: Api<Secret> = Api::namespaced(ctx.client.clone(), ns);
    for name in secrets {
        let data = match secret_api.get_opt(&name).await {
            Ok(Some(s)) => Some(podconfig::secret_data(
                &serde_json::to_value(&s).unwrap_or(Value::Null),
            )),
            _ => None,
        };
        l.secrets.insert(name, data);
    }
    l
}

async fn pull_secrets(ctx: &Ctx, pod: &Pod) -> Vec<Value> {
    let mut out = Vec::new();
    let names: Vec<String> = pod
        .spec
        .as_ref()
        .and_then(|s| s.image_pull_secrets.as_ref())
        .map(|v| v.iter().map(|r| r.name.clone()).collect())
        .unwrap_or_default();
    if names.is_empty() {
        return out;
    }
    let api: Api<Secret> = Api::namespaced(ctx.client.clone(), pod_namespace(pod));
    for name in names {
        if let Ok(Some(s)) = api.get_opt(&name).await {
            let v = serde_json::to_value(&s).unwrap_or(Value::Null);
            out.push(v.get("data").cloned().unwrap_or(Value::Null));
        }
    }
    out
}

/// Pulls, creates and starts one container; problems are recorded as its waiting reason.
#[allow(clippy::too_many_arguments)]
async fn start(
    ctx: &Ctx,
    st: &mut State,
    pod: &Pod,
    c: &Container,
    attempt: u32,
    sandbox_id: &str,
    sandbox_config: &pb::PodSandboxConfig,
    pod_ip: &str,
    lookups: &mut Option<Lookups>,
) {
    let field = Some(format!("spec.containers{{{}}}", c.name));
    let image = c.image.clone().unwrap_or_default();
    let secrets = pull_secrets(ctx, pod).await;
    let emit = |kind: &str, reason: &str, message: String| {
        ctx.event(pod, kind, reason, message, field.clone())
    };
    let image_ref = match ctx
        .images
        .ensure(
            pod_uid(pod),
            &image,
            c.image_pull_policy.as_deref(),
            &secrets,
            sandbox_config,
            &emit,
        )
        .await
    {
        Ok(r) => r,
        Err(w) => {
            // As the kubelet: the pull's own event above, then the container's failure by reason.
            ctx.event(
                pod,
                "Warning",
                "Failed",
                format!("Error: {}", w.reason),
                field,
            );
            st.waiting.insert(c.name.clone(), w);
            return;
        }
    };
    if lookups.is_none() {
        *lookups = Some(load_lookups(ctx, pod).await);
    }
    let l = lookups.as_ref().cloned().unwrap_or_default();
    let pod_dir = ctx.pods_dir.join(pod_uid(pod));
    let config_error = |st: &mut State, message: String| {
        ctx.event(
            pod,
            "Warning",
            "Failed",
            format!("Error: {message}"),
            Some(format!("spec.containers{{{}}}", c.name)),
        );
        st.waiting.insert(
            c.name.clone(),
            Waiting {
                reason: "CreateContainerConfigError".into(),
                message,
            },
        );
    };
    if st.volumes.is_none() {
        match crate::volumes::prepare(pod, &pod_dir, &l) {
            Ok(v) => st.volumes = Some(v),
            Err(e) => return config_error(st, e),
        }
    }
    let volumes = st.volumes.clone().unwrap_or_default();
    let mounts = match crate::volumes::mounts(c, &volumes) {
        Ok(m) => m,
        Err(e) => return config_error(st, e),
    };
    let env = match podconfig::environment(
        pod,
        c,
        &l,
        &podconfig::EnvParams {
            pod_ip,
            host_ip: &ctx.node_ip,
            node_name: &ctx.node_name,
            node_cpu: ctx.cpu_capacity,
            node_memory: ctx.memory_capacity,
        },
    ) {
        Ok(e) => e,
        Err(e) => return config_error(st, e),
    };
    let message_dir = pod_dir.join("containers").join(&c.name);
    let _ = std::fs::create_dir_all(&message_dir);
    let message_file = message_dir.join(format!("termination-{attempt}"));
    let _ = std::fs::write(&message_file, b"");
    let config = podconfig::container_config(
        pod,
        c,
        podconfig::ContainerParams {
            attempt,
            image_ref: &image_ref,
            env: &env,
            mounts,
            qos: resources::qos_class(pod),
            memory_capacity: ctx.memory_capacity,
            may_lower_oom: ctx.may_lower_oom,
            termination_message_file: Some(message_file.to_string_lossy().into_owned()),
        },
    );
    let log_dir = std::path::Path::new(&sandbox_config.log_directory).join(&c.name);
    let _ = std::fs::create_dir_all(log_dir);
    let slot = ctx.start_slots.acquire().await.ok();
    let id = match ctx
        .cri
        .create_container(sandbox_id, config, sandbox_config.clone())
        .await
    {
        Ok(id) => id,
        Err(e) => {
            let message = e.message();
            ctx.event(pod, "Warning", "Failed", format!("Error: {message}"), field);
            st.waiting.insert(
                c.name.clone(),
                Waiting {
                    reason: "CreateContainerError".into(),
                    message,
                },
            );
            return;
        }
    };
    ctx.event(
        pod,
        "Normal",
        "Created",
        format!("Created container: {}", c.name),
        field.clone(),
    );
    let started = ctx.cri.start_container(&id).await;
    drop(slot);
    if let Err(e) = started {
        let message = e.message();
        ctx.event(pod, "Warning", "Failed", format!("Error: {message}"), field);
        st.waiting.insert(
            c.name.clone(),
            Waiting {
                reason: "RunContainerError".into(),
                message,
            },
        );
        return;
    }
    ctx.event(
        pod,
        "Normal",
        "Started",
        format!("Started container {}", c.name),
        field,
    );
    st.last_action = Instant::now();
    if let Some(post) = c.lifecycle.as_ref().and_then(|l| l.post_start.as_ref()) {
        let grace = grace_of(pod);
        if let Err(e) = run_handler(
            ctx,
            post,
            c,
            &id,
            pod_ip,
            Duration::from_secs(grace.max(1) as u64),
        )
        .await
        {
            let msg = format!("PostStartHook failed: {e}");
            ctx.event(
                pod,
                "Warning",
                "FailedPostStartHook",
                msg,
                Some(format!("spec.containers{{{}}}", c.name)),
            );
            let info = ContainerInfo {
                id: id.clone(),
                name: c.name.clone(),
                attempt,
                sandbox_id: sandbox_id.to_owned(),
                state: CState::Running,
                created_at: 0,
                started_at: 0,
                finished_at: 0,
                exit_code: 0,
                reason: String::new(),
                message: String::new(),
                image: String::new(),
                image_ref: String::new(),
                hash: String::new(),
                annotations: HashMap::new(),
                log_path: String::new(),
            };
            kill_container(ctx, Some(pod), &info, grace, false).await;
        }
    }
    // Keep the newest dead container (for `logs --previous`); older ones go.
    remove_old_attempts(ctx, pod_uid(pod), &c.name, 1).await;
}

async fn remove_old_attempts(ctx: &Ctx, uid: &str, name: &str, keep_dead: usize) {
    let Ok(list) = ctx
        .cri
        .list_containers(Some(pb::ContainerFilter {
            label_selector: HashMap::from([
                (runtime::LABEL_POD_UID.to_owned(), uid.to_owned()),
                (runtime::LABEL_CONTAINER_NAME.to_owned(), name.to_owned()),
            ]),
            ..Default::default()
        }))
        .await
    else {
        return;
    };
    let mut dead: Vec<&pb::Container> = list
        .iter()
        .filter(|c| c.state == pb::ContainerState::ContainerExited as i32)
        .collect();
    dead.sort_by_key(|c| std::cmp::Reverse(c.created_at));
    for c in dead.iter().skip(keep_dead) {
        let _ = ctx.cri.remove_container(&c.id).await;
    }
}

async fn run_handler(
    ctx: &Ctx,
    h: &LifecycleHandler,
    c: &Container,
    id: &str,
    pod_ip: &str,
    timeout: Duration,
) -> Result<(), String> {
    if let Some(exec) = &h.exec {
        let cmd = exec.command.clone().unwrap_or_default();
        return match ctx.cri.exec_sync(id, cmd, timeout).await {
            Ok((0, _, _)) => Ok(()),
            Ok((code, out, err)) => Err(format!(
                "command '{}' exited with {code}: {}{}",
                exec.command.clone().unwrap_or_default().join(" "),
                String::from_utf8_lossy(&out),
                String::from_utf8_lossy(&err)
            )),
            Err(e) => Err(e.message()),
        };
    }
    if let Some(http) = &h.http_get {
        let probe = k8s_openapi::api::core::v1::Probe {
            http_get: Some(http.clone()),
            timeout_seconds: Some(timeout.as_secs().max(1) as i32),
            ..Default::default()
        };
        let target = probe::Target {
            cri: ctx.cri.clone(),
            container_id: id.to_owned(),
            pod_ip: pod_ip.to_owned(),
        };
        return probe::run_once(&probe, c, &target).await;
    }
    if let Some(sleep) = &h.sleep {
        tokio::time::sleep(Duration::from_secs(sleep.seconds.max(0) as u64).min(timeout)).await;
        return Ok(());
    }
    Ok(())
}

/// Stops one container: its preStop hook, then its stop signal with the rest of the grace
/// period, then SIGKILL (by the runtime).
async fn kill_container(ctx: &Ctx, pod: Option<&Pod>, c: &ContainerInfo, grace: i64, forced: bool) {
    let started = Instant::now();
    if c.state == CState::Running && grace > 0 {
        let spec = pod.and_then(|p| find_container(p, &c.name));
        let handler: Option<LifecycleHandler> = spec
            .and_then(|s| s.lifecycle.as_ref().and_then(|l| l.pre_stop.clone()))
            .or_else(|| {
                c.annotations
                    .get(runtime::ANNOTATION_PRESTOP)
                    .and_then(|t| serde_json::from_str(t).ok())
            });
        if let Some(h) = handler {
            let empty = Container {
                name: c.name.clone(),
                ..Default::default()
            };
            let container = spec.unwrap_or(&empty);
            let pod_ip = pod
                .and_then(|p| p.status.as_ref().and_then(|s| s.pod_ip.clone()))
                .unwrap_or_default();
            let limit = Duration::from_secs(grace as u64);
            match tokio::time::timeout(
                limit,
                run_handler(ctx, &h, container, &c.id, &pod_ip, limit),
            )
            .await
            {
                Ok(Ok(())) => {}
                Ok(Err(e)) => {
                    tracing::info!(container = %c.name, error = %e, "preStop hook failed");
                    if let Some(p) = pod {
                        ctx.event(
                            p,
                            "Warning",
                            "FailedPreStopHook",
                            format!("PreStopHook failed: {e}"),
                            Some(format!("spec.containers{{{}}}", c.name)),
                        );
                    }
                }
                Err(_) => {
                    tracing::info!(container = %c.name, "preStop hook did not finish within the grace period")
                }
            }
        }
    }
    let spent = started.elapsed().as_secs() as i64;
    let mut remaining = (grace - spent).max(0);
    if !forced {
        remaining = remaining.max(MIN_GRACE);
    }
    if let Err(e) = ctx.cri.stop_container(&c.id, remaining).await
        && !e.is_not_found()
    {
        tracing::warn!(container = %c.name, error = %e, "cannot stop container");
    }
}

/// Stops every running container (app containers first, then sidecars and init containers,
/// in parallel within each group) and the sandbox.
async fn stop_everything(
    ctx: &Ctx,
    st: &mut State,
    pod: &Pod,
    rt: &PodRuntime,
    grace: i64,
    forced: bool,
) {
    let spec = pod.spec.as_ref();
    let is_app = |name: &str| spec.is_some_and(|s| s.containers.iter().any(|c| c.name == name));
    let running: Vec<ContainerInfo> = rt.running().cloned().collect();
    let (apps, others): (Vec<_>, Vec<_>) = running.into_iter().partition(|c| is_app(&c.name));
    for group in [apps, others] {
        join_all(group.iter().map(|c| {
            ctx.event(
                pod,
                "Normal",
                "Killing",
                format!("Stopping container {}", c.name),
                Some(format!("spec.containers{{{}}}", c.name)),
            );
            kill_container(ctx, Some(pod), c, grace, forced)
        }))
        .await;
    }
    for s in rt.sandboxes.iter().filter(|s| s.ready) {
        if let Err(e) = ctx.cri.stop_pod_sandbox(&s.id).await {
            tracing::warn!(sandbox = %s.id, error = %e, "cannot stop sandbox");
        }
    }
    st.last_action = Instant::now();
    stop_probes(st, &HashSet::new());
}

/// Tears a pod down: every container stopped within `grace`, the sandbox stopped.
async fn terminate(ctx: &Ctx, st: &mut State, pod: &Pod, grace: i64, forced: bool) {
    let uid = pod_uid(pod);
    let rt = match fresh(ctx, st, uid).await {
        Ok(rt) => rt,
        Err(e) => {
            tracing::warn!(pod = %pod_name(pod), error = %e, "cannot read the pod's runtime state to stop it");
            return;
        }
    };
    stop_everything(ctx, st, pod, &rt, grace, forced).await;
}

/// Removes everything the runtime and the disk hold for a pod that is gone.
pub async fn cleanup(ctx: &Ctx, uid: &str) {
    if let Ok(rt) = runtime::fetch(&ctx.cri, uid).await {
        for c in &rt.containers {
            if matches!(c.state, CState::Running | CState::Unknown) {
                let _ = ctx.cri.stop_container(&c.id, 0).await;
            }
            let _ = ctx.cri.remove_container(&c.id).await;
        }
        for s in &rt.sandboxes {
            let _ = ctx.cri.stop_pod_sandbox(&s.id).await;
            let _ = ctx.cri.remove_pod_sandbox(&s.id).await;
        }
    }
    ctx.cache.remove(uid);
    let _ = std::fs::remove_dir_all(ctx.pods_dir.join(uid));
    if let Ok(rd) = std::fs::read_dir(&ctx.logs_dir) {
        for e in rd.flatten() {
            if e.file_name()
                .to_string_lossy()
                .ends_with(&format!("_{uid}"))
            {
                let _ = std::fs::remove_dir_all(e.path());
            }
        }
    }
}

fn stop_probes(st: &mut State, keep: &HashSet<String>) {
    st.probes.retain(|(id, _), h| {
        if keep.contains(id) {
            true
        } else {
            h.abort();
            false
        }
    });
    st.results
        .by_container
        .lock()
        .retain(|id, _| keep.contains(id));
}

/// Starts the probe tasks of running containers and stops those of containers that are gone.
fn ensure_probes(
    ctx: &Ctx,
    st: &mut State,
    pod: &Pod,
    rt: &PodRuntime,
    pod_ip: &str,
    wake: &Arc<Notify>,
) {
    let running: Vec<&ContainerInfo> = rt.running().collect();
    let keep: HashSet<String> = running.iter().map(|c| c.id.clone()).collect();
    stop_probes(st, &keep);
    for c in running {
        let Some(spec) = find_container(pod, &c.name) else {
            continue;
        };
        let is_init = pod
            .spec
            .as_ref()
            .is_some_and(|s| s.init_containers.iter().flatten().any(|i| i.name == c.name));
        if is_init && !is_sidecar(spec) {
            continue;
        }
        {
            let mut results = st.results.by_container.lock();
            results.entry(c.id.clone()).or_insert_with(|| {
                // A container that was ready before the agent restarted stays ready until its
                // probe says otherwise.
                let was_ready = pod
                    .status
                    .as_ref()
                    .and_then(|s| s.container_statuses.as_ref())
                    .and_then(|l| {
                        l.iter().find(|x| {
                            x.container_id.as_deref() == Some(&format!("containerd://{}", c.id))
                        })
                    })
                    .is_some_and(|x| x.ready);
                probe::ContainerProbes {
                    has_readiness: spec.readiness_probe.is_some(),
                    has_startup: spec.startup_probe.is_some(),
                    ready: was_ready,
                    started: false,
                    failed: None,
                }
            });
        }
        let started_at = std::time::UNIX_EPOCH + Duration::from_nanos(c.started_at.max(0) as u64);
        for (kind, p) in [
            (Kind::Startup, spec.startup_probe.as_ref()),
            (Kind::Liveness, spec.liveness_probe.as_ref()),
            (Kind::Readiness, spec.readiness_probe.as_ref()),
        ] {
            let Some(p) = p else { continue };
            let key = (c.id.clone(), kind);
            if st.probes.contains_key(&key) {
                continue;
            }
            // A finished startup probe is not run again.
            if kind == Kind::Startup
                && st
                    .results
                    .by_container
                    .lock()
                    .get(&c.id)
                    .is_some_and(|r| r.started)
            {
                continue;
            }
            let target = probe::Target {
                cri: ctx.cri.clone(),
                container_id: c.id.clone(),
                pod_ip: pod_ip.to_owned(),
            };
            let task = tokio::spawn(probe::run(
                kind,
                p.clone(),
                spec.clone(),
                target,
                started_at,
                st.results.clone(),
                wake.clone(),
            ));
            st.probes.insert(key, task.abort_handle());
        }
    }
}

fn probe_views(st: &State, pod: &Pod, rt: &PodRuntime) -> HashMap<String, ProbeView> {
    let results = st.results.by_container.lock();
    let mut out = HashMap::new();
    for c in rt.running() {
        let spec = find_container(pod, &c.name);
        let r = results.get(&c.id);
        let started = match spec.and_then(|s| s.startup_probe.as_ref()) {
            Some(_) => r.is_some_and(|r| r.started),
            None => c.state == CState::Running,
        };
        let ready = started
            && match spec.and_then(|s| s.readiness_probe.as_ref()) {
                Some(_) => r.is_some_and(|r| r.ready),
                None => c.state == CState::Running,
            };
        out.insert(c.id.clone(), ProbeView { ready, started });
    }
    out
}

async fn write_status(ctx: &Ctx, st: &mut State, pod: &Pod, rt: &PodRuntime) {
    let probes = probe_views(st, pod, rt);
    let start_time = st.start_time.clone().unwrap_or_else(now_rfc3339);
    let now = now_rfc3339();
    let status = status::compute(&status::Input {
        pod,
        runtime: rt,
        waiting: &st.waiting,
        probes: &probes,
        host_ip: &ctx.node_ip,
        start_time: &start_time,
        now: &now,
        terminal: st.terminal,
    });
    if st.last_status.as_ref() == Some(&status) {
        return;
    }
    // Skip writes the API already has (e.g. after an agent restart).
    let current = pod
        .status
        .as_ref()
        .and_then(|s| serde_json::to_value(s).ok());
    if st.last_status.is_none() && current.as_ref().is_some_and(|c| same_status(c, &status)) {
        st.last_status = Some(status);
        return;
    }
    let api: Api<Pod> = Api::namespaced(ctx.client.clone(), pod_namespace(pod));
    let body = json!({"metadata": {"uid": pod_uid(pod)}, "status": status});
    let params = PatchParams {
        field_manager: Some("kubelet".into()),
        ..Default::default()
    };
    match api
        .patch_status(pod_name(pod), &params, &Patch::Merge(&body))
        .await
    {
        Ok(_) => st.last_status = Some(status),
        Err(kube::Error::Api(s)) if s.code == 404 || s.code == 409 => {}
        Err(e) => tracing::warn!(pod = %pod_name(pod), error = %e, "cannot write pod status"),
    }
}

/// Whether the API's status already says everything `ours` does.
fn same_status(current: &Value, ours: &Value) -> bool {
    let Value::Object(o) = ours else { return false };
    o.iter().all(|(k, v)| current.get(k) == Some(v))
}

/// Containers and sandboxes of pods the API does not know: stopped (with the grace period they
/// were created with) and removed.
pub async fn remove_orphans(ctx: &Ctx, known: &HashSet<String>) {
    let Ok(sandboxes) = ctx.cri.list_pod_sandbox(None).await else {
        return;
    };
    let Ok(containers) = ctx.cri.list_containers(None).await else {
        return;
    };
    let mut orphans: BTreeMap<String, Vec<pb::Container>> = BTreeMap::new();
    for c in containers {
        let uid = c
            .labels
            .get(runtime::LABEL_POD_UID)
            .cloned()
            .unwrap_or_default();
        if !known.contains(&uid) {
            orphans.entry(uid).or_default().push(c);
        }
    }
    for s in &sandboxes {
        let uid = s
            .labels
            .get(runtime::LABEL_POD_UID)
            .cloned()
            .unwrap_or_default();
        if !known.contains(&uid) {
            orphans.entry(uid).or_default();
        }
    }
    for (uid, list) in orphans {
        tracing::info!(pod_uid = %uid, containers = list.len(), "removing containers of a pod that no longer exists");
        join_all(
            list.iter()
                .filter(|c| c.state == pb::ContainerState::ContainerRunning as i32)
                .map(|c| {
                    let grace = c
                        .annotations
                        .get(runtime::ANNOTATION_GRACE)
                        .and_then(|g| g.parse::<i64>().ok())
                        .unwrap_or(30);
                    let info = ContainerInfo {
                        id: c.id.clone(),
                        name: c
                            .labels
                            .get(runtime::LABEL_CONTAINER_NAME)
                            .cloned()
                            .unwrap_or_default(),
                        attempt: 0,
                        sandbox_id: c.pod_sandbox_id.clone(),
                        state: CState::Running,
                        created_at: c.created_at,
                        started_at: 0,
                        finished_at: 0,
                        exit_code: 0,
                        reason: String::new(),
                        message: String::new(),
                        image: String::new(),
                        image_ref: c.image_ref.clone(),
                        hash: String::new(),
                        annotations: c.annotations.clone(),
                        log_path: String::new(),
                    };
                    async move { kill_container(ctx, None, &info, grace, false).await }
                }),
        )
        .await;
        if uid.is_empty() {
            // Not a pod's container at all (no uid label): remove it alone.
            for c in &list {
                let _ = ctx.cri.stop_container(&c.id, 0).await;
                let _ = ctx.cri.remove_container(&c.id).await;
            }
            for s in sandboxes
                .iter()
                .filter(|s| !s.labels.contains_key(runtime::LABEL_POD_UID))
            {
                let _ = ctx.cri.stop_pod_sandbox(&s.id).await;
                let _ = ctx.cri.remove_pod_sandbox(&s.id).await;
            }
            continue;
        }
        cleanup(ctx, &uid).await;
    }
}
