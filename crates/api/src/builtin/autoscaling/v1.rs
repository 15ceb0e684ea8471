//! autoscaling/v1 HorizontalPodAutoscalers: the CPU-only form of v2, validated as upstream
//! validates it after conversion (so a bad CPU target is reported at its v2 path).

use capstan_apimachinery::{ErrorList, FieldError, Path};
use k8s_openapi::api::autoscaling::v1::{HorizontalPodAutoscaler, HorizontalPodAutoscalerSpec};

use super::v2::{DEFAULT_CPU_UTILIZATION, validate_reference, validate_replicas};
use crate::builtin::apps::shared::nonnegative;
use crate::strategy::TypedStrategy;

pub struct HpaV1Strategy;

impl TypedStrategy<HorizontalPodAutoscaler> for HpaV1Strategy {
    /// v1 has no metrics list: without a CPU target, the v2 default (80%) is what it reads back.
    fn default(&self, hpa: &mut HorizontalPodAutoscaler) {
        let spec = hpa.spec.get_or_insert_with(Default::default);
        spec.min_replicas.get_or_insert(1);
        spec.target_cpu_utilization_percentage
            .get_or_insert(DEFAULT_CPU_UTILIZATION);
    }

    fn validate(&self, hpa: &HorizontalPodAutoscaler) -> ErrorList {
        validate_spec(&hpa.spec.clone().unwrap_or_default(), 1)
    }

    fn validate_update(
        &self,
        hpa: &HorizontalPodAutoscaler,
        old: &HorizontalPodAutoscaler,
    ) -> ErrorList {
        let old_min = old.spec.as_ref().and_then(|s| s.min_replicas);
        validate_spec(
            &hpa.spec.clone().unwrap_or_default(),
            if old_min == Some(0) { 0 } else { 1 },
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
            Some(status.current_replicas),
            &path.child("currentReplicas"),
        );
        errs.extend(nonnegative(
            Some(status.desired_replicas),
            &path.child("desiredReplicas"),
        ));
        errs
    }
}

fn validate_spec(spec: &HorizontalPodAutoscalerSpec, lower: i32) -> ErrorList {
    let path = Path::new("spec");
    let mut errs = validate_replicas(spec.min_replicas, spec.max_replicas, &path, lower);
    let r = &spec.scale_target_ref;
    errs.extend(validate_reference(
        &r.kind,
        &r.name,
        &path.child("scaleTargetRef"),
    ));
    if let Some(u) = spec.target_cpu_utilization_percentage.filter(|u| *u < 1) {
        errs.push(FieldError::invalid(
            &path
                .child("metrics")
                .index(0)
                .child("resource")
                .child("target")
                .child("averageUtilization"),
            u,
            "must be greater than 0",
        ));
    }
    if spec.min_replicas == Some(0) {
        errs.push(FieldError::forbidden(
            &path.child("metrics"),
            "must specify at least one Object or External metric to support scaling to zero replicas",
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
    fn defaults_and_validation() {
        let hpa = json!({"metadata": {"name": "h", "namespace": "d"},
            "spec": {"maxReplicas": 3, "scaleTargetRef": {"kind": "Deployment", "name": "web", "apiVersion": "apps/v1"}}});
        let stored = create::<HorizontalPodAutoscaler, _>(HpaV1Strategy, hpa.clone()).unwrap();
        assert_eq!(stored["spec"]["minReplicas"], 1);
        assert_eq!(stored["spec"]["targetCPUUtilizationPercentage"], 80);
        let mut bad = hpa;
        bad["spec"]["minReplicas"] = json!(5);
        bad["spec"]["targetCPUUtilizationPercentage"] = json!(0);
        bad["spec"]["scaleTargetRef"]["name"] = json!("a/b");
        assert_eq!(
            create_errors::<HorizontalPodAutoscaler, _>(HpaV1Strategy, bad),
            vec![
                "spec.maxReplicas: Invalid value: 3: must be greater than or equal to `minReplicas`",
                r#"spec.scaleTargetRef.name: Invalid value: "a/b": may not contain '/'"#,
                "spec.metrics[0].resource.target.averageUtilization: Invalid value: 0: must be greater than 0",
            ]
        );
    }
}
