//! Structural defaulting (upstream `schema/defaulting.Default`): defaults
//! fill absent fields, and nulls where the schema is not nullable, of
//! objects that exist; the defaults of items and additionalProperties apply
//! to null entries.

use serde_json::Value;

use crate::schema::{Schema, parse_schema};

/// Applies the schema's defaults to `obj`. A schema that cannot be parsed
/// applies nothing.
pub fn default(obj: &mut Value, schema: &Value) {
    if let Ok(s) = parse_schema(schema) {
        default_parsed(obj, &s);
    }
}

/// [`default`] with an already parsed schema.
pub fn default_parsed(obj: &mut Value, schema: &Schema) {
    apply(obj, schema);
}

fn is_non_nullable_null(x: &Value, s: Option<&Schema>) -> bool {
    x.is_null() && s.is_some_and(|s| !s.nullable)
}

fn apply(x: &mut Value, s: &Schema) {
    match x {
        Value::Object(map) => {
            for (k, prop) in &s.properties {
                let Some(default) = &prop.default else {
                    continue;
                };
                // Upstream keeps a literal `default: null` out of the schema.
                if default.is_null() {
                    continue;
                }
                let absent_or_null = match map.get(k) {
                    None => true,
                    Some(v) => is_non_nullable_null(v, Some(prop)),
                };
                if absent_or_null {
                    map.insert(k.clone(), default.clone());
                }
            }
            let ap = s.additional_properties_schema();
            let has_ap = s.additional_properties.is_some();
            for (k, v) in map.iter_mut() {
                if let Some(prop) = s.properties.get(k) {
                    apply(v, prop);
                } else if has_ap {
                    if is_non_nullable_null(v, ap) {
                        *v = ap.and_then(|a| a.default.clone()).unwrap_or(Value::Null);
                    }
                    if let Some(ap) = ap {
                        apply(v, ap);
                    }
                }
            }
        }
        Value::Array(items) => {
            let item_schema = s.items_schema();
            for item in items.iter_mut() {
                if is_non_nullable_null(item, item_schema) {
                    *item = item_schema
                        .and_then(|i| i.default.clone())
                        .unwrap_or(Value::Null);
                }
                if let Some(item_schema) = item_schema {
                    apply(item, item_schema);
                }
            }
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn defaulted(mut obj: Value, schema: Value) -> Value {
        default(&mut obj, &schema);
        obj
    }

    #[test]
    fn absent_fields_get_defaults_when_parent_exists() {
        let schema = json!({"type": "object", "properties": {"spec": {"type": "object", "properties": {
            "replicas": {"type": "integer", "default": 1},
            "nested": {"type": "object", "properties": {"x": {"type": "string", "default": "d"}}},
        }}}});
        assert_eq!(
            defaulted(json!({"spec": {}}), schema.clone()),
            json!({"spec": {"replicas": 1}})
        );
        assert_eq!(
            defaulted(json!({"spec": {"nested": {}}}), schema.clone()),
            json!({"spec": {"replicas": 1, "nested": {"x": "d"}}})
        );
        // No spec, nothing to default into.
        assert_eq!(defaulted(json!({}), schema.clone()), json!({}));
        // Present values win.
        assert_eq!(
            defaulted(json!({"spec": {"replicas": 3}}), schema),
            json!({"spec": {"replicas": 3}})
        );
    }

    #[test]
    fn defaults_of_defaults_apply() {
        let schema = json!({"type": "object", "properties": {"spec": {"type": "object", "default": {}, "properties": {
            "a": {"type": "string", "default": "x"},
        }}}});
        assert_eq!(defaulted(json!({}), schema), json!({"spec": {"a": "x"}}));
    }

    #[test]
    fn nulls_are_defaulted_unless_nullable() {
        let schema = json!({"type": "object", "properties": {"spec": {"type": "object", "properties": {
            "a": {"type": "string", "default": "x"},
            "b": {"type": "string", "nullable": true, "default": "y"},
        }}}});
        assert_eq!(
            defaulted(json!({"spec": {"a": null, "b": null}}), schema),
            json!({"spec": {"a": "x", "b": null}})
        );
    }

    #[test]
    fn items_and_additional_properties_defaults_fill_nulls() {
        let schema = json!({"type": "object", "properties": {"spec": {"type": "object", "properties": {
            "list": {"type": "array", "items": {"type": "object", "default": {"k": "v"}, "properties": {
                "k": {"type": "string"}, "n": {"type": "integer", "default": 0}}}},
            "map": {"type": "object", "additionalProperties": {"type": "string", "default": "z"}},
        }}}});
        assert_eq!(
            defaulted(
                json!({"spec": {"list": [null, {"k": "a"}], "map": {"m": null}}}),
                schema
            ),
            json!({"spec": {"list": [{"k": "v", "n": 0}, {"k": "a", "n": 0}], "map": {"m": "z"}}})
        );
    }
}
