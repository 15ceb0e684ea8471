use serde_json::{Value, json};

use super::*;
use crate::builtin::core::testutil::{create, from_json, update, update_status};

fn rc(spec: Value) -> ReplicationController {
    from_json(json!({"metadata": {"name": "web", "namespace": "default"}, "spec": spec}))
}

fn template(labels: Value) -> Value {
    json!({"metadata": {"labels": labels}, "spec": {"containers": [{"name": "a", "image": "nginx"}]}})
}

#[test]
fn defaults() {
    let mut r = rc(json!({"template": template(json!({"app": "web"}))}));
    assert!(create(&ReplicationControllerStrategy, &mut r).is_empty());
    let spec = r.spec.as_ref().unwrap();
    assert_eq!(spec.replicas, Some(1));
    assert_eq!(spec.selector.as_ref().unwrap()["app"], "web");
    assert_eq!(r.metadata.labels.as_ref().unwrap()["app"], "web");
    let t = spec.template.as_ref().unwrap().spec.as_ref().unwrap();
    assert_eq!(t.restart_policy.as_deref(), Some("Always"));
}

#[test]
fn validation() {
    let run = |spec: Value| create(&ReplicationControllerStrategy, &mut rc(spec));
    assert_eq!(
        run(json!({"selector": {"app": "db"}, "template": template(json!({"app": "web"}))})),
        vec![
            "spec.template.metadata.labels: Invalid value: map[string]string{\"app\":\"web\"}: `selector` does not match template `labels`"
        ]
    );
    assert_eq!(
        run(json!({"replicas": -1, "template": template(json!({"app": "web"}))})),
        vec!["spec.replicas: Invalid value: -1: must be greater than or equal to 0"]
    );
    let mut t = template(json!({"app": "web"}));
    t["spec"]["restartPolicy"] = json!("OnFailure");
    t["spec"]["activeDeadlineSeconds"] = json!(10);
    assert_eq!(
        run(json!({"template": t})),
        vec![
            "spec.template.spec.restartPolicy: Unsupported value: \"OnFailure\": supported values: \"Always\"",
            "spec.template.spec.activeDeadlineSeconds: Forbidden: activeDeadlineSeconds in ReplicationController is not Supported",
        ]
    );
    assert_eq!(
        run(json!({})),
        vec![
            "spec.selector: Required value",
            "spec.template: Required value"
        ]
    );
}

#[test]
fn updates_and_status() {
    let mut old = rc(json!({"template": template(json!({"app": "web"}))}));
    create(&ReplicationControllerStrategy, &mut old);
    let mut v = serde_json::to_value(&old).unwrap();
    v["spec"]["replicas"] = json!(-2);
    let mut bad: ReplicationController = from_json(v);
    assert_eq!(
        update(&ReplicationControllerStrategy, &mut bad, &old).len(),
        2
    );
    let mut st = old.clone();
    st.status = Some(from_json(json!({"replicas": 1, "readyReplicas": 2})));
    assert_eq!(
        update_status(&ReplicationControllerStrategy, &mut st, &old),
        vec!["status.readyReplicas: Invalid value: 2: cannot be greater than status.replicas"]
    );
}

#[test]
fn pod_templates() {
    let mut t: PodTemplate = from_json(
        json!({"metadata": {"name": "t"}, "template": {"spec": {"containers": [{"name": "a"}]}}}),
    );
    assert_eq!(
        create(&PodTemplateStrategy, &mut t),
        vec!["template.spec.containers[0].image: Required value"]
    );
    let mut ok: PodTemplate = from_json(
        json!({"metadata": {"name": "t"}, "template": {"spec": {"containers": [{"name": "a", "image": "x"}], "volumes": [{"name": "g", "gitRepo": {"repository": "r"}}]}}}),
    );
    assert!(create(&PodTemplateStrategy, &mut ok).is_empty());
    assert_eq!(
        PodTemplateStrategy.warnings(&ok),
        vec!["template.spec.volumes[0].gitRepo: deprecated in v1.11"]
    );
}
