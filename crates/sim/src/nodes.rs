//! Registering the simulated nodes and their Leases, then keeping both fresh.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use futures::StreamExt;
use k8s_openapi::api::coordination::v1::Lease;
use k8s_openapi::api::core::v1::Node;
use kube::Client;
use kube::api::{Api, Patch, PatchParams, PostParams};
use parking_lot::Mutex;
use serde_json::Value;

use crate::cadence::{self, Cadence};
use crate::node::{
    self, NodeShape, SIMULATED, heartbeat_patch, lease_object, node_object, now_micro, now_rfc3339,
};

/// The agent's field manager, as the kubelet's is `kubelet`.
pub const MANAGER: &str = "capstan-sim";

/// One registered node.
#[derive(Debug, Clone)]
pub struct SimNode {
    pub name: String,
    pub index: usize,
    pub uid: String,
}

fn is_status(e: &kube::Error, code: u16) -> bool {
    matches!(e, kube::Error::Api(s) if s.code == code)
}

fn typed<T: serde::de::DeserializeOwned>(v: Value) -> T {
    serde_json::from_value(v).expect("simulated objects are well-formed")
}

fn post_params() -> PostParams {
    PostParams {
        field_manager: Some(MANAGER.into()),
        ..Default::default()
    }
}

/// Creates `count` nodes named `prefix`+index (or adopts simulated ones left by an earlier run),
/// printing progress.
pub async fn register(
    client: &Client,
    prefix: &str,
    count: usize,
    shape: &NodeShape,
    concurrency: usize,
) -> anyhow::Result<Vec<SimNode>> {
    if count > node::MAX_NODES {
        bail!(
            "at most {} simulated nodes fit the address plan",
            node::MAX_NODES
        );
    }
    let api: Api<Node> = Api::all(client.clone());
    let started = Instant::now();
    let mut last_report = Instant::now();
    let mut nodes = Vec::with_capacity(count);
    let mut results = futures::stream::iter(0..count)
        .map(|index| {
            let api = api.clone();
            let name = node::node_name(prefix, index, count);
            async move {
                let object: Node = typed(node_object(&name, index, shape, &now_rfc3339()));
                let created = match api.create(&post_params(), &object).await {
                    Ok(n) => n,
                    Err(e) if is_status(&e, 409) => {
                        let existing = api.get(&name).await?;
                        let simulated = existing
                            .metadata
                            .labels
                            .as_ref()
                            .is_some_and(|l| l.get(SIMULATED).is_some_and(|v| v == "true"));
                        if !simulated {
                            bail!(
                                "node {name} exists and is not simulated; choose another --prefix"
                            );
                        }
                        existing
                    }
                    Err(e) => {
                        return Err(anyhow::Error::new(e))
                            .with_context(|| format!("cannot register node {name}"));
                    }
                };
                Ok(SimNode {
                    name,
                    index,
                    uid: created.metadata.uid.unwrap_or_default(),
                })
            }
        })
        .buffer_unordered(concurrency.max(1));
    while let Some(node) = results.next().await {
        nodes.push(node?);
        if last_report.elapsed() > Duration::from_secs(2) {
            eprintln!("registered {}/{count} simulated nodes", nodes.len());
            last_report = Instant::now();
        }
    }
    nodes.sort_by_key(|n| n.index);
    eprintln!(
        "registered {count} simulated nodes in {:.1}s",
        started.elapsed().as_secs_f64()
    );
    Ok(nodes)
}

/// The Leases of the simulated nodes, renewed by resourceVersion (no read before each write).
pub struct Leases {
    api: Api<Lease>,
    duration_seconds: u32,
    /// name → (node uid, last resourceVersion)
    state: Mutex<HashMap<String, (String, String)>>,
}

impl Leases {
    pub fn new(client: &Client, nodes: &[SimNode], duration_seconds: u32) -> Leases {
        Leases {
            api: Api::namespaced(client.clone(), "kube-node-lease"),
            duration_seconds,
            state: Mutex::new(
                nodes
                    .iter()
                    .map(|n| (n.name.clone(), (n.uid.clone(), String::new())))
                    .collect(),
            ),
        }
    }

    fn object(&self, name: &str, uid: &str, resource_version: &str) -> Lease {
        let mut lease = lease_object(name, uid, self.duration_seconds, &now_micro());
        if !resource_version.is_empty() {
            lease["metadata"]["resourceVersion"] = resource_version.into();
        }
        typed(lease)
    }

    /// Renews (or creates) one node's Lease; false if it could not.
    pub async fn renew(&self, name: &str) -> bool {
        for _ in 0..3 {
            let Some((uid, rv)) = self.state.lock().get(name).cloned() else {
                return false;
            };
            let result = if rv.is_empty() {
                self.api
                    .create(&post_params(), &self.object(name, &uid, ""))
                    .await
            } else {
                self.api
                    .replace(name, &post_params(), &self.object(name, &uid, &rv))
                    .await
            };
            match result {
                Ok(lease) => {
                    self.remember(name, lease.metadata.resource_version);
                    return true;
                }
                // Someone else wrote it (or it exists already): take its version and retry.
                Err(e) if is_status(&e, 409) => match self.api.get(name).await {
                    Ok(current) => self.remember(name, current.metadata.resource_version),
                    Err(e) => {
                        tracing::warn!(lease = name, error = %e, "cannot read lease");
                        return false;
                    }
                },
                Err(e) if is_status(&e, 404) => self.remember(name, None),
                Err(e) => {
                    tracing::warn!(lease = name, error = %e, "cannot renew lease");
                    return false;
                }
            }
        }
        false
    }

    fn remember(&self, name: &str, resource_version: Option<String>) {
        if let Some(entry) = self.state.lock().get_mut(name) {
            entry.1 = resource_version.unwrap_or_default();
        }
    }
}

/// Renews every Lease once per `interval`, spread evenly.
pub async fn keep_leases(
    leases: Arc<Leases>,
    names: Arc<Vec<String>>,
    interval: Duration,
    cadence: Arc<Cadence>,
) {
    cadence::every(names, interval, 64, cadence, move |name| {
        let leases = leases.clone();
        async move { leases.renew(&name).await }
    })
    .await
}

/// Refreshes every node's condition heartbeats once per `interval`, spread evenly.
pub async fn keep_conditions(
    client: Client,
    names: Arc<Vec<String>>,
    interval: Duration,
    cadence: Arc<Cadence>,
) {
    let api: Api<Node> = Api::all(client);
    cadence::every(names, interval, 32, cadence, move |name| {
        let api = api.clone();
        async move {
            let params = PatchParams {
                field_manager: Some(MANAGER.into()),
                ..Default::default()
            };
            match api
                .patch_status(
                    &name,
                    &params,
                    &Patch::Strategic(heartbeat_patch(&now_rfc3339())),
                )
                .await
            {
                Ok(_) => true,
                Err(e) => {
                    tracing::warn!(node = %name, error = %e, "cannot update node status");
                    false
                }
            }
        }
    })
    .await
}
