//! What makes upstream refuse a CRD version's schema: structurality,
//! defaults, the CRD-specific schema rules and CEL rule compilation
//! (upstream `validateCustomResourceDefinitionValidation`).

mod crd_schema;
mod defaults;
mod invariants;

#[cfg(test)]
mod tests;

use capstan_apimachinery::{BadValue, FieldError, Path};
use serde_json::Value;

use crate::schema::{Schema, parse_schema};
pub(crate) use crd_schema::map_is_correlatable;
use crd_schema::{SpecValidator, validate_openapi_schema};

/// Options of the CRD version the schema belongs to.
#[derive(Debug, Clone, Copy, Default)]
pub struct StructuralOptions {
    /// The version enables the status subresource, which restricts the
    /// keywords allowed at the schema's root.
    pub status_subresource: bool,
}

/// Checks a CRD version's `openAPIV3Schema` found at `path` (e.g.
/// `spec.versions[0].schema.openAPIV3Schema`), returning upstream's errors.
pub fn check_structural(schema: &Value, path: &Path) -> Vec<FieldError> {
    check_structural_with(schema, path, StructuralOptions::default())
}

/// [`check_structural`] with the version's options.
pub fn check_structural_with(
    schema: &Value,
    path: &Path,
    opts: StructuralOptions,
) -> Vec<FieldError> {
    let mut errs = Vec::new();
    if opts.status_subresource {
        errs.extend(status_root_errors(schema, path));
    }
    let parsed = match parse_schema(schema) {
        Ok(s) => s,
        Err(e) => {
            errs.push(FieldError::invalid(
                path,
                BadValue::Json(schema.clone()),
                &e.to_string(),
            ));
            return errs;
        }
    };
    errs.extend(check_parsed(&parsed, path));
    errs
}

/// The checks on an already parsed schema (without the status-subresource
/// restriction, which needs the raw keywords).
pub fn check_parsed(s: &Schema, path: &Path) -> Vec<FieldError> {
    let mut errs = Vec::new();
    if s.nullable {
        errs.push(FieldError::forbidden(
            &path.child("nullable"),
            "nullable cannot be true at the root",
        ));
    }
    let mut init_errs = Vec::new();
    let mut compile_cel = false;
    match invariants::unsupported_fields(s) {
        Some(msg) => init_errs.push(FieldError::invalid(path, "", &msg)),
        None => {
            let structural = invariants::validate_structural(path, s);
            if !structural.is_empty() {
                errs.extend(structural);
            } else {
                let defaults = defaults::validate_defaults(path, s);
                if !defaults.is_empty() {
                    errs.extend(defaults);
                } else {
                    compile_cel = true;
                }
            }
        }
    }
    let walk = validate_openapi_schema(s, path, &SpecValidator::default(), true, compile_cel);
    errs.extend(walk.schema);
    errs.extend(walk.cel);
    if errs.is_empty() {
        errs.extend(init_errs);
    }
    errs
}

/// Keywords allowed at the root when the status subresource is enabled, in
/// upstream's (Go struct) naming and order.
const ALLOWED_AT_ROOT: &[&str] = &[
    "Description",
    "Type",
    "Format",
    "Title",
    "Maximum",
    "ExclusiveMaximum",
    "Minimum",
    "ExclusiveMinimum",
    "MaxLength",
    "MinLength",
    "Pattern",
    "MaxItems",
    "MinItems",
    "UniqueItems",
    "MultipleOf",
    "Required",
    "Items",
    "Properties",
    "ExternalDocs",
    "Example",
    "XPreserveUnknownFields",
    "XValidations",
];

/// JSON keywords in the order of upstream's JSONSchemaProps fields, with
/// their Go names.
const ROOT_FIELDS: &[(&str, &str)] = &[
    ("id", "ID"),
    ("$schema", "Schema"),
    ("$ref", "Ref"),
    ("description", "Description"),
    ("type", "Type"),
    ("format", "Format"),
    ("title", "Title"),
    ("default", "Default"),
    ("maximum", "Maximum"),
    ("exclusiveMaximum", "ExclusiveMaximum"),
    ("minimum", "Minimum"),
    ("exclusiveMinimum", "ExclusiveMinimum"),
    ("maxLength", "MaxLength"),
    ("minLength", "MinLength"),
    ("pattern", "Pattern"),
    ("maxItems", "MaxItems"),
    ("minItems", "MinItems"),
    ("uniqueItems", "UniqueItems"),
    ("multipleOf", "MultipleOf"),
    ("enum", "Enum"),
    ("maxProperties", "MaxProperties"),
    ("minProperties", "MinProperties"),
    ("required", "Required"),
    ("items", "Items"),
    ("allOf", "AllOf"),
    ("oneOf", "OneOf"),
    ("anyOf", "AnyOf"),
    ("not", "Not"),
    ("properties", "Properties"),
    ("additionalProperties", "AdditionalProperties"),
    ("patternProperties", "PatternProperties"),
    ("dependencies", "Dependencies"),
    ("additionalItems", "AdditionalItems"),
    ("definitions", "Definitions"),
    ("externalDocs", "ExternalDocs"),
    ("example", "Example"),
    ("nullable", "Nullable"),
    (
        "x-kubernetes-preserve-unknown-fields",
        "XPreserveUnknownFields",
    ),
    ("x-kubernetes-embedded-resource", "XEmbeddedResource"),
    ("x-kubernetes-int-or-string", "XIntOrString"),
    ("x-kubernetes-list-map-keys", "XListMapKeys"),
    ("x-kubernetes-list-type", "XListType"),
    ("x-kubernetes-map-type", "XMapType"),
    ("x-kubernetes-validations", "XValidations"),
];

fn is_zero(v: &Value) -> bool {
    match v {
        Value::Null => true,
        Value::Bool(b) => !b,
        Value::Number(_) => false,
        Value::String(s) => s.is_empty(),
        Value::Array(a) => a.is_empty(),
        Value::Object(o) => o.is_empty(),
    }
}

fn status_root_errors(schema: &Value, path: &Path) -> Vec<FieldError> {
    let Some(obj) = schema.as_object() else {
        return Vec::new();
    };
    for (json_name, go_name) in ROOT_FIELDS {
        let Some(v) = obj.get(*json_name).filter(|v| !is_zero(v)) else {
            continue;
        };
        if *go_name == "Type" {
            if v.as_str() != Some("object") {
                return vec![FieldError::invalid(
                    &path.child("type"),
                    BadValue::Json(v.clone()),
                    r#"only "object" is allowed as the type at the root of the schema if the status subresource is enabled"#,
                )];
            }
            continue;
        }
        if !ALLOWED_AT_ROOT.contains(go_name) {
            return vec![FieldError::invalid(
                path,
                BadValue::Json(schema.clone()),
                &format!(
                    "only [{}] fields are allowed at the root of the schema if the status subresource is enabled",
                    ALLOWED_AT_ROOT.join(" ")
                ),
            )];
        }
    }
    Vec::new()
}
