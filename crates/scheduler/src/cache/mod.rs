//! The scheduler cache: nodes, placed pods (bound and assumed) with their
//! per-node aggregates, the label index, and the other objects plugins read
//! (namespaces, volumes, PodDisruptionBudgets, workload selectors).
//!
//! A scheduling cycle borrows the cache immutably; updates between cycles
//! are incremental.

mod objects;
mod order;

use std::collections::BTreeMap;
use std::sync::Arc;

use k8s_openapi::api::core::v1::{Node, Pod};
use rustc_hash::FxHashMap;

use crate::index::{NodeRef, PodIndex, PodQuery};
use crate::nodeinfo::NodeInfo;
use crate::podinfo::{PodId, PodInfo, pod_id};

pub use objects::{ClusterObjects, WorkloadKind};

/// Errors of cache operations (inconsistent event streams).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CacheError(pub String);

impl std::fmt::Display for CacheError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for CacheError {}

#[derive(Debug, Clone)]
struct CachedPod {
    info: Arc<PodInfo>,
    slot: usize,
    assumed: bool,
}

/// Nodes and the pods placed on them.
#[derive(Debug, Default)]
pub struct Cache {
    nodes: Vec<NodeInfo>,
    node_slots: FxHashMap<Arc<str>, usize>,
    free_slots: Vec<usize>,
    order: order::NodeOrder,
    num_live: usize,
    pods: FxHashMap<PodId, CachedPod>,
    namespaces: FxHashMap<String, BTreeMap<String, String>>,
    index: PodIndex,
    /// Label key id → value id → number of live nodes with it.
    domains: FxHashMap<u32, FxHashMap<u32, u32>>,
    /// Label key id → number of live nodes with the key.
    key_nodes: FxHashMap<u32, usize>,
    image_nodes: FxHashMap<String, u32>,
    /// `namespace/claim` → placed pods using it.
    pvc_users: FxHashMap<String, u32>,
    /// Volumes, storage classes, PDBs and workload selectors.
    pub objects: ClusterObjects,
    cycle: u64,
}

impl Cache {
    pub fn new() -> Cache {
        Cache::default()
    }

    // ----- nodes -----

    fn slot_for(&mut self, name: &str) -> usize {
        if let Some(slot) = self.node_slots.get(name) {
            return *slot;
        }
        let slot = match self.free_slots.pop() {
            Some(s) => {
                self.nodes[s] = NodeInfo::empty(name);
                s
            }
            None => {
                self.nodes.push(NodeInfo::empty(name));
                self.nodes.len() - 1
            }
        };
        self.node_slots.insert(Arc::from(name), slot);
        slot
    }

    /// Adds or replaces a node (informer add/update).
    pub fn upsert_node(&mut self, node: impl Into<Arc<Node>>) {
        let node: Arc<Node> = node.into();
        let name = node.metadata.name.clone().unwrap_or_default();
        let slot = self.slot_for(&name);
        let was_live = self.nodes[slot].node.is_some();
        let new_labels = node.metadata.labels.clone().unwrap_or_default();
        let labels_changed = !was_live || self.nodes[slot].labels != new_labels;
        if was_live && labels_changed {
            self.withdraw_node(slot);
        }
        if was_live {
            self.change_images(slot, -1);
        }
        self.nodes[slot].set_node(node);
        if labels_changed {
            let ids: Vec<(u32, u32)> = {
                let mut ids: Vec<(u32, u32)> = new_labels
                    .iter()
                    .map(|(k, v)| (self.index.interner.intern(k), self.index.interner.intern(v)))
                    .collect();
                ids.sort_unstable();
                ids
            };
            self.nodes[slot].label_ids = ids;
            self.publish_node(slot);
            self.order.mark_dirty();
        }
        self.change_images(slot, 1);
        if !was_live {
            self.num_live += 1;
        }
    }

    /// Counts a live node's labels and pods into domains.
    fn publish_node(&mut self, slot: usize) {
        for (k, v) in &self.nodes[slot].label_ids {
            *self.domains.entry(*k).or_default().entry(*v).or_default() += 1;
            *self.key_nodes.entry(*k).or_default() += 1;
        }
        let n = &self.nodes[slot];
        let r = NodeRef {
            slot,
            live: true,
            label_ids: &n.label_ids,
        };
        self.index.node_labels_changed(&r, 1);
    }

    /// Reverses [`Cache::publish_node`] with the node's current labels.
    fn withdraw_node(&mut self, slot: usize) {
        for (k, v) in &self.nodes[slot].label_ids {
            if let Some(c) = self.key_nodes.get_mut(k) {
                *c -= 1;
                if *c == 0 {
                    self.key_nodes.remove(k);
                }
            }
            if let Some(values) = self.domains.get_mut(k) {
                if let Some(c) = values.get_mut(v) {
                    *c -= 1;
                    if *c == 0 {
                        values.remove(v);
                    }
                }
                if values.is_empty() {
                    self.domains.remove(k);
                }
            }
        }
        let n = &self.nodes[slot];
        let r = NodeRef {
            slot,
            live: true,
            label_ids: &n.label_ids,
        };
        self.index.node_labels_changed(&r, -1);
    }

    fn change_images(&mut self, slot: usize, sign: i32) {
        let images = self.nodes[slot].images.clone();
        for name in images.keys() {
            let c = self.image_nodes.entry(name.clone()).or_default();
            *c = c.saturating_add_signed(sign);
            if *c == 0 {
                self.image_nodes.remove(name);
            }
        }
    }

    /// Removes a node; pods still bound to it stay until they are removed.
    pub fn remove_node(&mut self, name: &str) {
        let Some(slot) = self.node_slots.get(name).copied() else {
            return;
        };
        if self.nodes[slot].node.is_some() {
            self.withdraw_node(slot);
            self.change_images(slot, -1);
            let n = &mut self.nodes[slot];
            n.node = None;
            n.labels.clear();
            n.label_ids.clear();
            n.taints.clear();
            n.generation += 1;
            self.num_live -= 1;
            self.order.mark_dirty();
        }
        self.release_slot_if_unused(slot);
    }

    fn release_slot_if_unused(&mut self, slot: usize) {
        let n = &self.nodes[slot];
        if n.node.is_none() && n.pods.is_empty() {
            self.node_slots.remove(&*n.name);
            self.nodes[slot] = NodeInfo::empty("");
            self.free_slots.push(slot);
        }
    }

    // ----- pods -----

    fn place(&mut self, info: Arc<PodInfo>, node_name: &str, assumed: bool) {
        let slot = self.slot_for(node_name);
        let ns_labels = self.namespaces.get(&info.namespace);
        let n = &self.nodes[slot];
        let r = NodeRef {
            slot,
            live: n.node.is_some(),
            label_ids: &n.label_ids,
        };
        self.index.pod_changed(&info, &r, ns_labels, 1);
        for claim in &info.pvc_names {
            *self
                .pvc_users
                .entry(format!("{}/{}", info.namespace, claim))
                .or_default() += 1;
        }
        self.nodes[slot].add_pod(info.clone());
        self.pods.insert(
            info.id.clone(),
            CachedPod {
                info,
                slot,
                assumed,
            },
        );
    }

    fn unplace(&mut self, id: &PodId) -> Option<CachedPod> {
        let cached = self.pods.remove(id)?;
        let slot = cached.slot;
        self.nodes[slot].remove_pod(id);
        let ns_labels = self.namespaces.get(&cached.info.namespace);
        let n = &self.nodes[slot];
        let r = NodeRef {
            slot,
            live: n.node.is_some(),
            label_ids: &n.label_ids,
        };
        self.index.pod_changed(&cached.info, &r, ns_labels, -1);
        for claim in &cached.info.pvc_names {
            let key = format!("{}/{}", cached.info.namespace, claim);
            if let Some(c) = self.pvc_users.get_mut(&key) {
                *c -= 1;
                if *c == 0 {
                    self.pvc_users.remove(&key);
                }
            }
        }
        self.release_slot_if_unused(slot);
        Some(cached)
    }

    /// Places a pod on `node` before its binding is confirmed.
    pub fn assume_pod(&mut self, info: Arc<PodInfo>, node: &str) -> Result<(), CacheError> {
        if self.pods.contains_key(&info.id) {
            return Err(CacheError(format!(
                "pod {} is in the cache, so can't be assumed",
                info.key()
            )));
        }
        self.place(info, node, true);
        Ok(())
    }

    /// Undoes [`Cache::assume_pod`] after a failed binding.
    pub fn forget_pod(&mut self, id: &PodId) -> Result<(), CacheError> {
        match self.pods.get(id) {
            Some(p) if p.assumed => {
                self.unplace(id);
                Ok(())
            }
            Some(p) => Err(CacheError(format!(
                "pod {} wasn't assumed so cannot be forgotten",
                p.info.key()
            ))),
            None => Ok(()),
        }
    }

    pub fn is_assumed(&self, id: &PodId) -> bool {
        self.pods.get(id).is_some_and(|p| p.assumed)
    }

    pub fn contains_pod(&self, id: &PodId) -> bool {
        self.pods.contains_key(id)
    }

    /// The node a placed pod is on.
    pub fn pod_node(&self, id: &PodId) -> Option<&str> {
        self.pods.get(id).map(|p| &*self.nodes[p.slot].name)
    }

    pub fn pod_info(&self, id: &PodId) -> Option<&Arc<PodInfo>> {
        self.pods.get(id).map(|p| &p.info)
    }

    /// Adds or updates a pod bound to a node (informer add/update of a pod
    /// with `spec.nodeName`); confirms it if it was assumed.
    pub fn upsert_pod(&mut self, pod: Arc<Pod>) {
        let info = Arc::new(PodInfo::from_arc(pod));
        let Some(node) = info.node_name.clone() else {
            return;
        };
        if self.pods.contains_key(&info.id) {
            self.unplace(&info.id.clone());
        }
        self.place(info, &node, false);
    }

    /// Removes a pod (informer delete, or the pod left its node).
    pub fn remove_pod(&mut self, pod: &Pod) {
        self.remove_pod_by_id(&pod_id(pod));
    }

    pub fn remove_pod_by_id(&mut self, id: &PodId) {
        self.unplace(id);
    }

    // ----- namespaces -----

    /// Records a namespace's labels (for namespace selectors of affinity terms).
    pub fn upsert_namespace(&mut self, name: &str, labels: BTreeMap<String, String>) {
        let changed = self.namespaces.get(name) != Some(&labels);
        self.namespaces.insert(name.to_string(), labels);
        if changed {
            self.index.invalidate_namespace_selector_queries();
        }
    }

    pub fn remove_namespace(&mut self, name: &str) {
        if self.namespaces.remove(name).is_some() {
            self.index.invalidate_namespace_selector_queries();
        }
    }

    pub fn namespace_labels(&self, name: &str) -> Option<&BTreeMap<String, String>> {
        self.namespaces.get(name)
    }

    // ----- reads for plugins -----

    /// Live nodes in scheduling order (zones interleaved, as upstream's node tree).
    pub fn node_order(&self) -> &[usize] {
        self.order.list()
    }

    /// Rebuilds the node order after nodes changed; call before a cycle.
    pub fn refresh_order(&mut self) {
        let nodes = &self.nodes;
        self.order.refresh(nodes);
    }

    pub fn node(&self, slot: usize) -> &NodeInfo {
        &self.nodes[slot]
    }

    pub fn node_by_name(&self, name: &str) -> Option<&NodeInfo> {
        self.slot_of(name)
            .map(|s| &self.nodes[s])
            .filter(|n| n.node.is_some())
    }

    pub fn slot_of(&self, name: &str) -> Option<usize> {
        self.node_slots.get(name).copied()
    }

    pub fn num_nodes(&self) -> usize {
        self.num_live
    }

    pub fn num_pods(&self) -> usize {
        self.pods.len()
    }

    pub fn index(&self) -> &PodIndex {
        &self.index
    }

    pub fn label_id(&self, s: &str) -> Option<u32> {
        self.index.interner.get(s)
    }

    pub fn resolve(&self, id: u32) -> &str {
        self.index.interner.resolve(id)
    }

    /// Domains (value id → live node count) of a label key.
    pub fn domains(&self, key: u32) -> Option<&FxHashMap<u32, u32>> {
        self.domains.get(&key)
    }

    /// How many live nodes carry the label key.
    pub fn nodes_with_key(&self, key: u32) -> usize {
        self.key_nodes.get(&key).copied().unwrap_or(0)
    }

    pub fn image_num_nodes(&self, image: &str) -> u32 {
        self.image_nodes.get(image).copied().unwrap_or(0)
    }

    /// Placed pods using `namespace/claim`.
    pub fn pvc_users(&self, key: &str) -> u32 {
        self.pvc_users.get(key).copied().unwrap_or(0)
    }

    pub fn cycle(&self) -> u64 {
        self.cycle
    }

    pub(crate) fn next_cycle(&mut self) -> u64 {
        self.cycle += 1;
        self.cycle
    }

    /// All placed pods.
    pub fn pods(&self) -> impl Iterator<Item = &Arc<PodInfo>> {
        self.pods.values().map(|p| &p.info)
    }

    /// Registers a label query (or refreshes it) tracking `keys`; returns its id.
    pub fn prepare_query(&mut self, query: &PodQuery, keys: &[&str]) -> u32 {
        let key_ids: Vec<u32> = keys.iter().map(|k| self.index.interner.intern(k)).collect();
        if let Some(id) = self.index.query_id(query) {
            let q = self.index.query(id);
            if q.is_some_and(|q| key_ids.iter().all(|k| q.key_counts(*k).is_some())) {
                let cycle = self.cycle;
                return self.index.touch_query(id, cycle);
            }
        }
        let nodes = &self.nodes;
        let refs: Vec<NodeRef<'_>> = nodes
            .iter()
            .enumerate()
            .map(|(slot, n)| NodeRef {
                slot,
                live: n.node.is_some(),
                label_ids: &n.label_ids,
            })
            .collect();
        let namespaces = &self.namespaces;
        self.index.ensure_query(
            query,
            &key_ids,
            self.cycle,
            &refs,
            &|slot| &nodes[slot].pods,
            &|ns| namespaces.get(ns),
        )
    }
}

#[cfg(test)]
mod tests;
