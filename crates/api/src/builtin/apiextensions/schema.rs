//! OpenAPI v3 schemas of CustomResourceDefinitions: the per-node OpenAPI rules (upstream
//! `ValidateCustomResourceDefinitionOpenAPISchema`). CEL rules are checked for shape only; the
//! structural-schema rules are in `structural`.

use std::collections::BTreeMap;

use capstan_apimachinery::{BadValue, ErrorList, FieldError, Path};
use k8s_openapi::apiextensions_apiserver::pkg::apis::apiextensions::v1::{
    JSONSchemaProps, JSONSchemaPropsOrArray, JSONSchemaPropsOrBool,
};

use crate::builtin::apps::shared::{go_string_slice, struct_value};

const OPENAPI_TYPES: &[&str] = &["array", "boolean", "integer", "number", "object", "string"];
const META_FIELDS: &[&str] = &["apiVersion", "kind", "metadata"];
const VALIDATION_REASONS: &[&str] = &[
    "FieldValueDuplicate",
    "FieldValueForbidden",
    "FieldValueInvalid",
    "FieldValueRequired",
];

pub(super) fn ty(s: &JSONSchemaProps) -> &str {
    s.type_.as_deref().unwrap_or("")
}

pub(super) fn flag(v: Option<bool>) -> bool {
    v.unwrap_or(false)
}

pub(super) fn properties(s: &JSONSchemaProps) -> impl Iterator<Item = (&String, &JSONSchemaProps)> {
    s.properties.iter().flatten()
}

pub(super) fn items_schema(s: &JSONSchemaProps) -> Option<&JSONSchemaProps> {
    match &s.items {
        Some(JSONSchemaPropsOrArray::Schema(b)) => Some(b),
        _ => None,
    }
}

pub(super) fn additional_schema(s: &JSONSchemaProps) -> Option<&JSONSchemaProps> {
    match &s.additional_properties {
        Some(JSONSchemaPropsOrBool::Schema(b)) => Some(b),
        _ => None,
    }
}

/// How defaults are treated below the current node.
#[derive(Clone)]
pub struct Context {
    pub allow_defaults: bool,
    pub forbidden_reason: String,
    pub inside_resource_meta: bool,
    pub require_valid_type: bool,
    pub require_atomic_set_type: bool,
    pub require_map_list_keys_validation: bool,
}

impl Context {
    fn forbid_defaults(&self, reason: &str) -> Context {
        Context {
            allow_defaults: false,
            forbidden_reason: reason.into(),
            ..self.clone()
        }
    }
}

/// Upstream `specStandardValidatorV3.validate`: OpenAPI features CRDs do not support.
fn standard(s: &JSONSchemaProps, ctx: &Context, path: &Path, errs: &mut ErrorList) {
    let kind = ty(s);
    if ctx.require_valid_type && !kind.is_empty() && !OPENAPI_TYPES.contains(&kind) {
        errs.push(FieldError::not_supported(
            &path.child("type"),
            kind,
            OPENAPI_TYPES,
        ));
    }
    if s.default.is_some() && !ctx.allow_defaults {
        let mut detail = "must not be set".to_string();
        if !ctx.forbidden_reason.is_empty() {
            detail.push(' ');
            detail.push_str(&ctx.forbidden_reason);
        }
        errs.push(FieldError::forbidden(&path.child("default"), &detail));
    }
    let unsupported = [
        (
            !s.id.as_deref().unwrap_or("").is_empty(),
            "id",
            "id is not supported",
        ),
        (
            s.additional_items.is_some(),
            "additionalItems",
            "additionalItems is not supported",
        ),
        (
            s.pattern_properties.as_ref().is_some_and(|p| !p.is_empty()),
            "patternProperties",
            "patternProperties is not supported",
        ),
        (
            s.definitions.as_ref().is_some_and(|d| !d.is_empty()),
            "definitions",
            "definitions is not supported",
        ),
        (
            s.dependencies.is_some(),
            "dependencies",
            "dependencies is not supported",
        ),
        (s.ref_path.is_some(), "$ref", "$ref is not supported"),
        (
            kind == "null",
            "type",
            "type cannot be set to null, use nullable as an alternative",
        ),
        (
            matches!(s.items, Some(JSONSchemaPropsOrArray::Schemas(_))),
            "items",
            "items must be a schema object and not an array",
        ),
        (
            ctx.inside_resource_meta && flag(s.x_kubernetes_embedded_resource),
            "x-kubernetes-embedded-resource",
            "must not be used inside of resource meta",
        ),
    ];
    for (bad, field, msg) in unsupported {
        if bad {
            errs.push(FieldError::forbidden(&path.child(field), msg));
        }
    }
}

/// Upstream `ValidateCustomResourceDefinitionOpenAPISchema` (without compiling CEL rules).
pub fn validate_openapi(
    s: &JSONSchemaProps,
    path: &Path,
    ctx: &Context,
    is_root: bool,
    errs: &mut ErrorList,
) {
    standard(s, ctx, path, errs);
    if flag(s.unique_items) {
        errs.push(FieldError::forbidden(
            &path.child("uniqueItems"),
            "uniqueItems cannot be set to true since the runtime complexity becomes quadratic",
        ));
    }
    let has_properties = s.properties.as_ref().is_some_and(|p| !p.is_empty());
    if let Some(additional) = &s.additional_properties {
        let allows_without_schema = matches!(additional, JSONSchemaPropsOrBool::Bool(true));
        if has_properties && !allows_without_schema {
            errs.push(FieldError::forbidden(
                &path.child("additionalProperties"),
                "additionalProperties and properties are mutual exclusive",
            ));
        }
        if let Some(a) = additional_schema(s) {
            let sub = if ctx.inside_resource_meta {
                ctx.forbid_defaults("inside additionalProperties applying to object metadata")
            } else {
                ctx.clone()
            };
            validate_openapi(a, &path.child("additionalProperties"), &sub, false, errs);
        }
    }
    for (name, p) in properties(s) {
        let mut sub = ctx.clone();
        if (is_root || flag(s.x_kubernetes_embedded_resource))
            && META_FIELDS.contains(&name.as_str())
        {
            sub.inside_resource_meta = true;
            if is_root {
                sub = sub.forbid_defaults(&format!("in top-level {name}"));
            }
        }
        validate_openapi(p, &path.child("properties").key(name), &sub, false, errs);
    }
    if let Some(not) = &s.not {
        validate_openapi(not, &path.child("not"), ctx, false, errs);
    }
    for (field, list) in [
        ("allOf", &s.all_of),
        ("oneOf", &s.one_of),
        ("anyOf", &s.any_of),
    ] {
        for (i, n) in list.iter().flatten().enumerate() {
            validate_openapi(n, &path.child(field).index(i), ctx, false, errs);
        }
    }
    for (k, d) in s.definitions.iter().flatten() {
        validate_openapi(d, &path.child("definitions").key(k), ctx, false, errs);
    }
    match &s.items {
        Some(JSONSchemaPropsOrArray::Schema(i)) => {
            validate_openapi(i, &path.child("items"), ctx, false, errs)
        }
        Some(JSONSchemaPropsOrArray::Schemas(list)) => {
            for (i, n) in list.iter().enumerate() {
                validate_openapi(n, &path.child("items").index(i), ctx, false, errs);
            }
        }
        None => {}
    }
    validate_extensions(s, path, ctx, errs);
    validate_rules(s, path, errs);
}

/// The `x-kubernetes-*` list, map and preserve extensions.
fn validate_extensions(s: &JSONSchemaProps, path: &Path, ctx: &Context, errs: &mut ErrorList) {
    let kind = ty(s);
    if s.x_kubernetes_preserve_unknown_fields == Some(false) {
        errs.push(FieldError::invalid(
            &path.child("x-kubernetes-preserve-unknown-fields"),
            false,
            "must be true or undefined",
        ));
    }
    let type_error = |errs: &mut ErrorList, msg: &str| {
        errs.push(if kind.is_empty() {
            FieldError::required(&path.child("type"), msg)
        } else {
            FieldError::invalid(&path.child("type"), kind, msg)
        });
    };
    if let Some(map_type) = s.x_kubernetes_map_type.as_deref() {
        if kind != "object" {
            type_error(errs, "must be object if x-kubernetes-map-type is specified");
        }
        if map_type != "atomic" && map_type != "granular" {
            errs.push(FieldError::not_supported(
                &path.child("x-kubernetes-map-type"),
                map_type,
                &["atomic", "granular"],
            ));
        }
    }
    let list_type = s.x_kubernetes_list_type.as_deref();
    let items = items_schema(s);
    if list_type.is_some() && kind != "array" {
        type_error(errs, "must be array if x-kubernetes-list-type is specified");
    } else if ctx.require_atomic_set_type
        && list_type == Some("set")
        && let Some(i) = items
    {
        {
            let items_path = path.child("items");
            match ty(i) {
                "array"
                    if i.x_kubernetes_list_type
                        .as_deref()
                        .is_some_and(|t| t != "atomic") =>
                {
                    errs.push(FieldError::invalid(
                        &items_path.child("x-kubernetes-list-type"),
                        i.x_kubernetes_list_type.clone().unwrap_or_default(),
                        "must be atomic as item of a list with x-kubernetes-list-type=set",
                    ));
                }
                "object" if i.x_kubernetes_map_type.as_deref() != Some("atomic") => {
                    errs.push(FieldError::invalid(
                        &items_path.child("x-kubernetes-map-type"),
                        i.x_kubernetes_list_type
                            .clone()
                            .map_or(BadValue::Null, BadValue::from),
                        "must be atomic as item of a list with x-kubernetes-list-type=set",
                    ));
                }
                _ => {}
            }
        }
    }
    if let Some(t) = list_type.filter(|t| !["atomic", "set", "map"].contains(t)) {
        errs.push(FieldError::not_supported(
            &path.child("x-kubernetes-list-type"),
            t,
            &["atomic", "set", "map"],
        ));
    }
    let keys = s.x_kubernetes_list_map_keys.clone().unwrap_or_default();
    let list_type_path = path.child("x-kubernetes-list-type");
    let keys_msg = "must be map if x-kubernetes-list-map-keys is non-empty";
    match list_type {
        _ if keys.is_empty() => {}
        None => errs.push(FieldError::required(&list_type_path, keys_msg)),
        Some(t) if t != "map" => errs.push(FieldError::invalid(&list_type_path, t, keys_msg)),
        _ => {}
    }
    if list_type == Some("map") {
        validate_map_list(s, &keys, path, errs);
    }
    if ctx.require_map_list_keys_validation
        && let (Some(t @ ("set" | "map")), Some(i)) = (list_type, items)
    {
        if flag(i.nullable) {
            errs.push(FieldError::forbidden(
                &path.child("items").child("nullable"),
                &format!("cannot be nullable when x-kubernetes-list-type is {t}"),
            ));
        }
        if t == "map" {
            let required = i.required.clone().unwrap_or_default();
            let props = i.properties.clone().unwrap_or_default();
            for k in &keys {
                let Some(p) = props.get(k) else { continue };
                let kp = path.child("items").child("properties").key(k);
                if !required.contains(k) && p.default.is_none() {
                    errs.push(FieldError::required(
                        &kp.child("default"),
                        "this property is in x-kubernetes-list-map-keys, so it must have a default or be a required property",
                    ));
                }
                if flag(p.nullable) {
                    errs.push(FieldError::forbidden(
                        &kp.child("nullable"),
                        "this property is in x-kubernetes-list-map-keys, so it cannot be nullable",
                    ));
                }
            }
        }
    }
}

fn validate_map_list(s: &JSONSchemaProps, keys: &[String], path: &Path, errs: &mut ErrorList) {
    let keys_path = path.child("x-kubernetes-list-map-keys");
    if keys.is_empty() {
        errs.push(FieldError::required(
            &keys_path,
            "must not be empty if x-kubernetes-list-type is map",
        ));
    }
    let items_path = path.child("items");
    match &s.items {
        None => errs.push(FieldError::required(
            &items_path,
            "must have a schema if x-kubernetes-list-type is map",
        )),
        Some(JSONSchemaPropsOrArray::Schemas(_)) => errs.push(FieldError::invalid(
            &items_path,
            struct_value(&s.items),
            "must only have a single schema if x-kubernetes-list-type is map",
        )),
        Some(JSONSchemaPropsOrArray::Schema(i)) if ty(i) != "object" => {
            errs.push(FieldError::invalid(
                &items_path.child("type"),
                ty(i),
                "must be object if parent array's x-kubernetes-list-type is map",
            ));
        }
        Some(JSONSchemaPropsOrArray::Schema(i)) => {
            let props: BTreeMap<String, JSONSchemaProps> = i.properties.clone().unwrap_or_default();
            let keys_value = || BadValue::Raw(go_string_slice(Some(keys)));
            let mut seen = std::collections::BTreeSet::new();
            for k in keys {
                match props.get(k) {
                    Some(p) if ty(p) == "array" || ty(p) == "object" => {
                        errs.push(FieldError::invalid(
                            &items_path.child("properties").key(k).child("type"),
                            ty(i),
                            "must be a scalar type if parent array's x-kubernetes-list-type is map",
                        ));
                    }
                    Some(_) => {}
                    None => errs.push(FieldError::invalid(
                        &keys_path,
                        keys_value(),
                        "entries must all be names of item properties",
                    )),
                }
                if !seen.insert(k) {
                    errs.push(FieldError::invalid(
                        &keys_path,
                        keys_value(),
                        "must not contain duplicate entries",
                    ));
                }
            }
        }
    }
}

fn has_newlines(s: &str) -> bool {
    s.contains('\n') || s.contains('\r')
}

/// The shape of `x-kubernetes-validations` rules (their CEL is not compiled here).
fn validate_rules(s: &JSONSchemaProps, path: &Path, errs: &mut ErrorList) {
    for (i, rule) in s.x_kubernetes_validations.iter().flatten().enumerate() {
        let p = path.child("x-kubernetes-validations").index(i);
        let message = rule.message.clone().unwrap_or_default();
        let (trimmed_rule, trimmed_message) = (rule.rule.trim(), message.trim());
        if trimmed_rule.is_empty() {
            errs.push(FieldError::required(
                &p.child("rule"),
                "rule is not specified",
            ));
        } else if !message.is_empty() && trimmed_message.is_empty() {
            errs.push(FieldError::invalid(
                &p.child("message"),
                message.as_str(),
                "message must be non-empty if specified",
            ));
        } else if has_newlines(trimmed_message) {
            errs.push(FieldError::invalid(
                &p.child("message"),
                message.as_str(),
                "message must not contain line breaks",
            ));
        } else if has_newlines(trimmed_rule) && trimmed_message.is_empty() {
            errs.push(FieldError::required(
                &p.child("message"),
                "message must be specified if rule contains line breaks",
            ));
        }
        let expression = rule.message_expression.clone().unwrap_or_default();
        if !expression.is_empty() && expression.trim().is_empty() {
            errs.push(FieldError::required(
                &p.child("messageExpression"),
                "messageExpression must be non-empty if specified",
            ));
        }
        if let Some(reason) = rule.reason.as_deref()
            && !VALIDATION_REASONS.contains(&reason)
        {
            errs.push(FieldError::not_supported(
                &p.child("reason"),
                reason,
                VALIDATION_REASONS,
            ));
        }
        let field_path = rule.field_path.clone().unwrap_or_default();
        if !field_path.is_empty() && field_path.trim().is_empty() {
            errs.push(FieldError::invalid(
                &p.child("fieldPath"),
                field_path.as_str(),
                "fieldPath must be non-empty if specified",
            ));
        }
        if has_newlines(&field_path) {
            errs.push(FieldError::invalid(
                &p.child("fieldPath"),
                field_path.as_str(),
                "fieldPath must not contain line breaks",
            ));
        }
    }
}

/// True when any node of the schema satisfies `pred`.
pub fn schema_has(s: &JSONSchemaProps, pred: &dyn Fn(&JSONSchemaProps) -> bool) -> bool {
    if pred(s) {
        return true;
    }
    let children = properties(s)
        .map(|(_, p)| p)
        .chain(items_schema(s))
        .chain(additional_schema(s))
        .chain(s.all_of.iter().flatten())
        .chain(s.any_of.iter().flatten())
        .chain(s.one_of.iter().flatten())
        .chain(s.not.as_deref());
    children.into_iter().any(|c| schema_has(c, pred))
}

#[cfg(test)]
#[path = "schema_tests.rs"]
mod tests;
