//! Checking a value against its type, with upstream's messages (they reach
//! clients inside "failed to create typed patch object" errors).

use std::collections::BTreeSet;

use serde_json::Value;

use super::compare::Level;
use super::{Errors, list_item_element, list_item_key_error};
use crate::path::PathElement;
use crate::schema::{Resolved, Scalar, TypeRef, TypeSet};
use crate::value::{go_sharp_v, go_type_name, go_v};

/// `%v` of an upstream value wrapper.
pub(crate) fn wrapped_v(v: &Value) -> String {
    format!("&{{{}}}", go_v(v))
}

/// `%#v` of an upstream value wrapper.
fn wrapped_sharp_v(v: &Value) -> String {
    format!("&value.valueUnstructured{{Value:{}}}", go_sharp_v(v))
}

/// Checks a scalar; `prefix` names the side (`lhs: `) in merges.
pub(crate) fn validate_scalar(kind: Scalar, v: Option<&Value>, prefix: &str) -> Errors {
    let Some(v) = v else {
        return Errors::default();
    };
    let ok = matches!(
        (kind, v),
        (_, Value::Null)
            | (Scalar::Numeric, Value::Number(_))
            | (Scalar::String, Value::String(_))
            | (Scalar::Boolean, Value::Bool(_))
            | (
                Scalar::Untyped,
                Value::Number(_) | Value::String(_) | Value::Bool(_)
            )
    );
    if ok {
        return Errors::default();
    }
    Errors::one(match kind {
        Scalar::Numeric => format!(
            "{prefix}expected numeric (int or float), got {}",
            go_type_name(v)
        ),
        Scalar::String => format!("{prefix}expected string, got {}", wrapped_sharp_v(v)),
        Scalar::Boolean => format!("{prefix}expected boolean, got {}", wrapped_v(v)),
        Scalar::Untyped => format!("{prefix}expected any scalar, got {}", wrapped_v(v)),
    })
}

/// Error of a type with no shape at all.
pub(crate) fn invalid_atom() -> Errors {
    Errors::one("schema error: invalid atom: inlined")
}

/// Validates `value` as upstream's `AsTyped` does.
pub(crate) fn validate(
    types: &TypeSet,
    value: &Value,
    tr: TypeRef,
    allow_duplicates: bool,
) -> Errors {
    Validator {
        types,
        allow_duplicates,
    }
    .node(value, tr, Level::Root)
}

struct Validator<'a> {
    types: &'a TypeSet,
    allow_duplicates: bool,
}

impl Validator<'_> {
    fn node(&self, value: &Value, tr: TypeRef, level: Level) -> Errors {
        let resolved = self.types.resolve(tr).deduce(Some(value));
        self.handle(value, resolved, level)
    }

    fn handle(&self, value: &Value, resolved: Resolved<'_>, level: Level) -> Errors {
        if let Some((map, _)) = resolved.map {
            let entries = match value {
                Value::Null => return Errors::default(),
                Value::Object(entries) => entries,
                other => return Errors::one(format!("expected map, got {}", wrapped_v(other))),
            };
            let mut errors = Errors::default();
            for (key, child) in entries {
                let Some(child_level) = level.child(key) else {
                    continue;
                };
                let Some(child_type) = map.child_type(key) else {
                    errors.extend(
                        Errors::one("field not declared in schema").prefixed(&map.element(key)),
                    );
                    break;
                };
                let found = self.node(child, child_type, child_level);
                if !found.is_empty() {
                    errors.extend(found.prefixed(&map.element(key)));
                }
            }
            return errors;
        }
        if let Some(kind) = resolved.scalar {
            return validate_scalar(kind, Some(value), "");
        }
        if let Some((list, atomic)) = resolved.list {
            let items = match value {
                Value::Null => return Errors::default(),
                Value::Array(items) => items,
                other => return Errors::one(format!("expected list, got {}", wrapped_v(other))),
            };
            let mut errors = Errors::default();
            let mut seen: BTreeSet<PathElement> = BTreeSet::new();
            for (i, item) in items.iter().enumerate() {
                if atomic {
                    let found = self.node(item, list.elem, Level::Other);
                    if !found.is_empty() {
                        errors.extend(found.prefixed(&PathElement::Index(i)));
                    }
                    continue;
                }
                if self.allow_duplicates {
                    // Only the item's key is checked; its element is built on error.
                    if let Some(e) = list_item_key_error(self.types, list, item) {
                        errors.extend(Errors::one(format!("element {i}: {e}")));
                        return errors;
                    }
                    let found = self.node(item, list.elem, Level::Other);
                    if !found.is_empty()
                        && let Ok(pe) = list_item_element(self.types, list, atomic, item)
                    {
                        errors.extend(found.prefixed(&pe));
                    }
                    continue;
                }
                let pe = match list_item_element(self.types, list, atomic, item) {
                    Ok(pe) => pe,
                    Err(e) => {
                        errors.extend(Errors::one(format!("element {i}: {e}")));
                        return errors;
                    }
                };
                if seen.contains(&pe) {
                    errors.extend(Errors::one(format!("duplicate entries for key {pe}")));
                }
                let found = self.node(item, list.elem, Level::Other);
                if !found.is_empty() {
                    errors.extend(found.prefixed(&pe));
                }
                seen.insert(pe);
            }
            return errors;
        }
        invalid_atom()
    }
}
