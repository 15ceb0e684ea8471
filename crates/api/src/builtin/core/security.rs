//! Pod-level security settings and the OS-specific rules (upstream
//! validatePodSpecSecurityContext, validateSysctls, validateOS, validateLinux, validateWindows).

use std::collections::BTreeSet;

use capstan_apimachinery::validation::{is_valid_group_id, is_valid_user_id};
use capstan_apimachinery::{ErrorList, FieldError, Path};
use k8s_openapi::api::core::v1::{Container, PodSpec, SecurityContext};

use super::common::not_supported;
use super::handlers::{id_errors, validate_app_armor, validate_seccomp, validate_windows_options};

const SYSCTL_REGEX: &str =
    "^([a-z0-9]([-_a-z0-9]*[a-z0-9])?[\\./])*[a-z0-9]([-_a-z0-9]*[a-z0-9])?$";

/// Upstream IsValidSysctlName.
fn valid_sysctl_name(name: &str) -> bool {
    if name.len() > 253 {
        return false;
    }
    let segment = |seg: &str| {
        let b = seg.as_bytes();
        let end_ok = |c: u8| c.is_ascii_lowercase() || c.is_ascii_digit();
        match (b.first(), b.last()) {
            (Some(&f), Some(&l)) => {
                end_ok(f) && end_ok(l) && b.iter().all(|&c| end_ok(c) || c == b'-' || c == b'_')
            }
            _ => false,
        }
    };
    name.split(['.', '/']).all(segment)
}

/// The host namespace a sysctl belongs to, if any (upstream utilsysctl.GetNamespace).
fn sysctl_namespace(name: &str) -> Option<&'static str> {
    let name = name.replace('/', ".");
    if name.starts_with("net.") {
        Some("net")
    } else if name == "kernel.sem"
        || name.starts_with("kernel.shm")
        || name.starts_with("kernel.msg")
        || name.starts_with("fs.mqueue.")
    {
        Some("ipc")
    } else {
        None
    }
}

/// Upstream validatePodSpecSecurityContext; `path` is the spec's path.
pub fn validate_pod_security_context(spec: &PodSpec, path: &Path) -> ErrorList {
    let mut errs = Vec::new();
    let Some(sc) = &spec.security_context else {
        return errs;
    };
    let p = path.child("securityContext");
    if let Some(g) = sc.fs_group {
        errs.extend(id_errors(is_valid_group_id(g), g, &p.child("fsGroup")));
    }
    if let Some(u) = sc.run_as_user {
        errs.extend(id_errors(is_valid_user_id(u), u, &p.child("runAsUser")));
    }
    if let Some(g) = sc.run_as_group {
        errs.extend(id_errors(is_valid_group_id(g), g, &p.child("runAsGroup")));
    }
    for (i, g) in sc.supplemental_groups.iter().flatten().enumerate() {
        errs.extend(id_errors(
            is_valid_group_id(*g),
            *g,
            &p.child("supplementalGroups").index(i),
        ));
    }
    if spec.share_process_namespace == Some(true) && spec.host_pid == Some(true) {
        errs.push(FieldError::invalid(
            &p.child("shareProcessNamespace"),
            true,
            "ShareProcessNamespace and HostPID cannot both be enabled",
        ));
    }
    let mut names = BTreeSet::new();
    for (i, sysctl) in sc.sysctls.iter().flatten().enumerate() {
        let np = p.child("sysctls").index(i).child("name");
        if sysctl.name.is_empty() {
            errs.push(FieldError::required(&np, ""));
        } else if !valid_sysctl_name(&sysctl.name) {
            let msg = format!("must have at most 253 characters and match regex {SYSCTL_REGEX}");
            errs.push(FieldError::invalid(&np, sysctl.name.as_str(), &msg));
        } else if names.contains(sysctl.name.as_str()) {
            errs.push(FieldError::duplicate(&np, sysctl.name.as_str()));
        }
        match sysctl_namespace(&sysctl.name) {
            Some("net") if spec.host_network == Some(true) => {
                errs.push(FieldError::invalid(
                    &np,
                    sysctl.name.as_str(),
                    "may not be specified when 'hostNetwork' is true",
                ));
            }
            Some("ipc") if spec.host_ipc == Some(true) => {
                errs.push(FieldError::invalid(
                    &np,
                    sysctl.name.as_str(),
                    "may not be specified when 'hostIPC' is true",
                ));
            }
            _ => {}
        }
        names.insert(sysctl.name.as_str());
    }
    if let Some(policy) = &sc.fs_group_change_policy
        && policy != "OnRootMismatch"
        && policy != "Always"
    {
        errs.push(not_supported(
            &p.child("fsGroupChangePolicy"),
            policy,
            &["Always", "OnRootMismatch"],
        ));
    }
    errs.extend(validate_seccomp(
        &sc.seccomp_profile,
        &p.child("seccompProfile"),
    ));
    errs.extend(validate_windows_options(
        &sc.windows_options,
        &p.child("windowsOptions"),
    ));
    errs.extend(validate_app_armor(
        &sc.app_armor_profile,
        &p.child("appArmorProfile"),
    ));
    if let Some(policy) = &sc.supplemental_groups_policy
        && policy != "Merge"
        && policy != "Strict"
    {
        errs.push(not_supported(
            &p.child("supplementalGroupsPolicy"),
            policy,
            &["Merge", "Strict"],
        ));
    }
    // Only "Recursive" while SELinuxMount is off (v1.33's default).
    if let Some(policy) = &sc.se_linux_change_policy
        && policy != "Recursive"
    {
        errs.push(not_supported(
            &p.child("seLinuxChangePolicy"),
            policy,
            &["Recursive"],
        ));
    }
    errs
}

fn all_containers(spec: &PodSpec, path: &Path) -> Vec<(Option<SecurityContext>, Path)> {
    let mut out: Vec<(Option<SecurityContext>, Path)> = Vec::new();
    let mut add = |cs: &[Container], field: &str| {
        for (i, c) in cs.iter().enumerate() {
            out.push((c.security_context.clone(), path.child(field).index(i)));
        }
    };
    add(
        spec.init_containers.as_deref().unwrap_or(&[]),
        "initContainers",
    );
    add(&spec.containers, "containers");
    for (i, e) in spec.ephemeral_containers.iter().flatten().enumerate() {
        out.push((
            e.security_context.clone(),
            path.child("ephemeralContainers").index(i),
        ));
    }
    out
}

/// Upstream validateOS with validateLinux / validateWindows; `path` is the spec's path.
pub fn validate_os(spec: &PodSpec, path: &Path) -> ErrorList {
    let Some(os) = &spec.os else {
        return Vec::new();
    };
    let os_path = path.child("os");
    if os.name.is_empty() {
        return vec![FieldError::required(
            &os_path.child("name"),
            "cannot be empty",
        )];
    }
    let mut errs = Vec::new();
    match os.name.as_str() {
        "linux" => {
            if spec
                .security_context
                .as_ref()
                .is_some_and(|sc| sc.windows_options.is_some())
            {
                errs.push(FieldError::forbidden(
                    &path.child("securityContext").child("windowsOptions"),
                    "windows options cannot be set for a linux pod",
                ));
            }
            for (sc, p) in all_containers(spec, path) {
                if sc.is_some_and(|sc| sc.windows_options.is_some()) {
                    errs.push(FieldError::forbidden(
                        &p.child("securityContext").child("windowsOptions"),
                        "windows options cannot be set for a linux pod",
                    ));
                }
            }
        }
        "windows" => errs.extend(validate_windows(spec, path)),
        other => errs.push(not_supported(&os_path, other, &["linux", "windows"])),
    }
    errs
}

fn validate_windows(spec: &PodSpec, path: &Path) -> ErrorList {
    const MSG: &str = "cannot be set for a windows pod";
    let mut errs = Vec::new();
    let scp = path.child("securityContext");
    if let Some(sc) = &spec.security_context {
        let checks = [
            (sc.app_armor_profile.is_some(), scp.child("appArmorProfile")),
            (sc.se_linux_options.is_some(), scp.child("seLinuxOptions")),
            (spec.host_users.is_some(), path.child("hostUsers")),
            (spec.host_pid == Some(true), path.child("hostPID")),
            (spec.host_ipc == Some(true), path.child("hostIPC")),
            (sc.seccomp_profile.is_some(), scp.child("seccompProfile")),
            (sc.fs_group.is_some(), scp.child("fsGroup")),
            (
                sc.fs_group_change_policy.is_some(),
                scp.child("fsGroupChangePolicy"),
            ),
            (
                sc.sysctls.as_ref().is_some_and(|v| !v.is_empty()),
                scp.child("sysctls"),
            ),
            (
                spec.share_process_namespace.is_some(),
                path.child("shareProcessNamespace"),
            ),
            (sc.run_as_user.is_some(), scp.child("runAsUser")),
            (sc.run_as_group.is_some(), scp.child("runAsGroup")),
            (
                sc.supplemental_groups.is_some(),
                scp.child("supplementalGroups"),
            ),
            (
                sc.supplemental_groups_policy.is_some(),
                scp.child("supplementalGroupsPolicy"),
            ),
            (
                sc.se_linux_change_policy.is_some(),
                scp.child("seLinuxChangePolicy"),
            ),
        ];
        for (set, p) in checks {
            if set {
                errs.push(FieldError::forbidden(&p, MSG));
            }
        }
    }
    for (sc, cp) in all_containers(spec, path) {
        let Some(sc) = sc else { continue };
        let p = cp.child("securityContext");
        let checks = [
            (sc.app_armor_profile.is_some(), "appArmorProfile"),
            (sc.se_linux_options.is_some(), "seLinuxOptions"),
            (sc.seccomp_profile.is_some(), "seccompProfile"),
            (sc.capabilities.is_some(), "capabilities"),
            (
                sc.read_only_root_filesystem.is_some(),
                "readOnlyRootFilesystem",
            ),
            (sc.privileged.is_some(), "privileged"),
            (
                sc.allow_privilege_escalation.is_some(),
                "allowPrivilegeEscalation",
            ),
            (sc.proc_mount.is_some(), "procMount"),
            (sc.run_as_user.is_some(), "runAsUser"),
            (sc.run_as_group.is_some(), "runAsGroup"),
        ];
        for (set, field) in checks {
            if set {
                errs.push(FieldError::forbidden(&p.child(field), MSG));
            }
        }
    }
    errs
}
