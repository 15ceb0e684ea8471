//! PodTopologySpread: hard constraints (DoNotSchedule) filter nodes whose
//! domain would exceed `maxSkew` over the least-loaded eligible domain;
//! soft ones (ScheduleAnyway, or the defaults for pods of Services and
//! workloads) score nodes. Counts come from the cache's label index.

use std::collections::BTreeMap;
use std::sync::Arc;

use capstan_apimachinery::labels::{Selector, selector_from_label_selector};
use k8s_openapi::api::core::v1::TopologySpreadConstraint;
use rustc_hash::{FxHashMap, FxHashSet};

use crate::cache::Cache;
use crate::framework::Ctx;
use crate::index::{DomainCounts, PodQuery};
use crate::nodeinfo::NodeInfo;
use crate::plugins::MAX_NODE_SCORE;
use crate::plugins::taints::find_untolerated_taint;
use crate::podinfo::PodInfo;
use crate::status::Status;
use crate::terms::TermMatcher;

pub const LABEL_HOSTNAME: &str = "kubernetes.io/hostname";
pub const LABEL_ZONE: &str = "topology.kubernetes.io/zone";
pub const ERR_REASON_CONSTRAINTS_NOT_MATCH: &str =
    "node(s) didn't match pod topology spread constraints";
pub const ERR_REASON_NODE_LABEL_NOT_MATCH: &str =
    "node(s) didn't match pod topology spread constraints (missing required label)";

/// `PodTopologySpreadArgs.defaultingType`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DefaultingType {
    System,
    List,
}

/// `PodTopologySpreadArgs`.
#[derive(Clone, Debug, PartialEq)]
pub struct SpreadArgs {
    pub default_constraints: Vec<TopologySpreadConstraint>,
    pub defaulting_type: DefaultingType,
}

impl Default for SpreadArgs {
    fn default() -> Self {
        SpreadArgs {
            default_constraints: Vec::new(),
            defaulting_type: DefaultingType::System,
        }
    }
}

fn system_default_constraints() -> Vec<TopologySpreadConstraint> {
    vec![
        TopologySpreadConstraint {
            topology_key: LABEL_HOSTNAME.to_string(),
            when_unsatisfiable: "ScheduleAnyway".to_string(),
            max_skew: 3,
            ..Default::default()
        },
        TopologySpreadConstraint {
            topology_key: LABEL_ZONE.to_string(),
            when_unsatisfiable: "ScheduleAnyway".to_string(),
            max_skew: 5,
            ..Default::default()
        },
    ]
}

impl SpreadArgs {
    /// The defaults in effect and whether they are the system ones.
    pub fn defaults(&self) -> (Vec<TopologySpreadConstraint>, bool) {
        match self.defaulting_type {
            DefaultingType::System => (system_default_constraints(), true),
            DefaultingType::List => (self.default_constraints.clone(), false),
        }
    }
}

/// A compiled constraint with its index query.
#[derive(Clone, Debug)]
pub struct Constraint {
    pub max_skew: i64,
    pub topology_key: String,
    pub key_id: u32,
    pub selector: Selector,
    pub min_domains: i64,
    pub honor_affinity: bool,
    pub honor_taints: bool,
    pub query: u32,
    /// Whether the pod itself matches the selector.
    pub self_match: bool,
}

/// Constraints compiled before a cycle (queries need the mutable cache).
#[derive(Clone, Debug, Default)]
pub struct Prepared {
    pub filter: Vec<Constraint>,
    pub score: Vec<Constraint>,
    /// Scoring uses the system defaults (pods without own constraints).
    pub score_system_defaulted: bool,
    pub error: Option<String>,
}

/// Upstream `filterTopologySpreadConstraints` + `buildDefaultConstraints`.
fn compile(
    cache: &mut Cache,
    pod: &PodInfo,
    args: &SpreadArgs,
    action: &str,
) -> Result<(Vec<Constraint>, bool), String> {
    let (source, defaulted, system) = if pod.spread_constraints.is_empty() {
        let (d, system) = args.defaults();
        (d, true, system)
    } else {
        (pod.spread_constraints.clone(), false, false)
    };
    let mut out = Vec::new();
    let default_selector = if defaulted {
        match cache.objects.default_selector(pod) {
            Some(s) => Some(s),
            None => return Ok((Vec::new(), system)),
        }
    } else {
        None
    };
    for c in source.iter().filter(|c| c.when_unsatisfiable == action) {
        let mut selector = match &default_selector {
            Some(s) => s.clone(),
            None => selector_from_label_selector(c.label_selector.as_ref())
                .map_err(|e| e.to_string())?,
        };
        let mut match_labels = BTreeMap::new();
        for key in c.match_label_keys.iter().flatten() {
            if let Some(v) = pod.labels.get(key) {
                match_labels.insert(key.clone(), v.clone());
            }
        }
        if !match_labels.is_empty() {
            let base = Selector::from_set(&match_labels);
            selector = if selector.matches_nothing() {
                base
            } else {
                base.add(selector.requirements().iter().cloned())
            };
        }
        let query = PodQuery {
            terms: vec![TermMatcher {
                namespaces: vec![pod.namespace.clone()],
                namespace_selector: None,
                selector: selector.clone(),
            }],
            skip_terminating: true,
        };
        let query_id = cache.prepare_query(&query, &[&c.topology_key]);
        let key_id = cache.label_id(&c.topology_key).unwrap_or(u32::MAX);
        out.push(Constraint {
            max_skew: i64::from(c.max_skew),
            topology_key: c.topology_key.clone(),
            key_id,
            self_match: selector.matches(&pod.labels),
            selector,
            min_domains: i64::from(c.min_domains.unwrap_or(1)),
            honor_affinity: c.node_affinity_policy.as_deref() != Some("Ignore"),
            honor_taints: c.node_taints_policy.as_deref() == Some("Honor"),
            query: query_id,
        });
    }
    Ok((out, system))
}

/// Compiles the pod's hard and soft constraints and registers their queries.
pub fn prepare(
    cache: &mut Cache,
    pod: &PodInfo,
    args: &SpreadArgs,
    filter: bool,
    score: bool,
) -> Prepared {
    let mut p = Prepared::default();
    if filter {
        match compile(cache, pod, args, "DoNotSchedule") {
            Ok((c, _)) => p.filter = c,
            Err(e) => {
                p.error = Some(format!(
                    "obtaining pod's hard topology spread constraints: {e}"
                ))
            }
        }
    }
    if score {
        match compile(cache, pod, args, "ScheduleAnyway") {
            Ok((c, system)) => {
                p.score = c;
                p.score_system_defaulted = system && pod.spread_constraints.is_empty();
            }
            Err(e) => p.error = Some(e),
        }
    }
    p
}

fn node_has_all_keys(node: &NodeInfo, constraints: &[Constraint]) -> bool {
    constraints
        .iter()
        .all(|c| node.label_value_id(c.key_id).is_some())
}

fn included(c: &Constraint, pod: &PodInfo, node: &NodeInfo) -> bool {
    if c.honor_affinity && !pod.node_affinity.matches(&node.labels, &node.name) {
        return false;
    }
    if c.honor_taints && find_untolerated_taint(&node.taints, &pod.tolerations).is_some() {
        return false;
    }
    true
}

/// Whether index-wide counts equal upstream's per-cycle counts: every node
/// has every key and no inclusion policy excludes a node.
fn index_counts_apply(ctx: &Ctx<'_>, constraints: &[Constraint]) -> bool {
    let all = ctx.cache.num_nodes();
    constraints.iter().all(|c| {
        ctx.cache.nodes_with_key(c.key_id) == all
            && !c.honor_taints
            && (!c.honor_affinity || ctx.pod.node_affinity.is_empty())
    })
}

/// Eligible domains of one constraint.
#[derive(Clone, Debug)]
enum Domains<'a> {
    /// Every domain of the key (all nodes eligible).
    All(Option<&'a FxHashMap<u32, u32>>),
    Some(Arc<FxHashSet<u32>>),
}

impl Domains<'_> {
    fn len(&self) -> usize {
        match self {
            Domains::All(d) => d.map(|d| d.len()).unwrap_or(0),
            Domains::Some(s) => s.len(),
        }
    }
}

/// Matching pods per eligible domain of one constraint: the index's
/// counts (fast path) plus changes made during the cycle.
#[derive(Clone, Debug)]
struct Counts<'a> {
    base: Option<&'a DomainCounts>,
    delta: FxHashMap<u32, i64>,
    domains: Domains<'a>,
    min: i64,
}

impl Counts<'_> {
    fn get(&self, v: u32) -> i64 {
        self.base.map(|b| i64::from(b.get(v))).unwrap_or(0)
            + self.delta.get(&v).copied().unwrap_or(0)
    }

    fn recompute_min(&mut self) {
        let get = |d: &u32| self.get(*d);
        self.min = match &self.domains {
            Domains::All(Some(d)) => d.keys().map(get).min().unwrap_or(0),
            Domains::All(None) => 0,
            Domains::Some(s) => s.iter().map(get).min().unwrap_or(0),
        };
    }
}

/// PreFilter result.
#[derive(Clone, Debug)]
pub struct FilterState<'a> {
    constraints: &'a [Constraint],
    per: Vec<Counts<'a>>,
}

pub fn pre_filter<'a>(ctx: &Ctx<'a>) -> Result<FilterState<'a>, Status> {
    let prepared = &ctx.prepared.spread;
    if let Some(e) = &prepared.error {
        return Err(Status::error(format!("calculating preFilterState: {e}")));
    }
    let constraints = &prepared.filter[..];
    if constraints.is_empty() {
        return Err(Status::skip());
    }
    let cache = ctx.cache;
    let mut per = Vec::with_capacity(constraints.len());
    if index_counts_apply(ctx, constraints) {
        for c in constraints {
            let domains = cache.domains(c.key_id);
            let dc = cache
                .index()
                .query(c.query)
                .and_then(|q| q.key_counts(c.key_id));
            let num = domains.map(|d| d.len()).unwrap_or(0);
            let min = dc.map(|dc| i64::from(dc.min_over(num))).unwrap_or(0);
            per.push(Counts {
                base: dc,
                delta: FxHashMap::default(),
                domains: Domains::All(domains),
                min,
            });
        }
    } else {
        let mut sets: Vec<FxHashSet<u32>> = vec![FxHashSet::default(); constraints.len()];
        let mut counts: Vec<FxHashMap<u32, i64>> = vec![FxHashMap::default(); constraints.len()];
        for slot in cache.node_order() {
            let node = cache.node(*slot);
            if !node_has_all_keys(node, constraints) {
                continue;
            }
            for (i, c) in constraints.iter().enumerate() {
                if !included(c, ctx.pod, node) {
                    continue;
                }
                let Some(v) = node.label_value_id(c.key_id) else {
                    continue;
                };
                sets[i].insert(v);
                let n = cache
                    .index()
                    .query(c.query)
                    .map(|q| q.node_count(*slot))
                    .unwrap_or(0);
                *counts[i].entry(v).or_default() += i64::from(n);
            }
        }
        for (set, counts) in sets.into_iter().zip(counts) {
            let mut c = Counts {
                base: None,
                delta: counts,
                domains: Domains::Some(Arc::new(set)),
                min: 0,
            };
            c.recompute_min();
            per.push(c);
        }
    }
    Ok(FilterState { constraints, per })
}

pub fn filter(ctx: &Ctx<'_>, state: &FilterState<'_>, node: &NodeInfo) -> Result<(), Status> {
    let _ = ctx;
    for (c, counts) in state.constraints.iter().zip(&state.per) {
        let Some(v) = node.label_value_id(c.key_id) else {
            return Err(Status::unresolvable(ERR_REASON_NODE_LABEL_NOT_MATCH));
        };
        let min = if (counts.domains.len() as i64) < c.min_domains {
            0
        } else {
            counts.min
        };
        let matched = counts.get(v);
        let skew = matched + i64::from(c.self_match) - min;
        if skew > c.max_skew {
            return Err(Status::unschedulable(ERR_REASON_CONSTRAINTS_NOT_MATCH));
        }
    }
    Ok(())
}

/// PreFilter extension: a pod added to (`delta` 1) or removed from (-1) `node`.
pub fn update_with_pod(
    ctx: &Ctx<'_>,
    state: &mut FilterState<'_>,
    other: &PodInfo,
    node: &NodeInfo,
    delta: i64,
) {
    if other.namespace != ctx.pod.namespace || !node_has_all_keys(node, state.constraints) {
        return;
    }
    for (c, counts) in state.constraints.iter().zip(state.per.iter_mut()) {
        if !c.selector.matches(&other.labels) || !included(c, ctx.pod, node) {
            continue;
        }
        let Some(v) = node.label_value_id(c.key_id) else {
            continue;
        };
        *counts.delta.entry(v).or_default() += delta;
        counts.recompute_min();
    }
}

/// Where scoring counts come from.
#[derive(Debug)]
enum ScoreCounts<'a> {
    Hostname,
    Index(Option<&'a DomainCounts>),
    /// Domain (None for a node without the key) → count.
    Owned(FxHashMap<Option<u32>, i64>),
}

/// PreScore result.
#[derive(Debug)]
pub struct ScoreState<'a> {
    constraints: &'a [Constraint],
    counts: Vec<ScoreCounts<'a>>,
    weights: Vec<f64>,
    ignored: FxHashSet<usize>,
}

pub fn pre_score<'a>(ctx: &Ctx<'a>, filtered: &[usize]) -> Result<ScoreState<'a>, Status> {
    let prepared = &ctx.prepared.spread;
    if let Some(e) = &prepared.error {
        return Err(Status::error(format!("calculating preScoreState: {e}")));
    }
    let constraints = &prepared.score[..];
    if filtered.is_empty() || constraints.is_empty() || ctx.cache.num_nodes() == 0 {
        return Err(Status::skip());
    }
    let cache = ctx.cache;
    let require_all = !prepared.score_system_defaulted;
    let mut ignored = FxHashSet::default();
    let mut domains: Vec<FxHashSet<Option<u32>>> = vec![FxHashSet::default(); constraints.len()];
    for slot in filtered {
        let node = cache.node(*slot);
        if require_all && !node_has_all_keys(node, constraints) {
            ignored.insert(*slot);
            continue;
        }
        for (i, c) in constraints.iter().enumerate() {
            if c.topology_key != LABEL_HOSTNAME {
                domains[i].insert(node.label_value_id(c.key_id));
            }
        }
    }
    let weights = constraints
        .iter()
        .zip(&domains)
        .map(|(c, d)| {
            let size = if c.topology_key == LABEL_HOSTNAME {
                filtered.len() - ignored.len()
            } else {
                d.len()
            };
            ((size + 2) as f64).ln()
        })
        .collect();
    let fast = index_counts_apply(ctx, constraints);
    let mut counts: Vec<ScoreCounts<'a>> = constraints
        .iter()
        .map(|c| {
            if c.topology_key == LABEL_HOSTNAME {
                ScoreCounts::Hostname
            } else if fast {
                ScoreCounts::Index(
                    cache
                        .index()
                        .query(c.query)
                        .and_then(|q| q.key_counts(c.key_id)),
                )
            } else {
                ScoreCounts::Owned(FxHashMap::default())
            }
        })
        .collect();
    if !fast {
        for slot in cache.node_order() {
            let node = cache.node(*slot);
            if require_all && !node_has_all_keys(node, constraints) {
                continue;
            }
            for (i, c) in constraints.iter().enumerate() {
                let ScoreCounts::Owned(map) = &mut counts[i] else {
                    continue;
                };
                if !included(c, ctx.pod, node) {
                    continue;
                }
                let v = node.label_value_id(c.key_id);
                if !domains[i].contains(&v) {
                    continue;
                }
                let n = cache
                    .index()
                    .query(c.query)
                    .map(|q| q.node_count(*slot))
                    .unwrap_or(0);
                *map.entry(v).or_default() += i64::from(n);
            }
        }
    }
    Ok(ScoreState {
        constraints,
        counts,
        weights,
        ignored,
    })
}

pub fn score(ctx: &Ctx<'_>, state: &ScoreState<'_>, slot: usize, node: &NodeInfo) -> i64 {
    if state.ignored.contains(&slot) {
        return 0;
    }
    let mut score = 0f64;
    for (i, c) in state.constraints.iter().enumerate() {
        let Some(v) = node.label_value_id(c.key_id) else {
            continue;
        };
        let cnt = match &state.counts[i] {
            ScoreCounts::Hostname => ctx
                .cache
                .index()
                .query(c.query)
                .map(|q| i64::from(q.node_count(slot)))
                .unwrap_or(0),
            ScoreCounts::Index(dc) => dc.map(|dc| i64::from(dc.get(v))).unwrap_or(0),
            ScoreCounts::Owned(m) => m.get(&Some(v)).copied().unwrap_or(0),
        };
        score += cnt as f64 * state.weights[i] + (c.max_skew - 1) as f64;
    }
    score.round() as i64
}

/// Fewer matching pods score higher; ignored nodes score 0.
pub fn normalize(state: &ScoreState<'_>, slots: &[usize], scores: &mut [i64]) {
    let mut min = i64::MAX;
    let mut max = 0i64;
    for (slot, s) in slots.iter().zip(scores.iter()) {
        if state.ignored.contains(slot) {
            continue;
        }
        min = min.min(*s);
        max = max.max(*s);
    }
    for (slot, s) in slots.iter().zip(scores.iter_mut()) {
        if state.ignored.contains(slot) {
            *s = 0;
        } else if max == 0 {
            *s = MAX_NODE_SCORE;
        } else {
            *s = MAX_NODE_SCORE * (max + min - *s) / max;
        }
    }
}

#[cfg(test)]
#[path = "spread_tests.rs"]
mod tests;
