use super::*;
use crate::error::{PatchErrorKind, UNPROCESSABLE_MESSAGE};
use serde_json::json;

fn apply(doc: Value, patch: Value) -> Result<Value, PatchError> {
    apply_json_patch(&doc, patch.to_string().as_bytes())
}

fn cause(result: Result<Value, PatchError>) -> String {
    let err = result.expect_err("patch should fail");
    assert_eq!(err.kind, PatchErrorKind::Unprocessable);
    assert_eq!(err.message, UNPROCESSABLE_MESSAGE);
    err.cause.unwrap_or_default()
}

#[test]
fn rfc_operations_apply_in_order() {
    let doc = json!({"metadata": {"labels": {"a": "1"}}, "spec": {"list": [1, 2, 3]}});
    let patch = json!([
        {"op": "add", "path": "/metadata/labels/b", "value": "2"},
        {"op": "remove", "path": "/metadata/labels/a"},
        {"op": "replace", "path": "/spec/list/0", "value": 10},
        {"op": "move", "from": "/spec/list/2", "path": "/spec/moved"},
        {"op": "copy", "from": "/metadata/labels", "path": "/spec/copied"},
        {"op": "test", "path": "/spec/list", "value": [10, 2]},
    ]);
    let result = apply(doc, patch).expect("patch applies");
    assert_eq!(
        result,
        json!({
            "metadata": {"labels": {"b": "2"}},
            "spec": {"list": [10, 2], "moved": 3, "copied": {"b": "2"}},
        })
    );
}

#[test]
fn replace_of_missing_member_adds_it() {
    let result = apply(
        json!({"metadata": {}}),
        json!([{"op": "replace", "path": "/metadata/labels", "value": {"x": "y"}}]),
    );
    assert_eq!(result, Ok(json!({"metadata": {"labels": {"x": "y"}}})));
}

#[test]
fn negative_indices_count_from_the_end() {
    let doc = json!({"l": ["a", "b", "c"]});
    let removed = apply(doc.clone(), json!([{"op": "remove", "path": "/l/-1"}]));
    assert_eq!(removed, Ok(json!({"l": ["a", "b"]})));
    let added = apply(
        doc.clone(),
        json!([{"op": "add", "path": "/l/-1", "value": "z"}]),
    );
    assert_eq!(added, Ok(json!({"l": ["a", "b", "c", "z"]})));
    let appended = apply(
        doc.clone(),
        json!([{"op": "add", "path": "/l/-", "value": "z"}]),
    );
    assert_eq!(appended, Ok(json!({"l": ["a", "b", "c", "z"]})));
    let at_end = apply(
        doc.clone(),
        json!([{"op": "add", "path": "/l/3", "value": "z"}]),
    );
    assert_eq!(at_end, Ok(json!({"l": ["a", "b", "c", "z"]})));
    let past_end = cause(apply(
        doc,
        json!([{"op": "add", "path": "/l/4", "value": "z"}]),
    ));
    assert_eq!(
        past_end,
        "error in add for path: '/l/4': Unable to access invalid index: 4: invalid index referenced"
    );
}

#[test]
fn failed_test_is_generic_unprocessable() {
    let err = apply(
        json!({"a": 1}),
        json!([{"op": "test", "path": "/a", "value": 2}]),
    )
    .expect_err("test fails");
    assert_eq!(err.code(), 422);
    assert_eq!(err.reason(), "Invalid");
    assert_eq!(err.message, UNPROCESSABLE_MESSAGE);
    assert_eq!(
        err.cause.as_deref(),
        Some("testing value /a failed: test failed")
    );
}

#[test]
fn test_compares_numbers_by_encoding() {
    let doc = json!({"a": 1});
    assert!(
        apply(
            doc.clone(),
            json!([{"op": "test", "path": "/a", "value": 1}])
        )
        .is_ok()
    );
    assert!(apply(doc, json!([{"op": "test", "path": "/a", "value": 1.0}])).is_err());
}

#[test]
fn test_null_matches_missing_member() {
    let doc = json!({"a": null});
    assert!(
        apply(
            doc.clone(),
            json!([{"op": "test", "path": "/b", "value": null}])
        )
        .is_ok()
    );
    assert!(
        apply(
            doc.clone(),
            json!([{"op": "test", "path": "/a", "value": null}])
        )
        .is_ok()
    );
    assert!(
        apply(
            doc.clone(),
            json!([{"op": "test", "path": "/b", "value": 1}])
        )
        .is_err()
    );
    assert!(apply(doc, json!([{"op": "test", "path": "/b"}])).is_err());
}

#[test]
fn test_whole_document() {
    let doc = json!({"a": [1, {"b": null}]});
    assert!(
        apply(
            doc.clone(),
            json!([{"op": "test", "path": "", "value": {"a": [1, {"b": null}]}}])
        )
        .is_ok()
    );
    assert!(apply(doc, json!([{"op": "test", "path": "", "value": {"a": []}}])).is_err());
}

#[test]
fn missing_paths_fail() {
    let doc = json!({"spec": {"x": 1}});
    assert_eq!(
        cause(apply(
            doc.clone(),
            json!([{"op": "add", "path": "/status/phase", "value": "x"}])
        )),
        "add operation does not apply: doc is missing path: \"/status/phase\": missing value"
    );
    assert_eq!(
        cause(apply(
            doc.clone(),
            json!([{"op": "remove", "path": "/spec/y"}])
        )),
        "error in remove for path: '/spec/y': Unable to remove nonexistent key: y: missing value"
    );
    assert!(
        apply(
            doc.clone(),
            json!([{"op": "add", "path": "/spec/x/y", "value": 1}])
        )
        .is_err()
    );
    assert!(
        apply(
            doc.clone(),
            json!([{"op": "move", "from": "/nope", "path": "/a"}])
        )
        .is_err()
    );
    assert!(apply(doc, json!([{"op": "add", "path": "", "value": {}}])).is_err());
}

#[test]
fn copy_from_missing_member_copies_null() {
    let result = apply(
        json!({"a": {}}),
        json!([{"op": "copy", "from": "/a/nope", "path": "/b"}]),
    );
    assert_eq!(result, Ok(json!({"a": {}, "b": null})));
}

#[test]
fn copy_size_is_limited() {
    let big = "x".repeat(MAX_JSON_PATCH_COPY_BYTES / 2);
    let doc = json!({"big": big});
    let patch = json!([
        {"op": "copy", "from": "/big", "path": "/c1"},
        {"op": "copy", "from": "/big", "path": "/c2"},
    ]);
    let message = cause(apply(doc, patch));
    assert!(
        message
            .starts_with("Unable to complete the copy, the accumulated size increase of copy is ")
    );
    assert!(message.ends_with(&format!("exceeding the limit {MAX_JSON_PATCH_COPY_BYTES}")));
}

#[test]
fn replace_whole_document() {
    let doc = json!({"a": 1});
    assert_eq!(
        apply(
            doc.clone(),
            json!([{"op": "replace", "path": "", "value": {"b": 2}}])
        ),
        Ok(json!({"b": 2}))
    );
    assert_eq!(
        apply(
            doc.clone(),
            json!([{"op": "replace", "path": "", "value": 5}])
        ),
        Ok(doc)
    );
}

#[test]
fn pointer_tokens_are_unescaped() {
    let doc = json!({"metadata": {"annotations": {}}});
    let patch =
        json!([{"op": "add", "path": "/metadata/annotations/example.com~1a~0b~01", "value": "v"}]);
    assert_eq!(
        apply(doc, patch),
        Ok(json!({"metadata": {"annotations": {"example.com/a~b~1": "v"}}}))
    );
}

#[test]
fn unknown_or_missing_op_fails() {
    assert_eq!(
        cause(apply(json!({}), json!([{"op": "bogus", "path": "/a"}]))),
        "Unexpected kind: bogus"
    );
    assert_eq!(
        cause(apply(json!({}), json!([{"path": "/a"}]))),
        "Unexpected kind: unknown"
    );
    assert_eq!(
        cause(apply(json!({}), json!([null]))),
        "Unexpected kind: unknown"
    );
}

#[test]
fn decode_errors_are_bad_requests_with_go_text() {
    let err = apply_json_patch(&json!({}), b"{\"op\":\"add\"}").expect_err("object is not a patch");
    assert_eq!(err.kind, PatchErrorKind::BadRequest);
    assert_eq!(
        err.message,
        "json: cannot unmarshal object into Go value of type jsonpatch.Patch"
    );
    let err = apply_json_patch(&json!({}), b"[\"x\"]").expect_err("string is not an operation");
    assert_eq!(
        err.message,
        "json: cannot unmarshal string into Go value of type jsonpatch.Operation"
    );
    let err = apply_json_patch(&json!({}), b"[{").expect_err("truncated");
    assert_eq!(err.message, "unexpected end of JSON input");
}

#[test]
fn null_patch_is_empty() {
    assert_eq!(
        apply_json_patch(&json!({"a": 1}), b"null"),
        Ok(json!({"a": 1}))
    );
    assert_eq!(
        apply_json_patch(&json!({"a": 1}), b"[]"),
        Ok(json!({"a": 1}))
    );
}

#[test]
fn operation_count_is_limited() {
    let ops: Vec<Value> = (0..=MAX_JSON_PATCH_OPERATIONS)
        .map(|_| json!({"op": "test", "path": "/a", "value": 1}))
        .collect();
    let err = apply(json!({"a": 1}), Value::Array(ops)).expect_err("too many operations");
    assert_eq!(err.code(), 413);
    assert_eq!(
        err.message,
        "Request entity too large: The allowed maximum operations in a JSON patch is 10000, got 10001"
    );
}

#[test]
fn atoi_follows_go() {
    assert_eq!(go_atoi("+3"), Ok(3));
    assert_eq!(go_atoi("007"), Ok(7));
    assert_eq!(go_atoi("-2"), Ok(-2));
    assert_eq!(
        go_atoi("1.0"),
        Err("strconv.Atoi: parsing \"1.0\": invalid syntax".into())
    );
    assert!(go_atoi("").is_err());
    assert!(go_atoi("99999999999999999999").is_err());
}
