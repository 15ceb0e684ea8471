//! The smaller parts of a CRD spec: scale subresource paths, printer columns, selectable
//! fields and the conversion webhook.

use capstan_apimachinery::validation::is_dns1035_label;
use capstan_apimachinery::{BadValue, ErrorList, FieldError, Path};
use k8s_openapi::apiextensions_apiserver::pkg::apis::apiextensions::v1::{
    CustomResourceColumnDefinition, CustomResourceConversion, CustomResourceSubresources,
    CustomResourceValidation, SelectableField,
};

use super::spec::Options;
use super::webhook::{validate_service, validate_url};

const COLUMN_TYPES: &str = "boolean,date,integer,number,string";
const COLUMN_FORMATS: &str = "byte,date,date-time,double,float,int32,int64,password";
const MAX_SELECTABLE_FIELDS: usize = 8;

/// Upstream `validateSimpleJSONPath`.
fn simple_json_path(s: &str, path: &Path) -> ErrorList {
    if s.is_empty() {
        vec![FieldError::invalid(path, s, "must not be empty")]
    } else if !s.starts_with('.') {
        vec![FieldError::invalid(
            path,
            s,
            "must be a simple json path starting with .",
        )]
    } else {
        Vec::new()
    }
}

/// Upstream `ValidateCustomResourceDefinitionSubresources`: scale paths under .spec/.status.
pub(super) fn validate_subresources(
    s: Option<&CustomResourceSubresources>,
    path: &Path,
) -> ErrorList {
    let Some(scale) = s.and_then(|s| s.scale.as_ref()) else {
        return Vec::new();
    };
    let mut errs = Vec::new();
    for (field, value, prefix, msg) in [
        (
            "scale.specReplicasPath",
            &scale.spec_replicas_path,
            ".spec.",
            "should be a json path under .spec",
        ),
        (
            "scale.statusReplicasPath",
            &scale.status_replicas_path,
            ".status.",
            "should be a json path under .status",
        ),
    ] {
        let p = path.child(field);
        if value.is_empty() {
            errs.push(FieldError::required(&p, ""));
        } else if let e @ [_, ..] = simple_json_path(value, &p).as_slice() {
            errs.extend(e.iter().cloned());
        } else if !value.starts_with(prefix) {
            errs.push(FieldError::invalid(&p, value.as_str(), msg));
        }
    }
    if let Some(selector) = scale
        .label_selector_path
        .as_deref()
        .filter(|s| !s.is_empty())
    {
        let p = path.child("scale.labelSelectorPath");
        if let e @ [_, ..] = simple_json_path(selector, &p).as_slice() {
            errs.extend(e.iter().cloned());
        } else if !selector.starts_with(".spec.") && !selector.starts_with(".status.") {
            errs.push(FieldError::invalid(
                &p,
                BadValue::String(selector.into()),
                "should be a json path under either .spec or .status",
            ));
        }
    }
    errs
}

/// Upstream `ValidateCustomResourceColumnDefinition` (note the `JSONPath` field name).
pub(super) fn validate_columns(
    columns: Option<&[CustomResourceColumnDefinition]>,
    path: &Path,
) -> ErrorList {
    let mut errs = Vec::new();
    for (i, c) in columns.unwrap_or(&[]).iter().enumerate() {
        let p = path.index(i);
        if c.name.is_empty() {
            errs.push(FieldError::required(&p.child("name"), ""));
        }
        let types_msg = format!("must be one of {COLUMN_TYPES}");
        if c.type_.is_empty() {
            errs.push(FieldError::required(&p.child("type"), &types_msg));
        } else if !COLUMN_TYPES.split(',').any(|t| t == c.type_) {
            errs.push(FieldError::invalid(
                &p.child("type"),
                c.type_.as_str(),
                &types_msg,
            ));
        }
        let format = c.format.as_deref().unwrap_or("");
        if !format.is_empty() && !COLUMN_FORMATS.split(',').any(|f| f == format) {
            errs.push(FieldError::invalid(
                &p.child("format"),
                format,
                &format!("must be one of {COLUMN_FORMATS}"),
            ));
        }
        let jp = p.child("JSONPath");
        if c.json_path.is_empty() {
            errs.push(FieldError::required(&jp, ""));
        } else {
            errs.extend(simple_json_path(&c.json_path, &jp));
        }
    }
    errs
}

/// `selectableFields`: paths to string, boolean or integer fields outside metadata.
pub(super) fn validate_selectable(
    fields: Option<&[SelectableField]>,
    validation: Option<&CustomResourceValidation>,
    path: &Path,
) -> ErrorList {
    let fields = fields.unwrap_or(&[]);
    if fields.is_empty() {
        return Vec::new();
    }
    let Some(schema) = validation.and_then(|v| v.open_api_v3_schema.as_ref()) else {
        return vec![FieldError::invalid(
            path,
            "",
            "selectableFields may only be set when version.schema.openAPIV3Schema is not included",
        )];
    };
    let mut errs = Vec::new();
    let mut seen = std::collections::BTreeSet::new();
    for (i, f) in fields.iter().enumerate() {
        let p = path.index(i).child("jsonPath");
        if f.json_path.is_empty() {
            errs.push(FieldError::required(&p, ""));
            continue;
        }
        let segments: Vec<&str> = f.json_path.trim_start_matches('.').split('.').collect();
        let mut node = Some(schema);
        for s in &segments {
            node = node
                .and_then(|n| n.properties.as_ref())
                .and_then(|p| p.get(*s));
        }
        let Some(target) = node.filter(|_| f.json_path.starts_with('.')) else {
            errs.push(FieldError::invalid(
                &p,
                f.json_path.as_str(),
                "is an invalid path: does not refer to a valid field",
            ));
            continue;
        };
        if segments[0] == "metadata" {
            errs.push(FieldError::invalid(
                &p,
                f.json_path.as_str(),
                "must not point to fields in metadata",
            ));
        }
        if !matches!(
            target.type_.as_deref(),
            Some("string" | "boolean" | "integer")
        ) {
            errs.push(FieldError::invalid(
                &p,
                f.json_path.as_str(),
                "must point to a field of type string, boolean or integer. Enum string fields and strings with formats are allowed.",
            ));
        }
        if !seen.insert(segments.join(".")) {
            errs.push(FieldError::duplicate(&p, f.json_path.as_str()));
        }
    }
    if seen.len() > MAX_SELECTABLE_FIELDS {
        errs.push(FieldError::too_many(
            path,
            seen.len() as i64,
            MAX_SELECTABLE_FIELDS as i64,
        ));
    }
    errs
}

const REVIEW_VERSIONS: &[&str] = &["v1", "v1beta1"];

/// Upstream `validateCustomResourceConversion`, at the internal paths
/// (`webhookClientConfig`, `conversionReviewVersions` directly under `conversion`).
pub(super) fn validate_conversion(
    c: &CustomResourceConversion,
    opts: &Options,
    path: &Path,
) -> ErrorList {
    let mut errs = Vec::new();
    let strategy_path = path.child("strategy");
    match c.strategy.as_str() {
        "" => errs.push(FieldError::required(&strategy_path, "")),
        "None" | "Webhook" => {}
        other => errs.push(FieldError::not_supported(
            &strategy_path,
            other,
            &["None", "Webhook"],
        )),
    }
    let config_path = path.child("webhookClientConfig");
    let versions_path = path.child("conversionReviewVersions");
    let webhook = c.webhook.clone().unwrap_or_default();
    if c.strategy == "Webhook" {
        match &webhook.client_config {
            None => errs.push(FieldError::required(
                &config_path,
                "required when strategy is set to Webhook",
            )),
            Some(cc) => match (&cc.url, &cc.service) {
                (Some(url), None) => errs.extend(validate_url(url, &config_path.child("url"))),
                (None, Some(svc)) => {
                    errs.extend(validate_service(svc, &config_path.child("service")))
                }
                _ => errs.push(FieldError::required(
                    &config_path,
                    "exactly one of url or service is required",
                )),
            },
        }
        let versions = &webhook.conversion_review_versions;
        if versions.is_empty() {
            errs.push(FieldError::required(&versions_path, ""));
        } else {
            let mut seen = std::collections::BTreeSet::new();
            for (i, v) in versions.iter().enumerate() {
                let p = versions_path.index(i);
                if !seen.insert(v.as_str()) {
                    errs.push(FieldError::invalid(&p, v.as_str(), "duplicate version"));
                    continue;
                }
                for msg in is_dns1035_label(v) {
                    errs.push(FieldError::invalid(&p, v.as_str(), &msg));
                }
            }
            if opts.require_recognized_conversion_review_version
                && !versions
                    .iter()
                    .any(|v| REVIEW_VERSIONS.contains(&v.as_str()))
            {
                errs.push(FieldError::invalid(
                    &versions_path,
                    BadValue::StringList(versions.clone()),
                    &format!(
                        "must include at least one of {}",
                        REVIEW_VERSIONS.join(", ")
                    ),
                ));
            }
        }
    } else {
        if webhook.client_config.is_some() {
            errs.push(FieldError::forbidden(
                &config_path,
                "should not be set when strategy is not set to Webhook",
            ));
        }
        if !webhook.conversion_review_versions.is_empty() {
            errs.push(FieldError::forbidden(
                &versions_path,
                "should not be set when strategy is not set to Webhook",
            ));
        }
    }
    errs
}
