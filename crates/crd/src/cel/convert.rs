//! Custom object values as CEL sees them through their schema: integers as
//! int, numbers as double, `byte`/`duration`/`date(-time)` strings as bytes,
//! durations and timestamps, objects as maps of their fields.

use std::collections::HashMap;
use std::sync::Arc;

use capstan_apimachinery::duration::parse_go_duration;
use cel::Value as Cel;
use cel::objects::{Key, Map};
use chrono::{DateTime, FixedOffset, NaiveDate};
use serde_json::Value;

use crate::schema::Schema;

/// Converts `v` (described by `s`, or untyped when `None`).
pub(super) fn to_cel(v: &Value, s: Option<&Schema>) -> Cel {
    match v {
        Value::Null => Cel::Null,
        Value::Bool(b) => Cel::Bool(*b),
        Value::Number(n) => {
            let is_number = s.is_some_and(|s| s.type_ == "number");
            match n.as_i64() {
                Some(i) if !is_number => Cel::Int(i),
                _ => {
                    let f = n.as_f64().unwrap_or(0.0);
                    let integral = f.fract() == 0.0 && f.abs() < 9.2e18;
                    if s.is_some_and(|s| s.type_ == "integer" || s.int_or_string) && integral {
                        Cel::Int(f as i64)
                    } else {
                        Cel::Float(f)
                    }
                }
            }
        }
        Value::String(text) => string_value(text, s),
        Value::Array(items) => {
            let item_schema = s.and_then(Schema::items_schema);
            Cel::List(Arc::new(
                items.iter().map(|i| to_cel(i, item_schema)).collect(),
            ))
        }
        Value::Object(map) => {
            let mut out: HashMap<Key, Cel> = HashMap::with_capacity(map.len());
            for (k, v) in map {
                let field_schema = s.and_then(|s| field_schema(s, k));
                // Declared properties are reached by their escaped names.
                let key = match s {
                    Some(s) if s.properties.contains_key(k) => {
                        super::check::escape(k).unwrap_or_else(|| k.clone())
                    }
                    _ => k.clone(),
                };
                out.insert(Key::String(Arc::new(key)), to_cel(v, field_schema));
            }
            Cel::Map(Map { map: Arc::new(out) })
        }
    }
}

/// The schema of field `k`: a property, the additionalProperties schema,
/// or for resources the implicit type meta and metadata.
fn field_schema<'a>(s: &'a Schema, k: &str) -> Option<&'a Schema> {
    s.properties
        .get(k)
        .or_else(|| s.additional_properties_schema())
}

fn string_value(text: &str, s: Option<&Schema>) -> Cel {
    let format = s
        .filter(|s| s.type_ == "string")
        .map(|s| s.format.as_str())
        .unwrap_or("");
    match format {
        "byte" => match decode_base64(text) {
            Some(bytes) => Cel::Bytes(Arc::new(bytes)),
            None => Cel::String(Arc::new(text.to_string())),
        },
        "duration" => match parse_go_duration(text) {
            Ok(nanos) => Cel::Duration(chrono::Duration::nanoseconds(nanos)),
            Err(_) => Cel::String(Arc::new(text.to_string())),
        },
        "date" => match NaiveDate::parse_from_str(text, "%Y-%m-%d") {
            Ok(d) => {
                let utc = d.and_hms_opt(0, 0, 0).map(|dt| dt.and_utc().fixed_offset());
                utc.map(Cel::Timestamp)
                    .unwrap_or_else(|| Cel::String(Arc::new(text.to_string())))
            }
            Err(_) => Cel::String(Arc::new(text.to_string())),
        },
        "date-time" => match DateTime::<FixedOffset>::parse_from_rfc3339(text) {
            Ok(t) => Cel::Timestamp(t),
            Err(_) => Cel::String(Arc::new(text.to_string())),
        },
        _ => Cel::String(Arc::new(text.to_string())),
    }
}

fn decode_base64(text: &str) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(text.len() * 3 / 4);
    let mut buf = 0u32;
    let mut bits = 0;
    for c in text.bytes() {
        let v = match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'+' => 62,
            b'/' => 63,
            b'=' => break,
            _ => return None,
        };
        buf = (buf << 6) | u32::from(v);
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((buf >> bits) as u8);
            buf &= (1 << bits) - 1;
        }
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schema::parse_schema;
    use serde_json::json;

    #[test]
    fn numbers_follow_the_schema_type() {
        let int = parse_schema(&json!({"type": "integer"})).unwrap();
        let num = parse_schema(&json!({"type": "number"})).unwrap();
        assert!(matches!(to_cel(&json!(3), Some(&num)), Cel::Float(f) if f == 3.0));
        assert!(matches!(to_cel(&json!(3.0), Some(&int)), Cel::Int(3)));
        assert!(matches!(to_cel(&json!(3), None), Cel::Int(3)));
    }

    #[test]
    fn formatted_strings() {
        let s = |f: &str| parse_schema(&json!({"type": "string", "format": f})).unwrap();
        assert!(
            matches!(to_cel(&json!("aGk="), Some(&s("byte"))), Cel::Bytes(b) if b.as_slice() == b"hi")
        );
        assert!(
            matches!(to_cel(&json!("1m"), Some(&s("duration"))), Cel::Duration(d) if d.num_seconds() == 60)
        );
        assert!(matches!(
            to_cel(&json!("2024-01-02T03:04:05Z"), Some(&s("date-time"))),
            Cel::Timestamp(_)
        ));
        assert!(matches!(
            to_cel(&json!("2024-01-02"), Some(&s("date"))),
            Cel::Timestamp(_)
        ));
    }
}
