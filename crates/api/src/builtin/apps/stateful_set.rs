//! StatefulSets: defaults (apps/v1 SetDefaults_StatefulSet), validation and the narrow set of
//! spec fields an update may change.

use capstan_apimachinery::labels::Selector;
use capstan_apimachinery::validation::{validate_annotations, validate_labels};
use capstan_apimachinery::{BadValue, ErrorList, FieldError, Path};
use k8s_openapi::api::apps::v1::{
    RollingUpdateStatefulSetStrategy, StatefulSet, StatefulSetPersistentVolumeClaimRetentionPolicy,
    StatefulSetSpec, StatefulSetStatus, StatefulSetUpdateStrategy,
};
use k8s_openapi::api::core::v1::{PersistentVolumeClaimStatus, PodTemplateSpec};

use super::shared::{
    go_quote, int_or_percent_value, int_or_string_value, label_selector_value, nonnegative,
    not_more_than_100_percent, selector_matches_template, validate_positive_int_or_percent,
    validate_workload_selector,
};
use super::template::{
    Counters, default_template, template_warnings, validate_always_restarts, workload_selector,
};
use crate::builtin::core::pvc::default_claim_spec;
use crate::strategy::{TypedStrategy, Warnings};

pub struct StatefulSetStrategy;

const FORBIDDEN_UPDATE: &str = "updates to statefulset spec for fields other than 'replicas', 'ordinals', 'template', 'updateStrategy', 'persistentVolumeClaimRetentionPolicy' and 'minReadySeconds' are forbidden";

impl TypedStrategy<StatefulSet> for StatefulSetStrategy {
    fn warnings(&self, obj: &StatefulSet) -> Warnings {
        obj.spec.as_ref().map_or_else(Vec::new, |s| {
            template_warnings(&s.template, &Path::new("spec").child("template"))
        })
    }

    fn default(&self, s: &mut StatefulSet) {
        default_spec(s.spec.get_or_insert_with(Default::default));
    }

    fn validate(&self, s: &StatefulSet) -> ErrorList {
        validate_spec(&s.spec.clone().unwrap_or_default(), &Path::new("spec"))
    }

    fn validate_update(&self, s: &StatefulSet, old: &StatefulSet) -> ErrorList {
        let spec = s.spec.clone().unwrap_or_default();
        let old_spec = old.spec.clone().unwrap_or_default();
        let mut errs = validate_spec(&spec, &Path::new("spec"));
        // Everything but the mutable fields must stay as stored.
        let mut unchanged = spec;
        unchanged.replicas = old_spec.replicas;
        unchanged.template = old_spec.template.clone();
        unchanged.update_strategy = old_spec.update_strategy.clone();
        unchanged.min_ready_seconds = old_spec.min_ready_seconds;
        unchanged.ordinals = old_spec.ordinals.clone();
        unchanged.persistent_volume_claim_retention_policy =
            old_spec.persistent_volume_claim_retention_policy.clone();
        if unchanged != old_spec {
            errs.push(FieldError::forbidden(&Path::new("spec"), FORBIDDEN_UPDATE));
        }
        errs
    }

    fn validate_status_update(&self, s: &StatefulSet, old: &StatefulSet) -> ErrorList {
        let status = s.status.clone().unwrap_or_default();
        let old_status = old.status.clone().unwrap_or_default();
        let path = Path::new("status");
        let mut c = validate_status(&status, &path);
        c.not_decremented(status.collision_count, old_status.collision_count);
        c.errs
    }
}

fn default_spec(spec: &mut StatefulSetSpec) {
    spec.pod_management_policy
        .get_or_insert_with(|| "OrderedReady".into());
    let strategy = spec.update_strategy.get_or_insert_with(Default::default);
    if strategy.type_.as_deref().unwrap_or("").is_empty() {
        strategy.type_ = Some("RollingUpdate".into());
        strategy.rolling_update.get_or_insert_with(Default::default);
    }
    if strategy.type_.as_deref() == Some("RollingUpdate")
        && let Some(rolling) = strategy.rolling_update.as_mut()
    {
        rolling.partition.get_or_insert(0);
    }
    let retention = spec
        .persistent_volume_claim_retention_policy
        .get_or_insert_with(Default::default);
    for policy in [&mut retention.when_deleted, &mut retention.when_scaled] {
        if policy.as_deref().unwrap_or("").is_empty() {
            *policy = Some("Retain".into());
        }
    }
    spec.replicas.get_or_insert(1);
    spec.revision_history_limit.get_or_insert(10);
    default_template(&mut spec.template);
    // Claim templates carry the PersistentVolumeClaim defaults.
    for claim in spec.volume_claim_templates.iter_mut().flatten() {
        if let Some(s) = claim.spec.as_mut() {
            default_claim_spec(s);
        }
        let status = claim
            .status
            .get_or_insert_with(PersistentVolumeClaimStatus::default);
        status.phase.get_or_insert_with(|| "Pending".into());
    }
}

/// Upstream v1.33 `ValidatePodTemplateSpecForStatefulSet`: the pod spec itself is not
/// validated (v1.34 started to); only the selector match, labels and annotations (reported at
/// `template.labels` / `template.annotations`).
fn validate_template(t: &PodTemplateSpec, selector: &Selector, path: &Path) -> ErrorList {
    let meta = t.metadata.clone().unwrap_or_default();
    let mut errs = selector_matches_template(
        selector,
        meta.labels.as_ref(),
        &path.child("metadata").child("labels"),
    );
    if let Some(labels) = &meta.labels {
        errs.extend(validate_labels(labels, &path.child("labels")));
    }
    if let Some(annotations) = &meta.annotations {
        errs.extend(validate_annotations(
            annotations,
            &path.child("annotations"),
        ));
    }
    errs
}

/// Upstream `ValidateStatefulSetSpec`.
fn validate_spec(spec: &StatefulSetSpec, path: &Path) -> ErrorList {
    let mut errs = Vec::new();
    let policy_path = path.child("podManagementPolicy");
    match spec.pod_management_policy.as_deref().unwrap_or("") {
        "" => errs.push(FieldError::required(&policy_path, "")),
        "OrderedReady" | "Parallel" => {}
        other => errs.push(FieldError::invalid(
            &policy_path,
            other,
            "must be 'OrderedReady' or 'Parallel'",
        )),
    }
    errs.extend(validate_update_strategy(
        &spec.update_strategy.clone().unwrap_or_default(),
        &path.child("updateStrategy"),
    ));
    if let Some(policy) = &spec.persistent_volume_claim_retention_policy {
        errs.extend(validate_retention(
            policy,
            &path.child("persistentVolumeClaimRetentionPolicy"),
        ));
    }
    errs.extend(nonnegative(
        Some(spec.replicas.unwrap_or(0)),
        &path.child("replicas"),
    ));
    errs.extend(nonnegative(
        Some(spec.min_ready_seconds.unwrap_or(0)),
        &path.child("minReadySeconds"),
    ));
    if let Some(ordinals) = &spec.ordinals {
        errs.extend(nonnegative(
            Some(ordinals.start.unwrap_or(0)),
            &path.child("ordinals").child("start"),
        ));
    }
    errs.extend(validate_workload_selector(
        &spec.selector,
        "statefulset",
        &path.child("selector"),
    ));
    match workload_selector(&spec.selector) {
        Some(selector) => errs.extend(validate_template(
            &spec.template,
            &selector,
            &path.child("template"),
        )),
        None => errs.push(FieldError::invalid(
            &path.child("selector"),
            label_selector_value(Some(&spec.selector)),
            "",
        )),
    }
    errs.extend(validate_always_restarts(
        &spec.template,
        "StatefulSet",
        &path.child("template"),
    ));
    errs
}

fn rolling_value(r: Option<&RollingUpdateStatefulSetStrategy>) -> String {
    match r {
        None => "(*apps.RollingUpdateStatefulSetStrategy)(nil)".into(),
        Some(_) => "(*apps.RollingUpdateStatefulSetStrategy)(0xc000000000)".into(),
    }
}

fn validate_update_strategy(s: &StatefulSetUpdateStrategy, path: &Path) -> ErrorList {
    let rolling_path = path.child("rollingUpdate");
    match s.type_.as_deref().unwrap_or("") {
        "" => vec![FieldError::required(path, "")],
        "OnDelete" => match &s.rolling_update {
            Some(r) => vec![FieldError::invalid(
                &rolling_path,
                BadValue::Raw(format!(
                    "apps.RollingUpdateStatefulSetStrategy{{Partition:{}, MaxUnavailable:{}}}",
                    r.partition.unwrap_or(0),
                    if r.max_unavailable.is_some() {
                        "(*intstr.IntOrString)(0xc000000000)"
                    } else {
                        "(*intstr.IntOrString)(nil)"
                    }
                )),
                "only allowed for updateStrategy 'RollingUpdate'",
            )],
            None => Vec::new(),
        },
        "RollingUpdate" => s
            .rolling_update
            .as_ref()
            .map_or_else(Vec::new, |r| validate_rolling_update(r, &rolling_path)),
        other => vec![FieldError::invalid(
            path,
            BadValue::Raw(format!(
                "apps.StatefulSetUpdateStrategy{{Type:{}, RollingUpdate:{}}}",
                go_quote(other),
                rolling_value(s.rolling_update.as_ref())
            )),
            "must be 'RollingUpdate' or 'OnDelete'",
        )],
    }
}

/// Upstream `validateRollingUpdateStatefulSet`.
fn validate_rolling_update(r: &RollingUpdateStatefulSetStrategy, path: &Path) -> ErrorList {
    let mut errs = nonnegative(Some(r.partition.unwrap_or(0)), &path.child("partition"));
    if let Some(max) = &r.max_unavailable {
        let p = path.child("maxUnavailable");
        errs.extend(validate_positive_int_or_percent(max, &p));
        if int_or_percent_value(max) == 0 {
            errs.push(FieldError::invalid(
                &p,
                int_or_string_value(max),
                "cannot be 0",
            ));
        }
        errs.extend(not_more_than_100_percent(max, &p));
    }
    errs
}

fn validate_retention(
    p: &StatefulSetPersistentVolumeClaimRetentionPolicy,
    path: &Path,
) -> ErrorList {
    let supported = ["Retain", "Delete"];
    let mut errs = Vec::new();
    for (name, value) in [
        ("whenDeleted", &p.when_deleted),
        ("whenScaled", &p.when_scaled),
    ] {
        let v = value.as_deref().unwrap_or("");
        if !supported.contains(&v) {
            errs.push(FieldError::not_supported(&path.child(name), v, &supported));
        }
    }
    errs
}

/// Upstream `ValidateStatefulSetStatus`.
fn validate_status<'a>(s: &StatefulSetStatus, path: &'a Path) -> Counters<'a> {
    let mut c = Counters::new(path);
    let n = |v: Option<i32>| Some(i64::from(v.unwrap_or(0)));
    c.nonnegative("replicas", Some(s.replicas.into()));
    c.nonnegative("readyReplicas", n(s.ready_replicas));
    c.nonnegative("currentReplicas", n(s.current_replicas));
    c.nonnegative("updatedReplicas", n(s.updated_replicas));
    c.nonnegative("availableReplicas", n(s.available_replicas));
    c.nonnegative("observedGeneration", s.observed_generation);
    c.nonnegative("collisionCount", s.collision_count.map(i64::from));
    let limit = "status.replicas";
    let ready = s.ready_replicas.unwrap_or(0);
    let available = s.available_replicas.unwrap_or(0);
    c.at_most("readyReplicas", ready, s.replicas, limit);
    c.at_most(
        "currentReplicas",
        s.current_replicas.unwrap_or(0),
        s.replicas,
        limit,
    );
    c.at_most(
        "updatedReplicas",
        s.updated_replicas.unwrap_or(0),
        s.replicas,
        limit,
    );
    c.at_most("availableReplicas", available, s.replicas, limit);
    c.at_most(
        "availableReplicas",
        available,
        ready,
        "status.readyReplicas",
    );
    c
}

#[cfg(test)]
mod tests {
    use serde_json::{Value, json};

    use super::*;
    use crate::builtin::apps::testing::{
        create, create_errors, pod_template, update, update_status,
    };

    fn stateful_set() -> Value {
        json!({
            "metadata": {"name": "db", "namespace": "default"},
            "spec": {
                "serviceName": "db",
                "selector": {"matchLabels": {"app": "db"}},
                "template": pod_template(json!({"app": "db"})),
                "volumeClaimTemplates": [{"metadata": {"name": "data"},
                    "spec": {"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": "1Gi"}}}}]
            }
        })
    }

    fn errors(obj: Value) -> Vec<String> {
        create_errors::<StatefulSet, _>(StatefulSetStrategy, obj)
    }

    #[test]
    fn defaults() {
        let s = create::<StatefulSet, _>(StatefulSetStrategy, stateful_set()).unwrap();
        let spec = &s["spec"];
        assert_eq!(spec["podManagementPolicy"], "OrderedReady");
        assert_eq!(
            spec["updateStrategy"],
            json!({"type": "RollingUpdate", "rollingUpdate": {"partition": 0}})
        );
        assert_eq!(
            spec["persistentVolumeClaimRetentionPolicy"],
            json!({"whenDeleted": "Retain", "whenScaled": "Retain"})
        );
        assert_eq!(spec["replicas"], 1);
        assert_eq!(spec["revisionHistoryLimit"], 10);
        assert_eq!(
            spec["volumeClaimTemplates"][0]["spec"]["volumeMode"],
            "Filesystem"
        );
        assert_eq!(
            spec["volumeClaimTemplates"][0]["status"]["phase"],
            "Pending"
        );
    }

    #[test]
    fn invalid_specs() {
        let mut s = stateful_set();
        s["spec"]["podManagementPolicy"] = json!("Random");
        s["spec"]["persistentVolumeClaimRetentionPolicy"] = json!({"whenDeleted": "Keep"});
        s["spec"]["ordinals"] = json!({"start": -1});
        assert_eq!(
            errors(s),
            vec![
                r#"spec.podManagementPolicy: Invalid value: "Random": must be 'OrderedReady' or 'Parallel'"#,
                r#"spec.persistentVolumeClaimRetentionPolicy.whenDeleted: Unsupported value: "Keep": supported values: "Retain", "Delete""#,
                "spec.ordinals.start: Invalid value: -1: must be greater than or equal to 0",
            ]
        );
        let mut s = stateful_set();
        s["spec"]["updateStrategy"] =
            json!({"type": "OnDelete", "rollingUpdate": {"partition": 1}});
        assert_eq!(
            errors(s),
            vec![
                "spec.updateStrategy.rollingUpdate: Invalid value: apps.RollingUpdateStatefulSetStrategy{Partition:1, MaxUnavailable:(*intstr.IntOrString)(nil)}: only allowed for updateStrategy 'RollingUpdate'"
            ]
        );
        let mut s = stateful_set();
        s["spec"]["updateStrategy"] =
            json!({"rollingUpdate": {"partition": -2, "maxUnavailable": 0}});
        assert_eq!(
            errors(s),
            vec![
                "spec.updateStrategy.rollingUpdate.partition: Invalid value: -2: must be greater than or equal to 0",
                r#"spec.updateStrategy.rollingUpdate.maxUnavailable: Invalid value: intstr.IntOrString{Type:0, IntVal:0, StrVal:""}: cannot be 0"#,
            ]
        );
        let mut s = stateful_set();
        s["spec"]["selector"] = json!({"matchLabels": {}});
        s["spec"]["template"]["spec"]["restartPolicy"] = json!("OnFailure");
        assert_eq!(
            errors(s),
            vec![
                "spec.selector: Invalid value: v1.LabelSelector{MatchLabels:map[string]string{}, MatchExpressions:[]v1.LabelSelectorRequirement(nil)}: empty selector is invalid for statefulset",
                r#"spec.template.spec.restartPolicy: Unsupported value: "OnFailure": supported values: "Always""#,
            ]
        );
    }

    #[test]
    fn pod_spec_is_not_validated_in_v1_33() {
        let mut s = stateful_set();
        s["spec"]["template"]["spec"]["containers"] = json!([]);
        assert!(create::<StatefulSet, _>(StatefulSetStrategy, s).is_ok());
        let mut s = stateful_set();
        s["spec"]["template"]["metadata"]["annotations"] = json!({"bad key!": "x"});
        let errs = errors(s);
        assert_eq!(errs.len(), 1);
        assert!(errs[0].starts_with(r#"spec.template.annotations: Invalid value: "bad key!": "#));
    }

    #[test]
    fn only_some_fields_may_change() {
        let old = create::<StatefulSet, _>(StatefulSetStrategy, stateful_set()).unwrap();
        let mut ok = old.clone();
        ok["spec"]["replicas"] = json!(5);
        ok["spec"]["minReadySeconds"] = json!(3);
        ok["spec"]["updateStrategy"] = json!({"type": "OnDelete"});
        ok["spec"]["persistentVolumeClaimRetentionPolicy"]["whenScaled"] = json!("Delete");
        ok["spec"]["template"]["spec"]["containers"][0]["image"] = json!("nginx:2");
        assert!(update::<StatefulSet, _>(StatefulSetStrategy, ok, &old).is_ok());
        let mut bad = old.clone();
        bad["spec"]["volumeClaimTemplates"][0]["spec"]["resources"]["requests"]["storage"] =
            json!("2Gi");
        assert_eq!(
            update::<StatefulSet, _>(StatefulSetStrategy, bad, &old).unwrap_err(),
            vec![format!("spec: Forbidden: {FORBIDDEN_UPDATE}")]
        );
    }

    #[test]
    fn status_rules() {
        let old = create::<StatefulSet, _>(StatefulSetStrategy, stateful_set()).unwrap();
        let mut new = old.clone();
        new["status"] = json!({"replicas": 2, "readyReplicas": 1, "availableReplicas": 2});
        assert_eq!(
            update_status::<StatefulSet, _>(StatefulSetStrategy, new, &old).unwrap_err(),
            vec![
                "status.availableReplicas: Invalid value: 2: cannot be greater than status.readyReplicas"
            ]
        );
    }
}
