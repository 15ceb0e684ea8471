use serde_json::{Value, json};

use super::*;

fn errors(obj: Value, schema: Value) -> Vec<String> {
    validate(&obj, &schema)
        .iter()
        .map(|e| e.to_string())
        .collect()
}

fn spec_schema(spec: Value) -> Value {
    json!({"type": "object", "properties": {"spec": spec}})
}

fn field(prop: Value) -> Value {
    spec_schema(json!({"type": "object", "properties": {"f": prop}}))
}

#[test]
fn type_mismatches_are_type_invalid() {
    let cases = [
        (
            json!({"type": "integer"}),
            json!("x"),
            r#"spec.f: Invalid value: "string": spec.f in body must be of type integer: "string""#,
        ),
        (
            json!({"type": "string"}),
            json!(1),
            r#"spec.f: Invalid value: "integer": spec.f in body must be of type string: "integer""#,
        ),
        (
            json!({"type": "boolean"}),
            json!("true"),
            r#"spec.f: Invalid value: "string": spec.f in body must be of type boolean: "string""#,
        ),
        (
            json!({"type": "object"}),
            json!([]),
            r#"spec.f: Invalid value: "array": spec.f in body must be of type object: "array""#,
        ),
        (
            json!({"type": "array", "items": {"type": "string"}}),
            json!({}),
            r#"spec.f: Invalid value: "object": spec.f in body must be of type array: "object""#,
        ),
        (
            json!({"type": "integer"}),
            json!(1.5),
            r#"spec.f: Invalid value: "number": spec.f in body must be of type integer: "number""#,
        ),
        (
            json!({"type": "string"}),
            json!(null),
            r#"spec.f: Invalid value: "null": spec.f in body must be of type string: "null""#,
        ),
    ];
    for (prop, value, want) in cases {
        let got = errors(json!({"spec": {"f": value}}), field(prop));
        assert_eq!(got, vec![want.to_string()]);
    }
    let errs = validate(
        &json!({"spec": {"f": "x"}}),
        &field(json!({"type": "integer"})),
    );
    assert_eq!(errs[0].error_type, ErrorType::TypeInvalid);
}

#[test]
fn integral_floats_are_integers_and_ints_are_numbers() {
    assert!(
        errors(
            json!({"spec": {"f": 3.0}}),
            field(json!({"type": "integer"}))
        )
        .is_empty()
    );
    assert!(errors(json!({"spec": {"f": 3}}), field(json!({"type": "number"}))).is_empty());
}

#[test]
fn nullable_accepts_null() {
    assert!(
        errors(
            json!({"spec": {"f": null}}),
            field(json!({"type": "string", "nullable": true}))
        )
        .is_empty()
    );
}

#[test]
fn root_type_error_has_nil_path() {
    assert_eq!(
        errors(
            json!({"spec": "x"}),
            json!({"type": "object", "properties": {"spec": {"type": "object"}}})
        ),
        vec![r#"spec: Invalid value: "string": spec in body must be of type object: "string""#]
    );
}

#[test]
fn required_fields() {
    let schema = spec_schema(
        json!({"type": "object", "required": ["a", "b"], "properties": {"a": {"type": "string"}, "b": {"type": "string"}}}),
    );
    assert_eq!(
        errors(json!({"spec": {"b": "x"}}), schema),
        vec!["spec.a: Required value"]
    );
    let root =
        json!({"type": "object", "required": ["spec"], "properties": {"spec": {"type": "object"}}});
    assert_eq!(errors(json!({}), root), vec!["spec: Required value"]);
}

#[test]
fn enums_are_unsupported_values() {
    assert_eq!(
        errors(
            json!({"spec": {"f": "c"}}),
            field(json!({"type": "string", "enum": ["a", "b"]}))
        ),
        vec![r#"spec.f: Unsupported value: "c": supported values: "a", "b""#]
    );
    assert_eq!(
        errors(
            json!({"spec": {"f": 3}}),
            field(json!({"type": "integer", "enum": [1, 2]}))
        ),
        vec![r#"spec.f: Unsupported value: 3: supported values: "1", "2""#]
    );
    assert!(
        errors(
            json!({"spec": {"f": 2}}),
            field(json!({"type": "integer", "enum": [1, 2]}))
        )
        .is_empty()
    );
}

#[test]
fn string_constraints() {
    let prop = json!({"type": "string", "maxLength": 3, "minLength": 2, "pattern": "^[a-z]+$"});
    assert_eq!(
        errors(json!({"spec": {"f": "abcd"}}), field(prop.clone())),
        vec!["spec.f: Too long: may not be more than 3 bytes"]
    );
    assert_eq!(
        errors(json!({"spec": {"f": "a"}}), field(prop.clone())),
        vec![r#"spec.f: Invalid value: "a": spec.f in body should be at least 2 chars long"#]
    );
    assert_eq!(
        errors(json!({"spec": {"f": "A1"}}), field(prop.clone())),
        vec![r#"spec.f: Invalid value: "A1": spec.f in body should match '^[a-z]+$'"#]
    );
    // Lengths count characters, not bytes.
    assert!(
        errors(
            json!({"spec": {"f": "éé"}}),
            field(json!({"type": "string", "maxLength": 2}))
        )
        .is_empty()
    );
}

#[test]
fn numeric_bounds() {
    let prop = json!({"type": "integer", "minimum": 1, "maximum": 10});
    assert_eq!(
        errors(json!({"spec": {"f": 11}}), field(prop.clone())),
        vec!["spec.f: Invalid value: 11: spec.f in body should be less than or equal to 10"]
    );
    assert_eq!(
        errors(json!({"spec": {"f": 0}}), field(prop)),
        vec!["spec.f: Invalid value: 0: spec.f in body should be greater than or equal to 1"]
    );
    let excl = json!({"type": "number", "minimum": 0.5, "exclusiveMinimum": true, "maximum": 2.5, "exclusiveMaximum": true});
    assert_eq!(
        errors(json!({"spec": {"f": 2.5}}), field(excl.clone())),
        vec!["spec.f: Invalid value: 2.5: spec.f in body should be less than 2.5"]
    );
    assert_eq!(
        errors(json!({"spec": {"f": 0.5}}), field(excl)),
        vec!["spec.f: Invalid value: 0.5: spec.f in body should be greater than 0.5"]
    );
}

#[test]
fn multiple_of() {
    assert_eq!(
        errors(
            json!({"spec": {"f": 7}}),
            field(json!({"type": "integer", "multipleOf": 5}))
        ),
        vec!["spec.f: Invalid value: 7: spec.f in body should be a multiple of 5"]
    );
    assert!(
        errors(
            json!({"spec": {"f": 10}}),
            field(json!({"type": "integer", "multipleOf": 5}))
        )
        .is_empty()
    );
    assert!(
        errors(
            json!({"spec": {"f": 0.3}}),
            field(json!({"type": "number", "multipleOf": 0.1}))
        )
        .is_empty()
    );
    assert_eq!(
        errors(
            json!({"spec": {"f": 0.35}}),
            field(json!({"type": "number", "multipleOf": 0.1}))
        ),
        vec!["spec.f: Invalid value: 0.35: spec.f in body should be a multiple of 0.1"]
    );
}

#[test]
fn array_constraints() {
    let prop = json!({"type": "array", "minItems": 2, "maxItems": 3, "uniqueItems": true, "items": {"type": "string"}});
    assert_eq!(
        errors(json!({"spec": {"f": ["a"]}}), field(prop.clone())),
        vec!["spec.f: Invalid value: 1: spec.f in body should have at least 2 items"]
    );
    assert_eq!(
        errors(
            json!({"spec": {"f": ["a", "b", "c", "d"]}}),
            field(prop.clone())
        ),
        vec!["spec.f: Too many: 4: must have at most 3 items"]
    );
    assert_eq!(
        errors(json!({"spec": {"f": ["a", "a"]}}), field(prop.clone())),
        vec![r#"spec.f: Invalid value: "": spec.f in body shouldn't contain duplicates"#]
    );
    assert_eq!(
        errors(json!({"spec": {"f": ["a", 1]}}), field(prop)),
        vec![
            r#"spec.f[1]: Invalid value: "integer": spec.f[1] in body must be of type string: "integer""#
        ]
    );
}

#[test]
fn property_counts() {
    let prop = json!({"type": "object", "minProperties": 1, "maxProperties": 2, "additionalProperties": {"type": "string"}});
    assert_eq!(
        errors(json!({"spec": {"f": {}}}), field(prop.clone())),
        vec!["spec.f: Invalid value: 0: spec.f in body should have at least 1 properties"]
    );
    assert_eq!(
        errors(
            json!({"spec": {"f": {"a": "1", "b": "2", "c": "3"}}}),
            field(prop.clone())
        ),
        vec!["spec.f: Too many: 3: must have at most 2 items"]
    );
    assert_eq!(
        errors(json!({"spec": {"f": {"a": 1}}}), field(prop)),
        vec![
            r#"spec.f.a: Invalid value: "integer": spec.f.a in body must be of type string: "integer""#
        ]
    );
}

#[test]
fn formats() {
    assert_eq!(
        errors(
            json!({"spec": {"f": "2024-13-01"}}),
            field(json!({"type": "string", "format": "date"}))
        ),
        vec![
            r#"spec.f: Invalid value: "2024-13-01": spec.f in body must be of type date: "2024-13-01""#
        ]
    );
    assert_eq!(
        errors(
            json!({"spec": {"f": "yesterday"}}),
            field(json!({"type": "string", "format": "date-time"}))
        ),
        vec![
            r#"spec.f: Invalid value: "yesterday": spec.f in body must be of type date-time: "yesterday""#
        ]
    );
    // Unsupported formats (int32, int64, quantity, …) are not enforced.
    assert!(
        errors(
            json!({"spec": {"f": 1_i64 << 40}}),
            field(json!({"type": "integer", "format": "int32"}))
        )
        .is_empty()
    );
    assert!(
        errors(
            json!({"spec": {"f": "x"}}),
            field(json!({"type": "string", "format": "quantity"}))
        )
        .is_empty()
    );
    // A non-string value under a string format names the format.
    assert_eq!(
        errors(
            json!({"spec": {"f": 5}}),
            field(json!({"type": "string", "format": "uuid"}))
        ),
        vec![r#"spec.f: Invalid value: "int64": spec.f in body must be of type uuid: "int64""#]
    );
}

#[test]
fn int_or_string() {
    let prop = json!({"x-kubernetes-int-or-string": true});
    assert!(errors(json!({"spec": {"f": 1}}), field(prop.clone())).is_empty());
    assert!(errors(json!({"spec": {"f": "50%"}}), field(prop.clone())).is_empty());
    assert_eq!(
        errors(json!({"spec": {"f": true}}), field(prop)),
        vec![
            r#"spec.f: Invalid value: "boolean": spec.f in body must be of type integer,string: "boolean""#
        ]
    );
}

#[test]
fn additional_properties_false_forbids_keys() {
    let prop = json!({"type": "object", "properties": {"a": {"type": "string"}}, "additionalProperties": false});
    assert_eq!(
        errors(json!({"spec": {"f": {"a": "x", "b": "y"}}}), field(prop)),
        vec![r#"spec.f: Invalid value: "b": spec.f.b in body is a forbidden property"#]
    );
}

#[test]
fn root_additional_properties_paths_drop_the_leading_dot() {
    let schema = json!({"type": "object", "additionalProperties": {"type": "string"}});
    assert_eq!(
        errors(json!({"k": 1}), schema),
        vec![r#"k: Invalid value: "integer": .k in body must be of type string: "integer""#]
    );
}

#[test]
fn combinators() {
    let any = field(json!({"type": "integer", "anyOf": [{"minimum": 10}, {"maximum": 1}]}));
    assert!(errors(json!({"spec": {"f": 11}}), any.clone()).is_empty());
    assert_eq!(
        errors(json!({"spec": {"f": 5}}), any),
        vec![
            r#"<nil>: Invalid value: "": "spec.f" must validate at least one schema (anyOf)"#,
            "spec.f: Invalid value: 5: spec.f in body should be greater than or equal to 10",
        ]
    );
    let one = field(json!({"type": "integer", "oneOf": [{"minimum": 1}, {"minimum": 2}]}));
    assert_eq!(
        errors(json!({"spec": {"f": 3}}), one),
        vec![
            r#"<nil>: Invalid value: "": "spec.f" must validate one and only one schema (oneOf). Found 2 valid alternatives"#
        ]
    );
    let all = field(json!({"type": "integer", "allOf": [{"minimum": 1}, {"maximum": 2}]}));
    assert_eq!(
        errors(json!({"spec": {"f": 3}}), all),
        vec![
            "spec.f: Invalid value: 3: spec.f in body should be less than or equal to 2",
            r#"<nil>: Invalid value: "": "spec.f" must validate all the schemas (allOf)"#,
        ]
    );
    let not = field(json!({"type": "string", "not": {"enum": ["x"]}}));
    assert_eq!(
        errors(json!({"spec": {"f": "x"}}), not),
        vec![r#"<nil>: Invalid value: "": "spec.f" must not validate the schema (not)"#]
    );
}

#[test]
fn metadata_name_restrictions_from_the_schema() {
    let schema = json!({"type": "object", "properties": {"metadata": {"type": "object", "properties": {
        "name": {"type": "string", "maxLength": 5}}}}});
    assert_eq!(
        errors(json!({"metadata": {"name": "toolong"}}), schema),
        vec!["metadata.name: Too long: may not be more than 5 bytes"]
    );
}

#[test]
fn embedded_and_list_errors_follow_schema_errors() {
    let schema = spec_schema(json!({"type": "object", "properties": {
        "n": {"type": "integer"},
        "t": {"type": "object", "x-kubernetes-embedded-resource": true, "x-kubernetes-preserve-unknown-fields": true},
        "s": {"type": "array", "x-kubernetes-list-type": "set", "items": {"type": "string"}},
    }}));
    assert_eq!(
        errors(
            json!({"spec": {"n": "x", "t": {"kind": "A"}, "s": ["a", "a"]}}),
            schema
        ),
        vec![
            r#"spec.n: Invalid value: "string": spec.n in body must be of type integer: "string""#,
            "spec.t.apiVersion: Required value: must not be empty",
            r#"spec.s[1]: Duplicate value: "a""#,
        ]
    );
}

#[test]
fn ratcheting_keeps_unchanged_invalid_values() {
    let schema = parse_schema(&spec_schema(json!({"type": "object", "properties": {
        "a": {"type": "string", "maxLength": 2},
        "b": {"type": "string", "maxLength": 2},
    }})))
    .unwrap();
    let old = json!({"spec": {"a": "long", "b": "ok"}});
    assert!(
        validate_update_parsed(&json!({"spec": {"a": "long", "b": "no"}}), &old, &schema)
            .is_empty()
    );
    let errs = validate_update_parsed(&json!({"spec": {"a": "long", "b": "bad!"}}), &old, &schema);
    assert_eq!(
        errs.iter().map(|e| e.to_string()).collect::<Vec<_>>(),
        vec!["spec.b: Too long: may not be more than 2 bytes"]
    );
    let errs = validate_update_parsed(&json!({"spec": {"a": "longer"}}), &old, &schema);
    assert_eq!(errs.len(), 1);
}

#[test]
fn status_errors_are_prefixed() {
    let status =
        parse_schema(&json!({"type": "object", "properties": {"n": {"type": "integer"}}})).unwrap();
    let errs = validate_schema_value(&Path::new("status"), &json!({"n": "x"}), None, &status);
    assert_eq!(
        errs[0].to_string(),
        r#"status.n: Invalid value: "string": n in body must be of type integer: "string""#
    );
}

#[test]
fn blocking_errors() {
    let errs = validate(
        &json!({"spec": {"f": "x"}}),
        &field(json!({"type": "integer"})),
    );
    assert_eq!(
        blocking_error(&errs).unwrap().to_string(),
        r#"<nil>: Invalid value: "null": some validation rules were not checked because the object was invalid; correct the existing errors to complete validation"#
    );
    let errs = validate(
        &json!({"spec": {"f": 20}}),
        &field(json!({"type": "integer", "maximum": 3})),
    );
    assert!(blocking_error(&errs).is_none());
}

#[test]
fn malformed_schema_is_an_internal_error() {
    let errs = validate(&json!({}), &json!({"type": 5}));
    assert_eq!(errs[0].error_type, ErrorType::InternalError);
}
