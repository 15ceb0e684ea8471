//! The ownership algorithms of structured-merge-diff's `merge.Updater`.
//!
//! Every apiVersion of a kind is taken to share one schema (no conversion):
//! managers recorded at other versions are compared as if at the current one.

use std::collections::BTreeMap;

use serde_json::Value;

use crate::managed::{ManagerKey, Owned};
use crate::schema::Schema;
use crate::set::FieldSet;
use crate::typed::{
    Comparison, compare, ensure_named_fields_are_members, merge, reconcile_field_set, remove_items,
    to_field_set,
};
use crate::value::values_equal;

pub(crate) type ManagerSets = BTreeMap<ManagerKey, Owned>;

#[derive(Debug)]
pub(crate) enum UpdaterError {
    /// Fields other managers own that the operation changes, by manager.
    Conflicts(Vec<(ManagerKey, FieldSet)>),
    Failed(String),
}

pub(crate) struct Updater<'a> {
    pub schema: &'a Schema,
    /// Fields never owned (the caller's reset fields).
    pub ignored: Option<&'a FieldSet>,
}

impl Updater<'_> {
    fn filter(&self, set: FieldSet) -> FieldSet {
        match self.ignored {
            Some(ignored) => set.into_recursive_difference(ignored),
            None => set,
        }
    }

    /// Collapses managers' children of fields that became atomic.
    pub(crate) fn reconcile(&self, managers: &mut ManagerSets) {
        for owned in managers.values_mut() {
            if let Some(reconciled) =
                reconcile_field_set(&self.schema.types, &owned.set, self.schema.root)
            {
                owned.set = reconciled;
            }
        }
    }

    /// Takes the fields `new` changes from every manager but `workflow`
    /// (failing on any unless `force`) and drops removed fields from all.
    fn update_managers(
        &self,
        live: &Value,
        new: &Value,
        managers: &mut ManagerSets,
        workflow: Option<&ManagerKey>,
        force: bool,
    ) -> Result<Comparison, UpdaterError> {
        let mut comparison = compare(&self.schema.types, live, new, self.schema.root)
            .map_err(|e| UpdaterError::Failed(format!("failed to compare objects: {e}")))?;
        comparison.filter(self.ignored);
        let mut conflicts = Vec::new();
        if managers.keys().any(|key| Some(key) != workflow) {
            let changed = comparison.modified.union(&comparison.added);
            for (key, owned) in managers.iter() {
                if Some(key) == workflow {
                    continue;
                }
                let conflict = owned.set.intersection(&changed);
                if !conflict.is_empty() {
                    conflicts.push((key.clone(), conflict));
                }
            }
        }
        if !force && !conflicts.is_empty() {
            return Err(UpdaterError::Conflicts(conflicts));
        }
        for (key, conflict) in &conflicts {
            if let Some(owned) = managers.get_mut(key) {
                owned.set = std::mem::take(&mut owned.set).into_difference(conflict);
            }
        }
        if !comparison.removed.is_empty() {
            for (key, owned) in managers.iter_mut() {
                if Some(key) != workflow {
                    owned.set = std::mem::take(&mut owned.set).into_difference(&comparison.removed);
                }
            }
        }
        managers.retain(|_, owned| !owned.set.is_empty());
        Ok(comparison)
    }

    /// Records a non-apply write: other managers lose what it changed; the
    /// returned set is what the writer changed (empty when nothing).
    pub(crate) fn update(
        &self,
        live: &Value,
        new: &Value,
        managers: &mut ManagerSets,
    ) -> Result<FieldSet, UpdaterError> {
        self.reconcile(managers);
        let comparison = self.update_managers(live, new, managers, None, true)?;
        Ok(self.filter(comparison.modified.into_union(comparison.added)))
    }

    /// Merges `config` into `live` for `applier` and prunes what it stopped
    /// applying. `Ok(None)` when the object does not change.
    pub(crate) fn apply(
        &self,
        live: &Value,
        config: &Value,
        version: &str,
        managers: &mut ManagerSets,
        applier: &ManagerKey,
        force: bool,
    ) -> Result<Option<Value>, UpdaterError> {
        let types = &self.schema.types;
        let root = self.schema.root;
        self.reconcile(managers);
        let merged = merge(types, live, config, root)
            .map_err(|e| UpdaterError::Failed(format!("failed to merge config: {e}")))?;
        let last = managers.get(applier).map(|o| o.set.clone());
        let set = to_field_set(types, config, root)
            .map_err(|e| UpdaterError::Failed(format!("failed to get field set: {e}")))?;
        managers.insert(
            applier.clone(),
            Owned {
                set: self.filter(set),
                api_version: version.to_string(),
                applied: true,
            },
        );
        let new = match last {
            Some(last) if !last.is_empty() => self
                .prune(merged, managers, &last)
                .map_err(|e| UpdaterError::Failed(format!("failed to prune fields: {e}")))?,
            _ => merged,
        };
        self.update_managers(live, &new, managers, Some(applier), force)?;
        Ok((!values_equal(live, &new)).then_some(new))
    }

    /// Removes what the applier owned last time and nobody owns now.
    fn prune(
        &self,
        merged: Value,
        managers: &ManagerSets,
        last: &FieldSet,
    ) -> Result<Value, String> {
        let types = &self.schema.types;
        let root = self.schema.root;
        let named = |set: &FieldSet| ensure_named_fields_are_members(types, set, Some(root));
        let fields_of = |value: &Value| -> Result<FieldSet, String> {
            to_field_set(types, value, root)
                .map(|set| named(&set))
                .map_err(|e| e.to_string())
        };
        let remove =
            |set: &FieldSet| remove_items(types, &merged, set, root).unwrap_or(Value::Null);

        let last = named(last);
        let pruned = remove(&last);
        // Add back what anyone (the applier's new configuration included) owns.
        let mut owned = FieldSet::new();
        for manager in managers.values() {
            owned = owned.union(&manager.set);
        }
        let merged_set = fields_of(&merged)?;
        let kept = fields_of(&pruned)?.union(&named(&owned));
        let pruned = remove(&merged_set.difference(&kept));
        // Add back what was removed but never applied by this applier.
        let dangling = merged_set
            .difference(&fields_of(&pruned)?)
            .intersection(&last);
        Ok(remove(&dangling))
    }
}
