//! Resource vectors and pod request arithmetic, as upstream's
//! `framework.Resource` and component-helpers `PodRequests`.

use std::collections::BTreeMap;
use std::sync::Arc;

use capstan_apimachinery::Quantity;
use k8s_openapi::api::core::v1::{Container, PodSpec};
use k8s_openapi::apimachinery::pkg::api::resource::Quantity as ApiQuantity;

/// CPU assumed for a container without a CPU request when spreading load.
pub const DEFAULT_MILLI_CPU_REQUEST: i64 = 100;
/// Memory assumed for a container without a memory request (200 MB).
pub const DEFAULT_MEMORY_REQUEST: i64 = 200 * 1024 * 1024;

pub const CPU: &str = "cpu";
pub const MEMORY: &str = "memory";
pub const EPHEMERAL_STORAGE: &str = "ephemeral-storage";
pub const PODS: &str = "pods";

/// A resource vector: CPU in millicores, everything else in units.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Resource {
    pub milli_cpu: i64,
    pub memory: i64,
    pub ephemeral_storage: i64,
    pub allowed_pod_number: i64,
    /// Extended, hugepages and other scalar resources, sorted by name.
    pub scalar: Vec<(Arc<str>, i64)>,
}

/// Upstream `IsScalarResourceName`: extended resources, hugepages,
/// `*kubernetes.io/*` native resources and attachable volumes.
pub fn is_scalar_resource_name(name: &str) -> bool {
    name.starts_with("hugepages-")
        || name.starts_with("attachable-volumes-")
        || name.contains("kubernetes.io/")
        || (name.contains('/') && !name.starts_with("requests."))
}

/// Upstream `IsExtendedResourceName`: domain-qualified, not `kubernetes.io/`.
pub fn is_extended_resource_name(name: &str) -> bool {
    name.contains('/') && !name.contains("kubernetes.io/") && !name.starts_with("requests.")
}

fn parse(q: &ApiQuantity) -> Option<Quantity> {
    Quantity::try_from(q).ok()
}

impl Resource {
    /// Builds a vector from an API resource list; unparsable quantities
    /// count as zero (the API server validates them).
    pub fn from_list(list: Option<&BTreeMap<String, ApiQuantity>>) -> Resource {
        let mut r = Resource::default();
        r.add_list(list);
        r
    }

    pub fn add_list(&mut self, list: Option<&BTreeMap<String, ApiQuantity>>) {
        for (name, q) in list.into_iter().flatten() {
            let Some(q) = parse(q) else { continue };
            match name.as_str() {
                CPU => self.milli_cpu += q.milli_value(),
                MEMORY => self.memory += q.value(),
                EPHEMERAL_STORAGE => self.ephemeral_storage += q.value(),
                PODS => self.allowed_pod_number += q.value(),
                other if is_scalar_resource_name(other) => self.add_scalar(other, q.value()),
                _ => {}
            }
        }
    }

    pub fn scalar(&self, name: &str) -> i64 {
        self.scalar
            .binary_search_by(|(n, _)| (**n).cmp(name))
            .map(|i| self.scalar[i].1)
            .unwrap_or(0)
    }

    pub fn has_scalar(&self, name: &str) -> bool {
        self.scalar
            .binary_search_by(|(n, _)| (**n).cmp(name))
            .is_ok()
    }

    pub fn add_scalar(&mut self, name: &str, value: i64) {
        match self.scalar.binary_search_by(|(n, _)| (**n).cmp(name)) {
            Ok(i) => self.scalar[i].1 += value,
            Err(i) => self.scalar.insert(i, (Arc::from(name), value)),
        }
    }

    fn set_scalar_max(&mut self, name: &Arc<str>, value: i64) {
        match self.scalar.binary_search_by(|(n, _)| n.cmp(name)) {
            Ok(i) => self.scalar[i].1 = self.scalar[i].1.max(value),
            Err(i) => self.scalar.insert(i, (name.clone(), value)),
        }
    }

    /// Adds another vector (pods count included).
    pub fn add(&mut self, other: &Resource) {
        self.milli_cpu += other.milli_cpu;
        self.memory += other.memory;
        self.ephemeral_storage += other.ephemeral_storage;
        self.allowed_pod_number += other.allowed_pod_number;
        for (name, v) in &other.scalar {
            self.add_scalar(name, *v);
        }
    }

    /// Subtracts another vector; scalar entries stay (possibly at zero) as upstream.
    pub fn sub(&mut self, other: &Resource) {
        self.milli_cpu -= other.milli_cpu;
        self.memory -= other.memory;
        self.ephemeral_storage -= other.ephemeral_storage;
        self.allowed_pod_number -= other.allowed_pod_number;
        for (name, v) in &other.scalar {
            self.add_scalar(name, -*v);
        }
    }

    /// Per-dimension maximum (upstream `SetMaxResource`).
    pub fn set_max(&mut self, other: &Resource) {
        self.milli_cpu = self.milli_cpu.max(other.milli_cpu);
        self.memory = self.memory.max(other.memory);
        self.ephemeral_storage = self.ephemeral_storage.max(other.ephemeral_storage);
        for (name, v) in &other.scalar {
            self.set_scalar_max(name, *v);
        }
    }

    /// Whether no dimension is requested.
    pub fn is_zero(&self) -> bool {
        self.milli_cpu == 0
            && self.memory == 0
            && self.ephemeral_storage == 0
            && self.scalar.is_empty()
    }

    /// The amount of one named resource (CPU in millicores).
    pub fn get(&self, name: &str) -> i64 {
        match name {
            CPU => self.milli_cpu,
            MEMORY => self.memory,
            EPHEMERAL_STORAGE => self.ephemeral_storage,
            PODS => self.allowed_pod_number,
            other => self.scalar(other),
        }
    }
}

/// A pod's requests as the scheduler accounts them.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PodRequests {
    /// Effective requests: max(sum of containers and sidecars, any init step) + overhead.
    pub requests: Resource,
    /// The same with 100m CPU / 200MB memory assumed for containers that
    /// request none, used for spreading scores.
    pub non_zero_cpu: i64,
    pub non_zero_memory: i64,
}

fn container_requests(c: &Container, defaults: bool) -> Resource {
    let list = c.resources.as_ref().and_then(|r| r.requests.as_ref());
    let mut r = Resource::from_list(list);
    if defaults {
        let has = |k: &str| list.is_some_and(|l| l.contains_key(k));
        if !has(CPU) {
            r.milli_cpu += DEFAULT_MILLI_CPU_REQUEST;
        }
        if !has(MEMORY) {
            r.memory += DEFAULT_MEMORY_REQUEST;
        }
    }
    r
}

fn is_sidecar(c: &Container) -> bool {
    c.restart_policy.as_deref() == Some("Always")
}

/// Upstream `PodRequests`: regular containers and restartable init
/// containers (sidecars) run together; each classic init container runs
/// with the sidecars started before it; the pod needs the larger of the two
/// plus its overhead. `defaults` assumes the non-zero request for
/// containers that set none.
pub fn pod_requests(spec: &PodSpec, defaults: bool) -> Resource {
    let mut reqs = Resource::default();
    for c in &spec.containers {
        reqs.add(&container_requests(c, defaults));
    }
    let mut sidecars = Resource::default();
    let mut init_max = Resource::default();
    for c in spec.init_containers.iter().flatten() {
        let own = container_requests(c, defaults);
        let step = if is_sidecar(c) {
            reqs.add(&own);
            sidecars.add(&own);
            sidecars.clone()
        } else {
            let mut step = own;
            step.add(&sidecars);
            step
        };
        init_max.set_max(&step);
    }
    reqs.set_max(&init_max);
    reqs.allowed_pod_number = 0;
    if let Some(overhead) = spec.overhead.as_ref() {
        reqs.add_list(Some(overhead));
        reqs.allowed_pod_number = 0;
    }
    reqs
}

/// Requests and non-zero CPU/memory of a pod spec.
pub fn compute_pod_requests(spec: &PodSpec) -> PodRequests {
    let requests = pod_requests(spec, false);
    let non_zero = pod_requests(spec, true);
    PodRequests {
        requests,
        non_zero_cpu: non_zero.milli_cpu,
        non_zero_memory: non_zero.memory,
    }
}

#[cfg(test)]
mod tests;
