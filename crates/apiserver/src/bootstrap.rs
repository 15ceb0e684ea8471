//! Objects every cluster starts with: the system namespaces, the system priority classes, the
//! default ServiceCIDR, and the `kubernetes` Service with its Endpoints and EndpointSlice pointing
//! at this server. Created if absent (and the endpoints kept current) at every start.

use std::net::IpAddr;

use anyhow::{Context, Result};
use capstan_store::{DynStore, StoreError};
use serde_json::{Value, json};

use crate::admission::SYSTEM_PRIORITY_CLASSES;
use crate::allocator::{AllocError, Owner, ServiceAllocators};
use crate::object::{now_rfc3339, to_stored_bytes};

pub const SYSTEM_NAMESPACES: &[&str] =
    &["default", "kube-system", "kube-public", "kube-node-lease"];

fn meta(name: &str, namespace: Option<&str>) -> Value {
    let mut m = json!({
        "name": name,
        "uid": uuid::Uuid::new_v4().to_string(),
        "creationTimestamp": now_rfc3339(),
    });
    if let Some(ns) = namespace {
        m["namespace"] = json!(ns);
    }
    m
}

async fn create_if_absent(store: &DynStore, key: &str, obj: &Value) -> Result<()> {
    match store.create(key, to_stored_bytes(obj)).await {
        Ok(_) | Err(StoreError::AlreadyExists { .. }) => Ok(()),
        Err(e) => Err(e).with_context(|| format!("cannot create {key}")),
    }
}

/// Creates or replaces (without a precondition: this server owns the object).
async fn put(store: &DynStore, key: &str, obj: &Value) -> Result<()> {
    loop {
        match store.get(key, None).await?.kv {
            None => match store.create(key, to_stored_bytes(obj)).await {
                Ok(_) => return Ok(()),
                Err(StoreError::AlreadyExists { .. }) => continue,
                Err(e) => return Err(e.into()),
            },
            Some(kv) => {
                // Keep identity (uid, creation time) of what is there.
                let mut obj = obj.clone();
                if let Ok(old) = serde_json::from_slice::<Value>(&kv.value) {
                    for f in ["uid", "creationTimestamp"] {
                        if let Some(v) = old.pointer(&format!("/metadata/{f}")) {
                            obj["metadata"][f] = v.clone();
                        }
                    }
                    if old == obj {
                        return Ok(());
                    }
                }
                match store
                    .update(key, to_stored_bytes(&obj), kv.mod_revision)
                    .await
                {
                    Ok(_) => return Ok(()),
                    Err(StoreError::Conflict { .. }) => continue,
                    Err(e) => return Err(e.into()),
                }
            }
        }
    }
}

pub async fn run(
    store: &DynStore,
    allocators: &ServiceAllocators,
    advertise: IpAddr,
    port: u16,
) -> Result<()> {
    for ns in SYSTEM_NAMESPACES {
        let mut m = meta(ns, None);
        m["labels"] = json!({"kubernetes.io/metadata.name": ns});
        let obj = json!({"apiVersion": "v1", "kind": "Namespace", "metadata": m,
                         "spec": {"finalizers": ["kubernetes"]}, "status": {"phase": "Active"}});
        create_if_absent(store, &format!("/registry/core/namespaces/{ns}"), &obj).await?;
    }
    for (name, value) in SYSTEM_PRIORITY_CLASSES {
        let obj = json!({"apiVersion": "scheduling.k8s.io/v1", "kind": "PriorityClass",
                         "metadata": meta(name, None), "value": value,
                         "description": "Used for system critical pods that must not be moved from their current node.",
                         "preemptionPolicy": "PreemptLowerPriority"});
        create_if_absent(
            store,
            &format!("/registry/scheduling.k8s.io/priorityclasses/{name}"),
            &obj,
        )
        .await?;
    }
    let cidr = allocators.service_cidr.to_string();
    let service_cidr = json!({"apiVersion": "networking.k8s.io/v1", "kind": "ServiceCIDR",
                              "metadata": meta("kubernetes", None), "spec": {"cidrs": [cidr]},
                              "status": {"conditions": [{"type": "Ready", "status": "True",
                                  "reason": "", "message": "Kubernetes Service CIDR is ready",
                                  "lastTransitionTime": now_rfc3339()}]}});
    create_if_absent(
        store,
        "/registry/networking.k8s.io/servicecidrs/kubernetes",
        &service_cidr,
    )
    .await?;

    // The `kubernetes` Service on the first service address.
    let ip = allocators.api_service_ip();
    let svc_meta = meta("kubernetes", Some("default"));
    let owner = Owner {
        namespace: "default".into(),
        name: "kubernetes".into(),
        uid: svc_meta["uid"].as_str().unwrap_or("").into(),
    };
    match allocators.claim_ip(ip, &owner).await {
        Ok(()) | Err(AllocError::Taken) => {}
        Err(e) => anyhow::bail!("cannot reserve {ip} for the kubernetes service: {e:?}"),
    }
    let mut m = svc_meta;
    m["labels"] = json!({"component": "apiserver", "provider": "kubernetes"});
    let svc = json!({"apiVersion": "v1", "kind": "Service", "metadata": m,
        "spec": {"type": "ClusterIP", "clusterIP": ip.to_string(), "clusterIPs": [ip.to_string()],
                 "ipFamilies": ["IPv4"], "ipFamilyPolicy": "SingleStack", "sessionAffinity": "None",
                 "internalTrafficPolicy": "Cluster",
                 "ports": [{"name": "https", "port": 443, "protocol": "TCP", "targetPort": port}]},
        "status": {"loadBalancer": {}}});
    create_if_absent(store, "/registry/core/services/default/kubernetes", &svc).await?;

    let mut ep_meta = meta("kubernetes", Some("default"));
    ep_meta["labels"] = json!({"endpointslice.kubernetes.io/skip-mirror": "true"});
    let endpoints = json!({"apiVersion": "v1", "kind": "Endpoints", "metadata": ep_meta,
        "subsets": [{"addresses": [{"ip": advertise.to_string()}],
                     "ports": [{"name": "https", "port": port, "protocol": "TCP"}]}]});
    put(
        store,
        "/registry/core/endpoints/default/kubernetes",
        &endpoints,
    )
    .await?;
    let mut slice_meta = meta("kubernetes", Some("default"));
    slice_meta["labels"] = json!({"kubernetes.io/service-name": "kubernetes",
                                  "endpointslice.kubernetes.io/managed-by": "endpointslice-controller.k8s.io"});
    let slice = json!({"apiVersion": "discovery.k8s.io/v1", "kind": "EndpointSlice", "metadata": slice_meta,
        "addressType": "IPv4",
        "endpoints": [{"addresses": [advertise.to_string()], "conditions": {"ready": true}}],
        "ports": [{"name": "https", "port": port, "protocol": "TCP"}]});
    put(
        store,
        "/registry/discovery.k8s.io/endpointslices/default/kubernetes",
        &slice,
    )
    .await?;
    Ok(())
}
