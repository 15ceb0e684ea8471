//! Core (`v1`) resources. Pods, services, nodes, volumes and events live in
//! submodules; the small printers are here.
//!
//! Without a dedicated printer (default table): limitranges.

pub(crate) mod event;
pub(crate) mod node;
pub(crate) mod pod;
pub(crate) mod service;
pub(crate) mod volume;

use serde_json::Value;

use crate::json::{
    arr_at, cell, container_names_images, get, i64_at, int_cell, list_len, map_len, name, obj_at,
    str_at,
};
use crate::labels::format_labels;
use crate::quantity::canonical_value;
use crate::time::Clock;
use crate::{AGE, CONTAINERS, Cells, Column, IMAGES, NAME, Printer};

pub(crate) const PRINTERS: &[Printer] = &[
    Printer {
        resource: "pods",
        columns: pod::COLUMNS,
        cells: pod::cells,
    },
    Printer {
        resource: "podtemplates",
        columns: POD_TEMPLATE_COLUMNS,
        cells: pod_template_cells,
    },
    Printer {
        resource: "replicationcontrollers",
        columns: RC_COLUMNS,
        cells: rc_cells,
    },
    Printer {
        resource: "services",
        columns: service::SERVICE_COLUMNS,
        cells: service::service_cells,
    },
    Printer {
        resource: "endpoints",
        columns: service::ENDPOINTS_COLUMNS,
        cells: service::endpoints_cells,
    },
    Printer {
        resource: "nodes",
        columns: node::COLUMNS,
        cells: node::cells,
    },
    Printer {
        resource: "namespaces",
        columns: NAMESPACE_COLUMNS,
        cells: namespace_cells,
    },
    Printer {
        resource: "events",
        columns: event::COLUMNS,
        cells: event::cells,
    },
    Printer {
        resource: "resourcequotas",
        columns: QUOTA_COLUMNS,
        cells: quota_cells,
    },
    Printer {
        resource: "persistentvolumes",
        columns: volume::PV_COLUMNS,
        cells: volume::pv_cells,
    },
    Printer {
        resource: "persistentvolumeclaims",
        columns: volume::PVC_COLUMNS,
        cells: volume::pvc_cells,
    },
    Printer {
        resource: "configmaps",
        columns: CONFIGMAP_COLUMNS,
        cells: configmap_cells,
    },
    Printer {
        resource: "secrets",
        columns: SECRET_COLUMNS,
        cells: secret_cells,
    },
    Printer {
        resource: "serviceaccounts",
        columns: SERVICE_ACCOUNT_COLUMNS,
        cells: service_account_cells,
    },
    Printer {
        resource: "componentstatuses",
        columns: COMPONENT_STATUS_COLUMNS,
        cells: component_status_cells,
    },
];

const POD_TEMPLATE_COLUMNS: &[Column] = &[
    NAME,
    Column::new(
        "Containers",
        "string",
        "Names of the containers in the template.",
    ),
    Column::new(
        "Images",
        "string",
        "Images used by the containers in the template.",
    ),
    Column::new(
        "Pod Labels",
        "string",
        "Labels of the pods created from the template.",
    ),
];

fn pod_template_cells(obj: &Value, _: &Clock) -> Cells {
    let (names, images) = container_names_images(arr_at(obj, &["template", "spec", "containers"]));
    Ok(vec![
        cell(name(obj)),
        cell(names),
        cell(images),
        cell(format_labels(get(obj, &["template", "metadata", "labels"]))),
    ])
}

const RC_COLUMNS: &[Column] = &[
    NAME,
    Column::new("Desired", "integer", "Number of replicas requested."),
    Column::new("Current", "integer", "Number of replicas that exist."),
    Column::new("Ready", "integer", "Number of replicas that are ready."),
    AGE,
    CONTAINERS.wide(),
    IMAGES.wide(),
    Column::new(
        "Selector",
        "string",
        "Labels of the pods the controller manages.",
    )
    .wide(),
];

fn rc_cells(obj: &Value, clock: &Clock) -> Cells {
    let (names, images) =
        container_names_images(arr_at(obj, &["spec", "template", "spec", "containers"]));
    Ok(vec![
        cell(name(obj)),
        int_cell(i64_at(obj, &["spec", "replicas"])),
        int_cell(i64_at(obj, &["status", "replicas"])),
        int_cell(i64_at(obj, &["status", "readyReplicas"])),
        cell(clock.age(obj)),
        cell(names),
        cell(images),
        cell(format_labels(get(obj, &["spec", "selector"]))),
    ])
}

const NAMESPACE_COLUMNS: &[Column] = &[
    NAME,
    Column::new("Status", "string", "Lifecycle phase of the namespace."),
    AGE,
];

fn namespace_cells(obj: &Value, clock: &Clock) -> Cells {
    Ok(vec![
        cell(name(obj)),
        cell(str_at(obj, &["status", "phase"])),
        cell(clock.age(obj)),
    ])
}

const QUOTA_COLUMNS: &[Column] = &[
    NAME,
    Column::new(
        "Request",
        "string",
        "Used and hard amounts of requested resources and object counts.",
    ),
    Column::new(
        "Limit",
        "string",
        "Used and hard amounts of resource limits.",
    ),
    AGE,
];

fn quota_cells(obj: &Value, clock: &Clock) -> Cells {
    let mut resources: Vec<(&String, &Value)> = obj_at(obj, &["status", "hard"])
        .map(|m| m.iter().collect())
        .unwrap_or_default();
    resources.sort_by(|a, b| a.0.cmp(b.0));
    let mut requests = Vec::new();
    let mut limits = Vec::new();
    for (resource, hard) in resources {
        let used = get(obj, &["status", "used", resource])
            .map_or_else(|| "0".to_string(), canonical_value);
        let entry = format!("{resource}: {used}/{}", canonical_value(hard));
        match resource.split_once('.') {
            Some(("limits", _)) => limits.push(entry),
            _ => requests.push(entry),
        }
    }
    Ok(vec![
        cell(name(obj)),
        cell(requests.join(", ")),
        cell(limits.join(", ")),
        cell(clock.age(obj)),
    ])
}

const CONFIGMAP_COLUMNS: &[Column] = &[
    NAME,
    Column::new("Data", "string", "Number of data and binary data entries."),
    AGE,
];

fn configmap_cells(obj: &Value, clock: &Clock) -> Cells {
    let entries = map_len(obj, &["data"]) + map_len(obj, &["binaryData"]);
    Ok(vec![
        cell(name(obj)),
        int_cell(entries as i64),
        cell(clock.age(obj)),
    ])
}

const SECRET_COLUMNS: &[Column] = &[
    NAME,
    Column::new(
        "Type",
        "string",
        "Kind of secret, which fixes the expected data keys.",
    ),
    Column::new("Data", "string", "Number of data entries."),
    AGE,
];

fn secret_cells(obj: &Value, clock: &Clock) -> Cells {
    Ok(vec![
        cell(name(obj)),
        cell(str_at(obj, &["type"])),
        int_cell(map_len(obj, &["data"]) as i64),
        cell(clock.age(obj)),
    ])
}

const SERVICE_ACCOUNT_COLUMNS: &[Column] = &[
    NAME,
    Column::new(
        "Secrets",
        "string",
        "Number of secrets referenced by the service account.",
    ),
    AGE,
];

fn service_account_cells(obj: &Value, clock: &Clock) -> Cells {
    Ok(vec![
        cell(name(obj)),
        int_cell(list_len(obj, &["secrets"]) as i64),
        cell(clock.age(obj)),
    ])
}

const COMPONENT_STATUS_COLUMNS: &[Column] = &[
    NAME,
    Column::new("Status", "string", "Health of the component."),
    Column::new("Message", "string", "Message of the health condition."),
    Column::new("Error", "string", "Error of the health condition."),
];

fn component_status_cells(obj: &Value, _: &Clock) -> Cells {
    let healthy = arr_at(obj, &["conditions"])
        .iter()
        .find(|c| str_at(c, &["type"]) == "Healthy");
    let (status, message, error) = match healthy {
        Some(c) => (
            if str_at(c, &["status"]) == "True" {
                "Healthy"
            } else {
                "Unhealthy"
            },
            str_at(c, &["message"]),
            str_at(c, &["error"]),
        ),
        None => ("Unknown", "", ""),
    };
    Ok(vec![
        cell(name(obj)),
        cell(status),
        cell(message),
        cell(error),
    ])
}
