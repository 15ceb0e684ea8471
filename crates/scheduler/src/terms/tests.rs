use std::collections::BTreeMap;

use k8s_openapi::api::core::v1::{NodeSelectorRequirement, NodeSelectorTerm, PodAffinityTerm};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::LabelSelector;

use super::*;

fn req(key: &str, op: &str, values: &[&str]) -> NodeSelectorRequirement {
    NodeSelectorRequirement {
        key: key.into(),
        operator: op.into(),
        values: (!values.is_empty()).then(|| values.iter().map(|s| s.to_string()).collect()),
    }
}

fn labels(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

#[test]
fn node_term_operators() {
    let l = labels(&[("zone", "a"), ("gen", "5")]);
    let t = |r| {
        NodeTerm::compile(&NodeSelectorTerm {
            match_expressions: Some(vec![r]),
            match_fields: None,
        })
    };
    assert!(t(req("zone", "In", &["a", "b"])).matches(&l, "n"));
    assert!(!t(req("zone", "NotIn", &["a"])).matches(&l, "n"));
    assert!(t(req("zone", "Exists", &[])).matches(&l, "n"));
    assert!(t(req("rack", "DoesNotExist", &[])).matches(&l, "n"));
    assert!(t(req("gen", "Gt", &["4"])).matches(&l, "n"));
    assert!(!t(req("gen", "Lt", &["4"])).matches(&l, "n"));
    // Invalid terms match nothing.
    assert!(!t(req("gen", "Gt", &["x"])).matches(&l, "n"));
    assert!(!t(req("zone", "Bogus", &["a"])).matches(&l, "n"));
}

#[test]
fn empty_term_matches_nothing_and_fields_match_names() {
    let empty = NodeTerm::compile(&NodeSelectorTerm::default());
    assert!(!empty.matches(&BTreeMap::new(), "n"));
    let by_name = NodeTerm::compile(&NodeSelectorTerm {
        match_expressions: None,
        match_fields: Some(vec![req("metadata.name", "In", &["n1"])]),
    });
    assert!(by_name.matches(&BTreeMap::new(), "n1"));
    assert!(!by_name.matches(&BTreeMap::new(), "n2"));
    assert_eq!(by_name.pinned_node_names(), Some(vec!["n1"]));
    let two_values = NodeTerm::compile(&NodeSelectorTerm {
        match_expressions: None,
        match_fields: Some(vec![req("metadata.name", "In", &["n1", "n2"])]),
    });
    assert!(!two_values.matches(&BTreeMap::new(), "n1"));
}

#[test]
fn affinity_term_defaults_to_own_namespace_and_merges_label_keys() {
    let term = PodAffinityTerm {
        label_selector: Some(LabelSelector {
            match_labels: Some([("app".to_string(), "web".to_string())].into()),
            ..Default::default()
        }),
        match_label_keys: Some(vec!["rev".into()]),
        mismatch_label_keys: Some(vec!["tenant".into()]),
        topology_key: "zone".into(),
        ..Default::default()
    };
    let own = labels(&[("rev", "1"), ("tenant", "t1")]);
    let t = compile_affinity_term(&term, "ns1", &own).unwrap();
    assert_eq!(t.matcher.namespaces, vec!["ns1".to_string()]);
    assert!(t.matcher.matches(
        "ns1",
        &labels(&[("app", "web"), ("rev", "1"), ("tenant", "t2")]),
        None
    ));
    assert!(!t.matcher.matches(
        "ns1",
        &labels(&[("app", "web"), ("rev", "2"), ("tenant", "t2")]),
        None
    ));
    assert!(!t.matcher.matches(
        "ns1",
        &labels(&[("app", "web"), ("rev", "1"), ("tenant", "t1")]),
        None
    ));
    assert!(
        !t.matcher
            .matches("ns2", &labels(&[("app", "web"), ("rev", "1")]), None)
    );
}

#[test]
fn namespace_selector_matches_namespace_labels() {
    let term = PodAffinityTerm {
        label_selector: Some(LabelSelector::default()),
        namespace_selector: Some(LabelSelector {
            match_labels: Some([("team".to_string(), "a".to_string())].into()),
            ..Default::default()
        }),
        topology_key: "zone".into(),
        ..Default::default()
    };
    let t = compile_affinity_term(&term, "ns1", &BTreeMap::new()).unwrap();
    assert!(t.matcher.namespaces.is_empty());
    let ns_a = labels(&[("team", "a")]);
    assert!(t.matcher.matches("x", &BTreeMap::new(), Some(&ns_a)));
    assert!(!t.matcher.matches("x", &BTreeMap::new(), None));
    // An empty namespace selector selects all namespaces.
    let all = PodAffinityTerm {
        namespace_selector: Some(LabelSelector::default()),
        label_selector: Some(LabelSelector::default()),
        topology_key: "zone".into(),
        ..Default::default()
    };
    let t = compile_affinity_term(&all, "ns1", &BTreeMap::new()).unwrap();
    assert!(t.matcher.matches("other", &BTreeMap::new(), None));
    // A nil label selector selects no pod.
    let none = PodAffinityTerm {
        topology_key: "zone".into(),
        ..Default::default()
    };
    let t = compile_affinity_term(&none, "ns1", &BTreeMap::new()).unwrap();
    assert!(!t.matcher.matches("ns1", &BTreeMap::new(), None));
}
