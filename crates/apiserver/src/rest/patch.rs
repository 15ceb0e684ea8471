//! Applying PATCH bodies to the current object.

use bytes::Bytes;
use capstan_apimachinery::ApiError;
use capstan_patch::{OpenApiPatchSchema, PatchType};
use serde_json::Value;

use super::Ctx;

pub fn apply(
    ctx: &Ctx<'_>,
    patch_type: PatchType,
    current: &Value,
    body: &Bytes,
) -> Result<Value, ApiError> {
    let definitions = ctx.srv.openapi.definitions();
    let schema = OpenApiPatchSchema::new(&definitions, &ctx.res.definition);
    if patch_type == PatchType::Strategic && (ctx.res.custom || !schema.is_known()) {
        // Upstream: strategic merge patch needs Go types; custom resources do not have them.
        return Err(ApiError::unsupported_media_type(&[
            "application/json-patch+json",
            "application/merge-patch+json",
            "application/apply-patch+yaml",
        ]));
    }
    let patched = capstan_patch::apply_patch(patch_type, current, body, &schema).map_err(|e| {
        if let Some(cause) = &e.cause {
            tracing::debug!(cause = %cause, "patch failed");
        }
        // Upstream answers some malformed strategic patches with a bare 500; they are the
        // client's mistake, so they get a 400 here (same message).
        if e.code() >= 500 {
            ApiError::bad_request(&e.message)
        } else {
            ApiError::new(e.code(), e.reason(), e.message.clone())
        }
    })?;
    if !patched.is_object() {
        return Err(ApiError::bad_request(
            "the patched object is not a JSON object",
        ));
    }
    Ok(patched)
}
