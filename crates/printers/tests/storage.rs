//! storage.k8s.io/v1 rows.

mod common;

use common::{MINUTE, ago, assert_row, cells, column_names};
use serde_json::{Value, json};

fn meta(name: &str) -> Value {
    json!({"name": name, "creationTimestamp": ago(5 * MINUTE)})
}

#[test]
fn storage_classes() {
    assert_eq!(
        column_names("storage.k8s.io", "storageclasses"),
        [
            "Name",
            "Provisioner",
            "ReclaimPolicy",
            "VolumeBindingMode",
            "AllowVolumeExpansion",
            "Age"
        ]
    );
    let bare = json!({"metadata": meta("sc1"), "provisioner": "kubernetes.io/glusterfs"});
    assert_row(
        "storage.k8s.io",
        "storageclasses",
        &bare,
        json!([
            "sc1",
            "kubernetes.io/glusterfs",
            "Delete",
            "Immediate",
            false,
            "5m"
        ]),
    );
    let full = json!({"metadata": meta("sc6"), "provisioner": "kubernetes.io/nfs", "reclaimPolicy": "Retain",
                      "volumeBindingMode": "WaitForFirstConsumer", "allowVolumeExpansion": true});
    assert_row(
        "storage.k8s.io",
        "storageclasses",
        &full,
        json!([
            "sc6",
            "kubernetes.io/nfs",
            "Retain",
            "WaitForFirstConsumer",
            true,
            "5m"
        ]),
    );
}

#[test]
fn default_storage_class_is_marked_in_the_name() {
    for annotation in [
        "storageclass.kubernetes.io/is-default-class",
        "storageclass.beta.kubernetes.io/is-default-class",
    ] {
        let mut sc = json!({"metadata": meta("standard"), "provisioner": "rancher.io/local-path",
                            "reclaimPolicy": "Delete", "volumeBindingMode": "WaitForFirstConsumer"});
        sc["metadata"]["annotations"] = json!({annotation: "true"});
        assert_eq!(
            cells("storage.k8s.io", "storageclasses", &sc)[0],
            json!("standard (default)")
        );
        sc["metadata"]["annotations"] = json!({annotation: "false"});
        assert_eq!(
            cells("storage.k8s.io", "storageclasses", &sc)[0],
            json!("standard")
        );
    }
}

#[test]
fn volume_attachments() {
    let cols = capstan_printers::columns("storage.k8s.io", "volumeattachments").unwrap();
    assert_eq!(
        cols.iter().map(|c| c.name).collect::<Vec<_>>(),
        ["Name", "Attacher", "PV", "Node", "Attached", "Age"]
    );
    assert_eq!(cols[1].format, "name");
    let va = json!({"metadata": meta("csi-123"),
                    "spec": {"attacher": "ebs.csi.aws.com", "nodeName": "node-1", "source": {"persistentVolumeName": "pv-1"}},
                    "status": {"attached": true}});
    assert_row(
        "storage.k8s.io",
        "volumeattachments",
        &va,
        json!(["csi-123", "ebs.csi.aws.com", "pv-1", "node-1", true, "5m"]),
    );
    let inline = json!({"metadata": meta("csi-456"), "spec": {"attacher": "x", "nodeName": "n", "source": {"inlineVolumeSpec": {}}}});
    assert_row(
        "storage.k8s.io",
        "volumeattachments",
        &inline,
        json!(["csi-456", "x", "", "n", false, "5m"]),
    );
}

#[test]
fn csi_drivers() {
    assert_eq!(
        column_names("storage.k8s.io", "csidrivers"),
        [
            "Name",
            "AttachRequired",
            "PodInfoOnMount",
            "StorageCapacity",
            "TokenRequests",
            "RequiresRepublish",
            "Modes",
            "Age"
        ]
    );
    let defaulted = json!({"metadata": meta("hostpath.csi.k8s.io"),
                           "spec": {"attachRequired": true, "podInfoOnMount": true, "storageCapacity": false,
                                    "requiresRepublish": false, "fsGroupPolicy": "File",
                                    "volumeLifecycleModes": ["Persistent", "Ephemeral"]}});
    assert_row(
        "storage.k8s.io",
        "csidrivers",
        &defaulted,
        json!([
            "hostpath.csi.k8s.io",
            true,
            true,
            false,
            "<unset>",
            false,
            "Persistent,Ephemeral",
            "5m"
        ]),
    );
    let bare = json!({"metadata": meta("d"), "spec": {"tokenRequests": [{"audience": "vault"}, {"audience": "aws"}]}});
    assert_row(
        "storage.k8s.io",
        "csidrivers",
        &bare,
        json!(["d", true, false, false, "vault,aws", false, "<none>", "5m"]),
    );
}

#[test]
fn csi_nodes_and_storage_capacities() {
    let node = json!({"metadata": meta("node-1"), "spec": {"drivers": [{"name": "a", "nodeID": "n"}, {"name": "b", "nodeID": "n"}]}});
    assert_row(
        "storage.k8s.io",
        "csinodes",
        &node,
        json!(["node-1", 2, "5m"]),
    );
    assert_eq!(
        column_names("storage.k8s.io", "csistoragecapacities"),
        ["Name", "StorageClassName", "Capacity"]
    );
    let cap =
        json!({"metadata": meta("csisc-abc"), "storageClassName": "fast", "capacity": "102400Mi"});
    assert_row(
        "storage.k8s.io",
        "csistoragecapacities",
        &cap,
        json!(["csisc-abc", "fast", "100Gi"]),
    );
    let unset = json!({"metadata": meta("csisc-def"), "storageClassName": "fast"});
    assert_row(
        "storage.k8s.io",
        "csistoragecapacities",
        &unset,
        json!(["csisc-def", "fast", "<unset>"]),
    );
}
