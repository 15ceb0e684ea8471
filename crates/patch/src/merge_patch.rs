//! `application/merge-patch+json` (RFC 7386) as kube-apiserver applies it
//! through `evanphx/json-patch.v4`'s `MergePatch`.
//!
//! Beyond the RFC (null deletes, objects merge, anything else replaces), that
//! implementation also drops `null` members from objects it inserts, including
//! objects nested in inserted arrays, unless the array replaces an object.

use serde_json::{Map, Value};

use crate::error::PatchError;
use crate::gojson;

/// Upstream's `ErrBadJSONPatch` text, sent as a 400.
pub const INVALID_MERGE_PATCH: &str = "Invalid JSON Patch";

/// Applies a decoded merge patch to `doc`.
///
/// An object patch merges into an object document (or replaces anything else,
/// nulls pruned); an array patch becomes the result with nulls pruned from its
/// objects; a scalar patch replaces the document.
pub fn apply_merge_patch(doc: &Value, patch: &Value) -> Value {
    match (doc, patch) {
        (Value::Object(doc), Value::Object(patch)) => {
            let mut merged = doc.clone();
            merge_objects(&mut merged, patch.clone());
            Value::Object(merged)
        }
        (_, patch) => prune_nulls(patch.clone()),
    }
}

/// Decodes and applies a merge patch body. `null`, scalars and malformed JSON
/// are rejected with upstream's 400 "Invalid JSON Patch".
pub fn apply_merge_patch_bytes(doc: &Value, patch: &[u8]) -> Result<Value, PatchError> {
    let patch = gojson::parse(patch).map_err(|_| PatchError::bad_request(INVALID_MERGE_PATCH))?;
    match patch {
        Value::Object(_) | Value::Array(_) => Ok(apply_merge_patch(doc, &patch)),
        _ => Err(PatchError::bad_request(INVALID_MERGE_PATCH)),
    }
}

fn merge_objects(doc: &mut Map<String, Value>, patch: Map<String, Value>) {
    for (key, value) in patch {
        if value.is_null() {
            doc.remove(&key);
            continue;
        }
        match doc.get_mut(&key) {
            Some(current) if !current.is_null() => {
                let previous = current.take();
                *current = merge_value(previous, value);
            }
            _ => {
                doc.insert(key, prune_nulls(value));
            }
        }
    }
}

fn merge_value(current: Value, patch: Value) -> Value {
    match (current, patch) {
        (Value::Object(mut current), Value::Object(patch)) => {
            merge_objects(&mut current, patch);
            Value::Object(current)
        }
        // A non-object patch over an object is taken verbatim (no pruning).
        (Value::Object(_), patch) => patch,
        (_, patch) => prune_nulls(patch),
    }
}

/// Removes null members from objects, recursively; null array elements stay.
fn prune_nulls(value: Value) -> Value {
    match value {
        Value::Object(map) => Value::Object(
            map.into_iter()
                .filter(|(_, v)| !v.is_null())
                .map(|(k, v)| (k, prune_nulls(v)))
                .collect(),
        ),
        Value::Array(items) => Value::Array(items.into_iter().map(prune_nulls).collect()),
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::PatchErrorKind;
    use serde_json::json;

    #[test]
    fn rfc7386_examples() {
        // The examples table of RFC 7386 appendix A (object targets).
        let cases = [
            (json!({"a": "b"}), json!({"a": "c"}), json!({"a": "c"})),
            (
                json!({"a": "b"}),
                json!({"b": "c"}),
                json!({"a": "b", "b": "c"}),
            ),
            (json!({"a": "b"}), json!({"a": null}), json!({})),
            (
                json!({"a": "b", "b": "c"}),
                json!({"a": null}),
                json!({"b": "c"}),
            ),
            (json!({"a": ["b"]}), json!({"a": "c"}), json!({"a": "c"})),
            (json!({"a": "c"}), json!({"a": ["b"]}), json!({"a": ["b"]})),
            (
                json!({"a": {"b": "c"}}),
                json!({"a": {"b": "d", "c": null}}),
                json!({"a": {"b": "d"}}),
            ),
            (
                json!({"a": [{"b": "c"}]}),
                json!({"a": [1]}),
                json!({"a": [1]}),
            ),
            (
                json!({"e": null}),
                json!({"a": 1}),
                json!({"e": null, "a": 1}),
            ),
            (
                json!({}),
                json!({"a": {"bb": {"ccc": null}}}),
                json!({"a": {"bb": {}}}),
            ),
        ];
        for (doc, patch, expected) in cases {
            assert_eq!(apply_merge_patch(&doc, &patch), expected, "{doc} + {patch}");
        }
    }

    #[test]
    fn nulls_inside_inserted_arrays_are_pruned() {
        let doc = json!({"spec": {"list": "x"}});
        let patch = json!({"spec": {"list": [{"a": 1, "b": null}, null]}});
        assert_eq!(
            apply_merge_patch(&doc, &patch),
            json!({"spec": {"list": [{"a": 1}, null]}})
        );
    }

    #[test]
    fn array_over_object_is_kept_verbatim() {
        let doc = json!({"spec": {"obj": {"a": 1}}});
        let patch = json!({"spec": {"obj": [{"a": null}]}});
        assert_eq!(
            apply_merge_patch(&doc, &patch),
            json!({"spec": {"obj": [{"a": null}]}})
        );
    }

    #[test]
    fn null_member_in_document_is_replaced() {
        let doc = json!({"a": null});
        let patch = json!({"a": {"b": null, "c": 1}});
        assert_eq!(apply_merge_patch(&doc, &patch), json!({"a": {"c": 1}}));
    }

    #[test]
    fn array_patch_replaces_document() {
        let result = apply_merge_patch_bytes(&json!({"a": 1}), b"[{\"x\": null}, 2]");
        assert_eq!(result, Ok(json!([{}, 2])));
    }

    #[test]
    fn invalid_bodies_are_bad_requests() {
        for body in [&b"null"[..], b"\"x\"", b"1", b"{", b""] {
            let err = apply_merge_patch_bytes(&json!({}), body).expect_err("rejected");
            assert_eq!(err.kind, PatchErrorKind::BadRequest);
            assert_eq!(err.message, INVALID_MERGE_PATCH);
        }
    }

    #[test]
    fn labels_can_be_added_and_removed() {
        let doc = json!({"metadata": {"name": "x", "labels": {"a": "1", "b": "2"}}});
        let patch = br#"{"metadata":{"labels":{"a":null,"c":"3"}}}"#;
        assert_eq!(
            apply_merge_patch_bytes(&doc, patch),
            Ok(json!({"metadata": {"name": "x", "labels": {"b": "2", "c": "3"}}}))
        );
    }
}
