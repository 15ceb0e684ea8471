//! Which fields differ between two versions of an object.
//!
//! Leaves (scalars, atomic lists and maps, empty lists and maps) are added,
//! removed or modified; a granular map or associative list that appears or
//! disappears is itself added or removed too, which is what gives a creating
//! manager its `".": {}` entries.
//!
//! Sets are built bottom-up (each node returns its own subtrees), so unchanged
//! parts of an object cost no allocation.

use std::collections::BTreeMap;

use serde_json::{Map, Value};

use super::validate::{invalid_atom, validate_scalar};
use super::{Errors, list_item_element};
use crate::path::PathElement;
use crate::schema::{ListDef, MapDef, Resolved, Scalar, TypeRef, TypeSet};
use crate::set::FieldSet;
use crate::value::values_equal;

#[derive(Debug, Clone, Default)]
pub(crate) struct Comparison {
    pub removed: FieldSet,
    pub modified: FieldSet,
    pub added: FieldSet,
}

impl Comparison {
    /// Drops ignored fields (upstream's exclude filter).
    pub(crate) fn filter(&mut self, ignored: Option<&FieldSet>) {
        if let Some(ignored) = ignored.filter(|s| !s.is_empty()) {
            for set in [&mut self.removed, &mut self.modified, &mut self.added] {
                *set = std::mem::take(set).into_recursive_difference(ignored);
            }
        }
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.removed.is_empty() && self.modified.is_empty() && self.added.is_empty()
    }
}

/// Compares `lhs` (old) with `rhs` (new).
pub(crate) fn compare(
    types: &TypeSet,
    lhs: &Value,
    rhs: &Value,
    tr: TypeRef,
) -> Result<Comparison, Errors> {
    let node = Walker { types }.node(Some(lhs), Some(rhs), tr, Level::Root);
    if node.errors.is_empty() {
        Ok(node.below)
    } else {
        Err(node.errors)
    }
}

/// How a node itself changed (it can be several when its shape changed).
#[derive(Debug, Clone, Copy, Default)]
struct Marks {
    added: bool,
    removed: bool,
    modified: bool,
}

/// A node's result: its own marks and the changes below it.
#[derive(Default)]
struct Node {
    marks: Marks,
    below: Comparison,
    errors: Errors,
}

impl Node {
    fn is_unchanged(&self) -> bool {
        !self.marks.added && !self.marks.removed && !self.marks.modified && self.below.is_empty()
    }

    /// Records a child's result under `pe`.
    fn attach(&mut self, pe: PathElement, child: Node) {
        let Node {
            marks,
            below,
            errors,
        } = child;
        if !errors.is_empty() {
            self.errors.extend(errors.prefixed(&pe));
        }
        for (mark, own, theirs) in [
            (marks.added, &mut self.below.added, below.added),
            (marks.removed, &mut self.below.removed, below.removed),
            (marks.modified, &mut self.below.modified, below.modified),
        ] {
            if mark {
                own.insert_member(pe.clone());
            }
            if !theirs.is_empty() {
                own.add_child(pe.clone(), theirs);
            }
        }
    }
}

struct Walker<'a> {
    types: &'a TypeSet,
}

/// Where a node is: `metadata.managedFields` is left out of comparisons
/// (upstream drops it from the new object first; nobody owns it).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Level {
    Root,
    Metadata,
    Other,
}

impl Level {
    /// The level of field `key` below this one, or `None` to skip it.
    pub(crate) fn child(self, key: &str) -> Option<Level> {
        match (self, key) {
            (Level::Root, "metadata") => Some(Level::Metadata),
            (Level::Metadata, "managedFields") => None,
            _ => Some(Level::Other),
        }
    }
}

impl Walker<'_> {
    fn node(&self, lhs: Option<&Value>, rhs: Option<&Value>, tr: TypeRef, level: Level) -> Node {
        // Equal subtrees hold no change; objects are validated before they
        // are compared, so skipping them hides no error either.
        if let (Some(l @ (Value::Object(_) | Value::Array(_))), Some(r)) = (lhs, rhs)
            && values_equal(l, r)
        {
            return Node::default();
        }
        let resolved = self.types.resolve(tr);
        let (on_lhs, on_rhs) = (resolved.deduce(lhs), resolved.deduce(rhs));
        let mut node = Node::default();
        let in_leaf = if rhs.is_none() {
            self.handle(on_lhs, lhs, rhs, &mut node, level)
        } else if lhs.is_none() || on_lhs.same_as(&on_rhs) {
            self.handle(on_rhs, lhs, rhs, &mut node, level)
        } else {
            // Shapes differ: walk the old shape, then the new one.
            self.handle(on_lhs, lhs, rhs, &mut node, level);
            self.handle(on_rhs, lhs, rhs, &mut node, level)
        };
        if !in_leaf {
            if lhs.is_none() {
                node.marks.added = true;
            } else if rhs.is_none() {
                node.marks.removed = true;
            }
        }
        node
    }

    /// Returns whether the node was handled as a leaf.
    fn handle(
        &self,
        atom: Resolved<'_>,
        lhs: Option<&Value>,
        rhs: Option<&Value>,
        node: &mut Node,
        level: Level,
    ) -> bool {
        if let Some((map, atomic)) = atom.map {
            return self.map(map, atomic, lhs, rhs, node, level);
        }
        if let Some(kind) = atom.scalar {
            return Self::scalar(kind, lhs, rhs, node);
        }
        if let Some((list, atomic)) = atom.list {
            return self.list(list, atomic, lhs, rhs, node);
        }
        node.errors.extend(invalid_atom());
        false
    }

    fn leaf(lhs: Option<&Value>, rhs: Option<&Value>, node: &mut Node) -> bool {
        match (lhs, rhs) {
            (None, _) => node.marks.added = true,
            (_, None) => node.marks.removed = true,
            (Some(l), Some(r)) if !values_equal(l, r) => node.marks.modified = true,
            _ => {}
        }
        true
    }

    fn scalar(kind: Scalar, lhs: Option<&Value>, rhs: Option<&Value>, node: &mut Node) -> bool {
        let mut lerrs = validate_scalar(kind, lhs, "lhs: ");
        let rerrs = validate_scalar(kind, rhs, "rhs: ");
        if !lerrs.is_empty() && !rerrs.is_empty() {
            lerrs.extend(rerrs);
            node.errors.extend(lerrs);
            return false;
        }
        Self::leaf(lhs, rhs, node)
    }

    fn list(
        &self,
        list: &ListDef,
        atomic: bool,
        lhs: Option<&Value>,
        rhs: Option<&Value>,
        node: &mut Node,
    ) -> bool {
        let (l, r) = (as_list(lhs), as_list(rhs));
        let empty = l.is_none_or(|l| l.is_empty()) && r.is_none_or(|r| r.is_empty());
        if atomic || empty {
            return Self::leaf(lhs, rhs, node);
        }
        self.list_items(list, atomic, l.unwrap_or(&[]), r.unwrap_or(&[]), node);
        false
    }

    fn list_items(
        &self,
        list: &ListDef,
        atomic: bool,
        lhs: &[Value],
        rhs: &[Value],
        node: &mut Node,
    ) {
        // Items by element, in order of first appearance (old side first).
        let mut entries: Vec<(PathElement, Vec<&Value>, Vec<&Value>)> = Vec::new();
        let mut index: BTreeMap<PathElement, usize> = BTreeMap::new();
        let small = lhs.len() + rhs.len() <= 16;
        for (side, items) in [(0, lhs), (1, rhs)] {
            for (i, item) in items.iter().enumerate() {
                let pe = match list_item_element(self.types, list, atomic, item) {
                    Ok(pe) => pe,
                    Err(e) => {
                        node.errors.extend(Errors::one(format!("element {i}: {e}")));
                        continue;
                    }
                };
                // Short lists (the usual) are searched; long ones indexed.
                let found = if small {
                    entries.iter().position(|e| e.0 == pe)
                } else {
                    index.get(&pe).copied()
                };
                let at = match found {
                    Some(at) => at,
                    None => {
                        if !small {
                            index.insert(pe.clone(), entries.len());
                        }
                        entries.push((pe, Vec::new(), Vec::new()));
                        entries.len() - 1
                    }
                };
                if side == 0 {
                    entries[at].1.push(item);
                } else {
                    entries[at].2.push(item);
                }
            }
        }
        for (pe, l, r) in entries {
            let mut item = Node::default();
            match (l.len(), r.len()) {
                (0..=1, 0..=1) => {
                    item = self.node(
                        l.first().copied(),
                        r.first().copied(),
                        list.elem,
                        Level::Other,
                    )
                }
                (2.., 2..) => {
                    let same =
                        l.len() == r.len() && l.iter().zip(&r).all(|(a, b)| values_equal(a, b));
                    item.marks.modified = !same;
                }
                (2.., _) => {
                    if let Some(first) = r.first() {
                        item = self.node(None, Some(first), list.elem, Level::Other);
                    }
                    item.marks.removed = true;
                }
                (_, _) => {
                    if let Some(first) = l.first() {
                        item = self.node(Some(first), None, list.elem, Level::Other);
                    }
                    item.marks.added = true;
                }
            }
            if !item.is_unchanged() || !item.errors.is_empty() {
                node.attach(pe, item);
            }
        }
    }

    fn map(
        &self,
        map: &MapDef,
        atomic: bool,
        lhs: Option<&Value>,
        rhs: Option<&Value>,
        node: &mut Node,
        level: Level,
    ) -> bool {
        let (l, r) = (as_map(lhs), as_map(rhs));
        let empty = l.is_none_or(Map::is_empty) && r.is_none_or(Map::is_empty);
        if atomic || empty {
            return Self::leaf(lhs, rhs, node);
        }
        let empty_map = Map::new();
        for (key, lv, rv) in zip_maps(l.unwrap_or(&empty_map), r.unwrap_or(&empty_map)) {
            let Some(child_level) = level.child(key) else {
                continue;
            };
            let Some(child_type) = map.child_type(key) else {
                let pe = map.element(key);
                node.errors
                    .extend(Errors::one("field not declared in schema").prefixed(&pe));
                continue;
            };
            let child = self.node(lv, rv, child_type, child_level);
            if !child.is_unchanged() || !child.errors.is_empty() {
                node.attach(map.element(key), child);
            }
        }
        false
    }
}

pub(crate) fn as_list(v: Option<&Value>) -> Option<&[Value]> {
    match v {
        Some(Value::Array(items)) => Some(items),
        _ => None,
    }
}

pub(crate) fn as_map(v: Option<&Value>) -> Option<&Map<String, Value>> {
    match v {
        Some(Value::Object(map)) => Some(map),
        _ => None,
    }
}

/// The keys of two (sorted) maps in order, with each side's value.
pub(crate) fn zip_maps<'a>(
    lhs: &'a Map<String, Value>,
    rhs: &'a Map<String, Value>,
) -> Vec<(&'a str, Option<&'a Value>, Option<&'a Value>)> {
    let mut out = Vec::with_capacity(lhs.len().max(rhs.len()));
    let (mut l, mut r) = (lhs.iter(), rhs.iter());
    let (mut lc, mut rc) = (l.next(), r.next());
    loop {
        match (lc, rc) {
            (Some((lk, lv)), Some((rk, rv))) => match lk.cmp(rk) {
                std::cmp::Ordering::Equal => {
                    out.push((lk.as_str(), Some(lv), Some(rv)));
                    (lc, rc) = (l.next(), r.next());
                }
                std::cmp::Ordering::Less => {
                    out.push((lk.as_str(), Some(lv), None));
                    lc = l.next();
                }
                std::cmp::Ordering::Greater => {
                    out.push((rk.as_str(), None, Some(rv)));
                    rc = r.next();
                }
            },
            (Some((lk, lv)), None) => {
                out.push((lk.as_str(), Some(lv), None));
                lc = l.next();
            }
            (None, Some((rk, rv))) => {
                out.push((rk.as_str(), None, Some(rv)));
                rc = r.next();
            }
            (None, None) => return out,
        }
    }
}
