//! `/openapi/v3`: index, per-group-version documents, and the facts kubectl reads.

mod support;

use std::collections::BTreeMap;

use capstan_openapi::{
    GVK_EXTENSION, OpenApiError, ServedResource, document_hash, served_group_versions, v3_document,
    v3_index, v3_index_key,
};
use capstan_patch::{OpenApiPatchSchema, PatchSchema};
use serde_json::{Value, json};
use support::{operations, walk_schemas};

/// Index key → document, for every served group version.
fn documents() -> BTreeMap<String, Value> {
    let defs = support::definitions();
    let resources = support::resources();
    served_group_versions(&resources)
        .into_iter()
        .map(|(group, version)| {
            let doc = v3_document(&group, &version, &resources, &defs).expect("document");
            (v3_index_key(&group, &version), doc)
        })
        .collect()
}

fn schemas(doc: &Value) -> &serde_json::Map<String, Value> {
    doc["components"]["schemas"]
        .as_object()
        .expect("components.schemas")
}

#[test]
fn index_lists_each_group_version_with_the_hash_of_its_document() {
    let docs = documents();
    let entries: Vec<(String, String)> = docs
        .iter()
        .map(|(key, doc)| {
            (
                key.clone(),
                document_hash(&serde_json::to_vec(doc).unwrap()),
            )
        })
        .collect();
    let index = v3_index(&entries);
    let paths = index["paths"].as_object().unwrap();
    for key in [
        "api/v1",
        "apis/apps/v1",
        "apis/batch/v1",
        "apis/apiextensions.k8s.io/v1",
        "apis/example.com/v1",
    ] {
        let url = paths[key]["serverRelativeURL"].as_str().unwrap();
        let (path, hash) = url.split_once("?hash=").unwrap();
        assert_eq!(path, format!("/openapi/v3/{key}"));
        assert_eq!(hash.len(), 128);
        assert!(
            hash.chars()
                .all(|c| c.is_ascii_digit() || c.is_ascii_uppercase()),
            "{hash}"
        );
        assert_eq!(
            hash,
            document_hash(&serde_json::to_vec(&docs[key]).unwrap())
        );
    }
    assert_eq!(paths.len(), docs.len());
}

#[test]
fn documents_are_openapi_3_with_kind_extensions_in_both_shapes() {
    for (key, doc) in documents() {
        assert_eq!(doc["openapi"], "3.0.0", "{key}");
        for (path, method, op) in operations(&doc) {
            if path.ends_with('/') {
                assert!(op.get(GVK_EXTENSION).is_none());
                continue;
            }
            let gvk = op[GVK_EXTENSION]
                .as_object()
                .unwrap_or_else(|| panic!("{method} {path}"));
            assert_eq!(gvk.len(), 3);
            assert!(
                ["group", "version", "kind"]
                    .iter()
                    .all(|k| gvk[*k].is_string())
            );
            assert!(op["x-kubernetes-action"].is_string(), "{method} {path}");
            assert!(op["operationId"].is_string());
        }
        for (name, schema) in schemas(&doc) {
            if let Some(kinds) = schema.get(GVK_EXTENSION) {
                let kinds = kinds.as_array().unwrap_or_else(|| panic!("{name}"));
                assert!(
                    kinds
                        .iter()
                        .all(|k| k["kind"].is_string() && k["group"].is_string())
                );
            }
        }
    }
}

/// kubectl decides server-side field validation from the first path (in map
/// order, so any of them) whose patch operation has the kind.
#[test]
fn every_patch_operation_declares_field_validation_inline() {
    let docs = documents();
    for resource in support::resources() {
        let doc = &docs[&v3_index_key(&resource.group, &resource.version)];
        let gvk = resource.gvk().to_value();
        if !resource.has_verb("patch") {
            continue;
        }
        let patches: Vec<&Value> = operations(doc)
            .into_iter()
            .filter(|(_, method, op)| *method == "patch" && op[GVK_EXTENSION] == gvk)
            .map(|(_, _, op)| op)
            .collect();
        assert!(!patches.is_empty(), "{}", resource.plural);
        for op in patches {
            let params = op["parameters"].as_array().unwrap();
            let field_validation = params
                .iter()
                .find(|p| p["name"] == "fieldValidation")
                .unwrap_or_else(|| panic!("{}", op["operationId"]));
            assert_eq!(field_validation["in"], "query");
            assert!(field_validation.get("$ref").is_none());
            let content = op["requestBody"]["content"].as_object().unwrap();
            for media in [
                "application/merge-patch+json",
                "application/json-patch+json",
                "application/apply-patch+yaml",
            ] {
                assert!(content.contains_key(media), "{media}");
            }
            // kubectl apply sends a strategic merge patch exactly when it is listed.
            assert_eq!(
                content.contains_key("application/strategic-merge-patch+json"),
                resource.strategic_merge_patch,
                "{}",
                op["operationId"]
            );
        }
        for (_, method, op) in operations(doc) {
            if matches!(method, "put" | "post") && op["x-kubernetes-action"] != "connect" {
                let params = op["parameters"].as_array().unwrap();
                assert!(params.iter().any(|p| p["name"] == "fieldValidation"));
            }
        }
    }
}

/// What `kubectl explain` does: find the kind on the resource's operations,
/// then the schema that lists the kind.
#[test]
fn explain_finds_each_kind_and_its_schema() {
    let docs = documents();
    for resource in support::resources() {
        let key = v3_index_key(&resource.group, &resource.version);
        let doc = &docs[&key];
        let prefix = format!("/{key}");
        let plural = &resource.plural;
        let candidates = [
            format!("{prefix}/{plural}"),
            format!("{prefix}/{plural}/{{name}}"),
            format!("{prefix}/namespaces/{{namespace}}/{plural}"),
            format!("{prefix}/namespaces/{{namespace}}/{plural}/{{name}}"),
        ];
        let gvk = candidates
            .iter()
            .filter_map(|path| doc["paths"].get(path))
            .flat_map(|item| ["get", "post", "put", "patch", "delete"].map(|m| item.get(m)))
            .flatten()
            .find_map(|op| op.get(GVK_EXTENSION))
            .unwrap_or_else(|| panic!("no operation for {plural}"));
        assert_eq!(gvk, &resource.gvk().to_value());
        let (name, schema) = schemas(doc)
            .iter()
            .find(|(_, s)| s[GVK_EXTENSION].as_array().is_some_and(|k| k.contains(gvk)))
            .unwrap_or_else(|| panic!("no schema for {gvk}"));
        assert_eq!(name, &resource.definition);
        assert!(schema["properties"]["metadata"].is_object(), "{name}");
        assert!(schema["description"].is_string(), "{name}");
    }
}

#[test]
fn strategic_merge_metadata_is_reachable_through_refs() {
    let docs = documents();
    let schemas = schemas(&docs["apis/apps/v1"]);
    let deployment = OpenApiPatchSchema::new(schemas, "io.k8s.api.apps.v1.Deployment");
    let (spec, _) = deployment.lookup_struct_field("spec");
    let (template, _) = spec.lookup_struct_field("template");
    let (pod_spec, _) = template.lookup_struct_field("spec");
    let (container, meta) = pod_spec.lookup_list_field("containers");
    assert_eq!(
        (meta.strategies.clone(), meta.merge_key.as_str()),
        (vec!["merge".to_string()], "name")
    );
    let (_, ports) = container.lookup_list_field("ports");
    assert_eq!(ports.merge_key, "containerPort");
    let (_, strategy) = spec.lookup_struct_field("strategy");
    assert_eq!(strategy.strategies, ["retainKeys"]);

    let containers = &schemas["io.k8s.api.core.v1.PodSpec"]["properties"]["containers"];
    assert_eq!(containers["x-kubernetes-patch-merge-key"], "name");
    assert_eq!(containers["x-kubernetes-list-type"], "map");
    assert_eq!(
        containers["items"],
        json!({"$ref": "#/components/schemas/io.k8s.api.core.v1.Container"})
    );
    let strategy = &schemas["io.k8s.api.apps.v1.DeploymentSpec"]["properties"]["strategy"];
    assert_eq!(
        strategy["allOf"][0]["$ref"],
        "#/components/schemas/io.k8s.api.apps.v1.DeploymentStrategy"
    );
    assert_eq!(strategy["x-kubernetes-patch-strategy"], "retainKeys");
}

#[test]
fn documents_have_no_dangling_refs_or_json_schema_artefacts() {
    for (key, doc) in documents() {
        let schemas = schemas(&doc);
        let check_ref = |reference: &str| {
            let name = reference
                .strip_prefix("#/components/schemas/")
                .unwrap_or_else(|| panic!("{key}: foreign ref {reference}"));
            assert!(
                schemas.contains_key(name),
                "{key}: dangling ref {reference}"
            );
        };
        for (_, _, op) in operations(&doc) {
            let text = op.to_string();
            for piece in text.split("\"$ref\":\"").skip(1) {
                check_ref(&piece[..piece.find('"').unwrap()]);
            }
        }
        for (name, schema) in schemas {
            walk_schemas(schema, &mut |node| {
                for artefact in ["$schema", "$defs", "const", "definitions", "examples"] {
                    assert!(!node.contains_key(artefact), "{key}: {artefact} in {name}");
                }
                assert!(
                    !node.get("type").is_some_and(Value::is_array),
                    "{key}: type list in {name}"
                );
                if let Some(reference) = node.get("$ref").and_then(Value::as_str) {
                    check_ref(reference);
                    assert_eq!(node.len(), 1, "{key}: ref siblings in {name}");
                }
                for keyword in ["oneOf", "anyOf"] {
                    if let Some(branches) = node.get(keyword).and_then(Value::as_array) {
                        assert!(
                            branches
                                .iter()
                                .all(|b| b.get("type") != Some(&json!("null")))
                        );
                    }
                }
            });
        }
    }
}

#[test]
fn core_document_serves_pod_subresources() {
    let docs = documents();
    let core = &docs["api/v1"];
    let pod = "/api/v1/namespaces/{namespace}/pods/{name}";
    let log = &core["paths"][format!("{pod}/log")]["get"];
    assert_eq!(log["operationId"], "readCoreV1NamespacedPodLog");
    assert_eq!(
        log["responses"]["200"]["content"]["text/plain"]["schema"],
        json!({"type": "string"})
    );
    let binding = &core["paths"][format!("{pod}/binding")]["post"];
    assert_eq!(
        binding[GVK_EXTENSION],
        json!({"group": "", "kind": "Binding", "version": "v1"})
    );
    assert_eq!(
        binding["requestBody"]["content"]["*/*"]["schema"]["$ref"],
        "#/components/schemas/io.k8s.api.core.v1.Binding"
    );
    let eviction = &core["paths"][format!("{pod}/eviction")]["post"];
    assert_eq!(eviction[GVK_EXTENSION]["group"], "policy");
    assert!(core["components"]["schemas"]["io.k8s.api.policy.v1.Eviction"].is_object());
    let exec = &core["paths"][format!("{pod}/exec")];
    assert_eq!(
        exec["get"]["operationId"],
        "connectCoreV1GetNamespacedPodExec"
    );
    assert_eq!(exec["post"]["x-kubernetes-action"], "connect");
    let namespaces = &core["paths"]["/api/v1/namespaces"];
    assert!(
        namespaces.get("delete").is_none(),
        "no deletecollection verb"
    );
    assert_eq!(namespaces["get"]["operationId"], "listCoreV1Namespace");
    let list = &namespaces["get"]["responses"]["200"]["content"]["application/json;stream=watch"];
    assert_eq!(
        list["schema"]["$ref"],
        "#/components/schemas/io.k8s.api.core.v1.NamespaceList"
    );
    let status_delete =
        &core["paths"][pod]["delete"]["responses"]["202"]["content"]["application/json"];
    assert_eq!(
        status_delete["schema"]["$ref"],
        "#/components/schemas/io.k8s.apimachinery.pkg.apis.meta.v1.Status"
    );
    assert!(core["paths"]["/api/v1/"]["get"]["responses"]["200"].is_object());
}

#[test]
fn custom_resources_get_their_schema_list_and_scale() {
    let docs = documents();
    let doc = &docs["apis/example.com/v1"];
    let schemas = schemas(doc);
    assert_eq!(
        capstan_openapi::custom_resource_schema_name("example.com", "v1", "Widget"),
        support::WIDGET_SCHEMA
    );
    let widget = &schemas[support::WIDGET_SCHEMA];
    assert_eq!(
        widget[GVK_EXTENSION],
        json!([support::widget_gvk().to_value()])
    );
    assert_eq!(
        widget["properties"]["spec"]["properties"]["mode"]["nullable"],
        true
    );
    let list = &schemas["com.example.v1.WidgetList"];
    assert_eq!(
        list[GVK_EXTENSION],
        json!([{"group": "example.com", "kind": "WidgetList", "version": "v1"}])
    );
    assert_eq!(
        list["properties"]["items"]["items"]["$ref"],
        "#/components/schemas/com.example.v1.Widget"
    );
    let scale =
        &doc["paths"]["/apis/example.com/v1/namespaces/{namespace}/widgets/{name}/scale"]["patch"];
    assert_eq!(
        scale["operationId"],
        "patchExampleComV1NamespacedWidgetScale"
    );
    assert_eq!(scale[GVK_EXTENSION]["kind"], "Scale");
    assert!(schemas.contains_key("io.k8s.api.autoscaling.v1.Scale"));
    assert!(
        !schemas.contains_key("io.k8s.api.core.v1.Pod"),
        "only reachable schemas"
    );
}

#[test]
fn missing_definitions_are_reported() {
    let defs = support::definitions();
    let gadgets = ServedResource::new(
        "example.com",
        "v1",
        "Gadget",
        "gadgets",
        true,
        "com.example.v1.Gadget",
    );
    let error = v3_document("example.com", "v1", &[gadgets], &defs).unwrap_err();
    assert!(
        matches!(error, OpenApiError::MissingDefinition { ref name, .. } if name == "com.example.v1.Gadget")
    );
    assert!(error.to_string().contains("com.example.v1.Gadget"));
}
