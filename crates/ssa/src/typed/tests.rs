use super::*;
use crate::schema::Schema;
use serde_json::json;

fn schema() -> Schema {
    Schema::custom_resource(&json!({"type": "object", "properties": {
        "spec": {"type": "object", "properties": {
            "name": {"type": "string"},
            "count": {"type": "integer"},
            "on": {"type": "boolean"},
            "labels": {"type": "object", "additionalProperties": {"type": "string"}},
            "items": {"type": "array", "x-kubernetes-list-type": "map", "x-kubernetes-list-map-keys": ["k"],
                      "items": {"type": "object", "properties": {"k": {"type": "string"}, "v": {"type": "string"}}}},
            "tags": {"type": "array", "x-kubernetes-list-type": "set", "items": {"type": "string"}},
            "args": {"type": "array", "items": {"type": "string"}},
            "sel": {"type": "object", "x-kubernetes-map-type": "atomic", "properties": {"a": {"type": "string"}}}
        }}
    }}))
}

fn paths(set: &FieldSet) -> Vec<String> {
    set.paths()
}

use crate::set::FieldSet;

#[test]
fn validation_messages_match_upstream() {
    let s = schema();
    let check = |v: Value| validate(&s.types, &v, s.root, false).to_string();
    assert_eq!(
        check(json!({"spec": {"name": 1}})),
        ".spec.name: expected string, got &value.valueUnstructured{Value:1}"
    );
    assert_eq!(
        check(json!({"spec": {"on": "yes"}})),
        ".spec.on: expected boolean, got &{yes}"
    );
    assert_eq!(
        check(json!({"spec": {"count": [1]}})),
        ".spec.count: expected numeric (int or float), got []interface {}"
    );
    assert_eq!(
        check(json!({"spec": {"items": [{"v": "x"}]}})),
        r#".spec.items: element 0: associative list with keys has an element that omits key field "k" (and doesn't have default value)"#
    );
    assert_eq!(
        check(json!({"spec": {"tags": [{"a": 1}]}})),
        ".spec.tags: element 0: associative list without keys has an element that's a map type"
    );
    assert_eq!(
        check(json!({"spec": {"tags": ["a", "a"]}})),
        r#".spec.tags: duplicate entries for key [="a"]"#
    );
    assert_eq!(check(json!({"spec": "x"})), ".spec: expected map, got &{x}");
    assert_eq!(
        check(json!({"spec": {"args": 1}})),
        ".spec.args: expected list, got &{1}"
    );
    assert_eq!(
        check(json!({"spec": {"x": 1, "y": 2}})),
        ".spec.x: field not declared in schema"
    );
    assert_eq!(
        check(json!({"spec": {"name": 1, "on": "no"}})),
        "errors:\n  .spec.name: expected string, got &value.valueUnstructured{Value:1}\n  .spec.on: expected boolean, got &{no}"
    );
    assert!(
        validate(
            &s.types,
            &json!({"spec": {"tags": ["a", "a"]}}),
            s.root,
            true
        )
        .is_empty()
    );
    assert!(
        validate(
            &s.types,
            &json!({"spec": {"name": null, "labels": null}}),
            s.root,
            false
        )
        .is_empty()
    );
}

#[test]
fn comparison_marks_leaves_and_new_containers() {
    let s = schema();
    let old = json!({"spec": {"name": "a", "count": 1, "labels": {"x": "1"}, "args": ["a"]}});
    let new = json!({"spec": {"name": "b", "labels": {"x": "1", "y": "2"}, "args": ["a"], "items": [{"k": "1", "v": "v"}]}});
    let c = compare(&s.types, &old, &new, s.root).unwrap();
    assert_eq!(paths(&c.modified), [".spec.name"]);
    assert_eq!(paths(&c.removed), [".spec.count"]);
    assert_eq!(
        paths(&c.added),
        [
            ".spec.items",
            ".spec.items[k=\"1\"]",
            ".spec.items[k=\"1\"].k",
            ".spec.items[k=\"1\"].v",
            ".spec.labels.y"
        ]
    );
    let same = compare(&s.types, &old, &old, s.root).unwrap();
    assert!(same.added.is_empty() && same.modified.is_empty() && same.removed.is_empty());
}

#[test]
fn comparison_of_duplicated_items() {
    let s = schema();
    let old = json!({"spec": {"tags": ["a", "a"]}});
    let new = json!({"spec": {"tags": ["a"]}});
    let c = compare(&s.types, &old, &new, s.root).unwrap();
    assert_eq!(paths(&c.removed), [".spec.tags[=\"a\"]"]);
    assert_eq!(paths(&c.added), [".spec.tags[=\"a\"]"]);
}

#[test]
fn merge_rules() {
    let s = schema();
    let live = json!({"spec": {"name": "a", "labels": {"x": "1"}, "sel": {"a": "1"}, "args": ["1", "2"],
        "items": [{"k": "1", "v": "a"}, {"k": "2", "v": "b"}], "tags": ["x"]}});
    let config = json!({"spec": {"labels": {"y": "2"}, "sel": {}, "args": ["3"],
        "items": [{"k": "2", "v": "c"}, {"k": "3"}], "tags": ["y"]}});
    let merged = merge(&s.types, &live, &config, s.root).unwrap();
    assert_eq!(
        merged,
        json!({"spec": {"name": "a", "labels": {"x": "1", "y": "2"}, "sel": {}, "args": ["3"],
        "items": [{"k": "1", "v": "a"}, {"k": "2", "v": "c"}, {"k": "3"}], "tags": ["x", "y"]}})
    );
    // A duplicated applied item is an error.
    let err = merge(
        &s.types,
        &live,
        &json!({"spec": {"tags": ["y", "y"]}}),
        s.root,
    )
    .unwrap_err();
    assert_eq!(
        err.to_string(),
        ".spec.tags: duplicate entries for key [=\"y\"]"
    );
}

#[test]
fn field_sets_own_leaves_items_and_entries() {
    let s = schema();
    let v = json!({"spec": {"name": "a", "labels": {"x": "1"}, "items": [{"k": "1"}], "tags": ["t", "t"],
        "args": [], "sel": {"a": "b"}, "count": null}});
    let set = to_field_set(&s.types, &v, s.root).unwrap();
    assert_eq!(
        paths(&set),
        [
            ".spec.args",
            ".spec.count",
            ".spec.name",
            ".spec.sel",
            ".spec.items[k=\"1\"]",
            ".spec.items[k=\"1\"].k",
            ".spec.labels.x",
            ".spec.tags[=\"t\"]"
        ]
    );
    let named = ensure_named_fields_are_members(&s.types, &set, Some(s.root));
    assert!(named.has(&[PathElement::field("spec")]));
    assert!(named.has(&[PathElement::field("spec"), PathElement::field("labels")]));
    assert!(named.has(&[PathElement::field("spec"), PathElement::field("items")]));
}

#[test]
fn removal_drops_members_and_emptied_maps() {
    let s = schema();
    let v = json!({"spec": {"name": "a", "labels": {"x": "1"}, "items": [{"k": "1", "v": "a"}, {"k": "2"}]}});
    let mut remove = FieldSet::new();
    remove.insert(&[
        PathElement::field("spec"),
        PathElement::field("labels"),
        PathElement::field("x"),
    ]);
    remove.insert(&[
        PathElement::field("spec"),
        PathElement::field("items"),
        PathElement::key(vec![("k".into(), json!("2"))]),
    ]);
    remove.insert(&[
        PathElement::field("spec"),
        PathElement::field("items"),
        PathElement::key(vec![("k".into(), json!("1"))]),
        PathElement::field("v"),
    ]);
    let out = remove_items(&s.types, &v, &remove, s.root).unwrap();
    assert_eq!(out, json!({"spec": {"name": "a", "items": [{"k": "1"}]}}));
}

#[test]
fn reconcile_collapses_children_of_atomic_fields() {
    let s = schema();
    let mut set = FieldSet::new();
    set.insert(&[
        PathElement::field("spec"),
        PathElement::field("sel"),
        PathElement::field("a"),
    ]);
    set.insert(&[
        PathElement::field("spec"),
        PathElement::field("args"),
        PathElement::Index(0),
    ]);
    set.insert(&[PathElement::field("spec"), PathElement::field("name")]);
    let out = reconcile_field_set(&s.types, &set, s.root).unwrap();
    assert_eq!(paths(&out), [".spec.args", ".spec.name", ".spec.sel"]);
    let clean = to_field_set(&s.types, &json!({"spec": {"sel": {"a": "b"}}}), s.root).unwrap();
    assert!(reconcile_field_set(&s.types, &clean, s.root).is_none());
}
