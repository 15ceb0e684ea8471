//! apiextensions.k8s.io/v1 CustomResourceDefinitions: defaults, validation and update rules
//! (upstream apiextensions-apiserver pkg/apis/apiextensions and pkg/registry). Serving the
//! custom resources themselves is not done here.

mod parts;
mod schema;
mod spec;
mod structural;
mod validation;
mod webhook;

use capstan_apimachinery::{BadValue, ErrorList, FieldError, Path};
use k8s_openapi::apiextensions_apiserver::pkg::apis::apiextensions::v1::{
    CustomResourceConversion, CustomResourceDefinition, CustomResourceDefinitionStatus,
};

use self::spec::{Options, validate_names, validate_spec};
use super::apps::shared::{go_string_slice, immutable};
use super::{Def, def};
use crate::resource::ResourceInfo;
use crate::strategy::TypedStrategy;

pub(super) fn resources() -> Vec<ResourceInfo> {
    [def::<CustomResourceDefinition, _>(CrdStrategy)
        .short(&["crd", "crds"])
        .status()
        .generation()]
    .into_iter()
    .map(Def::build)
    .collect()
}

/// The annotation CRDs in Kubernetes-owned groups must carry.
const API_APPROVED: &str = "api-approved.kubernetes.io";

pub struct CrdStrategy;

impl TypedStrategy<CustomResourceDefinition> for CrdStrategy {
    /// Status starts with the storage version recorded as stored.
    fn prepare_for_create(&self, crd: &mut CustomResourceDefinition) {
        crd.status = Some(CustomResourceDefinitionStatus::default());
        record_storage_version(crd);
    }

    fn default(&self, crd: &mut CustomResourceDefinition) {
        let names = &mut crd.spec.names;
        if names.singular.as_deref().unwrap_or("").is_empty() {
            names.singular = Some(names.kind.to_lowercase());
        }
        if names.list_kind.as_deref().unwrap_or("").is_empty() && !names.kind.is_empty() {
            names.list_kind = Some(format!("{}List", names.kind));
        }
        let conversion = crd
            .spec
            .conversion
            .get_or_insert_with(|| CustomResourceConversion {
                strategy: "None".into(),
                webhook: None,
            });
        if let Some(svc) = conversion
            .webhook
            .as_mut()
            .and_then(|w| w.client_config.as_mut())
            .and_then(|c| c.service.as_mut())
        {
            svc.port.get_or_insert(443);
        }
        let status = crd.status.get_or_insert_with(Default::default);
        if status.stored_versions.as_ref().is_none_or(|v| v.is_empty())
            && let Some(v) = crd.spec.versions.iter().find(|v| v.storage)
        {
            status.stored_versions = Some(vec![v.name.clone()]);
        }
    }

    fn validate(&self, crd: &CustomResourceDefinition) -> ErrorList {
        let opts = Options {
            require_recognized_conversion_review_version: true,
            require_openapi_schema: true,
        };
        let mut errs = validate_name(crd);
        errs.extend(validate_spec(&crd.spec, &opts, &Path::new("spec")));
        errs.extend(validate_status_and_versions(crd));
        errs.extend(validate_approval(crd, None));
        errs.extend(validate_preserve_unknown_fields(crd));
        errs
    }

    /// A new storage version is recorded as stored.
    fn prepare_for_update(
        &self,
        crd: &mut CustomResourceDefinition,
        _old: &CustomResourceDefinition,
    ) {
        record_storage_version(crd);
    }

    fn validate_update(
        &self,
        crd: &CustomResourceDefinition,
        old: &CustomResourceDefinition,
    ) -> ErrorList {
        let old_review_versions = old
            .spec
            .conversion
            .as_ref()
            .and_then(|c| c.webhook.as_ref())
            .map(|w| w.conversion_review_versions.clone())
            .unwrap_or_default();
        let opts = Options {
            require_recognized_conversion_review_version: old_review_versions.is_empty()
                || old_review_versions
                    .iter()
                    .any(|v| v == "v1" || v == "v1beta1"),
            require_openapi_schema: old.spec.versions.iter().all(|v| {
                v.schema
                    .as_ref()
                    .and_then(|s| s.open_api_v3_schema.as_ref())
                    .is_some()
            }),
        };
        let path = Path::new("spec");
        let mut errs = validate_spec(&crd.spec, &opts, &path);
        let (new_spec, old_spec) = (&crd.spec, &old.spec);
        if established(old) {
            errs.extend(immutable(
                &new_spec.scope,
                &old_spec.scope,
                &path.child("scope"),
                || new_spec.scope.clone().into(),
            ));
            errs.extend(immutable(
                &new_spec.names.kind,
                &old_spec.names.kind,
                &path.child("names").child("kind"),
                || new_spec.names.kind.clone().into(),
            ));
        }
        errs.extend(immutable(
            &new_spec.group,
            &old_spec.group,
            &path.child("group"),
            || new_spec.group.clone().into(),
        ));
        errs.extend(immutable(
            &new_spec.names.plural,
            &old_spec.names.plural,
            &path.child("names").child("plural"),
            || new_spec.names.plural.clone().into(),
        ));
        errs.extend(validate_status_and_versions(crd));
        errs.extend(validate_approval(crd, Some(old)));
        if old.spec.preserve_unknown_fields != Some(true) {
            errs.extend(validate_preserve_unknown_fields(crd));
        }
        errs
    }

    fn validate_status_update(
        &self,
        crd: &CustomResourceDefinition,
        _old: &CustomResourceDefinition,
    ) -> ErrorList {
        validate_status(crd)
    }
}

fn record_storage_version(crd: &mut CustomResourceDefinition) {
    let Some(storage) = crd
        .spec
        .versions
        .iter()
        .find(|v| v.storage)
        .map(|v| v.name.clone())
    else {
        return;
    };
    let stored = crd
        .status
        .get_or_insert_with(Default::default)
        .stored_versions
        .get_or_insert_with(Vec::new);
    if !stored.contains(&storage) {
        stored.push(storage);
    }
}

fn established(crd: &CustomResourceDefinition) -> bool {
    crd.status
        .as_ref()
        .and_then(|s| s.conditions.as_ref())
        .is_some_and(|c| {
            c.iter()
                .any(|c| c.type_ == "Established" && c.status == "True")
        })
}

/// A CRD is named `<plural>.<group>`.
fn validate_name(crd: &CustomResourceDefinition) -> ErrorList {
    let name = crd.metadata.name.as_deref().unwrap_or("");
    let required = format!("{}.{}", crd.spec.names.plural, crd.spec.group);
    if name == required {
        return Vec::new();
    }
    vec![FieldError::invalid(
        &Path::new("metadata").child("name"),
        name,
        "must be spec.names.plural+\".\"+spec.group",
    )]
}

fn validate_status(crd: &CustomResourceDefinition) -> ErrorList {
    match crd.status.as_ref().and_then(|s| s.accepted_names.as_ref()) {
        Some(names) => validate_names(names, &Path::new("status").child("acceptedNames")),
        None => Vec::new(),
    }
}

/// Accepted names and stored versions, checked on create and update.
fn validate_status_and_versions(crd: &CustomResourceDefinition) -> ErrorList {
    let mut errs = validate_status(crd);
    let stored = crd
        .status
        .as_ref()
        .and_then(|s| s.stored_versions.clone())
        .unwrap_or_default();
    errs.extend(validate_stored_versions(crd, &stored));
    errs
}

/// Pruning stays on: `preserveUnknownFields: true` is refused (unless already stored).
fn validate_preserve_unknown_fields(crd: &CustomResourceDefinition) -> ErrorList {
    if crd.spec.preserve_unknown_fields != Some(true) {
        return Vec::new();
    }
    vec![FieldError::invalid(
        &Path::new("spec").child("preserveUnknownFields"),
        true,
        "cannot set to true, set x-kubernetes-preserve-unknown-fields to true in spec.versions[*].schema instead",
    )]
}

/// Upstream `ValidateCustomResourceDefinitionStoredVersions`: the storage version is stored,
/// and every stored version stays in spec.versions until migrated away.
fn validate_stored_versions(crd: &CustomResourceDefinition, stored: &[String]) -> ErrorList {
    let path = Path::new("status").child("storedVersions");
    let value = || BadValue::Raw(go_string_slice(Some(stored)));
    if stored.is_empty() {
        return vec![FieldError::invalid(
            &path,
            value(),
            "must have at least one stored version",
        )];
    }
    let mut errs = Vec::new();
    for v in &crd.spec.versions {
        if v.storage && !stored.contains(&v.name) {
            errs.push(FieldError::invalid(
                &path,
                value(),
                &format!("must have the storage version {}", v.name),
            ));
        }
    }
    for (i, s) in stored.iter().enumerate() {
        if !crd.spec.versions.iter().any(|v| v.name == *s) {
            errs.push(FieldError::invalid(
                &path.index(i),
                s.as_str(),
                &format!(
                    "missing from spec.versions; {s} was previously a storage version, and must remain in spec.versions until a storage migration ensures no data remains persisted in {s} and removes {s} from status.storedVersions"
                ),
            ));
        }
    }
    errs
}

#[derive(PartialEq, Eq)]
enum Approval {
    Invalid,
    Approved,
    Bypassed,
    Missing,
}

fn approval(crd: &CustomResourceDefinition) -> Approval {
    let value = crd
        .metadata
        .annotations
        .as_ref()
        .and_then(|a| a.get(API_APPROVED))
        .cloned()
        .unwrap_or_default();
    let has_host = value.split_once("://").is_some_and(|(scheme, rest)| {
        !scheme.is_empty() && !rest.split('/').next().unwrap_or("").is_empty()
    });
    if value.is_empty() {
        Approval::Missing
    } else if value.starts_with("unapproved") {
        Approval::Bypassed
    } else if has_host {
        Approval::Approved
    } else {
        Approval::Invalid
    }
}

/// Groups owned by the Kubernetes project need an approval annotation.
fn validate_approval(
    crd: &CustomResourceDefinition,
    old: Option<&CustomResourceDefinition>,
) -> ErrorList {
    let group = crd.spec.group.as_str();
    let protected = group == "k8s.io"
        || group.ends_with(".k8s.io")
        || group == "kubernetes.io"
        || group.ends_with(".kubernetes.io");
    if !protected {
        return Vec::new();
    }
    let state = approval(crd);
    if old.is_some_and(|o| approval(o) == state) {
        return Vec::new();
    }
    let path = Path::new("metadata").child("annotations").key(API_APPROVED);
    let current = crd
        .metadata
        .annotations
        .as_ref()
        .and_then(|a| a.get(API_APPROVED))
        .cloned()
        .unwrap_or_default();
    match state {
        Approval::Approved | Approval::Bypassed => Vec::new(),
        Approval::Missing => vec![FieldError::required(
            &path,
            &format!(
                "protected groups must have approval annotation \"{API_APPROVED}\", see https://github.com/kubernetes/enhancements/pull/1111"
            ),
        )],
        Approval::Invalid => vec![FieldError::invalid(
            &path,
            current.as_str(),
            &format!(
                "protected groups must have approval annotation \"{API_APPROVED}\" with either a URL or a reason starting with \"unapproved\", see https://github.com/kubernetes/enhancements/pull/1111"
            ),
        )],
    }
}

#[cfg(test)]
#[path = "crd_tests.rs"]
mod tests;
