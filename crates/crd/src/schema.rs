//! A parsed form of a CRD's `openAPIV3Schema` (upstream `JSONSchemaProps`).
//!
//! Parsing is lenient about fields it does not know and strict about the
//! shape of the ones it does, so a malformed schema is reported once instead
//! of being half-applied. The parsed form is cheap to clone and can be cached
//! per CRD version by the server.

use std::collections::BTreeMap;
use std::fmt;

use serde_json::{Map, Value};

/// `additionalProperties`: either a boolean or a schema.
#[derive(Debug, Clone, PartialEq)]
pub enum AdditionalProperties {
    Bool(bool),
    Schema(Box<Schema>),
}

impl AdditionalProperties {
    /// The schema, if this is one (upstream `StructuralOrBool.Structural`).
    pub fn schema(&self) -> Option<&Schema> {
        match self {
            AdditionalProperties::Schema(s) => Some(s),
            AdditionalProperties::Bool(_) => None,
        }
    }

    /// Whether additional properties are allowed at all.
    pub fn allows(&self) -> bool {
        match self {
            AdditionalProperties::Bool(b) => *b,
            AdditionalProperties::Schema(_) => true,
        }
    }
}

/// `items`: a single schema or (not allowed for CRDs) an array of schemas.
#[derive(Debug, Clone, PartialEq)]
pub enum Items {
    Schema(Box<Schema>),
    Array(Vec<Schema>),
}

/// One `x-kubernetes-validations` entry.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ValidationRule {
    pub rule: String,
    pub message: String,
    pub message_expression: String,
    pub reason: Option<String>,
    pub field_path: String,
    pub optional_old_self: Option<bool>,
}

/// A JSON schema node as accepted in a CRD.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Schema {
    pub type_: String,
    pub format: String,
    pub title: String,
    pub description: String,
    pub nullable: bool,
    /// `Some(Value::Null)` when the schema says `default: null`.
    pub default: Option<Value>,
    pub maximum: Option<f64>,
    pub exclusive_maximum: bool,
    pub minimum: Option<f64>,
    pub exclusive_minimum: bool,
    pub max_length: Option<i64>,
    pub min_length: Option<i64>,
    pub pattern: String,
    pub max_items: Option<i64>,
    pub min_items: Option<i64>,
    pub unique_items: bool,
    pub multiple_of: Option<f64>,
    pub enum_: Option<Vec<Value>>,
    pub max_properties: Option<i64>,
    pub min_properties: Option<i64>,
    pub required: Vec<String>,
    pub properties: BTreeMap<String, Schema>,
    pub additional_properties: Option<AdditionalProperties>,
    pub items: Option<Items>,
    pub all_of: Vec<Schema>,
    pub any_of: Vec<Schema>,
    pub one_of: Vec<Schema>,
    pub not: Option<Box<Schema>>,
    pub preserve_unknown_fields: Option<bool>,
    pub embedded_resource: bool,
    pub int_or_string: bool,
    pub list_type: Option<String>,
    pub list_map_keys: Vec<String>,
    pub map_type: Option<String>,
    pub validations: Vec<ValidationRule>,
    // Fields CRDs may not use; kept so they can be reported.
    pub id: String,
    pub schema_uri: String,
    pub ref_: Option<String>,
    pub pattern_properties: BTreeMap<String, Schema>,
    pub definitions: BTreeMap<String, Schema>,
    pub has_dependencies: bool,
    pub dependencies: BTreeMap<String, Schema>,
    pub additional_items: Option<AdditionalProperties>,
}

/// A schema that could not be parsed: the JSON path of the bad field and why.
#[derive(Debug, Clone, PartialEq)]
pub struct SchemaParseError {
    pub path: String,
    pub message: String,
}

impl fmt::Display for SchemaParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.path.is_empty() {
            f.write_str(&self.message)
        } else {
            write!(f, "{}: {}", self.path, self.message)
        }
    }
}

impl std::error::Error for SchemaParseError {}

type ParseResult<T> = Result<T, SchemaParseError>;

fn err<T>(path: &str, message: &str) -> ParseResult<T> {
    Err(SchemaParseError {
        path: path.to_string(),
        message: message.to_string(),
    })
}

fn join(path: &str, field: &str) -> String {
    if path.is_empty() {
        field.to_string()
    } else {
        format!("{path}.{field}")
    }
}

struct Reader<'a> {
    obj: &'a Map<String, Value>,
    path: &'a str,
}

impl Reader<'_> {
    fn field(&self, name: &str) -> Option<&Value> {
        self.obj.get(name).filter(|v| !v.is_null())
    }

    fn string(&self, name: &str) -> ParseResult<String> {
        match self.field(name) {
            None => Ok(String::new()),
            Some(Value::String(s)) => Ok(s.clone()),
            Some(_) => err(&join(self.path, name), "must be a string"),
        }
    }

    fn opt_string(&self, name: &str) -> ParseResult<Option<String>> {
        match self.field(name) {
            None => Ok(None),
            Some(Value::String(s)) => Ok(Some(s.clone())),
            Some(_) => err(&join(self.path, name), "must be a string"),
        }
    }

    fn opt_bool(&self, name: &str) -> ParseResult<Option<bool>> {
        match self.field(name) {
            None => Ok(None),
            Some(Value::Bool(b)) => Ok(Some(*b)),
            Some(_) => err(&join(self.path, name), "must be a boolean"),
        }
    }

    fn bool(&self, name: &str) -> ParseResult<bool> {
        Ok(self.opt_bool(name)?.unwrap_or(false))
    }

    fn float(&self, name: &str) -> ParseResult<Option<f64>> {
        match self.field(name) {
            None => Ok(None),
            Some(Value::Number(n)) => Ok(n.as_f64()),
            Some(_) => err(&join(self.path, name), "must be a number"),
        }
    }

    fn int(&self, name: &str) -> ParseResult<Option<i64>> {
        match self.field(name) {
            None => Ok(None),
            Some(Value::Number(n)) => match n.as_i64() {
                Some(i) => Ok(Some(i)),
                None => match n.as_f64() {
                    Some(f) if f.fract() == 0.0 && f.abs() < 9.2e18 => Ok(Some(f as i64)),
                    _ => err(&join(self.path, name), "must be an integer"),
                },
            },
            Some(_) => err(&join(self.path, name), "must be an integer"),
        }
    }

    fn strings(&self, name: &str) -> ParseResult<Vec<String>> {
        match self.field(name) {
            None => Ok(Vec::new()),
            Some(Value::Array(items)) => items
                .iter()
                .map(|item| match item {
                    Value::String(s) => Ok(s.clone()),
                    _ => err(&join(self.path, name), "must be a list of strings"),
                })
                .collect(),
            Some(_) => err(&join(self.path, name), "must be a list of strings"),
        }
    }

    fn schema_list(&self, name: &str) -> ParseResult<Vec<Schema>> {
        match self.field(name) {
            None => Ok(Vec::new()),
            Some(Value::Array(items)) => items
                .iter()
                .enumerate()
                .map(|(i, item)| parse_at(item, &format!("{}[{i}]", join(self.path, name))))
                .collect(),
            Some(_) => err(&join(self.path, name), "must be a list of schemas"),
        }
    }

    fn schema_map(&self, name: &str) -> ParseResult<BTreeMap<String, Schema>> {
        match self.field(name) {
            None => Ok(BTreeMap::new()),
            Some(Value::Object(map)) => map
                .iter()
                .map(|(k, v)| {
                    Ok((
                        k.clone(),
                        parse_at(v, &format!("{}[{k}]", join(self.path, name)))?,
                    ))
                })
                .collect(),
            Some(_) => err(&join(self.path, name), "must be a map of schemas"),
        }
    }

    fn schema_or_bool(&self, name: &str) -> ParseResult<Option<AdditionalProperties>> {
        match self.field(name) {
            None => Ok(None),
            Some(Value::Bool(b)) => Ok(Some(AdditionalProperties::Bool(*b))),
            Some(v @ Value::Object(_)) => Ok(Some(AdditionalProperties::Schema(Box::new(
                parse_at(v, &join(self.path, name))?,
            )))),
            Some(_) => err(&join(self.path, name), "must be a boolean or a schema"),
        }
    }
}

/// Parses a schema from its JSON form.
pub fn parse_schema(value: &Value) -> Result<Schema, SchemaParseError> {
    parse_at(value, "")
}

fn parse_at(value: &Value, path: &str) -> ParseResult<Schema> {
    let Value::Object(obj) = value else {
        return err(path, "must be an object");
    };
    let r = Reader { obj, path };
    let items = match r.field("items") {
        None => None,
        Some(v @ Value::Object(_)) => {
            Some(Items::Schema(Box::new(parse_at(v, &join(path, "items"))?)))
        }
        Some(Value::Array(_)) => Some(Items::Array(r.schema_list("items")?)),
        Some(_) => {
            return err(
                &join(path, "items"),
                "must be a schema or a list of schemas",
            );
        }
    };
    let not = match r.field("not") {
        None => None,
        Some(v) => Some(Box::new(parse_at(v, &join(path, "not"))?)),
    };
    let enum_ = match obj.get("enum") {
        None | Some(Value::Null) => None,
        Some(Value::Array(items)) => Some(items.clone()),
        Some(_) => return err(&join(path, "enum"), "must be a list"),
    };
    let (has_dependencies, dependencies) = match r.field("dependencies") {
        None => (false, BTreeMap::new()),
        Some(Value::Object(map)) => {
            let mut schemas = BTreeMap::new();
            for (k, v) in map {
                if v.is_object() {
                    schemas.insert(
                        k.clone(),
                        parse_at(v, &format!("{}[{k}]", join(path, "dependencies")))?,
                    );
                }
            }
            (true, schemas)
        }
        Some(_) => return err(&join(path, "dependencies"), "must be a map"),
    };
    Ok(Schema {
        type_: r.string("type")?,
        format: r.string("format")?,
        title: r.string("title")?,
        description: r.string("description")?,
        nullable: r.bool("nullable")?,
        default: obj.get("default").cloned(),
        maximum: r.float("maximum")?,
        exclusive_maximum: r.bool("exclusiveMaximum")?,
        minimum: r.float("minimum")?,
        exclusive_minimum: r.bool("exclusiveMinimum")?,
        max_length: r.int("maxLength")?,
        min_length: r.int("minLength")?,
        pattern: r.string("pattern")?,
        max_items: r.int("maxItems")?,
        min_items: r.int("minItems")?,
        unique_items: r.bool("uniqueItems")?,
        multiple_of: r.float("multipleOf")?,
        enum_,
        max_properties: r.int("maxProperties")?,
        min_properties: r.int("minProperties")?,
        required: r.strings("required")?,
        properties: r.schema_map("properties")?,
        additional_properties: r.schema_or_bool("additionalProperties")?,
        items,
        all_of: r.schema_list("allOf")?,
        any_of: r.schema_list("anyOf")?,
        one_of: r.schema_list("oneOf")?,
        not,
        preserve_unknown_fields: r.opt_bool("x-kubernetes-preserve-unknown-fields")?,
        embedded_resource: r.bool("x-kubernetes-embedded-resource")?,
        int_or_string: r.bool("x-kubernetes-int-or-string")?,
        list_type: r.opt_string("x-kubernetes-list-type")?,
        list_map_keys: r.strings("x-kubernetes-list-map-keys")?,
        map_type: r.opt_string("x-kubernetes-map-type")?,
        validations: parse_rules(&r)?,
        id: r.string("id")?,
        schema_uri: r.string("$schema")?,
        ref_: r.opt_string("$ref")?,
        pattern_properties: r.schema_map("patternProperties")?,
        definitions: r.schema_map("definitions")?,
        has_dependencies,
        dependencies,
        additional_items: r.schema_or_bool("additionalItems")?,
    })
}

fn parse_rules(r: &Reader<'_>) -> ParseResult<Vec<ValidationRule>> {
    let name = "x-kubernetes-validations";
    let Some(value) = r.field(name) else {
        return Ok(Vec::new());
    };
    let Value::Array(items) = value else {
        return err(&join(r.path, name), "must be a list");
    };
    let mut rules = Vec::with_capacity(items.len());
    for (i, item) in items.iter().enumerate() {
        let path = format!("{}[{i}]", join(r.path, name));
        let Value::Object(obj) = item else {
            return err(&path, "must be an object");
        };
        let rr = Reader { obj, path: &path };
        rules.push(ValidationRule {
            rule: rr.string("rule")?,
            message: rr.string("message")?,
            message_expression: rr.string("messageExpression")?,
            reason: rr.opt_string("reason")?,
            field_path: rr.string("fieldPath")?,
            optional_old_self: rr.opt_bool("optionalOldSelf")?,
        });
    }
    Ok(rules)
}

impl Schema {
    /// The single item schema (`items` given as a schema).
    pub fn items_schema(&self) -> Option<&Schema> {
        match &self.items {
            Some(Items::Schema(s)) => Some(s),
            _ => None,
        }
    }

    /// The additionalProperties schema, if given as a schema.
    pub fn additional_properties_schema(&self) -> Option<&Schema> {
        self.additional_properties.as_ref().and_then(|a| a.schema())
    }

    /// Whether `x-kubernetes-preserve-unknown-fields: true`.
    pub fn preserves_unknown_fields(&self) -> bool {
        self.preserve_unknown_fields == Some(true)
    }

    /// The schema for the value under `key` of an object this schema
    /// describes: the named property, else the additionalProperties schema.
    pub fn field_schema(&self, key: &str) -> Option<&Schema> {
        self.properties
            .get(key)
            .or_else(|| self.additional_properties_schema())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn parses_nested_schema() {
        let s = parse_schema(&json!({
            "type": "object",
            "properties": {
                "spec": {"type": "object", "required": ["a"], "properties": {
                    "a": {"type": "integer", "maximum": 3, "default": 1},
                    "l": {"type": "array", "items": {"type": "string"}, "x-kubernetes-list-type": "set"},
                    "m": {"type": "object", "additionalProperties": {"type": "string"}},
                    "n": {"type": "string", "nullable": true, "default": null},
                }}
            },
            "x-kubernetes-validations": [{"rule": "self.spec.a > 0", "message": "m"}],
        }))
        .unwrap();
        let spec = &s.properties["spec"];
        assert_eq!(spec.required, vec!["a"]);
        assert_eq!(spec.properties["a"].maximum, Some(3.0));
        assert_eq!(spec.properties["a"].default, Some(json!(1)));
        assert_eq!(spec.properties["n"].default, Some(Value::Null));
        assert_eq!(spec.properties["l"].items_schema().unwrap().type_, "string");
        assert_eq!(
            spec.properties["m"]
                .additional_properties_schema()
                .unwrap()
                .type_,
            "string"
        );
        assert_eq!(s.validations[0].message, "m");
    }

    #[test]
    fn rejects_malformed_fields_with_their_path() {
        let e = parse_schema(&json!({"properties": {"a": {"type": 3}}})).unwrap_err();
        assert_eq!(e.to_string(), "properties[a].type: must be a string");
        let e = parse_schema(&json!({"items": 3})).unwrap_err();
        assert_eq!(e.path, "items");
    }
}
