//! PATCH semantics of kube-apiserver (v1.33): JSON patch (RFC 6902), JSON
//! merge patch (RFC 7386) and strategic merge patch, with upstream's error
//! texts and status classification.
//!
//! Upstream limits worth knowing: request bodies are capped at
//! [`MAX_REQUEST_BODY_BYTES`] (413 before any patching), a JSON patch may hold
//! at most [`MAX_JSON_PATCH_OPERATIONS`] operations (413) and its `copy`
//! operations may duplicate at most [`MAX_JSON_PATCH_COPY_BYTES`] in total.

pub mod builtin;
mod error;
mod gofmt;
mod gojson;
mod json_patch;
mod merge_patch;
mod schema;
mod strategic;

pub use error::{PatchError, PatchErrorKind, UNPROCESSABLE_MESSAGE};
pub use json_patch::{
    MAX_JSON_PATCH_COPY_BYTES, MAX_JSON_PATCH_OPERATIONS, apply_json_patch,
    apply_json_patch_operations, decode_json_patch,
};
pub use merge_patch::{INVALID_MERGE_PATCH, apply_merge_patch, apply_merge_patch_bytes};
pub use schema::{
    NoSchema, OpenApiPatchSchema, PATCH_MERGE_KEY_EXTENSION, PATCH_STRATEGY_EXTENSION, PatchMeta,
    PatchSchema,
};
pub use strategic::{apply_strategic_merge_patch, apply_strategic_merge_patch_bytes};

use serde_json::Value;

/// kube-apiserver's default `MaxRequestBodyBytes` (3 MiB).
pub const MAX_REQUEST_BODY_BYTES: usize = 3 * 1024 * 1024;

/// The patch content types kube-apiserver accepts for PATCH (server-side
/// apply's `application/apply-patch+yaml` is handled elsewhere).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PatchType {
    /// `application/json-patch+json`
    Json,
    /// `application/merge-patch+json`
    Merge,
    /// `application/strategic-merge-patch+json`
    Strategic,
}

impl PatchType {
    /// Recognizes a `Content-Type` header value (parameters and case ignored).
    pub fn from_content_type(content_type: &str) -> Option<PatchType> {
        let media_type = content_type.split(';').next().unwrap_or("").trim();
        match media_type.to_ascii_lowercase().as_str() {
            "application/json-patch+json" => Some(PatchType::Json),
            "application/merge-patch+json" => Some(PatchType::Merge),
            "application/strategic-merge-patch+json" => Some(PatchType::Strategic),
            _ => None,
        }
    }

    pub fn content_type(self) -> &'static str {
        match self {
            PatchType::Json => "application/json-patch+json",
            PatchType::Merge => "application/merge-patch+json",
            PatchType::Strategic => "application/strategic-merge-patch+json",
        }
    }
}

/// Rejects bodies larger than [`MAX_REQUEST_BODY_BYTES`] with upstream's 413.
pub fn check_request_body_size(len: usize) -> Result<(), PatchError> {
    if len > MAX_REQUEST_BODY_BYTES {
        return Err(PatchError::too_large(format!(
            "limit is {MAX_REQUEST_BODY_BYTES}"
        )));
    }
    Ok(())
}

/// Applies a patch body of the given type to `doc`. `schema` is only used by
/// strategic merge patches.
pub fn apply_patch<S: PatchSchema>(
    patch_type: PatchType,
    doc: &Value,
    body: &[u8],
    schema: &S,
) -> Result<Value, PatchError> {
    check_request_body_size(body.len())?;
    match patch_type {
        PatchType::Json => apply_json_patch(doc, body),
        PatchType::Merge => apply_merge_patch_bytes(doc, body),
        PatchType::Strategic => apply_strategic_merge_patch_bytes(doc, body, schema),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn content_types_round_trip() {
        for patch_type in [PatchType::Json, PatchType::Merge, PatchType::Strategic] {
            assert_eq!(
                PatchType::from_content_type(patch_type.content_type()),
                Some(patch_type)
            );
        }
        assert_eq!(
            PatchType::from_content_type("Application/Merge-Patch+JSON; charset=utf-8"),
            Some(PatchType::Merge)
        );
        assert_eq!(PatchType::from_content_type("application/json"), None);
        assert_eq!(
            PatchType::from_content_type("application/apply-patch+yaml"),
            None
        );
    }

    #[test]
    fn body_size_limit() {
        assert!(check_request_body_size(MAX_REQUEST_BODY_BYTES).is_ok());
        let err = check_request_body_size(MAX_REQUEST_BODY_BYTES + 1).expect_err("too large");
        assert_eq!(err.code(), 413);
        assert_eq!(err.message, "Request entity too large: limit is 3145728");
    }

    #[test]
    fn dispatches_by_type() {
        let doc = json!({"metadata": {"labels": {"a": "1"}}});
        let merged = apply_patch(
            PatchType::Merge,
            &doc,
            br#"{"metadata":{"labels":{"a":null}}}"#,
            &NoSchema,
        );
        assert_eq!(merged, Ok(json!({"metadata": {"labels": {}}})));
        let json_patched = apply_patch(
            PatchType::Json,
            &doc,
            br#"[{"op":"remove","path":"/metadata/labels/a"}]"#,
            &NoSchema,
        );
        assert_eq!(json_patched, Ok(json!({"metadata": {"labels": {}}})));
        let strategic = apply_patch(
            PatchType::Strategic,
            &doc,
            br#"{"metadata":{"labels":{"b":"2"}}}"#,
            &NoSchema,
        );
        assert_eq!(
            strategic,
            Ok(json!({"metadata": {"labels": {"a": "1", "b": "2"}}}))
        );
    }
}
