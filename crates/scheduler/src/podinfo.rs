//! `PodInfo`: a pod parsed once into what the plugins need (requests,
//! ports, tolerations, compiled affinity), shared by cache and queue.

use std::collections::BTreeMap;
use std::sync::Arc;

use capstan_apimachinery::labels::Selector;
use k8s_openapi::api::core::v1::{Pod, Toleration, TopologySpreadConstraint};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::Time;

use crate::resources::{PodRequests, compute_pod_requests};
use crate::terms::{
    AffinityTerm, NodeTerm, NodeTerms, RequiredNodeAffinity, WeightedTerm, compile_affinity_term,
};

/// The identity of a pod in cache and queue: its UID, or `namespace/name`
/// for objects without one.
pub type PodId = Arc<str>;

/// Returns the cache key of a pod.
pub fn pod_id(pod: &Pod) -> PodId {
    match pod.metadata.uid.as_deref() {
        Some(uid) if !uid.is_empty() => Arc::from(uid),
        _ => Arc::from(format!(
            "{}/{}",
            pod.metadata.namespace.as_deref().unwrap_or(""),
            pod.metadata.name.as_deref().unwrap_or("")
        )),
    }
}

/// One host port a container asks for.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct HostPort {
    pub ip: String,
    pub protocol: String,
    pub port: i32,
}

/// Controller owner reference (kind, apiVersion, name).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ControllerRef {
    pub api_version: String,
    pub kind: String,
    pub name: String,
}

/// A parsed pod.
#[derive(Debug)]
pub struct PodInfo {
    pub pod: Arc<Pod>,
    pub id: PodId,
    pub namespace: String,
    pub name: String,
    pub labels: BTreeMap<String, String>,
    pub priority: i32,
    pub requests: PodRequests,
    pub host_ports: Vec<HostPort>,
    pub tolerations: Vec<Toleration>,
    pub node_affinity: RequiredNodeAffinity,
    pub preferred_node_terms: Vec<(i32, NodeTerm)>,
    pub required_affinity: Vec<AffinityTerm>,
    pub required_anti_affinity: Vec<AffinityTerm>,
    pub preferred_affinity: Vec<WeightedTerm>,
    pub preferred_anti_affinity: Vec<WeightedTerm>,
    /// Why affinity terms could not be compiled, if they could not.
    pub affinity_error: Option<String>,
    pub spread_constraints: Vec<TopologySpreadConstraint>,
    /// Images of init and regular containers, normalized with `:latest`.
    pub images: Vec<String>,
    pub num_containers: usize,
    /// Names of the PersistentVolumeClaims the pod's volumes use.
    pub pvc_names: Vec<String>,
    pub terminating: bool,
    pub start_time: Option<Time>,
    pub preemption_never: bool,
    pub nominated_node: Option<String>,
    pub scheduler_name: String,
    pub node_name: Option<String>,
    pub scheduling_gates: Vec<String>,
    pub controller: Option<ControllerRef>,
}

/// Upstream `normalizedImageName`: a tagless, digestless name gets `:latest`.
pub fn normalized_image_name(name: &str) -> String {
    let colon = name.rfind(':');
    let slash = name.rfind('/');
    let has_tag = match (colon, slash) {
        (Some(c), Some(s)) => c > s,
        (Some(_), None) => true,
        _ => false,
    };
    if has_tag {
        name.to_string()
    } else {
        format!("{name}:latest")
    }
}

impl PodInfo {
    pub fn new(pod: Pod) -> PodInfo {
        PodInfo::from_arc(Arc::new(pod))
    }

    pub fn from_arc(pod: Arc<Pod>) -> PodInfo {
        let meta = &pod.metadata;
        let namespace = meta.namespace.clone().unwrap_or_default();
        let labels = meta.labels.clone().unwrap_or_default();
        let empty_spec;
        let spec = match pod.spec.as_ref() {
            Some(s) => s,
            None => {
                empty_spec = k8s_openapi::api::core::v1::PodSpec::default();
                &empty_spec
            }
        };
        let status = pod.status.as_ref();

        let mut host_ports = Vec::new();
        for c in &spec.containers {
            for p in c.ports.iter().flatten() {
                if let Some(hp) = p.host_port.filter(|p| *p > 0) {
                    let ip = p.host_ip.clone().filter(|i| !i.is_empty());
                    let protocol = p.protocol.clone().filter(|p| !p.is_empty());
                    host_ports.push(HostPort {
                        ip: ip.unwrap_or_else(|| crate::nodeinfo::BIND_ALL_HOST_IP.to_string()),
                        protocol: protocol.unwrap_or_else(|| "TCP".to_string()),
                        port: hp,
                    });
                }
            }
        }

        let node_affinity_spec = spec
            .affinity
            .as_ref()
            .and_then(|a| a.node_affinity.as_ref());
        let node_affinity = RequiredNodeAffinity {
            node_selector: spec
                .node_selector
                .as_ref()
                .filter(|m| !m.is_empty())
                .map(Selector::from_set),
            terms: node_affinity_spec
                .and_then(|a| {
                    a.required_during_scheduling_ignored_during_execution
                        .as_ref()
                })
                .map(NodeTerms::compile),
        };
        let preferred_node_terms = node_affinity_spec
            .and_then(|a| {
                a.preferred_during_scheduling_ignored_during_execution
                    .as_ref()
            })
            .map(|terms| {
                terms
                    .iter()
                    .filter(|t| t.weight != 0)
                    .map(|t| (t.weight, NodeTerm::compile(&t.preference)))
                    .collect()
            })
            .unwrap_or_default();

        let mut affinity_error = None;
        let mut compile = |terms: Option<&Vec<k8s_openapi::api::core::v1::PodAffinityTerm>>| {
            let mut out = Vec::new();
            for t in terms.into_iter().flatten() {
                match compile_affinity_term(t, &namespace, &labels) {
                    Ok(t) => out.push(t),
                    Err(e) => affinity_error = Some(e),
                }
            }
            out
        };
        let pod_affinity = spec.affinity.as_ref().and_then(|a| a.pod_affinity.as_ref());
        let pod_anti = spec
            .affinity
            .as_ref()
            .and_then(|a| a.pod_anti_affinity.as_ref());
        let required_affinity = compile(pod_affinity.and_then(|a| {
            a.required_during_scheduling_ignored_during_execution
                .as_ref()
        }));
        let required_anti_affinity = compile(pod_anti.and_then(|a| {
            a.required_during_scheduling_ignored_during_execution
                .as_ref()
        }));
        let mut weighted =
            |terms: Option<&Vec<k8s_openapi::api::core::v1::WeightedPodAffinityTerm>>| {
                let mut out = Vec::new();
                for t in terms.into_iter().flatten() {
                    match compile_affinity_term(&t.pod_affinity_term, &namespace, &labels) {
                        Ok(term) => out.push(WeightedTerm {
                            term,
                            weight: t.weight,
                        }),
                        Err(e) => affinity_error = Some(e),
                    }
                }
                out
            };
        let preferred_affinity = weighted(pod_affinity.and_then(|a| {
            a.preferred_during_scheduling_ignored_during_execution
                .as_ref()
        }));
        let preferred_anti_affinity = weighted(pod_anti.and_then(|a| {
            a.preferred_during_scheduling_ignored_during_execution
                .as_ref()
        }));

        let mut images = Vec::new();
        for c in spec
            .init_containers
            .iter()
            .flatten()
            .chain(spec.containers.iter())
        {
            images.push(normalized_image_name(c.image.as_deref().unwrap_or("")));
        }
        let num_containers = images.len();

        let pod_name = meta.name.clone().unwrap_or_default();
        let mut pvc_names = Vec::new();
        for v in spec.volumes.iter().flatten() {
            if let Some(pvc) = &v.persistent_volume_claim {
                pvc_names.push(pvc.claim_name.clone());
            } else if v.ephemeral.is_some() {
                pvc_names.push(format!("{pod_name}-{}", v.name));
            }
        }

        let controller = meta
            .owner_references
            .iter()
            .flatten()
            .find(|o| o.controller == Some(true))
            .map(|o| ControllerRef {
                api_version: o.api_version.clone(),
                kind: o.kind.clone(),
                name: o.name.clone(),
            });

        PodInfo {
            id: pod_id(&pod),
            name: pod_name,
            labels,
            priority: spec.priority.unwrap_or(0),
            requests: compute_pod_requests(spec),
            host_ports,
            tolerations: spec.tolerations.clone().unwrap_or_default(),
            node_affinity,
            preferred_node_terms,
            required_affinity,
            required_anti_affinity,
            preferred_affinity,
            preferred_anti_affinity,
            affinity_error,
            spread_constraints: spec.topology_spread_constraints.clone().unwrap_or_default(),
            images,
            num_containers,
            pvc_names,
            terminating: meta.deletion_timestamp.is_some(),
            start_time: status.and_then(|s| s.start_time.clone()),
            preemption_never: spec.preemption_policy.as_deref() == Some("Never"),
            nominated_node: status
                .and_then(|s| s.nominated_node_name.clone())
                .filter(|n| !n.is_empty()),
            scheduler_name: spec
                .scheduler_name
                .clone()
                .unwrap_or_else(|| crate::DEFAULT_SCHEDULER_NAME.to_string()),
            node_name: spec.node_name.clone().filter(|n| !n.is_empty()),
            scheduling_gates: spec
                .scheduling_gates
                .iter()
                .flatten()
                .map(|g| g.name.clone())
                .collect(),
            controller,
            namespace,
            pod: Arc::clone(&pod),
        }
    }

    /// Whether the pod has any pod affinity or anti-affinity term.
    pub fn has_affinity_terms(&self) -> bool {
        !self.required_affinity.is_empty()
            || !self.required_anti_affinity.is_empty()
            || !self.preferred_affinity.is_empty()
            || !self.preferred_anti_affinity.is_empty()
    }

    pub fn key(&self) -> String {
        format!("{}/{}", self.namespace, self.name)
    }
}

#[cfg(test)]
mod tests;
