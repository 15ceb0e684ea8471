//! One scheduling attempt: PreFilter, Filter over an adaptive share of the
//! nodes starting where the last attempt stopped, then scoring.

use std::sync::Arc;

use crate::framework::scoring::{prioritize_nodes, select_host};
use crate::framework::{Ctx, CycleState, Nominator, run_filter_with_nominated, run_pre_filter};
use crate::rng::Rng;
use crate::status::{Diagnosis, FitError, Status};

const MIN_FEASIBLE_NODES_TO_FIND: usize = 100;
const MIN_FEASIBLE_NODES_PERCENTAGE_TO_FIND: i64 = 5;

/// Upstream `numFeasibleNodesToFind`: all nodes below 100; otherwise the
/// configured percentage, or adaptively 50% minus 1% per 125 nodes (at
/// least 5%), but never fewer than 100 nodes.
pub fn num_feasible_nodes_to_find(percentage: i32, num_all_nodes: usize) -> usize {
    if num_all_nodes < MIN_FEASIBLE_NODES_TO_FIND {
        return num_all_nodes;
    }
    let mut pct = i64::from(percentage);
    if pct == 0 {
        pct = (50 - num_all_nodes as i64 / 125).max(MIN_FEASIBLE_NODES_PERCENTAGE_TO_FIND);
    }
    let n = (num_all_nodes as i64 * pct / 100) as usize;
    n.max(MIN_FEASIBLE_NODES_TO_FIND)
}

/// A successful attempt.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ScheduleResult {
    pub slot: usize,
    pub evaluated_nodes: usize,
    pub feasible_nodes: usize,
}

/// A failed attempt.
#[derive(Clone, Debug)]
pub enum ScheduleFailure {
    /// The cluster has no nodes.
    NoNodes,
    /// No node fits; the diagnosis feeds PostFilter and the message.
    Fit(Box<FitError>),
    /// A plugin failed.
    Error(String),
}

/// Upstream's message for an empty cluster.
pub const ERR_NO_NODES_AVAILABLE: &str = "no nodes available to schedule pods";

/// Runs PreFilter/Filter/Score for the pod (upstream `schedulePod`).
/// `next_start` rotates through the nodes across attempts.
pub fn schedule_pod<'a>(
    ctx: &Ctx<'a>,
    state: &mut CycleState<'a>,
    nominator: &Nominator,
    next_start: &mut usize,
    percentage: i32,
    rng: &mut Rng,
) -> Result<ScheduleResult, ScheduleFailure> {
    let cache = ctx.cache;
    let all = cache.node_order();
    if all.is_empty() {
        return Err(ScheduleFailure::NoNodes);
    }
    let mut diagnosis = Diagnosis::default();
    let fit_error = |diagnosis: Diagnosis| {
        ScheduleFailure::Fit(Box::new(FitError {
            num_all_nodes: all.len(),
            diagnosis,
        }))
    };
    let (outcome, pre) = run_pre_filter(ctx, state);
    if let Err(s) = pre {
        if !s.is_rejected() {
            return Err(ScheduleFailure::Error(s.message()));
        }
        diagnosis.pre_filter_msg = s.message();
        diagnosis.add_plugin_status(&s);
        diagnosis.node_to_status.absent = s;
        return Err(fit_error(diagnosis));
    }

    // A node nominated by an earlier preemption is tried first.
    if let Some(nominated) = &ctx.pod.nominated_node
        && let Some(node) = cache.node_by_name(nominated)
        && run_filter_with_nominated(ctx, state, node, nominator).is_ok()
        && let Some(slot) = cache.slot_of(nominated)
    {
        return Ok(ScheduleResult {
            slot,
            evaluated_nodes: 1,
            feasible_nodes: 1,
        });
    }

    let narrowed: Vec<usize>;
    let nodes: &[usize] = match &outcome.node_names {
        None => all,
        Some(names) => {
            narrowed = names
                .iter()
                .filter_map(|n| cache.node_by_name(n).and(cache.slot_of(n)))
                .collect();
            let mut plugins: Vec<&str> = outcome
                .narrowing_plugins
                .iter()
                .map(|p| p.as_str())
                .collect();
            plugins.sort_unstable();
            diagnosis.node_to_status.absent = Status::unresolvable(format!(
                "node(s) didn't satisfy plugin(s) [{}]",
                plugins.join(" ")
            ));
            &narrowed
        }
    };
    let n = nodes.len();
    let mut to_find = num_feasible_nodes_to_find(
        ctx.profile
            .percentage_of_nodes_to_score
            .unwrap_or(percentage),
        n,
    );
    if ctx.profile.score.is_empty() {
        to_find = 1;
    }
    let mut feasible = Vec::with_capacity(to_find.min(n));
    let mut processed = 0usize;
    if n > 0 {
        let start = *next_start % n;
        for i in 0..n {
            if feasible.len() >= to_find {
                break;
            }
            let slot = nodes[(start + i) % n];
            let node = cache.node(slot);
            processed += 1;
            match run_filter_with_nominated(ctx, state, node, nominator) {
                Ok(()) => feasible.push(slot),
                Err(s) => {
                    if !s.is_rejected() {
                        *next_start = (*next_start + processed) % all.len();
                        return Err(ScheduleFailure::Error(s.message()));
                    }
                    diagnosis.add_plugin_status(&s);
                    diagnosis
                        .node_to_status
                        .explicit
                        .push((Arc::clone(&node.name), s));
                }
            }
        }
    }
    *next_start = (*next_start + processed) % all.len();
    if feasible.is_empty() {
        return Err(fit_error(diagnosis));
    }
    let evaluated = processed;
    if feasible.len() == 1 {
        return Ok(ScheduleResult {
            slot: feasible[0],
            evaluated_nodes: evaluated,
            feasible_nodes: 1,
        });
    }
    let scores = prioritize_nodes(ctx, &feasible).map_err(ScheduleFailure::Error)?;
    let slot = select_host(&scores, rng).unwrap_or(feasible[0]);
    Ok(ScheduleResult {
        slot,
        evaluated_nodes: evaluated,
        feasible_nodes: feasible.len(),
    })
}
