//! kubectl's switch from client-side to server-side apply.
mod common;

use capstan_ssa::{FieldSet, LAST_APPLIED_ANNOTATION, ManagedFields, Operation, apply, update};
use common::*;
use serde_json::{Value, json};

fn config(replicas: i64) -> Value {
    json!({
        "apiVersion": "apps/v1", "kind": "Deployment",
        "metadata": {"name": "nginx", "namespace": "default", "labels": {"app": "nginx"}},
        "spec": {
            "replicas": replicas,
            "selector": {"matchLabels": {"app": "nginx"}},
            "template": {"metadata": {"labels": {"app": "nginx"}}, "spec": {"containers": [{"name": "nginx", "image": "nginx"}]}}
        }
    })
}

/// What `kubectl apply` (client-side) creates: the object with its
/// configuration in the annotation, owned by `kubectl-client-side-apply`.
fn client_side_applied(replicas: i64) -> Value {
    let schema = deployment();
    let context = ctx(&schema, "Deployment", NOW, None);
    let mut object = config(replicas);
    let annotation = serde_json::to_string(&config(replicas)).unwrap() + "\n";
    object["metadata"]["annotations"] = json!({LAST_APPLIED_ANNOTATION: annotation});
    object["metadata"]["uid"] = json!("uid-1");
    let managed = update(
        None,
        &object,
        &ManagedFields::new(),
        &updater("kubectl-client-side-apply", "apps/v1"),
        &context,
    )
    .unwrap();
    managed.write_to(&mut object);
    object
}

fn server_side(
    live: &Value,
    config: &Value,
    manager: &str,
) -> Result<(Value, ManagedFields), capstan_ssa::SsaError> {
    let schema = deployment();
    let status = FieldSet::from_field_paths(&[&["status"]]);
    let context = ctx(&schema, "Deployment", LATER, Some(&status));
    let managed = ManagedFields::from_object(live).unwrap();
    apply(
        Some(live),
        config,
        &managed,
        &applier(manager, "apps/v1"),
        false,
        &context,
    )
}

#[test]
fn kubectl_takes_over_fields_it_applied_client_side() {
    let live = client_side_applied(3);
    let (object, managed) = server_side(&live, &config(4), "kubectl").unwrap();
    assert_eq!(object["spec"]["replicas"], 4);
    assert!(owned(&managed, "kubectl", Operation::Apply).contains(&".spec.replicas".to_string()));
    let csa = owned(&managed, "kubectl-client-side-apply", Operation::Update);
    assert!(!csa.contains(&".spec.replicas".to_string()));
    assert!(
        csa.contains(&".metadata.labels.app".to_string()),
        "shared fields stay shared: {csa:?}"
    );
    // The annotation now holds the server-side applied configuration.
    let annotation = object["metadata"]["annotations"][LAST_APPLIED_ANNOTATION]
        .as_str()
        .unwrap();
    assert_eq!(
        annotation,
        "{\"apiVersion\":\"apps/v1\",\"kind\":\"Deployment\",\"metadata\":{\"labels\":{\"app\":\"nginx\"},\"name\":\"nginx\",\"namespace\":\"default\"},\"spec\":{\"replicas\":4,\"selector\":{\"matchLabels\":{\"app\":\"nginx\"}},\"template\":{\"metadata\":{\"labels\":{\"app\":\"nginx\"}},\"spec\":{\"containers\":[{\"image\":\"nginx\",\"name\":\"nginx\"}]}}}}\n"
    );
}

#[test]
fn other_managers_get_the_conflict() {
    let live = client_side_applied(3);
    let err = server_side(&live, &config(4), "my-tool").unwrap_err();
    assert_eq!(
        err.to_string(),
        r#"Apply failed with 1 conflict: conflict with "kubectl-client-side-apply" using apps/v1: .spec.replicas"#
    );
}

#[test]
fn fields_changed_since_the_last_client_side_apply_still_conflict() {
    let schema = deployment();
    let context = ctx(&schema, "Deployment", LATER, None);
    let mut live = client_side_applied(3);
    let managed = ManagedFields::from_object(&live).unwrap();
    let mut scaled = live.clone();
    scaled["spec"]["replicas"] = json!(5);
    let managed = update(
        Some(&live),
        &scaled,
        &managed,
        &updater("kubectl-client-side-apply", "apps/v1"),
        &context,
    )
    .unwrap();
    managed.write_to(&mut scaled);
    live = scaled;
    let err = server_side(&live, &config(4), "kubectl").unwrap_err();
    assert_eq!(
        err.to_string(),
        r#"Apply failed with 1 conflict: conflict with "kubectl-client-side-apply" using apps/v1: .spec.replicas"#
    );
}

#[test]
fn annotation_is_only_kept_up_to_date_when_present() {
    let schema = deployment();
    let context = ctx(&schema, "Deployment", NOW, None);
    let (object, _) = apply(
        None,
        &config(3),
        &ManagedFields::new(),
        &applier("kubectl", "apps/v1"),
        false,
        &context,
    )
    .unwrap();
    assert!(object["metadata"].get("annotations").is_none());
}
