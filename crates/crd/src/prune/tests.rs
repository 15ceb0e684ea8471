use serde_json::{Value, json};

use super::*;

fn pruned(mut obj: Value, schema: Value) -> (Value, Vec<String>) {
    let paths = prune(&mut obj, &schema);
    (obj, paths)
}

#[test]
fn unknown_fields_are_removed_and_reported() {
    let schema = json!({"type": "object", "properties": {"spec": {"type": "object", "properties": {
        "a": {"type": "string"},
        "list": {"type": "array", "items": {"type": "object", "properties": {"n": {"type": "string"}}}},
    }}}});
    let (obj, paths) = pruned(
        json!({
            "apiVersion": "g/v1", "kind": "K", "metadata": {"name": "x"},
            "spec": {"a": "1", "b": 2, "list": [{"n": "x", "m": 1}, {"z": {"deep": 1}}]},
            "status": {"s": 1},
        }),
        schema,
    );
    assert_eq!(
        obj,
        json!({"apiVersion": "g/v1", "kind": "K", "metadata": {"name": "x"}, "spec": {"a": "1", "list": [{"n": "x"}, {}]}})
    );
    assert_eq!(
        paths,
        vec!["spec.b", "spec.list[0].m", "spec.list[1].z", "status"]
    );
}

#[test]
fn preserve_unknown_fields_keeps_but_prunes_specified_parts() {
    let schema = json!({"type": "object", "properties": {"spec": {
        "type": "object", "x-kubernetes-preserve-unknown-fields": true,
        "properties": {"known": {"type": "object", "properties": {"a": {"type": "string"}}}},
    }}});
    let (obj, paths) = pruned(
        json!({"spec": {"free": {"x": 1}, "known": {"a": "1", "b": 2}}}),
        schema,
    );
    assert_eq!(
        obj,
        json!({"spec": {"free": {"x": 1}, "known": {"a": "1"}}})
    );
    assert_eq!(paths, vec!["spec.known.b"]);
}

#[test]
fn root_preserve_unknown_fields_keeps_everything() {
    let schema = json!({"type": "object", "x-kubernetes-preserve-unknown-fields": true});
    let (obj, paths) = pruned(json!({"spec": {"x": 1}, "other": true}), schema);
    assert_eq!(obj, json!({"spec": {"x": 1}, "other": true}));
    assert!(paths.is_empty());
}

#[test]
fn additional_properties_schemas_prune_values() {
    let schema = json!({"type": "object", "properties": {"spec": {"type": "object", "additionalProperties": {
        "type": "object", "properties": {"a": {"type": "string"}}}}}});
    let (obj, paths) = pruned(json!({"spec": {"k1": {"a": "x", "b": "y"}}}), schema);
    assert_eq!(obj, json!({"spec": {"k1": {"a": "x"}}}));
    assert_eq!(paths, vec!["spec.k1.b"]);
}

#[test]
fn embedded_resources_keep_type_meta_and_coerce_metadata() {
    let schema = json!({"type": "object", "properties": {"spec": {"type": "object", "properties": {
        "template": {"type": "object", "x-kubernetes-embedded-resource": true, "properties": {
            "spec": {"type": "object", "properties": {"x": {"type": "string"}}}}}}}}});
    let (obj, paths) = pruned(
        json!({"spec": {"template": {
            "apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p", "bogus": 1},
            "spec": {"x": "1", "y": 2}, "extra": true}}}),
        schema,
    );
    assert_eq!(
        obj,
        json!({"spec": {"template": {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p"}, "spec": {"x": "1"}}}})
    );
    assert_eq!(
        paths,
        vec![
            "spec.template.extra",
            "spec.template.metadata.bogus",
            "spec.template.spec.y"
        ]
    );
}

#[test]
fn nested_type_meta_names_are_pruned_outside_resources() {
    let schema = json!({"type": "object", "properties": {"spec": {"type": "object"}}});
    let (obj, paths) = pruned(json!({"spec": {"kind": "x", "metadata": {}}}), schema);
    assert_eq!(obj, json!({"spec": {}}));
    assert_eq!(paths, vec!["spec.kind", "spec.metadata"]);
}

#[test]
fn non_nullable_nulls_without_defaults_are_dropped() {
    let schema = parse_schema(
        &json!({"type": "object", "properties": {"spec": {"type": "object", "properties": {
            "a": {"type": "string"},
            "b": {"type": "string", "nullable": true},
            "c": {"type": "string", "default": "x"},
            "m": {"type": "object", "additionalProperties": {"type": "string"}},
        }}}}),
    )
    .unwrap();
    let mut obj = json!({"spec": {"a": null, "b": null, "c": null, "m": {"k": null}}});
    prune_non_nullable_nulls(&mut obj, &schema);
    assert_eq!(obj, json!({"spec": {"b": null, "c": null, "m": {}}}));
}
