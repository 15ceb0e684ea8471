//! `application/strategic-merge-patch+json`: the apply side of upstream's
//! `strategicpatch.StrategicMergePatch`, with the options the API server uses
//! (parallel lists are merged, nulls without a match are dropped).
//!
//! Like upstream, directives inside values that are inserted wholesale (a new
//! field, a new list element) are left in place apart from `$patch` maps; the
//! API server's typed decode drops them afterwards.

mod directives;
mod errors;
mod lists;

use serde_json::{Map, Value};

use crate::error::PatchError;
use crate::gofmt::{GoKind, go_kind, go_v};
use crate::gojson;
use crate::schema::PatchSchema;

use directives::{
    DELETE_FROM_PRIMITIVE_LIST_PREFIX, apply_retain_keys, discard_null_values, extract_key,
    merge_set_element_order, remove_directives,
};

const DIRECTIVE_MARKER: &str = "$patch";
const DELETE_DIRECTIVE: &str = "delete";
const REPLACE_DIRECTIVE: &str = "replace";
const MERGE_DIRECTIVE: &str = "merge";
const RETAIN_KEYS_STRATEGY: &str = "retainKeys";

/// Applies a decoded strategic merge patch to `original` (which must be an
/// object). A `null` patch changes nothing; any other non-object is a 400.
pub fn apply_strategic_merge_patch<S: PatchSchema>(
    original: &Value,
    patch: &Value,
    schema: &S,
) -> Result<Value, PatchError> {
    let Value::Object(original) = original else {
        return Err(errors::bad_json_doc());
    };
    let patch = match patch {
        Value::Null => Map::new(),
        Value::Object(patch) => patch.clone(),
        other => {
            let message = gojson::unmarshal_type_error(other, errors::GO_MAP_TYPE);
            return Err(PatchError::bad_request(message));
        }
    };
    merge_map(original.clone(), patch, schema).map(Value::Object)
}

/// Decodes a strategic merge patch body (400 with Go's decoder text on
/// failure) and applies it.
pub fn apply_strategic_merge_patch_bytes<S: PatchSchema>(
    original: &Value,
    patch: &[u8],
    schema: &S,
) -> Result<Value, PatchError> {
    let patch = gojson::parse(patch).map_err(PatchError::bad_request)?;
    apply_strategic_merge_patch(original, &patch, schema)
}

/// Merges `patch` into `original` (upstream's `mergeMap`).
fn merge_map<S: PatchSchema>(
    mut original: Map<String, Value>,
    mut patch: Map<String, Value>,
    schema: &S,
) -> Result<Map<String, Value>, PatchError> {
    if let Some(directive) = patch.get(DIRECTIVE_MARKER) {
        return map_directive(directive.clone(), patch);
    }
    apply_retain_keys(&mut original, &mut patch)?;
    merge_set_element_order(&mut original, &mut patch, schema)?;

    // Upstream walks a Go map (random order); sorting makes runs reproducible.
    let mut keys: Vec<String> = patch.keys().cloned().collect();
    keys.sort();
    for patch_key in keys {
        let Some(patch_value) = patch.remove(&patch_key) else {
            continue;
        };
        let (key, is_delete_list) = if patch_key.starts_with(DELETE_FROM_PRIMITIVE_LIST_PREFIX) {
            let target = extract_key(&patch_key, DELETE_FROM_PRIMITIVE_LIST_PREFIX)?;
            // An empty target keeps the directive key itself, as upstream does.
            let key = if target.is_empty() { patch_key } else { target };
            (key, true)
        } else {
            (patch_key, false)
        };
        merge_field(&mut original, key, patch_value, is_delete_list, schema)?;
    }
    Ok(original)
}

/// A map carrying `$patch`: `replace` keeps the patch itself, `delete` empties it.
fn map_directive(
    directive: Value,
    mut patch: Map<String, Value>,
) -> Result<Map<String, Value>, PatchError> {
    match directive.as_str() {
        Some(REPLACE_DIRECTIVE) => {
            patch.remove(DIRECTIVE_MARKER);
            Ok(patch)
        }
        Some(DELETE_DIRECTIVE) => Ok(Map::new()),
        _ => Err(errors::bad_patch_type(&directive, &patch)),
    }
}

fn merge_field<S: PatchSchema>(
    original: &mut Map<String, Value>,
    key: String,
    mut patch_value: Value,
    is_delete_list: bool,
    schema: &S,
) -> Result<(), PatchError> {
    if patch_value.is_null() {
        original.remove(&key);
        return Ok(());
    }
    let same_kind = original
        .get(&key)
        .map(|current| go_kind(current) == go_kind(&patch_value));
    match same_kind {
        // Absent or of another type: the patch value is taken as is.
        None | Some(false) => {
            if !is_delete_list {
                discard_null_values(&mut patch_value);
                set_or_remove(original, key, remove_directives(patch_value));
            }
            Ok(())
        }
        Some(true) => {
            let Some(current) = original.remove(&key) else {
                return Ok(());
            };
            let merged = match (current, patch_value) {
                (Value::Object(current), Value::Object(patch)) => {
                    let (subschema, meta) = schema.lookup_struct_field(&key);
                    let strategy = strategy_without_retain_keys(&meta.strategies)?;
                    Some(Value::Object(merge_map_field(
                        current, patch, &subschema, &strategy,
                    )?))
                }
                (Value::Array(current), Value::Array(patch)) => {
                    let (subschema, meta) = schema.lookup_list_field(&key);
                    let strategy = strategy_without_retain_keys(&meta.strategies)?;
                    let merged = merge_list_field(
                        current,
                        patch,
                        &subschema,
                        &strategy,
                        &meta.merge_key,
                        is_delete_list,
                    )?;
                    Some(Value::Array(merged))
                }
                (_, scalar) => remove_directives(scalar),
            };
            set_or_remove(original, key, merged);
            Ok(())
        }
    }
}

fn set_or_remove(map: &mut Map<String, Value>, key: String, value: Option<Value>) {
    match value {
        Some(value) => {
            map.insert(key, value);
        }
        None => {
            map.remove(&key);
        }
    }
}

/// Upstream's `mergeMapHandler`: only the `replace` strategy stops the recursion.
fn merge_map_field<S: PatchSchema>(
    original: Map<String, Value>,
    patch: Map<String, Value>,
    schema: &S,
    strategy: &str,
) -> Result<Map<String, Value>, PatchError> {
    if strategy == REPLACE_DIRECTIVE {
        Ok(patch)
    } else {
        merge_map(original, patch, schema)
    }
}

/// Upstream's `mergeSliceHandler`: lists merge only with the `merge` strategy
/// (or as a `$deleteFromPrimitiveList` target); otherwise the patch replaces them.
fn merge_list_field<S: PatchSchema>(
    original: Vec<Value>,
    patch: Vec<Value>,
    schema: &S,
    strategy: &str,
    merge_key: &str,
    is_delete_list: bool,
) -> Result<Vec<Value>, PatchError> {
    if strategy == MERGE_DIRECTIVE || is_delete_list {
        lists::merge_list(original, patch, schema, merge_key, is_delete_list)
    } else {
        Ok(patch)
    }
}

/// Splits `retainKeys` off a combined strategy such as `merge,retainKeys`.
fn strategy_without_retain_keys(strategies: &[String]) -> Result<String, PatchError> {
    let unexpected = || {
        let listed = Value::Array(strategies.iter().cloned().map(Value::String).collect());
        PatchError::internal(format!("unexpected patch strategy: {}", go_v(&listed)))
    };
    match strategies {
        [] => Ok(String::new()),
        [only] if only == RETAIN_KEYS_STRATEGY => Ok(String::new()),
        [only] => Ok(only.clone()),
        [first, second] if first == RETAIN_KEYS_STRATEGY => Ok(second.clone()),
        [first, second] if second == RETAIN_KEYS_STRATEGY => Ok(first.clone()),
        _ => Err(unexpected()),
    }
}

/// True for the slice kinds that merge by merge key.
fn is_map_kind(kind: GoKind) -> bool {
    kind == GoKind::Map
}

#[cfg(test)]
mod tests;
