use serde_json::{Value, json};

use super::*;
use crate::builtin::apps::testing::{create, create_errors, update, update_status};

fn ingress() -> Value {
    json!({
        "metadata": {"name": "web", "namespace": "default"},
        "spec": {
            "ingressClassName": "nginx",
            "rules": [{"host": "example.com", "http": {"paths": [{
                "path": "/", "pathType": "Prefix",
                "backend": {"service": {"name": "web", "port": {"number": 80}}}
            }]}}],
            "tls": [{"hosts": ["example.com"], "secretName": "web-tls"}]
        }
    })
}

fn errors(obj: Value) -> Vec<String> {
    create_errors::<Ingress, _>(IngressStrategy, obj)
}

#[test]
fn valid_ingress() {
    assert!(create::<Ingress, _>(IngressStrategy, ingress()).is_ok());
    let backend_only = json!({"metadata": {"name": "b", "namespace": "d"},
        "spec": {"defaultBackend": {"resource": {"apiGroup": "k8s.example.com", "kind": "StorageBucket", "name": "static"}}}});
    assert!(create::<Ingress, _>(IngressStrategy, backend_only).is_ok());
}

#[test]
fn rules_or_backend_required() {
    let obj = json!({"metadata": {"name": "b", "namespace": "d"}, "spec": {}});
    assert_eq!(
        errors(obj),
        vec![
            "spec: Invalid value: []networking.IngressRule(nil): either `defaultBackend` or `rules` must be specified"
        ]
    );
}

#[test]
fn paths_and_backends() {
    let mut ing = ingress();
    ing["spec"]["rules"][0]["host"] = json!("10.0.0.1");
    ing["spec"]["rules"][0]["http"]["paths"] = json!([
        {"path": "foo", "backend": {"service": {"name": "web", "port": {"number": 80}}}},
        {"path": "/a//b/..", "pathType": "Exact", "backend": {"service": {"name": "Web", "port": {"name": "http", "number": 80}}}},
        {"path": "/", "pathType": "Regex", "backend": {}},
        {"path": "/", "pathType": "ImplementationSpecific", "backend": {"service": {"name": "web"}}}
    ]);
    assert_eq!(
        errors(ing),
        vec![
            r#"spec.rules[0].host: Invalid value: "10.0.0.1": must be a DNS name, not an IP address"#,
            "spec.rules[0].http.paths[0].pathType: Required value: pathType must be specified",
            r#"spec.rules[0].http.paths[1].path: Invalid value: "/a//b/..": must not contain '//'"#,
            r#"spec.rules[0].http.paths[1].path: Invalid value: "/a//b/..": cannot end with '/..'"#,
            r#"spec.rules[0].http.paths[1].backend.service.name: Invalid value: "Web": a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character, and end with an alphanumeric character (e.g. 'my-name',  or 'abc-123', regex used for validation is '[a-z]([-a-z0-9]*[a-z0-9])?')"#,
            r#"spec.rules[0].http.paths[1].backend: Invalid value: "": cannot set both port name & port number"#,
            r#"spec.rules[0].http.paths[2].pathType: Unsupported value: "Regex": supported values: "Exact", "ImplementationSpecific", "Prefix""#,
            r#"spec.rules[0].http.paths[2].backend: Invalid value: "": resource or service backend is required"#,
            "spec.rules[0].http.paths[3].backend: Required value: port name or number is required",
        ]
    );
}

#[test]
fn class_annotation_must_match() {
    let mut ing = ingress();
    ing["metadata"]["annotations"] = json!({"kubernetes.io/ingress.class": "traefik"});
    assert_eq!(
        errors(ing),
        vec![
            r#"annotations.kubernetes.io/ingress.class: Invalid value: "traefik": must match `ingressClassName` when both are specified"#
        ]
    );
}

#[test]
fn status_addresses() {
    let old = create::<Ingress, _>(IngressStrategy, ingress()).unwrap();
    let mut new = old.clone();
    new["status"] =
        json!({"loadBalancer": {"ingress": [{"ip": "1.2.3.4"}, {"hostname": "10.1.1.1"}]}});
    assert_eq!(
        update_status::<Ingress, _>(IngressStrategy, new, &old).unwrap_err(),
        vec![
            r#"status.loadBalancer.ingress[1].hostname: Invalid value: "10.1.1.1": must be a DNS name, not an IP address"#
        ]
    );
}

#[test]
fn ingress_class_rules() {
    let class = json!({"metadata": {"name": "nginx"}, "spec": {"controller": "k8s.io/ingress-nginx",
        "parameters": {"kind": "Params", "name": "p"}}});
    let stored = create::<IngressClass, _>(IngressClassStrategy, class).unwrap();
    assert_eq!(stored["spec"]["parameters"]["scope"], "Cluster");
    let bad = json!({"metadata": {"name": "x"}, "spec": {"controller": "nginx",
        "parameters": {"kind": "Params", "name": "p", "scope": "Namespace"}}});
    assert_eq!(
        create_errors::<IngressClass, _>(IngressClassStrategy, bad),
        vec![
            r#"spec.controller: Invalid value: "nginx": must be a domain-prefixed path (such as "acme.io/foo")"#,
            "spec.parameters.namespace: Required value: `parameters.scope` is set to 'Namespace'",
        ]
    );
    let mut changed = stored.clone();
    changed["spec"]["controller"] = json!("example.com/other");
    assert_eq!(
        update::<IngressClass, _>(IngressClassStrategy, changed, &stored).unwrap_err(),
        vec![r#"spec.controller: Invalid value: "example.com/other": field is immutable"#]
    );
}
