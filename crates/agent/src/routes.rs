//! Routes to the other nodes' pod ranges, each through that node's address (what flannel calls
//! host-gw): a pod reaches a pod on another node whenever the two nodes share a network segment.
//! Only nodes whose InternalIP is on one of this host's directly connected IPv4 networks get a
//! route, so nodes elsewhere (or simulated ones) cost nothing. The routes carry their own protocol
//! number, which lets a restarted agent find and drop the ones whose node went away meanwhile.

use std::collections::{BTreeMap, HashMap};
use std::net::Ipv4Addr;
use std::time::Duration;

use futures::StreamExt;
use k8s_openapi::api::core::v1::Node;
use kube::api::Api;
use kube::runtime::WatchStreamExt;
use kube::runtime::watcher::{self, Event};

/// The routing protocol number marking Capstan's routes (`ip route … proto 199`).
pub const ROUTE_PROTOCOL: &str = "199";

/// A directly connected IPv4 network of this host.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Link {
    pub network: u32,
    pub mask: u32,
}

impl Link {
    fn contains(&self, ip: Ipv4Addr) -> bool {
        self.mask != 0 && u32::from(ip) & self.mask == self.network
    }
}

/// The gateway-less, non-default routes of the main table from `/proc/net/route` (addresses in
/// the kernel's byte order, written as hex). The pod bridge is left out: its range is ours.
pub fn parse_links(proc_net_route: &str, bridge: &str) -> Vec<Link> {
    let hex = |s: &str| u32::from_str_radix(s, 16).ok().map(u32::from_be);
    proc_net_route
        .lines()
        .skip(1)
        .filter_map(|line| {
            let f: Vec<&str> = line.split_whitespace().collect();
            if f.len() < 8 || f[0] == bridge {
                return None;
            }
            let (dest, gateway, mask) = (hex(f[1])?, hex(f[2])?, hex(f[7])?);
            (gateway == 0 && mask != 0).then_some(Link {
                network: dest & mask,
                mask,
            })
        })
        .collect()
}

fn links() -> Vec<Link> {
    std::fs::read_to_string("/proc/net/route")
        .map(|t| parse_links(&t, crate::cni::BRIDGE))
        .unwrap_or_default()
}

/// What routing to a node needs: its InternalIPv4 and its IPv4 pod ranges (None when it has
/// neither). Only this is kept per node, not the whole object.
pub fn route_target(node: &Node) -> Option<(Ipv4Addr, Vec<String>)> {
    let via = node
        .status
        .as_ref()
        .and_then(|s| s.addresses.as_ref())
        .into_iter()
        .flatten()
        .filter(|a| a.type_ == "InternalIP")
        .find_map(|a| a.address.parse::<Ipv4Addr>().ok())?;
    let spec = node.spec.as_ref();
    let mut cidrs: Vec<String> = spec.and_then(|s| s.pod_cidrs.clone()).unwrap_or_default();
    if cidrs.is_empty()
        && let Some(c) = spec.and_then(|s| s.pod_cidr.clone())
    {
        cidrs.push(c);
    }
    cidrs.retain(|c| capstan_apimachinery::cidr::Ipv4Cidr::parse(c).is_ok());
    (!cidrs.is_empty()).then_some((via, cidrs))
}

/// Pod range → next hop, for every other node reachable on a connected network.
pub fn desired<'a>(
    targets: impl IntoIterator<Item = (&'a String, &'a (Ipv4Addr, Vec<String>))>,
    this_node: &str,
    links: &[Link],
) -> BTreeMap<String, Ipv4Addr> {
    let mut out = BTreeMap::new();
    for (name, (via, cidrs)) in targets {
        if name == this_node || !links.iter().any(|l| l.contains(*via)) {
            continue;
        }
        for cidr in cidrs {
            out.insert(cidr.clone(), *via);
        }
    }
    out
}

async fn ip(args: &[&str]) -> Result<String, String> {
    let out = tokio::process::Command::new("ip")
        .args(args)
        .output()
        .await
        .map_err(|e| format!("cannot run ip (install iproute2): {e}"))?;
    if out.status.success() {
        Ok(String::from_utf8_lossy(&out.stdout).into_owned())
    } else {
        Err(String::from_utf8_lossy(&out.stderr).trim().to_owned())
    }
}

/// The routes a previous run of the agent left: pod range → next hop.
async fn existing() -> BTreeMap<String, Ipv4Addr> {
    let text = ip(&["-4", "route", "show", "proto", ROUTE_PROTOCOL])
        .await
        .unwrap_or_default();
    text.lines()
        .filter_map(|l| {
            let f: Vec<&str> = l.split_whitespace().collect();
            let via = f.iter().position(|w| *w == "via")?;
            Some((f.first()?.to_string(), f.get(via + 1)?.parse().ok()?))
        })
        .collect()
}

/// Brings the kernel's routes from `applied` to `want`; what failed stays out of `applied`
/// and is tried again on the next change.
async fn reconcile(
    applied: &mut BTreeMap<String, Ipv4Addr>,
    want: &BTreeMap<String, Ipv4Addr>,
    failed: &mut BTreeMap<String, Ipv4Addr>,
) {
    let stale: Vec<String> = applied
        .keys()
        .filter(|c| !want.contains_key(*c))
        .cloned()
        .collect();
    for cidr in stale {
        match ip(&["route", "del", &cidr, "proto", ROUTE_PROTOCOL]).await {
            Ok(_) => {
                tracing::info!(pod_cidr = %cidr, "route to a removed node deleted");
                applied.remove(&cidr);
            }
            Err(e) => tracing::warn!(pod_cidr = %cidr, error = %e, "cannot delete route"),
        }
    }
    for (cidr, via) in want {
        if applied.get(cidr) == Some(via) || failed.get(cidr) == Some(via) {
            continue;
        }
        let via_text = via.to_string();
        let args = [
            "route",
            "replace",
            cidr,
            "via",
            &via_text,
            "proto",
            ROUTE_PROTOCOL,
        ];
        match ip(&args).await {
            Ok(_) => {
                tracing::info!(pod_cidr = %cidr, via = %via, "route to a node's pods set");
                applied.insert(cidr.clone(), *via);
                failed.remove(cidr);
            }
            Err(e) => {
                tracing::warn!(pod_cidr = %cidr, via = %via, error = %e, "cannot route to a node's pods");
                failed.insert(cidr.clone(), *via);
            }
        }
    }
}

/// Keeps the routes in step with the Node objects until the future is dropped.
pub async fn run(client: kube::Client, this_node: String) {
    let api: Api<Node> = Api::all(client);
    type Targets = HashMap<String, (Ipv4Addr, Vec<String>)>;
    let mut nodes: Targets = HashMap::new();
    let mut listing: Targets = HashMap::new();
    let mut applied = existing().await;
    let mut failed = BTreeMap::new();
    let mut last_links = Vec::new();
    let mut synced = false;
    let mut events = watcher::watcher(api, watcher::Config::default())
        .default_backoff()
        .boxed();
    while let Some(event) = events.next().await {
        let name = |n: &Node| n.metadata.name.clone().unwrap_or_default();
        let keep = |into: &mut Targets, n: &Node| match route_target(n) {
            Some(t) => into.insert(name(n), t),
            None => into.remove(&name(n)),
        };
        match event {
            Ok(Event::Init) => listing.clear(),
            Ok(Event::InitApply(n)) => {
                keep(&mut listing, &n);
            }
            Ok(Event::InitDone) => {
                nodes = std::mem::take(&mut listing);
                synced = true;
            }
            Ok(Event::Apply(n)) => {
                keep(&mut nodes, &n);
            }
            Ok(Event::Delete(n)) => {
                nodes.remove(&name(&n));
            }
            Err(e) => {
                tracing::debug!(error = %e, "node watch for routes failed; retrying");
                tokio::time::sleep(Duration::from_secs(1)).await;
                continue;
            }
        }
        if !synced {
            continue;
        }
        let links = links();
        if links != last_links {
            // A route that failed may work now that the host's networks changed.
            failed.clear();
            last_links = links.clone();
        }
        let want = desired(&nodes, &this_node, &links);
        reconcile(&mut applied, &want, &mut failed).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // Main table of a host with eth0 10.0.0.5/24, a default route via 10.0.0.1, a route through a
    // gateway, and the pod bridge.
    const PROC_NET_ROUTE: &str =
        "Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\t\tMTU\tWindow\tIRTT
eth0\t00000000\t0100000A\t0003\t0\t0\t0\t00000000\t0\t0\t0
eth0\t0000000A\t00000000\t0001\t0\t0\t0\t00FFFFFF\t0\t0\t0
eth0\t0000A8C0\t0100000A\t0003\t0\t0\t0\t0000FFFF\t0\t0\t0
cni0\t00002A0A\t00000000\t0001\t0\t0\t0\t00FFFFFF\t0\t0\t0
";

    fn node(name: &str, ip: &str, cidrs: &[&str]) -> Node {
        serde_json::from_value(serde_json::json!({
            "metadata": {"name": name},
            "spec": {"podCIDR": cidrs.first(), "podCIDRs": cidrs},
            "status": {"addresses": [
                {"type": "Hostname", "address": name},
                {"type": "InternalIP", "address": ip}
            ]}
        }))
        .unwrap()
    }

    #[test]
    fn only_directly_connected_networks_count() {
        let links = parse_links(PROC_NET_ROUTE, "cni0");
        assert_eq!(
            links,
            vec![Link {
                network: u32::from(Ipv4Addr::new(10, 0, 0, 0)),
                mask: 0xFFFF_FF00
            }]
        );
        assert!(links[0].contains(Ipv4Addr::new(10, 0, 0, 9)));
        assert!(!links[0].contains(Ipv4Addr::new(10, 0, 1, 9)));
    }

    #[test]
    fn every_other_reachable_node_gets_its_pod_ranges_routed() {
        let links = parse_links(PROC_NET_ROUTE, "cni0");
        let me = node("a", "10.0.0.5", &["10.42.0.0/24"]);
        let b = node("b", "10.0.0.6", &["10.42.1.0/24"]);
        let far = node("far", "192.168.7.7", &["10.42.2.0/24"]);
        let no_range = node("c", "10.0.0.7", &[]);
        let v6 = node("d", "fd00::1", &["10.42.3.0/24"]);
        let targets: HashMap<String, (Ipv4Addr, Vec<String>)> = [me, b, far, no_range, v6]
            .iter()
            .filter_map(|n| Some((n.metadata.name.clone()?, route_target(n)?)))
            .collect();
        assert_eq!(
            targets.len(),
            3,
            "no range or no IPv4 address: nothing to route"
        );
        let want = desired(&targets, "a", &links);
        assert_eq!(
            want.into_iter().collect::<Vec<_>>(),
            vec![("10.42.1.0/24".to_owned(), Ipv4Addr::new(10, 0, 0, 6))]
        );
    }
}
