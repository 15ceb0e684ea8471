//! Walks over objects guided by their types, as structured-merge-diff's
//! `typed` package: validation, comparison, merging, field sets, removal and
//! reconciling field sets with schema changes.

mod compare;
mod field_set;
mod merge;
mod reconcile;
mod remove;
mod validate;

pub(crate) use compare::{Comparison, compare};
pub(crate) use field_set::{ensure_named_fields_are_members, to_field_set};
pub(crate) use merge::merge;
pub(crate) use reconcile::reconcile_field_set;
pub(crate) use remove::remove_items;
pub(crate) use validate::validate;

use std::fmt;

use serde_json::Value;

use crate::path::PathElement;
use crate::schema::{ListDef, TypeSet};

/// One problem found while walking a value, with the path it was found at.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ValidationError {
    pub path: String,
    pub message: String,
}

/// Upstream's `ValidationErrors`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Errors(pub Vec<ValidationError>);

impl Errors {
    pub(crate) fn one(message: impl Into<String>) -> Errors {
        Errors(vec![ValidationError {
            path: String::new(),
            message: message.into(),
        }])
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub(crate) fn extend(&mut self, other: Errors) {
        self.0.extend(other.0);
    }

    /// Prefixes every path with the element the errors were found under.
    pub(crate) fn prefixed(mut self, pe: &PathElement) -> Errors {
        if !self.0.is_empty() {
            let prefix = pe.to_string();
            for error in &mut self.0 {
                error.path.insert_str(0, &prefix);
            }
        }
        self
    }
}

impl fmt::Display for ValidationError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.path.is_empty() {
            f.write_str(&self.message)
        } else {
            write!(f, "{}: {}", self.path, self.message)
        }
    }
}

impl fmt::Display for Errors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let [only] = self.0.as_slice() {
            return write!(f, "{only}");
        }
        f.write_str("errors:")?;
        for error in &self.0 {
            write!(f, "\n  {error}")?;
        }
        Ok(())
    }
}

/// Why `item` cannot be named in an associative list, checked without
/// building its element.
pub(crate) fn list_item_key_error(types: &TypeSet, list: &ListDef, item: &Value) -> Option<String> {
    match (list.keys.is_empty(), item) {
        (true, Value::Object(_) | Value::Array(_) | Value::Null) => {}
        (true, _) => return None,
        (false, Value::Object(map)) if list.keys.iter().all(|k| map.contains_key(k)) => {
            return None;
        }
        _ => {}
    }
    list_item_element(types, list, false, item).err()
}

/// The path element naming `item` in an associative list.
pub(crate) fn list_item_element(
    types: &TypeSet,
    list: &ListDef,
    atomic: bool,
    item: &Value,
) -> Result<PathElement, String> {
    if atomic {
        return Err("invalid indexing of non-associative list".into());
    }
    if list.keys.is_empty() {
        return match item {
            Value::Object(_) => {
                Err("associative list without keys has an element that's a map type".into())
            }
            Value::Array(_) => Err("not supported: associative list with lists as elements".into()),
            Value::Null => {
                Err("associative list without keys has an element that's an explicit null".into())
            }
            scalar => Ok(PathElement::Value(scalar.clone())),
        };
    }
    let map = match item {
        Value::Object(map) => map,
        Value::Null => return Err("associative list with keys may not have a null element".into()),
        _ => return Err("associative list with keys may not have non-map elements".into()),
    };
    let mut key = Vec::with_capacity(list.keys.len());
    for name in &list.keys {
        if let Some(value) = map.get(name) {
            key.push((name.clone(), value.clone()));
            continue;
        }
        let element = types.resolve(list.elem);
        let Some((element_map, _)) = element.map else {
            return Err(format!(
                "couldn't find default value for {name}: associative list may not have non-map types"
            ));
        };
        match element_map
            .fields
            .get(name.as_str())
            .and_then(|f| f.default.as_ref())
        {
            Some(default) => key.push((name.clone(), default.clone())),
            None => {
                return Err(format!(
                    "associative list with keys has an element that omits key field {} (and doesn't have default value)",
                    crate::value::go_quote(name)
                ));
            }
        }
    }
    Ok(PathElement::key(key))
}

#[cfg(test)]
mod tests;
