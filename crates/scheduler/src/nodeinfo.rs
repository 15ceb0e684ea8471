//! `NodeInfo`: one node with the aggregates of the pods placed on it
//! (requested resources, host ports, PVC references), kept incrementally.

use std::collections::BTreeMap;
use std::sync::Arc;

use k8s_openapi::api::core::v1::{Node, Taint};
use rustc_hash::FxHashMap;

use crate::podinfo::{HostPort, PodId, PodInfo};
use crate::resources::Resource;

/// Label key/value pairs as interned ids, sorted by key id.
pub type LabelIds = Vec<(u32, u32)>;

/// A node and what is placed on it.
#[derive(Clone, Debug)]
pub struct NodeInfo {
    /// `None` for a node known only through pods assigned to it.
    pub node: Option<Arc<Node>>,
    pub name: Arc<str>,
    pub labels: BTreeMap<String, String>,
    pub label_ids: LabelIds,
    pub taints: Vec<Taint>,
    pub unschedulable: bool,
    pub allocatable: Resource,
    pub requested: Resource,
    pub non_zero_cpu: i64,
    pub non_zero_memory: i64,
    pub pods: Vec<Arc<PodInfo>>,
    pub pods_with_affinity: usize,
    pub pods_with_required_anti_affinity: usize,
    pub used_ports: Vec<(HostPort, u32)>,
    /// Image name → size in bytes, from `status.images`.
    pub images: Arc<FxHashMap<String, i64>>,
    /// `namespace/claim` → number of pods here using it.
    pub pvc_refs: FxHashMap<String, u32>,
    /// Bumped on every change.
    pub generation: u64,
}

/// The wildcard host IP.
pub const BIND_ALL_HOST_IP: &str = "0.0.0.0";

impl NodeInfo {
    pub fn empty(name: &str) -> NodeInfo {
        NodeInfo {
            node: None,
            name: Arc::from(name),
            labels: BTreeMap::new(),
            label_ids: Vec::new(),
            taints: Vec::new(),
            unschedulable: false,
            allocatable: Resource::default(),
            requested: Resource::default(),
            non_zero_cpu: 0,
            non_zero_memory: 0,
            pods: Vec::new(),
            pods_with_affinity: 0,
            pods_with_required_anti_affinity: 0,
            used_ports: Vec::new(),
            images: Arc::default(),
            pvc_refs: FxHashMap::default(),
            generation: 0,
        }
    }

    /// Replaces the node object; label ids are set by the cache.
    pub fn set_node(&mut self, node: Arc<Node>) {
        self.labels = node.metadata.labels.clone().unwrap_or_default();
        let spec = node.spec.as_ref();
        self.taints = spec.and_then(|s| s.taints.clone()).unwrap_or_default();
        self.unschedulable = spec.and_then(|s| s.unschedulable).unwrap_or(false);
        let status = node.status.as_ref();
        self.allocatable = Resource::from_list(status.and_then(|s| s.allocatable.as_ref()));
        let mut images = FxHashMap::default();
        for image in status.and_then(|s| s.images.as_ref()).into_iter().flatten() {
            for name in image.names.iter().flatten() {
                images.insert(name.clone(), image.size_bytes.unwrap_or(0));
            }
        }
        self.images = Arc::new(images);
        self.node = Some(node);
        self.generation += 1;
    }

    /// The interned value of a label key on this node.
    pub fn label_value_id(&self, key: u32) -> Option<u32> {
        self.label_ids
            .binary_search_by_key(&key, |(k, _)| *k)
            .ok()
            .map(|i| self.label_ids[i].1)
    }

    pub fn label(&self, key: &str) -> Option<&str> {
        self.labels.get(key).map(|s| s.as_str())
    }

    pub fn add_pod(&mut self, pod: Arc<PodInfo>) {
        self.requested.add(&pod.requests.requests);
        self.non_zero_cpu += pod.requests.non_zero_cpu;
        self.non_zero_memory += pod.requests.non_zero_memory;
        if pod.has_affinity_terms() {
            self.pods_with_affinity += 1;
        }
        if !pod.required_anti_affinity.is_empty() {
            self.pods_with_required_anti_affinity += 1;
        }
        for hp in &pod.host_ports {
            match self.used_ports.iter_mut().find(|(p, _)| p == hp) {
                Some((_, n)) => *n += 1,
                None => self.used_ports.push((hp.clone(), 1)),
            }
        }
        for claim in &pod.pvc_names {
            *self
                .pvc_refs
                .entry(format!("{}/{}", pod.namespace, claim))
                .or_default() += 1;
        }
        self.pods.push(pod);
        self.generation += 1;
    }

    pub fn remove_pod(&mut self, id: &PodId) -> Option<Arc<PodInfo>> {
        let pos = self.pods.iter().position(|p| &p.id == id)?;
        let pod = self.pods.swap_remove(pos);
        self.requested.sub(&pod.requests.requests);
        self.non_zero_cpu -= pod.requests.non_zero_cpu;
        self.non_zero_memory -= pod.requests.non_zero_memory;
        if pod.has_affinity_terms() {
            self.pods_with_affinity -= 1;
        }
        if !pod.required_anti_affinity.is_empty() {
            self.pods_with_required_anti_affinity -= 1;
        }
        for hp in &pod.host_ports {
            if let Some(i) = self.used_ports.iter().position(|(p, _)| p == hp) {
                self.used_ports[i].1 -= 1;
                if self.used_ports[i].1 == 0 {
                    self.used_ports.swap_remove(i);
                }
            }
        }
        for claim in &pod.pvc_names {
            let key = format!("{}/{}", pod.namespace, claim);
            if let Some(n) = self.pvc_refs.get_mut(&key) {
                *n -= 1;
                if *n == 0 {
                    self.pvc_refs.remove(&key);
                }
            }
        }
        self.generation += 1;
        Some(pod)
    }

    /// Upstream `HostPortInfo.CheckConflict`: a wildcard IP conflicts with
    /// any IP on the same protocol and port, a specific IP with itself and
    /// the wildcard.
    pub fn port_conflict(&self, want: &HostPort) -> bool {
        if want.port <= 0 {
            return false;
        }
        self.used_ports.iter().any(|(used, _)| {
            used.port == want.port
                && used.protocol == want.protocol
                && (want.ip == BIND_ALL_HOST_IP
                    || used.ip == BIND_ALL_HOST_IP
                    || used.ip == want.ip)
        })
    }

    pub fn has_node(&self) -> bool {
        self.node.is_some()
    }
}
