//! Removing the items of a field set from an object (pruning fields an
//! applier stopped applying).

use serde_json::{Map, Value};

use super::list_item_element;
use crate::schema::{TypeRef, TypeSet};
use crate::set::FieldSet;

/// `value` without the paths of `to_remove` (a member removes its whole
/// subtree). `None` when nothing is left.
///
/// Upstream leaves `null` where a map lost all its fields; such an entry is
/// dropped here instead (its parent stays, even if empty), which is what the
/// typed conversion (built-in types) or null pruning (custom resources) that
/// follows upstream ends up with.
pub(crate) fn remove_items(
    types: &TypeSet,
    value: &Value,
    to_remove: &FieldSet,
    tr: TypeRef,
) -> Option<Value> {
    let resolved = types.resolve(tr).deduce(Some(value));
    if let Some((map, atomic)) = resolved.map {
        let Value::Object(entries) = value else {
            return None;
        };
        if entries.is_empty() || atomic {
            return None;
        }
        let mut out = Map::new();
        // Entries emptied by the removal: upstream nulls them (and the
        // object's null pruning then drops them), which keeps this map.
        let mut emptied = false;
        for (key, child) in entries {
            let pe = map.element(key);
            if to_remove.has_member(&pe) {
                continue;
            }
            match to_remove.child(&pe) {
                Some(subset) if !subset.is_empty() => {
                    let child_type = map.child_type(key);
                    let kept = child_type.and_then(|t| remove_items(types, child, subset, t));
                    match kept {
                        Some(kept) => {
                            out.insert(key.clone(), kept);
                        }
                        None => emptied = true,
                    }
                }
                _ => {
                    out.insert(key.clone(), child.clone());
                }
            }
        }
        return (!out.is_empty() || emptied).then_some(Value::Object(out));
    }
    if resolved.scalar.is_some() {
        return Some(value.clone());
    }
    if let Some((list, atomic)) = resolved.list {
        let Value::Array(items) = value else {
            return None;
        };
        if items.is_empty() || atomic {
            return None;
        }
        let mut out = Vec::with_capacity(items.len());
        for item in items {
            let Ok(pe) = list_item_element(types, list, atomic, item) else {
                out.push(item.clone());
                continue;
            };
            if to_remove.has_member(&pe) {
                continue;
            }
            match to_remove.child(&pe) {
                Some(subset) if !subset.is_empty() => {
                    out.push(remove_items(types, item, subset, list.elem).unwrap_or(Value::Null));
                }
                _ => out.push(item.clone()),
            }
        }
        return (!out.is_empty()).then_some(Value::Array(out));
    }
    None
}
