//! Upstream `ValidateDefaults`: every `default` must survive pruning
//! unchanged and validate against its own schema, including CEL rules.

use capstan_apimachinery::{BadValue, FieldError, Path};

use crate::cel::CelValidator;
use crate::prune::prune_parsed_at;
use crate::schema::Schema;
use crate::validate::{validate_embedded_at, validate_schema_value};

const META_FIELDS: [&str; 3] = ["apiVersion", "kind", "metadata"];

pub(super) fn validate_defaults(path: &Path, root: &Schema) -> Vec<FieldError> {
    let mut root = root.clone();
    root.embedded_resource = true;
    let mut errs = Vec::new();
    walk(path, &root, false, true, &mut errs);
    errs
}

fn walk(
    path: &Path,
    s: &Schema,
    inside_meta: bool,
    is_resource_root: bool,
    errs: &mut Vec<FieldError>,
) {
    let inside_meta = inside_meta && !s.embedded_resource;
    if let Some(default) = s.default.as_ref().filter(|d| !d.is_null()) {
        let default_path = path.child("default");
        if !inside_meta {
            let mut pruned = default.clone();
            prune_parsed_at(&mut pruned, s, s.embedded_resource);
            if pruned != *default {
                errs.push(FieldError::invalid(
                    &default_path,
                    BadValue::Json(default.clone()),
                    "must not have unknown fields",
                ));
            }
        }
        let meta_errs = if inside_meta {
            Vec::new()
        } else {
            validate_embedded_at(&default_path, default, s, s.embedded_resource)
        };
        if !meta_errs.is_empty() {
            errs.extend(meta_errs);
        } else {
            let schema_errs = validate_schema_value(&default_path, default, None, s);
            if !schema_errs.is_empty() {
                errs.extend(schema_errs);
            } else {
                let validator = CelValidator::for_node(s, is_resource_root || s.embedded_resource);
                let cel_errs = validator.validate_at(&default_path, default, Some(default));
                if cel_errs.is_empty() {
                    errs.extend(validator.validate_at(&default_path, default, None));
                } else {
                    errs.extend(cel_errs);
                }
            }
        }
    }
    if let Some(items) = s.items_schema() {
        walk(
            &path.child("items"),
            items,
            inside_meta,
            items.embedded_resource,
            errs,
        );
    }
    for (k, sub) in &s.properties {
        let sub_inside_meta =
            inside_meta || (s.embedded_resource && META_FIELDS.contains(&k.as_str()));
        walk(
            &path.child("properties").key(k),
            sub,
            sub_inside_meta,
            sub.embedded_resource,
            errs,
        );
    }
}
