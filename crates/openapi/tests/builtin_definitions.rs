//! The generated schemas of the built-in types.

use std::time::Instant;

mod support;

use capstan_openapi::{
    BUILTIN_GROUP_VERSIONS, GVK_EXTENSION, GroupVersionKind, builtin_definitions,
    served_group_versions, v2_document, v3_document,
};
use serde_json::json;

#[test]
fn every_built_in_kind_and_list_is_findable_by_kind() {
    let defs = builtin_definitions();
    let expectations = [
        ("", "v1", "Pod", "io.k8s.api.core.v1.Pod"),
        ("", "v1", "PodList", "io.k8s.api.core.v1.PodList"),
        ("", "v1", "Binding", "io.k8s.api.core.v1.Binding"),
        (
            "",
            "v1",
            "Status",
            "io.k8s.apimachinery.pkg.apis.meta.v1.Status",
        ),
        (
            "",
            "v1",
            "APIResourceList",
            "io.k8s.apimachinery.pkg.apis.meta.v1.APIResourceList",
        ),
        ("apps", "v1", "Deployment", "io.k8s.api.apps.v1.Deployment"),
        (
            "apps",
            "v1",
            "DeploymentList",
            "io.k8s.api.apps.v1.DeploymentList",
        ),
        (
            "autoscaling",
            "v1",
            "Scale",
            "io.k8s.api.autoscaling.v1.Scale",
        ),
        (
            "autoscaling",
            "v2",
            "HorizontalPodAutoscaler",
            "io.k8s.api.autoscaling.v2.HorizontalPodAutoscaler",
        ),
        ("events.k8s.io", "v1", "Event", "io.k8s.api.events.v1.Event"),
        (
            "networking.k8s.io",
            "v1",
            "IngressClassList",
            "io.k8s.api.networking.v1.IngressClassList",
        ),
        ("policy", "v1", "Eviction", "io.k8s.api.policy.v1.Eviction"),
        (
            "authentication.k8s.io",
            "v1",
            "TokenReview",
            "io.k8s.api.authentication.v1.TokenReview",
        ),
        (
            "authorization.k8s.io",
            "v1",
            "SubjectAccessReview",
            "io.k8s.api.authorization.v1.SubjectAccessReview",
        ),
        (
            "apiextensions.k8s.io",
            "v1",
            "CustomResourceDefinition",
            "io.k8s.apiextensions-apiserver.pkg.apis.apiextensions.v1.CustomResourceDefinition",
        ),
        (
            "storage.k8s.io",
            "v1",
            "CSIDriverList",
            "io.k8s.api.storage.v1.CSIDriverList",
        ),
        (
            "batch",
            "v1",
            "DeleteOptions",
            "io.k8s.apimachinery.pkg.apis.meta.v1.DeleteOptions",
        ),
        (
            "",
            "v1",
            "WatchEvent",
            "io.k8s.apimachinery.pkg.apis.meta.v1.WatchEvent",
        ),
    ];
    for (group, version, kind, name) in expectations {
        let gvk = GroupVersionKind::new(group, version, kind);
        assert_eq!(defs.find_by_group_version_kind(&gvk), Some(name), "{gvk:?}");
    }
    let delete_options = defs
        .get("io.k8s.apimachinery.pkg.apis.meta.v1.DeleteOptions")
        .unwrap();
    assert_eq!(
        delete_options[GVK_EXTENSION].as_array().unwrap().len(),
        BUILTIN_GROUP_VERSIONS.len()
    );
}

#[test]
fn special_types_have_upstream_shapes() {
    let defs = builtin_definitions();
    let int_or_string = defs
        .get("io.k8s.apimachinery.pkg.util.intstr.IntOrString")
        .unwrap();
    assert_eq!(int_or_string["format"], "int-or-string");
    assert_eq!(
        int_or_string["oneOf"],
        json!([{"type": "integer"}, {"type": "string"}])
    );
    assert!(int_or_string.get("x-kubernetes-int-or-string").is_none());
    let quantity = defs
        .get("io.k8s.apimachinery.pkg.api.resource.Quantity")
        .unwrap();
    assert_eq!(
        quantity["oneOf"],
        json!([{"type": "string"}, {"type": "number"}])
    );
    assert!(quantity["description"].is_string());
    let time = defs
        .get("io.k8s.apimachinery.pkg.apis.meta.v1.Time")
        .unwrap();
    assert_eq!(
        (&time["type"], &time["format"]),
        (&json!("string"), &json!("date-time"))
    );
    assert_eq!(
        defs.get("io.k8s.apimachinery.pkg.runtime.RawExtension")
            .unwrap()["type"],
        "object"
    );
    for name in [
        "JSON",
        "JSONSchemaPropsOrArray",
        "JSONSchemaPropsOrBool",
        "JSONSchemaPropsOrStringArray",
    ] {
        let schema = defs
            .get(&format!(
                "io.k8s.apiextensions-apiserver.pkg.apis.apiextensions.v1.{name}"
            ))
            .unwrap();
        assert_eq!(
            schema.as_object().unwrap().keys().collect::<Vec<_>>(),
            ["description"],
            "{name}"
        );
    }
    let props = defs
        .get("io.k8s.apiextensions-apiserver.pkg.apis.apiextensions.v1.JSONSchemaProps")
        .unwrap();
    // Properties named like JSON Schema keywords are data, not artefacts.
    assert_eq!(props["properties"]["$ref"], json!({"type": "string"}));
    assert_eq!(props["properties"]["$schema"], json!({"type": "string"}));
    assert!(props["properties"]["definitions"]["additionalProperties"].is_object());
    assert!(
        props["properties"]["const"].is_null(),
        "JSONSchemaProps has no const field"
    );
}

#[test]
fn metadata_is_never_required() {
    let defs = builtin_definitions();
    for (name, schema) in defs.iter() {
        if let Some(required) = schema.get("required").and_then(|r| r.as_array()) {
            assert!(!required.contains(&json!("metadata")), "{name}");
            assert!(!required.is_empty(), "{name}");
        }
    }
    let crd = defs
        .get("io.k8s.apiextensions-apiserver.pkg.apis.apiextensions.v1.CustomResourceDefinition")
        .unwrap();
    assert_eq!(crd["required"], json!(["spec"]));
    assert!(
        defs.get("io.k8s.api.apps.v1.Deployment")
            .unwrap()
            .get("required")
            .is_none()
    );
    assert_eq!(
        defs.get("io.k8s.api.apps.v1.DeploymentList").unwrap()["required"],
        json!(["items"])
    );
}

#[test]
fn patch_and_list_extensions_are_present() {
    let defs = builtin_definitions();
    let pod_spec = &defs.get("io.k8s.api.core.v1.PodSpec").unwrap()["properties"];
    assert_eq!(
        pod_spec["containers"]["x-kubernetes-patch-strategy"],
        "merge"
    );
    assert_eq!(
        pod_spec["volumes"]["x-kubernetes-patch-strategy"],
        "merge,retainKeys"
    );
    assert_eq!(pod_spec["nodeSelector"]["x-kubernetes-map-type"], "atomic");
    let owners = &defs
        .get("io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta")
        .unwrap()["properties"]["ownerReferences"];
    assert_eq!(owners["x-kubernetes-list-map-keys"], json!(["uid"]));
    let selector = &defs
        .get("io.k8s.api.policy.v1.PodDisruptionBudgetSpec")
        .unwrap()["properties"]["selector"];
    assert_eq!(selector["x-kubernetes-patch-strategy"], "replace");
    assert_eq!(
        selector["allOf"],
        json!([{"$ref": "#/components/schemas/io.k8s.apimachinery.pkg.apis.meta.v1.LabelSelector"}])
    );
}

/// Generation runs at server start; report how long it takes.
#[test]
fn generation_is_fast_enough() {
    let start = Instant::now();
    let defs = support::definitions();
    let generated = start.elapsed();
    assert!(defs.len() > 400, "{}", defs.len());
    let resources = support::resources();
    let start = Instant::now();
    let mut bytes = 0;
    for (group, version) in served_group_versions(&resources) {
        let doc = v3_document(&group, &version, &resources, &defs).unwrap();
        bytes += serde_json::to_vec(&doc).unwrap().len();
    }
    let v3 = start.elapsed();
    let start = Instant::now();
    let v2 = serde_json::to_vec(&v2_document(&resources, &defs).unwrap()).unwrap();
    let v2_time = start.elapsed();
    eprintln!(
        "builtin_definitions: {} schemas in {generated:?}; v3 documents: {bytes} bytes in {v3:?}; v2: {} bytes in {v2_time:?}",
        defs.len(),
        v2.len()
    );
    assert!((generated + v3 + v2_time).as_secs() < 10);
}
