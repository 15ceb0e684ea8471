//! CronJobs: defaults (batch/v1 SetDefaults_CronJob), schedule and time zone validation, and the
//! job template rules (pkg/registry/batch/cronjob/strategy.go).

use capstan_apimachinery::validation::validate_nonnegative_field;
use capstan_apimachinery::{BadValue, ErrorList, FieldError, Path};
use k8s_openapi::api::batch::v1::{CronJob, CronJobSpec, JobTemplateSpec};

use super::job::name_warning;
use super::job_spec::validate_job_spec;
use super::schedule::parse_standard;
use super::time_zones::load_location;
use crate::builtin::apps::shared::{label_selector_value, nonnegative};
use crate::builtin::apps::template::{default_template, template_warnings};
use crate::strategy::{TypedStrategy, Warnings};

/// Job names are `<cronjob>-<11 character suffix>` and must fit 63 characters.
const MAX_NAME_LENGTH: usize = 52;

pub struct CronJobStrategy;

impl TypedStrategy<CronJob> for CronJobStrategy {
    fn default(&self, cj: &mut CronJob) {
        let spec = cj.spec.get_or_insert_with(Default::default);
        spec.concurrency_policy
            .get_or_insert_with(|| "Allow".into());
        spec.suspend.get_or_insert(false);
        spec.successful_jobs_history_limit.get_or_insert(3);
        spec.failed_jobs_history_limit.get_or_insert(1);
        if let Some(job) = spec.job_template.spec.as_mut() {
            default_template(&mut job.template);
        }
    }

    fn validate(&self, cj: &CronJob) -> ErrorList {
        let mut errs = validate_spec(&spec_of(cj), None, &Path::new("spec"));
        let name = cj.metadata.name.as_deref().unwrap_or("");
        if name.len() > MAX_NAME_LENGTH {
            errs.push(FieldError::invalid(
                &Path::new("metadata").child("name"),
                name,
                "must be no more than 52 characters",
            ));
        }
        errs
    }

    fn warnings(&self, cj: &CronJob) -> Warnings {
        let mut warnings = name_warning(cj.metadata.name.as_deref().unwrap_or(""));
        if let Some(job) = cj.spec.as_ref().and_then(|s| s.job_template.spec.as_ref()) {
            let path = Path::new("spec")
                .child("jobTemplate")
                .child("spec")
                .child("template");
            warnings.extend(template_warnings(&job.template, &path));
        }
        warnings
    }

    /// Names longer than 52 characters stay updatable (they predate the limit).
    fn validate_update(&self, cj: &CronJob, old: &CronJob) -> ErrorList {
        validate_spec(&spec_of(cj), Some(&spec_of(old)), &Path::new("spec"))
    }
}

fn spec_of(cj: &CronJob) -> CronJobSpec {
    cj.spec.clone().unwrap_or_default()
}

/// Upstream `validateCronJobSpec`.
fn validate_spec(spec: &CronJobSpec, old: Option<&CronJobSpec>, path: &Path) -> ErrorList {
    let mut errs = Vec::new();
    let schedule_path = path.child("schedule");
    if spec.schedule.is_empty() {
        errs.push(FieldError::required(&schedule_path, ""));
    } else {
        let allow_tz = old.is_some_and(|o| o.schedule.contains("TZ"));
        errs.extend(validate_schedule(
            &spec.schedule,
            allow_tz,
            spec.time_zone.as_deref(),
            &schedule_path,
        ));
    }
    if let Some(d) = spec.starting_deadline_seconds {
        errs.extend(validate_nonnegative_field(
            d,
            &path.child("startingDeadlineSeconds"),
        ));
    }
    if old.is_none_or(|o| o.time_zone != spec.time_zone) {
        errs.extend(validate_time_zone(
            spec.time_zone.as_deref(),
            &path.child("timeZone"),
        ));
    }
    let policy_path = path.child("concurrencyPolicy");
    match spec.concurrency_policy.as_deref().unwrap_or("") {
        "Allow" | "Forbid" | "Replace" => {}
        "" => errs.push(FieldError::required(&policy_path, "")),
        other => errs.push(FieldError::not_supported(
            &policy_path,
            other,
            &["Allow", "Forbid", "Replace"],
        )),
    }
    errs.extend(validate_job_template(
        &spec.job_template,
        &path.child("jobTemplate"),
    ));
    errs.extend(nonnegative(
        spec.successful_jobs_history_limit,
        &path.child("successfulJobsHistoryLimit"),
    ));
    errs.extend(nonnegative(
        spec.failed_jobs_history_limit,
        &path.child("failedJobsHistoryLimit"),
    ));
    errs
}

fn validate_schedule(
    schedule: &str,
    allow_tz: bool,
    time_zone: Option<&str>,
    path: &Path,
) -> ErrorList {
    let mut errs = Vec::new();
    if let Err(e) = parse_standard(schedule) {
        errs.push(FieldError::invalid(path, schedule, &e));
    }
    if schedule.contains("TZ") {
        if !allow_tz {
            errs.push(FieldError::invalid(
                path,
                schedule,
                "cannot use TZ or CRON_TZ in schedule, use timeZone field instead",
            ));
        } else if time_zone.is_some() {
            errs.push(FieldError::invalid(
                path,
                schedule,
                "cannot use both timeZone field and TZ or CRON_TZ in schedule",
            ));
        }
    }
    errs
}

/// One `/`-separated part of an IANA name (upstream's `validTimeZoneCharacters`).
fn valid_zone_part(part: &str) -> bool {
    (1..=14).contains(&part.len())
        && part
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || ".-_+".contains(c))
        && part != "."
        && part != ".."
        && !part.starts_with('-')
}

/// Upstream `validateTimeZone`.
fn validate_time_zone(zone: Option<&str>, path: &Path) -> ErrorList {
    let Some(zone) = zone else {
        return Vec::new();
    };
    if zone.is_empty() {
        return vec![FieldError::invalid(
            path,
            "",
            "timeZone must be nil or non-empty string",
        )];
    }
    if !zone.split('/').all(valid_zone_part) {
        return vec![FieldError::invalid(
            path,
            zone,
            &format!("unknown time zone {zone}"),
        )];
    }
    let mut errs = Vec::new();
    if zone.eq_ignore_ascii_case("Local") {
        errs.push(FieldError::invalid(
            path,
            zone,
            "timeZone must be an explicit time zone as defined in https://www.iana.org/time-zones",
        ));
    }
    if let Err(e) = load_location(zone) {
        errs.push(FieldError::invalid(path, zone, &e));
    }
    errs
}

/// Upstream `ValidateJobTemplateSpec`: a job spec whose selector the Job will generate.
fn validate_job_template(t: &JobTemplateSpec, path: &Path) -> ErrorList {
    let spec = t.spec.clone().unwrap_or_default();
    let spec_path = path.child("spec");
    let mut errs = validate_job_spec(&spec, &spec_path);
    if let Some(s) = &spec.selector {
        errs.push(FieldError::invalid(
            &spec_path.child("selector"),
            label_selector_value(Some(s)),
            "`selector` will be auto-generated",
        ));
    }
    if spec.manual_selector == Some(true) {
        errs.push(FieldError::not_supported(
            &spec_path.child("manualSelector"),
            BadValue::Bool(true),
            &["nil", "false"],
        ));
    }
    errs
}

#[cfg(test)]
mod tests {
    use serde_json::{Value, json};

    use super::*;
    use crate::builtin::apps::testing::{create, create_errors, update};

    fn cron_job() -> Value {
        json!({
            "metadata": {"name": "nightly", "namespace": "default"},
            "spec": {
                "schedule": "0 3 * * *",
                "jobTemplate": {"spec": {"template": {"spec": {
                    "restartPolicy": "OnFailure",
                    "containers": [{"name": "c", "image": "busybox"}]
                }}}}
            }
        })
    }

    fn errors(obj: Value) -> Vec<String> {
        create_errors::<CronJob, _>(CronJobStrategy, obj)
    }

    #[test]
    fn defaults() {
        let cj = create::<CronJob, _>(CronJobStrategy, cron_job()).unwrap();
        let spec = &cj["spec"];
        assert_eq!(spec["concurrencyPolicy"], "Allow");
        assert_eq!(spec["suspend"], false);
        assert_eq!(spec["successfulJobsHistoryLimit"], 3);
        assert_eq!(spec["failedJobsHistoryLimit"], 1);
    }

    #[test]
    fn schedule_and_zone() {
        let mut cj = cron_job();
        cj["spec"]["schedule"] = json!("61 * * * *");
        assert_eq!(
            errors(cj),
            vec![
                r#"spec.schedule: Invalid value: "61 * * * *": end of range (61) above maximum (59): 61"#
            ]
        );
        let mut cj = cron_job();
        cj["spec"]["schedule"] = json!("TZ=UTC 0 * * * *");
        assert_eq!(
            errors(cj),
            vec![
                r#"spec.schedule: Invalid value: "TZ=UTC 0 * * * *": cannot use TZ or CRON_TZ in schedule, use timeZone field instead"#
            ]
        );
        let mut cj = cron_job();
        cj["spec"]["timeZone"] = json!("Europe/Atlantis");
        assert_eq!(
            errors(cj),
            vec![
                r#"spec.timeZone: Invalid value: "Europe/Atlantis": unknown time zone Europe/Atlantis"#
            ]
        );
        let mut cj = cron_job();
        cj["spec"]["timeZone"] = json!("Local");
        assert_eq!(
            errors(cj),
            vec![
                r#"spec.timeZone: Invalid value: "Local": timeZone must be an explicit time zone as defined in https://www.iana.org/time-zones"#
            ]
        );
        let mut cj = cron_job();
        cj["spec"]["timeZone"] = json!("Asia/Tokyo");
        assert!(create::<CronJob, _>(CronJobStrategy, cj).is_ok());
    }

    #[test]
    fn name_length_and_template() {
        let mut cj = cron_job();
        cj["metadata"]["name"] = json!("a".repeat(53));
        cj["spec"]["concurrencyPolicy"] = json!("Sometimes");
        cj["spec"]["jobTemplate"]["spec"]["template"]["spec"]["restartPolicy"] = json!("Always");
        cj["spec"]["jobTemplate"]["spec"]["manualSelector"] = json!(true);
        assert_eq!(
            errors(cj),
            vec![
                r#"spec.concurrencyPolicy: Unsupported value: "Sometimes": supported values: "Allow", "Forbid", "Replace""#,
                r#"spec.jobTemplate.spec.template.spec.restartPolicy: Required value: valid values: "OnFailure", "Never""#,
                r#"spec.jobTemplate.spec.manualSelector: Unsupported value: true: supported values: "nil", "false""#,
                format!(
                    "metadata.name: Invalid value: \"{}\": must be no more than 52 characters",
                    "a".repeat(53)
                )
                .as_str(),
            ]
        );
    }

    #[test]
    fn tz_kept_on_update() {
        let mut cj = cron_job();
        cj["spec"]["schedule"] = json!("CRON_TZ=UTC 0 * * * *");
        // Stored before the rule existed: updates may keep it.
        let old = cj.clone();
        let mut new = cj.clone();
        new["spec"]["suspend"] = json!(true);
        assert!(update::<CronJob, _>(CronJobStrategy, new, &old).is_ok());
    }
}
