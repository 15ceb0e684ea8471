use std::sync::Arc;

use super::*;
use crate::synth::{NodeBuilder, PodBuilder};

#[test]
fn assume_confirm_and_forget() {
    let mut cache = Cache::new();
    cache.upsert_node(NodeBuilder::new("n").capacity("4", "8Gi", "110").build());
    let info = Arc::new(PodInfo::new(
        PodBuilder::new("d", "p").req("1", "1Gi").build(),
    ));
    cache.assume_pod(info.clone(), "n").unwrap();
    assert!(cache.is_assumed(&info.id));
    assert_eq!(cache.node_by_name("n").unwrap().requested.milli_cpu, 1000);
    assert!(cache.assume_pod(info.clone(), "n").is_err());
    cache.forget_pod(&info.id).unwrap();
    assert_eq!(cache.node_by_name("n").unwrap().requested.milli_cpu, 0);
    // Confirmation by the informer replaces the assumed pod.
    cache.assume_pod(info.clone(), "n").unwrap();
    cache.upsert_pod(Arc::new(
        PodBuilder::new("d", "p").req("1", "1Gi").node("n").build(),
    ));
    assert!(!cache.is_assumed(&info.id));
    assert_eq!(cache.node_by_name("n").unwrap().pods.len(), 1);
    assert!(cache.forget_pod(&info.id).is_err());
    cache.remove_pod_by_id(&info.id);
    assert_eq!(cache.num_pods(), 0);
}

#[test]
fn pods_may_arrive_before_their_node() {
    let mut cache = Cache::new();
    cache.upsert_pod(Arc::new(
        PodBuilder::new("d", "p").req("1", "").node("late").build(),
    ));
    assert_eq!(cache.num_nodes(), 0);
    cache.upsert_node(NodeBuilder::new("late").capacity("4", "8Gi", "110").build());
    assert_eq!(cache.num_nodes(), 1);
    assert_eq!(
        cache.node_by_name("late").unwrap().requested.milli_cpu,
        1000
    );
    cache.remove_node("late");
    assert!(cache.node_by_name("late").is_none());
    cache.remove_pod_by_id(&Arc::from("uid-d-p"));
    assert!(cache.slot_of("late").is_none());
}

#[test]
fn node_order_interleaves_zones() {
    let mut cache = Cache::new();
    for (name, zone) in [
        ("a1", "a"),
        ("a2", "a"),
        ("b1", "b"),
        ("a3", "a"),
        ("b2", "b"),
    ] {
        cache.upsert_node(
            NodeBuilder::new(name)
                .label("topology.kubernetes.io/zone", zone)
                .build(),
        );
    }
    cache.refresh_order();
    let names: Vec<&str> = cache
        .node_order()
        .iter()
        .map(|s| &*cache.node(*s).name)
        .collect();
    assert_eq!(names, vec!["a1", "b1", "a2", "b2", "a3"]);
}

#[test]
fn images_count_nodes() {
    let mut cache = Cache::new();
    cache.upsert_node(NodeBuilder::new("a").image(&["img:1"], 10).build());
    cache.upsert_node(
        NodeBuilder::new("b")
            .image(&["img:1", "alias:1"], 10)
            .build(),
    );
    assert_eq!(cache.image_num_nodes("img:1"), 2);
    assert_eq!(cache.image_num_nodes("alias:1"), 1);
    cache.remove_node("b");
    assert_eq!(cache.image_num_nodes("img:1"), 1);
    assert_eq!(cache.image_num_nodes("alias:1"), 0);
}

#[test]
fn default_selector_merges_services_and_controllers() {
    let mut cache = Cache::new();
    cache.objects.upsert_service(
        "d",
        "svc",
        Some([("app".to_string(), "web".to_string())].into()),
    );
    cache.objects.upsert_service("d", "nil", None);
    let pod = PodInfo::new(
        PodBuilder::new("d", "p")
            .label("app", "web")
            .label("rs", "1")
            .build(),
    );
    assert_eq!(
        cache.objects.default_selector(&pod).unwrap().to_string(),
        "app=web"
    );
    cache.objects.upsert_workload(
        objects::WorkloadKind::ReplicaSet,
        "d",
        "rs",
        Some(
            &k8s_openapi::apimachinery::pkg::apis::meta::v1::LabelSelector {
                match_labels: Some([("rs".to_string(), "1".to_string())].into()),
                ..Default::default()
            },
        ),
    );
    let owned = PodInfo::new(
        PodBuilder::new("d", "p")
            .label("app", "web")
            .label("rs", "1")
            .controller("apps/v1", "ReplicaSet", "rs")
            .build(),
    );
    assert_eq!(
        cache.objects.default_selector(&owned).unwrap().to_string(),
        "app=web,rs=1"
    );
    let lonely = PodInfo::new(PodBuilder::new("d", "p").label("app", "db").build());
    assert!(cache.objects.default_selector(&lonely).is_none());
}
