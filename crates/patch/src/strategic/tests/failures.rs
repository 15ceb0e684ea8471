//! Failures of strategic merge patches: texts and statuses as upstream reports them.

use serde_json::{Value, json};

use super::{
    apply_strategic_merge_patch, apply_strategic_merge_patch_bytes, check, error, item_definitions,
};
use crate::error::{PatchErrorKind, UNPROCESSABLE_MESSAGE};
use crate::schema::OpenApiPatchSchema;

#[test]
fn set_element_order_must_agree_with_patch_list() {
    let err = error(
        r#"{"mergingList":[{"name":1},{"name":3},{"name":2}]}"#,
        r#"{"$setElementOrder/mergingList":[{"name":1},{"name":2},{"name":3}],"mergingList":[{"name":3,"value":3},{"name":1,"value":1}]}"#,
    );
    assert_eq!(err.kind, PatchErrorKind::Internal);
    assert_eq!(
        err.message,
        "The order in patch list:\n[map[name:3 value:3] map[name:1 value:1]]\n doesn't match $setElementOrder list:\n[map[name:1] map[name:2] map[name:3]]\n"
    );
    let err = error(
        r#"{"mergingIntList":[1,3,2]}"#,
        r#"{"$setElementOrder/mergingIntList":[1,2,3],"mergingIntList":[3,1]}"#,
    );
    assert!(err.message.contains("doesn't match"), "{err:?}");
}

#[test]
fn retain_keys_errors_are_bad_requests() {
    for patch in [
        r#"{"retainKeysMap":{"$retainKeys":["name"],"value":"x"}}"#,
        r#"{"retainKeysMap":{"$retainKeys":"name"}}"#,
    ] {
        let err = error(r#"{"retainKeysMap":{"name":"a"}}"#, patch);
        assert_eq!(
            (err.code(), err.message.as_str()),
            (400, "invalid patch format of retainKeys")
        );
    }
    // Null (deleting) fields need not be listed.
    check(
        r#"{"retainKeysMap":{"name":"a","value":"b"}}"#,
        r#"{"retainKeysMap":{"$retainKeys":["name"],"value":null}}"#,
        r#"{"retainKeysMap":{"name":"a"}}"#,
    );
}

#[test]
fn missing_merge_key_is_reported_with_the_map() {
    let err = error(
        r#"{"mergingList":[{"name":1,"value":"a"}]}"#,
        r#"{"mergingList":[{"value":"b"}]}"#,
    );
    assert_eq!(err.kind, PatchErrorKind::Internal);
    assert_eq!(
        err.message,
        "map: map[value:b] does not contain declared merge key: name"
    );
    let err = error(
        r#"{"mergingList":[{"name":1}]}"#,
        r#"{"mergingList":[{"$patch":"delete","value":"b"}]}"#,
    );
    assert_eq!(
        err.message,
        "map: map[$patch:delete value:b] does not contain declared merge key: name"
    );
}

#[test]
fn unknown_patch_directives_are_rejected() {
    let err = error(
        r#"{"simpleMap":{"a":"1"}}"#,
        r#"{"simpleMap":{"$patch":"merge","a":"2"}}"#,
    );
    assert_eq!(
        err.message,
        "unknown patch type: merge in map: map[$patch:merge a:2]"
    );
    let err = error("{}", r#"{"$patch":"bogus"}"#);
    assert_eq!(
        err.message,
        "unknown patch type: bogus in map: map[$patch:bogus]"
    );
    let err = error("{}", r#"{"$patch":7}"#);
    assert_eq!(
        err.message,
        "unknown patch type: %!s(int64=7) in map: map[$patch:7]"
    );
    let err = error(
        r#"{"mergingList":[{"name":1}]}"#,
        r#"{"mergingList":[{"$patch":"merge"}]}"#,
    );
    assert_eq!(
        err.message,
        "merging lists cannot yet be specified in the patch"
    );
    let err = error(
        r#"{"mergingList":[{"name":1}]}"#,
        r#"{"mergingList":[{"$patch":"nope","name":1}]}"#,
    );
    assert_eq!(
        err.message,
        "unknown patch type: nope in map: map[$patch:nope name:1]"
    );
    assert_eq!(err.code(), 500);
}

#[test]
fn malformed_directive_keys_are_bad_requests() {
    let err = error(
        r#"{"mergingIntList":[1]}"#,
        r#"{"$deleteFromPrimitiveListmergingIntList":[1]}"#,
    );
    assert_eq!(
        (err.code(), err.message.as_str()),
        (400, "invalid patch format of primitive list")
    );
    let err = error(
        r#"{"mergingIntList":[1]}"#,
        r#"{"$setElementOrderX/mergingIntList":[1]}"#,
    );
    assert_eq!(
        (err.code(), err.message.as_str()),
        (400, "invalid patch format of setElementOrder list")
    );
    let err = error(
        r#"{"mergingIntList":[1]}"#,
        r#"{"$setElementOrder/mergingIntList":"1"}"#,
    );
    assert_eq!(
        (err.code(), err.message.as_str()),
        (500, "expected a []interface {}, but received a string")
    );
    let err = error(
        r#"{"mergingIntList":"x"}"#,
        r#"{"$setElementOrder/mergingIntList":[1]}"#,
    );
    assert_eq!(
        err.message,
        "expected a []interface {}, but received a string"
    );
}

#[test]
fn list_element_errors() {
    let err = error(r#"{"mergingIntList":[[1]]}"#, r#"{"mergingIntList":[[2]]}"#);
    assert_eq!(
        (err.code(), err.message.as_str()),
        (422, UNPROCESSABLE_MESSAGE)
    );
    let err = error(r#"{"mergingIntList":[1]}"#, r#"{"mergingIntList":["a"]}"#);
    assert_eq!(
        err.message,
        "list element types are not identical: [[1] [a]]"
    );
    let err = error(
        r#"{"keylessMergingList":[{"name":1}]}"#,
        r#"{"keylessMergingList":[{"name":2}]}"#,
    );
    assert_eq!(
        err.message,
        "cannot merge lists without merge key for struct"
    );
    let err = error(r#"{"mergingList":[{"name":1}]}"#, r#"{"mergingList":[5]}"#);
    assert!(
        err.message
            .starts_with("list element types are not identical"),
        "{err:?}"
    );
}

#[test]
fn patch_documents_must_be_objects() {
    let defs = item_definitions();
    let schema = OpenApiPatchSchema::new(&defs, "item");
    let original = json!({"name": "x"});
    assert_eq!(
        apply_strategic_merge_patch(&original, &Value::Null, &schema),
        Ok(original.clone())
    );
    let err = apply_strategic_merge_patch(&original, &json!([1]), &schema).expect_err("array");
    assert_eq!(err.kind, PatchErrorKind::BadRequest);
    assert_eq!(
        err.message,
        "json: cannot unmarshal array into Go value of type map[string]interface {}"
    );
    let err =
        apply_strategic_merge_patch_bytes(&original, b"{\"a\":", &schema).expect_err("syntax");
    assert_eq!(
        (err.code(), err.message.as_str()),
        (400, "unexpected end of JSON input")
    );
    let err = apply_strategic_merge_patch(&json!([]), &json!({}), &schema).expect_err("bad doc");
    assert_eq!(err.message, "invalid JSON document");
}
