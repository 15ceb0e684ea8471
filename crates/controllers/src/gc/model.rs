//! What the garbage collector knows about an object: its coordinates, its owner references and
//! the finalizers that steer cascading deletion.

use std::collections::{HashSet, VecDeque};

use k8s_openapi::apimachinery::pkg::apis::meta::v1::{ObjectMeta, OwnerReference};

pub type Uid = String;

/// Finalizer asking the collector to remove the owner from its dependents first.
pub const ORPHAN_FINALIZER: &str = "orphan";
/// Finalizer asking the collector to delete the blocking dependents first.
pub const FOREGROUND_FINALIZER: &str = "foregroundDeletion";

/// An object's coordinates. `namespace` is empty for cluster-scoped objects; for an owner known
/// only from a reference it is the referring dependent's namespace.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Identity {
    pub api_version: String,
    pub kind: String,
    pub namespace: String,
    pub name: String,
    pub uid: Uid,
}

impl Identity {
    /// The owner as a dependent's reference describes it.
    pub fn of_reference(owner: &OwnerRef, dependent_namespace: &str) -> Identity {
        Identity {
            api_version: owner.api_version.clone(),
            kind: owner.kind.clone(),
            namespace: dependent_namespace.to_owned(),
            name: owner.name.clone(),
            uid: owner.uid.clone(),
        }
    }

    /// Whether a reference names this object (same apiVersion, kind, name and uid).
    pub fn matches_reference(&self, owner: &OwnerRef) -> bool {
        self.uid == owner.uid
            && self.name == owner.name
            && self.kind == owner.kind
            && self.api_version == owner.api_version
    }
}

impl std::fmt::Display for Identity {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "[{}/{}, namespace: {}, name: {}, uid: {}]",
            self.api_version, self.kind, self.namespace, self.name, self.uid
        )
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OwnerRef {
    pub api_version: String,
    pub kind: String,
    pub name: String,
    pub uid: Uid,
    pub block_owner_deletion: bool,
}

impl From<&OwnerReference> for OwnerRef {
    fn from(r: &OwnerReference) -> OwnerRef {
        OwnerRef {
            api_version: r.api_version.clone(),
            kind: r.kind.clone(),
            name: r.name.clone(),
            uid: r.uid.clone(),
            block_owner_deletion: r.block_owner_deletion.unwrap_or(false),
        }
    }
}

/// One object as a watch reported it.
#[derive(Clone, Debug, PartialEq)]
pub struct Observed {
    pub identity: Identity,
    pub owners: Vec<OwnerRef>,
    pub being_deleted: bool,
    pub finalizers: Vec<String>,
}

impl Observed {
    pub fn from_meta(api_version: &str, kind: &str, meta: &ObjectMeta) -> Option<Observed> {
        Some(Observed {
            identity: Identity {
                api_version: api_version.to_owned(),
                kind: kind.to_owned(),
                namespace: meta.namespace.clone().unwrap_or_default(),
                name: meta.name.clone()?,
                uid: meta.uid.clone()?,
            },
            owners: meta
                .owner_references
                .iter()
                .flatten()
                .map(OwnerRef::from)
                .collect(),
            being_deleted: meta.deletion_timestamp.is_some(),
            finalizers: meta.finalizers.clone().unwrap_or_default(),
        })
    }

    pub fn has_finalizer(&self, f: &str) -> bool {
        self.finalizers.iter().any(|x| x == f)
    }
}

/// Key of the absent-owner cache: a reference's coordinates plus the namespace it was looked
/// up in (empty for cluster-scoped owners).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct AbsentKey {
    pub api_version: String,
    pub kind: String,
    pub name: String,
    pub uid: Uid,
    pub namespace: String,
}

impl AbsentKey {
    pub fn of_reference(owner: &OwnerRef, namespace: &str) -> AbsentKey {
        AbsentKey {
            api_version: owner.api_version.clone(),
            kind: owner.kind.clone(),
            name: owner.name.clone(),
            uid: owner.uid.clone(),
            namespace: namespace.to_owned(),
        }
    }

    pub fn of_identity(id: &Identity) -> AbsentKey {
        AbsentKey {
            api_version: id.api_version.clone(),
            kind: id.kind.clone(),
            name: id.name.clone(),
            uid: id.uid.clone(),
            namespace: id.namespace.clone(),
        }
    }
}

/// Owners verified to be gone, so dependents need not ask the server again. Bounded; the
/// oldest entries go first.
pub struct AbsentCache {
    capacity: usize,
    set: HashSet<AbsentKey>,
    order: VecDeque<AbsentKey>,
}

impl AbsentCache {
    pub fn new(capacity: usize) -> AbsentCache {
        AbsentCache {
            capacity: capacity.max(1),
            set: HashSet::new(),
            order: VecDeque::new(),
        }
    }

    pub fn add(&mut self, key: AbsentKey) {
        if self.set.insert(key.clone()) {
            self.order.push_back(key);
            while self.order.len() > self.capacity {
                if let Some(old) = self.order.pop_front() {
                    self.set.remove(&old);
                }
            }
        }
    }

    pub fn has(&self, key: &AbsentKey) -> bool {
        self.set.contains(key)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(n: &str) -> AbsentKey {
        AbsentKey {
            api_version: "v1".into(),
            kind: "ConfigMap".into(),
            name: n.into(),
            uid: n.into(),
            namespace: "ns".into(),
        }
    }

    #[test]
    fn absent_cache_evicts_oldest() {
        let mut c = AbsentCache::new(2);
        c.add(key("a"));
        c.add(key("b"));
        c.add(key("a"));
        c.add(key("c"));
        assert!(!c.has(&key("a")));
        assert!(c.has(&key("b")));
        assert!(c.has(&key("c")));
    }

    #[test]
    fn observed_from_metadata() {
        let meta = ObjectMeta {
            name: Some("x".into()),
            namespace: Some("ns".into()),
            uid: Some("u1".into()),
            finalizers: Some(vec![ORPHAN_FINALIZER.into()]),
            owner_references: Some(vec![OwnerReference {
                api_version: "v1".into(),
                kind: "ConfigMap".into(),
                name: "owner".into(),
                uid: "u0".into(),
                block_owner_deletion: Some(true),
                controller: None,
            }]),
            ..Default::default()
        };
        let o = Observed::from_meta("v1", "ConfigMap", &meta).unwrap();
        assert_eq!(o.identity.namespace, "ns");
        assert!(o.owners[0].block_owner_deletion);
        assert!(o.has_finalizer("orphan"));
        assert!(!o.being_deleted);
        assert!(Observed::from_meta("v1", "ConfigMap", &ObjectMeta::default()).is_none());
        let owner = Identity::of_reference(&o.owners[0], "ns");
        assert!(owner.matches_reference(&o.owners[0]));
        assert_eq!(
            owner.to_string(),
            "[v1/ConfigMap, namespace: ns, name: owner, uid: u0]"
        );
    }
}
