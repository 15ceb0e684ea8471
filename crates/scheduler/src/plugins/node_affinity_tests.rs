use k8s_openapi::api::core::v1::{NodeSelectorRequirement, NodeSelectorTerm};

use super::*;
use crate::plugins::PluginName;
use crate::synth::{NodeBuilder, PodBuilder};
use crate::testutil::{Env, profile_with};

fn nodes() -> Vec<k8s_openapi::api::core::v1::Node> {
    vec![
        NodeBuilder::new("n1")
            .label("zone", "a")
            .label("gen", "3")
            .build(),
        NodeBuilder::new("n2")
            .label("zone", "b")
            .label("gen", "5")
            .build(),
        NodeBuilder::new("n3").build(),
    ]
}

fn env() -> Env {
    Env::new(nodes(), vec![]).with_profile(profile_with(&[PluginName::NodeAffinity], None))
}

#[test]
fn node_selector_and_required_terms() {
    let mut e = env();
    let pod = PodBuilder::new("d", "p").node_selector("zone", "a").build();
    assert_eq!(e.feasible(pod.clone()), vec!["n1"]);
    assert_eq!(e.reasons(pod, "n2"), vec![ERR_REASON_POD]);
    let gt = PodBuilder::new("d", "p")
        .node_affinity_in("gen", "Gt", &["4"])
        .build();
    assert_eq!(e.feasible(gt), vec!["n2"]);
    let not_in = PodBuilder::new("d", "p")
        .node_affinity_in("zone", "NotIn", &["a"])
        .build();
    assert_eq!(e.feasible(not_in), vec!["n2", "n3"]);
    let missing = PodBuilder::new("d", "p")
        .node_affinity_in("zone", "DoesNotExist", &[])
        .build();
    assert_eq!(e.feasible(missing), vec!["n3"]);
    // Selector AND affinity.
    let both = PodBuilder::new("d", "p")
        .node_selector("zone", "a")
        .node_affinity_in("gen", "Gt", &["4"])
        .build();
    assert!(e.feasible(both).is_empty());
    // Terms are ORed.
    let either = PodBuilder::new("d", "p")
        .node_affinity_in("zone", "In", &["a"])
        .node_affinity_in("gen", "Gt", &["4"])
        .build();
    assert_eq!(e.feasible(either), vec!["n1", "n2"]);
}

#[test]
fn match_fields_narrow_prefilter_to_named_nodes() {
    let mut e = env();
    let term = NodeSelectorTerm {
        match_expressions: None,
        match_fields: Some(vec![NodeSelectorRequirement {
            key: "metadata.name".into(),
            operator: "In".into(),
            values: Some(vec!["n2".into()]),
        }]),
    };
    let pod = PodBuilder::new("d", "p").node_affinity_term(term).build();
    assert_eq!(e.feasible(pod), vec!["n2"]);
}

#[test]
fn conflicting_name_terms_fail_prefilter() {
    let mut e = env();
    let term = NodeSelectorTerm {
        match_expressions: None,
        match_fields: Some(vec![
            NodeSelectorRequirement {
                key: "metadata.name".into(),
                operator: "In".into(),
                values: Some(vec!["n1".into()]),
            },
            NodeSelectorRequirement {
                key: "metadata.name".into(),
                operator: "In".into(),
                values: Some(vec!["n2".into()]),
            },
        ]),
    };
    let pod = PodBuilder::new("d", "p").node_affinity_term(term).build();
    assert_eq!(e.reasons(pod, "n1"), vec![ERR_REASON_CONFLICT]);
}

#[test]
fn added_affinity_is_enforced() {
    let mut profile = profile_with(&[PluginName::NodeAffinity], None);
    let added = k8s_openapi::api::core::v1::NodeAffinity {
        required_during_scheduling_ignored_during_execution: Some(
            k8s_openapi::api::core::v1::NodeSelector {
                node_selector_terms: vec![NodeSelectorTerm {
                    match_expressions: Some(vec![NodeSelectorRequirement {
                        key: "zone".into(),
                        operator: "Exists".into(),
                        values: None,
                    }]),
                    match_fields: None,
                }],
            },
        ),
        ..Default::default()
    };
    profile.args.node_affinity = NodeAffinityArgs::from_added_affinity(Some(&added));
    let mut e = Env::new(nodes(), vec![]).with_profile(profile);
    let pod = PodBuilder::new("d", "p").build();
    assert_eq!(e.feasible(pod.clone()), vec!["n1", "n2"]);
    assert_eq!(e.reasons(pod, "n3"), vec![ERR_REASON_ENFORCED]);
}

#[test]
fn preferred_terms_score_by_weight() {
    let mut e =
        Env::new(nodes(), vec![]).with_profile(profile_with(&[], Some(PluginName::NodeAffinity)));
    let pod = PodBuilder::new("d", "p")
        .preferred_node_affinity(2, "zone", &["a"])
        .preferred_node_affinity(8, "zone", &["b"])
        .build();
    assert_eq!(
        e.scores(pod),
        vec![("n1".into(), 25), ("n2".into(), 100), ("n3".into(), 0)]
    );
}
