//! ReplicaSets: defaults, validation and update rules (pkg/registry/apps/replicaset).

use capstan_apimachinery::{ErrorList, FieldError, Path};
use k8s_openapi::api::apps::v1::{ReplicaSet, ReplicaSetSpec, ReplicaSetStatus};

use super::shared::{immutable, label_selector_value, nonnegative, validate_workload_selector};
use super::template::{
    Counters, default_template, template_warnings, validate_long_running_template,
    workload_selector,
};
use crate::builtin::fields::ReplicaSetFields;
use crate::strategy::{SelectableField, TypedStrategy, Warnings};

pub struct ReplicaSetStrategy;

impl TypedStrategy<ReplicaSet> for ReplicaSetStrategy {
    fn warnings(&self, obj: &ReplicaSet) -> Warnings {
        obj.spec
            .as_ref()
            .and_then(|s| s.template.as_ref())
            .map_or_else(Vec::new, |t| {
                template_warnings(t, &Path::new("spec").child("template"))
            })
    }

    fn default(&self, rs: &mut ReplicaSet) {
        let spec = rs.spec.get_or_insert_with(Default::default);
        spec.replicas.get_or_insert(1);
        if let Some(t) = spec.template.as_mut() {
            default_template(t);
        }
    }

    fn validate(&self, rs: &ReplicaSet) -> ErrorList {
        validate_spec(&rs.spec.clone().unwrap_or_default(), &Path::new("spec"))
    }

    fn validate_update(&self, rs: &ReplicaSet, old: &ReplicaSet) -> ErrorList {
        let spec = rs.spec.clone().unwrap_or_default();
        let mut errs = validate_spec(&spec, &Path::new("spec"));
        let old_selector = old.spec.clone().unwrap_or_default().selector;
        errs.extend(immutable(
            &spec.selector,
            &old_selector,
            &Path::new("spec").child("selector"),
            || label_selector_value(Some(&spec.selector)),
        ));
        errs
    }

    fn validate_status_update(&self, rs: &ReplicaSet, _old: &ReplicaSet) -> ErrorList {
        validate_status(&rs.status.clone().unwrap_or_default(), &Path::new("status"))
    }

    fn selectable_fields(&self) -> &'static [SelectableField] {
        TypedStrategy::<ReplicaSet>::selectable_fields(&ReplicaSetFields)
    }
}

/// Upstream `ValidateReplicaSetSpec` (whose empty-selector message says "deployment").
fn validate_spec(spec: &ReplicaSetSpec, path: &Path) -> ErrorList {
    let mut errs = nonnegative(Some(spec.replicas.unwrap_or(0)), &path.child("replicas"));
    errs.extend(nonnegative(
        Some(spec.min_ready_seconds.unwrap_or(0)),
        &path.child("minReadySeconds"),
    ));
    errs.extend(validate_workload_selector(
        &spec.selector,
        "deployment",
        &path.child("selector"),
    ));
    let template = spec.template.clone().unwrap_or_default();
    match workload_selector(&spec.selector) {
        Some(selector) => errs.extend(validate_long_running_template(
            &template,
            &selector,
            "ReplicaSet",
            &path.child("template"),
        )),
        None => errs.push(FieldError::invalid(
            &path.child("selector"),
            label_selector_value(Some(&spec.selector)),
            "invalid label selector",
        )),
    }
    errs
}

/// Upstream `ValidateReplicaSetStatus`.
fn validate_status(s: &ReplicaSetStatus, path: &Path) -> ErrorList {
    let mut c = Counters::new(path);
    let n = |v: Option<i32>| Some(i64::from(v.unwrap_or(0)));
    c.nonnegative("replicas", Some(s.replicas.into()));
    c.nonnegative("fullyLabeledReplicas", n(s.fully_labeled_replicas));
    c.nonnegative("readyReplicas", n(s.ready_replicas));
    c.nonnegative("availableReplicas", n(s.available_replicas));
    c.nonnegative("terminatingReplicas", s.terminating_replicas.map(i64::from));
    c.nonnegative(
        "observedGeneration",
        Some(s.observed_generation.unwrap_or(0)),
    );
    let limit = "status.replicas";
    let (ready, available) = (
        s.ready_replicas.unwrap_or(0),
        s.available_replicas.unwrap_or(0),
    );
    c.at_most(
        "fullyLabeledReplicas",
        s.fully_labeled_replicas.unwrap_or(0),
        s.replicas,
        limit,
    );
    c.at_most("readyReplicas", ready, s.replicas, limit);
    c.at_most("availableReplicas", available, s.replicas, limit);
    c.at_most("availableReplicas", available, ready, "readyReplicas");
    c.errs
}

#[cfg(test)]
mod tests {
    use serde_json::{Value, json};

    use super::*;
    use crate::builtin::apps::testing::{
        create, create_errors, pod_template, update, update_status,
    };

    fn replica_set() -> Value {
        json!({
            "metadata": {"name": "rs", "namespace": "default"},
            "spec": {
                "selector": {"matchExpressions": [{"key": "app", "operator": "In", "values": ["a"]}]},
                "template": pod_template(json!({"app": "a"}))
            }
        })
    }

    #[test]
    fn defaults_and_valid() {
        let rs = create::<ReplicaSet, _>(ReplicaSetStrategy, replica_set()).unwrap();
        assert_eq!(rs["spec"]["replicas"], 1);
        assert_eq!(rs["spec"]["template"]["spec"]["restartPolicy"], "Always");
    }

    #[test]
    fn invalid_specs() {
        let mut rs = replica_set();
        rs["spec"]["selector"] = json!({"matchExpressions": [{"key": "app", "operator": "Near"}]});
        let errs = create_errors::<ReplicaSet, _>(ReplicaSetStrategy, rs);
        assert_eq!(
            errs[0],
            r#"spec.selector.matchExpressions[0].operator: Invalid value: "Near": not a valid selector operator"#
        );
        assert!(errs[1].ends_with(": invalid label selector"), "{errs:?}");
        let mut rs = replica_set();
        rs["spec"]["minReadySeconds"] = json!(-5);
        assert_eq!(
            create_errors::<ReplicaSet, _>(ReplicaSetStrategy, rs),
            vec!["spec.minReadySeconds: Invalid value: -5: must be greater than or equal to 0"]
        );
        let mut rs = replica_set();
        rs["spec"].as_object_mut().unwrap().remove("template");
        let errs = create_errors::<ReplicaSet, _>(ReplicaSetStrategy, rs);
        assert!(errs.contains(&"spec.template.spec.containers: Required value".to_string()));
    }

    #[test]
    fn update_rules() {
        let old = create::<ReplicaSet, _>(ReplicaSetStrategy, replica_set()).unwrap();
        let mut new = old.clone();
        new["spec"]["selector"] = json!({"matchLabels": {"app": "a"}});
        let errs = update::<ReplicaSet, _>(ReplicaSetStrategy, new, &old).unwrap_err();
        assert!(errs[0].starts_with("spec.selector: Invalid value: v1.LabelSelector{MatchLabels:map[string]string{\"app\":\"a\"}"));
        assert!(errs[0].ends_with("field is immutable"));
        let mut new = old.clone();
        new["status"] = json!({"replicas": 1, "fullyLabeledReplicas": 2});
        assert_eq!(
            update_status::<ReplicaSet, _>(ReplicaSetStrategy, new, &old).unwrap_err(),
            vec![
                "status.fullyLabeledReplicas: Invalid value: 2: cannot be greater than status.replicas"
            ]
        );
    }
}
