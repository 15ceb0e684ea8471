//! apps/v1 rows.

mod common;

use common::{DAY, HOUR, MINUTE, ago, assert_row, cells, column_names, wide_column_names};
use serde_json::{Value, json};

fn template() -> Value {
    json!({"metadata": {"labels": {"app": "web"}},
           "spec": {"containers": [{"name": "fake-container1", "image": "fake-image1"},
                                   {"name": "fake-container2", "image": "fake-image2"}]}})
}

#[test]
fn deployment_columns() {
    assert_eq!(
        column_names("apps", "deployments"),
        [
            "Name",
            "Ready",
            "Up-to-date",
            "Available",
            "Age",
            "Containers",
            "Images",
            "Selector"
        ]
    );
    assert_eq!(
        wide_column_names("apps", "deployments"),
        ["Containers", "Images", "Selector"]
    );
}

#[test]
fn deployment_row() {
    let d = json!({
        "metadata": {"name": "test1", "creationTimestamp": ago(-1)},
        "spec": {"replicas": 5, "selector": {"matchLabels": {"foo": "bar"}}, "template": template()},
        "status": {"replicas": 10, "updatedReplicas": 2, "availableReplicas": 1, "unavailableReplicas": 4}
    });
    assert_row(
        "apps",
        "deployments",
        &d,
        json!([
            "test1",
            "0/5",
            2,
            1,
            "0s",
            "fake-container1,fake-container2",
            "fake-image1,fake-image2",
            "foo=bar"
        ]),
    );
}

#[test]
fn deployment_selector_edge_cases() {
    let with_selector = |sel: Value| json!({"metadata": {"name": "d"}, "spec": {"replicas": 1, "selector": sel}, "status": {"readyReplicas": 1}});
    assert_eq!(
        cells("apps", "deployments", &with_selector(json!({})))[7],
        json!("")
    );
    let invalid = with_selector(json!({"matchExpressions": [{"key": "a", "operator": "Bogus"}]}));
    assert_eq!(
        cells("apps", "deployments", &invalid)[7],
        json!("<invalid>")
    );
    let expr = with_selector(
        json!({"matchLabels": {"app": "web"}, "matchExpressions": [{"key": "tier", "operator": "In", "values": ["b", "a"]}]}),
    );
    assert_eq!(cells("apps", "deployments", &expr)[1], json!("1/1"));
    assert_eq!(
        cells("apps", "deployments", &expr)[7],
        json!("app=web,tier in (a,b)")
    );
}

#[test]
fn replica_set_row() {
    assert_eq!(
        column_names("apps", "replicasets"),
        [
            "Name",
            "Desired",
            "Current",
            "Ready",
            "Age",
            "Containers",
            "Images",
            "Selector"
        ]
    );
    let rs = json!({
        "metadata": {"name": "web-5d8f", "creationTimestamp": ago(2 * HOUR + 5 * MINUTE)},
        "spec": {"replicas": 5, "selector": {"matchLabels": {"foo": "bar"}}, "template": template()},
        "status": {"replicas": 5, "readyReplicas": 2}
    });
    assert_row(
        "apps",
        "replicasets",
        &rs,
        json!([
            "web-5d8f",
            5,
            5,
            2,
            "125m",
            "fake-container1,fake-container2",
            "fake-image1,fake-image2",
            "foo=bar"
        ]),
    );
    let no_selector = json!({"metadata": {"name": "rs"}, "spec": {"replicas": 4}, "status": {"replicas": 3, "readyReplicas": 1}});
    assert_row(
        "apps",
        "replicasets",
        &no_selector,
        json!(["rs", 4, 3, 1, "<unknown>", "", "", "<none>"]),
    );
}

#[test]
fn stateful_set_row() {
    assert_eq!(
        column_names("apps", "statefulsets"),
        ["Name", "Ready", "Age", "Containers", "Images"]
    );
    let sts = json!({
        "metadata": {"name": "db", "creationTimestamp": ago(4 * HOUR + 30 * MINUTE)},
        "spec": {"replicas": 5, "serviceName": "db", "template": template()},
        "status": {"replicas": 5, "readyReplicas": 2}
    });
    assert_row(
        "apps",
        "statefulsets",
        &sts,
        json!([
            "db",
            "2/5",
            "4h30m",
            "fake-container1,fake-container2",
            "fake-image1,fake-image2"
        ]),
    );
}

#[test]
fn daemon_set_row() {
    assert_eq!(
        column_names("apps", "daemonsets"),
        [
            "Name",
            "Desired",
            "Current",
            "Ready",
            "Up-to-date",
            "Available",
            "Node Selector",
            "Age",
            "Containers",
            "Images",
            "Selector"
        ]
    );
    let mut tmpl = template();
    tmpl["spec"]["nodeSelector"] = json!({"kubernetes.io/os": "linux"});
    let ds = json!({
        "metadata": {"name": "kube-proxy", "creationTimestamp": ago(10 * DAY)},
        "spec": {"selector": {"matchLabels": {"foo": "bar"}}, "template": tmpl},
        "status": {"currentNumberScheduled": 2, "desiredNumberScheduled": 3, "numberReady": 1,
                   "updatedNumberScheduled": 2, "numberAvailable": 0}
    });
    assert_row(
        "apps",
        "daemonsets",
        &ds,
        json!([
            "kube-proxy",
            3,
            2,
            1,
            2,
            0,
            "kubernetes.io/os=linux",
            "10d",
            "fake-container1,fake-container2",
            "fake-image1,fake-image2",
            "foo=bar"
        ]),
    );
    let bare = json!({"metadata": {"name": "ds"}, "spec": {"template": {}}});
    assert_row(
        "apps",
        "daemonsets",
        &bare,
        json!(["ds", 0, 0, 0, 0, 0, "<none>", "<unknown>", "", "", "<none>"]),
    );
}

#[test]
fn controller_revision_rows() {
    assert_eq!(
        column_names("apps", "controllerrevisions"),
        ["Name", "Controller", "Revision", "Age"]
    );
    let rev = |owners: Value, revision: i64| json!({"metadata": {"name": "test", "creationTimestamp": ago(0), "ownerReferences": owners}, "revision": revision});
    let owned = rev(
        json!([{"controller": true, "apiVersion": "apps/v1", "kind": "DaemonSet", "name": "foo", "uid": "u"}]),
        1,
    );
    assert_row(
        "apps",
        "controllerrevisions",
        &owned,
        json!(["test", "daemonset.apps/foo", 1, "0s"]),
    );
    let not_controller = rev(
        json!([{"controller": false, "kind": "ABC", "name": "foo"}]),
        2,
    );
    assert_row(
        "apps",
        "controllerrevisions",
        &not_controller,
        json!(["test", "<none>", 2, "0s"]),
    );
    assert_row(
        "apps",
        "controllerrevisions",
        &rev(json!([]), 3),
        json!(["test", "<none>", 3, "0s"]),
    );
    let core_owner = rev(
        json!([{"controller": true, "apiVersion": "v1", "kind": "Pod", "name": "p"}]),
        4,
    );
    assert_eq!(
        cells("apps", "controllerrevisions", &core_owner)[1],
        json!("pod/p")
    );
}

#[test]
fn controller_revision_with_malformed_owner_api_version_fails() {
    let bad = json!({"metadata": {"name": "r", "ownerReferences": [
        {"controller": true, "apiVersion": "a/b/c", "kind": "StatefulSet", "name": "s"}]}});
    let err = capstan_printers::row_cells("apps", "controllerrevisions", &bad, common::now())
        .unwrap_err();
    assert_eq!(err.to_string(), "unexpected GroupVersion string: a/b/c");
}
