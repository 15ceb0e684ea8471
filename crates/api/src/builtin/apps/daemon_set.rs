//! DaemonSets: defaults, validation, and the template generation upstream keeps in the
//! `deprecated.daemonset.template.generation` annotation of apps/v1 objects.

use capstan_apimachinery::labels::Selector;
use capstan_apimachinery::validation::{LabelSelectorValidationOptions, validate_label_selector};
use capstan_apimachinery::{BadValue, ErrorList, FieldError, Path};
use k8s_openapi::api::apps::v1::{
    DaemonSet, DaemonSetSpec, DaemonSetStatus, DaemonSetUpdateStrategy, RollingUpdateDaemonSet,
};
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;

use super::shared::{
    as_selector, go_quote, immutable, int_or_percent_value, int_or_string_value,
    label_selector_value, nonnegative, not_more_than_100_percent, selector_empty,
    selector_matches_template, selector_unset, validate_positive_int_or_percent,
};
use super::template::{
    Counters, default_template, template_warnings, validate_always_restarts, validate_template,
};
use crate::strategy::{TypedStrategy, Warnings};

/// The annotation apps/v1 stores the internal `spec.templateGeneration` in.
pub const TEMPLATE_GENERATION: &str = "deprecated.daemonset.template.generation";

pub struct DaemonSetStrategy;

impl TypedStrategy<DaemonSet> for DaemonSetStrategy {
    fn warnings(&self, obj: &DaemonSet) -> Warnings {
        obj.spec.as_ref().map_or_else(Vec::new, |s| {
            template_warnings(&s.template, &Path::new("spec").child("template"))
        })
    }

    fn prepare_for_create(&self, ds: &mut DaemonSet) {
        set_template_generation(ds, 1);
    }

    fn default(&self, ds: &mut DaemonSet) {
        let spec = ds.spec.get_or_insert_with(Default::default);
        let strategy = spec.update_strategy.get_or_insert_with(Default::default);
        let kind = strategy.type_.get_or_insert_with(|| "RollingUpdate".into());
        if kind == "RollingUpdate" {
            let rolling = strategy.rolling_update.get_or_insert_with(Default::default);
            rolling.max_unavailable.get_or_insert(IntOrString::Int(1));
            rolling.max_surge.get_or_insert(IntOrString::Int(0));
        }
        spec.revision_history_limit.get_or_insert(10);
        default_template(&mut spec.template);
    }

    fn validate(&self, ds: &DaemonSet) -> ErrorList {
        validate_spec(&ds.spec.clone().unwrap_or_default(), &Path::new("spec"))
    }

    /// The template generation is the server's: carried over, and advanced with the template.
    fn prepare_for_update(&self, ds: &mut DaemonSet, old: &DaemonSet) {
        let generation = template_generation(old);
        let template = |d: &DaemonSet| d.spec.as_ref().map(|s| s.template.clone());
        if template(ds) != template(old) {
            set_template_generation(ds, generation + 1);
            // A template change is a spec change: the API server has already counted it.
        } else {
            set_template_generation(ds, generation);
        }
    }

    fn validate_update(&self, ds: &DaemonSet, old: &DaemonSet) -> ErrorList {
        let spec = ds.spec.clone().unwrap_or_default();
        let old_selector = old.spec.clone().unwrap_or_default().selector;
        let mut errs = validate_spec(&spec, &Path::new("spec"));
        errs.extend(immutable(
            &spec.selector,
            &old_selector,
            &Path::new("spec").child("selector"),
            || label_selector_value(Some(&spec.selector)),
        ));
        errs
    }

    fn validate_status_update(&self, ds: &DaemonSet, old: &DaemonSet) -> ErrorList {
        let status = ds.status.clone().unwrap_or_default();
        let old_status = old.status.clone().unwrap_or_default();
        let path = Path::new("status");
        let mut c = validate_status(&status, &path);
        c.not_decremented(status.collision_count, old_status.collision_count);
        c.errs
    }
}

fn template_generation(ds: &DaemonSet) -> i64 {
    ds.metadata
        .annotations
        .as_ref()
        .and_then(|a| a.get(TEMPLATE_GENERATION))
        .and_then(|v| v.parse().ok())
        .unwrap_or(0)
}

fn set_template_generation(ds: &mut DaemonSet, generation: i64) {
    ds.metadata
        .annotations
        .get_or_insert_with(Default::default)
        .insert(TEMPLATE_GENERATION.into(), generation.to_string());
}

/// Upstream `ValidateDaemonSetSpec`. A DaemonSet without a selector matches no template, which
/// is the error upstream reports for it.
fn validate_spec(spec: &DaemonSetSpec, path: &Path) -> ErrorList {
    let selector_path = path.child("selector");
    let mut errs = if selector_unset(&spec.selector) {
        Vec::new()
    } else {
        validate_label_selector(
            Some(&spec.selector),
            LabelSelectorValidationOptions::default(),
            &selector_path,
        )
    };
    let selector = if selector_unset(&spec.selector) {
        Some(Selector::nothing())
    } else {
        as_selector(&spec.selector)
    };
    let labels = spec
        .template
        .metadata
        .as_ref()
        .and_then(|m| m.labels.as_ref());
    if let Some(selector) = selector {
        errs.extend(selector_matches_template(
            &selector,
            labels,
            &path.child("template").child("metadata").child("labels"),
        ));
    }
    if !selector_unset(&spec.selector) && selector_empty(&spec.selector) {
        errs.push(FieldError::invalid(
            &selector_path,
            label_selector_value(Some(&spec.selector)),
            "empty selector is invalid for daemonset",
        ));
    }
    let template_path = path.child("template");
    errs.extend(validate_template(&spec.template, &template_path));
    errs.extend(validate_always_restarts(
        &spec.template,
        "DaemonSet",
        &template_path,
    ));
    errs.extend(nonnegative(
        Some(spec.min_ready_seconds.unwrap_or(0)),
        &path.child("minReadySeconds"),
    ));
    errs.extend(validate_update_strategy(
        &spec.update_strategy.clone().unwrap_or_default(),
        &path.child("updateStrategy"),
    ));
    errs.extend(nonnegative(
        spec.revision_history_limit,
        &path.child("revisionHistoryLimit"),
    ));
    errs
}

/// Upstream `ValidateDaemonSetUpdateStrategy`.
fn validate_update_strategy(s: &DaemonSetUpdateStrategy, path: &Path) -> ErrorList {
    match s.type_.as_deref().unwrap_or("") {
        "OnDelete" => Vec::new(),
        "RollingUpdate" => match &s.rolling_update {
            None => vec![FieldError::required(&path.child("rollingUpdate"), "")],
            Some(r) => validate_rolling_update(r, &path.child("rollingUpdate")),
        },
        other => {
            let rolling = if s.rolling_update.is_some() {
                "(*apps.RollingUpdateDaemonSet)(0xc000000000)"
            } else {
                "(*apps.RollingUpdateDaemonSet)(nil)"
            };
            vec![FieldError::not_supported(
                path,
                BadValue::Raw(format!(
                    "apps.DaemonSetUpdateStrategy{{Type:{}, RollingUpdate:{rolling}}}",
                    go_quote(other)
                )),
                &["RollingUpdate", "OnDelete"],
            )]
        }
    }
}

/// Upstream `ValidateRollingUpdateDaemonSet`: exactly one of maxUnavailable and maxSurge is
/// non-zero.
fn validate_rolling_update(r: &RollingUpdateDaemonSet, path: &Path) -> ErrorList {
    let zero = IntOrString::Int(0);
    let unavailable = r.max_unavailable.as_ref().unwrap_or(&zero);
    let surge = r.max_surge.as_ref().unwrap_or(&zero);
    let (unavailable_path, surge_path) = (path.child("maxUnavailable"), path.child("maxSurge"));
    let mut errs = validate_positive_int_or_percent(unavailable, &unavailable_path);
    errs.extend(validate_positive_int_or_percent(surge, &surge_path));
    errs.extend(not_more_than_100_percent(unavailable, &unavailable_path));
    errs.extend(not_more_than_100_percent(surge, &surge_path));
    let has_unavailable = int_or_percent_value(unavailable) != 0;
    let has_surge = int_or_percent_value(surge) != 0;
    if has_unavailable && has_surge {
        errs.push(FieldError::invalid(
            &surge_path,
            int_or_string_value(surge),
            "may not be set when maxUnavailable is non-zero",
        ));
    } else if !has_unavailable && !has_surge {
        errs.push(FieldError::required(
            &unavailable_path,
            "cannot be 0 when maxSurge is 0",
        ));
    }
    errs
}

/// Upstream `validateDaemonSetStatus`.
fn validate_status<'a>(s: &DaemonSetStatus, path: &'a Path) -> Counters<'a> {
    let mut c = Counters::new(path);
    let n = |v: Option<i32>| Some(i64::from(v.unwrap_or(0)));
    c.nonnegative(
        "currentNumberScheduled",
        Some(s.current_number_scheduled.into()),
    );
    c.nonnegative("numberMisscheduled", Some(s.number_misscheduled.into()));
    c.nonnegative(
        "desiredNumberScheduled",
        Some(s.desired_number_scheduled.into()),
    );
    c.nonnegative("numberReady", Some(s.number_ready.into()));
    c.nonnegative(
        "observedGeneration",
        Some(s.observed_generation.unwrap_or(0)),
    );
    c.nonnegative("updatedNumberScheduled", n(s.updated_number_scheduled));
    c.nonnegative("numberAvailable", n(s.number_available));
    c.nonnegative("numberUnavailable", n(s.number_unavailable));
    c.nonnegative("collisionCount", s.collision_count.map(i64::from));
    c
}

#[cfg(test)]
mod tests {
    use serde_json::{Value, json};

    use super::*;
    use crate::builtin::apps::testing::{create, create_errors, pod_template, update};

    fn daemon_set() -> Value {
        json!({
            "metadata": {"name": "agent", "namespace": "kube-system"},
            "spec": {
                "selector": {"matchLabels": {"app": "agent"}},
                "template": pod_template(json!({"app": "agent"}))
            }
        })
    }

    #[test]
    fn defaults_and_template_generation() {
        let ds = create::<DaemonSet, _>(DaemonSetStrategy, daemon_set()).unwrap();
        assert_eq!(
            ds["spec"]["updateStrategy"],
            json!({"type": "RollingUpdate", "rollingUpdate": {"maxUnavailable": 1, "maxSurge": 0}})
        );
        assert_eq!(ds["spec"]["revisionHistoryLimit"], 10);
        assert_eq!(ds["metadata"]["annotations"][TEMPLATE_GENERATION], "1");

        let mut changed = ds.clone();
        changed["spec"]["template"]["spec"]["containers"][0]["image"] = json!("agent:2");
        changed["metadata"]["annotations"][TEMPLATE_GENERATION] = json!("7");
        let changed = update::<DaemonSet, _>(DaemonSetStrategy, changed, &ds).unwrap();
        assert_eq!(changed["metadata"]["annotations"][TEMPLATE_GENERATION], "2");

        let mut same = changed.clone();
        same["metadata"]["annotations"]
            .as_object_mut()
            .unwrap()
            .remove(TEMPLATE_GENERATION);
        let same = update::<DaemonSet, _>(DaemonSetStrategy, same, &changed).unwrap();
        assert_eq!(same["metadata"]["annotations"][TEMPLATE_GENERATION], "2");
    }

    #[test]
    fn invalid_specs() {
        let mut ds = daemon_set();
        ds["spec"].as_object_mut().unwrap().remove("selector");
        assert_eq!(
            create_errors::<DaemonSet, _>(DaemonSetStrategy, ds),
            vec![
                r#"spec.template.metadata.labels: Invalid value: map[string]string{"app":"agent"}: `selector` does not match template `labels`"#
            ]
        );
        let mut ds = daemon_set();
        ds["spec"]["updateStrategy"] =
            json!({"rollingUpdate": {"maxUnavailable": 1, "maxSurge": "10%"}});
        assert_eq!(
            create_errors::<DaemonSet, _>(DaemonSetStrategy, ds),
            vec![
                r#"spec.updateStrategy.rollingUpdate.maxSurge: Invalid value: intstr.IntOrString{Type:1, IntVal:0, StrVal:"10%"}: may not be set when maxUnavailable is non-zero"#
            ]
        );
        let mut ds = daemon_set();
        ds["spec"]["updateStrategy"] =
            json!({"rollingUpdate": {"maxUnavailable": 0, "maxSurge": 0}});
        assert_eq!(
            create_errors::<DaemonSet, _>(DaemonSetStrategy, ds),
            vec![
                "spec.updateStrategy.rollingUpdate.maxUnavailable: Required value: cannot be 0 when maxSurge is 0"
            ]
        );
        let mut ds = daemon_set();
        ds["spec"]["template"]["spec"]["activeDeadlineSeconds"] = json!(10);
        assert_eq!(
            create_errors::<DaemonSet, _>(DaemonSetStrategy, ds),
            vec![
                "spec.template.spec.activeDeadlineSeconds: Forbidden: activeDeadlineSeconds in DaemonSet is not Supported"
            ]
        );
    }

    #[test]
    fn selector_is_immutable() {
        let old = create::<DaemonSet, _>(DaemonSetStrategy, daemon_set()).unwrap();
        let mut new = old.clone();
        new["spec"]["selector"] = json!({"matchLabels": {"app": "agent", "x": "y"}});
        new["spec"]["template"]["metadata"]["labels"]["x"] = json!("y");
        let errs = update::<DaemonSet, _>(DaemonSetStrategy, new, &old).unwrap_err();
        assert_eq!(errs.len(), 1);
        assert!(errs[0].ends_with(": field is immutable"), "{errs:?}");
    }
}
