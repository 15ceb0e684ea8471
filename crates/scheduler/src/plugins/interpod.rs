//! InterPodAffinity: required affinity and anti-affinity of the incoming
//! pod, existing pods' required anti-affinity (symmetric), and preferred
//! terms of both sides for scoring. Counts per topology domain come from
//! the cache's label index and term groups.

use rustc_hash::FxHashMap;

use crate::cache::Cache;
use crate::framework::Ctx;
use crate::index::{DomainCounts, PodQuery, TermGroup, TermKind};
use crate::nodeinfo::NodeInfo;
use crate::plugins::MAX_NODE_SCORE;
use crate::podinfo::PodInfo;
use crate::status::Status;

pub const ERR_REASON_EXISTING_ANTI_AFFINITY: &str =
    "node(s) didn't satisfy existing pods anti-affinity rules";
pub const ERR_REASON_AFFINITY: &str = "node(s) didn't match pod affinity rules";
pub const ERR_REASON_ANTI_AFFINITY: &str = "node(s) didn't match pod anti-affinity rules";

/// `InterPodAffinityArgs`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InterPodArgs {
    pub hard_pod_affinity_weight: i32,
    pub ignore_preferred_terms_of_existing_pods: bool,
}

impl Default for InterPodArgs {
    fn default() -> Self {
        InterPodArgs {
            hard_pod_affinity_weight: 1,
            ignore_preferred_terms_of_existing_pods: false,
        }
    }
}

/// Index queries of the incoming pod's terms, registered before a cycle.
#[derive(Clone, Debug, Default)]
pub struct Prepared {
    /// Per required anti-affinity term: (query, key id).
    pub anti: Vec<(u32, u32)>,
    /// All required affinity terms as one query, and each term's key id.
    pub affinity: Option<(u32, Vec<u32>)>,
    /// Preferred terms: (signed weight, query, key id).
    pub preferred: Vec<(i64, u32, u32)>,
    pub self_matches_affinity: bool,
}

fn term_query(term: &crate::terms::AffinityTerm) -> PodQuery {
    PodQuery {
        terms: vec![term.matcher.clone()],
        skip_terminating: false,
    }
}

pub fn prepare(cache: &mut Cache, pod: &PodInfo, filter: bool, score: bool) -> Prepared {
    let mut p = Prepared::default();
    if pod.affinity_error.is_some() {
        return p;
    }
    let key_id = |cache: &Cache, k: &str| cache.label_id(k).unwrap_or(u32::MAX);
    if filter {
        for t in &pod.required_anti_affinity {
            let q = cache.prepare_query(&term_query(t), &[&t.topology_key]);
            p.anti.push((q, key_id(cache, &t.topology_key)));
        }
        if !pod.required_affinity.is_empty() {
            let query = PodQuery {
                terms: pod
                    .required_affinity
                    .iter()
                    .map(|t| t.matcher.clone())
                    .collect(),
                skip_terminating: false,
            };
            let keys: Vec<&str> = pod
                .required_affinity
                .iter()
                .map(|t| t.topology_key.as_str())
                .collect();
            let q = cache.prepare_query(&query, &keys);
            let ids = keys.iter().map(|k| key_id(cache, k)).collect();
            p.affinity = Some((q, ids));
            let ns_labels = cache.namespace_labels(&pod.namespace);
            p.self_matches_affinity = pod
                .required_affinity
                .iter()
                .all(|t| t.matcher.matches(&pod.namespace, &pod.labels, ns_labels));
        }
    }
    if score {
        for (sign, terms) in [
            (1i64, &pod.preferred_affinity),
            (-1, &pod.preferred_anti_affinity),
        ] {
            for w in terms {
                let q = cache.prepare_query(&term_query(&w.term), &[&w.term.topology_key]);
                p.preferred.push((
                    sign * i64::from(w.weight),
                    q,
                    key_id(cache, &w.term.topology_key),
                ));
            }
        }
    }
    p
}

/// Counts of one incoming term: index counts plus cycle changes.
#[derive(Clone, Debug)]
struct TermCounts<'a> {
    key: u32,
    base: Option<&'a DomainCounts>,
    delta: FxHashMap<u32, i64>,
}

impl TermCounts<'_> {
    fn get(&self, v: u32) -> i64 {
        self.base.map(|b| i64::from(b.get(v))).unwrap_or(0)
            + self.delta.get(&v).copied().unwrap_or(0)
    }
}

/// PreFilter result.
#[derive(Clone, Debug)]
pub struct FilterState<'a> {
    existing: Vec<&'a TermGroup>,
    existing_delta: FxHashMap<(u32, u32), i64>,
    anti: Vec<TermCounts<'a>>,
    affinity: Vec<TermCounts<'a>>,
    affinity_total: i64,
    self_match: bool,
}

fn query_counts(cache: &Cache, query: u32, key: u32) -> Option<&DomainCounts> {
    cache.index().query(query).and_then(|q| q.key_counts(key))
}

pub fn pre_filter<'a>(ctx: &Ctx<'a>) -> Result<FilterState<'a>, Status> {
    let pod = ctx.pod;
    if let Some(e) = &pod.affinity_error {
        return Err(Status::unresolvable(format!("parsing pod: {e}")));
    }
    let cache = ctx.cache;
    let prepared = &ctx.prepared.interpod;
    let ns_labels = cache.namespace_labels(&pod.namespace);
    let existing: Vec<&TermGroup> = cache
        .index()
        .candidate_groups(&pod.namespace)
        .filter(|g| g.key.kind == TermKind::RequiredAntiAffinity && g.domains.total > 0)
        .filter(|g| {
            g.key
                .matcher
                .matches(&pod.namespace, &pod.labels, ns_labels)
        })
        .collect();
    if existing.is_empty()
        && pod.required_affinity.is_empty()
        && pod.required_anti_affinity.is_empty()
    {
        return Err(Status::skip());
    }
    let anti = prepared
        .anti
        .iter()
        .map(|(q, k)| TermCounts {
            key: *k,
            base: query_counts(cache, *q, *k),
            delta: FxHashMap::default(),
        })
        .collect();
    let mut affinity = Vec::new();
    let mut affinity_total = 0i64;
    if let Some((q, keys)) = &prepared.affinity {
        for k in keys {
            let base = query_counts(cache, *q, *k);
            affinity_total += base.map(|b| b.total as i64).unwrap_or(0);
            affinity.push(TermCounts {
                key: *k,
                base,
                delta: FxHashMap::default(),
            });
        }
    }
    Ok(FilterState {
        existing,
        existing_delta: FxHashMap::default(),
        anti,
        affinity,
        affinity_total,
        self_match: prepared.self_matches_affinity,
    })
}

fn satisfies_affinity(state: &FilterState<'_>, node: &NodeInfo) -> bool {
    let mut pods_exist = true;
    for t in &state.affinity {
        let Some(v) = node.label_value_id(t.key) else {
            return false;
        };
        if t.get(v) <= 0 {
            pods_exist = false;
        }
    }
    // The first pod of a group with affinity to itself may go anywhere
    // that has the topology keys.
    pods_exist || (state.affinity_total <= 0 && state.self_match)
}

fn satisfies_anti_affinity(state: &FilterState<'_>, node: &NodeInfo) -> bool {
    state
        .anti
        .iter()
        .all(|t| node.label_value_id(t.key).is_none_or(|v| t.get(v) <= 0))
}

fn satisfies_existing_anti_affinity(state: &FilterState<'_>, node: &NodeInfo) -> bool {
    if state.existing_delta.is_empty() {
        return state.existing.iter().all(|g| {
            node.label_value_id(g.key_id)
                .is_none_or(|v| g.domains.get(v) == 0)
        });
    }
    let mut keys: Vec<u32> = state.existing.iter().map(|g| g.key_id).collect();
    keys.extend(state.existing_delta.keys().map(|(k, _)| *k));
    keys.sort_unstable();
    keys.dedup();
    keys.iter().all(|k| {
        let Some(v) = node.label_value_id(*k) else {
            return true;
        };
        let base: i64 = state
            .existing
            .iter()
            .filter(|g| g.key_id == *k)
            .map(|g| i64::from(g.domains.get(v)))
            .sum();
        base + state.existing_delta.get(&(*k, v)).copied().unwrap_or(0) <= 0
    })
}

pub fn filter(state: &FilterState<'_>, node: &NodeInfo) -> Result<(), Status> {
    if !state.affinity.is_empty() && !satisfies_affinity(state, node) {
        return Err(Status::unresolvable(ERR_REASON_AFFINITY));
    }
    if !satisfies_anti_affinity(state, node) {
        return Err(Status::unschedulable(ERR_REASON_ANTI_AFFINITY));
    }
    if !satisfies_existing_anti_affinity(state, node) {
        return Err(Status::unschedulable(ERR_REASON_EXISTING_ANTI_AFFINITY));
    }
    Ok(())
}

/// PreFilter extension: `other` added to (`delta` 1) or removed from (-1) `node`.
pub fn update_with_pod(
    ctx: &Ctx<'_>,
    state: &mut FilterState<'_>,
    other: &PodInfo,
    node: &NodeInfo,
    delta: i64,
) {
    let pod = ctx.pod;
    let cache = ctx.cache;
    let pod_ns_labels = cache.namespace_labels(&pod.namespace);
    for t in &other.required_anti_affinity {
        if !t
            .matcher
            .matches(&pod.namespace, &pod.labels, pod_ns_labels)
        {
            continue;
        }
        let Some(k) = cache.label_id(&t.topology_key) else {
            continue;
        };
        if let Some(v) = node.label_value_id(k) {
            *state.existing_delta.entry((k, v)).or_default() += delta;
        }
    }
    let other_ns_labels = cache.namespace_labels(&other.namespace);
    if !state.affinity.is_empty()
        && pod.required_affinity.iter().all(|t| {
            t.matcher
                .matches(&other.namespace, &other.labels, other_ns_labels)
        })
    {
        for t in &mut state.affinity {
            if let Some(v) = node.label_value_id(t.key) {
                *t.delta.entry(v).or_default() += delta;
                state.affinity_total += delta;
            }
        }
    }
    for (term, counts) in pod.required_anti_affinity.iter().zip(state.anti.iter_mut()) {
        if !term
            .matcher
            .matches(&other.namespace, &other.labels, other_ns_labels)
        {
            continue;
        }
        if let Some(v) = node.label_value_id(counts.key) {
            *counts.delta.entry(v).or_default() += delta;
        }
    }
}

/// PreScore result.
#[derive(Debug)]
pub struct ScoreState<'a> {
    groups: Vec<(i64, &'a TermGroup)>,
    incoming: Vec<(i64, u32, &'a DomainCounts)>,
}

pub fn pre_score<'a>(ctx: &Ctx<'a>) -> Result<ScoreState<'a>, Status> {
    let pod = ctx.pod;
    let args = &ctx.profile.args.interpod;
    let has_constraints =
        !pod.preferred_affinity.is_empty() || !pod.preferred_anti_affinity.is_empty();
    if args.ignore_preferred_terms_of_existing_pods && !has_constraints {
        return Err(Status::skip());
    }
    if pod.affinity_error.is_some() {
        return Err(Status::error(format!(
            "failed to parse pod affinity terms: {}",
            pod.affinity_error.as_deref().unwrap_or("")
        )));
    }
    let cache = ctx.cache;
    let ns_labels = cache.namespace_labels(&pod.namespace);
    let hard = i64::from(args.hard_pod_affinity_weight);
    let groups: Vec<(i64, &TermGroup)> = cache
        .index()
        .candidate_groups(&pod.namespace)
        .filter(|g| g.domains.total > 0)
        .filter_map(|g| {
            let w = match g.key.kind {
                TermKind::RequiredAffinity if hard > 0 => hard,
                TermKind::PreferredAffinity => i64::from(g.key.weight),
                TermKind::PreferredAntiAffinity => -i64::from(g.key.weight),
                _ => return None,
            };
            g.key
                .matcher
                .matches(&pod.namespace, &pod.labels, ns_labels)
                .then_some((w, g))
        })
        .collect();
    let incoming: Vec<(i64, u32, &DomainCounts)> = ctx
        .prepared
        .interpod
        .preferred
        .iter()
        .filter_map(|(w, q, k)| query_counts(cache, *q, *k).map(|dc| (*w, *k, dc)))
        .filter(|(_, _, dc)| dc.total > 0)
        .collect();
    if groups.is_empty() && incoming.is_empty() {
        return Err(Status::skip());
    }
    Ok(ScoreState { groups, incoming })
}

pub fn score(state: &ScoreState<'_>, node: &NodeInfo) -> i64 {
    let mut score = 0i64;
    for (w, g) in &state.groups {
        if let Some(v) = node.label_value_id(g.key_id) {
            score += w * i64::from(g.domains.get(v));
        }
    }
    for (w, k, dc) in &state.incoming {
        if let Some(v) = node.label_value_id(*k) {
            score += w * i64::from(dc.get(v));
        }
    }
    score
}

/// Scales scores linearly between the lowest and highest to `[0, 100]`.
pub fn normalize(scores: &mut [i64]) {
    let (Some(min), Some(max)) = (scores.iter().min().copied(), scores.iter().max().copied())
    else {
        return;
    };
    let diff = max - min;
    for s in scores.iter_mut() {
        *s = if diff > 0 {
            (MAX_NODE_SCORE as f64 * ((*s - min) as f64 / diff as f64)) as i64
        } else {
            0
        };
    }
}

#[cfg(test)]
#[path = "interpod_tests.rs"]
mod tests;
