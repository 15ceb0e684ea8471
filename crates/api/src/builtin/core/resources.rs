//! Resource names and quantities: their validation, the milli-scale rounding defaults apply,
//! container resource requirements and the pod QoS class (upstream helper/helpers.go,
//! helper/qos and the resource parts of validation.go).

use std::collections::{BTreeMap, BTreeSet};

use capstan_apimachinery::validation::{IS_NEGATIVE_ERROR_MSG, is_qualified_name};
use capstan_apimachinery::{ErrorList, FieldError, Path, Quantity};
use k8s_openapi::api::core::v1::{Pod, ResourceRequirements};
use k8s_openapi::apimachinery::pkg::api::resource::Quantity as ApiQuantity;

use super::common::{dns_label, invalid_each};

pub type ResourceList = BTreeMap<String, ApiQuantity>;

const HUGEPAGES_PREFIX: &str = "hugepages-";
const REQUESTS_HUGEPAGES_PREFIX: &str = "requests.hugepages-";

const STANDARD_CONTAINER_RESOURCES: &[&str] = &["cpu", "memory", "ephemeral-storage"];

const STANDARD_RESOURCES: &[&str] = &[
    "cpu",
    "memory",
    "ephemeral-storage",
    "requests.cpu",
    "requests.memory",
    "requests.ephemeral-storage",
    "limits.cpu",
    "limits.memory",
    "limits.ephemeral-storage",
    "pods",
    "resourcequotas",
    "services",
    "replicationcontrollers",
    "secrets",
    "configmaps",
    "persistentvolumeclaims",
    "storage",
    "requests.storage",
    "services.nodeports",
    "services.loadbalancers",
];

const STANDARD_QUOTA_RESOURCES: &[&str] = &[
    "cpu",
    "memory",
    "ephemeral-storage",
    "requests.cpu",
    "requests.memory",
    "requests.storage",
    "requests.ephemeral-storage",
    "limits.cpu",
    "limits.memory",
    "limits.ephemeral-storage",
    "pods",
    "resourcequotas",
    "services",
    "replicationcontrollers",
    "secrets",
    "persistentvolumeclaims",
    "configmaps",
    "services.nodeports",
    "services.loadbalancers",
];

const INTEGER_RESOURCES: &[&str] = &[
    "pods",
    "resourcequotas",
    "services",
    "replicationcontrollers",
    "secrets",
    "configmaps",
    "persistentvolumeclaims",
    "services.nodeports",
    "services.loadbalancers",
];

pub fn is_hugepages(name: &str) -> bool {
    name.starts_with(HUGEPAGES_PREFIX)
}

fn is_quota_hugepages(name: &str) -> bool {
    is_hugepages(name) || name.starts_with(REQUESTS_HUGEPAGES_PREFIX)
}

/// Unprefixed names and names under `kubernetes.io/` belong to Kubernetes.
pub fn is_native(name: &str) -> bool {
    !name.contains('/') || name.contains("kubernetes.io/")
}

pub fn is_extended(name: &str) -> bool {
    !is_native(name)
        && !name.starts_with("requests.")
        && is_qualified_name(&format!("requests.{name}")).is_empty()
}

pub fn is_overcommit_allowed(name: &str) -> bool {
    is_native(name) && !is_hugepages(name)
}

pub fn is_standard_container_resource(name: &str) -> bool {
    STANDARD_CONTAINER_RESOURCES.contains(&name) || is_hugepages(name)
}

pub fn is_standard_resource(name: &str) -> bool {
    STANDARD_RESOURCES.contains(&name) || is_quota_hugepages(name)
}

pub fn is_standard_quota_resource(name: &str) -> bool {
    STANDARD_QUOTA_RESOURCES.contains(&name) || is_quota_hugepages(name)
}

fn is_integer_resource(name: &str) -> bool {
    INTEGER_RESOURCES.contains(&name) || is_extended(name)
}

/// Parses an API quantity. Upstream rejects malformed quantities while decoding; here the
/// decoder keeps the text, so the same message is reported as a field error.
pub fn parse(q: &ApiQuantity, path: &Path) -> Result<Quantity, FieldError> {
    Quantity::parse(&q.0).map_err(|e| FieldError::invalid(path, q.0.as_str(), &e.to_string()))
}

/// Upstream `SetDefaults_ResourceList`: values are rounded up to milli precision (and, as
/// every quantity the API server writes, put in canonical form).
pub fn round_up_to_milli(list: &mut Option<ResourceList>) {
    for q in list.iter_mut().flat_map(|l| l.values_mut()) {
        if let Ok(mut parsed) = Quantity::parse(&q.0) {
            parsed.round_up(-3);
            q.0 = parsed.canonical();
        }
    }
}

/// Upstream `validateResourceName`.
pub fn validate_resource_name(name: &str, path: &Path) -> ErrorList {
    let errs = invalid_each(path, name, is_qualified_name(name));
    if !errs.is_empty() {
        return errs;
    }
    if !name.contains('/') && !is_standard_resource(name) {
        return vec![FieldError::invalid(
            path,
            name,
            "must be a standard resource type or fully qualified",
        )];
    }
    Vec::new()
}

/// Upstream `validateContainerResourceName`.
pub fn validate_container_resource_name(name: &str, path: &Path) -> ErrorList {
    let mut errs = validate_resource_name(name, path);
    if !name.contains('/') {
        if !is_standard_container_resource(name) {
            errs.push(FieldError::invalid(
                path,
                name,
                "must be a standard resource for containers",
            ));
        }
    } else if !is_native(name) && !is_extended(name) {
        errs.push(FieldError::invalid(
            path,
            name,
            "doesn't follow extended resource name standard",
        ));
    }
    errs
}

/// Upstream `ValidateResourceQuotaResourceName`.
pub fn validate_quota_resource_name(name: &str, path: &Path) -> ErrorList {
    let mut errs = validate_resource_name(name, path);
    if !name.contains('/') && !is_standard_quota_resource(name) {
        errs.push(FieldError::invalid(
            path,
            name,
            "must be a standard resource for quota",
        ));
    }
    errs
}

/// Upstream `ValidateResourceQuantityValue`: not negative, whole for countable resources.
pub fn validate_quantity_value(name: &str, q: &Quantity, path: &Path) -> ErrorList {
    let mut errs = Vec::new();
    if q.sign() < 0 {
        errs.push(FieldError::invalid(
            path,
            q.canonical(),
            IS_NEGATIVE_ERROR_MSG,
        ));
    }
    if is_integer_resource(name) && q.milli_value() % 1000 != 0 {
        errs.push(FieldError::invalid(
            path,
            q.canonical(),
            "must be an integer",
        ));
    }
    errs
}

/// Upstream `ValidatePositiveQuantityValue`.
pub fn validate_positive(q: &Quantity, path: &Path) -> ErrorList {
    if q.sign() <= 0 {
        vec![FieldError::invalid(
            path,
            q.canonical(),
            "must be greater than zero",
        )]
    } else {
        Vec::new()
    }
}

/// Upstream `validateBasicResource`.
pub fn validate_basic(q: &Quantity, path: &Path) -> ErrorList {
    if q.value() < 0 {
        vec![FieldError::invalid(
            path,
            q.value(),
            "must be a valid resource quantity",
        )]
    } else {
        Vec::new()
    }
}

fn hugepage_divisible(name: &str, q: &Quantity) -> bool {
    let Some(size) = name.strip_prefix(HUGEPAGES_PREFIX) else {
        return false;
    };
    match Quantity::parse(size) {
        Ok(page) if page.sign() > 0 && page.milli_value() % 1000 == 0 => {
            q.value() % page.value() == 0
        }
        _ => false,
    }
}

/// Parses a resource list, reporting malformed quantities.
pub fn parse_list(
    list: &Option<ResourceList>,
    path: &Path,
) -> (BTreeMap<String, Quantity>, ErrorList) {
    let mut parsed = BTreeMap::new();
    let mut errs = Vec::new();
    for (name, q) in list.iter().flatten() {
        match parse(q, &path.key(name)) {
            Ok(v) => {
                parsed.insert(name.clone(), v);
            }
            Err(e) => errs.push(e),
        }
    }
    (parsed, errs)
}

/// Upstream `ValidateContainerResourceRequirements` (`claims` are the pod's claim names).
pub fn validate_container_requirements(
    req: &ResourceRequirements,
    claims: &BTreeSet<String>,
    path: &Path,
) -> ErrorList {
    let lim_path = path.child("limits");
    let req_path = path.child("requests");
    let (limits, mut errs) = parse_list(&req.limits, &lim_path);
    let (requests, req_errs) = parse_list(&req.requests, &req_path);
    errs.extend(req_errs);
    let qos_resource = |n: &str| n == "cpu" || n == "memory";
    let (mut lim_qos, mut req_qos, mut lim_huge, mut req_huge) = (false, false, false, false);
    for (name, q) in &limits {
        let p = lim_path.key(name);
        errs.extend(validate_container_resource_name(name, &p));
        errs.extend(validate_quantity_value(name, q, &p));
        if is_hugepages(name) {
            lim_huge = true;
            if !hugepage_divisible(name, q) {
                let msg = format!(
                    "{} is not positive integer multiple of {name}",
                    q.canonical()
                );
                errs.push(FieldError::invalid(&p, q.canonical(), &msg));
            }
        }
        lim_qos |= qos_resource(name);
    }
    for (name, q) in &requests {
        let p = req_path.key(name);
        errs.extend(validate_container_resource_name(name, &p));
        errs.extend(validate_quantity_value(name, q, &p));
        match limits.get(name) {
            Some(limit) if q != limit && !is_overcommit_allowed(name) => {
                let msg = format!("must be equal to {name} limit of {}", limit.canonical());
                errs.push(FieldError::invalid(&req_path, q.canonical(), &msg));
            }
            Some(limit) if q > limit => {
                let msg = format!(
                    "must be less than or equal to {name} limit of {}",
                    limit.canonical()
                );
                errs.push(FieldError::invalid(&req_path, q.canonical(), &msg));
            }
            Some(_) => {}
            None if !is_overcommit_allowed(name) => errs.push(FieldError::required(
                &lim_path,
                "Limit must be set for non overcommitable resources",
            )),
            None => {}
        }
        if is_hugepages(name) {
            req_huge = true;
            if !hugepage_divisible(name, q) {
                let msg = format!(
                    "{} is not positive integer multiple of {name}",
                    q.canonical()
                );
                errs.push(FieldError::invalid(&p, q.canonical(), &msg));
            }
        }
        req_qos |= qos_resource(name);
    }
    if !lim_qos && !req_qos && (req_huge || lim_huge) {
        errs.push(FieldError::forbidden(
            path,
            "HugePages require cpu or memory",
        ));
    }
    errs.extend(validate_claim_names(req, claims, &path.child("claims")));
    errs
}

/// Upstream `validateResourceClaimNames`.
fn validate_claim_names(
    req: &ResourceRequirements,
    pod_claims: &BTreeSet<String>,
    path: &Path,
) -> ErrorList {
    let mut errs = Vec::new();
    let mut seen: BTreeSet<String> = BTreeSet::new();
    for (i, claim) in req.claims.iter().flatten().enumerate() {
        let p = path.index(i);
        if claim.name.is_empty() {
            errs.push(FieldError::required(&p, ""));
            continue;
        }
        if seen.contains(&claim.name) {
            errs.push(FieldError::duplicate(&p, claim.name.as_str()));
        } else {
            let request = claim.request.as_deref().unwrap_or("");
            let mut key = claim.name.clone();
            if !request.is_empty() {
                errs.extend(dns_label(request, &p.child("request")));
                key = format!("{}/{request}", claim.name);
            }
            if seen.contains(&key) {
                errs.push(FieldError::duplicate(&p, key.as_str()));
            } else if request.is_empty() {
                for other in &seen {
                    if other.split_once('/').is_some_and(|(n, _)| n == claim.name) {
                        errs.push(FieldError::duplicate(&p, claim.name.as_str()));
                    }
                }
            }
            seen.insert(key);
        }
        if !pod_claims.contains(&claim.name) {
            let mut e = FieldError::not_found(&p, claim.name.as_str());
            e.detail = if pod_claims.is_empty() {
                "must be one of the names in pod.spec.resourceClaims which is empty".into()
            } else {
                let names: Vec<&str> = pod_claims.iter().map(String::as_str).collect();
                format!(
                    "must be one of the names in pod.spec.resourceClaims: {}",
                    names.join(", ")
                )
            };
            errs.push(e);
        }
    }
    errs
}

/// Upstream `qos.ComputePodQOS` (without pod-level resources, an alpha feature in v1.33).
pub fn compute_qos(pod: &Pod) -> &'static str {
    let Some(spec) = &pod.spec else {
        return "BestEffort";
    };
    let mut requests: BTreeMap<&str, Quantity> = BTreeMap::new();
    let mut limits: BTreeMap<&str, Quantity> = BTreeMap::new();
    let mut guaranteed = true;
    let all = spec
        .containers
        .iter()
        .chain(spec.init_containers.iter().flatten());
    for c in all {
        let res = c.resources.as_ref();
        for (name, q) in res.and_then(|r| r.requests.as_ref()).into_iter().flatten() {
            add_positive(&mut requests, name, q);
        }
        let mut found = BTreeSet::new();
        for (name, q) in res.and_then(|r| r.limits.as_ref()).into_iter().flatten() {
            if add_positive(&mut limits, name, q) {
                found.insert(name.as_str());
            }
        }
        if !(found.contains("cpu") && found.contains("memory")) {
            guaranteed = false;
        }
    }
    if requests.is_empty() && limits.is_empty() {
        return "BestEffort";
    }
    if guaranteed && requests.iter().any(|(n, r)| limits.get(n) != Some(r)) {
        guaranteed = false;
    }
    if guaranteed && requests.len() == limits.len() {
        "Guaranteed"
    } else {
        "Burstable"
    }
}

/// Adds a positive cpu/memory quantity to the running total; true if it counted.
fn add_positive<'a>(
    totals: &mut BTreeMap<&'a str, Quantity>,
    name: &'a str,
    q: &ApiQuantity,
) -> bool {
    if name != "cpu" && name != "memory" {
        return false;
    }
    match Quantity::parse(&q.0) {
        Ok(v) if v.sign() > 0 => {
            totals.entry(name).or_default().add(&v);
            true
        }
        _ => false,
    }
}

#[cfg(test)]
#[path = "resources_tests.rs"]
mod tests;
