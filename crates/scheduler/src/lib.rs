//! kube-scheduler's decisions as pure logic (no IO): a cache of nodes and
//! placed pods with incremental aggregates and a label index, the
//! scheduling framework with upstream's default plugins, the scheduling
//! queue, preemption, and a [`Scheduler`] that returns [`Decision`]s for an
//! IO shell to execute.
//!
//! Shell protocol: feed informer events (`on_pod_add`, `on_node_update`,
//! ...), call [`Scheduler::schedule_one`] until it returns `None` (then wait
//! for an event or [`Scheduler::next_wakeup`]), execute each decision, and
//! report bindings with `binding_succeeded` / `binding_failed`.

pub mod bench;
pub mod cache;
pub mod config;
pub mod framework;
pub mod index;
pub mod nodeinfo;
pub mod plugins;
pub mod podinfo;
pub mod queue;
pub mod resources;
pub mod rng;
pub mod scheduler;
pub mod status;
pub mod synth;
pub mod terms;
#[cfg(test)]
mod testutil;

/// The `schedulerName` of the default profile.
pub const DEFAULT_SCHEDULER_NAME: &str = "default-scheduler";

pub use cache::Cache;
pub use config::{ConfigError, SchedulerConfig, parse_config};
pub use framework::{Profile, ScheduleFailure};
pub use podinfo::{PodId, PodInfo, pod_id};
pub use queue::{ClusterEvent, QueueConfig, SchedulingQueue};
pub use scheduler::{
    BindDecision, Decision, EventSpec, PreemptDecision, Scheduler, UnschedulableDecision,
    VolumeActions, scheduled_event,
};
pub use status::{Code, FitError, Status};
