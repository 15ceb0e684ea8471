//! Pods nominated to nodes by preemption: they are counted on their node
//! when pods of lower or equal priority are filtered.

use std::sync::Arc;

use rustc_hash::FxHashMap;

use crate::podinfo::{PodId, PodInfo};

#[derive(Debug, Default)]
pub struct Nominator {
    by_node: FxHashMap<String, Vec<Arc<PodInfo>>>,
    by_pod: FxHashMap<PodId, String>,
}

impl Nominator {
    /// Nominates `pod` to `node`, replacing an earlier nomination.
    pub fn add(&mut self, pod: Arc<PodInfo>, node: &str) {
        self.remove(&pod.id);
        self.by_pod.insert(pod.id.clone(), node.to_string());
        self.by_node.entry(node.to_string()).or_default().push(pod);
    }

    pub fn remove(&mut self, id: &PodId) {
        let Some(node) = self.by_pod.remove(id) else {
            return;
        };
        if let Some(list) = self.by_node.get_mut(&node) {
            list.retain(|p| &p.id != id);
            if list.is_empty() {
                self.by_node.remove(&node);
            }
        }
    }

    pub fn pods_on(&self, node: &str) -> &[Arc<PodInfo>] {
        self.by_node.get(node).map(|v| v.as_slice()).unwrap_or(&[])
    }

    pub fn node_of(&self, id: &PodId) -> Option<&str> {
        self.by_pod.get(id).map(|s| s.as_str())
    }

    pub fn is_empty(&self) -> bool {
        self.by_pod.is_empty()
    }
}
