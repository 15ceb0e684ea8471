//! Go `fmt` renderings of decoded JSON values (`map[string]interface{}` trees).
//!
//! Upstream error messages embed values with `%v`/`%s` and type names from
//! `reflect.TypeOf`; clients see those texts, so they are reproduced here.

use serde_json::{Number, Value};

/// The Go type a decoded JSON value has upstream (numbers decoded with
/// "preserve ints": integers are `int64`, the rest `float64`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum GoKind {
    Nil,
    Bool,
    Int,
    Float,
    String,
    Slice,
    Map,
}

pub(crate) fn go_kind(v: &Value) -> GoKind {
    match v {
        Value::Null => GoKind::Nil,
        Value::Bool(_) => GoKind::Bool,
        Value::Number(n) if is_go_int(n) => GoKind::Int,
        Value::Number(_) => GoKind::Float,
        Value::String(_) => GoKind::String,
        Value::Array(_) => GoKind::Slice,
        Value::Object(_) => GoKind::Map,
    }
}

fn is_go_int(n: &Number) -> bool {
    n.is_i64() || n.is_u64()
}

/// `reflect.TypeOf(v)` printed with `%s`.
pub(crate) fn go_type_name(v: &Value) -> &'static str {
    match go_kind(v) {
        GoKind::Nil => "%!s(<nil>)",
        GoKind::Bool => "bool",
        GoKind::Int => "int64",
        GoKind::Float => "float64",
        GoKind::String => "string",
        GoKind::Slice => "[]interface {}",
        GoKind::Map => "map[string]interface {}",
    }
}

/// Go's `==` on two `interface{}` values holding decoded JSON scalars.
/// Containers never compare equal (Go would panic; callers treat that as "different").
pub(crate) fn go_equal(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Null, Value::Null) => true,
        (Value::Bool(x), Value::Bool(y)) => x == y,
        (Value::String(x), Value::String(y)) => x == y,
        (Value::Number(x), Value::Number(y)) => match (is_go_int(x), is_go_int(y)) {
            (true, true) => x == y,
            (false, false) => x.as_f64() == y.as_f64(),
            _ => false,
        },
        _ => false,
    }
}

/// `fmt.Sprintf("%v", v)`.
pub(crate) fn go_v(v: &Value) -> String {
    let mut out = String::new();
    write_value(&mut out, v, false);
    out
}

/// `fmt.Sprintf("%s", v)`: strings print bare, other scalars as `%!s(type=value)`.
pub(crate) fn go_s(v: &Value) -> String {
    let mut out = String::new();
    write_value(&mut out, v, true);
    out
}

fn write_value(out: &mut String, v: &Value, verb_s: bool) {
    match v {
        Value::String(s) => out.push_str(s),
        Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(' ');
                }
                write_value(out, item, verb_s);
            }
            out.push(']');
        }
        Value::Object(map) => {
            let mut keys: Vec<&String> = map.keys().collect();
            keys.sort();
            out.push_str("map[");
            for (i, key) in keys.into_iter().enumerate() {
                if i > 0 {
                    out.push(' ');
                }
                out.push_str(key);
                out.push(':');
                write_value(out, &map[key.as_str()], verb_s);
            }
            out.push(']');
        }
        scalar if verb_s => {
            if scalar.is_null() {
                out.push_str("%!s(<nil>)");
            } else {
                out.push_str("%!s(");
                out.push_str(go_type_name(scalar));
                out.push('=');
                write_scalar(out, scalar);
                out.push(')');
            }
        }
        scalar => write_scalar(out, scalar),
    }
}

fn write_scalar(out: &mut String, v: &Value) {
    match v {
        Value::Null => out.push_str("<nil>"),
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Number(n) if is_go_int(n) => out.push_str(&n.to_string()),
        Value::Number(n) => out.push_str(&go_float(n.as_f64().unwrap_or(0.0))),
        Value::String(s) => out.push_str(s),
        Value::Array(_) | Value::Object(_) => out.push_str(&go_v(v)),
    }
}

/// `%v` of a float64: strconv's `'g'` format with the shortest digits.
fn go_float(f: f64) -> String {
    if f == 0.0 {
        return if f.is_sign_negative() { "-0" } else { "0" }.to_string();
    }
    // Rust's `{:e}` gives the shortest round-tripping digits, like Go's shortest mode.
    let sci = format!("{f:e}");
    let (mantissa, exp) = sci.split_once('e').unwrap_or((sci.as_str(), "0"));
    let exp: i32 = exp.parse().unwrap_or(0);
    let negative = mantissa.starts_with('-');
    let digits: String = mantissa.chars().filter(|c| c.is_ascii_digit()).collect();
    if digits.is_empty() {
        // Not finite; JSON numbers never are.
        return sci;
    }
    let mut out = String::new();
    if negative {
        out.push('-');
    }
    if !(-4..GO_FLOAT_EXPONENT_THRESHOLD).contains(&exp) {
        out.push_str(&digits[..1]);
        if digits.len() > 1 {
            out.push('.');
            out.push_str(&digits[1..]);
        }
        out.push('e');
        out.push(if exp < 0 { '-' } else { '+' });
        out.push_str(&format!("{:02}", exp.abs()));
    } else if exp < 0 {
        out.push_str("0.");
        out.push_str(&"0".repeat((-exp - 1) as usize));
        out.push_str(&digits);
    } else {
        let point = exp as usize + 1;
        if digits.len() <= point {
            out.push_str(&digits);
            out.push_str(&"0".repeat(point - digits.len()));
        } else {
            out.push_str(&digits[..point]);
            out.push('.');
            out.push_str(&digits[point..]);
        }
    }
    out
}

/// In shortest mode strconv's `'g'` switches to exponent form from 1e6 up.
const GO_FLOAT_EXPONENT_THRESHOLD: i32 = 6;

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn maps_print_sorted_like_go() {
        let v = json!({"name": "x", "a": 1, "list": [1, "b", true, null]});
        assert_eq!(go_v(&v), "map[a:1 list:[1 b true <nil>] name:x]");
    }

    #[test]
    fn verb_s_marks_non_strings() {
        assert_eq!(go_s(&json!("merge")), "merge");
        assert_eq!(go_s(&json!(5)), "%!s(int64=5)");
        assert_eq!(go_s(&json!(true)), "%!s(bool=true)");
        assert_eq!(go_s(&json!(null)), "%!s(<nil>)");
        assert_eq!(go_s(&json!({"a": 1})), "map[a:%!s(int64=1)]");
    }

    #[test]
    fn type_names_follow_reflect() {
        assert_eq!(go_type_name(&json!({})), "map[string]interface {}");
        assert_eq!(go_type_name(&json!([])), "[]interface {}");
        assert_eq!(go_type_name(&json!(1)), "int64");
        assert_eq!(go_type_name(&json!(1.5)), "float64");
        assert_eq!(go_type_name(&json!(null)), "%!s(<nil>)");
    }

    #[test]
    fn floats_use_shortest_digits() {
        assert_eq!(go_v(&json!(1.5)), "1.5");
        assert_eq!(go_v(&json!(0.0001)), "0.0001");
        assert_eq!(go_v(&json!(0.00001)), "1e-05");
        assert_eq!(go_v(&json!(1234567.0)), "1.234567e+06");
        assert_eq!(go_v(&json!(100.0)), "100");
    }

    #[test]
    fn equality_distinguishes_int_and_float() {
        assert!(go_equal(&json!(80), &json!(80)));
        assert!(!go_equal(&json!(80), &json!(80.0)));
        assert!(go_equal(&json!("a"), &json!("a")));
        assert!(!go_equal(&json!({}), &json!({})));
    }
}
