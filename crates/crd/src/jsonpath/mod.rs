//! Kubernetes' JSONPath as CRDs use it: additionalPrinterColumns cells
//! (rendered as upstream's custom-resource table convertor does) and
//! selectableFields values, plus the CRD-side checks of those paths.

mod eval;
mod parser;

use capstan_apimachinery::duration::human_duration_nanos;
use capstan_apimachinery::{FieldError, Path};
use chrono::{DateTime, Utc};
use serde_json::Value;

use crate::fieldpath::valid_field_path;
use crate::gofmt::{format_number, marshal, sprint};
use crate::schema::Schema;
pub(crate) use parser::Node;

/// A parsed JSONPath template, reusable across objects.
#[derive(Debug, Clone, PartialEq)]
pub struct JsonPath {
    nodes: Vec<Node>,
}

impl JsonPath {
    /// Parses a CRD column or selectable-field path (`.spec.replicas`), which
    /// upstream wraps in `{…}` before parsing.
    pub fn parse_field(path: &str) -> Result<JsonPath, String> {
        Self::parse_template(&format!("{{{path}}}"))
    }

    /// Parses a full template such as `{.metadata.name}`.
    pub fn parse_template(template: &str) -> Result<JsonPath, String> {
        parser::parse(template).map(|nodes| JsonPath { nodes })
    }

    /// Upstream `FindResults` with missing keys allowed: one list of
    /// values per top-level template node.
    pub fn find_results(&self, data: &Value) -> Result<Vec<Vec<Value>>, String> {
        eval::find_results(&self.nodes, data)
    }

    /// The cell of a printer column of `column_type` for `obj`. Dates are
    /// returned as the timestamp text (`"<invalid>"` if unparseable); see
    /// [`JsonPath::cell_at`] for upstream's server-side age rendering.
    pub fn cell(&self, obj: &Value, column_type: &str) -> Value {
        match self.first_value(obj) {
            Some(value) => cell_for(column_type, &value, None),
            None => Value::Null,
        }
    }

    /// The cell as upstream's table convertor renders it at time `now`:
    /// dates become human-readable ages ("5m", "<unknown>", "<invalid>").
    pub fn cell_at(&self, obj: &Value, column_type: &str, now: DateTime<Utc>) -> Value {
        match self.first_value(obj) {
            Some(value) => cell_for(column_type, &value, Some(now)),
            None => Value::Null,
        }
    }

    fn first_value(&self, obj: &Value) -> Option<Value> {
        let results = self.find_results(obj).ok()?;
        results.into_iter().next()?.into_iter().next()
    }

    /// A selectable field's value as used in field selectors: `fmt.Sprint`
    /// of the single value found, "" when missing or null.
    pub fn selectable_field_value(&self, obj: &Value) -> Result<String, String> {
        let results = self
            .find_results(obj)
            .map_err(|e| format!("unexpected error finding value with jsonPath: {e}"))?;
        let Some(first) = results.first().filter(|r| !r.is_empty()) else {
            return Ok(String::new());
        };
        if results.len() > 1 || first.len() > 1 {
            return Err("unexpectedly received more than one JSON path result".to_string());
        }
        Ok(match &first[0] {
            Value::Null => String::new(),
            v => sprint(v),
        })
    }
}

/// The cell of a printer column: `obj` evaluated at `json_path` (as written
/// in the CRD, e.g. `.status.conditions[?(@.type=="Ready")].status`).
/// Missing values, and values not of the column's type, are null cells.
pub fn jsonpath_cell(obj: &Value, json_path: &str, column_type: &str) -> Value {
    match JsonPath::parse_field(json_path) {
        Ok(path) => path.cell(obj, column_type),
        Err(_) => Value::Null,
    }
}

/// Go's text rendering of one JSONPath result (a string column).
fn print_text(value: &Value) -> String {
    match value {
        Value::Object(_) | Value::Array(_) => marshal(value),
        Value::Null => "<no value>".to_string(),
        Value::String(s) => s.clone(),
        Value::Bool(b) => b.to_string(),
        Value::Number(n) => format_number(n),
    }
}

fn cell_for(column_type: &str, value: &Value, now: Option<DateTime<Utc>>) -> Value {
    if column_type == "string" {
        return Value::String(print_text(value));
    }
    match (column_type, value) {
        (_, Value::Null) => Value::Null,
        ("integer", Value::Number(n)) => match n.as_i64() {
            Some(i) => Value::from(i),
            None => Value::from(n.as_f64().unwrap_or(0.0) as i64),
        },
        // Go encodes an integral float64 without a fraction ("3"), so
        // integral values are kept as integers to serialize identically.
        ("number", Value::Number(n)) => match n.as_f64() {
            Some(f) if f.fract() == 0.0 && f.abs() < 9.0e15 => Value::from(f as i64),
            Some(f) => serde_json::Number::from_f64(f)
                .map(Value::Number)
                .unwrap_or(Value::Null),
            None => Value::Null,
        },
        ("boolean", Value::Bool(b)) => Value::Bool(*b),
        ("date", Value::String(s)) => Value::String(date_cell(s, now)),
        _ => Value::Null,
    }
}

fn date_cell(text: &str, now: Option<DateTime<Utc>>) -> String {
    if text.is_empty() || text == "null" {
        return match now {
            Some(_) => "<unknown>".to_string(),
            None => text.to_string(),
        };
    }
    let Ok(t) = DateTime::parse_from_rfc3339(text) else {
        return "<invalid>".to_string();
    };
    match now {
        None => text.to_string(),
        Some(now) => {
            let nanos = (now - t.with_timezone(&Utc))
                .num_nanoseconds()
                .map(i128::from)
                .unwrap_or(i128::MAX);
            human_duration_nanos(nanos)
        }
    }
}

const COLUMN_TYPES: [&str; 5] = ["boolean", "date", "integer", "number", "string"];
const COLUMN_FORMATS: [&str; 8] = [
    "byte",
    "date",
    "date-time",
    "double",
    "float",
    "int32",
    "int64",
    "password",
];

/// Upstream's check of a CRD printer column (`additionalPrinterColumns[i]`
/// at `path`): name, type, format and a simple JSON path.
pub fn validate_printer_column(
    name: &str,
    column_type: &str,
    format: &str,
    json_path: &str,
    path: &Path,
) -> Vec<FieldError> {
    let mut errs = Vec::new();
    if name.is_empty() {
        errs.push(FieldError::required(&path.child("name"), ""));
    }
    let types = format!("must be one of {}", COLUMN_TYPES.join(","));
    if column_type.is_empty() {
        errs.push(FieldError::required(&path.child("type"), &types));
    } else if !COLUMN_TYPES.contains(&column_type) {
        errs.push(FieldError::invalid(
            &path.child("type"),
            column_type,
            &types,
        ));
    }
    if !format.is_empty() && !COLUMN_FORMATS.contains(&format) {
        errs.push(FieldError::invalid(
            &path.child("format"),
            format,
            &format!("must be one of {}", COLUMN_FORMATS.join(",")),
        ));
    }
    if json_path.is_empty() {
        errs.push(FieldError::required(&path.child("JSONPath"), ""));
    } else {
        errs.extend(validate_simple_json_path(
            json_path,
            &path.child("JSONPath"),
        ));
    }
    errs
}

/// Upstream `validateSimpleJSONPath` (columns and scale subresource paths).
pub fn validate_simple_json_path(s: &str, path: &Path) -> Vec<FieldError> {
    if s.is_empty() {
        return vec![FieldError::invalid(path, s, "must not be empty")];
    }
    if !s.starts_with('.') {
        return vec![FieldError::invalid(
            path,
            s,
            "must be a simple json path starting with .",
        )];
    }
    Vec::new()
}

/// The error upstream's table convertor gives for a column path it cannot
/// parse (serving the CRD fails with it).
pub fn column_parse_error(json_path: &str) -> Option<String> {
    JsonPath::parse_field(json_path).err().map(|_| {
        format!(
            "unrecognized column definition {}",
            crate::gofmt::quote(json_path)
        )
    })
}

/// Upstream's check of `selectableFields` against the version's schema.
pub fn validate_selectable_fields(
    json_paths: &[String],
    schema: &Schema,
    path: &Path,
) -> Vec<FieldError> {
    const MAX_SELECTABLE_FIELDS: usize = 8;
    let mut errs = Vec::new();
    let mut unique: Vec<String> = Vec::new();
    for (i, json_path) in json_paths.iter().enumerate() {
        let field = path.index(i).child("jsonPath");
        if json_path.is_empty() {
            errs.push(FieldError::required(&field, ""));
            continue;
        }
        let (found_path, found) = match valid_field_path(json_path, schema, false) {
            Ok(found) => found,
            Err(e) => {
                errs.push(FieldError::invalid(
                    &field,
                    json_path.as_str(),
                    &format!("is an invalid path: {e}"),
                ));
                continue;
            }
        };
        let rendered = found_path.to_string();
        if rendered == "metadata"
            || rendered.starts_with("metadata.")
            || rendered.starts_with("metadata[")
        {
            errs.push(FieldError::invalid(
                &field,
                json_path.as_str(),
                "must not point to fields in metadata",
            ));
        }
        if !matches!(found.type_.as_str(), "string" | "boolean" | "integer") {
            errs.push(FieldError::invalid(
                &field,
                json_path.as_str(),
                "must point to a field of type string, boolean or integer. Enum string fields and strings with formats are allowed.",
            ));
        }
        if unique.contains(&rendered) {
            errs.push(FieldError::duplicate(&field, json_path.as_str()));
        } else {
            unique.push(rendered);
        }
    }
    if unique.len() > MAX_SELECTABLE_FIELDS {
        errs.push(FieldError::too_many(
            path,
            unique.len() as i64,
            MAX_SELECTABLE_FIELDS as i64,
        ));
    }
    errs
}

#[cfg(test)]
mod tests;
