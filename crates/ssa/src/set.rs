//! Field sets: trees of path elements, as structured-merge-diff keeps them.
//!
//! A node lists its *members* (paths that end here) and its *children*
//! (subtrees) separately, both sorted; a path can be both (`".": {}` in
//! `FieldsV1`). Children are never empty.

use std::cmp::Ordering;

use crate::path::{PathElement, path_string};

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FieldSet {
    members: Vec<PathElement>,
    children: Vec<(PathElement, FieldSet)>,
}

impl FieldSet {
    pub fn new() -> FieldSet {
        FieldSet::default()
    }

    /// A set of paths made of field names only, e.g. `[&["status"], &["metadata", "labels"]]`.
    pub fn from_field_paths(paths: &[&[&str]]) -> FieldSet {
        let mut set = FieldSet::new();
        for path in paths {
            let path: Vec<PathElement> = path.iter().map(|f| PathElement::field(f)).collect();
            set.insert(&path);
        }
        set
    }

    pub fn is_empty(&self) -> bool {
        self.members.is_empty() && self.children.iter().all(|(_, c)| c.is_empty())
    }

    /// Number of paths in the set.
    pub fn len(&self) -> usize {
        self.members.len() + self.children.iter().map(|(_, c)| c.len()).sum::<usize>()
    }

    pub fn members(&self) -> &[PathElement] {
        &self.members
    }

    pub fn children(&self) -> impl Iterator<Item = (&PathElement, &FieldSet)> {
        self.children.iter().map(|(pe, set)| (pe, set))
    }

    pub fn insert(&mut self, path: &[PathElement]) {
        let Some((last, parents)) = path.split_last() else {
            return;
        };
        let mut node = self;
        for pe in parents {
            node = node.child_mut(pe);
        }
        node.insert_member(last.clone());
    }

    pub fn has(&self, path: &[PathElement]) -> bool {
        let Some((last, parents)) = path.split_last() else {
            return false;
        };
        let mut node = self;
        for pe in parents {
            match node.child(pe) {
                Some(child) => node = child,
                None => return false,
            }
        }
        node.has_member(last)
    }

    pub fn has_member(&self, pe: &PathElement) -> bool {
        self.members.binary_search(pe).is_ok()
    }

    pub fn insert_member(&mut self, pe: PathElement) {
        if self.members.last().is_none_or(|last| *last < pe) {
            self.members.push(pe);
            return;
        }
        if let Err(at) = self.members.binary_search(&pe) {
            self.members.insert(at, pe);
        }
    }

    pub fn child(&self, pe: &PathElement) -> Option<&FieldSet> {
        self.children
            .binary_search_by(|(other, _)| other.cmp(pe))
            .ok()
            .map(|at| &self.children[at].1)
    }

    /// The subtree under `pe`, created when missing. Callers must not leave it empty.
    pub(crate) fn child_mut(&mut self, pe: &PathElement) -> &mut FieldSet {
        let at = match self.children.last() {
            Some((last, _)) if *last < *pe => {
                self.children.push((pe.clone(), FieldSet::new()));
                self.children.len() - 1
            }
            _ => match self.children.binary_search_by(|(other, _)| other.cmp(pe)) {
                Ok(at) => at,
                Err(at) => {
                    self.children.insert(at, (pe.clone(), FieldSet::new()));
                    at
                }
            },
        };
        &mut self.children[at].1
    }

    /// Adds `set` under `pe` (merging with an existing subtree); empty sets are skipped.
    pub(crate) fn add_child(&mut self, pe: PathElement, set: FieldSet) {
        if set.is_empty() {
            return;
        }
        match self.children.last() {
            Some((last, _)) if *last >= pe => {
                match self.children.binary_search_by(|(other, _)| other.cmp(&pe)) {
                    Ok(at) => {
                        let existing = std::mem::take(&mut self.children[at].1);
                        self.children[at].1 = existing.into_union(set);
                    }
                    Err(at) => self.children.insert(at, (pe, set)),
                }
            }
            _ => self.children.push((pe, set)),
        }
    }

    pub fn union(&self, other: &FieldSet) -> FieldSet {
        FieldSet {
            members: merge_sorted(&self.members, &other.members, |_, _| true, true, true),
            children: zip_children(&self.children, &other.children, |a, b| match (a, b) {
                (Some(a), Some(b)) => Some(a.union(b)),
                (Some(a), None) | (None, Some(a)) => Some(a.clone()),
                (None, None) => None,
            }),
        }
    }

    pub fn intersection(&self, other: &FieldSet) -> FieldSet {
        FieldSet {
            members: merge_sorted(&self.members, &other.members, |_, _| true, false, false),
            children: zip_children(&self.children, &other.children, |a, b| match (a, b) {
                (Some(a), Some(b)) => Some(a.intersection(b)),
                _ => None,
            }),
        }
    }

    pub fn difference(&self, other: &FieldSet) -> FieldSet {
        FieldSet {
            members: merge_sorted(&self.members, &other.members, |_, _| false, true, false),
            children: zip_children(&self.children, &other.children, |a, b| match (a, b) {
                (Some(a), Some(b)) => Some(a.difference(b)),
                (Some(a), None) => Some(a.clone()),
                _ => None,
            }),
        }
    }

    /// [`FieldSet::union`] reusing both sets' storage.
    pub(crate) fn into_union(self, other: FieldSet) -> FieldSet {
        if other.is_empty() {
            return self;
        }
        if self.is_empty() {
            return other;
        }
        let mut members = Vec::with_capacity(self.members.len() + other.members.len());
        let (mut a, mut b) = (
            self.members.into_iter().peekable(),
            other.members.into_iter().peekable(),
        );
        loop {
            let next = match (a.peek(), b.peek()) {
                (Some(x), Some(y)) => match x.cmp(y) {
                    Ordering::Less => a.next(),
                    Ordering::Greater => b.next(),
                    Ordering::Equal => {
                        b.next();
                        a.next()
                    }
                },
                (Some(_), None) => a.next(),
                (None, Some(_)) => b.next(),
                (None, None) => break,
            };
            members.extend(next);
        }
        let mut children = Vec::with_capacity(self.children.len() + other.children.len());
        let (mut a, mut b) = (
            self.children.into_iter().peekable(),
            other.children.into_iter().peekable(),
        );
        loop {
            let next = match (a.peek(), b.peek()) {
                (Some(x), Some(y)) => match x.0.cmp(&y.0) {
                    Ordering::Less => a.next(),
                    Ordering::Greater => b.next(),
                    Ordering::Equal => match (a.next(), b.next()) {
                        (Some((pe, x)), Some((_, y))) => Some((pe, x.into_union(y))),
                        (x, y) => x.or(y),
                    },
                },
                (Some(_), None) => a.next(),
                (None, Some(_)) => b.next(),
                (None, None) => break,
            };
            children.extend(next);
        }
        FieldSet { members, children }
    }

    /// [`FieldSet::difference`] reusing this set's storage.
    pub(crate) fn into_difference(self, other: &FieldSet) -> FieldSet {
        if other.is_empty() || self.is_empty() {
            return self;
        }
        let mut members = self.members;
        members.retain(|pe| !other.has_member(pe));
        let mut children = Vec::with_capacity(self.children.len());
        for (pe, child) in self.children {
            let kept = match other.child(&pe) {
                Some(theirs) => child.into_difference(theirs),
                None => child,
            };
            if !kept.is_empty() {
                children.push((pe, kept));
            }
        }
        FieldSet { members, children }
    }

    /// [`FieldSet::recursive_difference`] reusing this set's storage.
    pub(crate) fn into_recursive_difference(self, other: &FieldSet) -> FieldSet {
        if other.is_empty() || self.is_empty() {
            return self;
        }
        let mut members = self.members;
        members.retain(|pe| !other.has_member(pe));
        let mut children = Vec::with_capacity(self.children.len());
        for (pe, child) in self.children {
            if other.has_member(&pe) {
                continue;
            }
            let kept = match other.child(&pe) {
                Some(theirs) => child.into_recursive_difference(theirs),
                None => child,
            };
            if !kept.is_empty() {
                children.push((pe, kept));
            }
        }
        FieldSet { members, children }
    }

    /// Like [`FieldSet::difference`], but a member of `other` also removes
    /// every path below it.
    pub fn recursive_difference(&self, other: &FieldSet) -> FieldSet {
        let mut children = Vec::with_capacity(self.children.len());
        for (pe, child) in &self.children {
            if other.has_member(pe) {
                continue;
            }
            let kept = match other.child(pe) {
                Some(theirs) => child.recursive_difference(theirs),
                None => child.clone(),
            };
            if !kept.is_empty() {
                children.push((pe.clone(), kept));
            }
        }
        FieldSet {
            members: merge_sorted(&self.members, &other.members, |_, _| false, true, false),
            children,
        }
    }

    /// Calls `f` with every path: a node's members first, then its subtrees.
    pub fn for_each_path(&self, f: &mut dyn FnMut(&[PathElement])) {
        let mut prefix = Vec::new();
        self.walk_paths(&mut prefix, f);
    }

    fn walk_paths(&self, prefix: &mut Vec<PathElement>, f: &mut dyn FnMut(&[PathElement])) {
        for member in &self.members {
            prefix.push(member.clone());
            f(prefix);
            prefix.pop();
        }
        for (pe, child) in &self.children {
            prefix.push(pe.clone());
            child.walk_paths(prefix, f);
            prefix.pop();
        }
    }

    /// Every path, rendered as upstream prints them.
    pub fn paths(&self) -> Vec<String> {
        let mut out = Vec::new();
        self.for_each_path(&mut |path| out.push(path_string(path)));
        out
    }

    /// This node's members without its subtrees.
    pub(crate) fn clone_members_only(&self) -> FieldSet {
        FieldSet {
            members: self.members.clone(),
            children: Vec::new(),
        }
    }

    pub(crate) fn members_mut(&mut self) -> &mut Vec<PathElement> {
        &mut self.members
    }
}

/// Merges two sorted element lists, keeping elements only in `a` when
/// `keep_a`, only in `b` when `keep_b`, and shared ones when `keep_both`.
fn merge_sorted(
    a: &[PathElement],
    b: &[PathElement],
    keep_both: impl Fn(&PathElement, &PathElement) -> bool,
    keep_a: bool,
    keep_b: bool,
) -> Vec<PathElement> {
    let mut out = Vec::with_capacity(a.len().max(b.len()));
    let (mut i, mut j) = (0, 0);
    while i < a.len() && j < b.len() {
        match a[i].cmp(&b[j]) {
            Ordering::Less => {
                if keep_a {
                    out.push(a[i].clone());
                }
                i += 1;
            }
            Ordering::Greater => {
                if keep_b {
                    out.push(b[j].clone());
                }
                j += 1;
            }
            Ordering::Equal => {
                if keep_both(&a[i], &b[j]) {
                    out.push(a[i].clone());
                }
                i += 1;
                j += 1;
            }
        }
    }
    if keep_a {
        out.extend(a[i..].iter().cloned());
    }
    if keep_b {
        out.extend(b[j..].iter().cloned());
    }
    out
}

/// Walks two sorted child lists together; `combine` decides each subtree
/// (empty results are dropped).
fn zip_children(
    a: &[(PathElement, FieldSet)],
    b: &[(PathElement, FieldSet)],
    combine: impl Fn(Option<&FieldSet>, Option<&FieldSet>) -> Option<FieldSet>,
) -> Vec<(PathElement, FieldSet)> {
    let mut out = Vec::with_capacity(a.len().max(b.len()));
    let mut push = |pe: &PathElement, set: Option<FieldSet>| {
        if let Some(set) = set.filter(|s| !s.is_empty()) {
            out.push((pe.clone(), set));
        }
    };
    let (mut i, mut j) = (0, 0);
    while i < a.len() && j < b.len() {
        match a[i].0.cmp(&b[j].0) {
            Ordering::Less => {
                push(&a[i].0, combine(Some(&a[i].1), None));
                i += 1;
            }
            Ordering::Greater => {
                push(&b[j].0, combine(None, Some(&b[j].1)));
                j += 1;
            }
            Ordering::Equal => {
                push(&a[i].0, combine(Some(&a[i].1), Some(&b[j].1)));
                i += 1;
                j += 1;
            }
        }
    }
    for (pe, set) in &a[i..] {
        push(pe, combine(Some(set), None));
    }
    for (pe, set) in &b[j..] {
        push(pe, combine(None, Some(set)));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn f(name: &str) -> PathElement {
        PathElement::field(name)
    }

    fn set(paths: &[&[&str]]) -> FieldSet {
        FieldSet::from_field_paths(paths)
    }

    #[test]
    fn insert_and_has() {
        let mut s = FieldSet::new();
        s.insert(&[f("spec"), f("replicas")]);
        s.insert(&[f("spec")]);
        assert!(s.has(&[f("spec"), f("replicas")]));
        assert!(s.has(&[f("spec")]));
        assert!(!s.has(&[f("metadata")]));
        assert_eq!(s.len(), 2);
        assert_eq!(s.paths(), [".spec", ".spec.replicas"]);
    }

    #[test]
    fn set_operations() {
        let a = set(&[&["a"], &["b", "c"], &["b", "d"]]);
        let b = set(&[&["b", "c"], &["e"]]);
        assert_eq!(a.union(&b).paths(), [".a", ".e", ".b.c", ".b.d"]);
        assert_eq!(a.intersection(&b).paths(), [".b.c"]);
        assert_eq!(a.difference(&b).paths(), [".a", ".b.d"]);
        assert!(a.difference(&a).is_empty());
        // A member removes everything below it only recursively.
        let status = set(&[&["b"]]);
        assert_eq!(a.difference(&status).paths(), [".a", ".b.c", ".b.d"]);
        assert_eq!(a.recursive_difference(&status).paths(), [".a"]);
    }

    #[test]
    fn list_items_sort_by_element_order() {
        let mut s = FieldSet::new();
        for name in ["b", "a"] {
            s.insert(&[
                f("containers"),
                PathElement::key(vec![("name".into(), json!(name))]),
            ]);
        }
        assert_eq!(
            s.paths(),
            [r#".containers[name="a"]"#, r#".containers[name="b"]"#]
        );
    }
}
