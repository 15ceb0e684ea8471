//! Spelling of the shared operation model in swagger 2.0 and OpenAPI 3.0.

use serde_json::{Map, Value, json};

use crate::definitions::{GVK_EXTENSION, V2_REF_PREFIX, V3_REF_PREFIX};
use crate::operations::{Media, Operation, PathItem, Payload, RequestBody};
use crate::params::{Location, Param};

const JSON: &str = "application/json";
const YAML: &str = "application/yaml";
const PROTOBUF: &str = "application/vnd.kubernetes.protobuf";
const JSON_STREAM: &str = "application/json;stream=watch";
const PROTOBUF_STREAM: &str = "application/vnd.kubernetes.protobuf;stream=watch";
const TEXT: &str = "text/plain";
const ANY: &str = "*/*";

/// Body types a PATCH of a built-in type accepts, as listed upstream.
pub const PATCH_CONTENT_TYPES: &[&str] = &[
    "application/apply-patch+yaml",
    "application/json-patch+json",
    "application/merge-patch+json",
    "application/strategic-merge-patch+json",
];

/// Body types a PATCH of a custom resource accepts: no strategic merge patch.
pub const CUSTOM_RESOURCE_PATCH_CONTENT_TYPES: &[&str] = &[
    "application/apply-patch+yaml",
    "application/json-patch+json",
    "application/merge-patch+json",
];

fn produced(media: Media) -> &'static [&'static str] {
    match media {
        Media::Object => &[JSON, PROTOBUF, YAML],
        Media::Stream => &[JSON, JSON_STREAM, PROTOBUF, PROTOBUF_STREAM, YAML],
        Media::Log => &[JSON, PROTOBUF, YAML, TEXT],
        Media::Any => &[ANY],
    }
}

/// Which OpenAPI version is being written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Dialect {
    Swagger2,
    OpenApi3,
}

impl Dialect {
    fn schema_of(self, payload: &Payload) -> Value {
        match payload {
            Payload::Definition(name) => self.reference(name),
            Payload::Text => json!({"type": "string"}),
        }
    }

    fn reference(self, name: &str) -> Value {
        let prefix = match self {
            Dialect::Swagger2 => V2_REF_PREFIX,
            Dialect::OpenApi3 => V3_REF_PREFIX,
        };
        json!({"$ref": format!("{prefix}{name}")})
    }

    fn param(self, param: &Param) -> Value {
        let mut out = Map::new();
        out.insert("description".into(), param.description.clone().into());
        out.insert("in".into(), param.location.as_str().into());
        out.insert("name".into(), param.name.into());
        if param.location == Location::Path {
            out.insert("required".into(), true.into());
        }
        let kind = json!({"type": param.kind.as_str(), "uniqueItems": true});
        match self {
            Dialect::OpenApi3 => {
                out.insert("schema".into(), kind);
            }
            Dialect::Swagger2 => {
                if let Value::Object(kind) = kind {
                    out.extend(kind);
                }
            }
        }
        Value::Object(out)
    }

    fn params(self, params: &[Param]) -> Vec<Value> {
        let mut sorted: Vec<&Param> = params.iter().collect();
        sorted.sort_by_key(|param| param.name);
        sorted.into_iter().map(|param| self.param(param)).collect()
    }

    /// The request body's schema and the media types it may come in.
    fn request(self, request: &RequestBody) -> (Value, &'static [&'static str], bool) {
        match request {
            RequestBody::Object(name) => (self.reference(name), &[ANY], true),
            RequestBody::Patch { strategic } => {
                let types = if *strategic {
                    PATCH_CONTENT_TYPES
                } else {
                    CUSTOM_RESOURCE_PATCH_CONTENT_TYPES
                };
                (self.reference(crate::operations::PATCH), types, true)
            }
            RequestBody::DeleteOptions => (
                self.reference(crate::operations::DELETE_OPTIONS),
                &[ANY],
                false,
            ),
        }
    }

    pub(crate) fn operation(self, op: &Operation) -> Value {
        let mut out = Map::new();
        out.insert("description".into(), op.description.clone().into());
        out.insert("operationId".into(), op.operation_id.clone().into());
        let mut params = Vec::new();
        if let (Dialect::Swagger2, Some(request)) = (self, &op.request) {
            let (schema, consumes, required) = self.request(request);
            out.insert("consumes".into(), json!(consumes));
            params.push(
                json!({"in": "body", "name": "body", "required": required, "schema": schema}),
            );
        }
        params.extend(self.params(&op.params));
        if !params.is_empty() {
            out.insert("parameters".into(), Value::Array(params));
        }
        if let (Dialect::OpenApi3, Some(request)) = (self, &op.request) {
            let (schema, content_types, required) = self.request(request);
            let content: Map<String, Value> = content_types
                .iter()
                .map(|media| (media.to_string(), json!({"schema": schema})))
                .collect();
            let mut body = Map::new();
            body.insert("content".into(), Value::Object(content));
            if required {
                body.insert("required".into(), true.into());
            }
            out.insert("requestBody".into(), Value::Object(body));
        }
        if self == Dialect::Swagger2 {
            out.insert("produces".into(), json!(produced(op.media)));
            out.insert("schemes".into(), json!(["https"]));
        }
        out.insert("responses".into(), self.responses(op));
        out.insert("tags".into(), json!([op.tag]));
        if let Some(action) = op.action {
            out.insert("x-kubernetes-action".into(), action.into());
        }
        if let Some(gvk) = &op.gvk {
            out.insert(GVK_EXTENSION.into(), gvk.to_value());
        }
        Value::Object(out)
    }

    fn responses(self, op: &Operation) -> Value {
        let mut out = Map::new();
        for response in &op.responses {
            let schema = self.schema_of(&response.payload);
            let mut entry = Map::new();
            entry.insert("description".into(), response.description.into());
            match self {
                Dialect::Swagger2 => {
                    entry.insert("schema".into(), schema);
                }
                Dialect::OpenApi3 => {
                    let content: Map<String, Value> = produced(op.media)
                        .iter()
                        .map(|media| (media.to_string(), json!({"schema": schema})))
                        .collect();
                    entry.insert("content".into(), Value::Object(content));
                }
            }
            out.insert(response.code.into(), Value::Object(entry));
        }
        out.insert("401".into(), json!({"description": "Unauthorized"}));
        Value::Object(out)
    }

    pub(crate) fn path_item(self, item: &PathItem) -> Value {
        let mut out = Map::new();
        for op in &item.operations {
            out.insert(op.method.as_str().into(), self.operation(op));
        }
        if !item.params.is_empty() {
            out.insert("parameters".into(), Value::Array(self.params(&item.params)));
        }
        Value::Object(out)
    }

    /// `paths` of a document; a path served twice keeps the first operations.
    pub(crate) fn paths(self, items: &[PathItem]) -> Map<String, Value> {
        let mut out = Map::new();
        for item in items {
            out.entry(item.path.clone())
                .or_insert_with(|| self.path_item(item));
        }
        out
    }
}

/// Header-token security, declared as upstream does.
pub(crate) fn bearer_token_scheme() -> Value {
    json!({
        "description": "Bearer Token authentication",
        "in": "header",
        "name": "authorization",
        "type": "apiKey",
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::definitions::GroupVersionKind;
    use crate::operations::{Method, Response};
    use crate::params;

    fn patch_operation() -> Operation {
        Operation {
            method: Method::Patch,
            operation_id: "patchAppsV1NamespacedDeployment".into(),
            description: "partially update the specified Deployment".into(),
            tag: "apps_v1".into(),
            action: Some("patch"),
            gvk: Some(GroupVersionKind::new("apps", "v1", "Deployment")),
            params: params::query(params::PATCH),
            request: Some(RequestBody::Patch { strategic: true }),
            responses: vec![Response {
                code: "200",
                description: "OK",
                payload: Payload::Definition("io.k8s.api.apps.v1.Deployment".into()),
            }],
            media: Media::Object,
        }
    }

    #[test]
    fn v3_operation_has_inline_params_and_patch_content() {
        let op = Dialect::OpenApi3.operation(&patch_operation());
        let names: Vec<&str> = op["parameters"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| p["name"].as_str().unwrap())
            .collect();
        assert_eq!(
            names,
            ["dryRun", "fieldManager", "fieldValidation", "force"]
        );
        assert_eq!(
            op["parameters"][2]["schema"],
            json!({"type": "string", "uniqueItems": true})
        );
        let content = op["requestBody"]["content"].as_object().unwrap();
        assert_eq!(content.len(), 4);
        assert_eq!(
            content["application/strategic-merge-patch+json"]["schema"]["$ref"],
            "#/components/schemas/io.k8s.apimachinery.pkg.apis.meta.v1.Patch"
        );
        assert_eq!(op["requestBody"]["required"], true);
        assert_eq!(
            op["responses"]["200"]["content"]["application/json"]["schema"]["$ref"],
            "#/components/schemas/io.k8s.api.apps.v1.Deployment"
        );
        assert_eq!(op["responses"]["401"]["description"], "Unauthorized");
        assert_eq!(
            op[GVK_EXTENSION],
            json!({"group": "apps", "kind": "Deployment", "version": "v1"})
        );
        assert_eq!(op["x-kubernetes-action"], "patch");

        let mut custom = patch_operation();
        custom.request = Some(RequestBody::Patch { strategic: false });
        let op = Dialect::OpenApi3.operation(&custom);
        let content = op["requestBody"]["content"].as_object().unwrap();
        assert_eq!(content.len(), 3);
        assert!(!content.contains_key("application/strategic-merge-patch+json"));
        let v2 = Dialect::Swagger2.operation(&custom);
        assert_eq!(v2["consumes"], json!(CUSTOM_RESOURCE_PATCH_CONTENT_TYPES));
    }

    #[test]
    fn v2_operation_uses_body_param_consumes_and_schema() {
        let op = Dialect::Swagger2.operation(&patch_operation());
        assert_eq!(op["consumes"], json!(PATCH_CONTENT_TYPES));
        assert_eq!(
            op["parameters"][0],
            json!({"in": "body", "name": "body", "required": true,
                   "schema": {"$ref": "#/definitions/io.k8s.apimachinery.pkg.apis.meta.v1.Patch"}})
        );
        assert_eq!(
            op["parameters"][3],
            json!({"description": params::query(&["fieldValidation"])[0].description,
                   "in": "query", "name": "fieldValidation", "type": "string", "uniqueItems": true})
        );
        assert_eq!(
            op["responses"]["200"]["schema"]["$ref"],
            "#/definitions/io.k8s.api.apps.v1.Deployment"
        );
        assert_eq!(op["schemes"], json!(["https"]));
        assert!(op.get("requestBody").is_none());
    }

    #[test]
    fn path_items_put_shared_params_on_the_path() {
        let item = PathItem {
            path: "/apis/apps/v1/namespaces/{namespace}/deployments/{name}".into(),
            params: vec![
                params::path("namespace", "ns".into()),
                params::path("name", "name".into()),
            ],
            operations: vec![patch_operation()],
        };
        let v3 = Dialect::OpenApi3.path_item(&item);
        assert_eq!(v3["parameters"][0]["name"], "name");
        assert_eq!(v3["parameters"][0]["required"], true);
        assert_eq!(v3["parameters"][1]["in"], "path");
        assert!(v3["patch"].is_object());
    }
}
