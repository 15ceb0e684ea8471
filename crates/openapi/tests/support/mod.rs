//! A realistic set of served resources and helpers to inspect documents.
#![allow(dead_code)] // Each test binary uses a different part of this module.

use capstan_openapi::{
    Definitions, GroupVersionKind, ServedResource, ServedSubresource, custom_resource_schema,
};
use serde_json::{Value, json};

fn connect(name: &str, kind: &str, verbs: &[&str]) -> ServedSubresource {
    ServedSubresource::connect(name, GroupVersionKind::new("", "v1", kind), verbs)
}

fn object(
    name: &str,
    gvk: (&str, &str, &str),
    definition: &str,
    verbs: &[&str],
) -> ServedSubresource {
    ServedSubresource::object(
        name,
        GroupVersionKind::new(gvk.0, gvk.1, gvk.2),
        definition,
        verbs,
    )
}

fn core(kind: &str, plural: &str, namespaced: bool) -> ServedResource {
    ServedResource::new(
        "",
        "v1",
        kind,
        plural,
        namespaced,
        &format!("io.k8s.api.core.v1.{kind}"),
    )
}

fn apps(kind: &str, plural: &str) -> ServedResource {
    ServedResource::new(
        "apps",
        "v1",
        kind,
        plural,
        true,
        &format!("io.k8s.api.apps.v1.{kind}"),
    )
    .with_status()
}

pub const WIDGET_SCHEMA: &str = "com.example.v1.Widget";

pub fn widget_gvk() -> GroupVersionKind {
    GroupVersionKind::new("example.com", "v1", "Widget")
}

/// Built-in definitions plus the schema of the `widgets.example.com` custom resource.
pub fn definitions() -> Definitions {
    let mut defs = capstan_openapi::builtin_definitions();
    let validation = json!({
        "description": "Widget is a test custom resource.",
        "type": "object",
        "properties": {
            "spec": {
                "type": "object",
                "required": ["size"],
                "properties": {
                    "size": {"type": "integer", "format": "int32", "description": "How big."},
                    "port": {"x-kubernetes-int-or-string": true,
                             "anyOf": [{"type": "integer"}, {"type": "string"}]},
                    "mode": {"type": "string", "enum": ["fast", "slow"], "nullable": true},
                },
            },
            "status": {"type": "object", "x-kubernetes-preserve-unknown-fields": true},
        },
    });
    let schema = custom_resource_schema(&defs, &widget_gvk(), Some(&validation));
    defs.insert(WIDGET_SCHEMA, schema);
    defs
}

pub fn resources() -> Vec<ServedResource> {
    let read_only_status = ["get", "patch", "update"];
    vec![
        core("Pod", "pods", true)
            .with_status()
            .with_subresource(ServedSubresource::log())
            .with_subresource(object(
                "binding",
                ("", "v1", "Binding"),
                "io.k8s.api.core.v1.Binding",
                &["create"],
            ))
            .with_subresource(object(
                "eviction",
                ("policy", "v1", "Eviction"),
                "io.k8s.api.policy.v1.Eviction",
                &["create"],
            ))
            .with_subresource(object(
                "ephemeralcontainers",
                ("", "v1", "Pod"),
                "io.k8s.api.core.v1.Pod",
                &read_only_status,
            ))
            .with_subresource(connect("exec", "PodExecOptions", &["create", "get"]))
            .with_subresource(connect("attach", "PodAttachOptions", &["create", "get"]))
            .with_subresource(connect(
                "portforward",
                "PodPortForwardOptions",
                &["create", "get"],
            ))
            .with_subresource(connect(
                "proxy",
                "PodProxyOptions",
                &["create", "delete", "get", "patch", "update"],
            )),
        core("ConfigMap", "configmaps", true),
        core("Secret", "secrets", true),
        core("Service", "services", true).with_status(),
        core("ServiceAccount", "serviceaccounts", true).with_subresource(object(
            "token",
            ("authentication.k8s.io", "v1", "TokenRequest"),
            "io.k8s.api.authentication.v1.TokenRequest",
            &["create"],
        )),
        core("Event", "events", true),
        core("Namespace", "namespaces", false)
            .with_verbs(&[
                "create", "delete", "get", "list", "patch", "update", "watch",
            ])
            .with_status()
            .with_subresource(object(
                "finalize",
                ("", "v1", "Namespace"),
                "io.k8s.api.core.v1.Namespace",
                &["update"],
            )),
        core("Node", "nodes", false)
            .with_status()
            .with_subresource(connect("proxy", "NodeProxyOptions", &["get"])),
        core("PersistentVolume", "persistentvolumes", false).with_status(),
        apps("Deployment", "deployments").with_scale(),
        apps("ReplicaSet", "replicasets").with_scale(),
        apps("StatefulSet", "statefulsets").with_scale(),
        apps("DaemonSet", "daemonsets"),
        ServedResource::new(
            "batch",
            "v1",
            "Job",
            "jobs",
            true,
            "io.k8s.api.batch.v1.Job",
        )
        .with_status(),
        ServedResource::new(
            "batch",
            "v1",
            "CronJob",
            "cronjobs",
            true,
            "io.k8s.api.batch.v1.CronJob",
        )
        .with_status(),
        ServedResource::new(
            "coordination.k8s.io",
            "v1",
            "Lease",
            "leases",
            true,
            "io.k8s.api.coordination.v1.Lease",
        ),
        ServedResource::new(
            "rbac.authorization.k8s.io",
            "v1",
            "ClusterRole",
            "clusterroles",
            false,
            "io.k8s.api.rbac.v1.ClusterRole",
        ),
        ServedResource::new(
            "authorization.k8s.io",
            "v1",
            "SelfSubjectAccessReview",
            "selfsubjectaccessreviews",
            false,
            "io.k8s.api.authorization.v1.SelfSubjectAccessReview",
        )
        .with_verbs(&["create"]),
        ServedResource::new(
            "apiextensions.k8s.io",
            "v1",
            "CustomResourceDefinition",
            "customresourcedefinitions",
            false,
            "io.k8s.apiextensions-apiserver.pkg.apis.apiextensions.v1.CustomResourceDefinition",
        )
        .with_status(),
        ServedResource::custom(
            "example.com",
            "v1",
            "Widget",
            "widgets",
            true,
            WIDGET_SCHEMA,
        )
        .with_status()
        .with_scale(),
    ]
}

/// Every operation of a document: (path, method, operation).
pub fn operations(doc: &Value) -> Vec<(&str, &str, &Value)> {
    let mut out = Vec::new();
    for (path, item) in doc["paths"].as_object().expect("paths") {
        for (method, op) in item.as_object().expect("path item") {
            if method != "parameters" {
                out.push((path.as_str(), method.as_str(), op));
            }
        }
    }
    out
}

/// Calls `visit` with every schema object nested in `schema` (schema positions only).
pub fn walk_schemas<'v>(
    schema: &'v Value,
    visit: &mut dyn FnMut(&'v serde_json::Map<String, Value>),
) {
    let Value::Object(node) = schema else { return };
    visit(node);
    for (keyword, child) in node {
        match keyword.as_str() {
            "properties" | "patternProperties" | "definitions" | "$defs" => {
                if let Value::Object(named) = child {
                    for nested in named.values() {
                        walk_schemas(nested, visit);
                    }
                }
            }
            "items" | "additionalProperties" | "not" | "allOf" | "anyOf" | "oneOf" => match child {
                Value::Array(list) => list.iter().for_each(|nested| walk_schemas(nested, visit)),
                nested => walk_schemas(nested, visit),
            },
            _ => {}
        }
    }
}
