//! policy/v1 PodDisruptionBudgets (upstream pkg/apis/policy/validation).

use capstan_apimachinery::validation::{
    LabelSelectorValidationOptions, validate_label_name, validate_label_selector,
};
use capstan_apimachinery::{ErrorList, FieldError, Path};
use k8s_openapi::api::policy::v1 as policy;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::Condition;

use super::apps::shared::{
    nonnegative, not_more_than_100_percent, struct_value, validate_positive_int_or_percent,
};
use super::{Def, def};
use crate::resource::ResourceInfo;
use crate::strategy::TypedStrategy;

pub(super) fn resources() -> Vec<ResourceInfo> {
    [def::<policy::PodDisruptionBudget, _>(PdbStrategy)
        .short(&["pdb"])
        .status()
        .generation()]
    .into_iter()
    .map(Def::build)
    .collect()
}

const EVICTION_POLICIES: &[&str] = &["AlwaysAllow", "IfHealthyBudget"];

pub struct PdbStrategy;

impl TypedStrategy<policy::PodDisruptionBudget> for PdbStrategy {
    fn validate(&self, pdb: &policy::PodDisruptionBudget) -> ErrorList {
        validate_spec(&pdb.spec.clone().unwrap_or_default(), &Path::new("spec"))
    }

    fn validate_status_update(
        &self,
        pdb: &policy::PodDisruptionBudget,
        _old: &policy::PodDisruptionBudget,
    ) -> ErrorList {
        let Some(status) = &pdb.status else {
            return Vec::new();
        };
        let path = Path::new("status");
        let mut errs = validate_conditions(
            status.conditions.as_deref().unwrap_or(&[]),
            &path.child("conditions"),
        );
        for (name, value) in [
            ("disruptionsAllowed", status.disruptions_allowed),
            ("currentHealthy", status.current_healthy),
            ("desiredHealthy", status.desired_healthy),
            ("expectedPods", status.expected_pods),
        ] {
            errs.extend(nonnegative(Some(value), &path.child(name)));
        }
        errs
    }
}

/// Upstream `ValidatePodDisruptionBudgetSpec`: at most one of minAvailable and maxUnavailable,
/// each a non-negative count or a percentage up to 100%.
fn validate_spec(spec: &policy::PodDisruptionBudgetSpec, path: &Path) -> ErrorList {
    let mut errs = Vec::new();
    if spec.min_available.is_some() && spec.max_unavailable.is_some() {
        errs.push(FieldError::invalid(
            path,
            struct_value(spec),
            "minAvailable and maxUnavailable cannot be both set",
        ));
    }
    for (name, value) in [
        ("minAvailable", &spec.min_available),
        ("maxUnavailable", &spec.max_unavailable),
    ] {
        if let Some(v) = value {
            let p = path.child(name);
            errs.extend(validate_positive_int_or_percent(v, &p));
            errs.extend(not_more_than_100_percent(v, &p));
        }
    }
    errs.extend(validate_label_selector(
        spec.selector.as_ref(),
        LabelSelectorValidationOptions::default(),
        &path.child("selector"),
    ));
    if let Some(p) = spec.unhealthy_pod_eviction_policy.as_deref()
        && !EVICTION_POLICIES.contains(&p)
    {
        errs.push(FieldError::not_supported(
            &path.child("unhealthyPodEvictionPolicy"),
            p,
            EVICTION_POLICIES,
        ));
    }
    errs
}

const MAX_REASON_LENGTH: usize = 1024;
const MAX_MESSAGE_LENGTH: usize = 32 * 1024;

fn valid_reason(reason: &str) -> bool {
    let bytes = reason.as_bytes();
    let inner = |c: &u8| c.is_ascii_alphanumeric() || b"_,:".contains(c);
    match bytes {
        [] => false,
        [only] => only.is_ascii_alphabetic(),
        [first, middle @ .., last] => {
            first.is_ascii_alphabetic()
                && middle.iter().all(inner)
                && (last.is_ascii_alphanumeric() || *last == b'_')
        }
    }
}

/// metav1 `ValidateConditions`: unique types, each a valid condition.
pub fn validate_conditions(conditions: &[Condition], path: &Path) -> ErrorList {
    let mut errs = Vec::new();
    let mut seen = std::collections::BTreeSet::new();
    for (i, c) in conditions.iter().enumerate() {
        let p = path.index(i);
        if !seen.insert(c.type_.as_str()) {
            errs.push(FieldError::duplicate(&p.child("type"), c.type_.as_str()));
        }
        errs.extend(validate_label_name(&c.type_, &p.child("type")));
        if !["False", "True", "Unknown"].contains(&c.status.as_str()) {
            errs.push(FieldError::not_supported(
                &p.child("status"),
                c.status.as_str(),
                &["False", "True", "Unknown"],
            ));
        }
        if let Some(g) = c.observed_generation.filter(|g| *g < 0) {
            errs.push(FieldError::invalid(
                &p.child("observedGeneration"),
                g,
                "must be greater than or equal to zero",
            ));
        }
        let reason_path = p.child("reason");
        if c.reason.is_empty() {
            errs.push(FieldError::required(&reason_path, "must be set"));
        } else {
            if !valid_reason(&c.reason) {
                errs.push(FieldError::invalid(
                    &reason_path,
                    c.reason.as_str(),
                    "a condition reason must start with alphabetic character, optionally followed by a string of alphanumeric characters or '_,:', and must end with an alphanumeric character or '_'",
                ));
            }
            if c.reason.len() > MAX_REASON_LENGTH {
                errs.push(FieldError::too_long(&reason_path, MAX_REASON_LENGTH as i64));
            }
        }
        if c.message.len() > MAX_MESSAGE_LENGTH {
            errs.push(FieldError::too_long(
                &p.child("message"),
                MAX_MESSAGE_LENGTH as i64,
            ));
        }
    }
    errs
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::builtin::apps::testing::{create, create_errors, update_status};

    type Pdb = policy::PodDisruptionBudget;

    #[test]
    fn spec_rules() {
        let ok = json!({"metadata": {"name": "p", "namespace": "d"},
            "spec": {"minAvailable": "50%", "selector": {"matchLabels": {"app": "a"}}}});
        assert!(create::<Pdb, _>(PdbStrategy, ok).is_ok());
        let both = json!({"metadata": {"name": "p", "namespace": "d"},
            "spec": {"minAvailable": 1, "maxUnavailable": "120%", "unhealthyPodEvictionPolicy": "Never"}});
        let errs = create_errors::<Pdb, _>(PdbStrategy, both);
        assert!(errs[0].starts_with("spec: Invalid value: "));
        assert!(errs[0].ends_with(": minAvailable and maxUnavailable cannot be both set"));
        assert_eq!(
            errs[1..],
            [
                r#"spec.maxUnavailable: Invalid value: intstr.IntOrString{Type:1, IntVal:0, StrVal:"120%"}: must not be greater than 100%"#,
                r#"spec.unhealthyPodEvictionPolicy: Unsupported value: "Never": supported values: "AlwaysAllow", "IfHealthyBudget""#,
            ]
        );
    }

    #[test]
    fn status_rules() {
        let old = create::<Pdb, _>(
            PdbStrategy,
            json!({"metadata": {"name": "p", "namespace": "d"}, "spec": {"minAvailable": 1}}),
        )
        .unwrap();
        let mut new = old.clone();
        new["status"] = json!({"disruptionsAllowed": -1, "currentHealthy": 0, "desiredHealthy": 0, "expectedPods": 0,
            "conditions": [{"type": "DisruptionAllowed", "status": "Maybe", "reason": "9lives",
                "message": "", "lastTransitionTime": "2024-01-01T00:00:00Z"}]});
        assert_eq!(
            update_status::<Pdb, _>(PdbStrategy, new, &old).unwrap_err(),
            vec![
                r#"status.conditions[0].status: Unsupported value: "Maybe": supported values: "False", "True", "Unknown""#,
                r#"status.conditions[0].reason: Invalid value: "9lives": a condition reason must start with alphabetic character, optionally followed by a string of alphanumeric characters or '_,:', and must end with an alphanumeric character or '_'"#,
                "status.disruptionsAllowed: Invalid value: -1: must be greater than or equal to 0",
            ]
        );
    }
}
