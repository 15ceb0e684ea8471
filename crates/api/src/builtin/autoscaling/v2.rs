//! autoscaling/v2 HorizontalPodAutoscalers: defaults (autoscaling/v2 defaults.go) and
//! validation (pkg/apis/autoscaling/validation).

use capstan_apimachinery::validation::is_valid_path_segment_name;
use capstan_apimachinery::{ErrorList, FieldError, Path};
use k8s_openapi::api::autoscaling::v2::{
    CrossVersionObjectReference, HPAScalingPolicy, HPAScalingRules, HorizontalPodAutoscaler,
    HorizontalPodAutoscalerSpec, MetricSpec, MetricTarget, ResourceMetricSource,
};

use super::metrics::validate_metric;
use crate::builtin::apps::shared::nonnegative;
use crate::strategy::TypedStrategy;

const MAX_PERIOD_SECONDS: i32 = 1800;
const MAX_STABILIZATION_WINDOW_SECONDS: i32 = 3600;
/// The CPU utilization an HPA without metrics targets.
pub const DEFAULT_CPU_UTILIZATION: i32 = 80;

pub struct HpaStrategy;

impl TypedStrategy<HorizontalPodAutoscaler> for HpaStrategy {
    /// `behavior.*.tolerance` belongs to a disabled (alpha) feature.
    fn prepare_for_create(&self, hpa: &mut HorizontalPodAutoscaler) {
        drop_tolerance(hpa, false);
    }

    fn default(&self, hpa: &mut HorizontalPodAutoscaler) {
        let spec = hpa.spec.get_or_insert_with(Default::default);
        spec.min_replicas.get_or_insert(1);
        if spec.metrics.as_ref().is_none_or(|m| m.is_empty()) {
            spec.metrics = Some(vec![MetricSpec {
                type_: "Resource".into(),
                resource: Some(ResourceMetricSource {
                    name: "cpu".into(),
                    target: MetricTarget {
                        type_: "Utilization".into(),
                        average_utilization: Some(DEFAULT_CPU_UTILIZATION),
                        ..Default::default()
                    },
                }),
                ..Default::default()
            }]);
        }
        if let Some(behavior) = spec.behavior.as_mut() {
            behavior.scale_up = Some(fill_rules(behavior.scale_up.take(), scale_up_defaults()));
            behavior.scale_down = Some(fill_rules(
                behavior.scale_down.take(),
                scale_down_defaults(),
            ));
        }
    }

    fn validate(&self, hpa: &HorizontalPodAutoscaler) -> ErrorList {
        validate_spec(&hpa.spec.clone().unwrap_or_default(), &Path::new("spec"), 1)
    }

    fn prepare_for_update(&self, hpa: &mut HorizontalPodAutoscaler, old: &HorizontalPodAutoscaler) {
        drop_tolerance(hpa, uses_tolerance(old));
    }

    /// An HPA already scaled to zero may stay there.
    fn validate_update(
        &self,
        hpa: &HorizontalPodAutoscaler,
        old: &HorizontalPodAutoscaler,
    ) -> ErrorList {
        let old_min = old.spec.as_ref().and_then(|s| s.min_replicas);
        let lower = if old_min == Some(0) { 0 } else { 1 };
        validate_spec(
            &hpa.spec.clone().unwrap_or_default(),
            &Path::new("spec"),
            lower,
        )
    }

    fn validate_status_update(
        &self,
        hpa: &HorizontalPodAutoscaler,
        _old: &HorizontalPodAutoscaler,
    ) -> ErrorList {
        let status = hpa.status.clone().unwrap_or_default();
        let path = Path::new("status");
        let mut errs = nonnegative(
            Some(status.current_replicas.unwrap_or(0)),
            &path.child("currentReplicas"),
        );
        errs.extend(nonnegative(
            Some(status.desired_replicas),
            &path.child("desiredReplicas"),
        ));
        errs
    }
}

fn uses_tolerance(hpa: &HorizontalPodAutoscaler) -> bool {
    hpa.spec
        .as_ref()
        .and_then(|s| s.behavior.as_ref())
        .is_some_and(|b| {
            [&b.scale_up, &b.scale_down]
                .iter()
                .any(|r| r.as_ref().is_some_and(|r| r.tolerance.is_some()))
        })
}

fn drop_tolerance(hpa: &mut HorizontalPodAutoscaler, keep: bool) {
    if keep {
        return;
    }
    if let Some(b) = hpa.spec.as_mut().and_then(|s| s.behavior.as_mut()) {
        for rules in [&mut b.scale_up, &mut b.scale_down].into_iter().flatten() {
            rules.tolerance = None;
        }
    }
}

fn policy(kind: &str, value: i32, period: i32) -> HPAScalingPolicy {
    HPAScalingPolicy {
        type_: kind.into(),
        value,
        period_seconds: period,
    }
}

/// Scale up by at most 4 pods or 100% every 15 seconds, whichever is more, with no
/// stabilization window.
fn scale_up_defaults() -> HPAScalingRules {
    HPAScalingRules {
        stabilization_window_seconds: Some(0),
        select_policy: Some("Max".into()),
        policies: Some(vec![policy("Pods", 4, 15), policy("Percent", 100, 15)]),
        tolerance: None,
    }
}

/// Scale down by at most 100% every 15 seconds; the window is the controller's flag.
fn scale_down_defaults() -> HPAScalingRules {
    HPAScalingRules {
        stabilization_window_seconds: None,
        select_policy: Some("Max".into()),
        policies: Some(vec![policy("Percent", 100, 15)]),
        tolerance: None,
    }
}

/// Upstream `copyHPAScalingRules`: the given fields over the defaults.
fn fill_rules(given: Option<HPAScalingRules>, mut rules: HPAScalingRules) -> HPAScalingRules {
    if let Some(g) = given {
        if g.select_policy.is_some() {
            rules.select_policy = g.select_policy;
        }
        if g.stabilization_window_seconds.is_some() {
            rules.stabilization_window_seconds = g.stabilization_window_seconds;
        }
        if g.policies.is_some() {
            rules.policies = g.policies;
        }
        if g.tolerance.is_some() {
            rules.tolerance = g.tolerance;
        }
    }
    rules
}

/// Upstream `validateHorizontalPodAutoscalerSpec`.
pub fn validate_spec(
    spec: &HorizontalPodAutoscalerSpec,
    path: &Path,
    min_lower_bound: i32,
) -> ErrorList {
    let mut errs = validate_replicas(spec.min_replicas, spec.max_replicas, path, min_lower_bound);
    errs.extend(validate_object_reference(
        &spec.scale_target_ref,
        &path.child("scaleTargetRef"),
    ));
    let metrics_path = path.child("metrics");
    let metrics = spec.metrics.as_deref().unwrap_or(&[]);
    for (i, m) in metrics.iter().enumerate() {
        errs.extend(validate_metric(m, &metrics_path.index(i)));
    }
    if spec.min_replicas == Some(0)
        && !metrics
            .iter()
            .any(|m| m.type_ == "Object" || m.type_ == "External")
    {
        errs.push(FieldError::forbidden(
            &metrics_path,
            "must specify at least one Object or External metric to support scaling to zero replicas",
        ));
    }
    if let Some(b) = &spec.behavior {
        let bp = path.child("behavior");
        if let Some(r) = &b.scale_up {
            errs.extend(validate_rules(r, &bp.child("scaleUp")));
        }
        if let Some(r) = &b.scale_down {
            errs.extend(validate_rules(r, &bp.child("scaleDown")));
        }
    }
    errs
}

/// The replica bounds (shared with autoscaling/v1).
pub fn validate_replicas(min: Option<i32>, max: i32, path: &Path, lower: i32) -> ErrorList {
    let mut errs = Vec::new();
    if let Some(m) = min.filter(|m| *m < lower) {
        errs.push(FieldError::invalid(
            &path.child("minReplicas"),
            m,
            &format!("must be greater than or equal to {lower}"),
        ));
    }
    let max_path = path.child("maxReplicas");
    if max < 1 {
        errs.push(FieldError::invalid(
            &max_path,
            max,
            "must be greater than 0",
        ));
    }
    if min.is_some_and(|m| max < m) {
        errs.push(FieldError::invalid(
            &max_path,
            max,
            "must be greater than or equal to `minReplicas`",
        ));
    }
    errs
}

pub(super) fn path_segment(value: &str, path: &Path, errs: &mut ErrorList) {
    for msg in is_valid_path_segment_name(value) {
        errs.push(FieldError::invalid(path, value, &msg));
    }
}

/// Upstream `ValidateCrossVersionObjectReference` (kind and name are URL path segments).
pub fn validate_reference(kind: &str, name: &str, path: &Path) -> ErrorList {
    let mut errs = Vec::new();
    if kind.is_empty() {
        errs.push(FieldError::required(&path.child("kind"), ""));
    } else {
        path_segment(kind, &path.child("kind"), &mut errs);
    }
    if name.is_empty() {
        errs.push(FieldError::required(&path.child("name"), ""));
    } else {
        path_segment(name, &path.child("name"), &mut errs);
    }
    errs
}

fn validate_object_reference(r: &CrossVersionObjectReference, path: &Path) -> ErrorList {
    validate_reference(&r.kind, &r.name, path)
}

fn validate_rules(rules: &HPAScalingRules, path: &Path) -> ErrorList {
    let mut errs = Vec::new();
    if let Some(w) = rules.stabilization_window_seconds {
        let p = path.child("stabilizationWindowSeconds");
        if w < 0 {
            errs.push(FieldError::invalid(
                &p,
                w,
                "must be greater than or equal to zero",
            ));
        }
        if w > MAX_STABILIZATION_WINDOW_SECONDS {
            errs.push(FieldError::invalid(
                &p,
                w,
                &format!("must be less than or equal to {MAX_STABILIZATION_WINDOW_SECONDS}"),
            ));
        }
    }
    if let Some(select) = rules.select_policy.as_deref()
        && !["Disabled", "Max", "Min"].contains(&select)
    {
        errs.push(FieldError::not_supported(
            &path.child("selectPolicy"),
            select,
            &["Disabled", "Max", "Min"],
        ));
    }
    let policies_path = path.child("policies");
    let policies = rules.policies.as_deref().unwrap_or(&[]);
    if policies.is_empty() {
        errs.push(FieldError::required(
            &policies_path,
            "must specify at least one Policy",
        ));
    }
    for (i, p) in policies.iter().enumerate() {
        let pp = policies_path.index(i);
        if p.type_ != "Pods" && p.type_ != "Percent" {
            errs.push(FieldError::not_supported(
                &pp.child("type"),
                p.type_.as_str(),
                &["Percent", "Pods"],
            ));
        }
        if p.value <= 0 {
            errs.push(FieldError::invalid(
                &pp.child("value"),
                p.value,
                "must be greater than zero",
            ));
        }
        let period = pp.child("periodSeconds");
        if p.period_seconds <= 0 {
            errs.push(FieldError::invalid(
                &period,
                p.period_seconds,
                "must be greater than zero",
            ));
        }
        if p.period_seconds > MAX_PERIOD_SECONDS {
            errs.push(FieldError::invalid(
                &period,
                p.period_seconds,
                &format!("must be less than or equal to {MAX_PERIOD_SECONDS}"),
            ));
        }
    }
    errs
}

#[cfg(test)]
#[path = "v2_tests.rs"]
mod tests;
