//! CustomResourceDefinitions: turning a CRD into served resources, and the in-process controller
//! that establishes CRDs (names accepted, conditions set), keeps what is served in step with them, and
//! deletes a CRD's objects before the CRD itself goes.

mod controller;
mod strategy;

use std::sync::Arc;

use capstan_api::strategy::SelectableField;
use capstan_api::strategy::fields::intern;
use capstan_api::{NameRule, PrinterColumn, ResourceInfo, ScalePaths, Subresource};
use capstan_apimachinery::GroupResource;
use serde_json::Value;

pub use controller::run;

/// The finalizer a CRD carries while its objects are being removed.
pub const CLEANUP_FINALIZER: &str = "customresourcecleanup.apiextensions.k8s.io";

fn strings(v: Option<&Value>) -> Vec<String> {
    v.and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(|x| x.as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default()
}

fn str_at<'a>(v: &'a Value, pointer: &str) -> &'a str {
    v.pointer(pointer).and_then(Value::as_str).unwrap_or("")
}

/// `.spec.replicas` (a CRD JSON path) as a JSON pointer (`/spec/replicas`).
pub fn json_path_to_pointer(path: &str) -> String {
    path.trim_start_matches('.')
        .split('.')
        .filter(|s| !s.is_empty())
        .map(|s| format!("/{s}"))
        .collect()
}

/// The resources a CRD serves: one per served version. Names come from `status.acceptedNames`
/// (what the controller accepted), falling back to `spec.names`.
pub fn resources_from_crd(crd: &Value) -> Vec<ResourceInfo> {
    let group = str_at(crd, "/spec/group").to_owned();
    let names = crd
        .pointer("/status/acceptedNames")
        .filter(|n| {
            n.get("plural")
                .and_then(Value::as_str)
                .is_some_and(|p| !p.is_empty())
        })
        .or_else(|| crd.pointer("/spec/names"))
        .cloned()
        .unwrap_or(Value::Null);
    let plural = str_at(&names, "/plural").to_owned();
    let kind = str_at(&names, "/kind").to_owned();
    if group.is_empty() || plural.is_empty() || kind.is_empty() {
        return Vec::new();
    }
    let singular = match str_at(&names, "/singular") {
        "" => kind.to_lowercase(),
        s => s.to_owned(),
    };
    let list_kind = match str_at(&names, "/listKind") {
        "" => format!("{kind}List"),
        s => s.to_owned(),
    };
    let namespaced = str_at(crd, "/spec/scope") != "Cluster";
    let versions = crd
        .pointer("/spec/versions")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    let storage_version = versions
        .iter()
        .find(|v| v.get("storage") == Some(&Value::Bool(true)))
        .and_then(|v| v.get("name"))
        .and_then(Value::as_str)
        .unwrap_or("")
        .to_owned();
    // Without a webhook client, only the storage version of a webhook-converted
    // resource can be served faithfully; other versions answer 503 with a reason.
    let webhook_conversion = str_at(crd, "/spec/conversion/strategy") == "Webhook";
    let mut out = Vec::new();
    for v in versions
        .iter()
        .filter(|v| v.get("served") == Some(&Value::Bool(true)))
    {
        let version = str_at(v, "/name").to_owned();
        let schema = v.pointer("/schema/openAPIV3Schema").cloned();
        let has_status = v.pointer("/subresources/status").is_some();
        let scale = v.pointer("/subresources/scale").map(|s| ScalePaths {
            spec_replicas: str_at(s, "/specReplicasPath").to_owned(),
            status_replicas: str_at(s, "/statusReplicasPath").to_owned(),
            label_selector: s
                .get("labelSelectorPath")
                .and_then(Value::as_str)
                .map(str::to_owned),
        });
        let mut subresources = Vec::new();
        if has_status {
            subresources.push(Subresource {
                name: "status".into(),
                group: group.clone(),
                version: version.clone(),
                kind: kind.clone(),
                verbs: ["get", "patch", "update"].map(String::from).to_vec(),
            });
        }
        if scale.is_some() {
            subresources.push(Subresource {
                name: "scale".into(),
                group: "autoscaling".into(),
                version: "v1".into(),
                kind: "Scale".into(),
                verbs: ["get", "patch", "update"].map(String::from).to_vec(),
            });
        }
        let selectable: Vec<SelectableField> = v
            .get("selectableFields")
            .and_then(Value::as_array)
            .map(|fields| {
                fields
                    .iter()
                    .filter_map(|f| f.get("jsonPath").and_then(Value::as_str))
                    .map(|path| SelectableField {
                        name: intern(path.trim_start_matches('.')),
                        pointer: intern(&json_path_to_pointer(path)),
                        default: "",
                    })
                    .collect()
            })
            .unwrap_or_default();
        let columns: Vec<PrinterColumn> = v
            .get("additionalPrinterColumns")
            .and_then(Value::as_array)
            .map(|cols| {
                cols.iter()
                    .map(|c| PrinterColumn {
                        name: str_at(c, "/name").to_owned(),
                        type_: str_at(c, "/type").to_owned(),
                        format: str_at(c, "/format").to_owned(),
                        description: str_at(c, "/description").to_owned(),
                        priority: c.get("priority").and_then(Value::as_i64).unwrap_or(0) as i32,
                        json_path: str_at(c, "/jsonPath").to_owned(),
                    })
                    .collect()
            })
            .unwrap_or_default();
        let strategy = strategy::CustomStrategy::new(schema.as_ref(), has_status, selectable);
        out.push(ResourceInfo {
            group: group.clone(),
            version: version.clone(),
            kind: kind.clone(),
            list_kind: list_kind.clone(),
            plural: plural.clone(),
            singular: singular.clone(),
            namespaced,
            short_names: strings(names.get("shortNames")),
            categories: strings(names.get("categories")),
            verbs: capstan_api::resource::ALL_VERBS
                .iter()
                .map(|v| v.to_string())
                .collect(),
            subresources,
            storage: GroupResource::new(&group, &plural),
            storage_version: storage_version.clone(),
            definition: capstan_openapi::custom_resource_schema_name(&group, &version, &kind),
            strategy: Arc::new(strategy),
            tracks_generation: true,
            create_on_update: false,
            return_deleted_object: true,
            name_rule: NameRule::Subdomain,
            status_on_create: false,
            printer_columns: Some(Arc::new(columns)),
            scale_paths: scale,
            custom: true,
            schema: schema.map(Arc::new),
            unavailable: (webhook_conversion && version != storage_version).then(|| {
                format!(
                    "{plural}.{group}/{version} needs a conversion webhook to convert from {storage_version}, and this server does not call conversion webhooks yet; read and write {storage_version}, or use conversion strategy None"
                )
            }),
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn served_versions_become_resources() {
        let crd = json!({
            "spec": {"group": "stable.example.com", "scope": "Namespaced",
                     "names": {"plural": "crontabs", "kind": "CronTab", "shortNames": ["ct"]},
                     "versions": [
                        {"name": "v1", "served": true, "storage": true,
                         "schema": {"openAPIV3Schema": {"type": "object"}},
                         "subresources": {"status": {}, "scale": {"specReplicasPath": ".spec.replicas", "statusReplicasPath": ".status.replicas"}},
                         "selectableFields": [{"jsonPath": ".spec.color"}],
                         "additionalPrinterColumns": [{"name": "Spec", "type": "string", "jsonPath": ".spec.cronSpec"}]},
                        {"name": "v1beta1", "served": true, "storage": false},
                        {"name": "v0", "served": false, "storage": false}]},
        });
        let rs = resources_from_crd(&crd);
        assert_eq!(rs.len(), 2);
        let v1 = &rs[0];
        assert_eq!(
            (
                v1.plural.as_str(),
                v1.singular.as_str(),
                v1.list_kind.as_str()
            ),
            ("crontabs", "crontab", "CronTabList")
        );
        assert!(v1.has_status() && v1.subresource("scale").is_some());
        assert_eq!(v1.storage_version, "v1");
        assert_eq!(rs[1].storage_version, "v1", "v1beta1 is stored as v1");
        assert_eq!(v1.strategy.selectable_fields()[0].pointer, "/spec/color");
        assert_eq!(
            v1.printer_columns.as_ref().unwrap()[0].json_path,
            ".spec.cronSpec"
        );
    }
}
