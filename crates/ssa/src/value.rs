//! Value semantics of structured-merge-diff over `serde_json` values: equality
//! and the total order used to sort set items and keys (ints and floats compare
//! numerically), plus Go's renderings of values in messages (`%v`, `%#v`, `%q`).

use std::cmp::Ordering;

use serde_json::{Map, Number, Value};

/// A JSON number as Go's unstructured decoding holds it.
#[derive(Clone, Copy)]
enum Num {
    Int(i64),
    Float(f64),
}

fn num(n: &Number) -> Num {
    match n.as_i64() {
        Some(i) => Num::Int(i),
        // Integers beyond int64 decode as float64 upstream.
        None => Num::Float(n.as_f64().unwrap_or(f64::NAN)),
    }
}

fn is_float(v: &Value) -> bool {
    matches!(v, Value::Number(n) if matches!(num(n), Num::Float(_)))
}

fn as_f64(v: &Value) -> Option<f64> {
    match v {
        Value::Number(n) => Some(match num(n) {
            Num::Int(i) => i as f64,
            Num::Float(f) => f,
        }),
        _ => None,
    }
}

/// Equality as structured-merge-diff defines it (`1 == 1.0`).
pub fn values_equal(lhs: &Value, rhs: &Value) -> bool {
    if is_float(lhs) || is_float(rhs) {
        return match (as_f64(lhs), as_f64(rhs)) {
            (Some(l), Some(r)) => l == r,
            _ => false,
        };
    }
    match (lhs, rhs) {
        (Value::Number(l), Value::Number(r)) => l.as_i64() == r.as_i64(),
        (Value::String(l), Value::String(r)) => l == r,
        (Value::Bool(l), Value::Bool(r)) => l == r,
        (Value::Array(l), Value::Array(r)) => {
            l.len() == r.len() && l.iter().zip(r).all(|(a, b)| values_equal(a, b))
        }
        // Both maps iterate in key order, so equal maps pair up entry by entry.
        (Value::Object(l), Value::Object(r)) => {
            l.len() == r.len()
                && l.iter()
                    .zip(r)
                    .all(|((lk, lv), (rk, rv))| lk == rk && values_equal(lv, rv))
        }
        (Value::Null, Value::Null) => true,
        _ => false,
    }
}

fn float_cmp(l: f64, r: f64) -> Ordering {
    if l < r {
        Ordering::Less
    } else if l == r {
        Ordering::Equal
    } else {
        Ordering::Greater
    }
}

/// Rank of a value's kind in the total order: floats/ints, strings, bools,
/// lists, maps, null.
fn kind_rank(v: &Value) -> u8 {
    match v {
        Value::Number(n) => match num(n) {
            Num::Float(_) => 0,
            Num::Int(_) => 1,
        },
        Value::String(_) => 2,
        Value::Bool(_) => 3,
        Value::Array(_) => 4,
        Value::Object(_) => 5,
        Value::Null => 6,
    }
}

/// The total order structured-merge-diff sorts values by.
pub fn compare_values(lhs: &Value, rhs: &Value) -> Ordering {
    if is_float(lhs) || is_float(rhs) {
        if let (Some(l), Some(r)) = (as_f64(lhs), as_f64(rhs)) {
            return float_cmp(l, r);
        }
        return kind_rank(lhs).cmp(&kind_rank(rhs));
    }
    match (lhs, rhs) {
        (Value::Number(l), Value::Number(r)) => l.as_i64().cmp(&r.as_i64()),
        (Value::String(l), Value::String(r)) => l.as_bytes().cmp(r.as_bytes()),
        (Value::Bool(l), Value::Bool(r)) => l.cmp(r),
        (Value::Array(l), Value::Array(r)) => {
            for (a, b) in l.iter().zip(r) {
                let c = compare_values(a, b);
                if c != Ordering::Equal {
                    return c;
                }
            }
            l.len().cmp(&r.len())
        }
        (Value::Object(l), Value::Object(r)) => compare_maps(l, r),
        _ => kind_rank(lhs).cmp(&kind_rank(rhs)),
    }
}

/// Maps compare key by key in lexical order; a key only one side has makes
/// the side lacking it the greater one (as upstream's zip does).
fn compare_maps(lhs: &Map<String, Value>, rhs: &Map<String, Value>) -> Ordering {
    let (mut l, mut r) = (lhs.iter().peekable(), rhs.iter().peekable());
    let mut seen = 0;
    loop {
        let (lk, rk) = (l.peek().map(|e| e.0), r.peek().map(|e| e.0));
        if lk.is_none() && rk.is_none() {
            return Ordering::Equal;
        }
        if seen == lhs.len() {
            return Ordering::Less;
        }
        if seen == rhs.len() {
            return Ordering::Greater;
        }
        seen += 1;
        let c = match (lk, rk) {
            (Some(a), Some(b)) if a == b => {
                let (Some((_, lv)), Some((_, rv))) = (l.next(), r.next()) else {
                    return Ordering::Equal;
                };
                compare_values(lv, rv)
            }
            (Some(a), Some(b)) if a < b => {
                l.next();
                Ordering::Less
            }
            (Some(_), None) => Ordering::Less,
            _ => {
                r.next();
                Ordering::Greater
            }
        };
        if c != Ordering::Equal {
            return c;
        }
    }
}

// Go's renderings (`%q`, `%v`, `%#v`, floats) are shared with the rest of the API server.
use capstan_apimachinery::go_fmt::format_json_number as number_v;
pub use capstan_apimachinery::go_fmt::{
    go_syntax_json as go_sharp_v, json_float as go_json_float, quote as go_quote, sprint as go_v,
};

/// Go's `%T` of an unstructured value.
pub fn go_type_name(v: &Value) -> &'static str {
    match v {
        Value::Null => "<nil>",
        Value::Bool(_) => "bool",
        Value::Number(n) => match num(n) {
            Num::Int(_) => "int64",
            Num::Float(_) => "float64",
        },
        Value::String(_) => "string",
        Value::Array(_) => "[]interface {}",
        Value::Object(_) => "map[string]interface {}",
    }
}

/// structured-merge-diff's `value.ToString` (used in path renderings).
pub fn smd_to_string(v: &Value) -> String {
    match v {
        Value::Null => "null".into(),
        Value::Number(n) => number_v(n),
        Value::String(s) => go_quote(s),
        Value::Bool(b) => b.to_string(),
        Value::Array(items) => {
            let parts: Vec<String> = items.iter().map(smd_to_string).collect();
            format!("[{}]", parts.join(","))
        }
        Value::Object(map) => map
            .iter()
            .map(|(k, v)| format!("{k}={}", smd_to_string(v)))
            .collect(),
    }
}

/// Writes `v` as Go's JSON encoders do: sorted keys, `<>&` escaped.
/// `short_bf` selects encoding/json's `\b`/`\f` (jsoniter writes `\u0008`).
pub fn write_go_json(out: &mut String, v: &Value, short_bf: bool) {
    match v {
        Value::Null => out.push_str("null"),
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Number(n) => match num(n) {
            Num::Int(i) => out.push_str(&i.to_string()),
            Num::Float(f) => out.push_str(&go_json_float(f)),
        },
        Value::String(s) => write_go_json_string(out, s, short_bf),
        Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_go_json(out, item, short_bf);
            }
            out.push(']');
        }
        Value::Object(map) => {
            out.push('{');
            for (i, (k, item)) in map.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_go_json_string(out, k, short_bf);
                out.push(':');
                write_go_json(out, item, short_bf);
            }
            out.push('}');
        }
    }
}

/// A JSON string literal with Go's HTML-safe escaping.
pub fn write_go_json_string(out: &mut String, s: &str, short_bf: bool) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{8}' if short_bf => out.push_str("\\b"),
            '\u{c}' if short_bf => out.push_str("\\f"),
            '<' | '>' | '&' | '\u{2028}' | '\u{2029}' => {
                out.push_str(&format!("\\u{:04x}", c as u32));
            }
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn numbers_compare_across_int_and_float() {
        assert!(values_equal(&json!(1), &json!(1.0)));
        assert!(!values_equal(&json!(1), &json!("1")));
        assert_eq!(compare_values(&json!(80), &json!(443)), Ordering::Less);
        assert_eq!(compare_values(&json!(2.5), &json!(2)), Ordering::Greater);
    }

    #[test]
    fn kinds_order_numbers_strings_bools_lists_maps_null() {
        let ordered = [
            json!(1),
            json!("a"),
            json!(true),
            json!([1]),
            json!({"a": 1}),
            json!(null),
        ];
        for pair in ordered.windows(2) {
            assert_eq!(
                compare_values(&pair[0], &pair[1]),
                Ordering::Less,
                "{pair:?}"
            );
        }
        assert_eq!(compare_values(&json!(1.5), &json!("a")), Ordering::Less);
    }

    #[test]
    fn lists_and_maps_compare_lexically() {
        assert_eq!(
            compare_values(&json!([1, 2]), &json!([1, 3])),
            Ordering::Less
        );
        assert_eq!(compare_values(&json!([1]), &json!([1, 0])), Ordering::Less);
        assert_eq!(
            compare_values(&json!({"a": 1}), &json!({"a": 1, "b": 0})),
            Ordering::Less
        );
        assert_eq!(
            compare_values(&json!({"a": 1}), &json!({"b": 1})),
            Ordering::Less
        );
        assert_eq!(compare_values(&json!({}), &json!({})), Ordering::Equal);
    }

    #[test]
    fn go_renderings() {
        assert_eq!(go_quote("a\"b\n"), r#""a\"b\n""#);
        assert_eq!(go_json_float(1e21), "1e+21");
        assert_eq!(go_json_float(1e-7), "1e-7");
        assert_eq!(go_json_float(3.0), "3");
        assert_eq!(go_v(&json!({"a": [1, "x"]})), "map[a:[1 x]]");
        assert_eq!(
            go_sharp_v(&json!({"a": "b", "c": 1})),
            r#"map[string]interface {}{"a":"b", "c":1}"#
        );
        assert_eq!(smd_to_string(&json!("nginx")), "\"nginx\"");
        let mut out = String::new();
        write_go_json(&mut out, &json!({"b": "<&>", "a": [1.5, null]}), true);
        assert_eq!(out, r#"{"a":[1.5,null],"b":"\u003c\u0026\u003e"}"#);
    }
}
