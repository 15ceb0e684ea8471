//! Upstream `ValidateStructural`: the invariants a structural schema keeps
//! (types everywhere, value validations free of structure) and the
//! completeness of the structure its value validations refer to.

use capstan_apimachinery::{FieldError, Path};

use crate::regex_cache;
use crate::schema::{AdditionalProperties, Schema};

#[derive(Clone, Copy, PartialEq)]
enum Level {
    Root,
    Item,
    Field,
}

/// All structural errors, sorted by message as upstream sorts them.
pub(super) fn validate_structural(path: &Path, s: &Schema) -> Vec<FieldError> {
    let mut errs = Vec::new();
    invariants(s, Level::Root, path, &mut errs);
    completeness_of(s, s, path, path, &mut errs);
    errs.sort_by_key(|e| e.to_string());
    errs
}

fn is_type_only(s: &Schema, type_: &str) -> bool {
    let probe = Schema {
        type_: type_.to_string(),
        ..Schema::default()
    };
    *s == probe
}

fn is_int_or_string_any_of(any_of: &[Schema]) -> bool {
    any_of.len() == 2 && is_type_only(&any_of[0], "integer") && is_type_only(&any_of[1], "string")
}

fn invariants(s: &Schema, lvl: Level, path: &Path, errs: &mut Vec<FieldError>) {
    if s.type_ == "array" && s.items.is_none() {
        errs.push(FieldError::required(
            &path.child("items"),
            "must be specified",
        ));
    }
    if let Some(items) = s.items_schema() {
        invariants(items, Level::Item, &path.child("items"), errs);
    }
    for (k, v) in &s.properties {
        invariants(v, Level::Field, &path.child("properties").key(k), errs);
    }
    if let Some(ap) = &s.additional_properties {
        if lvl == Level::Root {
            errs.push(FieldError::forbidden(
                &path.child("additionalProperties"),
                "must not be used at the root",
            ));
        }
        if let AdditionalProperties::Schema(ap) = ap {
            invariants(ap, Level::Field, &path.child("additionalProperties"), errs);
        }
    }
    if s.int_or_string && s.preserves_unknown_fields() {
        errs.push(FieldError::invalid(
            &path.child("x-kubernetes-preserve-unknown-fields"),
            true,
            "must be false if x-kubernetes-int-or-string is true",
        ));
    }
    if s.int_or_string && s.embedded_resource {
        errs.push(FieldError::invalid(
            &path.child("x-kubernetes-embedded-resource"),
            true,
            "must be false if x-kubernetes-int-or-string is true",
        ));
    }
    let skip_any_of = is_int_or_string_any_of(&s.any_of);
    let skip_first_all_of_any_of = s
        .all_of
        .first()
        .is_some_and(|a| is_int_or_string_any_of(&a.any_of));
    value_validation(s, skip_any_of, skip_first_all_of_any_of, path, errs);

    let check_metadata = lvl == Level::Root || s.embedded_resource;
    if s.embedded_resource && s.type_ != "object" {
        let msg = "must be object if x-kubernetes-embedded-resource is true";
        if s.type_.is_empty() {
            errs.push(FieldError::required(&path.child("type"), msg));
        } else {
            errs.push(FieldError::invalid(
                &path.child("type"),
                s.type_.as_str(),
                msg,
            ));
        }
    } else if s.type_.is_empty() && !s.int_or_string && !s.preserves_unknown_fields() {
        let msg = match lvl {
            Level::Root => "must not be empty at the root",
            Level::Item => "must not be empty for specified array items",
            Level::Field => "must not be empty for specified object fields",
        };
        errs.push(FieldError::required(&path.child("type"), msg));
    }
    if s.embedded_resource && s.additional_properties.is_some() {
        errs.push(FieldError::forbidden(
            &path.child("additionalProperties"),
            "must not be used if x-kubernetes-embedded-resource is set",
        ));
    }
    if lvl == Level::Root && !s.type_.is_empty() && s.type_ != "object" {
        errs.push(FieldError::invalid(
            &path.child("type"),
            s.type_.as_str(),
            "must be object at the root",
        ));
    }
    for meta_string in ["kind", "apiVersion"] {
        if let Some(p) = s.properties.get(meta_string)
            && check_metadata
            && p.type_ != "string"
        {
            errs.push(FieldError::invalid(
                &path.child("properties").key(meta_string).child("type"),
                p.type_.as_str(),
                "must be string",
            ));
        }
    }
    if let Some(metadata) = s.properties.get("metadata") {
        metadata_invariants(
            metadata,
            check_metadata,
            lvl,
            &path.child("properties").key("metadata"),
            errs,
        );
    }
    if s.embedded_resource && !s.preserves_unknown_fields() && s.properties.is_empty() {
        errs.push(FieldError::required(
            &path.child("properties"),
            "must not be empty if x-kubernetes-embedded-resource is true without x-kubernetes-preserve-unknown-fields",
        ));
    }
}

fn metadata_invariants(
    s: &Schema,
    check_metadata: bool,
    lvl: Level,
    path: &Path,
    errs: &mut Vec<FieldError>,
) {
    if check_metadata && s.type_ != "object" {
        errs.push(FieldError::invalid(
            &path.child("type"),
            s.type_.as_str(),
            "must be object",
        ));
    }
    if lvl == Level::Root {
        let mut rest = s.clone();
        let has_name = rest.properties.contains_key("name");
        let has_generate_name = rest.properties.contains_key("generateName");
        let n = rest.properties.len();
        if (has_name && has_generate_name && n == 2) || ((has_name || has_generate_name) && n == 1)
        {
            rest.properties.clear();
        }
        rest.type_.clear();
        rest.default = None;
        if !is_structurally_empty(&rest) {
            errs.push(FieldError::forbidden(
                path,
                "must not specify anything other than name and generateName, but metadata is implicitly specified",
            ));
        }
    }
}

/// Whether nothing the structural form keeps is set (the fields a CRD may
/// not use at all are reported elsewhere).
fn is_structurally_empty(s: &Schema) -> bool {
    let probe = Schema {
        id: s.id.clone(),
        schema_uri: s.schema_uri.clone(),
        ref_: s.ref_.clone(),
        pattern_properties: s.pattern_properties.clone(),
        definitions: s.definitions.clone(),
        has_dependencies: s.has_dependencies,
        dependencies: s.dependencies.clone(),
        additional_items: s.additional_items.clone(),
        default: s.default.clone().filter(|d| d.is_null()),
        // `x-kubernetes-preserve-unknown-fields: false` is not kept either.
        preserve_unknown_fields: s.preserve_unknown_fields.filter(|p| !p),
        ..Schema::default()
    };
    *s == probe
}

fn value_validation(
    s: &Schema,
    skip_any_of: bool,
    skip_first_all_of_any_of: bool,
    path: &Path,
    errs: &mut Vec<FieldError>,
) {
    if !skip_any_of {
        for (i, v) in s.any_of.iter().enumerate() {
            nested(v, false, &path.child("anyOf").index(i), errs);
        }
    }
    for (i, v) in s.all_of.iter().enumerate() {
        nested(
            v,
            skip_first_all_of_any_of && i == 0,
            &path.child("allOf").index(i),
            errs,
        );
    }
    for (i, v) in s.one_of.iter().enumerate() {
        nested(v, false, &path.child("oneOf").index(i), errs);
    }
    if let Some(not) = &s.not {
        nested(not, false, &path.child("not"), errs);
    }
    if !s.pattern.is_empty()
        && let Err(e) = regex_cache::compile(&s.pattern)
    {
        errs.push(FieldError::invalid(
            &path.child("pattern"),
            s.pattern.as_str(),
            &format!("must be a valid regular expression, but isn't: {e}"),
        ));
    }
}

/// A value validation inside allOf/anyOf/oneOf/not: no structure of its own.
fn nested(v: &Schema, skip_any_of: bool, path: &Path, errs: &mut Vec<FieldError>) {
    value_validation(v, skip_any_of, false, path, errs);
    if let Some(items) = v.items_schema() {
        nested(items, false, &path.child("items"), errs);
    }
    for (k, p) in &v.properties {
        nested(p, false, &path.child("properties").key(k), errs);
    }
    let forbidden = |errs: &mut Vec<FieldError>, field: &str, msg: &str| {
        errs.push(FieldError::forbidden(&path.child(field), msg));
    };
    if !v.type_.is_empty() {
        forbidden(errs, "type", "must be empty to be structural");
    }
    // `additionalProperties: false` is dropped when nested, so only a schema
    // or `true` is reported.
    if v.additional_properties
        .as_ref()
        .is_some_and(AdditionalProperties::allows)
    {
        forbidden(
            errs,
            "additionalProperties",
            "must be undefined to be structural",
        );
    }
    if v.default.as_ref().is_some_and(|d| !d.is_null()) {
        forbidden(errs, "default", "must be undefined to be structural");
    }
    if !v.title.is_empty() {
        forbidden(errs, "title", "must be empty to be structural");
    }
    if !v.description.is_empty() {
        forbidden(errs, "description", "must be empty to be structural");
    }
    if v.nullable {
        forbidden(errs, "nullable", "must be false to be structural");
    }
    if v.preserves_unknown_fields() {
        forbidden(
            errs,
            "x-kubernetes-preserve-unknown-fields",
            "must be false to be structural",
        );
    }
    if v.embedded_resource {
        forbidden(
            errs,
            "x-kubernetes-embedded-resource",
            "must be false to be structural",
        );
    }
    if v.int_or_string {
        forbidden(
            errs,
            "x-kubernetes-int-or-string",
            "must be false to be structural",
        );
    }
    if !v.list_map_keys.is_empty() {
        forbidden(
            errs,
            "x-kubernetes-list-map-keys",
            "must be empty to be structural",
        );
    }
    if v.list_type.is_some() {
        forbidden(
            errs,
            "x-kubernetes-list-type",
            "must be undefined to be structural",
        );
    }
    if v.map_type.is_some() {
        forbidden(
            errs,
            "x-kubernetes-map-type",
            "must be undefined to be structural",
        );
    }
    if !v.validations.is_empty() {
        forbidden(
            errs,
            "x-kubernetes-validations",
            "must be empty to be structural",
        );
    }
    if v.properties.contains_key("metadata") {
        errs.push(FieldError::forbidden(
            &path.child("properties").key("metadata"),
            "must not be specified in a nested context",
        ));
    }
}

/// Value validations may only mention fields the structure specifies.
fn completeness_of(
    v: &Schema,
    s: &Schema,
    s_path: &Path,
    v_path: &Path,
    errs: &mut Vec<FieldError>,
) {
    if let Some(not) = &v.not {
        nested_completeness(not, Some(s), s_path, &v_path.child("not"), errs);
    }
    for (i, a) in v.all_of.iter().enumerate() {
        nested_completeness(a, Some(s), s_path, &v_path.child("allOf").index(i), errs);
    }
    for (i, a) in v.any_of.iter().enumerate() {
        nested_completeness(a, Some(s), s_path, &v_path.child("anyOf").index(i), errs);
    }
    for (i, a) in v.one_of.iter().enumerate() {
        nested_completeness(a, Some(s), s_path, &v_path.child("oneOf").index(i), errs);
    }
}

fn nested_completeness(
    v: &Schema,
    s: Option<&Schema>,
    s_path: &Path,
    v_path: &Path,
    errs: &mut Vec<FieldError>,
) {
    let Some(s) = s else {
        errs.push(FieldError::required(
            s_path,
            &format!("because it is defined in {v_path}"),
        ));
        return;
    };
    completeness_of(v, s, s_path, v_path, errs);
    if let Some(items) = v.items_schema() {
        nested_completeness(
            items,
            s.items_schema(),
            &s_path.child("items"),
            &v_path.child("items"),
            errs,
        );
    }
    for (k, vf) in &v.properties {
        let sp = s_path.child("properties").key(k);
        let vp = v_path.child("properties").key(k);
        match s.properties.get(k) {
            Some(sf) => nested_completeness(vf, Some(sf), &sp, &vp, errs),
            None => errs.push(FieldError::required(
                &sp,
                &format!("because it is defined in {vp}"),
            )),
        }
    }
}

/// Errors upstream's conversion to a structural schema stops at.
pub(super) fn unsupported_fields(s: &Schema) -> Option<String> {
    if !s.id.is_empty() {
        return Some("OpenAPIV3Schema 'id' is not supported".into());
    }
    if !s.schema_uri.is_empty() {
        return Some("OpenAPIV3Schema 'schema' is not supported".into());
    }
    if s.ref_.as_deref().is_some_and(|r| !r.is_empty()) {
        return Some("OpenAPIV3Schema '$ref' is not supported".into());
    }
    if !s.pattern_properties.is_empty() {
        return Some("OpenAPIV3Schema 'patternProperties' is not supported".into());
    }
    if s.has_dependencies {
        return Some("OpenAPIV3Schema 'dependencies' is not supported".into());
    }
    if s.additional_items.is_some() {
        return Some("OpenAPIV3Schema 'additionalItems' is not supported".into());
    }
    if !s.definitions.is_empty() {
        return Some("OpenAPIV3Schema 'definitions' is not supported".into());
    }
    if s.preserve_unknown_fields == Some(false) {
        return Some(
            "internal error: 'x-kubernetes-preserve-unknown-fields' must be true or undefined"
                .into(),
        );
    }
    if matches!(s.items, Some(crate::schema::Items::Array(_))) {
        return Some("OpenAPIV3Schema 'items' must be a schema, but is an array".into());
    }
    let children = s
        .items_schema()
        .into_iter()
        .chain(s.properties.values())
        .chain(s.additional_properties_schema())
        .chain(s.all_of.iter())
        .chain(s.any_of.iter())
        .chain(s.one_of.iter())
        .chain(s.not.as_deref());
    children.into_iter().find_map(unsupported_fields)
}
