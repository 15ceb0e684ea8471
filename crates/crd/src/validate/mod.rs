//! Validation of a custom object against its CRD schema: the OpenAPI value
//! validation (422 causes with upstream's texts), embedded resources, and
//! list-type uniqueness. CEL rules are in [`crate::cel`].

mod embedded;
pub(crate) mod formats;
mod listtype;
pub(crate) mod openapi;
mod scalars;

#[cfg(test)]
mod tests;

use capstan_apimachinery::{BadValue, ErrorType, FieldError, Path};
use serde_json::Value;

use crate::gofmt::marshal;
use crate::schema::{Schema, parse_schema};
pub(crate) use embedded::validate_embedded_at;
pub use embedded::{coerce_object_meta, validate_embedded_resources};
pub use listtype::validate_list_sets_and_maps;
use openapi::{Code, OpenApiError};

/// Validates a custom object on create: OpenAPI schema validation, embedded
/// resources and list-type uniqueness (not CEL rules, not root ObjectMeta).
///
/// A schema that cannot be parsed yields a single internal error.
pub fn validate(obj: &Value, schema: &Value) -> Vec<FieldError> {
    match parse_schema(schema) {
        Ok(s) => validate_parsed(obj, &s),
        Err(e) => vec![FieldError::internal_error(
            &Path::nil(),
            &format!("invalid schema: {e}"),
        )],
    }
}

/// [`validate`] with an already parsed schema.
pub fn validate_parsed(obj: &Value, schema: &Schema) -> Vec<FieldError> {
    let mut errs = validate_schema_value(&Path::nil(), obj, None, schema);
    errs.extend(validate_embedded_resources(obj, schema));
    errs.extend(validate_list_sets_and_maps(obj, schema));
    errs
}

/// Validates a custom object on update. Errors in values left unchanged
/// from `old` are ratcheted away (upstream `CRDValidationRatcheting`), and
/// list-type uniqueness is only enforced if the old object satisfied it.
pub fn validate_update_parsed(new: &Value, old: &Value, schema: &Schema) -> Vec<FieldError> {
    let mut errs = validate_schema_value(&Path::nil(), new, Some(old), schema);
    errs.extend(validate_embedded_resources(new, schema));
    if validate_list_sets_and_maps(old, schema).is_empty() {
        errs.extend(validate_list_sets_and_maps(new, schema));
    }
    errs
}

/// The OpenAPI schema validation alone, with errors under `prefix` (nil for
/// the object; `status` when validating the status subresource with the
/// status schema). With `old`, unchanged values are ratcheted.
pub fn validate_schema_value(
    prefix: &Path,
    value: &Value,
    old: Option<&Value>,
    schema: &Schema,
) -> Vec<FieldError> {
    let outcome = openapi::validate(schema, value, old, "");
    outcome
        .errors
        .into_iter()
        .map(|e| to_field_error(prefix, e))
        .collect()
}

/// Upstream skips CEL rules when an earlier error makes the object
/// unfit for them; this is the error it reports instead, if any.
pub fn blocking_error(errs: &[FieldError]) -> Option<FieldError> {
    errs.iter()
        .any(|e| {
            matches!(
                e.error_type,
                ErrorType::NotSupported | ErrorType::Required | ErrorType::TooLong | ErrorType::TooMany | ErrorType::TypeInvalid
            )
        })
        .then(|| {
            FieldError::invalid(
                &Path::nil(),
                BadValue::Null,
                "some validation rules were not checked because the object was invalid; correct the existing errors to complete validation",
            )
        })
}

fn bad_value(v: Option<Value>) -> BadValue {
    match v {
        None | Some(Value::Null) => BadValue::String(String::new()),
        Some(v) => BadValue::Json(v),
    }
}

fn to_field_error(prefix: &Path, e: OpenApiError) -> FieldError {
    if e.code == Code::Composite {
        return FieldError::invalid(prefix, "", &e.message);
    }
    let path = if !e.name.is_empty() && e.name != "." {
        prefix.child(e.name.strip_prefix('.').unwrap_or(&e.name))
    } else {
        prefix.clone()
    };
    let as_int = |v: &Option<Value>| v.as_ref().and_then(Value::as_i64).unwrap_or(-1);
    match e.code {
        Code::Required => FieldError::required(&path, ""),
        Code::Enum => {
            let supported: Vec<String> = e
                .values
                .iter()
                .map(|v| match v {
                    Value::String(s) => s.clone(),
                    other => marshal(other),
                })
                .collect();
            FieldError::not_supported(&path, bad_value(e.value), &supported)
        }
        Code::TooLong => FieldError::too_long(&path, e.valid.unwrap_or(-1)),
        Code::MaxItems | Code::TooManyProperties => {
            FieldError::too_many(&path, as_int(&e.value), e.valid.unwrap_or(-1))
        }
        Code::InvalidType => FieldError::type_invalid(&path, bad_value(e.value), &e.message),
        _ => FieldError::invalid(&path, bad_value(e.value), &e.message),
    }
}
