use serde_json::{Value, json};

use super::*;
use crate::builtin::apps::testing::{create, create_errors, pod_template, update, update_status};

fn deployment() -> Value {
    json!({
        "apiVersion": "apps/v1", "kind": "Deployment",
        "metadata": {"name": "web", "namespace": "default"},
        "spec": {
            "selector": {"matchLabels": {"app": "web"}},
            "template": pod_template(json!({"app": "web"}))
        }
    })
}

fn errors(obj: Value) -> Vec<String> {
    create_errors::<Deployment, _>(DeploymentStrategy, obj)
}

#[test]
fn defaults() {
    let d = create::<Deployment, _>(DeploymentStrategy, deployment()).unwrap();
    let spec = &d["spec"];
    assert_eq!(spec["replicas"], 1);
    assert_eq!(spec["strategy"]["type"], "RollingUpdate");
    assert_eq!(spec["strategy"]["rollingUpdate"]["maxUnavailable"], "25%");
    assert_eq!(spec["strategy"]["rollingUpdate"]["maxSurge"], "25%");
    assert_eq!(spec["revisionHistoryLimit"], 10);
    assert_eq!(spec["progressDeadlineSeconds"], 600);
    assert_eq!(spec["template"]["spec"]["restartPolicy"], "Always");
    assert_eq!(d["kind"], "Deployment");
}

#[test]
fn recreate_gets_no_rolling_update() {
    let mut d = deployment();
    d["spec"]["strategy"] = json!({"type": "Recreate"});
    let d = create::<Deployment, _>(DeploymentStrategy, d).unwrap();
    assert!(d["spec"]["strategy"].get("rollingUpdate").is_none());
}

#[test]
fn selector_required_and_matching() {
    let mut d = deployment();
    d["spec"].as_object_mut().unwrap().remove("selector");
    assert_eq!(
        errors(d),
        vec![
            "spec.selector: Required value",
            r#"spec.template.metadata.labels: Invalid value: map[string]string{"app":"web"}: `selector` does not match template `labels`"#,
        ]
    );
    let mut d = deployment();
    d["spec"]["selector"] = json!({"matchLabels": {"app": "other"}});
    assert_eq!(
        errors(d),
        vec![
            r#"spec.template.metadata.labels: Invalid value: map[string]string{"app":"web"}: `selector` does not match template `labels`"#
        ]
    );
    let mut d = deployment();
    d["spec"]["selector"] = json!({"matchLabels": {}});
    assert_eq!(
        errors(d),
        vec![
            "spec.selector: Invalid value: v1.LabelSelector{MatchLabels:map[string]string{}, MatchExpressions:[]v1.LabelSelectorRequirement(nil)}: empty selector is invalid for deployment"
        ]
    );
}

#[test]
fn template_rules() {
    let mut d = deployment();
    d["spec"]["template"]["spec"]["restartPolicy"] = json!("Never");
    d["spec"]["template"]["spec"]["activeDeadlineSeconds"] = json!(5);
    assert_eq!(
        errors(d),
        vec![
            r#"spec.template.spec.restartPolicy: Unsupported value: "Never": supported values: "Always""#,
            "spec.template.spec.activeDeadlineSeconds: Forbidden: activeDeadlineSeconds in ReplicaSet is not Supported",
        ]
    );
    let mut d = deployment();
    d["spec"]["template"]["spec"]["containers"] = json!([]);
    assert_eq!(
        errors(d),
        vec!["spec.template.spec.containers: Required value"]
    );
}

#[test]
fn strategy_and_counts() {
    let mut d = deployment();
    d["spec"]["strategy"] = json!({"type": "Recreate", "rollingUpdate": {"maxSurge": 1}});
    assert_eq!(
        errors(d),
        vec![
            "spec.strategy.rollingUpdate: Forbidden: may not be specified when strategy `type` is 'Recreate'"
        ]
    );
    let mut d = deployment();
    d["spec"]["strategy"] = json!({"type": "Foo"});
    assert_eq!(
        errors(d),
        vec![
            r#"spec.strategy: Unsupported value: apps.DeploymentStrategy{Type:"Foo", RollingUpdate:(*apps.RollingUpdateDeployment)(nil)}: supported values: "Recreate", "RollingUpdate""#
        ]
    );
    let mut d = deployment();
    d["spec"]["strategy"] = json!({"rollingUpdate": {"maxSurge": 0, "maxUnavailable": "0%"}});
    assert_eq!(
        errors(d),
        vec![
            r#"spec.strategy.rollingUpdate.maxUnavailable: Invalid value: intstr.IntOrString{Type:1, IntVal:0, StrVal:"0%"}: may not be 0 when `maxSurge` is 0"#
        ]
    );
    let mut d = deployment();
    d["spec"]["strategy"] = json!({"rollingUpdate": {"maxUnavailable": "110%"}});
    assert_eq!(
        errors(d),
        vec![
            r#"spec.strategy.rollingUpdate.maxUnavailable: Invalid value: intstr.IntOrString{Type:1, IntVal:0, StrVal:"110%"}: must not be greater than 100%"#
        ]
    );
    let mut d = deployment();
    d["spec"]["replicas"] = json!(-1);
    d["spec"]["minReadySeconds"] = json!(700);
    assert_eq!(
        errors(d),
        vec![
            "spec.replicas: Invalid value: -1: must be greater than or equal to 0",
            "spec.progressDeadlineSeconds: Invalid value: 600: must be greater than minReadySeconds",
        ]
    );
}

#[test]
fn selector_is_immutable() {
    let old = create::<Deployment, _>(DeploymentStrategy, deployment()).unwrap();
    let mut new = old.clone();
    new["spec"]["selector"]["matchLabels"]["tier"] = json!("x");
    new["spec"]["template"]["metadata"]["labels"]["tier"] = json!("x");
    assert_eq!(
        update::<Deployment, _>(DeploymentStrategy, new, &old).unwrap_err(),
        vec![
            r#"spec.selector: Invalid value: v1.LabelSelector{MatchLabels:map[string]string{"app":"web", "tier":"x"}, MatchExpressions:[]v1.LabelSelectorRequirement(nil)}: field is immutable"#
        ]
    );
    let mut scaled = old.clone();
    scaled["spec"]["replicas"] = json!(3);
    assert!(update::<Deployment, _>(DeploymentStrategy, scaled, &old).is_ok());
}

#[test]
fn annotation_changes_bump_generation() {
    let mut old = create::<Deployment, _>(DeploymentStrategy, deployment()).unwrap();
    old["metadata"]["generation"] = json!(2);
    let mut new = old.clone();
    new["metadata"]["annotations"] = json!({"note": "x"});
    let new = update::<Deployment, _>(DeploymentStrategy, new, &old).unwrap();
    assert_eq!(new["metadata"]["generation"], 3);
}

#[test]
fn status_rules() {
    let old = create::<Deployment, _>(DeploymentStrategy, deployment()).unwrap();
    let mut new = old.clone();
    new["status"] = json!({"replicas": 1, "readyReplicas": 2, "availableReplicas": 1});
    assert_eq!(
        update_status::<Deployment, _>(DeploymentStrategy, new, &old).unwrap_err(),
        vec!["status.readyReplicas: Invalid value: 2: cannot be greater than status.replicas"]
    );
    let mut old_status = old.clone();
    old_status["status"] = json!({"collisionCount": 2});
    let mut new = old.clone();
    new["status"] = json!({"collisionCount": 1});
    assert_eq!(
        update_status::<Deployment, _>(DeploymentStrategy, new, &old_status).unwrap_err(),
        vec!["status.collisionCount: Invalid value: 1: cannot be decremented"]
    );
}
