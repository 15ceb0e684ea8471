//! Validation of a CRD's spec (upstream `validateCustomResourceDefinitionSpec`). Upstream
//! validates the internal form, where a schema, subresources or printer columns that are the
//! same in every version move to the top level: errors are then reported at
//! `spec.validation`, `spec.subresources` and `spec.additionalPrinterColumns`.

use capstan_apimachinery::validation::{is_dns1035_label, is_dns1123_subdomain};
use capstan_apimachinery::{BadValue, ErrorList, FieldError, Path};
use k8s_openapi::apiextensions_apiserver::pkg::apis::apiextensions::v1::{
    CustomResourceColumnDefinition, CustomResourceDefinitionNames, CustomResourceDefinitionSpec,
    CustomResourceDefinitionVersion, CustomResourceSubresources, CustomResourceValidation,
    SelectableField,
};

use super::parts::{
    validate_columns, validate_conversion, validate_selectable, validate_subresources,
};
use super::schema::schema_has;
use super::validation::validate_validation;
use crate::builtin::apps::shared::struct_value;

/// Options that depend on what the stored CRD already relied on.
pub struct Options {
    pub require_recognized_conversion_review_version: bool,
    pub require_openapi_schema: bool,
}

/// A per-version field, or the top-level one when all versions agree.
struct Shared<'a, T> {
    top: Option<Option<&'a T>>,
}

impl<'a, T: PartialEq> Shared<'a, T> {
    fn of(
        versions: &'a [CustomResourceDefinitionVersion],
        get: fn(&CustomResourceDefinitionVersion) -> Option<&T>,
    ) -> Self {
        let first = versions.first().map(get);
        let identical = first.is_some_and(|f| versions.iter().all(|v| get(v) == f));
        Shared {
            top: if identical { first } else { None },
        }
    }

    fn per_version(&self) -> bool {
        self.top.is_none()
    }
}

fn schema_of(v: &CustomResourceDefinitionVersion) -> Option<&CustomResourceValidation> {
    v.schema.as_ref()
}
fn subresources_of(v: &CustomResourceDefinitionVersion) -> Option<&CustomResourceSubresources> {
    v.subresources.as_ref()
}
fn columns_of(v: &CustomResourceDefinitionVersion) -> Option<&Vec<CustomResourceColumnDefinition>> {
    v.additional_printer_columns.as_ref()
}
fn selectable_of(v: &CustomResourceDefinitionVersion) -> Option<&Vec<SelectableField>> {
    v.selectable_fields.as_ref()
}

fn status_enabled(s: Option<&CustomResourceSubresources>) -> bool {
    s.is_some_and(|s| s.status.is_some())
}

fn has_defaults(spec: &CustomResourceDefinitionSpec) -> bool {
    spec.versions.iter().any(|v| {
        v.schema
            .as_ref()
            .and_then(|s| s.open_api_v3_schema.as_ref())
            .is_some_and(|s| schema_has(s, &|n| n.default.is_some()))
    })
}

fn has_kubernetes_extensions(spec: &CustomResourceDefinitionSpec) -> bool {
    spec.versions.iter().any(|v| {
        v.schema
            .as_ref()
            .and_then(|s| s.open_api_v3_schema.as_ref())
            .is_some_and(|s| {
                schema_has(s, &|n| {
                    n.x_kubernetes_preserve_unknown_fields.is_some()
                        || n.x_kubernetes_embedded_resource.unwrap_or(false)
                        || n.x_kubernetes_int_or_string.unwrap_or(false)
                        || n.x_kubernetes_list_type.is_some()
                        || n.x_kubernetes_list_map_keys.is_some()
                        || n.x_kubernetes_map_type.is_some()
                })
            })
    })
}

/// Upstream `validateCustomResourceDefinitionSpec`.
pub fn validate_spec(
    spec: &CustomResourceDefinitionSpec,
    opts: &Options,
    path: &Path,
) -> ErrorList {
    let mut errs = Vec::new();
    let group_path = path.child("group");
    if spec.group.is_empty() {
        errs.push(FieldError::required(&group_path, ""));
    } else if let msgs @ [_, ..] = is_dns1123_subdomain(&spec.group).as_slice() {
        errs.push(FieldError::invalid(
            &group_path,
            spec.group.as_str(),
            &msgs.join(","),
        ));
    } else if !spec.group.contains('.') {
        errs.push(FieldError::invalid(
            &group_path,
            spec.group.as_str(),
            "should be a domain with at least one dot",
        ));
    }
    let scope_path = path.child("scope");
    match spec.scope.as_str() {
        "" => errs.push(FieldError::required(&scope_path, "")),
        "Cluster" | "Namespaced" => {}
        other => errs.push(FieldError::not_supported(
            &scope_path,
            other,
            &["Cluster", "Namespaced"],
        )),
    }
    let preserve = spec.preserve_unknown_fields.unwrap_or(false);
    let schema = Shared::of(&spec.versions, schema_of);
    let subresources = Shared::of(&spec.versions, subresources_of);
    let columns = Shared::of(&spec.versions, columns_of);
    let selectable = Shared::of(&spec.versions, selectable_of);
    let top_schema = schema
        .top
        .flatten()
        .and_then(|s| s.open_api_v3_schema.as_ref());
    if top_schema.is_none() {
        for (i, v) in spec.versions.iter().enumerate() {
            let missing = v
                .schema
                .as_ref()
                .and_then(|s| s.open_api_v3_schema.as_ref())
                .is_none();
            let p = path
                .child("versions")
                .index(i)
                .child("schema")
                .child("openAPIV3Schema");
            if opts.require_openapi_schema && missing {
                errs.push(FieldError::required(&p, "schemas are required"));
            } else if !opts.require_openapi_schema && !preserve && v.served && missing {
                errs.push(FieldError::required(
                    &p,
                    "because otherwise all fields are pruned",
                ));
            }
        }
    }
    let mut require_structural = !preserve;
    if has_defaults(spec) {
        require_structural = true;
        if preserve {
            errs.push(FieldError::invalid(
                &path.child("preserveUnknownFields"),
                true,
                "must be false in order to use defaults in the schema",
            ));
        }
    }
    if has_kubernetes_extensions(spec) {
        require_structural = true;
    }
    let any_status = spec
        .versions
        .iter()
        .any(|v| status_enabled(v.subresources.as_ref()));
    let mut storage = 0;
    let mut names = std::collections::BTreeSet::new();
    let mut unique = true;
    for (i, v) in spec.versions.iter().enumerate() {
        let vp = path.child("versions").index(i);
        if v.storage {
            storage += 1;
        }
        unique &= names.insert(v.name.as_str());
        if let msgs @ [_, ..] = is_dns1035_label(&v.name).as_slice() {
            errs.push(FieldError::invalid(
                &vp.child("name"),
                v.name.as_str(),
                &msgs.join(","),
            ));
        }
        errs.extend(validate_deprecation(v, &vp));
        let version_status = if subresources.per_version() {
            status_enabled(v.subresources.as_ref())
        } else {
            status_enabled(subresources.top.flatten())
        };
        if schema.per_version() {
            errs.extend(validate_validation(
                v.schema.as_ref(),
                version_status,
                require_structural,
                &vp.child("schema"),
            ));
        }
        if subresources.per_version() {
            errs.extend(validate_subresources(
                v.subresources.as_ref(),
                &vp.child("subresources"),
            ));
        }
        if columns.per_version() {
            errs.extend(validate_columns(
                v.additional_printer_columns.as_deref(),
                &vp.child("additionalPrinterColumns"),
            ));
        }
        if selectable.per_version() {
            errs.extend(validate_selectable(
                v.selectable_fields.as_deref(),
                v.schema.as_ref(),
                &vp.child("selectableFields"),
            ));
        }
    }
    let versions_path = path.child("versions");
    if !unique {
        errs.push(FieldError::invalid(
            &versions_path,
            struct_value(&spec.versions),
            "must contain unique version names",
        ));
    }
    if storage != 1 {
        errs.push(FieldError::invalid(
            &versions_path,
            struct_value(&spec.versions),
            "must have exactly one version marked as storage version",
        ));
    }
    // The internal form also carries the first version as `spec.version`.
    if let Some(first) = spec.versions.first()
        && let msgs @ [_, ..] = is_dns1035_label(&first.name).as_slice()
    {
        errs.push(FieldError::invalid(
            &path.child("version"),
            first.name.as_str(),
            &msgs.join(","),
        ));
    }
    let names_path = path.child("names");
    let n = &spec.names;
    for (field, empty) in [
        ("plural", n.plural.is_empty()),
        ("singular", n.singular.as_deref().unwrap_or("").is_empty()),
        ("kind", n.kind.is_empty()),
        ("listKind", n.list_kind.as_deref().unwrap_or("").is_empty()),
    ] {
        if empty {
            errs.push(FieldError::required(&names_path.child(field), ""));
        }
    }
    errs.extend(validate_names(n, &names_path));
    if let Some(top) = schema.top {
        errs.extend(validate_validation(
            top,
            any_status,
            require_structural,
            &path.child("validation"),
        ));
    }
    if let Some(top) = subresources.top {
        errs.extend(validate_subresources(top, &path.child("subresources")));
    }
    if let Some(top) = columns.top {
        errs.extend(validate_columns(
            top.map(|c| c.as_slice()),
            &path.child("additionalPrinterColumns"),
        ));
    }
    if let Some(top) = selectable.top {
        errs.extend(validate_selectable(
            top.map(|s| s.as_slice()),
            schema.top.flatten(),
            &path.child("selectableFields"),
        ));
    }
    let conversion = spec.conversion.clone().unwrap_or_default();
    let conversion_path = path.child("conversion");
    if conversion.strategy != "None" && preserve {
        errs.push(FieldError::invalid(
            &conversion_path.child("strategy"),
            conversion.strategy.as_str(),
            "must be None if spec.preserveUnknownFields is true",
        ));
    }
    if spec.conversion.is_some() {
        errs.extend(validate_conversion(&conversion, opts, &conversion_path));
    }
    errs
}

fn validate_deprecation(v: &CustomResourceDefinitionVersion, path: &Path) -> ErrorList {
    let p = path.child("deprecationWarning");
    let Some(warning) = &v.deprecation_warning else {
        return Vec::new();
    };
    let value = || BadValue::String(warning.clone());
    if !v.deprecated.unwrap_or(false) {
        return vec![FieldError::invalid(
            &p,
            value(),
            "can only be set for deprecated versions",
        )];
    }
    let mut msgs = Vec::new();
    if warning.len() > 256 {
        msgs.push("must be <= 256 characters long".to_string());
    }
    if warning.is_empty() {
        msgs.push("must not be an empty string".to_string());
    }
    if let Some((i, _)) = warning.char_indices().find(|(_, c)| c.is_control()) {
        msgs.push(format!(
            "must only contain printable UTF-8 characters; non-printable character found at index {i}"
        ));
    }
    msgs.iter()
        .map(|m| FieldError::invalid(&p, value(), m))
        .collect()
}

/// Upstream `ValidateCustomResourceDefinitionNames` (spec and accepted names).
pub fn validate_names(n: &CustomResourceDefinitionNames, path: &Path) -> ErrorList {
    let mut errs = Vec::new();
    let label = |errs: &mut ErrorList, field: &Path, value: &str, checked: &str, prefix: &str| {
        let msgs = is_dns1035_label(checked);
        if !value.is_empty() && !msgs.is_empty() {
            errs.push(FieldError::invalid(
                field,
                value,
                &format!("{prefix}{}", msgs.join(",")),
            ));
        }
    };
    label(&mut errs, &path.child("plural"), &n.plural, &n.plural, "");
    let singular = n.singular.clone().unwrap_or_default();
    label(&mut errs, &path.child("singular"), &singular, &singular, "");
    let mixed = "may have mixed case, but should otherwise match: ";
    label(
        &mut errs,
        &path.child("kind"),
        &n.kind,
        &n.kind.to_lowercase(),
        mixed,
    );
    let list_kind = n.list_kind.clone().unwrap_or_default();
    label(
        &mut errs,
        &path.child("listKind"),
        &list_kind,
        &list_kind.to_lowercase(),
        mixed,
    );
    for (i, s) in n.short_names.iter().flatten().enumerate() {
        let msgs = is_dns1035_label(s);
        if !msgs.is_empty() {
            errs.push(FieldError::invalid(
                &path.child("shortNames").index(i),
                s.as_str(),
                &msgs.join(","),
            ));
        }
    }
    if !n.kind.is_empty() && n.kind == list_kind {
        errs.push(FieldError::invalid(
            &path.child("listKind"),
            list_kind.as_str(),
            "kind and listKind may not be the same",
        ));
    }
    for (i, c) in n.categories.iter().flatten().enumerate() {
        let msgs = is_dns1035_label(c);
        if !msgs.is_empty() {
            errs.push(FieldError::invalid(
                &path.child("categories").index(i),
                c.as_str(),
                &msgs.join(","),
            ));
        }
    }
    errs
}
