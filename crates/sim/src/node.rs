//! What a simulated node looks like: its name, addresses, pod range, labels, taints and status.
//! Pure functions; the IO is in `register.rs` and `heartbeat.rs`.

use std::collections::BTreeMap;
use std::net::Ipv4Addr;

use serde_json::{Value, json};

/// Label and annotation every simulated node carries, so nobody mistakes one for a real node.
pub const SIMULATED: &str = "capstan.dev/simulated";
/// The annotation's text.
pub const SIMULATED_NOTE: &str = "simulated by `capstan sim nodes`: no containers run on this node";

/// The resources and placement of every node of one simulation.
#[derive(Debug, Clone)]
pub struct NodeShape {
    pub cpu: String,
    pub memory: String,
    pub pods: u32,
    pub ephemeral_storage: String,
    /// Extra labels on every node.
    pub labels: BTreeMap<String, String>,
    /// Taints on every node (`{key, value, effect}` objects).
    pub taints: Vec<Value>,
    /// Zones the nodes are spread over round-robin (`topology.kubernetes.io/zone`); none if empty.
    pub zones: Vec<String>,
    /// `topology.kubernetes.io/region`, when zones are used.
    pub region: String,
}

impl Default for NodeShape {
    fn default() -> Self {
        NodeShape {
            cpu: "32".into(),
            memory: "256Gi".into(),
            pods: 110,
            ephemeral_storage: "100Gi".into(),
            labels: BTreeMap::new(),
            taints: Vec::new(),
            zones: Vec::new(),
            region: "sim-region".into(),
        }
    }
}

/// The largest simulation the address plan covers (pod ranges 10.128.0.0/9 in /24s).
pub const MAX_NODES: usize = 128 * 256;

/// `prefix` + the index, zero-padded to the width of the largest index so names sort.
pub fn node_name(prefix: &str, index: usize, count: usize) -> String {
    let width = count.saturating_sub(1).max(1).to_string().len();
    format!("{prefix}{index:0width$}")
}

/// The node's InternalIP: 172.16.0.0/12, one address per node.
pub fn node_ip(index: usize) -> Ipv4Addr {
    let n = u32::try_from(index).unwrap_or(u32::MAX) & 0x000f_ffff;
    Ipv4Addr::from(0xac10_0000 | (n + 1))
}

/// The node's pod range: a /24 of 10.128.0.0/9 (outside the default cluster CIDR, so simulated
/// nodes never take ranges real nodes need).
pub fn pod_cidr(index: usize) -> (Ipv4Addr, String) {
    let n = (index % MAX_NODES) as u32;
    let base = Ipv4Addr::from(0x0a80_0000 | (n << 8));
    (base, format!("{base}/24"))
}

/// Parses `key[=value]:Effect` (kubectl taint's form).
pub fn parse_taint(text: &str) -> Result<Value, String> {
    let (kv, effect) = text
        .rsplit_once(':')
        .ok_or_else(|| format!("taint {text:?} has no effect; write key[=value]:Effect"))?;
    if !matches!(effect, "NoSchedule" | "PreferNoSchedule" | "NoExecute") {
        return Err(format!(
            "taint {text:?}: effect must be NoSchedule, PreferNoSchedule or NoExecute"
        ));
    }
    let (key, value) = kv.split_once('=').unwrap_or((kv, ""));
    if key.is_empty() {
        return Err(format!("taint {text:?} has no key"));
    }
    let mut taint = json!({"key": key, "effect": effect});
    if !value.is_empty() {
        taint["value"] = json!(value);
    }
    Ok(taint)
}

/// Parses `key=value`.
pub fn parse_label(text: &str) -> Result<(String, String), String> {
    match text.split_once('=') {
        Some((k, v)) if !k.is_empty() => Ok((k.to_owned(), v.to_owned())),
        _ => Err(format!("label {text:?} is not key=value")),
    }
}

/// The four node conditions a healthy kubelet reports, with upstream's reasons.
pub fn healthy_conditions(now: &str) -> Value {
    let condition = |kind: &str, status: &str, reason: &str, message: &str| {
        json!({"type": kind, "status": status, "reason": reason, "message": message,
               "lastHeartbeatTime": now, "lastTransitionTime": now})
    };
    json!([
        condition(
            "MemoryPressure",
            "False",
            "KubeletHasSufficientMemory",
            "kubelet has sufficient memory available"
        ),
        condition(
            "DiskPressure",
            "False",
            "KubeletHasNoDiskPressure",
            "kubelet has no disk pressure"
        ),
        condition(
            "PIDPressure",
            "False",
            "KubeletHasSufficientPID",
            "kubelet has sufficient PID available"
        ),
        condition(
            "Ready",
            "True",
            "KubeletReady",
            "kubelet is posting ready status"
        ),
    ])
}

/// A status patch (strategic merge, conditions keyed by type) refreshing every heartbeat.
pub fn heartbeat_patch(now: &str) -> Value {
    let conditions: Vec<Value> = ["MemoryPressure", "DiskPressure", "PIDPressure", "Ready"]
        .iter()
        .map(|t| json!({"type": t, "lastHeartbeatTime": now}))
        .collect();
    json!({"status": {"conditions": conditions}})
}

/// The Node object for simulated node `index`, status included (nodes may set it on create).
pub fn node_object(name: &str, index: usize, shape: &NodeShape, now: &str) -> Value {
    let mut labels: BTreeMap<String, String> = BTreeMap::new();
    labels.insert("kubernetes.io/hostname".into(), name.into());
    labels.insert("kubernetes.io/os".into(), "linux".into());
    labels.insert("kubernetes.io/arch".into(), "amd64".into());
    labels.insert("beta.kubernetes.io/os".into(), "linux".into());
    labels.insert("beta.kubernetes.io/arch".into(), "amd64".into());
    labels.insert(SIMULATED.into(), "true".into());
    if !shape.zones.is_empty() {
        labels.insert(
            "topology.kubernetes.io/zone".into(),
            shape.zones[index % shape.zones.len()].clone(),
        );
        labels.insert("topology.kubernetes.io/region".into(), shape.region.clone());
    }
    labels.extend(shape.labels.clone());
    let (_, cidr) = pod_cidr(index);
    let resources = json!({
        "cpu": shape.cpu,
        "memory": shape.memory,
        "pods": shape.pods.to_string(),
        "ephemeral-storage": shape.ephemeral_storage,
    });
    let mut spec = json!({"podCIDR": cidr, "podCIDRs": [cidr]});
    if !shape.taints.is_empty() {
        spec["taints"] = json!(shape.taints);
    }
    json!({
        "apiVersion": "v1",
        "kind": "Node",
        "metadata": {
            "name": name,
            "labels": labels,
            "annotations": {SIMULATED: SIMULATED_NOTE},
        },
        "spec": spec,
        "status": {
            "capacity": resources,
            "allocatable": resources,
            "conditions": healthy_conditions(now),
            "addresses": [
                {"type": "InternalIP", "address": node_ip(index).to_string()},
                {"type": "Hostname", "address": name},
            ],
            "daemonEndpoints": {"kubeletEndpoint": {"Port": 0}},
            "nodeInfo": {
                "machineID": format!("sim-{index}"),
                "systemUUID": format!("sim-{index}"),
                "bootID": format!("sim-{index}"),
                "kernelVersion": "simulated",
                "osImage": "Capstan simulated node",
                "containerRuntimeVersion": "sim://1",
                "kubeletVersion": "v1.33.0-sim",
                "kubeProxyVersion": "v1.33.0-sim",
                "operatingSystem": "linux",
                "architecture": "amd64",
            },
        },
    })
}

/// The Lease a node's agent renews in kube-node-lease, owned by the node.
pub fn lease_object(name: &str, node_uid: &str, duration_seconds: u32, renew_time: &str) -> Value {
    json!({
        "apiVersion": "coordination.k8s.io/v1",
        "kind": "Lease",
        "metadata": {
            "name": name,
            "namespace": "kube-node-lease",
            "ownerReferences": [{"apiVersion": "v1", "kind": "Node", "name": name, "uid": node_uid}],
        },
        "spec": {
            "holderIdentity": name,
            "leaseDurationSeconds": duration_seconds,
            "renewTime": renew_time,
        },
    })
}

/// Time as the API writes it (whole seconds).
pub fn now_rfc3339() -> String {
    chrono::Utc::now().format("%Y-%m-%dT%H:%M:%SZ").to_string()
}

/// MicroTime, as Leases carry it.
pub fn now_micro() -> String {
    chrono::Utc::now()
        .format("%Y-%m-%dT%H:%M:%S%.6fZ")
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_sort_by_index() {
        assert_eq!(node_name("sim-", 7, 5000), "sim-0007");
        assert_eq!(node_name("sim-", 4999, 5000), "sim-4999");
        assert_eq!(node_name("n", 0, 1), "n0");
        assert_eq!(node_name("n", 9, 10), "n9");
        assert_eq!(node_name("n", 10, 11), "n10");
    }

    #[test]
    fn addresses_are_distinct() {
        assert_eq!(node_ip(0).to_string(), "172.16.0.1");
        assert_eq!(node_ip(300).to_string(), "172.16.1.45");
        assert_eq!(pod_cidr(0).1, "10.128.0.0/24");
        assert_eq!(pod_cidr(257).1, "10.129.1.0/24");
        let cidrs: std::collections::HashSet<String> =
            (0..MAX_NODES).map(|i| pod_cidr(i).1).collect();
        assert_eq!(cidrs.len(), MAX_NODES);
    }

    #[test]
    fn taints_parse_like_kubectl() {
        assert_eq!(
            parse_taint("gpu=true:NoSchedule").unwrap(),
            json!({"key": "gpu", "value": "true", "effect": "NoSchedule"})
        );
        assert_eq!(
            parse_taint("dedicated:NoExecute").unwrap(),
            json!({"key": "dedicated", "effect": "NoExecute"})
        );
        assert!(parse_taint("gpu=true").is_err());
        assert!(parse_taint("gpu=true:Sometimes").is_err());
        assert!(parse_taint("=x:NoSchedule").is_err());
    }

    #[test]
    fn nodes_say_they_are_simulated_and_spread_over_zones() {
        let shape = NodeShape {
            zones: vec!["a".into(), "b".into(), "c".into()],
            ..Default::default()
        };
        let node = node_object("sim-4", 4, &shape, "2026-01-01T00:00:00Z");
        assert_eq!(node["metadata"]["labels"][SIMULATED], "true");
        assert_eq!(node["metadata"]["annotations"][SIMULATED], SIMULATED_NOTE);
        assert_eq!(
            node["metadata"]["labels"]["topology.kubernetes.io/zone"],
            "b"
        );
        assert_eq!(node["status"]["capacity"]["pods"], "110");
        assert_eq!(node["status"]["conditions"][3]["type"], "Ready");
        assert_eq!(node["spec"]["podCIDR"], "10.128.4.0/24");
        assert!(node["spec"].get("taints").is_none());
    }
}
