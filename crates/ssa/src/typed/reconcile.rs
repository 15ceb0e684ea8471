//! Adjusting a manager's field set to schema changes: a field that became
//! atomic is owned as a whole instead of through its children.

use crate::path::PathElement;
use crate::schema::{DEDUCED, TypeRef, TypeSet};
use crate::set::FieldSet;

/// The reconciled set, or `None` when `set` needs no change.
pub(crate) fn reconcile_field_set(
    types: &TypeSet,
    set: &FieldSet,
    tr: TypeRef,
) -> Option<FieldSet> {
    let mut walker = Walker {
        types,
        path: Vec::new(),
        to_remove: FieldSet::new(),
        to_add: FieldSet::new(),
    };
    walker.node(Some(set), tr, false);
    if walker.to_remove.is_empty() && walker.to_add.is_empty() {
        return None;
    }
    Some(
        set.recursive_difference(&walker.to_remove)
            .union(&walker.to_add),
    )
}

struct Walker<'a> {
    types: &'a TypeSet,
    path: Vec<PathElement>,
    to_remove: FieldSet,
    to_add: FieldSet,
}

impl Walker<'_> {
    fn collapse(&mut self) {
        self.to_remove.insert(&self.path);
        self.to_add.insert(&self.path);
    }

    fn node(&mut self, set: Option<&FieldSet>, tr: TypeRef, is_atomic: bool) {
        let resolved = self.types.resolve(tr);
        if let Some((map, atomic)) = resolved.map {
            let untyped = map.fields.is_empty() && map.elem.is_some_and(|e| e.id == DEDUCED);
            if untyped {
                return;
            }
            if !is_atomic && atomic {
                if set.is_some_and(|s| !s.is_empty()) {
                    self.collapse();
                }
                return;
            }
            if let Some(set) = set {
                self.items(set, |pe| match pe {
                    PathElement::Field(name) => map.child_type(name),
                    _ => map.elem,
                });
            }
            return;
        }
        if resolved.scalar.is_some() {
            return;
        }
        if let Some((list, atomic)) = resolved.list {
            if !is_atomic && atomic {
                self.collapse();
                return;
            }
            if let Some(set) = set {
                self.items(set, |_| Some(list.elem));
            }
        }
    }

    fn items(&mut self, set: &FieldSet, type_of: impl Fn(&PathElement) -> Option<TypeRef>) {
        let visit = |walker: &mut Self, pe: &PathElement, is_member: bool| {
            let Some(tr) = type_of(pe) else { return };
            let child = set.child(pe);
            walker.path.push(pe.clone());
            walker.node(child, tr, is_member && child.is_none());
            walker.path.pop();
        };
        for (pe, _) in set.children() {
            if !set.has_member(pe) {
                visit(self, pe, false);
            }
        }
        for pe in set.members() {
            visit(self, pe, true);
        }
    }
}
