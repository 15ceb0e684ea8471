//! Nodes: STATUS from the Ready condition and ROLES from role labels.

use std::collections::BTreeSet;

use serde_json::Value;

use crate::json::{arr_at, bool_at, cell, name, obj_at, str_at};
use crate::time::Clock;
use crate::{AGE, Cells, Column, NAME};

pub(crate) const COLUMNS: &[Column] = &[
    NAME,
    Column::new(
        "Status",
        "string",
        "Readiness of the node and whether scheduling is disabled.",
    ),
    Column::new(
        "Roles",
        "string",
        "Roles taken from node-role.kubernetes.io labels.",
    ),
    AGE,
    Column::new("Version", "string", "Kubelet version reported by the node."),
    Column::new(
        "Internal-IP",
        "string",
        "First internal address of the node.",
    )
    .wide(),
    Column::new(
        "External-IP",
        "string",
        "First external address of the node.",
    )
    .wide(),
    Column::new(
        "OS-Image",
        "string",
        "Operating system image reported by the node.",
    )
    .wide(),
    Column::new(
        "Kernel-Version",
        "string",
        "Kernel version reported by the node.",
    )
    .wide(),
    Column::new(
        "Container-Runtime",
        "string",
        "Container runtime and its version.",
    )
    .wide(),
];

const ROLE_LABEL_PREFIX: &str = "node-role.kubernetes.io/";
const LEGACY_ROLE_LABEL: &str = "kubernetes.io/role";

fn status(node: &Value) -> String {
    // When a condition type repeats, the last entry wins.
    let ready = arr_at(node, &["status", "conditions"])
        .iter()
        .rfind(|c| str_at(c, &["type"]) == "Ready");
    let mut parts = vec![match ready {
        Some(c) if str_at(c, &["status"]) == "True" => "Ready",
        Some(_) => "NotReady",
        None => "Unknown",
    }];
    if bool_at(node, &["spec", "unschedulable"]) {
        parts.push("SchedulingDisabled");
    }
    parts.join(",")
}

fn roles(node: &Value) -> String {
    let mut roles = BTreeSet::new();
    if let Some(labels) = obj_at(node, &["metadata", "labels"]) {
        for (key, value) in labels {
            if let Some(role) = key.strip_prefix(ROLE_LABEL_PREFIX) {
                if !role.is_empty() {
                    roles.insert(role);
                }
            } else if key == LEGACY_ROLE_LABEL {
                match value.as_str() {
                    Some(role) if !role.is_empty() => {
                        roles.insert(role);
                    }
                    _ => {}
                }
            }
        }
    }
    if roles.is_empty() {
        "<none>".to_string()
    } else {
        roles.into_iter().collect::<Vec<_>>().join(",")
    }
}

fn first_address(node: &Value, type_: &str) -> String {
    arr_at(node, &["status", "addresses"])
        .iter()
        .find(|a| str_at(a, &["type"]) == type_)
        .map_or_else(
            || "<none>".to_string(),
            |a| str_at(a, &["address"]).to_string(),
        )
}

fn info_or_unknown(node: &Value, field: &str) -> String {
    match str_at(node, &["status", "nodeInfo", field]) {
        "" => "<unknown>".to_string(),
        v => v.to_string(),
    }
}

pub(crate) fn cells(node: &Value, clock: &Clock) -> Cells {
    Ok(vec![
        cell(name(node)),
        cell(status(node)),
        cell(roles(node)),
        cell(clock.age(node)),
        cell(str_at(node, &["status", "nodeInfo", "kubeletVersion"])),
        cell(first_address(node, "InternalIP")),
        cell(first_address(node, "ExternalIP")),
        cell(info_or_unknown(node, "osImage")),
        cell(info_or_unknown(node, "kernelVersion")),
        cell(info_or_unknown(node, "containerRuntimeVersion")),
    ])
}
