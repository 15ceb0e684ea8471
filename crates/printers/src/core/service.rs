//! Services and Endpoints.

use std::collections::BTreeSet;

use serde_json::Value;

use crate::json::{arr_at, cell, get, i64_at, name, str_at};
use crate::labels::format_labels;
use crate::time::Clock;
use crate::{AGE, Cells, Column, NAME};

pub(crate) const SERVICE_COLUMNS: &[Column] = &[
    NAME,
    Column::new("Type", "string", "How the service is exposed."),
    Column::new(
        "Cluster-IP",
        "string",
        "Virtual IP of the service inside the cluster.",
    ),
    Column::new(
        "External-IP",
        "string",
        "Addresses the service is reachable on from outside.",
    ),
    Column::new(
        "Port(s)",
        "string",
        "Service ports, with node ports when allocated.",
    ),
    AGE,
    Column::new(
        "Selector",
        "string",
        "Labels of the pods the service routes to.",
    )
    .wide(),
];

pub(crate) const ENDPOINTS_COLUMNS: &[Column] = &[
    NAME,
    Column::new("Endpoints", "string", "Ready addresses with their ports."),
    AGE,
];

/// Distinct load-balancer ingress points (IP, else hostname), sorted.
pub(crate) fn load_balancer_ingress(ingress: &[Value]) -> String {
    let points: BTreeSet<&str> = ingress
        .iter()
        .map(|i| match str_at(i, &["ip"]) {
            "" => str_at(i, &["hostname"]),
            ip => ip,
        })
        .filter(|s| !s.is_empty())
        .collect();
    points.into_iter().collect::<Vec<_>>().join(",")
}

fn external_ip(svc: &Value) -> String {
    let external_ips: Vec<&str> = arr_at(svc, &["spec", "externalIPs"])
        .iter()
        .filter_map(Value::as_str)
        .collect();
    match str_at(svc, &["spec", "type"]) {
        "ClusterIP" | "NodePort" if !external_ips.is_empty() => external_ips.join(","),
        "ClusterIP" | "NodePort" => "<none>".to_string(),
        "LoadBalancer" => {
            let lb = load_balancer_ingress(arr_at(svc, &["status", "loadBalancer", "ingress"]));
            if !external_ips.is_empty() {
                let mut all: Vec<&str> = if lb.is_empty() {
                    Vec::new()
                } else {
                    lb.split(',').collect()
                };
                all.extend(&external_ips);
                all.join(",")
            } else if !lb.is_empty() {
                lb
            } else {
                "<pending>".to_string()
            }
        }
        "ExternalName" => str_at(svc, &["spec", "externalName"]).to_string(),
        _ => "<unknown>".to_string(),
    }
}

fn ports(svc: &Value) -> String {
    let pieces: Vec<String> = arr_at(svc, &["spec", "ports"])
        .iter()
        .map(|p| {
            let port = i64_at(p, &["port"]);
            let protocol = str_at(p, &["protocol"]);
            match i64_at(p, &["nodePort"]) {
                n if n > 0 => format!("{port}:{n}/{protocol}"),
                _ => format!("{port}/{protocol}"),
            }
        })
        .collect();
    if pieces.is_empty() {
        "<none>".to_string()
    } else {
        pieces.join(",")
    }
}

/// `spec.clusterIP` wins over `spec.clusterIPs`, as in the v1 conversion.
fn cluster_ip(svc: &Value) -> String {
    let ip = str_at(svc, &["spec", "clusterIP"]);
    let first = arr_at(svc, &["spec", "clusterIPs"])
        .first()
        .and_then(Value::as_str);
    match (ip, first) {
        ("", Some(f)) if !f.is_empty() => f.to_string(),
        ("", _) => "<none>".to_string(),
        (ip, _) => ip.to_string(),
    }
}

pub(crate) fn service_cells(svc: &Value, clock: &Clock) -> Cells {
    Ok(vec![
        cell(name(svc)),
        cell(str_at(svc, &["spec", "type"])),
        cell(cluster_ip(svc)),
        cell(external_ip(svc)),
        cell(ports(svc)),
        cell(clock.age(svc)),
        cell(format_labels(get(svc, &["spec", "selector"]))),
    ])
}

/// `host:port`, bracketing IPv6 hosts.
fn join_host_port(host: &str, port: i64) -> String {
    if host.contains(':') {
        format!("[{host}]:{port}")
    } else {
        format!("{host}:{port}")
    }
}

const MAX_LISTED: usize = 3;

fn format_endpoints(ep: &Value) -> String {
    let subsets = arr_at(ep, &["subsets"]);
    if subsets.is_empty() {
        return "<none>".to_string();
    }
    let mut list: Vec<String> = Vec::new();
    let mut total = 0;
    for subset in subsets {
        let addresses = arr_at(subset, &["addresses"]);
        let ports = arr_at(subset, &["ports"]);
        // Headless services may have addresses without ports.
        if ports.is_empty() {
            total += addresses.len();
            for a in addresses {
                if list.len() < MAX_LISTED {
                    list.push(str_at(a, &["ip"]).to_string());
                }
            }
            continue;
        }
        for port in ports {
            total += addresses.len();
            for a in addresses {
                if list.len() < MAX_LISTED {
                    list.push(join_host_port(str_at(a, &["ip"]), i64_at(port, &["port"])));
                }
            }
        }
    }
    let joined = list.join(",");
    if total > MAX_LISTED {
        format!("{joined} + {} more...", total - MAX_LISTED)
    } else {
        joined
    }
}

pub(crate) fn endpoints_cells(ep: &Value, clock: &Clock) -> Cells {
    Ok(vec![
        cell(name(ep)),
        cell(format_endpoints(ep)),
        cell(clock.age(ep)),
    ])
}
