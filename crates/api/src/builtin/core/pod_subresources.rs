//! The pods/ephemeralcontainers and pods/resize subresources (upstream
//! podEphemeralContainersStrategy, podResizeStrategy, ValidatePodEphemeralContainersUpdate and
//! ValidatePodResize). The API server calls these around its usual update pipeline.

use std::collections::BTreeMap;

use capstan_apimachinery::{ErrorList, FieldError, Path};
use k8s_openapi::api::core::v1::{Container, Pod, ResourceRequirements};

use super::common::s;
use super::pod::default_pod;
use super::resources::{ResourceList, compute_qos};

const MIRROR_POD: &str = "kubernetes.io/config.mirror";

/// Metadata an update through a pod subresource may not change (upstream
/// ResetObjectMetaForStatus), taken from the stored pod.
fn keep_protected_metadata(new: &mut Pod, old: &Pod) {
    let m = &mut new.metadata;
    let o = &old.metadata;
    m.deletion_timestamp = o.deletion_timestamp.clone();
    m.generation = o.generation;
    m.self_link = o.self_link.clone();
    m.labels = o.labels.clone();
    m.annotations = o.annotations.clone();
    m.finalizers = o.finalizers.clone();
    m.owner_references = o.owner_references.clone();
}

/// Everything but `spec.ephemeralContainers` comes from the stored pod.
pub fn prepare_ephemeral_containers_update(new: &mut Pod, old: &Pod) {
    let eph = new
        .spec
        .as_ref()
        .and_then(|sp| sp.ephemeral_containers.clone());
    new.spec = old.spec.clone();
    new.status = old.status.clone();
    keep_protected_metadata(new, old);
    if let Some(spec) = new.spec.as_mut() {
        spec.ephemeral_containers = eph;
    }
    default_pod(new);
}

/// Upstream ValidatePodEphemeralContainersUpdate: ephemeral containers may only be added.
pub fn validate_ephemeral_containers_update(new: &Pod, old: &Pod) -> ErrorList {
    let spec = new.spec.clone().unwrap_or_default();
    let mut errs = super::pod::validate_pod_metadata_and_spec(new, &spec);
    if old
        .metadata
        .annotations
        .as_ref()
        .is_some_and(|a| a.contains_key(MIRROR_POD))
    {
        return vec![FieldError::forbidden(
            &Path::new(""),
            "static pods do not support ephemeral containers",
        )];
    }
    let path = Path::new("spec").child("ephemeralContainers");
    let current: BTreeMap<&str, _> = spec
        .ephemeral_containers
        .iter()
        .flatten()
        .map(|c| (c.name.as_str(), c))
        .collect();
    for o in old
        .spec
        .iter()
        .flat_map(|sp| sp.ephemeral_containers.iter().flatten())
    {
        match current.get(o.name.as_str()) {
            None => errs.push(FieldError::forbidden(
                &path,
                &format!(
                    "existing ephemeral containers {:?} may not be removed\n",
                    o.name
                ),
            )),
            Some(n) if *n != o => {
                let diff = super::diff::render("core.EphemeralContainer", o, *n);
                errs.push(FieldError::forbidden(
                    &path,
                    &format!(
                        "existing ephemeral containers {:?} may not be changed\n{diff}",
                        o.name
                    ),
                ));
            }
            _ => {}
        }
    }
    errs
}

/// Only container resources and resize policies come from the request (upstream
/// dropNonResizeUpdates); renamed, added or removed containers are left for validation.
pub fn prepare_resize(new: &mut Pod, old: &Pod) {
    let (Some(spec), Some(old_spec)) = (new.spec.as_ref(), old.spec.as_ref()) else {
        return;
    };
    let merge = |n: &[Container], o: &[Container]| -> Option<Vec<Container>> {
        if n.len() != o.len() || n.iter().zip(o).any(|(a, b)| a.name != b.name) {
            return None;
        }
        Some(
            o.iter()
                .zip(n)
                .map(|(o, n)| Container {
                    resources: n.resources.clone(),
                    resize_policy: n.resize_policy.clone(),
                    ..o.clone()
                })
                .collect(),
        )
    };
    let init = merge(
        spec.init_containers.as_deref().unwrap_or(&[]),
        old_spec.init_containers.as_deref().unwrap_or(&[]),
    );
    let Some(containers) = merge(&spec.containers, &old_spec.containers) else {
        return;
    };
    let Some(init) = init else { return };
    let mut merged = old_spec.clone();
    merged.containers = containers;
    if merged.init_containers.is_some() {
        merged.init_containers = Some(init);
    }
    new.spec = Some(merged);
    new.status = old.status.clone();
    keep_protected_metadata(new, old);
    default_pod(new);
}

fn list(r: &Option<ResourceRequirements>, limits: bool) -> ResourceList {
    r.as_ref()
        .and_then(|r| {
            if limits {
                r.limits.clone()
            } else {
                r.requests.clone()
            }
        })
        .unwrap_or_default()
}

/// The container with cpu and memory taken from the stored one.
fn without_cpu_memory(c: &Container, old: &Container) -> Container {
    let munge = |new: ResourceList, old: &ResourceList, had: bool| -> Option<ResourceList> {
        if !had {
            return None;
        }
        let mut out: ResourceList = new
            .into_iter()
            .filter(|(k, _)| k != "cpu" && k != "memory")
            .collect();
        for k in ["cpu", "memory"] {
            if let Some(v) = old.get(k) {
                out.insert(k.into(), v.clone());
            }
        }
        Some(out)
    };
    let had = |limits: bool| {
        old.resources.as_ref().is_some_and(|r| {
            if limits {
                r.limits.is_some()
            } else {
                r.requests.is_some()
            }
        })
    };
    let limits = munge(
        list(&c.resources, true),
        &list(&old.resources, true),
        had(true),
    );
    let requests = munge(
        list(&c.resources, false),
        &list(&old.resources, false),
        had(false),
    );
    Container {
        resources: Some(ResourceRequirements {
            limits,
            requests,
            ..Default::default()
        }),
        ..c.clone()
    }
}

/// Upstream validateContainerResize.
fn validate_container_resize(new: &Container, old: &Container, path: &Path) -> ErrorList {
    let mut errs = Vec::new();
    let removed = |n: &ResourceList, o: &ResourceList| o.keys().any(|k| !n.contains_key(k));
    if removed(&list(&new.resources, false), &list(&old.resources, false)) {
        errs.push(FieldError::forbidden(
            &path.child("requests"),
            "resource requests cannot be removed",
        ));
    }
    let (nl, ol) = (list(&new.resources, true), list(&old.resources, true));
    if removed(&nl, &ol) {
        errs.push(FieldError::forbidden(
            &path.child("limits"),
            "resource limits cannot be removed",
        ));
    }
    let mem_policy = new
        .resize_policy
        .iter()
        .flatten()
        .find(|p| p.resource_name == "memory")
        .map(|p| p.restart_policy.as_str())
        .unwrap_or("");
    if mem_policy == "NotRequired" || mem_policy.is_empty() {
        let p = path.child("limits").key("memory");
        let parse = |l: &ResourceList| {
            l.get("memory")
                .and_then(|q| capstan_apimachinery::Quantity::parse(&q.0).ok())
        };
        match (parse(&nl), parse(&ol)) {
            (Some(n), Some(o)) if n < o => errs.push(FieldError::forbidden(
                &p,
                "memory limits cannot be decreased unless resizePolicy is RestartContainer",
            )),
            (Some(_), None) => errs.push(FieldError::forbidden(
                &p,
                "memory limits cannot be added unless resizePolicy is RestartContainer",
            )),
            _ => {}
        }
    }
    errs
}

/// Upstream ValidatePodResize.
pub fn validate_resize(new: &Pod, old: &Pod) -> ErrorList {
    let spec = new.spec.clone().unwrap_or_default();
    let old_spec = old.spec.clone().unwrap_or_default();
    let mut errs = super::pod::validate_pod_metadata_and_spec(new, &spec);
    if old
        .metadata
        .annotations
        .as_ref()
        .is_some_and(|a| a.contains_key(MIRROR_POD))
    {
        return vec![FieldError::forbidden(
            &Path::new(""),
            "static pods cannot be resized",
        )];
    }
    if old_spec.os.as_ref().is_some_and(|os| os.name == "windows") {
        return vec![FieldError::forbidden(
            &Path::new(""),
            "windows pods cannot be resized",
        )];
    }
    let sp = Path::new("spec");
    let old_qos = old
        .status
        .as_ref()
        .and_then(|st| st.qos_class.clone())
        .filter(|q| !q.is_empty())
        .unwrap_or_else(|| compute_qos(old).to_string());
    if old_qos != compute_qos(new) {
        let qos = new
            .status
            .as_ref()
            .map(|st| s(&st.qos_class).to_string())
            .unwrap_or_default();
        errs.push(FieldError::invalid(
            &sp,
            qos,
            "Pod QOS Class may not change as a result of resizing",
        ));
    }
    let running_without_resources = old
        .status
        .iter()
        .flat_map(|st| st.container_statuses.iter().flatten())
        .find(|c| c.state.as_ref().is_some_and(|st| st.running.is_some()));
    if running_without_resources.is_some_and(|c| c.resources.is_none()) {
        errs.push(FieldError::forbidden(
            &sp,
            "Pod running on node without support for resize",
        ));
    }
    if spec.containers.len() != old_spec.containers.len()
        || spec.init_containers.as_ref().map(Vec::len)
            != old_spec.init_containers.as_ref().map(Vec::len)
    {
        errs.push(FieldError::forbidden(
            &sp,
            "only cpu and memory resources are mutable",
        ));
        return errs;
    }
    let old_init = old_spec.init_containers.clone().unwrap_or_default();
    let new_init = spec.init_containers.clone().unwrap_or_default();
    for (ix, o) in old_init.iter().enumerate() {
        if o.restart_policy.as_deref() == Some("Always") {
            errs.extend(validate_container_resize(
                &new_init[ix],
                o,
                &sp.child("initContainers").index(ix).child("resources"),
            ));
        }
    }
    for (ix, o) in old_spec.containers.iter().enumerate() {
        errs.extend(validate_container_resize(
            &spec.containers[ix],
            o,
            &sp.child("containers").index(ix).child("resources"),
        ));
    }
    let mut munged = spec.clone();
    for (ix, c) in munged.containers.iter_mut().enumerate() {
        *c = without_cpu_memory(c, &old_spec.containers[ix]);
        if *c != old_spec.containers[ix] {
            errs.push(FieldError::forbidden(
                &sp,
                "only cpu and memory resources are mutable",
            ));
        }
    }
    for (ix, c) in munged.init_containers.iter_mut().flatten().enumerate() {
        if c.restart_policy.as_deref() == Some("Always") {
            *c = without_cpu_memory(c, &old_init[ix]);
            if *c != old_init[ix] {
                errs.push(FieldError::forbidden(
                    &sp,
                    "only cpu and memory resources for sidecar containers are mutable",
                ));
            }
        } else if *c != old_init[ix] {
            errs.push(FieldError::forbidden(
                &sp,
                "resources for non-sidecar init containers are immutable",
            ));
        }
    }
    if errs.is_empty() && munged != old_spec {
        errs.push(FieldError::forbidden(
            &sp,
            "only cpu and memory resources are mutable",
        ));
    }
    errs
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::builtin::core::pod::PodStrategy;
    use crate::builtin::core::testutil::{create, from_json, strings};

    fn stored() -> Pod {
        let mut p: Pod = from_json(
            json!({"metadata": {"name": "p"}, "spec": {"containers": [{"name": "a", "image": "x",
            "resources": {"requests": {"cpu": "100m", "memory": "64Mi"}, "limits": {"memory": "128Mi"}}}]}}),
        );
        assert!(create(&PodStrategy, &mut p).is_empty());
        p
    }

    #[test]
    fn ephemeral_containers_are_added_only() {
        let old = stored();
        let mut new = old.clone();
        new.spec.as_mut().unwrap().ephemeral_containers = Some(vec![from_json(
            json!({"name": "debug", "image": "busybox"}),
        )]);
        new.spec.as_mut().unwrap().restart_policy = Some("Never".into());
        prepare_ephemeral_containers_update(&mut new, &old);
        assert_eq!(
            new.spec.as_ref().unwrap().restart_policy.as_deref(),
            Some("Always")
        );
        assert!(validate_ephemeral_containers_update(&new, &old).is_empty());
        let mut removed = old.clone();
        prepare_ephemeral_containers_update(&mut removed, &new);
        assert_eq!(
            strings(&validate_ephemeral_containers_update(&removed, &new)),
            vec![
                "spec.ephemeralContainers: Forbidden: existing ephemeral containers \"debug\" may not be removed\n"
            ]
        );
        let mut with_ports = old.clone();
        with_ports.spec.as_mut().unwrap().ephemeral_containers = Some(vec![from_json(
            json!({"name": "d", "image": "b", "ports": [{"containerPort": 80}]}),
        )]);
        prepare_ephemeral_containers_update(&mut with_ports, &old);
        assert_eq!(
            strings(&validate_ephemeral_containers_update(&with_ports, &old)),
            vec![
                "spec.ephemeralContainers[0].ports: Forbidden: cannot be set for an Ephemeral Container"
            ]
        );
    }

    #[test]
    fn resize_rules() {
        let old = stored();
        let resized = |res: serde_json::Value| {
            let mut new = old.clone();
            new.spec.as_mut().unwrap().containers[0].resources = Some(from_json(res));
            new.spec.as_mut().unwrap().containers[0].image = Some("other".into());
            prepare_resize(&mut new, &old);
            assert_eq!(
                new.spec.as_ref().unwrap().containers[0].image.as_deref(),
                Some("x")
            );
            strings(&validate_resize(&new, &old))
        };
        assert!(resized(json!({"requests": {"cpu": "200m", "memory": "64Mi"}, "limits": {"memory": "256Mi"}})).is_empty());
        assert_eq!(
            resized(
                json!({"requests": {"cpu": "200m", "memory": "64Mi"}, "limits": {"memory": "100Mi"}})
            ),
            vec![
                "spec.containers[0].resources.limits[memory]: Forbidden: memory limits cannot be decreased unless resizePolicy is RestartContainer"
            ]
        );
        assert_eq!(
            resized(json!({"requests": {"memory": "64Mi"}, "limits": {"memory": "256Mi"}})),
            vec![
                "spec.containers[0].resources.requests: Forbidden: resource requests cannot be removed"
            ]
        );
        assert_eq!(
            resized(
                json!({"requests": {"cpu": "200m", "memory": "64Mi", "ephemeral-storage": "1Gi"}, "limits": {"memory": "256Mi"}})
            ),
            vec!["spec: Forbidden: only cpu and memory resources are mutable"]
        );
    }
}
