//! The owner→dependents graph, keyed by uid, and what each watch event means for it. Owners
//! known only from a dependent's reference are "virtual" nodes until a watch shows them. Every
//! change returns the work it calls for; deciding what to delete happens later, against the
//! API server, so the graph may lag without doing harm.

use std::collections::{BTreeSet, HashMap};

use super::model::{
    AbsentCache, AbsentKey, FOREGROUND_FINALIZER, Identity, ORPHAN_FINALIZER, Observed, OwnerRef,
    Uid,
};

#[derive(Clone, Debug)]
pub struct Node {
    pub identity: Identity,
    pub owners: Vec<OwnerRef>,
    pub dependents: BTreeSet<Uid>,
    /// False for a node known only from references.
    pub observed: bool,
    pub being_deleted: bool,
    /// Being deleted with the foregroundDeletion finalizer.
    pub deleting_dependents: bool,
    /// Being deleted with the orphan finalizer.
    pub orphaning: bool,
}

#[derive(Clone, Debug, PartialEq)]
pub enum GraphEvent {
    /// Added or updated.
    Upsert(Observed),
    /// A watch reported the object deleted.
    Delete(Identity),
    /// A worker found no object at these coordinates.
    VirtualDelete(Identity),
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Work {
    AttemptToDelete(Uid),
    AttemptToOrphan(Uid),
    /// A dependent names a namespaced owner that lives in another namespace.
    InvalidOwnerNamespace {
        dependent: Identity,
        owner: Uid,
    },
}

pub struct Graph {
    pub nodes: HashMap<Uid, Node>,
    pub absent: AbsentCache,
}

impl Default for Graph {
    fn default() -> Graph {
        Graph {
            nodes: HashMap::new(),
            absent: AbsentCache::new(500),
        }
    }
}

/// Whether a virtual-delete's coordinates describe `id`; an empty namespace (cluster-scoped)
/// matches any.
fn same_object(id: &Identity, deleted: &Identity) -> bool {
    id.uid == deleted.uid
        && id.name == deleted.name
        && id.kind == deleted.kind
        && id.api_version == deleted.api_version
        && (deleted.namespace.is_empty() || id.namespace == deleted.namespace)
}

impl Graph {
    pub fn apply(&mut self, event: GraphEvent) -> Vec<Work> {
        let mut work = Vec::new();
        match event {
            GraphEvent::Upsert(obj) => self.upsert(obj, &mut work),
            GraphEvent::Delete(id) => {
                if self.nodes.contains_key(&id.uid) {
                    self.remove(&id, &mut work);
                }
            }
            GraphEvent::VirtualDelete(id) => self.virtual_delete(id, &mut work),
        }
        work
    }

    fn upsert(&mut self, obj: Observed, work: &mut Vec<Work>) {
        let uid = obj.identity.uid.clone();
        let orphaning = obj.being_deleted && obj.has_finalizer(ORPHAN_FINALIZER);
        let deleting_dependents = obj.being_deleted && obj.has_finalizer(FOREGROUND_FINALIZER);
        let (was_orphaning, was_deleting_dependents) = match self.nodes.get(&uid) {
            None => {
                self.nodes.insert(
                    uid.clone(),
                    Node {
                        identity: obj.identity.clone(),
                        owners: obj.owners.clone(),
                        dependents: BTreeSet::new(),
                        observed: true,
                        being_deleted: obj.being_deleted,
                        deleting_dependents: false,
                        orphaning: false,
                    },
                );
                self.add_to_owners(&uid, &obj.owners, work);
                (false, false)
            }
            Some(existing) => {
                let flags = (existing.orphaning, existing.deleting_dependents);
                if !existing.observed {
                    self.observe_virtual(&obj.identity, work);
                }
                self.update_owners(&uid, &obj.owners, work);
                if let Some(n) = self.nodes.get_mut(&uid) {
                    n.being_deleted |= obj.being_deleted;
                }
                flags
            }
        };
        let Some(node) = self.nodes.get_mut(&uid) else {
            return;
        };
        node.orphaning = orphaning;
        node.deleting_dependents = deleting_dependents;
        if orphaning && !was_orphaning {
            work.push(Work::AttemptToOrphan(uid));
        } else if deleting_dependents && !was_deleting_dependents {
            work.extend(node.dependents.iter().cloned().map(Work::AttemptToDelete));
            work.push(Work::AttemptToDelete(uid));
        }
    }

    /// A virtual node is seen for real; dependents that referred to it by other coordinates get
    /// checked again.
    fn observe_virtual(&mut self, observed: &Identity, work: &mut Vec<Work>) {
        let Some(node) = self.nodes.get(&observed.uid) else {
            return;
        };
        if node.identity != *observed {
            for dep_uid in &node.dependents {
                let Some(dep) = self.nodes.get(dep_uid) else {
                    continue;
                };
                let refers_elsewhere = dep
                    .owners
                    .iter()
                    .any(|r| r.uid == observed.uid && !observed.matches_reference(r));
                let wrong_namespace =
                    !observed.namespace.is_empty() && dep.identity.namespace != observed.namespace;
                if wrong_namespace {
                    work.push(Work::InvalidOwnerNamespace {
                        dependent: dep.identity.clone(),
                        owner: observed.uid.clone(),
                    });
                }
                if refers_elsewhere || wrong_namespace {
                    work.push(Work::AttemptToDelete(dep_uid.clone()));
                }
            }
        }
        if let Some(node) = self.nodes.get_mut(&observed.uid) {
            node.identity = observed.clone();
            node.observed = true;
        }
    }

    fn update_owners(&mut self, uid: &Uid, new: &[OwnerRef], work: &mut Vec<Work>) {
        let Some(node) = self.nodes.get(uid) else {
            return;
        };
        let old = node.owners.clone();
        if old == new {
            return;
        }
        let added: Vec<OwnerRef> = new
            .iter()
            .filter(|r| !old.iter().any(|o| o.uid == r.uid))
            .cloned()
            .collect();
        let removed: Vec<OwnerRef> = old
            .iter()
            .filter(|o| !new.iter().any(|r| r.uid == o.uid))
            .cloned()
            .collect();
        // An owner waiting for its blocking dependents may be free now.
        let unblocked = removed
            .iter()
            .filter(|r| r.block_owner_deletion)
            .chain(old.iter().filter(|o| {
                o.block_owner_deletion
                    && new
                        .iter()
                        .any(|r| r.uid == o.uid && !r.block_owner_deletion)
            }));
        for r in unblocked {
            if self
                .nodes
                .get(&r.uid)
                .is_some_and(|o| o.deleting_dependents)
            {
                work.push(Work::AttemptToDelete(r.uid.clone()));
            }
        }
        if let Some(node) = self.nodes.get_mut(uid) {
            node.owners = new.to_vec();
        }
        self.add_to_owners(uid, &added, work);
        self.remove_from_owners(uid, &removed);
    }

    fn add_to_owners(&mut self, dep_uid: &Uid, owners: &[OwnerRef], work: &mut Vec<Work>) {
        let Some(dep_id) = self.nodes.get(dep_uid).map(|n| n.identity.clone()) else {
            return;
        };
        let mut namespace_mismatch = false;
        for r in owners {
            match self.nodes.get_mut(&r.uid) {
                None => {
                    self.nodes.insert(
                        r.uid.clone(),
                        Node {
                            identity: Identity::of_reference(r, &dep_id.namespace),
                            owners: Vec::new(),
                            dependents: BTreeSet::from([dep_uid.clone()]),
                            observed: false,
                            being_deleted: false,
                            deleting_dependents: false,
                            orphaning: false,
                        },
                    );
                    // Find out whether the owner exists at all.
                    work.push(Work::AttemptToDelete(r.uid.clone()));
                }
                Some(owner) => {
                    owner.dependents.insert(dep_uid.clone());
                    let owner_ns = &owner.identity.namespace;
                    if !namespace_mismatch && !owner_ns.is_empty() && *owner_ns != dep_id.namespace
                    {
                        if owner.observed {
                            work.push(Work::InvalidOwnerNamespace {
                                dependent: dep_id.clone(),
                                owner: r.uid.clone(),
                            });
                        }
                        namespace_mismatch = true;
                    }
                }
            }
        }
        if namespace_mismatch {
            work.push(Work::AttemptToDelete(dep_uid.clone()));
        }
    }

    fn remove_from_owners(&mut self, dep_uid: &Uid, owners: &[OwnerRef]) {
        for r in owners {
            if let Some(owner) = self.nodes.get_mut(&r.uid) {
                owner.dependents.remove(dep_uid);
            }
        }
    }

    /// Drops a node: its dependents may now be garbage, and owners waiting for it may finish.
    fn remove(&mut self, id: &Identity, work: &mut Vec<Work>) {
        let Some(node) = self.nodes.remove(&id.uid) else {
            return;
        };
        self.remove_from_owners(&id.uid, &node.owners);
        if !node.dependents.is_empty() {
            self.absent.add(AbsentKey::of_identity(id));
        }
        work.extend(node.dependents.iter().cloned().map(Work::AttemptToDelete));
        for r in &node.owners {
            if self
                .nodes
                .get(&r.uid)
                .is_some_and(|o| o.deleting_dependents)
            {
                work.push(Work::AttemptToDelete(r.uid.clone()));
            }
        }
    }

    /// Splits dependents by whether their reference to `owner` agrees with its coordinates.
    fn partition_dependents(&self, node: &Node, owner: &Identity) -> (Vec<Uid>, Vec<Uid>) {
        let (mut matching, mut other) = (Vec::new(), Vec::new());
        for dep_uid in &node.dependents {
            let Some(dep) = self.nodes.get(dep_uid) else {
                continue;
            };
            if !owner.namespace.is_empty() && dep.identity.namespace != owner.namespace {
                other.push(dep_uid.clone());
                continue;
            }
            let refs: Vec<&OwnerRef> = dep.owners.iter().filter(|r| r.uid == owner.uid).collect();
            if refs.iter().any(|r| owner.matches_reference(r)) {
                matching.push(dep_uid.clone());
            }
            if refs.iter().any(|r| !owner.matches_reference(r)) {
                other.push(dep_uid.clone());
            }
        }
        (matching, other)
    }

    fn virtual_delete(&mut self, deleted: Identity, work: &mut Vec<Work>) {
        let Some(node) = self.nodes.get(&deleted.uid).cloned() else {
            return;
        };
        let (matching, other) = self.partition_dependents(&node, &deleted);
        let disputed = if node.observed {
            // A watch saw this object; only a lookup by its own coordinates can remove it.
            !same_object(&node.identity, &deleted)
        } else {
            !other.is_empty()
        };
        if !disputed {
            self.remove(&node.identity, work);
            return;
        }
        if !matching.is_empty() {
            self.absent.add(AbsentKey::of_identity(&deleted));
            work.extend(matching.into_iter().map(Work::AttemptToDelete));
        }
        if !node.observed && same_object(&node.identity, &deleted) {
            // Look the owner up again by the coordinates the remaining dependents use.
            let alternative = other.iter().find_map(|dep_uid| {
                let dep = self.nodes.get(dep_uid)?;
                let r = dep
                    .owners
                    .iter()
                    .find(|r| r.uid == deleted.uid && !deleted.matches_reference(r))?;
                Some(Identity::of_reference(r, &dep.identity.namespace))
            });
            if let Some(alt) = alternative
                && let Some(n) = self.nodes.get_mut(&deleted.uid)
            {
                n.identity = alt;
                work.push(Work::AttemptToDelete(deleted.uid.clone()));
            }
        }
    }

    /// Dependents that hold `owner` back from foreground deletion, with whether each is itself
    /// deleting its dependents.
    pub fn blocking_dependents(&self, owner: &Uid) -> Vec<(Uid, bool)> {
        let Some(node) = self.nodes.get(owner) else {
            return Vec::new();
        };
        node.dependents
            .iter()
            .filter_map(|d| self.nodes.get(d).map(|n| (d, n)))
            .filter(|(_, n)| {
                n.owners
                    .iter()
                    .any(|r| r.uid == *owner && r.block_owner_deletion)
            })
            .map(|(d, n)| (d.clone(), n.deleting_dependents))
            .collect()
    }

    /// Whether any dependent of the node is deleting its own dependents (a possible cycle).
    pub fn has_dependent_deleting_dependents(&self, uid: &Uid) -> bool {
        self.nodes.get(uid).is_some_and(|n| {
            n.dependents
                .iter()
                .any(|d| self.nodes.get(d).is_some_and(|x| x.deleting_dependents))
        })
    }
}

#[cfg(test)]
#[path = "graph_tests.rs"]
mod tests;
