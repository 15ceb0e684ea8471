//! NodeResourcesFit: the node must have room for the pod's requests and one
//! more pod; scoring by LeastAllocated, MostAllocated or
//! RequestedToCapacityRatio over configured resources.

use std::borrow::Cow;

use crate::framework::Ctx;
use crate::nodeinfo::NodeInfo;
use crate::plugins::MAX_NODE_SCORE;
use crate::resources::{
    CPU, EPHEMERAL_STORAGE, MEMORY, Resource, is_extended_resource_name, is_scalar_resource_name,
};
use crate::status::{Code, Status};

/// How NodeResourcesFit scores.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StrategyType {
    LeastAllocated,
    MostAllocated,
    RequestedToCapacityRatio,
}

/// `NodeResourcesFitArgs.scoringStrategy`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ScoringStrategy {
    pub kind: StrategyType,
    /// Resource name and weight.
    pub resources: Vec<(String, i64)>,
    /// RequestedToCapacityRatio shape: (utilization 0..100, score already
    /// scaled from the configured 0..10 to 0..100).
    pub shape: Vec<(i64, i64)>,
}

impl Default for ScoringStrategy {
    fn default() -> Self {
        ScoringStrategy {
            kind: StrategyType::LeastAllocated,
            resources: default_resources(),
            shape: Vec::new(),
        }
    }
}

pub fn default_resources() -> Vec<(String, i64)> {
    vec![(CPU.to_string(), 1), (MEMORY.to_string(), 1)]
}

/// `NodeResourcesFitArgs`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct FitArgs {
    pub ignored_resources: Vec<String>,
    pub ignored_resource_groups: Vec<String>,
    pub strategy: ScoringStrategy,
}

/// One resource the node lacks.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Insufficient {
    pub reason: Cow<'static, str>,
    /// The request alone exceeds the node's allocatable: evicting pods cannot help.
    pub unresolvable: bool,
}

/// Upstream `fitsRequest`.
pub fn insufficient_resources(
    args: &FitArgs,
    req: &Resource,
    node: &NodeInfo,
) -> Vec<Insufficient> {
    let mut out = Vec::new();
    if node.pods.len() as i64 + 1 > node.allocatable.allowed_pod_number {
        out.push(Insufficient {
            reason: Cow::Borrowed("Too many pods"),
            unresolvable: false,
        });
    }
    if req.is_zero() {
        return out;
    }
    let alloc = &node.allocatable;
    let used = &node.requested;
    let mut check = |name: &'static str, want: i64, used: i64, have: i64| {
        if have < want + used {
            out.push(Insufficient {
                reason: Cow::Owned(format!("Insufficient {name}")),
                unresolvable: want > have,
            });
        }
    };
    check(CPU, req.milli_cpu, used.milli_cpu, alloc.milli_cpu);
    check(MEMORY, req.memory, used.memory, alloc.memory);
    check(
        EPHEMERAL_STORAGE,
        req.ephemeral_storage,
        used.ephemeral_storage,
        alloc.ephemeral_storage,
    );
    for (name, want) in &req.scalar {
        if is_extended_resource_name(name) {
            if args.ignored_resources.iter().any(|r| **r == **name) {
                continue;
            }
            let group = name.split('/').next().unwrap_or("");
            if args.ignored_resource_groups.iter().any(|g| g == group) {
                continue;
            }
        }
        let have = alloc.scalar(name);
        if have < want + used.scalar(name) {
            out.push(Insufficient {
                reason: Cow::Owned(format!("Insufficient {name}")),
                unresolvable: *want > have,
            });
        }
    }
    out
}

pub fn filter(ctx: &Ctx<'_>, node: &NodeInfo) -> Result<(), Status> {
    let missing = insufficient_resources(&ctx.profile.args.fit, &ctx.pod.requests.requests, node);
    if missing.is_empty() {
        return Ok(());
    }
    let code = if missing.iter().any(|m| m.unresolvable) {
        Code::UnschedulableAndUnresolvable
    } else {
        Code::Unschedulable
    };
    Err(Status::with_reasons(
        code,
        missing.into_iter().map(|m| m.reason).collect(),
    ))
}

/// The pod's request per scored resource. `use_requested` takes raw
/// requests; otherwise CPU and memory use the non-zero defaults.
pub fn pod_request_list(
    ctx: &Ctx<'_>,
    resources: &[(String, i64)],
    use_requested: bool,
) -> Vec<i64> {
    let r = &ctx.pod.requests;
    resources
        .iter()
        .map(|(name, _)| match name.as_str() {
            CPU if !use_requested => r.non_zero_cpu,
            MEMORY if !use_requested => r.non_zero_memory,
            other => r.requests.get(other),
        })
        .collect()
}

/// Upstream `calculateResourceAllocatableRequest`: (allocatable, requested
/// including the pod), or (0, 0) to leave the resource out.
pub fn allocatable_and_requested(
    node: &NodeInfo,
    name: &str,
    pod_request: i64,
    use_requested: bool,
) -> (i64, i64) {
    if pod_request == 0 && is_scalar_resource_name(name) {
        return (0, 0);
    }
    match name {
        CPU => {
            let used = if use_requested {
                node.requested.milli_cpu
            } else {
                node.non_zero_cpu
            };
            (node.allocatable.milli_cpu, used + pod_request)
        }
        MEMORY => {
            let used = if use_requested {
                node.requested.memory
            } else {
                node.non_zero_memory
            };
            (node.allocatable.memory, used + pod_request)
        }
        EPHEMERAL_STORAGE => (
            node.allocatable.ephemeral_storage,
            node.requested.ephemeral_storage + pod_request,
        ),
        other if node.allocatable.has_scalar(other) => (
            node.allocatable.scalar(other),
            node.requested.scalar(other) + pod_request,
        ),
        _ => (0, 0),
    }
}

fn least_requested(requested: i64, capacity: i64) -> i64 {
    if capacity == 0 || requested > capacity {
        return 0;
    }
    (capacity - requested) * MAX_NODE_SCORE / capacity
}

fn most_requested(requested: i64, capacity: i64) -> i64 {
    if capacity == 0 {
        return 0;
    }
    requested.min(capacity) * MAX_NODE_SCORE / capacity
}

/// Upstream `BuildBrokenLinearFunction` over scaled shape points.
fn broken_linear(shape: &[(i64, i64)], p: i64) -> i64 {
    for (i, (util, score)) in shape.iter().enumerate() {
        if p <= *util {
            if i == 0 {
                return *score;
            }
            let (pu, ps) = shape[i - 1];
            if *util == pu {
                return *score;
            }
            return ps + (score - ps) * (p - pu) / (util - pu);
        }
    }
    shape.last().map(|(_, s)| *s).unwrap_or(0)
}

/// Score of one node for the configured strategy.
pub fn score(ctx: &Ctx<'_>, pod_requests: &[i64], node: &NodeInfo) -> i64 {
    let strategy = &ctx.profile.args.fit.strategy;
    let mut node_score = 0i64;
    let mut weight_sum = 0i64;
    let shape = &strategy.shape;
    for (i, (name, weight)) in strategy.resources.iter().enumerate() {
        let (alloc, req) = allocatable_and_requested(node, name, pod_requests[i], false);
        if alloc == 0 {
            continue;
        }
        let s = match strategy.kind {
            StrategyType::LeastAllocated => least_requested(req, alloc),
            StrategyType::MostAllocated => most_requested(req, alloc),
            StrategyType::RequestedToCapacityRatio => {
                let s = if req > alloc {
                    broken_linear(shape, 100)
                } else {
                    broken_linear(shape, req * 100 / alloc)
                };
                if s <= 0 {
                    continue;
                }
                s
            }
        };
        node_score += s * weight;
        weight_sum += weight;
    }
    if weight_sum == 0 {
        return 0;
    }
    match strategy.kind {
        StrategyType::RequestedToCapacityRatio => {
            (node_score as f64 / weight_sum as f64).round() as i64
        }
        _ => node_score / weight_sum,
    }
}

#[cfg(test)]
#[path = "fit_tests.rs"]
mod tests;
