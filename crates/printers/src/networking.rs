//! `networking.k8s.io/v1`: ingresses, ingressclasses, networkpolicies.

use serde_json::Value;

use crate::core::service::load_balancer_ingress;
use crate::json::{arr_at, cell, get, list_len, name, opt_str, str_at};
use crate::labels::format_label_selector;
use crate::time::Clock;
use crate::{AGE, Cells, Column, NAME, Printer};

pub(crate) const PRINTERS: &[Printer] = &[
    Printer {
        resource: "ingresses",
        columns: INGRESS_COLUMNS,
        cells: ingress_cells,
    },
    Printer {
        resource: "ingressclasses",
        columns: INGRESS_CLASS_COLUMNS,
        cells: ingress_class_cells,
    },
    Printer {
        resource: "networkpolicies",
        columns: NETWORK_POLICY_COLUMNS,
        cells: network_policy_cells,
    },
];

const INGRESS_COLUMNS: &[Column] = &[
    NAME,
    Column::new("Class", "string", "Ingress class that handles the ingress."),
    Column::new("Hosts", "string", "Host names the rules match."),
    Column::new(
        "Address",
        "string",
        "Load-balancer addresses of the ingress.",
    ),
    Column::new("Ports", "string", "Ports served (443 only with TLS)."),
    AGE,
];

const MAX_HOSTS: usize = 3;

/// Up to three rule hosts; "*" when no rule names a host.
fn hosts(ingress: &Value) -> String {
    let rules = arr_at(ingress, &["spec", "rules"]);
    let mut list: Vec<&str> = Vec::new();
    let mut more = false;
    for rule in rules {
        if list.len() == MAX_HOSTS {
            more = true;
        }
        let host = str_at(rule, &["host"]);
        if !more && !host.is_empty() {
            list.push(host);
        }
    }
    if list.is_empty() {
        return "*".to_string();
    }
    let joined = list.join(",");
    if more {
        // Upstream counts every rule past the third, hostless ones included.
        format!("{joined} + {} more...", rules.len() - MAX_HOSTS)
    } else {
        joined
    }
}

fn ingress_cells(ingress: &Value, clock: &Clock) -> Cells {
    let ports = if list_len(ingress, &["spec", "tls"]) > 0 {
        "80, 443"
    } else {
        "80"
    };
    Ok(vec![
        cell(name(ingress)),
        cell(opt_str(ingress, &["spec", "ingressClassName"]).unwrap_or("<none>")),
        cell(hosts(ingress)),
        cell(load_balancer_ingress(arr_at(
            ingress,
            &["status", "loadBalancer", "ingress"],
        ))),
        cell(ports),
        cell(clock.age(ingress)),
    ])
}

const INGRESS_CLASS_COLUMNS: &[Column] = &[
    NAME,
    Column::new(
        "Controller",
        "string",
        "Controller that implements the class.",
    ),
    Column::new(
        "Parameters",
        "string",
        "Resource holding extra configuration, as kind.group/name.",
    ),
    AGE,
];

fn ingress_class_cells(class: &Value, clock: &Clock) -> Cells {
    let parameters = match get(class, &["spec", "parameters"]) {
        Some(p) => {
            let kind = match opt_str(p, &["apiGroup"]) {
                Some(group) => format!("{}.{group}", str_at(p, &["kind"])),
                None => str_at(p, &["kind"]).to_string(),
            };
            format!("{kind}/{}", str_at(p, &["name"]))
        }
        None => "<none>".to_string(),
    };
    Ok(vec![
        cell(name(class)),
        cell(str_at(class, &["spec", "controller"])),
        cell(parameters),
        cell(clock.age(class)),
    ])
}

const NETWORK_POLICY_COLUMNS: &[Column] = &[
    NAME,
    Column::new("Pod-Selector", "string", "Pods the policy applies to."),
    AGE,
];

fn network_policy_cells(policy: &Value, clock: &Clock) -> Cells {
    Ok(vec![
        cell(name(policy)),
        cell(format_label_selector(get(policy, &["spec", "podSelector"]))),
        cell(clock.age(policy)),
    ])
}
