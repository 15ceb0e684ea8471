//! Field ownership for every write (`metadata.managedFields`) and server-side apply, as
//! kube-apiserver's field manager does them; the merge logic lives in capstan-ssa, this module
//! supplies the request's identity, the type's schema and the fields a write may not own.

use std::collections::HashMap;
use std::sync::{Arc, OnceLock};

use capstan_api::ResourceInfo;
use capstan_apimachinery::status::StatusCause;
use capstan_apimachinery::{ApiError, FieldError, GroupKind, Path};
use capstan_ssa::{
    Context, FieldSet, ManagedFields, Manager, Operation, Schema, SsaError, TypeSet,
};
use parking_lot::Mutex;
use serde_json::Value;

use crate::object::now_rfc3339;
use crate::rest::Ctx;

/// Upstream's limit on a field manager's name (bytes).
const MAX_MANAGER_LENGTH: usize = 128;

/// Compiled schemas: the built-in types once, custom resources per served version (recompiled
/// when their CRD's schema changes).
#[derive(Default)]
pub struct FieldManagers {
    builtin: OnceLock<Arc<TypeSet>>,
    custom: Mutex<HashMap<String, (Arc<Value>, Schema)>>,
}

impl FieldManagers {
    fn schema(&self, res: &ResourceInfo) -> Schema {
        if !res.custom {
            let types = self.builtin.get_or_init(|| {
                let definitions = capstan_openapi::builtin_definitions();
                Arc::new(TypeSet::from_definitions(definitions.iter()))
            });
            return Schema::named(types, &res.definition).unwrap_or_else(Schema::deduced);
        }
        let Some(source) = &res.schema else {
            return Schema::deduced();
        };
        let key = format!("{}/{}/{}", res.group, res.version, res.plural);
        let mut cache = self.custom.lock();
        if let Some((compiled_from, schema)) = cache.get(&key)
            && Arc::ptr_eq(compiled_from, source)
        {
            return schema.clone();
        }
        let schema = Schema::custom_resource(source);
        cache.insert(key, (source.clone(), schema.clone()));
        schema
    }
}

/// Who is writing: the `fieldManager` parameter, else the client's user agent up to its first
/// `/` (printable characters only, at most 128 bytes), as upstream names managers.
pub fn manager_name(ctx: &Ctx<'_>) -> String {
    match ctx.query.get("fieldManager") {
        Some(name) if !name.is_empty() => name.to_owned(),
        _ => {
            let prefix = ctx.user_agent.split('/').next().unwrap_or("");
            let mut name = String::new();
            for c in prefix.chars().filter(|c| !c.is_control()) {
                if name.len() + c.len_utf8() > MAX_MANAGER_LENGTH {
                    break;
                }
                name.push(c);
            }
            name
        }
    }
}

/// Which request options a write validates (they name the error's kind).
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Options {
    Create,
    Update,
    Patch { apply: bool },
}

/// Upstream's checks of the write options' fieldManager and force.
pub fn validate_options(ctx: &Ctx<'_>, options: Options) -> Result<(), ApiError> {
    let manager = ctx.query.get("fieldManager").unwrap_or("");
    let path = Path::new("fieldManager");
    let mut errors = Vec::new();
    if let Options::Patch { apply } = options {
        if apply && manager.is_empty() {
            errors.push(FieldError::required(&path, "is required for apply patch"));
        }
        if !apply && ctx.query.get("force").is_some() {
            errors.push(FieldError::forbidden(
                &Path::new("force"),
                "may not be specified for non-apply patch",
            ));
        }
    }
    if manager.len() > MAX_MANAGER_LENGTH {
        errors.push(FieldError::too_long(&path, MAX_MANAGER_LENGTH as i64));
    }
    if manager.chars().any(char::is_control) {
        errors.push(FieldError::invalid(
            &path,
            manager,
            "FieldManager must only contain printable characters",
        ));
    }
    if errors.is_empty() {
        return Ok(());
    }
    let kind = match options {
        Options::Create => "CreateOptions",
        Options::Update => "UpdateOptions",
        Options::Patch { .. } => "PatchOptions",
    };
    Err(ApiError::invalid(
        &GroupKind::new("meta.k8s.io", kind),
        "",
        &errors,
    ))
}

/// What a write through `subresource` may never come to own: the main resource of a type with a
/// status subresource does not own status; a status write owns only status.
fn ignored_fields(res: &ResourceInfo, subresource: &str) -> Option<&'static FieldSet> {
    static STATUS: OnceLock<FieldSet> = OnceLock::new();
    static ALL_BUT_STATUS: OnceLock<FieldSet> = OnceLock::new();
    match subresource {
        "" if res.has_status() => {
            Some(STATUS.get_or_init(|| FieldSet::from_field_paths(&[&["status"]])))
        }
        "status" => Some(ALL_BUT_STATUS.get_or_init(|| {
            FieldSet::from_field_paths(&[
                &["spec"],
                &["metadata", "labels"],
                &["metadata", "annotations"],
                &["metadata", "finalizers"],
                &["metadata", "ownerReferences"],
                &["metadata", "deletionTimestamp"],
            ])
        })),
        _ => None,
    }
}

fn manager(ctx: &Ctx<'_>, operation: Operation) -> Manager {
    Manager::new(
        &manager_name(ctx),
        operation,
        &ctx.res.api_version(),
        &ctx.info.subresource,
    )
}

/// Records a create (`live` = None), update or non-apply patch in `new`'s managedFields. As
/// upstream, a failure to track never fails the write: the object is stored untracked.
pub fn track_update(ctx: &Ctx<'_>, live: Option<&Value>, new: &mut Value) {
    let schema = ctx.srv.field_managers.schema(&ctx.res);
    let now = now_rfc3339();
    let subresource = ctx.info.subresource.as_str();
    let context = Context {
        schema: &schema,
        now: &now,
        ignored: ignored_fields(&ctx.res, subresource),
        kind: &ctx.res.kind,
    };
    let managed = ManagedFields::for_update(live, new, !subresource.is_empty());
    match capstan_ssa::update(
        live,
        new,
        &managed,
        &manager(ctx, Operation::Update),
        &context,
    ) {
        Ok(fields) => fields.write_to(new),
        Err(e) => {
            tracing::debug!(error = %e.message(), resource = %ctx.res.plural, "managed fields not tracked");
            ManagedFields::new().write_to(new);
        }
    }
}

/// Server-side apply of `applied` over `live` (None creates): the merged object with its
/// managedFields, or upstream's errors (409 with the conflicting managers and fields).
pub fn apply(
    ctx: &Ctx<'_>,
    live: Option<&Value>,
    applied: &Value,
    force: bool,
) -> Result<Value, ApiError> {
    let schema = ctx.srv.field_managers.schema(&ctx.res);
    let now = now_rfc3339();
    let context = Context {
        schema: &schema,
        now: &now,
        ignored: ignored_fields(&ctx.res, &ctx.info.subresource),
        kind: &ctx.res.kind,
    };
    let managed = match live {
        Some(live) => ManagedFields::from_object(live).map_err(|e| {
            ApiError::internal_error(&format!("failed to decode managed fields: {e}"))
        })?,
        None => ManagedFields::new(),
    };
    capstan_ssa::apply(
        live,
        applied,
        &managed,
        &manager(ctx, Operation::Apply),
        force,
        &context,
    )
    .map(|(object, _)| object)
    .map_err(ssa_error)
}

fn ssa_error(e: SsaError) -> ApiError {
    match &e {
        SsaError::Conflicts(conflicts) => ApiError::apply_conflict(
            capstan_ssa::conflict_causes(conflicts)
                .into_iter()
                .map(|c| StatusCause {
                    reason: c.reason.to_owned(),
                    message: c.message,
                    field: c.field,
                })
                .collect(),
            &capstan_ssa::conflict_message(conflicts),
        ),
        SsaError::BadRequest(message) => ApiError::bad_request(message),
        SsaError::Internal(message) => ApiError::internal_error(message),
    }
}

/// Decodes an apply body: YAML (JSON is YAML too) holding one object.
pub fn decode_applied(body: &[u8]) -> Result<Value, ApiError> {
    let text = std::str::from_utf8(body)
        .map_err(|e| ApiError::bad_request(&format!("error decoding YAML: {e}")))?;
    let value: Value = if text.trim_start().starts_with('{') {
        serde_json::from_str(text)
            .map_err(|e| ApiError::bad_request(&format!("error decoding YAML: {e}")))?
    } else {
        serde_saphyr::from_str(text)
            .map_err(|e| ApiError::bad_request(&format!("error decoding YAML: {e}")))?
    };
    if !value.is_object() {
        return Err(ApiError::bad_request(
            "error decoding YAML: the applied configuration must be an object",
        ));
    }
    Ok(value)
}
