//! Objects besides nodes and pods that plugins read: volumes, storage
//! classes, PodDisruptionBudgets, and the selectors of Services and
//! workload controllers (for default topology spreading).

use std::collections::BTreeMap;
use std::sync::Arc;

use capstan_apimachinery::labels::{Selector, selector_from_label_selector};
use k8s_openapi::api::core::v1::{PersistentVolume, PersistentVolumeClaim};
use k8s_openapi::api::policy::v1::PodDisruptionBudget;
use k8s_openapi::api::storage::v1::StorageClass;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::LabelSelector;
use rustc_hash::FxHashMap;

use crate::podinfo::PodInfo;

fn key(namespace: &str, name: &str) -> String {
    format!("{namespace}/{name}")
}

/// Which workload a selector belongs to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum WorkloadKind {
    ReplicationController,
    ReplicaSet,
    StatefulSet,
}

/// Volumes, PDBs and selectors, keyed by `namespace/name` (or name).
#[derive(Debug, Default)]
pub struct ClusterObjects {
    pub pvcs: FxHashMap<String, Arc<PersistentVolumeClaim>>,
    pub pvs: FxHashMap<String, Arc<PersistentVolume>>,
    pub storage_classes: FxHashMap<String, Arc<StorageClass>>,
    pub pdbs: FxHashMap<String, Arc<PodDisruptionBudget>>,
    services: FxHashMap<String, BTreeMap<String, String>>,
    replication_controllers: FxHashMap<String, BTreeMap<String, String>>,
    replica_sets: FxHashMap<String, Selector>,
    stateful_sets: FxHashMap<String, Selector>,
    /// PV name → `namespace/claim` chosen for it by an assumed pod.
    pub assumed_pv_claims: FxHashMap<String, String>,
}

impl ClusterObjects {
    pub fn upsert_pvc(&mut self, pvc: PersistentVolumeClaim) {
        let k = key(
            pvc.metadata.namespace.as_deref().unwrap_or(""),
            pvc.metadata.name.as_deref().unwrap_or(""),
        );
        self.pvcs.insert(k, Arc::new(pvc));
    }

    pub fn remove_pvc(&mut self, namespace: &str, name: &str) {
        self.pvcs.remove(&key(namespace, name));
    }

    pub fn pvc(&self, namespace: &str, name: &str) -> Option<&Arc<PersistentVolumeClaim>> {
        self.pvcs.get(&key(namespace, name))
    }

    pub fn upsert_pv(&mut self, pv: PersistentVolume) {
        let name = pv.metadata.name.clone().unwrap_or_default();
        // A real binding supersedes an assumed one.
        if pv
            .spec
            .as_ref()
            .and_then(|s| s.claim_ref.as_ref())
            .is_some()
        {
            self.assumed_pv_claims.remove(&name);
        }
        self.pvs.insert(name, Arc::new(pv));
    }

    pub fn remove_pv(&mut self, name: &str) {
        self.pvs.remove(name);
        self.assumed_pv_claims.remove(name);
    }

    pub fn upsert_storage_class(&mut self, class: StorageClass) {
        let name = class.metadata.name.clone().unwrap_or_default();
        self.storage_classes.insert(name, Arc::new(class));
    }

    pub fn remove_storage_class(&mut self, name: &str) {
        self.storage_classes.remove(name);
    }

    pub fn upsert_pdb(&mut self, pdb: PodDisruptionBudget) {
        let k = key(
            pdb.metadata.namespace.as_deref().unwrap_or(""),
            pdb.metadata.name.as_deref().unwrap_or(""),
        );
        self.pdbs.insert(k, Arc::new(pdb));
    }

    pub fn remove_pdb(&mut self, namespace: &str, name: &str) {
        self.pdbs.remove(&key(namespace, name));
    }

    /// Records a Service's selector; `None` (a nil selector) selects nothing.
    pub fn upsert_service(
        &mut self,
        namespace: &str,
        name: &str,
        selector: Option<BTreeMap<String, String>>,
    ) {
        match selector {
            Some(s) => {
                self.services.insert(key(namespace, name), s);
            }
            None => {
                self.services.remove(&key(namespace, name));
            }
        }
    }

    pub fn remove_service(&mut self, namespace: &str, name: &str) {
        self.services.remove(&key(namespace, name));
    }

    /// Records a ReplicationController's map selector.
    pub fn upsert_replication_controller(
        &mut self,
        namespace: &str,
        name: &str,
        selector: BTreeMap<String, String>,
    ) {
        self.replication_controllers
            .insert(key(namespace, name), selector);
    }

    /// Records a ReplicaSet's or StatefulSet's selector; invalid selectors
    /// are ignored as upstream ignores them.
    pub fn upsert_workload(
        &mut self,
        kind: WorkloadKind,
        namespace: &str,
        name: &str,
        selector: Option<&LabelSelector>,
    ) {
        let k = key(namespace, name);
        match kind {
            WorkloadKind::ReplicationController => {
                let map = selector
                    .and_then(|s| s.match_labels.clone())
                    .unwrap_or_default();
                self.replication_controllers.insert(k, map);
            }
            WorkloadKind::ReplicaSet | WorkloadKind::StatefulSet => {
                let Ok(sel) = selector_from_label_selector(selector) else {
                    return;
                };
                let map = if kind == WorkloadKind::ReplicaSet {
                    &mut self.replica_sets
                } else {
                    &mut self.stateful_sets
                };
                map.insert(k, sel);
            }
        }
    }

    pub fn remove_workload(&mut self, kind: WorkloadKind, namespace: &str, name: &str) {
        let k = key(namespace, name);
        match kind {
            WorkloadKind::ReplicationController => self.replication_controllers.remove(&k),
            WorkloadKind::ReplicaSet => self.replica_sets.remove(&k).map(|_| BTreeMap::new()),
            WorkloadKind::StatefulSet => self.stateful_sets.remove(&k).map(|_| BTreeMap::new()),
        };
    }

    /// Upstream `DefaultSelector`: the merged selectors of Services
    /// selecting the pod, plus its controlling RC, ReplicaSet or StatefulSet.
    /// `None` when the result selects everything.
    pub fn default_selector(&self, pod: &PodInfo) -> Option<Selector> {
        let mut set: BTreeMap<String, String> = BTreeMap::new();
        let prefix = format!("{}/", pod.namespace);
        for (k, selector) in &self.services {
            if !k.starts_with(&prefix) {
                continue;
            }
            if selector
                .iter()
                .all(|(lk, lv)| pod.labels.get(lk) == Some(lv))
            {
                set.extend(selector.iter().map(|(a, b)| (a.clone(), b.clone())));
            }
        }
        let mut selector = Selector::from_set(&set);
        if let Some(owner) = &pod.controller {
            let k = key(&pod.namespace, &owner.name);
            match (owner.api_version.as_str(), owner.kind.as_str()) {
                ("v1", "ReplicationController") => {
                    if let Some(rc) = self.replication_controllers.get(&k) {
                        set.extend(rc.iter().map(|(a, b)| (a.clone(), b.clone())));
                        selector = Selector::from_set(&set);
                    }
                }
                ("apps/v1", "ReplicaSet") => {
                    if let Some(rs) = self.replica_sets.get(&k) {
                        selector = selector.add(rs.requirements().iter().cloned());
                    }
                }
                ("apps/v1", "StatefulSet") => {
                    if let Some(ss) = self.stateful_sets.get(&k) {
                        selector = selector.add(ss.requirements().iter().cloned());
                    }
                }
                _ => {}
            }
        }
        (!selector.is_empty()).then_some(selector)
    }
}
