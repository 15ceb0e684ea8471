//! discovery.k8s.io/v1 EndpointSlices.

use std::collections::BTreeSet;
use std::net::IpAddr;

use capstan_apimachinery::validation::{
    is_dns1123_label, is_dns1123_subdomain, is_qualified_name, is_valid_ip_for_legacy_field,
    is_valid_label_value, validate_labels,
};
use capstan_apimachinery::{ErrorList, FieldError, Path};
use k8s_openapi::api::discovery::v1::{Endpoint, EndpointPort, EndpointSlice};

use crate::builtin::apps::shared::immutable;
use crate::strategy::TypedStrategy;

const MAX_ENDPOINTS: usize = 1000;
const MAX_ADDRESSES: usize = 100;
const MAX_PORTS: usize = 20000;
const MAX_TOPOLOGY_LABELS: usize = 16;
const MAX_ZONE_HINTS: usize = 8;
const ADDRESS_TYPES: &[&str] = &["FQDN", "IPv4", "IPv6"];
const PROTOCOLS: &[&str] = &["SCTP", "TCP", "UDP"];

pub struct EndpointSliceStrategy;

impl TypedStrategy<EndpointSlice> for EndpointSliceStrategy {
    fn default(&self, slice: &mut EndpointSlice) {
        for port in slice.ports.iter_mut().flatten() {
            port.name.get_or_insert_with(String::new);
            port.protocol.get_or_insert_with(|| "TCP".into());
        }
    }

    fn validate(&self, slice: &EndpointSlice) -> ErrorList {
        validate(slice)
    }

    fn validate_update(&self, slice: &EndpointSlice, old: &EndpointSlice) -> ErrorList {
        let mut errs = validate(slice);
        errs.extend(immutable(
            &slice.address_type,
            &old.address_type,
            &Path::new("addressType"),
            || slice.address_type.clone().into(),
        ));
        errs
    }
}

fn validate(slice: &EndpointSlice) -> ErrorList {
    let mut errs = Vec::new();
    let type_path = Path::new("addressType");
    match slice.address_type.as_str() {
        "" => errs.push(FieldError::required(&type_path, "")),
        t if ADDRESS_TYPES.contains(&t) => {}
        t => errs.push(FieldError::not_supported(&type_path, t, ADDRESS_TYPES)),
    }
    errs.extend(validate_endpoints(slice, &Path::new("endpoints")));
    errs.extend(validate_ports(
        slice.ports.as_deref().unwrap_or(&[]),
        &Path::new("ports"),
    ));
    errs
}

fn validate_endpoints(slice: &EndpointSlice, path: &Path) -> ErrorList {
    if slice.endpoints.len() > MAX_ENDPOINTS {
        return vec![FieldError::too_many(
            path,
            slice.endpoints.len() as i64,
            MAX_ENDPOINTS as i64,
        )];
    }
    let mut errs = Vec::new();
    for (i, e) in slice.endpoints.iter().enumerate() {
        errs.extend(validate_endpoint(e, &slice.address_type, &path.index(i)));
    }
    errs
}

fn validate_endpoint(e: &Endpoint, address_type: &str, path: &Path) -> ErrorList {
    let mut errs = Vec::new();
    let addresses_path = path.child("addresses");
    if e.addresses.is_empty() {
        errs.push(FieldError::required(
            &addresses_path,
            "must contain at least 1 address",
        ));
    } else if e.addresses.len() > MAX_ADDRESSES {
        errs.push(FieldError::too_many(
            &addresses_path,
            e.addresses.len() as i64,
            MAX_ADDRESSES as i64,
        ));
    }
    for (i, address) in e.addresses.iter().enumerate() {
        let p = addresses_path.index(i);
        match address_type {
            "IPv4" | "IPv6" => {
                let ip_errs = is_valid_ip_for_legacy_field(&p, address, false, &[]);
                if !ip_errs.is_empty() {
                    errs.extend(ip_errs);
                    continue;
                }
                let is_v4 = !address.contains(':');
                if address_type == "IPv4" && !is_v4 {
                    errs.push(FieldError::invalid(
                        &p,
                        address.as_str(),
                        "must be an IPv4 address",
                    ));
                }
                if address_type == "IPv6" && is_v4 {
                    errs.push(FieldError::invalid(
                        &p,
                        address.as_str(),
                        "must be an IPv6 address",
                    ));
                }
                errs.extend(validate_endpoint_ip(address, &p));
            }
            "FQDN" => errs.extend(validate_fqdn(address, &p)),
            _ => {}
        }
    }
    if let Some(node) = &e.node_name {
        for msg in is_dns1123_subdomain(node) {
            errs.push(FieldError::invalid(
                &path.child("nodeName"),
                node.as_str(),
                &msg,
            ));
        }
    }
    let topology_path = path.child("deprecatedTopology");
    if let Some(topology) = &e.deprecated_topology {
        if topology.len() > MAX_TOPOLOGY_LABELS {
            errs.push(FieldError::too_many(
                &topology_path,
                topology.len() as i64,
                MAX_TOPOLOGY_LABELS as i64,
            ));
        }
        errs.extend(validate_labels(topology, &topology_path));
    }
    if let Some(host) = &e.hostname {
        for msg in is_dns1123_label(host) {
            errs.push(FieldError::invalid(
                &path.child("hostname"),
                host.as_str(),
                &msg,
            ));
        }
    }
    if let Some(zones) = e.hints.as_ref().and_then(|h| h.for_zones.as_ref()) {
        let zones_path = path.child("hints").child("forZones");
        if zones.len() > MAX_ZONE_HINTS {
            errs.push(FieldError::too_many(
                &zones_path,
                zones.len() as i64,
                MAX_ZONE_HINTS as i64,
            ));
            return errs;
        }
        let mut seen = BTreeSet::new();
        for (i, zone) in zones.iter().enumerate() {
            let zp = zones_path.index(i).child("name");
            if !seen.insert(zone.name.as_str()) {
                errs.push(FieldError::duplicate(&zp, zone.name.as_str()));
            }
            for msg in is_valid_label_value(&zone.name) {
                errs.push(FieldError::invalid(&zp, zone.name.as_str(), &msg));
            }
        }
    }
    errs
}

/// Upstream `ValidateEndpointIP`: no unspecified, loopback or link-local addresses.
fn validate_endpoint_ip(address: &str, path: &Path) -> ErrorList {
    let Ok(ip) = address.parse::<IpAddr>() else {
        return Vec::new();
    };
    let mut errs = Vec::new();
    let (link_local_unicast, link_local_multicast) = match ip {
        IpAddr::V4(v4) => {
            let o = v4.octets();
            (
                o[0] == 169 && o[1] == 254,
                o[0] == 224 && o[1] == 0 && o[2] == 0,
            )
        }
        IpAddr::V6(v6) => {
            let s = v6.segments();
            (s[0] & 0xffc0 == 0xfe80, s[0] & 0xff0f == 0xff02)
        }
    };
    if ip.is_unspecified() {
        errs.push(FieldError::invalid(
            path,
            address,
            &format!("may not be unspecified ({address})"),
        ));
    }
    if ip.is_loopback() {
        errs.push(FieldError::invalid(
            path,
            address,
            "may not be in the loopback range (127.0.0.0/8, ::1/128)",
        ));
    }
    if link_local_unicast {
        errs.push(FieldError::invalid(
            path,
            address,
            "may not be in the link-local range (169.254.0.0/16, fe80::/10)",
        ));
    }
    if link_local_multicast {
        errs.push(FieldError::invalid(
            path,
            address,
            "may not be in the link-local multicast range (224.0.0.0/24, ff02::/10)",
        ));
    }
    errs
}

/// Upstream `IsFullyQualifiedDomainName`.
fn validate_fqdn(name: &str, path: &Path) -> ErrorList {
    if name.is_empty() {
        return vec![FieldError::required(path, "")];
    }
    let name = name.strip_suffix('.').unwrap_or(name);
    let msgs = is_dns1123_subdomain(name);
    if !msgs.is_empty() {
        return vec![FieldError::invalid(path, name, &msgs.join(","))];
    }
    if name.split('.').count() < 2 {
        return vec![FieldError::invalid(
            path,
            name,
            "should be a domain with at least two segments separated by dots",
        )];
    }
    for label in name.split('.') {
        let msgs = is_dns1123_label(label);
        if !msgs.is_empty() {
            return vec![FieldError::invalid(path, label, &msgs.join(","))];
        }
    }
    Vec::new()
}

fn validate_ports(ports: &[EndpointPort], path: &Path) -> ErrorList {
    if ports.len() > MAX_PORTS {
        return vec![FieldError::too_many(
            path,
            ports.len() as i64,
            MAX_PORTS as i64,
        )];
    }
    let mut errs = Vec::new();
    let mut names = BTreeSet::new();
    for (i, port) in ports.iter().enumerate() {
        let p = path.index(i);
        let name = port.name.as_deref().unwrap_or("");
        if !name.is_empty() {
            for msg in is_dns1123_label(name) {
                errs.push(FieldError::invalid(&p.child("name"), name, &msg));
            }
        }
        if !names.insert(name) {
            errs.push(FieldError::duplicate(&p.child("name"), name));
        }
        match port.protocol.as_deref() {
            None => errs.push(FieldError::required(&p.child("protocol"), "")),
            Some(proto) if PROTOCOLS.contains(&proto) => {}
            Some(proto) => errs.push(FieldError::not_supported(
                &p.child("protocol"),
                proto,
                PROTOCOLS,
            )),
        }
        if let Some(app) = &port.app_protocol {
            for msg in is_qualified_name(app) {
                errs.push(FieldError::invalid(
                    &p.child("appProtocol"),
                    app.as_str(),
                    &msg,
                ));
            }
        }
    }
    errs
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::builtin::apps::testing::{create, create_errors, update};

    #[test]
    fn slice_rules() {
        let ok = json!({"metadata": {"name": "s", "namespace": "d"}, "addressType": "IPv4",
            "endpoints": [{"addresses": ["10.0.0.5"], "nodeName": "n1"}], "ports": [{"port": 80}]});
        let stored = create::<EndpointSlice, _>(EndpointSliceStrategy, ok).unwrap();
        assert_eq!(
            stored["ports"][0],
            json!({"name": "", "protocol": "TCP", "port": 80})
        );
        let bad = json!({"metadata": {"name": "s", "namespace": "d"}, "addressType": "IPv4",
            "endpoints": [{"addresses": ["fd00::1", "127.0.0.1"]}, {"addresses": []}],
            "ports": [{"name": "http", "protocol": "ICMP"}, {"name": "http"}]});
        assert_eq!(
            create_errors::<EndpointSlice, _>(EndpointSliceStrategy, bad),
            vec![
                r#"endpoints[0].addresses[0]: Invalid value: "fd00::1": must be an IPv4 address"#,
                r#"endpoints[0].addresses[1]: Invalid value: "127.0.0.1": may not be in the loopback range (127.0.0.0/8, ::1/128)"#,
                "endpoints[1].addresses: Required value: must contain at least 1 address",
                r#"ports[0].protocol: Unsupported value: "ICMP": supported values: "SCTP", "TCP", "UDP""#,
                r#"ports[1].name: Duplicate value: "http""#,
            ]
        );
        let fqdn = json!({"metadata": {"name": "f", "namespace": "d"}, "addressType": "FQDN",
            "endpoints": [{"addresses": ["localhost"]}]});
        assert_eq!(
            create_errors::<EndpointSlice, _>(EndpointSliceStrategy, fqdn),
            vec![
                r#"endpoints[0].addresses[0]: Invalid value: "localhost": should be a domain with at least two segments separated by dots"#
            ]
        );
        let mut changed = stored.clone();
        changed["addressType"] = json!("IPv6");
        changed["endpoints"] = json!([{"addresses": ["fd00::5"]}]);
        assert_eq!(
            update::<EndpointSlice, _>(EndpointSliceStrategy, changed, &stored).unwrap_err(),
            vec![r#"addressType: Invalid value: "IPv6": field is immutable"#]
        );
    }
}
