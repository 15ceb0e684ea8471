//! Uniqueness of `x-kubernetes-list-type: set` items and `map` keys
//! (upstream `listtype.ValidateListSetsAndMaps`).

use capstan_apimachinery::{BadValue, FieldError, Path};
use serde_json::{Map, Value};

use crate::gofmt::marshal;
use crate::schema::Schema;

/// Validates every set and map list in `obj` (an object at the root).
pub fn validate_list_sets_and_maps(obj: &Value, schema: &Schema) -> Vec<FieldError> {
    match obj {
        Value::Object(map) => validate_object(&Path::nil(), schema, map),
        _ => Vec::new(),
    }
}

fn validate_object(path: &Path, s: &Schema, obj: &Map<String, Value>) -> Vec<FieldError> {
    let mut errs = Vec::new();
    if let Some(ap) = s.additional_properties_schema() {
        for (k, v) in obj {
            errs.extend(validate_value(&path.key(k), ap, v));
        }
    }
    for (k, v) in obj {
        if let Some(sub) = s.properties.get(k) {
            errs.extend(validate_value(&path.child(k), sub, v));
        }
    }
    errs
}

fn validate_value(path: &Path, s: &Schema, v: &Value) -> Vec<FieldError> {
    match v {
        Value::Array(items) => validate_array(path, s, items),
        Value::Object(map) => validate_object(path, s, map),
        _ => Vec::new(),
    }
}

fn validate_array(path: &Path, s: &Schema, items: &[Value]) -> Vec<FieldError> {
    let mut errs = Vec::new();
    match s.list_type.as_deref() {
        Some("set") => {
            for i in non_unique(items) {
                errs.push(FieldError::duplicate(
                    &path.index(i),
                    BadValue::Json(items[i].clone()),
                ));
            }
        }
        Some("map") => errs.extend(validate_list_map(path, s, items)),
        _ => {}
    }
    if let Some(item_schema) = s.items_schema() {
        for (i, item) in items.iter().enumerate() {
            errs.extend(validate_value(&path.index(i), item_schema, item));
        }
    }
    errs
}

/// Indices of the second occurrence of each repeated value (later repeats
/// are not reported again), comparing compound values by their JSON.
fn non_unique(items: &[Value]) -> Vec<usize> {
    let mut seen: Vec<(String, usize)> = Vec::new();
    let mut out = Vec::new();
    for (i, item) in items.iter().enumerate() {
        let key = identity(item);
        match seen.iter_mut().find(|(k, _)| *k == key) {
            Some((_, times)) => {
                *times += 1;
                if *times == 2 {
                    out.push(i);
                }
            }
            None => seen.push((key, 1)),
        }
    }
    out
}

/// Scalars compare as Go interface keys do (an int64 never equals a float64).
fn identity(v: &Value) -> String {
    match v {
        Value::Number(n) if n.is_i64() || n.is_u64() => format!("i:{n}"),
        Value::Number(n) => format!("f:{}", n.as_f64().unwrap_or(0.0)),
        Value::String(s) => format!("s:{s}"),
        Value::Bool(b) => format!("b:{b}"),
        Value::Null => "n".to_string(),
        compound => format!("c:{}", marshal(compound)),
    }
}

fn validate_list_map(path: &Path, s: &Schema, items: &[Value]) -> Vec<FieldError> {
    for (i, item) in items.iter().enumerate() {
        if !item.is_null() && !item.is_object() {
            return vec![FieldError::invalid(
                &path.index(i),
                BadValue::Json(item.clone()),
                "must be an object for an array of list-type map",
            )];
        }
    }
    if items.len() <= 1 {
        return Vec::new();
    }
    if let [key_field] = s.list_map_keys.as_slice() {
        // An absent key is its own value, distinct from any present one.
        let keys: Vec<Option<&Value>> = items
            .iter()
            .map(|item| item.as_object().and_then(|o| o.get(key_field)))
            .collect();
        let identities: Vec<Value> = keys
            .iter()
            .map(|k| match k {
                Some(v) => Value::String(identity(v)),
                None => Value::String("<unspecified>".to_string()),
            })
            .collect();
        return non_unique(&identities)
            .into_iter()
            .map(|i| {
                let mut shown = Map::new();
                if let Some(v) = keys[i] {
                    shown.insert(key_field.clone(), v.clone());
                }
                FieldError::duplicate(&path.index(i), BadValue::Json(Value::Object(shown)))
            })
            .collect();
    }
    let keys: Vec<Value> = items
        .iter()
        .map(|item| {
            let mut key = Map::new();
            if let Some(obj) = item.as_object() {
                for field in &s.list_map_keys {
                    if let Some(v) = obj.get(field) {
                        key.insert(field.clone(), v.clone());
                    }
                }
            }
            Value::Object(key)
        })
        .collect();
    non_unique(&keys)
        .into_iter()
        .map(|i| FieldError::duplicate(&path.index(i), BadValue::Json(keys[i].clone())))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schema::parse_schema;
    use serde_json::json;

    fn messages(obj: Value, schema: Value) -> Vec<String> {
        let s = parse_schema(&schema).unwrap();
        validate_list_sets_and_maps(&obj, &s)
            .iter()
            .map(|e| e.to_string())
            .collect()
    }

    fn list_schema(list: Value) -> Value {
        json!({"type": "object", "properties": {"spec": {"type": "object", "properties": {"l": list}}}})
    }

    #[test]
    fn set_duplicates_are_reported_once_each() {
        let schema = list_schema(
            json!({"type": "array", "x-kubernetes-list-type": "set", "items": {"type": "string"}}),
        );
        assert_eq!(
            messages(json!({"spec": {"l": ["a", "b", "a", "a", "b"]}}), schema),
            vec![
                "spec.l[2]: Duplicate value: \"a\"",
                "spec.l[4]: Duplicate value: \"b\"",
            ]
        );
    }

    #[test]
    fn set_of_numbers_distinguishes_int_and_float() {
        let schema = list_schema(
            json!({"type": "array", "x-kubernetes-list-type": "set", "items": {"type": "number"}}),
        );
        assert!(messages(json!({"spec": {"l": [1, 1.0]}}), schema.clone()).is_empty());
        assert_eq!(
            messages(json!({"spec": {"l": [1, 1]}}), schema),
            vec!["spec.l[1]: Duplicate value: 1"]
        );
    }

    #[test]
    fn map_lists_compare_keys() {
        let schema = list_schema(json!({
            "type": "array", "x-kubernetes-list-type": "map", "x-kubernetes-list-map-keys": ["name"],
            "items": {"type": "object", "properties": {"name": {"type": "string"}, "v": {"type": "integer"}}}
        }));
        assert_eq!(
            messages(
                json!({"spec": {"l": [{"name": "a", "v": 1}, {"name": "a", "v": 2}, {"v": 3}, {"v": 4}]}}),
                schema
            ),
            vec![
                "spec.l[1]: Duplicate value: map[string]interface {}{\"name\":\"a\"}",
                "spec.l[3]: Duplicate value: map[string]interface {}{}",
            ]
        );
    }

    #[test]
    fn map_lists_with_several_keys() {
        let schema = list_schema(json!({
            "type": "array", "x-kubernetes-list-type": "map", "x-kubernetes-list-map-keys": ["port", "protocol"],
            "items": {"type": "object", "properties": {"port": {"type": "integer"}, "protocol": {"type": "string"}}}
        }));
        assert_eq!(
            messages(
                json!({"spec": {"l": [{"port": 80, "protocol": "TCP"}, {"port": 80, "protocol": "UDP"}, {"port": 80, "protocol": "TCP"}]}}),
                schema.clone()
            ),
            vec![
                "spec.l[2]: Duplicate value: map[string]interface {}{\"port\":80, \"protocol\":\"TCP\"}"
            ]
        );
        assert_eq!(
            messages(json!({"spec": {"l": [{"port": 80}, "x"]}}), schema),
            vec![
                "spec.l[1]: Invalid value: \"x\": must be an object for an array of list-type map"
            ]
        );
    }

    #[test]
    fn nested_lists_and_additional_properties() {
        let schema = json!({"type": "object", "properties": {"spec": {"type": "object", "additionalProperties": {
            "type": "array", "x-kubernetes-list-type": "set", "items": {"type": "string"}}}}});
        assert_eq!(
            messages(json!({"spec": {"k": ["x", "x"]}}), schema),
            vec!["spec[k][1]: Duplicate value: \"x\""]
        );
    }
}
