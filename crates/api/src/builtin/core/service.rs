//! Services (upstream SetDefaults_Service, pkg/registry/core/service/strategy.go and
//! ValidateService[Update|StatusUpdate]). Cluster IPs and node ports are allocated (and their
//! immutability enforced) by the API server's admission after these rules run.

use std::collections::{BTreeMap, BTreeSet};

use capstan_apimachinery::ErrorList;
use k8s_openapi::api::core::v1::{Service, ServiceSpec};
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;

use super::common::s;
use crate::strategy::{SelectableField, TypedStrategy, Warnings};

pub struct ServiceStrategy;

pub const SERVICE_FIELDS: &[SelectableField] = &[
    SelectableField::string("spec.clusterIP", "/spec/clusterIP"),
    SelectableField::string("spec.type", "/spec/type"),
];

pub(super) const TOPOLOGY_MODE: &str = "service.kubernetes.io/topology-mode";
pub(super) const TOPOLOGY_HINTS: &str = "service.kubernetes.io/topology-aware-hints";
pub(super) const SOURCE_RANGES: &str = "service.beta.kubernetes.io/load-balancer-source-ranges";
pub(super) const TYPES: &[&str] = &["ClusterIP", "ExternalName", "LoadBalancer", "NodePort"];

pub(super) fn svc_type(spec: &ServiceSpec) -> &str {
    s(&spec.type_)
}

pub(super) fn externally_accessible(spec: &ServiceSpec) -> bool {
    let t = svc_type(spec);
    t == "LoadBalancer"
        || t == "NodePort"
        || (t == "ClusterIP"
            && spec
                .external_ips
                .as_ref()
                .is_some_and(|ips| !ips.is_empty()))
}

pub(super) fn needs_health_check(spec: &ServiceSpec) -> bool {
    svc_type(spec) == "LoadBalancer" && s(&spec.external_traffic_policy) == "Local"
}

pub(super) fn is_headless(spec: &ServiceSpec) -> bool {
    spec.cluster_ips.as_deref() == Some(&["None".to_string()][..])
}

/// Upstream SetDefaults_Service.
pub fn default_service(svc: &mut Service) {
    let spec = svc.spec.get_or_insert_with(Default::default);
    if s(&spec.session_affinity).is_empty() {
        spec.session_affinity = Some("None".into());
    }
    match s(&spec.session_affinity) {
        "None" => spec.session_affinity_config = None,
        "ClientIP" => {
            let has_timeout = spec
                .session_affinity_config
                .as_ref()
                .and_then(|c| c.client_ip.as_ref())
                .and_then(|c| c.timeout_seconds)
                .is_some();
            if !has_timeout {
                let client_ip = k8s_openapi::api::core::v1::ClientIPConfig {
                    timeout_seconds: Some(10800),
                };
                spec.session_affinity_config =
                    Some(k8s_openapi::api::core::v1::SessionAffinityConfig {
                        client_ip: Some(client_ip),
                    });
            }
        }
        _ => {}
    }
    if s(&spec.type_).is_empty() {
        spec.type_ = Some("ClusterIP".into());
    }
    for p in spec.ports.iter_mut().flatten() {
        if s(&p.protocol).is_empty() {
            p.protocol = Some("TCP".into());
        }
        let unset = match &p.target_port {
            None => true,
            Some(IntOrString::Int(0)) => true,
            Some(IntOrString::String(v)) => v.is_empty(),
            _ => false,
        };
        if unset {
            p.target_port = Some(IntOrString::Int(p.port));
        }
    }
    if externally_accessible(spec) && s(&spec.external_traffic_policy).is_empty() {
        spec.external_traffic_policy = Some("Cluster".into());
    }
    if spec.internal_traffic_policy.is_none()
        && ["NodePort", "LoadBalancer", "ClusterIP"].contains(&svc_type(spec))
    {
        spec.internal_traffic_policy = Some("Cluster".into());
    }
    let lb = svc_type(spec) == "LoadBalancer";
    if lb {
        spec.allocate_load_balancer_node_ports.get_or_insert(true);
    }
    if let Some(status) = svc.status.as_mut() {
        let balancer = status.load_balancer.get_or_insert_with(Default::default);
        for ing in balancer.ingress.iter_mut().flatten() {
            if lb && !s(&ing.ip).is_empty() && ing.ip_mode.is_none() {
                ing.ip_mode = Some("VIP".into());
            }
        }
    }
}

/// Old clients set only the singular cluster IP (upstream NormalizeClusterIPs).
fn normalize_cluster_ips(new: &mut ServiceSpec, old: Option<&ServiceSpec>) {
    let ip = s(&new.cluster_ip).to_string();
    let ips_empty = new.cluster_ips.as_ref().is_none_or(|v| v.is_empty());
    let Some(old) = old else {
        if !ip.is_empty() && ips_empty {
            new.cluster_ips = Some(vec![ip]);
        }
        return;
    };
    let old_ip = s(&old.cluster_ip);
    if old.cluster_ips.as_ref().is_some_and(|v| !v.is_empty()) && ips_empty && old_ip == ip {
        new.cluster_ips = old.cluster_ips.clone();
    }
    if old_ip != ip {
        let same_ips = old.cluster_ips.clone().unwrap_or_default()
            == new.cluster_ips.clone().unwrap_or_default();
        if !old_ip.is_empty() && ip.is_empty() {
            if same_ips {
                new.cluster_ips = None;
            }
        } else if same_ips {
            new.cluster_ips = Some(vec![ip]);
        }
    }
}

/// Upstream patchAllocatedValues: values the server allocated survive an update that omits
/// them (as `kubectl replace` with the original manifest does).
fn patch_allocated(new: &mut ServiceSpec, old: &ServiceSpec) {
    let needs_ip = |sp: &ServiceSpec| svc_type(sp) != "ExternalName";
    if needs_ip(old) && needs_ip(new) {
        if s(&new.cluster_ip).is_empty() {
            new.cluster_ip = old.cluster_ip.clone();
        }
        if new.cluster_ips.as_ref().is_none_or(|v| v.is_empty()) {
            new.cluster_ips = old.cluster_ips.clone();
        }
        if new.ip_families.as_ref().is_none_or(|v| v.is_empty()) {
            new.ip_families = old.ip_families.clone();
        }
        if new.ip_family_policy.is_none() {
            new.ip_family_policy = old.ip_family_policy.clone();
        }
    }
    let needs_node_port = |sp: &ServiceSpec| matches!(svc_type(sp), "NodePort" | "LoadBalancer");
    if needs_node_port(old) && needs_node_port(new) {
        let by_name: BTreeMap<&str, i32> = old
            .ports
            .iter()
            .flatten()
            .map(|p| (s(&p.name), p.node_port.unwrap_or(0)))
            .collect();
        for p in new.ports.iter_mut().flatten() {
            if p.node_port.unwrap_or(0) == 0 {
                p.node_port = by_name.get(s(&p.name)).copied().filter(|n| *n != 0);
            }
        }
    }
    if needs_health_check(old)
        && needs_health_check(new)
        && new.health_check_node_port.unwrap_or(0) == 0
    {
        new.health_check_node_port = old.health_check_node_port;
    }
}

/// Upstream dropTypeDependentFields: what a new type no longer uses is dropped when the
/// client left it as it was.
fn drop_type_dependent(new: &mut ServiceSpec, old: &ServiceSpec) {
    let needs_ip = |sp: &ServiceSpec| svc_type(sp) != "ExternalName";
    if needs_ip(old) && !needs_ip(new) {
        if new.cluster_ip == old.cluster_ip
            && new.cluster_ips.clone().unwrap_or_default()
                == old.cluster_ips.clone().unwrap_or_default()
        {
            new.cluster_ip = None;
            new.cluster_ips = None;
        }
        if new.ip_families == old.ip_families {
            new.ip_families = None;
        }
        if s(&new.ip_family_policy) == s(&old.ip_family_policy) {
            new.ip_family_policy = None;
        }
    }
    let node_ports = |sp: &ServiceSpec| -> BTreeSet<i32> {
        sp.ports
            .iter()
            .flatten()
            .filter_map(|p| p.node_port)
            .filter(|n| *n != 0)
            .collect()
    };
    let needs_node_port = |sp: &ServiceSpec| matches!(svc_type(sp), "NodePort" | "LoadBalancer");
    if needs_node_port(old) && !needs_node_port(new) && node_ports(new).is_subset(&node_ports(old))
    {
        for p in new.ports.iter_mut().flatten() {
            p.node_port = None;
        }
    }
    if needs_health_check(old)
        && !needs_health_check(new)
        && new.health_check_node_port == old.health_check_node_port
    {
        new.health_check_node_port = None;
    }
    let lb = |sp: &ServiceSpec| svc_type(sp) == "LoadBalancer";
    if lb(old) && !lb(new) {
        if new.allocate_load_balancer_node_ports.is_some()
            && new.allocate_load_balancer_node_ports == old.allocate_load_balancer_node_ports
        {
            new.allocate_load_balancer_node_ports = None;
        }
        if new.load_balancer_class == old.load_balancer_class {
            new.load_balancer_class = None;
        }
    }
    if externally_accessible(old)
        && !externally_accessible(new)
        && new.external_traffic_policy == old.external_traffic_policy
    {
        new.external_traffic_policy = None;
    }
}

impl TypedStrategy<Service> for ServiceStrategy {
    fn prepare_for_create(&self, svc: &mut Service) {
        svc.status = Some(Default::default());
        if let Some(spec) = svc.spec.as_mut() {
            normalize_cluster_ips(spec, None);
        }
    }

    fn default(&self, svc: &mut Service) {
        default_service(svc);
    }

    fn validate(&self, svc: &Service) -> ErrorList {
        super::service_spec::validate_service(svc, None)
    }

    fn warnings(&self, svc: &Service) -> Warnings {
        super::service_spec::service_warnings(svc)
    }

    fn prepare_for_update(&self, svc: &mut Service, old: &Service) {
        svc.status = old.status.clone();
        let old_spec = old.spec.clone().unwrap_or_default();
        let spec = svc.spec.get_or_insert_with(Default::default);
        patch_allocated(spec, &old_spec);
        normalize_cluster_ips(spec, Some(&old_spec));
        drop_type_dependent(spec, &old_spec);
        if svc_type(spec) != "LoadBalancer"
            && let Some(st) = svc.status.as_mut()
        {
            st.load_balancer = Some(Default::default());
        }
    }

    fn validate_update(&self, svc: &Service, old: &Service) -> ErrorList {
        super::service_spec::validate_service(svc, Some(old))
    }

    fn prepare_for_status_update(&self, svc: &mut Service, old: &Service) {
        svc.spec = old.spec.clone();
    }

    fn validate_status_update(&self, svc: &Service, _old: &Service) -> ErrorList {
        super::service_status::validate_load_balancer_status(svc)
    }

    fn selectable_fields(&self) -> &'static [SelectableField] {
        SERVICE_FIELDS
    }
}

#[cfg(test)]
#[path = "service_tests.rs"]
mod tests;
