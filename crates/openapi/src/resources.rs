//! What the API server serves, as far as the OpenAPI documents care.

use crate::definitions::GroupVersionKind;

/// The verbs of a resource that supports everything.
pub const STANDARD_VERBS: &[&str] = &[
    "create",
    "delete",
    "deletecollection",
    "get",
    "list",
    "patch",
    "update",
    "watch",
];

/// A resource of one group version, e.g. `apps/v1` `deployments`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServedResource {
    pub group: String,
    pub version: String,
    pub kind: String,
    /// Lower-case plural used in URLs, e.g. `deployments`.
    pub plural: String,
    pub namespaced: bool,
    /// Discovery verbs: get, list, watch, create, update, patch, delete, deletecollection.
    pub verbs: Vec<String>,
    /// Name of the object's schema, e.g. `io.k8s.api.apps.v1.Deployment`.
    pub definition: String,
    /// Name of the list's schema; `None` means `<definition>List`, made up from
    /// the object's schema when the definitions lack it.
    pub list_definition: Option<String>,
    pub subresources: Vec<ServedSubresource>,
    /// Whether PATCH accepts `application/strategic-merge-patch+json`. Built-in
    /// types do; custom resources do not, and kubectl 1.29+ sends a strategic
    /// merge patch from `apply` exactly when the PATCH operation lists it.
    pub strategic_merge_patch: bool,
}

impl ServedResource {
    /// A resource with the [`STANDARD_VERBS`] and no subresources.
    pub fn new(
        group: &str,
        version: &str,
        kind: &str,
        plural: &str,
        namespaced: bool,
        definition: &str,
    ) -> Self {
        ServedResource {
            group: group.to_string(),
            version: version.to_string(),
            kind: kind.to_string(),
            plural: plural.to_string(),
            namespaced,
            verbs: STANDARD_VERBS.iter().map(|v| v.to_string()).collect(),
            definition: definition.to_string(),
            list_definition: None,
            subresources: Vec::new(),
            strategic_merge_patch: true,
        }
    }

    /// A custom resource: like [`ServedResource::new`] but without strategic merge patch.
    pub fn custom(
        group: &str,
        version: &str,
        kind: &str,
        plural: &str,
        namespaced: bool,
        definition: &str,
    ) -> Self {
        ServedResource {
            strategic_merge_patch: false,
            ..ServedResource::new(group, version, kind, plural, namespaced, definition)
        }
    }

    pub fn with_verbs(mut self, verbs: &[&str]) -> Self {
        self.verbs = verbs.iter().map(|v| v.to_string()).collect();
        self
    }

    pub fn with_subresource(mut self, subresource: ServedSubresource) -> Self {
        self.subresources.push(subresource);
        self
    }

    /// Adds a `status` subresource (get, update, patch) sharing this resource's kind and schema.
    pub fn with_status(self) -> Self {
        let status = ServedSubresource::object(
            "status",
            self.gvk(),
            &self.definition,
            &["get", "patch", "update"],
        );
        self.with_subresource(status)
    }

    /// Adds an autoscaling/v1 `Scale` `scale` subresource (get, update, patch).
    pub fn with_scale(self) -> Self {
        self.with_subresource(ServedSubresource::scale())
    }

    pub fn gvk(&self) -> GroupVersionKind {
        GroupVersionKind::new(&self.group, &self.version, &self.kind)
    }

    pub fn has_verb(&self, verb: &str) -> bool {
        self.verbs.iter().any(|v| v == verb)
    }

    /// The list schema's name (see [`ServedResource::list_definition`]).
    pub fn list_definition_name(&self) -> String {
        self.list_definition
            .clone()
            .unwrap_or_else(|| format!("{}List", self.definition))
    }
}

/// What a subresource reads and writes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SubresourceBody {
    /// An object with this schema name (`status`, `scale`, `binding`, `eviction`…).
    Object(String),
    /// Plain text, like `pods/log`.
    Text,
    /// A stream upgraded to another protocol: `exec`, `attach`, `portforward`, `proxy`.
    Connect,
}

/// A subresource, e.g. `deployments/scale`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServedSubresource {
    /// `status`, `scale`, `binding`, `log`, `exec`…
    pub name: String,
    /// Kind its operations are about (`autoscaling/v1 Scale` for scale;
    /// `v1 PodExecOptions` for exec; the parent's kind for status and log).
    pub group: String,
    pub version: String,
    pub kind: String,
    pub body: SubresourceBody,
    /// Discovery verbs: get, update, patch, create (connect subresources also delete).
    pub verbs: Vec<String>,
}

impl ServedSubresource {
    pub fn object(name: &str, gvk: GroupVersionKind, definition: &str, verbs: &[&str]) -> Self {
        ServedSubresource::new(
            name,
            gvk,
            SubresourceBody::Object(definition.to_string()),
            verbs,
        )
    }

    /// `scale`: autoscaling/v1 `Scale` with get, update and patch.
    pub fn scale() -> Self {
        ServedSubresource::object(
            "scale",
            GroupVersionKind::new("autoscaling", "v1", "Scale"),
            "io.k8s.api.autoscaling.v1.Scale",
            &["get", "patch", "update"],
        )
    }

    /// `log` of a pod: plain text read with get.
    pub fn log() -> Self {
        ServedSubresource::new(
            "log",
            GroupVersionKind::new("", "v1", "Pod"),
            SubresourceBody::Text,
            &["get"],
        )
    }

    /// A streaming subresource (`exec`, `attach`, `portforward`, `proxy`) whose
    /// options kind is `gvk` (e.g. `PodExecOptions`).
    pub fn connect(name: &str, gvk: GroupVersionKind, verbs: &[&str]) -> Self {
        ServedSubresource::new(name, gvk, SubresourceBody::Connect, verbs)
    }

    fn new(name: &str, gvk: GroupVersionKind, body: SubresourceBody, verbs: &[&str]) -> Self {
        ServedSubresource {
            name: name.to_string(),
            group: gvk.group,
            version: gvk.version,
            kind: gvk.kind,
            body,
            verbs: verbs.iter().map(|v| v.to_string()).collect(),
        }
    }

    pub fn gvk(&self) -> GroupVersionKind {
        GroupVersionKind::new(&self.group, &self.version, &self.kind)
    }

    pub fn has_verb(&self, verb: &str) -> bool {
        self.verbs.iter().any(|v| v == verb)
    }
}

/// The distinct group versions of `resources`, sorted (core first).
pub fn served_group_versions(resources: &[ServedResource]) -> Vec<(String, String)> {
    let mut versions: Vec<(String, String)> = resources
        .iter()
        .map(|r| (r.group.clone(), r.version.clone()))
        .collect();
    versions.sort();
    versions.dedup();
    versions
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builders_fill_in_kinds_and_schemas() {
        let deployments = ServedResource::new(
            "apps",
            "v1",
            "Deployment",
            "deployments",
            true,
            "io.k8s.api.apps.v1.Deployment",
        )
        .with_status()
        .with_scale();
        assert!(deployments.has_verb("deletecollection"));
        assert_eq!(
            deployments.list_definition_name(),
            "io.k8s.api.apps.v1.DeploymentList"
        );
        let status = &deployments.subresources[0];
        assert_eq!(
            status.gvk(),
            GroupVersionKind::new("apps", "v1", "Deployment")
        );
        assert_eq!(
            status.body,
            SubresourceBody::Object("io.k8s.api.apps.v1.Deployment".into())
        );
        let scale = &deployments.subresources[1];
        assert_eq!(scale.kind, "Scale");
        assert!(scale.has_verb("patch") && !scale.has_verb("create"));
        assert!(deployments.strategic_merge_patch);
        let events = deployments.clone().with_verbs(&["get"]);
        assert!(!events.has_verb("list"));
        let widgets = ServedResource::custom("example.com", "v1", "Widget", "widgets", true, "w");
        assert!(!widgets.strategic_merge_patch && widgets.has_verb("patch"));
    }

    #[test]
    fn group_versions_are_distinct_and_sorted() {
        let make =
            |group: &str, version: &str| ServedResource::new(group, version, "K", "ks", true, "d");
        let resources = [
            make("apps", "v1"),
            make("", "v1"),
            make("apps", "v1"),
            make("batch", "v1"),
        ];
        assert_eq!(
            served_group_versions(&resources),
            [
                ("".into(), "v1".into()),
                ("apps".into(), "v1".into()),
                ("batch".into(), "v1".into())
            ]
        );
    }
}
