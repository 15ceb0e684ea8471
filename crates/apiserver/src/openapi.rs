//! The OpenAPI documents served at /openapi/v2 and /openapi/v3, built from the registry and
//! k8s-openapi's schemas, and the schema definitions strategic merge patch reads merge keys from.
//! Built once per registry (at start-up, in the background, and when custom resources change).

use std::collections::HashMap;
use std::sync::Arc;

use bytes::Bytes;
use capstan_api::{Registry, ResourceInfo};
use capstan_openapi::{
    Definitions, GroupVersionKind, ServedResource, ServedSubresource, document_hash, v3_index_key,
};
use parking_lot::{Mutex, RwLock};
use serde_json::{Map, Value};

/// Everything derived from one registry.
pub struct Docs {
    /// Schemas by name, as a JSON map (what the patch code walks).
    pub definitions: Arc<Map<String, Value>>,
    /// index key (`api/v1`, `apis/apps/v1`) → (document, hash)
    pub v3: HashMap<String, (Bytes, String)>,
    pub v3_index: Bytes,
    pub v2: Bytes,
}

#[derive(Default)]
pub struct OpenApiDocs {
    built: RwLock<Option<Arc<Docs>>>,
    /// The registry the next build should use (kept so a request can build on demand).
    pending: Mutex<Option<Arc<Registry>>>,
}

impl OpenApiDocs {
    pub fn new(registry: &Registry) -> OpenApiDocs {
        let docs = OpenApiDocs::default();
        docs.rebuild(registry);
        docs
    }

    /// Schedules a rebuild for `registry`; the current documents stay served until it is done.
    pub fn rebuild(&self, registry: &Registry) {
        *self.pending.lock() = Some(Arc::new(registry.clone()));
    }

    /// Builds now if a rebuild is pending (called from a blocking context at start-up, or lazily).
    pub fn ensure_built(&self) -> Arc<Docs> {
        let pending = self.pending.lock().take();
        if let Some(registry) = pending {
            let docs = Arc::new(build(&registry));
            *self.built.write() = Some(docs.clone());
            return docs;
        }
        if let Some(d) = self.built.read().clone() {
            return d;
        }
        // Another caller took the pending registry and is building: wait for it.
        loop {
            if let Some(d) = self.built.read().clone() {
                return d;
            }
            std::thread::sleep(std::time::Duration::from_millis(5));
        }
    }

    pub fn definitions(&self) -> Arc<Map<String, Value>> {
        self.ensure_built().definitions.clone()
    }

    pub fn v2_document(&self) -> Bytes {
        self.ensure_built().v2.clone()
    }

    pub fn v3_index(&self) -> Bytes {
        self.ensure_built().v3_index.clone()
    }

    /// The document for `api/v1` or `apis/<group>/<version>` and its hash.
    pub fn v3_document(&self, key: &str) -> Option<(Bytes, String)> {
        self.ensure_built().v3.get(key).cloned()
    }
}

fn served(res: &ResourceInfo, defs: &Definitions) -> ServedResource {
    let mut s = ServedResource::new(
        &res.group,
        &res.version,
        &res.kind,
        &res.plural,
        res.namespaced,
        &res.definition,
    );
    let verbs: Vec<&str> = res.verbs.iter().map(String::as_str).collect();
    s = s.with_verbs(&verbs);
    for sub in &res.subresources {
        let gvk = GroupVersionKind::new(&sub.group, &sub.version, &sub.kind);
        let verbs: Vec<&str> = sub.verbs.iter().map(String::as_str).collect();
        let entry = match sub.name.as_str() {
            "scale" => ServedSubresource::scale(),
            "log" => ServedSubresource::log(),
            "exec" | "attach" | "portforward" | "proxy" => {
                ServedSubresource::connect(&sub.name, gvk, &verbs)
            }
            _ => {
                let definition = defs
                    .find_by_group_version_kind(&gvk)
                    .map(str::to_owned)
                    .unwrap_or_else(|| res.definition.clone());
                ServedSubresource::object(&sub.name, gvk, &definition, &verbs)
            }
        };
        s = s.with_subresource(entry);
    }
    s
}

fn build(registry: &Registry) -> Docs {
    let started = std::time::Instant::now();
    let mut defs = capstan_openapi::builtin_definitions();
    // Custom resources bring their own schemas (with metadata, apiVersion and kind filled in).
    for r in registry.all().iter().filter(|r| r.custom) {
        let gvk = GroupVersionKind::new(&r.group, &r.version, &r.kind);
        let schema = capstan_openapi::custom_resource_schema(&defs, &gvk, r.schema.as_deref());
        defs.insert(r.definition.clone(), schema);
        defs.add_group_version_kind(&r.definition, &gvk);
        let list = capstan_openapi::list_schema(&defs, &r.definition, &r.kind);
        let list_name = format!("{}List", r.definition);
        defs.insert(list_name.clone(), list);
        defs.add_group_version_kind(
            &list_name,
            &GroupVersionKind::new(&r.group, &r.version, &r.list_kind),
        );
    }
    let resources: Vec<ServedResource> = registry
        .all()
        .iter()
        .filter(|r| defs.contains(&r.definition))
        .map(|r| {
            let s = served(r, &defs);
            if r.custom {
                // Custom resources take no strategic merge patch.
                ServedResource {
                    strategic_merge_patch: false,
                    ..s
                }
            } else {
                s
            }
        })
        .collect();
    let mut v3 = HashMap::new();
    let mut index_entries = Vec::new();
    for (group, version) in capstan_openapi::served_group_versions(&resources) {
        let in_gv: Vec<ServedResource> = resources
            .iter()
            .filter(|r| r.group == group && r.version == version)
            .cloned()
            .collect();
        match capstan_openapi::v3_document(&group, &version, &in_gv, &defs) {
            Ok(doc) => {
                let bytes = Bytes::from(serde_json::to_vec(&doc).expect("json"));
                let hash = document_hash(&bytes);
                let key = v3_index_key(&group, &version);
                index_entries.push((key.clone(), hash.clone()));
                v3.insert(key, (bytes, hash));
            }
            Err(e) => {
                tracing::warn!(%group, %version, error = %e, "cannot build OpenAPI v3 document")
            }
        }
    }
    index_entries.sort();
    let v2 = capstan_openapi::v2_document(&resources, &defs).unwrap_or_else(|e| {
        tracing::warn!(error = %e, "cannot build OpenAPI v2 document");
        serde_json::json!({"swagger": "2.0", "info": {"title": "Kubernetes", "version": "v1.33.0"}, "paths": {}})
    });
    // Patches only need the structure and merge keys: keep the served documents as bytes and
    // the definitions without their (large) descriptions.
    let definitions: Map<String, Value> = defs
        .iter()
        .map(|(k, v)| {
            let mut v = v.clone();
            strip_descriptions(&mut v);
            (k.to_owned(), v)
        })
        .collect();
    tracing::debug!(elapsed = ?started.elapsed(), documents = v3.len(), "built OpenAPI documents");
    Docs {
        definitions: Arc::new(definitions),
        v3,
        v3_index: Bytes::from(
            serde_json::to_vec(&capstan_openapi::v3_index(&index_entries)).expect("json"),
        ),
        v2: Bytes::from(serde_json::to_vec(&v2).expect("json")),
    }
}

/// Removes the `description` keyword from a schema and its subschemas (a *property* named
/// description, inside `properties`, stays).
fn strip_descriptions(schema: &mut Value) {
    match schema {
        Value::Object(m) => {
            m.remove("description");
            for (key, child) in m.iter_mut() {
                match (key.as_str(), child) {
                    ("properties", Value::Object(props)) => {
                        props.values_mut().for_each(strip_descriptions);
                    }
                    (_, child) => strip_descriptions(child),
                }
            }
        }
        Value::Array(a) => a.iter_mut().for_each(strip_descriptions),
        _ => {}
    }
}
