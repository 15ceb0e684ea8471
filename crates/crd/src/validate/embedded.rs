//! Embedded resources (`x-kubernetes-embedded-resource`): their type meta and
//! ObjectMeta are validated and coerced like a top-level object's
//! (upstream `schema/objectmeta`).

use capstan_apimachinery::validation::{
    is_dns1035_label, validate_object_meta, validate_path_segment_name,
};
use capstan_apimachinery::{BadValue, FieldError, Path};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use serde_json::{Map, Value};

use crate::schema::Schema;

/// Validates the embedded resources inside `obj` (the root itself is not
/// treated as one: its metadata is validated by the caller).
pub fn validate_embedded_resources(obj: &Value, schema: &Schema) -> Vec<FieldError> {
    let mut errs = Vec::new();
    walk(&Path::nil(), obj, schema, &mut errs);
    errs
}

/// Embedded-resource validation of `value` at `path`, treating `value`
/// itself as a resource when `is_resource_root`.
pub(crate) fn validate_embedded_at(
    path: &Path,
    value: &Value,
    schema: &Schema,
    is_resource_root: bool,
) -> Vec<FieldError> {
    let mut errs = Vec::new();
    if is_resource_root && !schema.embedded_resource {
        let mut root = schema.clone();
        root.embedded_resource = true;
        walk(path, value, &root, &mut errs);
    } else {
        walk(path, value, schema, &mut errs);
    }
    errs
}

fn walk(path: &Path, x: &Value, s: &Schema, errs: &mut Vec<FieldError>) {
    match x {
        Value::Object(map) => {
            if s.embedded_resource {
                errs.extend(validate_embedded_resource(path, map));
            }
            for (k, v) in map {
                if let Some(prop) = s.properties.get(k) {
                    walk(&path.child(k), v, prop, errs);
                } else if let Some(ap) = s.additional_properties_schema() {
                    walk(&path.key(k), v, ap, errs);
                }
            }
        }
        Value::Array(items) => {
            if let Some(item_schema) = s.items_schema() {
                for (i, item) in items.iter().enumerate() {
                    walk(&path.index(i), item, item_schema, errs);
                }
            }
        }
        _ => {}
    }
}

/// apiVersion, kind and metadata of one embedded resource.
pub(crate) fn validate_embedded_resource(path: &Path, x: &Map<String, Value>) -> Vec<FieldError> {
    let mut errs = Vec::new();
    if !x.contains_key("apiVersion") {
        errs.push(FieldError::required(
            &path.child("apiVersion"),
            "must not be empty",
        ));
    }
    if !x.contains_key("kind") {
        errs.push(FieldError::required(
            &path.child("kind"),
            "must not be empty",
        ));
    }
    for (k, v) in x {
        match k.as_str() {
            "apiVersion" => match v {
                Value::String(api_version) if api_version.is_empty() => {
                    errs.push(FieldError::invalid(
                        &path.child("apiVersion"),
                        "",
                        "must not be empty",
                    ));
                }
                Value::String(api_version) => {
                    if let Err(msg) = parse_group_version_checked(api_version) {
                        errs.push(FieldError::invalid(
                            &path.child("apiVersion"),
                            api_version.as_str(),
                            &msg,
                        ));
                    }
                }
                other => errs.push(FieldError::invalid(
                    &path.child("apiVersion"),
                    BadValue::Json(other.clone()),
                    "must be a string",
                )),
            },
            "kind" => match v {
                Value::String(kind) if kind.is_empty() => {
                    errs.push(FieldError::invalid(
                        &path.child("kind"),
                        "",
                        "must not be empty",
                    ));
                }
                Value::String(kind) => {
                    let msgs = is_dns1035_label(&kind.to_lowercase());
                    if !msgs.is_empty() {
                        let detail = format!(
                            "may have mixed case, but should otherwise match: {}",
                            msgs.join(",")
                        );
                        errs.push(FieldError::invalid(
                            &path.child("kind"),
                            kind.as_str(),
                            &detail,
                        ));
                    }
                }
                other => errs.push(FieldError::invalid(
                    &path.child("kind"),
                    BadValue::Json(other.clone()),
                    "must be a string",
                )),
            },
            "metadata" => match decode_object_meta(v) {
                Err(msg) => errs.push(FieldError::invalid(
                    &path.child("metadata"),
                    BadValue::Json(v.clone()),
                    &msg,
                )),
                Ok(mut meta) => {
                    if meta.name.as_deref().unwrap_or("").is_empty() {
                        meta.name = Some("fakename".to_string());
                    }
                    let namespaced = !meta.namespace.as_deref().unwrap_or("").is_empty();
                    errs.extend(validate_object_meta(
                        &meta,
                        namespaced,
                        validate_path_segment_name,
                        &path.child("metadata"),
                    ));
                }
            },
            _ => {}
        }
    }
    errs
}

/// Upstream `schema.ParseGroupVersion`'s acceptance: at most one '/'.
fn parse_group_version_checked(gv: &str) -> Result<(), String> {
    if gv.matches('/').count() > 1 {
        return Err(format!("unexpected GroupVersion string: {gv}"));
    }
    Ok(())
}

/// The Go types of ObjectMeta's fields, for decoding errors worded like
/// `encoding/json`'s.
const META_FIELDS: &[(&str, &str)] = &[
    ("name", "string"),
    ("generateName", "string"),
    ("namespace", "string"),
    ("selfLink", "string"),
    ("uid", "types.UID"),
    ("resourceVersion", "string"),
    ("generation", "int64"),
    ("creationTimestamp", "v1.Time"),
    ("deletionTimestamp", "v1.Time"),
    ("deletionGracePeriodSeconds", "int64"),
    ("labels", "map[string]string"),
    ("annotations", "map[string]string"),
    ("ownerReferences", "[]v1.OwnerReference"),
    ("finalizers", "[]string"),
    ("managedFields", "[]v1.ManagedFieldsEntry"),
];

fn json_kind(v: &Value) -> String {
    match v {
        Value::Null => "null".into(),
        Value::Bool(_) => "bool".into(),
        Value::Number(n) if n.is_f64() => format!("number {}", crate::gofmt::format_number(n)),
        Value::Number(_) => "number".into(),
        Value::String(_) => "string".into(),
        Value::Array(_) => "array".into(),
        Value::Object(_) => "object".into(),
    }
}

fn mismatch(field: &str, go_type: &str, v: &Value) -> String {
    format!(
        "json: cannot unmarshal {} into Go struct field ObjectMeta.{field} of type {go_type}",
        json_kind(v)
    )
}

/// Decodes metadata as Go's json would into ObjectMeta, with its errors.
pub(crate) fn decode_object_meta(v: &Value) -> Result<ObjectMeta, String> {
    let Value::Object(map) = v else {
        if v.is_null() {
            return Ok(ObjectMeta::default());
        }
        return Err(format!(
            "json: cannot unmarshal {} into Go value of type v1.ObjectMeta",
            json_kind(v)
        ));
    };
    for (field, go_type) in META_FIELDS {
        let Some(value) = map.get(*field).filter(|v| !v.is_null()) else {
            continue;
        };
        let ok = match *go_type {
            "string" | "types.UID" | "v1.Time" => value.is_string(),
            "int64" => value.as_i64().is_some(),
            "map[string]string" => match value.as_object() {
                Some(m) => {
                    if let Some(bad) = m.values().find(|x| !x.is_string() && !x.is_null()) {
                        return Err(mismatch(field, "string", bad));
                    }
                    true
                }
                None => false,
            },
            "[]string" => match value.as_array() {
                Some(items) => {
                    if let Some(bad) = items.iter().find(|x| !x.is_string() && !x.is_null()) {
                        return Err(mismatch(field, "string", bad));
                    }
                    true
                }
                None => false,
            },
            _ => value.is_array(),
        };
        if !ok {
            return Err(mismatch(field, go_type, value));
        }
    }
    let known: Map<String, Value> = map
        .iter()
        .filter(|(k, _)| META_FIELDS.iter().any(|(f, _)| f == k))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    serde_json::from_value::<ObjectMeta>(Value::Object(known)).map_err(|e| e.to_string())
}

/// Round-trips embedded metadata through ObjectMeta, dropping unknown fields
/// (returned as paths such as `spec.template.metadata.foo`) and a null
/// creationTimestamp, as upstream's coercion does.
pub fn coerce_object_meta(prefix: &str, metadata: &mut Value) -> Result<Vec<String>, String> {
    let meta = decode_object_meta(metadata)?;
    let mut unknown = Vec::new();
    if let Value::Object(map) = &*metadata {
        for k in map.keys() {
            if !META_FIELDS.iter().any(|(f, _)| f == k) {
                unknown.push(format!("{prefix}.{k}"));
            }
        }
    }
    let mut encoded = serde_json::to_value(&meta).map_err(|e| e.to_string())?;
    if let Value::Object(map) = &mut encoded {
        map.retain(|_, v| !v.is_null());
    }
    *metadata = encoded;
    unknown.sort();
    Ok(unknown)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schema::parse_schema;
    use serde_json::json;

    fn schema() -> Schema {
        parse_schema(&json!({"type": "object", "properties": {"spec": {"type": "object", "properties": {
            "template": {"type": "object", "x-kubernetes-embedded-resource": true, "x-kubernetes-preserve-unknown-fields": true}
        }}}}))
        .unwrap()
    }

    fn messages(obj: Value) -> Vec<String> {
        validate_embedded_resources(&obj, &schema())
            .iter()
            .map(|e| e.to_string())
            .collect()
    }

    #[test]
    fn type_meta_is_required() {
        assert_eq!(
            messages(json!({"spec": {"template": {}}})),
            vec![
                "spec.template.apiVersion: Required value: must not be empty",
                "spec.template.kind: Required value: must not be empty",
            ]
        );
    }

    #[test]
    fn type_meta_is_checked() {
        assert_eq!(
            messages(json!({"spec": {"template": {"apiVersion": "a/b/c", "kind": "Foo_Bar"}}})),
            vec![
                "spec.template.apiVersion: Invalid value: \"a/b/c\": unexpected GroupVersion string: a/b/c",
                "spec.template.kind: Invalid value: \"Foo_Bar\": may have mixed case, but should otherwise match: a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character, and end with an alphanumeric character (e.g. 'my-name',  or 'abc-123', regex used for validation is '[a-z]([-a-z0-9]*[a-z0-9])?')",
            ]
        );
        assert_eq!(
            messages(json!({"spec": {"template": {"apiVersion": 1, "kind": ""}}})),
            vec![
                "spec.template.apiVersion: Invalid value: 1: must be a string",
                "spec.template.kind: Invalid value: \"\": must not be empty",
            ]
        );
    }

    #[test]
    fn metadata_is_validated_like_object_meta() {
        let errs = messages(
            json!({"spec": {"template": {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "a/b"}}}}),
        );
        assert_eq!(
            errs,
            vec!["spec.template.metadata.name: Invalid value: \"a/b\": may not contain '/'"]
        );
        // Names are path segments here, not DNS subdomains.
        assert!(messages(json!({"spec": {"template": {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "Bad_Name"}}}})).is_empty());
        let errs = messages(
            json!({"spec": {"template": {"apiVersion": "v1", "kind": "Pod", "metadata": {"labels": "x"}}}}),
        );
        assert_eq!(
            errs,
            vec![
                "spec.template.metadata: Invalid value: map[string]interface {}{\"labels\":\"x\"}: json: cannot unmarshal string into Go struct field ObjectMeta.labels of type map[string]string"
            ]
        );
        assert!(
            messages(
                json!({"spec": {"template": {"apiVersion": "v1", "kind": "Pod", "metadata": {}}}})
            )
            .is_empty()
        );
    }

    #[test]
    fn coercion_drops_unknown_metadata_fields() {
        let mut meta =
            json!({"name": "a", "foo": 1, "labels": {"x": "y"}, "creationTimestamp": null});
        let unknown = coerce_object_meta("spec.template.metadata", &mut meta).unwrap();
        assert_eq!(unknown, vec!["spec.template.metadata.foo"]);
        assert_eq!(meta, json!({"name": "a", "labels": {"x": "y"}}));
    }
}
