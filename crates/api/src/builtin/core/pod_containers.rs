//! The container lists of a pod spec: regular, init (including restartable sidecars) and
//! ephemeral containers (upstream validateContainers, validateInitContainers,
//! validateEphemeralContainers, checkHostPortConflicts).

use std::collections::BTreeSet;

use capstan_apimachinery::{ErrorList, FieldError, Path};
use k8s_openapi::api::core::v1::{Container, EphemeralContainer};

use super::common::{not_supported, s};
use super::container::{PodContext, validate_container_common};
use super::handlers::{validate_lifecycle, validate_probe};

fn probes(c: &Container, grace: Option<i64>, path: &Path) -> ErrorList {
    let mut errs = Vec::new();
    if c.lifecycle.is_some() {
        errs.extend(validate_lifecycle(c, grace, &path.child("lifecycle")));
    }
    for (probe, field) in [
        (&c.liveness_probe, "livenessProbe"),
        (&c.readiness_probe, "readinessProbe"),
        (&c.startup_probe, "startupProbe"),
    ] {
        errs.extend(validate_probe(field, probe, grace, &path.child(field)));
    }
    errs
}

/// Upstream AccumulateUniqueHostPorts over the given containers, indexed from 0.
fn host_port_conflicts(containers: &[&Container], path: &Path) -> ErrorList {
    let mut errs = Vec::new();
    let mut seen = BTreeSet::new();
    for (ci, c) in containers.iter().enumerate() {
        for (pi, p) in c.ports.iter().flatten().enumerate() {
            let host_port = p.host_port.unwrap_or(0);
            if host_port == 0 {
                continue;
            }
            let key = format!("{}/{}/{}", s(&p.protocol), s(&p.host_ip), host_port);
            let at = path.index(ci).child("ports").index(pi).child("hostPort");
            if seen.contains(&key) {
                errs.push(FieldError::duplicate(&at, key));
            } else {
                seen.insert(key);
            }
        }
    }
    errs
}

/// Upstream validateContainers.
pub fn validate_containers(containers: &[Container], ctx: &PodContext, path: &Path) -> ErrorList {
    if containers.is_empty() {
        return vec![FieldError::required(path, "")];
    }
    let mut errs = Vec::new();
    let mut names = BTreeSet::new();
    for (i, c) in containers.iter().enumerate() {
        let p = path.index(i);
        errs.extend(validate_container_common(c, ctx, &p));
        if !names.insert(c.name.as_str()) {
            errs.push(FieldError::duplicate(&p.child("name"), c.name.as_str()));
        }
        errs.extend(probes(c, ctx.grace_period, &p));
        if c.restart_policy.is_some() {
            errs.push(FieldError::forbidden(
                &p.child("restartPolicy"),
                "may not be set for non-init containers",
            ));
        }
    }
    let all: Vec<&Container> = containers.iter().collect();
    errs.extend(host_port_conflicts(&all, path));
    errs
}

/// Upstream validateInitContainers: restartable (sidecar) init containers may have probes and
/// lifecycle hooks; others may not.
pub fn validate_init_containers(
    init: &[Container],
    regular: &[Container],
    ctx: &PodContext,
    path: &Path,
) -> ErrorList {
    let mut errs = Vec::new();
    let mut names: BTreeSet<&str> = regular.iter().map(|c| c.name.as_str()).collect();
    for (i, c) in init.iter().enumerate() {
        let p = path.index(i);
        errs.extend(validate_container_common(c, ctx, &p));
        let mut restart_always = false;
        if let Some(policy) = &c.restart_policy {
            if policy != "Always" {
                errs.push(not_supported(
                    &p.child("restartPolicy"),
                    policy,
                    &["Always"],
                ));
            }
            restart_always = policy == "Always";
        }
        if names.contains(c.name.as_str()) {
            errs.push(FieldError::duplicate(&p.child("name"), c.name.as_str()));
        } else if !c.name.is_empty() {
            names.insert(c.name.as_str());
        }
        // Init containers run one at a time: conflicts are checked per container.
        errs.extend(host_port_conflicts(&[c], path));
        if restart_always {
            errs.extend(probes(c, ctx.grace_period, &p));
        } else {
            let forbidden = [
                (c.lifecycle.is_some(), "lifecycle"),
                (c.liveness_probe.is_some(), "livenessProbe"),
                (c.readiness_probe.is_some(), "readinessProbe"),
                (c.startup_probe.is_some(), "startupProbe"),
            ];
            for (set, field) in forbidden {
                if set {
                    errs.push(FieldError::forbidden(
                        &p.child(field),
                        "may not be set for init containers without restartPolicy=Always",
                    ));
                }
            }
        }
    }
    errs
}

/// An ephemeral container seen as a container (upstream converts the common part).
pub fn as_container(e: &EphemeralContainer) -> Container {
    Container {
        args: e.args.clone(),
        command: e.command.clone(),
        env: e.env.clone(),
        env_from: e.env_from.clone(),
        image: e.image.clone(),
        image_pull_policy: e.image_pull_policy.clone(),
        lifecycle: e.lifecycle.clone(),
        liveness_probe: e.liveness_probe.clone(),
        name: e.name.clone(),
        ports: e.ports.clone(),
        readiness_probe: e.readiness_probe.clone(),
        resize_policy: e.resize_policy.clone(),
        resources: e.resources.clone(),
        restart_policy: e.restart_policy.clone(),
        security_context: e.security_context.clone(),
        startup_probe: e.startup_probe.clone(),
        stdin: e.stdin,
        stdin_once: e.stdin_once,
        termination_message_path: e.termination_message_path.clone(),
        termination_message_policy: e.termination_message_policy.clone(),
        tty: e.tty,
        volume_devices: e.volume_devices.clone(),
        volume_mounts: e.volume_mounts.clone(),
        working_dir: e.working_dir.clone(),
    }
}

/// Upstream validateContainerOnlyForPod: no surrounding whitespace in images.
pub fn validate_image_whitespace(c: &Container, path: &Path) -> ErrorList {
    let image = s(&c.image);
    if image.trim() != image {
        vec![FieldError::invalid(
            &path.child("image"),
            image,
            "must not have leading or trailing whitespace",
        )]
    } else {
        Vec::new()
    }
}

/// Upstream validateEphemeralContainers.
pub fn validate_ephemeral_containers(
    eph: &[EphemeralContainer],
    regular: &[Container],
    init: &[Container],
    ctx: &PodContext,
    path: &Path,
) -> ErrorList {
    let mut errs = Vec::new();
    let others: BTreeSet<&str> = regular
        .iter()
        .chain(init)
        .map(|c| c.name.as_str())
        .collect();
    let mut all = others.clone();
    for (i, e) in eph.iter().enumerate() {
        let p = path.index(i);
        let c = as_container(e);
        errs.extend(validate_container_common(&c, ctx, &p));
        errs.extend(validate_image_whitespace(&c, &p));
        if all.contains(e.name.as_str()) {
            errs.push(FieldError::duplicate(&p.child("name"), e.name.as_str()));
        } else {
            all.insert(e.name.as_str());
        }
        let target = s(&e.target_container_name);
        if !target.is_empty() && !others.contains(target) {
            errs.push(FieldError::not_found(
                &p.child("targetContainerName"),
                target,
            ));
        }
        let resources_set = e
            .resources
            .as_ref()
            .is_some_and(|r| *r != Default::default());
        let disallowed = [
            (e.ports.as_ref().is_some_and(|v| !v.is_empty()), "ports"),
            (resources_set, "resources"),
            (
                e.resize_policy.as_ref().is_some_and(|v| !v.is_empty()),
                "resizePolicy",
            ),
            (e.restart_policy.is_some(), "restartPolicy"),
            (e.liveness_probe.is_some(), "livenessProbe"),
            (e.readiness_probe.is_some(), "readinessProbe"),
            (e.startup_probe.is_some(), "startupProbe"),
            (e.lifecycle.is_some(), "lifecycle"),
        ];
        for (set, field) in disallowed {
            if set {
                errs.push(FieldError::forbidden(
                    &p.child(field),
                    "cannot be set for an Ephemeral Container",
                ));
            }
        }
        for (j, m) in e.volume_mounts.iter().flatten().enumerate() {
            let mp = p.child("volumeMounts").index(j);
            if !s(&m.sub_path).is_empty() {
                errs.push(FieldError::forbidden(
                    &mp.child("subPath"),
                    "cannot be set for an Ephemeral Container",
                ));
            }
            if !s(&m.sub_path_expr).is_empty() {
                errs.push(FieldError::forbidden(
                    &mp.child("subPathExpr"),
                    "cannot be set for an Ephemeral Container",
                ));
            }
        }
    }
    errs
}
