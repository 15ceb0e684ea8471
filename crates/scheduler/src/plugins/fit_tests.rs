use super::*;
use crate::plugins::PluginName;
use crate::synth::{NodeBuilder, PodBuilder};
use crate::testutil::{Env, profile_with};

fn fit_env(
    nodes: Vec<k8s_openapi::api::core::v1::Node>,
    pods: Vec<k8s_openapi::api::core::v1::Pod>,
) -> Env {
    Env::new(nodes, pods).with_profile(profile_with(&[PluginName::NodeResourcesFit], None))
}

#[test]
fn insufficient_resources_are_listed_in_order() {
    let existing = PodBuilder::new("d", "e").node("n").req("3", "3Gi").build();
    let mut e = fit_env(
        vec![NodeBuilder::new("n").capacity("4", "4Gi", "110").build()],
        vec![existing],
    );
    let pod = PodBuilder::new("d", "p").req("2", "2Gi").build();
    let r = e.filter(pod);
    let s = r[0].1.clone().unwrap_err();
    assert_eq!(s.code, Code::Unschedulable);
    assert_eq!(s.message(), "Insufficient cpu, Insufficient memory");
}

#[test]
fn requests_above_allocatable_are_unresolvable() {
    let mut e = fit_env(
        vec![NodeBuilder::new("n").capacity("1", "1Gi", "110").build()],
        vec![],
    );
    let s = e.filter(PodBuilder::new("d", "p").req("2", "").build())[0]
        .1
        .clone()
        .unwrap_err();
    assert_eq!(s.code, Code::UnschedulableAndUnresolvable);
    assert_eq!(s.message(), "Insufficient cpu");
}

#[test]
fn too_many_pods_even_without_requests() {
    let existing = PodBuilder::new("d", "e").node("n").build();
    let mut e = fit_env(
        vec![NodeBuilder::new("n").capacity("4", "4Gi", "1").build()],
        vec![existing],
    );
    assert_eq!(
        e.reasons(PodBuilder::new("d", "p").build(), "n"),
        vec!["Too many pods"]
    );
}

#[test]
fn extended_resources_and_ignored_ones() {
    let node = NodeBuilder::new("n")
        .capacity("4", "4Gi", "110")
        .resource("example.com/gpu", "1")
        .build();
    let mut e = fit_env(vec![node.clone()], vec![]);
    let pod = PodBuilder::new("d", "p")
        .resource("example.com/gpu", "2")
        .build();
    assert_eq!(
        e.reasons(pod.clone(), "n"),
        vec!["Insufficient example.com/gpu"]
    );
    let one = PodBuilder::new("d", "p")
        .resource("example.com/gpu", "1")
        .build();
    assert!(e.reasons(one, "n").is_empty());
    let missing = PodBuilder::new("d", "p")
        .resource("other.com/fpga", "1")
        .build();
    assert_eq!(
        e.reasons(missing.clone(), "n"),
        vec!["Insufficient other.com/fpga"]
    );
    let mut profile = profile_with(&[PluginName::NodeResourcesFit], None);
    profile.args.fit.ignored_resources = vec!["other.com/fpga".into()];
    let mut e = Env::new(vec![node.clone()], vec![]).with_profile(profile);
    assert!(e.reasons(missing.clone(), "n").is_empty());
    let mut profile = profile_with(&[PluginName::NodeResourcesFit], None);
    profile.args.fit.ignored_resource_groups = vec!["other.com".into()];
    let mut e = Env::new(vec![node], vec![]).with_profile(profile);
    assert!(e.reasons(missing, "n").is_empty());
}

fn score_env(kind: StrategyType, shape: Vec<(i64, i64)>) -> Env {
    let nodes = vec![
        NodeBuilder::new("n1")
            .capacity("4000m", "10000", "110")
            .build(),
        NodeBuilder::new("n2")
            .capacity("6000m", "10000", "110")
            .build(),
    ];
    let mut profile = profile_with(&[], Some(PluginName::NodeResourcesFit));
    profile.args.fit.strategy = ScoringStrategy {
        kind,
        resources: default_resources(),
        shape,
    };
    Env::new(nodes, vec![]).with_profile(profile)
}

#[test]
fn least_allocated_scores() {
    let mut e = score_env(StrategyType::LeastAllocated, vec![]);
    let pod = PodBuilder::new("d", "p").req("3000m", "5000").build();
    // n1: cpu 25, memory 50 → 37; n2: 50, 50 → 50.
    assert_eq!(e.scores(pod), vec![("n1".into(), 37), ("n2".into(), 50)]);
}

#[test]
fn most_allocated_scores() {
    let mut e = score_env(StrategyType::MostAllocated, vec![]);
    let pod = PodBuilder::new("d", "p").req("3000m", "5000").build();
    assert_eq!(e.scores(pod), vec![("n1".into(), 62), ("n2".into(), 50)]);
}

#[test]
fn requested_to_capacity_ratio_scores() {
    let mut e = score_env(
        StrategyType::RequestedToCapacityRatio,
        vec![(0, 100), (100, 0)],
    );
    let pod = PodBuilder::new("d", "p").req("3000m", "5000").build();
    // n1: cpu 75% → 25, memory 50% → 50, mean 37.5 rounds to 38.
    assert_eq!(e.scores(pod), vec![("n1".into(), 38), ("n2".into(), 50)]);
}

#[test]
fn best_effort_pods_use_non_zero_defaults_for_scoring() {
    let nodes = vec![
        NodeBuilder::new("n")
            .capacity("1000m", "2000Mi", "110")
            .build(),
    ];
    let mut e =
        Env::new(nodes, vec![]).with_profile(profile_with(&[], Some(PluginName::NodeResourcesFit)));
    // 100m of 1000m → 90; 200Mi of 2000Mi → 90.
    assert_eq!(
        e.scores(PodBuilder::new("d", "p").build()),
        vec![("n".into(), 90)]
    );
}

#[test]
fn broken_linear_function() {
    let shape = [(0, 0), (50, 50), (100, 100)];
    assert_eq!(broken_linear(&shape, 25), 25);
    assert_eq!(broken_linear(&shape, 100), 100);
    assert_eq!(broken_linear(&[(10, 30)], 5), 30);
    assert_eq!(broken_linear(&[(10, 30)], 50), 30);
}
