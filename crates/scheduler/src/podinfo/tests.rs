use super::*;
use crate::synth::PodBuilder;

#[test]
fn image_names_are_normalized() {
    assert_eq!(normalized_image_name("nginx"), "nginx:latest");
    assert_eq!(normalized_image_name("nginx:1.2"), "nginx:1.2");
    assert_eq!(
        normalized_image_name("host:5000/nginx"),
        "host:5000/nginx:latest"
    );
    assert_eq!(
        normalized_image_name("host:5000/nginx:1"),
        "host:5000/nginx:1"
    );
}

#[test]
fn parses_the_fields_plugins_use() {
    let pod = PodBuilder::new("ns", "p")
        .req("500m", "1Gi")
        .label("app", "web")
        .priority(7)
        .host_port(8080, "", "")
        .pod_anti_affinity("kubernetes.io/hostname", &[("app", "web")])
        .pvc("data")
        .nominated("n1")
        .gate("g")
        .controller("apps/v1", "ReplicaSet", "rs")
        .build();
    let info = PodInfo::new(pod);
    assert_eq!(&*info.id, "uid-ns-p");
    assert_eq!(info.priority, 7);
    assert_eq!(info.requests.requests.milli_cpu, 500);
    assert_eq!(info.host_ports[0].ip, "0.0.0.0");
    assert_eq!(info.host_ports[0].protocol, "TCP");
    assert_eq!(info.required_anti_affinity.len(), 1);
    assert!(info.has_affinity_terms());
    assert_eq!(info.pvc_names, vec!["data".to_string()]);
    assert_eq!(info.nominated_node.as_deref(), Some("n1"));
    assert_eq!(info.scheduling_gates, vec!["g".to_string()]);
    assert_eq!(info.scheduler_name, crate::DEFAULT_SCHEDULER_NAME);
    assert_eq!(
        info.controller.as_ref().map(|c| c.kind.as_str()),
        Some("ReplicaSet")
    );
    assert_eq!(info.images, vec!["registry.k8s.io/pause:3.10".to_string()]);
}

#[test]
fn pods_without_uid_use_namespace_and_name() {
    let mut pod = PodBuilder::new("ns", "p").build();
    pod.metadata.uid = None;
    assert_eq!(&*pod_id(&pod), "ns/p");
}
