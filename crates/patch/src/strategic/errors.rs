//! The errors `strategicpatch`/`mergepatch` produce, with the status
//! kube-apiserver's `interpretStrategicMergePatchError` gives each.

use serde_json::{Map, Value};

use crate::error::PatchError;
use crate::gofmt::{go_s, go_type_name, go_v};

pub(crate) const GO_MAP_TYPE: &str = "map[string]interface {}";
pub(crate) const GO_SLICE_TYPE: &str = "[]interface {}";

pub(crate) fn bad_json_doc() -> PatchError {
    PatchError::bad_request("invalid JSON document")
}

pub(crate) fn bad_primitive_list_format() -> PatchError {
    PatchError::bad_request("invalid patch format of primitive list")
}

pub(crate) fn bad_retain_keys_format() -> PatchError {
    PatchError::bad_request("invalid patch format of retainKeys")
}

pub(crate) fn bad_set_element_order_format() -> PatchError {
    PatchError::bad_request("invalid patch format of setElementOrder list")
}

/// `ErrNoListOfLists` is answered with the generic 422.
pub(crate) fn no_list_of_lists() -> PatchError {
    PatchError::unprocessable("lists of lists are not supported")
}

pub(crate) fn no_merge_key(map: &Map<String, Value>, merge_key: &str) -> PatchError {
    let map = Value::Object(map.clone());
    PatchError::internal(format!(
        "map: {} does not contain declared merge key: {merge_key}",
        go_v(&map)
    ))
}

pub(crate) fn bad_arg_type(expected_go_type: &str, actual: &Value) -> PatchError {
    PatchError::internal(format!(
        "expected a {expected_go_type}, but received a {}",
        go_type_name(actual)
    ))
}

pub(crate) fn bad_patch_type(directive: &Value, map: &Map<String, Value>) -> PatchError {
    let map = Value::Object(map.clone());
    PatchError::internal(format!(
        "unknown patch type: {} in map: {}",
        go_s(directive),
        go_v(&map)
    ))
}

pub(crate) fn not_a_map_at(index: usize) -> PatchError {
    PatchError::internal(format!("value for key {index} is not a map"))
}
