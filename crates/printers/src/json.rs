//! Lenient accessors over `serde_json::Value`.
//!
//! Upstream printers work on typed Go structs, where an absent field is the
//! zero value. These helpers give the same view of untyped JSON: a missing or
//! mistyped field reads as "", 0, false or an empty list, never as an error.

use serde_json::{Map, Value};

/// Walks `path` through nested objects.
pub(crate) fn get<'a>(v: &'a Value, path: &[&str]) -> Option<&'a Value> {
    let mut cur = v;
    for key in path {
        cur = cur.as_object()?.get(*key)?;
    }
    if cur.is_null() { None } else { Some(cur) }
}

pub(crate) fn str_at<'a>(v: &'a Value, path: &[&str]) -> &'a str {
    get(v, path).and_then(Value::as_str).unwrap_or("")
}

/// Like `str_at`, but distinguishes an absent field (Go nil pointer).
pub(crate) fn opt_str<'a>(v: &'a Value, path: &[&str]) -> Option<&'a str> {
    get(v, path).and_then(Value::as_str)
}

pub(crate) fn i64_at(v: &Value, path: &[&str]) -> i64 {
    opt_i64(v, path).unwrap_or(0)
}

pub(crate) fn opt_i64(v: &Value, path: &[&str]) -> Option<i64> {
    let field = get(v, path)?;
    field.as_i64().or_else(|| field.as_f64().map(|f| f as i64))
}

pub(crate) fn bool_at(v: &Value, path: &[&str]) -> bool {
    opt_bool(v, path).unwrap_or(false)
}

pub(crate) fn opt_bool(v: &Value, path: &[&str]) -> Option<bool> {
    get(v, path).and_then(Value::as_bool)
}

pub(crate) fn arr_at<'a>(v: &'a Value, path: &[&str]) -> &'a [Value] {
    get(v, path)
        .and_then(Value::as_array)
        .map(Vec::as_slice)
        .unwrap_or(&[])
}

pub(crate) fn obj_at<'a>(v: &'a Value, path: &[&str]) -> Option<&'a Map<String, Value>> {
    get(v, path).and_then(Value::as_object)
}

/// Number of entries of a map-valued field (0 when absent).
pub(crate) fn map_len(v: &Value, path: &[&str]) -> usize {
    obj_at(v, path).map_or(0, Map::len)
}

/// Number of elements of a list-valued field (0 when absent).
pub(crate) fn list_len(v: &Value, path: &[&str]) -> usize {
    arr_at(v, path).len()
}

/// `metadata.name` of an object.
pub(crate) fn name(obj: &Value) -> &str {
    str_at(obj, &["metadata", "name"])
}

/// True when `metadata.deletionTimestamp` is set.
pub(crate) fn is_deleting(obj: &Value) -> bool {
    get(obj, &["metadata", "deletionTimestamp"]).is_some()
}

/// A string cell.
pub(crate) fn cell(s: impl Into<String>) -> Value {
    Value::String(s.into())
}

/// An integer cell (upstream emits `int64`).
pub(crate) fn int_cell(i: i64) -> Value {
    Value::from(i)
}

/// `names,images` of a container list, as upstream lays them out in wide output.
pub(crate) fn container_names_images(containers: &[Value]) -> (String, String) {
    let names: Vec<&str> = containers.iter().map(|c| str_at(c, &["name"])).collect();
    let images: Vec<&str> = containers.iter().map(|c| str_at(c, &["image"])).collect();
    (names.join(","), images.join(","))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn missing_and_mistyped_fields_read_as_zero_values() {
        let v = json!({"a": {"b": "x", "n": 3, "f": true, "l": [1, 2], "z": null}});
        assert_eq!(str_at(&v, &["a", "b"]), "x");
        assert_eq!(str_at(&v, &["a", "n"]), "");
        assert_eq!(str_at(&v, &["missing"]), "");
        assert_eq!(i64_at(&v, &["a", "n"]), 3);
        assert_eq!(i64_at(&v, &["a", "b"]), 0);
        assert!(bool_at(&v, &["a", "f"]));
        assert_eq!(list_len(&v, &["a", "l"]), 2);
        assert_eq!(list_len(&v, &["a", "b"]), 0);
        assert!(get(&v, &["a", "z"]).is_none());
        assert!(opt_str(&v, &["a", "z"]).is_none());
    }

    #[test]
    fn containers_are_joined_with_commas() {
        let cs = json!([{"name": "a", "image": "i1"}, {"name": "b", "image": "i2"}]);
        let (n, i) = container_names_images(cs.as_array().unwrap());
        assert_eq!((n.as_str(), i.as_str()), ("a,b", "i1,i2"));
        assert_eq!(container_names_images(&[]), (String::new(), String::new()));
    }
}
