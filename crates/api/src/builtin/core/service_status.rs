//! Service rules beyond the spec basics: cluster IP / IP family consistency, what an update
//! may change, and the load-balancer status (upstream ValidateServiceClusterIPsRelatedFields,
//! validateUpgradeDowngradeIPFamilies, validateLoadBalancerClassField,
//! validateServiceExternalTrafficFieldsUpdate, ValidateLoadBalancerStatus).

use std::collections::BTreeSet;
use std::net::IpAddr;

use capstan_apimachinery::validation::{is_dns1123_subdomain, is_valid_ip_for_legacy_field};
use capstan_apimachinery::{BadValue, ErrorList, FieldError, Path};
use k8s_openapi::api::core::v1::{Service, ServiceSpec};

use super::common::{invalid_each, not_supported, s};

fn list(v: &Option<Vec<String>>) -> Vec<String> {
    v.clone().unwrap_or_default()
}

/// Upstream ValidateServiceClusterIPsRelatedFields.
pub fn validate_cluster_ips(spec: &ServiceSpec) -> ErrorList {
    if s(&spec.type_) == "ExternalName" {
        return Vec::new();
    }
    let mut errs = Vec::new();
    let sp = Path::new("spec");
    let ips_path = sp.child("clusterIPs");
    let ips = list(&spec.cluster_ips);
    let ip = s(&spec.cluster_ip);
    if !ip.is_empty() {
        if ips.is_empty() {
            errs.push(FieldError::required(&ips_path, ""));
        } else if ips[0] != ip {
            errs.push(FieldError::invalid(
                &ips_path,
                ips.clone(),
                "first value must match `clusterIP`",
            ));
        }
    } else if !ips.is_empty() {
        errs.push(FieldError::invalid(
            &ips_path,
            ips.clone(),
            "must be empty when `clusterIP` is not specified",
        ));
    }
    let mut seen = BTreeSet::new();
    let families = list(&spec.ip_families);
    for (i, f) in families.iter().enumerate() {
        let p = sp.child("ipFamilies").index(i);
        if f != "IPv4" && f != "IPv6" {
            errs.push(not_supported(&p, f, &["IPv4", "IPv6"]));
        }
        if !seen.insert(f.as_str()) {
            errs.push(FieldError::duplicate(&p, f.as_str()));
        }
    }
    if let Some(policy) = &spec.ip_family_policy {
        let supported = ["PreferDualStack", "RequireDualStack", "SingleStack"];
        if !supported.contains(&policy.as_str()) {
            errs.push(not_supported(
                &sp.child("ipFamilyPolicy"),
                policy,
                &supported,
            ));
        }
    }
    let mut invalid = false;
    for (i, v) in ips.iter().enumerate() {
        if i == 0 && v == "None" {
            if ips.len() > 1 {
                invalid = true;
                errs.push(FieldError::invalid(
                    &ips_path,
                    ips.clone(),
                    "'None' must be the first and only value",
                ));
            }
            continue;
        }
        let ip_errs = is_valid_ip_for_legacy_field(&ips_path.index(i), v, false, &[]);
        invalid |= !ip_errs.is_empty();
        errs.extend(ip_errs);
    }
    if ips.len() > 2 {
        errs.push(FieldError::invalid(
            &ips_path,
            ips.clone(),
            "may only hold up to 2 values",
        ));
    }
    if invalid {
        return errs;
    }
    let v6 = |x: &str| matches!(x.parse::<IpAddr>(), Ok(IpAddr::V6(_)));
    if ips.len() > 1 {
        let sixes = ips.iter().filter(|x| v6(x)).count();
        if sixes != 1 || ips.len() != 2 {
            errs.push(FieldError::invalid(
                &ips_path,
                ips.clone(),
                "may specify no more than one IP for each IP family",
            ));
        }
    }
    let headless = ips.len() == 1 && ips[0] == "None";
    if !headless {
        for (i, v) in ips.iter().enumerate().take(families.len()) {
            let expect_v6 = families[i] == "IPv6";
            if families[i] == "IPv4" && v6(v) {
                errs.push(FieldError::invalid(
                    &ips_path.index(i),
                    v.as_str(),
                    &format!("expected an IPv4 value as indicated by `ipFamilies[{i}]`"),
                ));
            }
            if expect_v6 && !v6(v) {
                errs.push(FieldError::invalid(
                    &ips_path.index(i),
                    v.as_str(),
                    &format!("expected an IPv6 value as indicated by `ipFamilies[{i}]`"),
                ));
            }
        }
    }
    errs
}

/// The update rules of ValidateServiceUpdate that are not the allocator's (cluster IPs are
/// kept and checked by the API server's address allocation).
pub fn validate_update_rules(new: &ServiceSpec, old: &ServiceSpec) -> ErrorList {
    let mut errs = Vec::new();
    let external = |sp: &ServiceSpec| s(&sp.type_) == "ExternalName";
    let headless = |sp: &ServiceSpec| list(&sp.cluster_ips) == ["None"];
    if !external(new) && !external(old) && headless(new) == headless(old) && !headless(new) {
        errs.extend(validate_family_changes(new, old));
    }
    let lb = |sp: &ServiceSpec| s(&sp.type_) == "LoadBalancer";
    if lb(new) && lb(old) && new.load_balancer_class != old.load_balancer_class {
        let bad = new
            .load_balancer_class
            .clone()
            .map(BadValue::String)
            .unwrap_or(BadValue::Null);
        errs.push(FieldError::invalid(
            &Path::new("spec").child("loadBalancerClass"),
            bad,
            "may not change once set",
        ));
    }
    let hc = |sp: &ServiceSpec| lb(sp) && s(&sp.external_traffic_policy) == "Local";
    if hc(new) && hc(old) && new.health_check_node_port != old.health_check_node_port {
        errs.push(FieldError::forbidden(
            &Path::new("spec").child("healthCheckNodePort"),
            "field is immutable",
        ));
    }
    errs
}

/// Upstream validateUpgradeDowngradeIPFamilies.
fn validate_family_changes(new: &ServiceSpec, old: &ServiceSpec) -> ErrorList {
    let mut errs = Vec::new();
    let (nf, of) = (list(&new.ip_families), list(&old.ip_families));
    let p0 = Path::new("spec").child("ipFamilies").index(0);
    let ips = list(&new.cluster_ips);
    if nf.len() == of.len() {
        for (o, n) in of.iter().zip(&nf) {
            if o != n {
                errs.push(FieldError::invalid(
                    &p0,
                    nf.clone(),
                    "may not change once set",
                ));
            }
        }
    } else if of.len() > nf.len() {
        if ips.is_empty() {
            errs.push(FieldError::invalid(
                &p0,
                nf.clone(),
                "primary ipFamily can not be unset",
            ));
        }
        if !nf.is_empty() && nf[0] != of[0] {
            errs.push(FieldError::invalid(
                &p0,
                ips.clone(),
                "may not change once set",
            ));
        }
        if nf.len() == 1 && s(&new.ip_family_policy) != "SingleStack" {
            let bad = new
                .ip_family_policy
                .clone()
                .map(BadValue::String)
                .unwrap_or(BadValue::Null);
            errs.push(FieldError::invalid(
                &Path::new("spec").child("ipFamilyPolicy"),
                bad,
                "must be set to 'SingleStack' when releasing the secondary ipFamily",
            ));
        }
    } else if !of.is_empty() && !nf.is_empty() && nf[0] != of[0] {
        errs.push(FieldError::invalid(&p0, ips, "may not change once set"));
    }
    errs
}

/// Upstream ValidateLoadBalancerStatus (ingress only on load balancers, IP modes required).
pub fn validate_load_balancer_status(svc: &Service) -> ErrorList {
    let mut errs = Vec::new();
    let path = Path::new("status").child("loadBalancer").child("ingress");
    let ingress = svc
        .status
        .as_ref()
        .and_then(|st| st.load_balancer.as_ref())
        .and_then(|lb| lb.ingress.clone())
        .unwrap_or_default();
    let lb = svc
        .spec
        .as_ref()
        .is_some_and(|sp| s(&sp.type_) == "LoadBalancer");
    if !lb && !ingress.is_empty() {
        return vec![FieldError::forbidden(
            &path,
            "may only be used when `spec.type` is 'LoadBalancer'",
        )];
    }
    for (i, ing) in ingress.iter().enumerate() {
        let p = path.index(i);
        let ip = s(&ing.ip);
        if !ip.is_empty() {
            errs.extend(is_valid_ip_for_legacy_field(&p.child("ip"), ip, false, &[]));
        }
        match &ing.ip_mode {
            None if !ip.is_empty() => errs.push(FieldError::required(
                &p.child("ipMode"),
                "must be specified when `ip` is set",
            )),
            Some(_) if ip.is_empty() => errs.push(FieldError::forbidden(
                &p.child("ipMode"),
                "may not be specified when `ip` is not set",
            )),
            Some(m) if m != "Proxy" && m != "VIP" => {
                errs.push(not_supported(&p.child("ipMode"), m, &["Proxy", "VIP"]))
            }
            _ => {}
        }
        let host = s(&ing.hostname);
        if !host.is_empty() {
            errs.extend(invalid_each(
                &p.child("hostname"),
                host,
                is_dns1123_subdomain(host),
            ));
            if host.parse::<IpAddr>().is_ok() {
                errs.push(FieldError::invalid(
                    &p.child("hostname"),
                    host,
                    "must be a DNS name, not an IP address",
                ));
            }
        }
    }
    errs
}
