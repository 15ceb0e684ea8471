//! NetworkPolicies: defaults (policyTypes, port protocols) and validation.

use std::net::IpAddr;

use capstan_apimachinery::validation::{
    LabelSelectorValidationOptions, is_valid_cidr_for_legacy_field, is_valid_port_name,
    is_valid_port_num, validate_label_selector,
};
use capstan_apimachinery::{BadValue, ErrorList, FieldError, Path};
use k8s_openapi::api::networking::v1::{
    IPBlock, NetworkPolicy, NetworkPolicyPeer, NetworkPolicyPort, NetworkPolicySpec,
};
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;

use crate::builtin::apps::shared::go_string_slice;
use crate::strategy::TypedStrategy;

pub struct NetworkPolicyStrategy;

impl TypedStrategy<NetworkPolicy> for NetworkPolicyStrategy {
    fn default(&self, np: &mut NetworkPolicy) {
        let spec = np.spec.get_or_insert_with(Default::default);
        // A required struct upstream: always present, `{}` selects every pod.
        spec.pod_selector.get_or_insert_with(Default::default);
        if spec.policy_types.as_ref().is_none_or(|t| t.is_empty()) {
            let mut types = vec!["Ingress".to_string()];
            if spec.egress.as_ref().is_some_and(|e| !e.is_empty()) {
                types.push("Egress".into());
            }
            spec.policy_types = Some(types);
        }
        let ingress_ports = spec
            .ingress
            .iter_mut()
            .flatten()
            .flat_map(|r| r.ports.iter_mut().flatten());
        let egress_ports = spec
            .egress
            .iter_mut()
            .flatten()
            .flat_map(|r| r.ports.iter_mut().flatten());
        for port in ingress_ports.chain(egress_ports) {
            port.protocol.get_or_insert_with(|| "TCP".into());
        }
    }

    fn validate(&self, np: &NetworkPolicy) -> ErrorList {
        validate_spec(&np.spec.clone().unwrap_or_default(), &Path::new("spec"))
    }
}

/// Upstream `ValidateNetworkPolicySpec`.
fn validate_spec(spec: &NetworkPolicySpec, path: &Path) -> ErrorList {
    let opts = LabelSelectorValidationOptions::default();
    let mut errs = validate_label_selector(
        Some(&spec.pod_selector.clone().unwrap_or_default()),
        opts,
        &path.child("podSelector"),
    );
    for (i, rule) in spec.ingress.iter().flatten().enumerate() {
        let rp = path.child("ingress").index(i);
        for (j, port) in rule.ports.iter().flatten().enumerate() {
            errs.extend(validate_port(port, &rp.child("ports").index(j)));
        }
        for (j, peer) in rule.from.iter().flatten().enumerate() {
            errs.extend(validate_peer(peer, &rp.child("from").index(j)));
        }
    }
    for (i, rule) in spec.egress.iter().flatten().enumerate() {
        let rp = path.child("egress").index(i);
        for (j, port) in rule.ports.iter().flatten().enumerate() {
            errs.extend(validate_port(port, &rp.child("ports").index(j)));
        }
        for (j, peer) in rule.to.iter().flatten().enumerate() {
            errs.extend(validate_peer(peer, &rp.child("to").index(j)));
        }
    }
    let types = spec.policy_types.as_deref().unwrap_or(&[]);
    let types_path = path.child("policyTypes");
    if types.len() > 2 {
        errs.push(FieldError::invalid(
            &types_path,
            BadValue::Raw(go_string_slice(Some(types)).replacen(
                "[]string",
                "[]networking.PolicyType",
                1,
            )),
            "may not specify more than two policyTypes",
        ));
        return errs;
    }
    for (i, t) in types.iter().enumerate() {
        if t != "Ingress" && t != "Egress" {
            errs.push(FieldError::not_supported(
                &types_path.index(i),
                t.as_str(),
                &["Ingress", "Egress"],
            ));
        }
    }
    errs
}

/// Upstream `ValidateNetworkPolicyPort`.
fn validate_port(port: &NetworkPolicyPort, path: &Path) -> ErrorList {
    let mut errs = Vec::new();
    if let Some(p) = port.protocol.as_deref()
        && !["TCP", "UDP", "SCTP"].contains(&p)
    {
        errs.push(FieldError::not_supported(
            &path.child("protocol"),
            p,
            &["TCP", "UDP", "SCTP"],
        ));
    }
    let end_path = path.child("endPort");
    match &port.port {
        Some(IntOrString::Int(n)) => {
            for msg in is_valid_port_num((*n).into()) {
                errs.push(FieldError::invalid(&path.child("port"), *n, &msg));
            }
            if let Some(end) = port.end_port {
                if end < *n {
                    errs.push(FieldError::invalid(
                        &end_path,
                        *n,
                        "must be greater than or equal to `port`",
                    ));
                }
                for msg in is_valid_port_num(end.into()) {
                    errs.push(FieldError::invalid(&end_path, end, &msg));
                }
            }
        }
        Some(IntOrString::String(name)) => {
            if let Some(end) = port.end_port {
                errs.push(FieldError::invalid(
                    &end_path,
                    end,
                    "may not be specified when `port` is non-numeric",
                ));
            }
            for msg in is_valid_port_name(name) {
                errs.push(FieldError::invalid(
                    &path.child("port"),
                    name.as_str(),
                    &msg,
                ));
            }
        }
        None => {
            if let Some(end) = port.end_port {
                errs.push(FieldError::invalid(
                    &end_path,
                    end,
                    "may not be specified when `port` is not specified",
                ));
            }
        }
    }
    errs
}

/// Upstream `ValidateNetworkPolicyPeer`: one kind of peer, an ipBlock alone.
fn validate_peer(peer: &NetworkPolicyPeer, path: &Path) -> ErrorList {
    let opts = LabelSelectorValidationOptions::default();
    let mut errs = Vec::new();
    let mut count = 0;
    if let Some(s) = &peer.pod_selector {
        count += 1;
        errs.extend(validate_label_selector(
            Some(s),
            opts,
            &path.child("podSelector"),
        ));
    }
    if let Some(s) = &peer.namespace_selector {
        count += 1;
        errs.extend(validate_label_selector(
            Some(s),
            opts,
            &path.child("namespaceSelector"),
        ));
    }
    if let Some(b) = &peer.ip_block {
        count += 1;
        errs.extend(validate_ip_block(b, &path.child("ipBlock")));
    }
    if count == 0 {
        errs.push(FieldError::required(path, "must specify a peer"));
    } else if count > 1 && peer.ip_block.is_some() {
        errs.push(FieldError::forbidden(
            path,
            "may not specify both ipBlock and another peer",
        ));
    }
    errs
}

/// An address and prefix length, as `net.ParseCIDR` reads them.
fn parse_cidr(s: &str) -> Option<(IpAddr, u8)> {
    let (ip, len) = s.split_once('/')?;
    let ip: IpAddr = ip.parse().ok()?;
    let len: u8 = len.parse().ok()?;
    let max = if ip.is_ipv4() { 32 } else { 128 };
    (len <= max).then_some((ip, len))
}

fn bits(ip: IpAddr) -> (u128, u8) {
    match ip {
        IpAddr::V4(v4) => (u128::from(u32::from(v4)) << 96, 32),
        IpAddr::V6(v6) => (u128::from(v6), 128),
    }
}

/// True when `inner` is a strict subset of `outer`.
fn strict_subset(outer: (IpAddr, u8), inner: (IpAddr, u8)) -> bool {
    let ((o, of), (i, inf)) = (bits(outer.0), bits(inner.0));
    if of != inf || outer.1 >= inner.1 {
        return false;
    }
    let mask = if outer.1 == 0 {
        0
    } else {
        u128::MAX << (128 - u32::from(outer.1))
    };
    (o & mask) == (i & mask)
}

/// Upstream `ValidateIPBlock`.
fn validate_ip_block(b: &IPBlock, path: &Path) -> ErrorList {
    let cidr_path = path.child("cidr");
    if b.cidr.is_empty() {
        return vec![FieldError::required(&cidr_path, "")];
    }
    let mut errs = is_valid_cidr_for_legacy_field(&cidr_path, &b.cidr, false, &[]);
    let Some(outer) = parse_cidr(&b.cidr) else {
        return errs;
    };
    for (i, except) in b.except.iter().flatten().enumerate() {
        let ep = path.child("except").index(i);
        errs.extend(is_valid_cidr_for_legacy_field(&ep, except, false, &[]));
        if let Some(inner) = parse_cidr(except)
            && !strict_subset(outer, inner)
        {
            errs.push(FieldError::invalid(
                &ep,
                except.as_str(),
                "must be a strict subset of `cidr`",
            ));
        }
    }
    errs
}

#[cfg(test)]
mod tests {
    use serde_json::{Value, json};

    use super::*;
    use crate::builtin::apps::testing::{create, create_errors};

    fn policy(spec: Value) -> Value {
        json!({"metadata": {"name": "np", "namespace": "default"}, "spec": spec})
    }

    #[test]
    fn defaults() {
        let np = create::<NetworkPolicy, _>(
            NetworkPolicyStrategy,
            policy(json!({"podSelector": {}, "ingress": [{"ports": [{"port": 80}]}]})),
        )
        .unwrap();
        assert_eq!(np["spec"]["policyTypes"], json!(["Ingress"]));
        assert_eq!(np["spec"]["ingress"][0]["ports"][0]["protocol"], "TCP");
        let np = create::<NetworkPolicy, _>(
            NetworkPolicyStrategy,
            policy(json!({"podSelector": {}, "egress": [{"to": [{"podSelector": {}}]}]})),
        )
        .unwrap();
        assert_eq!(np["spec"]["policyTypes"], json!(["Ingress", "Egress"]));
    }

    #[test]
    fn ports_peers_and_blocks() {
        let spec = json!({
            "podSelector": {},
            "ingress": [{
                "ports": [{"port": 80, "endPort": 70}, {"port": "http", "endPort": 90}, {"protocol": "ICMP"}],
                "from": [{}, {"ipBlock": {"cidr": "10.0.0.0/8", "except": ["192.168.0.0/16", "10.1.0.0/16"]}, "podSelector": {}}]
            }],
            "policyTypes": ["Ingress", "Sideways"]
        });
        assert_eq!(
            create_errors::<NetworkPolicy, _>(NetworkPolicyStrategy, policy(spec)),
            vec![
                "spec.ingress[0].ports[0].endPort: Invalid value: 80: must be greater than or equal to `port`",
                "spec.ingress[0].ports[1].endPort: Invalid value: 90: may not be specified when `port` is non-numeric",
                r#"spec.ingress[0].ports[2].protocol: Unsupported value: "ICMP": supported values: "TCP", "UDP", "SCTP""#,
                "spec.ingress[0].from[0]: Required value: must specify a peer",
                r#"spec.ingress[0].from[1].ipBlock.except[0]: Invalid value: "192.168.0.0/16": must be a strict subset of `cidr`"#,
                "spec.ingress[0].from[1]: Forbidden: may not specify both ipBlock and another peer",
                r#"spec.policyTypes[1]: Unsupported value: "Sideways": supported values: "Ingress", "Egress""#,
            ]
        );
    }
}
