mod common;

use capstan_ssa::{ManagedFields, Operation, update};
use common::*;
use serde_json::json;

/// `kubectl create deployment crud --image=x` as the API server holds it
/// after decoding and defaulting.
fn created_deployment() -> serde_json::Value {
    json!({
        "apiVersion": "apps/v1", "kind": "Deployment",
        "metadata": {"name": "crud", "namespace": "default", "labels": {"app": "crud"}, "creationTimestamp": null},
        "spec": {
            "replicas": 1,
            "selector": {"matchLabels": {"app": "crud"}},
            "template": {
                "metadata": {"labels": {"app": "crud"}, "creationTimestamp": null},
                "spec": {
                    "containers": [{
                        "name": "crud-sha256-1", "image": "x", "resources": {},
                        "terminationMessagePath": "/dev/termination-log",
                        "terminationMessagePolicy": "File", "imagePullPolicy": "Always"
                    }],
                    "restartPolicy": "Always", "terminationGracePeriodSeconds": 30,
                    "dnsPolicy": "ClusterFirst", "securityContext": {}, "schedulerName": "default-scheduler"
                }
            },
            "strategy": {"type": "RollingUpdate", "rollingUpdate": {"maxUnavailable": "25%", "maxSurge": "25%"}},
            "revisionHistoryLimit": 10, "progressDeadlineSeconds": 600
        },
        "status": {}
    })
}

#[test]
fn kubectl_create_deployment_matches_upstream_shape() {
    let schema = deployment();
    let status = capstan_ssa::FieldSet::from_field_paths(&[&["status"]]);
    let ctx = ctx(&schema, "Deployment", NOW, Some(&status));
    let managed = update(
        None,
        &created_deployment(),
        &ManagedFields::new(),
        &updater("kubectl-create", "apps/v1"),
        &ctx,
    )
    .unwrap();
    let expected = json!({
        "f:metadata": {"f:labels": {".": {}, "f:app": {}}},
        "f:spec": {
            "f:progressDeadlineSeconds": {}, "f:replicas": {}, "f:revisionHistoryLimit": {}, "f:selector": {},
            "f:strategy": {"f:rollingUpdate": {".": {}, "f:maxSurge": {}, "f:maxUnavailable": {}}, "f:type": {}},
            "f:template": {
                "f:metadata": {"f:labels": {".": {}, "f:app": {}}},
                "f:spec": {
                    "f:containers": {"k:{\"name\":\"crud-sha256-1\"}": {
                        ".": {}, "f:image": {}, "f:imagePullPolicy": {}, "f:name": {}, "f:resources": {},
                        "f:terminationMessagePath": {}, "f:terminationMessagePolicy": {}
                    }},
                    "f:dnsPolicy": {}, "f:restartPolicy": {}, "f:schedulerName": {}, "f:securityContext": {},
                    "f:terminationGracePeriodSeconds": {}
                }
            }
        }
    });
    assert_eq!(
        fields_v1(&managed, "kubectl-create", Operation::Update),
        expected
    );
    let entry = &managed.entries()[0];
    assert_eq!(entry.api_version, "apps/v1");
    assert_eq!(entry.time.as_deref(), Some(NOW));
    assert_eq!(managed.to_value()[0]["fieldsType"], "FieldsV1");
    assert_eq!(managed.to_value()[0]["operation"], "Update");
}

fn labeled(labels: serde_json::Value) -> serde_json::Value {
    json!({"apiVersion": "apps/v1", "kind": "Deployment",
        "metadata": {"name": "nginx", "namespace": "default", "uid": "u1", "labels": labels},
        "spec": {"replicas": 1}})
}

fn record(
    live: Option<&serde_json::Value>,
    new: &serde_json::Value,
    manager: &str,
    now: &str,
) -> ManagedFields {
    let schema = deployment();
    let context = ctx(&schema, "Deployment", now, None);
    let managed = match live {
        Some(live) => ManagedFields::for_update(Some(live), new, false),
        None => ManagedFields::from_object(new).unwrap(),
    };
    update(live, new, &managed, &updater(manager, "apps/v1"), &context).unwrap()
}

fn with(mut object: serde_json::Value, managed: &ManagedFields) -> serde_json::Value {
    managed.write_to(&mut object);
    object
}

#[test]
fn time_changes_only_when_the_manager_changes_something() {
    let created = with(
        labeled(json!({"a": "1"})),
        &record(None, &labeled(json!({"a": "1"})), "creator", NOW),
    );
    let same = record(Some(&created), &created, "creator", LATER);
    assert_eq!(same, ManagedFields::from_object(&created).unwrap());
    let changed = record(
        Some(&created),
        &labeled(json!({"a": "2"})),
        "creator",
        LATER,
    );
    assert_eq!(changed.entries()[0].time.as_deref(), Some(LATER));
}

#[test]
fn one_entry_per_manager_and_version() {
    let created = with(
        labeled(json!({"a": "1"})),
        &record(None, &labeled(json!({"a": "1"})), "creator", NOW),
    );
    let first = with(
        labeled(json!({"a": "1", "b": "1"})),
        &record(
            Some(&created),
            &labeled(json!({"a": "1", "b": "1"})),
            "editor",
            NOW,
        ),
    );
    let managed = record(
        Some(&first),
        &labeled(json!({"a": "1", "b": "1", "c": "1"})),
        "editor",
        LATER,
    );
    assert_eq!(managed.entries().len(), 2);
    assert_eq!(
        owned(&managed, "editor", Operation::Update),
        [".metadata.labels.b", ".metadata.labels.c"]
    );
    // The same manager writing another version gets its own entry.
    let schema = deployment();
    let context = ctx(&schema, "Deployment", LATER, None);
    let next = with(labeled(json!({"a": "1", "b": "1", "c": "1"})), &managed);
    let other = update(
        Some(&next),
        &labeled(json!({"a": "1", "b": "1", "c": "1", "d": "1"})),
        &managed,
        &updater("editor", "apps/v1beta2"),
        &context,
    )
    .unwrap();
    assert_eq!(other.entries().len(), 3);
}

#[test]
fn changed_and_removed_fields_leave_other_managers() {
    let created = with(
        labeled(json!({"a": "1", "b": "1"})),
        &record(None, &labeled(json!({"a": "1", "b": "1"})), "creator", NOW),
    );
    let managed = record(Some(&created), &labeled(json!({"a": "2"})), "editor", LATER);
    assert_eq!(
        owned(&managed, "creator", Operation::Update),
        [".metadata.labels", ".spec.replicas"]
    );
    assert_eq!(
        owned(&managed, "editor", Operation::Update),
        [".metadata.labels.a"]
    );
}

#[test]
fn existing_objects_without_managed_fields_stay_untracked() {
    let live = labeled(json!({"a": "1"}));
    let managed = record(Some(&live), &labeled(json!({"a": "2"})), "editor", NOW);
    assert!(managed.is_empty());
}

#[test]
fn requests_may_replace_or_reset_managed_fields() {
    let created = with(
        labeled(json!({"a": "1"})),
        &record(None, &labeled(json!({"a": "1"})), "creator", NOW),
    );
    let mut request = labeled(json!({"a": "1"}));
    // No managedFields in the request: the live ones are kept.
    assert_eq!(
        ManagedFields::for_update(Some(&created), &request, false),
        ManagedFields::from_object(&created).unwrap()
    );
    for reset in [json!([]), json!([{}])] {
        request["metadata"]["managedFields"] = reset;
        assert!(ManagedFields::for_update(Some(&created), &request, false).is_empty());
        // Subresources never take them from the request.
        assert!(!ManagedFields::for_update(Some(&created), &request, true).is_empty());
    }
    request["metadata"]["managedFields"] = json!([{"manager": "x", "operation": "Bogus", "apiVersion": "v1", "fieldsType": "FieldsV1"}]);
    assert_eq!(
        ManagedFields::for_update(Some(&created), &request, false),
        ManagedFields::from_object(&created).unwrap()
    );
    request["metadata"]["managedFields"] = json!([{"manager": "x", "operation": "Update", "apiVersion": "apps/v1", "fieldsType": "FieldsV1", "fieldsV1": {"f:spec": {"f:replicas": {}}}}]);
    let taken = ManagedFields::for_update(Some(&created), &request, false);
    assert_eq!(owned(&taken, "x", Operation::Update), [".spec.replicas"]);
}

#[test]
fn updaters_beyond_ten_fold_into_ancient_changes() {
    let mut labels = serde_json::Map::new();
    let mut live: Option<serde_json::Value> = None;
    for i in 0..11 {
        labels.insert(format!("k{i}"), json!("v"));
        let new = labeled(serde_json::Value::Object(labels.clone()));
        let time = capstan_ssa::format_rfc3339(1_700_000_000 + i * 60);
        let mut new_with_fields = new.clone();
        if let Some(live) = &live {
            new_with_fields["metadata"]["managedFields"] =
                live["metadata"]["managedFields"].clone();
        }
        let managed = record(live.as_ref(), &new_with_fields, &format!("m{i}"), &time);
        live = Some(with(new, &managed));
    }
    let managed = ManagedFields::from_object(live.as_ref().unwrap()).unwrap();
    assert_eq!(managed.entries().len(), 10);
    let ancient = managed
        .find("ancient-changes", Operation::Update)
        .expect("bucket");
    // m0 created the object; m1 added k1; both are folded at m1's time.
    assert_eq!(
        ancient.fields.paths(),
        [
            ".metadata.labels",
            ".metadata.labels.k0",
            ".metadata.labels.k1",
            ".spec.replicas"
        ]
    );
    assert_eq!(ancient.time.as_deref(), Some("2023-11-14T22:14:20Z"));
    assert!(managed.find("m0", Operation::Update).is_none());
    assert!(managed.find("m1", Operation::Update).is_none());
    assert!(managed.find("m2", Operation::Update).is_some());
}

#[test]
fn entries_sort_applies_first_then_by_time_and_name() {
    let schema = deployment();
    let early = ctx(&schema, "Deployment", NOW, None);
    let late = ctx(&schema, "Deployment", LATER, None);
    let base = labeled(json!({"a": "1"}));
    let m1 = update(
        None,
        &base,
        &ManagedFields::new(),
        &updater("zed", "apps/v1"),
        &early,
    )
    .unwrap();
    let o1 = with(base.clone(), &m1);
    let m2 = update(
        Some(&o1),
        &labeled(json!({"a": "1", "b": "1"})),
        &m1,
        &updater("amy", "apps/v1"),
        &late,
    )
    .unwrap();
    let o2 = with(labeled(json!({"a": "1", "b": "1"})), &m2);
    let config = json!({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "nginx", "labels": {"c": "1"}}});
    let (_, m3) = capstan_ssa::apply(
        Some(&o2),
        &config,
        &m2,
        &applier("zz-apply", "apps/v1"),
        false,
        &late,
    )
    .unwrap();
    let order: Vec<&str> = m3.entries().iter().map(|e| e.manager.as_str()).collect();
    assert_eq!(order, ["zz-apply", "zed", "amy"]);
}

#[test]
fn exact_bytes_follow_go_field_order() {
    let object = json!({"apiVersion": "v1", "kind": "Service", "metadata": {"name": "s"},
        "spec": {"ports": [{"port": 443, "protocol": "TCP"}, {"port": 80, "protocol": "TCP"}]}});
    let schema = common::schema("io.k8s.api.core.v1.Service");
    let context = ctx(&schema, "Service", NOW, None);
    let managed = update(
        None,
        &object,
        &ManagedFields::new(),
        &updater("kubectl-create", "v1"),
        &context,
    )
    .unwrap();
    assert_eq!(
        managed.to_json(),
        concat!(
            r#"[{"manager":"kubectl-create","operation":"Update","apiVersion":"v1","time":"2024-05-06T07:08:09Z","fieldsType":"FieldsV1","#,
            r#""fieldsV1":{"f:spec":{"f:ports":{".":{},"k:{\"port\":80,\"protocol\":\"TCP\"}":{".":{},"f:port":{},"f:protocol":{}},"#,
            r#""k:{\"port\":443,\"protocol\":\"TCP\"}":{".":{},"f:port":{},"f:protocol":{}}}}}}]"#
        )
    );
}

#[test]
fn status_writes_are_recorded_per_subresource() {
    let schema = common::schema("io.k8s.api.core.v1.Pod");
    let spec_reset = capstan_ssa::FieldSet::from_field_paths(&[&["spec"]]);
    let context = ctx(&schema, "Pod", LATER, Some(&spec_reset));
    let pod = json!({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p", "uid": "u"},
        "spec": {"containers": [{"name": "c", "image": "i"}]}, "status": {"phase": "Pending"}});
    let created = update(
        None,
        &pod,
        &ManagedFields::new(),
        &updater("kubectl-run", "v1"),
        &ctx(&schema, "Pod", NOW, None),
    )
    .unwrap();
    let live = with(pod.clone(), &created);
    let mut new = live.clone();
    new["status"] =
        json!({"phase": "Running", "conditions": [{"type": "Ready", "status": "True"}]});
    new["spec"]["containers"][0]["image"] = json!("ignored");
    let kubelet = capstan_ssa::Manager::new("kubelet", Operation::Update, "v1", "status");
    let managed = update(Some(&live), &new, &created, &kubelet, &context).unwrap();
    let entry = managed.find("kubelet", Operation::Update).unwrap();
    assert_eq!(entry.subresource, "status");
    assert_eq!(
        capstan_ssa::fields_v1_to_value(&entry.fields),
        json!({"f:status": {"f:conditions": {".": {}, "k:{\"type\":\"Ready\"}": {".": {}, "f:status": {}, "f:type": {}}}, "f:phase": {}}})
    );
    assert_eq!(managed.to_value()[1]["subresource"], "status");
}

#[test]
fn update_errors_carry_upstream_text() {
    let schema = deployment();
    let context = ctx(&schema, "Deployment", NOW, None);
    let bad = json!({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "d", "namespace": "ns"}, "spec": {"replicas": "x"}});
    let err = update(
        None,
        &bad,
        &ManagedFields::new(),
        &updater("m", "apps/v1"),
        &context,
    )
    .unwrap_err();
    assert_eq!(
        err.to_string(),
        "failed to convert new object (ns/d; apps/v1, Kind=Deployment) to smd typed: .spec.replicas: expected numeric (int or float), got string"
    );
}

#[test]
fn managers_without_a_name_are_unknown() {
    let managed = record(None, &labeled(json!({"a": "1"})), "", NOW);
    assert_eq!(managed.entries()[0].manager, "unknown");
}

#[test]
fn ownership_below_fields_that_became_atomic_collapses() {
    let object = labeled(json!({"a": "1"}));
    let mut live = object.clone();
    live["spec"]["selector"] = json!({"matchLabels": {"a": "1"}});
    live["metadata"]["managedFields"] = json!([{"manager": "old", "operation": "Update", "apiVersion": "apps/v1",
        "time": NOW, "fieldsType": "FieldsV1", "fieldsV1": {"f:spec": {"f:selector": {"f:matchLabels": {"f:a": {}}}}}}]);
    let mut new = live.clone();
    new["metadata"]["labels"]["b"] = json!("2");
    let managed = record(Some(&live), &new, "editor", LATER);
    assert_eq!(
        owned(&managed, "old", Operation::Update),
        [".spec.selector"]
    );
}
