//! The OpenAPI value validation a custom resource goes through (kube-openapi's
//! schema validator as apiextensions-apiserver drives it), with its message
//! texts and its naming of paths (`spec.items[0].name`, `.key` for
//! additional properties at the root).
//!
//! With an old object, unchanged parts are ratcheted: errors found in a value
//! equal to its correlated old value are dropped, as upstream does on update.

use serde_json::{Map, Number, Value};

use super::formats;
use super::scalars::{check_enum, check_number, check_string};
use crate::gofmt::quote;
use crate::schema::{AdditionalProperties, Items, Schema};

/// Upstream error codes that decide the field error type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Code {
    InvalidType,
    Required,
    TooLong,
    TooShort,
    Pattern,
    Enum,
    MultipleOf,
    Max,
    Min,
    Unique,
    MaxItems,
    MinItems,
    TooFewProperties,
    TooManyProperties,
    UnallowedProperty,
    MultipleOfMustBePositive,
    /// A plain error without a field (anyOf/oneOf/allOf/not).
    Composite,
}

#[derive(Debug, Clone)]
pub(crate) struct OpenApiError {
    pub code: Code,
    pub name: String,
    pub value: Option<Value>,
    pub valid: Option<i64>,
    pub values: Vec<Value>,
    pub message: String,
}

impl OpenApiError {
    pub(super) fn new(code: Code, name: &str, value: Option<Value>, message: String) -> Self {
        OpenApiError {
            code,
            name: name.to_string(),
            value,
            valid: None,
            values: Vec::new(),
            message,
        }
    }

    fn composite(message: String) -> Self {
        Self::new(Code::Composite, "", None, message)
    }
}

/// A validation result: errors (unique by message) and how much matched,
/// which picks the most relevant failing alternative of an anyOf/oneOf.
#[derive(Debug, Default)]
pub(crate) struct Outcome {
    pub errors: Vec<OpenApiError>,
    pub(super) match_count: usize,
}

impl Outcome {
    pub(super) fn add(&mut self, e: OpenApiError) {
        if !self.errors.iter().any(|x| x.message == e.message) {
            self.errors.push(e);
        }
    }

    fn merge(&mut self, other: Outcome) {
        for e in other.errors {
            self.add(e);
        }
        self.match_count += other.match_count;
    }

    fn single(e: OpenApiError) -> Outcome {
        Outcome {
            errors: vec![e],
            match_count: 0,
        }
    }

    fn is_valid(&self) -> bool {
        self.errors.is_empty()
    }
}

pub(super) const IN: &str = "body";

fn type_error(name: &str, type_name: &str, value: &str) -> OpenApiError {
    OpenApiError::new(
        Code::InvalidType,
        name,
        Some(Value::String(value.to_string())),
        format!(
            "{name} in {IN} must be of type {type_name}: {}",
            quote(value)
        ),
    )
}

/// A JSON number as unstructured decoding types it: int64, else float64.
#[derive(Debug, Clone, Copy)]
pub(super) enum Num {
    Int(i64),
    Float(f64),
}

pub(super) fn num(n: &Number) -> Num {
    match n.as_i64() {
        Some(i) => Num::Int(i),
        None => Num::Float(n.as_f64().unwrap_or(0.0)),
    }
}

/// The OpenAPI type (and Go-derived format) of a decoded JSON value.
fn schema_info(data: &Value) -> (&'static str, &'static str) {
    match data {
        Value::Null => ("null", ""),
        Value::Bool(_) => ("boolean", ""),
        Value::String(_) => ("string", ""),
        Value::Number(n) => match num(n) {
            Num::Int(_) => ("integer", "int64"),
            Num::Float(_) => ("number", "float64"),
        },
        Value::Array(_) => ("array", ""),
        Value::Object(_) => ("object", ""),
    }
}

/// swag's `IsFloat64AJSONInteger`.
pub(crate) fn is_json_integer(f: f64) -> bool {
    const MAX_JSON_FLOAT: f64 = 9007199254740991.0;
    if !f.is_finite() || !(-MAX_JSON_FLOAT..=MAX_JSON_FLOAT).contains(&f) {
        return false;
    }
    if f == f.trunc() {
        return true;
    }
    if f < 0.0 {
        // Go converts negative floats through uint64, which never lands close.
        return false;
    }
    let g = f.trunc();
    let diff = (f - g).abs();
    if g == 0.0 {
        return diff < 1e-9 * f64::MIN_POSITIVE;
    }
    diff / (f + g).min(f64::MAX) < 1e-9
}

/// Validates `data` (at kube-openapi path `path`) against `s`, ratcheting
/// against `old` when given.
pub(crate) fn validate(s: &Schema, data: &Value, old: Option<&Value>, path: &str) -> Outcome {
    let outcome = validate_unratcheted(s, data, old, path);
    if !outcome.is_valid() && old == Some(data) {
        return Outcome {
            errors: Vec::new(),
            match_count: outcome.match_count,
        };
    }
    outcome
}

fn types_of(s: &Schema) -> Vec<&str> {
    if s.int_or_string {
        vec!["integer", "string"]
    } else if s.type_.is_empty() {
        Vec::new()
    } else {
        vec![s.type_.as_str()]
    }
}

fn validate_unratcheted(s: &Schema, data: &Value, old: Option<&Value>, path: &str) -> Outcome {
    let mut result = Outcome::default();
    let types = types_of(s);
    let format = formats::effective_format(&s.format);
    if data.is_null() {
        if let Some(e) = check_type(&types, s.nullable, format, data, path) {
            result.add(e);
        }
        if let Some(e) = check_enum(s, data, path) {
            result.add(e);
        }
        return result;
    }
    if !types.is_empty() || !format.is_empty() {
        if let Some(e) = check_type(&types, s.nullable, format, data, path) {
            result.merge(Outcome::single(e));
        } else {
            result.match_count += 1;
        }
        result.match_count += 1;
    }
    result.merge(check_combinators(s, data, old, path));
    result.match_count += 1;
    if let Value::String(text) = data {
        if let Some(e) = check_string(s, text, path) {
            result.add(e);
        }
        result.match_count += 1;
        if !format.is_empty() && !formats::validates(format, text) {
            result.add(type_error(path, format, text));
        }
        result.match_count += 1;
    }
    if let Value::Number(n) = data {
        result.merge(check_number(s, num(n), path));
        result.match_count += 1;
    }
    if let Value::Array(items) = data {
        result.merge(check_array(s, items, old, path));
        result.match_count += 1;
    }
    if let Some(e) = check_enum(s, data, path) {
        result.add(e);
    }
    result.match_count += 1;
    if let Value::Object(map) = data {
        result.merge(check_object(s, map, old, path));
        result.match_count += 1;
    }
    result.match_count += 1;
    result
}

fn check_type(
    types: &[&str],
    nullable: bool,
    format: &str,
    data: &Value,
    path: &str,
) -> Option<OpenApiError> {
    if data.is_null() {
        if !types.is_empty() && !types.contains(&"null") && !nullable {
            return Some(type_error(path, &types.join(","), "null"));
        }
        return None;
    }
    let (sch_type, data_format) = schema_info(data);
    let is_float_int = matches!(data, Value::Number(n) if matches!(num(n), Num::Float(f) if is_json_integer(f)))
        && types.contains(&"integer");
    let is_int_float = sch_type == "integer" && types.contains(&"number");
    let string_or_slice = matches!(data, Value::String(_) | Value::Array(_));
    let type_or_format_matches =
        types.contains(&sch_type) || data_format == format || is_float_int || is_int_float;
    if !(string_or_slice || format.is_empty() || type_or_format_matches) {
        return Some(type_error(path, format, data_format));
    }
    // A formatted string (or slice) under a non-numeric type is not type-checked.
    let numeric = types.contains(&"number") || types.contains(&"integer");
    if string_or_slice && !(numeric || format.is_empty()) {
        return None;
    }
    if !(types.contains(&sch_type) || is_float_int || is_int_float) {
        return Some(type_error(path, &types.join(","), sch_type));
    }
    None
}

fn check_combinators(s: &Schema, data: &Value, old: Option<&Value>, path: &str) -> Outcome {
    let mut main = Outcome::default();
    if !s.any_of.is_empty() {
        let mut best: Option<Outcome> = None;
        let mut first_success: Option<Outcome> = None;
        for alternative in &s.any_of {
            let r = validate_unratcheted(alternative, data, old, path);
            if r.is_valid() {
                best = None;
                first_success = Some(r);
                break;
            }
            if best.as_ref().is_none_or(|b| r.match_count > b.match_count) {
                best = Some(r);
            }
        }
        if first_success.is_none() {
            main.add(OpenApiError::composite(format!(
                "{} must validate at least one schema (anyOf)",
                quote(path)
            )));
        }
        if let Some(b) = best {
            main.merge(b);
        } else if let Some(f) = first_success {
            main.merge(f);
        }
    }
    if !s.one_of.is_empty() {
        let mut best: Option<Outcome> = None;
        let mut first_success: Option<Outcome> = None;
        let mut validated = 0;
        for alternative in &s.one_of {
            let r = validate_unratcheted(alternative, data, old, path);
            if r.is_valid() {
                validated += 1;
                best = None;
                if first_success.is_none() {
                    first_success = Some(r);
                }
                continue;
            }
            if validated == 0 && best.as_ref().is_none_or(|b| r.match_count > b.match_count) {
                best = Some(r);
            }
        }
        if validated != 1 {
            let detail = if validated == 0 {
                "Found none valid".to_string()
            } else {
                format!("Found {validated} valid alternatives")
            };
            main.add(OpenApiError::composite(format!(
                "{} must validate one and only one schema (oneOf). {detail}",
                quote(path)
            )));
            if let Some(b) = best {
                main.merge(b);
            }
        } else if let Some(f) = first_success {
            main.merge(f);
        }
    }
    if !s.all_of.is_empty() {
        let mut validated = 0;
        for part in &s.all_of {
            let r = validate_unratcheted(part, data, old, path);
            if r.is_valid() {
                validated += 1;
            }
            main.merge(r);
        }
        if validated != s.all_of.len() {
            let detail = if validated == 0 {
                ". None validated"
            } else {
                ""
            };
            main.add(OpenApiError::composite(format!(
                "{} must validate all the schemas (allOf){detail}",
                quote(path)
            )));
        }
    }
    if let Some(not) = &s.not
        && validate_unratcheted(not, data, old, path).is_valid()
    {
        main.add(OpenApiError::composite(format!(
            "{} must not validate the schema (not)",
            quote(path)
        )));
    }
    main.match_count += 1;
    main
}

fn check_array(s: &Schema, items: &[Value], old: Option<&Value>, path: &str) -> Outcome {
    let mut out = Outcome::default();
    match &s.items {
        Some(Items::Schema(item_schema)) => {
            let old_items = old.and_then(Value::as_array);
            for (i, item) in items.iter().enumerate() {
                let old_item = old_items.and_then(|olds| correlate_list_item(s, olds, item));
                out.merge(validate(
                    item_schema,
                    item,
                    old_item,
                    &format!("{path}[{i}]"),
                ));
            }
        }
        Some(Items::Array(schemas)) => {
            for (i, (item_schema, item)) in schemas.iter().zip(items).enumerate() {
                out.merge(validate_unratcheted(
                    item_schema,
                    item,
                    None,
                    &format!("{path}[{i}]"),
                ));
            }
        }
        None => {}
    }
    let size = items.len() as i64;
    if let Some(min) = s.min_items
        && size < min
    {
        let mut e = OpenApiError::new(
            Code::MinItems,
            path,
            Some(Value::from(size)),
            format!("{path} in {IN} should have at least {min} items"),
        );
        e.valid = Some(min);
        out.add(e);
    }
    if let Some(max) = s.max_items
        && size > max
    {
        let mut e = OpenApiError::new(
            Code::MaxItems,
            path,
            Some(Value::from(size)),
            format!("{path} in {IN} should have at most {max} items"),
        );
        e.valid = Some(max);
        out.add(e);
    }
    if s.unique_items
        && items
            .iter()
            .enumerate()
            .any(|(i, v)| items[..i].contains(v))
    {
        out.add(OpenApiError::new(
            Code::Unique,
            path,
            None,
            format!("{path} in {IN} shouldn't contain duplicates"),
        ));
    }
    out.match_count += 1;
    out
}

/// The old item a new list item correlates with: only lists of
/// `x-kubernetes-list-type: map` correlate, by their key fields.
pub(crate) fn correlate_list_item<'a>(
    s: &Schema,
    olds: &'a [Value],
    item: &Value,
) -> Option<&'a Value> {
    if s.list_type.as_deref() != Some("map") || s.list_map_keys.is_empty() {
        return None;
    }
    let new_obj = item.as_object()?;
    let keys: Vec<Option<&Value>> = s.list_map_keys.iter().map(|k| new_obj.get(k)).collect();
    olds.iter().find(|old| {
        old.as_object().is_some_and(|o| {
            s.list_map_keys
                .iter()
                .zip(&keys)
                .all(|(k, v)| o.get(k) == *v)
        })
    })
}

/// Whether decoded JSON `data` matches enum value `allowed` the way Go's
/// reflect conversion + DeepEqual decides it.
fn check_object(s: &Schema, map: &Map<String, Value>, old: Option<&Value>, path: &str) -> Outcome {
    let mut out = Outcome::default();
    let count = map.len() as i64;
    if let Some(min) = s.min_properties
        && count < min
    {
        let mut e = OpenApiError::new(
            Code::TooFewProperties,
            path,
            Some(Value::from(count)),
            format!("{path} in {IN} should have at least {min} properties"),
        );
        e.valid = Some(min);
        out.add(e);
    }
    if let Some(max) = s.max_properties
        && count > max
    {
        let mut e = OpenApiError::new(
            Code::TooManyProperties,
            path,
            Some(Value::from(count)),
            format!("{path} in {IN} should have at most {max} properties"),
        );
        e.valid = Some(max);
        out.add(e);
    }
    let old_map = old.and_then(Value::as_object);
    let old_field = |key: &str| -> Option<&Value> {
        // Type meta at the root is never ratcheted.
        if path.is_empty() && (key == "kind" || key == "apiVersion") {
            return None;
        }
        old_map.and_then(|m| m.get(key))
    };
    match &s.additional_properties {
        Some(AdditionalProperties::Bool(false)) => {
            for key in map.keys() {
                if !s.properties.contains_key(key) {
                    out.add(OpenApiError::new(
                        Code::UnallowedProperty,
                        path,
                        Some(Value::String(key.clone())),
                        format!("{path}.{key} in {IN} is a forbidden property"),
                    ));
                }
            }
        }
        Some(AdditionalProperties::Schema(ap)) => {
            for (key, value) in map {
                if !s.properties.contains_key(key) {
                    out.merge(validate(
                        ap,
                        value,
                        old_field(key),
                        &format!("{path}.{key}"),
                    ));
                }
            }
        }
        _ => {}
    }
    for (name, prop) in &s.properties {
        if let Some(value) = map.get(name) {
            let child = if path.is_empty() {
                name.clone()
            } else {
                format!("{path}.{name}")
            };
            out.merge(validate(prop, value, old_field(name), &child));
        }
    }
    for required in &s.required {
        if !map.contains_key(required) {
            let name = format!("{path}.{required}");
            out.add(OpenApiError::new(
                Code::Required,
                &name,
                None,
                format!("{name} in {IN} is required"),
            ));
        }
    }
    out
}
