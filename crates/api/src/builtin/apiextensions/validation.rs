//! A CRD version's schema (`validation` in the internal form): the root-level rules, the
//! structural-schema rules and the per-node OpenAPI rules.

use capstan_apimachinery::{ErrorList, FieldError, Path};
use k8s_openapi::apiextensions_apiserver::pkg::apis::apiextensions::v1::{
    CustomResourceValidation, JSONSchemaProps,
};

use super::schema::{Context, validate_openapi};
use super::structural::validate_structural;
use crate::builtin::apps::shared::struct_value;

/// Root schema fields allowed with a status subresource (status keeps its validation when
/// extracted as `properties.status`).
const ROOT_FIELDS_WITH_STATUS: &[&str] = &[
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

/// Whether a root schema field is set (upstream skips Go zero values).
fn root_fields(s: &JSONSchemaProps) -> Vec<(&'static str, bool)> {
    let text = |v: &Option<String>| v.as_deref().is_some_and(|t| !t.is_empty());
    let truth = |v: Option<bool>| v.unwrap_or(false);
    let list = |n: Option<usize>| n.is_some_and(|n| n > 0);
    vec![
        ("ID", text(&s.id)),
        ("Schema", text(&s.schema)),
        ("Ref", s.ref_path.is_some()),
        ("Description", text(&s.description)),
        ("Type", text(&s.type_)),
        ("Format", text(&s.format)),
        ("Title", text(&s.title)),
        ("Default", s.default.is_some()),
        ("Maximum", s.maximum.is_some()),
        ("ExclusiveMaximum", truth(s.exclusive_maximum)),
        ("Minimum", s.minimum.is_some()),
        ("ExclusiveMinimum", truth(s.exclusive_minimum)),
        ("MaxLength", s.max_length.is_some()),
        ("MinLength", s.min_length.is_some()),
        ("Pattern", text(&s.pattern)),
        ("MaxItems", s.max_items.is_some()),
        ("MinItems", s.min_items.is_some()),
        ("UniqueItems", truth(s.unique_items)),
        ("MultipleOf", s.multiple_of.is_some()),
        ("Enum", list(s.enum_.as_ref().map(Vec::len))),
        ("MaxProperties", s.max_properties.is_some()),
        ("MinProperties", s.min_properties.is_some()),
        ("Required", list(s.required.as_ref().map(Vec::len))),
        ("Items", s.items.is_some()),
        ("AllOf", list(s.all_of.as_ref().map(Vec::len))),
        ("OneOf", list(s.one_of.as_ref().map(Vec::len))),
        ("AnyOf", list(s.any_of.as_ref().map(Vec::len))),
        ("Not", s.not.is_some()),
        ("Properties", list(s.properties.as_ref().map(|p| p.len()))),
        ("AdditionalProperties", s.additional_properties.is_some()),
        (
            "PatternProperties",
            list(s.pattern_properties.as_ref().map(|p| p.len())),
        ),
        (
            "Dependencies",
            list(s.dependencies.as_ref().map(|p| p.len())),
        ),
        ("AdditionalItems", s.additional_items.is_some()),
        ("Definitions", list(s.definitions.as_ref().map(|p| p.len()))),
        ("ExternalDocs", s.external_docs.is_some()),
        ("Example", s.example.is_some()),
        ("Nullable", truth(s.nullable)),
        (
            "XPreserveUnknownFields",
            s.x_kubernetes_preserve_unknown_fields.is_some(),
        ),
        ("XEmbeddedResource", truth(s.x_kubernetes_embedded_resource)),
        ("XIntOrString", truth(s.x_kubernetes_int_or_string)),
        (
            "XListMapKeys",
            list(s.x_kubernetes_list_map_keys.as_ref().map(Vec::len)),
        ),
        ("XListType", s.x_kubernetes_list_type.is_some()),
        ("XMapType", s.x_kubernetes_map_type.is_some()),
        (
            "XValidations",
            list(s.x_kubernetes_validations.as_ref().map(Vec::len)),
        ),
    ]
}

/// Upstream `validateCustomResourceDefinitionValidation`.
pub(super) fn validate_validation(
    validation: Option<&CustomResourceValidation>,
    status_enabled: bool,
    require_structural: bool,
    path: &Path,
) -> ErrorList {
    let Some(schema) = validation.and_then(|v| v.open_api_v3_schema.as_ref()) else {
        return Vec::new();
    };
    let mut errs = Vec::new();
    let schema_path = path.child("openAPIV3Schema");
    if status_enabled {
        for (name, set) in root_fields(schema) {
            if !set {
                continue;
            }
            if name == "Type" {
                if schema.type_.as_deref() != Some("object") {
                    errs.push(FieldError::invalid(
                        &path.child("openAPIV3Schema.type"),
                        schema.type_.clone().unwrap_or_default(),
                        "only \"object\" is allowed as the type at the root of the schema if the status subresource is enabled",
                    ));
                    break;
                }
                continue;
            }
            if !ROOT_FIELDS_WITH_STATUS.contains(&name) {
                errs.push(FieldError::invalid(
                    &schema_path,
                    struct_value(schema),
                    &format!(
                        "only [{}] fields are allowed at the root of the schema if the status subresource is enabled",
                        ROOT_FIELDS_WITH_STATUS.join(" ")
                    ),
                ));
                break;
            }
        }
    }
    if schema.nullable.unwrap_or(false) {
        errs.push(FieldError::forbidden(
            &path.child("openAPIV3Schema.nullable"),
            "nullable cannot be true at the root",
        ));
    }
    if require_structural {
        errs.extend(validate_structural(schema, &schema_path));
    }
    // x-kubernetes-validations must compile (CEL); a rule the evaluator cannot run refuses the
    // CRD rather than being ignored. Only asked once the schema is structural, so structural
    // problems are not reported twice.
    if errs.is_empty()
        && let Ok(raw) = serde_json::to_value(schema)
        && let Ok(parsed) = capstan_crd::parse_schema(&raw)
        && let Err(rule_errors) = capstan_crd::compile_rules(&parsed, &schema_path)
    {
        errs.extend(rule_errors);
    }
    let ctx = Context {
        allow_defaults: true,
        forbidden_reason: String::new(),
        inside_resource_meta: false,
        require_valid_type: true,
        require_atomic_set_type: true,
        require_map_list_keys_validation: true,
    };
    validate_openapi(schema, &schema_path, &ctx, true, &mut errs);
    errs
}
