//! Where a strategic merge patch learns how to merge each field.
//!
//! Upstream reads Go struct tags (`patchStrategy`, `patchMergeKey`); here the
//! same facts come from OpenAPI definitions carrying the
//! `x-kubernetes-patch-strategy` / `x-kubernetes-patch-merge-key` extensions.

use serde_json::{Map, Value};

pub const PATCH_STRATEGY_EXTENSION: &str = "x-kubernetes-patch-strategy";
pub const PATCH_MERGE_KEY_EXTENSION: &str = "x-kubernetes-patch-merge-key";

/// Patch metadata of one field.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PatchMeta {
    /// The comma-separated strategy split into parts (e.g. `["merge", "retainKeys"]`).
    pub strategies: Vec<String>,
    /// Empty when the field has no merge key.
    pub merge_key: String,
}

impl PatchMeta {
    pub fn new(strategy: &str, merge_key: &str) -> Self {
        PatchMeta {
            strategies: if strategy.is_empty() {
                Vec::new()
            } else {
                strategy.split(',').map(str::to_string).collect()
            },
            merge_key: merge_key.to_string(),
        }
    }
}

/// A position in the type tree that the merge walks, like upstream's `LookupPatchMeta`.
///
/// Lookups never fail for fields the schema knows nothing about: such fields get
/// empty metadata (maps merge, lists are replaced), which is what upstream ends up
/// doing for built-in types.
pub trait PatchSchema: Sized {
    /// Schema and metadata of `key` when its value is an object.
    fn lookup_struct_field(&self, key: &str) -> (Self, PatchMeta);
    /// Schema of the elements and metadata of `key` when its value is a list.
    fn lookup_list_field(&self, key: &str) -> (Self, PatchMeta);
    /// Go kind name of this position, used in "cannot merge lists without merge key for %s".
    fn kind_name(&self) -> String;
}

/// A schema that knows no field: every map merges, every list is replaced.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct NoSchema;

impl PatchSchema for NoSchema {
    fn lookup_struct_field(&self, _key: &str) -> (Self, PatchMeta) {
        (NoSchema, PatchMeta::default())
    }

    fn lookup_list_field(&self, _key: &str) -> (Self, PatchMeta) {
        (NoSchema, PatchMeta::default())
    }

    fn kind_name(&self) -> String {
        "struct".to_string()
    }
}

/// Walks OpenAPI v2/v3-style definitions (`name -> JSON schema`).
///
/// Refs may be `#/definitions/X` or `#/components/schemas/X`, optionally wrapped
/// in `allOf: [{"$ref": ...}]`. Extensions are read on the property schema.
#[derive(Debug, Clone, Copy)]
pub struct OpenApiPatchSchema<'a> {
    definitions: &'a Map<String, Value>,
    /// `None` when the walk left the known schema.
    schema: Option<&'a Value>,
}

/// Bounds `$ref`/`allOf` chains so a cyclic document cannot loop forever.
const MAX_REF_HOPS: usize = 32;

impl<'a> OpenApiPatchSchema<'a> {
    /// Starts at the definition called `root` (e.g. `io.k8s.api.core.v1.Pod`).
    pub fn new(definitions: &'a Map<String, Value>, root: &str) -> Self {
        OpenApiPatchSchema {
            definitions,
            schema: definitions.get(root),
        }
    }

    /// Starts at an arbitrary schema whose refs point into `definitions`.
    pub fn from_schema(definitions: &'a Map<String, Value>, schema: &'a Value) -> Self {
        OpenApiPatchSchema {
            definitions,
            schema: Some(schema),
        }
    }

    /// Whether this position is backed by a schema.
    pub fn is_known(&self) -> bool {
        self.schema.is_some()
    }

    fn at(&self, schema: Option<&'a Value>) -> Self {
        OpenApiPatchSchema {
            definitions: self.definitions,
            schema,
        }
    }

    /// Follows `allOf[0]` and `$ref` until a concrete schema is reached.
    fn resolve(&self, mut schema: &'a Value) -> Option<&'a Value> {
        for _ in 0..MAX_REF_HOPS {
            if let Some(first) = schema
                .get("allOf")
                .and_then(Value::as_array)
                .and_then(|all| all.first())
            {
                schema = first;
                continue;
            }
            match schema.get("$ref").and_then(Value::as_str) {
                Some(reference) => {
                    let name = reference
                        .strip_prefix("#/definitions/")
                        .or_else(|| reference.strip_prefix("#/components/schemas/"))?;
                    schema = self.definitions.get(name)?;
                }
                None => return Some(schema),
            }
        }
        None
    }

    /// The property schema for `key` (unresolved) and whether it came from
    /// `additionalProperties` (map values carry no patch metadata).
    fn field(&self, key: &str) -> Option<(&'a Value, bool)> {
        let schema = self.resolve(self.schema?)?;
        if let Some(property) = schema.get("properties").and_then(|p| p.get(key)) {
            return Some((property, false));
        }
        match schema.get("additionalProperties") {
            Some(values @ Value::Object(_)) => Some((values, true)),
            _ => None,
        }
    }
}

/// Reads an extension on a property, also looking inside an `allOf` wrapper.
fn extension<'v>(property: &'v Value, name: &str) -> Option<&'v str> {
    property.get(name).and_then(Value::as_str).or_else(|| {
        property
            .get("allOf")
            .and_then(Value::as_array)?
            .iter()
            .find_map(|part| part.get(name).and_then(Value::as_str))
    })
}

fn meta_of(property: &Value, from_map_values: bool) -> PatchMeta {
    if from_map_values {
        return PatchMeta::default();
    }
    PatchMeta::new(
        extension(property, PATCH_STRATEGY_EXTENSION).unwrap_or(""),
        extension(property, PATCH_MERGE_KEY_EXTENSION).unwrap_or(""),
    )
}

impl PatchSchema for OpenApiPatchSchema<'_> {
    fn lookup_struct_field(&self, key: &str) -> (Self, PatchMeta) {
        match self.field(key) {
            Some((property, from_map)) => (self.at(Some(property)), meta_of(property, from_map)),
            None => (self.at(None), PatchMeta::default()),
        }
    }

    fn lookup_list_field(&self, key: &str) -> (Self, PatchMeta) {
        match self.field(key) {
            Some((property, from_map)) => {
                // A field declared as an object but patched as a list (upstream's
                // pointer-to-struct case) uses the object schema for its elements.
                let resolved = self.resolve(property);
                let items = resolved.and_then(|list| list.get("items")).or(resolved);
                (self.at(items), meta_of(property, from_map))
            }
            None => (self.at(None), PatchMeta::default()),
        }
    }

    fn kind_name(&self) -> String {
        let resolved = self.schema.and_then(|schema| self.resolve(schema));
        match resolved.and_then(|s| s.get("type")).and_then(Value::as_str) {
            Some("object") | None => "struct".to_string(),
            Some("array") => "slice".to_string(),
            Some("integer") => "int64".to_string(),
            Some("number") => "float64".to_string(),
            Some(other) => other.to_string(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn definitions() -> Map<String, Value> {
        let defs = json!({
            "Pod": {"type": "object", "properties": {
                "spec": {"allOf": [{"$ref": "#/definitions/PodSpec"}], "description": "spec"},
                "labels": {"type": "object", "additionalProperties": {"type": "string"}},
            }},
            "PodSpec": {"type": "object", "properties": {
                "containers": {
                    "type": "array",
                    "items": {"$ref": "#/components/schemas/Container"},
                    "x-kubernetes-patch-strategy": "merge",
                    "x-kubernetes-patch-merge-key": "name",
                },
                "volumes": {
                    "type": "array",
                    "items": {"$ref": "#/definitions/Volume"},
                    "x-kubernetes-patch-strategy": "merge,retainKeys",
                    "x-kubernetes-patch-merge-key": "name",
                },
            }},
            "Container": {"type": "object", "properties": {"name": {"type": "string"}}},
            "Volume": {"type": "object"},
        });
        match defs {
            Value::Object(map) => map,
            _ => unreachable!("literal is an object"),
        }
    }

    #[test]
    fn follows_refs_through_all_of_and_both_prefixes() {
        let defs = definitions();
        let pod = OpenApiPatchSchema::new(&defs, "Pod");
        let (spec, meta) = pod.lookup_struct_field("spec");
        assert_eq!(meta, PatchMeta::default());
        let (container, meta) = spec.lookup_list_field("containers");
        assert_eq!(meta, PatchMeta::new("merge", "name"));
        assert!(container.is_known());
        assert_eq!(container.kind_name(), "struct");
        let (_, meta) = spec.lookup_list_field("volumes");
        assert_eq!(meta.strategies, vec!["merge", "retainKeys"]);
    }

    #[test]
    fn unknown_fields_have_no_metadata() {
        let defs = definitions();
        let pod = OpenApiPatchSchema::new(&defs, "Pod");
        let (unknown, meta) = pod.lookup_list_field("nope");
        assert!(!unknown.is_known());
        assert_eq!(meta, PatchMeta::default());
        let (deeper, _) = unknown.lookup_struct_field("x");
        assert!(!deeper.is_known());
        assert!(!OpenApiPatchSchema::new(&defs, "Missing").is_known());
    }

    #[test]
    fn map_values_come_from_additional_properties() {
        let defs = definitions();
        let pod = OpenApiPatchSchema::new(&defs, "Pod");
        let (labels, _) = pod.lookup_struct_field("labels");
        let (value, meta) = labels.lookup_struct_field("app");
        assert!(value.is_known());
        assert_eq!(meta, PatchMeta::default());
        assert_eq!(value.kind_name(), "string");
    }

    #[test]
    fn cyclic_refs_terminate() {
        let defs = match json!({"A": {"$ref": "#/definitions/A"}}) {
            Value::Object(map) => map,
            _ => unreachable!("literal is an object"),
        };
        let a = OpenApiPatchSchema::new(&defs, "A");
        let (field, _) = a.lookup_struct_field("x");
        assert!(!field.is_known());
    }
}
