//! ControllerRevisions: immutable snapshots of a controller's template.

use capstan_apimachinery::validation::validate_nonnegative_field;
use capstan_apimachinery::{ErrorList, FieldError, Path};
use k8s_openapi::api::apps::v1::ControllerRevision;

use super::shared::{immutable, struct_value};
use crate::strategy::TypedStrategy;

pub struct ControllerRevisionStrategy;

impl TypedStrategy<ControllerRevision> for ControllerRevisionStrategy {
    fn validate(&self, r: &ControllerRevision) -> ErrorList {
        let mut errs = Vec::new();
        if r.data.is_none() {
            errs.push(FieldError::required(
                &Path::new("data"),
                "data is mandatory",
            ));
        }
        errs.extend(validate_nonnegative_field(
            r.revision,
            &Path::new("revision"),
        ));
        errs
    }

    /// Upstream checks only `data` for changes (its comment mentions `revision` too).
    fn validate_update(&self, r: &ControllerRevision, old: &ControllerRevision) -> ErrorList {
        let mut errs = self.validate(r);
        errs.extend(immutable(&r.data, &old.data, &Path::new("data"), || {
            struct_value(&r.data)
        }));
        errs
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::builtin::apps::testing::{create, create_errors, update};

    #[test]
    fn data_required_and_immutable() {
        let errs = create_errors::<ControllerRevision, _>(
            ControllerRevisionStrategy,
            json!({"metadata": {"name": "r", "namespace": "d"}, "revision": -1}),
        );
        assert_eq!(
            errs,
            vec![
                "data: Required value: data is mandatory",
                "revision: Invalid value: -1: must be greater than or equal to 0",
            ]
        );
        let old = create::<ControllerRevision, _>(
            ControllerRevisionStrategy,
            json!({"metadata": {"name": "r", "namespace": "d"}, "revision": 1, "data": {"a": 1}}),
        )
        .unwrap();
        let mut new = old.clone();
        new["data"] = json!({"a": 2});
        let errs =
            update::<ControllerRevision, _>(ControllerRevisionStrategy, new, &old).unwrap_err();
        assert_eq!(errs.len(), 1);
        assert!(errs[0].starts_with("data: Invalid value: "));
        assert!(errs[0].ends_with(": field is immutable"));
        let mut bumped = old.clone();
        bumped["revision"] = json!(2);
        assert!(update::<ControllerRevision, _>(ControllerRevisionStrategy, bumped, &old).is_ok());
    }
}
