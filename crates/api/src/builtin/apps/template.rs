//! The pod template every apps workload embeds, and the replica counters their statuses share.

use capstan_apimachinery::labels::Selector;
use capstan_apimachinery::validation::validate_nonnegative_field;
use capstan_apimachinery::{ErrorList, FieldError, Path};
use k8s_openapi::api::core::v1::PodTemplateSpec;

use super::shared::{as_selector, selector_matches_template, selector_unset};
use crate::builtin::core::pod::{
    default_pod_template_spec, pod_template_warnings, validate_pod_template_spec,
};
use crate::strategy::Warnings;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::LabelSelector;

/// Defaults of an embedded pod template (the pod spec defaults apply inside workloads too).
pub fn default_template(template: &mut PodTemplateSpec) {
    default_pod_template_spec(template);
}

/// The selector a workload selects with: `Nothing` when unset (upstream's nil selector), `None`
/// when it cannot be converted.
pub fn workload_selector(selector: &LabelSelector) -> Option<Selector> {
    if selector_unset(selector) {
        Some(Selector::nothing())
    } else {
        as_selector(selector)
    }
}

pub fn restart_policy(template: &PodTemplateSpec) -> &str {
    template
        .spec
        .as_ref()
        .and_then(|s| s.restart_policy.as_deref())
        .unwrap_or("")
}

fn template_labels(
    template: &PodTemplateSpec,
) -> Option<&std::collections::BTreeMap<String, String>> {
    template.metadata.as_ref().and_then(|m| m.labels.as_ref())
}

/// Upstream `ValidatePodTemplateSpecForReplicaSet` (also used by Deployments, DaemonSets and
/// StatefulSets): the selector must match the template's labels, the pod template must be valid,
/// pods restart `Always` and may not have an active deadline.
pub fn validate_long_running_template(
    template: &PodTemplateSpec,
    selector: &Selector,
    kind: &str,
    path: &Path,
) -> ErrorList {
    let mut errs = selector_matches_template(
        selector,
        template_labels(template),
        &path.child("metadata").child("labels"),
    );
    errs.extend(validate_template(template, path));
    errs.extend(validate_always_restarts(template, kind, path));
    errs
}

/// The pod template itself (upstream `ValidatePodTemplateSpec`).
pub fn validate_template(template: &PodTemplateSpec, path: &Path) -> ErrorList {
    validate_pod_template_spec(template, path)
}

/// Warnings about the pod template (upstream `GetWarningsForPodTemplate`).
pub fn template_warnings(template: &PodTemplateSpec, path: &Path) -> Warnings {
    pod_template_warnings(template, path)
}

/// Long-running pods restart `Always` and have no `activeDeadlineSeconds`.
pub fn validate_always_restarts(template: &PodTemplateSpec, kind: &str, path: &Path) -> ErrorList {
    let spec_path = path.child("spec");
    let mut errs = Vec::new();
    let policy = restart_policy(template);
    if policy != "Always" {
        errs.push(FieldError::not_supported(
            &spec_path.child("restartPolicy"),
            policy,
            &["Always"],
        ));
    }
    if template
        .spec
        .as_ref()
        .is_some_and(|s| s.active_deadline_seconds.is_some())
    {
        errs.push(FieldError::forbidden(
            &spec_path.child("activeDeadlineSeconds"),
            &format!("activeDeadlineSeconds in {kind} is not Supported"),
        ));
    }
    errs
}

/// Replica counters of a status: each non-negative, and none above `replicas` (upstream's
/// `cannot be greater than status.replicas`).
pub struct Counters<'a> {
    pub path: &'a Path,
    pub errs: ErrorList,
}

impl<'a> Counters<'a> {
    pub fn new(path: &'a Path) -> Self {
        Counters {
            path,
            errs: Vec::new(),
        }
    }

    pub fn nonnegative(&mut self, name: &str, value: Option<i64>) {
        if let Some(v) = value {
            self.errs
                .extend(validate_nonnegative_field(v, &self.path.child(name)));
        }
    }

    /// `name` may not exceed `limit` (named `limit_name` in the message).
    pub fn at_most(&mut self, name: &str, value: i32, limit: i32, limit_name: &str) {
        if value > limit {
            self.errs.push(FieldError::invalid(
                &self.path.child(name),
                value,
                &format!("cannot be greater than {limit_name}"),
            ));
        }
    }

    /// Upstream `IsDecremented` of `collisionCount`.
    pub fn not_decremented(&mut self, new: Option<i32>, old: Option<i32>) {
        if let (Some(o), n) = (old, new)
            && n.is_none_or(|n| n < o)
        {
            self.errs.push(FieldError::invalid(
                &self.path.child("collisionCount"),
                n.unwrap_or(0),
                "cannot be decremented",
            ));
        }
    }
}
