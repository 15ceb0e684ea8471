//! Test helpers: a cache with nodes and pods, and runners for one plugin's
//! filter or score over every node.

use std::sync::Arc;

use k8s_openapi::api::core::v1::{Node, Pod};

use crate::cache::Cache;
use crate::config::SchedulerConfig;
use crate::framework::{
    Ctx, CycleState, Nominator, Prepared, Profile, prioritize_nodes, run_filter, run_pre_filter,
};
use crate::plugins::PluginName;
use crate::podinfo::PodInfo;
use crate::status::Status;

pub fn default_profile() -> Profile {
    SchedulerConfig::default().profiles.remove(0)
}

/// A profile running only `plugins` at Filter/PreFilter and scoring with
/// only `score` (weight 1).
pub fn profile_with(plugins: &[PluginName], score: Option<PluginName>) -> Profile {
    let mut p = default_profile();
    p.pre_filter.retain(|x| plugins.contains(x));
    p.filter.retain(|x| plugins.contains(x));
    p.score = score.map(|s| vec![(s, 1)]).unwrap_or_default();
    p
}

pub struct Env {
    pub cache: Cache,
    pub profile: Profile,
    pub nominator: Nominator,
}

impl Env {
    pub fn new(nodes: Vec<Node>, pods: Vec<Pod>) -> Env {
        let mut cache = Cache::new();
        for n in nodes {
            cache.upsert_node(n);
        }
        for p in pods {
            cache.upsert_pod(Arc::new(p));
        }
        cache.refresh_order();
        Env {
            cache,
            profile: default_profile(),
            nominator: Nominator::default(),
        }
    }

    pub fn with_profile(mut self, profile: Profile) -> Env {
        self.profile = profile;
        self
    }

    /// PreFilter then Filter on every node: node name → result.
    pub fn filter(&mut self, pod: Pod) -> Vec<(String, Result<(), Status>)> {
        let info = PodInfo::new(pod);
        self.cache.refresh_order();
        let prepared = Prepared::new(&mut self.cache, &info, &self.profile);
        let ctx = Ctx {
            cache: &self.cache,
            pod: &info,
            profile: &self.profile,
            prepared: &prepared,
        };
        let mut state = CycleState::default();
        let (outcome, pre) = run_pre_filter(&ctx, &mut state);
        let mut out = Vec::new();
        for slot in self.cache.node_order() {
            let node = self.cache.node(*slot);
            let r = match (&pre, &outcome.node_names) {
                (Err(s), _) => Err(s.clone()),
                (Ok(()), Some(names)) if !names.contains(&*node.name) => {
                    Err(Status::unresolvable("not in PreFilterResult"))
                }
                _ => run_filter(&ctx, &state, node),
            };
            out.push((node.name.to_string(), r));
        }
        out.sort_by(|a, b| a.0.cmp(&b.0));
        out
    }

    /// Names of nodes passing the filters.
    pub fn feasible(&mut self, pod: Pod) -> Vec<String> {
        self.filter(pod)
            .into_iter()
            .filter(|(_, r)| r.is_ok())
            .map(|(n, _)| n)
            .collect()
    }

    /// The reasons of the first failing plugin on `node`, or empty.
    pub fn reasons(&mut self, pod: Pod, node: &str) -> Vec<String> {
        self.filter(pod)
            .into_iter()
            .find(|(n, _)| n == node)
            .and_then(|(_, r)| r.err())
            .map(|s| s.reasons.iter().map(|r| r.to_string()).collect())
            .unwrap_or_default()
    }

    /// Weighted totals of the profile's score plugins over all nodes, by name.
    pub fn scores(&mut self, pod: Pod) -> Vec<(String, i64)> {
        let info = PodInfo::new(pod);
        self.cache.refresh_order();
        let prepared = Prepared::new(&mut self.cache, &info, &self.profile);
        let ctx = Ctx {
            cache: &self.cache,
            pod: &info,
            profile: &self.profile,
            prepared: &prepared,
        };
        let slots: Vec<usize> = self.cache.node_order().to_vec();
        let scores = prioritize_nodes(&ctx, &slots).unwrap_or_default();
        let mut out: Vec<(String, i64)> = scores
            .into_iter()
            .map(|s| (self.cache.node(s.slot).name.to_string(), s.total))
            .collect();
        out.sort();
        out
    }
}
