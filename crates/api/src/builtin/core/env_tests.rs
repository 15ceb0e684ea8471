use super::*;
use k8s_openapi::api::core::v1::{EnvVarSource, ObjectFieldSelector as Ofs};

fn env(name: &str, field_path: &str) -> EnvVar {
    EnvVar {
        name: name.into(),
        value_from: Some(EnvVarSource {
            field_ref: Some(Ofs {
                api_version: Some("v1".into()),
                field_path: field_path.into(),
            }),
            ..Default::default()
        }),
        ..Default::default()
    }
}

fn env_errors(vars: &[EnvVar]) -> Vec<String> {
    validate_env(vars, &Path::new("env"))
        .iter()
        .map(|e| e.to_string())
        .collect()
}

#[test]
fn downward_api_env() {
    assert!(
        env_errors(&[
            env("A", "metadata.name"),
            env("B", "metadata.labels['app']")
        ])
        .is_empty()
    );
    assert_eq!(
        env_errors(&[env("A", "metadata.labels")]),
        vec![
            "env[0].valueFrom.fieldRef.fieldPath: Unsupported value: \"metadata.labels\": supported values: \"metadata.name\", \"metadata.namespace\", \"metadata.uid\", \"spec.nodeName\", \"spec.serviceAccountName\", \"status.hostIP\", \"status.hostIPs\", \"status.podIP\", \"status.podIPs\""
        ]
    );
    assert_eq!(
        env_errors(&[env("A", "spec.foo")]),
        vec![
            "env[0].valueFrom.fieldRef.fieldPath: Invalid value: \"spec.foo\": error converting fieldPath: field label not supported: spec.foo"
        ]
    );
    let both = EnvVar {
        value: Some("x".into()),
        ..env("A", "metadata.name")
    };
    assert_eq!(
        env_errors(&[both]),
        vec![
            "env[0].valueFrom: Invalid value: \"\": may not be specified when `value` is not empty"
        ]
    );
    let none = EnvVar {
        name: "A".into(),
        value_from: Some(Default::default()),
        ..Default::default()
    };
    assert_eq!(
        env_errors(&[none]),
        vec![
            "env[0].valueFrom: Invalid value: \"\": must specify one of: `fieldRef`, `resourceFieldRef`, `configMapKeyRef` or `secretKeyRef`"
        ]
    );
}

#[test]
fn env_from_sources() {
    let errs = validate_env_from(&[EnvFromSource::default()], &Path::new("envFrom"));
    assert_eq!(
        errs[0].to_string(),
        "envFrom: Invalid value: \"\": must specify one of: `configMapRef` or `secretRef`"
    );
}
