//! Node IPAM (upstream's range allocator): every Node gets a /24 of the cluster CIDR in
//! spec.podCIDR(s) shortly after it registers, never one another node holds. Ranges are recovered
//! from the nodes themselves after a restart and freed when a node goes.
//!
//! One task handles the node watch in order, so two nodes can never be handed the same range.

use std::collections::{BTreeSet, HashMap};
use std::time::Duration;

use capstan_apimachinery::cidr::SubnetPlan;
use futures::StreamExt;
use k8s_openapi::api::core::v1::Node;
use kube::api::{Api, Patch, PatchParams};
use kube::runtime::WatchStreamExt;
use kube::runtime::watcher::{self, Event};
use kube::{Client, ResourceExt};
use serde_json::json;

use crate::errors;

/// Which subnets are taken, and by whom. No IO.
#[derive(Debug)]
pub struct RangeAllocator {
    plan: SubnetPlan,
    used: BTreeSet<u32>,
    by_node: HashMap<String, u32>,
    /// Round-robin start, so a freed range is not handed out again at once.
    next: u32,
}

impl RangeAllocator {
    pub fn new(plan: SubnetPlan) -> RangeAllocator {
        RangeAllocator {
            plan,
            used: BTreeSet::new(),
            by_node: HashMap::new(),
            next: 0,
        }
    }

    /// Records the ranges a node already has (those outside the cluster range are not ours).
    pub fn occupy(&mut self, node: &str, cidrs: &[String]) {
        if let Some(index) = cidrs.iter().find_map(|c| self.plan.index_of(c)) {
            self.used.insert(index);
            self.by_node.insert(node.to_owned(), index);
        }
    }

    pub fn release(&mut self, node: &str) {
        if let Some(index) = self.by_node.remove(node) {
            self.used.remove(&index);
        }
    }

    /// A free range for the node, or None when the cluster range is exhausted.
    pub fn allocate(&mut self, node: &str) -> Option<String> {
        if let Some(index) = self.by_node.get(node) {
            return Some(self.plan.subnet(*index).to_string());
        }
        let count = self.plan.count();
        let index = (0..count)
            .map(|i| (self.next + i) % count)
            .find(|i| !self.used.contains(i))?;
        self.next = (index + 1) % count;
        self.used.insert(index);
        self.by_node.insert(node.to_owned(), index);
        Some(self.plan.subnet(index).to_string())
    }
}

fn pod_cidrs(node: &Node) -> Vec<String> {
    let spec = node.spec.as_ref();
    let mut cidrs: Vec<String> = spec.and_then(|s| s.pod_cidrs.clone()).unwrap_or_default();
    if cidrs.is_empty() {
        cidrs.extend(spec.and_then(|s| s.pod_cidr.clone()));
    }
    cidrs
}

pub async fn run(client: Client, plan: SubnetPlan) {
    let api: Api<Node> = Api::all(client);
    let mut ranges = RangeAllocator::new(plan);
    // Nodes seen during the initial list wait until every existing range is known.
    let mut listing = false;
    let mut waiting: Vec<String> = Vec::new();
    let mut exhausted: BTreeSet<String> = BTreeSet::new();
    let mut events = watcher::watcher(api.clone(), watcher::Config::default())
        .default_backoff()
        .boxed();
    while let Some(event) = events.next().await {
        let mut pending = Vec::new();
        match event {
            Ok(Event::Init) => {
                listing = true;
                ranges = RangeAllocator::new(ranges.plan.clone());
                waiting.clear();
            }
            Ok(Event::InitApply(node)) => {
                let cidrs = pod_cidrs(&node);
                if cidrs.is_empty() {
                    waiting.push(node.name_any());
                } else {
                    ranges.occupy(&node.name_any(), &cidrs);
                }
            }
            Ok(Event::InitDone) => {
                listing = false;
                pending = std::mem::take(&mut waiting);
            }
            Ok(Event::Apply(node)) => {
                let cidrs = pod_cidrs(&node);
                if cidrs.is_empty() {
                    if listing {
                        waiting.push(node.name_any());
                    } else if node.metadata.deletion_timestamp.is_none() {
                        pending.push(node.name_any());
                    }
                } else {
                    ranges.occupy(&node.name_any(), &cidrs);
                }
            }
            Ok(Event::Delete(node)) => {
                ranges.release(&node.name_any());
                // A freed range may be what an earlier node waited for.
                pending.extend(std::mem::take(&mut exhausted));
            }
            Err(e) => tracing::warn!(error = %e, "node watch failed"),
        }
        for name in pending {
            assign(&api, &mut ranges, &mut exhausted, &name).await;
        }
    }
}

async fn assign(
    api: &Api<Node>,
    ranges: &mut RangeAllocator,
    exhausted: &mut BTreeSet<String>,
    name: &str,
) {
    let Some(cidr) = ranges.allocate(name) else {
        if exhausted.insert(name.to_owned()) {
            tracing::warn!(
                node = name,
                "CIDRNotAvailable: the cluster CIDR has no free node range left (start the server with a larger --cluster-cidr)"
            );
        }
        return;
    };
    let patch = json!({"spec": {"podCIDR": cidr, "podCIDRs": [cidr]}});
    let mut delay = Duration::from_millis(100);
    for _ in 0..5 {
        match api
            .patch(name, &PatchParams::default(), &Patch::Merge(&patch))
            .await
        {
            Ok(_) => {
                tracing::info!(node = name, pod_cidr = %cidr, "assigned the node's pod range");
                return;
            }
            Err(e) if errors::is_not_found(&e) => break,
            Err(e) => {
                tracing::warn!(node = name, error = %errors::message(&e), "assigning the pod range failed; retrying");
                tokio::time::sleep(delay).await;
                delay *= 2;
            }
        }
    }
    ranges.release(name);
}

#[cfg(test)]
mod tests {
    use super::*;
    use capstan_apimachinery::cidr::Ipv4Cidr;

    fn allocator(cluster: &str, prefix: u8) -> RangeAllocator {
        RangeAllocator::new(SubnetPlan::new(Ipv4Cidr::parse(cluster).unwrap(), prefix).unwrap())
    }

    #[test]
    fn ranges_are_never_handed_out_twice() {
        let mut a = allocator("10.42.0.0/16", 24);
        a.occupy("old", &["10.42.0.0/24".into()]);
        // Ranges outside the cluster CIDR (simulated nodes bring their own) are not ours.
        a.occupy("sim", &["10.128.0.0/24".into()]);
        assert_eq!(a.allocate("n1").unwrap(), "10.42.1.0/24");
        assert_eq!(a.allocate("n1").unwrap(), "10.42.1.0/24");
        assert_eq!(a.allocate("n2").unwrap(), "10.42.2.0/24");
        a.release("old");
        // Round robin: the freed range comes back only after the rest.
        assert_eq!(a.allocate("n3").unwrap(), "10.42.3.0/24");
    }

    #[test]
    fn an_exhausted_range_says_so_until_a_node_goes() {
        let mut a = allocator("10.42.0.0/23", 24);
        assert!(a.allocate("a").is_some());
        assert!(a.allocate("b").is_some());
        assert_eq!(a.allocate("c"), None);
        a.release("a");
        assert_eq!(a.allocate("c").unwrap(), "10.42.0.0/24");
    }
}
