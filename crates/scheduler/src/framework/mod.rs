//! The scheduling framework: profiles (ordered plugins per extension point
//! with score weights and plugin args), the per-cycle state, and the
//! runners of each extension point.

mod cycle;
mod nominator;
mod scoring;

use std::collections::BTreeSet;
use std::sync::Arc;

use crate::cache::Cache;
use crate::nodeinfo::NodeInfo;
use crate::plugins::balanced::BalancedArgs;
use crate::plugins::fit::FitArgs;
use crate::plugins::interpod::InterPodArgs;
use crate::plugins::node_affinity::NodeAffinityArgs;
use crate::plugins::preemption::PreemptionArgs;
use crate::plugins::spread::SpreadArgs;
use crate::plugins::{
    PluginName, PluginSet, fit, interpod, node_affinity, node_basic, spread, taints, volumes,
};
use crate::podinfo::PodInfo;
use crate::status::{Code, Status};

pub use cycle::{
    ERR_NO_NODES_AVAILABLE, ScheduleFailure, ScheduleResult, num_feasible_nodes_to_find,
    schedule_pod,
};
pub use nominator::Nominator;
pub use scoring::{NodeScore, prioritize_nodes, select_host};

/// Arguments of the configurable plugins.
#[derive(Clone, Debug, Default)]
pub struct PluginArgs {
    pub fit: FitArgs,
    pub balanced: BalancedArgs,
    pub spread: SpreadArgs,
    pub interpod: InterPodArgs,
    pub node_affinity: NodeAffinityArgs,
    pub preemption: PreemptionArgs,
}

/// One scheduling profile: the plugins of each extension point, in order.
#[derive(Clone, Debug, Default)]
pub struct Profile {
    pub scheduler_name: String,
    pub pre_enqueue: Vec<PluginName>,
    pub queue_sort: Vec<PluginName>,
    pub pre_filter: Vec<PluginName>,
    pub filter: Vec<PluginName>,
    pub post_filter: Vec<PluginName>,
    pub pre_score: Vec<PluginName>,
    /// Score plugins with their weights.
    pub score: Vec<(PluginName, i64)>,
    pub reserve: Vec<PluginName>,
    pub permit: Vec<PluginName>,
    pub pre_bind: Vec<PluginName>,
    pub bind: Vec<PluginName>,
    pub post_bind: Vec<PluginName>,
    pub percentage_of_nodes_to_score: Option<i32>,
    pub args: PluginArgs,
}

impl Profile {
    /// Whether any plugin at any point is `p`.
    pub fn uses(&self, p: PluginName) -> bool {
        self.pre_enqueue.contains(&p)
            || self.pre_filter.contains(&p)
            || self.filter.contains(&p)
            || self.post_filter.contains(&p)
            || self.score.iter().any(|(s, _)| *s == p)
            || self.reserve.contains(&p)
            || self.bind.contains(&p)
    }
}

/// Index queries plugins need, registered before the read-only cycle.
#[derive(Clone, Debug, Default)]
pub struct Prepared {
    pub spread: spread::Prepared,
    pub interpod: interpod::Prepared,
}

impl Prepared {
    pub fn new(cache: &mut Cache, pod: &PodInfo, profile: &Profile) -> Prepared {
        let spread_filter = profile.filter.contains(&PluginName::PodTopologySpread);
        let spread_score = profile
            .score
            .iter()
            .any(|(p, _)| *p == PluginName::PodTopologySpread);
        let ipa_filter = profile.filter.contains(&PluginName::InterPodAffinity);
        let ipa_score = profile
            .score
            .iter()
            .any(|(p, _)| *p == PluginName::InterPodAffinity);
        Prepared {
            spread: if spread_filter || spread_score {
                spread::prepare(
                    cache,
                    pod,
                    &profile.args.spread,
                    spread_filter,
                    spread_score,
                )
            } else {
                spread::Prepared::default()
            },
            interpod: if ipa_filter || ipa_score {
                interpod::prepare(cache, pod, ipa_filter, ipa_score)
            } else {
                interpod::Prepared::default()
            },
        }
    }
}

/// What every plugin call sees: the cache, the pod, its profile.
#[derive(Clone, Copy)]
pub struct Ctx<'a> {
    pub cache: &'a Cache,
    pub pod: &'a PodInfo,
    pub profile: &'a Profile,
    pub prepared: &'a Prepared,
}

/// State computed at PreFilter and read by Filter (cloned when nominated
/// pods or preemption victims are simulated).
#[derive(Clone, Debug, Default)]
pub struct CycleState<'a> {
    pub skip_filter: PluginSet,
    pub spread: Option<spread::FilterState<'a>>,
    pub interpod: Option<interpod::FilterState<'a>>,
    pub binding: Option<volumes::BindingState>,
    pub restrictions: Option<volumes::RestrictionState>,
    pub zone: Option<volumes::ZoneState>,
}

/// The outcome of the PreFilter point.
#[derive(Debug, Default)]
pub struct PreFilterOutcome {
    /// The only nodes worth filtering, when plugins narrowed them.
    pub node_names: Option<BTreeSet<String>>,
    /// Plugins that narrowed the node set.
    pub narrowing_plugins: Vec<PluginName>,
}

fn pre_filter_one<'a>(
    p: PluginName,
    ctx: &Ctx<'a>,
    state: &mut CycleState<'a>,
) -> Result<Option<BTreeSet<String>>, Status> {
    match p {
        PluginName::NodeAffinity => node_affinity::pre_filter(ctx),
        PluginName::NodePorts => node_basic::ports_pre_filter(ctx).map(|_| None),
        PluginName::NodeResourcesFit => Ok(None),
        PluginName::PodTopologySpread => {
            state.spread = Some(spread::pre_filter(ctx)?);
            Ok(None)
        }
        PluginName::InterPodAffinity => {
            state.interpod = Some(interpod::pre_filter(ctx)?);
            Ok(None)
        }
        PluginName::VolumeBinding => {
            state.binding = Some(volumes::binding_pre_filter(ctx)?);
            Ok(None)
        }
        PluginName::VolumeRestrictions => {
            state.restrictions = Some(volumes::restrictions_pre_filter(ctx)?);
            Ok(None)
        }
        PluginName::VolumeZone => {
            state.zone = Some(volumes::zone_pre_filter(ctx)?);
            Ok(None)
        }
        PluginName::NodeVolumeLimits => Err(Status::skip()),
        _ => Ok(None),
    }
}

/// Upstream `RunPreFilterPlugins`: Skip marks a plugin's Filter skipped,
/// UnschedulableAndUnresolvable stops at once, Unschedulable is kept while
/// the other plugins still run (so preemption sees their state), node
/// subsets intersect.
pub fn run_pre_filter<'a>(
    ctx: &Ctx<'a>,
    state: &mut CycleState<'a>,
) -> (PreFilterOutcome, Result<(), Status>) {
    let mut out = PreFilterOutcome::default();
    let mut result = Ok(());
    for p in &ctx.profile.pre_filter {
        match pre_filter_one(*p, ctx, state) {
            Ok(None) => {}
            Ok(Some(names)) => {
                out.narrowing_plugins.push(*p);
                let merged = match out.node_names.take() {
                    None => names,
                    Some(prev) => prev.intersection(&names).cloned().collect(),
                };
                let empty = merged.is_empty();
                out.node_names = Some(merged);
                if empty {
                    let names: Vec<&str> =
                        out.narrowing_plugins.iter().map(|p| p.as_str()).collect();
                    let msg = if names.len() == 1 {
                        format!("node(s) didn't satisfy plugin {}", names[0])
                    } else {
                        format!(
                            "node(s) didn't satisfy plugin(s) [{}] simultaneously",
                            names.join(" ")
                        )
                    };
                    return (out, Err(Status::unresolvable(msg)));
                }
            }
            Err(s) if s.code == Code::Skip => state.skip_filter.insert(*p),
            Err(s) if s.code == Code::UnschedulableAndUnresolvable => {
                return (out, Err(s.with_plugin(*p)));
            }
            Err(s) if s.code == Code::Unschedulable => result = Err(s.with_plugin(*p)),
            Err(s) => {
                let msg = format!("running PreFilter plugin \"{p}\": {}", s.message());
                return (out, Err(Status::error(msg).with_plugin(*p)));
            }
        }
    }
    (out, result)
}

fn filter_one(
    p: PluginName,
    ctx: &Ctx<'_>,
    state: &CycleState<'_>,
    node: &NodeInfo,
) -> Result<(), Status> {
    match p {
        PluginName::NodeUnschedulable => node_basic::unschedulable_filter(ctx, node),
        PluginName::NodeName => node_basic::node_name_filter(ctx, node),
        PluginName::TaintToleration => taints::filter(ctx, node),
        PluginName::NodeAffinity => node_affinity::filter(ctx, node),
        PluginName::NodePorts => node_basic::ports_filter(ctx, node),
        PluginName::NodeResourcesFit => fit::filter(ctx, node),
        PluginName::PodTopologySpread => match &state.spread {
            Some(s) => spread::filter(ctx, s, node),
            None => Ok(()),
        },
        PluginName::InterPodAffinity => match &state.interpod {
            Some(s) => interpod::filter(s, node),
            None => Ok(()),
        },
        PluginName::VolumeBinding => match &state.binding {
            Some(s) => volumes::binding_filter(ctx, s, node),
            None => Ok(()),
        },
        PluginName::VolumeRestrictions => match &state.restrictions {
            Some(s) => volumes::restrictions_filter(ctx, s, node),
            None => Ok(()),
        },
        PluginName::VolumeZone => match &state.zone {
            Some(s) => volumes::zone_filter(s, node),
            None => Ok(()),
        },
        _ => Ok(()),
    }
}

/// Upstream `RunFilterPlugins`: the first rejecting plugin's status.
pub fn run_filter(ctx: &Ctx<'_>, state: &CycleState<'_>, node: &NodeInfo) -> Result<(), Status> {
    for p in &ctx.profile.filter {
        if state.skip_filter.contains(*p) {
            continue;
        }
        if let Err(s) = filter_one(*p, ctx, state, node) {
            return Err(s.with_plugin(*p));
        }
    }
    Ok(())
}

/// PreFilter extensions: account `other` as added to (`delta` 1) or
/// removed from (-1) `node` in the cycle state.
pub fn update_state_with_pod(
    ctx: &Ctx<'_>,
    state: &mut CycleState<'_>,
    other: &PodInfo,
    node: &NodeInfo,
    delta: i64,
) {
    for p in &ctx.profile.pre_filter {
        if state.skip_filter.contains(*p) {
            continue;
        }
        match p {
            PluginName::PodTopologySpread => {
                if let Some(s) = state.spread.as_mut() {
                    spread::update_with_pod(ctx, s, other, node, delta);
                }
            }
            PluginName::InterPodAffinity => {
                if let Some(s) = state.interpod.as_mut() {
                    interpod::update_with_pod(ctx, s, other, node, delta);
                }
            }
            PluginName::VolumeRestrictions => {
                if let Some(s) = state.restrictions.as_mut() {
                    volumes::restrictions_update_with_pod(s, other, delta);
                }
            }
            _ => {}
        }
    }
}

/// Upstream `RunFilterPluginsWithNominatedPods`: with nominated pods of
/// equal or higher priority counted on the node first, then (if that
/// passed) without them.
pub fn run_filter_with_nominated(
    ctx: &Ctx<'_>,
    state: &CycleState<'_>,
    node: &NodeInfo,
    nominator: &Nominator,
) -> Result<(), Status> {
    let nominated = nominator.pods_on(&node.name);
    let relevant: Vec<&Arc<PodInfo>> = nominated
        .iter()
        .filter(|p| p.priority >= ctx.pod.priority && p.id != ctx.pod.id)
        .collect();
    if relevant.is_empty() {
        return run_filter(ctx, state, node);
    }
    let mut node_with = node.clone();
    let mut state_with = state.clone();
    for p in &relevant {
        node_with.add_pod(Arc::clone(p));
        update_state_with_pod(ctx, &mut state_with, p, &node_with, 1);
    }
    run_filter(ctx, &state_with, &node_with)?;
    run_filter(ctx, state, node)
}

#[cfg(test)]
mod tests;
