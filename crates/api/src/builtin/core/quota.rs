//! LimitRanges and ResourceQuotas (upstream SetDefaults_LimitRangeItem, ValidateLimitRange,
//! ValidateResourceQuota[Update|StatusUpdate]).

use std::collections::{BTreeMap, BTreeSet};

use capstan_apimachinery::validation::is_qualified_name;
use capstan_apimachinery::{ErrorList, FieldError, Path, Quantity};
use k8s_openapi::api::core::v1::{LimitRange, LimitRangeItem, ResourceQuota, ResourceQuotaSpec};

use super::common::{invalid_each, json_value};
use super::resources::{
    ResourceList, is_overcommit_allowed, is_standard_quota_resource, parse, round_up_to_milli,
    validate_container_resource_name, validate_quantity_value, validate_quota_resource_name,
    validate_resource_name,
};
use crate::strategy::TypedStrategy;

pub struct LimitRangeStrategy;
pub struct ResourceQuotaStrategy;

/// Upstream SetDefaults_LimitRangeItem: container limits default from max, requests from
/// the default limit or the minimum.
fn default_item(item: &mut LimitRangeItem) {
    for list in [
        &mut item.default,
        &mut item.default_request,
        &mut item.max,
        &mut item.min,
        &mut item.max_limit_request_ratio,
    ] {
        round_up_to_milli(list);
    }
    if item.type_ != "Container" {
        return;
    }
    let max = item.max.clone().unwrap_or_default();
    let min = item.min.clone().unwrap_or_default();
    let default = item.default.get_or_insert_with(BTreeMap::new);
    for (k, v) in max {
        default.entry(k).or_insert(v);
    }
    let default = default.clone();
    let request = item.default_request.get_or_insert_with(BTreeMap::new);
    for (k, v) in default.into_iter().chain(min) {
        request.entry(k).or_insert(v);
    }
    // Empty maps are not written out, as upstream omits them.
    for list in [&mut item.default, &mut item.default_request] {
        if list.as_ref().is_some_and(|l| l.is_empty()) {
            *list = None;
        }
    }
}

fn validate_type_name(t: &str, path: &Path) -> ErrorList {
    let errs = invalid_each(path, t, is_qualified_name(t));
    if !errs.is_empty() {
        return errs;
    }
    if !t.contains('/') && !["Pod", "Container", "PersistentVolumeClaim"].contains(&t) {
        return vec![FieldError::invalid(
            path,
            t,
            "must be a standard limit type or fully qualified",
        )];
    }
    Vec::new()
}

fn resource_name(limit_type: &str, name: &str, path: &Path) -> ErrorList {
    if limit_type == "Pod" || limit_type == "Container" {
        validate_container_resource_name(name, path)
    } else {
        validate_resource_name(name, path)
    }
}

/// Upstream ValidateLimitRange.
pub fn validate_limit_range(lr: &LimitRange) -> ErrorList {
    let mut errs = Vec::new();
    let path = Path::new("spec").child("limits");
    let mut types = BTreeSet::new();
    let items = lr
        .spec
        .as_ref()
        .map(|sp| sp.limits.clone())
        .unwrap_or_default();
    for (i, item) in items.iter().enumerate() {
        let p = path.index(i);
        let t = item.type_.as_str();
        errs.extend(validate_type_name(t, &p.child("type")));
        if !types.insert(t) {
            errs.push(FieldError::duplicate(&p.child("type"), t));
        }
        let mut keys = BTreeSet::new();
        let mut lists: BTreeMap<&str, BTreeMap<String, Quantity>> = BTreeMap::new();
        let mut collect =
            |list: &Option<ResourceList>, field: &'static str, errs: &mut ErrorList| {
                for (k, q) in list.iter().flatten() {
                    let kp = p.child(field).key(k);
                    errs.extend(resource_name(t, k, &kp));
                    keys.insert(k.clone());
                    match parse(q, &kp) {
                        Ok(v) => {
                            lists.entry(field).or_default().insert(k.clone(), v);
                        }
                        Err(e) => errs.push(e),
                    }
                }
            };
        collect(&item.max, "max", &mut errs);
        collect(&item.min, "min", &mut errs);
        if t == "Pod" {
            if item.default.as_ref().is_some_and(|d| !d.is_empty()) {
                errs.push(FieldError::forbidden(
                    &p.child("default"),
                    "may not be specified when `type` is 'Pod'",
                ));
            }
            if item.default_request.as_ref().is_some_and(|d| !d.is_empty()) {
                errs.push(FieldError::forbidden(
                    &p.child("defaultRequest"),
                    "may not be specified when `type` is 'Pod'",
                ));
            }
        } else {
            collect(&item.default, "default", &mut errs);
            collect(&item.default_request, "defaultRequest", &mut errs);
        }
        if t == "PersistentVolumeClaim" {
            let has =
                |l: &Option<ResourceList>| l.as_ref().is_some_and(|m| m.contains_key("storage"));
            if !has(&item.min) && !has(&item.max) {
                errs.push(FieldError::required(
                    &p.child("limits"),
                    "either minimum or maximum storage value is required, but neither was provided",
                ));
            }
        }
        collect(
            &item.max_limit_request_ratio,
            "maxLimitRequestRatio",
            &mut errs,
        );
        for k in &keys {
            errs.extend(compare_limits(k, &lists, &p));
        }
    }
    errs
}

/// The ordering rules between an item's min, max, defaults and ratio for one resource.
fn compare_limits(
    k: &str,
    lists: &BTreeMap<&str, BTreeMap<String, Quantity>>,
    p: &Path,
) -> ErrorList {
    let get = |field: &str| lists.get(field).and_then(|l| l.get(k));
    let (min, max, def, req, ratio) = (
        get("min"),
        get("max"),
        get("default"),
        get("defaultRequest"),
        get("maxLimitRequestRatio"),
    );
    let mut errs = Vec::new();
    let mut check = |cond: bool, field: &str, bad: &Quantity, msg: String| {
        if cond {
            errs.push(FieldError::invalid(
                &p.child(field).key(k),
                bad.canonical(),
                &msg,
            ));
        }
    };
    if let (Some(mn), Some(mx)) = (min, max) {
        check(
            mn > mx,
            "min",
            mn,
            format!("min value {mn} is greater than max value {mx}"),
        );
    }
    if let (Some(r), Some(mn)) = (req, min) {
        check(
            mn > r,
            "defaultRequest",
            r,
            format!("min value {mn} is greater than default request value {r}"),
        );
    }
    if let (Some(r), Some(mx)) = (req, max) {
        check(
            r > mx,
            "defaultRequest",
            r,
            format!("default request value {r} is greater than max value {mx}"),
        );
    }
    if let (Some(r), Some(d)) = (req, def) {
        check(
            r > d,
            "defaultRequest",
            r,
            format!("default request value {r} is greater than default limit value {d}"),
        );
    }
    if let (Some(d), Some(mn)) = (def, min) {
        check(
            mn > d,
            "default",
            mn,
            format!("min value {mn} is greater than default value {d}"),
        );
    }
    if let (Some(d), Some(mx)) = (def, max) {
        check(
            d > mx,
            "default",
            mx,
            format!("default value {d} is greater than max value {mx}"),
        );
    }
    if let Some(r) = ratio {
        check(
            *r < Quantity::new(1, Default::default()),
            "maxLimitRequestRatio",
            r,
            format!("ratio {r} is less than 1"),
        );
        if let (Some(mn), Some(mx)) = (min, max) {
            let limit = mx.as_approximate_f64() / mn.as_approximate_f64();
            check(
                r.as_approximate_f64() > limit,
                "maxLimitRequestRatio",
                r,
                format!("ratio {r} is greater than max/min = {limit:.6}"),
            );
        }
    }
    if let (Some(d), Some(r)) = (def, req)
        && !is_overcommit_allowed(k)
        && d != r
    {
        check(
            true,
            "defaultRequest",
            r,
            format!("default value {d} must equal to defaultRequest value {r} in {k}"),
        );
    }
    errs
}

impl TypedStrategy<LimitRange> for LimitRangeStrategy {
    fn default(&self, lr: &mut LimitRange) {
        for item in lr.spec.iter_mut().flat_map(|sp| sp.limits.iter_mut()) {
            default_item(item);
        }
    }

    fn validate(&self, lr: &LimitRange) -> ErrorList {
        validate_limit_range(lr)
    }
}

const STANDARD_SCOPES: &[&str] = &[
    "Terminating",
    "NotTerminating",
    "BestEffort",
    "NotBestEffort",
    "PriorityClass",
    "CrossNamespacePodAffinity",
];
const POD_COMPUTE: &[&str] = &[
    "pods",
    "cpu",
    "memory",
    "limits.cpu",
    "limits.memory",
    "requests.cpu",
    "requests.memory",
];
const EXISTS_ONLY: &[&str] = &[
    "BestEffort",
    "NotBestEffort",
    "Terminating",
    "NotTerminating",
    "CrossNamespacePodAffinity",
];

fn scope_valid_for(scope: &str, resource: &str) -> bool {
    match scope {
        "Terminating"
        | "NotTerminating"
        | "NotBestEffort"
        | "PriorityClass"
        | "CrossNamespacePodAffinity" => POD_COMPUTE.contains(&resource),
        "BestEffort" => resource == "pods",
        _ => true,
    }
}

fn conflicting(scopes: &BTreeSet<&str>) -> bool {
    (scopes.contains("BestEffort") && scopes.contains("NotBestEffort"))
        || (scopes.contains("Terminating") && scopes.contains("NotTerminating"))
}

fn validate_hard(list: &Option<ResourceList>, path: &Path) -> ErrorList {
    let mut errs = Vec::new();
    for (k, q) in list.iter().flatten() {
        let p = path.key(k);
        errs.extend(validate_quota_resource_name(k, &p));
        match parse(q, &p) {
            Ok(v) => errs.extend(validate_quantity_value(k, &v, &p)),
            Err(e) => errs.push(e),
        }
    }
    errs
}

/// Upstream ValidateResourceQuotaSpec.
pub fn validate_quota_spec(spec: &ResourceQuotaSpec, path: &Path) -> ErrorList {
    let mut errs = validate_hard(&spec.hard, &path.child("hard"));
    let hard: Vec<&String> = spec.hard.iter().flat_map(|h| h.keys()).collect();
    let scopes = spec.scopes.clone().unwrap_or_default();
    let sp = path.child("scopes");
    let mut set = BTreeSet::new();
    for scope in &scopes {
        if !STANDARD_SCOPES.contains(&scope.as_str()) {
            errs.push(FieldError::invalid(
                &sp,
                scopes.clone(),
                "unsupported scope",
            ));
        }
        for k in &hard {
            if is_standard_quota_resource(k) && !scope_valid_for(scope, k) {
                errs.push(FieldError::invalid(
                    &sp,
                    scopes.clone(),
                    "unsupported scope applied to resource",
                ));
            }
        }
        set.insert(scope.as_str());
    }
    if conflicting(&set) {
        errs.push(FieldError::invalid(
            &sp,
            scopes.clone(),
            "conflicting scopes",
        ));
    }
    let Some(selector) = &spec.scope_selector else {
        return errs;
    };
    let mp = path.child("scopeSelector").child("matchExpressions");
    let mut set = BTreeSet::new();
    for req in selector.match_expressions.iter().flatten() {
        let name = req.scope_name.as_str();
        if !STANDARD_SCOPES.contains(&name) {
            errs.push(FieldError::invalid(
                &mp.child("scopeName"),
                name,
                "unsupported scope",
            ));
        }
        for k in &hard {
            if is_standard_quota_resource(k) && !scope_valid_for(name, k) {
                errs.push(FieldError::invalid(
                    &mp,
                    json_value(selector),
                    "unsupported scope applied to resource",
                ));
            }
        }
        if EXISTS_ONLY.contains(&name) && req.operator != "Exists" {
            errs.push(FieldError::invalid(&mp.child("operator"), req.operator.as_str(), "must be 'Exists' when scope is any of ResourceQuotaScopeTerminating, ResourceQuotaScopeNotTerminating, ResourceQuotaScopeBestEffort, ResourceQuotaScopeNotBestEffort or ResourceQuotaScopeCrossNamespacePodAffinity"));
        }
        let values = req.values.clone().unwrap_or_default();
        match req.operator.as_str() {
            "In" | "NotIn" if values.is_empty() => errs.push(FieldError::required(
                &mp.child("values"),
                "must be at least one value when `operator` is 'In' or 'NotIn' for scope selector",
            )),
            "Exists" | "DoesNotExist" if !values.is_empty() => errs.push(FieldError::invalid(
                &mp.child("values"),
                values,
                "must be no value when `operator` is 'Exist' or 'DoesNotExist' for scope selector",
            )),
            "In" | "NotIn" | "Exists" | "DoesNotExist" => {}
            other => errs.push(FieldError::invalid(
                &mp.child("operator"),
                other,
                "not a valid selector operator",
            )),
        }
        set.insert(name);
    }
    if conflicting(&set) {
        errs.push(FieldError::invalid(&mp, scopes, "conflicting scopes"));
    }
    errs
}

fn validate_quota_status(rq: &ResourceQuota) -> ErrorList {
    let Some(st) = &rq.status else {
        return Vec::new();
    };
    let mut errs = validate_hard(&st.hard, &Path::new("status").child("hard"));
    errs.extend(validate_hard(&st.used, &Path::new("status").child("used")));
    errs
}

impl TypedStrategy<ResourceQuota> for ResourceQuotaStrategy {
    fn default(&self, rq: &mut ResourceQuota) {
        if let Some(spec) = rq.spec.as_mut() {
            round_up_to_milli(&mut spec.hard);
        }
    }

    fn validate(&self, rq: &ResourceQuota) -> ErrorList {
        let mut errs =
            validate_quota_spec(&rq.spec.clone().unwrap_or_default(), &Path::new("spec"));
        errs.extend(validate_quota_status(rq));
        errs
    }

    fn prepare_for_update(&self, rq: &mut ResourceQuota, old: &ResourceQuota) {
        rq.status = old.status.clone();
    }

    fn validate_update(&self, rq: &ResourceQuota, old: &ResourceQuota) -> ErrorList {
        let spec = rq.spec.clone().unwrap_or_default();
        let mut errs = validate_quota_spec(&spec, &Path::new("spec"));
        let scopes = |q: &ResourceQuota| -> BTreeSet<String> {
            q.spec
                .iter()
                .flat_map(|sp| sp.scopes.iter().flatten())
                .cloned()
                .collect()
        };
        if scopes(rq) != scopes(old) {
            errs.push(FieldError::invalid(
                &Path::new("spec").child("scopes"),
                spec.scopes.unwrap_or_default(),
                capstan_apimachinery::validation::FIELD_IMMUTABLE_ERROR_MSG,
            ));
        }
        errs
    }

    fn prepare_for_status_update(&self, rq: &mut ResourceQuota, old: &ResourceQuota) {
        rq.spec = old.spec.clone();
    }

    fn validate_status_update(&self, rq: &ResourceQuota, _old: &ResourceQuota) -> ErrorList {
        validate_quota_status(rq)
    }
}

#[cfg(test)]
#[path = "quota_tests.rs"]
mod tests;
