//! Validation of a job spec, shared by Jobs and CronJob job templates (upstream
//! `validateJobSpec` and its pod failure / success / replacement policies).

use capstan_apimachinery::validation::is_dns1123_label;
use capstan_apimachinery::{ErrorList, FieldError, Path};
use k8s_openapi::api::batch::v1::JobSpec;

use super::policies::{validate_pod_failure_policy, validate_success_policy};
use crate::builtin::apps::shared::{nonnegative, struct_value, validate_domain_prefixed_path};
use crate::builtin::apps::template::{restart_policy, validate_template};

const MAX_PARALLELISM_FOR_INDEXED_JOB: i32 = 100_000;
const MAX_FAILED_INDEXES_FOR_INDEXED_JOB: i32 = 100_000;
const COMPLETIONS_SOFT_LIMIT: i32 = 100_000;
const PARALLELISM_LIMIT_FOR_HIGH_COMPLETIONS: i32 = 10_000;
const MAX_FAILED_INDEXES_LIMIT_FOR_HIGH_COMPLETIONS: i32 = 10_000;
const MAX_MANAGED_BY_LENGTH: usize = 63;

fn is_indexed(spec: &JobSpec) -> bool {
    spec.completion_mode.as_deref() == Some("Indexed")
}

/// Upstream `validateJobSpec`.
pub fn validate_job_spec(spec: &JobSpec, path: &Path) -> ErrorList {
    let mut errs = nonnegative(spec.parallelism, &path.child("parallelism"));
    errs.extend(nonnegative(spec.completions, &path.child("completions")));
    if let Some(d) = spec.active_deadline_seconds {
        errs.extend(
            capstan_apimachinery::validation::validate_nonnegative_field(
                d,
                &path.child("activeDeadlineSeconds"),
            ),
        );
    }
    errs.extend(nonnegative(spec.backoff_limit, &path.child("backoffLimit")));
    errs.extend(nonnegative(
        spec.ttl_seconds_after_finished,
        &path.child("ttlSecondsAfterFinished"),
    ));
    errs.extend(nonnegative(
        spec.backoff_limit_per_index,
        &path.child("backoffLimitPerIndex"),
    ));
    if let Some(max) = spec.max_failed_indexes {
        errs.extend(nonnegative(Some(max), &path.child("maxFailedIndexes")));
        if spec.backoff_limit_per_index.is_none() {
            errs.push(FieldError::required(
                &path.child("backoffLimitPerIndex"),
                "when maxFailedIndexes is specified",
            ));
        }
    }
    if let Some(managed_by) = &spec.managed_by {
        let p = path.child("managedBy");
        errs.extend(validate_domain_prefixed_path(managed_by, &p));
        if managed_by.len() > MAX_MANAGED_BY_LENGTH {
            errs.push(FieldError::too_long(&p, MAX_MANAGED_BY_LENGTH as i64));
        }
    }
    errs.extend(validate_completion_mode(spec, path));
    if let Some(policy) = &spec.pod_failure_policy {
        errs.extend(validate_pod_failure_policy(
            spec,
            policy,
            &path.child("podFailurePolicy"),
        ));
    }
    if let Some(success) = &spec.success_policy {
        let p = path.child("successPolicy");
        if !is_indexed(spec) {
            errs.push(FieldError::invalid(
                &p,
                struct_value(success),
                "requires indexed completion mode",
            ));
        } else {
            errs.extend(validate_success_policy(spec, &success.rules, &p));
        }
    }
    errs.extend(validate_pod_replacement_policy(
        spec,
        &path.child("podReplacementPolicy"),
    ));
    let template_path = path.child("template");
    errs.extend(validate_template(&spec.template, &template_path));
    errs.extend(validate_restart_policy(spec, &template_path));
    errs
}

fn validate_completion_mode(spec: &JobSpec, path: &Path) -> ErrorList {
    let mut errs = Vec::new();
    let mode = spec.completion_mode.as_deref();
    if let Some(m) = mode
        && m != "NonIndexed"
        && m != "Indexed"
    {
        errs.push(FieldError::not_supported(
            &path.child("completionMode"),
            m,
            &["NonIndexed", "Indexed"],
        ));
    }
    if mode == Some("Indexed") {
        if spec.completions.is_none() {
            errs.push(FieldError::required(
                &path.child("completions"),
                "when completion mode is Indexed",
            ));
        }
        if let Some(p) = spec
            .parallelism
            .filter(|p| *p > MAX_PARALLELISM_FOR_INDEXED_JOB)
        {
            errs.push(FieldError::invalid(
                &path.child("parallelism"),
                p,
                &format!(
                    "must be less than or equal to {MAX_PARALLELISM_FOR_INDEXED_JOB} when completion mode is Indexed"
                ),
            ));
        }
        let max_path = path.child("maxFailedIndexes");
        if let (Some(c), Some(m)) = (spec.completions, spec.max_failed_indexes)
            && m > c
        {
            errs.push(FieldError::invalid(
                &max_path,
                m,
                "must be less than or equal to completions",
            ));
        }
        if let Some(m) = spec
            .max_failed_indexes
            .filter(|m| *m > MAX_FAILED_INDEXES_FOR_INDEXED_JOB)
        {
            errs.push(FieldError::invalid(
                &max_path,
                m,
                &format!("must be less than or equal to {MAX_FAILED_INDEXES_FOR_INDEXED_JOB}"),
            ));
        }
        if spec.completions.is_some_and(|c| c > COMPLETIONS_SOFT_LIMIT)
            && spec.backoff_limit_per_index.is_some()
        {
            let high = format!(
                "when completions are above {COMPLETIONS_SOFT_LIMIT} and used with backoff limit per index"
            );
            if spec.max_failed_indexes.is_none() {
                errs.push(FieldError::required(
                    &max_path,
                    &format!(
                        "must be specified when completions is above {COMPLETIONS_SOFT_LIMIT}"
                    ),
                ));
            }
            if let Some(p) = spec
                .parallelism
                .filter(|p| *p > PARALLELISM_LIMIT_FOR_HIGH_COMPLETIONS)
            {
                errs.push(FieldError::invalid(
                    &path.child("parallelism"),
                    p,
                    &format!("must be less than or equal to {PARALLELISM_LIMIT_FOR_HIGH_COMPLETIONS} {high}"),
                ));
            }
            if let Some(m) = spec
                .max_failed_indexes
                .filter(|m| *m > MAX_FAILED_INDEXES_LIMIT_FOR_HIGH_COMPLETIONS)
            {
                errs.push(FieldError::invalid(
                    &max_path,
                    m,
                    &format!(
                        "must be less than or equal to {MAX_FAILED_INDEXES_LIMIT_FOR_HIGH_COMPLETIONS} {high}"
                    ),
                ));
            }
        }
    }
    if mode.is_none() || mode == Some("NonIndexed") {
        if let Some(b) = spec.backoff_limit_per_index {
            errs.push(FieldError::invalid(
                &path.child("backoffLimitPerIndex"),
                b,
                "requires indexed completion mode",
            ));
        }
        if let Some(m) = spec.max_failed_indexes {
            errs.push(FieldError::invalid(
                &path.child("maxFailedIndexes"),
                m,
                "requires indexed completion mode",
            ));
        }
    }
    errs
}

/// Job pods must not restart `Always`; with a pod failure policy only `Never` is allowed.
fn validate_restart_policy(spec: &JobSpec, template_path: &Path) -> ErrorList {
    let p = template_path.child("spec").child("restartPolicy");
    match restart_policy(&spec.template) {
        "" | "Always" => vec![FieldError::required(
            &p,
            "valid values: \"OnFailure\", \"Never\"",
        )],
        "OnFailure" if spec.pod_failure_policy.is_some() => vec![FieldError::invalid(
            &p,
            "OnFailure",
            "only \"Never\" is supported when podFailurePolicy is specified",
        )],
        "OnFailure" | "Never" => Vec::new(),
        other => vec![FieldError::not_supported(
            &p,
            other,
            &["OnFailure", "Never"],
        )],
    }
}

fn validate_pod_replacement_policy(spec: &JobSpec, path: &Path) -> ErrorList {
    let Some(policy) = spec.pod_replacement_policy.as_deref() else {
        return Vec::new();
    };
    if spec.pod_failure_policy.is_some() {
        if policy != "Failed" {
            return vec![FieldError::not_supported(path, policy, &["Failed"])];
        }
    } else if policy != "Failed" && policy != "TerminatingOrFailed" {
        return vec![FieldError::not_supported(
            path,
            policy,
            &["Failed", "TerminatingOrFailed"],
        )];
    }
    Vec::new()
}

/// Upstream `validateIndexesFormat` ("1,3-5"): intervals in increasing order below
/// `completions`; returns how many indexes they cover.
pub fn validate_indexes_format(indexes: &str, completions: i32) -> Result<i64, String> {
    if indexes.is_empty() {
        return Ok(0);
    }
    let mut last: Option<i64> = None;
    let mut total = 0i64;
    let number = |s: &str| {
        s.parse::<i64>()
            .map_err(|_| format!("cannot convert string to integer for index: \"{s}\""))
    };
    for interval in indexes.split(',') {
        let limits: Vec<&str> = interval.split('-').collect();
        if limits.len() > 2 {
            return Err(format!(
                "the fragment \"{interval}\" violates the requirement that an index interval can have at most two parts separated by '-'"
            ));
        }
        let x = number(limits[0])?;
        if x >= i64::from(completions) {
            return Err(format!("too large index: \"{}\"", limits[0]));
        }
        if let Some(l) = last.filter(|l| *l >= x) {
            return Err(format!("non-increasing order, previous: {l}, current: {x}"));
        }
        total += 1;
        last = Some(x);
        if let Some(high) = limits.get(1) {
            let y = number(high)?;
            if y >= i64::from(completions) {
                return Err(format!("too large index: \"{high}\""));
            }
            if x >= y {
                return Err(format!("non-increasing order, previous: {x}, current: {y}"));
            }
            total += y - x;
            last = Some(y);
        }
    }
    Ok(total)
}

/// Indexed Jobs name pods `<job>-<index>`: the longest must be a DNS label.
pub fn validate_indexed_name(name: &str, spec: &JobSpec) -> ErrorList {
    match spec.completions {
        Some(c) if is_indexed(spec) && c > 0 => {
            let longest = format!("{name}-{}", c - 1);
            if is_dns1123_label(&longest).is_empty() {
                Vec::new()
            } else {
                vec![FieldError::invalid(
                    &Path::new("metadata").child("name"),
                    name,
                    &format!("will not able to create pod with invalid DNS label: {longest}"),
                )]
            }
        }
        _ => Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn indexes_format() {
        assert_eq!(validate_indexes_format("0,2-4", 5), Ok(4));
        assert_eq!(
            validate_indexes_format("1-2-3", 5),
            Err("the fragment \"1-2-3\" violates the requirement that an index interval can have at most two parts separated by '-'".into())
        );
        assert_eq!(
            validate_indexes_format("3,1", 5),
            Err("non-increasing order, previous: 3, current: 1".into())
        );
        assert_eq!(
            validate_indexes_format("7", 5),
            Err("too large index: \"7\"".into())
        );
        assert_eq!(
            validate_indexes_format("a", 5),
            Err("cannot convert string to integer for index: \"a\"".into())
        );
    }
}
