use super::*;
use serde_json::json;

use crate::builtin::core::testutil::{from_json, strings};

#[test]
fn taints() {
    let taints: Vec<Taint> = from_json(json!([
        {"key": "a", "value": "1", "effect": "NoSchedule"},
        {"key": "a", "value": "2", "effect": "NoSchedule"},
        {"key": "b", "effect": "Sometimes"},
        {"key": "c", "effect": ""}
    ]));
    assert_eq!(
        strings(&validate_taints(
            &taints,
            &Path::new("metadata").child("taints")
        )),
        vec![
            "metadata.taints[1]: Duplicate value: core.Taint{Key:\"a\", Value:\"2\", Effect:\"NoSchedule\", TimeAdded:(*v1.Time)(nil)}: taints must be unique by key and effect pair",
            "metadata.taints[2].effect: Unsupported value: \"Sometimes\": supported values: \"NoSchedule\", \"PreferNoSchedule\", \"NoExecute\"",
            "metadata.taints[3].effect: Required value",
        ]
    );
}

#[test]
fn tolerations() {
    let t: Vec<Toleration> =
        from_json(json!([{"operator": "Equal", "value": "x"}, {"key": "k", "operator": "Within"}]));
    assert_eq!(
        strings(&validate_tolerations(&t, &Path::new("t"))),
        vec![
            "t[0].operator: Invalid value: \"Equal\": operator must be Exists when `key` is empty, which means \"match all values and all keys\"",
            "t[1].operator: Unsupported value: \"Within\": supported values: \"Equal\", \"Exists\"",
        ]
    );
}

#[test]
fn node_selector_requirements() {
    let term: NodeSelectorTerm = from_json(json!({"matchExpressions": [
        {"key": "a", "operator": "In"},
        {"key": "b", "operator": "Gt", "values": ["1", "2"]},
        {"key": "c", "operator": "Exists", "values": ["x"]},
        {"key": "d", "operator": "Near"}
    ], "matchFields": [{"key": "spec.nodeName", "operator": "In", "values": ["n"]}]}));
    assert_eq!(
        strings(&validate_node_selector_term(&term, false, &Path::new("t"))),
        vec![
            "t.matchExpressions[0].values: Required value: must be specified when `operator` is 'In' or 'NotIn'",
            "t.matchExpressions[1].values: Required value: must be specified single value when `operator` is 'Lt' or 'Gt'",
            "t.matchExpressions[2].values: Forbidden: may not be specified when `operator` is 'Exists' or 'DoesNotExist'",
            "t.matchExpressions[3].operator: Invalid value: \"Near\": not a valid selector operator",
            "t.matchFields[0].key: Invalid value: \"spec.nodeName\": not a valid field selector key",
        ]
    );
}

#[test]
fn spread_constraints() {
    let c: Vec<TopologySpreadConstraint> = from_json(json!([
        {"maxSkew": 1, "topologyKey": "zone", "whenUnsatisfiable": "ScheduleAnyway", "minDomains": 2},
        {"maxSkew": 1, "topologyKey": "zone", "whenUnsatisfiable": "ScheduleAnyway"},
        {"maxSkew": 1, "topologyKey": "", "whenUnsatisfiable": "Never", "matchLabelKeys": ["app"]}
    ]));
    assert_eq!(
        strings(&validate_topology_spread(&c, &Path::new("c"))),
        vec![
            "c[0].{topologyKey, whenUnsatisfiable}: Duplicate value: \"{zone, ScheduleAnyway}\"",
            "c[0].minDomains: Invalid value: 2: can only use minDomains if whenUnsatisfiable=DoNotSchedule, not ScheduleAnyway",
            "c[2].topologyKey: Required value: can not be empty",
            "c[2].whenUnsatisfiable: Unsupported value: \"Never\": supported values: \"DoNotSchedule\", \"ScheduleAnyway\"",
            "c[2].matchLabelKeys: Forbidden: must not be specified when labelSelector is not set",
        ]
    );
}

#[test]
fn weights() {
    let a: Affinity = from_json(
        json!({"podAffinity": {"preferredDuringSchedulingIgnoredDuringExecution": [
        {"weight": 0, "podAffinityTerm": {"topologyKey": "zone"}}]}}),
    );
    assert_eq!(
        strings(&validate_affinity(&a, &Path::new("affinity"))),
        vec![
            "affinity.podAffinity.preferredDuringSchedulingIgnoredDuringExecution[0].weight: Invalid value: 0: must be in the range 1-100"
        ]
    );
}
