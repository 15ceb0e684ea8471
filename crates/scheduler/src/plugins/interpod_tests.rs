use k8s_openapi::api::core::v1::{Node, Pod, PodAffinityTerm};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::LabelSelector;

use super::*;
use crate::plugins::PluginName;
use crate::status::Code;
use crate::synth::{NodeBuilder, PodBuilder};
use crate::testutil::{Env, profile_with};

const ZONE: &str = "zone";
const HOST: &str = "kubernetes.io/hostname";

fn nodes() -> Vec<Node> {
    vec![
        NodeBuilder::new("a").label(ZONE, "z1").build(),
        NodeBuilder::new("b").label(ZONE, "z1").build(),
        NodeBuilder::new("x").label(ZONE, "z2").build(),
    ]
}

fn env(pods: Vec<Pod>) -> Env {
    Env::new(nodes(), pods).with_profile(profile_with(&[PluginName::InterPodAffinity], None))
}

fn db_on(node: &str) -> Pod {
    PodBuilder::new("d", &format!("db-{node}"))
        .label("app", "db")
        .node(node)
        .build()
}

#[test]
fn required_affinity_needs_a_matching_pod_in_the_domain() {
    let mut e = env(vec![db_on("a")]);
    let pod = PodBuilder::new("d", "p")
        .pod_affinity(ZONE, &[("app", "db")])
        .build();
    assert_eq!(e.feasible(pod.clone()), vec!["a", "b"]);
    let s = e
        .filter(pod)
        .into_iter()
        .find(|(n, _)| n == "x")
        .unwrap()
        .1
        .unwrap_err();
    assert_eq!(s.code, Code::UnschedulableAndUnresolvable);
    assert_eq!(s.message(), ERR_REASON_AFFINITY);
}

#[test]
fn first_pod_of_a_self_affine_group_goes_anywhere() {
    let mut e = env(vec![]);
    let pod = PodBuilder::new("d", "p")
        .label("app", "db")
        .pod_affinity(ZONE, &[("app", "db")])
        .build();
    assert_eq!(e.feasible(pod), vec!["a", "b", "x"]);
    let other = PodBuilder::new("d", "p")
        .pod_affinity(ZONE, &[("app", "db")])
        .build();
    assert!(e.feasible(other).is_empty());
}

#[test]
fn affinity_needs_the_topology_key_on_the_node() {
    let mut all = nodes();
    all.push(NodeBuilder::new("nolabel").build());
    let mut e = Env::new(all, vec![db_on("a")])
        .with_profile(profile_with(&[PluginName::InterPodAffinity], None));
    let pod = PodBuilder::new("d", "p")
        .pod_affinity(ZONE, &[("app", "db")])
        .build();
    assert_eq!(e.reasons(pod, "nolabel"), vec![ERR_REASON_AFFINITY]);
}

#[test]
fn anti_affinity_rejects_domains_with_matching_pods() {
    let mut e = env(vec![db_on("a")]);
    let host = PodBuilder::new("d", "p")
        .pod_anti_affinity(HOST, &[("app", "db")])
        .build();
    assert_eq!(e.feasible(host.clone()), vec!["b", "x"]);
    let s = e
        .filter(host)
        .into_iter()
        .find(|(n, _)| n == "a")
        .unwrap()
        .1
        .unwrap_err();
    assert_eq!(s.code, Code::Unschedulable);
    assert_eq!(s.message(), ERR_REASON_ANTI_AFFINITY);
    let zone = PodBuilder::new("d", "p")
        .pod_anti_affinity(ZONE, &[("app", "db")])
        .build();
    assert_eq!(e.feasible(zone), vec!["x"]);
}

#[test]
fn existing_pods_anti_affinity_is_symmetric() {
    let guard = PodBuilder::new("d", "guard")
        .node("a")
        .pod_anti_affinity(ZONE, &[("app", "web")])
        .build();
    let mut e = env(vec![guard]);
    let web = PodBuilder::new("d", "web").label("app", "web").build();
    assert_eq!(e.feasible(web.clone()), vec!["x"]);
    assert_eq!(e.reasons(web, "b"), vec![ERR_REASON_EXISTING_ANTI_AFFINITY]);
    // Other namespaces are not selected by the default namespace.
    let elsewhere = PodBuilder::new("other", "web").label("app", "web").build();
    assert_eq!(e.feasible(elsewhere).len(), 3);
}

#[test]
fn namespace_selectors_use_namespace_labels() {
    let mut e = env(vec![
        PodBuilder::new("ns2", "db")
            .label("app", "db")
            .node("a")
            .build(),
    ]);
    e.cache
        .upsert_namespace("ns2", [("team".to_string(), "a".to_string())].into());
    let term = PodAffinityTerm {
        label_selector: Some(LabelSelector {
            match_labels: Some([("app".to_string(), "db".to_string())].into()),
            ..Default::default()
        }),
        namespace_selector: Some(LabelSelector {
            match_labels: Some([("team".to_string(), "a".to_string())].into()),
            ..Default::default()
        }),
        topology_key: ZONE.into(),
        ..Default::default()
    };
    let pod = PodBuilder::new("d", "p")
        .pod_anti_affinity_term(term.clone())
        .build();
    assert_eq!(e.feasible(pod.clone()), vec!["x"]);
    e.cache
        .upsert_namespace("ns2", [("team".to_string(), "b".to_string())].into());
    assert_eq!(e.feasible(pod).len(), 3);
}

#[test]
fn preferred_terms_score_domains() {
    let mut e = Env::new(nodes(), vec![db_on("a")])
        .with_profile(profile_with(&[], Some(PluginName::InterPodAffinity)));
    let pod = PodBuilder::new("d", "p")
        .preferred_pod_affinity(10, ZONE, &[("app", "db")])
        .build();
    assert_eq!(
        e.scores(pod),
        vec![("a".into(), 100), ("b".into(), 100), ("x".into(), 0)]
    );
    let anti = PodBuilder::new("d", "p")
        .preferred_pod_anti_affinity(10, HOST, &[("app", "db")])
        .build();
    assert_eq!(
        e.scores(anti),
        vec![("a".into(), 0), ("b".into(), 100), ("x".into(), 100)]
    );
}

#[test]
fn existing_pods_terms_score_the_incoming_pod() {
    let hard = PodBuilder::new("d", "h")
        .node("x")
        .pod_affinity(ZONE, &[("app", "web")])
        .build();
    let mut e = Env::new(nodes(), vec![hard])
        .with_profile(profile_with(&[], Some(PluginName::InterPodAffinity)));
    let web = PodBuilder::new("d", "web").label("app", "web").build();
    // hardPodAffinityWeight 1 on z2.
    assert_eq!(
        e.scores(web.clone()),
        vec![("a".into(), 0), ("b".into(), 0), ("x".into(), 100)]
    );
    let soft_anti = PodBuilder::new("d", "s")
        .node("a")
        .preferred_pod_anti_affinity(5, ZONE, &[("app", "web")])
        .build();
    let mut e = Env::new(nodes(), vec![soft_anti])
        .with_profile(profile_with(&[], Some(PluginName::InterPodAffinity)));
    assert_eq!(
        e.scores(web),
        vec![("a".into(), 0), ("b".into(), 0), ("x".into(), 100)]
    );
}

#[test]
fn removing_a_victim_lifts_anti_affinity() {
    let mut e = env(vec![db_on("a")]);
    let info = crate::podinfo::PodInfo::new(
        PodBuilder::new("d", "p")
            .pod_anti_affinity(HOST, &[("app", "db")])
            .build(),
    );
    let prepared = crate::framework::Prepared::new(&mut e.cache, &info, &e.profile);
    let ctx = crate::framework::Ctx {
        cache: &e.cache,
        pod: &info,
        profile: &e.profile,
        prepared: &prepared,
    };
    let mut state = pre_filter(&ctx).unwrap();
    let a = e.cache.node_by_name("a").unwrap();
    assert!(filter(&state, a).is_err());
    let victim = crate::podinfo::PodInfo::new(db_on("a"));
    update_with_pod(&ctx, &mut state, &victim, a, -1);
    assert!(filter(&state, a).is_ok());
}
