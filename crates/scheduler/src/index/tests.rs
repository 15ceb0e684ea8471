use std::sync::Arc;

use super::*;
use crate::cache::Cache;
use crate::synth::{NodeBuilder, PodBuilder};
use crate::terms::TermMatcher;

fn query(ns: &str, key: &str, value: &str) -> PodQuery {
    PodQuery {
        terms: vec![TermMatcher {
            namespaces: vec![ns.to_string()],
            namespace_selector: None,
            selector: capstan_apimachinery::labels::Selector::from_set(
                &[(key.to_string(), value.to_string())].into(),
            ),
        }],
        skip_terminating: false,
    }
}

#[test]
fn counts_follow_pod_and_node_changes() {
    let mut cache = Cache::new();
    cache.upsert_node(NodeBuilder::new("a").label("zone", "z1").build());
    cache.upsert_node(NodeBuilder::new("b").label("zone", "z2").build());
    cache.upsert_pod(Arc::new(
        PodBuilder::new("d", "p1")
            .label("app", "web")
            .node("a")
            .build(),
    ));
    let q = query("d", "app", "web");
    let id = cache.prepare_query(&q, &["zone"]);
    let zone = cache.label_id("zone").unwrap();
    let z1 = cache.label_id("z1").unwrap();
    let z2 = cache.label_id("z2").unwrap();
    let counts = |c: &Cache| {
        let dc = c
            .index()
            .query(id)
            .unwrap()
            .key_counts(zone)
            .unwrap()
            .clone();
        (dc.get(z1), dc.get(z2), dc.min_over(2))
    };
    assert_eq!(counts(&cache), (1, 0, 0));
    cache.upsert_pod(Arc::new(
        PodBuilder::new("d", "p2")
            .label("app", "web")
            .node("b")
            .build(),
    ));
    assert_eq!(counts(&cache), (1, 1, 1));
    // Other namespaces and labels are not counted.
    cache.upsert_pod(Arc::new(
        PodBuilder::new("x", "p3")
            .label("app", "web")
            .node("b")
            .build(),
    ));
    cache.upsert_pod(Arc::new(
        PodBuilder::new("d", "p4")
            .label("app", "db")
            .node("b")
            .build(),
    ));
    assert_eq!(counts(&cache), (1, 1, 1));
    // Moving node b into z1 moves its pod's count.
    cache.upsert_node(NodeBuilder::new("b").label("zone", "z1").build());
    assert_eq!(counts(&cache), (2, 0, 0));
    cache.remove_pod_by_id(&Arc::from("uid-d-p1"));
    assert_eq!(counts(&cache), (1, 0, 0));
    cache.remove_node("b");
    assert_eq!(counts(&cache), (0, 0, 0));
}

#[test]
fn term_groups_collect_identical_terms() {
    let mut cache = Cache::new();
    cache.upsert_node(NodeBuilder::new("a").label("zone", "z1").build());
    for i in 0..3 {
        cache.upsert_pod(Arc::new(
            PodBuilder::new("d", &format!("p{i}"))
                .node("a")
                .pod_anti_affinity("zone", &[("app", "web")])
                .build(),
        ));
    }
    let groups: Vec<_> = cache.index().candidate_groups("d").collect();
    assert_eq!(groups.len(), 1);
    assert_eq!(groups[0].domains.total, 3);
    assert_eq!(groups[0].key.kind, TermKind::RequiredAntiAffinity);
    for i in 0..3 {
        cache.remove_pod_by_id(&Arc::from(format!("uid-d-p{i}").as_str()));
    }
    assert!(!cache.index().has_groups());
}

#[test]
fn domain_minimum_tracks_the_histogram() {
    let mut dc = DomainCounts::new(0);
    dc.change(1, 2);
    dc.change(2, 1);
    assert_eq!(dc.min_over(2), 1);
    assert_eq!(dc.min_over(3), 0);
    dc.change(2, -1);
    assert_eq!(dc.min_over(2), 0);
    assert_eq!(dc.total, 2);
}
