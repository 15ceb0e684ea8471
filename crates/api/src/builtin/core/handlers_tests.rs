use super::*;
use k8s_openapi::api::core::v1::Capabilities;

#[test]
fn privilege_escalation_conflicts() {
    let sc = SecurityContext {
        allow_privilege_escalation: Some(false),
        privileged: Some(true),
        capabilities: Some(Capabilities {
            add: Some(vec!["CAP_SYS_ADMIN".into()]),
            drop: None,
        }),
        ..Default::default()
    };
    let errs = validate_container_security_context(&sc, true, &Path::new("securityContext"));
    let details: Vec<&str> = errs.iter().map(|e| e.detail.as_str()).collect();
    assert_eq!(
        details,
        vec![
            "cannot set `allowPrivilegeEscalation` to false and `privileged` to true",
            "cannot set `allowPrivilegeEscalation` to false and `capabilities.Add` CAP_SYS_ADMIN",
        ]
    );
}

#[test]
fn proc_mount_and_ids() {
    let sc = SecurityContext {
        proc_mount: Some("Unmasked".into()),
        run_as_user: Some(-1),
        ..Default::default()
    };
    let errs: Vec<String> = validate_container_security_context(&sc, true, &Path::new("sc"))
        .iter()
        .map(|e| e.to_string())
        .collect();
    assert_eq!(
        errs,
        vec![
            "sc.runAsUser: Invalid value: -1: must be between 0 and 2147483647, inclusive",
            "sc.procMount: Invalid value: \"Unmasked\": `hostUsers` must be false to use `Unmasked`",
        ]
    );
}

#[test]
fn seccomp_profiles() {
    let p = Path::new("seccompProfile");
    let localhost = SeccompProfile {
        type_: "Localhost".into(),
        localhost_profile: None,
    };
    assert_eq!(
        validate_seccomp(&Some(localhost), &p)[0].to_string(),
        "seccompProfile.localhostProfile: Required value: must be set when seccomp type is Localhost"
    );
    let bad = SeccompProfile {
        type_: "Other".into(),
        localhost_profile: None,
    };
    assert_eq!(
        validate_seccomp(&Some(bad), &p)[0].to_string(),
        "seccompProfile.type: Unsupported value: \"Other\": supported values: \"Localhost\", \"RuntimeDefault\", \"Unconfined\""
    );
}

#[test]
fn resize_policies() {
    let c = Container {
        resize_policy: Some(vec![k8s_openapi::api::core::v1::ContainerResizePolicy {
            resource_name: "cpu".into(),
            restart_policy: "RestartContainer".into(),
        }]),
        ..Default::default()
    };
    let errs = validate_resize_policy(&c, "Never", &Path::new("resizePolicy"));
    assert_eq!(
        errs[0].to_string(),
        "resizePolicy: Invalid value: \"RestartContainer\": must be 'NotRequired' when `restartPolicy` is 'Never'"
    );
}
