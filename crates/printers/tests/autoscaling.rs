//! HorizontalPodAutoscaler rows (autoscaling/v2 and autoscaling/v1 objects).

mod common;

use common::{ago, assert_row, cells, column_names};
use serde_json::{Value, json};

fn hpa(metrics: Value, current: Value) -> Value {
    json!({
        "apiVersion": "autoscaling/v2", "kind": "HorizontalPodAutoscaler",
        "metadata": {"name": "some-hpa", "creationTimestamp": ago(90)},
        "spec": {"scaleTargetRef": {"apiVersion": "v1", "kind": "ReplicationController", "name": "some-rc"},
                 "minReplicas": 2, "maxReplicas": 10, "metrics": metrics},
        "status": {"currentReplicas": 4, "desiredReplicas": 5, "currentMetrics": current}
    })
}

fn targets(metrics: Value, current: Value) -> Value {
    cells(
        "autoscaling",
        "horizontalpodautoscalers",
        &hpa(metrics, current),
    )[2]
    .clone()
}

#[test]
fn columns_and_full_row() {
    assert_eq!(
        column_names("autoscaling", "horizontalpodautoscalers"),
        [
            "Name",
            "Reference",
            "Targets",
            "MinPods",
            "MaxPods",
            "Replicas",
            "Age"
        ]
    );
    let h = hpa(
        json!([{"type": "Resource", "resource": {"name": "cpu", "target": {"type": "Utilization", "averageUtilization": 80}}}]),
        json!([{"type": "Resource", "resource": {"name": "cpu", "current": {"averageUtilization": 50, "averageValue": "40m"}}}]),
    );
    assert_row(
        "autoscaling",
        "horizontalpodautoscalers",
        &h,
        json!([
            "some-hpa",
            "ReplicationController/some-rc",
            "cpu: 50%/80%",
            "2",
            10,
            4,
            "90s"
        ]),
    );
}

#[test]
fn no_metrics_and_unset_min() {
    let mut h = hpa(json!([]), json!([]));
    h["spec"].as_object_mut().unwrap().remove("minReplicas");
    let row = cells("autoscaling", "horizontalpodautoscalers", &h);
    assert_eq!(row[2..4], [json!("<none>"), json!("<unset>")]);
}

#[test]
fn external_and_object_metrics() {
    let ext = |target: Value| json!([{"type": "External", "external": {"metric": {"name": "queue"}, "target": target}}]);
    let avg = json!({"type": "AverageValue", "averageValue": "100m"});
    let val = json!({"type": "Value", "value": "100m"});
    assert_eq!(
        targets(ext(avg.clone()), json!([])),
        json!("<unknown>/100m (avg)")
    );
    assert_eq!(
        targets(
            ext(avg),
            json!([{"type": "External", "external": {"current": {"averageValue": "50m"}}}])
        ),
        json!("50m/100m (avg)")
    );
    assert_eq!(
        targets(ext(val.clone()), json!([])),
        json!("<unknown>/100m")
    );
    assert_eq!(
        targets(
            ext(val.clone()),
            json!([{"type": "External", "external": {"current": {"value": "50m"}}}])
        ),
        json!("50m/100m")
    );
    let obj = json!([{"type": "Object", "object": {"describedObject": {"kind": "Service", "name": "s"},
                                                   "metric": {"name": "rps"}, "target": val}}]);
    assert_eq!(targets(obj.clone(), json!([])), json!("<unknown>/100m"));
    assert_eq!(
        targets(
            obj,
            json!([{"type": "Object", "object": {"current": {"value": "50m"}}}])
        ),
        json!("50m/100m")
    );
}

#[test]
fn pods_and_resource_value_metrics() {
    let pods = json!([{"type": "Pods", "pods": {"metric": {"name": "qps"}, "target": {"type": "AverageValue", "averageValue": "100m"}}}]);
    assert_eq!(targets(pods.clone(), json!([])), json!("<unknown>/100m"));
    assert_eq!(
        targets(
            pods,
            json!([{"type": "Pods", "pods": {"current": {"averageValue": "50m"}}}])
        ),
        json!("50m/100m")
    );
    let res = json!([{"type": "Resource", "resource": {"name": "memory", "target": {"type": "AverageValue", "averageValue": "1Gi"}}}]);
    assert_eq!(
        targets(res.clone(), json!([])),
        json!("memory: <unknown>/1Gi")
    );
    assert_eq!(
        targets(
            res,
            json!([{"type": "Resource", "resource": {"name": "memory", "current": {"averageValue": "524288Ki"}}}])
        ),
        json!("memory: 512Mi/1Gi")
    );
}

#[test]
fn container_resource_metrics() {
    let util = json!([{"type": "ContainerResource", "containerResource": {"name": "cpu", "container": "app",
                        "target": {"type": "Utilization", "averageUtilization": 80}}}]);
    assert_eq!(
        targets(util.clone(), json!([])),
        json!("cpu: <unknown>/80%")
    );
    assert_eq!(
        targets(
            util,
            json!([{"type": "ContainerResource", "containerResource": {"name": "cpu", "container": "app",
                               "current": {"averageUtilization": 50}}}])
        ),
        json!("cpu: 50%/80%")
    );
    let value = json!([{"type": "ContainerResource", "containerResource": {"name": "cpu", "container": "app",
                         "target": {"type": "AverageValue", "averageValue": "100m"}}}]);
    assert_eq!(targets(value, json!([])), json!("cpu: <unknown>/100m"));
    let auto = json!([{"type": "Resource", "resource": {"name": "cpu", "target": {"type": "Utilization"}}}]);
    assert_eq!(targets(auto, json!([])), json!("cpu: <unknown>/<auto>"));
}

#[test]
fn more_than_two_metrics_are_elided() {
    let specs = json!([
        {"type": "Pods", "pods": {"metric": {"name": "a"}, "target": {"type": "AverageValue", "averageValue": "100m"}}},
        {"type": "Resource", "resource": {"name": "cpu", "target": {"type": "Utilization", "averageUtilization": 80}}},
        {"type": "Pods", "pods": {"metric": {"name": "b"}, "target": {"type": "AverageValue", "averageValue": "400m"}}}
    ]);
    let current = json!([
        {"type": "Pods", "pods": {"current": {"averageValue": "50m"}}},
        {"type": "Resource", "resource": {"name": "cpu", "current": {"averageUtilization": 50, "averageValue": "40m"}}}
    ]);
    assert_eq!(
        targets(specs, current),
        json!("50m/100m, cpu: 50%/80% + 1 more...")
    );
    assert_eq!(
        targets(json!([{"type": "Bogus"}]), json!([])),
        json!("<unknown type>")
    );
}

#[test]
fn v1_objects_use_the_cpu_percentage_fields() {
    let v1 = |target: Option<i64>, current: Option<i64>| {
        let mut h = json!({
            "apiVersion": "autoscaling/v1", "kind": "HorizontalPodAutoscaler",
            "metadata": {"name": "web", "creationTimestamp": ago(120)},
            "spec": {"scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": "web"},
                     "minReplicas": 1, "maxReplicas": 5},
            "status": {"currentReplicas": 2, "desiredReplicas": 2}
        });
        if let Some(t) = target {
            h["spec"]["targetCPUUtilizationPercentage"] = json!(t);
        }
        if let Some(c) = current {
            h["status"]["currentCPUUtilizationPercentage"] = json!(c);
        }
        h
    };
    assert_row(
        "autoscaling",
        "horizontalpodautoscalers",
        &v1(Some(50), Some(12)),
        json!(["web", "Deployment/web", "cpu: 12%/50%", "1", 5, 2, "2m"]),
    );
    assert_eq!(
        cells(
            "autoscaling",
            "horizontalpodautoscalers",
            &v1(Some(50), None)
        )[2],
        json!("cpu: <unknown>/50%")
    );
    assert_eq!(
        cells("autoscaling", "horizontalpodautoscalers", &v1(None, None))[2],
        json!("<none>")
    );
}
