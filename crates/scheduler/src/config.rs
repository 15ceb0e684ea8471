//! `KubeSchedulerConfiguration` (kubescheduler.config.k8s.io/v1) subset:
//! profiles with plugin sets per extension point (MultiPoint expansion,
//! `*` disables, weights), plugin args, percentageOfNodesToScore and
//! queue backoffs.

use std::time::Duration;

use k8s_openapi::api::core::v1::{NodeAffinity, TopologySpreadConstraint};
use serde::Deserialize;
use serde_json::Value;

use crate::framework::{PluginArgs, Profile};
use crate::plugins::fit::{ScoringStrategy, StrategyType, default_resources};
use crate::plugins::node_affinity::NodeAffinityArgs;
use crate::plugins::spread::DefaultingType;
use crate::plugins::{DEFAULT_PLUGINS, PluginName, Point};
use crate::queue::QueueConfig;

pub const API_VERSION: &str = "kubescheduler.config.k8s.io/v1";

/// The scheduler's configuration after defaulting.
#[derive(Clone, Debug)]
pub struct SchedulerConfig {
    pub profiles: Vec<Profile>,
    /// Global percentageOfNodesToScore; 0 means adaptive.
    pub percentage_of_nodes_to_score: i32,
    pub queue: QueueConfig,
    /// Seed of the tie-breaking random source.
    pub seed: u64,
}

impl Default for SchedulerConfig {
    fn default() -> Self {
        SchedulerConfig {
            profiles: vec![build_profile(&RawProfile::default()).unwrap_or_default()],
            percentage_of_nodes_to_score: 0,
            queue: QueueConfig::default(),
            seed: 0x5eed,
        }
    }
}

/// An invalid configuration.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConfigError(pub String);

impl std::fmt::Display for ConfigError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for ConfigError {}

fn err<T>(msg: impl Into<String>) -> Result<T, ConfigError> {
    Err(ConfigError(msg.into()))
}

#[derive(Deserialize, Default, Debug)]
#[serde(rename_all = "camelCase")]
struct RawConfig {
    api_version: Option<String>,
    kind: Option<String>,
    percentage_of_nodes_to_score: Option<i32>,
    pod_initial_backoff_seconds: Option<i64>,
    pod_max_backoff_seconds: Option<i64>,
    profiles: Option<Vec<RawProfile>>,
}

#[derive(Deserialize, Default, Debug)]
#[serde(rename_all = "camelCase")]
struct RawProfile {
    scheduler_name: Option<String>,
    percentage_of_nodes_to_score: Option<i32>,
    plugins: Option<RawPlugins>,
    plugin_config: Option<Vec<RawPluginConfig>>,
}

#[derive(Deserialize, Default, Debug, Clone)]
#[serde(rename_all = "camelCase")]
struct RawPlugins {
    multi_point: Option<RawPluginSet>,
    pre_enqueue: Option<RawPluginSet>,
    queue_sort: Option<RawPluginSet>,
    pre_filter: Option<RawPluginSet>,
    filter: Option<RawPluginSet>,
    post_filter: Option<RawPluginSet>,
    pre_score: Option<RawPluginSet>,
    score: Option<RawPluginSet>,
    reserve: Option<RawPluginSet>,
    permit: Option<RawPluginSet>,
    pre_bind: Option<RawPluginSet>,
    bind: Option<RawPluginSet>,
    post_bind: Option<RawPluginSet>,
}

impl RawPlugins {
    fn point(&self, p: Point) -> Option<&RawPluginSet> {
        match p {
            Point::PreEnqueue => self.pre_enqueue.as_ref(),
            Point::QueueSort => self.queue_sort.as_ref(),
            Point::PreFilter => self.pre_filter.as_ref(),
            Point::Filter => self.filter.as_ref(),
            Point::PostFilter => self.post_filter.as_ref(),
            Point::PreScore => self.pre_score.as_ref(),
            Point::Score => self.score.as_ref(),
            Point::Reserve => self.reserve.as_ref(),
            Point::Permit => self.permit.as_ref(),
            Point::PreBind => self.pre_bind.as_ref(),
            Point::Bind => self.bind.as_ref(),
            Point::PostBind => self.post_bind.as_ref(),
        }
    }
}

#[derive(Deserialize, Default, Debug, Clone)]
struct RawPluginSet {
    enabled: Option<Vec<RawPlugin>>,
    disabled: Option<Vec<RawPlugin>>,
}

#[derive(Deserialize, Debug, Clone)]
struct RawPlugin {
    name: String,
    weight: Option<i32>,
}

#[derive(Deserialize, Debug)]
struct RawPluginConfig {
    name: String,
    args: Option<Value>,
}

/// A plugin set after merging with the defaults: enabled (name, weight)
/// and disabled names.
#[derive(Default, Debug, Clone)]
struct PluginSet {
    enabled: Vec<(String, Option<i32>)>,
    disabled: Vec<String>,
}

/// Upstream `mergePluginSet`: defaults minus disabled (`*` = all), custom
/// entries replacing defaults in place, other custom entries appended.
fn merge_plugin_set(defaults: &PluginSet, custom: Option<&RawPluginSet>) -> PluginSet {
    let Some(custom) = custom else {
        return defaults.clone();
    };
    let custom_enabled: Vec<&RawPlugin> = custom.enabled.iter().flatten().collect();
    let mut disabled: Vec<String> = custom
        .disabled
        .iter()
        .flatten()
        .map(|p| p.name.clone())
        .collect();
    disabled.extend(defaults.disabled.iter().cloned());
    let mut replaced = vec![false; custom_enabled.len()];
    let mut enabled = Vec::new();
    if !disabled.iter().any(|d| d == "*") {
        for (name, weight) in &defaults.enabled {
            if disabled.contains(name) {
                continue;
            }
            match custom_enabled.iter().position(|c| &c.name == name) {
                Some(i) => {
                    replaced[i] = true;
                    enabled.push((name.clone(), custom_enabled[i].weight));
                }
                None => enabled.push((name.clone(), *weight)),
            }
        }
    }
    for (i, c) in custom_enabled.iter().enumerate() {
        if !replaced[i] {
            enabled.push((c.name.clone(), c.weight));
        }
    }
    PluginSet { enabled, disabled }
}

fn plugin(name: &str) -> Result<PluginName, ConfigError> {
    PluginName::parse(name).ok_or_else(|| ConfigError(format!("plugin \"{name}\" does not exist")))
}

/// Builds one profile: merge, MultiPoint expansion, weights, args.
fn build_profile(raw: &RawProfile) -> Result<Profile, ConfigError> {
    let default_mp = PluginSet {
        enabled: DEFAULT_PLUGINS
            .iter()
            .map(|(p, w)| (p.as_str().to_string(), w.map(|w| w as i32)))
            .collect(),
        disabled: Vec::new(),
    };
    let empty = RawPlugins::default();
    let plugins = raw.plugins.as_ref().unwrap_or(&empty);
    let multi_point = merge_plugin_set(&default_mp, plugins.multi_point.as_ref());
    let mut profile = Profile {
        scheduler_name: raw
            .scheduler_name
            .clone()
            .unwrap_or_else(|| crate::DEFAULT_SCHEDULER_NAME.to_string()),
        percentage_of_nodes_to_score: raw.percentage_of_nodes_to_score,
        ..Default::default()
    };
    for point in Point::ALL {
        let set = merge_plugin_set(&PluginSet::default(), plugins.point(point));
        let mut explicit = Vec::new();
        for (name, _) in &set.enabled {
            let p = plugin(name)?;
            if !p.implements(point) {
                return err(format!(
                    "plugin \"{name}\" does not extend {} plugin",
                    point.config_field()
                ));
            }
            if !explicit.contains(&p) {
                explicit.push(p);
            }
        }
        let mut list = explicit.clone();
        if !set.disabled.iter().any(|d| d == "*") {
            let mut overrides = Vec::new();
            let mut from_mp = Vec::new();
            for (name, _) in &multi_point.enabled {
                let p = plugin(name)?;
                if !p.implements(point) || set.disabled.contains(name) {
                    continue;
                }
                if explicit.contains(&p) {
                    overrides.push(p);
                    continue;
                }
                if from_mp.contains(&p) {
                    return err(format!(
                        "plugin \"{name}\" already registered as \"{}\"",
                        point.config_field()
                    ));
                }
                from_mp.push(p);
            }
            list = explicit
                .iter()
                .copied()
                .filter(|p| overrides.contains(p))
                .collect();
            list.extend(from_mp);
            list.extend(explicit.iter().copied().filter(|p| !overrides.contains(p)));
        }
        match point {
            Point::PreEnqueue => profile.pre_enqueue = list,
            Point::QueueSort => profile.queue_sort = list,
            Point::PreFilter => profile.pre_filter = list,
            Point::Filter => profile.filter = list,
            Point::PostFilter => profile.post_filter = list,
            Point::PreScore => profile.pre_score = list,
            Point::Score => {
                let weight_of = |p: PluginName| -> i64 {
                    let w = set
                        .enabled
                        .iter()
                        .chain(multi_point.enabled.iter())
                        .find(|(n, _)| n == p.as_str())
                        .and_then(|(_, w)| *w)
                        .unwrap_or(0);
                    if w == 0 { 1 } else { i64::from(w) }
                };
                profile.score = list.into_iter().map(|p| (p, weight_of(p))).collect();
            }
            Point::Reserve => profile.reserve = list,
            Point::Permit => profile.permit = list,
            Point::PreBind => profile.pre_bind = list,
            Point::Bind => profile.bind = list,
            Point::PostBind => profile.post_bind = list,
        }
    }
    if profile.queue_sort.len() != 1 {
        return err(format!(
            "one queue sort plugin required for profile with scheduler name \"{}\"",
            profile.scheduler_name
        ));
    }
    if profile.bind.is_empty() {
        return err(format!(
            "at least one bind plugin is needed for profile with scheduler name \"{}\"",
            profile.scheduler_name
        ));
    }
    for pc in raw.plugin_config.iter().flatten() {
        apply_args(
            &mut profile.args,
            &pc.name,
            pc.args.clone().unwrap_or(Value::Null),
        )?;
    }
    Ok(profile)
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase")]
struct RawFitArgs {
    ignored_resources: Option<Vec<String>>,
    ignored_resource_groups: Option<Vec<String>>,
    scoring_strategy: Option<RawStrategy>,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase")]
struct RawStrategy {
    #[serde(rename = "type")]
    kind: Option<String>,
    resources: Option<Vec<RawResource>>,
    requested_to_capacity_ratio: Option<RawRatio>,
}

#[derive(Deserialize)]
struct RawResource {
    name: String,
    weight: Option<i64>,
}

#[derive(Deserialize, Default)]
struct RawRatio {
    shape: Option<Vec<RawPoint>>,
}

#[derive(Deserialize)]
struct RawPoint {
    utilization: i64,
    score: i64,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase")]
struct RawSpreadArgs {
    default_constraints: Option<Vec<TopologySpreadConstraint>>,
    defaulting_type: Option<String>,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase")]
struct RawInterPodArgs {
    hard_pod_affinity_weight: Option<i32>,
    ignore_preferred_terms_of_existing_pods: Option<bool>,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase")]
struct RawNodeAffinityArgs {
    added_affinity: Option<NodeAffinity>,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase")]
struct RawPreemptionArgs {
    min_candidate_nodes_percentage: Option<i32>,
    min_candidate_nodes_absolute: Option<i32>,
}

#[derive(Deserialize, Default)]
struct RawBalancedArgs {
    resources: Option<Vec<RawResource>>,
}

fn decode<T: for<'de> Deserialize<'de> + Default>(name: &str, v: Value) -> Result<T, ConfigError> {
    if v.is_null() {
        return Ok(T::default());
    }
    serde_json::from_value(v)
        .map_err(|e| ConfigError(format!("decoding args for plugin \"{name}\": {e}")))
}

fn resources(raw: Option<Vec<RawResource>>) -> Vec<(String, i64)> {
    match raw {
        Some(r) if !r.is_empty() => r
            .into_iter()
            .map(|r| (r.name, r.weight.filter(|w| *w != 0).unwrap_or(1)))
            .collect(),
        _ => default_resources(),
    }
}

fn apply_args(args: &mut PluginArgs, name: &str, v: Value) -> Result<(), ConfigError> {
    match name {
        "NodeResourcesFit" => {
            let raw: RawFitArgs = decode(name, v)?;
            let strategy = raw.scoring_strategy.unwrap_or_default();
            let kind = match strategy.kind.as_deref().unwrap_or("LeastAllocated") {
                "LeastAllocated" => StrategyType::LeastAllocated,
                "MostAllocated" => StrategyType::MostAllocated,
                "RequestedToCapacityRatio" => StrategyType::RequestedToCapacityRatio,
                other => {
                    return err(format!(
                        "scoringStrategy.type: Unsupported value: \"{other}\": supported values: \"LeastAllocated\", \"MostAllocated\", \"RequestedToCapacityRatio\""
                    ));
                }
            };
            let mut shape = Vec::new();
            if kind == StrategyType::RequestedToCapacityRatio {
                let points = strategy
                    .requested_to_capacity_ratio
                    .and_then(|r| r.shape)
                    .unwrap_or_default();
                if points.is_empty() {
                    return err(
                        "scoringStrategy.requestedToCapacityRatio.shape: Required value: at least one point must be specified",
                    );
                }
                let mut last = -1;
                for p in &points {
                    if !(0..=100).contains(&p.utilization)
                        || !(0..=10).contains(&p.score)
                        || p.utilization <= last
                    {
                        return err(
                            "scoringStrategy.requestedToCapacityRatio.shape: Invalid value: utilization must be increasing within 0..100 and score within 0..10",
                        );
                    }
                    last = p.utilization;
                    shape.push((p.utilization, p.score * 10));
                }
            }
            args.fit = crate::plugins::fit::FitArgs {
                ignored_resources: raw.ignored_resources.unwrap_or_default(),
                ignored_resource_groups: raw.ignored_resource_groups.unwrap_or_default(),
                strategy: ScoringStrategy {
                    kind,
                    resources: resources(strategy.resources),
                    shape,
                },
            };
        }
        "NodeResourcesBalancedAllocation" => {
            let raw: RawBalancedArgs = decode(name, v)?;
            args.balanced.resources = resources(raw.resources);
        }
        "PodTopologySpread" => {
            let raw: RawSpreadArgs = decode(name, v)?;
            let constraints = raw.default_constraints.unwrap_or_default();
            let defaulting = match raw.defaulting_type.as_deref() {
                Some("System") => DefaultingType::System,
                Some("List") => DefaultingType::List,
                None | Some("") if !constraints.is_empty() => DefaultingType::List,
                None | Some("") => DefaultingType::System,
                Some(other) => {
                    return err(format!(
                        "defaultingType: Unsupported value: \"{other}\": supported values: \"List\", \"System\""
                    ));
                }
            };
            if defaulting == DefaultingType::System && !constraints.is_empty() {
                return err(
                    "defaultConstraints: Invalid value: when .defaultingType is \"System\", .defaultConstraints must be empty",
                );
            }
            for c in &constraints {
                if c.label_selector.is_some() {
                    return err(
                        "defaultConstraints.labelSelector: Forbidden: constraint must not define a selector, as they deduced for each pod",
                    );
                }
            }
            args.spread.default_constraints = constraints;
            args.spread.defaulting_type = defaulting;
        }
        "InterPodAffinity" => {
            let raw: RawInterPodArgs = decode(name, v)?;
            let w = raw.hard_pod_affinity_weight.unwrap_or(1);
            if !(0..=100).contains(&w) {
                return err(format!(
                    "hardPodAffinityWeight: Invalid value: {w}: not in valid range [0-100]"
                ));
            }
            args.interpod.hard_pod_affinity_weight = w;
            args.interpod.ignore_preferred_terms_of_existing_pods =
                raw.ignore_preferred_terms_of_existing_pods.unwrap_or(false);
        }
        "NodeAffinity" => {
            let raw: RawNodeAffinityArgs = decode(name, v)?;
            args.node_affinity = NodeAffinityArgs::from_added_affinity(raw.added_affinity.as_ref());
        }
        "DefaultPreemption" => {
            let raw: RawPreemptionArgs = decode(name, v)?;
            args.preemption.min_candidate_nodes_percentage =
                raw.min_candidate_nodes_percentage.unwrap_or(10);
            args.preemption.min_candidate_nodes_absolute =
                raw.min_candidate_nodes_absolute.unwrap_or(100);
        }
        _ => {}
    }
    Ok(())
}

/// Parses a YAML or JSON `KubeSchedulerConfiguration`.
pub fn parse_config(text: &str) -> Result<SchedulerConfig, ConfigError> {
    let value: Value = if text.trim_start().starts_with('{') {
        serde_json::from_str(text).map_err(|e| ConfigError(e.to_string()))?
    } else {
        serde_saphyr::from_str(text).map_err(|e| ConfigError(e.to_string()))?
    };
    let raw: RawConfig = if value.is_null() {
        RawConfig::default()
    } else {
        serde_json::from_value(value).map_err(|e| ConfigError(e.to_string()))?
    };
    if let Some(v) = raw.api_version.as_deref()
        && v != API_VERSION
    {
        return err(format!(
            "no kind \"KubeSchedulerConfiguration\" is registered for version \"{v}\""
        ));
    }
    if let Some(k) = raw.kind.as_deref()
        && k != "KubeSchedulerConfiguration"
    {
        return err(format!("unexpected kind \"{k}\""));
    }
    let percentage = raw.percentage_of_nodes_to_score.unwrap_or(0);
    if !(0..=100).contains(&percentage) {
        return err(format!(
            "percentageOfNodesToScore: Invalid value: {percentage}: not in valid range [0-100]"
        ));
    }
    let raw_profiles = raw.profiles.unwrap_or_default();
    let mut profiles = Vec::new();
    if raw_profiles.is_empty() {
        profiles.push(build_profile(&RawProfile::default())?);
    }
    for p in &raw_profiles {
        let built = build_profile(p)?;
        if profiles
            .iter()
            .any(|q: &Profile| q.scheduler_name == built.scheduler_name)
        {
            return err(format!(
                "profiles[].schedulerName: Duplicate value: \"{}\"",
                built.scheduler_name
            ));
        }
        if let Some(first) = profiles.first()
            && first.queue_sort != built.queue_sort
        {
            return err(
                "profiles[].plugins.queueSort: Invalid value: queueSort must be the same for all profiles",
            );
        }
        profiles.push(built);
    }
    let initial = raw.pod_initial_backoff_seconds.unwrap_or(1).max(1);
    let max = raw.pod_max_backoff_seconds.unwrap_or(10).max(initial);
    Ok(SchedulerConfig {
        profiles,
        percentage_of_nodes_to_score: percentage,
        queue: QueueConfig {
            initial_backoff: Duration::from_secs(initial as u64),
            max_backoff: Duration::from_secs(max as u64),
            ..QueueConfig::default()
        },
        seed: 0x5eed,
    })
}

#[cfg(test)]
mod tests;
