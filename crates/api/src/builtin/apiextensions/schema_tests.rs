use serde_json::json;

use super::*;
use crate::builtin::apiextensions::structural::validate_structural;

fn props(v: serde_json::Value) -> JSONSchemaProps {
    serde_json::from_value(v).unwrap()
}

fn structural(v: serde_json::Value) -> Vec<String> {
    validate_structural(&props(v), &Path::new("s"))
        .iter()
        .map(|e| e.to_string())
        .collect()
}

fn openapi(v: serde_json::Value) -> Vec<String> {
    let ctx = Context {
        allow_defaults: true,
        forbidden_reason: String::new(),
        inside_resource_meta: false,
        require_valid_type: true,
        require_atomic_set_type: true,
        require_map_list_keys_validation: true,
    };
    let mut errs = Vec::new();
    validate_openapi(&props(v), &Path::new("s"), &ctx, true, &mut errs);
    errs.iter().map(|e| e.to_string()).collect()
}

#[test]
fn structural_rules() {
    assert_eq!(
        structural(json!({})),
        vec!["s.type: Required value: must not be empty at the root"]
    );
    assert_eq!(
        structural(json!({"type": "object", "properties": {
            "metadata": {"type": "object", "properties": {"labels": {"type": "object"}}},
            "list": {"type": "array", "items": {}},
            "port": {"x-kubernetes-int-or-string": true, "anyOf": [{"type": "integer"}, {"type": "string"}]},
            "odd": {"type": "string", "anyOf": [{"type": "string", "description": "x"}]}
        }})),
        vec![
            "s.properties[list].items.type: Required value: must not be empty for specified array items",
            "s.properties[metadata]: Forbidden: must not specify anything other than name and generateName, but metadata is implicitly specified",
            "s.properties[odd].anyOf[0].description: Forbidden: must be empty to be structural",
            "s.properties[odd].anyOf[0].type: Forbidden: must be empty to be structural",
        ]
    );
    assert_eq!(
        structural(json!({"type": "object", "anyOf": [{"properties": {"x": {}}}]})),
        vec!["s.properties[x]: Required value: because it is defined in s.anyOf[0].properties[x]"]
    );
}

#[test]
fn openapi_rules() {
    assert_eq!(
        openapi(json!({"type": "object", "properties": {
            "metadata": {"type": "object", "default": {}},
            "a": {"type": "null"},
            "m": {"type": "array", "x-kubernetes-list-type": "map", "items": {"type": "object", "properties": {"k": {"type": "string"}}}},
            "r": {"type": "string", "x-kubernetes-validations": [{"rule": " "}]}
        }})),
        vec![
            r#"s.properties[a].type: Unsupported value: "null": supported values: "array", "boolean", "integer", "number", "object", "string""#,
            "s.properties[a].type: Forbidden: type cannot be set to null, use nullable as an alternative",
            "s.properties[m].x-kubernetes-list-map-keys: Required value: must not be empty if x-kubernetes-list-type is map",
            "s.properties[metadata].default: Forbidden: must not be set in top-level metadata",
            "s.properties[r].x-kubernetes-validations[0].rule: Required value: rule is not specified",
        ]
    );
}
