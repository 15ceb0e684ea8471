//! The in-tree plugins kube-scheduler enables by default, their names,
//! extension points and the cluster events that can make a pod they
//! rejected schedulable.

pub mod balanced;
pub mod fit;
pub mod image_locality;
pub mod interpod;
pub mod node_affinity;
pub mod node_basic;
pub mod preemption;
pub mod spread;
pub mod taints;
pub mod volumes;

use std::fmt;

/// Extension points of the scheduling framework.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Point {
    PreEnqueue,
    QueueSort,
    PreFilter,
    Filter,
    PostFilter,
    PreScore,
    Score,
    Reserve,
    Permit,
    PreBind,
    Bind,
    PostBind,
}

impl Point {
    pub const ALL: [Point; 12] = [
        Point::PreEnqueue,
        Point::QueueSort,
        Point::PreFilter,
        Point::Filter,
        Point::PostFilter,
        Point::PreScore,
        Point::Score,
        Point::Reserve,
        Point::Permit,
        Point::PreBind,
        Point::Bind,
        Point::PostBind,
    ];

    /// The field name in `KubeSchedulerConfiguration.profiles[].plugins`.
    pub fn config_field(self) -> &'static str {
        match self {
            Point::PreEnqueue => "preEnqueue",
            Point::QueueSort => "queueSort",
            Point::PreFilter => "preFilter",
            Point::Filter => "filter",
            Point::PostFilter => "postFilter",
            Point::PreScore => "preScore",
            Point::Score => "score",
            Point::Reserve => "reserve",
            Point::Permit => "permit",
            Point::PreBind => "preBind",
            Point::Bind => "bind",
            Point::PostBind => "postBind",
        }
    }
}

macro_rules! plugin_names {
    ($($name:ident),* $(,)?) => {
        /// An in-tree plugin.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum PluginName { $($name),* }

        impl PluginName {
            pub const ALL: &'static [PluginName] = &[$(PluginName::$name),*];

            pub fn as_str(self) -> &'static str {
                match self { $(PluginName::$name => stringify!($name)),* }
            }

            pub fn parse(s: &str) -> Option<PluginName> {
                match s { $(stringify!($name) => Some(PluginName::$name),)* _ => None }
            }
        }
    };
}

plugin_names!(
    SchedulingGates,
    PrioritySort,
    NodeUnschedulable,
    NodeName,
    TaintToleration,
    NodeAffinity,
    NodePorts,
    NodeResourcesFit,
    VolumeRestrictions,
    NodeVolumeLimits,
    VolumeBinding,
    VolumeZone,
    PodTopologySpread,
    InterPodAffinity,
    DefaultPreemption,
    NodeResourcesBalancedAllocation,
    ImageLocality,
    DefaultBinder,
);

impl fmt::Display for PluginName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl PluginName {
    /// The extension points the plugin implements (what MultiPoint expands to).
    pub fn points(self) -> &'static [Point] {
        use Point::*;
        match self {
            PluginName::SchedulingGates => &[PreEnqueue],
            PluginName::PrioritySort => &[QueueSort],
            PluginName::NodeUnschedulable => &[Filter],
            PluginName::NodeName => &[Filter],
            PluginName::TaintToleration => &[Filter, PreScore, Score],
            PluginName::NodeAffinity => &[PreFilter, Filter, PreScore, Score],
            PluginName::NodePorts => &[PreFilter, Filter],
            PluginName::NodeResourcesFit => &[PreFilter, Filter, PreScore, Score],
            PluginName::VolumeRestrictions => &[PreFilter, Filter],
            PluginName::NodeVolumeLimits => &[PreFilter, Filter],
            PluginName::VolumeBinding => &[PreFilter, Filter, Reserve, PreBind],
            PluginName::VolumeZone => &[PreFilter, Filter],
            PluginName::PodTopologySpread => &[PreFilter, Filter, PreScore, Score],
            PluginName::InterPodAffinity => &[PreFilter, Filter, PreScore, Score],
            PluginName::DefaultPreemption => &[PostFilter],
            PluginName::NodeResourcesBalancedAllocation => &[PreScore, Score],
            PluginName::ImageLocality => &[Score],
            PluginName::DefaultBinder => &[Bind],
        }
    }

    pub fn implements(self, point: Point) -> bool {
        self.points().contains(&point)
    }

    /// Bit for plugin sets.
    pub fn bit(self) -> u32 {
        1 << (self as u32)
    }
}

/// Upstream's default MultiPoint set for v1.33 with score weights.
pub const DEFAULT_PLUGINS: &[(PluginName, Option<i64>)] = &[
    (PluginName::SchedulingGates, None),
    (PluginName::PrioritySort, None),
    (PluginName::NodeUnschedulable, None),
    (PluginName::NodeName, None),
    (PluginName::TaintToleration, Some(3)),
    (PluginName::NodeAffinity, Some(2)),
    (PluginName::NodePorts, None),
    (PluginName::NodeResourcesFit, Some(1)),
    (PluginName::VolumeRestrictions, None),
    (PluginName::NodeVolumeLimits, None),
    (PluginName::VolumeBinding, None),
    (PluginName::VolumeZone, None),
    (PluginName::PodTopologySpread, Some(2)),
    (PluginName::InterPodAffinity, Some(2)),
    (PluginName::DefaultPreemption, None),
    (PluginName::NodeResourcesBalancedAllocation, Some(1)),
    (PluginName::ImageLocality, Some(1)),
    (PluginName::DefaultBinder, None),
];

/// A set of plugins as a bit mask.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct PluginSet(pub u32);

impl PluginSet {
    pub fn insert(&mut self, p: PluginName) {
        self.0 |= p.bit();
    }

    pub fn contains(self, p: PluginName) -> bool {
        self.0 & p.bit() != 0
    }
}

/// The largest score a plugin may give a node.
pub const MAX_NODE_SCORE: i64 = 100;

/// Upstream `DefaultNormalizeScore`: scales to `[0, max]` by the largest
/// score, reversed when lower raw scores are better.
pub fn default_normalize_score(max_priority: i64, reverse: bool, scores: &mut [i64]) {
    let max_count = scores.iter().copied().max().unwrap_or(0).max(0);
    if max_count == 0 {
        if reverse {
            scores.iter_mut().for_each(|s| *s = max_priority);
        }
        return;
    }
    for s in scores.iter_mut() {
        let mut v = max_priority * *s / max_count;
        if reverse {
            v = max_priority - v;
        }
        *s = v;
    }
}
