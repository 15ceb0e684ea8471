//! Metadata rules every resource follows on create and update (upstream `rest.BeforeCreate` /
//! `rest.BeforeUpdate` and `ValidateObjectMeta[Update]`).

use capstan_api::ResourceInfo;
use capstan_api::strategy::generic;
use capstan_apimachinery::validation::{validate_object_meta, validate_object_meta_update};
use capstan_apimachinery::{ApiError, ErrorList, FieldError, Path};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use rand::Rng;
use serde_json::{Value, json};

use crate::object::{meta_mut, meta_str, now_rfc3339, remove_meta, set_meta};

/// Checks the object's namespace against the request's, as upstream does before anything else.
pub fn check_namespace(res: &ResourceInfo, obj: &mut Value, req_ns: &str) -> Result<(), ApiError> {
    if res.namespaced {
        let ns = meta_str(obj, "namespace").to_owned();
        if ns.is_empty() {
            set_meta(obj, "namespace", json!(req_ns));
        } else if ns != req_ns {
            return Err(ApiError::bad_request(
                "the namespace of the provided object does not match the namespace sent on the request",
            ));
        }
    } else {
        remove_meta(obj, "namespace");
    }
    Ok(())
}

/// Upstream's generated-name alphabet: no vowels (no words) and no look-alike characters.
const NAME_ALPHABET: &[u8] = b"bcdfghjklmnpqrstvwxz2456789";

pub fn generate_name(base: &str) -> String {
    // Keep the whole name within 63 characters, as upstream's SimpleNameGenerator does.
    let base = if base.len() > 58 { &base[..58] } else { base };
    let mut rng = rand::rng();
    let suffix: String = (0..5)
        .map(|_| NAME_ALPHABET[rng.random_range(0..NAME_ALPHABET.len())] as char)
        .collect();
    format!("{base}{suffix}")
}

/// ObjectMeta's collections are `omitempty` upstream: an emptied list or map disappears.
pub fn drop_empty_metadata(obj: &mut Value) {
    let m = meta_mut(obj);
    for field in [
        "labels",
        "annotations",
        "finalizers",
        "ownerReferences",
        "managedFields",
    ] {
        let empty = match m.get(field) {
            Some(Value::Array(a)) => a.is_empty(),
            Some(Value::Object(o)) => o.is_empty(),
            Some(Value::Null) => true,
            _ => false,
        };
        if empty {
            m.remove(field);
        }
    }
}

/// System-owned metadata on create: uid, creation time, generation; clears what only the server sets.
pub fn before_create(res: &ResourceInfo, obj: &mut Value) -> Result<(), ApiError> {
    if !meta_str(obj, "resourceVersion").is_empty() {
        return Err(ApiError::internal_error(
            "resourceVersion should not be set on objects to be created",
        ));
    }
    let generate = meta_str(obj, "generateName").to_owned();
    if meta_str(obj, "name").is_empty() && !generate.is_empty() {
        set_meta(obj, "name", json!(generate_name(&generate)));
    }
    drop_empty_metadata(obj);
    let m = meta_mut(obj);
    m.insert("uid".into(), json!(uuid::Uuid::new_v4().to_string()));
    m.insert("creationTimestamp".into(), json!(now_rfc3339()));
    m.remove("deletionTimestamp");
    m.remove("deletionGracePeriodSeconds");
    m.remove("selfLink");
    if res.tracks_generation {
        m.insert("generation".into(), json!(1));
    } else {
        m.remove("generation");
    }
    if res.has_status() && !res.status_on_create {
        generic::reset_status(obj);
    }
    Ok(())
}

/// System-owned metadata on update comes from the stored object; generation follows spec changes.
pub fn before_update(res: &ResourceInfo, obj: &mut Value, old: &Value) {
    drop_empty_metadata(obj);
    let old_meta = old.get("metadata").cloned().unwrap_or(json!({}));
    let m = meta_mut(obj);
    if m.get("uid")
        .and_then(Value::as_str)
        .unwrap_or("")
        .is_empty()
        && let Some(uid) = old_meta.get("uid")
    {
        m.insert("uid".into(), uid.clone());
    }
    for field in [
        "creationTimestamp",
        "deletionTimestamp",
        "deletionGracePeriodSeconds",
    ] {
        match old_meta.get(field) {
            Some(v) => {
                m.insert(field.into(), v.clone());
            }
            None => {
                m.remove(field);
            }
        }
    }
    m.remove("selfLink");
    let old_generation = old_meta.get("generation").and_then(Value::as_i64);
    match old_generation {
        Some(g) => {
            m.insert("generation".into(), json!(g));
        }
        None => {
            m.remove("generation");
        }
    }
    if res.has_status() {
        generic::keep_status(obj, old);
    }
    if res.tracks_generation && generic::spec_changed(obj, old) {
        let g = old_generation.unwrap_or(0) + 1;
        set_meta(obj, "generation", json!(g));
    }
}

fn typed_meta(obj: &Value) -> Result<ObjectMeta, ErrorList> {
    serde_json::from_value(obj.get("metadata").cloned().unwrap_or(json!({}))).map_err(|e| {
        vec![FieldError::invalid(
            &Path::new("metadata"),
            "",
            &format!("unable to decode metadata: {e}"),
        )]
    })
}

pub fn validate_create(res: &ResourceInfo, obj: &Value) -> ErrorList {
    match typed_meta(obj) {
        Ok(meta) => validate_object_meta(
            &meta,
            res.namespaced,
            res.name_rule.validator(),
            &Path::new("metadata"),
        ),
        Err(e) => e,
    }
}

pub fn validate_update(res: &ResourceInfo, obj: &Value, old: &Value) -> ErrorList {
    match (typed_meta(obj), typed_meta(old)) {
        (Ok(new), Ok(old)) => {
            let mut errs = validate_object_meta(
                &new,
                res.namespaced,
                res.name_rule.validator(),
                &Path::new("metadata"),
            );
            errs.extend(validate_object_meta_update(
                &new,
                &old,
                &Path::new("metadata"),
            ));
            errs
        }
        (Err(e), _) | (_, Err(e)) => e,
    }
}

/// 422 Invalid for the object, naming its kind and name as upstream does.
pub fn invalid(res: &ResourceInfo, obj: &Value, errors: &ErrorList) -> ApiError {
    let name = meta_str(obj, "name");
    ApiError::invalid(&res.group_kind(), name, errors)
}
