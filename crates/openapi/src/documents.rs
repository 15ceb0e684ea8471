//! The `/openapi/v3/<group version>`, `/openapi/v3` and `/openapi/v2` documents.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use serde_json::{Map, Value, json};
use sha2::{Digest, Sha512};

use crate::builtin::v2_override;
use crate::definitions::{Definitions, GVK_EXTENSION, GroupVersionKind};
use crate::error::OpenApiError;
use crate::normalize::to_v2_schema;
use crate::operations::{PathItem, group_version_paths};
use crate::render::{Dialect, bearer_token_scheme};
use crate::resources::{ServedResource, served_group_versions};
use crate::shapes::list_schema;

/// `info` of both documents: upstream publishes the same placeholder.
fn info() -> Value {
    json!({"title": "Kubernetes", "version": "unversioned"})
}

/// The OpenAPI v3 document of one group version (what
/// `/openapi/v3/apis/<group>/<version>` serves): its resources' paths and
/// the schemas they reach. Resources of other group versions are ignored.
///
/// Fails when a resource or schema refers to a definition `defs` lacks.
pub fn v3_document(
    group: &str,
    version: &str,
    resources: &[ServedResource],
    defs: &Definitions,
) -> Result<Value, OpenApiError> {
    let served: Vec<&ServedResource> = resources
        .iter()
        .filter(|r| r.group == group && r.version == version)
        .collect();
    let paths = group_version_paths(group, version, served.iter().copied())?;
    let schemas = reachable_schemas(&paths, &served, defs)?;
    let mut security_schemes = Map::new();
    security_schemes.insert("BearerToken".into(), bearer_token_scheme());
    let mut components = Map::new();
    components.insert("schemas".into(), Value::Object(schemas));
    components.insert("securitySchemes".into(), Value::Object(security_schemes));
    // Built field by field: `json!` would deep-copy the large maps through serde.
    let mut doc = Map::new();
    doc.insert("components".into(), Value::Object(components));
    doc.insert("info".into(), info());
    doc.insert("openapi".into(), "3.0.0".into());
    doc.insert(
        "paths".into(),
        Value::Object(Dialect::OpenApi3.paths(&paths)),
    );
    doc.insert("security".into(), json!([{"BearerToken": []}]));
    Ok(Value::Object(doc))
}

/// The swagger 2.0 document of everything served (what `/openapi/v2` serves as JSON).
pub fn v2_document(
    resources: &[ServedResource],
    defs: &Definitions,
) -> Result<Value, OpenApiError> {
    let mut paths = Vec::new();
    for (group, version) in served_group_versions(resources) {
        paths.extend(group_version_paths(&group, &version, resources)?);
    }
    let served: Vec<&ServedResource> = resources.iter().collect();
    let definitions: Map<String, Value> = reachable_schemas(&paths, &served, defs)?
        .into_iter()
        .map(|(name, schema)| {
            let converted = v2_override(&name, schema.get("description"))
                .unwrap_or_else(|| to_v2_schema(&schema));
            (name, converted)
        })
        .collect();
    let mut security_definitions = Map::new();
    security_definitions.insert("BearerToken".into(), bearer_token_scheme());
    let mut doc = Map::new();
    doc.insert("definitions".into(), Value::Object(definitions));
    doc.insert("info".into(), info());
    doc.insert(
        "paths".into(),
        Value::Object(Dialect::Swagger2.paths(&paths)),
    );
    doc.insert("security".into(), json!([{"BearerToken": []}]));
    doc.insert(
        "securityDefinitions".into(),
        Value::Object(security_definitions),
    );
    doc.insert("swagger".into(), "2.0".into());
    Ok(Value::Object(doc))
}

/// The schemas the operations of `paths` reach, with list schemas made up
/// where needed and every served kind recorded on its schema.
fn reachable_schemas(
    paths: &[PathItem],
    served: &[&ServedResource],
    defs: &Definitions,
) -> Result<Map<String, Value>, OpenApiError> {
    let mut local = BTreeMap::new();
    for resource in served {
        let list_name = resource.list_definition_name();
        if resource.list_definition.is_none() && !defs.contains(&list_name) {
            local.insert(
                list_name,
                list_schema(defs, &resource.definition, &resource.kind),
            );
        }
    }
    let roots = paths.iter().flat_map(|path| {
        path.operations.iter().flat_map(|op| {
            op.referenced_definitions()
                .into_iter()
                .map(|name| (name.to_string(), op.operation_id.clone()))
        })
    });
    let reached = defs.closure(roots, &local)?;
    let mut schemas: Map<String, Value> = reached
        .into_iter()
        .map(|(name, schema)| (name, schema.clone()))
        .collect();
    for resource in served {
        let list_kind = format!("{}List", resource.kind);
        let list_gvk = GroupVersionKind::new(&resource.group, &resource.version, &list_kind);
        record_kind(&mut schemas, &resource.definition, &resource.gvk());
        record_kind(&mut schemas, &resource.list_definition_name(), &list_gvk);
    }
    Ok(schemas)
}

/// Makes sure `name`'s `x-kubernetes-group-version-kind` lists `gvk`, which
/// kubectl needs to find the schema of a kind.
fn record_kind(schemas: &mut Map<String, Value>, name: &str, gvk: &GroupVersionKind) {
    let Some(Value::Object(schema)) = schemas.get_mut(name) else {
        return;
    };
    let entry = gvk.to_value();
    match schema.get_mut(GVK_EXTENSION) {
        Some(Value::Array(kinds)) => {
            if !kinds.contains(&entry) {
                kinds.push(entry);
            }
        }
        _ => {
            schema.insert(GVK_EXTENSION.into(), json!([entry]));
        }
    }
}

/// The `/openapi/v3` index: each entry is an index key (see
/// [`crate::v3_index_key`]) and the hash of the serialized document served there.
pub fn v3_index(entries: &[(String, String)]) -> Value {
    let paths: Map<String, Value> = entries
        .iter()
        .map(|(key, hash)| {
            let url = format!("/openapi/v3/{key}?hash={hash}");
            (key.clone(), json!({"serverRelativeURL": url}))
        })
        .collect();
    json!({"paths": paths})
}

/// SHA-512 of a serialized document in upper-case hex, as upstream puts in
/// `serverRelativeURL` and serves as the document's ETag.
pub fn document_hash(bytes: &[u8]) -> String {
    let digest = Sha512::digest(bytes);
    let mut hex = String::with_capacity(digest.len() * 2);
    for byte in digest {
        // Writing to a String cannot fail.
        let _ = write!(hex, "{byte:02X}");
    }
    hex
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hash_is_upper_case_sha512() {
        assert_eq!(
            document_hash(b"abc"),
            "DDAF35A193617ABACC417349AE20413112E6FA4E89A97EA20A9EEEE64B55D39A\
             2192992A274FC1A836BA3C23A3FEEBBD454D4423643CE80E2A9AC94FA54CA49F"
        );
        assert_eq!(document_hash(b"").len(), 128);
    }

    #[test]
    fn index_points_at_documents_with_their_hash() {
        let index = v3_index(&[
            ("api/v1".into(), "AB12".into()),
            ("apis/apps/v1".into(), "CD34".into()),
        ]);
        assert_eq!(
            index,
            json!({"paths": {
                "api/v1": {"serverRelativeURL": "/openapi/v3/api/v1?hash=AB12"},
                "apis/apps/v1": {"serverRelativeURL": "/openapi/v3/apis/apps/v1?hash=CD34"},
            }})
        );
    }
}
