use serde_json::{Value, json};

use super::*;
use crate::builtin::core::testutil::{create, from_json};

fn pod(spec: Value) -> Pod {
    from_json(json!({"metadata": {"name": "web", "namespace": "default"}, "spec": spec}))
}

fn nginx() -> Value {
    json!({"containers": [{"name": "nginx", "image": "nginx"}]})
}

fn created(spec: Value) -> (Pod, Vec<String>) {
    let mut p = pod(spec);
    let errs = create(&PodStrategy, &mut p);
    (p, errs)
}

#[test]
fn defaults_of_a_minimal_pod() {
    let (p, errs) = created(nginx());
    assert!(errs.is_empty(), "{errs:?}");
    let v = serde_json::to_value(&p).unwrap();
    let spec = &v["spec"];
    assert_eq!(spec["restartPolicy"], "Always");
    assert_eq!(spec["dnsPolicy"], "ClusterFirst");
    assert_eq!(spec["schedulerName"], "default-scheduler");
    assert_eq!(spec["terminationGracePeriodSeconds"], 30);
    assert_eq!(spec["securityContext"], json!({}));
    assert_eq!(spec["enableServiceLinks"], true);
    let c = &spec["containers"][0];
    assert_eq!(c["imagePullPolicy"], "Always");
    assert_eq!(c["terminationMessagePath"], "/dev/termination-log");
    assert_eq!(c["terminationMessagePolicy"], "File");
    assert_eq!(c["resources"], json!({}));
    assert_eq!(
        v["status"],
        json!({"phase": "Pending", "qosClass": "BestEffort"})
    );
}

#[test]
fn nested_defaults() {
    let (p, errs) = created(json!({
        "hostNetwork": true,
        "serviceAccount": "builder",
        "containers": [{
            "name": "app", "image": "app:1.2",
            "ports": [{"containerPort": 8080}],
            "env": [{"name": "NODE", "valueFrom": {"fieldRef": {"fieldPath": "spec.nodeName"}}}],
            "livenessProbe": {"httpGet": {"port": 8080}},
            "resources": {"limits": {"cpu": "500m", "memory": "128Mi"}}
        }],
        "volumes": [{"name": "scratch"}, {"name": "creds", "secret": {"secretName": "creds"}}]
    }));
    assert!(errs.is_empty(), "{errs:?}");
    let v = serde_json::to_value(&p).unwrap();
    let c = &v["spec"]["containers"][0];
    assert_eq!(c["imagePullPolicy"], "IfNotPresent");
    assert_eq!(
        c["ports"][0],
        json!({"containerPort": 8080, "hostPort": 8080, "protocol": "TCP"})
    );
    assert_eq!(c["env"][0]["valueFrom"]["fieldRef"]["apiVersion"], "v1");
    assert_eq!(
        c["livenessProbe"],
        json!({"httpGet": {"path": "/", "port": 8080, "scheme": "HTTP"}, "timeoutSeconds": 1,
               "periodSeconds": 10, "successThreshold": 1, "failureThreshold": 3})
    );
    assert_eq!(
        c["resources"]["requests"],
        json!({"cpu": "500m", "memory": "128Mi"})
    );
    assert_eq!(v["status"]["qosClass"], "Guaranteed");
    assert_eq!(v["spec"]["volumes"][0]["emptyDir"], json!({}));
    assert_eq!(v["spec"]["volumes"][1]["secret"]["defaultMode"], 420);
    assert_eq!(v["spec"]["serviceAccountName"], "builder");
}

#[test]
fn templates_get_spec_defaults_only() {
    let mut t: PodTemplateSpec = from_json(json!({"spec": nginx()}));
    default_pod_template_spec(&mut t);
    let spec = t.spec.unwrap();
    assert_eq!(spec.restart_policy.as_deref(), Some("Always"));
    assert_eq!(spec.enable_service_links, None);
}

#[test]
fn container_rules() {
    let cases = [
        (json!({"containers": []}), "spec.containers: Required value"),
        (
            json!({"containers": [{"image": "x"}]}),
            "spec.containers[0].name: Required value",
        ),
        (
            json!({"containers": [{"name": "a"}]}),
            "spec.containers[0].image: Required value",
        ),
        (
            json!({"containers": [{"name": "a", "image": "x"}], "initContainers": [{"name": "a", "image": "x"}]}),
            "spec.initContainers[0].name: Duplicate value: \"a\"",
        ),
        (
            json!({"containers": [{"name": "a", "image": "x", "ports": [{"containerPort": 0}]}]}),
            "spec.containers[0].ports[0].containerPort: Required value",
        ),
        (
            json!({"containers": [{"name": "a", "image": "x", "ports": [{"containerPort": 70000}]}]}),
            "spec.containers[0].ports[0].containerPort: Invalid value: 70000: must be between 1 and 65535, inclusive",
        ),
        (
            json!({"containers": [{"name": "a", "image": "x", "ports": [{"containerPort": 80, "protocol": "HTTP"}]}]}),
            "spec.containers[0].ports[0].protocol: Unsupported value: \"HTTP\": supported values: \"SCTP\", \"TCP\", \"UDP\"",
        ),
        (
            json!({"containers": [{"name": "a", "image": "x", "volumeMounts": [{"name": "data", "mountPath": "/data"}]}]}),
            "spec.containers[0].volumeMounts[0].name: Not found: \"data\"",
        ),
        (
            json!({"containers": [{"name": "a", "image": "x", "resources": {"requests": {"cpu": "2"}, "limits": {"cpu": "1"}}}]}),
            "spec.containers[0].resources.requests: Invalid value: \"2\": must be less than or equal to cpu limit of 1",
        ),
        (
            json!({"containers": [{"name": "a", "image": "x", "env": [{"name": "A=B"}]}]}),
            "spec.containers[0].env[0].name: Invalid value: \"A=B\": a valid environment variable name must consist only of printable ASCII characters other than '='",
        ),
        (
            json!({"containers": [{"name": "a", "image": "x", "restartPolicy": "Always"}]}),
            "spec.containers[0].restartPolicy: Forbidden: may not be set for non-init containers",
        ),
    ];
    for (spec, want) in cases {
        let (_, errs) = created(spec);
        assert_eq!(errs, vec![want.to_string()]);
    }
}

#[test]
fn container_name_format() {
    let (_, errs) = created(json!({"containers": [{"name": "Web_1", "image": "x"}]}));
    assert_eq!(errs.len(), 1);
    assert!(errs[0].starts_with(
        "spec.containers[0].name: Invalid value: \"Web_1\": a lowercase RFC 1123 label"
    ));
}

#[test]
fn probe_and_lifecycle_rules() {
    let probe = |p: Value| json!({"containers": [{"name": "a", "image": "x", "livenessProbe": p}]});
    let (_, errs) = created(probe(
        json!({"exec": {"command": ["true"]}, "tcpSocket": {"port": 80}}),
    ));
    assert_eq!(
        errs,
        vec![
            "spec.containers[0].livenessProbe.tcpSocket: Forbidden: may not specify more than 1 handler type"
        ]
    );
    let (_, errs) = created(probe(json!({"exec": {}})));
    assert_eq!(
        errs,
        vec!["spec.containers[0].livenessProbe.exec.command: Required value"]
    );
    let (_, errs) = created(probe(json!({"periodSeconds": 5})));
    assert_eq!(
        errs,
        vec!["spec.containers[0].livenessProbe: Required value: must specify a handler type"]
    );
    let (_, errs) = created(probe(
        json!({"exec": {"command": ["true"]}, "successThreshold": 2}),
    ));
    assert_eq!(
        errs,
        vec!["spec.containers[0].livenessProbe.successThreshold: Invalid value: 2: must be 1"]
    );
    let (_, errs) = created(
        json!({"containers": [{"name": "a", "image": "x", "lifecycle": {"preStop": {"sleep": {"seconds": 60}}}}]}),
    );
    assert_eq!(
        errs,
        vec![
            "spec.containers[0].lifecycle.preStop.sleep: Invalid value: 60: must be non-negative and less than terminationGracePeriodSeconds (30)"
        ]
    );
}

#[test]
fn init_containers_and_sidecars() {
    let probe = json!({"exec": {"command": ["true"]}});
    let (_, errs) = created(json!({"containers": [{"name": "a", "image": "x"}],
        "initContainers": [{"name": "init", "image": "x", "readinessProbe": probe}]}));
    assert_eq!(
        errs,
        vec![
            "spec.initContainers[0].readinessProbe: Forbidden: may not be set for init containers without restartPolicy=Always"
        ]
    );
    let (_, errs) = created(json!({"containers": [{"name": "a", "image": "x"}],
        "initContainers": [{"name": "proxy", "image": "x", "restartPolicy": "Always", "readinessProbe": probe}]}));
    assert!(errs.is_empty(), "{errs:?}");
    let (_, errs) = created(json!({"containers": [{"name": "a", "image": "x"}],
        "initContainers": [{"name": "init", "image": "x", "restartPolicy": "OnFailure"}]}));
    assert_eq!(
        errs,
        vec![
            "spec.initContainers[0].restartPolicy: Unsupported value: \"OnFailure\": supported values: \"Always\""
        ]
    );
}

#[test]
fn pod_level_rules() {
    let qualified = capstan_apimachinery::validation::is_qualified_name("");
    let with = |extra: Value| {
        let mut spec = nginx();
        for (k, v) in extra.as_object().unwrap() {
            spec[k] = v.clone();
        }
        created(spec).1
    };
    assert_eq!(
        with(json!({"restartPolicy": "Sometimes"})),
        vec![
            "spec.restartPolicy: Unsupported value: \"Sometimes\": supported values: \"Always\", \"OnFailure\", \"Never\""
        ]
    );
    assert_eq!(
        with(json!({"dnsPolicy": "Cluster"})),
        vec![
            "spec.dnsPolicy: Unsupported value: \"Cluster\": supported values: \"ClusterFirstWithHostNet\", \"ClusterFirst\", \"Default\", \"None\""
        ]
    );
    assert_eq!(
        with(json!({"activeDeadlineSeconds": 0})),
        vec![
            "spec.activeDeadlineSeconds: Invalid value: 0: must be between 1 and 2147483647, inclusive"
        ]
    );
    assert_eq!(
        with(json!({"dnsPolicy": "None"})),
        vec!["spec.dnsConfig: Required value: must provide `dnsConfig` when `dnsPolicy` is None"]
    );
    assert_eq!(
        with(json!({"tolerations": [{"key": "k", "operator": "Exists", "value": "v"}]})),
        vec![
            "spec.tolerations[0].operator: Invalid value: \"v\": value must be empty when `operator` is 'Exists'"
        ]
    );
    assert_eq!(
        with(
            json!({"tolerations": [{"key": "k", "value": "v", "effect": "NoSchedule", "tolerationSeconds": 10}]})
        ),
        vec![
            "spec.tolerations[0].effect: Invalid value: \"NoSchedule\": effect must be 'NoExecute' when `tolerationSeconds` is set"
        ]
    );
    assert_eq!(
        with(
            json!({"affinity": {"nodeAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": {"nodeSelectorTerms": []}}}})
        ),
        vec![
            "spec.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms: Required value: must have at least one node selector term"
        ]
    );
    assert_eq!(
        with(json!({"affinity": {"podAntiAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": [{"labelSelector": {}}]}}})),
        vec![
            "spec.affinity.podAntiAffinity.requiredDuringSchedulingIgnoredDuringExecution[0].topologyKey: Required value: can not be empty".to_string(),
            format!("spec.affinity.podAntiAffinity.requiredDuringSchedulingIgnoredDuringExecution[0].topologyKey: Invalid value: \"\": {}", qualified[0]),
            format!("spec.affinity.podAntiAffinity.requiredDuringSchedulingIgnoredDuringExecution[0].topologyKey: Invalid value: \"\": {}", qualified[1]),
        ]
    );
    assert_eq!(
        with(
            json!({"topologySpreadConstraints": [{"maxSkew": 0, "topologyKey": "zone", "whenUnsatisfiable": "DoNotSchedule"}]})
        ),
        vec![
            "spec.topologySpreadConstraints[0].maxSkew: Invalid value: 0: must be greater than zero"
        ]
    );
    assert_eq!(
        with(json!({"volumes": [{"name": "v", "emptyDir": {}, "hostPath": {"path": "/x"}}]})),
        vec!["spec.volumes[0].hostPath: Forbidden: may not specify more than 1 volume type"]
    );
    assert_eq!(
        with(json!({"ephemeralContainers": [{"name": "debug", "image": "busybox"}]})),
        vec!["spec.ephemeralContainers: Forbidden: cannot be set on create"]
    );
    assert_eq!(
        with(json!({"nodeName": "n1", "schedulingGates": [{"name": "example.com/gate"}]})),
        vec!["spec.nodeName: Forbidden: cannot be set until all schedulingGates have been cleared"]
    );
}

#[test]
fn scheduling_gates_add_a_condition() {
    let (p, errs) = created(
        json!({"containers": [{"name": "a", "image": "x"}], "schedulingGates": [{"name": "g"}]}),
    );
    assert!(errs.is_empty());
    let c = &p.status.unwrap().conditions.unwrap()[0];
    assert_eq!(
        (c.type_.as_str(), c.status.as_str()),
        ("PodScheduled", "False")
    );
    assert_eq!(c.reason.as_deref(), Some("SchedulingGated"));
}

#[test]
fn match_label_keys_merge_into_selectors() {
    let mut p: Pod = from_json(
        json!({"metadata": {"name": "a", "labels": {"app": "web"}}, "spec": {
        "containers": [{"name": "a", "image": "x"}],
        "affinity": {"podAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": [
            {"topologyKey": "zone", "labelSelector": {}, "matchLabelKeys": ["app"]}]}}}}),
    );
    assert!(create(&PodStrategy, &mut p).is_empty());
    let term = &p
        .spec
        .unwrap()
        .affinity
        .unwrap()
        .pod_affinity
        .unwrap()
        .required_during_scheduling_ignored_during_execution
        .unwrap()[0];
    let expr = &term
        .label_selector
        .as_ref()
        .unwrap()
        .match_expressions
        .as_ref()
        .unwrap()[0];
    assert_eq!((expr.key.as_str(), expr.operator.as_str()), ("app", "In"));
}

#[test]
fn warnings_on_create() {
    let mut p: Pod = from_json(json!({"metadata": {"name": "web.v1"}, "spec": {
        "containers": [{"name": "a", "image": "x", "env": [{"name": "A", "value": "1"}, {"name": "A", "value": "2"}]}],
        "nodeSelector": {"beta.kubernetes.io/os": "linux"}}}));
    PodStrategy.prepare_for_create(&mut p);
    let w = PodStrategy.warnings(&p);
    assert_eq!(
        w[0],
        "metadata.name: this is used in the Pod's hostname, which can result in surprising behavior; a DNS label is recommended: [must not contain dots]"
    );
    assert!(w.contains(&"spec.nodeSelector[beta.kubernetes.io/os]: deprecated since v1.14; use \"kubernetes.io/os\" instead".to_string()));
    assert!(w.contains(&"spec.containers[0].env[1]: hides previous definition of \"A\", which may be dropped when using apply".to_string()));
    p.metadata.resource_version = Some("5".into());
    assert!(PodStrategy.warnings(&p).is_empty());
}

#[test]
fn template_validation_paths() {
    let t: PodTemplateSpec = from_json(
        json!({"metadata": {"labels": {"a": "b c"}}, "spec": {"containers": [{"name": "a", "image": "x"}]}}),
    );
    let mut t2 = t.clone();
    default_pod_template_spec(&mut t2);
    let errs = validate_pod_template_spec(&t2, &Path::new("spec").child("template"));
    assert_eq!(errs.len(), 1);
    assert_eq!(errs[0].field, "spec.template.labels");
    let w = pod_template_warnings(&t2, &Path::new("spec").child("template"));
    assert!(w.is_empty());
}
