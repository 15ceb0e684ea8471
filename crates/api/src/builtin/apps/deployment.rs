//! Deployments: defaults (apps/v1 SetDefaults_Deployment), validation and update rules
//! (pkg/registry/apps/deployment/strategy.go).

use capstan_apimachinery::validation::validate_nonnegative_field;
use capstan_apimachinery::{BadValue, ErrorList, FieldError, Path};
use k8s_openapi::api::apps::v1::{
    Deployment, DeploymentSpec, DeploymentStatus, DeploymentStrategy as Strategy,
    RollingUpdateDeployment,
};
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;

use super::shared::{
    go_quote, immutable, int_or_percent_value, int_or_string_value, label_selector_value,
    nonnegative, not_more_than_100_percent, validate_positive_int_or_percent,
    validate_workload_selector,
};
use super::template::{
    Counters, default_template, template_warnings, validate_long_running_template,
    workload_selector,
};
use crate::strategy::{TypedStrategy, Warnings};

pub struct DeploymentStrategy;

impl TypedStrategy<Deployment> for DeploymentStrategy {
    fn warnings(&self, obj: &Deployment) -> Warnings {
        template_warnings(&spec_of(obj).template, &Path::new("spec").child("template"))
    }

    fn default(&self, d: &mut Deployment) {
        default_spec(d.spec.get_or_insert_with(Default::default));
    }

    fn validate(&self, d: &Deployment) -> ErrorList {
        validate_spec(&spec_of(d), &Path::new("spec"))
    }

    /// Deployments also count annotation changes as a new generation (rollbacks are requested
    /// through annotations); spec changes are counted by the API server already.
    fn prepare_for_update(&self, d: &mut Deployment, old: &Deployment) {
        let generation = old.metadata.generation.unwrap_or(0);
        if d.metadata.annotations != old.metadata.annotations
            && d.metadata.generation.unwrap_or(0) == generation
        {
            d.metadata.generation = Some(generation + 1);
        }
    }

    fn validate_update(&self, d: &Deployment, old: &Deployment) -> ErrorList {
        let spec = spec_of(d);
        let mut errs = validate_spec(&spec, &Path::new("spec"));
        let old_selector = spec_of(old).selector;
        errs.extend(immutable(
            &spec.selector,
            &old_selector,
            &Path::new("spec").child("selector"),
            || label_selector_value(Some(&spec.selector)),
        ));
        errs
    }

    fn validate_status_update(&self, d: &Deployment, old: &Deployment) -> ErrorList {
        let status = d.status.clone().unwrap_or_default();
        let old_status = old.status.clone().unwrap_or_default();
        let path = Path::new("status");
        let mut c = validate_status(&status, &path);
        c.not_decremented(status.collision_count, old_status.collision_count);
        c.errs
    }
}

fn spec_of(d: &Deployment) -> DeploymentSpec {
    d.spec.clone().unwrap_or_default()
}

fn default_spec(spec: &mut DeploymentSpec) {
    spec.replicas.get_or_insert(1);
    let strategy = spec.strategy.get_or_insert_with(Default::default);
    let kind = strategy.type_.get_or_insert_with(|| "RollingUpdate".into());
    if kind == "RollingUpdate" {
        let rolling = strategy.rolling_update.get_or_insert_with(Default::default);
        rolling
            .max_unavailable
            .get_or_insert_with(|| IntOrString::String("25%".into()));
        rolling
            .max_surge
            .get_or_insert_with(|| IntOrString::String("25%".into()));
    }
    spec.revision_history_limit.get_or_insert(10);
    spec.progress_deadline_seconds.get_or_insert(600);
    default_template(&mut spec.template);
}

/// Upstream `ValidateDeploymentSpec`.
fn validate_spec(spec: &DeploymentSpec, path: &Path) -> ErrorList {
    let mut errs = nonnegative(Some(spec.replicas.unwrap_or(0)), &path.child("replicas"));
    errs.extend(validate_workload_selector(
        &spec.selector,
        "deployment",
        &path.child("selector"),
    ));
    match workload_selector(&spec.selector) {
        Some(selector) => errs.extend(validate_long_running_template(
            &spec.template,
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
    errs.extend(validate_strategy(
        &spec.strategy.clone().unwrap_or_default(),
        &path.child("strategy"),
    ));
    let min_ready = spec.min_ready_seconds.unwrap_or(0);
    errs.extend(validate_nonnegative_field(
        min_ready.into(),
        &path.child("minReadySeconds"),
    ));
    errs.extend(nonnegative(
        spec.revision_history_limit,
        &path.child("revisionHistoryLimit"),
    ));
    if let Some(deadline) = spec.progress_deadline_seconds {
        let p = path.child("progressDeadlineSeconds");
        errs.extend(validate_nonnegative_field(deadline.into(), &p));
        if deadline <= min_ready {
            errs.push(FieldError::invalid(
                &p,
                deadline,
                "must be greater than minReadySeconds",
            ));
        }
    }
    errs
}

/// `%#v` of the internal DeploymentStrategy (upstream reports the whole struct).
fn strategy_value(s: &Strategy) -> BadValue {
    let rolling = if s.rolling_update.is_some() {
        "(*apps.RollingUpdateDeployment)(0xc000000000)"
    } else {
        "(*apps.RollingUpdateDeployment)(nil)"
    };
    BadValue::Raw(format!(
        "apps.DeploymentStrategy{{Type:{}, RollingUpdate:{rolling}}}",
        go_quote(s.type_.as_deref().unwrap_or(""))
    ))
}

/// Upstream `ValidateDeploymentStrategy`.
fn validate_strategy(s: &Strategy, path: &Path) -> ErrorList {
    match s.type_.as_deref().unwrap_or("") {
        "Recreate" => match s.rolling_update {
            Some(_) => vec![FieldError::forbidden(
                &path.child("rollingUpdate"),
                "may not be specified when strategy `type` is 'Recreate'",
            )],
            None => Vec::new(),
        },
        "RollingUpdate" => match &s.rolling_update {
            None => vec![FieldError::required(
                &path.child("rollingUpdate"),
                "this should be defaulted and never be nil",
            )],
            Some(r) => validate_rolling_update(r, &path.child("rollingUpdate")),
        },
        _ => vec![FieldError::not_supported(
            path,
            strategy_value(s),
            &["Recreate", "RollingUpdate"],
        )],
    }
}

/// Upstream `ValidateRollingUpdateDeployment`.
fn validate_rolling_update(r: &RollingUpdateDeployment, path: &Path) -> ErrorList {
    let zero = IntOrString::Int(0);
    let unavailable = r.max_unavailable.as_ref().unwrap_or(&zero);
    let surge = r.max_surge.as_ref().unwrap_or(&zero);
    let unavailable_path = path.child("maxUnavailable");
    let mut errs = validate_positive_int_or_percent(unavailable, &unavailable_path);
    errs.extend(validate_positive_int_or_percent(
        surge,
        &path.child("maxSurge"),
    ));
    if int_or_percent_value(unavailable) == 0 && int_or_percent_value(surge) == 0 {
        errs.push(FieldError::invalid(
            &unavailable_path,
            int_or_string_value(unavailable),
            "may not be 0 when `maxSurge` is 0",
        ));
    }
    errs.extend(not_more_than_100_percent(unavailable, &unavailable_path));
    errs
}

/// Upstream `ValidateDeploymentStatus`.
fn validate_status<'a>(s: &DeploymentStatus, path: &'a Path) -> Counters<'a> {
    let mut c = Counters::new(path);
    let n = |v: Option<i32>| Some(i64::from(v.unwrap_or(0)));
    c.nonnegative(
        "observedGeneration",
        Some(s.observed_generation.unwrap_or(0)),
    );
    c.nonnegative("replicas", n(s.replicas));
    c.nonnegative("updatedReplicas", n(s.updated_replicas));
    c.nonnegative("readyReplicas", n(s.ready_replicas));
    c.nonnegative("availableReplicas", n(s.available_replicas));
    c.nonnegative("unavailableReplicas", n(s.unavailable_replicas));
    c.nonnegative("terminatingReplicas", s.terminating_replicas.map(i64::from));
    c.nonnegative("collisionCount", s.collision_count.map(i64::from));
    let replicas = s.replicas.unwrap_or(0);
    let ready = s.ready_replicas.unwrap_or(0);
    let available = s.available_replicas.unwrap_or(0);
    let limit = "status.replicas";
    c.at_most(
        "updatedReplicas",
        s.updated_replicas.unwrap_or(0),
        replicas,
        limit,
    );
    c.at_most("readyReplicas", ready, replicas, limit);
    c.at_most("availableReplicas", available, replicas, limit);
    c.at_most("availableReplicas", available, ready, "readyReplicas");
    c
}

#[cfg(test)]
#[path = "deployment_tests.rs"]
mod tests;
