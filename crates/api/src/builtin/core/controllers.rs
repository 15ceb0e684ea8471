//! PodTemplates and ReplicationControllers (upstream SetDefaults_ReplicationController,
//! ValidatePodTemplate, ValidateReplicationController[Update|StatusUpdate]).

use std::collections::BTreeMap;

use capstan_apimachinery::{ErrorList, FieldError, Path};
use k8s_openapi::api::core::v1::{PodTemplate, ReplicationController, ReplicationControllerSpec};

use super::common::{go_string_map, nonnegative, not_supported, s};
use super::pod::{default_pod_template_spec, pod_template_warnings, validate_pod_template_spec};
use crate::strategy::{SelectableField, TypedStrategy, Warnings};

pub struct PodTemplateStrategy;
pub struct ReplicationControllerStrategy;

pub const RC_FIELDS: &[SelectableField] = &[SelectableField::string(
    "status.replicas",
    "/status/replicas",
)];

impl TypedStrategy<PodTemplate> for PodTemplateStrategy {
    fn default(&self, t: &mut PodTemplate) {
        default_pod_template_spec(t.template.get_or_insert_with(Default::default));
    }

    fn validate(&self, t: &PodTemplate) -> ErrorList {
        validate_pod_template_spec(
            &t.template.clone().unwrap_or_default(),
            &Path::new("template"),
        )
    }

    fn warnings(&self, t: &PodTemplate) -> Warnings {
        t.template
            .as_ref()
            .map(|tp| pod_template_warnings(tp, &Path::new("template")))
            .unwrap_or_default()
    }
}

/// Upstream SetDefaults_ReplicationController: selector and labels come from the template.
pub fn default_replication_controller(rc: &mut ReplicationController) {
    let spec = rc.spec.get_or_insert_with(Default::default);
    let labels = spec
        .template
        .as_ref()
        .and_then(|t| t.metadata.as_ref())
        .and_then(|m| m.labels.clone());
    if let Some(labels) = labels {
        if spec.selector.as_ref().is_none_or(|sel| sel.is_empty()) {
            spec.selector = Some(labels.clone());
        }
        if rc.metadata.labels.as_ref().is_none_or(|l| l.is_empty()) {
            rc.metadata.labels = Some(labels);
        }
    }
    spec.replicas.get_or_insert(1);
    if let Some(t) = spec.template.as_mut() {
        default_pod_template_spec(t);
    }
}

/// Upstream ValidateReplicationControllerSpec.
pub fn validate_rc_spec(spec: &ReplicationControllerSpec, path: &Path) -> ErrorList {
    let mut errs = nonnegative(
        spec.min_ready_seconds.unwrap_or(0).into(),
        &path.child("minReadySeconds"),
    );
    let selector = spec.selector.clone().unwrap_or_default();
    if selector.is_empty() {
        errs.push(FieldError::required(&path.child("selector"), ""));
    }
    errs.extend(nonnegative(
        spec.replicas.unwrap_or(0).into(),
        &path.child("replicas"),
    ));
    let tp = path.child("template");
    let Some(template) = &spec.template else {
        errs.push(FieldError::required(&tp, ""));
        return errs;
    };
    let labels = template
        .metadata
        .as_ref()
        .and_then(|m| m.labels.clone())
        .unwrap_or_default();
    if !selector.is_empty() && !selector.iter().all(|(k, v)| labels.get(k) == Some(v)) {
        errs.push(FieldError::invalid(
            &tp.child("metadata").child("labels"),
            go_string_map(&labels),
            "`selector` does not match template `labels`",
        ));
    }
    errs.extend(validate_pod_template_spec(template, &tp));
    let pod_spec = template.spec.clone().unwrap_or_default();
    let restart = s(&pod_spec.restart_policy);
    if restart != "Always" {
        errs.push(not_supported(
            &tp.child("spec").child("restartPolicy"),
            restart,
            &["Always"],
        ));
    }
    if pod_spec.active_deadline_seconds.is_some() {
        errs.push(FieldError::forbidden(
            &tp.child("spec").child("activeDeadlineSeconds"),
            "activeDeadlineSeconds in ReplicationController is not Supported",
        ));
    }
    errs
}

const NON_CONVERTIBLE_PREFIX: &str = "non-convertible.kubernetes.io";

impl TypedStrategy<ReplicationController> for ReplicationControllerStrategy {
    fn prepare_for_create(&self, rc: &mut ReplicationController) {
        rc.status = Some(Default::default());
    }

    fn default(&self, rc: &mut ReplicationController) {
        default_replication_controller(rc);
    }

    fn validate(&self, rc: &ReplicationController) -> ErrorList {
        validate_rc_spec(&rc.spec.clone().unwrap_or_default(), &Path::new("spec"))
    }

    fn warnings(&self, rc: &ReplicationController) -> Warnings {
        let template = rc.spec.as_ref().and_then(|sp| sp.template.as_ref());
        template
            .map(|t| pod_template_warnings(t, &Path::new("spec").child("template")))
            .unwrap_or_default()
    }

    fn prepare_for_update(&self, rc: &mut ReplicationController, old: &ReplicationController) {
        rc.status = old.status.clone();
    }

    /// Upstream validates the spec twice on update (create rules, then update rules), and
    /// guards selectors marked non-convertible.
    fn validate_update(
        &self,
        rc: &ReplicationController,
        old: &ReplicationController,
    ) -> ErrorList {
        let mut errs = self.validate(rc);
        errs.extend(self.validate(rc));
        let empty = BTreeMap::new();
        for (key, value) in old.metadata.annotations.as_ref().unwrap_or(&empty) {
            if !key.starts_with(NON_CONVERTIBLE_PREFIX) {
                continue;
            }
            let Some((_, broken)) = key.split_once('/') else {
                continue;
            };
            if broken.contains("selector") {
                let (new_sel, old_sel) = (
                    rc.spec.as_ref().and_then(|sp| sp.selector.clone()),
                    old.spec.as_ref().and_then(|sp| sp.selector.clone()),
                );
                if new_sel != old_sel {
                    errs.push(FieldError::invalid(
                        &Path::new("spec").child("selector"),
                        go_string_map(&new_sel.unwrap_or_default()),
                        "cannot update non-convertible selector",
                    ));
                }
            } else {
                let mut e = FieldError::not_found(&Path::new(broken), value.as_str());
                e.detail = "unknown non-convertible field".into();
                errs.push(e);
            }
        }
        errs
    }

    fn prepare_for_status_update(
        &self,
        rc: &mut ReplicationController,
        old: &ReplicationController,
    ) {
        rc.spec = old.spec.clone();
    }

    fn validate_status_update(
        &self,
        rc: &ReplicationController,
        _old: &ReplicationController,
    ) -> ErrorList {
        let st = rc.status.clone().unwrap_or_default();
        let p = Path::new("status");
        let mut errs = Vec::new();
        let fields = [
            (i64::from(st.replicas), "replicas"),
            (
                st.fully_labeled_replicas.unwrap_or(0).into(),
                "fullyLabeledReplicas",
            ),
            (st.ready_replicas.unwrap_or(0).into(), "readyReplicas"),
            (
                st.available_replicas.unwrap_or(0).into(),
                "availableReplicas",
            ),
            (st.observed_generation.unwrap_or(0), "observedGeneration"),
        ];
        for (v, f) in fields {
            errs.extend(nonnegative(v, &p.child(f)));
        }
        let (replicas, ready, available) = (
            st.replicas,
            st.ready_replicas.unwrap_or(0),
            st.available_replicas.unwrap_or(0),
        );
        let msg = "cannot be greater than status.replicas";
        for (v, f) in [
            (
                st.fully_labeled_replicas.unwrap_or(0),
                "fullyLabeledReplicas",
            ),
            (ready, "readyReplicas"),
            (available, "availableReplicas"),
        ] {
            if v > replicas {
                errs.push(FieldError::invalid(&p.child(f), v, msg));
            }
        }
        if available > ready {
            errs.push(FieldError::invalid(
                &p.child("availableReplicas"),
                available,
                "cannot be greater than readyReplicas",
            ));
        }
        errs
    }

    fn selectable_fields(&self) -> &'static [SelectableField] {
        RC_FIELDS
    }
}

#[cfg(test)]
#[path = "controllers_tests.rs"]
mod tests;
