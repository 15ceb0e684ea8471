use std::time::{Duration, Instant};

use super::*;
use crate::config::SchedulerConfig;
use crate::synth::{NodeBuilder, PodBuilder};

fn new() -> (Scheduler, Instant) {
    (Scheduler::new(SchedulerConfig::default()), Instant::now())
}

#[test]
fn binds_and_assumes() {
    let (mut s, now) = new();
    s.on_node_add(
        NodeBuilder::new("n1").capacity("2", "4Gi", "110").build(),
        now,
    );
    s.on_pod_add(PodBuilder::new("d", "p").req("1", "1Gi").build(), now);
    let Some(Decision::Bind(b)) = s.schedule_one(now) else {
        panic!("expected a binding");
    };
    assert_eq!(b.node, "n1");
    let id = pod_id(&b.pod);
    assert!(s.cache.is_assumed(&id));
    assert!(s.schedule_one(now).is_none());
    s.binding_succeeded(&id);
    // The informer's bound update confirms the assumption.
    let bound = PodBuilder::new("d", "p").req("1", "1Gi").node("n1").build();
    s.on_pod_update(&b.pod, bound, now);
    assert!(!s.cache.is_assumed(&id));
    assert_eq!(
        s.cache.node_by_name("n1").unwrap().requested.milli_cpu,
        1000
    );
    let ev = scheduled_event(&b.pod, &b.node);
    assert_eq!(ev.note, "Successfully assigned d/p to n1");
}

#[test]
fn unschedulable_message_matches_upstream() {
    let (mut s, now) = new();
    for i in 0..3 {
        s.on_node_add(
            NodeBuilder::new(&format!("small-{i}"))
                .capacity("4", "4Gi", "110")
                .build(),
            now,
        );
        s.on_pod_add(
            PodBuilder::new("d", &format!("busy-{i}"))
                .req("1", "3Gi")
                .node(&format!("small-{i}"))
                .build(),
            now,
        );
        s.on_node_add(
            NodeBuilder::new(&format!("tainted-{i}"))
                .capacity("4", "64Gi", "110")
                .taint("key", "value", "NoSchedule")
                .build(),
            now,
        );
    }
    s.on_pod_add(PodBuilder::new("d", "p").req("1", "2Gi").build(), now);
    let Some(Decision::Unschedulable(u)) = s.schedule_one(now) else {
        panic!("expected unschedulable");
    };
    assert_eq!(u.reason, "Unschedulable");
    assert_eq!(
        u.message,
        "0/6 nodes are available: 3 Insufficient memory, 3 node(s) had untolerated taint {key: value}. preemption: 0/6 nodes are available: 3 No preemption victims found for incoming pod, 3 Preemption is not helpful for scheduling."
    );
    assert_eq!(u.events[0].reason, "FailedScheduling");
    assert_eq!(u.events[0].type_, "Warning");
    let id = pod_id(&u.pod);
    assert!(s.queue.is_unschedulable(&id));
    // A node with room moves it back.
    s.on_node_add(
        NodeBuilder::new("big").capacity("4", "8Gi", "110").build(),
        now,
    );
    assert!(s.queue.contains(&id) && !s.queue.is_unschedulable(&id));
    let Some(Decision::Bind(b)) = s.schedule_one(now + Duration::from_secs(2)) else {
        panic!("expected a binding");
    };
    assert_eq!(b.node, "big");
}

#[test]
fn no_nodes_is_reported() {
    let (mut s, now) = new();
    s.on_pod_add(PodBuilder::new("d", "p").build(), now);
    let Some(Decision::Unschedulable(u)) = s.schedule_one(now) else {
        panic!("expected unschedulable");
    };
    assert_eq!(u.message, "no nodes available to schedule pods");
}

#[test]
fn binding_failure_forgets_and_retries() {
    let (mut s, now) = new();
    s.on_node_add(
        NodeBuilder::new("n1").capacity("1", "4Gi", "110").build(),
        now,
    );
    s.on_pod_add(PodBuilder::new("d", "p").req("1", "").build(), now);
    let Some(Decision::Bind(b)) = s.schedule_one(now) else {
        panic!("expected a binding");
    };
    let id = pod_id(&b.pod);
    let Some(Decision::Unschedulable(u)) =
        s.binding_failed(&id, "Operation cannot be fulfilled", now)
    else {
        panic!("expected a failure decision");
    };
    assert_eq!(u.reason, "SchedulerError");
    assert!(!s.cache.contains_pod(&id));
    assert!(s.queue.is_backing_off(&id));
    let Some(Decision::Bind(again)) = s.schedule_one(now + Duration::from_secs(3)) else {
        panic!("expected a second binding");
    };
    assert_eq!(again.node, "n1");
}

#[test]
fn other_schedulers_and_bound_pods_are_ignored() {
    let (mut s, now) = new();
    s.on_node_add(
        NodeBuilder::new("n1").capacity("4", "4Gi", "110").build(),
        now,
    );
    s.on_pod_add(
        PodBuilder::new("d", "theirs")
            .scheduler_name("other")
            .build(),
        now,
    );
    s.on_pod_add(
        PodBuilder::new("d", "bound")
            .node("n1")
            .req("1", "")
            .build(),
        now,
    );
    assert!(s.schedule_one(now).is_none());
    assert_eq!(
        s.cache.node_by_name("n1").unwrap().requested.milli_cpu,
        1000
    );
    // Terminal pods free their resources.
    let mut done = PodBuilder::new("d", "bound")
        .node("n1")
        .req("1", "")
        .build();
    done.status.get_or_insert_with(Default::default).phase = Some("Succeeded".into());
    let old = PodBuilder::new("d", "bound")
        .node("n1")
        .req("1", "")
        .build();
    s.on_pod_update(&old, done, now);
    assert_eq!(s.cache.node_by_name("n1").unwrap().requested.milli_cpu, 0);
}

#[test]
fn deleted_pending_pods_leave_the_queue() {
    let (mut s, now) = new();
    let pod = PodBuilder::new("d", "p").build();
    s.on_pod_add(pod.clone(), now);
    s.on_pod_delete(&pod, now);
    assert!(s.schedule_one(now).is_none());
}

#[test]
fn spreads_replicas_over_zones_and_hosts() {
    let (mut s, now) = new();
    for i in 0..6 {
        s.on_node_add(
            NodeBuilder::new(&format!("n{i}"))
                .capacity("4", "8Gi", "110")
                .label("topology.kubernetes.io/zone", &format!("z{}", i % 3))
                .build(),
            now,
        );
    }
    for i in 0..6 {
        s.on_pod_add(
            PodBuilder::new("d", &format!("p{i}"))
                .label("app", "web")
                .req("100m", "")
                .pod_anti_affinity("kubernetes.io/hostname", &[("app", "web")])
                .build(),
            now,
        );
    }
    let mut nodes = std::collections::BTreeSet::new();
    while let Some(d) = s.schedule_one(now) {
        let Decision::Bind(b) = d else {
            panic!("expected bindings")
        };
        nodes.insert(b.node.clone());
    }
    assert_eq!(nodes.len(), 6);
    // A seventh replica has nowhere to go.
    s.on_pod_add(
        PodBuilder::new("d", "p6")
            .label("app", "web")
            .pod_anti_affinity("kubernetes.io/hostname", &[("app", "web")])
            .build(),
        now,
    );
    let Some(Decision::Unschedulable(u)) = s.schedule_one(now) else {
        panic!("expected unschedulable");
    };
    assert_eq!(
        u.message,
        "0/6 nodes are available: 6 node(s) didn't match pod anti-affinity rules. preemption: 0/6 nodes are available: 6 No preemption victims found for incoming pod."
    );
}
