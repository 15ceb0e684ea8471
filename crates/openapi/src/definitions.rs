//! The schema registry shared by the v2 and v3 documents.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::{Map, Value, json};

use crate::error::OpenApiError;
use crate::normalize;
use crate::visit::for_each_schema;

/// Where OpenAPI v3 documents keep their schemas.
pub const V3_REF_PREFIX: &str = "#/components/schemas/";
/// Where swagger 2.0 documents keep their schemas.
pub const V2_REF_PREFIX: &str = "#/definitions/";
/// The extension naming the kinds a schema (array) or an operation (object) is about.
pub const GVK_EXTENSION: &str = "x-kubernetes-group-version-kind";

/// A group, version and kind, e.g. `apps`/`v1`/`Deployment` (core group: `""`).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct GroupVersionKind {
    pub group: String,
    pub version: String,
    pub kind: String,
}

impl GroupVersionKind {
    pub fn new(group: &str, version: &str, kind: &str) -> Self {
        GroupVersionKind {
            group: group.to_string(),
            version: version.to_string(),
            kind: kind.to_string(),
        }
    }

    /// The `{"group", "kind", "version"}` object used by the extension.
    pub fn to_value(&self) -> Value {
        json!({"group": self.group, "kind": self.kind, "version": self.version})
    }
}

/// Named JSON schemas in OpenAPI v3 form (refs point at `#/components/schemas/<name>`).
///
/// The built-in types come from [`crate::builtin_definitions`]; custom resources
/// add theirs with [`Definitions::insert`]. Documents only copy the schemas that
/// their operations reach.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Definitions {
    schemas: BTreeMap<String, Value>,
}

impl Definitions {
    pub fn new() -> Self {
        Definitions::default()
    }

    pub fn get(&self, name: &str) -> Option<&Value> {
        self.schemas.get(name)
    }

    pub fn contains(&self, name: &str) -> bool {
        self.schemas.contains_key(name)
    }

    pub fn len(&self) -> usize {
        self.schemas.len()
    }

    pub fn is_empty(&self) -> bool {
        self.schemas.is_empty()
    }

    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.schemas.keys().map(String::as_str)
    }

    pub fn iter(&self) -> impl Iterator<Item = (&str, &Value)> {
        self.schemas
            .iter()
            .map(|(name, schema)| (name.as_str(), schema))
    }

    /// Adds or replaces the schema called `name`, returning the previous one.
    ///
    /// Swagger-style refs (`#/definitions/X`) are rewritten to v3 refs, and JSON
    /// Schema artefacts that OpenAPI clients reject (`$schema`, `const`, `null`
    /// in `type`) are normalised away.
    pub fn insert(&mut self, name: impl Into<String>, mut schema: Value) -> Option<Value> {
        normalize::clean_schema(&mut schema);
        self.schemas.insert(name.into(), schema)
    }

    pub fn remove(&mut self, name: &str) -> Option<Value> {
        self.schemas.remove(name)
    }

    /// Adds every schema of `other`, replacing same-named ones.
    pub fn extend(&mut self, other: Definitions) {
        self.schemas.extend(other.schemas);
    }

    /// Records that `name` is the schema of `gvk` (adds to its
    /// `x-kubernetes-group-version-kind` array once). False if `name` is unknown.
    pub fn add_group_version_kind(&mut self, name: &str, gvk: &GroupVersionKind) -> bool {
        let Some(Value::Object(schema)) = self.schemas.get_mut(name) else {
            return false;
        };
        let entry = gvk.to_value();
        let list = schema
            .entry(GVK_EXTENSION)
            .or_insert_with(|| Value::Array(Vec::new()));
        if !list.is_array() {
            *list = Value::Array(Vec::new());
        }
        if let Value::Array(items) = list
            && !items.contains(&entry)
        {
            items.push(entry);
        }
        true
    }

    /// The name of the schema whose `x-kubernetes-group-version-kind` lists `gvk`.
    pub fn find_by_group_version_kind(&self, gvk: &GroupVersionKind) -> Option<&str> {
        let entry = gvk.to_value();
        self.schemas.iter().find_map(|(name, schema)| {
            let listed = schema.get(GVK_EXTENSION)?.as_array()?;
            listed.contains(&entry).then_some(name.as_str())
        })
    }

    /// `roots` and every definition they reach through refs, looked up first
    /// in `local` (schemas made up for one document) and then here.
    pub(crate) fn closure<'a>(
        &'a self,
        roots: impl IntoIterator<Item = (String, String)>,
        local: &'a BTreeMap<String, Value>,
    ) -> Result<BTreeMap<String, &'a Value>, OpenApiError> {
        let mut reached: BTreeMap<String, &Value> = BTreeMap::new();
        let mut pending: Vec<(String, String)> = roots.into_iter().collect();
        while let Some((name, referenced_by)) = pending.pop() {
            if reached.contains_key(&name) {
                continue;
            }
            let schema = local
                .get(&name)
                .or_else(|| self.schemas.get(&name))
                .ok_or_else(|| OpenApiError::MissingDefinition {
                    name: name.clone(),
                    referenced_by,
                })?;
            for target in referenced_names(schema) {
                if !reached.contains_key(&target) {
                    pending.push((target, name.clone()));
                }
            }
            reached.insert(name, schema);
        }
        Ok(reached)
    }
}

/// Names of the definitions `schema` refers to (v2 or v3 refs).
pub fn referenced_names(schema: &Value) -> BTreeSet<String> {
    let mut names = BTreeSet::new();
    for_each_schema(schema, &mut |node| {
        if let Some(name) = node
            .get("$ref")
            .and_then(Value::as_str)
            .and_then(ref_target)
        {
            names.insert(name.to_string());
        }
    });
    names
}

/// The definition name a local ref points at.
pub fn ref_target(reference: &str) -> Option<&str> {
    reference
        .strip_prefix(V3_REF_PREFIX)
        .or_else(|| reference.strip_prefix(V2_REF_PREFIX))
}

/// `{"$ref": "#/components/schemas/<name>"}`.
pub(crate) fn v3_ref(name: &str) -> Value {
    let mut node = Map::new();
    node.insert(
        "$ref".into(),
        Value::String(format!("{V3_REF_PREFIX}{name}")),
    );
    Value::Object(node)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Definitions {
        let mut defs = Definitions::new();
        defs.insert(
            "a.Root",
            json!({"type": "object", "properties": {
                "child": {"$ref": "#/definitions/a.Child", "description": "d"},
            }}),
        );
        defs.insert(
            "a.Child",
            json!({"type": "object", "properties": {"x": {"type": "string"}}}),
        );
        defs.insert("a.Unused", json!({"type": "string"}));
        defs
    }

    #[test]
    fn insert_rewrites_swagger_refs_to_v3() {
        let defs = sample();
        assert_eq!(
            defs.get("a.Root").unwrap()["properties"]["child"],
            json!({"allOf": [{"$ref": "#/components/schemas/a.Child"}], "description": "d"})
        );
    }

    #[test]
    fn closure_follows_refs_and_reports_missing_ones() {
        let defs = sample();
        let local = BTreeMap::new();
        let reached = defs
            .closure([("a.Root".to_string(), "test".to_string())], &local)
            .unwrap();
        assert_eq!(reached.keys().collect::<Vec<_>>(), ["a.Child", "a.Root"]);

        let mut broken = sample();
        broken.remove("a.Child");
        let error = broken
            .closure([("a.Root".to_string(), "test".to_string())], &local)
            .unwrap_err();
        assert_eq!(
            error,
            OpenApiError::MissingDefinition {
                name: "a.Child".into(),
                referenced_by: "a.Root".into()
            }
        );
    }

    #[test]
    fn group_version_kinds_are_added_once_and_found() {
        let mut defs = sample();
        let gvk = GroupVersionKind::new("a", "v1", "Root");
        assert!(defs.add_group_version_kind("a.Root", &gvk));
        assert!(defs.add_group_version_kind("a.Root", &gvk));
        assert!(!defs.add_group_version_kind("a.Missing", &gvk));
        assert_eq!(
            defs.get("a.Root").unwrap()[GVK_EXTENSION],
            json!([{"group": "a", "kind": "Root", "version": "v1"}])
        );
        assert_eq!(defs.find_by_group_version_kind(&gvk), Some("a.Root"));
        assert_eq!(
            defs.find_by_group_version_kind(&GroupVersionKind::new("a", "v2", "Root")),
            None
        );
    }
}
