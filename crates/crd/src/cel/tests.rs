use serde_json::{Value, json};

use super::*;
use crate::schema::parse_schema;

fn schema_with_rules(spec_props: Value, rules: Value) -> Schema {
    parse_schema(&json!({"type": "object", "properties": {"spec": {
        "type": "object", "properties": spec_props, "x-kubernetes-validations": rules}}}))
    .unwrap()
}

fn run(schema: &Schema, obj: Value, old: Option<Value>) -> Vec<String> {
    let v = CelValidator::new(schema);
    v.validate(&obj, old.as_ref())
        .iter()
        .map(|e| e.to_string())
        .collect()
}

fn replicas() -> Value {
    json!({"replicas": {"type": "integer"}, "max": {"type": "integer"}, "name": {"type": "string"},
           "tags": {"type": "array", "items": {"type": "string"}},
           "labels": {"type": "object", "additionalProperties": {"type": "string"}}})
}

#[test]
fn failing_rule_reports_default_message() {
    let s = schema_with_rules(replicas(), json!([{"rule": "self.replicas <= self.max"}]));
    assert!(run(&s, json!({"spec": {"replicas": 1, "max": 3}}), None).is_empty());
    assert_eq!(
        run(&s, json!({"spec": {"replicas": 5, "max": 3}}), None),
        vec![r#"spec: Invalid value: "object": failed rule: self.replicas <= self.max"#]
    );
}

#[test]
fn message_reason_and_field_path() {
    let s = schema_with_rules(
        replicas(),
        json!([
            {"rule": "self.replicas >= 0", "message": "must be non-negative", "fieldPath": ".replicas"},
            {"rule": "self.name.startsWith('a')", "reason": "FieldValueForbidden", "message": "bad name"},
            {"rule": "size(self.tags) < 2", "messageExpression": "'too many tags: ' + string(size(self.tags))"},
        ]),
    );
    assert_eq!(
        run(
            &s,
            json!({"spec": {"replicas": -1, "name": "b", "tags": ["x", "y"]}}),
            None
        ),
        vec![
            r#"spec.replicas: Invalid value: "object": must be non-negative"#,
            "spec: Forbidden: bad name",
            r#"spec: Invalid value: "object": too many tags: 2"#,
        ]
    );
}

#[test]
fn macros_and_string_functions() {
    let s = schema_with_rules(
        replicas(),
        json!([
            {"rule": "self.tags.all(t, t.matches('^[a-z]+$'))"},
            {"rule": "self.tags.exists(t, t == 'x')"},
            {"rule": "self.tags.filter(t, t.endsWith('z')).size() == 0"},
            {"rule": "self.tags.map(t, t.upperAscii()).exists(t, t == 'X')"},
            {"rule": "!has(self.labels) || self.labels.all(k, k.size() < 5 && self.labels[k] != '')"},
            {"rule": "self.name.contains('b') && self.name.lowerAscii() == 'abc' && self.name.indexOf('c') == 2"},
            {"rule": "int('5') == 5 && string(self.replicas) == '1'"},
        ]),
    );
    assert!(run(&s, json!({"spec": {"replicas": 1, "name": "abc", "tags": ["x", "y"], "labels": {"a": "b"}}}), None).is_empty());
    let errs = run(
        &s,
        json!({"spec": {"replicas": 1, "name": "abc", "tags": ["x", "Y1"]}}),
        None,
    );
    assert_eq!(
        errs,
        vec![
            r#"spec: Invalid value: "object": failed rule: self.tags.all(t, t.matches('^[a-z]+$'))"#
        ]
    );
}

#[test]
fn kubernetes_list_and_regex_library() {
    let s = schema_with_rules(
        json!({"nums": {"type": "array", "items": {"type": "integer"}}, "s": {"type": "string"}}),
        json!([
            {"rule": "self.nums.isSorted() && self.nums.sum() == 6 && self.nums.min() == 1 && self.nums.max() == 3"},
            {"rule": "self.nums.indexOf(2) == 1 && self.nums.lastIndexOf(9) == -1"},
            {"rule": "self.s.find('[0-9]+') == '123' && self.s.findAll('[a-z]') == ['a', 'b']"},
            {"rule": "sets.contains(self.nums, [1, 2]) && sets.intersects(self.nums, [3, 4]) && !sets.equivalent(self.nums, [1])"},
        ]),
    );
    assert_eq!(
        run(&s, json!({"spec": {"nums": [1, 2, 3], "s": "a123b"}}), None),
        Vec::<String>::new()
    );
    assert_eq!(
        run(&s, json!({"spec": {"nums": [3, 2, 1], "s": "a123b"}}), None).len(),
        1
    );
}

#[test]
fn transition_rules_use_old_self_on_update_only() {
    let s = schema_with_rules(
        replicas(),
        json!([{"rule": "self.name == oldSelf.name", "message": "name is immutable"}]),
    );
    assert!(run(&s, json!({"spec": {"name": "a"}}), None).is_empty());
    assert!(
        run(
            &s,
            json!({"spec": {"name": "a"}}),
            Some(json!({"spec": {"name": "a"}}))
        )
        .is_empty()
    );
    assert_eq!(
        run(
            &s,
            json!({"spec": {"name": "b"}}),
            Some(json!({"spec": {"name": "a"}}))
        ),
        vec![r#"spec: Invalid value: "object": name is immutable"#]
    );
}

#[test]
fn optional_old_self() {
    let s = schema_with_rules(
        replicas(),
        json!([{"rule": "!oldSelf.hasValue() || self.replicas >= oldSelf.value().replicas", "optionalOldSelf": true,
                "message": "cannot scale down"}]),
    );
    assert!(run(&s, json!({"spec": {"replicas": 1}}), None).is_empty());
    assert_eq!(
        run(
            &s,
            json!({"spec": {"replicas": 1}}),
            Some(json!({"spec": {"replicas": 2}}))
        ),
        vec![r#"spec: Invalid value: "object": cannot scale down"#]
    );
}

#[test]
fn unchanged_values_ratchet_non_transition_rules() {
    let s = schema_with_rules(replicas(), json!([{"rule": "self.replicas < 3"}]));
    let old = json!({"spec": {"replicas": 5}});
    assert!(run(&s, json!({"spec": {"replicas": 5}}), Some(old.clone())).is_empty());
    assert_eq!(
        run(&s, json!({"spec": {"replicas": 6}}), Some(old)).len(),
        1
    );
}

#[test]
fn rules_on_items_and_map_values_get_their_paths() {
    let s = parse_schema(&json!({"type": "object", "properties": {"spec": {"type": "object", "properties": {
        "items": {"type": "array", "items": {"type": "object", "properties": {"n": {"type": "integer"}},
            "x-kubernetes-validations": [{"rule": "self.n > 0"}]}},
        "m": {"type": "object", "additionalProperties": {"type": "string", "x-kubernetes-validations": [{"rule": "self != ''"}]}},
    }}}}))
    .unwrap();
    assert_eq!(
        run(
            &s,
            json!({"spec": {"items": [{"n": 1}, {"n": 0}], "m": {"k": ""}}}),
            None
        ),
        vec![
            r#"spec.items[1]: Invalid value: "object": failed rule: self.n > 0"#,
            r#"spec.m[k]: Invalid value: "string": failed rule: self != ''"#,
        ]
    );
}

#[test]
fn root_rules_see_metadata_name() {
    let s = parse_schema(
        &json!({"type": "object", "properties": {"spec": {"type": "object"}},
        "x-kubernetes-validations": [{"rule": "self.metadata.name.startsWith('x')"}]}),
    )
    .unwrap();
    assert!(run(&s, json!({"metadata": {"name": "xy"}, "spec": {}}), None).is_empty());
    assert_eq!(
        run(&s, json!({"metadata": {"name": "y"}, "spec": {}}), None),
        vec![r#"<nil>: Invalid value: "object": failed rule: self.metadata.name.startsWith('x')"#]
    );
}

#[test]
fn runtime_errors_are_reported() {
    let s = schema_with_rules(replicas(), json!([{"rule": "self.replicas > 0"}]));
    assert_eq!(
        run(&s, json!({"spec": {"name": "a"}}), None),
        vec![
            r#"spec: Invalid value: "object": no such key: replicas evaluating rule: self.replicas > 0"#
        ]
    );
}

#[test]
fn numbers_and_int_or_string() {
    let s = schema_with_rules(
        json!({"ratio": {"type": "number"}, "port": {"x-kubernetes-int-or-string": true}}),
        json!([{"rule": "self.ratio < 1.5"}, {"rule": "type(self.port) == string ? self.port.endsWith('%') : self.port > 0"}]),
    );
    assert!(run(&s, json!({"spec": {"ratio": 1, "port": "50%"}}), None).is_empty());
    assert!(run(&s, json!({"spec": {"ratio": 1.2, "port": 8080}}), None).is_empty());
    assert_eq!(
        run(&s, json!({"spec": {"ratio": 2, "port": 0}}), None).len(),
        2
    );
}

fn compile_errors(spec_props: Value, rules: Value) -> Vec<String> {
    let s = schema_with_rules(spec_props, rules);
    match compile_rules(
        &s,
        &Path::new("spec")
            .child("validation")
            .child("openAPIV3Schema"),
    ) {
        Ok(_) => Vec::new(),
        Err(errs) => errs.iter().map(|e| e.to_string()).collect(),
    }
}

#[test]
fn compile_refuses_undefined_fields_and_functions() {
    let errs = compile_errors(replicas(), json!([{"rule": "self.foo > 0"}]));
    assert_eq!(errs.len(), 1);
    assert!(
        errs[0].starts_with("spec.validation.openAPIV3Schema.properties[spec].x-kubernetes-validations[0].rule: Invalid value: apiextensions.ValidationRule{Rule:\"self.foo > 0\""),
        "{errs:?}"
    );
    assert!(errs[0].contains("compilation failed: ERROR: <input>:1:5: undefined field 'foo'\n | self.foo > 0\n | ....^"), "{errs:?}");
    let errs = compile_errors(replicas(), json!([{"rule": "self.name.frobnicate()"}]));
    assert!(
        errs[0].contains("undeclared reference to 'frobnicate' (in container '')"),
        "{errs:?}"
    );
    let errs = compile_errors(replicas(), json!([{"rule": "quantity('1Gi').isInteger()"}]));
    assert!(
        errs[0].contains("undeclared reference to 'quantity'"),
        "{errs:?}"
    );
}

#[test]
fn compile_refuses_type_errors_and_non_bool_rules() {
    let errs = compile_errors(replicas(), json!([{"rule": "self.replicas > 'a'"}]));
    assert!(
        errs[0].contains("found no matching overload for '_>_' applied to '(int, string)'"),
        "{errs:?}"
    );
    let errs = compile_errors(replicas(), json!([{"rule": "self.replicas + 1"}]));
    assert!(
        errs[0].ends_with(": cel expression must evaluate to a bool"),
        "{errs:?}"
    );
    let errs = compile_errors(replicas(), json!([{"rule": "self.replicas >"}]));
    assert!(
        errs[0].contains("compilation failed: ERROR: <input>:1:"),
        "{errs:?}"
    );
    let errs = compile_errors(
        replicas(),
        json!([{"rule": "self.replicas > 1", "messageExpression": "self.replicas"}]),
    );
    assert!(
        errs[0].contains("messageExpression: Invalid value")
            && errs[0].ends_with("messageExpression must evaluate to a string"),
        "{errs:?}"
    );
}

#[test]
fn old_self_is_refused_where_values_cannot_be_correlated() {
    let s = parse_schema(&json!({"type": "object", "properties": {"spec": {"type": "object", "properties": {
        "list": {"type": "array", "items": {"type": "object", "properties": {"n": {"type": "integer"}},
            "x-kubernetes-validations": [{"rule": "self.n == oldSelf.n"}]}}}}}}))
    .unwrap();
    let errs = compile_rules(&s, &Path::new("s")).err().unwrap();
    assert_eq!(
        errs.iter().map(|e| e.to_string()).collect::<Vec<_>>(),
        vec![
            r#"s.properties[spec].properties[list].items.x-kubernetes-validations[0].rule: Invalid value: "self.n == oldSelf.n": oldSelf cannot be used on the uncorrelatable portion of the schema within s.properties[spec].properties[list]"#
        ]
    );
    let errs = compile_errors(
        replicas(),
        json!([{"rule": "self.replicas > 0", "optionalOldSelf": true}]),
    );
    assert!(
        errs[0].ends_with(
            "optionalOldSelf: Invalid value: true: may not be set if oldSelf is not used in rule"
        ),
        "{errs:?}"
    );
}

#[test]
fn escaped_property_names() {
    let s = schema_with_rules(
        json!({"x-y": {"type": "string"}, "namespace": {"type": "string"}}),
        json!([{"rule": "self.x__dash__y == self.__namespace__"}]),
    );
    assert!(compile_rules(&s, &Path::nil()).is_ok());
    assert!(run(&s, json!({"spec": {"x-y": "a", "namespace": "a"}}), None).is_empty());
}

#[test]
fn validator_is_shareable() {
    fn assert_send_sync<T: Send + Sync>() {}
    assert_send_sync::<CelValidator>();
}
