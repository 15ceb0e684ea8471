//! Field paths and field errors, as upstream's `validation/field` package.
//!
//! `FieldError`'s `Display` reproduces `field.Error.Error()` exactly, and
//! [`ErrorType::cause_reason`] gives the `metav1.StatusCause.reason` value.

use std::collections::BTreeSet;
use std::fmt;

use crate::go_fmt;

/// One step of a field path: a named child, or a subscript (index or map key).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
struct PathElement {
    name: String,
    subscript: String,
}

/// A field path such as `spec.containers[0].image` or `metadata.labels[foo]`.
///
/// `Path::nil()` is upstream's nil `*field.Path` (prints as `<nil>`); a
/// child, index or key of it starts a fresh path, as upstream does.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub struct Path {
    elements: Vec<PathElement>,
}

impl Path {
    /// A path rooted at `name` (upstream `field.NewPath`).
    pub fn new(name: &str) -> Path {
        Path::nil().child(name)
    }

    /// The nil path, printed as `<nil>`.
    pub fn nil() -> Path {
        Path {
            elements: Vec::new(),
        }
    }

    pub fn is_nil(&self) -> bool {
        self.elements.is_empty()
    }

    /// Appends a named child.
    pub fn child(&self, name: &str) -> Path {
        self.push(name.to_string(), String::new())
    }

    /// Appends a list index, printed as `[i]`.
    pub fn index(&self, index: usize) -> Path {
        self.push(String::new(), index.to_string())
    }

    /// Appends a map key, printed as `[key]`.
    pub fn key(&self, key: &str) -> Path {
        self.push(String::new(), key.to_string())
    }

    fn push(&self, name: String, subscript: String) -> Path {
        let mut elements = self.elements.clone();
        elements.push(PathElement { name, subscript });
        Path { elements }
    }
}

impl fmt::Display for Path {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.elements.is_empty() {
            return f.write_str("<nil>");
        }
        for (i, element) in self.elements.iter().enumerate() {
            if element.name.is_empty() {
                // Upstream treats an empty name as a subscript, so
                // `NewPath("")` prints as `[]`.
                write!(f, "[{}]", element.subscript)?;
            } else {
                if i > 0 {
                    f.write_str(".")?;
                }
                f.write_str(&element.name)?;
            }
        }
        Ok(())
    }
}

/// The kind of a field error; the string form is the StatusCause reason.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ErrorType {
    NotFound,
    Required,
    Duplicate,
    Invalid,
    NotSupported,
    Forbidden,
    TooLong,
    TooMany,
    InternalError,
    TypeInvalid,
}

impl ErrorType {
    /// The `metav1.CauseType` used as `details.causes[].reason`.
    pub fn cause_reason(self) -> &'static str {
        match self {
            ErrorType::NotFound => "FieldValueNotFound",
            ErrorType::Required => "FieldValueRequired",
            ErrorType::Duplicate => "FieldValueDuplicate",
            ErrorType::Invalid => "FieldValueInvalid",
            ErrorType::NotSupported => "FieldValueNotSupported",
            ErrorType::Forbidden => "FieldValueForbidden",
            ErrorType::TooLong => "FieldValueTooLong",
            ErrorType::TooMany => "FieldValueTooMany",
            ErrorType::InternalError => "InternalError",
            ErrorType::TypeInvalid => "FieldValueTypeInvalid",
        }
    }

    /// The human-readable label that starts the error body.
    pub fn label(self) -> &'static str {
        match self {
            ErrorType::NotFound => "Not found",
            ErrorType::Required => "Required value",
            ErrorType::Duplicate => "Duplicate value",
            ErrorType::Invalid | ErrorType::TypeInvalid => "Invalid value",
            ErrorType::NotSupported => "Unsupported value",
            ErrorType::Forbidden => "Forbidden",
            ErrorType::TooLong => "Too long",
            ErrorType::TooMany => "Too many",
            ErrorType::InternalError => "Internal error",
        }
    }
}

impl fmt::Display for ErrorType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.label())
    }
}

/// The offending value, kept in a form that renders like Go's `fmt` does
/// for the Go type upstream would hold.
#[derive(Debug, Clone, PartialEq)]
pub enum BadValue {
    /// Upstream's `omitValue`: only the error type is printed.
    Omitted,
    /// A nil value or nil pointer; upstream prints it as the quoted string "null".
    Null,
    /// A Go string: printed quoted (`%q`).
    String(String),
    /// An integer: printed bare.
    Int(i64),
    /// A float64: printed with `%v`.
    Float(f64),
    Bool(bool),
    /// A `[]string`: printed as `[]string{"a", "b"}`.
    StringList(Vec<String>),
    /// Text already rendered as Go would print the value (e.g. a struct via `%#v`).
    Raw(String),
    /// A JSON value, rendered as Go prints it once decoded into `interface{}`:
    /// strings quoted, numbers and booleans bare, null as "null", arrays and
    /// objects in `%#v` syntax (`[]interface {}{...}`, `map[string]interface {}{...}`).
    Json(serde_json::Value),
}

impl BadValue {
    /// The text that follows `<type>: ` in the error body, or `None` when
    /// the value is omitted.
    fn render(&self) -> Option<String> {
        match self {
            BadValue::Omitted => None,
            BadValue::Null => Some(go_fmt::quote("null")),
            BadValue::String(s) => Some(go_fmt::quote(s)),
            BadValue::Int(i) => Some(i.to_string()),
            BadValue::Float(v) => Some(go_fmt::format_float(*v)),
            BadValue::Bool(b) => Some(b.to_string()),
            BadValue::StringList(items) => {
                let quoted: Vec<String> = items.iter().map(|s| go_fmt::quote(s)).collect();
                Some(format!("[]string{{{}}}", quoted.join(", ")))
            }
            BadValue::Raw(text) => Some(text.clone()),
            BadValue::Json(value) => Some(match value {
                serde_json::Value::Null => go_fmt::quote("null"),
                serde_json::Value::String(s) => go_fmt::quote(s),
                other => go_fmt::go_syntax_json(other),
            }),
        }
    }
}

impl From<&str> for BadValue {
    fn from(s: &str) -> Self {
        BadValue::String(s.to_string())
    }
}
impl From<String> for BadValue {
    fn from(s: String) -> Self {
        BadValue::String(s)
    }
}
impl From<i64> for BadValue {
    fn from(v: i64) -> Self {
        BadValue::Int(v)
    }
}
impl From<i32> for BadValue {
    fn from(v: i32) -> Self {
        BadValue::Int(v.into())
    }
}
impl From<bool> for BadValue {
    fn from(v: bool) -> Self {
        BadValue::Bool(v)
    }
}
impl From<Vec<String>> for BadValue {
    fn from(v: Vec<String>) -> Self {
        BadValue::StringList(v)
    }
}
impl From<serde_json::Value> for BadValue {
    fn from(v: serde_json::Value) -> Self {
        BadValue::Json(v)
    }
}

/// A single validation failure (upstream `field.Error`).
#[derive(Debug, Clone, PartialEq)]
pub struct FieldError {
    pub error_type: ErrorType,
    /// The rendered field path, e.g. `spec.containers[0].image`.
    pub field: String,
    pub bad_value: BadValue,
    pub detail: String,
}

impl FieldError {
    fn new(error_type: ErrorType, path: &Path, bad_value: BadValue, detail: String) -> Self {
        FieldError {
            error_type,
            field: path.to_string(),
            bad_value,
            detail,
        }
    }

    pub fn not_found(path: &Path, value: impl Into<BadValue>) -> Self {
        Self::new(ErrorType::NotFound, path, value.into(), String::new())
    }

    pub fn required(path: &Path, detail: &str) -> Self {
        Self::new(
            ErrorType::Required,
            path,
            BadValue::String(String::new()),
            detail.into(),
        )
    }

    pub fn duplicate(path: &Path, value: impl Into<BadValue>) -> Self {
        Self::new(ErrorType::Duplicate, path, value.into(), String::new())
    }

    pub fn invalid(path: &Path, value: impl Into<BadValue>, detail: &str) -> Self {
        Self::new(ErrorType::Invalid, path, value.into(), detail.into())
    }

    pub fn type_invalid(path: &Path, value: impl Into<BadValue>, detail: &str) -> Self {
        Self::new(ErrorType::TypeInvalid, path, value.into(), detail.into())
    }

    /// An unsupported value; the detail lists the supported values, quoted.
    pub fn not_supported<S: AsRef<str>>(
        path: &Path,
        value: impl Into<BadValue>,
        supported: &[S],
    ) -> Self {
        let detail = if supported.is_empty() {
            String::new()
        } else {
            let quoted: Vec<String> = supported
                .iter()
                .map(|s| go_fmt::quote(s.as_ref()))
                .collect();
            format!("supported values: {}", quoted.join(", "))
        };
        Self::new(ErrorType::NotSupported, path, value.into(), detail)
    }

    pub fn forbidden(path: &Path, detail: &str) -> Self {
        Self::new(
            ErrorType::Forbidden,
            path,
            BadValue::String(String::new()),
            detail.into(),
        )
    }

    /// A value longer than `max_length` bytes (negative: no known limit).
    pub fn too_long(path: &Path, max_length: i64) -> Self {
        let detail = if max_length >= 0 {
            format!("may not be more than {max_length} bytes")
        } else {
            "value is too long".to_string()
        };
        Self::new(
            ErrorType::TooLong,
            path,
            BadValue::String("<value omitted>".into()),
            detail,
        )
    }

    /// A list with too many items (negative numbers: unknown).
    pub fn too_many(path: &Path, actual: i64, max: i64) -> Self {
        let detail = if max >= 0 {
            format!("must have at most {max} items")
        } else {
            "has too many items".to_string()
        };
        let value = if actual >= 0 {
            BadValue::Int(actual)
        } else {
            BadValue::Omitted
        };
        Self::new(ErrorType::TooMany, path, value, detail)
    }

    pub fn internal_error(path: &Path, message: &str) -> Self {
        Self::new(
            ErrorType::InternalError,
            path,
            BadValue::Null,
            message.into(),
        )
    }

    /// Upstream `ErrorBody()`: the message without the field path; this is
    /// what goes into `details.causes[].message`.
    pub fn body(&self) -> String {
        let mut body = match self.error_type {
            ErrorType::Required
            | ErrorType::Forbidden
            | ErrorType::TooLong
            | ErrorType::InternalError => self.error_type.label().to_string(),
            _ => match self.bad_value.render() {
                None => self.error_type.label().to_string(),
                Some(value) => format!("{}: {}", self.error_type.label(), value),
            },
        };
        if !self.detail.is_empty() {
            body.push_str(": ");
            body.push_str(&self.detail);
        }
        body
    }
}

impl fmt::Display for FieldError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.field, self.body())
    }
}

impl std::error::Error for FieldError {}

/// A list of field errors (upstream `field.ErrorList`).
pub type ErrorList = Vec<FieldError>;

/// The message of `ErrorList.ToAggregate()`: duplicates (by message) are
/// dropped; one error prints bare, several as `[a, b]`. `None` when empty.
pub fn aggregate_message(errors: &[FieldError]) -> Option<String> {
    let messages: Vec<String> = errors.iter().map(|e| e.to_string()).collect();
    aggregate_strings(&messages)
}

/// Aggregate formatting for arbitrary error messages (upstream
/// `utilerrors.NewAggregate(...).Error()`).
pub fn aggregate_strings(messages: &[String]) -> Option<String> {
    let mut seen = BTreeSet::new();
    let unique: Vec<&String> = messages
        .iter()
        .filter(|m| seen.insert(m.as_str()))
        .collect();
    match unique.len() {
        0 => None,
        1 => Some(unique[0].clone()),
        _ => {
            let joined: Vec<&str> = unique.iter().map(|s| s.as_str()).collect();
            Some(format!("[{}]", joined.join(", ")))
        }
    }
}

#[cfg(test)]
mod tests;
