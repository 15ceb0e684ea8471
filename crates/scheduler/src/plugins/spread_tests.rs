use k8s_openapi::api::core::v1::{Node, Pod, TopologySpreadConstraint};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::LabelSelector;

use super::*;
use crate::plugins::PluginName;
use crate::synth::{NodeBuilder, PodBuilder};
use crate::testutil::{Env, profile_with};

const ZONE: &str = "zone";

fn nodes() -> Vec<Node> {
    vec![
        NodeBuilder::new("a").label(ZONE, "z1").build(),
        NodeBuilder::new("b").label(ZONE, "z1").build(),
        NodeBuilder::new("x").label(ZONE, "z2").build(),
        NodeBuilder::new("y").label(ZONE, "z2").build(),
    ]
}

/// foo pods: a=2, b=1, x=1, y=0.
fn existing() -> Vec<Pod> {
    let p = |name: &str, node: &str| {
        PodBuilder::new("d", name)
            .label("foo", "")
            .node(node)
            .build()
    };
    vec![p("p1", "a"), p("p2", "a"), p("p3", "b"), p("p4", "x")]
}

fn filter_env(pods: Vec<Pod>) -> Env {
    Env::new(nodes(), pods).with_profile(profile_with(&[PluginName::PodTopologySpread], None))
}

fn hard(key: &str) -> PodBuilder {
    PodBuilder::new("d", "new")
        .label("foo", "")
        .spread(1, key, "DoNotSchedule", &[("foo", "")])
}

#[test]
fn zone_skew_limits_nodes() {
    let mut e = filter_env(existing());
    assert_eq!(e.feasible(hard(ZONE).build()), vec!["x", "y"]);
    assert_eq!(
        e.reasons(hard(ZONE).build(), "a"),
        vec![ERR_REASON_CONSTRAINTS_NOT_MATCH]
    );
}

#[test]
fn hostname_skew_uses_empty_nodes_as_minimum() {
    let mut e = filter_env(existing());
    assert_eq!(
        e.feasible(hard("kubernetes.io/hostname").build()),
        vec!["y"]
    );
}

#[test]
fn pod_not_matching_its_own_selector_adds_nothing() {
    let mut e = filter_env(existing());
    let pod = PodBuilder::new("d", "new")
        .spread(1, ZONE, "DoNotSchedule", &[("foo", "")])
        .build();
    // z1: 3 - 1 = 2 > 1; z2: 1 - 1 = 0.
    assert_eq!(e.feasible(pod), vec!["x", "y"]);
}

#[test]
fn nodes_without_the_key_are_unresolvable() {
    let mut all = nodes();
    all.push(NodeBuilder::new("nolabel").build());
    let mut e = Env::new(all, existing())
        .with_profile(profile_with(&[PluginName::PodTopologySpread], None));
    assert_eq!(
        e.reasons(hard(ZONE).build(), "nolabel"),
        vec![ERR_REASON_NODE_LABEL_NOT_MATCH]
    );
    assert_eq!(e.feasible(hard(ZONE).build()), vec!["x", "y"]);
}

#[test]
fn min_domains_treats_missing_domains_as_empty() {
    let mut e = filter_env(existing());
    let pod = PodBuilder::new("d", "new")
        .label("foo", "")
        .spread_constraint(TopologySpreadConstraint {
            max_skew: 1,
            topology_key: ZONE.into(),
            when_unsatisfiable: "DoNotSchedule".into(),
            label_selector: Some(LabelSelector {
                match_labels: Some([("foo".to_string(), String::new())].into()),
                ..Default::default()
            }),
            min_domains: Some(3),
            ..Default::default()
        })
        .build();
    assert!(e.feasible(pod).is_empty());
}

#[test]
fn node_affinity_policy_limits_eligible_domains() {
    let mut e = filter_env(existing());
    // Honor (default): only z1 is eligible, its minimum is 3.
    let pod = hard(ZONE).node_selector(ZONE, "z1").build();
    assert_eq!(e.feasible(pod), vec!["a", "b", "x", "y"]);
    let ignore = hard(ZONE).node_selector(ZONE, "z1").build();
    let mut ignore = ignore;
    if let Some(c) = ignore
        .spec
        .as_mut()
        .and_then(|s| s.topology_spread_constraints.as_mut())
    {
        c[0].node_affinity_policy = Some("Ignore".into());
    }
    assert_eq!(e.feasible(ignore), vec!["x", "y"]);
}

#[test]
fn node_taints_policy_honor_skips_tainted_nodes() {
    let all = vec![
        NodeBuilder::new("a").label(ZONE, "z1").build(),
        NodeBuilder::new("x")
            .label(ZONE, "z2")
            .taint("t", "", "NoSchedule")
            .build(),
    ];
    let pods = vec![
        PodBuilder::new("d", "p1")
            .label("foo", "")
            .node("a")
            .build(),
    ];
    let mut e =
        Env::new(all, pods).with_profile(profile_with(&[PluginName::PodTopologySpread], None));
    // Ignore (default): z2 counts with 0, so a (1+1-0) fails.
    assert_eq!(e.feasible(hard(ZONE).build()), vec!["x"]);
    let mut honor = hard(ZONE).build();
    if let Some(c) = honor
        .spec
        .as_mut()
        .and_then(|s| s.topology_spread_constraints.as_mut())
    {
        c[0].node_taints_policy = Some("Honor".into());
    }
    // Honor: only z1 is a domain (min 1), so a passes.
    assert_eq!(e.feasible(honor), vec!["a", "x"]);
}

#[test]
fn terminating_pods_are_not_counted() {
    let mut pods = existing();
    for p in pods.iter_mut().take(2) {
        p.metadata.deletion_timestamp = Some(k8s_openapi::apimachinery::pkg::apis::meta::v1::Time(
            k8s_openapi::jiff::Timestamp::UNIX_EPOCH,
        ));
    }
    let mut e = filter_env(pods);
    // z1 now has 1 pod, z2 has 1.
    assert_eq!(e.feasible(hard(ZONE).build()), vec!["a", "b", "x", "y"]);
}

#[test]
fn match_label_keys_narrow_the_selector() {
    let mut pods = existing();
    pods.push(
        PodBuilder::new("d", "v2")
            .label("foo", "")
            .label("rev", "2")
            .node("x")
            .build(),
    );
    let mut e = filter_env(pods);
    let mut pod = hard(ZONE).label("rev", "2").build();
    if let Some(c) = pod
        .spec
        .as_mut()
        .and_then(|s| s.topology_spread_constraints.as_mut())
    {
        c[0].match_label_keys = Some(vec!["rev".into()]);
    }
    // Only rev=2 pods count: z1 0, z2 1 → z1 nodes.
    assert_eq!(e.feasible(pod), vec!["a", "b"]);
}

#[test]
fn soft_hostname_constraint_scores() {
    let mut e = Env::new(nodes(), existing())
        .with_profile(profile_with(&[], Some(PluginName::PodTopologySpread)));
    let pod = PodBuilder::new("d", "new")
        .label("foo", "")
        .spread(
            1,
            "kubernetes.io/hostname",
            "ScheduleAnyway",
            &[("foo", "")],
        )
        .build();
    assert_eq!(
        e.scores(pod),
        vec![
            ("a".into(), 0),
            ("b".into(), 50),
            ("x".into(), 50),
            ("y".into(), 100)
        ]
    );
}

#[test]
fn system_defaults_apply_to_pods_of_services() {
    let nodes = vec![
        NodeBuilder::new("a").label(LABEL_ZONE, "z1").build(),
        NodeBuilder::new("b").label(LABEL_ZONE, "z1").build(),
        NodeBuilder::new("x").label(LABEL_ZONE, "z2").build(),
    ];
    let p = |name: &str| {
        PodBuilder::new("d", name)
            .label("app", "web")
            .node("a")
            .build()
    };
    let mut e = Env::new(nodes, vec![p("p1"), p("p2")])
        .with_profile(profile_with(&[], Some(PluginName::PodTopologySpread)));
    let pod = PodBuilder::new("d", "new").label("app", "web").build();
    // Without a Service or controller there is no default selector.
    assert_eq!(
        e.scores(pod.clone()),
        vec![("a".into(), 0), ("b".into(), 0), ("x".into(), 0)]
    );
    e.cache.objects.upsert_service(
        "d",
        "web",
        Some([("app".to_string(), "web".to_string())].into()),
    );
    assert_eq!(
        e.scores(pod),
        vec![("a".into(), 50), ("b".into(), 75), ("x".into(), 100)]
    );
}

#[test]
fn nominated_and_victim_updates_move_counts() {
    let mut e = filter_env(existing());
    let info = crate::podinfo::PodInfo::new(hard(ZONE).build());
    let prepared = crate::framework::Prepared::new(&mut e.cache, &info, &e.profile);
    let ctx = crate::framework::Ctx {
        cache: &e.cache,
        pod: &info,
        profile: &e.profile,
        prepared: &prepared,
    };
    let mut state = pre_filter(&ctx).unwrap();
    let a = e.cache.node_by_name("a").unwrap();
    let x = e.cache.node_by_name("x").unwrap();
    assert!(filter(&ctx, &state, a).is_err());
    // Remove two foo pods from zone z1: z1 = 1, z2 = 1.
    let victim = crate::podinfo::PodInfo::new(PodBuilder::new("d", "p1").label("foo", "").build());
    update_with_pod(&ctx, &mut state, &victim, a, -1);
    update_with_pod(&ctx, &mut state, &victim, a, -1);
    assert!(filter(&ctx, &state, a).is_ok());
    // Add two to z2: min becomes 1 in z1, x would be 4-1 = 3.
    update_with_pod(&ctx, &mut state, &victim, x, 1);
    update_with_pod(&ctx, &mut state, &victim, x, 1);
    assert!(filter(&ctx, &state, x).is_err());
}
