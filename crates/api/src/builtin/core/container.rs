//! Containers: defaults (upstream SetDefaults_Container and the nested defaults of ports,
//! env, probes, handlers and resources) and the validation common to regular, init and
//! ephemeral containers (upstream validateContainerCommon and what it calls).

use std::collections::{BTreeMap, BTreeSet};

use capstan_apimachinery::validation::{is_valid_port_name, is_valid_port_num};
use capstan_apimachinery::{ErrorList, FieldError, Path};
use k8s_openapi::api::core::v1::{
    Container, ContainerPort, HTTPGetAction, LifecycleHandler, ObjectFieldSelector, Probe, Volume,
    VolumeMount,
};

use super::common::{invalid_each, local_descending_path, not_supported, s};
use super::env::{validate_env, validate_env_from};
use super::handlers::{validate_container_security_context, validate_resize_policy};
use super::resources::{round_up_to_milli, validate_container_requirements};

/// What container validation needs to know about the pod around it.
pub struct PodContext<'a> {
    /// Volumes that passed validation, by name.
    pub volumes: BTreeMap<&'a str, &'a Volume>,
    pub claims: BTreeSet<String>,
    pub grace_period: Option<i64>,
    pub restart_policy: &'a str,
    pub host_users: bool,
}

/// Upstream SetDefaults_Container and the defaults of everything a container holds.
pub fn default_container(c: &mut Container) {
    if s(&c.image_pull_policy).is_empty() {
        c.image_pull_policy = Some(default_pull_policy(s(&c.image)).into());
    }
    if s(&c.termination_message_path).is_empty() {
        c.termination_message_path = Some("/dev/termination-log".into());
    }
    if s(&c.termination_message_policy).is_empty() {
        c.termination_message_policy = Some("File".into());
    }
    for p in c.ports.iter_mut().flatten() {
        default_port(p);
    }
    for e in c.env.iter_mut().flatten() {
        if let Some(f) = e.value_from.as_mut().and_then(|v| v.field_ref.as_mut()) {
            default_field_ref(f);
        }
    }
    let resources = c.resources.get_or_insert_with(Default::default);
    round_up_to_milli(&mut resources.limits);
    round_up_to_milli(&mut resources.requests);
    for probe in [
        &mut c.liveness_probe,
        &mut c.readiness_probe,
        &mut c.startup_probe,
    ] {
        if let Some(p) = probe.as_mut() {
            default_probe(p);
        }
    }
    if let Some(l) = c.lifecycle.as_mut() {
        for h in [&mut l.post_start, &mut l.pre_stop].into_iter().flatten() {
            default_handler(h);
        }
    }
}

pub fn default_port(p: &mut ContainerPort) {
    if s(&p.protocol).is_empty() {
        p.protocol = Some("TCP".into());
    }
}

/// Upstream SetDefaults_ObjectFieldSelector.
pub fn default_field_ref(f: &mut ObjectFieldSelector) {
    if s(&f.api_version).is_empty() {
        f.api_version = Some("v1".into());
    }
}

fn default_http_get(h: &mut HTTPGetAction) {
    if s(&h.path).is_empty() {
        h.path = Some("/".into());
    }
    if s(&h.scheme).is_empty() {
        h.scheme = Some("HTTP".into());
    }
}

/// Upstream SetDefaults_Probe.
fn default_probe(p: &mut Probe) {
    for (field, value) in [
        (&mut p.timeout_seconds, 1),
        (&mut p.period_seconds, 10),
        (&mut p.success_threshold, 1),
        (&mut p.failure_threshold, 3),
    ] {
        if field.unwrap_or(0) == 0 {
            *field = Some(value);
        }
    }
    if let Some(h) = p.http_get.as_mut() {
        default_http_get(h);
    }
}

fn default_handler(h: &mut LifecycleHandler) {
    if let Some(g) = h.http_get.as_mut() {
        default_http_get(g);
    }
}

/// Always for `:latest` or untagged images, IfNotPresent otherwise (also for names that do
/// not parse as image references, as upstream's parser then yields no tag).
pub fn default_pull_policy(image: &str) -> &'static str {
    match image_tag(image) {
        Some(tag) if tag == "latest" => "Always",
        _ => "IfNotPresent",
    }
}

/// The tag of an image reference: "latest" when neither tag nor digest is given, None when
/// the reference does not parse.
fn image_tag(image: &str) -> Option<String> {
    let (name, digest) = match image.split_once('@') {
        Some((n, d)) => (n, Some(d)),
        None => (image, None),
    };
    if let Some(d) = digest {
        let (algo, hex) = d.split_once(':')?;
        if algo.is_empty() || hex.len() < 32 || !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
            return None;
        }
    }
    let last_slash = name.rfind('/').map(|i| i + 1).unwrap_or(0);
    let (repo, tag) = match name[last_slash..].rfind(':') {
        Some(i) => (&name[..last_slash + i], Some(&name[last_slash + i + 1..])),
        None => (name, None),
    };
    if !valid_repository(repo) {
        return None;
    }
    match tag {
        Some(t) if !valid_tag(t) => None,
        Some(t) => Some(t.to_string()),
        None if digest.is_some() => Some(String::new()),
        None => Some("latest".into()),
    }
}

fn valid_tag(tag: &str) -> bool {
    let b = tag.as_bytes();
    !b.is_empty()
        && b.len() <= 128
        && (b[0].is_ascii_alphanumeric() || b[0] == b'_')
        && b.iter()
            .all(|&c| c.is_ascii_alphanumeric() || matches!(c, b'_' | b'.' | b'-'))
}

fn valid_repository(repo: &str) -> bool {
    let mut parts: Vec<&str> = repo.split('/').collect();
    if parts.len() > 1 {
        let first = parts[0];
        let is_domain = first.contains('.') || first.contains(':') || first == "localhost";
        if is_domain {
            let host_ok = first.bytes().all(|c| {
                c.is_ascii_alphanumeric() || matches!(c, b'.' | b'-' | b':' | b'[' | b']')
            });
            if !host_ok {
                return false;
            }
            parts.remove(0);
        }
    }
    !parts.is_empty() && parts.iter().all(|p| path_component(p))
}

fn path_component(p: &str) -> bool {
    let b = p.as_bytes();
    let alnum = |c: u8| c.is_ascii_lowercase() || c.is_ascii_digit();
    match (b.first(), b.last()) {
        (Some(&f), Some(&l)) if alnum(f) && alnum(l) => b
            .iter()
            .all(|&c| alnum(c) || matches!(c, b'.' | b'_' | b'-')),
        _ => false,
    }
}

/// Upstream validateContainerCommon.
pub fn validate_container_common(c: &Container, ctx: &PodContext, path: &Path) -> ErrorList {
    let mut errs = Vec::new();
    let name_path = path.child("name");
    if c.name.is_empty() {
        errs.push(FieldError::required(&name_path, ""));
    } else {
        errs.extend(super::common::dns_label(&c.name, &name_path));
    }
    if s(&c.image).is_empty() {
        errs.push(FieldError::required(&path.child("image"), ""));
    }
    let policy_path = path.child("terminationMessagePolicy");
    match s(&c.termination_message_policy) {
        "File" | "FallbackToLogsOnError" => {}
        "" => errs.push(FieldError::required(&policy_path, "")),
        other => errs.push(not_supported(
            &policy_path,
            other,
            &["File", "FallbackToLogsOnError"],
        )),
    }
    let mounts: BTreeMap<&str, &str> = c
        .volume_mounts
        .iter()
        .flatten()
        .map(|m| (m.name.as_str(), m.mount_path.as_str()))
        .collect();
    let devices: BTreeMap<&str, &str> = c
        .volume_devices
        .iter()
        .flatten()
        .map(|d| (d.name.as_str(), d.device_path.as_str()))
        .collect();
    errs.extend(validate_ports(
        c.ports.as_deref().unwrap_or(&[]),
        &path.child("ports"),
    ));
    errs.extend(validate_env(
        c.env.as_deref().unwrap_or(&[]),
        &path.child("env"),
    ));
    errs.extend(validate_env_from(
        c.env_from.as_deref().unwrap_or(&[]),
        &path.child("envFrom"),
    ));
    errs.extend(validate_mounts(
        c,
        &devices,
        ctx,
        &path.child("volumeMounts"),
    ));
    errs.extend(super::volumes::validate_devices(
        c,
        &mounts,
        ctx,
        &path.child("volumeDevices"),
    ));
    errs.extend(validate_pull_policy(
        s(&c.image_pull_policy),
        &path.child("imagePullPolicy"),
    ));
    if let Some(r) = &c.resources {
        errs.extend(validate_container_requirements(
            r,
            &ctx.claims,
            &path.child("resources"),
        ));
    }
    errs.extend(validate_resize_policy(
        c,
        ctx.restart_policy,
        &path.child("resizePolicy"),
    ));
    if let Some(sc) = &c.security_context {
        errs.extend(validate_container_security_context(
            sc,
            ctx.host_users,
            &path.child("securityContext"),
        ));
    }
    errs
}

/// Upstream validatePullPolicy.
pub fn validate_pull_policy(policy: &str, path: &Path) -> ErrorList {
    match policy {
        "Always" | "IfNotPresent" | "Never" => Vec::new(),
        "" => vec![FieldError::required(path, "")],
        other => vec![not_supported(
            path,
            other,
            &["Always", "IfNotPresent", "Never"],
        )],
    }
}

/// Upstream validateContainerPorts.
pub fn validate_ports(ports: &[ContainerPort], path: &Path) -> ErrorList {
    let mut errs = Vec::new();
    let mut names = BTreeSet::new();
    for (i, port) in ports.iter().enumerate() {
        let p = path.index(i);
        let name = s(&port.name);
        if !name.is_empty() {
            let msgs = is_valid_port_name(name);
            if !msgs.is_empty() {
                errs.extend(invalid_each(&p.child("name"), name, msgs));
            } else if !names.insert(name) {
                errs.push(FieldError::duplicate(&p.child("name"), name));
            }
        }
        if port.container_port == 0 {
            errs.push(FieldError::required(&p.child("containerPort"), ""));
        } else {
            for m in is_valid_port_num(port.container_port.into()) {
                errs.push(FieldError::invalid(
                    &p.child("containerPort"),
                    port.container_port,
                    &m,
                ));
            }
        }
        let host_port = port.host_port.unwrap_or(0);
        if host_port != 0 {
            for m in is_valid_port_num(host_port.into()) {
                errs.push(FieldError::invalid(&p.child("hostPort"), host_port, &m));
            }
        }
        match s(&port.protocol) {
            "TCP" | "UDP" | "SCTP" => {}
            "" => errs.push(FieldError::required(&p.child("protocol"), "")),
            other => errs.push(not_supported(
                &p.child("protocol"),
                other,
                &["SCTP", "TCP", "UDP"],
            )),
        }
    }
    errs
}

/// Upstream ValidateVolumeMounts.
fn validate_mounts(
    c: &Container,
    devices: &BTreeMap<&str, &str>,
    ctx: &PodContext,
    path: &Path,
) -> ErrorList {
    let mut errs = Vec::new();
    let mut mount_points = BTreeSet::new();
    for (i, m) in c.volume_mounts.iter().flatten().enumerate() {
        let p = path.index(i);
        if m.name.is_empty() {
            errs.push(FieldError::required(&p.child("name"), ""));
        }
        let volume = ctx.volumes.get(m.name.as_str());
        if volume.is_none() {
            errs.push(FieldError::not_found(&p.child("name"), m.name.as_str()));
        }
        if m.mount_path.is_empty() {
            errs.push(FieldError::required(&p.child("mountPath"), ""));
        }
        if !mount_points.insert(m.mount_path.as_str()) {
            errs.push(FieldError::invalid(
                &p.child("mountPath"),
                m.mount_path.as_str(),
                "must be unique",
            ));
        }
        if devices.contains_key(m.name.as_str()) {
            errs.push(FieldError::invalid(
                &p.child("name"),
                m.name.as_str(),
                "must not already exist in volumeDevices",
            ));
        }
        if devices.values().any(|d| *d == m.mount_path) {
            errs.push(FieldError::invalid(
                &p.child("mountPath"),
                m.mount_path.as_str(),
                "must not already exist as a path in volumeDevices",
            ));
        }
        errs.extend(validate_mount_paths(
            m,
            volume.is_some_and(|v| v.image.is_some()),
            &p,
            path,
        ));
        errs.extend(super::handlers::validate_mount_options(m, c, path));
    }
    errs
}

/// Sub-path rules of a mount. Upstream reports the path checks on the list's path, not the item's.
fn validate_mount_paths(m: &VolumeMount, image: bool, item: &Path, list: &Path) -> ErrorList {
    let mut errs = Vec::new();
    let sub_path = s(&m.sub_path);
    let sub_expr = s(&m.sub_path_expr);
    if image {
        if !sub_path.is_empty() {
            errs.push(FieldError::invalid(
                &item.child("subPath"),
                sub_path,
                "not allowed in image volume sources",
            ));
        }
        if !sub_expr.is_empty() {
            errs.push(FieldError::invalid(
                &item.child("subPathExpr"),
                sub_expr,
                "not allowed in image volume sources",
            ));
        }
    }
    if !sub_path.is_empty() {
        errs.extend(local_descending_path(sub_path, &list.child("subPath")));
    }
    if !sub_expr.is_empty() {
        if !sub_path.is_empty() {
            errs.push(FieldError::invalid(
                &item.child("subPathExpr"),
                sub_expr,
                "subPathExpr and subPath are mutually exclusive",
            ));
        }
        errs.extend(local_descending_path(sub_expr, &list.child("subPathExpr")));
    }
    errs
}

#[cfg(test)]
#[path = "container_tests.rs"]
mod tests;
