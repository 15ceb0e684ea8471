//! create, update (PUT) and patch.

use bytes::Bytes;
use capstan_apimachinery::ApiError;
use capstan_store::StoreError;
use http::Response;
use serde_json::{Value, json};

use super::body::{check_type, decode_object};
use super::{Ctx, meta};
use crate::admission;
use crate::convert;
use crate::errors::store_error;
use crate::field_manager;
use crate::field_validation;
use crate::http_util::{Body, add_warnings, object_response};
use crate::object::{self, meta_str, set_meta, to_stored_bytes};
use crate::render::{self, IncludeObject, Stored};

/// How many times a create retries when its generated name is taken.
const GENERATE_NAME_ATTEMPTS: usize = 8;
/// How many times an update without a resourceVersion precondition retries on conflicts.
const UPDATE_ATTEMPTS: usize = 16;

pub async fn create(ctx: &Ctx<'_>, body: Bytes) -> Result<Response<Body>, ApiError> {
    let dry_run = ctx.query.dry_run()?;
    field_manager::validate_options(ctx, field_manager::Options::Create)?;
    let mut obj = decode_object(&body, ctx.content_type.as_deref())?;
    check_type(&mut obj, &ctx.res.api_version(), &ctx.res.kind)?;
    let field_warnings = check_fields(ctx, &obj, Some(&body))?;
    let mut written = create_object(ctx, obj, Ownership::Track, dry_run).await?;
    written.warnings.splice(0..0, field_warnings);
    respond(ctx, 201, &written)
}

/// Server-side field validation of a new object (and, for JSON bodies, duplicated fields).
pub fn check_fields(
    ctx: &Ctx<'_>,
    obj: &Value,
    body: Option<&Bytes>,
) -> Result<Vec<String>, ApiError> {
    let mode = field_validation::Mode::parse(ctx.query.get("fieldValidation"))?;
    if mode == field_validation::Mode::Ignore {
        return Ok(Vec::new());
    }
    let mut findings = field_validation::Findings::default();
    if let Some(body) = body
        && super::body::media_type(ctx.content_type.as_deref()) == "application/json"
    {
        field_validation::duplicate_fields(body, &mut findings);
    }
    let defs = ctx.srv.openapi.definitions();
    field_validation::unknown_fields(obj, &defs, &ctx.res.definition, &mut findings);
    // Upstream words a failed create/update decode this way; patches get the bare message.
    let prefix = body.map(|_| {
        format!(
            "{} in version {:?} cannot be handled as a {}",
            ctx.res.kind, ctx.res.version, ctx.res.kind
        )
    });
    findings.resolve(mode, prefix.as_deref())
}

/// An object as written: its stored form (storage version) and bytes, and its revision (0 for a
/// dry run, which writes nothing).
pub struct Written {
    pub object: Value,
    pub bytes: Bytes,
    pub rev: i64,
    pub warnings: Vec<String>,
}

/// Whether a create still has to record its writer's fields (an apply has recorded them).
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Ownership {
    Track,
    Recorded,
}

/// The create pipeline shared by POST, create-on-update and create-by-apply: metadata, strategy,
/// field ownership, admission, store.
pub async fn create_object(
    ctx: &Ctx<'_>,
    mut obj: Value,
    ownership: Ownership,
    dry_run: bool,
) -> Result<Written, ApiError> {
    let res = &ctx.res;
    meta::check_namespace(res, &mut obj, &ctx.info.namespace)?;
    if meta_str(&obj, "name").is_empty() && meta_str(&obj, "generateName").is_empty() {
        return Err(meta::invalid(
            res,
            &obj,
            &vec![capstan_apimachinery::FieldError::required(
                &capstan_apimachinery::Path::new("metadata").child("name"),
                "name or generateName is required",
            )],
        ));
    }
    let generated = meta_str(&obj, "name").is_empty();
    meta::before_create(res, &mut obj)?;
    let mut warnings = match res.strategy.create(&mut obj) {
        Ok(w) => w,
        Err(errs) => return Err(meta::invalid(res, &obj, &errs)),
    };
    let errs = meta::validate_create(res, &obj);
    if !errs.is_empty() {
        return Err(meta::invalid(res, &obj, &errs));
    }
    // Ownership is recorded for what the client sent (with defaults); admission's additions are
    // nobody's, as upstream.
    if ownership == Ownership::Track {
        field_manager::track_update(ctx, None, &mut obj);
    }
    admission::admit_create(ctx.srv, res, &mut obj, dry_run, &mut warnings).await?;
    let mut stored = convert::to_storage(res, obj);
    object::strip_server_fields(&mut stored);
    if dry_run {
        let bytes = to_stored_bytes(&stored);
        return Ok(Written {
            object: stored,
            bytes,
            rev: 0,
            warnings,
        });
    }
    for attempt in 0.. {
        let name = meta_str(&stored, "name").to_owned();
        let key = res.key(meta_str(&stored, "namespace"), &name);
        let bytes = match sized(to_stored_bytes(&stored)) {
            Ok(b) => b,
            Err(e) => {
                admission::release_create(ctx.srv, res, &stored).await;
                return Err(e);
            }
        };
        match ctx.srv.store.create(&key, bytes.clone()).await {
            Ok(kv) => {
                admission::after_create(ctx.srv, res, &stored).await;
                return Ok(Written {
                    object: stored,
                    bytes,
                    rev: kv.mod_revision,
                    warnings,
                });
            }
            Err(StoreError::AlreadyExists { .. })
                if generated && attempt + 1 < GENERATE_NAME_ATTEMPTS =>
            {
                let base = meta_str(&stored, "generateName").to_owned();
                set_meta(&mut stored, "name", json!(meta::generate_name(&base)));
            }
            Err(e) => {
                admission::release_create(ctx.srv, res, &stored).await;
                return Err(store_error(e, res, &name));
            }
        }
    }
    unreachable!("the loop returns")
}

/// Renders a written object (storage version) back at the served version.
pub fn respond(ctx: &Ctx<'_>, code: u16, w: &Written) -> Result<Response<Body>, ApiError> {
    let body = if w.rev > 0 {
        render::render_object(
            &ctx.res,
            Stored {
                bytes: &w.bytes,
                rev: w.rev,
            },
            ctx.neg.representation,
            IncludeObject::Metadata,
        )?
    } else {
        // A dry run has no revision: the object as it would be stored.
        Bytes::from(
            serde_json::to_vec(&convert::from_storage(&ctx.res, w.object.clone())).expect("json"),
        )
    };
    let mut resp = object_response(code, body, &ctx.neg);
    add_warnings(&mut resp, &w.warnings);
    Ok(resp)
}

/// How an update computes the new object from the current one.
pub enum Change {
    /// PUT: the body replaces the object.
    Replace(Value),
    /// PATCH: the body is applied to the current object.
    Patch {
        patch_type: capstan_patch::PatchType,
        body: Bytes,
    },
    /// Server-side apply of a configuration (creates the object when absent).
    Apply { config: Value, force: bool },
}

/// Which part of the object an update may change.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Target {
    Main,
    Status,
}

pub async fn update(
    ctx: &Ctx<'_>,
    body: Bytes,
    target: Target,
) -> Result<Response<Body>, ApiError> {
    let mut obj = decode_object(&body, ctx.content_type.as_deref())?;
    check_type(&mut obj, &ctx.res.api_version(), &ctx.res.kind)?;
    let body_name = meta_str(&obj, "name").to_owned();
    if !body_name.is_empty() && body_name != ctx.info.name {
        return Err(ApiError::bad_request(&format!(
            "the name of the object ({body_name}) does not match the name on the URL ({})",
            ctx.info.name
        )));
    }
    field_manager::validate_options(ctx, field_manager::Options::Update)?;
    let field_warnings = check_fields(ctx, &obj, Some(&body))?;
    set_meta(&mut obj, "name", json!(ctx.info.name));
    let (code, mut written) = guaranteed_update(ctx, Change::Replace(obj), target).await?;
    written.warnings.splice(0..0, field_warnings);
    respond(ctx, code, &written)
}

pub async fn patch(ctx: &Ctx<'_>, body: Bytes, target: Target) -> Result<Response<Body>, ApiError> {
    let media = super::body::media_type(ctx.content_type.as_deref());
    if media == APPLY_PATCH {
        field_manager::validate_options(ctx, field_manager::Options::Patch { apply: true })?;
        let config = field_manager::decode_applied(&body)?;
        check_names(ctx, &config)?;
        let force = ctx.query.flag("force");
        let (code, written) =
            guaranteed_update(ctx, Change::Apply { config, force }, target).await?;
        return respond(ctx, code, &written);
    }
    let patch_type = capstan_patch::PatchType::from_content_type(&media).ok_or_else(|| {
        ApiError::unsupported_media_type(&[
            "application/json-patch+json",
            "application/merge-patch+json",
            "application/strategic-merge-patch+json",
            APPLY_PATCH,
        ])
    })?;
    field_manager::validate_options(ctx, field_manager::Options::Patch { apply: false })?;
    let (code, written) =
        guaranteed_update(ctx, Change::Patch { patch_type, body }, target).await?;
    respond(ctx, code, &written)
}

const APPLY_PATCH: &str = "application/apply-patch+yaml";

/// An applied configuration names the object of the URL, if it names one.
fn check_names(ctx: &Ctx<'_>, config: &Value) -> Result<(), ApiError> {
    let name = meta_str(config, "name");
    if !name.is_empty() && name != ctx.info.name {
        return Err(ApiError::bad_request(&format!(
            "the name of the object ({name}) does not match the name on the URL ({})",
            ctx.info.name
        )));
    }
    let namespace = meta_str(config, "namespace");
    if !namespace.is_empty() && ctx.res.namespaced && namespace != ctx.info.namespace {
        return Err(ApiError::bad_request(
            "the namespace of the provided object does not match the namespace sent on the request",
        ));
    }
    Ok(())
}

/// Reads the current object, computes the new one, validates and writes it with a compare-and-swap
/// on the revision read; retries on conflicts unless the client gave a resourceVersion. Returns the
/// HTTP code (201 when an update created the object) and what was written.
pub async fn guaranteed_update(
    ctx: &Ctx<'_>,
    change: Change,
    target: Target,
) -> Result<(u16, Written), ApiError> {
    let res = &ctx.res;
    let dry_run = ctx.query.dry_run()?;
    let key = ctx.key();
    let gr = res.group_resource();
    for _ in 0..UPDATE_ATTEMPTS {
        let current = ctx
            .srv
            .store
            .get(&key, None)
            .await
            .map_err(|e| store_error(e, res, &ctx.info.name))?
            .kv;
        let Some(current) = current else {
            return match (&change, target) {
                (Change::Replace(obj), Target::Main) if res.create_on_update => Ok((
                    201,
                    create_object(ctx, obj.clone(), Ownership::Track, dry_run).await?,
                )),
                (Change::Apply { config, force }, Target::Main) => {
                    let mut obj = field_manager::apply(ctx, None, config, *force)?;
                    set_meta(&mut obj, "name", json!(ctx.info.name));
                    if res.namespaced {
                        set_meta(&mut obj, "namespace", json!(ctx.info.namespace));
                    }
                    Ok((
                        201,
                        create_object(ctx, obj, Ownership::Recorded, dry_run).await?,
                    ))
                }
                _ => Err(ApiError::not_found(&gr, &ctx.info.name)),
            };
        };
        let old = render::object_value(
            res,
            Stored {
                bytes: &current.value,
                rev: current.mod_revision,
            },
        )?;
        let mut field_warnings = Vec::new();
        let mut new = match &change {
            Change::Replace(obj) => obj.clone(),
            Change::Patch { patch_type, body } => {
                let patched = super::patch::apply(ctx, *patch_type, &old, body)?;
                field_warnings = check_fields(ctx, &patched, None)?;
                patched
            }
            Change::Apply { config, force } => {
                field_manager::apply(ctx, Some(&old), config, *force)?
            }
        };
        // A resourceVersion in the new object is a precondition on the current one.
        let precondition = meta_str(&new, "resourceVersion").to_owned();
        if !precondition.is_empty() && precondition != current.mod_revision.to_string() {
            return Err(ApiError::optimistic_lock_conflict(&gr, &ctx.info.name));
        }
        set_meta(
            &mut new,
            "resourceVersion",
            json!(current.mod_revision.to_string()),
        );
        meta::check_namespace(res, &mut new, &ctx.info.namespace)?;
        if meta_str(&new, "name") != ctx.info.name {
            return Err(ApiError::bad_request(&format!(
                "the name of the object ({}) does not match the name on the URL ({})",
                meta_str(&new, "name"),
                ctx.info.name
            )));
        }
        let mut warnings = match target {
            Target::Main => {
                meta::before_update(res, &mut new, &old);
                res.strategy.update(&mut new, &old)
            }
            Target::Status => {
                capstan_api::strategy::generic::keep_all_but_status(&mut new, &old);
                res.strategy.update_status(&mut new, &old)
            }
        }
        .map_err(|errs| meta::invalid(res, &new, &errs))?;
        warnings.splice(0..0, field_warnings);
        let errs = meta::validate_update(res, &new, &old);
        if !errs.is_empty() {
            return Err(meta::invalid(res, &new, &errs));
        }
        if !matches!(change, Change::Apply { .. }) {
            field_manager::track_update(ctx, Some(&old), &mut new);
        }
        admission::admit_update(ctx.srv, res, &mut new, &old, dry_run, &mut warnings).await?;
        let mut stored = convert::to_storage(res, new);
        object::strip_server_fields(&mut stored);
        let bytes = to_stored_bytes(&stored);
        if bytes == current.value || dry_run {
            // Nothing to write: the object and its resourceVersion stay as they are.
            let unchanged = bytes == current.value;
            return Ok((
                200,
                Written {
                    object: stored,
                    bytes,
                    rev: if dry_run && !unchanged {
                        0
                    } else {
                        current.mod_revision
                    },
                    warnings,
                },
            ));
        }
        // An object being deleted whose last finalizer just went is deleted now.
        if object::is_deleting(&stored)
            && object::finalizers(&stored).is_empty()
            && !admission::pending_finalization(res, &stored)
            && stored
                .pointer("/metadata/deletionGracePeriodSeconds")
                .and_then(Value::as_i64)
                .unwrap_or(0)
                == 0
        {
            match ctx.srv.store.delete(&key, Some(current.mod_revision)).await {
                Ok((rev, _)) => {
                    admission::after_delete(ctx.srv, res, &stored).await;
                    return Ok((
                        200,
                        Written {
                            object: stored,
                            bytes,
                            rev,
                            warnings,
                        },
                    ));
                }
                Err(StoreError::Conflict { .. }) if precondition.is_empty() => continue,
                Err(e) => return Err(store_error(e, res, &ctx.info.name)),
            }
        }
        let bytes = sized(bytes)?;
        match ctx
            .srv
            .store
            .update(&key, bytes.clone(), current.mod_revision)
            .await
        {
            Ok(kv) => {
                return Ok((
                    200,
                    Written {
                        object: stored,
                        bytes,
                        rev: kv.mod_revision,
                        warnings,
                    },
                ));
            }
            Err(StoreError::Conflict { .. }) if precondition.is_empty() => continue,
            Err(e) => return Err(store_error(e, res, &ctx.info.name)),
        }
    }
    Err(ApiError::optimistic_lock_conflict(&gr, &ctx.info.name))
}

/// The largest object the store accepts (etcd's default request limit).
pub const MAX_OBJECT_BYTES: usize = 1536 * 1024;

fn sized(bytes: Bytes) -> Result<Bytes, ApiError> {
    if bytes.len() > MAX_OBJECT_BYTES {
        return Err(ApiError::request_entity_too_large(&format!(
            "the object is {} bytes, the limit is {MAX_OBJECT_BYTES}",
            bytes.len()
        )));
    }
    Ok(bytes)
}
