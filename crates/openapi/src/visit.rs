//! Walks the schema positions of a JSON schema.
//!
//! Only keywords that hold schemas are followed: `properties` maps names to
//! schemas (a property may well be called `$ref`), while `enum`, `default`,
//! `example` and extensions hold plain data that must be left alone.

use serde_json::{Map, Value};

/// Keywords whose value maps names to schemas.
const SCHEMA_MAP_KEYWORDS: &[&str] = &[
    "properties",
    "patternProperties",
    "definitions",
    "$defs",
    "dependentSchemas",
];

/// Keywords whose value is one schema (`items` may also be a list of schemas).
const SCHEMA_KEYWORDS: &[&str] = &[
    "items",
    "additionalProperties",
    "additionalItems",
    "not",
    "contains",
    "propertyNames",
    "if",
    "then",
    "else",
    "unevaluatedProperties",
    "unevaluatedItems",
];

/// Keywords whose value is a list of schemas.
const SCHEMA_LIST_KEYWORDS: &[&str] = &["allOf", "anyOf", "oneOf", "prefixItems"];

/// Calls `visit` on `schema` and then on every schema nested in it (pre-order,
/// so `visit` may restructure a node before its children are walked).
pub(crate) fn for_each_schema_mut(
    schema: &mut Value,
    visit: &mut dyn FnMut(&mut Map<String, Value>),
) {
    let Value::Object(node) = schema else {
        return;
    };
    visit(node);
    for (keyword, child) in node.iter_mut() {
        let keyword = keyword.as_str();
        if SCHEMA_MAP_KEYWORDS.contains(&keyword) {
            if let Value::Object(named) = child {
                for nested in named.values_mut() {
                    for_each_schema_mut(nested, visit);
                }
            }
        } else if SCHEMA_KEYWORDS.contains(&keyword) || SCHEMA_LIST_KEYWORDS.contains(&keyword) {
            match child {
                Value::Array(list) => {
                    for nested in list {
                        for_each_schema_mut(nested, visit);
                    }
                }
                nested => for_each_schema_mut(nested, visit),
            }
        }
    }
}

/// Read-only twin of [`for_each_schema_mut`].
pub(crate) fn for_each_schema(schema: &Value, visit: &mut dyn FnMut(&Map<String, Value>)) {
    let Value::Object(node) = schema else {
        return;
    };
    visit(node);
    for (keyword, child) in node {
        let keyword = keyword.as_str();
        if SCHEMA_MAP_KEYWORDS.contains(&keyword) {
            if let Value::Object(named) = child {
                for nested in named.values() {
                    for_each_schema(nested, visit);
                }
            }
        } else if SCHEMA_KEYWORDS.contains(&keyword) || SCHEMA_LIST_KEYWORDS.contains(&keyword) {
            match child {
                Value::Array(list) => {
                    for nested in list {
                        for_each_schema(nested, visit);
                    }
                }
                nested => for_each_schema(nested, visit),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn visits_schema_positions_only() {
        let schema = json!({
            "properties": {
                "$ref": {"type": "string"},
                "list": {"type": "array", "items": {"$ref": "#/components/schemas/A"}},
                "map": {"additionalProperties": {"allOf": [{"$ref": "#/components/schemas/B"}]}},
            },
            "default": {"$ref": "#/components/schemas/NotARef"},
            "x-kubernetes-validations": [{"rule": "self.a"}],
        });
        let mut refs = Vec::new();
        for_each_schema(&schema, &mut |node| {
            if let Some(Value::String(reference)) = node.get("$ref") {
                refs.push(reference.clone());
            }
        });
        assert_eq!(refs, ["#/components/schemas/A", "#/components/schemas/B"]);
    }

    #[test]
    fn mutation_happens_before_children_are_walked() {
        let mut schema = json!({"items": {"type": ["string", "null"]}});
        let mut seen = 0;
        for_each_schema_mut(&mut schema, &mut |node| {
            seen += 1;
            if node.contains_key("items") {
                node.insert("items".into(), json!([{"a": 1}, {"b": 2}]));
            }
        });
        assert_eq!(seen, 3);
    }
}
