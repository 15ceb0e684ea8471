//! The structural-schema rules of CRD schemas (upstream pkg/apiserver/schema/validation.go
//! and complete.go): every field typed, value validations (anyOf, allOf, oneOf, not) only
//! constraining what the structure already specifies.

use capstan_apimachinery::{ErrorList, FieldError, Path};
use k8s_openapi::apiextensions_apiserver::pkg::apis::apiextensions::v1::JSONSchemaProps;

use super::schema::{additional_schema, flag, items_schema, properties, ty};

#[derive(Clone, Copy, PartialEq)]
enum Level {
    Root,
    Item,
    Field,
}

/// Upstream `ValidateStructural`: invariants and completeness, sorted by message.
pub fn validate_structural(s: &JSONSchemaProps, path: &Path) -> ErrorList {
    let mut errs = Vec::new();
    invariants(s, Level::Root, path, &mut errs);
    completeness(s, s, path, path, &mut errs);
    errs.sort_by_key(|e| e.to_string());
    errs
}

fn invariants(s: &JSONSchemaProps, level: Level, path: &Path, errs: &mut ErrorList) {
    let kind = ty(s);
    if kind == "array" && s.items.is_none() {
        errs.push(FieldError::required(
            &path.child("items"),
            "must be specified",
        ));
    }
    if let Some(items) = items_schema(s) {
        invariants(items, Level::Item, &path.child("items"), errs);
    }
    for (k, v) in properties(s) {
        invariants(v, Level::Field, &path.child("properties").key(k), errs);
    }
    if s.additional_properties.is_some() {
        if level == Level::Root {
            errs.push(FieldError::forbidden(
                &path.child("additionalProperties"),
                "must not be used at the root",
            ));
        }
        if let Some(a) = additional_schema(s) {
            invariants(a, Level::Field, &path.child("additionalProperties"), errs);
        }
    }
    let (int_or_string, preserve, embedded) = (
        flag(s.x_kubernetes_int_or_string),
        flag(s.x_kubernetes_preserve_unknown_fields),
        flag(s.x_kubernetes_embedded_resource),
    );
    if int_or_string && preserve {
        errs.push(FieldError::invalid(
            &path.child("x-kubernetes-preserve-unknown-fields"),
            true,
            "must be false if x-kubernetes-int-or-string is true",
        ));
    }
    if int_or_string && embedded {
        errs.push(FieldError::invalid(
            &path.child("x-kubernetes-embedded-resource"),
            true,
            "must be false if x-kubernetes-int-or-string is true",
        ));
    }
    value_validation(s, skip_int_or_string_any_of(s), level, path, errs);
    let check_metadata = level == Level::Root || embedded;
    if embedded && kind != "object" {
        let msg = "must be object if x-kubernetes-embedded-resource is true";
        errs.push(if kind.is_empty() {
            FieldError::required(&path.child("type"), msg)
        } else {
            FieldError::invalid(&path.child("type"), kind, msg)
        });
    } else if kind.is_empty() && !int_or_string && !preserve {
        let msg = match level {
            Level::Root => "must not be empty at the root",
            Level::Item => "must not be empty for specified array items",
            Level::Field => "must not be empty for specified object fields",
        };
        errs.push(FieldError::required(&path.child("type"), msg));
    }
    if embedded && s.additional_properties.is_some() {
        errs.push(FieldError::forbidden(
            &path.child("additionalProperties"),
            "must not be used if x-kubernetes-embedded-resource is set",
        ));
    }
    if level == Level::Root && !kind.is_empty() && kind != "object" {
        errs.push(FieldError::invalid(
            &path.child("type"),
            kind,
            "must be object at the root",
        ));
    }
    let props = s.properties.clone().unwrap_or_default();
    for name in ["kind", "apiVersion"] {
        if let Some(p) = props.get(name).filter(|_| check_metadata)
            && ty(p) != "string"
        {
            errs.push(FieldError::invalid(
                &path.child("properties").key(name).child("type"),
                ty(p),
                "must be string",
            ));
        }
    }
    if let Some(meta) = props.get("metadata") {
        let mp = path.child("properties").key("metadata");
        if check_metadata && ty(meta) != "object" {
            errs.push(FieldError::invalid(
                &mp.child("type"),
                ty(meta),
                "must be object",
            ));
        }
        if level == Level::Root && !only_name_fields(meta) {
            errs.push(FieldError::forbidden(
                &mp,
                "must not specify anything other than name and generateName, but metadata is implicitly specified",
            ));
        }
    }
    if embedded && !preserve && props.is_empty() {
        errs.push(FieldError::required(
            &path.child("properties"),
            "must not be empty if x-kubernetes-embedded-resource is true without x-kubernetes-preserve-unknown-fields",
        ));
    }
}

/// The root `metadata` schema may only restrict `name` and `generateName`.
fn only_name_fields(meta: &JSONSchemaProps) -> bool {
    let mut rest = meta.clone();
    rest.type_ = None;
    rest.default = None;
    let props = rest.properties.clone().unwrap_or_default();
    let names = props.keys().all(|k| k == "name" || k == "generateName");
    if names && !props.is_empty() {
        rest.properties = None;
    }
    if rest.properties.as_ref().is_some_and(|p| p.is_empty()) {
        rest.properties = None;
    }
    rest == JSONSchemaProps::default()
}

/// `anyOf: [{type: integer}, {type: string}]`, the shape int-or-string fields use.
fn is_int_or_string_any_of(any_of: &[JSONSchemaProps]) -> bool {
    let only_type = |s: &JSONSchemaProps, t: &str| {
        *s == JSONSchemaProps {
            type_: Some(t.into()),
            ..Default::default()
        }
    };
    any_of.len() == 2 && only_type(&any_of[0], "integer") && only_type(&any_of[1], "string")
}

fn skip_int_or_string_any_of(s: &JSONSchemaProps) -> bool {
    s.any_of.as_deref().is_some_and(is_int_or_string_any_of)
}

/// Upstream `validateValueValidation` for a node's anyOf/allOf/oneOf/not.
fn value_validation(
    s: &JSONSchemaProps,
    skip_any_of: bool,
    level: Level,
    path: &Path,
    errs: &mut ErrorList,
) {
    if !skip_any_of {
        for (i, v) in s.any_of.iter().flatten().enumerate() {
            nested(v, false, level, &path.child("anyOf").index(i), errs);
        }
    }
    let first_all_of_int_or_string = s
        .all_of
        .as_ref()
        .and_then(|a| a.first())
        .is_some_and(skip_int_or_string_any_of);
    for (i, v) in s.all_of.iter().flatten().enumerate() {
        let skip = first_all_of_int_or_string && i == 0;
        nested(v, skip, level, &path.child("allOf").index(i), errs);
    }
    for (i, v) in s.one_of.iter().flatten().enumerate() {
        nested(v, false, level, &path.child("oneOf").index(i), errs);
    }
    if let Some(not) = &s.not {
        nested(not, false, level, &path.child("not"), errs);
    }
}

/// Upstream `validateNestedValueValidation`: inside anyOf/allOf/oneOf/not only value
/// constraints are allowed.
fn nested(v: &JSONSchemaProps, skip_any_of: bool, level: Level, path: &Path, errs: &mut ErrorList) {
    value_validation(v, skip_any_of, level, path, errs);
    if let Some(items) = items_schema(v) {
        nested(items, false, level, &path.child("items"), errs);
    }
    for (k, p) in properties(v) {
        nested(
            p,
            false,
            Level::Field,
            &path.child("properties").key(k),
            errs,
        );
    }
    let forbid = |errs: &mut ErrorList, field: &str, msg: &str| {
        errs.push(FieldError::forbidden(&path.child(field), msg));
    };
    if !ty(v).is_empty() {
        forbid(errs, "type", "must be empty to be structural");
    }
    if v.additional_properties.is_some() {
        forbid(
            errs,
            "additionalProperties",
            "must be undefined to be structural",
        );
    }
    if v.default.is_some() {
        forbid(errs, "default", "must be undefined to be structural");
    }
    if !v.title.as_deref().unwrap_or("").is_empty() {
        forbid(errs, "title", "must be empty to be structural");
    }
    if !v.description.as_deref().unwrap_or("").is_empty() {
        forbid(errs, "description", "must be empty to be structural");
    }
    if flag(v.nullable) {
        forbid(errs, "nullable", "must be false to be structural");
    }
    if flag(v.x_kubernetes_preserve_unknown_fields) {
        forbid(
            errs,
            "x-kubernetes-preserve-unknown-fields",
            "must be false to be structural",
        );
    }
    if flag(v.x_kubernetes_embedded_resource) {
        forbid(
            errs,
            "x-kubernetes-embedded-resource",
            "must be false to be structural",
        );
    }
    if flag(v.x_kubernetes_int_or_string) {
        forbid(
            errs,
            "x-kubernetes-int-or-string",
            "must be false to be structural",
        );
    }
    if v.x_kubernetes_list_map_keys
        .as_ref()
        .is_some_and(|k| !k.is_empty())
    {
        forbid(
            errs,
            "x-kubernetes-list-map-keys",
            "must be empty to be structural",
        );
    }
    if v.x_kubernetes_list_type.is_some() {
        forbid(
            errs,
            "x-kubernetes-list-type",
            "must be undefined to be structural",
        );
    }
    if v.x_kubernetes_map_type.is_some() {
        forbid(
            errs,
            "x-kubernetes-map-type",
            "must be undefined to be structural",
        );
    }
    if v.x_kubernetes_validations
        .as_ref()
        .is_some_and(|x| !x.is_empty())
    {
        forbid(
            errs,
            "x-kubernetes-validations",
            "must be empty to be structural",
        );
    }
    if v.properties
        .as_ref()
        .is_some_and(|p| p.contains_key("metadata"))
    {
        errs.push(FieldError::forbidden(
            &path.child("properties").key("metadata"),
            "must not be specified in a nested context",
        ));
    }
}

/// Upstream `validateStructuralCompleteness`: every property a value validation mentions is
/// also specified structurally.
fn completeness(
    v: &JSONSchemaProps,
    s: &JSONSchemaProps,
    s_path: &Path,
    v_path: &Path,
    errs: &mut ErrorList,
) {
    let mut visit =
        |n: &JSONSchemaProps, vp: Path| nested_completeness(n, Some(s), s_path, &vp, errs);
    if let Some(not) = &v.not {
        visit(not, v_path.child("not"));
    }
    for (i, n) in v.all_of.iter().flatten().enumerate() {
        visit(n, v_path.child("allOf").index(i));
    }
    for (i, n) in v.any_of.iter().flatten().enumerate() {
        visit(n, v_path.child("anyOf").index(i));
    }
    for (i, n) in v.one_of.iter().flatten().enumerate() {
        visit(n, v_path.child("oneOf").index(i));
    }
}

fn nested_completeness(
    v: &JSONSchemaProps,
    s: Option<&JSONSchemaProps>,
    s_path: &Path,
    v_path: &Path,
    errs: &mut ErrorList,
) {
    let Some(s) = s else {
        errs.push(FieldError::required(
            s_path,
            &format!("because it is defined in {v_path}"),
        ));
        return;
    };
    completeness(v, s, s_path, v_path, errs);
    if let Some(items) = items_schema(v) {
        nested_completeness(
            items,
            items_schema(s),
            &s_path.child("items"),
            &v_path.child("items"),
            errs,
        );
    }
    let s_props = s.properties.clone().unwrap_or_default();
    for (k, p) in properties(v) {
        let (sp, vp) = (
            s_path.child("properties").key(k),
            v_path.child("properties").key(k),
        );
        match s_props.get(k) {
            None => errs.push(FieldError::required(
                &sp,
                &format!("because it is defined in {vp}"),
            )),
            Some(sf) => nested_completeness(p, Some(sf), &sp, &vp, errs),
        }
    }
}
