use super::*;
use crate::plugins::PluginName;
use crate::synth::{NodeBuilder, PodBuilder};
use crate::testutil::{Env, profile_with};

fn taint(key: &str, value: &str, effect: &str) -> Taint {
    Taint {
        key: key.into(),
        value: Some(value.into()),
        effect: effect.into(),
        ..Default::default()
    }
}

fn tol(key: &str, op: &str, value: &str, effect: &str) -> Toleration {
    Toleration {
        key: (!key.is_empty()).then(|| key.into()),
        operator: (!op.is_empty()).then(|| op.into()),
        value: (!value.is_empty()).then(|| value.into()),
        effect: (!effect.is_empty()).then(|| effect.into()),
        ..Default::default()
    }
}

#[test]
fn toleration_matching() {
    let t = taint("dedicated", "gpu", "NoSchedule");
    assert!(toleration_tolerates_taint(
        &tol("dedicated", "Equal", "gpu", "NoSchedule"),
        &t
    ));
    assert!(toleration_tolerates_taint(
        &tol("dedicated", "", "gpu", ""),
        &t
    ));
    assert!(!toleration_tolerates_taint(
        &tol("dedicated", "Equal", "cpu", "NoSchedule"),
        &t
    ));
    assert!(toleration_tolerates_taint(
        &tol("dedicated", "Exists", "", ""),
        &t
    ));
    assert!(!toleration_tolerates_taint(
        &tol("dedicated", "Exists", "", "NoExecute"),
        &t
    ));
    // An empty key with Exists tolerates everything.
    assert!(toleration_tolerates_taint(&tol("", "Exists", "", ""), &t));
    assert!(!toleration_tolerates_taint(
        &tol("other", "Exists", "", ""),
        &t
    ));
}

#[test]
fn filter_rejects_untolerated_no_schedule_and_no_execute() {
    let nodes = vec![
        NodeBuilder::new("ns")
            .taint("dedicated", "gpu", "NoSchedule")
            .build(),
        NodeBuilder::new("ne")
            .taint("evict", "", "NoExecute")
            .build(),
        NodeBuilder::new("pref")
            .taint("soft", "x", "PreferNoSchedule")
            .build(),
    ];
    let mut e =
        Env::new(nodes, vec![]).with_profile(profile_with(&[PluginName::TaintToleration], None));
    let pod = PodBuilder::new("d", "p").build();
    assert_eq!(e.feasible(pod.clone()), vec!["pref"]);
    assert_eq!(
        e.reasons(pod.clone(), "ns"),
        vec!["node(s) had untolerated taint {dedicated: gpu}"]
    );
    assert_eq!(
        e.reasons(pod, "ne"),
        vec!["node(s) had untolerated taint {evict: }"]
    );
    let tolerant = PodBuilder::new("d", "p")
        .toleration("", "Exists", "", "")
        .build();
    assert_eq!(e.feasible(tolerant).len(), 3);
}

#[test]
fn score_prefers_fewer_untolerated_prefer_no_schedule_taints() {
    let nodes = vec![
        NodeBuilder::new("a").build(),
        NodeBuilder::new("b")
            .taint("k1", "v", "PreferNoSchedule")
            .build(),
        NodeBuilder::new("c")
            .taint("k1", "v", "PreferNoSchedule")
            .taint("k2", "v", "PreferNoSchedule")
            .build(),
    ];
    let mut e =
        Env::new(nodes, vec![]).with_profile(profile_with(&[], Some(PluginName::TaintToleration)));
    let scores = e.scores(PodBuilder::new("d", "p").build());
    assert_eq!(
        scores,
        vec![("a".into(), 100), ("b".into(), 50), ("c".into(), 0)]
    );
    // Tolerating k1 (effect PreferNoSchedule) leaves only k2 counted.
    let pod = PodBuilder::new("d", "p")
        .toleration("k1", "Equal", "v", "PreferNoSchedule")
        .build();
    let scores = e.scores(pod);
    assert_eq!(
        scores,
        vec![("a".into(), 100), ("b".into(), 100), ("c".into(), 0)]
    );
}
