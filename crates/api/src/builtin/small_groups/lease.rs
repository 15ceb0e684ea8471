//! coordination.k8s.io/v1 Leases.

use capstan_apimachinery::validation::is_qualified_name;
use capstan_apimachinery::{ErrorList, FieldError, Path};
use k8s_openapi::api::coordination::v1::{Lease, LeaseSpec};

use crate::strategy::TypedStrategy;

const STRATEGIES: &[&str] = &["OldestEmulationVersion"];

pub struct LeaseStrategy;

impl TypedStrategy<Lease> for LeaseStrategy {
    /// `strategy` and `preferredHolder` belong to coordinated leader election, a feature that
    /// is off by default in v1.33.
    fn prepare_for_create(&self, lease: &mut Lease) {
        drop_coordination(lease, false);
    }

    fn prepare_for_update(&self, lease: &mut Lease, old: &Lease) {
        let used = old
            .spec
            .as_ref()
            .is_some_and(|s| s.strategy.is_some() || s.preferred_holder.is_some());
        drop_coordination(lease, used);
    }

    fn validate(&self, lease: &Lease) -> ErrorList {
        validate_spec(&lease.spec.clone().unwrap_or_default(), &Path::new("spec"))
    }
}

fn drop_coordination(lease: &mut Lease, keep: bool) {
    if let (false, Some(spec)) = (keep, lease.spec.as_mut()) {
        spec.strategy = None;
        spec.preferred_holder = None;
    }
}

/// Upstream `ValidateLeaseSpec`.
fn validate_spec(spec: &LeaseSpec, path: &Path) -> ErrorList {
    let mut errs = Vec::new();
    if let Some(d) = spec.lease_duration_seconds.filter(|d| *d <= 0) {
        errs.push(FieldError::invalid(
            &path.child("leaseDurationSeconds"),
            d,
            "must be greater than 0",
        ));
    }
    if let Some(t) = spec.lease_transitions.filter(|t| *t < 0) {
        errs.push(FieldError::invalid(
            &path.child("leaseTransitions"),
            t,
            "must be greater than or equal to 0",
        ));
    }
    if let Some(strategy) = &spec.strategy {
        // Upstream nests the field name once more here.
        let p = path.child("strategy").child("strategy");
        if !strategy.contains('/') {
            if !STRATEGIES.contains(&strategy.as_str()) {
                errs.push(FieldError::not_supported(&p, strategy.as_str(), STRATEGIES));
            }
        } else {
            for msg in is_qualified_name(strategy) {
                errs.push(FieldError::invalid(&p, strategy.as_str(), &msg));
            }
        }
    }
    let holder = spec.preferred_holder.as_deref().unwrap_or("");
    if !holder.is_empty() && spec.strategy.as_deref().unwrap_or("").is_empty() {
        errs.push(FieldError::forbidden(
            &path.child("preferredHolder"),
            "may only be specified if `strategy` is defined",
        ));
    }
    errs
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::builtin::apps::testing::{create, create_errors};

    #[test]
    fn lease_rules() {
        let ok = json!({"metadata": {"name": "l", "namespace": "d"},
            "spec": {"holderIdentity": "me", "leaseDurationSeconds": 15, "strategy": "OldestEmulationVersion"}});
        let stored = create::<Lease, _>(LeaseStrategy, ok).unwrap();
        assert!(stored["spec"].get("strategy").is_none());
        let bad = json!({"metadata": {"name": "l", "namespace": "d"},
            "spec": {"leaseDurationSeconds": 0, "leaseTransitions": -1}});
        assert_eq!(
            create_errors::<Lease, _>(LeaseStrategy, bad),
            vec![
                "spec.leaseDurationSeconds: Invalid value: 0: must be greater than 0",
                "spec.leaseTransitions: Invalid value: -1: must be greater than or equal to 0",
            ]
        );
        let spec: LeaseSpec =
            serde_json::from_value(json!({"strategy": "Newest", "preferredHolder": "x"})).unwrap();
        let errs: Vec<String> = validate_spec(&spec, &Path::new("spec"))
            .iter()
            .map(|e| e.to_string())
            .collect();
        assert_eq!(
            errs,
            vec![
                r#"spec.strategy.strategy: Unsupported value: "Newest": supported values: "OldestEmulationVersion""#
            ]
        );
    }
}
