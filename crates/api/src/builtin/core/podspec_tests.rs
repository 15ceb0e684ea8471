use super::*;
use serde_json::json;

use crate::builtin::core::testutil::{from_json, strings};

fn check(spec: serde_json::Value) -> Vec<String> {
    let mut spec: PodSpec = from_json(spec);
    default_pod_spec(&mut spec);
    strings(&validate_spec(
        &spec,
        SpecOptions {
            for_pod: true,
            pod_name: Some("p"),
        },
        &Path::new("spec"),
    ))
}

#[test]
fn host_network_ports_must_match() {
    assert_eq!(
        check(
            json!({"hostNetwork": true, "containers": [{"name": "a", "image": "x", "ports": [{"containerPort": 80, "hostPort": 81}]}]})
        ),
        vec![
            "spec.containers[0].ports[0].hostPort: Invalid value: 81: must match `containerPort` when `hostNetwork` is true"
        ]
    );
}

#[test]
fn host_port_conflicts() {
    assert_eq!(
        check(
            json!({"containers": [{"name": "a", "image": "x", "ports": [{"containerPort": 80, "hostPort": 8080}]},
                                    {"name": "b", "image": "x", "ports": [{"containerPort": 81, "hostPort": 8080}]}]})
        ),
        vec!["spec.containers[1].ports[0].hostPort: Duplicate value: \"TCP//8080\""]
    );
}

#[test]
fn dns_config() {
    assert_eq!(
        check(
            json!({"containers": [{"name": "a", "image": "x"}], "dnsConfig": {"nameservers": ["1.1.1.1", "x"], "searches": ["_ldap._tcp.example.com", "."], "options": [{}]}})
        ),
        vec![
            "spec.dnsConfig.nameservers[1]: Invalid value: \"x\": must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)",
            "spec.dnsConfig.options[0]: Required value: must not be empty",
        ]
    );
}

#[test]
fn security_context() {
    assert_eq!(
        check(
            json!({"containers": [{"name": "a", "image": "x"}], "hostPID": true, "shareProcessNamespace": true,
                     "securityContext": {"sysctls": [{"name": "net.core.somaxconn", "value": "1"}, {"name": "Bad!", "value": "1"}],
                                         "fsGroupChangePolicy": "Sometimes", "seLinuxChangePolicy": "MountOption"}})
        ),
        vec![
            "spec.securityContext.shareProcessNamespace: Invalid value: true: ShareProcessNamespace and HostPID cannot both be enabled",
            "spec.securityContext.sysctls[1].name: Invalid value: \"Bad!\": must have at most 253 characters and match regex ^([a-z0-9]([-_a-z0-9]*[a-z0-9])?[\\./])*[a-z0-9]([-_a-z0-9]*[a-z0-9])?$",
            "spec.securityContext.fsGroupChangePolicy: Unsupported value: \"Sometimes\": supported values: \"Always\", \"OnRootMismatch\"",
            "spec.securityContext.seLinuxChangePolicy: Unsupported value: \"MountOption\": supported values: \"Recursive\"",
        ]
    );
    assert_eq!(
        check(
            json!({"containers": [{"name": "a", "image": "x"}], "hostNetwork": true,
                     "securityContext": {"sysctls": [{"name": "net.core.somaxconn", "value": "1"}]}})
        ),
        vec![
            "spec.securityContext.sysctls[0].name: Invalid value: \"net.core.somaxconn\": may not be specified when 'hostNetwork' is true"
        ]
    );
}

#[test]
fn os_rules() {
    assert_eq!(
        check(
            json!({"containers": [{"name": "a", "image": "x", "securityContext": {"privileged": true}}], "os": {"name": "windows"}})
        ),
        vec![
            "spec.containers[0].securityContext.privileged: Forbidden: cannot be set for a windows pod"
        ]
    );
    assert_eq!(
        check(json!({"containers": [{"name": "a", "image": "x"}], "os": {"name": "plan9"}})),
        vec!["spec.os: Unsupported value: \"plan9\": supported values: \"linux\", \"windows\""]
    );
}

#[test]
fn overhead_and_names() {
    assert_eq!(
        check(json!({"containers": [{"name": "a", "image": "x"}], "overhead": {"cpu": "-1"}, "hostname": "Host", "priorityClassName": "P"})).len(),
        3
    );
    let errs =
        check(json!({"containers": [{"name": "a", "image": "x"}], "overhead": {"cpu": "-1"}}));
    assert_eq!(
        errs,
        vec![
            "spec.overhead.limits[cpu]: Invalid value: \"-1\": must be greater than or equal to 0"
        ]
    );
}

#[test]
fn pod_annotations() {
    let meta: ObjectMeta = from_json(
        json!({"annotations": {"kubernetes.io/config.mirror": "x", "controller.kubernetes.io/pod-deletion-cost": "abc",
        "container.apparmor.security.beta.kubernetes.io/nope": "runtime/default"}}),
    );
    let spec: PodSpec = from_json(json!({"containers": [{"name": "a", "image": "x"}]}));
    assert_eq!(
        strings(&validate_pod_annotations(
            &meta,
            &spec,
            &Path::new("metadata").child("annotations")
        )),
        vec![
            "metadata.annotations[kubernetes.io/config.mirror]: Invalid value: \"x\": must set spec.nodeName if mirror pod annotation is set",
            "metadata.annotations[controller.kubernetes.io/pod-deletion-cost]: Invalid value: \"abc\": must be a 32bit integer",
            "metadata.annotations[container.apparmor.security.beta.kubernetes.io/nope]: Invalid value: \"nope\": container not found",
        ]
    );
}
