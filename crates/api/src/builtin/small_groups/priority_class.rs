//! scheduling.k8s.io/v1 PriorityClasses. Only one class may be the global default; that needs
//! the other classes and belongs to admission, not here.

use capstan_apimachinery::{ErrorList, FieldError, Path};
use k8s_openapi::api::scheduling::v1::PriorityClass;

use crate::builtin::apps::shared::immutable;
use crate::strategy::TypedStrategy;

/// The highest value a user-defined class may have.
pub const HIGHEST_USER_DEFINABLE_PRIORITY: i32 = 1_000_000_000;
/// `system-cluster-critical`'s value; `system-node-critical` is 1000 above it.
pub const SYSTEM_CRITICAL_PRIORITY: i32 = 2 * HIGHEST_USER_DEFINABLE_PRIORITY;
const SYSTEM_PREFIX: &str = "system-";
const SYSTEM_CLASSES: &[(&str, i32)] = &[
    ("system-node-critical", SYSTEM_CRITICAL_PRIORITY + 1000),
    ("system-cluster-critical", SYSTEM_CRITICAL_PRIORITY),
];

pub struct PriorityClassStrategy;

impl TypedStrategy<PriorityClass> for PriorityClassStrategy {
    fn default(&self, pc: &mut PriorityClass) {
        pc.preemption_policy
            .get_or_insert_with(|| "PreemptLowerPriority".into());
    }

    fn validate(&self, pc: &PriorityClass) -> ErrorList {
        let mut errs = Vec::new();
        let name = pc.metadata.name.as_deref().unwrap_or("");
        if name.starts_with(SYSTEM_PREFIX) {
            if let Err(e) = known_system_class(name, pc.value, pc.global_default.unwrap_or(false)) {
                errs.push(FieldError::forbidden(
                    &Path::new("metadata").child("name"),
                    &format!(
                        "priority class names with '{SYSTEM_PREFIX}' prefix are reserved for system use only. error: {e}"
                    ),
                ));
            }
        } else if pc.value > HIGHEST_USER_DEFINABLE_PRIORITY {
            errs.push(FieldError::forbidden(
                &Path::new("value"),
                &format!(
                    "maximum allowed value of a user defined priority is {HIGHEST_USER_DEFINABLE_PRIORITY}"
                ),
            ));
        }
        if let Some(policy) = pc.preemption_policy.as_deref() {
            let path = Path::new("preemptionPolicy");
            match policy {
                "PreemptLowerPriority" | "Never" => {}
                "" => errs.push(FieldError::required(&path, "")),
                other => errs.push(FieldError::not_supported(
                    &path,
                    other,
                    &["PreemptLowerPriority", "Never"],
                )),
            }
        }
        errs
    }

    /// Value and preemption policy are fixed.
    fn validate_update(&self, pc: &PriorityClass, old: &PriorityClass) -> ErrorList {
        let mut errs = Vec::new();
        if pc.value != old.value {
            errs.push(FieldError::forbidden(
                &Path::new("value"),
                "may not be changed in an update.",
            ));
        }
        errs.extend(immutable(
            &pc.preemption_policy,
            &old.preemption_policy,
            &Path::new("preemptionPolicy"),
            || pc.preemption_policy.clone().unwrap_or_default().into(),
        ));
        errs
    }
}

/// Upstream `IsKnownSystemPriorityClass`.
fn known_system_class(name: &str, value: i32, global_default: bool) -> Result<(), String> {
    match SYSTEM_CLASSES.iter().find(|(n, _)| *n == name) {
        None => Err(format!("{name} is not a known system priority class")),
        Some((n, v)) if *v != value => Err(format!("value of {n} PriorityClass must be {v}")),
        Some((n, _)) if global_default => {
            Err(format!("globalDefault of {n} PriorityClass must be false"))
        }
        Some(_) => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::builtin::apps::testing::{create, create_errors, update};

    #[test]
    fn priority_class_rules() {
        let pc = create::<PriorityClass, _>(
            PriorityClassStrategy,
            json!({"metadata": {"name": "high"}, "value": 1000}),
        )
        .unwrap();
        assert_eq!(pc["preemptionPolicy"], "PreemptLowerPriority");
        assert!(
            create::<PriorityClass, _>(
                PriorityClassStrategy,
                json!({"metadata": {"name": "system-node-critical"}, "value": 2000001000}),
            )
            .is_ok()
        );
        assert_eq!(
            create_errors::<PriorityClass, _>(
                PriorityClassStrategy,
                json!({"metadata": {"name": "system-mine"}, "value": 5, "preemptionPolicy": "Always"})
            ),
            vec![
                "metadata.name: Forbidden: priority class names with 'system-' prefix are reserved for system use only. error: system-mine is not a known system priority class",
                r#"preemptionPolicy: Unsupported value: "Always": supported values: "PreemptLowerPriority", "Never""#,
            ]
        );
        assert_eq!(
            create_errors::<PriorityClass, _>(
                PriorityClassStrategy,
                json!({"metadata": {"name": "huge"}, "value": 1000000001})
            ),
            vec![
                "value: Forbidden: maximum allowed value of a user defined priority is 1000000000"
            ]
        );
        let mut changed = pc.clone();
        changed["value"] = json!(5);
        changed["preemptionPolicy"] = json!("Never");
        assert_eq!(
            update::<PriorityClass, _>(PriorityClassStrategy, changed, &pc).unwrap_err(),
            vec![
                "value: Forbidden: may not be changed in an update.",
                r#"preemptionPolicy: Invalid value: "Never": field is immutable"#,
            ]
        );
    }
}
