//! The set of served resources, looked up the ways requests and discovery need.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use crate::resource::ResourceInfo;

/// An immutable snapshot of everything served. Custom resources produce a new snapshot when they
/// change; requests hold an `Arc` to the one they started with.
#[derive(Default, Clone)]
pub struct Registry {
    resources: Vec<Arc<ResourceInfo>>,
    by_path: HashMap<(String, String, String), Arc<ResourceInfo>>,
}

/// A group and the versions it serves, newest-preferred first.
#[derive(Clone, Debug)]
pub struct GroupVersions {
    pub group: String,
    pub versions: Vec<String>,
}

impl Registry {
    pub fn new(resources: Vec<ResourceInfo>) -> Registry {
        let mut r = Registry::default();
        for info in resources {
            r.add(Arc::new(info));
        }
        r
    }

    pub fn add(&mut self, info: Arc<ResourceInfo>) {
        self.by_path.insert(
            (
                info.group.clone(),
                info.version.clone(),
                info.plural.clone(),
            ),
            info.clone(),
        );
        self.resources.retain(|r| {
            !(r.group == info.group && r.version == info.version && r.plural == info.plural)
        });
        self.resources.push(info);
    }

    pub fn remove_group_resource(&mut self, group: &str, plural: &str) {
        self.resources
            .retain(|r| !(r.group == group && r.plural == plural));
        self.by_path
            .retain(|(g, _, p), _| !(g == group && p == plural));
    }

    /// The resource served at `/api[s]/<group>/<version>/<plural>`.
    pub fn get(&self, group: &str, version: &str, plural: &str) -> Option<&Arc<ResourceInfo>> {
        self.by_path
            .get(&(group.to_owned(), version.to_owned(), plural.to_owned()))
    }

    pub fn all(&self) -> &[Arc<ResourceInfo>] {
        &self.resources
    }

    /// Resources of one group-version, in plural order.
    pub fn in_group_version(&self, group: &str, version: &str) -> Vec<&Arc<ResourceInfo>> {
        let mut v: Vec<_> = self
            .resources
            .iter()
            .filter(|r| r.group == group && r.version == version)
            .collect();
        v.sort_by(|a, b| a.plural.cmp(&b.plural));
        v
    }

    /// Groups (core first, then by name) with their versions, the preferred version first.
    pub fn groups(&self) -> Vec<GroupVersions> {
        let mut groups: BTreeMap<String, Vec<String>> = BTreeMap::new();
        for r in &self.resources {
            let versions = groups.entry(r.group.clone()).or_default();
            if !versions.contains(&r.version) {
                versions.push(r.version.clone());
            }
        }
        let mut out: Vec<GroupVersions> = groups
            .into_iter()
            .map(|(group, mut versions)| {
                versions.sort_by_key(|v| std::cmp::Reverse(version_priority(v)));
                GroupVersions { group, versions }
            })
            .collect();
        // Built-in groups keep upstream's discovery order; the rest follow by name.
        out.sort_by_key(|g| {
            let rank = GROUP_ORDER
                .iter()
                .position(|x| *x == g.group)
                .unwrap_or(GROUP_ORDER.len());
            (rank, g.group.clone())
        });
        out
    }

    /// Every version of a group-resource that is served.
    pub fn versions_of(&self, group: &str, plural: &str) -> Vec<&Arc<ResourceInfo>> {
        self.resources
            .iter()
            .filter(|r| r.group == group && r.plural == plural)
            .collect()
    }
}

/// The order kube-apiserver lists its built-in groups in.
const GROUP_ORDER: &[&str] = &[
    "",
    "apiregistration.k8s.io",
    "apps",
    "events.k8s.io",
    "authentication.k8s.io",
    "authorization.k8s.io",
    "autoscaling",
    "batch",
    "certificates.k8s.io",
    "networking.k8s.io",
    "policy",
    "rbac.authorization.k8s.io",
    "storage.k8s.io",
    "admissionregistration.k8s.io",
    "apiextensions.k8s.io",
    "scheduling.k8s.io",
    "coordination.k8s.io",
    "node.k8s.io",
    "discovery.k8s.io",
    "flowcontrol.apiserver.k8s.io",
];

/// Kubernetes version ordering: GA > beta > alpha, higher numbers first within each
/// (`v2` > `v1` > `v2beta1` > `v1beta2` > `v1alpha1`); non-conforming names sort last.
pub fn version_priority(v: &str) -> (u8, u32, u32) {
    let Some(rest) = v.strip_prefix('v') else {
        return (0, 0, 0);
    };
    let digits: String = rest.chars().take_while(|c| c.is_ascii_digit()).collect();
    let Ok(major) = digits.parse::<u32>() else {
        return (0, 0, 0);
    };
    let tail = &rest[digits.len()..];
    if tail.is_empty() {
        return (3, major, 0);
    }
    for (prefix, rank) in [("beta", 2u8), ("alpha", 1u8)] {
        if let Some(n) = tail.strip_prefix(prefix)
            && let Ok(minor) = n.parse::<u32>()
        {
            return (rank, major, minor);
        }
    }
    (0, 0, 0)
}

#[cfg(test)]
mod tests {
    use super::version_priority;

    #[test]
    fn kube_version_order() {
        let mut v = vec!["v1beta1", "v2", "v1", "v1alpha1", "v2beta2", "foo", "v10"];
        v.sort_by_key(|x| std::cmp::Reverse(version_priority(x)));
        assert_eq!(
            v,
            vec!["v10", "v2", "v1", "v2beta2", "v1beta1", "v1alpha1", "foo"]
        );
    }
}
