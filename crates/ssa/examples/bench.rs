//! Rough timings of the hot paths: `cargo run --release -p capstan-ssa --example bench`.

use std::hint::black_box;
use std::sync::Arc;
use std::time::Instant;

use capstan_ssa::{
    Context, FieldSet, ManagedFields, Manager, Operation, Schema, TypeSet, apply, update,
};
use serde_json::{Value, json};

fn pod(name: &str) -> Value {
    let container = |n: &str| {
        json!({
            "name": n, "image": "registry.example/app:1.2.3", "imagePullPolicy": "IfNotPresent",
            "args": ["--port=8080", "--verbose"],
            "env": [{"name": "A", "value": "1"}, {"name": "B", "value": "2"},
                    {"name": "POD", "valueFrom": {"fieldRef": {"apiVersion": "v1", "fieldPath": "metadata.name"}}}],
            "ports": [{"containerPort": 8080, "name": "http", "protocol": "TCP"}],
            "resources": {"limits": {"cpu": "500m", "memory": "128Mi"}, "requests": {"cpu": "100m", "memory": "64Mi"}},
            "volumeMounts": [{"mountPath": "/var/run/secrets/kubernetes.io/serviceaccount", "name": "kube-api-access", "readOnly": true}],
            "terminationMessagePath": "/dev/termination-log", "terminationMessagePolicy": "File"
        })
    };
    json!({
        "apiVersion": "v1", "kind": "Pod",
        "metadata": {"name": name, "generateName": "web-7d9f-", "namespace": "default",
            "labels": {"app": "web", "pod-template-hash": "7d9f"},
            "ownerReferences": [{"apiVersion": "apps/v1", "kind": "ReplicaSet", "name": "web-7d9f", "uid": "1b2c", "controller": true, "blockOwnerDeletion": true}]},
        "spec": {
            "containers": [container("app"), container("sidecar")],
            "volumes": [{"name": "kube-api-access", "projected": {"defaultMode": 420, "sources": [
                {"serviceAccountToken": {"expirationSeconds": 3607, "path": "token"}}]}}],
            "restartPolicy": "Always", "terminationGracePeriodSeconds": 30, "dnsPolicy": "ClusterFirst",
            "serviceAccountName": "default", "serviceAccount": "default", "securityContext": {},
            "schedulerName": "default-scheduler", "enableServiceLinks": true, "preemptionPolicy": "PreemptLowerPriority",
            "priority": 0,
            "tolerations": [{"effect": "NoExecute", "key": "node.kubernetes.io/not-ready", "operator": "Exists", "tolerationSeconds": 300}]
        },
        "status": {"phase": "Pending", "qosClass": "Burstable"}
    })
}

fn time<T>(label: &str, iterations: u32, mut f: impl FnMut() -> T) {
    for _ in 0..iterations / 10 {
        black_box(f());
    }
    let start = Instant::now();
    for _ in 0..iterations {
        black_box(f());
    }
    let per = start.elapsed() / iterations;
    println!("{label:<58} {:>9.1} µs", per.as_secs_f64() * 1e6);
}

fn main() {
    let definitions = capstan_openapi::builtin_definitions();
    let start = Instant::now();
    let types = Arc::new(TypeSet::from_definitions(definitions.iter()));
    println!("compile built-in definitions: {:?}", start.elapsed());

    let pod_schema = Schema::named(&types, "io.k8s.api.core.v1.Pod").unwrap();
    let status = FieldSet::from_field_paths(&[&["status"]]);
    let spec = FieldSet::from_field_paths(&[&["spec"]]);
    let now = "2024-05-06T07:08:09Z";
    let create = Context {
        schema: &pod_schema,
        now,
        ignored: Some(&status),
        kind: "Pod",
    };
    let controller = Manager::new("kube-controller-manager", Operation::Update, "v1", "");
    let new = pod("web-7d9f-abcde");
    let none = ManagedFields::new();

    time("pod create (update, no live object)", 20_000, || {
        update(None, &new, &none, &controller, &create).unwrap()
    });
    let managed = update(None, &new, &none, &controller, &create).unwrap();
    time("  + encode managedFields as a Value", 20_000, || {
        managed.to_value()
    });
    time("  + encode managedFields as exact JSON", 20_000, || {
        managed.to_json()
    });
    let mut live = new.clone();
    managed.write_to(&mut live);
    live["metadata"]["uid"] = json!("u1");
    time("  decode managedFields of the stored pod", 20_000, || {
        ManagedFields::from_object(&live).unwrap()
    });

    let mut scheduled = live.clone();
    scheduled["spec"]["nodeName"] = json!("node-1");
    let scheduler = Manager::new("kube-scheduler", Operation::Update, "v1", "");
    time("pod update: scheduler sets spec.nodeName", 20_000, || {
        let managed = ManagedFields::for_update(Some(&live), &scheduled, false);
        update(Some(&live), &scheduled, &managed, &scheduler, &create).unwrap()
    });

    let kubelet_ctx = Context {
        schema: &pod_schema,
        now,
        ignored: Some(&spec),
        kind: "Pod",
    };
    let mut running = live.clone();
    running["status"] = json!({"phase": "Running", "qosClass": "Burstable", "podIP": "10.0.0.7",
        "conditions": [{"type": "Ready", "status": "True"}, {"type": "Initialized", "status": "True"}],
        "containerStatuses": [{"name": "app", "ready": true, "restartCount": 0, "image": "x", "imageID": "y",
            "state": {"running": {"startedAt": now}}}]});
    let kubelet = Manager::new("kubelet", Operation::Update, "v1", "status");
    time("pod status update by kubelet (subresource)", 20_000, || {
        let managed = ManagedFields::for_update(Some(&live), &running, true);
        update(Some(&live), &running, &managed, &kubelet, &kubelet_ctx).unwrap()
    });

    let deploy = Schema::named(&types, "io.k8s.api.apps.v1.Deployment").unwrap();
    let deploy_ctx = Context {
        schema: &deploy,
        now,
        ignored: Some(&status),
        kind: "Deployment",
    };
    let config = json!({"apiVersion": "apps/v1", "kind": "Deployment",
        "metadata": {"name": "web", "namespace": "default", "labels": {"app": "web"}},
        "spec": {"replicas": 3, "selector": {"matchLabels": {"app": "web"}},
            "template": {"metadata": {"labels": {"app": "web"}}, "spec": pod("x")["spec"].clone()}}});
    let kubectl = Manager::new("kubectl", Operation::Apply, "apps/v1", "");
    time("deployment apply (create)", 5_000, || {
        apply(None, &config, &none, &kubectl, false, &deploy_ctx).unwrap()
    });
    let (applied, managed) = apply(None, &config, &none, &kubectl, false, &deploy_ctx).unwrap();
    time("deployment re-apply (no-op)", 5_000, || {
        apply(
            Some(&applied),
            &config,
            &managed,
            &kubectl,
            false,
            &deploy_ctx,
        )
        .unwrap()
    });
}
