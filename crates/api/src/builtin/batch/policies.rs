//! A Job's pod failure policy and success policy.

use std::collections::BTreeSet;

use capstan_apimachinery::validation::is_qualified_name;
use capstan_apimachinery::{BadValue, ErrorList, FieldError, Path};
use k8s_openapi::api::batch::v1::{
    JobSpec, PodFailurePolicy, PodFailurePolicyOnExitCodesRequirement, PodFailurePolicyRule,
    SuccessPolicyRule,
};

use super::job_spec::validate_indexes_format;
use crate::builtin::apps::shared::nonnegative;

/// Go's `%q` of a sorted `[]string`: `["a" "b"]`.
fn quoted_list(items: &[&str]) -> String {
    let q: Vec<String> = items.iter().map(|s| format!("\"{s}\"")).collect();
    format!("[{}]", q.join(" "))
}

const CONDITION_STATUSES: &[&str] = &["False", "True", "Unknown"];
const EXIT_CODE_OPERATORS: &[&str] = &["In", "NotIn"];
const ACTIONS: &[&str] = &["Count", "FailIndex", "FailJob", "Ignore"];
const MAX_SUCCESS_POLICY_RULES: usize = 20;
const MAX_SUCCEEDED_INDEXES_LENGTH: usize = 64 * 1024;
const MAX_ON_POD_CONDITIONS_PATTERNS: usize = 20;
const MAX_ON_EXIT_CODES_VALUES: usize = 255;
const MAX_POD_FAILURE_POLICY_RULES: usize = 20;
pub(super) fn validate_pod_failure_policy(
    spec: &JobSpec,
    policy: &PodFailurePolicy,
    path: &Path,
) -> ErrorList {
    let rules_path = path.child("rules");
    let mut errs = Vec::new();
    if policy.rules.len() > MAX_POD_FAILURE_POLICY_RULES {
        errs.push(FieldError::too_many(
            &rules_path,
            policy.rules.len() as i64,
            MAX_POD_FAILURE_POLICY_RULES as i64,
        ));
    }
    let pod_spec = spec.template.spec.clone().unwrap_or_default();
    let mut containers: BTreeSet<&str> = pod_spec
        .containers
        .iter()
        .map(|c| c.name.as_str())
        .collect();
    containers.extend(
        pod_spec
            .init_containers
            .iter()
            .flatten()
            .map(|c| c.name.as_str()),
    );
    for (i, rule) in policy.rules.iter().enumerate() {
        errs.extend(validate_rule(spec, rule, &rules_path.index(i), &containers));
    }
    errs
}

fn validate_rule(
    spec: &JobSpec,
    rule: &PodFailurePolicyRule,
    path: &Path,
    containers: &BTreeSet<&str>,
) -> ErrorList {
    let mut errs = Vec::new();
    let action_path = path.child("action");
    match rule.action.as_str() {
        "" => errs.push(FieldError::required(
            &action_path,
            &format!("valid values: {}", quoted_list(ACTIONS)),
        )),
        "FailIndex" => {
            if spec.backoff_limit_per_index.is_none() {
                errs.push(FieldError::invalid(
                    &action_path,
                    "FailIndex",
                    "requires the backoffLimitPerIndex to be set",
                ));
            }
        }
        a if ACTIONS.contains(&a) => {}
        a => errs.push(FieldError::not_supported(&action_path, a, ACTIONS)),
    }
    if let Some(codes) = &rule.on_exit_codes {
        errs.extend(validate_on_exit_codes(
            codes,
            &path.child("onExitCodes"),
            containers,
        ));
    }
    let conditions = rule.on_pod_conditions.as_deref().unwrap_or(&[]);
    if !conditions.is_empty() {
        let cond_path = path.child("onPodConditions");
        if conditions.len() > MAX_ON_POD_CONDITIONS_PATTERNS {
            errs.push(FieldError::too_many(
                &cond_path,
                conditions.len() as i64,
                MAX_ON_POD_CONDITIONS_PATTERNS as i64,
            ));
        }
        for (j, pattern) in conditions.iter().enumerate() {
            let p = cond_path.index(j);
            for msg in is_qualified_name(&pattern.type_) {
                errs.push(FieldError::invalid(
                    &p.child("type"),
                    pattern.type_.as_str(),
                    &msg,
                ));
            }
            let status_path = p.child("status");
            match pattern.status.as_str() {
                "" => errs.push(FieldError::required(
                    &status_path,
                    &format!("valid values: {}", quoted_list(CONDITION_STATUSES)),
                )),
                s if CONDITION_STATUSES.contains(&s) => {}
                s => errs.push(FieldError::not_supported(
                    &status_path,
                    s,
                    CONDITION_STATUSES,
                )),
            }
        }
    }
    match (rule.on_exit_codes.is_some(), !conditions.is_empty()) {
        (true, true) => errs.push(FieldError::invalid(
            path,
            BadValue::Omitted,
            "specifying both OnExitCodes and OnPodConditions is not supported",
        )),
        (false, false) => errs.push(FieldError::invalid(
            path,
            BadValue::Omitted,
            "specifying one of OnExitCodes and OnPodConditions is required",
        )),
        _ => {}
    }
    errs
}

fn int_list(values: &[i32]) -> BadValue {
    let items: Vec<String> = values.iter().map(|v| v.to_string()).collect();
    BadValue::Raw(format!("[]int32{{{}}}", items.join(", ")))
}

fn validate_on_exit_codes(
    req: &PodFailurePolicyOnExitCodesRequirement,
    path: &Path,
    containers: &BTreeSet<&str>,
) -> ErrorList {
    let mut errs = Vec::new();
    let op_path = path.child("operator");
    match req.operator.as_str() {
        "" => errs.push(FieldError::required(
            &op_path,
            &format!("valid values: {}", quoted_list(EXIT_CODE_OPERATORS)),
        )),
        o if EXIT_CODE_OPERATORS.contains(&o) => {}
        o => errs.push(FieldError::not_supported(&op_path, o, EXIT_CODE_OPERATORS)),
    }
    if let Some(name) = req.container_name.as_deref()
        && !containers.contains(name)
    {
        errs.push(FieldError::invalid(
            &path.child("containerName"),
            name,
            "must be one of the container or initContainer names in the pod template",
        ));
    }
    let values_path = path.child("values");
    if req.values.is_empty() {
        errs.push(FieldError::invalid(
            &values_path,
            int_list(&req.values),
            "at least one value is required",
        ));
    } else if req.values.len() > MAX_ON_EXIT_CODES_VALUES {
        errs.push(FieldError::too_many(
            &values_path,
            req.values.len() as i64,
            MAX_ON_EXIT_CODES_VALUES as i64,
        ));
    }
    let mut seen = BTreeSet::new();
    let mut ordered = true;
    for (j, v) in req.values.iter().enumerate() {
        let p = values_path.index(j);
        if req.operator == "In" && *v == 0 {
            errs.push(FieldError::invalid(
                &p,
                *v,
                "must not be 0 for the In operator",
            ));
        }
        if !seen.insert(*v) {
            errs.push(FieldError::duplicate(&p, *v));
        }
        if j > 0 && req.values[j - 1] > *v {
            ordered = false;
        }
    }
    if !ordered {
        errs.push(FieldError::invalid(
            &values_path,
            int_list(&req.values),
            "must be ordered",
        ));
    }
    errs
}

pub(super) fn validate_success_policy(
    spec: &JobSpec,
    rules: &[SuccessPolicyRule],
    path: &Path,
) -> ErrorList {
    let rules_path = path.child("rules");
    let mut errs = Vec::new();
    if rules.is_empty() {
        errs.push(FieldError::required(
            &rules_path,
            "at least one rules must be specified when the successPolicy is specified",
        ));
    }
    if rules.len() > MAX_SUCCESS_POLICY_RULES {
        errs.push(FieldError::too_many(
            &rules_path,
            rules.len() as i64,
            MAX_SUCCESS_POLICY_RULES as i64,
        ));
    }
    let completions = spec.completions.unwrap_or(0);
    for (i, rule) in rules.iter().enumerate() {
        let p = rules_path.index(i);
        if rule.succeeded_count.is_none() && rule.succeeded_indexes.is_none() {
            errs.push(FieldError::required(
                &p,
                "at least one of succeededCount or succeededIndexes must be specified",
            ));
        }
        let mut total = 0;
        if let Some(indexes) = &rule.succeeded_indexes {
            let ip = p.child("succeededIndexes");
            if indexes.len() > MAX_SUCCEEDED_INDEXES_LENGTH {
                errs.push(FieldError::too_long(
                    &ip,
                    MAX_SUCCEEDED_INDEXES_LENGTH as i64,
                ));
            }
            match validate_indexes_format(indexes, completions) {
                Ok(t) => total = t,
                Err(e) => errs.push(FieldError::invalid(
                    &ip,
                    indexes.as_str(),
                    &format!("error parsing succeededIndexes: {e}"),
                )),
            }
        }
        if let Some(count) = rule.succeeded_count {
            let cp = p.child("succeededCount");
            errs.extend(nonnegative(Some(count), &cp));
            if count > completions {
                errs.push(FieldError::invalid(
                    &cp,
                    count,
                    &format!(
                        "must be less than or equal to {completions} (the number of specified completions)"
                    ),
                ));
            }
            if rule.succeeded_indexes.is_some() && i64::from(count) > total {
                errs.push(FieldError::invalid(
                    &cp,
                    count,
                    &format!(
                        "must be less than or equal to {total} (the number of indexes in the specified succeededIndexes field)"
                    ),
                ));
            }
        }
    }
    errs
}
