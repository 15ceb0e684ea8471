//! `storage.k8s.io/v1`: storageclasses, volumeattachments, csidrivers,
//! csinodes, csistoragecapacities.

use serde_json::Value;

use crate::json::{
    arr_at, bool_at, cell, get, int_cell, list_len, name, opt_bool, opt_str, str_at,
};
use crate::quantity::canonical_value;
use crate::time::Clock;
use crate::{AGE, Cells, Column, NAME, Printer};

pub(crate) const PRINTERS: &[Printer] = &[
    Printer {
        resource: "storageclasses",
        columns: STORAGE_CLASS_COLUMNS,
        cells: storage_class_cells,
    },
    Printer {
        resource: "volumeattachments",
        columns: ATTACHMENT_COLUMNS,
        cells: attachment_cells,
    },
    Printer {
        resource: "csidrivers",
        columns: CSI_DRIVER_COLUMNS,
        cells: csi_driver_cells,
    },
    Printer {
        resource: "csinodes",
        columns: CSI_NODE_COLUMNS,
        cells: csi_node_cells,
    },
    Printer {
        resource: "csistoragecapacities",
        columns: CAPACITY_COLUMNS,
        cells: capacity_cells,
    },
];

const STORAGE_CLASS_COLUMNS: &[Column] = &[
    NAME,
    Column::new(
        "Provisioner",
        "string",
        "Volume plugin that provisions volumes of this class.",
    ),
    Column::new(
        "ReclaimPolicy",
        "string",
        "Reclaim policy of dynamically provisioned volumes.",
    ),
    Column::new(
        "VolumeBindingMode",
        "string",
        "When volumes are bound and provisioned.",
    ),
    Column::new(
        "AllowVolumeExpansion",
        "string",
        "Whether volumes of this class can be expanded.",
    ),
    AGE,
];

const DEFAULT_CLASS_ANNOTATIONS: [&str; 2] = [
    "storageclass.kubernetes.io/is-default-class",
    "storageclass.beta.kubernetes.io/is-default-class",
];

fn storage_class_cells(sc: &Value, clock: &Clock) -> Cells {
    let is_default = DEFAULT_CLASS_ANNOTATIONS
        .iter()
        .any(|a| opt_str(sc, &["metadata", "annotations", a]) == Some("true"));
    let display_name = if is_default {
        format!("{} (default)", name(sc))
    } else {
        name(sc).to_string()
    };
    Ok(vec![
        cell(display_name),
        cell(str_at(sc, &["provisioner"])),
        cell(opt_str(sc, &["reclaimPolicy"]).unwrap_or("Delete")),
        cell(opt_str(sc, &["volumeBindingMode"]).unwrap_or("Immediate")),
        Value::Bool(bool_at(sc, &["allowVolumeExpansion"])),
        cell(clock.age(sc)),
    ])
}

// Upstream marks the Attacher column with the "name" format as well.
const ATTACHMENT_COLUMNS: &[Column] = &[
    NAME,
    Column::new("Attacher", "string", "Driver that attaches the volume.").formatted("name"),
    Column::new("PV", "string", "Persistent volume being attached."),
    Column::new("Node", "string", "Node the volume is attached to."),
    Column::new(
        "Attached",
        "boolean",
        "Whether the attach operation succeeded.",
    ),
    AGE,
];

fn attachment_cells(va: &Value, clock: &Clock) -> Cells {
    Ok(vec![
        cell(name(va)),
        cell(str_at(va, &["spec", "attacher"])),
        cell(str_at(va, &["spec", "source", "persistentVolumeName"])),
        cell(str_at(va, &["spec", "nodeName"])),
        Value::Bool(bool_at(va, &["status", "attached"])),
        cell(clock.age(va)),
    ])
}

const CSI_DRIVER_COLUMNS: &[Column] = &[
    NAME,
    Column::new(
        "AttachRequired",
        "boolean",
        "Whether volumes need an attach step.",
    ),
    Column::new(
        "PodInfoOnMount",
        "boolean",
        "Whether pod details are passed on mount.",
    ),
    Column::new(
        "StorageCapacity",
        "boolean",
        "Whether the scheduler considers reported capacity.",
    ),
    Column::new(
        "TokenRequests",
        "string",
        "Audiences of service account tokens passed on mount.",
    ),
    Column::new(
        "RequiresRepublish",
        "boolean",
        "Whether volumes are periodically re-published.",
    ),
    Column::new(
        "Modes",
        "string",
        "Volume lifecycle modes the driver supports.",
    ),
    AGE,
];

fn csi_driver_cells(driver: &Value, clock: &Clock) -> Cells {
    let flag = |field: &str, default: bool| {
        Value::Bool(opt_bool(driver, &["spec", field]).unwrap_or(default))
    };
    let audiences: Vec<&str> = arr_at(driver, &["spec", "tokenRequests"])
        .iter()
        .map(|t| str_at(t, &["audience"]))
        .collect();
    // Storage drops empty lists, so an empty list reads as unset too.
    let token_requests = if audiences.is_empty() {
        "<unset>".to_string()
    } else {
        audiences.join(",")
    };
    let modes: Vec<&str> = arr_at(driver, &["spec", "volumeLifecycleModes"])
        .iter()
        .filter_map(Value::as_str)
        .collect();
    let modes = if modes.is_empty() {
        "<none>".to_string()
    } else {
        modes.join(",")
    };
    Ok(vec![
        cell(name(driver)),
        flag("attachRequired", true),
        flag("podInfoOnMount", false),
        flag("storageCapacity", false),
        cell(token_requests),
        flag("requiresRepublish", false),
        cell(modes),
        cell(clock.age(driver)),
    ])
}

const CSI_NODE_COLUMNS: &[Column] = &[
    NAME,
    Column::new(
        "Drivers",
        "integer",
        "Number of CSI drivers registered on the node.",
    ),
    AGE,
];

fn csi_node_cells(node: &Value, clock: &Clock) -> Cells {
    Ok(vec![
        cell(name(node)),
        int_cell(list_len(node, &["spec", "drivers"]) as i64),
        cell(clock.age(node)),
    ])
}

const CAPACITY_COLUMNS: &[Column] = &[
    NAME,
    Column::new(
        "StorageClassName",
        "string",
        "Storage class the capacity applies to.",
    ),
    Column::new("Capacity", "string", "Capacity available for new volumes."),
];

fn capacity_cells(cap: &Value, _: &Clock) -> Cells {
    Ok(vec![
        cell(name(cap)),
        cell(str_at(cap, &["storageClassName"])),
        cell(get(cap, &["capacity"]).map_or_else(|| "<unset>".to_string(), canonical_value)),
    ])
}
