//! Label-indexed pod counts, kept incrementally so that topology spread and
//! inter-pod affinity cost per pod is proportional to the nodes examined,
//! not to the pods in the cluster.
//!
//! A [`PodQuery`] (namespaces + selectors) is registered on demand; from
//! then on every pod added to or removed from a node updates its per-node
//! count and its per-domain counts for each tracked topology key. Existing
//! pods' own affinity terms are grouped by identical term ([`GroupKey`]) so
//! a cycle checks each distinct term once instead of each pod.

use std::collections::BTreeMap;

use rustc_hash::FxHashMap;

use crate::podinfo::PodInfo;
use crate::terms::TermMatcher;

/// Interns label keys and values to `u32`.
#[derive(Debug, Default)]
pub struct Interner {
    ids: FxHashMap<Box<str>, u32>,
    strings: Vec<Box<str>>,
}

impl Interner {
    pub fn intern(&mut self, s: &str) -> u32 {
        if let Some(id) = self.ids.get(s) {
            return *id;
        }
        let id = self.strings.len() as u32;
        self.strings.push(Box::from(s));
        self.ids.insert(Box::from(s), id);
        id
    }

    pub fn get(&self, s: &str) -> Option<u32> {
        self.ids.get(s).copied()
    }

    pub fn resolve(&self, id: u32) -> &str {
        self.strings.get(id as usize).map(|s| &**s).unwrap_or("")
    }
}

/// Pods selected by all of `terms` (and, for spreading, not terminating).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct PodQuery {
    pub terms: Vec<TermMatcher>,
    pub skip_terminating: bool,
}

impl PodQuery {
    pub fn matches(&self, pod: &PodInfo, ns_labels: Option<&BTreeMap<String, String>>) -> bool {
        if self.skip_terminating && pod.terminating {
            return false;
        }
        self.terms
            .iter()
            .all(|t| t.matches(&pod.namespace, &pod.labels, ns_labels))
    }

    fn single_namespace(&self) -> Option<&str> {
        let first = self.terms.first()?.single_namespace()?;
        self.terms
            .iter()
            .all(|t| t.single_namespace() == Some(first))
            .then_some(first)
    }

    fn uses_namespace_selector(&self) -> bool {
        self.terms.iter().any(|t| t.uses_namespace_selector())
    }
}

/// Matching-pod counts per domain (value) of one topology key, with a
/// histogram so the least-loaded domain is known without a scan.
#[derive(Clone, Debug, Default)]
pub struct DomainCounts {
    pub key: u32,
    /// Domain value id → count; only domains with a count above zero.
    pub counts: FxHashMap<u32, u32>,
    /// Count → number of domains with it.
    hist: BTreeMap<u32, u32>,
    pub total: u64,
}

impl DomainCounts {
    fn new(key: u32) -> DomainCounts {
        DomainCounts {
            key,
            ..Default::default()
        }
    }

    pub fn get(&self, value: u32) -> u32 {
        self.counts.get(&value).copied().unwrap_or(0)
    }

    fn change(&mut self, value: u32, delta: i64) {
        if delta == 0 {
            return;
        }
        let old = self.get(value);
        let new = (i64::from(old) + delta).max(0) as u32;
        if old > 0
            && let Some(n) = self.hist.get_mut(&old)
        {
            *n -= 1;
            if *n == 0 {
                self.hist.remove(&old);
            }
        }
        if new > 0 {
            *self.hist.entry(new).or_default() += 1;
            self.counts.insert(value, new);
        } else {
            self.counts.remove(&value);
        }
        self.total = (self.total as i64 + i64::from(new) - i64::from(old)).max(0) as u64;
    }

    /// The smallest count among `num_domains` domains, zero when some
    /// domain holds no matching pod.
    pub fn min_over(&self, num_domains: usize) -> u32 {
        if self.counts.len() < num_domains {
            return 0;
        }
        self.hist.keys().next().copied().unwrap_or(0)
    }
}

/// Counts for one registered query.
#[derive(Debug)]
pub struct QueryCounts {
    pub query: PodQuery,
    /// Matching pods per node slot.
    pub per_node: Vec<u32>,
    pub keys: Vec<DomainCounts>,
    last_used: u64,
}

impl QueryCounts {
    pub fn node_count(&self, slot: usize) -> u32 {
        self.per_node.get(slot).copied().unwrap_or(0)
    }

    pub fn key_counts(&self, key: u32) -> Option<&DomainCounts> {
        self.keys.iter().find(|k| k.key == key)
    }
}

/// What an existing pod's term does to others.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum TermKind {
    RequiredAffinity,
    RequiredAntiAffinity,
    PreferredAffinity,
    PreferredAntiAffinity,
}

/// Identical terms of existing pods share a group.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct GroupKey {
    pub matcher: TermMatcher,
    pub topology_key: String,
    pub kind: TermKind,
    pub weight: i32,
}

/// Owners of one term: how many sit in each domain of its topology key.
#[derive(Debug)]
pub struct TermGroup {
    pub key: GroupKey,
    pub key_id: u32,
    pub per_node: FxHashMap<usize, u32>,
    pub domains: DomainCounts,
    members: u32,
}

/// A node's view needed to place counts: its slot and label ids.
pub struct NodeRef<'a> {
    pub slot: usize,
    pub live: bool,
    pub label_ids: &'a [(u32, u32)],
}

impl NodeRef<'_> {
    fn value(&self, key: u32) -> Option<u32> {
        if !self.live {
            return None;
        }
        self.label_ids
            .binary_search_by_key(&key, |(k, _)| *k)
            .ok()
            .map(|i| self.label_ids[i].1)
    }
}

/// All queries and term groups.
#[derive(Debug, Default)]
pub struct PodIndex {
    /// Label keys and values of nodes, and topology keys of terms.
    pub interner: Interner,
    queries: Vec<Option<QueryCounts>>,
    query_ids: FxHashMap<PodQuery, u32>,
    free_queries: Vec<u32>,
    queries_by_namespace: FxHashMap<String, Vec<u32>>,
    global_queries: Vec<u32>,
    groups: Vec<Option<TermGroup>>,
    group_ids: FxHashMap<GroupKey, u32>,
    free_groups: Vec<u32>,
    groups_by_namespace: FxHashMap<String, Vec<u32>>,
    global_groups: Vec<u32>,
}

/// Queries unused for this many cycles may be dropped.
const QUERY_IDLE_CYCLES: u64 = 2048;
/// Dropping starts above this many queries.
const QUERY_SOFT_LIMIT: usize = 128;

fn group_terms(
    pod: &PodInfo,
) -> impl Iterator<Item = (TermKind, &crate::terms::AffinityTerm, i32)> {
    pod.required_affinity
        .iter()
        .map(|t| (TermKind::RequiredAffinity, t, 0))
        .chain(
            pod.required_anti_affinity
                .iter()
                .map(|t| (TermKind::RequiredAntiAffinity, t, 0)),
        )
        .chain(
            pod.preferred_affinity
                .iter()
                .map(|w| (TermKind::PreferredAffinity, &w.term, w.weight)),
        )
        .chain(
            pod.preferred_anti_affinity
                .iter()
                .map(|w| (TermKind::PreferredAntiAffinity, &w.term, w.weight)),
        )
}

impl PodIndex {
    pub fn query(&self, id: u32) -> Option<&QueryCounts> {
        self.queries.get(id as usize).and_then(|q| q.as_ref())
    }

    pub fn group(&self, id: u32) -> Option<&TermGroup> {
        self.groups.get(id as usize).and_then(|g| g.as_ref())
    }

    pub fn query_id(&self, query: &PodQuery) -> Option<u32> {
        self.query_ids.get(query).copied()
    }

    /// Ids of groups whose terms could select pods of `namespace`.
    pub fn candidate_groups(&self, namespace: &str) -> impl Iterator<Item = &TermGroup> {
        self.groups_by_namespace
            .get(namespace)
            .into_iter()
            .flatten()
            .chain(self.global_groups.iter())
            .filter_map(|id| self.group(*id))
    }

    pub fn has_groups(&self) -> bool {
        !self.group_ids.is_empty()
    }

    pub fn num_queries(&self) -> usize {
        self.query_ids.len()
    }

    /// Marks a query used in `cycle`.
    pub fn touch_query(&mut self, id: u32, cycle: u64) -> u32 {
        if let Some(q) = self.queries.get_mut(id as usize).and_then(|q| q.as_mut()) {
            q.last_used = cycle;
        }
        id
    }

    /// Registers a query (or finds it) and makes sure `keys` are tracked.
    /// `pods` yields every placed pod with its node.
    pub fn ensure_query<'a>(
        &mut self,
        query: &PodQuery,
        keys: &[u32],
        cycle: u64,
        nodes: &[NodeRef<'a>],
        pods_of: &dyn Fn(usize) -> &'a [std::sync::Arc<PodInfo>],
        ns_labels: &dyn Fn(&str) -> Option<&'a BTreeMap<String, String>>,
    ) -> u32 {
        let id = match self.query_ids.get(query) {
            Some(id) => *id,
            None => {
                self.evict_idle(cycle);
                let mut counts = QueryCounts {
                    query: query.clone(),
                    per_node: vec![0; nodes.len()],
                    keys: Vec::new(),
                    last_used: cycle,
                };
                for n in nodes {
                    let c = pods_of(n.slot)
                        .iter()
                        .filter(|p| query.matches(p, ns_labels(&p.namespace)))
                        .count() as u32;
                    if let Some(slot) = counts.per_node.get_mut(n.slot) {
                        *slot = c;
                    }
                }
                let id = match self.free_queries.pop() {
                    Some(id) => {
                        self.queries[id as usize] = Some(counts);
                        id
                    }
                    None => {
                        self.queries.push(Some(counts));
                        (self.queries.len() - 1) as u32
                    }
                };
                self.query_ids.insert(query.clone(), id);
                match query.single_namespace() {
                    Some(ns) if !query.uses_namespace_selector() => self
                        .queries_by_namespace
                        .entry(ns.to_string())
                        .or_default()
                        .push(id),
                    _ => self.global_queries.push(id),
                }
                id
            }
        };
        let Some(q) = self.queries[id as usize].as_mut() else {
            return id;
        };
        q.last_used = cycle;
        for key in keys {
            if q.keys.iter().any(|k| k.key == *key) {
                continue;
            }
            let mut dc = DomainCounts::new(*key);
            for n in nodes {
                let c = q.node_count(n.slot);
                if c > 0
                    && let Some(v) = n.value(*key)
                {
                    dc.change(v, i64::from(c));
                }
            }
            q.keys.push(dc);
        }
        id
    }

    fn evict_idle(&mut self, cycle: u64) {
        if self.query_ids.len() < QUERY_SOFT_LIMIT {
            return;
        }
        let idle: Vec<u32> = self
            .query_ids
            .values()
            .copied()
            .filter(|id| {
                self.query(*id)
                    .is_some_and(|q| cycle.saturating_sub(q.last_used) > QUERY_IDLE_CYCLES)
            })
            .collect();
        for id in idle {
            if let Some(q) = self.queries[id as usize].take() {
                self.query_ids.remove(&q.query);
                self.free_queries.push(id);
                for list in self.queries_by_namespace.values_mut() {
                    list.retain(|x| *x != id);
                }
                self.global_queries.retain(|x| *x != id);
            }
        }
        self.queries_by_namespace.retain(|_, l| !l.is_empty());
    }

    /// Drops queries that depend on namespace labels (they changed).
    pub fn invalidate_namespace_selector_queries(&mut self) {
        let ids: Vec<u32> = self
            .query_ids
            .iter()
            .filter(|(q, _)| q.uses_namespace_selector())
            .map(|(_, id)| *id)
            .collect();
        for id in ids {
            if let Some(q) = self.queries[id as usize].take() {
                self.query_ids.remove(&q.query);
                self.free_queries.push(id);
                self.global_queries.retain(|x| *x != id);
            }
        }
    }

    /// Accounts a pod placed on (`sign` 1) or removed from (-1) a node.
    pub fn pod_changed(
        &mut self,
        pod: &PodInfo,
        node: &NodeRef<'_>,
        ns_labels: Option<&BTreeMap<String, String>>,
        sign: i64,
    ) {
        let ids = self
            .queries_by_namespace
            .get(&pod.namespace)
            .into_iter()
            .flatten()
            .chain(self.global_queries.iter());
        for id in ids {
            let Some(q) = self.queries[*id as usize].as_mut() else {
                continue;
            };
            if !q.query.matches(pod, ns_labels) {
                continue;
            }
            if q.per_node.len() <= node.slot {
                q.per_node.resize(node.slot + 1, 0);
            }
            let c = &mut q.per_node[node.slot];
            *c = (i64::from(*c) + sign).max(0) as u32;
            for dc in &mut q.keys {
                if let Some(v) = node.value(dc.key) {
                    dc.change(v, sign);
                }
            }
        }
        for (kind, term, weight) in group_terms(pod) {
            self.group_member_changed(kind, term, weight, node, sign);
        }
    }

    fn group_member_changed(
        &mut self,
        kind: TermKind,
        term: &crate::terms::AffinityTerm,
        weight: i32,
        node: &NodeRef<'_>,
        sign: i64,
    ) {
        let key = GroupKey {
            matcher: term.matcher.clone(),
            topology_key: term.topology_key.clone(),
            kind,
            weight,
        };
        let id = match self.group_ids.get(&key) {
            Some(id) => *id,
            None if sign > 0 => {
                let key_id = self.interner.intern(&key.topology_key);
                let group = TermGroup {
                    key: key.clone(),
                    key_id,
                    per_node: FxHashMap::default(),
                    domains: DomainCounts::new(key_id),
                    members: 0,
                };
                let id = match self.free_groups.pop() {
                    Some(id) => {
                        self.groups[id as usize] = Some(group);
                        id
                    }
                    None => {
                        self.groups.push(Some(group));
                        (self.groups.len() - 1) as u32
                    }
                };
                match key.matcher.single_namespace() {
                    Some(ns) => self
                        .groups_by_namespace
                        .entry(ns.to_string())
                        .or_default()
                        .push(id),
                    None => self.global_groups.push(id),
                }
                self.group_ids.insert(key, id);
                id
            }
            None => return,
        };
        let Some(g) = self.groups[id as usize].as_mut() else {
            return;
        };
        g.members = (i64::from(g.members) + sign).max(0) as u32;
        let c = g.per_node.entry(node.slot).or_default();
        *c = (i64::from(*c) + sign).max(0) as u32;
        if *c == 0 {
            g.per_node.remove(&node.slot);
        }
        if let Some(v) = node.value(g.key_id) {
            g.domains.change(v, sign);
        }
        if g.members == 0 {
            let key = g.key.clone();
            self.groups[id as usize] = None;
            self.group_ids.remove(&key);
            self.free_groups.push(id);
            match key.matcher.single_namespace() {
                Some(ns) => {
                    if let Some(l) = self.groups_by_namespace.get_mut(ns) {
                        l.retain(|x| *x != id);
                        if l.is_empty() {
                            self.groups_by_namespace.remove(ns);
                        }
                    }
                }
                None => self.global_groups.retain(|x| *x != id),
            }
        }
    }

    /// Moves a node's counts between domains when its labels change or it
    /// appears/disappears: `sign` -1 with the old labels, +1 with the new.
    pub fn node_labels_changed(&mut self, node: &NodeRef<'_>, sign: i64) {
        for q in self.queries.iter_mut().flatten() {
            let c = q.node_count(node.slot);
            if c == 0 {
                continue;
            }
            for dc in &mut q.keys {
                if let Some(v) = node.value(dc.key) {
                    dc.change(v, sign * i64::from(c));
                }
            }
        }
        for g in self.groups.iter_mut().flatten() {
            let Some(c) = g.per_node.get(&node.slot).copied() else {
                continue;
            };
            if let Some(v) = node.value(g.key_id) {
                g.domains.change(v, sign * i64::from(c));
            }
        }
    }
}

#[cfg(test)]
mod tests;
