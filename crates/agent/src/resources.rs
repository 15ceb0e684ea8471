//! Requests and limits: the pod's QoS class, and a container's CRI Linux resources (CPU shares,
//! CFS quota/period, memory limit, oom_score_adj) as the kubelet computes them. Pure.

use std::collections::BTreeMap;

use k8s_openapi::api::core::v1::{Container, Pod};
use k8s_openapi::apimachinery::pkg::api::resource::Quantity as ApiQuantity;

use crate::cri::pb;

pub const QUOTA_PERIOD: i64 = 100_000;
const MIN_SHARES: i64 = 2;
const MAX_SHARES: i64 = 262_144;
const SHARES_PER_CPU: i64 = 1024;
const MIN_QUOTA: i64 = 1000;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Qos {
    Guaranteed,
    Burstable,
    BestEffort,
}

impl Qos {
    pub fn as_str(self) -> &'static str {
        match self {
            Qos::Guaranteed => "Guaranteed",
            Qos::Burstable => "Burstable",
            Qos::BestEffort => "BestEffort",
        }
    }
}

fn quantity(q: &ApiQuantity) -> Option<capstan_apimachinery::Quantity> {
    capstan_apimachinery::Quantity::parse(&q.0).ok()
}

fn get<'a>(m: Option<&'a BTreeMap<String, ApiQuantity>>, k: &str) -> Option<&'a ApiQuantity> {
    m.and_then(|m| m.get(k))
}

/// Milli-CPU of a CPU quantity.
pub fn milli_cpu(q: Option<&ApiQuantity>) -> Option<i64> {
    q.and_then(quantity).map(|q| q.milli_value())
}

/// Bytes of a memory quantity.
pub fn bytes(q: Option<&ApiQuantity>) -> Option<i64> {
    q.and_then(quantity).map(|q| q.value())
}

/// The pod's QoS class (upstream's GetPodQOS): requests and limits of cpu and memory over all
/// containers and init containers.
pub fn qos_class(pod: &Pod) -> Qos {
    let Some(spec) = &pod.spec else {
        return Qos::BestEffort;
    };
    let mut requests: BTreeMap<&str, i64> = BTreeMap::new();
    let mut limits: BTreeMap<&str, i64> = BTreeMap::new();
    let mut guaranteed = true;
    let all = spec
        .containers
        .iter()
        .chain(spec.init_containers.iter().flatten());
    for c in all {
        let r = c.resources.as_ref();
        let req = r.and_then(|r| r.requests.as_ref());
        let lim = r.and_then(|r| r.limits.as_ref());
        for name in ["cpu", "memory"] {
            if let Some(q) = get(req, name).and_then(quantity)
                && q.sign() > 0
            {
                *requests.entry(name).or_default() += q.milli_value();
            }
        }
        let mut has_both = 0;
        for name in ["cpu", "memory"] {
            if let Some(q) = get(lim, name).and_then(quantity)
                && q.sign() > 0
            {
                *limits.entry(name).or_default() += q.milli_value();
                has_both += 1;
            }
        }
        if has_both < 2 {
            guaranteed = false;
        }
    }
    if requests.is_empty() && limits.is_empty() {
        return Qos::BestEffort;
    }
    if guaranteed {
        for (name, r) in &requests {
            if limits.get(name) != Some(r) {
                guaranteed = false;
            }
        }
    }
    if guaranteed && limits.len() == 2 {
        Qos::Guaranteed
    } else {
        Qos::Burstable
    }
}

/// CPU shares for a request (cgroup v1 cpu.shares), at least 2.
pub fn milli_cpu_to_shares(milli: i64) -> i64 {
    if milli == 0 {
        return MIN_SHARES;
    }
    (milli * SHARES_PER_CPU / 1000).clamp(MIN_SHARES, MAX_SHARES)
}

/// CFS quota for a limit over `period` µs, at least 1 ms.
pub fn milli_cpu_to_quota(milli: i64, period: i64) -> i64 {
    if milli == 0 {
        return 0;
    }
    (milli * period / 1000).max(MIN_QUOTA)
}

/// The oom_score_adj the kubelet gives a container: -997 for Guaranteed, 1000 for BestEffort,
/// and for Burstable 1000 − 1000·request/capacity within [2, 999]. Clamped to ≥ 0 when the
/// process may not lower scores (no CAP_SYS_RESOURCE): runc fails otherwise.
pub fn oom_score_adj(qos: Qos, memory_request: i64, memory_capacity: i64, may_lower: bool) -> i64 {
    let score = match qos {
        Qos::Guaranteed => -997,
        Qos::BestEffort => 1000,
        Qos::Burstable => {
            let capacity = memory_capacity.max(1);
            let adj = 1000 - (1000 * memory_request.max(0)) / capacity;
            adj.clamp(2, 999)
        }
    };
    if may_lower { score } else { score.max(0) }
}

/// Whether this process has CAP_SYS_RESOURCE (needed for negative oom_score_adj).
pub fn has_cap_sys_resource() -> bool {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("CapEff:"))
        .and_then(|hex| u64::from_str_radix(hex.trim(), 16).ok())
        .is_some_and(|caps| caps & (1 << 24) != 0)
}

/// The CRI resources of one container.
pub fn container_resources(
    c: &Container,
    qos: Qos,
    memory_capacity: i64,
    may_lower_oom: bool,
) -> pb::LinuxContainerResources {
    let r = c.resources.as_ref();
    let req = r.and_then(|r| r.requests.as_ref());
    let lim = r.and_then(|r| r.limits.as_ref());
    let cpu_limit = milli_cpu(get(lim, "cpu")).unwrap_or(0);
    // A limit without a request means request = limit (the API server's defaulting).
    let cpu_request = milli_cpu(get(req, "cpu")).unwrap_or(cpu_limit);
    let memory_limit = bytes(get(lim, "memory")).unwrap_or(0);
    let memory_request = bytes(get(req, "memory")).unwrap_or(memory_limit);
    let mut out = pb::LinuxContainerResources {
        cpu_shares: milli_cpu_to_shares(cpu_request),
        memory_limit_in_bytes: memory_limit,
        oom_score_adj: oom_score_adj(qos, memory_request, memory_capacity, may_lower_oom),
        ..Default::default()
    };
    if cpu_limit > 0 {
        out.cpu_period = QUOTA_PERIOD;
        out.cpu_quota = milli_cpu_to_quota(cpu_limit, QUOTA_PERIOD);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn pod(containers: serde_json::Value) -> Pod {
        serde_json::from_value(
            json!({"metadata": {"name": "p"}, "spec": {"containers": containers}}),
        )
        .unwrap()
    }

    #[test]
    fn qos_classes() {
        assert_eq!(qos_class(&pod(json!([{"name": "a"}]))), Qos::BestEffort);
        assert_eq!(
            qos_class(&pod(json!([{"name": "a", "resources": {
                "requests": {"cpu": "100m", "memory": "64Mi"},
                "limits": {"cpu": "100m", "memory": "64Mi"}}}]))),
            Qos::Guaranteed
        );
        assert_eq!(
            qos_class(&pod(
                json!([{"name": "a", "resources": {"limits": {"cpu": "1", "memory": "1Gi"}}}])
            )),
            Qos::Guaranteed
        );
        assert_eq!(
            qos_class(&pod(
                json!([{"name": "a", "resources": {"requests": {"cpu": "100m"}}}])
            )),
            Qos::Burstable
        );
        assert_eq!(
            qos_class(&pod(json!([
                {"name": "a", "resources": {"limits": {"cpu": "1", "memory": "1Gi"}}},
                {"name": "b"}]))),
            Qos::Burstable
        );
    }

    #[test]
    fn cri_resources() {
        let p = pod(json!([{"name": "a", "resources": {
            "requests": {"cpu": "250m", "memory": "64Mi"},
            "limits": {"cpu": "500m", "memory": "128Mi"}}}]));
        let c = &p.spec.as_ref().unwrap().containers[0];
        let r = container_resources(c, qos_class(&p), 1 << 30, true);
        assert_eq!(r.cpu_shares, 256);
        assert_eq!(r.cpu_period, 100_000);
        assert_eq!(r.cpu_quota, 50_000);
        assert_eq!(r.memory_limit_in_bytes, 128 << 20);
        // 1000 - 1000 * 64Mi / 1Gi = 937.5 → 938 in integer arithmetic (1000 - 62).
        assert_eq!(r.oom_score_adj, 938);
        assert_eq!(milli_cpu_to_shares(0), 2);
        assert_eq!(milli_cpu_to_quota(1, 100_000), 1000);
    }

    #[test]
    fn never_negative_without_the_capability() {
        assert_eq!(oom_score_adj(Qos::Guaranteed, 0, 1, true), -997);
        assert_eq!(oom_score_adj(Qos::Guaranteed, 0, 1, false), 0);
        assert_eq!(oom_score_adj(Qos::BestEffort, 0, 1, false), 1000);
        assert_eq!(oom_score_adj(Qos::Burstable, 1 << 30, 1 << 30, false), 2);
    }
}
