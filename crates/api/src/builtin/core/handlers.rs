//! Probes, lifecycle handlers, resize policies, mount options and security contexts of
//! containers (upstream validateProbe, validateHandler, validateResizePolicy,
//! validateMountPropagation, ValidateSecurityContext and friends).

use capstan_apimachinery::validation::{
    is_dns1123_subdomain, is_http_header_name, is_valid_group_id, is_valid_port_name,
    is_valid_port_num, is_valid_user_id,
};
use capstan_apimachinery::{ErrorList, FieldError, Path};
use k8s_openapi::api::core::v1::{
    AppArmorProfile, Container, ExecAction, GRPCAction, HTTPGetAction, LifecycleHandler, Probe,
    SeccompProfile, SecurityContext, SleepAction, TCPSocketAction, VolumeMount,
    WindowsSecurityContextOptions,
};
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;

use super::common::{
    invalid_each, json_value, local_descending_path, nonnegative, not_supported, s,
};

/// Upstream validateLivenessProbe / validateReadinessProbe / validateStartupProbe.
pub fn validate_probe(
    kind: &str,
    probe: &Option<Probe>,
    grace: Option<i64>,
    path: &Path,
) -> ErrorList {
    let Some(probe) = probe else {
        return Vec::new();
    };
    let mut errs = validate_handler(
        &Handler {
            exec: probe.exec.as_ref(),
            http_get: probe.http_get.as_ref(),
            tcp_socket: probe.tcp_socket.as_ref(),
            grpc: probe.grpc.as_ref(),
            sleep: None,
        },
        grace,
        path,
    );
    for (value, field) in [
        (probe.initial_delay_seconds, "initialDelaySeconds"),
        (probe.timeout_seconds, "timeoutSeconds"),
        (probe.period_seconds, "periodSeconds"),
        (probe.success_threshold, "successThreshold"),
        (probe.failure_threshold, "failureThreshold"),
    ] {
        errs.extend(nonnegative(value.unwrap_or(0).into(), &path.child(field)));
    }
    if let Some(t) = probe.termination_grace_period_seconds
        && t <= 0
    {
        errs.push(FieldError::invalid(
            &path.child("terminationGracePeriodSeconds"),
            t,
            "must be greater than 0",
        ));
    }
    let success = probe.success_threshold.unwrap_or(0);
    match kind {
        "readinessProbe" => {
            if let Some(t) = probe.termination_grace_period_seconds {
                errs.push(FieldError::invalid(
                    &path.child("terminationGracePeriodSeconds"),
                    t,
                    "must not be set for readinessProbes",
                ));
            }
        }
        _ if success != 1 => {
            errs.push(FieldError::invalid(
                &path.child("successThreshold"),
                success,
                "must be 1",
            ));
        }
        _ => {}
    }
    errs
}

/// Upstream validateLifecycle.
pub fn validate_lifecycle(c: &Container, grace: Option<i64>, path: &Path) -> ErrorList {
    let mut errs = Vec::new();
    let Some(l) = &c.lifecycle else {
        return errs;
    };
    for (h, field) in [(&l.post_start, "postStart"), (&l.pre_stop, "preStop")] {
        if let Some(h) = h {
            errs.extend(validate_handler(
                &lifecycle_handler(h),
                grace,
                &path.child(field),
            ));
        }
    }
    errs
}

/// The handler kinds probes and lifecycle hooks share (upstream commonHandler).
struct Handler<'a> {
    exec: Option<&'a ExecAction>,
    http_get: Option<&'a HTTPGetAction>,
    tcp_socket: Option<&'a TCPSocketAction>,
    grpc: Option<&'a GRPCAction>,
    sleep: Option<&'a SleepAction>,
}

fn lifecycle_handler(h: &LifecycleHandler) -> Handler<'_> {
    Handler {
        exec: h.exec.as_ref(),
        http_get: h.http_get.as_ref(),
        tcp_socket: h.tcp_socket.as_ref(),
        grpc: None,
        sleep: h.sleep.as_ref(),
    }
}

/// Upstream validateHandler: exactly one handler type.
fn validate_handler(h: &Handler, grace: Option<i64>, path: &Path) -> ErrorList {
    let mut errs = Vec::new();
    let mut count = 0;
    let mut one =
        |present: bool, field: &str, check: &dyn Fn(&Path) -> ErrorList, errs: &mut ErrorList| {
            if !present {
                return;
            }
            if count > 0 {
                errs.push(FieldError::forbidden(
                    &path.child(field),
                    "may not specify more than 1 handler type",
                ));
            } else {
                count += 1;
                errs.extend(check(&path.child(field)));
            }
        };
    one(
        h.exec.is_some(),
        "exec",
        &|p| match h.exec {
            Some(e) if e.command.as_ref().is_none_or(|c| c.is_empty()) => {
                vec![FieldError::required(&p.child("command"), "")]
            }
            _ => Vec::new(),
        },
        &mut errs,
    );
    one(
        h.http_get.is_some(),
        "httpGet",
        &|p| {
            h.http_get
                .map(|g| validate_http_get(g, p))
                .unwrap_or_default()
        },
        &mut errs,
    );
    one(
        h.tcp_socket.is_some(),
        "tcpSocket",
        &|p| {
            h.tcp_socket
                .map(|t| port_num_or_name(&t.port, &p.child("port")))
                .unwrap_or_default()
        },
        &mut errs,
    );
    one(
        h.grpc.is_some(),
        "grpc",
        &|p| {
            h.grpc
                .map(|g| port_num_or_name(&IntOrString::Int(g.port), &p.child("port")))
                .unwrap_or_default()
        },
        &mut errs,
    );
    one(
        h.sleep.is_some(),
        "sleep",
        &|p| {
            h.sleep
                .map(|sl| validate_sleep(sl, grace, p))
                .unwrap_or_default()
        },
        &mut errs,
    );
    if count == 0 {
        errs.push(FieldError::required(path, "must specify a handler type"));
    }
    errs
}

fn validate_http_get(g: &HTTPGetAction, path: &Path) -> ErrorList {
    let mut errs = Vec::new();
    if s(&g.path).is_empty() {
        errs.push(FieldError::required(&path.child("path"), ""));
    }
    errs.extend(port_num_or_name(&g.port, &path.child("port")));
    let scheme = s(&g.scheme);
    if scheme != "HTTP" && scheme != "HTTPS" {
        errs.push(not_supported(
            &path.child("scheme"),
            scheme,
            &["HTTP", "HTTPS"],
        ));
    }
    for h in g.http_headers.iter().flatten() {
        errs.extend(invalid_each(
            &path.child("httpHeaders"),
            &h.name,
            is_http_header_name(&h.name),
        ));
    }
    errs
}

/// Sleep actions: zero is allowed in v1.33 (PodLifecycleSleepActionAllowZero is on).
fn validate_sleep(sleep: &SleepAction, grace: Option<i64>, path: &Path) -> ErrorList {
    match grace {
        Some(g) if sleep.seconds < 0 || sleep.seconds > g => vec![FieldError::invalid(
            path,
            sleep.seconds,
            &format!("must be non-negative and less than terminationGracePeriodSeconds ({g})"),
        )],
        _ => Vec::new(),
    }
}

/// Upstream ValidatePortNumOrName.
pub fn port_num_or_name(port: &IntOrString, path: &Path) -> ErrorList {
    match port {
        IntOrString::Int(n) => is_valid_port_num((*n).into())
            .iter()
            .map(|m| FieldError::invalid(path, *n, m))
            .collect(),
        IntOrString::String(name) => invalid_each(path, name, is_valid_port_name(name)),
    }
}

/// Upstream validateResizePolicy.
pub fn validate_resize_policy(c: &Container, pod_restart: &str, path: &Path) -> ErrorList {
    let mut errs = Vec::new();
    let mut seen = Vec::new();
    for (i, p) in c.resize_policy.iter().flatten().enumerate() {
        if seen.contains(&p.resource_name.as_str()) {
            errs.push(FieldError::duplicate(
                &path.index(i),
                p.resource_name.as_str(),
            ));
        }
        seen.push(p.resource_name.as_str());
        match p.resource_name.as_str() {
            "cpu" | "memory" => {}
            "" => errs.push(FieldError::required(path, "")),
            other => errs.push(not_supported(path, other, &["cpu", "memory"])),
        }
        match p.restart_policy.as_str() {
            "NotRequired" | "RestartContainer" => {}
            "" => errs.push(FieldError::required(path, "")),
            other => errs.push(not_supported(
                path,
                other,
                &["NotRequired", "RestartContainer"],
            )),
        }
        if pod_restart == "Never" && p.restart_policy != "NotRequired" {
            errs.push(FieldError::invalid(
                path,
                p.restart_policy.as_str(),
                "must be 'NotRequired' when `restartPolicy` is 'Never'",
            ));
        }
    }
    errs
}

/// Upstream validateMountPropagation and validateMountRecursiveReadOnly. Upstream reports
/// both on the mount list's path.
pub fn validate_mount_options(m: &VolumeMount, c: &Container, list: &Path) -> ErrorList {
    let mut errs = Vec::new();
    if let Some(prop) = &m.mount_propagation {
        let p = list.child("mountPropagation");
        if !["Bidirectional", "HostToContainer", "None"].contains(&prop.as_str()) {
            errs.push(not_supported(
                &p,
                prop,
                &["Bidirectional", "HostToContainer", "None"],
            ));
        }
        let privileged = c
            .security_context
            .as_ref()
            .and_then(|sc| sc.privileged)
            .unwrap_or(false);
        if prop == "Bidirectional" && !privileged {
            errs.push(FieldError::forbidden(
                &p,
                "Bidirectional mount propagation is available only to privileged containers",
            ));
        }
    }
    if let Some(rro) = &m.recursive_read_only {
        let p = list.child("recursiveReadOnly");
        match rro.as_str() {
            "Disabled" => {}
            "Enabled" | "IfPossible" => {
                if !m.read_only.unwrap_or(false) {
                    errs.push(FieldError::forbidden(
                        &p,
                        "may only be specified when readOnly is true",
                    ));
                }
                if m.mount_propagation.as_deref().is_some_and(|x| x != "None") {
                    errs.push(FieldError::forbidden(
                        &p,
                        "may only be specified when mountPropagation is None or not specified",
                    ));
                }
            }
            other => errs.push(not_supported(
                &p,
                other,
                &["Disabled", "Enabled", "IfPossible"],
            )),
        }
    }
    errs
}

/// Upstream ValidateSecurityContext (privileged containers are allowed, as kubeadm and kind
/// clusters run the API server with --allow-privileged).
pub fn validate_container_security_context(
    sc: &SecurityContext,
    host_users: bool,
    path: &Path,
) -> ErrorList {
    let mut errs = Vec::new();
    if let Some(uid) = sc.run_as_user {
        errs.extend(id_errors(
            is_valid_user_id(uid),
            uid,
            &path.child("runAsUser"),
        ));
    }
    if let Some(gid) = sc.run_as_group {
        errs.extend(id_errors(
            is_valid_group_id(gid),
            gid,
            &path.child("runAsGroup"),
        ));
    }
    if let Some(pm) = &sc.proc_mount {
        let p = path.child("procMount");
        if pm != "Default" && pm != "Unmasked" {
            errs.push(not_supported(&p, pm, &["Default", "Unmasked"]));
        }
        if host_users && pm == "Unmasked" {
            errs.push(FieldError::invalid(
                &p,
                pm.as_str(),
                "`hostUsers` must be false to use `Unmasked`",
            ));
        }
    }
    errs.extend(validate_seccomp(
        &sc.seccomp_profile,
        &path.child("seccompProfile"),
    ));
    if sc.allow_privilege_escalation == Some(false) {
        if sc.privileged == Some(true) {
            errs.push(FieldError::invalid(
                path,
                json_value(sc),
                "cannot set `allowPrivilegeEscalation` to false and `privileged` to true",
            ));
        }
        let adds = sc.capabilities.as_ref().and_then(|c| c.add.as_ref());
        for cap in adds.into_iter().flatten() {
            if cap == "CAP_SYS_ADMIN" {
                errs.push(FieldError::invalid(path, json_value(sc), "cannot set `allowPrivilegeEscalation` to false and `capabilities.Add` CAP_SYS_ADMIN"));
            }
        }
    }
    errs.extend(validate_windows_options(
        &sc.windows_options,
        &path.child("windowsOptions"),
    ));
    errs.extend(validate_app_armor(
        &sc.app_armor_profile,
        &path.child("appArmorProfile"),
    ));
    errs
}

pub fn id_errors(msgs: Vec<String>, id: i64, path: &Path) -> ErrorList {
    msgs.iter()
        .map(|m| FieldError::invalid(path, id, m))
        .collect()
}

/// Upstream validateSeccompProfileField.
pub fn validate_seccomp(sp: &Option<SeccompProfile>, path: &Path) -> ErrorList {
    let Some(sp) = sp else {
        return Vec::new();
    };
    let mut errs = Vec::new();
    let types = ["Localhost", "RuntimeDefault", "Unconfined"];
    match sp.type_.as_str() {
        t if types.contains(&t) => {}
        "" => errs.push(FieldError::required(
            &path.child("type"),
            "type is required when seccompProfile is set",
        )),
        other => errs.push(not_supported(&path.child("type"), other, &types)),
    }
    if sp.type_ == "Localhost" {
        match &sp.localhost_profile {
            None => errs.push(FieldError::required(
                &path.child("localhostProfile"),
                "must be set when seccomp type is Localhost",
            )),
            Some(p) => errs.extend(local_descending_path(p, &path.child("localhostProfile"))),
        }
    } else if sp.localhost_profile.is_some() {
        errs.push(FieldError::invalid(
            &path.child("localhostProfile"),
            json_value(sp),
            "can only be set when seccomp type is Localhost",
        ));
    }
    errs
}

/// Upstream ValidateAppArmorProfileField.
pub fn validate_app_armor(profile: &Option<AppArmorProfile>, path: &Path) -> ErrorList {
    let Some(profile) = profile else {
        return Vec::new();
    };
    let mut errs = Vec::new();
    let lp = path.child("localhostProfile");
    match profile.type_.as_str() {
        "Localhost" => match &profile.localhost_profile {
            None => errs.push(FieldError::required(
                &lp,
                "must be set when AppArmor type is Localhost",
            )),
            Some(p) => {
                if p.trim() != p {
                    errs.push(FieldError::invalid(
                        &lp,
                        p.as_str(),
                        "must not be padded with whitespace",
                    ));
                } else if p.is_empty() {
                    errs.push(FieldError::required(
                        &lp,
                        "must be set when AppArmor type is Localhost",
                    ));
                }
                if p.len() > 4095 {
                    errs.push(FieldError::too_long(&lp, 4095));
                }
            }
        },
        "RuntimeDefault" | "Unconfined" => {
            if let Some(p) = &profile.localhost_profile {
                errs.push(FieldError::invalid(
                    &lp,
                    p.as_str(),
                    "can only be set when AppArmor type is Localhost",
                ));
            }
        }
        "" => errs.push(FieldError::required(
            &path.child("type"),
            "type is required when appArmorProfile is set",
        )),
        other => errs.push(not_supported(
            &path.child("type"),
            other,
            &["Localhost", "RuntimeDefault", "Unconfined"],
        )),
    }
    errs
}

/// The common checks of upstream validateWindowsSecurityContextOptions.
pub fn validate_windows_options(
    w: &Option<WindowsSecurityContextOptions>,
    path: &Path,
) -> ErrorList {
    let Some(w) = w else {
        return Vec::new();
    };
    let mut errs = Vec::new();
    if let Some(name) = &w.gmsa_credential_spec_name {
        errs.extend(invalid_each(
            &path.child("gmsaCredentialSpecName"),
            name,
            is_dns1123_subdomain(name),
        ));
    }
    if let Some(spec) = &w.gmsa_credential_spec {
        let p = path.child("gmsaCredentialSpec");
        if spec.is_empty() {
            errs.push(FieldError::invalid(
                &p,
                spec.as_str(),
                "gmsaCredentialSpec cannot be an empty string",
            ));
        } else if spec.len() > 64 * 1024 {
            errs.push(FieldError::invalid(
                &p,
                spec.as_str(),
                "gmsaCredentialSpec size must be under 64 KiB",
            ));
        }
    }
    if let Some(user) = &w.run_as_user_name {
        let p = path.child("runAsUserName");
        if user.is_empty() {
            errs.push(FieldError::invalid(
                &p,
                user.as_str(),
                "runAsUserName cannot be an empty string",
            ));
        } else if user.chars().any(char::is_control) {
            errs.push(FieldError::invalid(
                &p,
                user.as_str(),
                "runAsUserName cannot contain control characters",
            ));
        } else if user.matches('\\').count() > 1 {
            errs.push(FieldError::invalid(
                &p,
                user.as_str(),
                "runAsUserName cannot contain more than one backslash",
            ));
        }
    }
    errs
}

#[cfg(test)]
#[path = "handlers_tests.rs"]
mod tests;
