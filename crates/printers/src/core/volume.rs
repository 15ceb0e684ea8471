//! PersistentVolumes and PersistentVolumeClaims.

use serde_json::Value;

use crate::json::{arr_at, cell, get, is_deleting, name, opt_str, str_at};
use crate::quantity::canonical_value;
use crate::time::Clock;
use crate::{AGE, Cells, Column, NAME};

pub(crate) const PV_COLUMNS: &[Column] = &[
    NAME,
    Column::new("Capacity", "string", "Storage capacity of the volume."),
    Column::new("Access Modes", "string", "Ways the volume can be mounted."),
    Column::new(
        "Reclaim Policy",
        "string",
        "What happens to the volume when its claim is released.",
    ),
    Column::new("Status", "string", "Lifecycle phase of the volume."),
    Column::new(
        "Claim",
        "string",
        "Claim bound to the volume, as namespace/name.",
    ),
    Column::new("StorageClass", "string", "Storage class of the volume."),
    Column::new(
        "VolumeAttributesClass",
        "string",
        "Volume attributes class of the volume.",
    ),
    Column::new("Reason", "string", "Reason for a failed phase."),
    AGE,
    Column::new(
        "VolumeMode",
        "string",
        "Whether the volume is a filesystem or a raw block device.",
    )
    .wide(),
];

pub(crate) const PVC_COLUMNS: &[Column] = &[
    NAME,
    Column::new("Status", "string", "Lifecycle phase of the claim."),
    Column::new("Volume", "string", "Volume bound to the claim."),
    Column::new(
        "Capacity",
        "string",
        "Storage capacity of the bound volume.",
    ),
    Column::new(
        "Access Modes",
        "string",
        "Ways the bound volume can be mounted.",
    ),
    Column::new(
        "StorageClass",
        "string",
        "Storage class requested by the claim.",
    ),
    Column::new(
        "VolumeAttributesClass",
        "string",
        "Volume attributes class of the claim.",
    ),
    AGE,
    Column::new(
        "VolumeMode",
        "string",
        "Whether the claim is a filesystem or a raw block device.",
    )
    .wide(),
];

const BETA_STORAGE_CLASS_ANNOTATION: &str = "volume.beta.kubernetes.io/storage-class";

/// Access modes abbreviated, deduplicated, in upstream's fixed order.
fn access_modes(modes: &[Value]) -> String {
    const ORDER: [(&str, &str); 4] = [
        ("ReadWriteOnce", "RWO"),
        ("ReadOnlyMany", "ROX"),
        ("ReadWriteMany", "RWX"),
        ("ReadWriteOncePod", "RWOP"),
    ];
    ORDER
        .iter()
        .filter(|(mode, _)| modes.iter().any(|m| m.as_str() == Some(mode)))
        .map(|(_, short)| *short)
        .collect::<Vec<_>>()
        .join(",")
}

/// Storage quantity of a resource list; an absent entry is the zero quantity.
fn storage(v: &Value, path: &[&str]) -> String {
    get(v, path)
        .and_then(|list| list.get("storage"))
        .map_or_else(|| "0".to_string(), canonical_value)
}

/// The beta annotation takes precedence over the spec field.
fn storage_class(obj: &Value) -> String {
    match opt_str(
        obj,
        &["metadata", "annotations", BETA_STORAGE_CLASS_ANNOTATION],
    ) {
        Some(class) => class.to_string(),
        None => str_at(obj, &["spec", "storageClassName"]).to_string(),
    }
}

fn unset_or(v: Option<&str>) -> String {
    v.unwrap_or("<unset>").to_string()
}

fn phase(obj: &Value) -> String {
    if is_deleting(obj) {
        "Terminating".to_string()
    } else {
        str_at(obj, &["status", "phase"]).to_string()
    }
}

pub(crate) fn pv_cells(pv: &Value, clock: &Clock) -> Cells {
    let claim = match get(pv, &["spec", "claimRef"]) {
        Some(r) => format!("{}/{}", str_at(r, &["namespace"]), str_at(r, &["name"])),
        None => String::new(),
    };
    Ok(vec![
        cell(name(pv)),
        cell(storage(pv, &["spec", "capacity"])),
        cell(access_modes(arr_at(pv, &["spec", "accessModes"]))),
        cell(str_at(pv, &["spec", "persistentVolumeReclaimPolicy"])),
        cell(phase(pv)),
        cell(claim),
        cell(storage_class(pv)),
        cell(unset_or(opt_str(
            pv,
            &["spec", "volumeAttributesClassName"],
        ))),
        cell(str_at(pv, &["status", "reason"])),
        cell(clock.age(pv)),
        cell(unset_or(opt_str(pv, &["spec", "volumeMode"]))),
    ])
}

pub(crate) fn pvc_cells(pvc: &Value, clock: &Clock) -> Cells {
    let volume = str_at(pvc, &["spec", "volumeName"]);
    // Capacity and modes are only meaningful once a volume is bound.
    let (capacity, modes) = if volume.is_empty() {
        (String::new(), String::new())
    } else {
        (
            storage(pvc, &["status", "capacity"]),
            access_modes(arr_at(pvc, &["status", "accessModes"])),
        )
    };
    Ok(vec![
        cell(name(pvc)),
        cell(phase(pvc)),
        cell(volume),
        cell(capacity),
        cell(modes),
        cell(storage_class(pvc)),
        cell(unset_or(opt_str(
            pvc,
            &["spec", "volumeAttributesClassName"],
        ))),
        cell(clock.age(pvc)),
        cell(unset_or(opt_str(pvc, &["spec", "volumeMode"]))),
    ])
}
