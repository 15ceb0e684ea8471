//! Schemas of the built-in types, generated from k8s-openapi and brought into
//! the shape `/openapi/v3` serves upstream.

mod catalog;

use schemars::generate::SchemaSettings;
use serde_json::{Map, Value, json};

pub use catalog::BUILTIN_GROUP_VERSIONS;

use crate::definitions::{Definitions, GroupVersionKind, referenced_names};
use crate::shapes::{LIST_META, OBJECT_META, list_schema};

const INT_OR_STRING: &str = "io.k8s.apimachinery.pkg.util.intstr.IntOrString";
const QUANTITY: &str = "io.k8s.apimachinery.pkg.api.resource.Quantity";
const DELETE_OPTIONS: &str = "io.k8s.apimachinery.pkg.apis.meta.v1.DeleteOptions";
const WATCH_EVENT: &str = "io.k8s.apimachinery.pkg.apis.meta.v1.WatchEvent";
/// apiextensions types that upstream publishes as a bare description: their
/// values are arbitrary JSON, or one of several shapes.
const DESCRIPTION_ONLY: &[&str] = &[
    "io.k8s.apiextensions-apiserver.pkg.apis.apiextensions.v1.JSON",
    "io.k8s.apiextensions-apiserver.pkg.apis.apiextensions.v1.JSONSchemaPropsOrArray",
    "io.k8s.apiextensions-apiserver.pkg.apis.apiextensions.v1.JSONSchemaPropsOrBool",
    "io.k8s.apiextensions-apiserver.pkg.apis.apiextensions.v1.JSONSchemaPropsOrStringArray",
];

/// The swagger 2.0 schema of a built-in type whose v3 schema has no v2
/// spelling (`oneOf`): IntOrString and Quantity are strings there.
pub(crate) fn v2_override(name: &str, description: Option<&Value>) -> Option<Value> {
    let mut schema = match name {
        INT_OR_STRING => json!({"type": "string", "format": "int-or-string"}),
        QUANTITY => json!({"type": "string"}),
        _ => return None,
    };
    if let (Some(text), Value::Object(map)) = (description, &mut schema) {
        map.insert("description".into(), text.clone());
    }
    Some(schema)
}

/// Schemas of every built-in type of the group versions in
/// [`BUILTIN_GROUP_VERSIONS`], plus the meta/v1 types operations use
/// (`Status`, `DeleteOptions`, `WatchEvent`, `Patch`, `APIResourceList`…).
///
/// Each kind's schema lists its kind in `x-kubernetes-group-version-kind`,
/// each kind with a list gets a `<Kind>List` schema, and properties carry the
/// strategic-merge and list/map-type extensions of `capstan-patch`.
pub fn builtin_definitions() -> Definitions {
    let settings = SchemaSettings::openapi3().with(|settings| {
        settings.meta_schema = None;
        // Refs with siblings are wrapped by our own normalisation.
        settings.transforms.clear();
    });
    let mut generator = settings.into_generator();
    let catalog = catalog::register_all(&mut generator);
    let mut raw = generator.take_definitions(false);

    fix_special_types(&mut raw);
    for schema in raw.values_mut() {
        drop_required_metadata(schema);
    }
    capstan_patch::builtin::annotate_definitions(&mut raw);

    let mut defs = Definitions::new();
    for (name, schema) in raw {
        defs.insert(name, schema);
    }
    for (item, list_gvk) in &catalog.lists {
        let list_name = format!("{item}List");
        if !defs.contains(&list_name) {
            let item_kind = list_gvk.kind.strip_suffix("List").unwrap_or(&list_gvk.kind);
            let schema = list_schema(&defs, item, item_kind);
            defs.insert(list_name.clone(), schema);
        }
        defs.add_group_version_kind(&list_name, list_gvk);
    }
    for (name, gvk) in &catalog.kinds {
        defs.add_group_version_kind(name, gvk);
    }
    for (group, version) in BUILTIN_GROUP_VERSIONS {
        for (name, kind) in [
            (DELETE_OPTIONS, "DeleteOptions"),
            (WATCH_EVENT, "WatchEvent"),
        ] {
            defs.add_group_version_kind(name, &GroupVersionKind::new(group, version, kind));
        }
    }
    defs
}

/// Gives the types with custom JSON encodings the schemas upstream publishes.
fn fix_special_types(raw: &mut Map<String, Value>) {
    let mut replace = |name: &str, shape: Value| {
        if let Some(Value::Object(schema)) = raw.get_mut(name) {
            let description = schema.remove("description");
            schema.clear();
            if let Value::Object(shape) = shape {
                schema.extend(shape);
            }
            if let Some(text) = description {
                schema.insert("description".into(), text);
            }
        }
    };
    replace(
        INT_OR_STRING,
        json!({"format": "int-or-string", "oneOf": [{"type": "integer"}, {"type": "string"}]}),
    );
    replace(
        QUANTITY,
        json!({"oneOf": [{"type": "string"}, {"type": "number"}]}),
    );
    for name in DESCRIPTION_ONLY {
        replace(name, json!({}));
    }
}

/// k8s-openapi makes `metadata` required (its Rust field is not optional);
/// upstream never requires it.
fn drop_required_metadata(schema: &mut Value) {
    let is_meta_ref = schema
        .get("properties")
        .and_then(|properties| properties.get("metadata"))
        .map(referenced_names)
        .is_some_and(|names| names.contains(OBJECT_META) || names.contains(LIST_META));
    if !is_meta_ref {
        return;
    }
    let Value::Object(map) = schema else {
        return;
    };
    if let Some(Value::Array(required)) = map.get_mut("required") {
        required.retain(|field| field != "metadata");
        if required.is_empty() {
            map.remove("required");
        }
    }
}
