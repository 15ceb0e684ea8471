use serde_json::{Value, json};

use super::*;
use crate::builtin::core::pod::PodStrategy;
use crate::builtin::core::testutil::{create, from_json, update, update_status};
use crate::strategy::TypedStrategy;

fn stored(spec: Value) -> Pod {
    let mut p: Pod =
        from_json(json!({"metadata": {"name": "web", "namespace": "default"}, "spec": spec}));
    assert!(create(&PodStrategy, &mut p).is_empty());
    p
}

fn base() -> Value {
    json!({"containers": [{"name": "a", "image": "nginx:1"}],
           "tolerations": [{"key": "k", "operator": "Exists", "effect": "NoExecute", "tolerationSeconds": 10}],
           "activeDeadlineSeconds": 100})
}

fn change(old: &Pod, edit: impl FnOnce(&mut Value)) -> Vec<String> {
    let mut v = serde_json::to_value(old).unwrap();
    edit(&mut v);
    let mut new: Pod = from_json(v);
    update(&PodStrategy, &mut new, old)
}

#[test]
fn mutable_fields() {
    let old = stored(base());
    assert!(
        change(&old, |v| v["spec"]["containers"][0]["image"] =
            json!("nginx:2"))
        .is_empty()
    );
    assert!(change(&old, |v| v["spec"]["activeDeadlineSeconds"] = json!(50)).is_empty());
    assert!(
        change(&old, |v| v["spec"]["tolerations"][0]["tolerationSeconds"] =
            json!(20))
        .is_empty()
    );
    assert!(
        change(&old, |v| v["spec"]["tolerations"]
            .as_array_mut()
            .unwrap()
            .push(json!({"key": "x", "operator": "Exists"})))
        .is_empty()
    );
}

#[test]
fn immutable_fields() {
    let old = stored(base());
    let errs = change(&old, |v| v["spec"]["restartPolicy"] = json!("Never"));
    assert_eq!(errs.len(), 1);
    assert!(errs[0].starts_with("spec: Forbidden: pod updates may not change fields other than `spec.containers[*].image`,`spec.initContainers[*].image`,`spec.activeDeadlineSeconds`,`spec.tolerations` (only additions to existing tolerations),`spec.terminationGracePeriodSeconds` (allow it to be set to 1 if it was previously negative)\n"));
    assert!(errs[0].contains("restartPolicy"));
    assert_eq!(
        change(&old, |v| v["spec"]["activeDeadlineSeconds"] = json!(200)),
        vec![
            "spec.activeDeadlineSeconds: Invalid value: 200: must be less than or equal to previous value"
        ]
    );
    assert_eq!(
        change(&old, |v| v["spec"]["activeDeadlineSeconds"] = Value::Null),
        vec![
            "spec.activeDeadlineSeconds: Invalid value: \"null\": must not update from a positive integer to nil value"
        ]
    );
    assert_eq!(
        change(&old, |v| v["spec"]["tolerations"] = json!([])),
        vec![
            "spec.tolerations: Forbidden: existing toleration can not be modified except its tolerationSeconds"
        ]
    );
    assert_eq!(
        change(&old, |v| v["spec"]["containers"]
            .as_array_mut()
            .unwrap()
            .push(json!({"name": "b", "image": "x"}))),
        vec!["spec.containers: Forbidden: pod updates may not add or remove containers"]
    );
    assert_eq!(
        change(&old, |v| v["spec"]["containers"][0]["image"] =
            json!(" nginx")),
        vec![
            "spec.containers[0].image: Invalid value: \" nginx\": must not have leading or trailing whitespace",
            "spec.containers[0].image: Invalid value: \" nginx\": must not have leading or trailing whitespace",
        ]
    );
}

#[test]
fn scheduling_gates_may_only_be_removed() {
    let mut spec = base();
    spec["schedulingGates"] = json!([{"name": "a"}]);
    let old = stored(spec);
    assert!(change(&old, |v| v["spec"]["schedulingGates"] = json!([])).is_empty());
    assert_eq!(
        change(&old, |v| v["spec"]["schedulingGates"] =
            json!([{"name": "a"}, {"name": "b"}])),
        vec![
            "spec.schedulingGates[1].name: Forbidden: only deletion is allowed, but found new scheduling gate 'b'"
        ]
    );
    // Gated pods may gain node selector entries.
    assert!(change(&old, |v| v["spec"]["nodeSelector"] = json!({"zone": "a"})).is_empty());
}

fn status_change(old: &Pod, edit: impl FnOnce(&mut Value)) -> Vec<String> {
    let mut v = serde_json::to_value(old).unwrap();
    edit(&mut v);
    let mut new: Pod = from_json(v);
    update_status(&PodStrategy, &mut new, old)
}

#[test]
fn status_updates() {
    let old =
        stored(json!({"containers": [{"name": "a", "image": "x"}], "restartPolicy": "Never"}));
    assert!(status_change(&old, |v| v["status"]["phase"] = json!("Running")).is_empty());
    assert_eq!(
        status_change(&old, |v| v["status"]["qosClass"] = json!("Guaranteed")),
        vec!["status.qosClass: Invalid value: \"Guaranteed\": field is immutable"]
    );
    // An empty QoS class keeps the stored one.
    assert!(status_change(&old, |v| v["status"]["qosClass"] = Value::Null).is_empty());
    assert_eq!(
        status_change(&old, |v| v["status"]["conditions"] =
            json!([{"type": "bad type", "status": "True"}]))
        .len(),
        1
    );
    assert_eq!(
        status_change(&old, |v| v["status"]["podIPs"] =
            json!([{"ip": "10.0.0.1"}, {"ip": "10.0.0.2"}]))[0],
        "status.podIPs: Invalid value: []interface {}{map[string]interface {}{\"ip\":\"10.0.0.1\"}, map[string]interface {}{\"ip\":\"10.0.0.2\"}}: may specify no more than one IP for each IP family"
    );
    let mut terminated = serde_json::to_value(&old).unwrap();
    terminated["status"]["containerStatuses"] = json!([{"name": "a", "image": "x", "imageID": "", "ready": false, "restartCount": 0,
        "state": {"terminated": {"exitCode": 0}}}]);
    let done: Pod = from_json(terminated);
    assert_eq!(
        status_change(&done, |v| v["status"]["containerStatuses"][0]["state"] =
            json!({"running": {}})),
        vec![
            "status.containerStatuses[0].state: Forbidden: may not be transitioned to non-terminated state"
        ]
    );
}

#[test]
fn status_ips_mirror_each_other() {
    let old = stored(base());
    let mut v = serde_json::to_value(&old).unwrap();
    v["status"]["podIP"] = json!("10.1.2.3");
    let mut new: Pod = from_json(v);
    assert!(update_status(&PodStrategy, &mut new, &old).is_empty());
    let st = new.status.unwrap();
    assert_eq!(st.pod_ips.unwrap()[0].ip, "10.1.2.3");
    let _ = PodStrategy.selectable_fields();
}

#[test]
fn stored_pods_compare_with_their_defaults() {
    let old = stored(base());
    // What admission adds after the strategy ran: the service account name alone.
    let mut v = serde_json::to_value(&old).unwrap();
    v["spec"]["serviceAccountName"] = json!("default");
    let admitted: Pod = from_json(v);
    let mut labelled = admitted.clone();
    labelled.metadata.labels = Some([("a".to_string(), "b".to_string())].into());
    assert!(update(&PodStrategy, &mut labelled, &admitted).is_empty());
    assert_eq!(
        labelled.spec.unwrap().service_account.as_deref(),
        Some("default")
    );
}
