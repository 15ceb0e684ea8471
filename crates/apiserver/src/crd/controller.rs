//! The CRD controller (upstream's naming, establishing and finalizing controllers in one loop):
//! follows the stored CRDs, accepts their names when they do not clash, marks them Established,
//! keeps the served resources in step, and on deletion removes every object of the CRD before
//! releasing its finalizer.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use capstan_store::{EventKind, ListRequest, StoreError};
use futures::StreamExt;
use serde_json::{Value, json};

use super::{CLEANUP_FINALIZER, resources_from_crd};
use crate::object::{finalizers, is_deleting, meta_str, now_rfc3339, set_meta, to_stored_bytes};
use crate::state::ApiServer;

const CRD_PREFIX: &str = "/registry/apiextensions.k8s.io/customresourcedefinitions/";

/// Runs until the server stops; restarts its watch after store errors.
pub async fn run(srv: Arc<ApiServer>) {
    loop {
        if let Err(e) = follow(&srv).await {
            tracing::warn!(error = %e, "CRD controller: watch lost; restarting");
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
}

/// A CRD as last seen: its stored JSON and revision.
struct Seen {
    obj: Value,
    rev: i64,
}

async fn follow(srv: &Arc<ApiServer>) -> Result<(), StoreError> {
    let list = srv
        .store
        .list(ListRequest {
            prefix: CRD_PREFIX.into(),
            ..Default::default()
        })
        .await?;
    let mut crds: BTreeMap<String, Seen> = BTreeMap::new();
    for kv in list.kvs {
        if let Ok(obj) = serde_json::from_slice(&kv.value) {
            crds.insert(
                kv.key,
                Seen {
                    obj,
                    rev: kv.mod_revision,
                },
            );
        }
    }
    reconcile(srv, &crds).await;
    let mut watch = srv.store.watch(CRD_PREFIX, list.revision).await?;
    // Deletion of custom objects may take several passes (finalizers, grace): poll while any
    // CRD is terminating.
    let mut tick = tokio::time::interval(Duration::from_secs(1));
    loop {
        tokio::select! {
            event = watch.next() => {
                let Some(event) = event else { return Ok(()) };
                let event = event?;
                match event.kind {
                    EventKind::Put => {
                        if let Ok(obj) = serde_json::from_slice(&event.kv.value) {
                            crds.insert(event.kv.key.clone(), Seen { obj, rev: event.kv.mod_revision });
                        }
                    }
                    EventKind::Delete => {
                        crds.remove(&event.kv.key);
                    }
                    EventKind::Progress => continue,
                }
                reconcile(srv, &crds).await;
            }
            _ = tick.tick() => {
                if crds.values().any(|c| is_deleting(&c.obj)) {
                    reconcile(srv, &crds).await;
                }
            }
        }
    }
}

async fn reconcile(srv: &Arc<ApiServer>, crds: &BTreeMap<String, Seen>) {
    for (key, seen) in crds {
        let result = if is_deleting(&seen.obj) {
            clean_up(srv, key, seen).await
        } else {
            establish(srv, key, seen, crds).await
        };
        if let Err(e) = result {
            tracing::warn!(crd = %meta_str(&seen.obj, "name"), error = %e, "CRD controller");
        }
    }
    serve(srv, crds);
}

/// Replaces what is served when the set of served custom resources changed.
fn serve(srv: &Arc<ApiServer>, crds: &BTreeMap<String, Seen>) {
    let established: Vec<&Seen> = crds
        .values()
        .filter(|seen| condition(&seen.obj, "Established") == Some("True"))
        .collect();
    let fingerprint: Vec<_> = established
        .iter()
        .map(|seen| {
            (
                meta_str(&seen.obj, "name"),
                seen.obj.get("spec"),
                seen.obj.pointer("/status/acceptedNames"),
            )
        })
        .collect();
    let fingerprint = serde_json::to_string(&fingerprint).unwrap_or_default();
    if srv.custom_fingerprint_is(&fingerprint) {
        return;
    }
    let mut registry = srv.builtin_registry();
    for seen in established {
        for info in resources_from_crd(&seen.obj) {
            registry.add(Arc::new(info));
        }
    }
    srv.set_custom_registry(registry, fingerprint);
}

fn condition<'a>(crd: &'a Value, kind: &str) -> Option<&'a str> {
    crd.pointer("/status/conditions")?
        .as_array()?
        .iter()
        .find(|c| c.get("type").and_then(Value::as_str) == Some(kind))?
        .get("status")?
        .as_str()
}

/// Sets a condition, keeping its transition time when the status does not change.
fn set_condition(crd: &mut Value, kind: &str, status: &str, reason: &str, message: &str) {
    let previous = crd
        .pointer("/status/conditions")
        .and_then(Value::as_array)
        .and_then(|cs| cs.iter().find(|c| c["type"] == kind).cloned());
    let transition = match &previous {
        Some(p) if p["status"] == status => p["lastTransitionTime"].clone(),
        _ => json!(now_rfc3339()),
    };
    let condition = json!({"type": kind, "status": status, "lastTransitionTime": transition,
                           "reason": reason, "message": message});
    let status_obj = crd
        .as_object_mut()
        .expect("object")
        .entry("status")
        .or_insert_with(|| json!({}));
    let list = status_obj
        .as_object_mut()
        .expect("status")
        .entry("conditions")
        .or_insert_with(|| json!([]));
    if let Some(list) = list.as_array_mut() {
        match list.iter_mut().find(|c| c["type"] == kind) {
            Some(c) => *c = condition,
            None => list.push(condition),
        }
    }
}

/// The names of `crd` that clash with another CRD of the same group: (reason, message).
fn name_conflict(crd: &Value, others: &BTreeMap<String, Seen>) -> Option<(&'static str, String)> {
    let group = crd.pointer("/spec/group");
    let names = crd.pointer("/spec/names")?;
    let mine = |f: &str| {
        names
            .get(f)
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_owned()
    };
    let my_short: Vec<String> = names
        .get("shortNames")
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(|s| s.as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default();
    for other in others.values() {
        if meta_str(&other.obj, "name") == meta_str(crd, "name")
            || other.obj.pointer("/spec/group") != group
        {
            continue;
        }
        let Some(theirs) = other.obj.pointer("/status/acceptedNames") else {
            continue;
        };
        let t = |f: &str| {
            theirs
                .get(f)
                .and_then(Value::as_str)
                .unwrap_or("")
                .to_owned()
        };
        let their_short: Vec<String> = theirs
            .get("shortNames")
            .and_then(Value::as_array)
            .map(|a| {
                a.iter()
                    .filter_map(|s| s.as_str().map(str::to_owned))
                    .collect()
            })
            .unwrap_or_default();
        let plural = mine("plural");
        if plural == t("plural") || plural == t("singular") {
            return Some(("PluralConflict", format!("{plural:?} is already in use")));
        }
        let singular = mine("singular");
        if !singular.is_empty() && (singular == t("plural") || singular == t("singular")) {
            return Some((
                "SingularConflict",
                format!("{singular:?} is already in use"),
            ));
        }
        if let Some(s) = my_short
            .iter()
            .find(|s| their_short.contains(s) || **s == t("plural"))
        {
            return Some(("ShortNamesConflict", format!("{s:?} is already in use")));
        }
        let kind = mine("kind");
        if kind == t("kind") || kind == t("listKind") {
            return Some(("KindConflict", format!("{kind:?} is already in use")));
        }
        let list_kind = mine("listKind");
        if !list_kind.is_empty() && (list_kind == t("kind") || list_kind == t("listKind")) {
            return Some((
                "ListKindConflict",
                format!("{list_kind:?} is already in use"),
            ));
        }
    }
    None
}

/// Accepts names and marks the CRD Established (writing status only when it changed).
async fn establish(
    srv: &Arc<ApiServer>,
    key: &str,
    seen: &Seen,
    all: &BTreeMap<String, Seen>,
) -> Result<(), StoreError> {
    let mut crd = seen.obj.clone();
    match name_conflict(&crd, all) {
        Some((reason, message)) => {
            set_condition(&mut crd, "NamesAccepted", "False", reason, &message);
            if condition(&crd, "Established") != Some("True") {
                set_condition(
                    &mut crd,
                    "Established",
                    "False",
                    "NotAccepted",
                    "not all names are accepted",
                );
            }
        }
        None => {
            let mut accepted = crd.pointer("/spec/names").cloned().unwrap_or(json!({}));
            if let Value::Object(names) = &mut accepted {
                let kind = names
                    .get("kind")
                    .and_then(Value::as_str)
                    .unwrap_or("")
                    .to_owned();
                if names
                    .get("singular")
                    .and_then(Value::as_str)
                    .unwrap_or("")
                    .is_empty()
                {
                    names.insert("singular".into(), json!(kind.to_lowercase()));
                }
                if names
                    .get("listKind")
                    .and_then(Value::as_str)
                    .unwrap_or("")
                    .is_empty()
                {
                    names.insert("listKind".into(), json!(format!("{kind}List")));
                }
            }
            crd["status"]["acceptedNames"] = accepted;
            set_condition(
                &mut crd,
                "NamesAccepted",
                "True",
                "NoConflicts",
                "no conflicts found",
            );
            set_condition(
                &mut crd,
                "Established",
                "True",
                "InitialNamesAccepted",
                "the initial names have been accepted",
            );
        }
    }
    write_if_changed(srv, key, seen, &crd).await
}

async fn write_if_changed(
    srv: &Arc<ApiServer>,
    key: &str,
    seen: &Seen,
    crd: &Value,
) -> Result<(), StoreError> {
    if *crd == seen.obj {
        return Ok(());
    }
    match srv.store.update(key, to_stored_bytes(crd), seen.rev).await {
        // Someone else changed it meanwhile: the watch brings the new version back here.
        Ok(_) | Err(StoreError::Conflict { .. }) => Ok(()),
        Err(e) => Err(e),
    }
}

/// Deletes the CRD's objects (all versions share one storage prefix); when none remain, releases
/// the cleanup finalizer, and the CRD goes once no other finalizer holds it.
async fn clean_up(srv: &Arc<ApiServer>, key: &str, seen: &Seen) -> Result<(), StoreError> {
    let mut crd = seen.obj.clone();
    let group = crd
        .pointer("/spec/group")
        .and_then(Value::as_str)
        .unwrap_or("")
        .to_owned();
    let plural = crd
        .pointer("/status/acceptedNames/plural")
        .or_else(|| crd.pointer("/spec/names/plural"))
        .and_then(Value::as_str)
        .unwrap_or("")
        .to_owned();
    let prefix = format!("/registry/{group}/{plural}/");
    let objects = srv
        .store
        .list(ListRequest {
            prefix: prefix.clone(),
            ..Default::default()
        })
        .await?;
    let remaining = objects.kvs.len();
    for kv in objects.kvs {
        let Ok(mut obj) = serde_json::from_slice::<Value>(&kv.value) else {
            let _ = srv.store.delete(&kv.key, Some(kv.mod_revision)).await;
            continue;
        };
        if finalizers(&obj).is_empty() {
            let _ = srv.store.delete(&kv.key, Some(kv.mod_revision)).await;
        } else if !is_deleting(&obj) {
            // Held by finalizers: mark it; its finalizers' owners finish the job.
            set_meta(&mut obj, "deletionTimestamp", json!(now_rfc3339()));
            set_meta(&mut obj, "deletionGracePeriodSeconds", json!(0));
            let _ = srv
                .store
                .update(&kv.key, to_stored_bytes(&obj), kv.mod_revision)
                .await;
        }
    }
    if remaining > 0 {
        set_condition(
            &mut crd,
            "Terminating",
            "True",
            "InstanceDeletionInProgress",
            "CustomResource deletion is in progress",
        );
        return write_if_changed(srv, key, seen, &crd).await;
    }
    set_condition(
        &mut crd,
        "Terminating",
        "True",
        "InstanceDeletionCompleted",
        "removed all instances",
    );
    let rest: Vec<String> = finalizers(&crd)
        .into_iter()
        .filter(|f| f != CLEANUP_FINALIZER)
        .collect();
    if rest.is_empty() {
        match srv.store.delete(key, Some(seen.rev)).await {
            Ok(_) | Err(StoreError::Conflict { .. }) | Err(StoreError::NotFound) => Ok(()),
            Err(e) => Err(e),
        }
    } else {
        set_meta(&mut crd, "finalizers", json!(rest));
        write_if_changed(srv, key, seen, &crd).await
    }
}
