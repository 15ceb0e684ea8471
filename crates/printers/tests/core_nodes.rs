//! Node rows: STATUS, ROLES, VERSION and the wide address/info columns.

mod common;

use common::{DAY, ago, assert_row, cells, column_names, wide_column_names};
use serde_json::{Value, json};

fn node(labels: Value, spec: Value, status: Value) -> Value {
    json!({"metadata": {"name": "node-1", "labels": labels, "creationTimestamp": ago(12 * DAY)},
           "spec": spec, "status": status})
}

fn ready(status: &str) -> Value {
    json!([{"type": "MemoryPressure", "status": "False"}, {"type": "Ready", "status": status}])
}

#[test]
fn columns_match_upstream() {
    assert_eq!(
        column_names("", "nodes"),
        [
            "Name",
            "Status",
            "Roles",
            "Age",
            "Version",
            "Internal-IP",
            "External-IP",
            "OS-Image",
            "Kernel-Version",
            "Container-Runtime"
        ]
    );
    assert_eq!(wide_column_names("", "nodes").len(), 5);
}

#[test]
fn realistic_control_plane_node() {
    let n = node(
        json!({"kubernetes.io/hostname": "node-1", "node-role.kubernetes.io/control-plane": ""}),
        json!({}),
        json!({
            "conditions": ready("True"),
            "addresses": [{"type": "InternalIP", "address": "172.18.0.2"}, {"type": "Hostname", "address": "node-1"}],
            "nodeInfo": {"kubeletVersion": "v1.33.0", "osImage": "Debian GNU/Linux 12 (bookworm)",
                         "kernelVersion": "6.1.0-18-amd64", "containerRuntimeVersion": "containerd://1.7.13"}
        }),
    );
    assert_row(
        "",
        "nodes",
        &n,
        json!([
            "node-1",
            "Ready",
            "control-plane",
            "12d",
            "v1.33.0",
            "172.18.0.2",
            "<none>",
            "Debian GNU/Linux 12 (bookworm)",
            "6.1.0-18-amd64",
            "containerd://1.7.13"
        ]),
    );
}

#[test]
fn status_from_ready_condition_and_unschedulable() {
    let status = |spec: Value, conditions: Value| {
        cells(
            "",
            "nodes",
            &node(json!({}), spec, json!({"conditions": conditions})),
        )[1]
        .clone()
    };
    assert_eq!(status(json!({}), ready("True")), json!("Ready"));
    assert_eq!(
        status(json!({"unschedulable": true}), ready("True")),
        json!("Ready,SchedulingDisabled")
    );
    assert_eq!(status(json!({}), ready("False")), json!("NotReady"));
    assert_eq!(status(json!({}), ready("Unknown")), json!("NotReady"));
    assert_eq!(
        status(json!({"unschedulable": true}), ready("False")),
        json!("NotReady,SchedulingDisabled")
    );
    assert_eq!(
        status(
            json!({}),
            json!([{"type": "InvalidValue", "status": "True"}])
        ),
        json!("Unknown")
    );
    assert_eq!(status(json!({}), json!([{}])), json!("Unknown"));
    assert_eq!(
        status(json!({"unschedulable": true}), json!([])),
        json!("Unknown,SchedulingDisabled")
    );
    assert_eq!(
        status(
            json!({}),
            json!([{"type": "Ready", "status": "True"}, {"type": "Ready", "status": "True"}])
        ),
        json!("Ready")
    );
}

#[test]
fn roles_from_labels() {
    let roles = |labels: Value| cells("", "nodes", &node(labels, json!({}), json!({})))[2].clone();
    assert_eq!(roles(json!({})), json!("<none>"));
    assert_eq!(
        roles(
            json!({"node-role.kubernetes.io/master": "", "node-role.kubernetes.io/control-plane": "",
                     "node-role.kubernetes.io/proxy": "", "kubernetes.io/role": "node"})
        ),
        json!("control-plane,master,node,proxy")
    );
    assert_eq!(roles(json!({"kubernetes.io/role": "node"})), json!("node"));
    assert_eq!(
        roles(json!({"node-role.kubernetes.io/": "", "kubernetes.io/role": ""})),
        json!("<none>")
    );
}

#[test]
fn addresses_pick_the_first_of_each_type() {
    let n = node(
        json!({}),
        json!({}),
        json!({"addresses": [
            {"type": "ExternalIP", "address": "2.2.2.2"},
            {"type": "InternalIP", "address": "3.3.3.3"},
            {"type": "ExternalIP", "address": "4.4.4.4"}
        ]}),
    );
    assert_row(
        "",
        "nodes",
        &n,
        json!([
            "node-1",
            "Unknown",
            "<none>",
            "12d",
            "",
            "3.3.3.3",
            "2.2.2.2",
            "<unknown>",
            "<unknown>",
            "<unknown>"
        ]),
    );
}
