//! Structural pruning: dropping the fields a schema does not specify
//! (upstream `schema/pruning`), plus the removal of non-nullable nulls
//! without defaults that follows it when decoding.

use serde_json::{Map, Value};

use crate::schema::{Schema, parse_schema};
use crate::validate::coerce_object_meta;

const META_FIELDS: [&str; 3] = ["apiVersion", "kind", "metadata"];

/// Prunes `obj` (a whole custom object) and returns the removed fields'
/// paths, sorted (e.g. `spec.x`, `spec.items[0].y`), which the server turns
/// into `unknown field "spec.x"` warnings or strict-decoding errors.
///
/// apiVersion, kind and metadata are kept at the root and in embedded
/// resources; embedded resources' metadata is coerced to ObjectMeta, its
/// unknown fields reported too. A schema that cannot be parsed prunes
/// nothing.
pub fn prune(obj: &mut Value, schema: &Value) -> Vec<String> {
    match parse_schema(schema) {
        Ok(s) => prune_parsed(obj, &s),
        Err(_) => Vec::new(),
    }
}

/// [`prune`] with an already parsed schema.
pub fn prune_parsed(obj: &mut Value, schema: &Schema) -> Vec<String> {
    let mut root = schema.clone();
    root.embedded_resource = true;
    let mut pruner = Pruner::default();
    pruner.prune(obj, Some(&root));
    let mut paths = pruner.unknown;
    paths.extend(coerce_embedded(obj, schema));
    paths.sort();
    paths
}

/// Upstream `pruning.Prune` alone (no metadata coercion): prunes `obj`
/// against `schema`, treating it as a resource root when asked.
pub(crate) fn prune_parsed_at(
    obj: &mut Value,
    schema: &Schema,
    is_resource_root: bool,
) -> Vec<String> {
    let mut pruner = Pruner::default();
    if is_resource_root && !schema.embedded_resource {
        let mut root = schema.clone();
        root.embedded_resource = true;
        pruner.prune(obj, Some(&root));
    } else {
        pruner.prune(obj, Some(schema));
    }
    pruner.unknown.sort();
    pruner.unknown
}

#[derive(Default)]
struct Pruner {
    parent: Vec<String>,
    unknown: Vec<String>,
}

impl Pruner {
    fn path_with_key(&self, key: &str) -> String {
        let mut p = self.parent.concat();
        if !p.is_empty() {
            p.push('.');
        }
        p.push_str(key);
        p
    }

    fn push_key(&mut self, key: &str) {
        if !self.parent.is_empty() {
            self.parent.push(".".to_string());
        }
        self.parent.push(key.to_string());
    }

    fn push_index(&mut self, i: usize) {
        self.parent.push(format!("[{i}]"));
    }

    fn prune(&mut self, x: &mut Value, s: Option<&Schema>) {
        if let Some(s) = s
            && s.preserves_unknown_fields()
        {
            self.skip_prune(x, s);
            return;
        }
        let depth = self.parent.len();
        match x {
            Value::Object(map) => {
                let Some(s) = s else {
                    let keys: Vec<String> = map.keys().cloned().collect();
                    for k in keys {
                        self.unknown.push(self.path_with_key(&k));
                    }
                    map.clear();
                    return;
                };
                self.prune_object(map, s, depth);
            }
            Value::Array(items) => {
                let item_schema = s.and_then(Schema::items_schema);
                for (i, item) in items.iter_mut().enumerate() {
                    self.push_index(i);
                    self.prune(item, item_schema);
                    self.parent.truncate(depth);
                }
            }
            _ => {}
        }
    }

    fn prune_object(&mut self, map: &mut Map<String, Value>, s: &Schema, depth: usize) {
        let keys: Vec<String> = map.keys().cloned().collect();
        for k in keys {
            if s.embedded_resource && META_FIELDS.contains(&k.as_str()) {
                continue;
            }
            let sub = if let Some(prop) = s.properties.get(&k) {
                Some(prop)
            } else if let Some(ap) = &s.additional_properties {
                // `additionalProperties: true` keeps the key but prunes below it.
                match ap.schema() {
                    Some(schema) => Some(schema),
                    None => {
                        self.push_key(&k);
                        if let Some(v) = map.get_mut(&k) {
                            self.prune(v, None);
                        }
                        self.parent.truncate(depth);
                        continue;
                    }
                }
            } else {
                if !META_FIELDS.contains(&k.as_str()) || !self.parent.is_empty() {
                    self.unknown.push(self.path_with_key(&k));
                }
                map.remove(&k);
                continue;
            };
            self.push_key(&k);
            if let Some(v) = map.get_mut(&k) {
                self.prune(v, sub);
            }
            self.parent.truncate(depth);
        }
    }

    /// Below preserve-unknown-fields, only specified subtrees are pruned.
    fn skip_prune(&mut self, x: &mut Value, s: &Schema) {
        let depth = self.parent.len();
        match x {
            Value::Object(map) => {
                let keys: Vec<String> = map.keys().cloned().collect();
                for k in keys {
                    if s.embedded_resource && META_FIELDS.contains(&k.as_str()) {
                        continue;
                    }
                    let sub = if let Some(prop) = s.properties.get(&k) {
                        Some(prop)
                    } else if let Some(ap) = &s.additional_properties {
                        ap.schema()
                    } else {
                        continue;
                    };
                    if sub.is_none() {
                        // `additionalProperties: true` under preserve: an
                        // unspecified value is pruned entirely.
                        self.push_key(&k);
                        if let Some(v) = map.get_mut(&k) {
                            self.prune(v, None);
                        }
                        self.parent.truncate(depth);
                        continue;
                    }
                    self.push_key(&k);
                    if let Some(v) = map.get_mut(&k) {
                        self.prune(v, sub);
                    }
                    self.parent.truncate(depth);
                }
            }
            Value::Array(items) => {
                if let Some(item_schema) = s.items_schema() {
                    for (i, item) in items.iter_mut().enumerate() {
                        self.push_index(i);
                        self.skip_prune(item, item_schema);
                        self.parent.truncate(depth);
                    }
                }
            }
            _ => {}
        }
    }
}

/// Coerces the metadata of embedded resources (not the root's), returning
/// the unknown metadata fields it dropped.
fn coerce_embedded(obj: &mut Value, schema: &Schema) -> Vec<String> {
    let mut unknown = Vec::new();
    coerce_walk(obj, schema, "", false, &mut unknown);
    unknown
}

fn coerce_walk(x: &mut Value, s: &Schema, path: &str, embedded: bool, unknown: &mut Vec<String>) {
    match x {
        Value::Object(map) => {
            if embedded && let Some(meta) = map.get_mut("metadata") {
                let prefix = if path.is_empty() {
                    "metadata".to_string()
                } else {
                    format!("{path}.metadata")
                };
                // Malformed metadata is left for validation to report.
                if let Ok(found) = coerce_object_meta(&prefix, meta) {
                    unknown.extend(found);
                }
            }
            for (k, v) in map.iter_mut() {
                let child = if path.is_empty() {
                    k.clone()
                } else {
                    format!("{path}.{k}")
                };
                if let Some(prop) = s.properties.get(k) {
                    coerce_walk(v, prop, &child, prop.embedded_resource, unknown);
                } else if let Some(ap) = s.additional_properties_schema() {
                    coerce_walk(v, ap, &child, ap.embedded_resource, unknown);
                }
            }
        }
        Value::Array(items) => {
            if let Some(item_schema) = s.items_schema() {
                for (i, item) in items.iter_mut().enumerate() {
                    let child = format!("{path}[{i}]");
                    coerce_walk(
                        item,
                        item_schema,
                        &child,
                        item_schema.embedded_resource,
                        unknown,
                    );
                }
            }
        }
        _ => {}
    }
}

/// Removes nulls whose schema is neither nullable nor defaulted (upstream
/// `PruneNonNullableNullsWithoutDefaults`), as decoding does after pruning.
pub fn prune_non_nullable_nulls(obj: &mut Value, schema: &Schema) {
    prune_nulls(obj, Some(schema));
}

fn prune_nulls(x: &mut Value, s: Option<&Schema>) {
    match x {
        Value::Object(map) => {
            map.retain(|k, v| {
                let sub = s.and_then(|s| s.field_schema(k));
                !(v.is_null() && sub.is_some_and(|sub| !sub.nullable && sub.default.is_none()))
            });
            for (k, v) in map.iter_mut() {
                prune_nulls(v, s.and_then(|s| s.field_schema(k)));
            }
        }
        Value::Array(items) => {
            let item_schema = s.and_then(Schema::items_schema);
            for item in items {
                prune_nulls(item, item_schema);
            }
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests;
