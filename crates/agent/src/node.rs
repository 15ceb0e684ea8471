//! The Node: what this machine offers (capacity, allocatable after reservations and the hard
//! eviction thresholds), its addresses, nodeInfo and labels; its conditions (Ready with the
//! runtime, network and PLEG checks; memory, disk and PID pressure); registration; the Lease in
//! kube-node-lease renewed every 10 s; status written when it changes (and at least every minute).

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use k8s_openapi::api::coordination::v1::Lease;
use k8s_openapi::api::core::v1::Node;
use kube::api::{Api, Patch, PatchParams, PostParams};
use serde_json::{Value, json};

use crate::image::archive::go_arch;

pub const LEASE_DURATION_SECONDS: i32 = 40;
pub const LEASE_RENEW: Duration = Duration::from_secs(10);
pub const STATUS_UPDATE: Duration = Duration::from_secs(10);
pub const STATUS_REPORT: Duration = Duration::from_secs(60);
/// The version this agent reports (the API it implements).
pub const KUBELET_VERSION: &str = "v1.33.0-capstan";

/// Hard eviction thresholds (the kubelet's defaults): memory.available<100Mi,
/// nodefs.available<10%, pid available < 5% (the PID pressure heuristic here).
pub const EVICTION_MEMORY: i64 = 100 * 1024 * 1024;

#[derive(Debug, Clone, Default, PartialEq)]
pub struct Machine {
    pub cpus: i64,
    pub memory_bytes: i64,
    pub memory_available: i64,
    pub fs_bytes: i64,
    pub fs_available: i64,
    pub pid_max: i64,
    pub pids_in_use: i64,
    pub machine_id: String,
    pub system_uuid: String,
    pub boot_id: String,
    pub kernel: String,
    pub os_image: String,
}

fn read(path: &str) -> String {
    std::fs::read_to_string(path)
        .unwrap_or_default()
        .trim()
        .to_owned()
}

fn meminfo(field: &str) -> i64 {
    read("/proc/meminfo")
        .lines()
        .find_map(|l| l.strip_prefix(field).and_then(|r| r.strip_prefix(':')))
        .and_then(|r| {
            r.split_whitespace()
                .next()
                .and_then(|n| n.parse::<i64>().ok())
        })
        .map(|kb| kb * 1024)
        .unwrap_or(0)
}

fn statvfs(path: &Path) -> (i64, i64) {
    let Ok(c) = std::ffi::CString::new(path.as_os_str().as_encoded_bytes()) else {
        return (0, 0);
    };
    let mut s: libc::statvfs = unsafe { std::mem::zeroed() };
    if unsafe { libc::statvfs(c.as_ptr(), &mut s) } != 0 {
        return (0, 0);
    }
    let frsize = s.f_frsize as i64;
    (s.f_blocks as i64 * frsize, s.f_bavail as i64 * frsize)
}

/// Reads the machine (cheap: a few /proc files and one statvfs).
pub fn machine(data_dir: &Path) -> Machine {
    let cpus = std::thread::available_parallelism()
        .map(|n| n.get() as i64)
        .unwrap_or(1);
    let (fs_bytes, fs_available) = statvfs(data_dir);
    let pids_in_use = std::fs::read_dir("/proc")
        .map(|rd| {
            rd.filter_map(Result::ok)
                .filter(|e| {
                    e.file_name()
                        .to_string_lossy()
                        .bytes()
                        .all(|b| b.is_ascii_digit())
                })
                .count() as i64
        })
        .unwrap_or(0);
    let os_image = read("/etc/os-release")
        .lines()
        .find_map(|l| l.strip_prefix("PRETTY_NAME="))
        .map(|v| v.trim_matches('"').to_owned())
        .unwrap_or_else(|| "Linux".into());
    let machine_id = read("/etc/machine-id");
    let uuid = read("/sys/class/dmi/id/product_uuid");
    Machine {
        cpus,
        memory_bytes: meminfo("MemTotal"),
        memory_available: meminfo("MemAvailable"),
        fs_bytes,
        fs_available,
        pid_max: read("/proc/sys/kernel/pid_max").parse().unwrap_or(32768),
        pids_in_use,
        system_uuid: if uuid.is_empty() {
            machine_id.clone()
        } else {
            uuid
        },
        machine_id,
        boot_id: read("/proc/sys/kernel/random/boot_id"),
        kernel: {
            let mut u: libc::utsname = unsafe { std::mem::zeroed() };
            if unsafe { libc::uname(&mut u) } == 0 {
                unsafe { std::ffi::CStr::from_ptr(u.release.as_ptr()) }
                    .to_string_lossy()
                    .into_owned()
            } else {
                String::new()
            }
        },
        os_image,
    }
}

/// `cpu=500m,memory=1Gi` → map.
pub fn parse_reserved(text: &str) -> Result<BTreeMap<String, String>, String> {
    let mut out = BTreeMap::new();
    for part in text.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        let (k, v) = part
            .split_once('=')
            .ok_or_else(|| format!("{part:?} is not resource=quantity"))?;
        capstan_apimachinery::Quantity::parse(v).map_err(|e| format!("{part:?}: {e}"))?;
        out.insert(k.trim().to_owned(), v.trim().to_owned());
    }
    Ok(out)
}

fn reserved_milli(r: &[&BTreeMap<String, String>], key: &str) -> i64 {
    r.iter()
        .filter_map(|m| m.get(key))
        .filter_map(|v| capstan_apimachinery::Quantity::parse(v).ok())
        .map(|q| q.milli_value())
        .sum()
}

fn reserved_bytes(r: &[&BTreeMap<String, String>], key: &str) -> i64 {
    r.iter()
        .filter_map(|m| m.get(key))
        .filter_map(|v| capstan_apimachinery::Quantity::parse(v).ok())
        .map(|q| q.value())
        .sum()
}

fn kib(bytes: i64) -> String {
    format!("{}Ki", bytes.max(0) / 1024)
}

/// (capacity, allocatable).
pub fn resources(
    m: &Machine,
    max_pods: u32,
    reserved: &[&BTreeMap<String, String>],
) -> (Value, Value) {
    let capacity = json!({
        "cpu": m.cpus.to_string(),
        "memory": kib(m.memory_bytes),
        "pods": max_pods.to_string(),
        "ephemeral-storage": kib(m.fs_bytes),
        "hugepages-1Gi": "0",
        "hugepages-2Mi": "0",
    });
    let cpu_milli = (m.cpus * 1000 - reserved_milli(reserved, "cpu")).max(0);
    let cpu = if cpu_milli % 1000 == 0 {
        (cpu_milli / 1000).to_string()
    } else {
        format!("{cpu_milli}m")
    };
    let memory = m.memory_bytes - reserved_bytes(reserved, "memory") - EVICTION_MEMORY;
    let storage = m.fs_bytes - reserved_bytes(reserved, "ephemeral-storage") - m.fs_bytes / 10;
    let pods = (i64::from(max_pods) - reserved_bytes(reserved, "pods")).max(0);
    let allocatable = json!({
        "cpu": cpu,
        "memory": kib(memory),
        "pods": pods.to_string(),
        "ephemeral-storage": storage.max(0).to_string(),
        "hugepages-1Gi": "0",
        "hugepages-2Mi": "0",
    });
    (capacity, allocatable)
}

/// What is wrong with the node for Ready=False (empty: ready).
#[derive(Debug, Clone, Default)]
pub struct Health {
    pub runtime_error: Option<String>,
    pub network_error: Option<String>,
    pub pleg_error: Option<String>,
}

fn condition(kind: &str, status: bool, reason: &str, message: &str) -> Value {
    json!({"type": kind, "status": if status { "True" } else { "False" }, "reason": reason, "message": message})
}

/// The four conditions, transition times kept from `old` when the status did not change.
pub fn conditions(m: &Machine, h: &Health, old: &[Value], now: &str) -> Vec<Value> {
    let memory_pressure = m.memory_available > 0 && m.memory_available < EVICTION_MEMORY;
    let disk_pressure = m.fs_bytes > 0 && m.fs_available < m.fs_bytes / 10;
    let pid_pressure = m.pid_max > 0 && m.pids_in_use > m.pid_max * 95 / 100;
    let mut errors = Vec::new();
    if let Some(e) = &h.runtime_error {
        errors.push(format!("container runtime is down: {e}"));
    }
    if let Some(e) = &h.network_error {
        errors.push(format!("container runtime network not ready: {e}"));
    }
    if let Some(e) = &h.pleg_error {
        errors.push(format!("PLEG is not healthy: {e}"));
    }
    let mut list = vec![
        if memory_pressure {
            condition(
                "MemoryPressure",
                true,
                "KubeletHasInsufficientMemory",
                "kubelet has insufficient memory available",
            )
        } else {
            condition(
                "MemoryPressure",
                false,
                "KubeletHasSufficientMemory",
                "kubelet has sufficient memory available",
            )
        },
        if disk_pressure {
            condition(
                "DiskPressure",
                true,
                "KubeletHasDiskPressure",
                "kubelet has disk pressure",
            )
        } else {
            condition(
                "DiskPressure",
                false,
                "KubeletHasNoDiskPressure",
                "kubelet has no disk pressure",
            )
        },
        if pid_pressure {
            condition(
                "PIDPressure",
                true,
                "KubeletHasInsufficientPID",
                "kubelet has insufficient PID available",
            )
        } else {
            condition(
                "PIDPressure",
                false,
                "KubeletHasSufficientPID",
                "kubelet has sufficient PID available",
            )
        },
        if errors.is_empty() {
            condition(
                "Ready",
                true,
                "KubeletReady",
                "kubelet is posting ready status",
            )
        } else {
            condition("Ready", false, "KubeletNotReady", &errors.join(", "))
        },
    ];
    for c in &mut list {
        let prior = old.iter().find(|o| o["type"] == c["type"]);
        let since = match prior {
            Some(p) if p["status"] == c["status"] => {
                p.get("lastTransitionTime").cloned().unwrap_or(json!(now))
            }
            _ => json!(now),
        };
        c["lastTransitionTime"] = since;
        c["lastHeartbeatTime"] = json!(now);
    }
    list
}

pub struct NodeParams {
    pub name: String,
    pub ip: String,
    pub hostname: String,
    pub port: u16,
    pub control_plane: bool,
    pub labels: BTreeMap<String, String>,
    pub max_pods: u32,
    pub system_reserved: BTreeMap<String, String>,
    pub kube_reserved: BTreeMap<String, String>,
    pub runtime_version: String,
}

pub fn labels(p: &NodeParams) -> BTreeMap<String, String> {
    let mut l = BTreeMap::new();
    l.insert("kubernetes.io/hostname".to_owned(), p.name.clone());
    l.insert("kubernetes.io/os".to_owned(), "linux".to_owned());
    l.insert("kubernetes.io/arch".to_owned(), go_arch().to_owned());
    l.insert("beta.kubernetes.io/os".to_owned(), "linux".to_owned());
    l.insert("beta.kubernetes.io/arch".to_owned(), go_arch().to_owned());
    if p.control_plane {
        l.insert(
            "node-role.kubernetes.io/control-plane".to_owned(),
            "true".to_owned(),
        );
    }
    l.extend(p.labels.clone());
    l
}

/// The status (everything except conditions' merging) for this machine.
pub fn status(p: &NodeParams, m: &Machine, conditions: Vec<Value>) -> Value {
    let (capacity, allocatable) = resources(m, p.max_pods, &[&p.system_reserved, &p.kube_reserved]);
    json!({
        "capacity": capacity,
        "allocatable": allocatable,
        "conditions": conditions,
        "addresses": [
            {"type": "InternalIP", "address": p.ip},
            {"type": "Hostname", "address": p.hostname},
        ],
        "daemonEndpoints": {"kubeletEndpoint": {"Port": p.port}},
        "nodeInfo": {
            "machineID": m.machine_id,
            "systemUUID": m.system_uuid,
            "bootID": m.boot_id,
            "kernelVersion": m.kernel,
            "osImage": m.os_image,
            "containerRuntimeVersion": p.runtime_version,
            "kubeletVersion": KUBELET_VERSION,
            "kubeProxyVersion": KUBELET_VERSION,
            "operatingSystem": "linux",
            "architecture": go_arch(),
        },
    })
}

fn now_rfc3339() -> String {
    crate::worker::now_rfc3339()
}

fn params() -> PatchParams {
    PatchParams {
        field_manager: Some("kubelet".into()),
        ..Default::default()
    }
}

/// Creates the Node (or takes over the existing one: labels and status updated, spec kept).
pub async fn register(
    client: &kube::Client,
    p: &NodeParams,
    m: &Machine,
    h: &Health,
) -> anyhow::Result<Node> {
    let api: Api<Node> = Api::all(client.clone());
    let now = now_rfc3339();
    let status = status(p, m, conditions(m, h, &[], &now));
    let object = json!({
        "apiVersion": "v1",
        "kind": "Node",
        "metadata": {"name": p.name, "labels": labels(p)},
        "status": status,
    });
    let node: Node = serde_json::from_value(object)?;
    let pp = PostParams {
        field_manager: Some("kubelet".into()),
        ..Default::default()
    };
    match api.create(&pp, &node).await {
        Ok(n) => {
            // Status is reset by create on some servers; write it through the subresource too.
            let body = json!({"status": status});
            Ok(api
                .patch_status(&p.name, &params(), &Patch::Merge(&body))
                .await
                .unwrap_or(n))
        }
        Err(kube::Error::Api(s)) if s.code == 409 => {
            let body = json!({"metadata": {"labels": labels(p)}});
            api.patch(&p.name, &params(), &Patch::Merge(&body)).await?;
            let body = json!({"status": status});
            Ok(api
                .patch_status(&p.name, &params(), &Patch::Merge(&body))
                .await?)
        }
        Err(e) => Err(e.into()),
    }
}

/// Renews the node's Lease every 10 s forever (creating it when missing).
pub async fn keep_lease(client: kube::Client, name: String, node_uid: String) {
    let api: Api<Lease> = Api::namespaced(client, "kube-node-lease");
    loop {
        let now = chrono::Utc::now()
            .format("%Y-%m-%dT%H:%M:%S%.6fZ")
            .to_string();
        let body = json!({
            "apiVersion": "coordination.k8s.io/v1",
            "kind": "Lease",
            "metadata": {
                "name": name,
                "namespace": "kube-node-lease",
                "ownerReferences": [{"apiVersion": "v1", "kind": "Node", "name": name, "uid": node_uid}],
            },
            "spec": {"holderIdentity": name, "leaseDurationSeconds": LEASE_DURATION_SECONDS, "renewTime": now},
        });
        let result = match api
            .patch(
                &name,
                &params(),
                &Patch::Merge(&json!({"spec": body["spec"]})),
            )
            .await
        {
            Ok(_) => Ok(()),
            Err(kube::Error::Api(s)) if s.code == 404 => {
                match serde_json::from_value::<Lease>(body) {
                    Ok(lease) => api.create(&PostParams::default(), &lease).await.map(|_| ()),
                    Err(e) => {
                        tracing::warn!(error = %e, "bad lease object");
                        Ok(())
                    }
                }
            }
            Err(e) => Err(e),
        };
        let wait = match result {
            Ok(()) => LEASE_RENEW,
            Err(e) => {
                tracing::warn!(error = %e, "cannot renew node lease");
                Duration::from_secs(2)
            }
        };
        tokio::time::sleep(wait).await;
    }
}

/// Computes and writes the node's status every 10 s (when it changed, or a minute passed).
pub async fn keep_status(
    client: kube::Client,
    p: Arc<NodeParams>,
    data_dir: std::path::PathBuf,
    health: impl Fn() -> futures::future::BoxFuture<'static, Health>,
) {
    let api: Api<Node> = Api::all(client);
    let mut last: Option<(Value, Instant)> = None;
    let mut old_conditions: Vec<Value> = Vec::new();
    loop {
        tokio::time::sleep(STATUS_UPDATE).await;
        let m = machine(&data_dir);
        let h = health().await;
        let now = now_rfc3339();
        let conds = conditions(&m, &h, &old_conditions, &now);
        let status = status(&p, &m, conds.clone());
        // Compare without heartbeat times.
        let mut key = status.clone();
        if let Some(list) = key["conditions"].as_array_mut() {
            for c in list {
                c["lastHeartbeatTime"] = Value::Null;
            }
        }
        let due = match &last {
            None => true,
            Some((k, at)) => *k != key || at.elapsed() >= STATUS_REPORT,
        };
        if !due {
            continue;
        }
        // Conditions other components own (NetworkUnavailable…) are kept.
        let mut merged = status.clone();
        if let Ok(current) = api.get_status(&p.name).await {
            let foreign: Vec<Value> = current
                .status
                .and_then(|s| s.conditions)
                .unwrap_or_default()
                .into_iter()
                .filter_map(|c| serde_json::to_value(c).ok())
                .filter(|c| {
                    !matches!(
                        c["type"].as_str(),
                        Some("Ready" | "MemoryPressure" | "DiskPressure" | "PIDPressure")
                    )
                })
                .collect();
            if let Some(list) = merged["conditions"].as_array_mut() {
                list.extend(foreign);
            }
        }
        match api
            .patch_status(
                &p.name,
                &params(),
                &Patch::Merge(&json!({"status": merged})),
            )
            .await
        {
            Ok(_) => {
                old_conditions = conds;
                last = Some((key, Instant::now()));
            }
            Err(e) => tracing::warn!(error = %e, "cannot update node status"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn m() -> Machine {
        Machine {
            cpus: 2,
            memory_bytes: 4 << 30,
            memory_available: 2 << 30,
            fs_bytes: 100 << 30,
            fs_available: 50 << 30,
            pid_max: 32768,
            pids_in_use: 100,
            ..Default::default()
        }
    }

    #[test]
    fn allocatable_subtracts_reservations_and_eviction() {
        let sys = parse_reserved("cpu=500m,memory=512Mi").unwrap();
        let kube = parse_reserved("memory=256Mi").unwrap();
        let (cap, alloc) = resources(&m(), 110, &[&sys, &kube]);
        assert_eq!(cap["cpu"], "2");
        assert_eq!(cap["memory"], "4194304Ki");
        assert_eq!(cap["pods"], "110");
        assert_eq!(alloc["cpu"], "1500m");
        assert_eq!(
            alloc["memory"],
            format!("{}Ki", (4096 - 512 - 256 - 100) * 1024)
        );
        assert!(parse_reserved("cpu").is_err());
        assert!(parse_reserved("cpu=lots").is_err());
    }

    #[test]
    fn ready_false_carries_the_pleg_message() {
        let h = Health {
            pleg_error: Some("pleg was last seen active 3m1s ago; threshold is 3m0s".into()),
            ..Default::default()
        };
        let c = conditions(&m(), &h, &[], "2026-01-01T00:00:00Z");
        let ready = c.iter().find(|c| c["type"] == "Ready").unwrap();
        assert_eq!(ready["status"], "False");
        assert_eq!(ready["reason"], "KubeletNotReady");
        assert_eq!(
            ready["message"],
            "PLEG is not healthy: pleg was last seen active 3m1s ago; threshold is 3m0s"
        );
        let ok = conditions(&m(), &Health::default(), &c, "2026-01-01T00:00:10Z");
        let ready = ok.iter().find(|c| c["type"] == "Ready").unwrap();
        assert_eq!(ready["status"], "True");
        assert_eq!(ready["lastTransitionTime"], "2026-01-01T00:00:10Z");
        let mem = ok.iter().find(|c| c["type"] == "MemoryPressure").unwrap();
        assert_eq!(mem["lastTransitionTime"], "2026-01-01T00:00:00Z");
        assert_eq!(mem["reason"], "KubeletHasSufficientMemory");
    }

    #[test]
    fn control_plane_label() {
        let p = NodeParams {
            name: "n1".into(),
            ip: "192.0.2.1".into(),
            hostname: "n1".into(),
            port: 10250,
            control_plane: true,
            labels: BTreeMap::new(),
            max_pods: 110,
            system_reserved: BTreeMap::new(),
            kube_reserved: BTreeMap::new(),
            runtime_version: "containerd://1.6.20".into(),
        };
        let l = labels(&p);
        assert_eq!(l["node-role.kubernetes.io/control-plane"], "true");
        assert_eq!(l["kubernetes.io/hostname"], "n1");
        let s = status(&p, &m(), vec![]);
        assert_eq!(s["daemonEndpoints"]["kubeletEndpoint"]["Port"], 10250);
        assert_eq!(
            s["nodeInfo"]["containerRuntimeVersion"],
            "containerd://1.6.20"
        );
    }
}
