use serde_json::{Value, json};

use super::*;

fn root() -> Path {
    Path::new("spec")
        .child("validation")
        .child("openAPIV3Schema")
}

fn errors(schema: Value) -> Vec<String> {
    check_structural(&schema, &root())
        .iter()
        .map(|e| e.to_string())
        .collect()
}

fn with_spec(spec: Value) -> Value {
    json!({"type": "object", "properties": {"spec": spec}})
}

const P: &str = "spec.validation.openAPIV3Schema";

#[test]
fn a_typical_schema_is_accepted() {
    let schema = json!({"type": "object", "properties": {
        "spec": {"type": "object", "required": ["replicas"], "properties": {
            "replicas": {"type": "integer", "minimum": 0, "default": 1},
            "image": {"type": "string", "pattern": "^[a-z]+$"},
            "ports": {"type": "array", "x-kubernetes-list-type": "map", "x-kubernetes-list-map-keys": ["port"],
                "items": {"type": "object", "required": ["port"], "properties": {"port": {"type": "integer"}}}},
            "labels": {"type": "object", "additionalProperties": {"type": "string"}},
            "intOrString": {"x-kubernetes-int-or-string": true, "anyOf": [{"type": "integer"}, {"type": "string"}]},
            "template": {"type": "object", "x-kubernetes-embedded-resource": true, "x-kubernetes-preserve-unknown-fields": true},
        }, "x-kubernetes-validations": [{"rule": "self.replicas < 100"}]},
        "status": {"type": "object", "x-kubernetes-preserve-unknown-fields": true},
        "metadata": {"type": "object", "properties": {"name": {"type": "string", "maxLength": 20}}},
    }});
    assert_eq!(errors(schema), Vec::<String>::new());
}

#[test]
fn types_are_required() {
    assert_eq!(
        errors(
            json!({"properties": {"spec": {"properties": {"a": {}}}, "l": {"type": "array", "items": {}}}})
        ),
        vec![
            format!(
                "{P}.properties[l].items.type: Required value: must not be empty for specified array items"
            ),
            format!(
                "{P}.properties[spec].properties[a].type: Required value: must not be empty for specified object fields"
            ),
            format!(
                "{P}.properties[spec].type: Required value: must not be empty for specified object fields"
            ),
            format!("{P}.type: Required value: must not be empty at the root"),
        ]
    );
    assert_eq!(
        errors(with_spec(json!({"type": "array"}))),
        vec![format!(
            "{P}.properties[spec].items: Required value: must be specified"
        )]
    );
    assert_eq!(
        errors(json!({"type": "string"})),
        vec![format!(
            r#"{P}.type: Invalid value: "string": must be object at the root"#
        )]
    );
}

#[test]
fn value_validations_may_not_carry_structure() {
    let schema = with_spec(
        json!({"type": "object", "properties": {"a": {"type": "string"}}, "anyOf": [
            {"type": "object", "properties": {"a": {"description": "x", "default": "d"}}},
            {"properties": {"b": {}}},
        ]}),
    );
    assert_eq!(
        errors(schema),
        vec![
            format!(
                "{P}.properties[spec].anyOf[0].properties[a].default: Forbidden: must be undefined to be structural"
            ),
            format!(
                "{P}.properties[spec].anyOf[0].properties[a].description: Forbidden: must be empty to be structural"
            ),
            format!(
                "{P}.properties[spec].anyOf[0].type: Forbidden: must be empty to be structural"
            ),
        ]
    );
}

#[test]
fn root_value_validations_must_be_complete() {
    let schema = json!({"type": "object", "properties": {"spec": {"type": "object"}},
        "anyOf": [{"properties": {"spec": {"properties": {"x": {"minimum": 1}}}}}, {"required": ["spec"]}]});
    assert_eq!(
        errors(schema),
        vec![format!(
            "{P}.properties[spec].properties[x]: Required value: because it is defined in {P}.anyOf[0].properties[spec].properties[x]"
        )]
    );
}

#[test]
fn metadata_may_only_restrict_name() {
    let schema = json!({"type": "object", "properties": {"metadata": {"type": "object", "properties": {
        "name": {"type": "string"}, "labels": {"type": "object"}}}}});
    assert_eq!(
        errors(schema),
        vec![format!(
            "{P}.properties[metadata]: Forbidden: must not specify anything other than name and generateName, but metadata is implicitly specified"
        )]
    );
    let nested = with_spec(json!({"type": "object", "anyOf": [{"properties": {"metadata": {}}}]}));
    assert!(errors(nested).contains(&format!(
        "{P}.properties[spec].anyOf[0].properties[metadata]: Forbidden: must not be specified in a nested context"
    )));
}

#[test]
fn unsupported_keywords() {
    assert_eq!(
        errors(with_spec(
            json!({"type": "object", "$ref": "#/definitions/x"})
        )),
        vec![format!(
            "{P}.properties[spec].$ref: Forbidden: $ref is not supported"
        )]
    );
    assert_eq!(
        errors(with_spec(
            json!({"type": "array", "uniqueItems": true, "items": {"type": "string"}})
        )),
        vec![format!(
            "{P}.properties[spec].uniqueItems: Forbidden: uniqueItems cannot be set to true since the runtime complexity becomes quadratic"
        )]
    );
    assert_eq!(
        errors(with_spec(
            json!({"type": "object", "properties": {"a": {"type": "string"}}, "additionalProperties": {"type": "string"}})
        )),
        vec![format!(
            "{P}.properties[spec].additionalProperties: Forbidden: additionalProperties and properties are mutual exclusive"
        )]
    );
    assert_eq!(
        errors(with_spec(json!({"type": "null"}))),
        vec![
            format!(
                r#"{P}.properties[spec].type: Unsupported value: "null": supported values: "array", "boolean", "integer", "number", "object", "string""#
            ),
            format!(
                "{P}.properties[spec].type: Forbidden: type cannot be set to null, use nullable as an alternative"
            ),
        ]
    );
    assert_eq!(
        errors(json!({"type": "object", "nullable": true})),
        vec![format!(
            "{P}.nullable: Forbidden: nullable cannot be true at the root"
        )]
    );
    assert_eq!(
        errors(json!({"type": "object", "additionalProperties": {"type": "string"}})),
        vec![format!(
            "{P}.additionalProperties: Forbidden: must not be used at the root"
        )]
    );
}

#[test]
fn extensions_must_be_consistent() {
    assert_eq!(
        errors(with_spec(
            json!({"type": "object", "x-kubernetes-preserve-unknown-fields": false})
        )),
        vec![format!(
            "{P}.properties[spec].x-kubernetes-preserve-unknown-fields: Invalid value: false: must be true or undefined"
        )]
    );
    assert_eq!(
        errors(with_spec(
            json!({"x-kubernetes-int-or-string": true, "x-kubernetes-embedded-resource": true})
        )),
        vec![
            format!(
                "{P}.properties[spec].properties: Required value: must not be empty if x-kubernetes-embedded-resource is true without x-kubernetes-preserve-unknown-fields"
            ),
            format!(
                "{P}.properties[spec].type: Required value: must be object if x-kubernetes-embedded-resource is true"
            ),
            format!(
                "{P}.properties[spec].x-kubernetes-embedded-resource: Invalid value: true: must be false if x-kubernetes-int-or-string is true"
            ),
        ]
    );
    assert_eq!(
        errors(with_spec(
            json!({"type": "object", "x-kubernetes-embedded-resource": true})
        )),
        vec![format!(
            "{P}.properties[spec].properties: Required value: must not be empty if x-kubernetes-embedded-resource is true without x-kubernetes-preserve-unknown-fields"
        )]
    );
}

#[test]
fn list_types() {
    assert_eq!(
        errors(with_spec(
            json!({"type": "object", "x-kubernetes-list-type": "set"})
        )),
        vec![format!(
            r#"{P}.properties[spec].type: Invalid value: "object": must be array if x-kubernetes-list-type is specified"#
        )]
    );
    assert_eq!(
        errors(with_spec(
            json!({"type": "array", "x-kubernetes-list-type": "bag", "items": {"type": "string"}})
        )),
        vec![format!(
            r#"{P}.properties[spec].x-kubernetes-list-type: Unsupported value: "bag": supported values: "atomic", "set", "map""#
        )]
    );
    assert_eq!(
        errors(with_spec(
            json!({"type": "array", "x-kubernetes-list-type": "map", "items": {"type": "object", "properties": {"a": {"type": "string"}}}})
        )),
        vec![format!(
            "{P}.properties[spec].x-kubernetes-list-map-keys: Required value: must not be empty if x-kubernetes-list-type is map"
        )]
    );
    assert_eq!(
        errors(with_spec(
            json!({"type": "array", "x-kubernetes-list-type": "map", "x-kubernetes-list-map-keys": ["b"],
            "items": {"type": "object", "properties": {"a": {"type": "string"}}}})
        )),
        vec![format!(
            r#"{P}.properties[spec].x-kubernetes-list-map-keys: Invalid value: []string{{"b"}}: entries must all be names of item properties"#
        )]
    );
    assert_eq!(
        errors(with_spec(
            json!({"type": "array", "x-kubernetes-list-type": "map", "x-kubernetes-list-map-keys": ["a"],
            "items": {"type": "object", "properties": {"a": {"type": "string"}}}})
        )),
        vec![format!(
            "{P}.properties[spec].items.properties[a].default: Required value: this property is in x-kubernetes-list-map-keys, so it must have a default or be a required property"
        )]
    );
    assert_eq!(
        errors(with_spec(
            json!({"type": "array", "x-kubernetes-list-map-keys": ["a"], "items": {"type": "string"}})
        )),
        vec![format!(
            "{P}.properties[spec].x-kubernetes-list-type: Required value: must be map if x-kubernetes-list-map-keys is non-empty"
        )]
    );
    assert_eq!(
        errors(with_spec(
            json!({"type": "array", "x-kubernetes-list-type": "set", "items": {"type": "object"}})
        )),
        vec![format!(
            r#"{P}.properties[spec].items.x-kubernetes-map-type: Invalid value: "null": must be atomic as item of a list with x-kubernetes-list-type=set"#
        )]
    );
}

#[test]
fn defaults_must_validate_and_be_pruned() {
    assert_eq!(
        errors(with_spec(
            json!({"type": "object", "properties": {"n": {"type": "integer", "default": "x"}}})
        )),
        vec![format!(
            // The default is validated at the root of its own schema, whose
            // kube-openapi name is empty: hence the leading space.
            r#"{P}.properties[spec].properties[n].default: Invalid value: "string":  in body must be of type integer: "string""#
        )]
    );
    assert_eq!(
        errors(with_spec(
            json!({"type": "object", "default": {"a": 1, "b": 2}, "properties": {"a": {"type": "integer"}}})
        )),
        vec![format!(
            r#"{P}.properties[spec].default: Invalid value: map[string]interface {{}}{{"a":1, "b":2}}: must not have unknown fields"#
        )]
    );
    assert_eq!(
        errors(
            json!({"type": "object", "properties": {"metadata": {"type": "object", "default": {}}}})
        ),
        vec![format!(
            "{P}.properties[metadata].default: Forbidden: must not be set in top-level metadata"
        )]
    );
}

#[test]
fn rule_shapes() {
    let schema = with_spec(
        json!({"type": "object", "properties": {"a": {"type": "string"}}, "x-kubernetes-validations": [
            {"rule": " "},
            {"rule": "self.a == 'x'", "message": "line\nbreak"},
            {"rule": "self.a\n== 'x'"},
            {"rule": "self.a == 'x'", "reason": "Bogus"},
            {"rule": "self.a == 'x'", "fieldPath": ".b"},
        ]}),
    );
    assert_eq!(
        errors(schema),
        vec![
            format!(
                "{P}.properties[spec].x-kubernetes-validations[0].rule: Required value: rule is not specified"
            ),
            format!(
                r#"{P}.properties[spec].x-kubernetes-validations[1].message: Invalid value: "line\nbreak": message must not contain line breaks"#
            ),
            format!(
                "{P}.properties[spec].x-kubernetes-validations[2].message: Required value: message must be specified if rule contains line breaks"
            ),
            format!(
                r#"{P}.properties[spec].x-kubernetes-validations[3].reason: Unsupported value: "Bogus": supported values: "FieldValueDuplicate", "FieldValueForbidden", "FieldValueInvalid", "FieldValueRequired""#
            ),
            format!(
                r#"{P}.properties[spec].x-kubernetes-validations[4].fieldPath: Invalid value: ".b": fieldPath must be a valid path"#
            ),
        ]
    );
}

#[test]
fn invalid_patterns() {
    let errs = errors(with_spec(json!({"type": "string", "pattern": "("})));
    assert_eq!(errs.len(), 1);
    assert!(
        errs[0].starts_with(&format!(r#"{P}.properties[spec].pattern: Invalid value: "(": must be a valid regular expression, but isn't: error parsing regexp: "#)),
        "{errs:?}"
    );
}

#[test]
fn status_subresource_restricts_the_root() {
    let opts = StructuralOptions {
        status_subresource: true,
    };
    let ok = json!({"type": "object", "properties": {"status": {"type": "object"}}, "required": ["status"]});
    assert!(check_structural_with(&ok, &root(), opts).is_empty());
    let bad =
        json!({"type": "object", "properties": {"status": {"type": "object"}}, "maxProperties": 3});
    let errs: Vec<String> = check_structural_with(&bad, &root(), opts)
        .iter()
        .map(|e| e.to_string())
        .collect();
    assert_eq!(errs.len(), 1);
    assert!(
        errs[0].ends_with("only [Description Type Format Title Maximum ExclusiveMaximum Minimum ExclusiveMinimum MaxLength MinLength Pattern MaxItems MinItems UniqueItems MultipleOf Required Items Properties ExternalDocs Example XPreserveUnknownFields XValidations] fields are allowed at the root of the schema if the status subresource is enabled"),
        "{errs:?}"
    );
}

#[test]
fn rules_are_compiled_only_for_structural_schemas() {
    // A broken rule next to a structural error: only the structural error.
    let schema = with_spec(
        json!({"type": "object", "properties": {"a": {}}, "x-kubernetes-validations": [{"rule": "self.zzz"}]}),
    );
    assert_eq!(
        errors(schema),
        vec![format!(
            "{P}.properties[spec].properties[a].type: Required value: must not be empty for specified object fields"
        )]
    );
}
