//! Validation of a service's spec (upstream ValidateService and the checks it calls) and the
//! warnings services get (upstream GetWarningsForService).

use std::collections::{BTreeMap, BTreeSet};

use capstan_apimachinery::validation::{
    is_valid_cidr_for_legacy_field, is_valid_ip_for_legacy_field, is_valid_port_num,
    validate_labels, warnings_for_ip,
};
use capstan_apimachinery::{BadValue, ErrorList, FieldError, Path};
use k8s_openapi::api::core::v1::{Service, ServicePort, ServiceSpec};
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;

use super::common::{dns_label, dns_subdomain, not_supported, qualified_name, s};
use super::handlers::port_num_or_name;
use super::service::{
    SOURCE_RANGES, TOPOLOGY_HINTS, TOPOLOGY_MODE, TYPES, externally_accessible, is_headless,
    needs_health_check, svc_type,
};
use crate::strategy::Warnings;

/// Upstream ValidateService, with ValidateServiceUpdate's checks when `old` is given.
pub fn validate_service(svc: &Service, old: Option<&Service>) -> ErrorList {
    let mut errs = Vec::new();
    let spec = svc.spec.clone().unwrap_or_default();
    let empty = BTreeMap::new();
    let annotations = svc.metadata.annotations.as_ref().unwrap_or(&empty);
    let ann_path = Path::new("metadata").child("annotations");
    if let (Some(mode), Some(hints)) = (
        annotations.get(TOPOLOGY_MODE),
        annotations.get(TOPOLOGY_HINTS),
    ) && mode != hints
    {
        let msg = format!("must match annotations[{TOPOLOGY_HINTS}] when both are specified");
        errs.push(FieldError::invalid(
            &ann_path.key(TOPOLOGY_MODE),
            mode.as_str(),
            &msg,
        ));
    }
    if let Some(old) = old {
        errs.extend(super::service_status::validate_update_rules(
            &spec,
            &old.spec.clone().unwrap_or_default(),
        ));
    }
    let sp = Path::new("spec");
    let t = svc_type(&spec);
    let headless = is_headless(&spec);
    let ports = spec.ports.as_deref().unwrap_or(&[]);
    if ports.is_empty() && !headless && t != "ExternalName" {
        errs.push(FieldError::required(&sp.child("ports"), ""));
    }
    let cluster_ips = spec.cluster_ips.clone().unwrap_or_default();
    match t {
        "LoadBalancer" | "NodePort" if headless => {
            let msg = format!("may not be set to 'None' for {t} services");
            errs.push(FieldError::invalid(
                &sp.child("clusterIPs").index(0),
                cluster_ips[0].as_str(),
                &msg,
            ));
        }
        "ExternalName" => {
            for (set, field) in [
                (!cluster_ips.is_empty(), "clusterIPs"),
                (
                    spec.ip_families.as_ref().is_some_and(|f| !f.is_empty()),
                    "ipFamilies",
                ),
                (spec.ip_family_policy.is_some(), "ipFamilyPolicy"),
            ] {
                if set {
                    errs.push(FieldError::forbidden(
                        &sp.child(field),
                        "may not be set for ExternalName services",
                    ));
                }
            }
            let name = s(&spec.external_name);
            let cname = name.strip_suffix('.').unwrap_or(name);
            if cname.is_empty() {
                errs.push(FieldError::required(&sp.child("externalName"), ""));
            } else {
                errs.extend(dns_subdomain(cname, &sp.child("externalName")));
            }
        }
        _ => {}
    }
    let mut names = BTreeSet::new();
    for (i, p) in ports.iter().enumerate() {
        errs.extend(validate_port(
            p,
            ports.len() > 1,
            &mut names,
            &sp.child("ports").index(i),
        ));
    }
    if let Some(sel) = &spec.selector {
        errs.extend(validate_labels(sel, &sp.child("selector")));
    }
    errs.extend(validate_session_affinity(&spec, &sp));
    errs.extend(super::service_status::validate_cluster_ips(&spec));
    for (i, ip) in spec.external_ips.iter().flatten().enumerate() {
        let p = sp.child("externalIPs").index(i);
        let ip_errs = is_valid_ip_for_legacy_field(&p, ip, false, &[]);
        if ip_errs.is_empty() {
            errs.extend(super::endpoints::validate_non_special_ip(ip, &p));
        } else {
            errs.extend(ip_errs);
        }
    }
    if t.is_empty() {
        errs.push(FieldError::required(&sp.child("type"), ""));
    } else if !TYPES.contains(&t) {
        errs.push(not_supported(&sp.child("type"), t, TYPES));
    }
    if t == "ClusterIP" {
        for (i, p) in ports.iter().enumerate() {
            if p.node_port.unwrap_or(0) != 0 {
                errs.push(FieldError::forbidden(
                    &sp.child("ports").index(i).child("nodePort"),
                    "may not be used when `type` is 'ClusterIP'",
                ));
            }
        }
    }
    errs.extend(duplicate_ports(ports, &sp.child("ports")));
    errs.extend(validate_source_ranges(&spec, annotations));
    if spec.allocate_load_balancer_node_ports.is_some() && t != "LoadBalancer" {
        errs.push(FieldError::forbidden(
            &sp.child("allocateLoadBalancerNodePorts"),
            "may only be used when `type` is 'LoadBalancer'",
        ));
    }
    if t == "LoadBalancer" && spec.allocate_load_balancer_node_ports.is_none() {
        errs.push(FieldError::required(
            &Path::new("allocateLoadBalancerNodePorts"),
            "",
        ));
    }
    if t == "LoadBalancer" {
        if let Some(class) = &spec.load_balancer_class {
            errs.extend(qualified_name(class, &sp.child("loadBalancerClass")));
        }
    } else if spec.load_balancer_class.is_some() {
        errs.push(FieldError::forbidden(
            &sp.child("loadBalancerClass"),
            "may only be used when `type` is 'LoadBalancer'",
        ));
    }
    errs.extend(validate_traffic_policies(&spec, &sp));
    errs
}

fn validate_port(
    p: &ServicePort,
    require_name: bool,
    names: &mut BTreeSet<String>,
    path: &Path,
) -> ErrorList {
    let mut errs = Vec::new();
    let name = s(&p.name);
    if require_name && name.is_empty() {
        errs.push(FieldError::required(&path.child("name"), ""));
    } else if !name.is_empty() {
        errs.extend(dns_label(name, &path.child("name")));
        if !names.insert(name.to_string()) {
            errs.push(FieldError::duplicate(&path.child("name"), name));
        }
    }
    for m in is_valid_port_num(p.port.into()) {
        errs.push(FieldError::invalid(&path.child("port"), p.port, &m));
    }
    match s(&p.protocol) {
        "TCP" | "UDP" | "SCTP" => {}
        "" => errs.push(FieldError::required(&path.child("protocol"), "")),
        other => errs.push(not_supported(
            &path.child("protocol"),
            other,
            &["SCTP", "TCP", "UDP"],
        )),
    }
    let target = p.target_port.clone().unwrap_or(IntOrString::Int(0));
    errs.extend(port_num_or_name(&target, &path.child("targetPort")));
    if let Some(app) = &p.app_protocol {
        errs.extend(qualified_name(app, &path.child("appProtocol")));
    }
    errs
}

fn go_service_port(protocol: &str, port: i32) -> BadValue {
    BadValue::Raw(format!(
        "core.ServicePort{{Name:\"\", Protocol:{protocol:?}, AppProtocol:(*string)(nil), Port:{port}, TargetPort:intstr.IntOrString{{Type:0, IntVal:0, StrVal:\"\"}}, NodePort:0}}"
    ))
}

/// Duplicate node ports and duplicate ports, per protocol.
fn duplicate_ports(ports: &[ServicePort], path: &Path) -> ErrorList {
    let mut errs = Vec::new();
    let mut node_ports = BTreeSet::new();
    for (i, p) in ports.iter().enumerate() {
        let np = p.node_port.unwrap_or(0);
        if np != 0 && !node_ports.insert((s(&p.protocol), np)) {
            errs.push(FieldError::duplicate(&path.index(i).child("nodePort"), np));
        }
    }
    let mut seen = BTreeSet::new();
    for (i, p) in ports.iter().enumerate() {
        if !seen.insert((s(&p.protocol), p.port)) {
            errs.push(FieldError::duplicate(
                &path.index(i),
                go_service_port(s(&p.protocol), p.port),
            ));
        }
    }
    errs
}

fn validate_session_affinity(spec: &ServiceSpec, sp: &Path) -> ErrorList {
    let mut errs = Vec::new();
    let p = sp.child("sessionAffinity");
    match s(&spec.session_affinity) {
        "" => errs.push(FieldError::required(&p, "")),
        "ClientIP" => {
            let cp = sp.child("sessionAffinityConfig");
            let msg = "when session affinity type is ClientIP";
            match spec.session_affinity_config.as_ref() {
                None => errs.push(FieldError::required(&cp, msg)),
                Some(c) => match c.client_ip.as_ref() {
                    None => errs.push(FieldError::required(&cp.child("clientIP"), msg)),
                    Some(ip) => match ip.timeout_seconds {
                        None => errs.push(FieldError::required(
                            &cp.child("clientIP").child("timeoutSeconds"),
                            msg,
                        )),
                        Some(t) if t <= 0 || t > 86400 => {
                            errs.push(FieldError::invalid(
                                &cp.child("clientIP").child("timeoutSeconds"),
                                t,
                                "must be greater than 0 and less than 86400",
                            ));
                        }
                        Some(_) => {}
                    },
                },
            }
        }
        "None" => {
            if spec.session_affinity_config.is_some() {
                errs.push(FieldError::forbidden(
                    &sp.child("sessionAffinityConfig"),
                    "must not be set when session affinity is None",
                ));
            }
        }
        other => errs.push(not_supported(&p, other, &["ClientIP", "None"])),
    }
    errs
}

fn validate_source_ranges(spec: &ServiceSpec, annotations: &BTreeMap<String, String>) -> ErrorList {
    let mut errs = Vec::new();
    let lb = svc_type(spec) == "LoadBalancer";
    let ranges = spec.load_balancer_source_ranges.as_deref().unwrap_or(&[]);
    if !ranges.is_empty() {
        let p = Path::new("spec").child("LoadBalancerSourceRanges");
        if !lb {
            errs.push(FieldError::forbidden(
                &p,
                "may only be used when `type` is 'LoadBalancer'",
            ));
        }
        for (i, r) in ranges.iter().enumerate() {
            errs.extend(is_valid_cidr_for_legacy_field(
                &p.index(i),
                r.trim(),
                false,
                &[],
            ));
        }
    } else if let Some(v) = annotations.get(SOURCE_RANGES) {
        let p = Path::new("metadata")
            .child("annotations")
            .key(SOURCE_RANGES);
        if !lb {
            errs.push(FieldError::forbidden(
                &p,
                "may only be used when `type` is 'LoadBalancer'",
            ));
        }
        let v = v.trim();
        if !v.is_empty() {
            for r in v.split(',') {
                errs.extend(is_valid_cidr_for_legacy_field(&p, r.trim(), false, &[]));
            }
        }
    }
    errs
}

/// External and internal traffic policies and the traffic distribution.
fn validate_traffic_policies(spec: &ServiceSpec, sp: &Path) -> ErrorList {
    let mut errs = Vec::new();
    let etp = s(&spec.external_traffic_policy);
    let ep = sp.child("externalTrafficPolicy");
    if !externally_accessible(spec) {
        if !etp.is_empty() {
            errs.push(FieldError::invalid(
                &ep,
                etp,
                "may only be set for externally-accessible services",
            ));
        }
    } else if etp.is_empty() {
        errs.push(FieldError::required(&ep, ""));
    } else if etp != "Cluster" && etp != "Local" {
        errs.push(not_supported(&ep, etp, &["Cluster", "Local"]));
    }
    // A health check node port is allocated with the service; only a stray one is checked here.
    let hc = spec.health_check_node_port.unwrap_or(0);
    let hp = sp.child("healthCheckNodePort");
    if !needs_health_check(spec) {
        if hc != 0 {
            errs.push(FieldError::invalid(&hp, hc, "may only be set when `type` is 'LoadBalancer' and `externalTrafficPolicy` is 'Local'"));
        }
    } else if hc != 0 {
        for m in is_valid_port_num(hc.into()) {
            errs.push(FieldError::invalid(&hp, hc, &m));
        }
    }
    let ip = sp.child("internalTrafficPolicy");
    match spec.internal_traffic_policy.as_deref() {
        None if ["NodePort", "LoadBalancer", "ClusterIP"].contains(&svc_type(spec)) => {
            errs.push(FieldError::required(&ip, ""))
        }
        Some(p) if p != "Cluster" && p != "Local" => {
            errs.push(not_supported(&ip, p, &["Cluster", "Local"]))
        }
        _ => {}
    }
    if let Some(td) = &spec.traffic_distribution
        && td != "PreferClose"
    {
        errs.push(not_supported(
            &sp.child("trafficDistribution"),
            td,
            &["PreferClose"],
        ));
    }
    errs
}

/// Upstream GetWarningsForService.
pub fn service_warnings(svc: &Service) -> Warnings {
    let mut w = Vec::new();
    let spec = svc.spec.clone().unwrap_or_default();
    if svc
        .metadata
        .annotations
        .as_ref()
        .is_some_and(|a| a.contains_key(TOPOLOGY_HINTS))
    {
        w.push(format!(
            "annotation {TOPOLOGY_HINTS} is deprecated, please use {TOPOLOGY_MODE} instead"
        ));
    }
    let sp = Path::new("spec");
    let ip = s(&spec.cluster_ip);
    if ip != "None" && !ip.is_empty() {
        for (i, c) in spec.cluster_ips.iter().flatten().enumerate() {
            w.extend(warnings_for_ip(&sp.child("clusterIPs").index(i), c));
        }
    }
    for (i, e) in spec.external_ips.iter().flatten().enumerate() {
        w.extend(warnings_for_ip(&sp.child("externalIPs").index(i), e));
    }
    let lb_ip = s(&spec.load_balancer_ip);
    if !lb_ip.is_empty() {
        w.extend(warnings_for_ip(&sp.child("loadBalancerIP"), lb_ip));
    }
    if svc_type(&spec) == "ExternalName"
        && spec.external_ips.as_ref().is_some_and(|v| !v.is_empty())
    {
        w.push("spec.externalIPs is ignored when spec.type is \"ExternalName\"".into());
    }
    if svc_type(&spec) != "ExternalName" && !s(&spec.external_name).is_empty() {
        w.push("spec.externalName is ignored when spec.type is not \"ExternalName\"".into());
    }
    w
}
