//! Jobs: defaults (batch/v1 SetDefaults_Job), the generated selector and pod labels, validation
//! and update rules (pkg/registry/batch/job/strategy.go).

use std::collections::BTreeMap;

use capstan_apimachinery::validation::{
    LabelSelectorValidationOptions, go_time_string, is_dns1123_label, validate_label_selector,
};
use capstan_apimachinery::{BadValue, ErrorList, FieldError, Path};
use k8s_openapi::api::batch::v1::{Job, JobCondition, JobSpec, JobStatus};
use k8s_openapi::api::core::v1::PodTemplateSpec;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::LabelSelector;

use super::job_spec::{validate_indexed_name, validate_job_spec};
use crate::builtin::apps::shared::{
    as_selector, immutable, label_selector_value, labels_value, selector_matches_template,
    struct_value,
};
use crate::builtin::apps::template::{default_template, template_warnings};
use crate::builtin::fields::JobFields;
use crate::strategy::{SelectableField, TypedStrategy, Warnings};

pub const CONTROLLER_UID_LABEL: &str = "batch.kubernetes.io/controller-uid";
pub const JOB_NAME_LABEL: &str = "batch.kubernetes.io/job-name";
pub const LEGACY_CONTROLLER_UID_LABEL: &str = "controller-uid";
pub const LEGACY_JOB_NAME_LABEL: &str = "job-name";

pub struct JobStrategy;

impl TypedStrategy<Job> for JobStrategy {
    /// Defaulting copies the template's labels onto an unlabelled Job before anything else;
    /// then, unless the user manages the selector, the selector and pod labels are generated
    /// from the Job's uid (set by the API server before the strategy runs).
    fn prepare_for_create(&self, job: &mut Job) {
        copy_template_labels(job);
        let manual = job.spec.as_ref().and_then(|s| s.manual_selector) == Some(true);
        if !manual {
            generate_selector(job);
        }
    }

    fn default(&self, job: &mut Job) {
        let spec = job.spec.get_or_insert_with(Default::default);
        default_job_spec(spec);
        // Upstream applies this on every read too: a Job without labels shows its pods'.
        copy_template_labels(job);
    }

    fn validate(&self, job: &Job) -> ErrorList {
        let spec = job.spec.clone().unwrap_or_default();
        let mut errs = validate_generated_selector(job, &spec);
        errs.extend(validate_spec_with_selector(&spec, &Path::new("spec")));
        errs.extend(validate_indexed_name(
            job.metadata.name.as_deref().unwrap_or(""),
            &spec,
        ));
        errs
    }

    fn warnings(&self, job: &Job) -> Warnings {
        let mut warnings = name_warning(job.metadata.name.as_deref().unwrap_or(""));
        if let Some(spec) = &job.spec {
            let path = Path::new("spec").child("template");
            warnings.extend(template_warnings(&spec.template, &path));
        }
        warnings
    }

    fn validate_update(&self, job: &Job, old: &Job) -> ErrorList {
        let spec = job.spec.clone().unwrap_or_default();
        let old_spec = old.spec.clone().unwrap_or_default();
        let path = Path::new("spec");
        let mut errs = validate_spec_with_selector(&spec, &path);
        errs.extend(validate_completions_update(&spec, &old_spec, &path));
        errs.extend(immutable(
            &spec.selector,
            &old_spec.selector,
            &path.child("selector"),
            || {
                spec.selector
                    .as_ref()
                    .map_or(BadValue::Null, |s| label_selector_value(Some(s)))
            },
        ));
        let suspended_never_started = old_spec.suspend == Some(true)
            && old
                .status
                .as_ref()
                .and_then(|s| s.start_time.as_ref())
                .is_none();
        errs.extend(validate_template_update(
            &spec.template,
            &old_spec.template,
            suspended_never_started,
            &path.child("template"),
        ));
        let opt = |v: &Option<String>| v.as_deref().map_or(BadValue::Null, BadValue::from);
        errs.extend(immutable(
            &spec.completion_mode,
            &old_spec.completion_mode,
            &path.child("completionMode"),
            || opt(&spec.completion_mode),
        ));
        errs.extend(immutable(
            &spec.pod_failure_policy,
            &old_spec.pod_failure_policy,
            &path.child("podFailurePolicy"),
            || struct_value(&spec.pod_failure_policy),
        ));
        errs.extend(immutable(
            &spec.backoff_limit_per_index,
            &old_spec.backoff_limit_per_index,
            &path.child("backoffLimitPerIndex"),
            || {
                spec.backoff_limit_per_index
                    .map_or(BadValue::Null, BadValue::from)
            },
        ));
        errs.extend(immutable(
            &spec.managed_by,
            &old_spec.managed_by,
            &path.child("managedBy"),
            || opt(&spec.managed_by),
        ));
        errs.extend(immutable(
            &spec.success_policy,
            &old_spec.success_policy,
            &path.child("successPolicy"),
            || struct_value(&spec.success_policy),
        ));
        errs
    }

    fn validate_status_update(&self, job: &Job, old: &Job) -> ErrorList {
        validate_status_update(
            &job.status.clone().unwrap_or_default(),
            &old.status.clone().unwrap_or_default(),
        )
    }

    fn selectable_fields(&self) -> &'static [SelectableField] {
        TypedStrategy::<Job>::selectable_fields(&JobFields)
    }
}

/// `metadata.name` warning shared with CronJobs: names end up in pod host names.
pub fn name_warning(name: &str) -> Warnings {
    let msgs = is_dns1123_label(name);
    if msgs.is_empty() {
        return Vec::new();
    }
    vec![format!(
        "metadata.name: this is used in Pod names and hostnames, which can result in surprising behavior; a DNS label is recommended: [{}]",
        msgs.join(" ")
    )]
}

/// Upstream SetDefaults_Job (the spec part).
fn default_job_spec(spec: &mut JobSpec) {
    if spec.completions.is_none() && spec.parallelism.is_none() {
        spec.completions = Some(1);
    }
    spec.parallelism.get_or_insert(1);
    if spec.backoff_limit.is_none() {
        spec.backoff_limit = Some(if spec.backoff_limit_per_index.is_some() {
            i32::MAX
        } else {
            6
        });
    }
    spec.completion_mode
        .get_or_insert_with(|| "NonIndexed".into());
    spec.suspend.get_or_insert(false);
    if let Some(policy) = spec.pod_failure_policy.as_mut() {
        for rule in &mut policy.rules {
            for pattern in rule.on_pod_conditions.iter_mut().flatten() {
                if pattern.status.is_empty() {
                    pattern.status = "True".into();
                }
            }
        }
    }
    if spec.pod_replacement_policy.is_none() {
        let policy = if spec.pod_failure_policy.is_some() {
            "Failed"
        } else {
            "TerminatingOrFailed"
        };
        spec.pod_replacement_policy = Some(policy.into());
    }
    default_template(&mut spec.template);
}

fn template_labels(t: &PodTemplateSpec) -> Option<&BTreeMap<String, String>> {
    t.metadata.as_ref().and_then(|m| m.labels.as_ref())
}

fn copy_template_labels(job: &mut Job) {
    let labels = job
        .spec
        .as_ref()
        .and_then(|s| template_labels(&s.template))
        .cloned();
    if let Some(labels) = labels
        && job.metadata.labels.as_ref().is_none_or(|l| l.is_empty())
    {
        job.metadata.labels = Some(labels);
    }
}

/// Upstream `generateSelector`: job-name and controller-uid labels on the pod template (unless
/// the user set them; a conflict fails validation) and a controller-uid selector.
fn generate_selector(job: &mut Job) {
    let name = job.metadata.name.clone().unwrap_or_default();
    let uid = job.metadata.uid.clone().unwrap_or_default();
    let spec = job.spec.get_or_insert_with(Default::default);
    let labels = spec
        .template
        .metadata
        .get_or_insert_with(Default::default)
        .labels
        .get_or_insert_with(Default::default);
    for key in [LEGACY_JOB_NAME_LABEL, JOB_NAME_LABEL] {
        labels.entry(key.into()).or_insert_with(|| name.clone());
    }
    for key in [LEGACY_CONTROLLER_UID_LABEL, CONTROLLER_UID_LABEL] {
        labels.entry(key.into()).or_insert_with(|| uid.clone());
    }
    spec.selector
        .get_or_insert_with(LabelSelector::default)
        .match_labels
        .get_or_insert_with(Default::default)
        .entry(CONTROLLER_UID_LABEL.into())
        .or_insert(uid);
}

/// Upstream `ValidateHasLabel`.
fn has_label(t: &PodTemplateSpec, path: &Path, key: &str, expected: &str) -> ErrorList {
    let labels = template_labels(t);
    let p = path.child("labels").key(key);
    match labels.and_then(|l| l.get(key)) {
        None => vec![FieldError::required(&p, expected)],
        Some(v) if v != expected => vec![FieldError::invalid(
            &p,
            labels_value(labels),
            &format!("must be '{expected}'"),
        )],
        Some(_) => Vec::new(),
    }
}

/// Upstream `validateGeneratedSelector` (with the prefixed batch labels required).
fn validate_generated_selector(job: &Job, spec: &JobSpec) -> ErrorList {
    if spec.manual_selector == Some(true) {
        return Vec::new();
    }
    let Some(selector) = &spec.selector else {
        return Vec::new();
    };
    let uid = job.metadata.uid.as_deref().unwrap_or("");
    let name = job.metadata.name.as_deref().unwrap_or("");
    let mut errs = Vec::new();
    if uid.is_empty() {
        errs.push(FieldError::required(
            &Path::new("metadata").child("uid"),
            "",
        ));
    }
    let meta = Path::new("spec").child("template").child("metadata");
    errs.extend(has_label(
        &spec.template,
        &meta,
        LEGACY_CONTROLLER_UID_LABEL,
        uid,
    ));
    errs.extend(has_label(
        &spec.template,
        &meta,
        LEGACY_JOB_NAME_LABEL,
        name,
    ));
    errs.extend(has_label(&spec.template, &meta, CONTROLLER_UID_LABEL, uid));
    errs.extend(has_label(&spec.template, &meta, JOB_NAME_LABEL, name));
    let expected: BTreeMap<String, String> = [
        (CONTROLLER_UID_LABEL, uid),
        (JOB_NAME_LABEL, name),
        (LEGACY_CONTROLLER_UID_LABEL, uid),
        (LEGACY_JOB_NAME_LABEL, name),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect();
    if let Some(s) = as_selector(selector)
        && !s.matches(&expected)
    {
        errs.push(FieldError::invalid(
            &Path::new("spec").child("selector"),
            label_selector_value(Some(selector)),
            "`selector` not auto-generated",
        ));
    }
    errs
}

/// Upstream `ValidateJobSpec`: the job spec plus its (required) selector.
fn validate_spec_with_selector(spec: &JobSpec, path: &Path) -> ErrorList {
    let mut errs = validate_job_spec(spec, path);
    let selector_path = path.child("selector");
    match &spec.selector {
        None => errs.push(FieldError::required(&selector_path, "")),
        Some(s) => errs.extend(validate_label_selector(
            Some(s),
            LabelSelectorValidationOptions::default(),
            &selector_path,
        )),
    }
    let selector = match &spec.selector {
        None => Some(capstan_apimachinery::labels::Selector::nothing()),
        Some(s) => as_selector(s),
    };
    if let Some(selector) = selector {
        errs.extend(selector_matches_template(
            &selector,
            template_labels(&spec.template),
            &path.child("template").child("metadata").child("labels"),
        ));
    }
    errs
}

/// Completions may change only for Indexed Jobs, together with parallelism.
fn validate_completions_update(spec: &JobSpec, old: &JobSpec, path: &Path) -> ErrorList {
    let p = path.child("completions");
    let value = || spec.completions.map_or(BadValue::Null, BadValue::from);
    if spec.completion_mode.as_deref() != Some("Indexed") {
        return immutable(&spec.completions, &old.completions, &p, value);
    }
    match spec.completions {
        Some(c) if spec.completions != old.completions && Some(c) != spec.parallelism => {
            vec![FieldError::invalid(
                &p,
                c,
                "can only be modified in tandem with spec.parallelism",
            )]
        }
        _ => Vec::new(),
    }
}

/// The pod template is immutable, except the scheduling directives of a suspended Job that
/// never started (node affinity, node selector, tolerations, labels, annotations, gates).
fn validate_template_update(
    new: &PodTemplateSpec,
    old: &PodTemplateSpec,
    allow_scheduling_changes: bool,
    path: &Path,
) -> ErrorList {
    let mut old = old.clone();
    if allow_scheduling_changes {
        let new_meta = new.metadata.clone().unwrap_or_default();
        let meta = old.metadata.get_or_insert_with(Default::default);
        meta.labels = new_meta.labels;
        meta.annotations = new_meta.annotations;
        if old.metadata == Some(Default::default()) && new.metadata.is_none() {
            old.metadata = None;
        }
        if let (Some(o), Some(n)) = (old.spec.as_mut(), new.spec.as_ref()) {
            let node_affinity = n.affinity.as_ref().and_then(|a| a.node_affinity.clone());
            match (o.affinity.as_mut(), n.affinity.is_some()) {
                (Some(a), false) => {
                    a.node_affinity = None;
                    if *a == Default::default() {
                        o.affinity = None;
                    }
                }
                (None, true) => {
                    o.affinity = Some(k8s_openapi::api::core::v1::Affinity {
                        node_affinity,
                        ..Default::default()
                    });
                }
                (Some(a), true) => a.node_affinity = node_affinity,
                (None, false) => {}
            }
            o.node_selector = n.node_selector.clone();
            o.tolerations = n.tolerations.clone();
            o.scheduling_gates = n.scheduling_gates.clone();
        }
    }
    immutable(new, &old, path, || struct_value(new))
}

fn condition_true(conditions: &[JobCondition], kind: &str) -> bool {
    conditions
        .iter()
        .any(|c| c.type_ == kind && c.status == "True")
}

/// Status rules: non-negative counters, unique uncounted pods, terminal conditions stay, and
/// the counters and completion time move only forward.
fn validate_status_update(status: &JobStatus, old: &JobStatus) -> ErrorList {
    let path = Path::new("status");
    let mut errs = Vec::new();
    for (name, v) in [
        ("active", status.active),
        ("succeeded", status.succeeded),
        ("failed", status.failed),
        ("ready", status.ready),
        ("terminating", status.terminating),
    ] {
        errs.extend(crate::builtin::apps::shared::nonnegative(
            v,
            &path.child(name),
        ));
    }
    if let Some(uncounted) = &status.uncounted_terminated_pods {
        let p = path.child("uncountedTerminatedPods");
        let mut seen = std::collections::BTreeSet::new();
        for (list, uids) in [
            ("succeeded", &uncounted.succeeded),
            ("failed", &uncounted.failed),
        ] {
            for (i, uid) in uids.iter().flatten().enumerate() {
                let ip = p.child(list).index(i);
                if uid.is_empty() {
                    errs.push(FieldError::invalid(&ip, "", "must not be empty"));
                } else if !seen.insert(uid.clone()) {
                    errs.push(FieldError::duplicate(&ip, uid.as_str()));
                }
            }
        }
    }
    let conditions = status.conditions.as_deref().unwrap_or(&[]);
    let old_conditions = old.conditions.as_deref().unwrap_or(&[]);
    for kind in ["Failed", "Complete", "FailureTarget"] {
        if condition_true(old_conditions, kind) && !condition_true(conditions, kind) {
            errs.push(FieldError::invalid(
                &path.child("conditions"),
                BadValue::Omitted,
                &format!("cannot disable the terminal {kind}=True condition"),
            ));
        }
    }
    if status.failed.unwrap_or(0) < old.failed.unwrap_or(0) {
        errs.push(FieldError::invalid(
            &path.child("failed"),
            status.failed.unwrap_or(0),
            "cannot decrease the failed counter",
        ));
    }
    if let (Some(new_time), Some(old_time)) = (&status.completion_time, &old.completion_time)
        && new_time != old_time
    {
        errs.push(FieldError::invalid(
            &path.child("completionTime"),
            BadValue::Raw(go_time_string(new_time)),
            "completionTime cannot be mutated",
        ));
    }
    let active = status.active.unwrap_or(0);
    if (status.ready != old.ready || status.active != old.active)
        && status.ready.is_some_and(|r| r > active)
    {
        errs.push(FieldError::invalid(
            &path.child("ready"),
            status.ready.unwrap_or(0),
            "cannot set more ready pods than active",
        ));
    }
    errs
}

#[cfg(test)]
#[path = "job_tests.rs"]
mod tests;
