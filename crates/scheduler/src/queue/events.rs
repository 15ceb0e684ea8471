//! Cluster events and each plugin's queueing hints: whether an event could
//! make a pod that the plugin rejected schedulable.

use k8s_openapi::api::core::v1::{Node, Pod};

use crate::nodeinfo::NodeInfo;
use crate::plugins::PluginName;
use crate::plugins::taints::find_untolerated_taint;
use crate::podinfo::PodInfo;

/// A change in the cluster that may help unschedulable pods.
#[derive(Clone, Copy, Debug)]
pub enum ClusterEvent<'a> {
    NodeAdd(&'a Node),
    NodeUpdate { old: &'a Node, new: &'a Node },
    NodeDelete(&'a Node),
    AssignedPodAdd(&'a Pod),
    AssignedPodUpdate { old: &'a Pod, new: &'a Pod },
    AssignedPodDelete(&'a Pod),
    PersistentVolumeClaimChange,
    PersistentVolumeChange,
    StorageClassChange,
    NamespaceChange,
}

impl ClusterEvent<'_> {
    /// Upstream's event label, used in logs and metrics.
    pub fn label(&self) -> &'static str {
        match self {
            ClusterEvent::NodeAdd(_) => "NodeAdd",
            ClusterEvent::NodeUpdate { .. } => "NodeUpdate",
            ClusterEvent::NodeDelete(_) => "NodeDelete",
            ClusterEvent::AssignedPodAdd(_) => "AssignedPodAdd",
            ClusterEvent::AssignedPodUpdate { .. } => "AssignedPodUpdate",
            ClusterEvent::AssignedPodDelete(_) => "AssignedPodDelete",
            ClusterEvent::PersistentVolumeClaimChange => "PersistentVolumeClaimChange",
            ClusterEvent::PersistentVolumeChange => "PersistentVolumeChange",
            ClusterEvent::StorageClassChange => "StorageClassChange",
            ClusterEvent::NamespaceChange => "NamespaceChange",
        }
    }
}

fn node_info(node: &Node) -> NodeInfo {
    let mut n = NodeInfo::empty(node.metadata.name.as_deref().unwrap_or(""));
    n.set_node(std::sync::Arc::new(node.clone()));
    n
}

/// An event with its objects parsed once, shared by every hint call.
pub struct EventView<'a> {
    pub event: &'a ClusterEvent<'a>,
    old_node: Option<NodeInfo>,
    new_node: Option<NodeInfo>,
    old_pod: Option<PodInfo>,
    new_pod: Option<PodInfo>,
}

impl<'a> EventView<'a> {
    pub fn new(event: &'a ClusterEvent<'a>) -> EventView<'a> {
        use ClusterEvent::*;
        let (old_node, new_node) = match event {
            NodeAdd(n) | NodeDelete(n) => (None, Some(node_info(n))),
            NodeUpdate { old, new } => (Some(node_info(old)), Some(node_info(new))),
            _ => (None, None),
        };
        let (old_pod, new_pod) = match event {
            AssignedPodAdd(p) | AssignedPodDelete(p) => (None, Some(PodInfo::new((*p).clone()))),
            AssignedPodUpdate { old, new } => (
                Some(PodInfo::new((*old).clone())),
                Some(PodInfo::new((*new).clone())),
            ),
            _ => (None, None),
        };
        EventView {
            event,
            old_node,
            new_node,
            old_pod,
            new_pod,
        }
    }

    fn node_labels_changed(&self) -> bool {
        match (&self.old_node, &self.new_node) {
            (Some(o), Some(n)) => o.labels != n.labels,
            _ => false,
        }
    }

    fn node_taints_changed(&self) -> bool {
        match (&self.old_node, &self.new_node) {
            (Some(o), Some(n)) => o.taints != n.taints || o.unschedulable != n.unschedulable,
            _ => false,
        }
    }

    fn allocatable_changed(&self) -> bool {
        match (&self.old_node, &self.new_node) {
            (Some(o), Some(n)) => o.allocatable != n.allocatable,
            _ => false,
        }
    }
}

fn fits_requests(pod: &PodInfo, node: &NodeInfo) -> bool {
    let r = &pod.requests.requests;
    let a = &node.allocatable;
    r.milli_cpu <= a.milli_cpu
        && r.memory <= a.memory
        && r.ephemeral_storage <= a.ephemeral_storage
        && r.scalar.iter().all(|(n, v)| *v <= a.scalar(n))
}

fn tolerates(pod: &PodInfo, node: &NodeInfo) -> bool {
    find_untolerated_taint(&node.taints, &pod.tolerations).is_none()
}

fn tolerates_unschedulable(pod: &PodInfo, node: &NodeInfo) -> bool {
    !node.unschedulable
        || crate::plugins::taints::tolerations_tolerate_taint(
            &pod.tolerations,
            &k8s_openapi::api::core::v1::Taint {
                key: crate::plugins::node_basic::TAINT_NODE_UNSCHEDULABLE.to_string(),
                effect: "NoSchedule".to_string(),
                ..Default::default()
            },
        )
}

fn matches_affinity(pod: &PodInfo, node: &NodeInfo) -> bool {
    pod.node_affinity.matches(&node.labels, &node.name)
}

fn selects(pod: &PodInfo, other: &PodInfo) -> bool {
    // Namespace selectors need namespace labels; assume they may match.
    let matches = |t: &crate::terms::AffinityTerm| {
        t.matcher.matches(&other.namespace, &other.labels, None)
            || t.matcher.uses_namespace_selector()
    };
    pod.required_affinity.iter().any(matches) || pod.required_anti_affinity.iter().any(matches)
}

/// Whether the event may make `pod` schedulable given that `plugin`
/// rejected it (upstream EventsToRegister + QueueingHint).
pub fn plugin_hint(plugin: PluginName, pod: &PodInfo, view: &EventView<'_>) -> bool {
    use ClusterEvent::*;
    let event = view.event;
    let new_node = view.new_node.as_ref();
    let old_node = view.old_node.as_ref();
    let new_pod = view.new_pod.as_ref();
    match plugin {
        PluginName::NodeUnschedulable => match (event, new_node) {
            (NodeAdd(_), Some(n)) => tolerates_unschedulable(pod, n),
            (NodeUpdate { .. }, Some(n)) => {
                view.node_taints_changed() && tolerates_unschedulable(pod, n)
            }
            _ => false,
        },
        PluginName::NodeName => match (event, new_node) {
            (NodeAdd(_) | NodeUpdate { .. }, Some(n)) => pod.node_name.as_deref() == Some(&*n.name),
            _ => false,
        },
        PluginName::TaintToleration => match (event, new_node) {
            (NodeAdd(_), Some(n)) => tolerates(pod, n),
            (NodeUpdate { .. }, Some(n)) => {
                view.node_taints_changed()
                    && tolerates(pod, n)
                    && !old_node.is_some_and(|o| tolerates(pod, o))
            }
            _ => false,
        },
        PluginName::NodeAffinity => match (event, new_node) {
            (NodeAdd(_), Some(n)) => matches_affinity(pod, n),
            (NodeUpdate { .. }, Some(n)) => {
                view.node_labels_changed()
                    && matches_affinity(pod, n)
                    && !old_node.is_some_and(|o| matches_affinity(pod, o))
            }
            _ => false,
        },
        PluginName::NodePorts => match event {
            NodeAdd(_) => true,
            AssignedPodDelete(_) => new_pod.is_some_and(|other| {
                other
                    .host_ports
                    .iter()
                    .any(|hp| pod.host_ports.contains(hp))
            }),
            _ => false,
        },
        PluginName::NodeResourcesFit => match (event, new_node) {
            (NodeAdd(_), Some(n)) => fits_requests(pod, n),
            (NodeUpdate { .. }, Some(n)) => {
                (view.allocatable_changed()
                    || view.node_labels_changed()
                    || view.node_taints_changed())
                    && fits_requests(pod, n)
            }
            (AssignedPodDelete(_), _) => true,
            (AssignedPodUpdate { .. }, _) => match (&view.old_pod, new_pod) {
                (Some(o), Some(n)) => {
                    n.requests.requests.milli_cpu < o.requests.requests.milli_cpu
                        || n.requests.requests.memory < o.requests.requests.memory
                }
                _ => false,
            },
            _ => false,
        },
        PluginName::VolumeRestrictions => matches!(
            event,
            NodeAdd(_) | AssignedPodDelete(_) | PersistentVolumeClaimChange
        ),
        PluginName::VolumeBinding | PluginName::VolumeZone | PluginName::NodeVolumeLimits => {
            match event {
                NodeAdd(_)
                | PersistentVolumeClaimChange
                | PersistentVolumeChange
                | StorageClassChange => true,
                NodeUpdate { .. } => view.node_labels_changed(),
                AssignedPodDelete(_) => plugin == PluginName::NodeVolumeLimits,
                _ => false,
            }
        }
        PluginName::PodTopologySpread => match event {
            NodeAdd(_) | NodeDelete(_) => true,
            NodeUpdate { .. } => view.node_labels_changed() || view.node_taints_changed(),
            AssignedPodAdd(_) | AssignedPodDelete(_) | AssignedPodUpdate { .. } => {
                new_pod.is_some_and(|p| p.namespace == pod.namespace)
            }
            _ => false,
        },
        PluginName::InterPodAffinity => match event {
            NodeAdd(_) | NamespaceChange => true,
            NodeUpdate { .. } => view.node_labels_changed(),
            AssignedPodAdd(_) | AssignedPodUpdate { .. } => {
                !pod.required_affinity.is_empty() && new_pod.is_some_and(|o| selects(pod, o))
            }
            AssignedPodDelete(_) => {
                new_pod.is_some_and(|o| !o.required_anti_affinity.is_empty() || selects(pod, o))
            }
            _ => false,
        },
        _ => false,
    }
}

#[cfg(test)]
mod tests;
