//! `/openapi/v2` as swagger 2.0 JSON.

mod support;

use capstan_openapi::{GVK_EXTENSION, v2_document};
use serde_json::{Value, json};
use support::{operations, walk_schemas};

fn document() -> Value {
    v2_document(&support::resources(), &support::definitions()).expect("v2 document")
}

#[test]
fn is_swagger_2_with_every_group_version() {
    let doc = document();
    assert_eq!(doc["swagger"], "2.0");
    assert_eq!(doc["securityDefinitions"]["BearerToken"]["type"], "apiKey");
    for path in [
        "/api/v1/namespaces/{namespace}/pods/{name}",
        "/apis/apps/v1/namespaces/{namespace}/deployments/{name}/scale",
        "/apis/apiextensions.k8s.io/v1/customresourcedefinitions/{name}/status",
        "/apis/example.com/v1/namespaces/{namespace}/widgets",
    ] {
        assert!(doc["paths"][path].is_object(), "{path}");
    }
}

#[test]
fn operations_use_body_parameters_and_definition_refs() {
    let doc = document();
    let patch = &doc["paths"]["/apis/apps/v1/namespaces/{namespace}/deployments/{name}"]["patch"];
    assert_eq!(
        patch[GVK_EXTENSION],
        json!({"group": "apps", "kind": "Deployment", "version": "v1"})
    );
    assert!(
        patch["consumes"]
            .as_array()
            .unwrap()
            .contains(&json!("application/strategic-merge-patch+json"))
    );
    let params = patch["parameters"].as_array().unwrap();
    assert_eq!(params[0]["in"], "body");
    assert_eq!(
        params[0]["schema"]["$ref"],
        "#/definitions/io.k8s.apimachinery.pkg.apis.meta.v1.Patch"
    );
    assert!(
        params
            .iter()
            .any(|p| p["name"] == "fieldValidation" && p["type"] == "string")
    );
    assert_eq!(
        patch["responses"]["200"]["schema"]["$ref"],
        "#/definitions/io.k8s.api.apps.v1.Deployment"
    );
    let item = &doc["paths"]["/apis/apps/v1/namespaces/{namespace}/deployments/{name}"];
    let path_params = item["parameters"].as_array().unwrap();
    assert!(
        path_params
            .iter()
            .any(|p| p["name"] == "namespace" && p["in"] == "path" && p["required"] == true)
    );
    for (path, method, op) in operations(&doc) {
        assert!(op.get("requestBody").is_none(), "{method} {path}");
        assert!(op["produces"].is_array(), "{method} {path}");
    }
}

#[test]
fn definitions_are_swagger_shaped_and_complete() {
    let doc = document();
    let definitions = doc["definitions"].as_object().unwrap();
    assert_eq!(
        definitions["io.k8s.apimachinery.pkg.util.intstr.IntOrString"]["format"],
        "int-or-string"
    );
    assert_eq!(
        definitions["io.k8s.apimachinery.pkg.util.intstr.IntOrString"]["type"],
        "string"
    );
    assert_eq!(
        definitions["io.k8s.apimachinery.pkg.api.resource.Quantity"]["type"],
        "string"
    );
    let containers = &definitions["io.k8s.api.core.v1.PodSpec"]["properties"]["containers"];
    assert_eq!(
        containers["items"],
        json!({"$ref": "#/definitions/io.k8s.api.core.v1.Container"})
    );
    assert_eq!(containers["x-kubernetes-patch-merge-key"], "name");
    let metadata = &definitions["io.k8s.api.apps.v1.Deployment"]["properties"]["metadata"];
    assert_eq!(
        metadata["$ref"],
        "#/definitions/io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta"
    );
    assert!(metadata["description"].is_string());
    assert_eq!(
        definitions["io.k8s.api.apps.v1.Deployment"][GVK_EXTENSION],
        json!([{"group": "apps", "kind": "Deployment", "version": "v1"}])
    );

    let text = doc.to_string();
    assert!(!text.contains("#/components/schemas/"));
    for piece in text.split("\"$ref\":\"").skip(1) {
        let reference = &piece[..piece.find('"').unwrap()];
        let name = reference.strip_prefix("#/definitions/").expect(reference);
        assert!(definitions.contains_key(name), "dangling {reference}");
    }
    for (name, schema) in definitions {
        walk_schemas(schema, &mut |node| {
            for keyword in [
                "allOf", "oneOf", "anyOf", "nullable", "not", "$defs", "$schema",
            ] {
                assert!(!node.contains_key(keyword), "{keyword} in {name}");
            }
        });
    }
}
