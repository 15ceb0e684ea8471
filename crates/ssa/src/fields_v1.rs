//! The `FieldsV1` encoding of field sets (`{"f:spec":{"f:replicas":{}}}`).
//!
//! Each node is an object whose keys are path elements; `".": {}` marks a
//! path that is both a member and has children. Upstream writes keys in
//! path-element order (fields, keys, values, indexes, each sorted by value),
//! which [`to_json`] reproduces byte for byte; a `serde_json::Value` object
//! sorts its keys as strings instead, which differs for e.g. numeric keys
//! (`k:{"port":443}` sorts before `k:{"port":80}` as text).

use serde_json::{Map, Value};

use crate::path::PathElement;
use crate::set::FieldSet;
use crate::value::write_go_json_string;

/// The set as a JSON value (key order is `serde_json`'s).
pub fn to_value(set: &FieldSet) -> Value {
    Value::Object(node_to_map(set, false))
}

fn node_to_map(set: &FieldSet, include_self: bool) -> Map<String, Value> {
    let mut map = Map::new();
    if include_self && !set.is_empty() {
        map.insert(".".into(), Value::Object(Map::new()));
    }
    for member in set.members() {
        if set.child(member).is_none() {
            map.insert(member.to_fields_v1_key(), Value::Object(Map::new()));
        }
    }
    for (pe, child) in set.children() {
        let is_member = set.has_member(pe);
        map.insert(
            pe.to_fields_v1_key(),
            Value::Object(node_to_map(child, is_member)),
        );
    }
    map
}

/// The exact bytes upstream writes for the set.
pub fn to_json(set: &FieldSet) -> String {
    let mut out = String::with_capacity(64);
    write_node(&mut out, set, false);
    out
}

/// Writes a node's object, merging its members and children in element order.
fn write_node(out: &mut String, set: &FieldSet, include_self: bool) {
    out.push('{');
    let mut first = true;
    let mut sep = |out: &mut String| {
        if !first {
            out.push(',');
        }
        first = false;
    };
    if include_self && !set.is_empty() {
        sep(out);
        out.push_str("\".\":{}");
    }
    let members = set.members();
    let children: Vec<(&PathElement, &FieldSet)> = set.children().collect();
    let (mut m, mut c) = (0, 0);
    while m < members.len() || c < children.len() {
        let take_member = match (members.get(m), children.get(c)) {
            (Some(member), Some((pe, _))) => match member.cmp(pe) {
                std::cmp::Ordering::Less => Some(true),
                std::cmp::Ordering::Greater => Some(false),
                std::cmp::Ordering::Equal => None,
            },
            (Some(_), None) => Some(true),
            _ => Some(false),
        };
        sep(out);
        match take_member {
            Some(true) => {
                write_go_json_string(out, &members[m].to_fields_v1_key(), false);
                out.push_str(":{}");
                m += 1;
            }
            Some(false) => {
                let (pe, child) = children[c];
                write_go_json_string(out, &pe.to_fields_v1_key(), false);
                out.push(':');
                write_node(out, child, false);
                c += 1;
            }
            None => {
                let (pe, child) = children[c];
                write_go_json_string(out, &pe.to_fields_v1_key(), false);
                out.push(':');
                write_node(out, child, true);
                m += 1;
                c += 1;
            }
        }
    }
    out.push('}');
}

/// Parses a `FieldsV1` object into a set.
pub fn from_value(value: &Value) -> Result<FieldSet, String> {
    match read_node(value)? {
        (Some(set), _) => Ok(set),
        (None, _) => Ok(FieldSet::new()),
    }
}

/// Returns the node's subtree (None when it has no children) and whether the
/// node itself is a member.
fn read_node(value: &Value) -> Result<(Option<FieldSet>, bool), String> {
    let map = match value {
        Value::Object(map) => map,
        Value::Null => return Ok((None, true)),
        other => {
            return Err(format!(
                "ReadMapCB: expect {{ or n, but found {}",
                first_char(other)
            ));
        }
    };
    let mut members = Vec::new();
    let mut children: Vec<(PathElement, FieldSet)> = Vec::new();
    let mut is_member = false;
    for (key, child) in map {
        if key == "." {
            is_member = true;
            continue;
        }
        let Some(pe) = PathElement::from_fields_v1_key(key)
            .map_err(|e| format!("parsing key as path element: {e}"))?
        else {
            continue;
        };
        let (grandchildren, child_is_member) = read_node(child)?;
        if child_is_member {
            members.push(pe.clone());
        }
        if let Some(grandchildren) = grandchildren {
            children.push((pe, grandchildren));
        }
    }
    if members.is_empty() && children.is_empty() {
        return Ok((None, true));
    }
    // serde_json sorts keys as strings; path-element order can differ.
    members.sort();
    members.dedup();
    children.sort_by(|a, b| a.0.cmp(&b.0));
    let mut set = FieldSet::new();
    for (pe, child) in children {
        set.add_child(pe, child);
    }
    *set.members_mut() = members;
    Ok((Some(set), is_member))
}

fn first_char(v: &Value) -> char {
    match v {
        Value::Bool(true) => 't',
        Value::Bool(false) => 'f',
        Value::Number(n) => n.to_string().chars().next().unwrap_or('0'),
        Value::String(_) => '"',
        Value::Array(_) => '[',
        Value::Object(_) => '{',
        Value::Null => 'n',
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn round_trips_the_documented_example() {
        let fields = json!({
            "f:metadata": {"f:labels": {".": {}, "f:app": {}}},
            "f:spec": {"f:containers": {"k:{\"name\":\"nginx\"}": {".": {}, "f:image": {}, "f:name": {}}}}
        });
        let set = from_value(&fields).unwrap();
        assert_eq!(
            set.paths(),
            [
                ".metadata.labels",
                ".metadata.labels.app",
                r#".spec.containers[name="nginx"]"#,
                r#".spec.containers[name="nginx"].image"#,
                r#".spec.containers[name="nginx"].name"#,
            ]
        );
        assert_eq!(to_value(&set), fields);
        assert_eq!(
            to_json(&set),
            r#"{"f:metadata":{"f:labels":{".":{},"f:app":{}}},"f:spec":{"f:containers":{"k:{\"name\":\"nginx\"}":{".":{},"f:image":{},"f:name":{}}}}}"#
        );
    }

    #[test]
    fn exact_bytes_order_keys_by_value() {
        let fields = json!({"f:ports": {
            "k:{\"port\":443}": {".": {}, "f:port": {}},
            "k:{\"port\":80}": {".": {}, "f:port": {}}
        }});
        let set = from_value(&fields).unwrap();
        assert_eq!(
            to_json(&set),
            r#"{"f:ports":{"k:{\"port\":80}":{".":{},"f:port":{}},"k:{\"port\":443}":{".":{},"f:port":{}}}}"#
        );
    }

    #[test]
    fn sets_and_indexes() {
        let fields = json!({"f:metadata": {"f:finalizers": {".": {}, "v:\"a\"": {}, "v:\"b\"": {}}}, "f:args": {"i:0": {}}});
        let set = from_value(&fields).unwrap();
        assert_eq!(to_value(&set), fields);
        assert!(set.has(&[PathElement::field("args"), PathElement::Index(0)]));
    }

    #[test]
    fn unknown_elements_are_dropped_and_errors_reported() {
        let set = from_value(&json!({"f:a": {}, "z:b": {}})).unwrap();
        assert_eq!(set.paths(), [".a"]);
        assert!(from_value(&json!({"f:a": 1})).is_err());
        assert!(from_value(&json!({"k:notjson": {}})).is_err());
        assert!(from_value(&json!({})).unwrap().is_empty());
    }
}
