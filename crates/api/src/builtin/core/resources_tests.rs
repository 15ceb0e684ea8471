use super::*;
use k8s_openapi::api::core::v1::{Container, PodSpec};

fn list(items: &[(&str, &str)]) -> Option<ResourceList> {
    Some(
        items
            .iter()
            .map(|(k, v)| (k.to_string(), ApiQuantity(v.to_string())))
            .collect(),
    )
}

fn reqs(requests: &[(&str, &str)], limits: &[(&str, &str)]) -> ResourceRequirements {
    ResourceRequirements {
        requests: list(requests),
        limits: list(limits),
        ..Default::default()
    }
}

fn check(r: &ResourceRequirements) -> Vec<String> {
    validate_container_requirements(r, &BTreeSet::new(), &Path::new("resources"))
        .iter()
        .map(|e| e.to_string())
        .collect()
}

#[test]
fn requests_above_limits() {
    assert!(check(&reqs(&[("cpu", "1")], &[("cpu", "2")])).is_empty());
    assert_eq!(
        check(&reqs(&[("cpu", "2")], &[("cpu", "1")])),
        vec![
            "resources.requests: Invalid value: \"2\": must be less than or equal to cpu limit of 1"
        ]
    );
}

#[test]
fn resource_names() {
    assert_eq!(
        check(&reqs(&[("foo", "1")], &[])),
        vec![
            "resources.requests[foo]: Invalid value: \"foo\": must be a standard resource type or fully qualified",
            "resources.requests[foo]: Invalid value: \"foo\": must be a standard resource for containers",
        ]
    );
    assert_eq!(
        check(&reqs(&[("pods", "1")], &[])),
        vec![
            "resources.requests[pods]: Invalid value: \"pods\": must be a standard resource for containers"
        ]
    );
    // Extended resources may not be overcommitted.
    assert_eq!(
        check(&reqs(&[("example.com/gpu", "1")], &[])),
        vec![
            "resources.limits: Required value: Limit must be set for non overcommitable resources"
        ]
    );
    assert_eq!(
        check(&reqs(
            &[("example.com/gpu", "1")],
            &[("example.com/gpu", "2")]
        )),
        vec![
            "resources.requests: Invalid value: \"1\": must be equal to example.com/gpu limit of 2"
        ]
    );
}

#[test]
fn quantities() {
    assert_eq!(
        check(&reqs(&[("memory", "-1")], &[])),
        vec![
            "resources.requests[memory]: Invalid value: \"-1\": must be greater than or equal to 0"
        ]
    );
    assert_eq!(
        check(&reqs(&[("cpu", "abc")], &[])),
        vec![
            "resources.requests[cpu]: Invalid value: \"abc\": quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'"
        ]
    );
    assert_eq!(
        check(&reqs(&[], &[("hugepages-2Mi", "1Mi")])),
        vec![
            "resources.limits[hugepages-2Mi]: Invalid value: \"1Mi\": 1Mi is not positive integer multiple of hugepages-2Mi",
            "resources: Forbidden: HugePages require cpu or memory",
        ]
    );
}

#[test]
fn rounding() {
    let mut l = list(&[("cpu", "0.0001"), ("memory", "1000m")]);
    round_up_to_milli(&mut l);
    let l = l.unwrap();
    assert_eq!(l["cpu"].0, "1m");
    assert_eq!(l["memory"].0, "1");
}

fn pod(containers: Vec<ResourceRequirements>) -> Pod {
    Pod {
        spec: Some(PodSpec {
            containers: containers
                .into_iter()
                .map(|r| Container {
                    resources: Some(r),
                    ..Default::default()
                })
                .collect(),
            ..Default::default()
        }),
        ..Default::default()
    }
}

#[test]
fn qos_classes() {
    assert_eq!(compute_qos(&pod(vec![Default::default()])), "BestEffort");
    let both = reqs(
        &[("cpu", "1"), ("memory", "1Gi")],
        &[("cpu", "1"), ("memory", "1Gi")],
    );
    assert_eq!(compute_qos(&pod(vec![both.clone(), both])), "Guaranteed");
    assert_eq!(
        compute_qos(&pod(vec![reqs(&[("cpu", "1")], &[])])),
        "Burstable"
    );
    let cpu_only = reqs(&[("cpu", "1")], &[("cpu", "1")]);
    assert_eq!(compute_qos(&pod(vec![cpu_only])), "Burstable");
    let zero = reqs(&[("cpu", "0")], &[]);
    assert_eq!(compute_qos(&pod(vec![zero])), "BestEffort");
}
