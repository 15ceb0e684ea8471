//! Custom resources: a single inline schema.
mod common;

use capstan_ssa::{ManagedFields, Operation, Schema, SsaError, apply, update};
use common::*;
use serde_json::{Value, json};

fn widget_schema() -> Schema {
    Schema::custom_resource(&json!({
        "type": "object",
        "properties": {
            "spec": {"type": "object", "properties": {
                "replicas": {"type": "integer"},
                "ports": {
                    "type": "array", "x-kubernetes-list-type": "map", "x-kubernetes-list-map-keys": ["name"],
                    "items": {"type": "object", "required": ["name"], "properties": {
                        "name": {"type": "string"}, "port": {"type": "integer"}}}
                },
                "tags": {"type": "array", "x-kubernetes-list-type": "set", "items": {"type": "string"}},
                "args": {"type": "array", "items": {"type": "string"}},
                "config": {"type": "object", "x-kubernetes-preserve-unknown-fields": true},
                "selector": {"type": "object", "x-kubernetes-map-type": "atomic", "additionalProperties": {"type": "string"}},
                "template": {"type": "object", "x-kubernetes-embedded-resource": true, "x-kubernetes-preserve-unknown-fields": true},
                "size": {"x-kubernetes-int-or-string": true}
            }},
            "status": {"type": "object", "properties": {"ready": {"type": "boolean"}}}
        }
    }))
}

fn widget(spec: Value) -> Value {
    json!({"apiVersion": "example.com/v1", "kind": "Widget", "metadata": {"name": "w", "namespace": "ns"}, "spec": spec})
}

fn run(
    schema: &Schema,
    live: Option<&Value>,
    config: &Value,
    manager: &str,
    force: bool,
) -> Result<(Value, ManagedFields), SsaError> {
    let context = ctx(schema, "Widget", NOW, None);
    let managed = live
        .map(|l| ManagedFields::from_object(l).unwrap())
        .unwrap_or_default();
    apply(
        live,
        config,
        &managed,
        &applier(manager, "example.com/v1"),
        force,
        &context,
    )
}

#[test]
fn apply_types_fields_from_the_inline_schema() {
    let schema = widget_schema();
    let spec = json!({
        "replicas": 1,
        "ports": [{"name": "http", "port": 80}],
        "tags": ["a"],
        "args": ["--x"],
        "config": {"a": {"b": 1}},
        "selector": {"app": "w"},
        "template": {"apiVersion": "v1", "kind": "Pod", "metadata": {"labels": {"x": "y"}}, "spec": {"any": "thing"}},
        "size": "50%"
    });
    let (_, managed) = run(&schema, None, &widget(spec), "alice", false).unwrap();
    assert_eq!(
        fields_v1(&managed, "alice", Operation::Apply),
        json!({"f:spec": {
            "f:args": {},
            // Fields the schema does not name are owned themselves too.
            "f:config": {"f:a": {".": {}, "f:b": {}}},
            "f:ports": {"k:{\"name\":\"http\"}": {".": {}, "f:name": {}, "f:port": {}}},
            "f:replicas": {},
            "f:selector": {},
            "f:size": {},
            "f:tags": {"v:\"a\"": {}},
            "f:template": {"f:apiVersion": {}, "f:kind": {}, "f:metadata": {"f:labels": {"f:x": {}}}, "f:spec": {".": {}, "f:any": {}}}
        }})
    );
}

#[test]
fn lists_merge_by_their_declared_types() {
    let schema = widget_schema();
    let (live, _) = run(
        &schema,
        None,
        &widget(json!({"ports": [{"name": "http", "port": 80}], "tags": ["a"], "args": ["1"]})),
        "alice",
        false,
    )
    .unwrap();
    let (merged, _) = run(
        &schema,
        Some(&live),
        &widget(json!({"ports": [{"name": "https", "port": 443}], "tags": ["b"]})),
        "bob",
        false,
    )
    .unwrap();
    assert_eq!(
        merged["spec"]["ports"],
        json!([{"name": "http", "port": 80}, {"name": "https", "port": 443}])
    );
    assert_eq!(merged["spec"]["tags"], json!(["a", "b"]));
    let err = run(
        &schema,
        Some(&merged),
        &widget(json!({"args": ["2"]})),
        "bob",
        false,
    )
    .unwrap_err();
    assert_eq!(
        err.to_string(),
        r#"Apply failed with 1 conflict: conflict with "alice": .spec.args"#
    );
    let (replaced, _) = run(
        &schema,
        Some(&merged),
        &widget(json!({"args": ["2"]})),
        "bob",
        true,
    )
    .unwrap();
    assert_eq!(replaced["spec"]["args"], json!(["2"]));
}

#[test]
fn unknown_fields_are_rejected_where_the_schema_is_closed() {
    let schema = widget_schema();
    let err = run(&schema, None, &widget(json!({"bogus": 1})), "alice", false).unwrap_err();
    assert_eq!(
        err.to_string(),
        "failed to create typed patch object (ns/w; example.com/v1, Kind=Widget): .spec.bogus: field not declared in schema"
    );
}

#[test]
fn created_custom_resources_own_their_spec_as_a_whole_too() {
    let schema = widget_schema();
    let context = ctx(&schema, "Widget", NOW, None);
    let mut object = widget(json!({"replicas": 2}));
    object["metadata"]["labels"] = json!({"app": "w"});
    let managed = update(
        None,
        &object,
        &ManagedFields::new(),
        &updater("kubectl-create", "example.com/v1"),
        &context,
    )
    .unwrap();
    // No Go zero value exists for custom resources: `spec` itself is added.
    assert_eq!(
        fields_v1(&managed, "kubectl-create", Operation::Update),
        json!({"f:metadata": {"f:labels": {".": {}, "f:app": {}}}, "f:spec": {".": {}, "f:replicas": {}}})
    );
}

#[test]
fn no_schema_means_everything_granular_and_lists_atomic() {
    let schema = Schema::deduced();
    let config = widget(json!({"a": {"b": 1}, "list": [1, 2]}));
    let (_, managed) = run(&schema, None, &config, "alice", false).unwrap();
    assert_eq!(
        fields_v1(&managed, "alice", Operation::Apply),
        json!({"f:spec": {".": {}, "f:a": {".": {}, "f:b": {}}, "f:list": {}}})
    );
}
