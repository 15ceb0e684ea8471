use k8s_openapi::api::core::v1::{Container, PodSpec, ResourceRequirements};
use k8s_openapi::apimachinery::pkg::api::resource::Quantity;

use super::*;

fn container(cpu: &str, mem: &str, sidecar: bool) -> Container {
    let mut reqs = BTreeMap::new();
    if !cpu.is_empty() {
        reqs.insert("cpu".to_string(), Quantity(cpu.to_string()));
    }
    if !mem.is_empty() {
        reqs.insert("memory".to_string(), Quantity(mem.to_string()));
    }
    Container {
        name: "c".into(),
        resources: Some(ResourceRequirements {
            requests: Some(reqs),
            ..Default::default()
        }),
        restart_policy: sidecar.then(|| "Always".to_string()),
        ..Default::default()
    }
}

#[test]
fn regular_containers_sum_and_init_containers_take_the_max() {
    // Upstream's documented example: init 2/1G and 2/3G, containers 2/1G and 1/1G → 3 CPU, 3G.
    let spec = PodSpec {
        init_containers: Some(vec![
            container("2", "1G", false),
            container("2", "3G", false),
        ]),
        containers: vec![container("2", "1G", false), container("1", "1G", false)],
        ..Default::default()
    };
    let r = pod_requests(&spec, false);
    assert_eq!(r.milli_cpu, 3000);
    assert_eq!(r.memory, 3_000_000_000);
}

#[test]
fn sidecars_add_to_the_sum_and_to_later_init_containers() {
    // sidecar 1 CPU, then init 2 CPU (runs with the sidecar: 3), container 1 CPU.
    let spec = PodSpec {
        init_containers: Some(vec![container("1", "", true), container("2", "", false)]),
        containers: vec![container("1", "", false)],
        ..Default::default()
    };
    let r = pod_requests(&spec, false);
    // max(1 + 1 sidecar = 2, init step 2 + 1 = 3) = 3
    assert_eq!(r.milli_cpu, 3000);
}

#[test]
fn overhead_is_added_after_the_max() {
    let mut overhead = BTreeMap::new();
    overhead.insert("cpu".to_string(), Quantity("250m".into()));
    let spec = PodSpec {
        containers: vec![container("1", "", false)],
        overhead: Some(overhead),
        ..Default::default()
    };
    assert_eq!(pod_requests(&spec, false).milli_cpu, 1250);
}

#[test]
fn non_zero_defaults_apply_per_container_without_a_request() {
    let spec = PodSpec {
        containers: vec![container("", "", false), container("500m", "", false)],
        ..Default::default()
    };
    let r = compute_pod_requests(&spec);
    assert_eq!(r.requests.milli_cpu, 500);
    assert_eq!(r.non_zero_cpu, 600);
    assert_eq!(r.non_zero_memory, 2 * DEFAULT_MEMORY_REQUEST);
}

#[test]
fn extended_resources_are_scalar() {
    assert!(is_scalar_resource_name("example.com/gpu"));
    assert!(is_scalar_resource_name("hugepages-2Mi"));
    assert!(is_scalar_resource_name("attachable-volumes-csi-x"));
    assert!(!is_scalar_resource_name("cpu"));
    assert!(!is_scalar_resource_name("requests.example.com/gpu"));
    assert!(is_extended_resource_name("example.com/gpu"));
    assert!(!is_extended_resource_name("kubernetes.io/foo"));
    let mut list = BTreeMap::new();
    list.insert("example.com/gpu".to_string(), Quantity("2".into()));
    list.insert("storage".to_string(), Quantity("2".into()));
    let r = Resource::from_list(Some(&list));
    assert_eq!(r.scalar("example.com/gpu"), 2);
    assert_eq!(r.scalar.len(), 1);
}

#[test]
fn add_sub_and_max() {
    let mut a = Resource {
        milli_cpu: 100,
        ..Default::default()
    };
    a.add_scalar("x/y", 1);
    let b = a.clone();
    a.add(&b);
    assert_eq!(a.milli_cpu, 200);
    assert_eq!(a.scalar("x/y"), 2);
    a.sub(&b);
    assert_eq!(a, b);
    let mut c = Resource::default();
    c.set_max(&a);
    assert_eq!(c.scalar("x/y"), 1);
    assert!(!c.is_zero());
    assert!(Resource::default().is_zero());
}
