//! Rewrites schemas into the shapes upstream serves.
//!
//! Definitions are kept in OpenAPI v3 form, the way `/openapi/v3` publishes
//! built-in types: a ref that carries siblings (a description, patch
//! extensions) is wrapped as `allOf: [{$ref}]`. The swagger 2.0 form is derived
//! from it when `/openapi/v2` is built.

use serde_json::{Map, Value};

use crate::definitions::{V2_REF_PREFIX, V3_REF_PREFIX, ref_target};
use crate::visit::for_each_schema_mut;

/// Where schemars puts definitions by default (JSON Schema 2020-12).
const JSON_SCHEMA_REF_PREFIX: &str = "#/$defs/";

/// Brings one schema into v3 form: v3 refs, ref siblings behind `allOf`, and
/// none of the JSON Schema constructs that OpenAPI 3.0 (and kubectl's parser)
/// do not know: `$schema`, `$defs`, `const`, `examples`, `null` types.
pub(crate) fn clean_schema(schema: &mut Value) {
    for_each_schema_mut(schema, &mut clean_node);
}

fn clean_node(node: &mut Map<String, Value>) {
    for keyword in ["$schema", "$defs", "definitions", "$id"] {
        node.remove(keyword);
    }
    if let Some(value) = node.remove("const") {
        node.entry("enum")
            .or_insert_with(|| Value::Array(vec![value]));
    }
    if let Some(Value::Array(mut examples)) = node.remove("examples")
        && !examples.is_empty()
    {
        node.entry("example")
            .or_insert_with(|| examples.swap_remove(0));
    }
    drop_null_type(node);
    for keyword in ["oneOf", "anyOf"] {
        drop_null_branches(node, keyword);
    }
    if let Some(Value::String(reference)) = node.get_mut("$ref")
        && let Some(name) =
            ref_target(reference).or_else(|| reference.strip_prefix(JSON_SCHEMA_REF_PREFIX))
    {
        *reference = format!("{V3_REF_PREFIX}{name}");
    }
    wrap_ref_siblings(node);
}

/// `type: ["string", "null"]` becomes `type: string, nullable: true`; several
/// non-null types become an `anyOf`.
fn drop_null_type(node: &mut Map<String, Value>) {
    let Some(Value::Array(types)) = node.get("type") else {
        return;
    };
    let had_null = types.iter().any(|t| t == "null");
    let mut kept: Vec<Value> = types.iter().filter(|t| *t != "null").cloned().collect();
    node.remove("type");
    match kept.len() {
        0 => {}
        1 => {
            node.insert("type".into(), kept.swap_remove(0));
        }
        _ => {
            let branches = kept
                .into_iter()
                .map(|t| {
                    let mut branch = Map::new();
                    branch.insert("type".into(), t);
                    Value::Object(branch)
                })
                .collect();
            node.entry("anyOf").or_insert(Value::Array(branches));
        }
    }
    if had_null {
        node.insert("nullable".into(), Value::Bool(true));
    }
}

/// Removes `{"type": "null"}` branches (how schemars spells `Option<T>`); a
/// lone remaining branch is folded into the node.
fn drop_null_branches(node: &mut Map<String, Value>, keyword: &str) {
    let Some(Value::Array(branches)) = node.get(keyword) else {
        return;
    };
    let is_null = |b: &Value| b.get("type").and_then(Value::as_str) == Some("null");
    if !branches.iter().any(is_null) {
        return;
    }
    let mut kept: Vec<Value> = branches.iter().filter(|b| !is_null(b)).cloned().collect();
    node.remove(keyword);
    node.insert("nullable".into(), Value::Bool(true));
    match kept.len() {
        0 => {}
        1 => {
            if let Value::Object(branch) = kept.swap_remove(0) {
                for (key, value) in branch {
                    node.entry(key).or_insert(value);
                }
            }
        }
        _ => {
            node.insert(keyword.into(), Value::Array(kept));
        }
    }
}

/// OpenAPI 3.0 ignores siblings of `$ref`; upstream keeps them by moving the
/// ref into a one-element `allOf`.
fn wrap_ref_siblings(node: &mut Map<String, Value>) {
    if node.len() < 2 || !node.contains_key("$ref") {
        return;
    }
    if let Some(reference) = node.remove("$ref") {
        let mut inner = Map::new();
        inner.insert("$ref".into(), reference);
        match node.get_mut("allOf") {
            Some(Value::Array(all)) => all.insert(0, Value::Object(inner)),
            _ => {
                node.insert("allOf".into(), Value::Array(vec![Value::Object(inner)]));
            }
        }
    }
}

/// The swagger 2.0 form of a v3 schema: refs into `#/definitions/`, `allOf`
/// ref wrappers unwrapped, and the v3-only keywords (`nullable`, `oneOf`,
/// `anyOf`, `not`, other `allOf`s) dropped as upstream does for v2.
pub(crate) fn to_v2_schema(schema: &Value) -> Value {
    let mut converted = schema.clone();
    for_each_schema_mut(&mut converted, &mut v2_node);
    converted
}

fn v2_node(node: &mut Map<String, Value>) {
    if let Some(Value::Array(all)) = node.get("allOf")
        && all.len() == 1
        && all[0]
            .as_object()
            .is_some_and(|only| only.len() == 1 && only.contains_key("$ref"))
        && !node.contains_key("$ref")
    {
        let reference = all[0]["$ref"].clone();
        node.remove("allOf");
        node.insert("$ref".into(), reference);
    }
    for keyword in ["nullable", "oneOf", "anyOf", "not", "allOf"] {
        node.remove(keyword);
    }
    if let Some(Value::String(reference)) = node.get_mut("$ref")
        && let Some(name) = ref_target(reference)
    {
        *reference = format!("{V2_REF_PREFIX}{name}");
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn cleaned(mut schema: Value) -> Value {
        clean_schema(&mut schema);
        schema
    }

    #[test]
    fn removes_json_schema_artefacts() {
        let schema = cleaned(json!({
            "$schema": "https://json-schema.org/draft/2020-12/schema",
            "$defs": {"X": {"type": "string"}},
            "type": "object",
            "properties": {
                "mode": {"const": "fast"},
                "name": {"type": ["string", "null"]},
                "either": {"type": ["string", "integer"]},
                "sample": {"type": "string", "examples": ["a", "b"]},
                "$schema": {"type": "string"},
            },
        }));
        assert_eq!(
            schema,
            json!({
                "type": "object",
                "properties": {
                    "mode": {"enum": ["fast"]},
                    "name": {"type": "string", "nullable": true},
                    "either": {"anyOf": [{"type": "string"}, {"type": "integer"}]},
                    "sample": {"type": "string", "example": "a"},
                    "$schema": {"type": "string"},
                },
            })
        );
    }

    #[test]
    fn folds_optional_refs_and_wraps_ref_siblings() {
        let schema = cleaned(json!({"properties": {
            "spec": {"oneOf": [{"$ref": "#/$defs/Spec"}, {"type": "null"}], "description": "d"},
            "plain": {"$ref": "#/definitions/Plain"},
            "both": {"anyOf": [{"type": "string"}, {"type": "integer"}, {"type": "null"}]},
        }}));
        assert_eq!(
            schema["properties"]["spec"],
            json!({"allOf": [{"$ref": "#/components/schemas/Spec"}], "description": "d", "nullable": true})
        );
        assert_eq!(
            schema["properties"]["plain"],
            json!({"$ref": "#/components/schemas/Plain"})
        );
        assert_eq!(
            schema["properties"]["both"],
            json!({"anyOf": [{"type": "string"}, {"type": "integer"}], "nullable": true})
        );
    }

    #[test]
    fn converts_to_swagger_form() {
        let v3 = json!({"type": "object", "properties": {
            "spec": {"allOf": [{"$ref": "#/components/schemas/a.Spec"}], "description": "d",
                     "x-kubernetes-patch-strategy": "merge"},
            "port": {"x-kubernetes-int-or-string": true, "anyOf": [{"type": "integer"}, {"type": "string"}]},
            "note": {"type": "string", "nullable": true},
            "items": {"type": "array", "items": {"$ref": "#/components/schemas/a.Item"}},
        }});
        assert_eq!(
            to_v2_schema(&v3),
            json!({"type": "object", "properties": {
                "spec": {"$ref": "#/definitions/a.Spec", "description": "d",
                         "x-kubernetes-patch-strategy": "merge"},
                "port": {"x-kubernetes-int-or-string": true},
                "note": {"type": "string"},
                "items": {"type": "array", "items": {"$ref": "#/definitions/a.Item"}},
            }})
        );
    }
}
