//! The files volumes project (secret and config map items, downward API files, projected
//! sources) and the claim templates of ephemeral volumes (upstream validateKeyToPath,
//! validateDownwardAPIVolumeFile, validateProjectionSources, ValidateTemplateObjectMeta,
//! ValidatePersistentVolumeClaimTemplate).

use std::collections::{BTreeMap, BTreeSet};

use capstan_apimachinery::validation::{validate_annotations, validate_labels};
use capstan_apimachinery::{ErrorList, FieldError, Path};
use k8s_openapi::api::core::v1::{
    DownwardAPIVolumeFile, KeyToPath, PersistentVolumeClaimTemplate, ProjectedVolumeSource,
};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;

use super::common::local_non_reserved_path;
use super::env::{VOLUME_FIELD_PATHS, validate_field_selector, validate_resource_selector};
use super::legacy_volumes as legacy;
use super::volumes::FILE_MODE_ERROR;

/// File modes are 0 to 0777.
pub fn validate_mode(mode: Option<i32>, path: &Path) -> ErrorList {
    match mode {
        Some(m) if !(0..=0o777).contains(&m) => vec![FieldError::invalid(path, m, FILE_MODE_ERROR)],
        _ => Vec::new(),
    }
}

pub fn validate_items(items: &[KeyToPath], path: &Path) -> ErrorList {
    items
        .iter()
        .enumerate()
        .flat_map(|(i, kp)| validate_key_to_path(kp, &path.index(i)))
        .collect()
}

/// Upstream validateKeyToPath.
pub fn validate_key_to_path(kp: &KeyToPath, path: &Path) -> ErrorList {
    let mut errs = Vec::new();
    if kp.key.is_empty() {
        errs.push(FieldError::required(&path.child("key"), ""));
    }
    if kp.path.is_empty() {
        errs.push(FieldError::required(&path.child("path"), ""));
    }
    errs.extend(local_non_reserved_path(&kp.path, &path.child("path")));
    errs.extend(validate_mode(kp.mode, &path.child("mode")));
    errs
}

/// Upstream validateDownwardAPIVolumeFile (errors are reported on the source's path).
pub fn validate_downward_file(f: &DownwardAPIVolumeFile, path: &Path) -> ErrorList {
    let mut errs = Vec::new();
    if f.path.is_empty() {
        errs.push(FieldError::required(&path.child("path"), ""));
    }
    errs.extend(local_non_reserved_path(&f.path, &path.child("path")));
    if let Some(r) = &f.field_ref {
        errs.extend(validate_field_selector(
            r,
            VOLUME_FIELD_PATHS,
            &path.child("fieldRef"),
        ));
        if f.resource_field_ref.is_some() {
            errs.push(FieldError::invalid(
                path,
                "resource",
                "fieldRef and resourceFieldRef can not be specified simultaneously",
            ));
        }
    } else if let Some(r) = &f.resource_field_ref {
        errs.extend(validate_resource_selector(
            r,
            true,
            &path.child("resourceFieldRef"),
        ));
    } else {
        errs.push(FieldError::required(
            path,
            "one of fieldRef and resourceFieldRef is required",
        ));
    }
    errs.extend(validate_mode(f.mode, &path.child("mode")));
    errs
}

/// Upstream validateProjectedVolumeSource / validateProjectionSources.
pub fn validate_projected(p: &ProjectedVolumeSource, path: &Path) -> ErrorList {
    let mut errs = validate_mode(p.default_mode, &path.child("defaultMode"));
    let mut all_paths = BTreeSet::new();
    let mut claim = |file: &str, bad: &str, errs: &mut ErrorList| {
        if !all_paths.insert(file.to_string()) {
            errs.push(FieldError::invalid(
                path,
                bad,
                "conflicting duplicate paths",
            ));
        }
    };
    for (i, source) in p.sources.iter().flatten().enumerate() {
        let src_path = path.child("sources").index(i);
        let mut count = 0;
        let keyed = [
            source
                .secret
                .as_ref()
                .map(|x| ("secret", x.name.as_str(), x.items.as_deref())),
            source
                .config_map
                .as_ref()
                .map(|x| ("configMap", x.name.as_str(), x.items.as_deref())),
        ];
        for (field, name, items) in keyed.into_iter().flatten() {
            count += 1;
            let pp = src_path.child(field);
            if name.is_empty() {
                errs.push(FieldError::required(&pp.child("name"), ""));
            }
            for (j, kp) in items.unwrap_or(&[]).iter().enumerate() {
                errs.extend(validate_key_to_path(kp, &pp.child("items").index(j)));
                if !kp.path.is_empty() {
                    claim(&kp.path, name, &mut errs);
                }
            }
        }
        if let Some(d) = &source.downward_api {
            count += 1;
            for f in d.items.iter().flatten() {
                errs.extend(validate_downward_file(f, &src_path.child("downwardAPI")));
                if !f.path.is_empty() {
                    claim(&f.path, &f.path, &mut errs);
                }
            }
        }
        if let Some(t) = &source.service_account_token {
            count += 1;
            let exp = t.expiration_seconds.unwrap_or(0);
            let ep = src_path
                .child("serviceAccountToken")
                .child("expirationSeconds");
            if exp < 600 {
                errs.push(FieldError::invalid(
                    &ep,
                    exp,
                    "may not specify a duration less than 10 minutes",
                ));
            }
            if exp > 1 << 32 {
                errs.push(FieldError::invalid(
                    &ep,
                    exp,
                    "may not specify a duration larger than 2^32 seconds",
                ));
            }
            if t.path.is_empty() {
                errs.push(FieldError::required(&path.child("path"), ""));
            } else {
                errs.extend(local_non_reserved_path(&t.path, &path.child("path")));
            }
        }
        if let Some(b) = &source.cluster_trust_bundle {
            count += 1;
            errs.extend(legacy::cluster_trust_bundle(
                b,
                &src_path.child("clusterTrustBundle"),
            ));
            claim(&b.path, &b.path, &mut errs);
        }
        if count > 1 {
            errs.push(FieldError::forbidden(
                &src_path,
                "may not specify more than 1 volume type per source",
            ));
        }
    }
    errs
}

const TEMPLATE_META_FIELDS: &[&str] = &[
    "name",
    "generateName",
    "namespace",
    "selfLink",
    "uID",
    "resourceVersion",
    "generation",
    "creationTimestamp",
    "deletionTimestamp",
    "deletionGracePeriodSeconds",
    "ownerReferences",
    "finalizers",
    "managedFields",
];

/// Upstream ValidateTemplateObjectMeta: only labels and annotations may be set.
pub fn validate_template_meta(meta: &Option<ObjectMeta>, path: &Path) -> ErrorList {
    let Some(m) = meta else {
        return Vec::new();
    };
    let mut errs = validate_annotations(
        m.annotations.as_ref().unwrap_or(&BTreeMap::new()),
        &path.child("annotations"),
    );
    errs.extend(validate_labels(
        m.labels.as_ref().unwrap_or(&BTreeMap::new()),
        &path.child("labels"),
    ));
    let set = [
        m.name.is_some(),
        m.generate_name.is_some(),
        m.namespace.is_some(),
        m.self_link.is_some(),
        m.uid.is_some(),
        m.resource_version.is_some(),
        m.generation.is_some(),
        m.creation_timestamp.is_some(),
        m.deletion_timestamp.is_some(),
        m.deletion_grace_period_seconds.is_some(),
        m.owner_references.as_ref().is_some_and(|v| !v.is_empty()),
        m.finalizers.as_ref().is_some_and(|v| !v.is_empty()),
        m.managed_fields.as_ref().is_some_and(|v| !v.is_empty()),
    ];
    for (field, present) in TEMPLATE_META_FIELDS.iter().zip(set) {
        if present {
            errs.push(FieldError::forbidden(&path.child(field), "cannot be set"));
        }
    }
    errs
}

/// Upstream ValidatePersistentVolumeClaimTemplate.
pub fn validate_claim_template(t: &PersistentVolumeClaimTemplate, path: &Path) -> ErrorList {
    let mut errs = validate_template_meta(&t.metadata, &path.child("metadata"));
    errs.extend(super::pvc::validate_claim_spec(
        &t.spec,
        &path.child("spec"),
    ));
    errs
}
