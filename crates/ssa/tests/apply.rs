mod common;

use capstan_ssa::{FieldSet, ManagedFields, Operation, SsaError, apply, update};
use common::*;
use serde_json::{Value, json};

fn nginx(replicas: i64, image: &str) -> Value {
    json!({
        "apiVersion": "apps/v1", "kind": "Deployment",
        "metadata": {"name": "nginx", "namespace": "default", "labels": {"app": "nginx"}},
        "spec": {
            "replicas": replicas,
            "selector": {"matchLabels": {"app": "nginx"}},
            "template": {
                "metadata": {"labels": {"app": "nginx"}},
                "spec": {"containers": [{"name": "nginx", "image": image}]}
            }
        }
    })
}

fn partial(spec: Value) -> Value {
    json!({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "nginx", "namespace": "default"}, "spec": spec})
}

/// Applies `config` as `manager` on top of `live` (None creates).
fn run(
    live: Option<&Value>,
    config: &Value,
    manager: &str,
    force: bool,
    now: &str,
) -> Result<(Value, ManagedFields), SsaError> {
    let schema = deployment();
    let status = FieldSet::from_field_paths(&[&["status"]]);
    let ctx = ctx(&schema, "Deployment", now, Some(&status));
    let managed = live
        .map(|l| ManagedFields::from_object(l).unwrap())
        .unwrap_or_default();
    apply(
        live,
        config,
        &managed,
        &applier(manager, "apps/v1"),
        force,
        &ctx,
    )
}

#[test]
fn create_by_apply_owns_what_was_applied() {
    let (object, managed) = run(None, &nginx(3, "nginx:1.14"), "kubectl", false, NOW).unwrap();
    assert_eq!(object["spec"]["replicas"], 3);
    assert_eq!(managed.entries().len(), 1);
    let entry = &managed.entries()[0];
    assert_eq!(
        (
            entry.manager.as_str(),
            entry.operation,
            entry.api_version.as_str()
        ),
        ("kubectl", Operation::Apply, "apps/v1")
    );
    assert_eq!(entry.time.as_deref(), Some(NOW));
    assert_eq!(
        fields_v1(&managed, "kubectl", Operation::Apply),
        json!({
            "f:metadata": {"f:labels": {"f:app": {}}},
            "f:spec": {
                "f:replicas": {}, "f:selector": {},
                "f:template": {
                    "f:metadata": {"f:labels": {"f:app": {}}},
                    "f:spec": {"f:containers": {"k:{\"name\":\"nginx\"}": {".": {}, "f:image": {}, "f:name": {}}}}
                }
            }
        })
    );
    // The returned object carries its managed fields.
    assert_eq!(object["metadata"]["managedFields"], managed.to_value());
}

#[test]
fn applying_twice_is_a_no_op() {
    let config = nginx(3, "nginx:1.14");
    let (first, managed) = run(None, &config, "kubectl", false, NOW).unwrap();
    let (second, again) = run(Some(&first), &config, "kubectl", false, LATER).unwrap();
    assert_eq!(second, first);
    assert_eq!(again, managed);
    assert_eq!(again.entries()[0].time.as_deref(), Some(NOW));
    assert_eq!(again.to_json(), managed.to_json());
}

#[test]
fn two_appliers_conflict_until_forced() {
    let (live, _) = run(None, &nginx(3, "nginx:1.14"), "alice", false, NOW).unwrap();
    let err = run(
        Some(&live),
        &partial(json!({"replicas": 5})),
        "bob",
        false,
        LATER,
    )
    .unwrap_err();
    assert_eq!(
        conflicts(&err),
        [("alice".to_string(), ".spec.replicas".to_string())]
    );
    assert_eq!(err.code(), 409);
    assert_eq!(
        err.to_string(),
        r#"Apply failed with 1 conflict: conflict with "alice": .spec.replicas"#
    );

    let (forced, managed) = run(
        Some(&live),
        &partial(json!({"replicas": 5})),
        "bob",
        true,
        LATER,
    )
    .unwrap();
    assert_eq!(forced["spec"]["replicas"], 5);
    assert_eq!(owned(&managed, "bob", Operation::Apply), [".spec.replicas"]);
    assert!(!owned(&managed, "alice", Operation::Apply).contains(&".spec.replicas".to_string()));
    // Alice applying her old value now conflicts with bob.
    let err = run(
        Some(&forced),
        &nginx(3, "nginx:1.14"),
        "alice",
        false,
        LATER,
    )
    .unwrap_err();
    assert_eq!(
        conflicts(&err),
        [("bob".to_string(), ".spec.replicas".to_string())]
    );
}

#[test]
fn same_value_is_shared_without_conflict() {
    let (live, _) = run(None, &nginx(3, "nginx:1.14"), "alice", false, NOW).unwrap();
    let (object, managed) = run(
        Some(&live),
        &partial(json!({"replicas": 3})),
        "bob",
        false,
        LATER,
    )
    .unwrap();
    assert_eq!(object["spec"]["replicas"], 3);
    assert!(owned(&managed, "alice", Operation::Apply).contains(&".spec.replicas".to_string()));
    assert_eq!(owned(&managed, "bob", Operation::Apply), [".spec.replicas"]);
    // Nothing changed, so bob's new entry carries no time.
    assert_eq!(managed.find("bob", Operation::Apply).unwrap().time, None);
}

#[test]
fn dropping_a_field_removes_it_unless_someone_else_owns_it() {
    let mut config = nginx(3, "nginx:1.14");
    config["metadata"]["labels"]["tier"] = json!("web");
    let (live, _) = run(None, &config, "alice", false, NOW).unwrap();
    let (pruned, managed) =
        run(Some(&live), &nginx(3, "nginx:1.14"), "alice", false, LATER).unwrap();
    assert_eq!(pruned["metadata"]["labels"], json!({"app": "nginx"}));
    assert!(
        !owned(&managed, "alice", Operation::Apply).contains(&".metadata.labels.tier".to_string())
    );

    // Shared with bob: dropping it leaves it to bob.
    let bob = json!({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "nginx", "labels": {"tier": "web"}}});
    let (shared, _) = run(Some(&live), &bob, "bob", false, LATER).unwrap();
    let (kept, managed) = run(
        Some(&shared),
        &nginx(3, "nginx:1.14"),
        "alice",
        false,
        LATER,
    )
    .unwrap();
    assert_eq!(kept["metadata"]["labels"]["tier"], "web");
    assert_eq!(
        owned(&managed, "bob", Operation::Apply),
        [".metadata.labels.tier"]
    );
}

#[test]
fn dropping_the_only_item_of_a_map_removes_the_map() {
    let mut config = nginx(3, "nginx:1.14");
    config["spec"]["template"]["spec"]["nodeSelector"] = json!({"disk": "ssd"});
    let (live, _) = run(None, &config, "alice", false, NOW).unwrap();
    let (pruned, _) = run(Some(&live), &nginx(3, "nginx:1.14"), "alice", false, LATER).unwrap();
    assert!(
        pruned["spec"]["template"]["spec"]
            .get("nodeSelector")
            .is_none()
    );
}

#[test]
fn containers_merge_by_name() {
    let (live, _) = run(None, &nginx(3, "nginx:1.14"), "alice", false, NOW).unwrap();
    let sidecar = partial(
        json!({"template": {"spec": {"containers": [{"name": "sidecar", "image": "busybox"}]}}}),
    );
    let (merged, managed) = run(Some(&live), &sidecar, "bob", false, LATER).unwrap();
    let names: Vec<&str> = merged["spec"]["template"]["spec"]["containers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["nginx", "sidecar"]);
    assert_eq!(
        owned(&managed, "bob", Operation::Apply),
        [
            r#".spec.template.spec.containers[name="sidecar"]"#,
            r#".spec.template.spec.containers[name="sidecar"].image"#,
            r#".spec.template.spec.containers[name="sidecar"].name"#,
        ]
    );
    // Changing only alice's container's image is a conflict on that field.
    let image = partial(
        json!({"template": {"spec": {"containers": [{"name": "nginx", "image": "nginx:2"}]}}}),
    );
    let err = run(Some(&merged), &image, "bob", false, LATER).unwrap_err();
    assert_eq!(
        conflicts(&err),
        [(
            "alice".to_string(),
            r#".spec.template.spec.containers[name="nginx"].image"#.to_string()
        )]
    );
}

#[test]
fn applied_item_order_wins_and_live_items_keep_their_place() {
    let three = partial(json!({"template": {"spec": {"containers": [
        {"name": "a", "image": "x"}, {"name": "b", "image": "x"}, {"name": "c", "image": "x"}]}}}));
    let (live, _) = run(None, &three, "alice", false, NOW).unwrap();
    let reordered = partial(
        json!({"template": {"spec": {"containers": [{"name": "c", "image": "x"}, {"name": "a", "image": "x"}]}}}),
    );
    let (merged, _) = run(Some(&live), &reordered, "bob", false, LATER).unwrap();
    let names: Vec<&str> = merged["spec"]["template"]["spec"]["containers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["b", "c", "a"]);
}

#[test]
fn finalizers_merge_as_a_set() {
    let with = |finalizers: Value| json!({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "nginx", "finalizers": finalizers}});
    let (live, _) = run(None, &with(json!(["a"])), "alice", false, NOW).unwrap();
    let (merged, managed) =
        run(Some(&live), &with(json!(["b", "a"])), "bob", false, LATER).unwrap();
    assert_eq!(merged["metadata"]["finalizers"], json!(["b", "a"]));
    assert_eq!(
        fields_v1(&managed, "bob", Operation::Apply),
        json!({"f:metadata": {"f:finalizers": {"v:\"a\"": {}, "v:\"b\"": {}}}})
    );
    let (union, _) = run(Some(&live), &with(json!(["b"])), "bob", false, LATER).unwrap();
    assert_eq!(union["metadata"]["finalizers"], json!(["a", "b"]));
    // Alice dropping "a" removes only hers.
    let (dropped, _) = run(Some(&union), &with(json!(["c"])), "alice", false, LATER).unwrap();
    assert_eq!(dropped["metadata"]["finalizers"], json!(["b", "c"]));
}

#[test]
fn atomic_fields_are_replaced_whole() {
    let (live, _) = run(None, &nginx(3, "nginx:1.14"), "alice", false, NOW).unwrap();
    let mut config = nginx(3, "nginx:1.14");
    config["spec"]["selector"] = json!({"matchLabels": {"app": "nginx", "v": "2"}});
    let (merged, managed) = run(Some(&live), &config, "alice", false, LATER).unwrap();
    assert_eq!(
        merged["spec"]["selector"],
        json!({"matchLabels": {"app": "nginx", "v": "2"}})
    );
    assert!(owned(&managed, "alice", Operation::Apply).contains(&".spec.selector".to_string()));
}

#[test]
fn an_update_takes_ownership_and_the_next_apply_conflicts() {
    let schema = deployment();
    let status = FieldSet::from_field_paths(&[&["status"]]);
    let context = ctx(&schema, "Deployment", LATER, Some(&status));
    let (live, managed) = run(None, &nginx(3, "nginx:1.14"), "kubectl", false, NOW).unwrap();
    let mut edited = live.clone();
    edited["spec"]["replicas"] = json!(5);
    let managed = update(
        Some(&live),
        &edited,
        &managed,
        &updater("kubectl-edit", "apps/v1"),
        &context,
    )
    .unwrap();
    assert_eq!(
        owned(&managed, "kubectl-edit", Operation::Update),
        [".spec.replicas"]
    );
    assert!(!owned(&managed, "kubectl", Operation::Apply).contains(&".spec.replicas".to_string()));
    managed.write_to(&mut edited);

    let err = run(
        Some(&edited),
        &nginx(3, "nginx:1.14"),
        "kubectl",
        false,
        LATER,
    )
    .unwrap_err();
    assert_eq!(
        err.to_string(),
        r#"Apply failed with 1 conflict: conflict with "kubectl-edit" using apps/v1: .spec.replicas"#
    );
    let causes = capstan_ssa::conflict_causes(err.conflicts());
    assert_eq!(
        causes[0].message,
        r#"conflict with "kubectl-edit" using apps/v1"#
    );
    assert_eq!(causes[0].field, ".spec.replicas");
}

#[test]
fn status_is_never_owned_on_the_main_resource() {
    let mut config = nginx(3, "nginx:1.14");
    config["status"] = json!({"replicas": 3});
    let (_, managed) = run(None, &config, "alice", false, NOW).unwrap();
    assert!(
        owned(&managed, "alice", Operation::Apply)
            .iter()
            .all(|p| !p.starts_with(".status"))
    );
}

#[test]
fn existing_fields_go_to_before_first_apply() {
    // An object created before field tracking, without managedFields.
    let mut live = nginx(3, "nginx:1.14");
    live["metadata"]["uid"] = json!("1234");
    let (_, managed) = run(
        Some(&live),
        &partial(json!({"replicas": 4})),
        "alice",
        true,
        LATER,
    )
    .unwrap();
    let before = owned(&managed, "before-first-apply", Operation::Update);
    assert!(
        before.contains(&".metadata.labels.app".to_string()),
        "{before:?}"
    );
    assert!(!before.contains(&".spec.replicas".to_string()));
    assert_eq!(
        owned(&managed, "alice", Operation::Apply),
        [".spec.replicas"]
    );
    // Without force the same apply conflicts with it.
    let err = run(
        Some(&live),
        &partial(json!({"replicas": 4})),
        "alice",
        false,
        LATER,
    )
    .unwrap_err();
    assert_eq!(
        err.to_string(),
        r#"Apply failed with 1 conflict: conflict with "before-first-apply" using apps/v1: .spec.replicas"#
    );
}

#[test]
fn multiple_conflicts_are_grouped() {
    let (live, _) = run(None, &nginx(3, "nginx:1.14"), "alice", false, NOW).unwrap();
    let mut config = nginx(4, "nginx:2");
    config["metadata"]["labels"]["app"] = json!("other");
    let err = run(Some(&live), &config, "bob", false, LATER).unwrap_err();
    assert_eq!(
        err.to_string(),
        "Apply failed with 3 conflicts: conflicts with \"alice\":\n- .metadata.labels.app\n- .spec.replicas\n- .spec.template.spec.containers[name=\"nginx\"].image"
    );
}

#[test]
fn wrong_kind_and_managed_fields_are_bad_requests() {
    let mut config = nginx(3, "x");
    config["kind"] = json!("StatefulSet");
    let err = run(None, &config, "alice", false, NOW).unwrap_err();
    assert_eq!(
        err,
        SsaError::BadRequest("invalid object type: apps/v1, Kind=StatefulSet".into())
    );
    let mut config = nginx(3, "x");
    config["apiVersion"] = json!("v1");
    let err = run(None, &config, "alice", false, NOW).unwrap_err();
    assert_eq!(err.to_string(), "invalid object type: /v1, Kind=Deployment");
    let err = run(
        None,
        &json!({"metadata": {"name": "x"}}),
        "alice",
        false,
        NOW,
    )
    .unwrap_err();
    assert_eq!(err.to_string(), "invalid object type: /, Kind=");

    let mut config = nginx(3, "x");
    config["metadata"]["managedFields"] = json!([]);
    let err = run(None, &config, "alice", false, NOW).unwrap_err();
    assert_eq!(
        err,
        SsaError::BadRequest("metadata.managedFields must be nil".into())
    );
}

#[test]
fn type_errors_in_the_applied_object_are_upstreams_500() {
    let mut config = nginx(3, "x");
    config["spec"]["foo"] = json!(1);
    let err = run(None, &config, "alice", false, NOW).unwrap_err();
    assert_eq!(err.code(), 500);
    assert_eq!(
        err.to_string(),
        "failed to create typed patch object (default/nginx; apps/v1, Kind=Deployment): .spec.foo: field not declared in schema"
    );
    let mut config = nginx(3, "x");
    config["spec"]["replicas"] = json!("three");
    let err = run(None, &config, "alice", false, NOW).unwrap_err();
    assert_eq!(
        err.to_string(),
        "failed to create typed patch object (default/nginx; apps/v1, Kind=Deployment): .spec.replicas: expected numeric (int or float), got string"
    );
    let twice =
        partial(json!({"template": {"spec": {"containers": [{"name": "a"}, {"name": "a"}]}}}));
    let err = run(None, &twice, "alice", false, NOW).unwrap_err();
    assert_eq!(
        err.to_string(),
        r#"failed to create typed patch object (default/nginx; apps/v1, Kind=Deployment): .spec.template.spec.containers: duplicate entries for key [name="a"]"#
    );
}

#[test]
fn missing_port_protocol_takes_the_schema_default_as_key() {
    let ports = partial(
        json!({"template": {"spec": {"containers": [{"name": "a", "image": "x", "ports": [{"containerPort": 80}]}]}}}),
    );
    let (_, managed) = run(None, &ports, "alice", false, NOW).unwrap();
    assert!(owned(&managed, "alice", Operation::Apply).contains(
        &r#".spec.template.spec.containers[name="a"].ports[containerPort=80,protocol="TCP"].containerPort"#.to_string()
    ));
}
