use crate::framework::num_feasible_nodes_to_find;
use crate::synth::{NodeBuilder, PodBuilder};
use crate::testutil::Env;

#[test]
fn adaptive_share_of_nodes() {
    assert_eq!(num_feasible_nodes_to_find(0, 50), 50);
    assert_eq!(num_feasible_nodes_to_find(0, 100), 100);
    // 50% - 5000/125 = 10%.
    assert_eq!(num_feasible_nodes_to_find(0, 5000), 500);
    // Floors at 5% and at 100 nodes.
    assert_eq!(num_feasible_nodes_to_find(0, 10_000), 500);
    assert_eq!(num_feasible_nodes_to_find(0, 6000), 300);
    assert_eq!(num_feasible_nodes_to_find(0, 2500), 750);
    assert_eq!(num_feasible_nodes_to_find(0, 200), 100);
    assert_eq!(num_feasible_nodes_to_find(30, 1000), 300);
    assert_eq!(num_feasible_nodes_to_find(1, 1000), 100);
}

#[test]
fn first_rejecting_plugin_wins() {
    let nodes = vec![
        NodeBuilder::new("n")
            .capacity("1", "1Gi", "110")
            .taint("k", "v", "NoSchedule")
            .label("zone", "a")
            .build(),
    ];
    let mut e = Env::new(nodes, vec![]);
    let pod = PodBuilder::new("d", "p")
        .node_selector("zone", "b")
        .req("2", "")
        .build();
    let r = e.filter(pod);
    let s = r[0].1.clone().unwrap_err();
    // Default order: TaintToleration before NodeAffinity before NodeResourcesFit.
    assert_eq!(s.plugin, Some(crate::plugins::PluginName::TaintToleration));
}

#[test]
fn nominated_pods_of_higher_priority_count_on_their_node() {
    let nodes = vec![NodeBuilder::new("n").capacity("1", "1Gi", "110").build()];
    let mut e = Env::new(nodes, vec![]);
    let high = crate::podinfo::PodInfo::new(
        PodBuilder::new("d", "high")
            .priority(10)
            .req("1", "")
            .build(),
    );
    e.nominator.add(std::sync::Arc::new(high), "n");
    let info = crate::podinfo::PodInfo::new(PodBuilder::new("d", "low").req("1", "").build());
    let prepared = crate::framework::Prepared::new(&mut e.cache, &info, &e.profile);
    let ctx = crate::framework::Ctx {
        cache: &e.cache,
        pod: &info,
        profile: &e.profile,
        prepared: &prepared,
    };
    let state = crate::framework::CycleState::default();
    let node = e.cache.node_by_name("n").unwrap();
    assert!(crate::framework::run_filter(&ctx, &state, node).is_ok());
    assert!(crate::framework::run_filter_with_nominated(&ctx, &state, node, &e.nominator).is_err());
    // A pod of higher priority ignores the lower nomination.
    let top = crate::podinfo::PodInfo::new(
        PodBuilder::new("d", "top")
            .priority(20)
            .req("1", "")
            .build(),
    );
    let ctx = crate::framework::Ctx { pod: &top, ..ctx };
    assert!(crate::framework::run_filter_with_nominated(&ctx, &state, node, &e.nominator).is_ok());
}

#[test]
fn select_host_breaks_ties_among_the_best() {
    use crate::framework::{NodeScore, select_host};
    let mut rng = crate::rng::Rng::new(7);
    let scores = vec![
        NodeScore { slot: 0, total: 5 },
        NodeScore { slot: 1, total: 9 },
        NodeScore { slot: 2, total: 9 },
    ];
    let mut seen = [0; 3];
    for _ in 0..200 {
        seen[select_host(&scores, &mut rng).unwrap()] += 1;
    }
    assert_eq!(seen[0], 0);
    assert!(seen[1] > 50 && seen[2] > 50);
}
