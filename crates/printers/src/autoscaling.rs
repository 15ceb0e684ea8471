//! `autoscaling/v1` and `autoscaling/v2`: horizontalpodautoscalers.
//!
//! Upstream prints the internal (v2-shaped) object; a v1 object is first
//! mapped onto v2 metrics the way the v1 conversion does.

use serde_json::{Value, json};

use crate::json::{arr_at, cell, get, i64_at, int_cell, name, opt_i64, str_at};
use crate::quantity::canonical_or_nil;
use crate::time::Clock;
use crate::{AGE, Cells, Column, NAME, Printer};

pub(crate) const PRINTERS: &[Printer] = &[Printer {
    resource: "horizontalpodautoscalers",
    columns: HPA_COLUMNS,
    cells: hpa_cells,
}];

const HPA_COLUMNS: &[Column] = &[
    NAME,
    Column::new(
        "Reference",
        "string",
        "Workload being scaled, as kind/name.",
    ),
    Column::new(
        "Targets",
        "string",
        "Current and target values of the scaling metrics.",
    ),
    Column::new(
        "MinPods",
        "string",
        "Lower bound on the number of replicas.",
    ),
    Column::new(
        "MaxPods",
        "string",
        "Upper bound on the number of replicas.",
    ),
    Column::new("Replicas", "string", "Current number of replicas."),
    AGE,
];

const MAX_LISTED: usize = 2;
const UNKNOWN: &str = "<unknown>";

/// (spec metrics, status metrics) in v2 shape.
fn metrics(hpa: &Value) -> (Vec<Value>, Vec<Value>) {
    let is_v1 = str_at(hpa, &["apiVersion"]) == "autoscaling/v1"
        || (get(hpa, &["spec", "metrics"]).is_none()
            && get(hpa, &["spec", "targetCPUUtilizationPercentage"]).is_some());
    if !is_v1 {
        return (
            arr_at(hpa, &["spec", "metrics"]).to_vec(),
            arr_at(hpa, &["status", "currentMetrics"]).to_vec(),
        );
    }
    let specs = opt_i64(hpa, &["spec", "targetCPUUtilizationPercentage"])
        .map(|t| {
            json!({"type": "Resource", "resource": {"name": "cpu",
                "target": {"type": "Utilization", "averageUtilization": t}}})
        })
        .into_iter()
        .collect();
    let statuses = opt_i64(hpa, &["status", "currentCPUUtilizationPercentage"])
        .map(|c| json!({"type": "Resource", "resource": {"name": "cpu", "current": {"averageUtilization": c}}}))
        .into_iter()
        .collect();
    (specs, statuses)
}

/// One source's current/target text for value-based metrics (object, external).
fn value_metric(source: &Value, status: Option<&Value>) -> String {
    let target = get(source, &["target"]).unwrap_or(&Value::Null);
    if let Some(avg) = get(target, &["averageValue"]) {
        let current = status
            .and_then(|s| get(s, &["current", "averageValue"]))
            .map_or_else(|| UNKNOWN.to_string(), |v| canonical_or_nil(Some(v)));
        format!("{current}/{} (avg)", canonical_or_nil(Some(avg)))
    } else {
        let current = status.map_or_else(
            || UNKNOWN.to_string(),
            |s| canonical_or_nil(get(s, &["current", "value"])),
        );
        format!("{current}/{}", canonical_or_nil(get(target, &["value"])))
    }
}

/// `name: current/target` for resource and container-resource metrics.
fn resource_metric(source: &Value, status: Option<&Value>) -> String {
    let resource = str_at(source, &["name"]);
    let target = get(source, &["target"]).unwrap_or(&Value::Null);
    if let Some(avg) = get(target, &["averageValue"]) {
        let current = status.map_or_else(
            || UNKNOWN.to_string(),
            |s| canonical_or_nil(get(s, &["current", "averageValue"])),
        );
        return format!("{resource}: {current}/{}", canonical_or_nil(Some(avg)));
    }
    let current = status
        .and_then(|s| opt_i64(s, &["current", "averageUtilization"]))
        .map_or_else(|| UNKNOWN.to_string(), |u| format!("{u}%"));
    let wanted = opt_i64(target, &["averageUtilization"])
        .map_or_else(|| "<auto>".to_string(), |u| format!("{u}%"));
    format!("{resource}: {current}/{wanted}")
}

fn format_metrics(specs: &[Value], statuses: &[Value]) -> String {
    if specs.is_empty() {
        return "<none>".to_string();
    }
    let list: Vec<String> = specs
        .iter()
        .enumerate()
        .map(|(i, spec)| {
            // Statuses are matched to specs by position.
            let status_of = |key: &str| statuses.get(i).and_then(|s| get(s, &[key]));
            let source_of = |key: &str| get(spec, &[key]).unwrap_or(&Value::Null);
            match str_at(spec, &["type"]) {
                "External" => value_metric(source_of("external"), status_of("external")),
                "Object" => value_metric(source_of("object"), status_of("object")),
                "Pods" => {
                    let current = status_of("pods").map_or_else(
                        || UNKNOWN.to_string(),
                        |s| canonical_or_nil(get(s, &["current", "averageValue"])),
                    );
                    let target =
                        canonical_or_nil(get(source_of("pods"), &["target", "averageValue"]));
                    format!("{current}/{target}")
                }
                "Resource" => resource_metric(source_of("resource"), status_of("resource")),
                "ContainerResource" => resource_metric(
                    source_of("containerResource"),
                    status_of("containerResource"),
                ),
                _ => "<unknown type>".to_string(),
            }
        })
        .collect();
    if list.len() > MAX_LISTED {
        format!(
            "{} + {} more...",
            list[..MAX_LISTED].join(", "),
            list.len() - MAX_LISTED
        )
    } else {
        list.join(", ")
    }
}

fn hpa_cells(hpa: &Value, clock: &Clock) -> Cells {
    let reference = format!(
        "{}/{}",
        str_at(hpa, &["spec", "scaleTargetRef", "kind"]),
        str_at(hpa, &["spec", "scaleTargetRef", "name"])
    );
    let (specs, statuses) = metrics(hpa);
    let min_pods = opt_i64(hpa, &["spec", "minReplicas"])
        .map_or_else(|| "<unset>".to_string(), |m| m.to_string());
    Ok(vec![
        cell(name(hpa)),
        cell(reference),
        cell(format_metrics(&specs, &statuses)),
        cell(min_pods),
        int_cell(i64_at(hpa, &["spec", "maxReplicas"])),
        int_cell(i64_at(hpa, &["status", "currentReplicas"])),
        cell(clock.age(hpa)),
    ])
}
