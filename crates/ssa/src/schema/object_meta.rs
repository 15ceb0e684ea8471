//! The ObjectMeta schema custom resources get (upstream refers their
//! `metadata` to the built-in definition): granular labels and annotations,
//! finalizers as a set, owner references keyed by uid, atomic managedFields.

use serde_json::{Value, json};

pub(super) const OBJECT_META: &str = "io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta";
const OWNER_REFERENCE: &str = "io.k8s.apimachinery.pkg.apis.meta.v1.OwnerReference";
const MANAGED_FIELDS_ENTRY: &str = "io.k8s.apimachinery.pkg.apis.meta.v1.ManagedFieldsEntry";
const FIELDS_V1: &str = "io.k8s.apimachinery.pkg.apis.meta.v1.FieldsV1";
const TIME: &str = "io.k8s.apimachinery.pkg.apis.meta.v1.Time";

fn reference(name: &str) -> Value {
    json!({"allOf": [{"$ref": format!("#/components/schemas/{name}")}]})
}

pub(super) fn object_meta_definitions() -> Vec<(String, Value)> {
    let string_map = json!({"type": "object", "additionalProperties": {"type": "string"}});
    let meta = json!({
        "type": "object",
        "properties": {
            "annotations": string_map,
            "creationTimestamp": reference(TIME),
            "deletionGracePeriodSeconds": {"type": "integer", "format": "int64"},
            "deletionTimestamp": reference(TIME),
            "finalizers": {
                "type": "array",
                "items": {"type": "string"},
                "x-kubernetes-list-type": "set",
                "x-kubernetes-patch-strategy": "merge",
            },
            "generateName": {"type": "string"},
            "generation": {"type": "integer", "format": "int64"},
            "labels": string_map,
            "managedFields": {
                "type": "array",
                "items": reference(MANAGED_FIELDS_ENTRY),
                "x-kubernetes-list-type": "atomic",
            },
            "name": {"type": "string"},
            "namespace": {"type": "string"},
            "ownerReferences": {
                "type": "array",
                "items": reference(OWNER_REFERENCE),
                "x-kubernetes-list-type": "map",
                "x-kubernetes-list-map-keys": ["uid"],
                "x-kubernetes-patch-merge-key": "uid",
                "x-kubernetes-patch-strategy": "merge",
            },
            "resourceVersion": {"type": "string"},
            "selfLink": {"type": "string"},
            "uid": {"type": "string"},
        },
    });
    let owner = json!({
        "type": "object",
        "required": ["apiVersion", "kind", "name", "uid"],
        "properties": {
            "apiVersion": {"type": "string"},
            "blockOwnerDeletion": {"type": "boolean"},
            "controller": {"type": "boolean"},
            "kind": {"type": "string"},
            "name": {"type": "string"},
            "uid": {"type": "string"},
        },
        "x-kubernetes-map-type": "atomic",
    });
    let entry = json!({
        "type": "object",
        "properties": {
            "apiVersion": {"type": "string"},
            "fieldsType": {"type": "string"},
            "fieldsV1": reference(FIELDS_V1),
            "manager": {"type": "string"},
            "operation": {"type": "string"},
            "subresource": {"type": "string"},
            "time": reference(TIME),
        },
    });
    vec![
        (OBJECT_META.to_string(), meta),
        (OWNER_REFERENCE.to_string(), owner),
        (MANAGED_FIELDS_ENTRY.to_string(), entry),
        (FIELDS_V1.to_string(), json!({"type": "object"})),
        (
            TIME.to_string(),
            json!({"type": "string", "format": "date-time"}),
        ),
    ]
}
