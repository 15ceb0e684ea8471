//! TaintToleration: untolerated NoSchedule/NoExecute taints reject a node;
//! untolerated PreferNoSchedule taints lower its score.

use k8s_openapi::api::core::v1::{Taint, Toleration};

use crate::framework::Ctx;
use crate::nodeinfo::NodeInfo;
use crate::plugins::{MAX_NODE_SCORE, default_normalize_score};
use crate::status::Status;

/// Upstream `Toleration.ToleratesTaint`.
pub fn toleration_tolerates_taint(t: &Toleration, taint: &Taint) -> bool {
    let effect = t.effect.as_deref().unwrap_or("");
    if !effect.is_empty() && effect != taint.effect {
        return false;
    }
    let key = t.key.as_deref().unwrap_or("");
    if !key.is_empty() && key != taint.key {
        return false;
    }
    match t.operator.as_deref().unwrap_or("") {
        "" | "Equal" => t.value.as_deref().unwrap_or("") == taint.value.as_deref().unwrap_or(""),
        "Exists" => true,
        _ => false,
    }
}

pub fn tolerations_tolerate_taint(tolerations: &[Toleration], taint: &Taint) -> bool {
    tolerations
        .iter()
        .any(|t| toleration_tolerates_taint(t, taint))
}

fn is_do_not_schedule(taint: &Taint) -> bool {
    taint.effect == "NoSchedule" || taint.effect == "NoExecute"
}

/// The first NoSchedule/NoExecute taint the tolerations do not tolerate.
pub fn find_untolerated_taint<'t>(
    taints: &'t [Taint],
    tolerations: &[Toleration],
) -> Option<&'t Taint> {
    taints
        .iter()
        .filter(|t| is_do_not_schedule(t))
        .find(|t| !tolerations_tolerate_taint(tolerations, t))
}

/// `node(s) had untolerated taint {key: value}`.
pub fn untolerated_taint_reason(taint: &Taint) -> String {
    format!(
        "node(s) had untolerated taint {{{}: {}}}",
        taint.key,
        taint.value.as_deref().unwrap_or("")
    )
}

pub fn filter(ctx: &Ctx<'_>, node: &NodeInfo) -> Result<(), Status> {
    match find_untolerated_taint(&node.taints, &ctx.pod.tolerations) {
        None => Ok(()),
        Some(taint) => Err(Status::unresolvable(untolerated_taint_reason(taint))),
    }
}

/// Tolerations that can tolerate PreferNoSchedule taints (effect empty or
/// PreferNoSchedule).
pub fn prefer_no_schedule_tolerations(tolerations: &[Toleration]) -> Vec<Toleration> {
    tolerations
        .iter()
        .filter(|t| {
            matches!(
                t.effect.as_deref(),
                None | Some("") | Some("PreferNoSchedule")
            )
        })
        .cloned()
        .collect()
}

/// Raw score: the number of untolerated PreferNoSchedule taints.
pub fn score(tolerations: &[Toleration], node: &NodeInfo) -> i64 {
    node.taints
        .iter()
        .filter(|t| t.effect == "PreferNoSchedule")
        .filter(|t| !tolerations_tolerate_taint(tolerations, t))
        .count() as i64
}

/// Fewer untolerated taints score higher.
pub fn normalize(scores: &mut [i64]) {
    default_normalize_score(MAX_NODE_SCORE, true, scores);
}

#[cfg(test)]
#[path = "taints_tests.rs"]
mod tests;
