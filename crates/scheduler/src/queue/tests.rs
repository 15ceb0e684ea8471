use std::time::{Duration, Instant};

use super::*;
use crate::synth::{NodeBuilder, PodBuilder};

fn info(name: &str, priority: i32) -> Arc<PodInfo> {
    Arc::new(PodInfo::new(
        PodBuilder::new("d", name)
            .priority(priority)
            .req("1", "")
            .build(),
    ))
}

#[test]
fn active_queue_orders_by_priority_then_time() {
    let t = Instant::now();
    let mut q = SchedulingQueue::new(QueueConfig::default());
    q.add(info("low-early", 1), t);
    q.add(info("high", 10), t + Duration::from_millis(5));
    q.add(info("low-late", 1), t + Duration::from_millis(1));
    let order: Vec<String> = (0..3)
        .map(|_| q.pop(t).unwrap().info.name.clone())
        .collect();
    assert_eq!(order, vec!["high", "low-early", "low-late"]);
    assert!(q.pop(t).is_none());
}

#[test]
fn backoff_doubles_up_to_the_maximum() {
    let q = SchedulingQueue::new(QueueConfig::default());
    let secs: Vec<u64> = (1..=6).map(|a| q.backoff_duration(a).as_secs()).collect();
    assert_eq!(secs, vec![1, 2, 4, 8, 10, 10]);
}

#[test]
fn unschedulable_pods_wait_for_a_helpful_event() {
    let t = Instant::now();
    let mut q = SchedulingQueue::new(QueueConfig {
        pop_from_backoff: false,
        ..QueueConfig::default()
    });
    let p = info("p", 0);
    q.add(p.clone(), t);
    q.pop(t).unwrap();
    q.add_unschedulable(&p.id, [PluginName::NodeResourcesFit].into(), t);
    assert!(q.is_unschedulable(&p.id));
    // A node too small does not help; a big one does.
    let small = NodeBuilder::new("s").capacity("500m", "1Gi", "110").build();
    q.on_event(&ClusterEvent::NodeAdd(&small), t);
    assert!(q.is_unschedulable(&p.id));
    let big = NodeBuilder::new("b").capacity("4", "1Gi", "110").build();
    q.on_event(&ClusterEvent::NodeAdd(&big), t);
    // Still within its 1 s backoff.
    assert!(q.is_backing_off(&p.id));
    assert!(q.pop(t).is_none());
    let later = t + Duration::from_millis(1500);
    assert_eq!(q.pop(later).unwrap().info.name, "p");
}

#[test]
fn errors_wait_out_their_backoff_even_when_idle() {
    let t = Instant::now();
    let mut q = SchedulingQueue::new(QueueConfig::default());
    let p = info("p", 0);
    q.add(p.clone(), t);
    q.pop(t).unwrap();
    q.add_unschedulable(&p.id, Default::default(), t);
    assert!(q.is_backing_off(&p.id));
    assert_eq!(q.next_backoff_expiry(), Some(t + Duration::from_secs(1)));
    // An error (e.g. no nodes at all) is never retried early: that would be a busy loop.
    assert!(q.pop(t).is_none());
    assert_eq!(q.pop(t + Duration::from_secs(1)).unwrap().attempts, 2);
}

#[test]
fn rejected_pods_moved_by_an_event_pop_from_backoff_when_idle() {
    let t = Instant::now();
    let mut q = SchedulingQueue::new(QueueConfig::default());
    let p = info("p", 0);
    q.add(p.clone(), t);
    q.pop(t).unwrap();
    q.add_unschedulable(&p.id, [PluginName::NodeResourcesFit].into(), t);
    assert!(q.pop(t).is_none());
    let node = NodeBuilder::new("n").capacity("4", "1Gi", "110").build();
    q.on_event(&ClusterEvent::NodeAdd(&node), t);
    assert!(q.is_backing_off(&p.id));
    // SchedulerPopFromBackoffQ: an idle activeQ serves the backoff queue.
    assert_eq!(q.pop(t).unwrap().attempts, 2);
}

#[test]
fn leftover_unschedulable_pods_are_flushed_after_five_minutes() {
    let t = Instant::now();
    let mut q = SchedulingQueue::new(QueueConfig::default());
    let p = info("p", 0);
    q.add(p.clone(), t);
    q.pop(t).unwrap();
    q.add_unschedulable(&p.id, [PluginName::TaintToleration].into(), t);
    q.tick(t + Duration::from_secs(60));
    assert!(q.is_unschedulable(&p.id));
    q.tick(t + Duration::from_secs(301));
    assert!(q.is_active(&p.id));
}

#[test]
fn gated_pods_wait_until_their_gates_are_removed() {
    let t = Instant::now();
    let mut q = SchedulingQueue::new(QueueConfig::default());
    let gated = Arc::new(PodInfo::new(
        PodBuilder::new("d", "g").gate("example.com/wait").build(),
    ));
    q.add(gated.clone(), t);
    assert!(q.pop(t).is_none());
    q.tick(t + Duration::from_secs(600));
    assert!(q.pop(t + Duration::from_secs(600)).is_none());
    q.update(Arc::new(PodInfo::new(PodBuilder::new("d", "g").build())), t);
    assert_eq!(q.pop(t).unwrap().info.name, "g");
}

#[test]
fn updates_and_deletes() {
    let t = Instant::now();
    let mut q = SchedulingQueue::new(QueueConfig::default());
    let p = info("p", 0);
    q.add(p.clone(), t);
    q.pop(t).unwrap();
    q.add_unschedulable(&p.id, [PluginName::NodeAffinity].into(), t);
    // A spec change gives it another try.
    let changed = Arc::new(PodInfo::new(
        PodBuilder::new("d", "p")
            .req("1", "")
            .node_selector("a", "b")
            .build(),
    ));
    q.update(changed, t + Duration::from_secs(5));
    assert!(q.is_active(&p.id));
    q.delete(&p.id);
    assert!(!q.contains(&p.id));
    assert_eq!(q.len_active(), 0);
}
