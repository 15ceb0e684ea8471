//! Schemas that are made up rather than generated: lists, custom resources.

use serde_json::{Map, Value, json};

use crate::definitions::{Definitions, GVK_EXTENSION, GroupVersionKind, v3_ref};

pub(crate) const OBJECT_META: &str = "io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta";
pub(crate) const LIST_META: &str = "io.k8s.apimachinery.pkg.apis.meta.v1.ListMeta";
/// A built-in definition whose `apiVersion`/`kind` properties are the standard ones.
const TYPE_META_SOURCE: &str = "io.k8s.apimachinery.pkg.apis.meta.v1.Status";

/// `{"allOf": [{"$ref": ...}], "description": ...}`, how v3 refers with a description.
fn described_ref(name: &str, description: &str) -> Value {
    json!({"allOf": [v3_ref(name)], "description": description})
}

/// The `apiVersion` and `kind` property schemas, borrowed from a built-in type
/// when `defs` has one so that their descriptions match the built-in kinds.
fn type_meta_property(defs: &Definitions, field: &str) -> Value {
    defs.get(TYPE_META_SOURCE)
        .and_then(|status| status.get("properties")?.get(field))
        .cloned()
        .unwrap_or_else(|| json!({"type": "string"}))
}

/// The schema of the list of `item_definition` objects (kind `<kind>List`),
/// shaped like upstream's lists: `items` required, `metadata` a `ListMeta`.
pub fn list_schema(defs: &Definitions, item_definition: &str, kind: &str) -> Value {
    json!({
        "description": format!("{kind}List is a list of {kind} objects."),
        "properties": {
            "apiVersion": type_meta_property(defs, "apiVersion"),
            "items": {
                "description": format!("List of {kind} objects."),
                "items": v3_ref(item_definition),
                "type": "array",
            },
            "kind": type_meta_property(defs, "kind"),
            "metadata": described_ref(LIST_META, "Standard list metadata."),
        },
        "required": ["items"],
        "type": "object",
    })
}

/// The name upstream gives a custom resource's schema: the group's labels
/// reversed, then version and kind (`stable.example.com`, `v1`, `CronTab` →
/// `com.example.stable.v1.CronTab`).
pub fn custom_resource_schema_name(group: &str, version: &str, kind: &str) -> String {
    let mut labels: Vec<&str> = group.split('.').filter(|label| !label.is_empty()).collect();
    labels.reverse();
    labels.push(version);
    labels.push(kind);
    labels.join(".")
}

/// The published schema of a custom resource, built from the
/// `openAPIV3Schema` of its CRD version the way upstream publishes it:
/// `apiVersion`, `kind` and `metadata` (an `ObjectMeta` ref) are declared, and
/// the kind is recorded in `x-kubernetes-group-version-kind`.
///
/// `defs` only lends the standard `apiVersion`/`kind` descriptions.
pub fn custom_resource_schema(
    defs: &Definitions,
    gvk: &GroupVersionKind,
    validation: Option<&Value>,
) -> Value {
    let mut schema = match validation {
        Some(Value::Object(map)) => map.clone(),
        _ => Map::new(),
    };
    schema.entry("type").or_insert_with(|| json!("object"));
    let properties = schema
        .entry("properties")
        .or_insert_with(|| Value::Object(Map::new()));
    if !properties.is_object() {
        *properties = Value::Object(Map::new());
    }
    if let Value::Object(properties) = properties {
        properties.insert("apiVersion".into(), type_meta_property(defs, "apiVersion"));
        properties.insert("kind".into(), type_meta_property(defs, "kind"));
        properties.insert(
            "metadata".into(),
            described_ref(OBJECT_META, "Standard object's metadata."),
        );
    }
    schema.insert(GVK_EXTENSION.into(), json!([gvk.to_value()]));
    Value::Object(schema)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn list_schema_refers_to_items_and_list_meta() {
        let schema = list_schema(&Definitions::new(), "com.example.v1.Widget", "Widget");
        assert_eq!(
            schema["properties"]["items"]["items"],
            json!({"$ref": "#/components/schemas/com.example.v1.Widget"})
        );
        assert_eq!(
            schema["properties"]["metadata"]["allOf"][0]["$ref"],
            "#/components/schemas/io.k8s.apimachinery.pkg.apis.meta.v1.ListMeta"
        );
        assert_eq!(schema["required"], json!(["items"]));
        assert_eq!(schema["properties"]["kind"], json!({"type": "string"}));
    }

    #[test]
    fn custom_resource_names_reverse_the_group() {
        assert_eq!(
            custom_resource_schema_name("stable.example.com", "v1", "CronTab"),
            "com.example.stable.v1.CronTab"
        );
        assert_eq!(
            custom_resource_schema_name("example.com", "v1beta1", "Widget"),
            "com.example.v1beta1.Widget"
        );
    }

    #[test]
    fn custom_resource_schema_adds_type_meta_and_kind() {
        let gvk = GroupVersionKind::new("example.com", "v1", "Widget");
        let validation = json!({
            "type": "object",
            "properties": {"spec": {"type": "object", "properties": {"size": {"type": "integer"}}}},
        });
        let schema = custom_resource_schema(&Definitions::new(), &gvk, Some(&validation));
        assert_eq!(
            schema["properties"]["spec"],
            validation["properties"]["spec"]
        );
        assert_eq!(
            schema["properties"]["metadata"]["allOf"][0]["$ref"],
            "#/components/schemas/io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta"
        );
        assert_eq!(
            schema[GVK_EXTENSION],
            json!([{"group": "example.com", "kind": "Widget", "version": "v1"}])
        );
        // A CRD version without a schema still publishes the object's envelope.
        let bare = custom_resource_schema(&Definitions::new(), &gvk, None);
        assert_eq!(bare["type"], "object");
        assert!(bare["properties"]["apiVersion"].is_object());
    }
}
