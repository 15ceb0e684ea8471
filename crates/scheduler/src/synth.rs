//! Builders for synthetic nodes and pods, used by tests and the benchmark.

use std::collections::BTreeMap;

use k8s_openapi::api::core::v1::{
    Affinity, Container, ContainerImage, ContainerPort, Node, NodeAffinity, NodeSelector,
    NodeSelectorRequirement, NodeSelectorTerm, NodeSpec, NodeStatus,
    PersistentVolumeClaimVolumeSource, Pod, PodAffinity, PodAffinityTerm, PodAntiAffinity, PodSpec,
    PodStatus, ResourceRequirements, Taint, Toleration, TopologySpreadConstraint, Volume,
    WeightedPodAffinityTerm,
};
use k8s_openapi::apimachinery::pkg::api::resource::Quantity;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{LabelSelector, ObjectMeta};

fn q(s: &str) -> Quantity {
    Quantity(s.to_string())
}

fn selector(labels: &[(&str, &str)]) -> LabelSelector {
    LabelSelector {
        match_labels: Some(
            labels
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
        ),
        ..Default::default()
    }
}

/// Builds a `Node`.
#[derive(Clone, Debug)]
pub struct NodeBuilder(Node);

impl NodeBuilder {
    /// A node with the `kubernetes.io/hostname` label and no capacity.
    pub fn new(name: &str) -> NodeBuilder {
        let mut labels = BTreeMap::new();
        labels.insert("kubernetes.io/hostname".to_string(), name.to_string());
        NodeBuilder(Node {
            metadata: ObjectMeta {
                name: Some(name.to_string()),
                labels: Some(labels),
                ..Default::default()
            },
            spec: Some(NodeSpec::default()),
            status: Some(NodeStatus::default()),
        })
    }

    /// Sets allocatable (and capacity) CPU, memory and pods.
    pub fn capacity(mut self, cpu: &str, memory: &str, pods: &str) -> NodeBuilder {
        let status = self.0.status.get_or_insert_with(Default::default);
        let mut alloc = status.allocatable.take().unwrap_or_default();
        alloc.insert("cpu".into(), q(cpu));
        alloc.insert("memory".into(), q(memory));
        alloc.insert("pods".into(), q(pods));
        status.capacity = Some(alloc.clone());
        status.allocatable = Some(alloc);
        self
    }

    pub fn resource(mut self, name: &str, amount: &str) -> NodeBuilder {
        let status = self.0.status.get_or_insert_with(Default::default);
        status
            .allocatable
            .get_or_insert_with(Default::default)
            .insert(name.to_string(), q(amount));
        self
    }

    pub fn label(mut self, key: &str, value: &str) -> NodeBuilder {
        self.0
            .metadata
            .labels
            .get_or_insert_with(Default::default)
            .insert(key.to_string(), value.to_string());
        self
    }

    pub fn taint(mut self, key: &str, value: &str, effect: &str) -> NodeBuilder {
        let spec = self.0.spec.get_or_insert_with(Default::default);
        spec.taints.get_or_insert_with(Vec::new).push(Taint {
            key: key.to_string(),
            value: (!value.is_empty()).then(|| value.to_string()),
            effect: effect.to_string(),
            ..Default::default()
        });
        self
    }

    pub fn unschedulable(mut self) -> NodeBuilder {
        self.0
            .spec
            .get_or_insert_with(Default::default)
            .unschedulable = Some(true);
        self
    }

    pub fn image(mut self, names: &[&str], size: i64) -> NodeBuilder {
        let status = self.0.status.get_or_insert_with(Default::default);
        status
            .images
            .get_or_insert_with(Vec::new)
            .push(ContainerImage {
                names: Some(names.iter().map(|s| s.to_string()).collect()),
                size_bytes: Some(size),
            });
        self
    }

    pub fn build(self) -> Node {
        self.0
    }
}

/// Builds a `Pod` with one container.
#[derive(Clone, Debug)]
pub struct PodBuilder(Pod);

impl PodBuilder {
    pub fn new(namespace: &str, name: &str) -> PodBuilder {
        PodBuilder(Pod {
            metadata: ObjectMeta {
                namespace: Some(namespace.to_string()),
                name: Some(name.to_string()),
                uid: Some(format!("uid-{namespace}-{name}")),
                ..Default::default()
            },
            spec: Some(PodSpec {
                containers: vec![Container {
                    name: "c".to_string(),
                    image: Some("registry.k8s.io/pause:3.10".to_string()),
                    ..Default::default()
                }],
                ..Default::default()
            }),
            status: Some(PodStatus::default()),
        })
    }

    fn spec(&mut self) -> &mut PodSpec {
        self.0.spec.get_or_insert_with(Default::default)
    }

    /// Sets CPU and memory requests of the first container (empty = unset).
    pub fn req(mut self, cpu: &str, memory: &str) -> PodBuilder {
        let c = &mut self.spec().containers[0];
        let r = c
            .resources
            .get_or_insert_with(ResourceRequirements::default);
        let reqs = r.requests.get_or_insert_with(Default::default);
        if !cpu.is_empty() {
            reqs.insert("cpu".into(), q(cpu));
        }
        if !memory.is_empty() {
            reqs.insert("memory".into(), q(memory));
        }
        self
    }

    pub fn resource(mut self, name: &str, amount: &str) -> PodBuilder {
        let c = &mut self.spec().containers[0];
        c.resources
            .get_or_insert_with(ResourceRequirements::default)
            .requests
            .get_or_insert_with(Default::default)
            .insert(name.to_string(), q(amount));
        self
    }

    pub fn label(mut self, key: &str, value: &str) -> PodBuilder {
        self.0
            .metadata
            .labels
            .get_or_insert_with(Default::default)
            .insert(key.to_string(), value.to_string());
        self
    }

    pub fn priority(mut self, p: i32) -> PodBuilder {
        self.spec().priority = Some(p);
        self
    }

    pub fn node(mut self, name: &str) -> PodBuilder {
        self.spec().node_name = Some(name.to_string());
        self
    }

    pub fn scheduler_name(mut self, name: &str) -> PodBuilder {
        self.spec().scheduler_name = Some(name.to_string());
        self
    }

    pub fn node_selector(mut self, key: &str, value: &str) -> PodBuilder {
        self.spec()
            .node_selector
            .get_or_insert_with(Default::default)
            .insert(key.to_string(), value.to_string());
        self
    }

    /// Required node affinity with one term of one expression.
    pub fn node_affinity_in(self, key: &str, op: &str, values: &[&str]) -> PodBuilder {
        let term = NodeSelectorTerm {
            match_expressions: Some(vec![NodeSelectorRequirement {
                key: key.to_string(),
                operator: op.to_string(),
                values: (!values.is_empty())
                    .then(|| values.iter().map(|s| s.to_string()).collect()),
            }]),
            ..Default::default()
        };
        self.node_affinity_term(term)
    }

    /// Adds an ORed required node selector term.
    pub fn node_affinity_term(mut self, term: NodeSelectorTerm) -> PodBuilder {
        let na = self.node_affinity_mut();
        na.required_during_scheduling_ignored_during_execution
            .get_or_insert_with(|| NodeSelector {
                node_selector_terms: Vec::new(),
            })
            .node_selector_terms
            .push(term);
        self
    }

    pub fn preferred_node_affinity(
        mut self,
        weight: i32,
        key: &str,
        values: &[&str],
    ) -> PodBuilder {
        let na = self.node_affinity_mut();
        na.preferred_during_scheduling_ignored_during_execution
            .get_or_insert_with(Vec::new)
            .push(k8s_openapi::api::core::v1::PreferredSchedulingTerm {
                weight,
                preference: NodeSelectorTerm {
                    match_expressions: Some(vec![NodeSelectorRequirement {
                        key: key.to_string(),
                        operator: "In".to_string(),
                        values: Some(values.iter().map(|s| s.to_string()).collect()),
                    }]),
                    ..Default::default()
                },
            });
        self
    }

    fn node_affinity_mut(&mut self) -> &mut NodeAffinity {
        self.spec()
            .affinity
            .get_or_insert_with(Affinity::default)
            .node_affinity
            .get_or_insert_with(NodeAffinity::default)
    }

    pub fn toleration(mut self, key: &str, op: &str, value: &str, effect: &str) -> PodBuilder {
        self.spec()
            .tolerations
            .get_or_insert_with(Vec::new)
            .push(Toleration {
                key: (!key.is_empty()).then(|| key.to_string()),
                operator: (!op.is_empty()).then(|| op.to_string()),
                value: (!value.is_empty()).then(|| value.to_string()),
                effect: (!effect.is_empty()).then(|| effect.to_string()),
                ..Default::default()
            });
        self
    }

    pub fn host_port(mut self, port: i32, protocol: &str, ip: &str) -> PodBuilder {
        let c = &mut self.spec().containers[0];
        c.ports.get_or_insert_with(Vec::new).push(ContainerPort {
            container_port: port,
            host_port: Some(port),
            protocol: (!protocol.is_empty()).then(|| protocol.to_string()),
            host_ip: (!ip.is_empty()).then(|| ip.to_string()),
            ..Default::default()
        });
        self
    }

    fn term(key: &str, labels: &[(&str, &str)]) -> PodAffinityTerm {
        PodAffinityTerm {
            label_selector: Some(selector(labels)),
            topology_key: key.to_string(),
            ..Default::default()
        }
    }

    pub fn pod_affinity(mut self, key: &str, labels: &[(&str, &str)]) -> PodBuilder {
        self.spec()
            .affinity
            .get_or_insert_with(Affinity::default)
            .pod_affinity
            .get_or_insert_with(PodAffinity::default)
            .required_during_scheduling_ignored_during_execution
            .get_or_insert_with(Vec::new)
            .push(Self::term(key, labels));
        self
    }

    pub fn pod_anti_affinity(self, key: &str, labels: &[(&str, &str)]) -> PodBuilder {
        self.pod_anti_affinity_term(Self::term(key, labels))
    }

    pub fn pod_anti_affinity_term(mut self, term: PodAffinityTerm) -> PodBuilder {
        self.spec()
            .affinity
            .get_or_insert_with(Affinity::default)
            .pod_anti_affinity
            .get_or_insert_with(PodAntiAffinity::default)
            .required_during_scheduling_ignored_during_execution
            .get_or_insert_with(Vec::new)
            .push(term);
        self
    }

    pub fn preferred_pod_affinity(
        mut self,
        weight: i32,
        key: &str,
        labels: &[(&str, &str)],
    ) -> PodBuilder {
        self.spec()
            .affinity
            .get_or_insert_with(Affinity::default)
            .pod_affinity
            .get_or_insert_with(PodAffinity::default)
            .preferred_during_scheduling_ignored_during_execution
            .get_or_insert_with(Vec::new)
            .push(WeightedPodAffinityTerm {
                weight,
                pod_affinity_term: Self::term(key, labels),
            });
        self
    }

    pub fn preferred_pod_anti_affinity(
        mut self,
        weight: i32,
        key: &str,
        labels: &[(&str, &str)],
    ) -> PodBuilder {
        self.spec()
            .affinity
            .get_or_insert_with(Affinity::default)
            .pod_anti_affinity
            .get_or_insert_with(PodAntiAffinity::default)
            .preferred_during_scheduling_ignored_during_execution
            .get_or_insert_with(Vec::new)
            .push(WeightedPodAffinityTerm {
                weight,
                pod_affinity_term: Self::term(key, labels),
            });
        self
    }

    pub fn spread(
        self,
        max_skew: i32,
        key: &str,
        when: &str,
        labels: &[(&str, &str)],
    ) -> PodBuilder {
        self.spread_constraint(TopologySpreadConstraint {
            max_skew,
            topology_key: key.to_string(),
            when_unsatisfiable: when.to_string(),
            label_selector: Some(selector(labels)),
            ..Default::default()
        })
    }

    pub fn spread_constraint(mut self, c: TopologySpreadConstraint) -> PodBuilder {
        self.spec()
            .topology_spread_constraints
            .get_or_insert_with(Vec::new)
            .push(c);
        self
    }

    pub fn pvc(mut self, claim: &str) -> PodBuilder {
        self.spec()
            .volumes
            .get_or_insert_with(Vec::new)
            .push(Volume {
                name: claim.to_string(),
                persistent_volume_claim: Some(PersistentVolumeClaimVolumeSource {
                    claim_name: claim.to_string(),
                    ..Default::default()
                }),
                ..Default::default()
            });
        self
    }

    pub fn image(mut self, image: &str) -> PodBuilder {
        self.spec().containers[0].image = Some(image.to_string());
        self
    }

    pub fn nominated(mut self, node: &str) -> PodBuilder {
        self.0
            .status
            .get_or_insert_with(Default::default)
            .nominated_node_name = Some(node.to_string());
        self
    }

    pub fn preemption_never(mut self) -> PodBuilder {
        self.spec().preemption_policy = Some("Never".to_string());
        self
    }

    pub fn start_time_secs(mut self, secs: i64) -> PodBuilder {
        let ts = k8s_openapi::jiff::Timestamp::from_second(secs).unwrap_or_default();
        self.0
            .status
            .get_or_insert_with(Default::default)
            .start_time = Some(k8s_openapi::apimachinery::pkg::apis::meta::v1::Time(ts));
        self
    }

    pub fn gate(mut self, name: &str) -> PodBuilder {
        self.spec()
            .scheduling_gates
            .get_or_insert_with(Vec::new)
            .push(k8s_openapi::api::core::v1::PodSchedulingGate {
                name: name.to_string(),
            });
        self
    }

    pub fn controller(mut self, api_version: &str, kind: &str, name: &str) -> PodBuilder {
        self.0
            .metadata
            .owner_references
            .get_or_insert_with(Vec::new)
            .push(
                k8s_openapi::apimachinery::pkg::apis::meta::v1::OwnerReference {
                    api_version: api_version.to_string(),
                    kind: kind.to_string(),
                    name: name.to_string(),
                    uid: format!("uid-{name}"),
                    controller: Some(true),
                    ..Default::default()
                },
            );
        self
    }

    pub fn build(self) -> Pod {
        self.0
    }
}
