//! Behaviours of upstream's strategic merge patch, ported from the cases its
//! `strategicpatch` tests document, on a schema shaped like their test type.

use serde_json::{Map, Value, json};

use super::*;
use crate::schema::{NoSchema, OpenApiPatchSchema};

/// A self-referencing test type: merging and non-merging lists of itself and
/// of ints, a plain map, a replace-strategy map and retainKeys fields.
fn item_definitions() -> Map<String, Value> {
    let merge_list = |strategy: &str| {
        json!({"type": "array", "items": {"$ref": "#/definitions/item"},
               "x-kubernetes-patch-strategy": strategy, "x-kubernetes-patch-merge-key": "name"})
    };
    let item = json!({"type": "object", "properties": {
        "name": {"type": "string"},
        "value": {"type": "string"},
        "other": {"type": "string"},
        "mergingList": merge_list("merge"),
        "nonMergingList": {"type": "array", "items": {"$ref": "#/definitions/item"}},
        "mergingIntList": {"type": "array", "items": {"type": "integer"}, "x-kubernetes-patch-strategy": "merge"},
        "nonMergingIntList": {"type": "array", "items": {"type": "integer"}},
        "mergeItemPtr": {"$ref": "#/definitions/item",
                         "x-kubernetes-patch-strategy": "merge", "x-kubernetes-patch-merge-key": "name"},
        "simpleMap": {"type": "object", "additionalProperties": {"type": "string"}},
        "replacingItem": {"allOf": [{"$ref": "#/definitions/raw"}], "x-kubernetes-patch-strategy": "replace"},
        "retainKeysMap": {"allOf": [{"$ref": "#/definitions/retainKeysItem"}],
                          "x-kubernetes-patch-strategy": "retainKeys"},
        "retainKeysMergingList": merge_list("merge,retainKeys"),
        "keylessMergingList": {"type": "array", "items": {"$ref": "#/definitions/item"},
                               "x-kubernetes-patch-strategy": "merge"},
    }});
    let retain_keys_item = json!({"type": "object", "properties": {
        "name": {"type": "string"},
        "value": {"type": "string"},
        "other": {"type": "string"},
        "simpleMap": {"type": "object", "additionalProperties": {"type": "string"}},
        "mergingList": merge_list("merge"),
        "nonMergingList": {"type": "array", "items": {"$ref": "#/definitions/item"}},
        "mergingIntList": {"type": "array", "items": {"type": "integer"}, "x-kubernetes-patch-strategy": "merge"},
    }});
    let mut defs = Map::new();
    defs.insert("item".into(), item);
    defs.insert("retainKeysItem".into(), retain_keys_item);
    defs.insert("raw".into(), json!({"type": "object"}));
    defs
}

fn parse(text: &str) -> Value {
    serde_json::from_str(text).unwrap_or_else(|err| panic!("bad test JSON {text}: {err}"))
}

fn apply(original: &str, patch: &str) -> Result<Value, PatchError> {
    let defs = item_definitions();
    let schema = OpenApiPatchSchema::new(&defs, "item");
    apply_strategic_merge_patch(&parse(original), &parse(patch), &schema)
}

fn check(original: &str, patch: &str, expected: &str) {
    match apply(original, patch) {
        Ok(result) => assert_eq!(
            result,
            parse(expected),
            "\noriginal {original}\npatch {patch}"
        ),
        Err(err) => panic!("patch {patch} on {original} failed: {err:?}"),
    }
}

fn error(original: &str, patch: &str) -> PatchError {
    apply(original, patch).expect_err("patch should fail")
}

#[test]
fn lists_of_primitives_merge_as_union() {
    check(
        r#"{"mergingIntList":[1,2]}"#,
        r#"{"mergingIntList":[2,3]}"#,
        r#"{"mergingIntList":[1,2,3]}"#,
    );
    // Without `$setElementOrder`, items the live list lacks come first.
    check(
        r#"{"mergingIntList":[1,2]}"#,
        r#"{"mergingIntList":[3]}"#,
        r#"{"mergingIntList":[3,1,2]}"#,
    );
    // Non-merging lists are replaced wholesale.
    check(
        r#"{"nonMergingIntList":[1,2]}"#,
        r#"{"nonMergingIntList":[3]}"#,
        r#"{"nonMergingIntList":[3]}"#,
    );
}

#[test]
fn patch_order_wins_over_live_order() {
    check(
        r#"{"mergingList":[{"name":1},{"name":2,"value":"b"},{"name":3}]}"#,
        r#"{"mergingList":[{"name":3,"value":"c"},{"name":1,"value":"a"},{"name":2,"other":"x"}]}"#,
        r#"{"mergingList":[{"name":3,"value":"c"},{"name":1,"value":"a"},{"name":2,"value":"b","other":"x"}]}"#,
    );
    check(
        r#"{"mergingList":[{"name":1},{"name":2,"value":"b"},{"name":3}]}"#,
        r#"{"mergingList":[{"name":3,"value":"c"},{"name":1,"value":"a"}]}"#,
        r#"{"mergingList":[{"name":2,"value":"b"},{"name":3,"value":"c"},{"name":1,"value":"a"}]}"#,
    );
    check(
        r#"{"mergingIntList":[1,2,3]}"#,
        r#"{"mergingIntList":[3,1,2]}"#,
        r#"{"mergingIntList":[3,1,2]}"#,
    );
    check(
        r#"{"mergingIntList":[1,2,3]}"#,
        r#"{"mergingIntList":[3,1]}"#,
        r#"{"mergingIntList":[2,3,1]}"#,
    );
}

#[test]
fn merging_lists_of_maps_by_key() {
    check(
        r#"{"mergingList":[{"name":1,"other":"a"},{"name":2,"value":2,"other":"b"}]}"#,
        r#"{"$setElementOrder/mergingList":[{"name":4},{"name":1},{"name":2},{"name":3}],
            "mergingList":[{"name":4,"value":4},{"name":3,"value":3}]}"#,
        r#"{"mergingList":[{"name":4,"value":4},{"name":1,"other":"a"},{"name":2,"value":2,"other":"b"},{"name":3,"value":3}]}"#,
    );
    // A null inside a merged element deletes that field only.
    check(
        r#"{"mergingList":[{"name":1,"value":1,"other":"a"},{"name":2,"value":2,"other":"b"}]}"#,
        r#"{"$setElementOrder/mergingList":[{"name":1},{"name":2}],"mergingList":[{"name":1,"value":null}]}"#,
        r#"{"mergingList":[{"name":1,"other":"a"},{"name":2,"value":2,"other":"b"}]}"#,
    );
    // Lists nested in merged elements follow their own strategy.
    check(
        r#"{"mergingList":[{"name":1,"other":"a","nonMergingList":[{"name":1},{"name":2,"value":2}]},{"name":2,"other":"b"}]}"#,
        r#"{"$setElementOrder/mergingList":[{"name":1},{"name":2}],
            "mergingList":[{"name":1,"nonMergingList":[{"name":1,"value":1}]}]}"#,
        r#"{"mergingList":[{"name":1,"other":"a","nonMergingList":[{"name":1,"value":1}]},{"name":2,"other":"b"}]}"#,
    );
    check(
        r#"{"mergingList":[{"name":1,"other":"a","mergingList":[{"name":1},{"name":2,"value":2}]},{"name":2,"other":"b"}]}"#,
        r#"{"$setElementOrder/mergingList":[{"name":1},{"name":2}],"mergingList":[{"$setElementOrder/mergingList":[{"name":1},{"name":2}],"name":1,"mergingList":[{"name":1,"value":1}]}]}"#,
        r#"{"mergingList":[{"name":1,"other":"a","mergingList":[{"name":1,"value":1},{"name":2,"value":2}]},{"name":2,"other":"b"}]}"#,
    );
    // A field declared as a single object but patched as a list merges like a list of it.
    check(
        r#"{"mergeItemPtr":[{"name":1,"other":"a"},{"name":3}]}"#,
        r#"{"$setElementOrder/mergeItemPtr":[{"name":1},{"name":2}],"mergeItemPtr":[{"name":2}]}"#,
        r#"{"mergeItemPtr":[{"name":1,"other":"a"},{"name":2},{"name":3}]}"#,
    );
}

#[test]
fn patch_delete_directive_in_lists() {
    check(
        r#"{"mergingList":[{"name":1},{"name":2,"other":"b"}]}"#,
        r#"{"$setElementOrder/mergingList":[{"name":2}],"mergingList":[{"name":1,"$patch":"delete"}]}"#,
        r#"{"mergingList":[{"name":2,"other":"b"}]}"#,
    );
    // Deleting something that is not there is fine.
    check(
        r#"{"mergingList":[{"name":2,"other":"b"}]}"#,
        r#"{"$setElementOrder/mergingList":[{"name":2}],"mergingList":[{"name":1,"$patch":"delete"}]}"#,
        r#"{"mergingList":[{"name":2,"other":"b"}]}"#,
    );
    // Every element with the key goes.
    check(
        r#"{"mergingList":[{"name":1},{"name":1},{"name":2,"value":"a"},{"name":3},{"name":3}]}"#,
        r#"{"mergingList":[{"name":1,"$patch":"delete"},{"name":3,"$patch":"delete"}]}"#,
        r#"{"mergingList":[{"name":2,"value":"a"}]}"#,
    );
    // A delete for a list that does not exist yet leaves no trace.
    check(
        r#"{"name":"hi"}"#,
        r#"{"mergingList":[{"name":"hello"},{"$patch":"delete","name":"doesntexist"}]}"#,
        r#"{"name":"hi","mergingList":[{"name":"hello"}]}"#,
    );
}

#[test]
fn add_and_delete_in_one_list_orders_like_upstream() {
    // Upstream orders server-only items by its in-place mutated copy of the
    // live list, which places the surviving server-only item before the new one.
    check(
        r#"{"mergingList":[{"name":1},{"name":2,"other":"b"},{"name":4,"other":"c"}]}"#,
        r#"{"$setElementOrder/mergingList":[{"name":2},{"name":3}],"mergingList":[{"name":3},{"name":1,"$patch":"delete"}]}"#,
        r#"{"mergingList":[{"name":2,"other":"b"},{"name":4,"other":"c"},{"name":3}]}"#,
    );
    check(
        r#"{"mergingList":[{"name":1,"other":"a"},{"name":4,"other":"c"}]}"#,
        r#"{"$setElementOrder/mergingList":[{"name":2},{"name":3}],"mergingList":[{"name":2},{"name":3},{"name":1,"$patch":"delete"}]}"#,
        r#"{"mergingList":[{"name":4,"other":"c"},{"name":2},{"name":3}]}"#,
    );
    check(
        r#"{"mergingList":[{"name":"a","value":"a"},{"name":"b","value":"b"}],"mergeItemPtr":[{"name":"c","value":"c"},{"name":"d","value":"d"}]}"#,
        r#"{"$setElementOrder/mergingList":[{"name":"b"}],"$setElementOrder/mergeItemPtr":[{"name":"d"},{"name":"c"}],"mergingList":[{"$patch":"delete","name":"a"}]}"#,
        r#"{"mergingList":[{"name":"b","value":"b"}],"mergeItemPtr":[{"name":"d","value":"d"},{"name":"c","value":"c"}]}"#,
    );
}

#[test]
fn patch_replace_directive() {
    check(
        r#"{"mergingList":[{"name":1},{"name":2}]}"#,
        r#"{"mergingList":[{"$patch":"replace"}]}"#,
        r#"{"mergingList":[]}"#,
    );
    check(
        r#"{"mergingList":[]}"#,
        r#"{"mergingList":[]}"#,
        r#"{"mergingList":[]}"#,
    );
    check(
        r#"{"mergingList":[{"name":1,"value":"x"},{"name":2}]}"#,
        r#"{"mergingList":[{"name":3},{"$patch":"replace"},{"name":1}]}"#,
        r#"{"mergingList":[{"name":3},{"name":1}]}"#,
    );
    check(r#"{"name":1,"value":1}"#, r#"{"$patch":"replace"}"#, "{}");
    check(
        r#"{"name":1,"value":1}"#,
        r#"{"other":"a","$patch":"replace"}"#,
        r#"{"other":"a"}"#,
    );
}

#[test]
fn patch_delete_directive_in_maps() {
    // An existing map is emptied, a new one is not created.
    check(
        r#"{"simpleMap":{"key1":"1","key2":"1"}}"#,
        r#"{"simpleMap":{"$patch":"delete"}}"#,
        r#"{"simpleMap":{}}"#,
    );
    check(
        r#"{"name":"x"}"#,
        r#"{"simpleMap":{"$patch":"delete"}}"#,
        r#"{"name":"x"}"#,
    );
}

#[test]
fn replace_strategy_takes_the_patch_map() {
    check(
        r#"{"name":"o","replacingItem":{"Some":"Generic","Field":"Period"}}"#,
        r#"{"replacingItem":{"Newly":"Modified"}}"#,
        r#"{"name":"o","replacingItem":{"Newly":"Modified"}}"#,
    );
}

#[test]
fn maps_without_metadata_merge_recursively() {
    check(
        r#"{"simpleMap":{"a":"1","b":"2"},"unknown":{"x":{"y":1,"z":2}}}"#,
        r#"{"simpleMap":{"a":null,"c":"3"},"unknown":{"x":{"z":null,"w":3}}}"#,
        r#"{"simpleMap":{"b":"2","c":"3"},"unknown":{"x":{"y":1,"w":3}}}"#,
    );
}

#[test]
fn set_element_order_directive() {
    check(
        r#"{"mergingList":[{"name":1},{"name":3}]}"#,
        r#"{"$setElementOrder/mergingList":[{"name":3},{"name":2},{"name":1}],"mergingList":[{"name":3,"value":3},{"name":1,"value":1}]}"#,
        r#"{"mergingList":[{"name":3,"value":3},{"name":1,"value":1}]}"#,
    );
    check(
        r#"{"mergingIntList":[1,3]}"#,
        r#"{"$setElementOrder/mergingIntList":[3,2,1]}"#,
        r#"{"mergingIntList":[3,1]}"#,
    );
    // Server-only items keep their place relative to the listed ones.
    check(
        r#"{"mergingList":[{"name":1,"other":"a"},{"name":2,"value":2},{"name":9},{"name":3,"value":3},{"name":4,"value":4}]}"#,
        r#"{"$setElementOrder/mergingList":[{"name":2},{"name":1},{"name":4},{"name":3}]}"#,
        r#"{"mergingList":[{"name":2,"value":2},{"name":1,"other":"a"},{"name":9},{"name":4,"value":4},{"name":3,"value":3}]}"#,
    );
    check(
        r#"{"mergingIntList":[1,2,7,9,8,3,4]}"#,
        r#"{"$setElementOrder/mergingIntList":[2,1,4,3]}"#,
        r#"{"mergingIntList":[2,1,7,9,8,4,3]}"#,
    );
    check(
        r#"{"mergingIntList":[1,4,2]}"#,
        r#"{"$setElementOrder/mergingIntList":[3,1,2],"mergingIntList":[3]}"#,
        r#"{"mergingIntList":[3,1,4,2]}"#,
    );
    // Duplicated keys stay together.
    check(
        r#"{"mergingList":[{"name":1},{"name":2,"value":"dup1"},{"name":3},{"name":2,"value":"dup2"},{"name":4}]}"#,
        r#"{"$setElementOrder/mergingList":[{"name":2},{"name":1},{"name":4},{"name":3},{"name":2}]}"#,
        r#"{"mergingList":[{"name":2,"value":"dup1"},{"name":2,"value":"dup2"},{"name":1},{"name":4},{"name":3}]}"#,
    );
    check(
        r#"{"mergingIntList":[1,2,3,2,4]}"#,
        r#"{"$setElementOrder/mergingIntList":[2,1,4,3,2]}"#,
        r#"{"mergingIntList":[2,2,1,4,3]}"#,
    );
}

#[test]
fn delete_from_primitive_list_directive() {
    check(
        r#"{"mergingIntList":[1,2,3]}"#,
        r#"{"$deleteFromPrimitiveList/mergingIntList":[2]}"#,
        r#"{"mergingIntList":[1,3]}"#,
    );
    // Works on lists without the merge strategy too.
    check(
        r#"{"nonMergingIntList":[1,2,3]}"#,
        r#"{"$deleteFromPrimitiveList/nonMergingIntList":[2]}"#,
        r#"{"nonMergingIntList":[1,3]}"#,
    );
    check(
        r#"{"mergingIntList":[1,2]}"#,
        r#"{"$deleteFromPrimitiveList/mergingIntList":[3]}"#,
        r#"{"mergingIntList":[1,2]}"#,
    );
    check(
        r#"{"mergingIntList":null}"#,
        r#"{"$deleteFromPrimitiveList/mergingIntList":[3]}"#,
        r#"{"mergingIntList":null}"#,
    );
    check(
        r#"{"foo":["bar"]}"#,
        r#"{"$deleteFromPrimitiveList/mergingIntList":[3]}"#,
        r#"{"foo":["bar"]}"#,
    );
    check(
        r#"{"mergingIntList":[1,2,3,3,4]}"#,
        r#"{"$setElementOrder/mergingIntList":[1,2],"$deleteFromPrimitiveList/mergingIntList":[3]}"#,
        r#"{"mergingIntList":[1,2,4]}"#,
    );
    check(
        r#"{"mergingIntList":[1,2,3]}"#,
        r#"{"$setElementOrder/mergingIntList":[2,1],"$deleteFromPrimitiveList/mergingIntList":[3]}"#,
        r#"{"mergingIntList":[2,1]}"#,
    );
    check(
        r#"{"mergingIntList":[1,2,3]}"#,
        r#"{"$setElementOrder/mergingIntList":[1,2,4],"$deleteFromPrimitiveList/mergingIntList":[3],"mergingIntList":[4]}"#,
        r#"{"mergingIntList":[1,2,4]}"#,
    );
}

#[test]
fn retain_keys_directive() {
    check(
        r#"{"retainKeysMap":{"value":"foo"}}"#,
        r#"{"retainKeysMap":{"$retainKeys":["other"],"other":"bar"}}"#,
        r#"{"retainKeysMap":{"other":"bar"}}"#,
    );
    check(
        r#"{"retainKeysMap":{"name":"foo","other":"a"}}"#,
        r#"{"retainKeysMap":{"$retainKeys":["name","value"],"value":"bar"}}"#,
        r#"{"retainKeysMap":{"name":"foo","value":"bar"}}"#,
    );
    check(
        r#"{"retainKeysMap":{"name":"foo","value":"bar","simpleMap":{"key1":"a","key2":"b","key3":"c"}}}"#,
        r#"{"retainKeysMap":{"$retainKeys":["name","simpleMap","value"],"simpleMap":{"key2":null}}}"#,
        r#"{"retainKeysMap":{"name":"foo","value":"bar","simpleMap":{"key1":"a","key3":"c"}}}"#,
    );
    check(
        r#"{"retainKeysMap":{"name":"foo","mergingIntList":[1,2,3,4]}}"#,
        r#"{"retainKeysMap":{"$retainKeys":["mergingIntList","name"],"mergingIntList":[5],"$deleteFromPrimitiveList/mergingIntList":[2],"$setElementOrder/mergingIntList":[1,3,5]}}"#,
        r#"{"retainKeysMap":{"name":"foo","mergingIntList":[1,3,5,4]}}"#,
    );
    check(
        r#"{"retainKeysMergingList":[{"name":"bar"},{"name":"foo","value":"old","other":"x"}]}"#,
        r#"{"$setElementOrder/retainKeysMergingList":[{"name":"bar"},{"name":"foo"}],"retainKeysMergingList":[{"$retainKeys":["name","value"],"name":"foo","value":"new"}]}"#,
        r#"{"retainKeysMergingList":[{"name":"bar"},{"name":"foo","value":"new"}]}"#,
    );
    // Without the directive a retainKeys field merges normally.
    check(
        r#"{"retainKeysMap":{"name":"foo","value":"a"}}"#,
        r#"{"retainKeysMap":{"value":null}}"#,
        r#"{"retainKeysMap":{"name":"foo"}}"#,
    );
    check(
        r#"{"retainKeysMap":{"name":"foo","value":"a"}}"#,
        r#"{"retainKeysMap":{}}"#,
        r#"{"retainKeysMap":{"name":"foo","value":"a"}}"#,
    );
    check(
        r#"{"retainKeysMergingList":[{"name":"bar"},{"name":"foo"}]}"#,
        r#"{"retainKeysMergingList":[{"name":"foo","value":"a"}]}"#,
        r#"{"retainKeysMergingList":[{"name":"bar"},{"name":"foo","value":"a"}]}"#,
    );
}

#[test]
fn nulls_are_dropped_from_inserted_values() {
    check(
        r#"{"name":"foo"}"#,
        r#"{"complex":{"key":{"keynotnull":"value","keynull":null}}}"#,
        r#"{"name":"foo","complex":{"key":{"keynotnull":"value"}}}"#,
    );
    check("{}", r#"{"complex":{"nested":null}}"#, r#"{"complex":{}}"#);
    check(
        "{}",
        r#"{"complex_nullable":[{"inner_one":{"key_one":"foo","key_two":null}}]}"#,
        r#"{"complex_nullable":[{"inner_one":{"key_one":"foo"}}]}"#,
    );
    check(
        "{}",
        r#"{"complex_nullable":["key1",null,"key2"]}"#,
        r#"{"complex_nullable":["key1",null,"key2"]}"#,
    );
    check(
        r#"{"thing":null}"#,
        r#"{"nested":{"value":5}}"#,
        r#"{"nested":{"value":5},"thing":null}"#,
    );
    check(r#"{"a":1}"#, r#"{"missing":null}"#, r#"{"a":1}"#);
}

#[test]
fn directives_in_inserted_values_are_kept_except_patch_maps() {
    check(
        "{}",
        r#"{"mergingList":[{"name":"a","simpleMap":{"$patch":"delete"}}],"retainKeysMap":{"$retainKeys":["name"],"name":"x"}}"#,
        r#"{"mergingList":[{"name":"a"}],"retainKeysMap":{"$retainKeys":["name"],"name":"x"}}"#,
    );
    // A new element of a merging list is taken verbatim (and, without
    // `$setElementOrder`, placed before the live ones).
    check(
        r#"{"mergingList":[{"name":"a"}]}"#,
        r#"{"mergingList":[{"name":"b","value":null}]}"#,
        r#"{"mergingList":[{"name":"b","value":null},{"name":"a"}]}"#,
    );
}

#[test]
fn type_changes_replace_the_value() {
    check(
        r#"{"mergingList":[{"name":1}]}"#,
        r#"{"mergingList":"x"}"#,
        r#"{"mergingList":"x"}"#,
    );
    check(
        r#"{"simpleMap":{"a":"b"}}"#,
        r#"{"simpleMap":["a"]}"#,
        r#"{"simpleMap":["a"]}"#,
    );
    check(r#"{"value":1}"#, r#"{"value":1.5}"#, r#"{"value":1.5}"#);
}

#[test]
fn without_schema_lists_are_replaced_and_maps_merged() {
    let original = json!({"spec": {"list": [{"name": "a"}, {"name": "b"}], "map": {"a": 1}}});
    let patch = json!({"spec": {"list": [{"name": "c"}], "map": {"b": 2}}});
    assert_eq!(
        apply_strategic_merge_patch(&original, &patch, &NoSchema),
        Ok(json!({"spec": {"list": [{"name": "c"}], "map": {"a": 1, "b": 2}}}))
    );
}

#[test]
fn combined_strategies_are_split() {
    assert_eq!(strategy_without_retain_keys(&[]), Ok(String::new()));
    let parts = |s: &str| s.split(',').map(str::to_string).collect::<Vec<_>>();
    assert_eq!(
        strategy_without_retain_keys(&parts("retainKeys")),
        Ok(String::new())
    );
    assert_eq!(
        strategy_without_retain_keys(&parts("merge,retainKeys")),
        Ok("merge".into())
    );
    assert_eq!(
        strategy_without_retain_keys(&parts("retainKeys,replace")),
        Ok("replace".into())
    );
    let err =
        strategy_without_retain_keys(&parts("merge,replace")).expect_err("two real strategies");
    assert_eq!(err.message, "unexpected patch strategy: [merge replace]");
}

mod failures;
