use super::*;
use crate::synth::{NodeBuilder, PodBuilder};

fn info(b: PodBuilder) -> PodInfo {
    PodInfo::new(b.build())
}

fn plugin_hint(plugin: PluginName, pod: &PodInfo, event: &ClusterEvent<'_>) -> bool {
    super::plugin_hint(plugin, pod, &EventView::new(event))
}

#[test]
fn taint_and_affinity_hints() {
    let pod = info(PodBuilder::new("d", "p").node_selector("zone", "a"));
    let plain = NodeBuilder::new("n").build();
    let labeled = NodeBuilder::new("n").label("zone", "a").build();
    assert!(!plugin_hint(
        PluginName::NodeAffinity,
        &pod,
        &ClusterEvent::NodeAdd(&plain)
    ));
    assert!(plugin_hint(
        PluginName::NodeAffinity,
        &pod,
        &ClusterEvent::NodeAdd(&labeled)
    ));
    assert!(plugin_hint(
        PluginName::NodeAffinity,
        &pod,
        &ClusterEvent::NodeUpdate {
            old: &plain,
            new: &labeled
        }
    ));
    let tainted = NodeBuilder::new("n").taint("k", "v", "NoSchedule").build();
    assert!(!plugin_hint(
        PluginName::TaintToleration,
        &pod,
        &ClusterEvent::NodeAdd(&tainted)
    ));
    assert!(plugin_hint(
        PluginName::TaintToleration,
        &pod,
        &ClusterEvent::NodeUpdate {
            old: &tainted,
            new: &plain
        }
    ));
    let cordoned = NodeBuilder::new("n").unschedulable().build();
    assert!(plugin_hint(
        PluginName::NodeUnschedulable,
        &pod,
        &ClusterEvent::NodeUpdate {
            old: &cordoned,
            new: &plain
        }
    ));
}

#[test]
fn pod_event_hints() {
    let pod = info(PodBuilder::new("d", "p").host_port(80, "", ""));
    let freed = PodBuilder::new("d", "x")
        .host_port(80, "", "")
        .node("n")
        .build();
    let other = PodBuilder::new("d", "y")
        .host_port(81, "", "")
        .node("n")
        .build();
    assert!(plugin_hint(
        PluginName::NodePorts,
        &pod,
        &ClusterEvent::AssignedPodDelete(&freed)
    ));
    assert!(!plugin_hint(
        PluginName::NodePorts,
        &pod,
        &ClusterEvent::AssignedPodDelete(&other)
    ));
    let affine = info(PodBuilder::new("d", "p").pod_affinity("zone", &[("app", "db")]));
    let db = PodBuilder::new("d", "db")
        .label("app", "db")
        .node("n")
        .build();
    let web = PodBuilder::new("d", "web")
        .label("app", "web")
        .node("n")
        .build();
    assert!(plugin_hint(
        PluginName::InterPodAffinity,
        &affine,
        &ClusterEvent::AssignedPodAdd(&db)
    ));
    assert!(!plugin_hint(
        PluginName::InterPodAffinity,
        &affine,
        &ClusterEvent::AssignedPodAdd(&web)
    ));
    let spread =
        info(PodBuilder::new("d", "p").spread(1, "zone", "DoNotSchedule", &[("app", "db")]));
    assert!(plugin_hint(
        PluginName::PodTopologySpread,
        &spread,
        &ClusterEvent::AssignedPodDelete(&db)
    ));
    assert!(!plugin_hint(
        PluginName::ImageLocality,
        &spread,
        &ClusterEvent::AssignedPodDelete(&db)
    ));
    assert_eq!(
        ClusterEvent::AssignedPodDelete(&db).label(),
        "AssignedPodDelete"
    );
}
