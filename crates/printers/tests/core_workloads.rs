//! Core rows other than pods, services, nodes, volumes and events.

mod common;

use common::{DAY, MINUTE, ago, assert_row, column_names, wide_column_names};
use serde_json::json;

fn meta(name: &str, age_secs: i64) -> serde_json::Value {
    json!({"name": name, "namespace": "default", "creationTimestamp": ago(age_secs)})
}

#[test]
fn pod_templates() {
    assert_eq!(
        column_names("", "podtemplates"),
        ["Name", "Containers", "Images", "Pod Labels"]
    );
    let empty =
        json!({"metadata": meta("pod-template-1", 0), "template": {"spec": {"containers": []}}});
    assert_row(
        "",
        "podtemplates",
        &empty,
        json!(["pod-template-1", "", "", "<none>"]),
    );
    let full = json!({
        "metadata": meta("pod-template-2", 0),
        "template": {
            "metadata": {"labels": {"foo": "bar", "app": "x"}},
            "spec": {"containers": [{"name": "fake-container1", "image": "fake-image1"},
                                    {"name": "fake-container2", "image": "fake-image2"}]}
        }
    });
    assert_row(
        "",
        "podtemplates",
        &full,
        json!([
            "pod-template-2",
            "fake-container1,fake-container2",
            "fake-image1,fake-image2",
            "app=x,foo=bar"
        ]),
    );
}

#[test]
fn replication_controllers() {
    assert_eq!(
        wide_column_names("", "replicationcontrollers"),
        ["Containers", "Images", "Selector"]
    );
    let rc = json!({
        "metadata": meta("rc1", 3 * DAY),
        "spec": {"replicas": 5, "selector": {"a": "b"},
                 "template": {"metadata": {"labels": {"a": "b"}},
                              "spec": {"containers": [{"name": "test", "image": "test_image"}]}}},
        "status": {"replicas": 3, "readyReplicas": 1}
    });
    assert_row(
        "",
        "replicationcontrollers",
        &rc,
        json!(["rc1", 5, 3, 1, "3d", "test", "test_image", "a=b"]),
    );
    let bare = json!({"metadata": {"name": ""}, "spec": {"replicas": 0}});
    assert_row(
        "",
        "replicationcontrollers",
        &bare,
        json!(["", 0, 0, 0, "<unknown>", "", "", "<none>"]),
    );
}

#[test]
fn namespaces() {
    assert_eq!(column_names("", "namespaces"), ["Name", "Status", "Age"]);
    let ns = json!({"metadata": {"name": "kube-system", "creationTimestamp": ago(40 * DAY)}, "status": {"phase": "Active"}});
    assert_row(
        "",
        "namespaces",
        &ns,
        json!(["kube-system", "Active", "40d"]),
    );
    let bare = json!({"metadata": {"name": "namespace2"}});
    assert_row(
        "",
        "namespaces",
        &bare,
        json!(["namespace2", "", "<unknown>"]),
    );
}

#[test]
fn config_maps_count_data_and_binary_data() {
    let cm = |data: serde_json::Value| {
        let mut v = json!({"metadata": meta("configmap1", 90)});
        v.as_object_mut()
            .unwrap()
            .extend(data.as_object().unwrap().clone());
        v
    };
    assert_row(
        "",
        "configmaps",
        &cm(json!({})),
        json!(["configmap1", 0, "90s"]),
    );
    assert_row(
        "",
        "configmaps",
        &cm(json!({"data": {"foo": "bar"}})),
        json!(["configmap1", 1, "90s"]),
    );
    assert_row(
        "",
        "configmaps",
        &cm(json!({"data": {"foo": "bar"}, "binaryData": {"bin": "YmluYXJ5"}})),
        json!(["configmap1", 2, "90s"]),
    );
}

#[test]
fn secrets() {
    assert_eq!(column_names("", "secrets"), ["Name", "Type", "Data", "Age"]);
    let s = json!({"metadata": meta("secret1", 10 * MINUTE), "type": "kubernetes.io/service-account-token",
                   "data": {"token": "c2VjcmV0", "ca.crt": "Y2E="}});
    assert_row(
        "",
        "secrets",
        &s,
        json!(["secret1", "kubernetes.io/service-account-token", 2, "10m"]),
    );
    let empty = json!({"metadata": meta("secret2", 10 * MINUTE), "type": "Opaque"});
    assert_row(
        "",
        "secrets",
        &empty,
        json!(["secret2", "Opaque", 0, "10m"]),
    );
}

#[test]
fn service_accounts() {
    let sa =
        json!({"metadata": meta("sa1", 0), "secrets": [{"name": "Secret1"}, {"name": "Secret2"}]});
    assert_row("", "serviceaccounts", &sa, json!(["sa1", 2, "0s"]));
    let none = json!({"metadata": meta("default", 0)});
    assert_row("", "serviceaccounts", &none, json!(["default", 0, "0s"]));
}

#[test]
fn component_statuses() {
    assert_eq!(
        column_names("", "componentstatuses"),
        ["Name", "Status", "Message", "Error"]
    );
    let cs = |conditions: serde_json::Value| json!({"metadata": {"name": "etcd-0"}, "conditions": conditions});
    assert_row(
        "",
        "componentstatuses",
        &cs(json!([])),
        json!(["etcd-0", "Unknown", "", ""]),
    );
    assert_row(
        "",
        "componentstatuses",
        &cs(json!([{"type": "Healthy", "status": "True", "message": "ok"}])),
        json!(["etcd-0", "Healthy", "ok", ""]),
    );
    assert_row(
        "",
        "componentstatuses",
        &cs(
            json!([{"type": "Healthy", "status": "False", "message": "test message", "error": "test error"}]),
        ),
        json!(["etcd-0", "Unhealthy", "test message", "test error"]),
    );
}

#[test]
fn resource_quotas_split_requests_and_limits() {
    assert_eq!(
        column_names("", "resourcequotas"),
        ["Name", "Request", "Limit", "Age"]
    );
    let quota = json!({
        "metadata": meta("test-resourcequota", 5 * MINUTE),
        "status": {
            "used": {"cpu": "1", "memory": "1Gi", "pods": "1", "services": "1",
                     "replicationcontrollers": "1", "resourcequotas": "1",
                     "limits.cpu": "2", "limits.memory": "2Gi"},
            "hard": {"cpu": "100", "memory": "4Gi", "pods": "10", "services": "10",
                     "replicationcontrollers": "10", "resourcequotas": "1",
                     "limits.cpu": "200", "limits.memory": "8Gi"}
        }
    });
    assert_row(
        "",
        "resourcequotas",
        &quota,
        json!([
            "test-resourcequota",
            "cpu: 1/100, memory: 1Gi/4Gi, pods: 1/10, replicationcontrollers: 1/10, resourcequotas: 1/1, services: 1/10",
            "limits.cpu: 2/200, limits.memory: 2Gi/8Gi",
            "5m"
        ]),
    );
}

#[test]
fn resource_quota_quantities_are_canonical_and_missing_usage_is_zero() {
    let quota = json!({
        "metadata": meta("q", 0),
        "status": {"hard": {"requests.memory": "1.5Gi", "requests.cpu": "1000m", "count/jobs.batch": "5"},
                   "used": {"requests.cpu": "500m"}}
    });
    assert_row(
        "",
        "resourcequotas",
        &quota,
        json!([
            "q",
            "count/jobs.batch: 0/5, requests.cpu: 500m/1, requests.memory: 0/1536Mi",
            "",
            "0s"
        ]),
    );
}

#[test]
fn limit_ranges_use_the_default_table() {
    assert!(capstan_printers::columns("", "limitranges").is_none());
    let lr = json!({"metadata": {"name": "limits", "creationTimestamp": "2024-05-01T10:00:00Z"}});
    assert_row(
        "",
        "limitranges",
        &lr,
        json!(["limits", "2024-05-01T10:00:00Z"]),
    );
}
