//! Path elements: how a field set names a child of an object.
//!
//! Their order (fields, then keys, then set values, then indexes) is the order
//! `FieldsV1` lists them in, and their renderings are upstream's: `.spec`,
//! `[name="nginx"]`, `[="a"]`, `[0]` in messages; `f:spec`,
//! `k:{"name":"nginx"}`, `v:"a"`, `i:0` in `FieldsV1`.

use std::cmp::Ordering;
use std::fmt;
use std::sync::Arc;

use serde_json::{Map, Value};

use crate::value::{compare_values, smd_to_string, values_equal, write_go_json};

/// One step of a path into an object.
#[derive(Debug, Clone)]
pub enum PathElement {
    /// A map field (`f:<name>`).
    Field(Arc<str>),
    /// An item of an associative list, by its key fields sorted by name (`k:{...}`).
    Key(Vec<(String, Value)>),
    /// An item of a set, by its value (`v:<json>`).
    Value(Value),
    /// An item of an atomic list, by position (`i:<n>`).
    Index(usize),
}

impl PathElement {
    pub fn field(name: &str) -> PathElement {
        PathElement::Field(Arc::from(name))
    }

    /// A key element; the fields are sorted by name as upstream requires.
    pub fn key(mut fields: Vec<(String, Value)>) -> PathElement {
        fields.sort_by(|a, b| a.0.cmp(&b.0));
        PathElement::Key(fields)
    }

    fn rank(&self) -> u8 {
        match self {
            PathElement::Field(_) => 0,
            PathElement::Key(_) => 1,
            PathElement::Value(_) => 2,
            PathElement::Index(_) => 3,
        }
    }

    pub fn as_field(&self) -> Option<&str> {
        match self {
            PathElement::Field(name) => Some(name),
            _ => None,
        }
    }

    /// The `FieldsV1` object key of this element (`f:name`, `k:{"a":1}`…).
    pub fn to_fields_v1_key(&self) -> String {
        let mut out = String::new();
        match self {
            PathElement::Field(name) => {
                out.push_str("f:");
                out.push_str(name);
            }
            PathElement::Key(fields) => {
                out.push_str("k:{");
                for (i, (name, value)) in fields.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    crate::value::write_go_json_string(&mut out, name, false);
                    out.push(':');
                    write_go_json(&mut out, value, false);
                }
                out.push('}');
            }
            PathElement::Value(value) => {
                out.push_str("v:");
                write_go_json(&mut out, value, false);
            }
            PathElement::Index(index) => {
                out.push_str("i:");
                out.push_str(&index.to_string());
            }
        }
        out
    }

    /// Parses a `FieldsV1` key. `Ok(None)` for element types this version does
    /// not know (upstream drops those).
    pub fn from_fields_v1_key(key: &str) -> Result<Option<PathElement>, String> {
        let bytes = key.as_bytes();
        if bytes.len() < 2 {
            return Err("key must be 2 characters long:".into());
        }
        if bytes[1] != b':' {
            return Err(format!("missing colon: {key}"));
        }
        let rest = &key[2..];
        match bytes[0] {
            b'f' => Ok(Some(PathElement::Field(Arc::from(rest)))),
            b'v' => serde_json::from_str::<Value>(rest)
                .map(|v| Some(PathElement::Value(v)))
                .map_err(|e| e.to_string()),
            b'k' => {
                let map: Map<String, Value> =
                    serde_json::from_str(rest).map_err(|e| e.to_string())?;
                Ok(Some(PathElement::key(map.into_iter().collect())))
            }
            b'i' => rest
                .parse::<usize>()
                .map(|i| Some(PathElement::Index(i)))
                .map_err(|_| format!("strconv.Atoi: parsing {}: invalid syntax", go_q(rest))),
            _ => Ok(None),
        }
    }
}

fn go_q(s: &str) -> String {
    crate::value::go_quote(s)
}

impl PartialEq for PathElement {
    fn eq(&self, other: &Self) -> bool {
        match (self, other) {
            (PathElement::Field(a), PathElement::Field(b)) => a == b,
            (PathElement::Key(a), PathElement::Key(b)) => {
                a.len() == b.len()
                    && a.iter()
                        .zip(b)
                        .all(|(x, y)| x.0 == y.0 && values_equal(&x.1, &y.1))
            }
            (PathElement::Value(a), PathElement::Value(b)) => values_equal(a, b),
            (PathElement::Index(a), PathElement::Index(b)) => a == b,
            _ => false,
        }
    }
}

impl Eq for PathElement {}

impl PartialOrd for PathElement {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for PathElement {
    fn cmp(&self, other: &Self) -> Ordering {
        match (self, other) {
            (PathElement::Field(a), PathElement::Field(b)) => a.as_bytes().cmp(b.as_bytes()),
            (PathElement::Key(a), PathElement::Key(b)) => {
                for (x, y) in a.iter().zip(b) {
                    let c =
                        x.0.as_bytes()
                            .cmp(y.0.as_bytes())
                            .then_with(|| compare_values(&x.1, &y.1));
                    if c != Ordering::Equal {
                        return c;
                    }
                }
                a.len().cmp(&b.len())
            }
            (PathElement::Value(a), PathElement::Value(b)) => compare_values(a, b),
            (PathElement::Index(a), PathElement::Index(b)) => a.cmp(b),
            _ => self.rank().cmp(&other.rank()),
        }
    }
}

/// Upstream's human-readable form, used in conflict messages and errors.
impl fmt::Display for PathElement {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PathElement::Field(name) => write!(f, ".{name}"),
            PathElement::Key(fields) => {
                let parts: Vec<String> = fields
                    .iter()
                    .map(|(name, value)| format!("{name}={}", smd_to_string(value)))
                    .collect();
                write!(f, "[{}]", parts.join(","))
            }
            PathElement::Value(value) => write!(f, "[={}]", smd_to_string(value)),
            PathElement::Index(index) => write!(f, "[{index}]"),
        }
    }
}

/// Renders a whole path (`.spec.containers[name="a"].image`).
pub fn path_string(path: &[PathElement]) -> String {
    path.iter().map(ToString::to_string).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn element_order_is_field_key_value_index() {
        let mut elements = [
            PathElement::Index(0),
            PathElement::Value(json!("a")),
            PathElement::key(vec![("name".into(), json!("a"))]),
            PathElement::field("b"),
            PathElement::field("a"),
        ];
        elements.sort();
        let keys: Vec<String> = elements.iter().map(|e| e.to_fields_v1_key()).collect();
        assert_eq!(keys, ["f:a", "f:b", "k:{\"name\":\"a\"}", "v:\"a\"", "i:0"]);
    }

    #[test]
    fn keys_sort_numerically() {
        let port = |p: i64| {
            PathElement::key(vec![
                ("protocol".into(), json!("TCP")),
                ("containerPort".into(), json!(p)),
            ])
        };
        assert!(port(80) < port(443));
        assert_eq!(
            port(80).to_fields_v1_key(),
            r#"k:{"containerPort":80,"protocol":"TCP"}"#
        );
        assert_eq!(port(80).to_string(), r#"[containerPort=80,protocol="TCP"]"#);
    }

    #[test]
    fn fields_v1_keys_round_trip() {
        for key in [
            "f:metadata",
            r#"k:{"name":"nginx"}"#,
            r#"k:{"containerPort":80,"protocol":"TCP"}"#,
            r#"v:"foregroundDeletion""#,
            "v:5",
            "i:3",
            "f:a<b",
        ] {
            let element = PathElement::from_fields_v1_key(key).unwrap().unwrap();
            assert_eq!(element.to_fields_v1_key(), key);
        }
        assert_eq!(PathElement::from_fields_v1_key("x:1").unwrap(), None);
        assert!(PathElement::from_fields_v1_key("f").is_err());
        assert!(PathElement::from_fields_v1_key("fx").is_err());
        assert!(PathElement::from_fields_v1_key("i:a").is_err());
        // Key values keep HTML-escaped JSON, as jsoniter writes it.
        let element = PathElement::key(vec![("name".into(), json!("a<b"))]);
        assert_eq!(element.to_fields_v1_key(), r#"k:{"name":"a\u003cb"}"#);
    }

    #[test]
    fn display_matches_upstream() {
        let path = [
            PathElement::field("spec"),
            PathElement::field("containers"),
            PathElement::key(vec![("name".into(), json!("nginx"))]),
            PathElement::field("image"),
        ];
        assert_eq!(
            path_string(&path),
            r#".spec.containers[name="nginx"].image"#
        );
        assert_eq!(PathElement::Value(json!("x")).to_string(), r#"[="x"]"#);
        assert_eq!(PathElement::Index(2).to_string(), "[2]");
    }
}
