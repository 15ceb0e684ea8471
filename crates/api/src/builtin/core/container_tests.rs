use super::*;

#[test]
fn pull_policy_defaults() {
    assert_eq!(default_pull_policy("nginx"), "Always");
    assert_eq!(default_pull_policy("nginx:latest"), "Always");
    assert_eq!(default_pull_policy("nginx:1.25"), "IfNotPresent");
    assert_eq!(default_pull_policy("registry:5000/nginx"), "Always");
    assert_eq!(default_pull_policy("registry:5000/nginx:1"), "IfNotPresent");
    let digest = format!("nginx@sha256:{}", "a".repeat(64));
    assert_eq!(default_pull_policy(&digest), "IfNotPresent");
    // Names that do not parse as references get no tag, hence IfNotPresent.
    assert_eq!(default_pull_policy("Nginx"), "IfNotPresent");
    assert_eq!(default_pull_policy(""), "IfNotPresent");
}

#[test]
fn ports_names_unique() {
    let port = |name: &str, n: i32| ContainerPort {
        name: Some(name.into()),
        container_port: n,
        protocol: Some("TCP".into()),
        ..Default::default()
    };
    let errs = validate_ports(&[port("http", 80), port("http", 81)], &Path::new("ports"));
    assert_eq!(
        errs[0].to_string(),
        "ports[1].name: Duplicate value: \"http\""
    );
    let errs = validate_ports(&[port("12", 80)], &Path::new("ports"));
    assert_eq!(
        errs[0].to_string(),
        "ports[0].name: Invalid value: \"12\": must contain at least one letter (a-z)"
    );
}
