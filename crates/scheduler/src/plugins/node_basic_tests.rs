use super::*;
use crate::plugins::PluginName;
use crate::synth::{NodeBuilder, PodBuilder};
use crate::testutil::{Env, profile_with};

fn env(
    plugins: &[PluginName],
    nodes: Vec<k8s_openapi::api::core::v1::Node>,
    pods: Vec<k8s_openapi::api::core::v1::Pod>,
) -> Env {
    Env::new(nodes, pods).with_profile(profile_with(plugins, None))
}

#[test]
fn unschedulable_nodes_need_the_toleration() {
    let mut e = env(
        &[PluginName::NodeUnschedulable],
        vec![
            NodeBuilder::new("cordoned").unschedulable().build(),
            NodeBuilder::new("ok").build(),
        ],
        vec![],
    );
    let pod = PodBuilder::new("ns", "p").build();
    assert_eq!(e.feasible(pod.clone()), vec!["ok"]);
    assert_eq!(e.reasons(pod, "cordoned"), vec![ERR_REASON_UNSCHEDULABLE]);
    let tolerating = PodBuilder::new("ns", "p")
        .toleration(TAINT_NODE_UNSCHEDULABLE, "Exists", "", "NoSchedule")
        .build();
    assert_eq!(e.feasible(tolerating).len(), 2);
}

#[test]
fn node_name_must_match() {
    let mut e = env(
        &[PluginName::NodeName],
        vec![NodeBuilder::new("a").build(), NodeBuilder::new("b").build()],
        vec![],
    );
    let pod = PodBuilder::new("ns", "p").node("b").build();
    assert_eq!(e.feasible(pod.clone()), vec!["b"]);
    assert_eq!(e.reasons(pod, "a"), vec![ERR_REASON_NODE_NAME]);
}

#[test]
fn host_ports_conflict_per_ip_and_protocol() {
    let existing = PodBuilder::new("ns", "e")
        .node("a")
        .host_port(8080, "TCP", "10.0.0.1")
        .build();
    let mut e = env(
        &[PluginName::NodePorts],
        vec![NodeBuilder::new("a").build(), NodeBuilder::new("b").build()],
        vec![existing],
    );
    // Wildcard IP conflicts with any IP on the same port/protocol.
    let wildcard = PodBuilder::new("ns", "p").host_port(8080, "", "").build();
    assert_eq!(e.feasible(wildcard.clone()), vec!["b"]);
    assert_eq!(e.reasons(wildcard, "a"), vec![ERR_REASON_NODE_PORTS]);
    // Another IP, or another protocol, does not.
    let other_ip = PodBuilder::new("ns", "p")
        .host_port(8080, "TCP", "10.0.0.2")
        .build();
    assert_eq!(e.feasible(other_ip).len(), 2);
    let udp = PodBuilder::new("ns", "p")
        .host_port(8080, "UDP", "10.0.0.1")
        .build();
    assert_eq!(e.feasible(udp).len(), 2);
    let same = PodBuilder::new("ns", "p")
        .host_port(8080, "TCP", "10.0.0.1")
        .build();
    assert_eq!(e.feasible(same), vec!["b"]);
}
