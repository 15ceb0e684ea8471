use crate::plugins::PluginName;
use crate::synth::{NodeBuilder, PodBuilder};
use crate::testutil::{Env, profile_with};

fn env() -> Env {
    let nodes = vec![
        NodeBuilder::new("n1")
            .capacity("4000m", "10000", "110")
            .build(),
        NodeBuilder::new("n2")
            .capacity("6000m", "10000", "110")
            .build(),
    ];
    Env::new(nodes, vec![]).with_profile(profile_with(
        &[],
        Some(PluginName::NodeResourcesBalancedAllocation),
    ))
}

#[test]
fn balanced_fractions_score_higher() {
    let mut e = env();
    let pod = PodBuilder::new("d", "p").req("3000m", "5000").build();
    // n1: 0.75 vs 0.5 → std 0.125 → 87; n2: 0.5 vs 0.5 → 100.
    assert_eq!(e.scores(pod), vec![("n1".into(), 87), ("n2".into(), 100)]);
}

#[test]
fn best_effort_pods_are_not_scored() {
    let mut e = env();
    assert_eq!(
        e.scores(PodBuilder::new("d", "p").build()),
        vec![("n1".into(), 0), ("n2".into(), 0)]
    );
}

#[test]
fn existing_requests_count() {
    let existing = PodBuilder::new("d", "e")
        .node("n2")
        .req("3000m", "0")
        .build();
    let nodes = vec![
        NodeBuilder::new("n1")
            .capacity("4000m", "10000", "110")
            .build(),
        NodeBuilder::new("n2")
            .capacity("6000m", "10000", "110")
            .build(),
    ];
    let mut e = Env::new(nodes, vec![existing]).with_profile(profile_with(
        &[],
        Some(PluginName::NodeResourcesBalancedAllocation),
    ));
    let pod = PodBuilder::new("d", "p").req("1000m", "2000").build();
    // n1: 0.25 vs 0.2 → std 0.025 → 97; n2: 4000/6000=0.667 vs 0.2 → std 0.233 → 76.
    assert_eq!(e.scores(pod), vec![("n1".into(), 97), ("n2".into(), 76)]);
}
