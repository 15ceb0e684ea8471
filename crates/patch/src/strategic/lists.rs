//! Merging lists: by merge key for lists of maps, as a union for lists of
//! primitives, and the ordering rules upstream applies afterwards
//! (patch order first, server-only items slotted in by their live order).

use serde_json::{Map, Value};

use super::errors::{self, GO_MAP_TYPE};
use super::{
    DELETE_DIRECTIVE, DIRECTIVE_MARKER, MERGE_DIRECTIVE, REPLACE_DIRECTIVE, is_map_kind, merge_map,
};
use crate::error::PatchError;
use crate::gofmt::{GoKind, go_equal, go_kind, go_v};
use crate::schema::PatchSchema;

/// Upstream's `mergeSlice`.
pub(super) fn merge_list<S: PatchSchema>(
    original: Vec<Value>,
    patch: Vec<Value>,
    schema: &S,
    merge_key: &str,
    is_delete_list: bool,
) -> Result<Vec<Value>, PatchError> {
    merge_list_tracking_live(original, patch, schema, merge_key, is_delete_list, None)
}

/// [`merge_list`] that also replays, on `live_view`, what upstream's in-place
/// slice operations do to the caller's copy of the original list: deletions
/// shift the remaining elements left and appended elements land in the slots
/// this frees. `$setElementOrder` orders server-only items by that view, so the
/// replay is needed to order them like upstream.
pub(super) fn merge_list_tracking_live<S: PatchSchema>(
    original: Vec<Value>,
    patch: Vec<Value>,
    schema: &S,
    merge_key: &str,
    is_delete_list: bool,
    live_view: Option<&mut Vec<Value>>,
) -> Result<Vec<Value>, PatchError> {
    if original.is_empty() && patch.is_empty() {
        return Ok(original);
    }
    let kind = list_element_kind(&[&original, &patch])?;
    if !is_map_kind(kind) {
        if is_delete_list {
            return Ok(delete_from_list(original, &patch));
        }
        let mut both = original.clone();
        both.extend(patch.iter().cloned());
        let merged = dedup_scalars(both);
        let (patch_items, server_only) = if merge_key.is_empty() {
            partition_primitives(merged, &patch)
        } else {
            partition_maps(merged, &patch, merge_key)?
        };
        return normalize_element_order(
            patch_items,
            server_only,
            &patch,
            &original,
            merge_key,
            kind,
        );
    }
    if merge_key.is_empty() {
        return Err(PatchError::internal(format!(
            "cannot merge lists without merge key for {}",
            schema.kind_name()
        )));
    }
    let mut live_view = live_view;
    let special = apply_special_elements(original, patch, merge_key, live_view.as_deref_mut())?;
    // After `$patch: replace` upstream appends to a fresh slice, out of the caller's sight.
    let appends_view = if special.replaced { None } else { live_view };
    let (original, patch) = (special.original, special.patch);
    let merged = merge_elements(
        original.clone(),
        patch.clone(),
        merge_key,
        schema,
        appends_view,
    )?;
    let (patch_items, server_only) = partition_maps(merged, &patch, merge_key)?;
    normalize_element_order(patch_items, server_only, &patch, &original, merge_key, kind)
}

struct SpecialElements {
    /// The original list after deletions, or the replacement list.
    original: Vec<Value>,
    /// The patch without `$patch` elements (empty after a replace).
    patch: Vec<Value>,
    replaced: bool,
}

/// Handles `$patch` list elements: `delete` removes every element with that
/// merge key value, `replace` makes the rest of the patch the whole list.
fn apply_special_elements(
    mut original: Vec<Value>,
    patch: Vec<Value>,
    merge_key: &str,
    mut live_view: Option<&mut Vec<Value>>,
) -> Result<SpecialElements, PatchError> {
    let mut plain = Vec::with_capacity(patch.len());
    let mut replace = false;
    for element in patch {
        let Value::Object(map) = &element else {
            return Err(errors::bad_arg_type(GO_MAP_TYPE, &element));
        };
        let Some(directive) = map.get(DIRECTIVE_MARKER) else {
            plain.push(element);
            continue;
        };
        match directive.as_str() {
            Some(DELETE_DIRECTIVE) => {
                let Some(value) = map.get(merge_key) else {
                    return Err(errors::no_merge_key(map, merge_key));
                };
                while let Some(index) = find_map_in_list(&original, merge_key, value)? {
                    if let Some(view) = live_view.as_deref_mut() {
                        shift_left_in_place(view, index, original.len());
                    }
                    original.remove(index);
                }
            }
            // Keep scanning so later `$patch` elements are still dropped.
            Some(REPLACE_DIRECTIVE) => replace = true,
            Some(MERGE_DIRECTIVE) => {
                return Err(PatchError::internal(
                    "merging lists cannot yet be specified in the patch",
                ));
            }
            _ => return Err(errors::bad_patch_type(directive, map)),
        }
    }
    Ok(if replace {
        SpecialElements {
            original: plain,
            patch: Vec::new(),
            replaced: true,
        }
    } else {
        SpecialElements {
            original,
            patch: plain,
            replaced: false,
        }
    })
}

/// Go's `append(s[:i], s[i+1:]...)` on a slice of length `len`: later elements
/// move down one slot and the last slot keeps its old value.
fn shift_left_in_place(view: &mut [Value], index: usize, len: usize) {
    let end = len.min(view.len());
    for slot in index..end.saturating_sub(1) {
        view[slot] = view[slot + 1].clone();
    }
}

/// Merges each patch element into the first original element with the same
/// merge key value, or appends it.
fn merge_elements<S: PatchSchema>(
    mut original: Vec<Value>,
    patch: Vec<Value>,
    merge_key: &str,
    schema: &S,
    mut live_view: Option<&mut Vec<Value>>,
) -> Result<Vec<Value>, PatchError> {
    for element in patch {
        let Value::Object(patch_map) = element else {
            return Err(errors::bad_arg_type(GO_MAP_TYPE, &element));
        };
        let Some(value) = patch_map.get(merge_key) else {
            return Err(errors::no_merge_key(&patch_map, merge_key));
        };
        match find_map_in_list(&original, merge_key, value)? {
            Some(index) => {
                let current = match original[index].take() {
                    Value::Object(map) => map,
                    _ => Map::new(),
                };
                original[index] = Value::Object(merge_map(current, patch_map, schema)?);
            }
            None => {
                // Appending writes into the shared backing array while it has room.
                if let Some(slot) = live_view
                    .as_deref_mut()
                    .and_then(|view| view.get_mut(original.len()))
                {
                    *slot = Value::Object(patch_map.clone());
                }
                original.push(Value::Object(patch_map));
            }
        }
    }
    Ok(original)
}

/// Index of the first map whose `key` equals `value` (Go `==`).
fn find_map_in_list(list: &[Value], key: &str, value: &Value) -> Result<Option<usize>, PatchError> {
    for (index, element) in list.iter().enumerate() {
        let Value::Object(map) = element else {
            return Err(errors::not_a_map_at(index));
        };
        if map
            .get(key)
            .is_some_and(|candidate| go_equal(candidate, value))
        {
            return Ok(Some(index));
        }
    }
    Ok(None)
}

fn delete_from_list(current: Vec<Value>, to_delete: &[Value]) -> Vec<Value> {
    current
        .into_iter()
        .filter(|item| !to_delete.iter().any(|gone| go_equal(item, gone)))
        .collect()
}

/// Upstream's in-place deduplication (swap-with-last); the order it leaves is
/// fixed up by the ordering step anyway.
fn dedup_scalars(mut items: Vec<Value>) -> Vec<Value> {
    let mut last = items.len() as isize - 1;
    let mut i = 0isize;
    while i < last {
        let mut j = i + 1;
        while j <= last {
            if go_equal(&items[i as usize], &items[j as usize]) {
                items[j as usize] = items[last as usize].clone();
                items.truncate(last as usize);
                last -= 1;
                j -= 1;
            }
            j += 1;
        }
        i += 1;
    }
    items
}

/// Upstream's `sliceElementType`: every element of every list must share one
/// Go type, and that type must not be a list.
pub(super) fn list_element_kind(lists: &[&[Value]]) -> Result<GoKind, PatchError> {
    let mut kind: Option<GoKind> = None;
    for list in lists {
        for element in list.iter() {
            let current = go_kind(element);
            match kind {
                None if current == GoKind::Slice => return Err(errors::no_list_of_lists()),
                None => kind = Some(current),
                Some(previous) if previous != current => {
                    let rendered: Vec<String> = lists
                        .iter()
                        .map(|list| go_v(&Value::Array(list.to_vec())))
                        .collect();
                    return Err(PatchError::internal(format!(
                        "list element types are not identical: [{}]",
                        rendered.join(" ")
                    )));
                }
                Some(_) => {}
            }
        }
    }
    kind.ok_or_else(|| PatchError::internal("no elements in any of the given slices"))
}

/// Splits `items` into those present in `by` and the rest, keeping order.
pub(super) fn partition_primitives(items: Vec<Value>, by: &[Value]) -> (Vec<Value>, Vec<Value>) {
    items
        .into_iter()
        .partition(|item| by.iter().any(|other| go_equal(item, other)))
}

/// Splits maps by whether their merge key value appears in `by`.
pub(super) fn partition_maps(
    items: Vec<Value>,
    by: &[Value],
    merge_key: &str,
) -> Result<(Vec<Value>, Vec<Value>), PatchError> {
    let mut present = Vec::with_capacity(items.len());
    let mut absent = Vec::with_capacity(items.len());
    for item in items {
        let Value::Object(map) = &item else {
            return Err(errors::bad_arg_type(GO_MAP_TYPE, &item));
        };
        let Some(value) = map.get(merge_key) else {
            return Err(errors::no_merge_key(map, merge_key));
        };
        if find_map_in_list(by, merge_key, value)?.is_some() {
            present.push(item);
        } else {
            absent.push(item);
        }
    }
    Ok((present, absent))
}

/// Orders `patch_items` by `patch_order` and `server_only` by `server_order`,
/// then interleaves them: a server-only item goes before a patch item only when
/// both appear in the live list and it came first there.
pub(super) fn normalize_element_order(
    patch_items: Vec<Value>,
    server_only: Vec<Value>,
    patch_order: &[Value],
    server_order: &[Value],
    merge_key: &str,
    kind: GoKind,
) -> Result<Vec<Value>, PatchError> {
    let patch_items = sort_by_order(patch_items, patch_order, merge_key, kind)?;
    let server_only = sort_by_order(server_only, server_order, merge_key, kind)?;
    let mut result = Vec::with_capacity(patch_items.len() + server_only.len());
    let mut left = server_only.into_iter().peekable();
    let mut right = patch_items.into_iter().peekable();
    loop {
        let take_left = match (left.peek(), right.peek()) {
            (None, None) => break,
            (Some(_), None) => true,
            (None, Some(_)) => false,
            (Some(l), Some(r)) => {
                let li = index_in(server_order, l, merge_key, kind);
                let ri = index_in(server_order, r, merge_key, kind);
                matches!((li, ri), (Some(li), Some(ri)) if li < ri)
            }
        };
        let next = if take_left { left.next() } else { right.next() };
        result.extend(next);
    }
    Ok(result)
}

/// Stable sort by position in `order`; `$patch: delete` maps go last.
fn sort_by_order(
    items: Vec<Value>,
    order: &[Value],
    merge_key: &str,
    kind: GoKind,
) -> Result<Vec<Value>, PatchError> {
    let (mut items, to_delete) = if is_map_kind(kind) {
        validate_merge_keys(merge_key, &[&items, order])?;
        split_delete_items(items)?
    } else {
        (items, Vec::new())
    };
    items.sort_by_key(|item| index_in(order, item, merge_key, kind).unwrap_or(usize::MAX));
    items.extend(to_delete);
    Ok(items)
}

/// Every element must be a map holding the merge key.
fn validate_merge_keys(merge_key: &str, lists: &[&[Value]]) -> Result<(), PatchError> {
    for list in lists {
        for item in list.iter() {
            let Value::Object(map) = item else {
                return Err(errors::bad_arg_type(GO_MAP_TYPE, item));
            };
            if !map.contains_key(merge_key) {
                return Err(errors::no_merge_key(map, merge_key));
            }
        }
    }
    Ok(())
}

/// Separates `$patch: delete` maps from the others.
pub(super) fn split_delete_items(
    items: Vec<Value>,
) -> Result<(Vec<Value>, Vec<Value>), PatchError> {
    let mut keep = Vec::with_capacity(items.len());
    let mut delete = Vec::new();
    for item in items {
        let Value::Object(map) = &item else {
            return Err(errors::bad_arg_type(GO_MAP_TYPE, &item));
        };
        if map.get(DIRECTIVE_MARKER).and_then(Value::as_str) == Some(DELETE_DIRECTIVE) {
            delete.push(item);
        } else {
            keep.push(item);
        }
    }
    Ok((keep, delete))
}

/// The value identifying `item`: its merge key for maps, itself otherwise.
fn identity<'v>(item: &'v Value, merge_key: &str, kind: GoKind) -> &'v Value {
    if is_map_kind(kind) {
        item.get(merge_key).unwrap_or(&Value::Null)
    } else {
        item
    }
}

fn index_in(list: &[Value], item: &Value, merge_key: &str, kind: GoKind) -> Option<usize> {
    let wanted = identity(item, merge_key, kind);
    list.iter()
        .position(|candidate| go_equal(identity(candidate, merge_key, kind), wanted))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn values(v: Value) -> Vec<Value> {
        match v {
            Value::Array(items) => items,
            _ => Vec::new(),
        }
    }

    #[test]
    fn dedup_keeps_one_of_each() {
        let mut deduped = dedup_scalars(values(json!([1, 2, 1, 3, 2, 2])));
        deduped.sort_by_key(|v| v.as_i64());
        assert_eq!(deduped, values(json!([1, 2, 3])));
    }

    #[test]
    fn element_kind_rejects_mixed_and_nested_lists() {
        let ints = values(json!([1, 2]));
        let strings = values(json!(["a"]));
        let err = list_element_kind(&[&ints, &strings]).expect_err("mixed");
        assert_eq!(
            err.message,
            "list element types are not identical: [[1 2] [a]]"
        );
        let nested = values(json!([[1]]));
        let err = list_element_kind(&[&nested, &[]]).expect_err("nested");
        assert_eq!(err.code(), 422);
        assert_eq!(
            err.cause.as_deref(),
            Some("lists of lists are not supported")
        );
        let err = list_element_kind(&[&[], &[]]).expect_err("empty");
        assert_eq!(err.message, "no elements in any of the given slices");
    }

    #[test]
    fn server_only_items_keep_live_positions() {
        // Live order 1 2 3 4; the patch lists 3 then 1; 2 and 4 are server-only.
        let live = values(json!([1, 2, 3, 4]));
        let patch = values(json!([3, 1]));
        let merged = normalize_element_order(
            patch.clone(),
            values(json!([2, 4])),
            &patch,
            &live,
            "",
            GoKind::Int,
        )
        .expect("ordering succeeds");
        assert_eq!(merged, values(json!([2, 3, 1, 4])));
    }
}
