use serde_json::{Value, json};

use super::*;
use crate::builtin::apps::testing::{create, create_errors, update};

fn hpa() -> Value {
    json!({
        "metadata": {"name": "web", "namespace": "default"},
        "spec": {
            "scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": "web"},
            "maxReplicas": 5
        }
    })
}

fn errors(obj: Value) -> Vec<String> {
    create_errors::<HorizontalPodAutoscaler, _>(HpaStrategy, obj)
}

#[test]
fn defaults() {
    let h = create::<HorizontalPodAutoscaler, _>(HpaStrategy, hpa()).unwrap();
    assert_eq!(h["spec"]["minReplicas"], 1);
    assert_eq!(
        h["spec"]["metrics"],
        json!([{"type": "Resource", "resource": {"name": "cpu",
            "target": {"type": "Utilization", "averageUtilization": 80}}}])
    );
    assert!(h["spec"].get("behavior").is_none());

    let mut with_behavior = hpa();
    with_behavior["spec"]["behavior"] = json!({"scaleDown": {"stabilizationWindowSeconds": 60}});
    let h = create::<HorizontalPodAutoscaler, _>(HpaStrategy, with_behavior).unwrap();
    assert_eq!(
        h["spec"]["behavior"],
        json!({
            "scaleUp": {"stabilizationWindowSeconds": 0, "selectPolicy": "Max", "policies": [
                {"type": "Pods", "value": 4, "periodSeconds": 15},
                {"type": "Percent", "value": 100, "periodSeconds": 15}]},
            "scaleDown": {"stabilizationWindowSeconds": 60, "selectPolicy": "Max", "policies": [
                {"type": "Percent", "value": 100, "periodSeconds": 15}]}
        })
    );
}

#[test]
fn replica_bounds_and_target() {
    let mut h = hpa();
    h["spec"]["minReplicas"] = json!(0);
    h["spec"]["maxReplicas"] = json!(0);
    h["spec"]["scaleTargetRef"] = json!({"kind": "", "name": ""});
    assert_eq!(
        errors(h),
        vec![
            "spec.minReplicas: Invalid value: 0: must be greater than or equal to 1",
            "spec.maxReplicas: Invalid value: 0: must be greater than 0",
            "spec.scaleTargetRef.kind: Required value",
            "spec.scaleTargetRef.name: Required value",
            "spec.metrics: Forbidden: must specify at least one Object or External metric to support scaling to zero replicas",
        ]
    );
}

#[test]
fn metric_shapes() {
    let mut h = hpa();
    h["spec"]["metrics"] = json!([
        {"type": "Pods", "resource": {"name": "cpu", "target": {"type": "Utilization", "averageUtilization": 50}}},
        {"type": "Resource", "resource": {"name": "", "target": {"type": "Percent", "averageValue": "-1"}}},
        {"type": "External", "external": {"metric": {"name": "queue"}, "target": {"type": "Value"}}}
    ]);
    assert_eq!(
        errors(h),
        vec![
            "spec.metrics[0].pods: Required value: must populate information for the given metric source",
            "spec.metrics[1].resource.name: Required value: must specify a resource name",
            r#"spec.metrics[1].resource.target.type: Invalid value: "Percent": must be either Utilization, Value, or AverageValue"#,
            "spec.metrics[1].resource.target.averageValue: Invalid value: -1: must be positive",
            "spec.metrics[2].external.target.averageValue: Required value: must set either a target value for metric or a per-pod target",
        ]
    );
}

#[test]
fn behavior_rules() {
    let mut h = hpa();
    h["spec"]["behavior"] = json!({"scaleUp": {"selectPolicy": "Most", "stabilizationWindowSeconds": 4000,
        "policies": [{"type": "Nodes", "value": 0, "periodSeconds": 2000}]}});
    assert_eq!(
        errors(h),
        vec![
            "spec.behavior.scaleUp.stabilizationWindowSeconds: Invalid value: 4000: must be less than or equal to 3600",
            r#"spec.behavior.scaleUp.selectPolicy: Unsupported value: "Most": supported values: "Disabled", "Max", "Min""#,
            r#"spec.behavior.scaleUp.policies[0].type: Unsupported value: "Nodes": supported values: "Percent", "Pods""#,
            "spec.behavior.scaleUp.policies[0].value: Invalid value: 0: must be greater than zero",
            "spec.behavior.scaleUp.policies[0].periodSeconds: Invalid value: 2000: must be less than or equal to 1800",
        ]
    );
}

#[test]
fn scale_to_zero_kept_on_update() {
    let old = create::<HorizontalPodAutoscaler, _>(HpaStrategy, hpa()).unwrap();
    let mut zero = old.clone();
    zero["spec"]["minReplicas"] = json!(0);
    assert!(update::<HorizontalPodAutoscaler, _>(HpaStrategy, zero.clone(), &old).is_err());
    let mut stored = zero.clone();
    stored["spec"]["metrics"] = json!([{"type": "External", "external": {"metric": {"name": "q"},
        "target": {"type": "Value", "value": "1"}}}]);
    let mut again = stored.clone();
    again["spec"]["maxReplicas"] = json!(6);
    assert!(update::<HorizontalPodAutoscaler, _>(HpaStrategy, again, &stored).is_ok());
}
