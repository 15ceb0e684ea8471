//! The set of fields an object sets (what an applier comes to own).
//!
//! Leaves and list items are members; a named struct field holding a non-empty
//! object is not (its children are), while map entries and empty or null
//! values are.

use std::collections::BTreeSet;

use serde_json::Value;

use super::validate::invalid_atom;
use super::{Errors, list_item_element};
use crate::path::PathElement;
use crate::schema::{ListDef, MapDef, TypeRef, TypeSet};
use crate::set::FieldSet;

pub(crate) fn to_field_set(
    types: &TypeSet,
    value: &Value,
    tr: TypeRef,
) -> Result<FieldSet, Errors> {
    let mut walker = Walker {
        types,
        path: Vec::new(),
        set: FieldSet::new(),
    };
    let errors = walker.node(value, tr);
    if errors.is_empty() {
        Ok(walker.set)
    } else {
        Err(errors)
    }
}

struct Walker<'a> {
    types: &'a TypeSet,
    path: Vec<PathElement>,
    set: FieldSet,
}

impl Walker<'_> {
    fn node(&mut self, value: &Value, tr: TypeRef) -> Errors {
        let resolved = self.types.resolve(tr).deduce(Some(value));
        if let Some((map, atomic)) = resolved.map {
            return self.map(map, atomic, value);
        }
        if resolved.scalar.is_some() {
            self.set.insert(&self.path);
            return Errors::default();
        }
        if let Some((list, atomic)) = resolved.list {
            return self.list(list, atomic, value);
        }
        invalid_atom()
    }

    fn list(&mut self, list: &ListDef, atomic: bool, value: &Value) -> Errors {
        if atomic {
            self.set.insert(&self.path);
            return Errors::default();
        }
        let Value::Array(items) = value else {
            return Errors::default();
        };
        let elements: Vec<Option<PathElement>> = items
            .iter()
            .map(|item| list_item_element(self.types, list, atomic, item).ok())
            .collect();
        // Duplicated items are owned as a whole.
        let mut seen = BTreeSet::new();
        let mut duplicates = BTreeSet::new();
        for pe in elements.iter().flatten() {
            if !seen.insert(pe) && duplicates.insert(pe) {
                self.path.push(pe.clone());
                self.set.insert(&self.path);
                self.path.pop();
            }
        }
        let mut errors = Errors::default();
        for (item, pe) in items.iter().zip(&elements) {
            let Some(pe) = pe else { continue };
            if duplicates.contains(pe) {
                continue;
            }
            self.path.push(pe.clone());
            errors.extend(self.node(item, list.elem));
            self.set.insert(&self.path);
            self.path.pop();
        }
        errors
    }

    fn map(&mut self, map: &MapDef, atomic: bool, value: &Value) -> Errors {
        if atomic {
            self.set.insert(&self.path);
            return Errors::default();
        }
        let Value::Object(entries) = value else {
            return Errors::default();
        };
        let mut errors = Errors::default();
        for (key, child) in entries {
            let named = map.fields.get(key.as_str()).map(|f| f.ty);
            let Some(child_type) = named.or(map.elem) else {
                errors.extend(
                    Errors::one("field not declared in schema").prefixed(&map.element(key)),
                );
                continue;
            };
            self.path.push(map.element(key));
            errors.extend(self.node(child, child_type));
            let empty = match child {
                Value::Null => true,
                Value::Object(m) => m.is_empty(),
                _ => false,
            };
            if empty || named.is_none() {
                self.set.insert(&self.path);
            }
            self.path.pop();
        }
        errors
    }
}

/// Makes named struct fields that have children members too, so removing
/// them removes everything below (upstream's `EnsureNamedFieldsAreMembers`).
pub(crate) fn ensure_named_fields_are_members(
    types: &TypeSet,
    set: &FieldSet,
    tr: Option<TypeRef>,
) -> FieldSet {
    let resolved = tr.map(|tr| types.resolve(tr)).unwrap_or_default();
    let mut out = set.clone_members_only();
    for (pe, child) in set.children() {
        let child_type = match (pe, resolved.map, resolved.list) {
            (PathElement::Field(name), Some((map, _)), _) => {
                if map.fields.contains_key(&**name) {
                    out.insert_member(pe.clone());
                }
                map.child_type(name)
            }
            (PathElement::Key(_), _, Some((list, _))) => Some(list.elem),
            _ => None,
        };
        out.add_child(
            pe.clone(),
            ensure_named_fields_are_members(types, child, child_type),
        );
    }
    out
}
