use std::time::Instant;

use k8s_openapi::api::policy::v1::{
    PodDisruptionBudget, PodDisruptionBudgetSpec, PodDisruptionBudgetStatus,
};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{LabelSelector, ObjectMeta};

use crate::config::SchedulerConfig;
use crate::scheduler::{Decision, Scheduler};
use crate::synth::{NodeBuilder, PodBuilder};

fn scheduler(nodes: &[(&str, &str)]) -> (Scheduler, Instant) {
    let now = Instant::now();
    let mut s = Scheduler::new(SchedulerConfig::default());
    for (name, cpu) in nodes {
        s.on_node_add(
            NodeBuilder::new(name).capacity(cpu, "10Gi", "110").build(),
            now,
        );
    }
    (s, now)
}

fn running(s: &mut Scheduler, name: &str, node: &str, priority: i32, cpu: &str, now: Instant) {
    let pod = PodBuilder::new("d", name)
        .label("app", name)
        .priority(priority)
        .req(cpu, "")
        .node(node)
        .start_time_secs(1000)
        .build();
    s.on_pod_add(pod, now);
}

fn names(pods: &[std::sync::Arc<k8s_openapi::api::core::v1::Pod>]) -> Vec<String> {
    pods.iter()
        .map(|p| p.metadata.name.clone().unwrap_or_default())
        .collect()
}

#[test]
fn evicts_a_lower_priority_pod() {
    let (mut s, now) = scheduler(&[("n1", "1")]);
    running(&mut s, "low", "n1", 0, "1", now);
    s.on_pod_add(
        PodBuilder::new("d", "high")
            .priority(100)
            .req("1", "")
            .build(),
        now,
    );
    let Some(Decision::Preempt(p)) = s.schedule_one(now) else {
        panic!("expected preemption");
    };
    assert_eq!(p.nominated_node, "n1");
    assert_eq!(names(&p.victims), vec!["low"]);
    assert_eq!(p.message, "0/1 nodes are available: 1 Insufficient cpu.");
    assert_eq!(
        p.disruption_message,
        "default-scheduler: preempting to accommodate a higher priority pod"
    );
    assert!(
        p.events
            .iter()
            .any(|e| e.reason == "Preempted" && e.note == "Preempted by pod uid-d-high on node n1")
    );
}

#[test]
fn prefers_the_node_with_the_lowest_priority_victims() {
    let (mut s, now) = scheduler(&[("n1", "1"), ("n2", "1")]);
    running(&mut s, "ten", "n1", 10, "1", now);
    running(&mut s, "five", "n2", 5, "1", now);
    s.on_pod_add(
        PodBuilder::new("d", "high")
            .priority(100)
            .req("1", "")
            .build(),
        now,
    );
    let Some(Decision::Preempt(p)) = s.schedule_one(now) else {
        panic!("expected preemption");
    };
    assert_eq!(p.nominated_node, "n2");
    assert_eq!(names(&p.victims), vec!["five"]);
}

#[test]
fn avoids_violating_disruption_budgets() {
    let (mut s, now) = scheduler(&[("n1", "1"), ("n2", "1")]);
    running(&mut s, "a", "n1", 5, "1", now);
    running(&mut s, "b", "n2", 5, "1", now);
    s.on_pdb(PodDisruptionBudget {
        metadata: ObjectMeta {
            namespace: Some("d".into()),
            name: Some("pdb-a".into()),
            ..Default::default()
        },
        spec: Some(PodDisruptionBudgetSpec {
            selector: Some(LabelSelector {
                match_labels: Some([("app".to_string(), "a".to_string())].into()),
                ..Default::default()
            }),
            ..Default::default()
        }),
        status: Some(PodDisruptionBudgetStatus {
            disruptions_allowed: 0,
            ..Default::default()
        }),
    });
    s.on_pod_add(
        PodBuilder::new("d", "high")
            .priority(100)
            .req("1", "")
            .build(),
        now,
    );
    let Some(Decision::Preempt(p)) = s.schedule_one(now) else {
        panic!("expected preemption");
    };
    assert_eq!(names(&p.victims), vec!["b"]);
}

#[test]
fn keeps_victims_that_are_not_needed() {
    let (mut s, now) = scheduler(&[("n1", "2")]);
    running(&mut s, "one", "n1", 1, "1", now);
    running(&mut s, "two", "n1", 2, "1", now);
    s.on_pod_add(
        PodBuilder::new("d", "high")
            .priority(100)
            .req("1", "")
            .build(),
        now,
    );
    let Some(Decision::Preempt(p)) = s.schedule_one(now) else {
        panic!("expected preemption");
    };
    assert_eq!(names(&p.victims), vec!["one"]);
}

fn unschedulable_message(s: &mut Scheduler, now: Instant) -> String {
    match s.schedule_one(now) {
        Some(Decision::Unschedulable(u)) => u.message,
        other => panic!("expected unschedulable, got {other:?}"),
    }
}

#[test]
fn never_policy_does_not_preempt() {
    let (mut s, now) = scheduler(&[("n1", "1")]);
    running(&mut s, "low", "n1", 0, "1", now);
    s.on_pod_add(
        PodBuilder::new("d", "high")
            .priority(100)
            .req("1", "")
            .preemption_never()
            .build(),
        now,
    );
    assert_eq!(
        unschedulable_message(&mut s, now),
        "0/1 nodes are available: 1 Insufficient cpu. preemption: not eligible due to preemptionPolicy=Never."
    );
}

#[test]
fn no_lower_priority_pods_means_no_victims() {
    let (mut s, now) = scheduler(&[("n1", "1")]);
    running(&mut s, "peer", "n1", 100, "1", now);
    s.on_pod_add(
        PodBuilder::new("d", "high")
            .priority(100)
            .req("1", "")
            .build(),
        now,
    );
    assert_eq!(
        unschedulable_message(&mut s, now),
        "0/1 nodes are available: 1 Insufficient cpu. preemption: 0/1 nodes are available: 1 No preemption victims found for incoming pod."
    );
}

#[test]
fn unresolvable_nodes_are_not_helpful() {
    let now = Instant::now();
    let mut s = Scheduler::new(SchedulerConfig::default());
    s.on_node_add(
        NodeBuilder::new("n1")
            .capacity("1", "1Gi", "110")
            .taint("key", "value", "NoSchedule")
            .build(),
        now,
    );
    s.on_pod_add(PodBuilder::new("d", "p").build(), now);
    assert_eq!(
        unschedulable_message(&mut s, now),
        "0/1 nodes are available: 1 node(s) had untolerated taint {key: value}. preemption: 0/1 nodes are available: 1 Preemption is not helpful for scheduling."
    );
}

#[test]
fn nominated_pods_hold_their_node_against_lower_priority_pods() {
    let (mut s, now) = scheduler(&[("n1", "1")]);
    running(&mut s, "low", "n1", 0, "1", now);
    s.on_pod_add(
        PodBuilder::new("d", "high")
            .priority(100)
            .req("1", "")
            .build(),
        now,
    );
    let Some(Decision::Preempt(p)) = s.schedule_one(now) else {
        panic!("expected preemption");
    };
    // The shell deletes the victim; a lower-priority pod arrives first.
    s.on_pod_delete(&p.victims[0], now);
    s.on_pod_add(
        PodBuilder::new("d", "mid")
            .priority(50)
            .req("1", "")
            .build(),
        now,
    );
    let Some(Decision::Unschedulable(u)) = s.schedule_one(now) else {
        panic!("mid must not take the nominated node");
    };
    assert_eq!(u.pod.metadata.name.as_deref(), Some("mid"));
    let later = now + std::time::Duration::from_secs(2);
    let Some(Decision::Bind(b)) = s.schedule_one(later) else {
        panic!("expected the preemptor to bind");
    };
    assert_eq!(b.pod.metadata.name.as_deref(), Some("high"));
    assert_eq!(b.node, "n1");
}
