//! Subresources: status, scale, pods/binding, namespaces/finalize, pods/log (in `logs`); the
//! other streaming ones (exec, attach, portforward, proxy) answer with a Status until they land.

use bytes::Bytes;
use capstan_apimachinery::{ApiError, FieldError, Path, labels};
use capstan_store::StoreError;
use http::Response;
use serde_json::{Value, json};

use super::body::decode_object;
use super::write::{self, Change, Target};
use super::{Ctx, read};
use crate::errors::store_error;
use crate::http_util::{Body, json_response, object_response, value_response};
use crate::object::{self, meta_str, now_rfc3339, set_meta, to_stored_bytes};
use crate::render::{self, Stored};

pub async fn dispatch(ctx: &Ctx<'_>, body: Bytes) -> Result<Response<Body>, ApiError> {
    let res = ctx.res.clone();
    let sub = ctx.info.subresource.as_str();
    let verb = ctx.info.verb.as_str();
    let Some(info) = res.subresource(sub) else {
        return Err(crate::handler::path_not_found());
    };
    let allowed = match verb {
        "get" | "create" | "update" | "patch" | "delete" => info.verbs.iter().any(|v| v == verb),
        _ => false,
    };
    if !allowed {
        return Err(ApiError::method_not_supported(
            &capstan_apimachinery::GroupResource::new(&res.group, &format!("{}/{sub}", res.plural)),
            verb,
        ));
    }
    match (sub, verb) {
        ("status", "get") => read::get(ctx).await,
        ("status", "update") => write::update(ctx, body, Target::Status).await,
        ("status", "patch") => write::patch(ctx, body, Target::Status).await,
        ("scale", _) => scale(ctx, body).await,
        ("binding", "create") => bind(ctx, body).await,
        ("finalize", "update") => finalize(ctx, body).await,
        ("log", "get") => super::logs::pod_log(ctx).await,
        (other, _) => Err(ApiError::service_unavailable(&format!(
            "the {other} subresource of {} is not served yet: it needs the node agent",
            res.plural
        ))),
    }
}

impl Ctx<'_> {
    pub(super) async fn current(&self) -> Result<(Value, i64), ApiError> {
        let kv = self
            .srv
            .store
            .get(&self.key(), None)
            .await
            .map_err(|e| store_error(e, &self.res, &self.info.name))?
            .kv
            .ok_or_else(|| ApiError::not_found(&self.res.group_resource(), &self.info.name))?;
        let v = render::object_value(
            &self.res,
            Stored {
                bytes: &kv.value,
                rev: kv.mod_revision,
            },
        )?;
        Ok((v, kv.mod_revision))
    }
}

/// Where a scalable object keeps its replicas and selector (JSON pointers).
struct ScalePointers {
    spec: String,
    status: String,
    /// Built-in workloads: a LabelSelector at /spec/selector; custom resources: a string field.
    selector: Option<String>,
    selector_is_string: bool,
}

impl ScalePointers {
    fn of(res: &capstan_api::ResourceInfo) -> ScalePointers {
        match &res.scale_paths {
            Some(p) => ScalePointers {
                spec: crate::crd::json_path_to_pointer(&p.spec_replicas),
                status: crate::crd::json_path_to_pointer(&p.status_replicas),
                selector: p
                    .label_selector
                    .as_deref()
                    .map(crate::crd::json_path_to_pointer),
                selector_is_string: true,
            },
            None => ScalePointers {
                spec: "/spec/replicas".into(),
                status: "/status/replicas".into(),
                selector: Some("/spec/selector".into()),
                selector_is_string: false,
            },
        }
    }
}

/// Sets `value` at a JSON pointer, creating the objects on the way.
fn set_pointer(obj: &mut Value, pointer: &str, value: Value) {
    let mut cur = obj;
    let parts: Vec<&str> = pointer.trim_start_matches('/').split('/').collect();
    for (i, part) in parts.iter().enumerate() {
        if !cur.is_object() {
            *cur = json!({});
        }
        let m = cur.as_object_mut().expect("made an object");
        if i + 1 == parts.len() {
            m.insert((*part).to_owned(), value);
            return;
        }
        cur = m.entry((*part).to_owned()).or_insert_with(|| json!({}));
    }
}

/// The autoscaling/v1 Scale view of a scalable object.
fn scale_of(obj: &Value, ptr: &ScalePointers) -> Value {
    let replicas = obj.pointer(&ptr.spec).and_then(Value::as_i64).unwrap_or(1);
    let status_replicas = obj
        .pointer(&ptr.status)
        .and_then(Value::as_i64)
        .unwrap_or(0);
    let selector = match ptr.selector.as_deref().and_then(|p| obj.pointer(p)) {
        Some(Value::String(s)) if ptr.selector_is_string => s.clone(),
        // Deployments, ReplicaSets, StatefulSets: a LabelSelector.
        Some(sel) if sel.get("matchLabels").is_some() || sel.get("matchExpressions").is_some() => {
            serde_json::from_value(sel.clone())
                .ok()
                .and_then(|s| labels::selector_from_label_selector(Some(&s)).ok())
                .map(|s| s.to_string())
                .unwrap_or_default()
        }
        // ReplicationControllers: a plain map.
        Some(Value::Object(m)) => {
            let set = m
                .iter()
                .filter_map(|(k, v)| v.as_str().map(|v| (k.clone(), v.to_owned())))
                .collect();
            labels::Selector::from_set(&set).to_string()
        }
        _ => String::new(),
    };
    let meta = obj.get("metadata").cloned().unwrap_or(json!({}));
    let mut scale_meta = json!({});
    for f in [
        "name",
        "namespace",
        "uid",
        "resourceVersion",
        "creationTimestamp",
    ] {
        if let Some(v) = meta.get(f) {
            scale_meta[f] = v.clone();
        }
    }
    let mut status = json!({"replicas": status_replicas});
    if !selector.is_empty() {
        status["selector"] = json!(selector);
    }
    json!({
        "kind": "Scale",
        "apiVersion": "autoscaling/v1",
        "metadata": scale_meta,
        "spec": {"replicas": replicas},
        "status": status,
    })
}

async fn scale(ctx: &Ctx<'_>, body: Bytes) -> Result<Response<Body>, ApiError> {
    let ptr = ScalePointers::of(&ctx.res);
    let (current, _) = ctx.current().await?;
    let scale = match ctx.info.verb.as_str() {
        "get" => return Ok(value_response(200, &scale_of(&current, &ptr))),
        "update" => decode_object(&body, ctx.content_type.as_deref())?,
        _ => {
            let media = super::body::media_type(ctx.content_type.as_deref());
            let patch_type =
                capstan_patch::PatchType::from_content_type(&media).ok_or_else(|| {
                    ApiError::unsupported_media_type(&[
                        "application/merge-patch+json",
                        "application/json-patch+json",
                        "application/strategic-merge-patch+json",
                    ])
                })?;
            let defs = serde_json::Map::new();
            let schema = capstan_patch::OpenApiPatchSchema::new(&defs, "");
            capstan_patch::apply_patch(patch_type, &scale_of(&current, &ptr), &body, &schema)
                .map_err(|e| ApiError::new(e.code(), e.reason(), e.message.clone()))?
        }
    };
    let replicas = scale
        .pointer("/spec/replicas")
        .and_then(Value::as_i64)
        .unwrap_or(0);
    if replicas < 0 {
        return Err(ApiError::invalid(
            &capstan_apimachinery::GroupKind::new("autoscaling", "Scale"),
            &ctx.info.name,
            &[FieldError::invalid(
                &Path::new("spec").child("replicas"),
                replicas,
                "must be greater than or equal to 0",
            )],
        ));
    }
    let mut updated = current.clone();
    set_pointer(&mut updated, &ptr.spec, json!(replicas));
    // A resourceVersion in the Scale is a precondition on the object.
    match scale
        .pointer("/metadata/resourceVersion")
        .and_then(Value::as_str)
    {
        Some(rv) if !rv.is_empty() => set_meta(&mut updated, "resourceVersion", json!(rv)),
        _ => object::remove_meta(&mut updated, "resourceVersion"),
    }
    let (_, written) =
        write::guaranteed_update(ctx, Change::Replace(updated), Target::Main).await?;
    let served = crate::convert::from_storage(&ctx.res, written.object);
    let mut s = scale_of(&served, &ptr);
    s["metadata"]["resourceVersion"] = json!(written.rev.to_string());
    Ok(value_response(200, &s))
}

/// pods/binding: assigns an unscheduled pod to a node (what the scheduler does).
pub async fn bind(ctx: &Ctx<'_>, body: Bytes) -> Result<Response<Body>, ApiError> {
    let binding = decode_object(&body, ctx.content_type.as_deref())?;
    let target = binding
        .pointer("/target/name")
        .and_then(Value::as_str)
        .unwrap_or("")
        .to_owned();
    let kind = binding
        .pointer("/target/kind")
        .and_then(Value::as_str)
        .unwrap_or("Node");
    if target.is_empty() || (kind != "Node" && !kind.is_empty()) {
        return Err(ApiError::invalid(
            &capstan_apimachinery::GroupKind::new("", "Binding"),
            &ctx.info.name,
            &[FieldError::invalid(
                &Path::new("target").child("name"),
                target.as_str(),
                "must be a Node",
            )],
        ));
    }
    let key = ctx.key();
    loop {
        let kv = ctx
            .srv
            .store
            .get(&key, None)
            .await
            .map_err(|e| store_error(e, &ctx.res, &ctx.info.name))?
            .kv
            .ok_or_else(|| ApiError::not_found(&ctx.res.group_resource(), &ctx.info.name))?;
        let mut pod = object::parse_stored(&kv.value, kv.mod_revision)
            .map_err(|e| ApiError::internal_error(&e.to_string()))?;
        if let Some(uid) = binding.pointer("/metadata/uid").and_then(Value::as_str)
            && !uid.is_empty()
            && uid != meta_str(&pod, "uid")
        {
            return Err(ApiError::conflict(
                &ctx.res.group_resource(),
                &ctx.info.name,
                "Precondition failed: UID in precondition does not match the pod",
            ));
        }
        if object::is_deleting(&pod) {
            return Err(ApiError::conflict(
                &ctx.res.group_resource(),
                &ctx.info.name,
                &format!(
                    "pod {} is being deleted, cannot be assigned to a host",
                    ctx.info.name
                ),
            ));
        }
        let assigned = pod
            .pointer("/spec/nodeName")
            .and_then(Value::as_str)
            .unwrap_or("");
        if !assigned.is_empty() {
            return Err(ApiError::conflict(
                &ctx.res.group_resource(),
                &ctx.info.name,
                &format!(
                    "pod {} is already assigned to node {:?}",
                    ctx.info.name, assigned
                ),
            ));
        }
        pod["spec"]["nodeName"] = json!(target);
        set_condition(
            &mut pod,
            json!({"type": "PodScheduled", "status": "True", "lastProbeTime": null,
                   "lastTransitionTime": now_rfc3339()}),
        );
        match ctx
            .srv
            .store
            .update(&key, to_stored_bytes(&pod), kv.mod_revision)
            .await
        {
            Ok(_) => {
                let status = ApiError::success(None, 201);
                return Ok(json_response(201, status.to_status_json_string()));
            }
            Err(StoreError::Conflict { current: Some(_) }) => continue,
            Err(e) => return Err(store_error(e, &ctx.res, &ctx.info.name)),
        }
    }
}

fn set_condition(pod: &mut Value, condition: Value) {
    let status = pod
        .as_object_mut()
        .expect("object")
        .entry("status")
        .or_insert_with(|| json!({}));
    let conditions = status
        .as_object_mut()
        .expect("status is an object")
        .entry("conditions")
        .or_insert_with(|| json!([]));
    if let Some(list) = conditions.as_array_mut() {
        list.retain(|c| c.get("type") != condition.get("type"));
        list.push(condition);
    }
}

/// namespaces/finalize: only spec.finalizers may change; a deleted namespace with none left goes.
async fn finalize(ctx: &Ctx<'_>, body: Bytes) -> Result<Response<Body>, ApiError> {
    let new = decode_object(&body, ctx.content_type.as_deref())?;
    let finalizers = new
        .pointer("/spec/finalizers")
        .cloned()
        .unwrap_or(json!([]));
    let key = ctx.key();
    loop {
        let (mut current, rev) = ctx.current().await?;
        current["spec"]["finalizers"] = finalizers.clone();
        if object::is_deleting(&current)
            && finalizers.as_array().is_none_or(Vec::is_empty)
            && object::finalizers(&current).is_empty()
        {
            match ctx.srv.store.delete(&key, Some(rev)).await {
                Ok(_) => {
                    return Ok(object_response(
                        200,
                        Bytes::from(current.to_string()),
                        &ctx.neg,
                    ));
                }
                Err(StoreError::Conflict { current: Some(_) }) => continue,
                Err(e) => return Err(store_error(e, &ctx.res, &ctx.info.name)),
            }
        }
        match ctx
            .srv
            .store
            .update(&key, to_stored_bytes(&current), rev)
            .await
        {
            Ok(kv) => {
                let bytes = to_stored_bytes(&current);
                let out = render::object_bytes(
                    &ctx.res,
                    Stored {
                        bytes: &bytes,
                        rev: kv.mod_revision,
                    },
                );
                return Ok(object_response(200, out, &ctx.neg));
            }
            Err(StoreError::Conflict { current: Some(_) }) => continue,
            Err(e) => return Err(store_error(e, &ctx.res, &ctx.info.name)),
        }
    }
}
