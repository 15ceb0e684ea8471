use super::*;

fn id(ns: &str, name: &str) -> Identity {
    Identity {
        api_version: "v1".into(),
        kind: "ConfigMap".into(),
        namespace: ns.into(),
        name: name.into(),
        uid: format!("uid-{name}"),
    }
}

fn owner_ref(name: &str, block: bool) -> OwnerRef {
    OwnerRef {
        api_version: "v1".into(),
        kind: "ConfigMap".into(),
        name: name.into(),
        uid: format!("uid-{name}"),
        block_owner_deletion: block,
    }
}

fn obj(ns: &str, name: &str, owners: Vec<OwnerRef>) -> Observed {
    Observed {
        identity: id(ns, name),
        owners,
        being_deleted: false,
        finalizers: vec![],
    }
}

fn deleting(mut o: Observed, finalizer: &str) -> Observed {
    o.being_deleted = true;
    o.finalizers.push(finalizer.into());
    o
}

fn del(name: &str) -> Work {
    Work::AttemptToDelete(format!("uid-{name}"))
}

#[test]
fn unknown_owner_becomes_a_virtual_node_to_verify() {
    let mut g = Graph::default();
    let work = g.apply(GraphEvent::Upsert(obj(
        "ns",
        "child",
        vec![owner_ref("parent", false)],
    )));
    assert_eq!(work, vec![del("parent")]);
    let parent = &g.nodes["uid-parent"];
    assert!(!parent.observed);
    assert_eq!(parent.identity, id("ns", "parent"));
    assert!(parent.dependents.contains("uid-child"));
}

#[test]
fn observing_the_owner_makes_it_real() {
    let mut g = Graph::default();
    g.apply(GraphEvent::Upsert(obj(
        "ns",
        "child",
        vec![owner_ref("parent", false)],
    )));
    let work = g.apply(GraphEvent::Upsert(obj("ns", "parent", vec![])));
    assert!(work.is_empty());
    assert!(g.nodes["uid-parent"].observed);
    assert!(g.nodes["uid-parent"].dependents.contains("uid-child"));
}

#[test]
fn deleting_an_owner_queues_its_dependents() {
    let mut g = Graph::default();
    g.apply(GraphEvent::Upsert(obj("ns", "parent", vec![])));
    g.apply(GraphEvent::Upsert(obj(
        "ns",
        "child",
        vec![owner_ref("parent", false)],
    )));
    let work = g.apply(GraphEvent::Delete(id("ns", "parent")));
    assert_eq!(work, vec![del("child")]);
    assert!(!g.nodes.contains_key("uid-parent"));
    assert!(g.absent.has(&AbsentKey::of_identity(&id("ns", "parent"))));
}

#[test]
fn deleting_an_unknown_object_is_a_no_op() {
    let mut g = Graph::default();
    assert!(g.apply(GraphEvent::Delete(id("ns", "ghost"))).is_empty());
}

#[test]
fn foreground_deletion_queues_dependents_and_the_owner() {
    let mut g = Graph::default();
    g.apply(GraphEvent::Upsert(obj("ns", "parent", vec![])));
    g.apply(GraphEvent::Upsert(obj(
        "ns",
        "child",
        vec![owner_ref("parent", true)],
    )));
    let work = g.apply(GraphEvent::Upsert(deleting(
        obj("ns", "parent", vec![]),
        FOREGROUND_FINALIZER,
    )));
    assert_eq!(work, vec![del("child"), del("parent")]);
    assert!(g.nodes["uid-parent"].deleting_dependents);
    assert_eq!(
        g.blocking_dependents(&"uid-parent".into()),
        vec![("uid-child".to_string(), false)]
    );
    // The same state again is no new transition.
    let again = g.apply(GraphEvent::Upsert(deleting(
        obj("ns", "parent", vec![]),
        FOREGROUND_FINALIZER,
    )));
    assert!(again.is_empty());
    // The dependent going away lets the owner finish.
    let work = g.apply(GraphEvent::Delete(id("ns", "child")));
    assert_eq!(work, vec![del("parent")]);
    assert!(g.blocking_dependents(&"uid-parent".into()).is_empty());
}

#[test]
fn non_blocking_dependents_do_not_hold_the_owner() {
    let mut g = Graph::default();
    g.apply(GraphEvent::Upsert(obj("ns", "parent", vec![])));
    g.apply(GraphEvent::Upsert(obj(
        "ns",
        "child",
        vec![owner_ref("parent", false)],
    )));
    assert!(g.blocking_dependents(&"uid-parent".into()).is_empty());
}

#[test]
fn unblocking_a_reference_requeues_a_waiting_owner() {
    let mut g = Graph::default();
    g.apply(GraphEvent::Upsert(obj("ns", "parent", vec![])));
    g.apply(GraphEvent::Upsert(obj(
        "ns",
        "child",
        vec![owner_ref("parent", true)],
    )));
    g.apply(GraphEvent::Upsert(deleting(
        obj("ns", "parent", vec![]),
        FOREGROUND_FINALIZER,
    )));
    let work = g.apply(GraphEvent::Upsert(obj(
        "ns",
        "child",
        vec![owner_ref("parent", false)],
    )));
    assert_eq!(work, vec![del("parent")]);
    // Dropping the reference entirely detaches the child.
    g.apply(GraphEvent::Upsert(obj(
        "ns",
        "child",
        vec![owner_ref("parent", true)],
    )));
    let work = g.apply(GraphEvent::Upsert(obj("ns", "child", vec![])));
    assert_eq!(work, vec![del("parent")]);
    assert!(g.nodes["uid-parent"].dependents.is_empty());
}

#[test]
fn orphan_finalizer_queues_orphaning_once() {
    let mut g = Graph::default();
    g.apply(GraphEvent::Upsert(obj("ns", "parent", vec![])));
    let work = g.apply(GraphEvent::Upsert(deleting(
        obj("ns", "parent", vec![]),
        ORPHAN_FINALIZER,
    )));
    assert_eq!(work, vec![Work::AttemptToOrphan("uid-parent".into())]);
    assert!(
        g.apply(GraphEvent::Upsert(deleting(
            obj("ns", "parent", vec![]),
            ORPHAN_FINALIZER
        )))
        .is_empty()
    );
}

#[test]
fn an_object_first_seen_while_orphaning_is_orphaned() {
    let mut g = Graph::default();
    let work = g.apply(GraphEvent::Upsert(deleting(
        obj("ns", "parent", vec![]),
        ORPHAN_FINALIZER,
    )));
    assert_eq!(work, vec![Work::AttemptToOrphan("uid-parent".into())]);
}

#[test]
fn namespaced_owner_in_another_namespace_is_flagged() {
    let mut g = Graph::default();
    g.apply(GraphEvent::Upsert(obj("a", "parent", vec![])));
    let work = g.apply(GraphEvent::Upsert(obj(
        "b",
        "child",
        vec![owner_ref("parent", false)],
    )));
    assert_eq!(
        work,
        vec![
            Work::InvalidOwnerNamespace {
                dependent: id("b", "child"),
                owner: "uid-parent".into()
            },
            del("child"),
        ]
    );
}

#[test]
fn cluster_scoped_owner_is_fine_for_any_namespace() {
    let mut g = Graph::default();
    g.apply(GraphEvent::Upsert(obj("", "parent", vec![])));
    let work = g.apply(GraphEvent::Upsert(obj(
        "b",
        "child",
        vec![owner_ref("parent", false)],
    )));
    assert!(work.is_empty());
}

#[test]
fn owner_observed_in_another_namespace_requeues_its_dependents() {
    let mut g = Graph::default();
    g.apply(GraphEvent::Upsert(obj(
        "b",
        "child",
        vec![owner_ref("parent", false)],
    )));
    let work = g.apply(GraphEvent::Upsert(obj("a", "parent", vec![])));
    assert_eq!(
        work,
        vec![
            Work::InvalidOwnerNamespace {
                dependent: id("b", "child"),
                owner: "uid-parent".into()
            },
            del("child"),
        ]
    );
}

#[test]
fn virtual_delete_of_a_virtual_owner_releases_its_dependents() {
    let mut g = Graph::default();
    g.apply(GraphEvent::Upsert(obj(
        "ns",
        "child",
        vec![owner_ref("parent", false)],
    )));
    let work = g.apply(GraphEvent::VirtualDelete(id("ns", "parent")));
    assert_eq!(work, vec![del("child")]);
    assert!(!g.nodes.contains_key("uid-parent"));
}

#[test]
fn virtual_delete_does_not_remove_an_observed_object_by_other_coordinates() {
    let mut g = Graph::default();
    g.apply(GraphEvent::Upsert(obj("ns", "parent", vec![])));
    let mut other = id("ns", "parent");
    other.kind = "Secret".into();
    let work = g.apply(GraphEvent::VirtualDelete(other));
    assert!(work.is_empty());
    assert!(g.nodes.contains_key("uid-parent"));
}

#[test]
fn disputed_virtual_owner_is_retried_by_the_other_coordinates() {
    let mut g = Graph::default();
    let mut as_secret = owner_ref("parent", false);
    as_secret.kind = "Secret".into();
    g.apply(GraphEvent::Upsert(obj(
        "ns",
        "one",
        vec![owner_ref("parent", false)],
    )));
    g.apply(GraphEvent::Upsert(obj("ns", "two", vec![as_secret])));
    let work = g.apply(GraphEvent::VirtualDelete(id("ns", "parent")));
    assert_eq!(work, vec![del("one"), del("parent")]);
    assert_eq!(g.nodes["uid-parent"].identity.kind, "Secret");
}

#[test]
fn cluster_scoped_virtual_delete_matches_any_namespace() {
    let mut g = Graph::default();
    g.apply(GraphEvent::Upsert(obj(
        "x",
        "one",
        vec![owner_ref("parent", false)],
    )));
    g.apply(GraphEvent::Upsert(obj(
        "y",
        "two",
        vec![owner_ref("parent", false)],
    )));
    let mut work = g.apply(GraphEvent::VirtualDelete(id("", "parent")));
    work.sort_by_key(|w| format!("{w:?}"));
    assert_eq!(work, vec![del("one"), del("two")]);
}

#[test]
fn cycle_detection_helper() {
    let mut g = Graph::default();
    g.apply(GraphEvent::Upsert(obj("ns", "parent", vec![])));
    g.apply(GraphEvent::Upsert(deleting(
        obj("ns", "child", vec![owner_ref("parent", true)]),
        FOREGROUND_FINALIZER,
    )));
    assert!(g.has_dependent_deleting_dependents(&"uid-parent".into()));
    assert!(!g.has_dependent_deleting_dependents(&"uid-child".into()));
}
