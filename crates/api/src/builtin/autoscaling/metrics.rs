//! The metrics an autoscaling/v2 HPA scales on (upstream `validateMetricSpec` and the
//! per-source rules).

use capstan_apimachinery::validation::{is_dns1123_label, is_qualified_name};
use capstan_apimachinery::{BadValue, ErrorList, FieldError, Path, Quantity};
use k8s_openapi::api::autoscaling::v2::{
    ContainerResourceMetricSource, MetricIdentifier, MetricSpec, MetricTarget, ResourceMetricSource,
};
use k8s_openapi::apimachinery::pkg::api::resource::Quantity as ApiQuantity;

use super::v2::{path_segment, validate_reference};

const SOURCE_TYPES: &[&str] = &[
    "ContainerResource",
    "External",
    "Object",
    "Pods",
    "Resource",
];

/// Upstream `validateMetricSpec`: the type names exactly one populated source.
pub(super) fn validate_metric(m: &MetricSpec, path: &Path) -> ErrorList {
    let mut errs = Vec::new();
    let type_path = path.child("type");
    if m.type_.is_empty() {
        errs.push(FieldError::required(
            &type_path,
            "must specify a metric source type",
        ));
    }
    if !SOURCE_TYPES.contains(&m.type_.as_str()) {
        errs.push(FieldError::not_supported(
            &type_path,
            m.type_.as_str(),
            SOURCE_TYPES,
        ));
    }
    // Only the first populated source (in upstream's order) is validated.
    let mut present: Vec<&str> = Vec::new();
    if let Some(o) = &m.object {
        present.push("object");
        let p = path.child("object");
        let r = &o.described_object;
        errs.extend(validate_reference(
            &r.kind,
            &r.name,
            &p.child("describedObject"),
        ));
        errs.extend(validate_identifier(&o.metric, &p.child("metric")));
        errs.extend(validate_target(&o.target, &p.child("target")));
        if o.target.value.is_none() && o.target.average_value.is_none() {
            errs.push(FieldError::required(
                &p.child("target").child("averageValue"),
                "must set either a target value or averageValue",
            ));
        }
    }
    if let Some(e) = &m.external {
        present.push("external");
        if present.len() == 1 {
            let p = path.child("external");
            errs.extend(validate_identifier(&e.metric, &p.child("metric")));
            errs.extend(validate_target(&e.target, &p.child("target")));
            let tp = p.child("target");
            if e.target.value.is_none() && e.target.average_value.is_none() {
                errs.push(FieldError::required(
                    &tp.child("averageValue"),
                    "must set either a target value for metric or a per-pod target",
                ));
            }
            if e.target.value.is_some() && e.target.average_value.is_some() {
                errs.push(FieldError::forbidden(
                    &tp.child("value"),
                    "may not set both a target value for metric and a per-pod target",
                ));
            }
        }
    }
    if let Some(pods) = &m.pods {
        present.push("pods");
        if present.len() == 1 {
            let p = path.child("pods");
            errs.extend(validate_identifier(&pods.metric, &p.child("metric")));
            errs.extend(validate_target(&pods.target, &p.child("target")));
            if pods.target.average_value.is_none() {
                errs.push(FieldError::required(
                    &p.child("target").child("averageValue"),
                    "must specify a positive target averageValue",
                ));
            }
        }
    }
    if let Some(r) = &m.resource {
        present.push("resource");
        if present.len() == 1 {
            errs.extend(validate_resource_source(r, &path.child("resource")));
        }
    }
    if let Some(c) = &m.container_resource {
        present.push("containerResource");
        if present.len() == 1 {
            errs.extend(validate_container_resource(
                c,
                &path.child("containerResource"),
            ));
        }
    }
    let expected = match m.type_.as_str() {
        "Object" => "object",
        "Pods" => "pods",
        "Resource" => "resource",
        "External" => "external",
        "ContainerResource" => "containerResource",
        _ => {
            errs.push(FieldError::not_supported(
                &type_path,
                m.type_.as_str(),
                SOURCE_TYPES,
            ));
            ""
        }
    };
    if !expected.is_empty() && !present.contains(&expected) {
        errs.push(FieldError::required(
            &path.child(expected),
            "must populate information for the given metric source",
        ));
    }
    if present.len() != 1 {
        for other in present.iter().filter(|p| **p != expected) {
            errs.push(FieldError::forbidden(
                &path.child(other),
                "must populate the given metric source only",
            ));
        }
    }
    errs
}

fn utilization_or_value(t: &MetricTarget, path: &Path, errs: &mut ErrorList) {
    let tp = path.child("target");
    if t.average_utilization.is_none() && t.average_value.is_none() {
        errs.push(FieldError::required(
            &tp.child("averageUtilization"),
            "must set either a target raw value or a target utilization",
        ));
    }
    if t.average_utilization.is_some() && t.average_value.is_some() {
        errs.push(FieldError::forbidden(
            &tp.child("averageValue"),
            "may not set both a target raw value and a target utilization",
        ));
    }
}

fn validate_resource_source(r: &ResourceMetricSource, path: &Path) -> ErrorList {
    let mut errs = Vec::new();
    if r.name.is_empty() {
        errs.push(FieldError::required(
            &path.child("name"),
            "must specify a resource name",
        ));
    }
    errs.extend(validate_target(&r.target, &path.child("target")));
    utilization_or_value(&r.target, path, &mut errs);
    errs
}

fn validate_container_resource(c: &ContainerResourceMetricSource, path: &Path) -> ErrorList {
    let mut errs = Vec::new();
    let name_path = path.child("name");
    if c.name.is_empty() {
        errs.push(FieldError::required(
            &name_path,
            "must specify a resource name",
        ));
    } else {
        errs.extend(validate_container_resource_name(&c.name, &name_path));
    }
    let container_path = path.child("container");
    if c.container.is_empty() {
        errs.push(FieldError::required(
            &container_path,
            "must specify a container",
        ));
    } else {
        for msg in is_dns1123_label(&c.container) {
            errs.push(FieldError::invalid(
                &container_path,
                c.container.as_str(),
                &msg,
            ));
        }
    }
    errs.extend(validate_target(&c.target, &path.child("target")));
    utilization_or_value(&c.target, path, &mut errs);
    errs
}

/// Upstream `ValidateContainerResourceName`, for the names containers can request.
fn validate_container_resource_name(name: &str, path: &Path) -> ErrorList {
    let mut errs: ErrorList = is_qualified_name(name)
        .iter()
        .map(|msg| FieldError::invalid(path, name, msg))
        .collect();
    let standard =
        ["cpu", "memory", "ephemeral-storage"].contains(&name) || name.starts_with("hugepages-");
    if !name.contains('/') && !standard {
        errs.push(FieldError::invalid(
            path,
            name,
            "must be a standard resource for containers",
        ));
    }
    errs
}

fn quantity_value(q: &ApiQuantity) -> BadValue {
    BadValue::Raw(q.0.clone())
}

fn positive(q: &Option<ApiQuantity>, path: &Path, errs: &mut ErrorList) {
    if let Some(q) = q
        && Quantity::parse(&q.0).map_or(true, |v| v.sign() != 1)
    {
        errs.push(FieldError::invalid(
            path,
            quantity_value(q),
            "must be positive",
        ));
    }
}

/// Upstream `validateMetricTarget`.
fn validate_target(t: &MetricTarget, path: &Path) -> ErrorList {
    let mut errs = Vec::new();
    let type_path = path.child("type");
    if t.type_.is_empty() {
        errs.push(FieldError::required(
            &type_path,
            "must specify a metric target type",
        ));
    }
    if !["Utilization", "Value", "AverageValue"].contains(&t.type_.as_str()) {
        errs.push(FieldError::invalid(
            &type_path,
            t.type_.as_str(),
            "must be either Utilization, Value, or AverageValue",
        ));
    }
    positive(&t.value, &path.child("value"), &mut errs);
    positive(&t.average_value, &path.child("averageValue"), &mut errs);
    if let Some(u) = t.average_utilization.filter(|u| *u < 1) {
        errs.push(FieldError::invalid(
            &path.child("averageUtilization"),
            u,
            "must be greater than 0",
        ));
    }
    errs
}

fn validate_identifier(id: &MetricIdentifier, path: &Path) -> ErrorList {
    let mut errs = Vec::new();
    let name_path = path.child("name");
    if id.name.is_empty() {
        errs.push(FieldError::required(
            &name_path,
            "must specify a metric name",
        ));
    } else {
        path_segment(&id.name, &name_path, &mut errs);
    }
    errs
}
