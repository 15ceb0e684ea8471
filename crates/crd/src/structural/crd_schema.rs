//! Upstream `ValidateCustomResourceDefinitionOpenAPISchema`: the checks of
//! a CRD's schema beyond structurality (unsupported keywords, list and map
//! types, x-kubernetes-validations), CEL compilation errors last.

use capstan_apimachinery::{BadValue, FieldError, Path};
use serde_json::Value;

use crate::cel::{RuleError, compile_node_rules};
use crate::fieldpath::valid_field_path;
use crate::gofmt::quote;
use crate::schema::{AdditionalProperties, Items, Schema, ValidationRule};

const OPENAPI_V3_TYPES: [&str; 6] = ["array", "boolean", "integer", "number", "object", "string"];
const SUPPORTED_REASONS: [&str; 4] = [
    "FieldValueDuplicate",
    "FieldValueForbidden",
    "FieldValueInvalid",
    "FieldValueRequired",
];
const META_FIELDS: [&str; 3] = ["apiVersion", "kind", "metadata"];

#[derive(Clone, Default)]
pub(super) struct SpecValidator {
    forbid_defaults: Option<String>,
    inside_resource_meta: bool,
    uncorrelatable: Option<Path>,
}

impl SpecValidator {
    fn with_forbidden_defaults(&self, reason: &str) -> Self {
        SpecValidator {
            forbid_defaults: Some(reason.to_string()),
            ..self.clone()
        }
    }

    fn with_inside_resource_meta(&self) -> Self {
        SpecValidator {
            inside_resource_meta: true,
            ..self.clone()
        }
    }

    fn with_forbid_old_self(&self, path: &Path) -> Self {
        if self.uncorrelatable.is_some() {
            return self.clone();
        }
        SpecValidator {
            uncorrelatable: Some(path.clone()),
            ..self.clone()
        }
    }

    fn keyword_errors(&self, s: &Schema, path: &Path) -> Vec<FieldError> {
        let mut errs = Vec::new();
        if !s.type_.is_empty() && !OPENAPI_V3_TYPES.contains(&s.type_.as_str()) {
            errs.push(FieldError::not_supported(
                &path.child("type"),
                s.type_.as_str(),
                &OPENAPI_V3_TYPES,
            ));
        }
        if s.default.as_ref().is_some_and(|d| !d.is_null())
            && let Some(reason) = &self.forbid_defaults
        {
            errs.push(FieldError::forbidden(
                &path.child("default"),
                &format!("must not be set {reason}"),
            ));
        }
        if !s.id.is_empty() {
            errs.push(FieldError::forbidden(
                &path.child("id"),
                "id is not supported",
            ));
        }
        if s.additional_items.is_some() {
            errs.push(FieldError::forbidden(
                &path.child("additionalItems"),
                "additionalItems is not supported",
            ));
        }
        if !s.pattern_properties.is_empty() {
            errs.push(FieldError::forbidden(
                &path.child("patternProperties"),
                "patternProperties is not supported",
            ));
        }
        if !s.definitions.is_empty() {
            errs.push(FieldError::forbidden(
                &path.child("definitions"),
                "definitions is not supported",
            ));
        }
        if s.has_dependencies {
            errs.push(FieldError::forbidden(
                &path.child("dependencies"),
                "dependencies is not supported",
            ));
        }
        if s.ref_.is_some() {
            errs.push(FieldError::forbidden(
                &path.child("$ref"),
                "$ref is not supported",
            ));
        }
        if s.type_ == "null" {
            errs.push(FieldError::forbidden(
                &path.child("type"),
                "type cannot be set to null, use nullable as an alternative",
            ));
        }
        if matches!(&s.items, Some(Items::Array(a)) if !a.is_empty()) {
            errs.push(FieldError::forbidden(
                &path.child("items"),
                "items must be a schema object and not an array",
            ));
        }
        if self.inside_resource_meta && s.embedded_resource {
            errs.push(FieldError::forbidden(
                &path.child("x-kubernetes-embedded-resource"),
                "must not be used inside of resource meta",
            ));
        }
        errs
    }
}

/// Schema errors (whole tree, in walk order) and CEL errors.
#[derive(Default)]
pub(super) struct SchemaErrors {
    pub schema: Vec<FieldError>,
    pub cel: Vec<FieldError>,
}

impl SchemaErrors {
    fn append(&mut self, other: SchemaErrors) {
        self.schema.extend(other.schema);
        self.cel.extend(other.cel);
    }
}

/// Walks the CRD schema. `cel` says whether rules are compiled (only when
/// the schema is structural and its defaults are valid).
pub(super) fn validate_openapi_schema(
    s: &Schema,
    path: &Path,
    ssv: &SpecValidator,
    is_root: bool,
    cel: bool,
) -> SchemaErrors {
    let mut out = SchemaErrors {
        schema: ssv.keyword_errors(s, path),
        cel: Vec::new(),
    };
    if s.unique_items {
        out.schema.push(FieldError::forbidden(
            &path.child("uniqueItems"),
            "uniqueItems cannot be set to true since the runtime complexity becomes quadratic",
        ));
    }
    if let Some(ap) = &s.additional_properties {
        if !s.properties.is_empty() && (!ap.allows() || ap.schema().is_some()) {
            out.schema.push(FieldError::forbidden(
                &path.child("additionalProperties"),
                "additionalProperties and properties are mutual exclusive",
            ));
        }
        if let AdditionalProperties::Schema(ap) = ap {
            let sub = if ssv.inside_resource_meta {
                ssv.with_forbidden_defaults(
                    "inside additionalProperties applying to object metadata",
                )
            } else {
                ssv.clone()
            };
            out.append(validate_openapi_schema(
                ap,
                &path.child("additionalProperties"),
                &sub,
                false,
                cel,
            ));
        }
    }
    for (name, prop) in &s.properties {
        let mut sub = ssv.clone();
        if !map_is_correlatable(s.map_type.as_deref()) {
            sub = sub.with_forbid_old_self(path);
        }
        if (is_root || s.embedded_resource) && META_FIELDS.contains(&name.as_str()) {
            sub = sub.with_inside_resource_meta();
            if is_root {
                sub = sub.with_forbidden_defaults(&format!("in top-level {name}"));
            }
        }
        out.append(validate_openapi_schema(
            prop,
            &path.child("properties").key(name),
            &sub,
            false,
            cel,
        ));
    }
    if let Some(not) = &s.not {
        out.append(validate_openapi_schema(
            not,
            &path.child("not"),
            ssv,
            false,
            false,
        ));
    }
    for (i, x) in s.all_of.iter().enumerate() {
        out.append(validate_openapi_schema(
            x,
            &path.child("allOf").index(i),
            ssv,
            false,
            false,
        ));
    }
    for (i, x) in s.one_of.iter().enumerate() {
        out.append(validate_openapi_schema(
            x,
            &path.child("oneOf").index(i),
            ssv,
            false,
            false,
        ));
    }
    for (i, x) in s.any_of.iter().enumerate() {
        out.append(validate_openapi_schema(
            x,
            &path.child("anyOf").index(i),
            ssv,
            false,
            false,
        ));
    }
    for (name, x) in &s.definitions {
        out.append(validate_openapi_schema(
            x,
            &path.child("definitions").key(name),
            ssv,
            false,
            false,
        ));
    }
    if let Some(items) = &s.items {
        let sub = if s.list_type.as_deref() != Some("map") {
            ssv.with_forbid_old_self(path)
        } else {
            ssv.clone()
        };
        match items {
            Items::Schema(item) => {
                out.append(validate_openapi_schema(
                    item,
                    &path.child("items"),
                    &sub,
                    false,
                    cel,
                ));
            }
            Items::Array(list) => {
                for (i, item) in list.iter().enumerate() {
                    out.append(validate_openapi_schema(
                        item,
                        &path.child("items").index(i),
                        &sub,
                        false,
                        cel,
                    ));
                }
            }
        }
    }
    for (name, x) in &s.dependencies {
        out.append(validate_openapi_schema(
            x,
            &path.child("dependencies").key(name),
            ssv,
            false,
            false,
        ));
    }
    out.schema.extend(list_and_map_type_errors(s, path));
    out.schema.extend(map_list_keys_map_set_errors(s, path));
    if !s.validations.is_empty() {
        out.schema.extend(rule_shape_errors(s, path));
        if out.schema.is_empty() && cel {
            out.cel.extend(rule_compile_errors(s, path, ssv, is_root));
        }
    }
    out
}

pub(crate) fn map_is_correlatable(map_type: Option<&str>) -> bool {
    matches!(map_type, None | Some("granular") | Some("atomic"))
}

fn list_and_map_type_errors(s: &Schema, path: &Path) -> Vec<FieldError> {
    let mut errs = Vec::new();
    if s.preserve_unknown_fields == Some(false) {
        errs.push(FieldError::invalid(
            &path.child("x-kubernetes-preserve-unknown-fields"),
            false,
            "must be true or undefined",
        ));
    }
    let type_must_be = |errs: &mut Vec<FieldError>, want: &str, msg: &str| {
        if s.type_.is_empty() {
            errs.push(FieldError::required(&path.child("type"), msg));
        } else if s.type_ != want {
            errs.push(FieldError::invalid(
                &path.child("type"),
                s.type_.as_str(),
                msg,
            ));
        }
    };
    if let Some(map_type) = &s.map_type {
        type_must_be(
            &mut errs,
            "object",
            "must be object if x-kubernetes-map-type is specified",
        );
        if map_type != "atomic" && map_type != "granular" {
            errs.push(FieldError::not_supported(
                &path.child("x-kubernetes-map-type"),
                map_type.as_str(),
                &["atomic", "granular"],
            ));
        }
    }
    if let Some(list_type) = &s.list_type {
        if s.type_ != "array" {
            type_must_be(
                &mut errs,
                "array",
                "must be array if x-kubernetes-list-type is specified",
            );
        } else if list_type == "set"
            && let Some(item) = s.items_schema()
        {
            let msg = "must be atomic as item of a list with x-kubernetes-list-type=set";
            let item_list_type = || match &item.list_type {
                Some(t) => BadValue::String(t.clone()),
                None => BadValue::Null,
            };
            match item.type_.as_str() {
                "array" if item.list_type.as_deref().is_some_and(|t| t != "atomic") => {
                    errs.push(FieldError::invalid(
                        &path.child("items").child("x-kubernetes-list-type"),
                        item_list_type(),
                        msg,
                    ));
                }
                "object" if item.map_type.as_deref() != Some("atomic") => {
                    errs.push(FieldError::invalid(
                        &path.child("items").child("x-kubernetes-map-type"),
                        item_list_type(),
                        msg,
                    ));
                }
                _ => {}
            }
        }
        if !["atomic", "set", "map"].contains(&list_type.as_str()) {
            errs.push(FieldError::not_supported(
                &path.child("x-kubernetes-list-type"),
                list_type.as_str(),
                &["atomic", "set", "map"],
            ));
        }
    }
    if !s.list_map_keys.is_empty() {
        let msg = "must be map if x-kubernetes-list-map-keys is non-empty";
        match s.list_type.as_deref() {
            None => errs.push(FieldError::required(
                &path.child("x-kubernetes-list-type"),
                msg,
            )),
            Some(t) if t != "map" => errs.push(FieldError::invalid(
                &path.child("x-kubernetes-list-type"),
                t,
                msg,
            )),
            _ => {}
        }
    }
    if s.list_type.as_deref() == Some("map") {
        errs.extend(map_list_errors(s, path));
    }
    errs
}

fn map_list_errors(s: &Schema, path: &Path) -> Vec<FieldError> {
    let mut errs = Vec::new();
    let keys_value = || BadValue::StringList(s.list_map_keys.clone());
    if s.list_map_keys.is_empty() {
        errs.push(FieldError::required(
            &path.child("x-kubernetes-list-map-keys"),
            "must not be empty if x-kubernetes-list-type is map",
        ));
    }
    match &s.items {
        None => errs.push(FieldError::required(
            &path.child("items"),
            "must have a schema if x-kubernetes-list-type is map",
        )),
        Some(Items::Array(_)) => errs.push(FieldError::invalid(
            &path.child("items"),
            BadValue::Raw("&apiextensions.JSONSchemaPropsOrArray{...}".to_string()),
            "must only have a single schema if x-kubernetes-list-type is map",
        )),
        Some(Items::Schema(item)) if item.type_ != "object" => errs.push(FieldError::invalid(
            &path.child("items").child("type"),
            item.type_.as_str(),
            "must be object if parent array's x-kubernetes-list-type is map",
        )),
        Some(Items::Schema(item)) => {
            let mut seen: Vec<&str> = Vec::new();
            for k in &s.list_map_keys {
                match item.properties.get(k) {
                    Some(p) if p.type_ == "array" || p.type_ == "object" => {
                        errs.push(FieldError::invalid(
                            &path.child("items").child("properties").key(k).child("type"),
                            item.type_.as_str(),
                            "must be a scalar type if parent array's x-kubernetes-list-type is map",
                        ))
                    }
                    Some(_) => {}
                    None => errs.push(FieldError::invalid(
                        &path.child("x-kubernetes-list-map-keys"),
                        keys_value(),
                        "entries must all be names of item properties",
                    )),
                }
                if seen.contains(&k.as_str()) {
                    errs.push(FieldError::invalid(
                        &path.child("x-kubernetes-list-map-keys"),
                        keys_value(),
                        "must not contain duplicate entries",
                    ));
                }
                seen.push(k);
            }
        }
    }
    errs
}

fn map_list_keys_map_set_errors(s: &Schema, path: &Path) -> Vec<FieldError> {
    let mut errs = Vec::new();
    let (Some(item), Some(list_type)) = (s.items_schema(), s.list_type.as_deref()) else {
        return errs;
    };
    if list_type != "set" && list_type != "map" {
        return errs;
    }
    if item.nullable {
        errs.push(FieldError::forbidden(
            &path.child("items").child("nullable"),
            &format!("cannot be nullable when x-kubernetes-list-type is {list_type}"),
        ));
    }
    if list_type == "map" {
        for k in &s.list_map_keys {
            let Some(p) = item.properties.get(k) else {
                continue;
            };
            let key_path = path.child("items").child("properties").key(k);
            if !item.required.contains(k) && p.default.as_ref().is_none_or(Value::is_null) {
                errs.push(FieldError::required(
                    &key_path.child("default"),
                    "this property is in x-kubernetes-list-map-keys, so it must have a default or be a required property",
                ));
            }
            if p.nullable {
                errs.push(FieldError::forbidden(
                    &key_path.child("nullable"),
                    "this property is in x-kubernetes-list-map-keys, so it cannot be nullable",
                ));
            }
        }
    }
    errs
}

fn has_newlines(s: &str) -> bool {
    s.contains(['\n', '\r'])
}

fn rule_shape_errors(s: &Schema, path: &Path) -> Vec<FieldError> {
    let mut errs = Vec::new();
    for (i, rule) in s.validations.iter().enumerate() {
        let rp = path.child("x-kubernetes-validations").index(i);
        let trimmed_rule = rule.rule.trim();
        let trimmed_msg = rule.message.trim();
        if trimmed_rule.is_empty() {
            errs.push(FieldError::required(
                &rp.child("rule"),
                "rule is not specified",
            ));
        } else if !rule.message.is_empty() && trimmed_msg.is_empty() {
            errs.push(FieldError::invalid(
                &rp.child("message"),
                rule.message.as_str(),
                "message must be non-empty if specified",
            ));
        } else if has_newlines(trimmed_msg) {
            errs.push(FieldError::invalid(
                &rp.child("message"),
                rule.message.as_str(),
                "message must not contain line breaks",
            ));
        } else if has_newlines(trimmed_rule) && trimmed_msg.is_empty() {
            errs.push(FieldError::required(
                &rp.child("message"),
                "message must be specified if rule contains line breaks",
            ));
        }
        if !rule.message_expression.is_empty() && rule.message_expression.trim().is_empty() {
            errs.push(FieldError::required(
                &rp.child("messageExpression"),
                "messageExpression must be non-empty if specified",
            ));
        }
        if let Some(reason) = &rule.reason
            && !SUPPORTED_REASONS.contains(&reason.as_str())
        {
            errs.push(FieldError::not_supported(
                &rp.child("reason"),
                reason.as_str(),
                &SUPPORTED_REASONS,
            ));
        }
        if !rule.field_path.is_empty() && rule.field_path.trim().is_empty() {
            errs.push(FieldError::invalid(
                &rp.child("fieldPath"),
                rule.field_path.as_str(),
                "fieldPath must be non-empty if specified",
            ));
        }
        if has_newlines(&rule.field_path) {
            errs.push(FieldError::invalid(
                &rp.child("fieldPath"),
                rule.field_path.as_str(),
                "fieldPath must not contain line breaks",
            ));
        }
        if !rule.field_path.is_empty() && valid_field_path(&rule.field_path, s, true).is_err() {
            errs.push(FieldError::invalid(
                &rp.child("fieldPath"),
                rule.field_path.as_str(),
                "fieldPath must be a valid path",
            ));
        }
    }
    errs
}

/// Go's `%#v` of a ValidationRule, the bad value upstream reports.
pub(crate) fn go_rule_value(rule: &ValidationRule) -> BadValue {
    let reason = match &rule.reason {
        Some(r) => quote(r),
        None => "(*apiextensions.FieldValueErrorReason)(nil)".to_string(),
    };
    let optional = match rule.optional_old_self {
        Some(b) => b.to_string(),
        None => "(*bool)(nil)".to_string(),
    };
    BadValue::Raw(format!(
        "apiextensions.ValidationRule{{Rule:{}, Message:{}, MessageExpression:{}, Reason:{reason}, FieldPath:{}, OptionalOldSelf:{optional}}}",
        quote(&rule.rule),
        quote(&rule.message),
        quote(&rule.message_expression),
        quote(&rule.field_path),
    ))
}

fn rule_compile_errors(
    s: &Schema,
    path: &Path,
    ssv: &SpecValidator,
    is_root: bool,
) -> Vec<FieldError> {
    let mut errs = Vec::new();
    let results = compile_node_rules(s, is_root || s.embedded_resource);
    for (i, (rule, result)) in s.validations.iter().zip(results).enumerate() {
        let rp = path.child("x-kubernetes-validations").index(i);
        match result.error {
            Some(RuleError::Invalid(detail)) => errs.push(FieldError::invalid(
                &rp.child("rule"),
                go_rule_value(rule),
                &detail,
            )),
            None => {}
        }
        if let Some(detail) = result.message_expression_error {
            errs.push(FieldError::invalid(
                &rp.child("messageExpression"),
                go_rule_value(rule),
                &detail,
            ));
        }
        if result.uses_old_self {
            if let Some(uncorrelatable) = &ssv.uncorrelatable {
                errs.push(FieldError::invalid(
                    &rp.child("rule"),
                    rule.rule.as_str(),
                    &format!("oldSelf cannot be used on the uncorrelatable portion of the schema within {uncorrelatable}"),
                ));
            }
        } else if let Some(optional) = rule.optional_old_self {
            errs.push(FieldError::invalid(
                &rp.child("optionalOldSelf"),
                optional,
                "may not be set if oldSelf is not used in rule",
            ));
        }
    }
    errs
}
