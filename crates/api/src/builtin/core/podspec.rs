//! The pod spec every workload embeds: upstream SetDefaults_PodSpec (with the defaults of
//! everything inside it) and ValidatePodSpec.

use std::collections::{BTreeMap, BTreeSet};

use capstan_apimachinery::validation::{
    inclusive_range_error, is_valid_ip_for_legacy_field, name_is_dns_subdomain, validate_labels,
};
use capstan_apimachinery::{ErrorList, FieldError, Path};
use k8s_openapi::api::core::v1::{PodDNSConfig, PodSpec};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;

use super::common::{
    dns_label, dns_subdomain, dns_subdomain_with_underscore, invalid_each, not_supported,
    qualified_name, s,
};
use super::container::{PodContext, default_container};
use super::pod_containers::{
    validate_containers, validate_ephemeral_containers, validate_init_containers,
};
use super::resources::{round_up_to_milli, validate_container_requirements};
use super::scheduling::{validate_affinity, validate_tolerations, validate_topology_spread};
use super::security::{validate_os, validate_pod_security_context};
use super::volumes::{default_volume, validate_volumes};

/// Upstream SetDefaults_PodSpec and the defaults of its containers and volumes. The v1
/// `serviceAccount` field mirrors `serviceAccountName`, as upstream's conversion makes it.
pub fn default_pod_spec(spec: &mut PodSpec) {
    if s(&spec.dns_policy).is_empty() {
        spec.dns_policy = Some("ClusterFirst".into());
    }
    if s(&spec.restart_policy).is_empty() {
        spec.restart_policy = Some("Always".into());
    }
    spec.security_context.get_or_insert_with(Default::default);
    spec.termination_grace_period_seconds.get_or_insert(30);
    if s(&spec.scheduler_name).is_empty() {
        spec.scheduler_name = Some("default-scheduler".into());
    }
    if s(&spec.service_account_name).is_empty() && !s(&spec.service_account).is_empty() {
        spec.service_account_name = spec.service_account.clone();
    }
    if !s(&spec.service_account_name).is_empty() {
        spec.service_account = spec.service_account_name.clone();
    }
    for c in spec
        .init_containers
        .iter_mut()
        .flatten()
        .chain(spec.containers.iter_mut())
    {
        default_container(c);
    }
    for e in spec.ephemeral_containers.iter_mut().flatten() {
        let mut c = super::pod_containers::as_container(e);
        default_container(&mut c);
        e.image_pull_policy = c.image_pull_policy;
        e.termination_message_path = c.termination_message_path;
        e.termination_message_policy = c.termination_message_policy;
        e.ports = c.ports;
        e.env = c.env;
        e.resources = c.resources;
        e.liveness_probe = c.liveness_probe;
        e.readiness_probe = c.readiness_probe;
        e.startup_probe = c.startup_probe;
        e.lifecycle = c.lifecycle;
    }
    for v in spec.volumes.iter_mut().flatten() {
        default_volume(v);
    }
    round_up_to_milli(&mut spec.overhead);
}

/// What differs between validating a pod and a pod template.
#[derive(Clone, Copy, Default)]
pub struct SpecOptions<'a> {
    /// The spec is a pod's (not a template's): host ports must be set with host networking,
    /// image volumes need a reference.
    pub for_pod: bool,
    /// The pod's name, which names the claims of ephemeral volumes.
    pub pod_name: Option<&'a str>,
}

/// Upstream ValidatePodSpec.
pub fn validate_spec(spec: &PodSpec, opts: SpecOptions, path: &Path) -> ErrorList {
    let mut errs = Vec::new();
    if spec.termination_grace_period_seconds.is_none() {
        errs.push(FieldError::required(
            &path.child("terminationGracePeriodSeconds"),
            "",
        ));
    }
    let host_users = spec.host_users.unwrap_or(true);
    let volumes = spec.volumes.as_deref().unwrap_or(&[]);
    let (valid, vol_errs) =
        validate_volumes(volumes, opts.pod_name, opts.for_pod, &path.child("volumes"));
    errs.extend(vol_errs);
    let claims: BTreeSet<String> = spec
        .resource_claims
        .iter()
        .flatten()
        .filter(|c| !c.name.is_empty())
        .map(|c| c.name.clone())
        .collect();
    errs.extend(validate_resource_claims(
        spec,
        &path.child("resourceClaims"),
    ));
    let ctx = PodContext {
        volumes: valid,
        claims,
        grace_period: spec.termination_grace_period_seconds,
        restart_policy: s(&spec.restart_policy),
        host_users,
    };
    let init = spec.init_containers.as_deref().unwrap_or(&[]);
    errs.extend(validate_containers(
        &spec.containers,
        &ctx,
        &path.child("containers"),
    ));
    errs.extend(validate_init_containers(
        init,
        &spec.containers,
        &ctx,
        &path.child("initContainers"),
    ));
    let eph = spec.ephemeral_containers.as_deref().unwrap_or(&[]);
    errs.extend(validate_ephemeral_containers(
        eph,
        &spec.containers,
        init,
        &ctx,
        &path.child("ephemeralContainers"),
    ));
    errs.extend(validate_host_network_ports(spec, opts.for_pod, path));
    let restart_path = path.child("restartPolicy");
    match s(&spec.restart_policy) {
        "Always" | "OnFailure" | "Never" => {}
        "" => errs.push(FieldError::required(&restart_path, "")),
        other => errs.push(not_supported(
            &restart_path,
            other,
            &["Always", "OnFailure", "Never"],
        )),
    }
    let dns_path = path.child("dnsPolicy");
    let dns_policies = ["ClusterFirstWithHostNet", "ClusterFirst", "Default", "None"];
    match s(&spec.dns_policy) {
        p if dns_policies.contains(&p) => {}
        "" => errs.push(FieldError::required(&dns_path, "")),
        other => errs.push(not_supported(&dns_path, other, &dns_policies)),
    }
    errs.extend(validate_labels(
        spec.node_selector.as_ref().unwrap_or(&BTreeMap::new()),
        &path.child("nodeSelector"),
    ));
    errs.extend(validate_pod_security_context(spec, path));
    if let Some(a) = &spec.affinity {
        errs.extend(validate_affinity(a, &path.child("affinity")));
    }
    errs.extend(validate_dns_config(
        spec.dns_config.as_ref(),
        s(&spec.dns_policy),
        &path.child("dnsConfig"),
    ));
    for (i, g) in spec.readiness_gates.iter().flatten().enumerate() {
        errs.extend(qualified_name(
            &g.condition_type,
            &path.child("readinessGates").index(i).child("conditionType"),
        ));
    }
    let mut gates = BTreeSet::new();
    for (i, g) in spec.scheduling_gates.iter().flatten().enumerate() {
        let p = path.child("schedulingGates").index(i);
        errs.extend(qualified_name(&g.name, &p));
        if !gates.insert(g.name.as_str()) {
            errs.push(FieldError::duplicate(&p, g.name.as_str()));
        }
    }
    errs.extend(validate_topology_spread(
        spec.topology_spread_constraints.as_deref().unwrap_or(&[]),
        &path.child("topologySpreadConstraints"),
    ));
    if !host_users {
        for (set, field) in [
            (spec.host_network, "hostNetwork"),
            (spec.host_pid, "HostPID"),
            (spec.host_ipc, "HostIPC"),
        ] {
            if set == Some(true) {
                errs.push(FieldError::forbidden(
                    &path.child(field),
                    "when `pod.Spec.HostUsers` is false",
                ));
            }
        }
    }
    for (value, field) in [
        (&spec.service_account_name, "serviceAccountName"),
        (&spec.node_name, "nodeName"),
    ] {
        let v = s(value);
        if !v.is_empty() {
            errs.extend(invalid_each(
                &path.child(field),
                v,
                name_is_dns_subdomain(v, false),
            ));
        }
    }
    if let Some(d) = spec.active_deadline_seconds
        && !(1..=i64::from(i32::MAX)).contains(&d)
    {
        errs.push(FieldError::invalid(
            &path.child("activeDeadlineSeconds"),
            d,
            &inclusive_range_error(1, i32::MAX.into()),
        ));
    }
    for (value, field) in [(&spec.hostname, "hostname"), (&spec.subdomain, "subdomain")] {
        if !s(value).is_empty() {
            errs.extend(dns_label(s(value), &path.child(field)));
        }
    }
    errs.extend(validate_tolerations(
        spec.tolerations.as_deref().unwrap_or(&[]),
        &path.child("tolerations"),
    ));
    for (i, alias) in spec.host_aliases.iter().flatten().enumerate() {
        let p = path.child("hostAliases").index(i);
        errs.extend(is_valid_ip_for_legacy_field(
            &p.child("ip"),
            &alias.ip,
            false,
            &[],
        ));
        for (j, h) in alias.hostnames.iter().flatten().enumerate() {
            errs.extend(dns_subdomain(h, &p.child("hostnames").index(j)));
        }
    }
    let pcn = s(&spec.priority_class_name);
    if !pcn.is_empty() {
        errs.extend(invalid_each(
            &path.child("priorityClassName"),
            pcn,
            name_is_dns_subdomain(pcn, false),
        ));
    }
    if let Some(rc) = &spec.runtime_class_name {
        errs.extend(invalid_each(
            &path.child("runtimeClassName"),
            rc,
            name_is_dns_subdomain(rc, false),
        ));
    }
    if let Some(p) = &spec.preemption_policy {
        let pp = path.child("preemptionPolicy");
        match p.as_str() {
            "PreemptLowerPriority" | "Never" => {}
            "" => errs.push(FieldError::required(&pp, "")),
            other => errs.push(not_supported(
                &pp,
                other,
                &["PreemptLowerPriority", "Never"],
            )),
        }
    }
    if spec.overhead.is_some() {
        let overhead = k8s_openapi::api::core::v1::ResourceRequirements {
            limits: spec.overhead.clone(),
            ..Default::default()
        };
        errs.extend(validate_container_requirements(
            &overhead,
            &BTreeSet::new(),
            &path.child("overhead"),
        ));
    }
    errs.extend(validate_os(spec, path));
    errs
}

fn validate_resource_claims(spec: &PodSpec, path: &Path) -> ErrorList {
    let mut errs = Vec::new();
    let mut names = BTreeSet::new();
    for (i, c) in spec.resource_claims.iter().flatten().enumerate() {
        let p = path.index(i);
        if c.name.is_empty() {
            errs.push(FieldError::required(&p.child("name"), ""));
        } else if names.contains(c.name.as_str()) {
            errs.push(FieldError::duplicate(&p.child("name"), c.name.as_str()));
        } else {
            errs.extend(dns_label(&c.name, &p.child("name")));
            names.insert(c.name.as_str());
        }
        let value = super::common::json_value(c);
        match (&c.resource_claim_name, &c.resource_claim_template_name) {
            (Some(_), Some(_)) => errs.push(FieldError::invalid(&p, value, "at most one of `resourceClaimName` or `resourceClaimTemplateName` may be specified")),
            (None, None) => errs.push(FieldError::invalid(&p, value, "must specify one of: `resourceClaimName`, `resourceClaimTemplateName`")),
            _ => {}
        }
        for (name, field) in [
            (&c.resource_claim_name, "resourceClaimName"),
            (&c.resource_claim_template_name, "resourceClaimTemplateName"),
        ] {
            if let Some(n) = name {
                errs.extend(invalid_each(
                    &p.child(field),
                    n,
                    name_is_dns_subdomain(n, false),
                ));
            }
        }
    }
    errs
}

/// Upstream validatePodHostNetworkDeps: with host networking, host ports equal container ports.
fn validate_host_network_ports(spec: &PodSpec, for_pod: bool, path: &Path) -> ErrorList {
    let mut errs = Vec::new();
    if spec.host_network != Some(true) {
        return errs;
    }
    for (i, c) in spec.containers.iter().enumerate() {
        for (j, port) in c.ports.iter().flatten().enumerate() {
            let hp = port.host_port.unwrap_or(0);
            if (for_pod || hp != 0) && hp != port.container_port {
                let p = path
                    .child("containers")
                    .index(i)
                    .child("ports")
                    .index(j)
                    .child("hostPort");
                errs.push(FieldError::invalid(
                    &p,
                    hp,
                    "must match `containerPort` when `hostNetwork` is true",
                ));
            }
        }
    }
    errs
}

/// Upstream validatePodDNSConfig (with v1.33's relaxed search paths).
fn validate_dns_config(cfg: Option<&PodDNSConfig>, policy: &str, path: &Path) -> ErrorList {
    let mut errs = Vec::new();
    if policy == "None" {
        match cfg {
            None => {
                return vec![FieldError::required(
                    path,
                    "must provide `dnsConfig` when `dnsPolicy` is None",
                )];
            }
            Some(c) if c.nameservers.as_ref().is_none_or(|n| n.is_empty()) => {
                return vec![FieldError::required(
                    &path.child("nameservers"),
                    "must provide at least one DNS nameserver when `dnsPolicy` is None",
                )];
            }
            _ => {}
        }
    }
    let Some(cfg) = cfg else {
        return errs;
    };
    let servers = cfg.nameservers.as_deref().unwrap_or(&[]);
    if servers.len() > 3 {
        errs.push(FieldError::invalid(
            &path.child("nameservers"),
            servers.to_vec(),
            "must not have more than 3 nameservers",
        ));
    }
    for (i, ns) in servers.iter().enumerate() {
        errs.extend(is_valid_ip_for_legacy_field(
            &path.child("nameservers").index(i),
            ns,
            false,
            &[],
        ));
    }
    let searches = cfg.searches.as_deref().unwrap_or(&[]);
    if searches.len() > 32 {
        errs.push(FieldError::invalid(
            &path.child("searches"),
            searches.to_vec(),
            "must not have more than 32 search paths",
        ));
    }
    if searches.join(" ").len() > 2048 {
        errs.push(FieldError::invalid(
            &path.child("searches"),
            searches.to_vec(),
            "must not have more than 2048 characters (including spaces) in the search list",
        ));
    }
    for (i, search) in searches.iter().enumerate() {
        if search != "." {
            let trimmed = search.strip_suffix('.').unwrap_or(search);
            errs.extend(dns_subdomain_with_underscore(
                trimmed,
                &path.child("searches").index(i),
            ));
        }
    }
    for (i, o) in cfg.options.iter().flatten().enumerate() {
        if s(&o.name).is_empty() {
            errs.push(FieldError::required(
                &path.child("options").index(i),
                "must not be empty",
            ));
        }
    }
    errs
}

const MIRROR_POD: &str = "kubernetes.io/config.mirror";
const DELETION_COST: &str = "controller.kubernetes.io/pod-deletion-cost";
const SECCOMP_POD: &str = "seccomp.security.alpha.kubernetes.io/pod";
const SECCOMP_CONTAINER_PREFIX: &str = "container.seccomp.security.alpha.kubernetes.io/";
const APPARMOR_PREFIX: &str = "container.apparmor.security.beta.kubernetes.io/";

/// Upstream ValidatePodSpecificAnnotations.
pub fn validate_pod_annotations(meta: &ObjectMeta, spec: &PodSpec, path: &Path) -> ErrorList {
    let mut errs = Vec::new();
    let empty = BTreeMap::new();
    let annotations = meta.annotations.as_ref().unwrap_or(&empty);
    if let Some(v) = annotations.get(MIRROR_POD)
        && s(&spec.node_name).is_empty()
    {
        errs.push(FieldError::invalid(
            &path.key(MIRROR_POD),
            v.as_str(),
            "must set spec.nodeName if mirror pod annotation is set",
        ));
    }
    if let Some(v) = annotations.get(DELETION_COST)
        && v.parse::<i32>().is_err()
    {
        errs.push(FieldError::invalid(
            &path.key(DELETION_COST),
            v.as_str(),
            "must be a 32bit integer",
        ));
    }
    for (k, v) in annotations {
        if k == SECCOMP_POD || k.starts_with(SECCOMP_CONTAINER_PREFIX) {
            errs.extend(validate_seccomp_annotation(v, &path.child(k)));
        }
        if let Some(container) = k.strip_prefix(APPARMOR_PREFIX) {
            let known = spec
                .containers
                .iter()
                .chain(spec.init_containers.iter().flatten())
                .any(|c| c.name == container)
                || spec
                    .ephemeral_containers
                    .iter()
                    .flatten()
                    .any(|c| c.name == container);
            if !known {
                errs.push(FieldError::invalid(
                    &path.key(k),
                    container,
                    "container not found",
                ));
            }
            let valid = v.is_empty()
                || v == "runtime/default"
                || v == "unconfined"
                || v.starts_with("localhost/");
            if !valid {
                errs.push(FieldError::invalid(
                    &path.key(k),
                    v.as_str(),
                    &format!("invalid AppArmor profile name: {v:?}"),
                ));
            }
        }
    }
    errs
}

fn validate_seccomp_annotation(p: &str, path: &Path) -> ErrorList {
    if ["runtime/default", "docker/default", "unconfined"].contains(&p) {
        return Vec::new();
    }
    match p.strip_prefix("localhost/") {
        Some(rest) => super::common::local_descending_path(rest, path),
        None => vec![FieldError::invalid(
            path,
            p,
            "must be a valid seccomp profile",
        )],
    }
}

#[cfg(test)]
#[path = "podspec_tests.rs"]
mod tests;
