//! An in-memory benchmark of the decision loop (no API server): schedules
//! synthetic pods on synthetic nodes and reports pods per second.

use std::time::{Duration, Instant};

use crate::config::SchedulerConfig;
use crate::scheduler::{Decision, Scheduler};
use crate::synth::{NodeBuilder, PodBuilder};

/// Benchmark workloads, after upstream's scheduler_perf cases.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Scenario {
    /// Plain pods with CPU/memory requests (SchedulingBasic).
    Basic,
    /// Required pod anti-affinity by hostname within groups of pods.
    AntiAffinity,
    /// Topology spread over 3 zones (maxSkew 1, DoNotSchedule).
    Spread,
    /// A third of the nodes tainted; half of the pods tolerate it.
    Taints,
}

impl Scenario {
    pub const ALL: [Scenario; 4] = [
        Scenario::Basic,
        Scenario::AntiAffinity,
        Scenario::Spread,
        Scenario::Taints,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Scenario::Basic => "SchedulingBasic",
            Scenario::AntiAffinity => "RequiredPodAntiAffinity(hostname)",
            Scenario::Spread => "TopologySpread(3 zones)",
            Scenario::Taints => "MixedTaints",
        }
    }
}

/// What one run measured.
#[derive(Clone, Debug)]
pub struct BenchResult {
    pub scenario: Scenario,
    pub nodes: usize,
    pub pods: usize,
    pub bound: usize,
    pub unschedulable: usize,
    /// Time to parse and enqueue the pods.
    pub enqueue: Duration,
    /// Time of the decision loop alone.
    pub decide: Duration,
}

impl BenchResult {
    pub fn pods_per_second(&self) -> f64 {
        self.pods as f64 / self.decide.as_secs_f64().max(1e-9)
    }
}

fn node(i: usize, scenario: Scenario) -> k8s_openapi::api::core::v1::Node {
    let mut b = NodeBuilder::new(&format!("node-{i}"))
        .capacity("4", "32Gi", "110")
        .label("topology.kubernetes.io/zone", &format!("zone-{}", i % 3))
        .label("topology.kubernetes.io/region", "region-1");
    if scenario == Scenario::Taints && i.is_multiple_of(3) {
        b = b.taint("dedicated", "infra", "NoSchedule");
    }
    b.build()
}

fn pod(i: usize, scenario: Scenario) -> k8s_openapi::api::core::v1::Pod {
    let mut b = PodBuilder::new("bench", &format!("pod-{i}")).req("100m", "500Mi");
    match scenario {
        Scenario::Basic => {}
        Scenario::AntiAffinity => {
            let group = format!("g{}", i % 10);
            b = b
                .label("group", &group)
                .pod_anti_affinity("kubernetes.io/hostname", &[("group", &group)]);
        }
        Scenario::Spread => {
            b = b.label("app", "spread").spread(
                1,
                "topology.kubernetes.io/zone",
                "DoNotSchedule",
                &[("app", "spread")],
            );
        }
        Scenario::Taints => {
            if i.is_multiple_of(2) {
                b = b.toleration("dedicated", "Equal", "infra", "NoSchedule");
            }
        }
    }
    b.build()
}

/// Schedules `pods` pods on `nodes` nodes and times the decisions.
pub fn bench(scenario: Scenario, nodes: usize, pods: usize) -> BenchResult {
    let mut s = Scheduler::new(SchedulerConfig::default());
    let t0 = Instant::now();
    for i in 0..nodes {
        s.on_node_add(node(i, scenario), t0);
    }
    let start = Instant::now();
    for i in 0..pods {
        s.on_pod_add(pod(i, scenario), start);
    }
    let enqueue = start.elapsed();
    let start = Instant::now();
    let mut bound = 0;
    let mut unschedulable = 0;
    while let Some(d) = s.schedule_one(start) {
        match d {
            Decision::Bind(b) => {
                bound += 1;
                s.binding_succeeded(&crate::podinfo::pod_id(&b.pod));
            }
            Decision::Unschedulable(_) | Decision::Preempt(_) => unschedulable += 1,
        }
        if bound + unschedulable >= pods {
            break;
        }
    }
    BenchResult {
        scenario,
        nodes,
        pods,
        bound,
        unschedulable,
        enqueue,
        decide: start.elapsed(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_scenario_places_all_pods() {
        for scenario in Scenario::ALL {
            let r = bench(scenario, 60, 120);
            assert_eq!(r.bound, 120, "{}", scenario.name());
            assert!(r.pods_per_second() > 0.0);
        }
    }
}
