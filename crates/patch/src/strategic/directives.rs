//! The map-level directives: `$retainKeys`, `$setElementOrder/<field>` and the
//! clean-up of `$patch` markers in values taken over from the patch.

use serde_json::{Map, Value};

use super::errors::{self, GO_MAP_TYPE, GO_SLICE_TYPE};
use super::lists::{
    list_element_kind, merge_list_tracking_live, normalize_element_order, partition_maps,
    partition_primitives, split_delete_items,
};
use super::{DIRECTIVE_MARKER, MERGE_DIRECTIVE, strategy_without_retain_keys};
use crate::error::PatchError;
use crate::gofmt::{go_equal, go_v};
use crate::schema::PatchSchema;

pub(super) const DELETE_FROM_PRIMITIVE_LIST_PREFIX: &str = "$deleteFromPrimitiveList";
pub(super) const SET_ELEMENT_ORDER_PREFIX: &str = "$setElementOrder";
const RETAIN_KEYS_DIRECTIVE: &str = "$retainKeys";

/// `<prefix>/<field>` → `<field>`; anything else is a 400 for the known prefixes.
pub(super) fn extract_key(key: &str, prefix: &str) -> Result<String, PatchError> {
    match key.split_once('/') {
        Some((head, field)) if head == prefix => Ok(field.to_string()),
        _ => Err(match prefix {
            DELETE_FROM_PRIMITIVE_LIST_PREFIX => errors::bad_primitive_list_format(),
            SET_ELEMENT_ORDER_PREFIX => errors::bad_set_element_order_format(),
            _ => PatchError::internal(format!("fail to find unknown prefix {prefix:?} in {key}\n")),
        }),
    }
}

/// `$retainKeys`: every non-null patch field must be listed, and fields of
/// `original` that are not listed are cleared.
pub(super) fn apply_retain_keys(
    original: &mut Map<String, Value>,
    patch: &mut Map<String, Value>,
) -> Result<(), PatchError> {
    let Some(retain) = patch.remove(RETAIN_KEYS_DIRECTIVE) else {
        return Ok(());
    };
    let Value::Array(retained) = retain else {
        return Err(errors::bad_retain_keys_format());
    };
    let is_retained = |key: &str| retained.iter().any(|listed| listed.as_str() == Some(key));
    let unlisted = patch.iter().any(|(key, value)| {
        !value.is_null()
            && !key.starts_with(DELETE_FROM_PRIMITIVE_LIST_PREFIX)
            && !key.starts_with(SET_ELEMENT_ORDER_PREFIX)
            && !is_retained(key)
    });
    if unlisted {
        return Err(errors::bad_retain_keys_format());
    }
    original.retain(|key, _| is_retained(key));
    Ok(())
}

/// Processes every `$setElementOrder/<field>` together with the `<field>`
/// list of the patch, removing both from `patch`. Order precedence: the
/// directive, then the patch list, then the live list.
pub(super) fn merge_set_element_order<S: PatchSchema>(
    original: &mut Map<String, Value>,
    patch: &mut Map<String, Value>,
    schema: &S,
) -> Result<(), PatchError> {
    let mut keys: Vec<String> = patch
        .keys()
        .filter(|key| key.starts_with(SET_ELEMENT_ORDER_PREFIX))
        .cloned()
        .collect();
    keys.sort();
    for key in keys {
        let Some(order) = patch.remove(&key) else {
            continue;
        };
        let Value::Array(order) = order else {
            return Err(errors::bad_arg_type(GO_SLICE_TYPE, &order));
        };
        let field = extract_key(&key, SET_ELEMENT_ORDER_PREFIX)?;
        let original_list = list_at(original, &field)?;
        let patch_list = list_at(patch, &field)?;
        let (subschema, meta) = schema.lookup_list_field(&field);
        let strategy = strategy_without_retain_keys(&meta.strategies)?;
        let merge_key = meta.merge_key.as_str();
        validate_against_order(patch_list.as_deref().unwrap_or_default(), &order, merge_key)?;

        // Upstream reads the live order from its copy of the original list after
        // the merge mutated it in place; `live_view` replays those mutations.
        let mut live_view = original_list.clone().unwrap_or_default();
        let merged = match (original_list, patch_list.clone()) {
            (Some(current), None) => current,
            (None, Some(added)) => added.into_iter().filter_map(remove_directives).collect(),
            (Some(current), Some(added)) => {
                if strategy == MERGE_DIRECTIVE {
                    let view = Some(&mut live_view);
                    merge_list_tracking_live(current, added, &subschema, merge_key, false, view)?
                } else {
                    added
                }
            }
            (None, None) => continue,
        };

        let (ordered, server_only) = if merge_key.is_empty() {
            partition_primitives(merged, &order)
        } else {
            partition_maps(merged, &order, merge_key)?
        };
        let kind = list_element_kind(&[&live_view, patch_list.as_deref().unwrap_or_default()])?;
        let result =
            normalize_element_order(ordered, server_only, &order, &live_view, merge_key, kind)?;
        original.insert(field.clone(), Value::Array(result));
        patch.remove(&field);
    }
    Ok(())
}

/// The list stored under `field`, `None` when absent; any other type is an error.
fn list_at(map: &Map<String, Value>, field: &str) -> Result<Option<Vec<Value>>, PatchError> {
    match map.get(field) {
        None => Ok(None),
        Some(Value::Array(items)) => Ok(Some(items.clone())),
        Some(other) => Err(errors::bad_arg_type(GO_SLICE_TYPE, other)),
    }
}

/// The patch list (without deletions and directive elements) must appear in
/// the `$setElementOrder` list in the same relative order.
fn validate_against_order(
    patch_list: &[Value],
    order: &[Value],
    merge_key: &str,
) -> Result<(), PatchError> {
    if patch_list.is_empty() || order.is_empty() {
        return Ok(());
    }
    let kept = if merge_key.is_empty() {
        patch_list.to_vec()
    } else {
        split_delete_items(patch_list.to_vec())?.0
    };
    let (mut p, mut o) = (0, 0);
    while p < kept.len() && o < order.len() {
        if kept[p].get(DIRECTIVE_MARKER).is_some() {
            p += 1;
            continue;
        }
        if merge_key_values_equal(&kept[p], &order[o], merge_key)? {
            p += 1;
        }
        o += 1;
    }
    if p < kept.len() && o >= order.len() {
        return Err(PatchError::internal(format!(
            "The order in patch list:\n{}\n doesn't match {SET_ELEMENT_ORDER_PREFIX} list:\n{}\n",
            go_v(&Value::Array(patch_list.to_vec())),
            go_v(&Value::Array(order.to_vec())),
        )));
    }
    Ok(())
}

fn merge_key_values_equal(
    left: &Value,
    right: &Value,
    merge_key: &str,
) -> Result<bool, PatchError> {
    if merge_key.is_empty() {
        return Ok(go_equal(left, right));
    }
    let Value::Object(left) = left else {
        return Err(errors::bad_arg_type(GO_MAP_TYPE, left));
    };
    let Value::Object(right) = right else {
        return Err(errors::bad_arg_type(GO_MAP_TYPE, right));
    };
    let Some(left_value) = left.get(merge_key) else {
        return Err(errors::no_merge_key(left, merge_key));
    };
    let Some(right_value) = right.get(merge_key) else {
        return Err(errors::no_merge_key(right, merge_key));
    };
    Ok(go_equal(left_value, right_value))
}

/// Drops maps carrying `$patch` (returning `None` when `value` itself is one),
/// recursively. Other directives are kept, as upstream does.
pub(super) fn remove_directives(value: Value) -> Option<Value> {
    match value {
        Value::Object(map) => {
            if map.contains_key(DIRECTIVE_MARKER) {
                return None;
            }
            let cleaned = map
                .into_iter()
                .filter_map(|(key, value)| remove_directives(value).map(|value| (key, value)))
                .collect();
            Some(Value::Object(cleaned))
        }
        Value::Array(items) => Some(Value::Array(
            items.into_iter().filter_map(remove_directives).collect(),
        )),
        other => Some(other),
    }
}

/// Removes null members from maps, recursively (null list elements stay).
pub(super) fn discard_null_values(value: &mut Value) {
    match value {
        Value::Object(map) => {
            map.retain(|_, v| !v.is_null());
            map.values_mut().for_each(discard_null_values);
        }
        Value::Array(items) => items.iter_mut().for_each(discard_null_values),
        _ => {}
    }
}
