//! NodeResourcesBalancedAllocation: favours nodes whose resource fractions
//! stay close to each other once the pod is placed.

use crate::framework::Ctx;
use crate::nodeinfo::NodeInfo;
use crate::plugins::MAX_NODE_SCORE;
use crate::plugins::fit::{allocatable_and_requested, pod_request_list};
use crate::status::Status;

/// `NodeResourcesBalancedAllocationArgs.resources` (name, weight).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BalancedArgs {
    pub resources: Vec<(String, i64)>,
}

impl Default for BalancedArgs {
    fn default() -> Self {
        BalancedArgs {
            resources: crate::plugins::fit::default_resources(),
        }
    }
}

/// PreScore: the pod's raw requests; best-effort pods are not scored.
pub fn pre_score(ctx: &Ctx<'_>) -> Result<Vec<i64>, Status> {
    let requests = pod_request_list(ctx, &ctx.profile.args.balanced.resources, true);
    if requests.iter().all(|r| *r == 0) {
        return Err(Status::skip());
    }
    Ok(requests)
}

pub fn score(ctx: &Ctx<'_>, pod_requests: &[i64], node: &NodeInfo) -> i64 {
    let mut all = Vec::with_capacity(2);
    let mut total = 0f64;
    for (i, (name, _)) in ctx.profile.args.balanced.resources.iter().enumerate() {
        let (alloc, req) = allocatable_and_requested(node, name, pod_requests[i], true);
        if alloc == 0 {
            continue;
        }
        let f = (req as f64 / alloc as f64).min(1.0);
        total += f;
        all.push(f);
    }
    let std = match all.len() {
        2 => ((all[0] - all[1]) / 2.0).abs(),
        len if len > 2 => {
            let mean = total / len as f64;
            let sum: f64 = all.iter().map(|f| (f - mean) * (f - mean)).sum();
            (sum / len as f64).sqrt()
        }
        _ => 0.0,
    };
    ((1.0 - std) * MAX_NODE_SCORE as f64) as i64
}

#[cfg(test)]
#[path = "balanced_tests.rs"]
mod tests;
