//! NodeAffinity: `nodeSelector` and required node affinity filter nodes,
//! preferred terms score them; an optional profile-wide `addedAffinity`
//! applies to every pod.

use std::collections::BTreeSet;

use k8s_openapi::api::core::v1::NodeAffinity;

use crate::framework::Ctx;
use crate::nodeinfo::NodeInfo;
use crate::plugins::{MAX_NODE_SCORE, default_normalize_score};
use crate::status::Status;
use crate::terms::{NodeTerm, NodeTerms};

pub const ERR_REASON_POD: &str = "node(s) didn't match Pod's node affinity/selector";
pub const ERR_REASON_ENFORCED: &str = "node(s) didn't match scheduler-enforced node affinity";
pub const ERR_REASON_CONFLICT: &str = "pod affinity terms conflict";

/// `NodeAffinityArgs.addedAffinity`, compiled.
#[derive(Clone, Debug, Default)]
pub struct NodeAffinityArgs {
    pub added_required: Option<NodeTerms>,
    pub added_preferred: Vec<(i32, NodeTerm)>,
}

impl NodeAffinityArgs {
    pub fn from_added_affinity(added: Option<&NodeAffinity>) -> NodeAffinityArgs {
        let Some(a) = added else {
            return NodeAffinityArgs::default();
        };
        NodeAffinityArgs {
            added_required: a
                .required_during_scheduling_ignored_during_execution
                .as_ref()
                .map(NodeTerms::compile),
            added_preferred: a
                .preferred_during_scheduling_ignored_during_execution
                .iter()
                .flatten()
                .filter(|t| t.weight != 0)
                .map(|t| (t.weight, NodeTerm::compile(&t.preference)))
                .collect(),
        }
    }
}

/// PreFilter: skips pods without node constraints; pins the candidate
/// nodes when every required term names nodes through `metadata.name In`.
pub fn pre_filter(ctx: &Ctx<'_>) -> Result<Option<BTreeSet<String>>, Status> {
    let args = &ctx.profile.args.node_affinity;
    let spec = ctx.pod.pod.spec.as_ref();
    let required = spec
        .and_then(|s| s.affinity.as_ref())
        .and_then(|a| a.node_affinity.as_ref())
        .and_then(|a| {
            a.required_during_scheduling_ignored_during_execution
                .as_ref()
        });
    let has_selector = spec.and_then(|s| s.node_selector.as_ref()).is_some();
    if required.is_none() && args.added_required.is_none() && !has_selector {
        return Err(Status::skip());
    }
    let Some(required) = required.filter(|r| !r.node_selector_terms.is_empty()) else {
        return Ok(None);
    };
    let mut names: Option<BTreeSet<String>> = None;
    for term in &required.node_selector_terms {
        let mut term_names: Option<BTreeSet<String>> = None;
        for r in term.match_fields.iter().flatten() {
            if r.key == "metadata.name" && r.operator == "In" {
                let set: BTreeSet<String> = r.values.iter().flatten().cloned().collect();
                term_names = Some(match term_names {
                    None => set,
                    Some(prev) => prev.intersection(&set).cloned().collect(),
                });
            }
        }
        let Some(term_names) = term_names else {
            return Ok(None);
        };
        names.get_or_insert_with(BTreeSet::new).extend(term_names);
    }
    match names {
        Some(n) if n.is_empty() => Err(Status::unresolvable(ERR_REASON_CONFLICT)),
        other => Ok(other),
    }
}

pub fn filter(ctx: &Ctx<'_>, node: &NodeInfo) -> Result<(), Status> {
    let args = &ctx.profile.args.node_affinity;
    if let Some(added) = &args.added_required
        && !added.matches(&node.labels, &node.name)
    {
        return Err(Status::unresolvable(ERR_REASON_ENFORCED));
    }
    if !ctx.pod.node_affinity.matches(&node.labels, &node.name) {
        return Err(Status::unresolvable(ERR_REASON_POD));
    }
    Ok(())
}

/// PreScore: nothing to score without preferred terms.
pub fn pre_score(ctx: &Ctx<'_>) -> Result<(), Status> {
    if ctx.pod.preferred_node_terms.is_empty()
        && ctx.profile.args.node_affinity.added_preferred.is_empty()
    {
        return Err(Status::skip());
    }
    Ok(())
}

/// Sum of the weights of matching preferred terms.
pub fn score(ctx: &Ctx<'_>, node: &NodeInfo) -> i64 {
    ctx.profile
        .args
        .node_affinity
        .added_preferred
        .iter()
        .chain(ctx.pod.preferred_node_terms.iter())
        .filter(|(_, t)| t.matches(&node.labels, &node.name))
        .map(|(w, _)| i64::from(*w))
        .sum()
}

pub fn normalize(scores: &mut [i64]) {
    default_normalize_score(MAX_NODE_SCORE, false, scores);
}

#[cfg(test)]
#[path = "node_affinity_tests.rs"]
mod tests;
