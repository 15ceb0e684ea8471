//! PreScore, Score and NormalizeScore over the feasible nodes, and the
//! choice of the best node (ties broken uniformly at random).

use k8s_openapi::api::core::v1::Toleration;

use crate::framework::Ctx;
use crate::plugins::{
    MAX_NODE_SCORE, PluginName, balanced, fit, image_locality, interpod, node_affinity, spread,
    taints,
};
use crate::rng::Rng;
use crate::status::Code;

/// A feasible node's weighted total.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NodeScore {
    pub slot: usize,
    pub total: i64,
}

enum ScorerState<'a> {
    Skip,
    Taints(Vec<Toleration>),
    NodeAffinity,
    Fit(Vec<i64>),
    Balanced(Vec<i64>),
    Image(Vec<f64>),
    Spread(spread::ScoreState<'a>),
    InterPod(interpod::ScoreState<'a>),
}

fn pre_score<'a>(
    p: PluginName,
    ctx: &Ctx<'a>,
    feasible: &[usize],
) -> Result<ScorerState<'a>, String> {
    let skip_or = |r: Result<ScorerState<'a>, crate::status::Status>| match r {
        Ok(s) => Ok(s),
        Err(s) if s.code == Code::Skip => Ok(ScorerState::Skip),
        Err(s) => Err(format!("running PreScore plugin \"{p}\": {}", s.message())),
    };
    match p {
        PluginName::TaintToleration => Ok(ScorerState::Taints(
            taints::prefer_no_schedule_tolerations(&ctx.pod.tolerations),
        )),
        PluginName::NodeAffinity => {
            skip_or(node_affinity::pre_score(ctx).map(|_| ScorerState::NodeAffinity))
        }
        PluginName::NodeResourcesFit => Ok(ScorerState::Fit(fit::pod_request_list(
            ctx,
            &ctx.profile.args.fit.strategy.resources,
            false,
        ))),
        PluginName::NodeResourcesBalancedAllocation => {
            skip_or(balanced::pre_score(ctx).map(ScorerState::Balanced))
        }
        PluginName::ImageLocality => Ok(ScorerState::Image(image_locality::pre_score(ctx))),
        PluginName::PodTopologySpread => {
            skip_or(spread::pre_score(ctx, feasible).map(ScorerState::Spread))
        }
        PluginName::InterPodAffinity => {
            skip_or(interpod::pre_score(ctx).map(ScorerState::InterPod))
        }
        _ => Ok(ScorerState::Skip),
    }
}

fn score_node(ctx: &Ctx<'_>, state: &ScorerState<'_>, slot: usize) -> i64 {
    let node = ctx.cache.node(slot);
    match state {
        ScorerState::Skip => 0,
        ScorerState::Taints(t) => taints::score(t, node),
        ScorerState::NodeAffinity => node_affinity::score(ctx, node),
        ScorerState::Fit(r) => fit::score(ctx, r, node),
        ScorerState::Balanced(r) => balanced::score(ctx, r, node),
        ScorerState::Image(s) => image_locality::score(ctx, s, node),
        ScorerState::Spread(s) => spread::score(ctx, s, slot, node),
        ScorerState::InterPod(s) => interpod::score(s, node),
    }
}

fn normalize(state: &ScorerState<'_>, slots: &[usize], scores: &mut [i64]) {
    match state {
        ScorerState::Taints(_) => taints::normalize(scores),
        ScorerState::NodeAffinity => node_affinity::normalize(scores),
        ScorerState::Spread(s) => spread::normalize(s, slots, scores),
        ScorerState::InterPod(_) => interpod::normalize(scores),
        _ => {}
    }
}

/// Upstream `prioritizeNodes`: weighted sum of every score plugin; every
/// node scores 1 when there is no score plugin.
pub fn prioritize_nodes(ctx: &Ctx<'_>, feasible: &[usize]) -> Result<Vec<NodeScore>, String> {
    let mut totals: Vec<NodeScore> = feasible
        .iter()
        .map(|s| NodeScore { slot: *s, total: 0 })
        .collect();
    if ctx.profile.score.is_empty() {
        totals.iter_mut().for_each(|t| t.total = 1);
        return Ok(totals);
    }
    let mut scores = vec![0i64; feasible.len()];
    for (p, weight) in &ctx.profile.score {
        let state = pre_score(*p, ctx, feasible)?;
        if matches!(state, ScorerState::Skip) {
            continue;
        }
        for (s, slot) in scores.iter_mut().zip(feasible) {
            *s = score_node(ctx, &state, *slot);
        }
        normalize(&state, feasible, &mut scores);
        for (t, s) in totals.iter_mut().zip(&scores) {
            if !(0..=MAX_NODE_SCORE).contains(s) {
                return Err(format!(
                    "plugin \"{p}\" returns an invalid score {s}, it should in the range of [0, {MAX_NODE_SCORE}] after normalizing"
                ));
            }
            t.total += s * weight;
        }
    }
    Ok(totals)
}

/// The highest total; among equals, each is chosen with equal probability.
pub fn select_host(scores: &[NodeScore], rng: &mut Rng) -> Option<usize> {
    let mut best: Option<&NodeScore> = None;
    let mut ties = 0usize;
    for s in scores {
        match best {
            Some(b) if s.total < b.total => {}
            Some(b) if s.total == b.total => {
                ties += 1;
                if rng.below(ties) == 0 {
                    best = Some(s);
                }
            }
            _ => {
                best = Some(s);
                ties = 1;
            }
        }
    }
    best.map(|b| b.slot)
}
