//! `apps/v1`: deployments, replicasets, statefulsets, daemonsets, controllerrevisions.

use serde_json::Value;

use crate::json::{
    arr_at, bool_at, cell, container_names_images, get, i64_at, int_cell, name, str_at,
};
use crate::labels::{format_label_selector, format_labels, selector_string};
use crate::time::Clock;
use crate::{AGE, CONTAINERS, Cells, Column, IMAGES, NAME, PrintError, Printer};

pub(crate) const PRINTERS: &[Printer] = &[
    Printer {
        resource: "deployments",
        columns: DEPLOYMENT_COLUMNS,
        cells: deployment_cells,
    },
    Printer {
        resource: "replicasets",
        columns: REPLICASET_COLUMNS,
        cells: replicaset_cells,
    },
    Printer {
        resource: "statefulsets",
        columns: STATEFULSET_COLUMNS,
        cells: statefulset_cells,
    },
    Printer {
        resource: "daemonsets",
        columns: DAEMONSET_COLUMNS,
        cells: daemonset_cells,
    },
    Printer {
        resource: "controllerrevisions",
        columns: REVISION_COLUMNS,
        cells: revision_cells,
    },
];

const SELECTOR: Column =
    Column::new("Selector", "string", "Label selector of the managed pods.").wide();

fn template_containers(obj: &Value) -> (String, String) {
    container_names_images(arr_at(obj, &["spec", "template", "spec", "containers"]))
}

const DEPLOYMENT_COLUMNS: &[Column] = &[
    NAME,
    Column::new("Ready", "string", "Ready replicas out of desired replicas."),
    Column::new(
        "Up-to-date",
        "string",
        "Replicas running the latest pod template.",
    ),
    Column::new("Available", "string", "Replicas available to serve."),
    AGE,
    CONTAINERS.wide(),
    IMAGES.wide(),
    SELECTOR,
];

fn deployment_cells(obj: &Value, clock: &Clock) -> Cells {
    let (names, images) = template_containers(obj);
    let selector = selector_string(get(obj, &["spec", "selector"]))
        .unwrap_or_else(|_| "<invalid>".to_string());
    Ok(vec![
        cell(name(obj)),
        cell(format!(
            "{}/{}",
            i64_at(obj, &["status", "readyReplicas"]),
            i64_at(obj, &["spec", "replicas"])
        )),
        int_cell(i64_at(obj, &["status", "updatedReplicas"])),
        int_cell(i64_at(obj, &["status", "availableReplicas"])),
        cell(clock.age(obj)),
        cell(names),
        cell(images),
        cell(selector),
    ])
}

const REPLICASET_COLUMNS: &[Column] = &[
    NAME,
    Column::new("Desired", "integer", "Number of replicas requested."),
    Column::new("Current", "integer", "Number of replicas that exist."),
    Column::new("Ready", "integer", "Number of replicas that are ready."),
    AGE,
    CONTAINERS.wide(),
    IMAGES.wide(),
    SELECTOR,
];

fn replicaset_cells(obj: &Value, clock: &Clock) -> Cells {
    let (names, images) = template_containers(obj);
    Ok(vec![
        cell(name(obj)),
        int_cell(i64_at(obj, &["spec", "replicas"])),
        int_cell(i64_at(obj, &["status", "replicas"])),
        int_cell(i64_at(obj, &["status", "readyReplicas"])),
        cell(clock.age(obj)),
        cell(names),
        cell(images),
        cell(format_label_selector(get(obj, &["spec", "selector"]))),
    ])
}

const STATEFULSET_COLUMNS: &[Column] = &[
    NAME,
    Column::new("Ready", "string", "Ready replicas out of desired replicas."),
    AGE,
    CONTAINERS.wide(),
    IMAGES.wide(),
];

fn statefulset_cells(obj: &Value, clock: &Clock) -> Cells {
    let (names, images) = template_containers(obj);
    Ok(vec![
        cell(name(obj)),
        cell(format!(
            "{}/{}",
            i64_at(obj, &["status", "readyReplicas"]),
            i64_at(obj, &["spec", "replicas"])
        )),
        cell(clock.age(obj)),
        cell(names),
        cell(images),
    ])
}

const DAEMONSET_COLUMNS: &[Column] = &[
    NAME,
    Column::new(
        "Desired",
        "integer",
        "Nodes that should run the daemon pod.",
    ),
    Column::new(
        "Current",
        "integer",
        "Nodes running at least one daemon pod.",
    ),
    Column::new("Ready", "integer", "Nodes whose daemon pod is ready."),
    Column::new(
        "Up-to-date",
        "integer",
        "Nodes running the latest daemon pod template.",
    ),
    Column::new(
        "Available",
        "integer",
        "Nodes whose daemon pod is available.",
    ),
    Column::new(
        "Node Selector",
        "string",
        "Node labels the daemon pods are restricted to.",
    ),
    AGE,
    CONTAINERS.wide(),
    IMAGES.wide(),
    SELECTOR,
];

fn daemonset_cells(obj: &Value, clock: &Clock) -> Cells {
    let (names, images) = template_containers(obj);
    let status = |field: &str| int_cell(i64_at(obj, &["status", field]));
    Ok(vec![
        cell(name(obj)),
        status("desiredNumberScheduled"),
        status("currentNumberScheduled"),
        status("numberReady"),
        status("updatedNumberScheduled"),
        status("numberAvailable"),
        cell(format_labels(get(
            obj,
            &["spec", "template", "spec", "nodeSelector"],
        ))),
        cell(clock.age(obj)),
        cell(names),
        cell(images),
        cell(format_label_selector(get(obj, &["spec", "selector"]))),
    ])
}

const REVISION_COLUMNS: &[Column] = &[
    NAME,
    Column::new(
        "Controller",
        "string",
        "Object that owns the revision, as kind.group/name.",
    ),
    Column::new(
        "Revision",
        "string",
        "Revision number of the captured state.",
    ),
    AGE,
];

/// Group of an apiVersion (`group/version` or core `version`).
pub(crate) fn api_group(api_version: &str) -> Result<&str, PrintError> {
    if api_version.is_empty() || api_version == "/" {
        return Ok("");
    }
    match api_version.matches('/').count() {
        0 => Ok(""),
        1 => Ok(api_version.split_once('/').map_or("", |(g, _)| g)),
        _ => Err(PrintError::InvalidGroupVersion(api_version.to_string())),
    }
}

/// `kind.group/name` in lower case, or just the name when kind and group are empty.
fn controller_name(owner: &Value) -> Result<String, PrintError> {
    let group = api_group(str_at(owner, &["apiVersion"]))?;
    let kind = str_at(owner, &["kind"]);
    let owner_name = str_at(owner, &["name"]);
    Ok(match (group, kind) {
        ("", "") => owner_name.to_string(),
        ("", kind) => format!("{}/{owner_name}", kind.to_lowercase()),
        (group, kind) => format!("{}/{owner_name}", format!("{kind}.{group}").to_lowercase()),
    })
}

fn revision_cells(obj: &Value, clock: &Clock) -> Cells {
    let controller = arr_at(obj, &["metadata", "ownerReferences"])
        .iter()
        .find(|o| bool_at(o, &["controller"]));
    let controller = match controller {
        Some(owner) => controller_name(owner)?,
        None => "<none>".to_string(),
    };
    Ok(vec![
        cell(name(obj)),
        cell(controller),
        int_cell(i64_at(obj, &["revision"])),
        cell(clock.age(obj)),
    ])
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn api_groups_parse_like_upstream() {
        assert_eq!(api_group("apps/v1"), Ok("apps"));
        assert_eq!(api_group("v1"), Ok(""));
        assert_eq!(api_group(""), Ok(""));
        assert_eq!(
            api_group("a/b/c"),
            Err(PrintError::InvalidGroupVersion("a/b/c".to_string()))
        );
    }

    #[test]
    fn controller_names_follow_format_resource_name() {
        let owner = |api: &str, kind: &str| json!({"apiVersion": api, "kind": kind, "name": "foo"});
        assert_eq!(
            controller_name(&owner("apps/v1", "DaemonSet")).unwrap(),
            "daemonset.apps/foo"
        );
        assert_eq!(controller_name(&owner("v1", "Kind")).unwrap(), "kind/foo");
        assert_eq!(controller_name(&owner("v1", "")).unwrap(), "foo");
        assert_eq!(
            controller_name(&owner("group/v1", "")).unwrap(),
            ".group/foo"
        );
    }
}
