//! Realistic objects, encoded by hand the way Go's marshaller writes them, decoded to
//! the exact JSON a JSON client would send.

use serde_json::json;

use super::encoder::{Enc, body, object_meta};
use crate::decode_object;

fn quantity(text: &str) -> Enc {
    Enc::new().string(1, text)
}

fn int_port(port: i64) -> Enc {
    Enc::new().int(1, 0).int(2, port).string(3, "")
}

fn named_port(name: &str) -> Enc {
    Enc::new().int(1, 1).int(2, 0).string(3, name)
}

#[test]
fn config_map_with_data_and_binary_data() {
    let object = Enc::new()
        .msg(
            1,
            object_meta("settings", "default").entry(11, "app", "web"),
        )
        .entry(2, "log.level", "debug")
        .entry(2, "empty", "")
        .msg(
            3,
            Enc::new()
                .string(1, "blob")
                .bytes(2, &[0, 1, 2, 0xfe, 0xff]),
        )
        .boolean(4, false);
    let decoded = decode_object(&body("v1", "ConfigMap", object)).unwrap();
    assert_eq!(
        decoded,
        json!({
            "kind": "ConfigMap",
            "apiVersion": "v1",
            "metadata": {
                "name": "settings",
                "namespace": "default",
                "creationTimestamp": null,
                "labels": {"app": "web"}
            },
            "data": {"log.level": "debug", "empty": ""},
            "binaryData": {"blob": "AAEC/v8="},
            // A pointer present on the wire is kept even when false.
            "immutable": false
        })
    );
}

#[test]
fn secret_data_is_base64_and_string_data_plain() {
    let object = Enc::new()
        .msg(1, object_meta("creds", ""))
        .msg(2, Enc::new().string(1, "password").bytes(2, b"s3cr3t!"))
        .string(3, "Opaque")
        .entry(4, "user", "admin");
    let decoded = decode_object(&body("v1", "Secret", object)).unwrap();
    assert_eq!(
        decoded,
        json!({
            "kind": "Secret",
            "apiVersion": "v1",
            "metadata": {"name": "creds", "creationTimestamp": null},
            "data": {"password": "czNjcjN0IQ=="},
            "type": "Opaque",
            "stringData": {"user": "admin"}
        })
    );
}

fn web_container() -> Enc {
    let resources = Enc::new()
        .entry_msg(1, "cpu", quantity("500m"))
        .entry_msg(1, "memory", quantity("128Mi"))
        .entry_msg(2, "cpu", quantity("250m"));
    let secret_env = Enc::new().msg(
        4,
        Enc::new()
            .msg(1, Enc::new().string(1, "db"))
            .string(2, "password"),
    );
    let liveness = Enc::new()
        .msg(
            1,
            Enc::new().msg(
                2,
                Enc::new()
                    .string(1, "/healthz")
                    .msg(2, named_port("http"))
                    .string(3, "")
                    .string(4, "HTTP"),
            ),
        )
        .int(2, 5)
        .int(3, 1)
        .int(4, 10)
        .int(5, 1)
        .int(6, 3);
    let readiness = Enc::new()
        .msg(
            1,
            Enc::new().msg(3, Enc::new().msg(1, int_port(8080)).string(2, "")),
        )
        .int(2, 0)
        .int(3, 0)
        .int(4, 0)
        .int(5, 0)
        .int(6, 0);
    Enc::new()
        .string(1, "web")
        .string(2, "nginx:1.25")
        .string(4, "--port=8080")
        .string(5, "")
        .msg(
            6,
            Enc::new()
                .string(1, "http")
                .int(2, 0)
                .int(3, 8080)
                .string(4, "TCP")
                .string(5, ""),
        )
        .msg(7, Enc::new().string(1, "MODE").string(2, "prod"))
        .msg(
            7,
            Enc::new()
                .string(1, "DB_PASSWORD")
                .string(2, "")
                .msg(3, secret_env),
        )
        .msg(8, resources)
        .msg(10, liveness)
        .msg(11, readiness)
        .string(13, "/dev/termination-log")
        .string(14, "IfNotPresent")
        .boolean(16, false)
        .boolean(17, false)
        .boolean(18, false)
        .string(20, "File")
}

#[test]
fn deployment_with_pod_template() {
    let labels = || Enc::new().entry(1, "app", "web");
    let template = Enc::new()
        .msg(1, object_meta("", "").entry(11, "app", "web"))
        .msg(
            2,
            Enc::new()
                .msg(2, web_container())
                .string(3, "Always")
                .int(4, 30)
                .string(6, "ClusterFirst")
                .boolean(11, false)
                .boolean(12, false)
                .boolean(13, false)
                .msg(14, Enc::new().int(2, 1000).boolean(3, true)),
        );
    let strategy = Enc::new()
        .string(1, "RollingUpdate")
        .msg(2, Enc::new().msg(1, named_port("25%")).msg(2, int_port(1)));
    let spec = Enc::new()
        .int(1, 3)
        .msg(2, labels())
        .msg(3, template)
        .msg(4, strategy)
        .int(5, 0)
        .int(6, 10)
        .boolean(7, false)
        .int(9, 600);
    let object = Enc::new()
        .msg(1, object_meta("web", "prod").entry(11, "app", "web"))
        .msg(2, spec)
        .msg(
            3,
            Enc::new()
                .int(1, 0)
                .int(2, 0)
                .int(3, 0)
                .int(4, 0)
                .int(5, 0)
                .int(7, 0),
        );
    let decoded = decode_object(&body("apps/v1", "Deployment", object)).unwrap();
    assert_eq!(
        decoded,
        json!({
            "kind": "Deployment",
            "apiVersion": "apps/v1",
            "metadata": {
                "name": "web",
                "namespace": "prod",
                "creationTimestamp": null,
                "labels": {"app": "web"}
            },
            "spec": {
                "replicas": 3,
                "selector": {"matchLabels": {"app": "web"}},
                "template": {
                    "metadata": {"creationTimestamp": null, "labels": {"app": "web"}},
                    "spec": {
                        "containers": [{
                            "name": "web",
                            "image": "nginx:1.25",
                            "args": ["--port=8080"],
                            "ports": [{"name": "http", "containerPort": 8080, "protocol": "TCP"}],
                            "env": [
                                {"name": "MODE", "value": "prod"},
                                {
                                    "name": "DB_PASSWORD",
                                    "valueFrom": {"secretKeyRef": {"name": "db", "key": "password"}}
                                }
                            ],
                            "resources": {
                                "limits": {"cpu": "500m", "memory": "128Mi"},
                                "requests": {"cpu": "250m"}
                            },
                            "livenessProbe": {
                                "httpGet": {"path": "/healthz", "port": "http", "scheme": "HTTP"},
                                "initialDelaySeconds": 5,
                                "timeoutSeconds": 1,
                                "periodSeconds": 10,
                                "successThreshold": 1,
                                "failureThreshold": 3
                            },
                            "readinessProbe": {"tcpSocket": {"port": 8080}},
                            "terminationMessagePath": "/dev/termination-log",
                            "imagePullPolicy": "IfNotPresent",
                            "terminationMessagePolicy": "File"
                        }],
                        "restartPolicy": "Always",
                        "terminationGracePeriodSeconds": 30,
                        "dnsPolicy": "ClusterFirst",
                        "securityContext": {"runAsUser": 1000, "runAsNonRoot": true}
                    }
                },
                "strategy": {
                    "type": "RollingUpdate",
                    "rollingUpdate": {"maxUnavailable": "25%", "maxSurge": 1}
                },
                "revisionHistoryLimit": 10,
                "progressDeadlineSeconds": 600
            },
            "status": {}
        })
    );
}

#[test]
fn service_ports_with_int_and_named_target_ports() {
    let port = |name: &str, number: i64, target: Enc, node_port: i64| {
        Enc::new()
            .string(1, name)
            .string(2, "TCP")
            .int(3, number)
            .msg(4, target)
            .int(5, node_port)
    };
    let spec = Enc::new()
        .msg(1, port("http", 80, int_port(8080), 0))
        .msg(1, port("https", 443, named_port("https"), 30443))
        .entry(2, "app", "web")
        .string(3, "")
        .string(4, "NodePort")
        .string(7, "None")
        .string(11, "Cluster")
        .string(18, "10.0.0.10")
        .string(19, "IPv4")
        .string(17, "SingleStack");
    let object = Enc::new()
        .msg(1, object_meta("web", "default"))
        .msg(2, spec)
        .msg(3, Enc::new().msg(1, Enc::new()));
    let decoded = decode_object(&body("v1", "Service", object)).unwrap();
    assert_eq!(
        decoded,
        json!({
            "kind": "Service",
            "apiVersion": "v1",
            "metadata": {"name": "web", "namespace": "default", "creationTimestamp": null},
            "spec": {
                "ports": [
                    {"name": "http", "protocol": "TCP", "port": 80, "targetPort": 8080},
                    {"name": "https", "protocol": "TCP", "port": 443, "targetPort": "https", "nodePort": 30443}
                ],
                "selector": {"app": "web"},
                "type": "NodePort",
                "sessionAffinity": "None",
                "externalTrafficPolicy": "Cluster",
                "clusterIPs": ["10.0.0.10"],
                "ipFamilies": ["IPv4"],
                "ipFamilyPolicy": "SingleStack"
            },
            "status": {"loadBalancer": {}}
        })
    );
}

#[test]
fn namespace_with_finalizers() {
    let object = Enc::new()
        .msg(1, object_meta("team-a", "").entry(12, "owner", "alice"))
        .msg(2, Enc::new().string(1, "kubernetes"))
        .msg(3, Enc::new().string(1, ""));
    let decoded = decode_object(&body("v1", "Namespace", object)).unwrap();
    assert_eq!(
        decoded,
        json!({
            "kind": "Namespace",
            "apiVersion": "v1",
            "metadata": {
                "name": "team-a",
                "creationTimestamp": null,
                "annotations": {"owner": "alice"}
            },
            "spec": {"finalizers": ["kubernetes"]},
            "status": {}
        })
    );
}

#[test]
fn cron_job_with_job_template() {
    let pod_spec = Enc::new()
        .msg(
            2,
            Enc::new()
                .string(1, "date")
                .string(2, "busybox")
                .string(3, "sh")
                .string(3, "-c")
                .string(3, "date")
                .msg(8, Enc::new()),
        )
        .string(3, "OnFailure");
    let job_spec = Enc::new()
        .int(7, 2)
        .msg(6, Enc::new().msg(1, object_meta("", "")).msg(2, pod_spec));
    let spec = Enc::new()
        .string(1, "*/5 * * * *")
        .string(3, "Forbid")
        .boolean(4, false)
        .msg(5, Enc::new().msg(1, object_meta("", "")).msg(2, job_spec))
        .int(6, 3)
        .string(8, "Etc/UTC");
    let object = Enc::new()
        .msg(1, object_meta("tick", "default"))
        .msg(2, spec)
        .msg(3, Enc::new());
    let decoded = decode_object(&body("batch/v1", "CronJob", object)).unwrap();
    assert_eq!(
        decoded,
        json!({
            "kind": "CronJob",
            "apiVersion": "batch/v1",
            "metadata": {"name": "tick", "namespace": "default", "creationTimestamp": null},
            "spec": {
                "schedule": "*/5 * * * *",
                "concurrencyPolicy": "Forbid",
                "suspend": false,
                "jobTemplate": {
                    "metadata": {"creationTimestamp": null},
                    "spec": {
                        "backoffLimit": 2,
                        "template": {
                            "metadata": {"creationTimestamp": null},
                            "spec": {
                                "containers": [{
                                    "name": "date",
                                    "image": "busybox",
                                    "command": ["sh", "-c", "date"],
                                    "resources": {}
                                }],
                                "restartPolicy": "OnFailure"
                            }
                        }
                    }
                },
                "successfulJobsHistoryLimit": 3,
                "timeZone": "Etc/UTC"
            },
            "status": {}
        })
    );
}

fn rule(verbs: &[&str], groups: &[&str], resources: &[&str]) -> Enc {
    let mut rule = Enc::new();
    for verb in verbs {
        rule = rule.string(1, verb);
    }
    for group in groups {
        rule = rule.string(2, group);
    }
    for resource in resources {
        rule = rule.string(3, resource);
    }
    rule
}

#[test]
fn role_and_cluster_role_rules() {
    let role = Enc::new()
        .msg(1, object_meta("reader", "default"))
        .msg(2, rule(&["get", "list"], &[""], &["pods", "pods/log"]))
        .msg(
            2,
            rule(&["watch"], &["apps"], &["deployments"]).string(4, "web"),
        );
    assert_eq!(
        decode_object(&body("rbac.authorization.k8s.io/v1", "Role", role)).unwrap(),
        json!({
            "kind": "Role",
            "apiVersion": "rbac.authorization.k8s.io/v1",
            "metadata": {"name": "reader", "namespace": "default", "creationTimestamp": null},
            "rules": [
                {"verbs": ["get", "list"], "apiGroups": [""], "resources": ["pods", "pods/log"]},
                {"verbs": ["watch"], "apiGroups": ["apps"], "resources": ["deployments"], "resourceNames": ["web"]}
            ]
        })
    );

    let cluster_role = Enc::new().msg(1, object_meta("health", "")).msg(
        2,
        rule(&["get"], &[], &[])
            .string(5, "/healthz")
            .string(5, "/readyz"),
    );
    assert_eq!(
        decode_object(&body(
            "rbac.authorization.k8s.io/v1",
            "ClusterRole",
            cluster_role
        ))
        .unwrap(),
        json!({
            "kind": "ClusterRole",
            "apiVersion": "rbac.authorization.k8s.io/v1",
            "metadata": {"name": "health", "creationTimestamp": null},
            "rules": [{"verbs": ["get"], "nonResourceURLs": ["/healthz", "/readyz"]}]
        })
    );

    // An aggregated role has no rules: `rules` has no omitempty, so it is null.
    let aggregated = Enc::new().msg(1, object_meta("agg", "")).msg(
        3,
        Enc::new().msg(1, Enc::new().entry(1, "rbac.example.com/aggregate", "true")),
    );
    assert_eq!(
        decode_object(&body(
            "rbac.authorization.k8s.io/v1",
            "ClusterRole",
            aggregated
        ))
        .unwrap(),
        json!({
            "kind": "ClusterRole",
            "apiVersion": "rbac.authorization.k8s.io/v1",
            "metadata": {"name": "agg", "creationTimestamp": null},
            "rules": null,
            "aggregationRule": {
                "clusterRoleSelectors": [{"matchLabels": {"rbac.example.com/aggregate": "true"}}]
            }
        })
    );
}

#[test]
fn token_request() {
    let object = Enc::new()
        .msg(1, object_meta("", ""))
        .msg(
            2,
            Enc::new()
                .string(1, "https://kubernetes.default.svc")
                .msg(
                    3,
                    Enc::new()
                        .string(1, "Pod")
                        .string(2, "v1")
                        .string(3, "web-0")
                        .string(4, "4c1f0e44-3f7b-4b9b-9f5e-000000000001"),
                )
                .int(4, 3600),
        )
        .msg(3, Enc::new().string(1, "").msg(2, Enc::new()));
    let decoded = decode_object(&body("authentication.k8s.io/v1", "TokenRequest", object)).unwrap();
    assert_eq!(
        decoded,
        json!({
            "kind": "TokenRequest",
            "apiVersion": "authentication.k8s.io/v1",
            "metadata": {"creationTimestamp": null},
            "spec": {
                "audiences": ["https://kubernetes.default.svc"],
                "boundObjectRef": {
                    "kind": "Pod",
                    "apiVersion": "v1",
                    "name": "web-0",
                    "uid": "4c1f0e44-3f7b-4b9b-9f5e-000000000001"
                },
                "expirationSeconds": 3600
            },
            "status": {"token": "", "expirationTimestamp": null}
        })
    );
}

#[test]
fn self_subject_access_review() {
    let attributes = Enc::new()
        .string(1, "kube-system")
        .string(2, "create")
        .string(3, "")
        .string(4, "")
        .string(5, "pods")
        .string(6, "exec")
        .string(7, "");
    let object = Enc::new()
        .msg(1, object_meta("", ""))
        .msg(2, Enc::new().msg(1, attributes))
        .msg(
            3,
            Enc::new()
                .boolean(1, false)
                .string(2, "")
                .string(3, "")
                .boolean(4, false),
        );
    let decoded = decode_object(&body(
        "authorization.k8s.io/v1",
        "SelfSubjectAccessReview",
        object,
    ))
    .unwrap();
    assert_eq!(
        decoded,
        json!({
            "kind": "SelfSubjectAccessReview",
            "apiVersion": "authorization.k8s.io/v1",
            "metadata": {"creationTimestamp": null},
            "spec": {
                "resourceAttributes": {
                    "namespace": "kube-system",
                    "verb": "create",
                    "resource": "pods",
                    "subresource": "exec"
                }
            },
            "status": {"allowed": false}
        })
    );
}

#[test]
fn self_subject_review_in_every_authentication_version() {
    for version in ["v1", "v1beta1", "v1alpha1"] {
        let api_version = format!("authentication.k8s.io/{version}");
        let object = Enc::new().msg(1, object_meta("", "")).msg(2, Enc::new());
        let decoded = decode_object(&body(&api_version, "SelfSubjectReview", object)).unwrap();
        assert_eq!(
            decoded,
            json!({
                "kind": "SelfSubjectReview",
                "apiVersion": api_version,
                "metadata": {"creationTimestamp": null},
                "status": {"userInfo": {}}
            })
        );
    }
}
