//! delete and deletecollection: preconditions, graceful deletion of pods, finalizers and the
//! propagation policy as the garbage collector expects it.

use std::sync::Arc;

use bytes::Bytes;
use capstan_apimachinery::ApiError;
use capstan_apimachinery::status::StatusDetails;
use capstan_store::StoreError;
use http::Response;
use serde_json::{Value, json};

use super::read::Filters;
use super::{Ctx, body};
use crate::admission;
use crate::errors::store_error;
use crate::http_util::{Body, object_response};
use crate::object::{self, meta_str, now_rfc3339, set_meta, to_stored_bytes};
use crate::render::{self, IncludeObject, Stored};

pub const ORPHAN_FINALIZER: &str = "orphan";
pub const FOREGROUND_FINALIZER: &str = "foregroundDeletion";

/// DeleteOptions from the body (if any) and the query.
#[derive(Clone, Debug, Default)]
pub struct DeleteOptions {
    pub grace_period: Option<i64>,
    pub propagation: Option<String>,
    pub orphan_dependents: Option<bool>,
    pub uid: Option<String>,
    pub resource_version: Option<String>,
    pub dry_run: bool,
}

impl DeleteOptions {
    pub fn parse(ctx: &Ctx<'_>, body: &Bytes) -> Result<DeleteOptions, ApiError> {
        let mut o = DeleteOptions {
            grace_period: ctx.query.int("gracePeriodSeconds")?,
            propagation: ctx.query.get("propagationPolicy").map(str::to_owned),
            orphan_dependents: ctx.query.get("orphanDependents").map(|v| v == "true"),
            dry_run: ctx.query.dry_run()?,
            ..Default::default()
        };
        if !body.is_empty() {
            let v = body::decode_object(body, ctx.content_type.as_deref())?;
            if let Some(g) = v.get("gracePeriodSeconds").and_then(Value::as_i64) {
                o.grace_period = Some(g);
            }
            if let Some(p) = v.get("propagationPolicy").and_then(Value::as_str) {
                o.propagation = Some(p.to_owned());
            }
            if let Some(b) = v.get("orphanDependents").and_then(Value::as_bool) {
                o.orphan_dependents = Some(b);
            }
            if let Some(pre) = v.get("preconditions") {
                o.uid = pre.get("uid").and_then(Value::as_str).map(str::to_owned);
                o.resource_version = pre
                    .get("resourceVersion")
                    .and_then(Value::as_str)
                    .map(str::to_owned);
            }
            if let Some(dr) = v.get("dryRun").and_then(Value::as_array)
                && dr.iter().any(|d| d == "All")
            {
                o.dry_run = true;
            }
        }
        if let Some(g) = o.grace_period
            && g < 0
        {
            o.grace_period = Some(0);
        }
        match o.propagation.as_deref() {
            None | Some("Orphan" | "Background" | "Foreground") => {}
            Some(other) => {
                return Err(ApiError::invalid(
                    &capstan_apimachinery::GroupKind::new("", "DeleteOptions"),
                    "",
                    &[capstan_apimachinery::FieldError::not_supported(
                        &capstan_apimachinery::Path::new("propagationPolicy"),
                        other,
                        &["Foreground", "Background", "Orphan", "nil"],
                    )],
                ));
            }
        }
        if o.propagation.is_some() && o.orphan_dependents.is_some() {
            return Err(ApiError::bad_request(
                "orphanDependents and propagationPolicy cannot be both set",
            ));
        }
        Ok(o)
    }

    /// The finalizer the propagation policy asks for, if any.
    fn finalizer(&self) -> Option<&'static str> {
        match (self.propagation.as_deref(), self.orphan_dependents) {
            (Some("Orphan"), _) | (None, Some(true)) => Some(ORPHAN_FINALIZER),
            (Some("Foreground"), _) => Some(FOREGROUND_FINALIZER),
            _ => None,
        }
    }
}

pub async fn delete(ctx: &Ctx<'_>, body: Bytes) -> Result<Response<Body>, ApiError> {
    let opts = DeleteOptions::parse(ctx, &body)?;
    let (obj, rev, deleted) = delete_object(ctx, &ctx.key(), &ctx.info.name, &opts).await?;
    let res = &ctx.res;
    if deleted && !res.return_deleted_object {
        let details = StatusDetails {
            name: ctx.info.name.clone(),
            group: res.group.clone(),
            kind: res.plural.clone(),
            uid: meta_str(&obj, "uid").to_owned(),
            ..Default::default()
        };
        let status = ApiError::success(Some(details), 0);
        return Ok(crate::http_util::json_response(
            200,
            status.to_status_json_string(),
        ));
    }
    let bytes = to_stored_bytes(&obj);
    let body = render::render_object(
        res,
        Stored { bytes: &bytes, rev },
        ctx.neg.representation,
        IncludeObject::Metadata,
    )?;
    Ok(object_response(200, body, &ctx.neg))
}

/// Deletes one object, or marks it for deletion (grace period, finalizers). Returns the object as
/// stored (last version), its revision, and whether it is gone now.
pub async fn delete_object(
    ctx: &Ctx<'_>,
    key: &str,
    name: &str,
    opts: &DeleteOptions,
) -> Result<(Value, i64, bool), ApiError> {
    let res = &ctx.res;
    let gr = res.group_resource();
    loop {
        let current = ctx
            .srv
            .store
            .get(key, None)
            .await
            .map_err(|e| store_error(e, res, name))?
            .kv
            .ok_or_else(|| ApiError::not_found(&gr, name))?;
        let mut obj = object::parse_stored(&current.value, current.mod_revision)
            .map_err(|e| ApiError::internal_error(&e.to_string()))?;
        if let Some(uid) = &opts.uid
            && uid != meta_str(&obj, "uid")
        {
            return Err(ApiError::conflict(
                &gr,
                name,
                &format!(
                    "Precondition failed: UID in precondition: {uid}, UID in object meta: {}",
                    meta_str(&obj, "uid")
                ),
            ));
        }
        if let Some(rv) = &opts.resource_version
            && *rv != current.mod_revision.to_string()
        {
            return Err(ApiError::conflict(
                &gr,
                name,
                &format!(
                    "Precondition failed: ResourceVersion in precondition: {rv}, ResourceVersion in object meta: {}",
                    current.mod_revision
                ),
            ));
        }
        admission::admit_delete(ctx.srv, res, &obj).await?;

        let mut changed = false;
        // Graceful deletion (pods): mark with a deadline; the node agent finishes it.
        let grace = admission::grace_period(res, &obj, opts.grace_period);
        let deleting = object::is_deleting(&obj);
        if let Some(grace) = grace.filter(|g| *g > 0) {
            let current_grace = obj
                .pointer("/metadata/deletionGracePeriodSeconds")
                .and_then(Value::as_i64);
            // Only ever shortened.
            if !deleting || current_grace.is_none_or(|c| grace < c) {
                let deadline = chrono::Utc::now() + chrono::Duration::seconds(grace);
                set_meta(
                    &mut obj,
                    "deletionTimestamp",
                    json!(deadline.format("%Y-%m-%dT%H:%M:%SZ").to_string()),
                );
                set_meta(&mut obj, "deletionGracePeriodSeconds", json!(grace));
                changed = true;
            }
        }
        if let Some(f) = opts.finalizer() {
            let mut finalizers = object::finalizers(&obj);
            // The two propagation finalizers exclude each other.
            finalizers.retain(|x| x != ORPHAN_FINALIZER && x != FOREGROUND_FINALIZER);
            finalizers.push(f.to_owned());
            if finalizers != object::finalizers(&obj) {
                set_meta(&mut obj, "finalizers", json!(finalizers));
                changed = true;
            }
        }
        if let Some(f) = admission::deletion_finalizer(res) {
            let mut finalizers = object::finalizers(&obj);
            if !finalizers.iter().any(|x| x == f) {
                finalizers.push(f.to_owned());
                set_meta(&mut obj, "finalizers", json!(finalizers));
                changed = true;
            }
        }
        let pending = admission::pending_finalization(res, &obj);
        if !object::finalizers(&obj).is_empty() || pending {
            if !object::is_deleting(&obj) {
                set_meta(&mut obj, "deletionTimestamp", json!(now_rfc3339()));
                set_meta(&mut obj, "deletionGracePeriodSeconds", json!(0));
                changed = true;
            }
            if admission::mark_terminating(res, &mut obj) {
                changed = true;
            }
        }
        let graceful_pending = grace.is_some_and(|g| g > 0);
        if !object::finalizers(&obj).is_empty() || pending || graceful_pending {
            if !changed || opts.dry_run {
                return Ok((obj, current.mod_revision, false));
            }
            match ctx
                .srv
                .store
                .update(key, to_stored_bytes(&obj), current.mod_revision)
                .await
            {
                Ok(kv) => return Ok((obj, kv.mod_revision, false)),
                Err(StoreError::Conflict { .. }) => continue,
                Err(e) => return Err(store_error(e, res, name)),
            }
        }
        if opts.dry_run {
            return Ok((obj, current.mod_revision, true));
        }
        match ctx.srv.store.delete(key, Some(current.mod_revision)).await {
            Ok((rev, _)) => {
                admission::after_delete(ctx.srv, res, &obj).await;
                return Ok((obj, rev, true));
            }
            Err(StoreError::Conflict { current: Some(_) }) => continue,
            Err(e) => return Err(store_error(e, res, name)),
        }
    }
}

pub async fn delete_collection(ctx: &Ctx<'_>, body: Bytes) -> Result<Response<Body>, ApiError> {
    let opts = DeleteOptions::parse(ctx, &body)?;
    let filters = Filters::from_ctx(ctx)?;
    let cache = ctx.srv.cache(&ctx.res).await?;
    let prefix = ctx.res.prefix(Some(&ctx.info.namespace));
    let rev = ctx
        .srv
        .store
        .current_revision()
        .await
        .map_err(|e| store_error(e, &ctx.res, ""))?;
    cache.wait_for(rev, std::time::Duration::from_secs(3)).await;
    let snap = cache.list(&prefix, |o| filters.matches(o));
    let mut items = Vec::new();
    for o in snap.objects.iter().map(Arc::clone) {
        match delete_object(ctx, &o.key, &o.name, &opts).await {
            Ok((obj, rev, _)) => {
                let bytes = to_stored_bytes(&obj);
                items.push(render::object_value(
                    &ctx.res,
                    Stored { bytes: &bytes, rev },
                )?);
            }
            Err(e) if e.code == 404 => {}
            Err(e) => return Err(e),
        }
    }
    let list = json!({
        "kind": ctx.res.list_kind,
        "apiVersion": ctx.res.api_version(),
        "metadata": {"resourceVersion": snap.revision.to_string()},
        "items": items,
    });
    Ok(object_response(
        200,
        Bytes::from(list.to_string()),
        &ctx.neg,
    ))
}
