//! PersistentVolumeClaims (upstream pkg/registry/core/persistentvolumeclaim/strategy.go and
//! the claim parts of validation.go).

use std::collections::BTreeMap;

use capstan_apimachinery::validation::{
    LabelSelectorValidationOptions, is_dns1123_subdomain, name_is_dns_subdomain,
    validate_label_selector, validate_namespace_name,
};
use capstan_apimachinery::{ErrorList, FieldError, Path, Quantity};
use k8s_openapi::api::core::v1::{
    PersistentVolumeClaim, PersistentVolumeClaimSpec, TypedLocalObjectReference,
    TypedObjectReference,
};

use super::common::{immutable, invalid_each, not_supported, s};
use super::resources::{
    parse, round_up_to_milli, validate_basic, validate_positive, validate_quantity_value,
};
use crate::strategy::{TypedStrategy, Warnings};

pub const ACCESS_MODES: &[&str] = &[
    "ReadOnlyMany",
    "ReadWriteMany",
    "ReadWriteOnce",
    "ReadWriteOncePod",
];
pub const VOLUME_MODES: &[&str] = &["Block", "Filesystem"];
const BETA_STORAGE_CLASS: &str = "volume.beta.kubernetes.io/storage-class";

pub struct PersistentVolumeClaimStrategy;

/// Upstream SetDefaults_PersistentVolumeClaimSpec and the rounding of its resources.
pub fn default_claim_spec(spec: &mut PersistentVolumeClaimSpec) {
    spec.volume_mode.get_or_insert_with(|| "Filesystem".into());
    if let Some(r) = spec.resources.as_mut() {
        round_up_to_milli(&mut r.requests);
        round_up_to_milli(&mut r.limits);
    }
}

/// Upstream NormalizeDataSources: dataSource and dataSourceRef mirror each other.
fn normalize_data_sources(spec: &mut PersistentVolumeClaimSpec) {
    match (&spec.data_source, &spec.data_source_ref) {
        (Some(ds), None) => {
            spec.data_source_ref = Some(TypedObjectReference {
                api_group: ds.api_group.clone(),
                kind: ds.kind.clone(),
                name: ds.name.clone(),
                namespace: None,
            });
        }
        (None, Some(r)) if s(&r.namespace).is_empty() => {
            spec.data_source = Some(TypedLocalObjectReference {
                api_group: r.api_group.clone(),
                kind: r.kind.clone(),
                name: r.name.clone(),
            });
        }
        _ => {}
    }
}

impl TypedStrategy<PersistentVolumeClaim> for PersistentVolumeClaimStrategy {
    fn prepare_for_create(&self, pvc: &mut PersistentVolumeClaim) {
        pvc.status = Some(Default::default());
        if let Some(spec) = pvc.spec.as_mut() {
            normalize_data_sources(spec);
        }
    }

    fn default(&self, pvc: &mut PersistentVolumeClaim) {
        let spec = pvc.spec.get_or_insert_with(Default::default);
        default_claim_spec(spec);
        let status = pvc.status.get_or_insert_with(Default::default);
        status.phase.get_or_insert_with(|| "Pending".into());
    }

    fn validate(&self, pvc: &PersistentVolumeClaim) -> ErrorList {
        validate_claim_spec(&spec_of(pvc), &Path::new("spec"))
    }

    fn warnings(&self, pvc: &PersistentVolumeClaim) -> Warnings {
        let mut w = Vec::new();
        let annotations = pvc.metadata.annotations.as_ref();
        if annotations.is_some_and(|a| a.contains_key(BETA_STORAGE_CLASS)) {
            w.push(format!(
                "metadata.annotations[{BETA_STORAGE_CLASS}]: deprecated since v1.8; use \"storageClassName\" attribute instead"
            ));
        }
        w.extend(claim_spec_warnings(&spec_of(pvc), &Path::new("spec")));
        w
    }

    fn prepare_for_update(&self, pvc: &mut PersistentVolumeClaim, old: &PersistentVolumeClaim) {
        pvc.status = old.status.clone();
        if let Some(spec) = pvc.spec.as_mut() {
            normalize_data_sources(spec);
        }
    }

    fn validate_update(
        &self,
        pvc: &PersistentVolumeClaim,
        old: &PersistentVolumeClaim,
    ) -> ErrorList {
        let mut errs = self.validate(pvc);
        errs.extend(validate_claim_update(pvc, old));
        errs
    }

    fn prepare_for_status_update(
        &self,
        pvc: &mut PersistentVolumeClaim,
        old: &PersistentVolumeClaim,
    ) {
        pvc.spec = old.spec.clone();
    }

    fn validate_status_update(
        &self,
        pvc: &PersistentVolumeClaim,
        _old: &PersistentVolumeClaim,
    ) -> ErrorList {
        validate_claim_status(pvc)
    }
}

fn spec_of(pvc: &PersistentVolumeClaim) -> PersistentVolumeClaimSpec {
    pvc.spec.clone().unwrap_or_default()
}

fn requests(
    spec: &PersistentVolumeClaimSpec,
) -> Option<&BTreeMap<String, k8s_openapi::apimachinery::pkg::api::resource::Quantity>> {
    spec.resources.as_ref().and_then(|r| r.requests.as_ref())
}

/// Upstream ValidatePersistentVolumeClaimSpec.
pub fn validate_claim_spec(spec: &PersistentVolumeClaimSpec, path: &Path) -> ErrorList {
    let mut errs = Vec::new();
    let modes = spec.access_modes.as_deref().unwrap_or(&[]);
    if modes.is_empty() {
        errs.push(FieldError::required(
            &path.child("accessModes"),
            "at least 1 access mode is required",
        ));
    }
    if let Some(sel) = &spec.selector {
        errs.extend(validate_label_selector(
            Some(sel),
            LabelSelectorValidationOptions::default(),
            &path.child("selector"),
        ));
    }
    errs.extend(validate_access_modes(modes, &path.child("accessModes")));
    let storage_path = path.child("resources").key("storage");
    match requests(spec).and_then(|r| r.get("storage")) {
        None => errs.push(FieldError::required(&storage_path, "")),
        Some(q) => match parse(q, &storage_path) {
            Err(e) => errs.push(e),
            Ok(v) => {
                let positive = validate_positive(&v, &storage_path);
                if positive.is_empty() {
                    errs.extend(validate_quantity_value("storage", &v, &storage_path));
                } else {
                    errs.extend(positive);
                }
            }
        },
    }
    let class = s(&spec.storage_class_name);
    if !class.is_empty() {
        errs.extend(invalid_each(
            &path.child("storageClassName"),
            class,
            name_is_dns_subdomain(class, false),
        ));
    }
    if let Some(m) = &spec.volume_mode
        && !VOLUME_MODES.contains(&m.as_str())
    {
        errs.push(not_supported(&path.child("volumeMode"), m, VOLUME_MODES));
    }
    if let Some(ds) = &spec.data_source {
        errs.extend(validate_data_source(
            &ds.name,
            &ds.kind,
            s(&ds.api_group),
            &path.child("dataSource"),
        ));
    }
    if let Some(r) = &spec.data_source_ref {
        let p = path.child("dataSourceRef");
        errs.extend(validate_data_source(&r.name, &r.kind, s(&r.api_group), &p));
        let ns = s(&r.namespace);
        if !ns.is_empty() {
            errs.extend(invalid_each(
                &p.child("namespace"),
                ns,
                validate_namespace_name(ns, false),
            ));
        }
    }
    let ref_namespace = spec
        .data_source_ref
        .as_ref()
        .map(|r| s(&r.namespace))
        .unwrap_or("");
    let data_source_path = path.child("dataSource").to_string();
    if !ref_namespace.is_empty() {
        if spec.data_source.is_some() {
            errs.push(FieldError::invalid(
                path,
                data_source_path,
                "may not be specified when dataSourceRef.namespace is specified",
            ));
        }
    } else if let (Some(ds), Some(r)) = (&spec.data_source, &spec.data_source_ref)
        && (ds.api_group != r.api_group || ds.kind != r.kind || ds.name != r.name)
    {
        errs.push(FieldError::invalid(
            path,
            data_source_path,
            "must match dataSourceRef",
        ));
    }
    errs
}

/// Supported values, and ReadWriteOncePod alone.
pub fn validate_access_modes(modes: &[String], path: &Path) -> ErrorList {
    let mut errs = Vec::new();
    let (mut rwop, mut other) = (false, false);
    for m in modes {
        if !ACCESS_MODES.contains(&m.as_str()) {
            errs.push(not_supported(path, m, ACCESS_MODES));
        } else if m == "ReadWriteOncePod" {
            rwop = true;
        } else {
            other = true;
        }
    }
    if rwop && other {
        errs.push(FieldError::forbidden(
            path,
            "may not use ReadWriteOncePod with other access modes",
        ));
    }
    errs
}

fn validate_data_source(name: &str, kind: &str, group: &str, path: &Path) -> ErrorList {
    let mut errs = Vec::new();
    if name.is_empty() {
        errs.push(FieldError::required(&path.child("name"), ""));
    }
    if kind.is_empty() {
        errs.push(FieldError::required(&path.child("kind"), ""));
    }
    if group.is_empty() && kind != "PersistentVolumeClaim" {
        errs.push(FieldError::invalid(
            path,
            kind,
            "must be 'PersistentVolumeClaim' when referencing the default apiGroup",
        ));
    }
    if !group.is_empty() {
        errs.extend(invalid_each(
            &path.child("apiGroup"),
            group,
            is_dns1123_subdomain(group),
        ));
    }
    errs
}

/// Upstream GetWarningsForPersistentVolumeClaimSpec: fractional byte sizes.
pub fn claim_spec_warnings(spec: &PersistentVolumeClaimSpec, path: &Path) -> Warnings {
    let mut w = Vec::new();
    let Some(r) = &spec.resources else {
        return w;
    };
    for (list, field) in [(&r.requests, "requests"), (&r.limits, "limits")] {
        if let Some(q) = list.as_ref().and_then(|l| l.get("storage"))
            && let Ok(v) = Quantity::parse(&q.0)
            && v.milli_value() % 1000 != 0
        {
            let p = path.child("resources").child(field).key("storage");
            w.push(format!(
                "{p}: fractional byte value {:?} is invalid, must be an integer",
                v.canonical()
            ));
        }
    }
    w
}

/// Upstream ValidatePersistentVolumeClaimUpdate (without the alpha volume attributes class).
fn validate_claim_update(new: &PersistentVolumeClaim, old: &PersistentVolumeClaim) -> ErrorList {
    let mut errs = Vec::new();
    let mut new_spec = spec_of(new);
    let mut old_spec = spec_of(old);
    if s(&old_spec.volume_name).is_empty() {
        old_spec.volume_name = new_spec.volume_name.clone();
    }
    let annotation = |p: &PersistentVolumeClaim| {
        p.metadata
            .annotations
            .as_ref()
            .and_then(|a| a.get(BETA_STORAGE_CLASS))
            .cloned()
    };
    let (old_ann, new_ann) = (annotation(old), annotation(new));
    let upgrade_from_annotation = old_ann.is_some()
        && old_spec.storage_class_name.is_none()
        && new_spec.storage_class_name.is_some()
        && new_spec.storage_class_name == old_ann
        && (new_ann.is_none() || new_ann == old_ann);
    if upgrade_from_annotation {
        new_spec.storage_class_name = None;
    } else {
        let (n, o) = (
            new_ann.clone().unwrap_or_default(),
            old_ann.clone().unwrap_or_default(),
        );
        let p = Path::new("metadata")
            .child("annotations")
            .child(BETA_STORAGE_CLASS);
        errs.extend(immutable(&n, &o, n.as_str(), &p));
        let from_nil = new_spec.storage_class_name.is_some()
            && old_spec.storage_class_name.is_none()
            && (old_ann.is_none() || new_spec.storage_class_name == old_ann);
        if from_nil {
            new_spec.storage_class_name = old_spec.storage_class_name.clone();
        }
    }
    let bound = new.status.as_ref().and_then(|st| st.phase.as_deref()) == Some("Bound");
    let storage =
        |spec: &PersistentVolumeClaimSpec| requests(spec).and_then(|r| r.get("storage")).cloned();
    if bound && requests(&new_spec).is_some() {
        let old_storage = storage(&spec_of(old));
        if let Some(reqs) = new_spec
            .resources
            .as_mut()
            .and_then(|r| r.requests.as_mut())
        {
            match old_storage {
                Some(q) => reqs.insert("storage".into(), q),
                None => reqs.remove("storage"),
            };
        }
    }
    if new_spec != old_spec {
        let diff = super::diff::render("core.PersistentVolumeClaimSpec", &old_spec, &new_spec);
        errs.push(FieldError::forbidden(
            &Path::new("spec"),
            &format!("spec is immutable after creation except resources.requests and volumeAttributesClassName for bound claims\n{diff}"),
        ));
    }
    let size = |q: Option<k8s_openapi::apimachinery::pkg::api::resource::Quantity>| {
        q.and_then(|q| Quantity::parse(&q.0).ok())
            .unwrap_or_default()
    };
    let (old_size, new_size) = (size(storage(&spec_of(old))), size(storage(&spec_of(new))));
    let status_size = size(
        old.status
            .as_ref()
            .and_then(|st| st.capacity.as_ref())
            .and_then(|c| c.get("storage"))
            .cloned(),
    );
    // Recovery from failed expansions (on by default in v1.33) allows shrinking down to
    // what the volume already has.
    if new_size < old_size && new_size <= status_size {
        errs.push(FieldError::forbidden(
            &Path::new("spec")
                .child("resources")
                .child("requests")
                .child("storage"),
            "field can not be less than status.capacity",
        ));
    }
    let (nm, om) = (spec_of(new).volume_mode, spec_of(old).volume_mode);
    errs.extend(immutable(
        &nm,
        &om,
        nm.clone().unwrap_or_default(),
        &Path::new("volumeMode"),
    ));
    errs
}

const RESIZE_STATUSES: &[&str] = &[
    "ControllerResizeInProgress",
    "ControllerResizeInfeasible",
    "NodeResizeInProgress",
    "NodeResizeInfeasible",
    "NodeResizePending",
];

/// Upstream ValidatePersistentVolumeClaimStatusUpdate.
fn validate_claim_status(pvc: &PersistentVolumeClaim) -> ErrorList {
    let mut errs = Vec::new();
    if pvc
        .spec
        .as_ref()
        .and_then(|sp| sp.access_modes.as_ref())
        .is_none_or(|m| m.is_empty())
    {
        errs.push(FieldError::required(
            &Path::new("Spec").child("accessModes"),
            "",
        ));
    }
    let status = pvc.status.clone().unwrap_or_default();
    let cap_path = Path::new("status").child("capacity");
    for (name, q) in status.capacity.iter().flatten() {
        match parse(q, &cap_path.key(name)) {
            Ok(v) => errs.extend(validate_basic(&v, &cap_path.key(name))),
            Err(e) => errs.push(e),
        }
    }
    let rs_path = Path::new("status").child("allocatedResourceStatus");
    for (name, value) in status.allocated_resource_statuses.iter().flatten() {
        errs.extend(claim_resource_key(name, &rs_path));
        if !RESIZE_STATUSES.contains(&value.as_str()) {
            errs.push(not_supported(&rs_path, name, RESIZE_STATUSES));
        }
    }
    let alloc_path = Path::new("status").child("allocatedResources");
    for (name, q) in status.allocated_resources.iter().flatten() {
        let key_errs = claim_resource_key(name, &alloc_path);
        if !key_errs.is_empty() {
            errs.extend(key_errs);
            continue;
        }
        match parse(q, &alloc_path.key(name)) {
            Err(e) => errs.push(e),
            Ok(v) => {
                let basic = validate_basic(&v, &alloc_path.key(name));
                if basic.is_empty() {
                    errs.extend(validate_quantity_value(
                        "storage",
                        &v,
                        &alloc_path.key(name),
                    ));
                } else {
                    errs.extend(basic);
                }
            }
        }
    }
    errs
}

fn claim_resource_key(name: &str, path: &Path) -> ErrorList {
    let errs = invalid_each(
        path,
        name,
        capstan_apimachinery::validation::is_qualified_name(name),
    );
    if !errs.is_empty() {
        return errs;
    }
    if super::resources::is_native(name) && name != "storage" {
        return vec![not_supported(path, name, &["storage"])];
    }
    Vec::new()
}

#[cfg(test)]
#[path = "pvc_tests.rs"]
mod tests;
