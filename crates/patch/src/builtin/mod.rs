//! Patch, list and map metadata of the built-in API types, and a way to put it
//! into OpenAPI definitions that lack it (such as k8s-openapi's schemars output).
//!
//! Covered groups: core/v1, apps/v1, batch/v1, autoscaling/v1, autoscaling/v2,
//! coordination.k8s.io/v1, discovery.k8s.io/v1, events.k8s.io/v1,
//! networking.k8s.io/v1, node.k8s.io/v1, policy/v1, rbac.authorization.k8s.io/v1,
//! scheduling.k8s.io/v1, storage.k8s.io/v1, apiextensions.k8s.io/v1 and meta/v1.

mod tables;

use serde_json::{Map, Value};

pub use tables::{LIST_METADATA, MAP_METADATA, PATCH_METADATA, STRUCT_MAP_METADATA};

use crate::schema::{PATCH_MERGE_KEY_EXTENSION, PATCH_STRATEGY_EXTENSION};

pub const LIST_TYPE_EXTENSION: &str = "x-kubernetes-list-type";
pub const LIST_MAP_KEYS_EXTENSION: &str = "x-kubernetes-list-map-keys";
pub const MAP_TYPE_EXTENSION: &str = "x-kubernetes-map-type";

/// A field's strategic-merge metadata (`x-kubernetes-patch-strategy` /
/// `x-kubernetes-patch-merge-key`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FieldPatchMeta {
    /// OpenAPI definition name, e.g. `io.k8s.api.core.v1.PodSpec`.
    pub definition: &'static str,
    /// JSON field name.
    pub field: &'static str,
    /// `merge`, `replace`, `retainKeys` or `merge,retainKeys`.
    pub strategy: &'static str,
    pub merge_key: Option<&'static str>,
}

/// A list field's `x-kubernetes-list-type` (`atomic`, `set` or `map`) and, for
/// `map`, its `x-kubernetes-list-map-keys`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FieldListMeta {
    pub definition: &'static str,
    pub field: &'static str,
    pub list_type: &'static str,
    pub map_keys: &'static [&'static str],
}

/// A map field's `x-kubernetes-map-type` (`atomic` or `granular`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FieldMapMeta {
    pub definition: &'static str,
    pub field: &'static str,
    pub map_type: &'static str,
}

/// `x-kubernetes-map-type` set on a whole definition (Go `+structType`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TypeMapMeta {
    pub definition: &'static str,
    pub map_type: &'static str,
}

/// Patch metadata of `field` in `definition`, if it has any.
pub fn patch_meta(definition: &str, field: &str) -> Option<&'static FieldPatchMeta> {
    PATCH_METADATA
        .iter()
        .find(|meta| meta.definition == definition && meta.field == field)
}

/// List metadata of `field` in `definition`, if it has any.
pub fn list_meta(definition: &str, field: &str) -> Option<&'static FieldListMeta> {
    LIST_METADATA
        .iter()
        .find(|meta| meta.definition == definition && meta.field == field)
}

/// Adds the extensions of the tables above to `defs` (definition name → JSON
/// schema): field extensions go on `properties.<field>`, `+structType` ones on
/// the definition. Definitions or properties missing from `defs` are skipped.
pub fn annotate_definitions(defs: &mut Map<String, Value>) {
    for meta in PATCH_METADATA {
        if let Some(property) = property_mut(defs, meta.definition, meta.field) {
            property.insert(PATCH_STRATEGY_EXTENSION.into(), meta.strategy.into());
            if let Some(key) = meta.merge_key {
                property.insert(PATCH_MERGE_KEY_EXTENSION.into(), key.into());
            }
        }
    }
    for meta in LIST_METADATA {
        if let Some(property) = property_mut(defs, meta.definition, meta.field) {
            property.insert(LIST_TYPE_EXTENSION.into(), meta.list_type.into());
            if !meta.map_keys.is_empty() {
                property.insert(LIST_MAP_KEYS_EXTENSION.into(), meta.map_keys.into());
            }
        }
    }
    for meta in MAP_METADATA {
        if let Some(property) = property_mut(defs, meta.definition, meta.field) {
            property.insert(MAP_TYPE_EXTENSION.into(), meta.map_type.into());
        }
    }
    for meta in STRUCT_MAP_METADATA {
        if let Some(Value::Object(definition)) = defs.get_mut(meta.definition) {
            definition.insert(MAP_TYPE_EXTENSION.into(), meta.map_type.into());
        }
    }
}

fn property_mut<'d>(
    defs: &'d mut Map<String, Value>,
    definition: &str,
    field: &str,
) -> Option<&'d mut Map<String, Value>> {
    defs.get_mut(definition)?
        .get_mut("properties")?
        .get_mut(field)?
        .as_object_mut()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;
    use std::collections::HashSet;

    #[test]
    fn well_known_entries_are_present() {
        let containers =
            patch_meta("io.k8s.api.core.v1.PodSpec", "containers").expect("containers");
        assert_eq!(
            (containers.strategy, containers.merge_key),
            ("merge", Some("name"))
        );
        let volumes = patch_meta("io.k8s.api.core.v1.PodSpec", "volumes").expect("volumes");
        assert_eq!(volumes.strategy, "merge,retainKeys");
        let owners = patch_meta(
            "io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta",
            "ownerReferences",
        );
        assert_eq!(owners.and_then(|m| m.merge_key), Some("uid"));
        let finalizers = patch_meta(
            "io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta",
            "finalizers",
        );
        assert_eq!(
            finalizers.map(|m| (m.strategy, m.merge_key)),
            Some(("merge", None))
        );
        let strategy =
            patch_meta("io.k8s.api.apps.v1.DeploymentSpec", "strategy").expect("strategy");
        assert_eq!(strategy.strategy, "retainKeys");
        let ports = patch_meta("io.k8s.api.core.v1.ServiceSpec", "ports").expect("service ports");
        assert_eq!(ports.merge_key, Some("port"));
        let env =
            patch_meta("io.k8s.api.core.v1.EphemeralContainer", "env").expect("inlined fields");
        assert_eq!(env.merge_key, Some("name"));
        let selector = patch_meta("io.k8s.api.policy.v1.PodDisruptionBudgetSpec", "selector");
        assert_eq!(selector.map(|m| m.strategy), Some("replace"));
    }

    #[test]
    fn list_types_carry_keys() {
        let ports = list_meta("io.k8s.api.core.v1.Container", "ports").expect("ports");
        assert_eq!(
            (ports.list_type, ports.map_keys),
            ("map", &["containerPort", "protocol"][..])
        );
        let finalizers = list_meta(
            "io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta",
            "finalizers",
        );
        assert_eq!(finalizers.map(|m| m.list_type), Some("set"));
        // Upstream marks these atomic although they also have a patch merge key.
        let conditions =
            list_meta("io.k8s.api.batch.v1.JobStatus", "conditions").expect("job conditions");
        assert_eq!(conditions.list_type, "atomic");
        for meta in LIST_METADATA {
            assert!(
                matches!(meta.list_type, "atomic" | "set" | "map"),
                "{meta:?}"
            );
            assert_eq!(
                meta.list_type == "map",
                !meta.map_keys.is_empty(),
                "{meta:?}"
            );
        }
    }

    #[test]
    fn tables_have_no_duplicates_and_valid_strategies() {
        let mut seen = HashSet::new();
        for meta in PATCH_METADATA {
            assert!(
                seen.insert((meta.definition, meta.field)),
                "duplicate {meta:?}"
            );
            assert!(
                matches!(
                    meta.strategy,
                    "merge" | "replace" | "retainKeys" | "merge,retainKeys"
                ),
                "{meta:?}"
            );
        }
        let mut seen = HashSet::new();
        for meta in LIST_METADATA {
            assert!(
                seen.insert((meta.definition, meta.field)),
                "duplicate {meta:?}"
            );
        }
    }

    #[test]
    fn annotates_properties_and_definitions() {
        let mut defs = match json!({
            "io.k8s.api.core.v1.PodSpec": {"properties": {
                "containers": {"type": "array", "items": {"$ref": "#/definitions/io.k8s.api.core.v1.Container"}},
                "nodeSelector": {"type": "object"},
            }},
            "io.k8s.api.core.v1.LocalObjectReference": {"properties": {}},
        }) {
            Value::Object(map) => map,
            _ => Map::new(),
        };
        annotate_definitions(&mut defs);
        let spec = &defs["io.k8s.api.core.v1.PodSpec"]["properties"];
        assert_eq!(spec["containers"][PATCH_STRATEGY_EXTENSION], "merge");
        assert_eq!(spec["containers"][PATCH_MERGE_KEY_EXTENSION], "name");
        assert_eq!(spec["containers"][LIST_TYPE_EXTENSION], "map");
        assert_eq!(spec["containers"][LIST_MAP_KEYS_EXTENSION], json!(["name"]));
        assert_eq!(spec["nodeSelector"][MAP_TYPE_EXTENSION], "atomic");
        assert_eq!(
            defs["io.k8s.api.core.v1.LocalObjectReference"][MAP_TYPE_EXTENSION],
            "atomic"
        );
    }
}
