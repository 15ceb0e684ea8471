//! The scalar checks of the OpenAPI validation: string length and
//! pattern, numeric bounds and multiples, and enums (matched the way Go's
//! reflection converts and compares decoded JSON).

use serde_json::{Number, Value};

use super::openapi::{Code, IN, Num, OpenApiError, Outcome, is_json_integer, num};
use crate::gofmt::format_float;
use crate::regex_cache;
use crate::schema::Schema;

pub(super) fn check_string(s: &Schema, text: &str, path: &str) -> Option<OpenApiError> {
    let value = Some(Value::String(text.to_string()));
    let length = text.chars().count() as i64;
    if let Some(max) = s.max_length
        && length > max
    {
        let mut e = OpenApiError::new(
            Code::TooLong,
            path,
            value,
            format!("{path} in {IN} should be at most {max} chars long"),
        );
        e.valid = Some(max);
        return Some(e);
    }
    if let Some(min) = s.min_length
        && length < min
    {
        let mut e = OpenApiError::new(
            Code::TooShort,
            path,
            value,
            format!("{path} in {IN} should be at least {min} chars long"),
        );
        e.valid = Some(min);
        return Some(e);
    }
    if !s.pattern.is_empty() {
        let pattern = &s.pattern;
        match regex_cache::compile(pattern) {
            Err(err) => {
                return Some(OpenApiError::new(
                    Code::Pattern,
                    path,
                    value,
                    format!(
                        "{path} in {IN} should match '{pattern}, but pattern is invalid: {err}'"
                    ),
                ));
            }
            Ok(re) if !re.is_match(text) => {
                return Some(OpenApiError::new(
                    Code::Pattern,
                    path,
                    value,
                    format!("{path} in {IN} should match '{pattern}'"),
                ));
            }
            Ok(_) => {}
        }
    }
    None
}

pub(super) fn number_value(n: Num) -> Value {
    match n {
        Num::Int(i) => Value::from(i),
        Num::Float(f) => Number::from_f64(f)
            .map(Value::Number)
            .unwrap_or(Value::Null),
    }
}

pub(super) fn check_number(s: &Schema, n: Num, path: &str) -> Outcome {
    let mut out = Outcome::default();
    let value = Some(number_value(n));
    if let Some(factor) = s.multiple_of
        && let Some(e) = check_multiple_of(n, factor, path)
    {
        out.add(e);
    }
    if let Some(min) = s.minimum {
        let excl = s.exclusive_minimum;
        let (fails, bound) = match n {
            Num::Int(i) => {
                let m = min as i64;
                ((!excl && i < m) || (excl && i <= m), m.to_string())
            }
            Num::Float(f) => ((!excl && f < min) || (excl && f <= min), format_float(min)),
        };
        if fails {
            let rel = if excl {
                "greater than"
            } else {
                "greater than or equal to"
            };
            out.add(OpenApiError::new(
                Code::Min,
                path,
                value.clone(),
                format!("{path} in {IN} should be {rel} {bound}"),
            ));
        }
    }
    if let Some(max) = s.maximum {
        let excl = s.exclusive_maximum;
        let (fails, bound) = match n {
            Num::Int(i) => {
                let m = max as i64;
                ((!excl && i > m) || (excl && i >= m), m.to_string())
            }
            Num::Float(f) => ((!excl && f > max) || (excl && f >= max), format_float(max)),
        };
        if fails {
            let rel = if excl {
                "less than"
            } else {
                "less than or equal to"
            };
            out.add(OpenApiError::new(
                Code::Max,
                path,
                value,
                format!("{path} in {IN} should be {rel} {bound}"),
            ));
        }
    }
    out.match_count += 1;
    out
}

fn check_multiple_of(n: Num, factor: f64, path: &str) -> Option<OpenApiError> {
    let must_be_positive = |factor_text: String, factor_value: Value| {
        OpenApiError::new(
            Code::MultipleOfMustBePositive,
            path,
            Some(factor_value),
            format!("factor MultipleOf declared for {path} must be positive: {factor_text}"),
        )
    };
    let not_multiple = |factor_text: String| {
        OpenApiError::new(
            Code::MultipleOf,
            path,
            Some(number_value(n)),
            format!("{path} in {IN} should be a multiple of {factor_text}"),
        )
    };
    match n {
        Num::Int(i) => {
            let f = factor as i64;
            if f <= 0 {
                return Some(must_be_positive(f.to_string(), Value::from(f)));
            }
            (i.wrapping_div(f).wrapping_mul(f) != i).then(|| not_multiple(f.to_string()))
        }
        Num::Float(d) => {
            if factor <= 0.0 {
                return Some(must_be_positive(
                    format_float(factor),
                    number_value(Num::Float(factor)),
                ));
            }
            let mult = if factor < 1.0 {
                1.0 / factor * d
            } else {
                d / factor
            };
            (!is_json_integer(mult)).then(|| not_multiple(format_float(factor)))
        }
    }
}

fn enum_matches(data: &Value, allowed: &Value) -> bool {
    match (data, allowed) {
        (Value::Null, _) | (_, Value::Null) => false,
        (Value::Number(d), Value::Number(a)) => match (num(d), integral(a)) {
            (Num::Int(x), Num::Int(y)) => x == y,
            (Num::Int(x), Num::Float(y)) => x as f64 == y,
            (Num::Float(x), Num::Int(y)) => x as i64 == y,
            (Num::Float(x), Num::Float(y)) => x == y,
        },
        // Go converts an int64 to a string as a code point.
        (Value::Number(d), Value::String(a)) => match num(d) {
            Num::Int(i) => {
                let c = u32::try_from(i)
                    .ok()
                    .and_then(char::from_u32)
                    .unwrap_or('\u{FFFD}');
                a.chars().eq(std::iter::once(c))
            }
            Num::Float(_) => false,
        },
        (Value::String(d), Value::String(a)) => d == a,
        (Value::Bool(d), Value::Bool(a)) => d == a,
        (Value::Array(_), Value::Array(_)) | (Value::Object(_), Value::Object(_)) => {
            *data == normalize_numbers(allowed)
        }
        _ => false,
    }
}

/// Enum values are decoded from the CRD with integral floats as int64.
fn integral(n: &Number) -> Num {
    match num(n) {
        Num::Float(f) if f.fract() == 0.0 && f.abs() < 9.2e18 => Num::Int(f as i64),
        other => other,
    }
}

fn normalize_numbers(v: &Value) -> Value {
    match v {
        Value::Number(n) => number_value(integral(n)),
        Value::Array(items) => Value::Array(items.iter().map(normalize_numbers).collect()),
        Value::Object(map) => Value::Object(
            map.iter()
                .map(|(k, v)| (k.clone(), normalize_numbers(v)))
                .collect(),
        ),
        other => other.clone(),
    }
}

pub(super) fn check_enum(s: &Schema, data: &Value, path: &str) -> Option<OpenApiError> {
    let allowed = s.enum_.as_ref().filter(|e| !e.is_empty())?;
    if allowed.iter().any(|a| enum_matches(data, a)) {
        return None;
    }
    let mut e = OpenApiError::new(
        Code::Enum,
        path,
        Some(data.clone()),
        format!("{path} in {IN} should be one of enum"),
    );
    e.values = allowed.iter().map(normalize_numbers).collect();
    Some(e)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_integers_like_swag() {
        assert!(is_json_integer(3.0));
        assert!(is_json_integer(-3.0));
        assert!(!is_json_integer(3.5));
        assert!(is_json_integer(0.30000000000000004 / 0.1));
        assert!(!is_json_integer(f64::NAN));
        assert!(!is_json_integer(1e300));
    }

    #[test]
    fn enum_matching_follows_go_conversions() {
        use serde_json::json;
        assert!(enum_matches(&json!(1), &json!(1.0)));
        assert!(enum_matches(&json!(1.5), &json!(1)));
        assert!(!enum_matches(&json!(1), &json!(1.5)));
        assert!(enum_matches(&json!(97), &json!("a")));
        assert!(!enum_matches(&json!("1"), &json!(1)));
        assert!(!enum_matches(&json!(null), &json!(null)));
        assert!(enum_matches(&json!({"a": 1}), &json!({"a": 1.0})));
    }
}
