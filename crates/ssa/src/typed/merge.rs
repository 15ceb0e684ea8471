//! Merging an applied configuration into the live object: granular maps merge
//! field by field, associative lists item by item (keeping the applied order
//! and slotting live-only items where they were), everything else is
//! replaced by the applied value.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::{Map, Value};

use super::compare::{as_list, as_map, zip_maps};
use super::validate::{invalid_atom, validate_scalar};
use super::{Errors, list_item_element};
use crate::path::PathElement;
use crate::schema::{ListDef, MapDef, Resolved, Scalar, TypeRef, TypeSet};

/// Merges `rhs` (the configuration) into `lhs` (the live object).
pub(crate) fn merge(
    types: &TypeSet,
    lhs: &Value,
    rhs: &Value,
    tr: TypeRef,
) -> Result<Value, Errors> {
    let (out, errors) = Merger { types }.node(Some(lhs), Some(rhs), tr);
    if errors.is_empty() {
        Ok(out.unwrap_or(Value::Null))
    } else {
        Err(errors)
    }
}

struct Merger<'a> {
    types: &'a TypeSet,
}

type Merged = (Option<Value>, Errors);

impl Merger<'_> {
    fn node(&self, lhs: Option<&Value>, rhs: Option<&Value>, tr: TypeRef) -> Merged {
        let resolved = self.types.resolve(tr);
        let (on_lhs, on_rhs) = (resolved.deduce(lhs), resolved.deduce(rhs));
        if rhs.is_none() {
            self.handle(on_lhs, lhs, rhs)
        } else if lhs.is_none() || on_lhs.same_as(&on_rhs) {
            self.handle(on_rhs, lhs, rhs)
        } else {
            // Shapes differ: the old shape only contributes errors.
            let (_, mut errors) = self.handle(on_lhs, lhs, rhs);
            let (out, more) = self.handle(on_rhs, lhs, rhs);
            errors.extend(more);
            (out, errors)
        }
    }

    fn handle(&self, atom: Resolved<'_>, lhs: Option<&Value>, rhs: Option<&Value>) -> Merged {
        if let Some((map, atomic)) = atom.map {
            return self.map(map, atomic, lhs, rhs);
        }
        if let Some(kind) = atom.scalar {
            return self.scalar(kind, lhs, rhs);
        }
        if let Some((list, atomic)) = atom.list {
            return self.list(list, atomic, lhs, rhs);
        }
        (None, invalid_atom())
    }

    fn leaf(lhs: Option<&Value>, rhs: Option<&Value>) -> Merged {
        (rhs.or(lhs).cloned(), Errors::default())
    }

    fn scalar(&self, kind: Scalar, lhs: Option<&Value>, rhs: Option<&Value>) -> Merged {
        let mut lerrs = validate_scalar(kind, lhs, "lhs: ");
        let rerrs = validate_scalar(kind, rhs, "rhs: ");
        if !lerrs.is_empty() && !rerrs.is_empty() {
            lerrs.extend(rerrs);
            return (None, lerrs);
        }
        Self::leaf(lhs, rhs)
    }

    fn list(
        &self,
        list: &ListDef,
        atomic: bool,
        lhs: Option<&Value>,
        rhs: Option<&Value>,
    ) -> Merged {
        let (l, r) = (as_list(lhs), as_list(rhs));
        let empty = l.is_none_or(|l| l.is_empty()) && r.is_none_or(|r| r.is_empty());
        if atomic || empty {
            return Self::leaf(lhs, rhs);
        }
        self.list_items(list, atomic, l.unwrap_or(&[]), r.unwrap_or(&[]))
    }

    /// Indexes a list's items; duplicates are errors unless allowed, in which
    /// case the element maps to an explicit null.
    fn index<'v>(
        &self,
        list: &ListDef,
        atomic: bool,
        items: &'v [Value],
        allow_duplicates: bool,
        errors: &mut Errors,
    ) -> (Vec<PathElement>, BTreeMap<PathElement, Option<&'v Value>>) {
        let mut elements = Vec::with_capacity(items.len());
        let mut observed: BTreeMap<PathElement, Option<&Value>> = BTreeMap::new();
        for (i, item) in items.iter().enumerate() {
            let pe = match list_item_element(self.types, list, atomic, item) {
                Ok(pe) => pe,
                Err(e) => {
                    errors.extend(Errors::one(format!("element {i}: {e}")));
                    continue;
                }
            };
            match observed.get_mut(&pe) {
                Some(_) if !allow_duplicates => {
                    errors.extend(Errors::one(format!("duplicate entries for key {pe}")));
                    continue;
                }
                Some(slot) => *slot = None,
                None => {
                    observed.insert(pe.clone(), Some(item));
                }
            }
            elements.push(pe);
        }
        (elements, observed)
    }

    fn list_items(&self, list: &ListDef, atomic: bool, lhs: &[Value], rhs: &[Value]) -> Merged {
        let mut errors = Errors::default();
        let (rhs_pes, observed_rhs) = self.index(list, atomic, rhs, false, &mut errors);
        let (lhs_pes, observed_lhs) = self.index(list, atomic, lhs, true, &mut errors);
        if !errors.is_empty() {
            return (None, errors);
        }
        // A duplicated live item merges as an explicit null.
        let live = |pe: &PathElement| -> Option<&Value> {
            observed_lhs.get(pe).map(|v| v.unwrap_or(&Value::Null))
        };
        let applied = |pe: &PathElement| -> Option<&Value> {
            observed_rhs.get(pe).map(|v| v.unwrap_or(&Value::Null))
        };
        let mut shared = rhs_pes.iter().filter(|pe| observed_lhs.contains_key(pe));
        let mut next_shared = shared.next();
        let mut merged_rhs: BTreeSet<&PathElement> = BTreeSet::new();
        let mut out = Vec::with_capacity(lhs.len().max(rhs.len()));
        // Upstream drops errors of individual items here.
        let mut push = |merged: Merged| {
            if let Some(value) = merged.0 {
                out.push(value);
            }
        };
        let (mut li, mut ri) = (0, 0);
        while li < lhs_pes.len() || ri < rhs_pes.len() {
            if li < lhs_pes.len() && ri < rhs_pes.len() {
                let pe = &lhs_pes[li];
                if *pe == rhs_pes[ri] {
                    merged_rhs.insert(pe);
                    push(self.node(live(pe), applied(pe), list.elem));
                    li += 1;
                    ri += 1;
                    next_shared = shared.next();
                    continue;
                }
                if observed_rhs.contains_key(pe) && next_shared.is_some_and(|n| n != pe) {
                    // Wait for the applied list to reach this item.
                    li += 1;
                    continue;
                }
            }
            if li < lhs_pes.len() {
                let pe = &lhs_pes[li];
                if !observed_rhs.contains_key(pe) {
                    push(self.node(lhs.get(li), None, list.elem));
                    li += 1;
                    continue;
                } else if merged_rhs.contains(pe) {
                    li += 1;
                }
            }
            if ri < rhs_pes.len() {
                let pe = &rhs_pes[ri];
                merged_rhs.insert(pe);
                push(self.node(live(pe), applied(pe), list.elem));
                ri += 1;
                if next_shared.is_some_and(|n| n == pe) {
                    next_shared = shared.next();
                }
            }
        }
        let out = (!out.is_empty()).then_some(Value::Array(out));
        (out, Errors::default())
    }

    fn map(&self, map: &MapDef, atomic: bool, lhs: Option<&Value>, rhs: Option<&Value>) -> Merged {
        let (l, r) = (as_map(lhs), as_map(rhs));
        let empty = l.is_none_or(Map::is_empty) && r.is_none_or(Map::is_empty);
        if atomic || empty {
            return Self::leaf(lhs, rhs);
        }
        let mut errors = Errors::default();
        let mut out = Map::new();
        let empty_map = Map::new();
        for (key, lv, rv) in zip_maps(l.unwrap_or(&empty_map), r.unwrap_or(&empty_map)) {
            let Some(child_type) = map.child_type(key) else {
                let pe = map.element(key);
                errors.extend(Errors::one("field not declared in schema").prefixed(&pe));
                continue;
            };
            let (value, found) = self.node(lv, rv, child_type);
            if !found.is_empty() {
                errors.extend(found.prefixed(&map.element(key)));
            }
            if let Some(value) = value {
                out.insert(key.to_string(), value);
            }
        }
        ((!out.is_empty()).then_some(Value::Object(out)), errors)
    }
}
