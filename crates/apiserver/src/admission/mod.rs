//! Admission: the checks and mutations kube-apiserver's built-in admission plugins make, which
//! need more than the object itself (other objects, allocators): NamespaceLifecycle, Priority,
//! ServiceAccount defaults, DefaultTolerationSeconds, and Service address allocation.

mod service;

use std::time::Duration;

use capstan_api::ResourceInfo;
use capstan_apimachinery::ApiError;
use serde_json::{Value, json};

use crate::object::{meta_str, name, namespace};
use crate::state::ApiServer;

fn is(res: &ResourceInfo, group: &str, plural: &str) -> bool {
    res.group == group && res.plural == plural
}

/// Namespaces the cluster needs; they cannot be deleted.
pub const IMMORTAL_NAMESPACES: &[&str] = &["default", "kube-system", "kube-public"];

pub async fn admit_create(
    srv: &ApiServer,
    res: &ResourceInfo,
    obj: &mut Value,
    dry_run: bool,
    warnings: &mut Vec<String>,
) -> Result<(), ApiError> {
    let _ = warnings;
    if res.namespaced {
        namespace_lifecycle(srv, res, obj).await?;
    }
    match (res.group.as_str(), res.plural.as_str()) {
        ("", "pods") => {
            pod_priority(srv, res, obj).await?;
            pod_defaults(obj);
        }
        ("", "services") => service::admit_create(srv, res, obj, dry_run).await?,
        _ => {}
    }
    Ok(())
}

/// Undoes allocations made by `admit_create` when the write itself failed.
pub async fn release_create(srv: &ApiServer, res: &ResourceInfo, obj: &Value) {
    if is(res, "", "services") {
        service::release(srv, obj).await;
    }
}

pub async fn after_create(_srv: &ApiServer, _res: &ResourceInfo, _obj: &Value) {}

pub async fn admit_update(
    srv: &ApiServer,
    res: &ResourceInfo,
    obj: &mut Value,
    old: &Value,
    dry_run: bool,
    _warnings: &mut Vec<String>,
) -> Result<(), ApiError> {
    if is(res, "", "services") {
        service::admit_update(srv, res, obj, old, dry_run).await?;
    }
    if is(res, "", "namespaces") {
        // Status and finalizers of a terminating namespace are the namespace controller's.
        if let Some(phase) = old.pointer("/status/phase").cloned()
            && phase == "Terminating"
            && let Some(s) = obj.get_mut("status").and_then(Value::as_object_mut)
        {
            s.insert("phase".into(), phase);
        }
    }
    Ok(())
}

pub async fn admit_delete(
    _srv: &ApiServer,
    res: &ResourceInfo,
    obj: &Value,
) -> Result<(), ApiError> {
    if is(res, "", "namespaces") && IMMORTAL_NAMESPACES.contains(&name(obj)) {
        return Err(ApiError::forbidden(
            &res.group_resource(),
            name(obj),
            "this namespace may not be deleted",
        ));
    }
    Ok(())
}

pub async fn after_delete(srv: &ApiServer, res: &ResourceInfo, obj: &Value) {
    if is(res, "", "services") {
        service::release(srv, obj).await;
    }
}

/// The grace period a delete gets: pods only (others are deleted at once).
pub fn grace_period(res: &ResourceInfo, obj: &Value, requested: Option<i64>) -> Option<i64> {
    if !is(res, "", "pods") {
        return None;
    }
    // A pod no node took, or one that already finished, has nothing to stop.
    let unscheduled = obj
        .pointer("/spec/nodeName")
        .and_then(Value::as_str)
        .unwrap_or("")
        .is_empty();
    let phase = obj
        .pointer("/status/phase")
        .and_then(Value::as_str)
        .unwrap_or("");
    if unscheduled || phase == "Succeeded" || phase == "Failed" {
        return Some(0);
    }
    let default = obj
        .pointer("/spec/terminationGracePeriodSeconds")
        .and_then(Value::as_i64)
        .unwrap_or(30);
    Some(requested.unwrap_or(default).max(0))
}

/// A finalizer the server itself adds when an object is deleted (a CRD keeps one until its
/// objects are gone).
pub fn deletion_finalizer(res: &ResourceInfo) -> Option<&'static str> {
    is(res, "apiextensions.k8s.io", "customresourcedefinitions")
        .then_some(crate::crd::CLEANUP_FINALIZER)
}

/// Whether deletion must wait for something other than metadata finalizers (a namespace's
/// `spec.finalizers`, which the namespace controller clears once its contents are gone).
pub fn pending_finalization(res: &ResourceInfo, obj: &Value) -> bool {
    is(res, "", "namespaces")
        && obj
            .pointer("/spec/finalizers")
            .and_then(Value::as_array)
            .is_some_and(|f| !f.is_empty())
}

/// Marks a namespace being deleted as Terminating; true if it changed.
pub fn mark_terminating(res: &ResourceInfo, obj: &mut Value) -> bool {
    if !is(res, "", "namespaces") || obj.pointer("/status/phase") == Some(&json!("Terminating")) {
        return false;
    }
    if let Value::Object(m) = obj {
        let status = m.entry("status").or_insert_with(|| json!({}));
        if let Some(s) = status.as_object_mut() {
            s.insert("phase".into(), json!("Terminating"));
        }
    }
    true
}

/// NamespaceLifecycle: no new objects in a namespace that does not exist or is terminating.
async fn namespace_lifecycle(
    srv: &ApiServer,
    res: &ResourceInfo,
    obj: &Value,
) -> Result<(), ApiError> {
    let ns = namespace(obj).to_owned();
    let registry = srv.registry();
    let Some(ns_res) = registry.get("", "v1", "namespaces") else {
        return Ok(());
    };
    let key = ns_res.key("", &ns);
    let cache = srv.cache(ns_res).await?;
    // A namespace created a moment ago may not have reached the cache yet.
    let mut found = cache.get(&key).0;
    if found.is_none() {
        let rev = srv.store.current_revision().await.unwrap_or(0);
        cache.wait_for(rev, Duration::from_secs(1)).await;
        found = cache.get(&key).0;
    }
    let Some(ns_obj) = found else {
        return Err(ApiError::not_found(&ns_res.group_resource(), &ns));
    };
    // Only two fields matter; skip the rest of the object while parsing.
    #[derive(serde::Deserialize)]
    struct NsState {
        #[serde(default)]
        metadata: NsMeta,
        #[serde(default)]
        status: NsStatus,
    }
    #[derive(serde::Deserialize, Default)]
    struct NsMeta {
        #[serde(rename = "deletionTimestamp")]
        deletion_timestamp: Option<serde::de::IgnoredAny>,
    }
    #[derive(serde::Deserialize, Default)]
    struct NsStatus {
        phase: Option<String>,
    }
    let terminating = serde_json::from_slice::<NsState>(&ns_obj.bytes)
        .ok()
        .is_some_and(|v| {
            v.status.phase.as_deref() == Some("Terminating")
                || v.metadata.deletion_timestamp.is_some()
        });
    if terminating {
        return Err(ApiError::forbidden(
            &res.group_resource(),
            meta_str(obj, "name"),
            &format!(
                "unable to create new content in namespace {ns} because it is being terminated"
            ),
        ));
    }
    Ok(())
}

/// The priority classes every cluster has.
pub const SYSTEM_PRIORITY_CLASSES: &[(&str, i64)] = &[
    ("system-node-critical", 2_000_001_000),
    ("system-cluster-critical", 2_000_000_000),
];

/// Priority admission: spec.priority (and preemptionPolicy) from the pod's PriorityClass, or the
/// global default class, or 0.
async fn pod_priority(
    srv: &ApiServer,
    res: &ResourceInfo,
    obj: &mut Value,
) -> Result<(), ApiError> {
    let class_name = obj
        .pointer("/spec/priorityClassName")
        .and_then(Value::as_str)
        .unwrap_or("")
        .to_owned();
    let registry = srv.registry();
    let Some(pc_res) = registry.get("scheduling.k8s.io", "v1", "priorityclasses") else {
        return Ok(());
    };
    let cache = srv.cache(pc_res).await?;
    let class = if class_name.is_empty() {
        // Most pods name no class: find a global default without decoding every class fully.
        #[derive(serde::Deserialize)]
        struct Flag {
            #[serde(rename = "globalDefault", default)]
            global_default: bool,
        }
        cache
            .list(&pc_res.prefix(None), |_| true)
            .objects
            .iter()
            .find(|o| serde_json::from_slice::<Flag>(&o.bytes).is_ok_and(|f| f.global_default))
            .and_then(|o| serde_json::from_slice::<Value>(&o.bytes).ok())
    } else {
        let found = cache
            .get(&pc_res.key("", &class_name))
            .0
            .and_then(|o| serde_json::from_slice::<Value>(&o.bytes).ok());
        if found.is_none() {
            return Err(ApiError::forbidden(
                &res.group_resource(),
                meta_str(obj, "name"),
                &format!("no PriorityClass with name {class_name} was found"),
            ));
        }
        found
    };
    let (priority, policy) = match &class {
        Some(c) => (
            c.get("value").and_then(Value::as_i64).unwrap_or(0),
            c.get("preemptionPolicy").cloned(),
        ),
        None => (0, None),
    };
    if let Some(spec) = obj.get_mut("spec").and_then(Value::as_object_mut) {
        if let Some(existing) = spec.get("priority").and_then(Value::as_i64)
            && existing != priority
        {
            return Err(ApiError::forbidden(
                &res.group_resource(),
                "",
                "the integer value of priority must not be provided in pod spec; priority admission controller computed the value from the given PriorityClass name",
            ));
        }
        spec.insert("priority".into(), json!(priority));
        if let Some(c) = &class {
            spec.insert(
                "priorityClassName".into(),
                c.pointer("/metadata/name").cloned().unwrap_or(json!("")),
            );
        }
        spec.insert(
            "preemptionPolicy".into(),
            policy.unwrap_or_else(|| json!("PreemptLowerPriority")),
        );
    }
    Ok(())
}

/// ServiceAccount and DefaultTolerationSeconds admission defaults.
fn pod_defaults(obj: &mut Value) {
    let Some(spec) = obj.get_mut("spec").and_then(Value::as_object_mut) else {
        return;
    };
    if spec
        .get("serviceAccountName")
        .and_then(Value::as_str)
        .unwrap_or("")
        .is_empty()
    {
        spec.insert("serviceAccountName".into(), json!("default"));
    }
    // The deprecated alias always mirrors serviceAccountName in v1 (upstream's conversion).
    if let Some(sa) = spec.get("serviceAccountName").cloned() {
        spec.insert("serviceAccount".into(), sa);
    }
    let tolerations = spec.entry("tolerations").or_insert_with(|| json!([]));
    if let Some(t) = tolerations.as_array_mut() {
        for key in [
            "node.kubernetes.io/not-ready",
            "node.kubernetes.io/unreachable",
        ] {
            let tolerated = t.iter().any(|x| {
                let k = x.get("key").and_then(Value::as_str).unwrap_or("");
                let effect = x.get("effect").and_then(Value::as_str).unwrap_or("");
                (k == key || (k.is_empty() && x.get("operator") == Some(&json!("Exists"))))
                    && (effect.is_empty() || effect == "NoExecute")
            });
            if !tolerated {
                t.push(
                    json!({"key": key, "operator": "Exists", "effect": "NoExecute",
                              "tolerationSeconds": 300}),
                );
            }
        }
    }
}
