//! PersistentVolume and PersistentVolumeClaim rows.

mod common;

use common::{DAY, ago, assert_row, column_names, wide_column_names};
use serde_json::{Value, json};

fn pv(spec: Value, phase: &str) -> Value {
    json!({"metadata": {"name": "pv-1", "creationTimestamp": ago(3 * DAY)}, "spec": spec, "status": {"phase": phase}})
}

#[test]
fn pv_columns() {
    assert_eq!(
        column_names("", "persistentvolumes"),
        [
            "Name",
            "Capacity",
            "Access Modes",
            "Reclaim Policy",
            "Status",
            "Claim",
            "StorageClass",
            "VolumeAttributesClass",
            "Reason",
            "Age",
            "VolumeMode"
        ]
    );
    assert_eq!(wide_column_names("", "persistentvolumes"), ["VolumeMode"]);
}

#[test]
fn bound_pv() {
    let v = pv(
        json!({"capacity": {"storage": "10Gi"}, "accessModes": ["ReadWriteOnce"],
               "persistentVolumeReclaimPolicy": "Delete", "storageClassName": "standard",
               "claimRef": {"namespace": "default", "name": "data-web-0"}, "volumeMode": "Filesystem"}),
        "Bound",
    );
    assert_row(
        "",
        "persistentvolumes",
        &v,
        json!([
            "pv-1",
            "10Gi",
            "RWO",
            "Delete",
            "Bound",
            "default/data-web-0",
            "standard",
            "<unset>",
            "",
            "3d",
            "Filesystem"
        ]),
    );
}

#[test]
fn pv_variants() {
    let v = pv(
        json!({"capacity": {"storage": "4Gi"}, "accessModes": ["ReadOnlyMany", "ReadWriteOnce", "ReadWriteOncePod", "ReadOnlyMany"],
               "volumeAttributesClassName": "my-vacn"}),
        "Failed",
    );
    assert_row(
        "",
        "persistentvolumes",
        &v,
        json!([
            "pv-1",
            "4Gi",
            "RWO,ROX,RWOP",
            "",
            "Failed",
            "",
            "",
            "my-vacn",
            "",
            "3d",
            "<unset>"
        ]),
    );
    let mut released = pv(
        json!({"capacity": {"storage": "1.5Gi"}, "storageClassName": "ignored"}),
        "Released",
    );
    released["metadata"]["annotations"] =
        json!({"volume.beta.kubernetes.io/storage-class": "beta-class"});
    released["metadata"]["deletionTimestamp"] = json!(ago(1));
    released["status"]["reason"] = json!("Reclaiming");
    assert_row(
        "",
        "persistentvolumes",
        &released,
        json!([
            "pv-1",
            "1536Mi",
            "",
            "",
            "Terminating",
            "",
            "beta-class",
            "<unset>",
            "Reclaiming",
            "3d",
            "<unset>"
        ]),
    );
    // No capacity reads as the zero quantity.
    assert_eq!(
        common::cells("", "persistentvolumes", &pv(json!({}), "Available"))[1],
        json!("0")
    );
}

fn pvc(spec: Value, status: Value) -> Value {
    json!({"metadata": {"name": "data", "namespace": "default", "creationTimestamp": ago(DAY)}, "spec": spec, "status": status})
}

#[test]
fn pvc_columns() {
    assert_eq!(
        column_names("", "persistentvolumeclaims"),
        [
            "Name",
            "Status",
            "Volume",
            "Capacity",
            "Access Modes",
            "StorageClass",
            "VolumeAttributesClass",
            "Age",
            "VolumeMode"
        ]
    );
}

#[test]
fn bound_and_pending_claims() {
    let bound = pvc(
        json!({"volumeName": "pvc-123", "storageClassName": "standard", "volumeMode": "Filesystem",
               "accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": "1Gi"}}}),
        json!({"phase": "Bound", "accessModes": ["ReadWriteOnce"], "capacity": {"storage": "1Gi"}}),
    );
    assert_row(
        "",
        "persistentvolumeclaims",
        &bound,
        json!([
            "data",
            "Bound",
            "pvc-123",
            "1Gi",
            "RWO",
            "standard",
            "<unset>",
            "24h",
            "Filesystem"
        ]),
    );
    let pending = pvc(
        json!({"storageClassName": "standard", "resources": {"requests": {"storage": "1Gi"}}}),
        json!({"phase": "Pending"}),
    );
    assert_row(
        "",
        "persistentvolumeclaims",
        &pending,
        json!([
            "data", "Pending", "", "", "", "standard", "<unset>", "24h", "<unset>"
        ]),
    );
    // Capacity and modes only show once a volume is named.
    let lost = pvc(
        json!({"volumeMode": "Filesystem"}),
        json!({"phase": "Lost", "accessModes": ["ReadOnlyMany"], "capacity": {"storage": "4Gi"}}),
    );
    assert_row(
        "",
        "persistentvolumeclaims",
        &lost,
        json!([
            "data",
            "Lost",
            "",
            "",
            "",
            "",
            "<unset>",
            "24h",
            "Filesystem"
        ]),
    );
}

#[test]
fn claim_class_annotation_and_terminating() {
    let mut c = pvc(
        json!({"volumeName": "my-volume", "storageClassName": "my-scn", "volumeAttributesClassName": "my-vacn"}),
        json!({"phase": "Bound", "accessModes": ["ReadWriteMany"], "capacity": {"storage": "10Gi"}}),
    );
    assert_eq!(
        common::cells("", "persistentvolumeclaims", &c)[1..7],
        [
            json!("Bound"),
            json!("my-volume"),
            json!("10Gi"),
            json!("RWX"),
            json!("my-scn"),
            json!("my-vacn")
        ]
    );
    c["metadata"]["annotations"] = json!({"volume.beta.kubernetes.io/storage-class": "beta"});
    c["metadata"]["deletionTimestamp"] = json!(ago(0));
    let row = common::cells("", "persistentvolumeclaims", &c);
    assert_eq!((&row[1], &row[5]), (&json!("Terminating"), &json!("beta")));
}
