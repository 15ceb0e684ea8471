//! Metadata validators of upstream `apimachinery/pkg/api/validation` and
//! `pkg/apis/meta/v1/validation`. Upstream iterates Go maps in random order;
//! here maps are visited in key order so results are deterministic.

use std::collections::{BTreeMap, BTreeSet};

use k8s_openapi::apimachinery::pkg::apis::meta::v1::{ObjectMeta, OwnerReference, Time};

use super::metav1::{validate_labels, validate_managed_fields};
use super::names::{
    is_dns1035_label, is_dns1123_label, is_dns1123_subdomain, is_qualified_name,
    is_valid_path_segment_name, is_valid_path_segment_prefix,
};
use crate::field_errors::{BadValue, ErrorList, FieldError, Path};
use crate::go_fmt::quote;

/// Upstream `FieldImmutableErrorMsg`.
pub const FIELD_IMMUTABLE_ERROR_MSG: &str = "field is immutable";
/// Upstream `TotalAnnotationSizeLimitB`: 256 KiB over all keys and values.
pub const TOTAL_ANNOTATION_SIZE_LIMIT_B: usize = 256 * 1024;
/// Upstream `IsNegativeErrorMsg`.
pub const IS_NEGATIVE_ERROR_MSG: &str = "must be greater than or equal to 0";
const FINALIZER_ORPHAN_DEPENDENTS: &str = "orphan";
const FINALIZER_DELETE_DEPENDENTS: &str = "foregroundDeletion";

/// Validates an object name; `prefix` is true for `generateName`.
pub type NameValidator = fn(name: &str, prefix: bool) -> Vec<String>;

/// Upstream's `maskTrailingDash`: a generateName may end in '-'. Note that
/// upstream drops the two last characters before appending "a".
fn mask_trailing_dash(name: &str) -> String {
    if name.len() > 1 && name.ends_with('-') {
        let cut = name.len() - 2;
        match name.get(..cut) {
            Some(head) => format!("{head}a"),
            None => name.to_string(),
        }
    } else {
        name.to_string()
    }
}

/// Upstream `NameIsDNSSubdomain` (most resources).
pub fn name_is_dns_subdomain(name: &str, prefix: bool) -> Vec<String> {
    let name = if prefix {
        mask_trailing_dash(name)
    } else {
        name.to_string()
    };
    is_dns1123_subdomain(&name)
}

/// Upstream `NameIsDNSLabel` (namespaces, and `ValidateNamespaceName`).
pub fn name_is_dns_label(name: &str, prefix: bool) -> Vec<String> {
    let name = if prefix {
        mask_trailing_dash(name)
    } else {
        name.to_string()
    };
    is_dns1123_label(&name)
}

/// Upstream `NameIsDNS1035Label` (services).
pub fn name_is_dns1035_label(name: &str, prefix: bool) -> Vec<String> {
    let name = if prefix {
        mask_trailing_dash(name)
    } else {
        name.to_string()
    };
    is_dns1035_label(&name)
}

/// Upstream `path.ValidatePathSegmentName` (e.g. RBAC objects).
pub fn validate_path_segment_name(name: &str, prefix: bool) -> Vec<String> {
    if prefix {
        is_valid_path_segment_prefix(name)
    } else {
        is_valid_path_segment_name(name)
    }
}

/// Upstream `ValidateNamespaceName`.
pub fn validate_namespace_name(name: &str, prefix: bool) -> Vec<String> {
    name_is_dns_label(name, prefix)
}

/// Upstream `ValidateNonnegativeField`.
pub fn validate_nonnegative_field(value: i64, path: &Path) -> ErrorList {
    if value < 0 {
        vec![FieldError::invalid(path, value, IS_NEGATIVE_ERROR_MSG)]
    } else {
        Vec::new()
    }
}

/// Upstream `ValidateAnnotations`: keys (lower-cased) must be qualified
/// names, and the total size must stay within 256 KiB.
pub fn validate_annotations(annotations: &BTreeMap<String, String>, path: &Path) -> ErrorList {
    let mut errs = Vec::new();
    for k in annotations.keys() {
        for msg in is_qualified_name(&k.to_lowercase()) {
            errs.push(FieldError::invalid(path, k.as_str(), &msg));
        }
    }
    if annotations_size(annotations) > TOTAL_ANNOTATION_SIZE_LIMIT_B {
        errs.push(FieldError::too_long(
            path,
            TOTAL_ANNOTATION_SIZE_LIMIT_B as i64,
        ));
    }
    errs
}

/// Total byte size of annotation keys and values.
pub fn annotations_size(annotations: &BTreeMap<String, String>) -> usize {
    annotations.iter().map(|(k, v)| k.len() + v.len()).sum()
}

fn go_bool_pointer(value: Option<bool>) -> &'static str {
    // Go prints a pointer's address; the address itself is meaningless to
    // clients, so a fixed one stands in for non-nil pointers.
    match value {
        None => "(*bool)(nil)",
        Some(_) => "(*bool)(0xc000000000)",
    }
}

/// Go `%#v` of a `metav1.OwnerReference`.
pub fn go_syntax_owner_reference(r: &OwnerReference) -> String {
    format!(
        "v1.OwnerReference{{APIVersion:{}, Kind:{}, Name:{}, UID:{}, Controller:{}, BlockOwnerDeletion:{}}}",
        quote(&r.api_version),
        quote(&r.kind),
        quote(&r.name),
        quote(&r.uid),
        go_bool_pointer(r.controller),
        go_bool_pointer(r.block_owner_deletion)
    )
}

/// Splits an apiVersion as upstream `ParseGroupVersion`; `None` for more than one '/'.
pub fn parse_group_version(api_version: &str) -> Option<(String, String)> {
    if api_version.is_empty() || api_version == "/" {
        return Some((String::new(), String::new()));
    }
    match api_version.matches('/').count() {
        0 => Some((String::new(), api_version.to_string())),
        1 => api_version
            .split_once('/')
            .map(|(g, v)| (g.to_string(), v.to_string())),
        _ => None,
    }
}

fn validate_owner_reference(r: &OwnerReference, path: &Path) -> ErrorList {
    let mut errs = Vec::new();
    let (group, version) = parse_group_version(&r.api_version).unwrap_or_default();
    if version.is_empty() {
        errs.push(FieldError::invalid(
            &path.child("apiVersion"),
            r.api_version.as_str(),
            "version must not be empty",
        ));
    }
    if r.kind.is_empty() {
        errs.push(FieldError::invalid(
            &path.child("kind"),
            r.kind.as_str(),
            "kind must not be empty",
        ));
    }
    if r.name.is_empty() {
        errs.push(FieldError::invalid(
            &path.child("name"),
            r.name.as_str(),
            "name must not be empty",
        ));
    }
    if r.uid.is_empty() {
        errs.push(FieldError::invalid(
            &path.child("uid"),
            r.uid.as_str(),
            "uid must not be empty",
        ));
    }
    if group.is_empty() && version == "v1" && r.kind == "Event" {
        errs.push(FieldError::invalid(
            path,
            BadValue::Raw(go_syntax_owner_reference(r)),
            &format!(
                "{group}/{version}, Kind={} is disallowed from being an owner",
                r.kind
            ),
        ));
    }
    errs
}

/// Upstream `ValidateOwnerReferences`: required fields, no Event owners,
/// at most one controller.
pub fn validate_owner_references(refs: &[OwnerReference], path: &Path) -> ErrorList {
    let mut errs = Vec::new();
    let mut first_controller: Option<String> = None;
    for r in refs {
        errs.extend(validate_owner_reference(r, path));
        if r.controller == Some(true) {
            let current = format!("{}/{}", r.kind, r.name);
            match &first_controller {
                Some(first) => {
                    let list: Vec<String> = refs.iter().map(go_syntax_owner_reference).collect();
                    errs.push(FieldError::invalid(
                        path,
                        BadValue::Raw(format!("[]v1.OwnerReference{{{}}}", list.join(", "))),
                        &format!(
                            "Only one reference can have Controller set to true. Found \"true\" in references for {first} and {current}"
                        ),
                    ));
                }
                None => first_controller = Some(current),
            }
        }
    }
    errs
}

/// Upstream `ValidateFinalizerName`.
pub fn validate_finalizer_name(name: &str, path: &Path) -> ErrorList {
    is_qualified_name(name)
        .iter()
        .map(|msg| FieldError::invalid(path, name, msg))
        .collect()
}

/// Upstream `ValidateFinalizers`.
pub fn validate_finalizers(finalizers: &[String], path: &Path) -> ErrorList {
    let mut errs = Vec::new();
    for f in finalizers {
        errs.extend(validate_finalizer_name(f, path));
    }
    let has = |name: &str| finalizers.iter().any(|f| f == name);
    if has(FINALIZER_DELETE_DEPENDENTS) && has(FINALIZER_ORPHAN_DEPENDENTS) {
        errs.push(FieldError::invalid(
            path,
            finalizers.to_vec(),
            &format!(
                "finalizer {FINALIZER_ORPHAN_DEPENDENTS} and {FINALIZER_DELETE_DEPENDENTS} cannot be both set"
            ),
        ));
    }
    errs
}

/// Upstream `ValidateNoNewFinalizers`, used while an object is being deleted.
pub fn validate_no_new_finalizers(new: &[String], old: &[String], path: &Path) -> ErrorList {
    let old: BTreeSet<&String> = old.iter().collect();
    let extra: BTreeSet<&String> = new.iter().filter(|f| !old.contains(f)).collect();
    if extra.is_empty() {
        return Vec::new();
    }
    let listed: Vec<String> = extra.iter().map(|f| quote(f)).collect();
    vec![FieldError::forbidden(
        path,
        &format!(
            "no new finalizers can be added if the object is being deleted, found new finalizers []string{{{}}}",
            listed.join(", ")
        ),
    )]
}

/// Upstream `ValidateObjectMeta`: name or generateName (checked by
/// `name_fn`), namespace presence, generation, labels, annotations, owner
/// references, finalizers and managed fields.
pub fn validate_object_meta(
    meta: &ObjectMeta,
    requires_namespace: bool,
    name_fn: NameValidator,
    path: &Path,
) -> ErrorList {
    let mut errs = Vec::new();
    let generate_name = meta.generate_name.as_deref().unwrap_or("");
    if !generate_name.is_empty() {
        for msg in name_fn(generate_name, true) {
            errs.push(FieldError::invalid(
                &path.child("generateName"),
                generate_name,
                &msg,
            ));
        }
    }
    let name = meta.name.as_deref().unwrap_or("");
    if name.is_empty() {
        errs.push(FieldError::required(
            &path.child("name"),
            "name or generateName is required",
        ));
    } else {
        for msg in name_fn(name, false) {
            errs.push(FieldError::invalid(&path.child("name"), name, &msg));
        }
    }
    let namespace = meta.namespace.as_deref().unwrap_or("");
    if requires_namespace {
        if namespace.is_empty() {
            errs.push(FieldError::required(&path.child("namespace"), ""));
        } else {
            for msg in validate_namespace_name(namespace, false) {
                errs.push(FieldError::invalid(
                    &path.child("namespace"),
                    namespace,
                    &msg,
                ));
            }
        }
    } else if !namespace.is_empty() {
        errs.push(FieldError::forbidden(
            &path.child("namespace"),
            "not allowed on this type",
        ));
    }
    errs.extend(validate_nonnegative_field(
        meta.generation.unwrap_or(0),
        &path.child("generation"),
    ));
    errs.extend(validate_common_meta(meta, path));
    errs.extend(validate_finalizers(
        meta.finalizers.as_deref().unwrap_or(&[]),
        &path.child("finalizers"),
    ));
    errs.extend(validate_managed_fields(
        meta.managed_fields.as_deref().unwrap_or(&[]),
        &path.child("managedFields"),
    ));
    errs
}

/// Labels, annotations, owner references and managed fields, checked on
/// both create and update.
fn validate_common_meta(meta: &ObjectMeta, path: &Path) -> ErrorList {
    let empty = BTreeMap::new();
    let mut errs = validate_labels(
        meta.labels.as_ref().unwrap_or(&empty),
        &path.child("labels"),
    );
    errs.extend(validate_annotations(
        meta.annotations.as_ref().unwrap_or(&empty),
        &path.child("annotations"),
    ));
    errs.extend(validate_owner_references(
        meta.owner_references.as_deref().unwrap_or(&[]),
        &path.child("ownerReferences"),
    ));
    errs
}

/// Go's `time.Time.String()` of a UTC timestamp.
pub fn go_time_string(t: &Time) -> String {
    let ts = t.0;
    let mut out = ts.strftime("%Y-%m-%d %H:%M:%S").to_string();
    let nanos = ts.subsec_nanosecond();
    if nanos != 0 {
        let frac = format!("{:09}", nanos.unsigned_abs());
        out.push('.');
        out.push_str(frac.trim_end_matches('0'));
    }
    out.push_str(" +0000 UTC");
    out
}

fn immutable<T: PartialEq>(
    new: &T,
    old: &T,
    bad: impl FnOnce() -> BadValue,
    path: &Path,
) -> ErrorList {
    if new == old {
        Vec::new()
    } else {
        vec![FieldError::invalid(path, bad(), FIELD_IMMUTABLE_ERROR_MSG)]
    }
}

/// Upstream `ValidateObjectMetaUpdate`.
pub fn validate_object_meta_update(new: &ObjectMeta, old: &ObjectMeta, path: &Path) -> ErrorList {
    let mut errs = Vec::new();
    if old.deletion_timestamp.is_some() {
        errs.extend(validate_no_new_finalizers(
            new.finalizers.as_deref().unwrap_or(&[]),
            old.finalizers.as_deref().unwrap_or(&[]),
            &path.child("finalizers"),
        ));
    }
    let rv = new.resource_version.as_deref().unwrap_or("");
    if rv.is_empty() {
        errs.push(FieldError::invalid(
            &path.child("resourceVersion"),
            rv,
            "must be specified for an update",
        ));
    }
    let (new_gen, old_gen) = (new.generation.unwrap_or(0), old.generation.unwrap_or(0));
    if new_gen < old_gen {
        errs.push(FieldError::invalid(
            &path.child("generation"),
            new_gen,
            "must not be decremented",
        ));
    }
    let text = |v: &Option<String>| v.clone().unwrap_or_default();
    errs.extend(immutable(
        &text(&new.name),
        &text(&old.name),
        || text(&new.name).into(),
        &path.child("name"),
    ));
    errs.extend(immutable(
        &text(&new.namespace),
        &text(&old.namespace),
        || text(&new.namespace).into(),
        &path.child("namespace"),
    ));
    errs.extend(immutable(
        &text(&new.uid),
        &text(&old.uid),
        || text(&new.uid).into(),
        &path.child("uid"),
    ));
    let time_value = |t: &Option<Time>| match t {
        Some(t) => BadValue::Raw(go_time_string(t)),
        None => BadValue::Null,
    };
    // A zero creationTimestamp prints as Go's zero time.
    let creation = |t: &Option<Time>| match t {
        Some(t) => BadValue::Raw(go_time_string(t)),
        None => BadValue::Raw("0001-01-01 00:00:00 +0000 UTC".to_string()),
    };
    errs.extend(immutable(
        &new.creation_timestamp,
        &old.creation_timestamp,
        || creation(&new.creation_timestamp),
        &path.child("creationTimestamp"),
    ));
    errs.extend(immutable(
        &new.deletion_timestamp,
        &old.deletion_timestamp,
        || time_value(&new.deletion_timestamp),
        &path.child("deletionTimestamp"),
    ));
    errs.extend(immutable(
        &new.deletion_grace_period_seconds,
        &old.deletion_grace_period_seconds,
        || {
            new.deletion_grace_period_seconds
                .map(BadValue::Int)
                .unwrap_or(BadValue::Null)
        },
        &path.child("deletionGracePeriodSeconds"),
    ));
    errs.extend(validate_common_meta(new, path));
    errs.extend(validate_managed_fields(
        new.managed_fields.as_deref().unwrap_or(&[]),
        &path.child("managedFields"),
    ));
    errs
}
