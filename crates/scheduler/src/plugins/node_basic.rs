//! NodeUnschedulable, NodeName and NodePorts.

use k8s_openapi::api::core::v1::Taint;

use crate::framework::Ctx;
use crate::nodeinfo::NodeInfo;
use crate::plugins::taints::tolerations_tolerate_taint;
use crate::status::Status;

pub const ERR_REASON_UNSCHEDULABLE: &str = "node(s) were unschedulable";
pub const ERR_REASON_NODE_NAME: &str = "node(s) didn't match the requested node name";
pub const ERR_REASON_NODE_PORTS: &str =
    "node(s) didn't have free ports for the requested pod ports";
pub const TAINT_NODE_UNSCHEDULABLE: &str = "node.kubernetes.io/unschedulable";

/// NodeUnschedulable: `spec.unschedulable` nodes take only pods tolerating
/// the `node.kubernetes.io/unschedulable:NoSchedule` taint.
pub fn unschedulable_filter(ctx: &Ctx<'_>, node: &NodeInfo) -> Result<(), Status> {
    if !node.unschedulable {
        return Ok(());
    }
    let taint = Taint {
        key: TAINT_NODE_UNSCHEDULABLE.to_string(),
        effect: "NoSchedule".to_string(),
        ..Default::default()
    };
    if tolerations_tolerate_taint(&ctx.pod.tolerations, &taint) {
        return Ok(());
    }
    Err(Status::unresolvable(ERR_REASON_UNSCHEDULABLE))
}

/// NodeName: a pod naming a node fits only that node.
pub fn node_name_filter(ctx: &Ctx<'_>, node: &NodeInfo) -> Result<(), Status> {
    match &ctx.pod.node_name {
        Some(want) if **want != *node.name => Err(Status::unresolvable(ERR_REASON_NODE_NAME)),
        _ => Ok(()),
    }
}

/// NodePorts PreFilter: nothing to check without host ports.
pub fn ports_pre_filter(ctx: &Ctx<'_>) -> Result<(), Status> {
    if ctx.pod.host_ports.is_empty() {
        return Err(Status::skip());
    }
    Ok(())
}

/// NodePorts: every requested host port must be free on the node.
pub fn ports_filter(ctx: &Ctx<'_>, node: &NodeInfo) -> Result<(), Status> {
    if ctx.pod.host_ports.iter().any(|hp| node.port_conflict(hp)) {
        return Err(Status::unschedulable(ERR_REASON_NODE_PORTS));
    }
    Ok(())
}

#[cfg(test)]
#[path = "node_basic_tests.rs"]
mod tests;
