//! Table-driven apply scenarios over one custom resource schema: each case
//! is a sequence of applies and what the object or the conflicts must be.
mod common;

use capstan_ssa::{ManagedFields, Schema, apply};
use common::*;
use serde_json::{Value, json};

fn schema() -> Schema {
    Schema::custom_resource(
        &json!({"type": "object", "properties": {"spec": {"type": "object", "properties": {
            "a": {"type": "string"},
            "b": {"type": "integer"},
            "labels": {"type": "object", "additionalProperties": {"type": "string"}},
            "selector": {"type": "object", "x-kubernetes-map-type": "atomic", "additionalProperties": {"type": "string"}},
            "ports": {"type": "array", "x-kubernetes-list-type": "map", "x-kubernetes-list-map-keys": ["port", "protocol"],
                      "items": {"type": "object", "properties": {
                          "port": {"type": "integer"}, "protocol": {"type": "string", "default": "TCP"}, "name": {"type": "string"}}}},
            "tags": {"type": "array", "x-kubernetes-list-type": "set", "items": {"type": "string"}},
            "args": {"type": "array", "items": {"type": "string"}},
            "nested": {"type": "object", "properties": {"x": {"type": "string"}, "y": {"type": "string"}}}
        }}}}),
    )
}

/// One step: who applies which spec, with force, and the expected outcome:
/// the whole spec afterwards, or the conflicting `(manager, path)` pairs.
struct Step {
    manager: &'static str,
    spec: Value,
    force: bool,
    expect: Result<Value, Vec<(&'static str, &'static str)>>,
}

fn step(manager: &'static str, spec: Value, expect: Value) -> Step {
    Step {
        manager,
        spec,
        force: false,
        expect: Ok(expect),
    }
}

fn conflict(
    manager: &'static str,
    spec: Value,
    conflicts: Vec<(&'static str, &'static str)>,
) -> Step {
    Step {
        manager,
        spec,
        force: false,
        expect: Err(conflicts),
    }
}

fn forced(manager: &'static str, spec: Value, expect: Value) -> Step {
    Step {
        manager,
        spec,
        force: true,
        expect: Ok(expect),
    }
}

fn run_case(name: &str, steps: Vec<Step>) {
    let schema = schema();
    let context = ctx(&schema, "Thing", NOW, None);
    let mut live: Option<Value> = None;
    for (i, step) in steps.into_iter().enumerate() {
        let config = json!({"apiVersion": "example.com/v1", "kind": "Thing", "metadata": {"name": "t"}, "spec": step.spec});
        let managed = live
            .as_ref()
            .map(|l| ManagedFields::from_object(l).unwrap())
            .unwrap_or_default();
        let result = apply(
            live.as_ref(),
            &config,
            &managed,
            &applier(step.manager, "example.com/v1"),
            step.force,
            &context,
        );
        match (result, step.expect) {
            (Ok((object, _)), Ok(spec)) => {
                assert_eq!(object["spec"], spec, "{name}: step {i}");
                live = Some(object);
            }
            (Err(err), Err(expected)) => {
                let got: Vec<(String, String)> = conflicts(&err);
                let want: Vec<(String, String)> = expected
                    .iter()
                    .map(|(m, p)| (m.to_string(), p.to_string()))
                    .collect();
                assert_eq!(got, want, "{name}: step {i}");
            }
            (got, want) => panic!("{name}: step {i}: got {got:?}, want {want:?}"),
        }
    }
}

#[test]
fn apply_scenarios() {
    let cases: Vec<(&str, Vec<Step>)> = vec![
        (
            "scalars are shared when equal",
            vec![
                step("m1", json!({"a": "x"}), json!({"a": "x"})),
                step("m2", json!({"a": "x", "b": 1}), json!({"a": "x", "b": 1})),
                // m1 dropping "a" leaves it to m2.
                step("m1", json!({}), json!({"a": "x", "b": 1})),
                // m2 dropping it removes it.
                step("m2", json!({"b": 1}), json!({"b": 1})),
            ],
        ),
        (
            "changing another's scalar conflicts, force takes it",
            vec![
                step("m1", json!({"a": "x"}), json!({"a": "x"})),
                conflict("m2", json!({"a": "y"}), vec![("m1", ".spec.a")]),
                forced("m2", json!({"a": "y"}), json!({"a": "y"})),
                // m1 lost "a": dropping it now changes nothing.
                step("m1", json!({"b": 2}), json!({"a": "y", "b": 2})),
            ],
        ),
        (
            "granular maps merge by key",
            vec![
                step(
                    "m1",
                    json!({"labels": {"p": "1"}}),
                    json!({"labels": {"p": "1"}}),
                ),
                step(
                    "m2",
                    json!({"labels": {"q": "2"}}),
                    json!({"labels": {"p": "1", "q": "2"}}),
                ),
                conflict(
                    "m2",
                    json!({"labels": {"p": "3"}}),
                    vec![("m1", ".spec.labels.p")],
                ),
                step("m1", json!({}), json!({"labels": {"q": "2"}})),
                // m2 owns `.spec` itself (it applied an empty spec), yet upstream
                // nulls a map whose every entry is pruned, and nulls are pruned.
                step("m2", json!({}), Value::Null),
            ],
        ),
        (
            "atomic maps are owned whole",
            vec![
                step(
                    "m1",
                    json!({"selector": {"p": "1"}}),
                    json!({"selector": {"p": "1"}}),
                ),
                conflict(
                    "m2",
                    json!({"selector": {"q": "2"}}),
                    vec![("m1", ".spec.selector")],
                ),
                forced(
                    "m2",
                    json!({"selector": {"q": "2"}}),
                    json!({"selector": {"q": "2"}}),
                ),
            ],
        ),
        (
            "map lists merge by composite keys with defaults",
            vec![
                step(
                    "m1",
                    json!({"ports": [{"port": 80}]}),
                    json!({"ports": [{"port": 80}]}),
                ),
                step(
                    "m2",
                    json!({"ports": [{"port": 80, "protocol": "UDP"}]}),
                    json!({"ports": [{"port": 80}, {"port": 80, "protocol": "UDP"}]}),
                ),
                // Adding fields to m1's item is no conflict; changing its port would be.
                step(
                    "m2",
                    json!({"ports": [{"port": 80, "protocol": "TCP", "name": "http"}, {"port": 80, "protocol": "UDP"}]}),
                    json!({"ports": [{"name": "http", "port": 80, "protocol": "TCP"}, {"port": 80, "protocol": "UDP"}]}),
                ),
                conflict(
                    "m1",
                    json!({"ports": [{"port": 80, "name": "web"}]}),
                    vec![("m2", r#".spec.ports[port=80,protocol="TCP"].name"#)],
                ),
                // m2 dropping everything removes its UDP item and the fields it
                // added to m1's item (the defaulted key field included).
                step("m2", json!({}), json!({"ports": [{"port": 80}]})),
            ],
        ),
        (
            "sets union and drop only what the applier had",
            vec![
                step(
                    "m1",
                    json!({"tags": ["a", "b"]}),
                    json!({"tags": ["a", "b"]}),
                ),
                step(
                    "m2",
                    json!({"tags": ["b", "c"]}),
                    json!({"tags": ["a", "b", "c"]}),
                ),
                step("m1", json!({"tags": []}), json!({"tags": ["b", "c"]})),
            ],
        ),
        (
            "atomic lists are replaced and owned whole",
            vec![
                step(
                    "m1",
                    json!({"args": ["1", "2"]}),
                    json!({"args": ["1", "2"]}),
                ),
                step("m1", json!({"args": ["3"]}), json!({"args": ["3"]})),
                conflict("m2", json!({"args": ["4"]}), vec![("m1", ".spec.args")]),
                step("m2", json!({"args": ["3"]}), json!({"args": ["3"]})),
            ],
        ),
        (
            "structs merge by field and vanish when emptied",
            vec![
                step(
                    "m1",
                    json!({"nested": {"x": "1"}}),
                    json!({"nested": {"x": "1"}}),
                ),
                step(
                    "m2",
                    json!({"nested": {"y": "2"}}),
                    json!({"nested": {"x": "1", "y": "2"}}),
                ),
                step(
                    "m1",
                    json!({"a": "k"}),
                    json!({"a": "k", "nested": {"y": "2"}}),
                ),
                step("m2", json!({}), json!({"a": "k"})),
            ],
        ),
    ];
    for (name, steps) in cases {
        run_case(name, steps);
    }
}
