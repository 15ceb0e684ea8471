//! Helpers on objects as JSON: metadata access, and the resourceVersion, which is never stored
//! (it is the store revision of the version read) and is spliced into the bytes when served.

use bytes::{BufMut, Bytes, BytesMut};
use serde_json::{Map, Value};

/// `metadata.<field>` as a string ("" when absent).
pub fn meta_str<'a>(obj: &'a Value, field: &str) -> &'a str {
    obj.get("metadata")
        .and_then(|m| m.get(field))
        .and_then(Value::as_str)
        .unwrap_or("")
}

pub fn meta_mut(obj: &mut Value) -> &mut Map<String, Value> {
    if !obj.get("metadata").is_some_and(Value::is_object) {
        obj.as_object_mut()
            .expect("objects are JSON objects")
            .insert("metadata".into(), Value::Object(Map::new()));
    }
    obj.get_mut("metadata")
        .and_then(Value::as_object_mut)
        .expect("metadata was just made an object")
}

pub fn set_meta(obj: &mut Value, field: &str, value: Value) {
    meta_mut(obj).insert(field.into(), value);
}

pub fn remove_meta(obj: &mut Value, field: &str) {
    meta_mut(obj).remove(field);
}

pub fn name(obj: &Value) -> &str {
    meta_str(obj, "name")
}

pub fn namespace(obj: &Value) -> &str {
    meta_str(obj, "namespace")
}

pub fn finalizers(obj: &Value) -> Vec<String> {
    obj.pointer("/metadata/finalizers")
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(|v| v.as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default()
}

pub fn is_deleting(obj: &Value) -> bool {
    obj.pointer("/metadata/deletionTimestamp")
        .is_some_and(|v| !v.is_null())
}

/// The object as stored: without resourceVersion (the store revision is the truth) or selfLink.
pub fn to_stored_bytes(obj: &Value) -> Bytes {
    let meta = obj.get("metadata").and_then(Value::as_object);
    let has_server_fields =
        meta.is_some_and(|m| m.contains_key("resourceVersion") || m.contains_key("selfLink"));
    if !has_server_fields {
        return Bytes::from(serde_json::to_vec(obj).expect("JSON values serialize"));
    }
    let mut obj = obj.clone();
    strip_server_fields(&mut obj);
    Bytes::from(serde_json::to_vec(&obj).expect("JSON values serialize"))
}

/// Removes what is never stored (resourceVersion, selfLink), in place.
pub fn strip_server_fields(obj: &mut Value) {
    if let Some(m) = obj.get_mut("metadata").and_then(Value::as_object_mut) {
        m.remove("resourceVersion");
        m.remove("selfLink");
    }
}

/// Parses stored bytes and sets their resourceVersion.
pub fn parse_stored(bytes: &[u8], rv: i64) -> Result<Value, serde_json::Error> {
    let mut v: Value = serde_json::from_slice(bytes)?;
    if v.is_object() {
        set_meta(&mut v, "resourceVersion", Value::String(rv.to_string()));
    }
    Ok(v)
}

/// The stored bytes with `"resourceVersion":"<rv>"` added as the first field of the top-level
/// `metadata`, without parsing the object. Falls back to a full parse if the layout is unusual.
pub fn with_resource_version(bytes: &[u8], rv: i64) -> Bytes {
    match metadata_body_start(bytes) {
        Some(pos) => {
            let rv = rv.to_string();
            let empty = bytes[pos..]
                .iter()
                .find(|b| !b.is_ascii_whitespace())
                .is_some_and(|b| *b == b'}');
            let mut out = BytesMut::with_capacity(bytes.len() + rv.len() + 24);
            out.put_slice(&bytes[..pos]);
            out.put_slice(b"\"resourceVersion\":\"");
            out.put_slice(rv.as_bytes());
            out.put_slice(if empty { b"\"" } else { b"\"," });
            out.put_slice(&bytes[pos..]);
            out.freeze()
        }
        None => match parse_stored(bytes, rv) {
            Ok(v) => Bytes::from(serde_json::to_vec(&v).expect("JSON values serialize")),
            Err(_) => Bytes::copy_from_slice(bytes),
        },
    }
}

/// The offset just after the `{` that opens the top-level `"metadata"` object.
fn metadata_body_start(b: &[u8]) -> Option<usize> {
    let mut i = skip_ws(b, 0);
    if b.get(i) != Some(&b'{') {
        return None;
    }
    i += 1;
    loop {
        i = skip_ws(b, i);
        match b.get(i)? {
            b'}' => return None,
            b',' => {
                i += 1;
                continue;
            }
            b'"' => {}
            _ => return None,
        }
        let key_start = i + 1;
        let key_end = string_end(b, i)?;
        let key = &b[key_start..key_end - 1];
        i = skip_ws(b, key_end);
        if b.get(i) != Some(&b':') {
            return None;
        }
        i = skip_ws(b, i + 1);
        if key == b"metadata" {
            return (b.get(i) == Some(&b'{')).then_some(i + 1);
        }
        i = value_end(b, i)?;
    }
}

fn skip_ws(b: &[u8], mut i: usize) -> usize {
    while i < b.len() && b[i].is_ascii_whitespace() {
        i += 1;
    }
    i
}

/// `b[i]` is `"`; returns the offset after the closing quote.
fn string_end(b: &[u8], i: usize) -> Option<usize> {
    let mut j = i + 1;
    while j < b.len() {
        match b[j] {
            b'\\' => j += 2,
            b'"' => return Some(j + 1),
            _ => j += 1,
        }
    }
    None
}

/// The offset after the JSON value starting at `i`.
fn value_end(b: &[u8], i: usize) -> Option<usize> {
    match b.get(i)? {
        b'"' => string_end(b, i),
        b'{' | b'[' => {
            let mut depth = 0usize;
            let mut j = i;
            while j < b.len() {
                match b[j] {
                    b'"' => {
                        j = string_end(b, j)?;
                        continue;
                    }
                    b'{' | b'[' => depth += 1,
                    b'}' | b']' => {
                        depth -= 1;
                        if depth == 0 {
                            return Some(j + 1);
                        }
                    }
                    _ => {}
                }
                j += 1;
            }
            None
        }
        _ => {
            let mut j = i;
            while j < b.len() && !matches!(b[j], b',' | b'}' | b']') && !b[j].is_ascii_whitespace()
            {
                j += 1;
            }
            Some(j)
        }
    }
}

/// Now, as Kubernetes writes timestamps (RFC 3339, seconds, UTC).
pub fn now_rfc3339() -> String {
    chrono::Utc::now().format("%Y-%m-%dT%H:%M:%SZ").to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn resource_version_is_spliced_into_metadata() {
        for obj in [
            json!({"apiVersion": "v1", "data": {"metadata": {"x": "}{\""}}, "kind": "ConfigMap", "metadata": {"name": "a"}}),
            json!({"metadata": {}, "spec": [1, 2, {"a": "b"}]}),
            json!({"a": 1.5, "b": true, "c": null, "metadata": {"name": "x\"y"}}),
        ] {
            let bytes = serde_json::to_vec(&obj).unwrap();
            let out = with_resource_version(&bytes, 42);
            let v: Value = serde_json::from_slice(&out).unwrap();
            assert_eq!(v["metadata"]["resourceVersion"], "42");
            let mut expected = obj.clone();
            expected["metadata"]["resourceVersion"] = json!("42");
            assert_eq!(v, expected);
        }
    }

    #[test]
    fn stored_bytes_never_hold_a_resource_version() {
        let obj = json!({"metadata": {"name": "a", "resourceVersion": "7"}});
        let stored: Value = serde_json::from_slice(&to_stored_bytes(&obj)).unwrap();
        assert!(stored["metadata"].get("resourceVersion").is_none());
    }
}
