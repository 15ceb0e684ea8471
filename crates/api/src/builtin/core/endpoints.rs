//! Endpoints (upstream SetDefaults_Endpoints, ValidateEndpoints, ValidateNonSpecialIP).

use std::net::{IpAddr, Ipv4Addr};

use capstan_apimachinery::validation::{
    is_valid_ip_for_legacy_field, is_valid_port_num, name_is_dns_subdomain,
};
use capstan_apimachinery::{ErrorList, FieldError, Path};
use k8s_openapi::api::core::v1::{EndpointAddress, EndpointPort, Endpoints};

use super::common::{dns_label, invalid_each, not_supported, qualified_name, s};
use crate::strategy::TypedStrategy;

pub struct EndpointsStrategy;

/// Go's sloppy IP parsing: IPv4 octets may carry leading zeros.
fn parse_sloppy(ip: &str) -> Option<IpAddr> {
    if let Ok(a) = ip.parse::<IpAddr>() {
        return Some(a);
    }
    let octets: Vec<u8> = ip
        .split('.')
        .map(|o| o.parse::<u8>().ok())
        .collect::<Option<_>>()?;
    (octets.len() == 4)
        .then(|| IpAddr::V4(Ipv4Addr::new(octets[0], octets[1], octets[2], octets[3])))
}

/// Upstream ValidateNonSpecialIP: no unspecified, loopback or link-local addresses.
pub fn validate_non_special_ip(ip: &str, path: &Path) -> ErrorList {
    let Some(addr) = parse_sloppy(ip) else {
        return vec![FieldError::invalid(path, ip, "must be a valid IP address")];
    };
    let addr = match addr {
        IpAddr::V6(v6) => v6
            .to_ipv4_mapped()
            .map(IpAddr::V4)
            .unwrap_or(IpAddr::V6(v6)),
        v4 => v4,
    };
    let (unspecified, loopback, link_local, link_local_multicast) = match addr {
        IpAddr::V4(a) => {
            let o = a.octets();
            (
                a.is_unspecified(),
                a.is_loopback(),
                a.is_link_local(),
                o[0] == 224 && o[1] == 0 && o[2] == 0,
            )
        }
        IpAddr::V6(a) => {
            let seg = a.segments();
            (
                a.is_unspecified(),
                a.is_loopback(),
                seg[0] & 0xffc0 == 0xfe80,
                seg[0] & 0xff0f == 0xff02,
            )
        }
    };
    let mut errs = Vec::new();
    if unspecified {
        errs.push(FieldError::invalid(
            path,
            ip,
            &format!("may not be unspecified ({ip})"),
        ));
    }
    if loopback {
        errs.push(FieldError::invalid(
            path,
            ip,
            "may not be in the loopback range (127.0.0.0/8, ::1/128)",
        ));
    }
    if link_local {
        errs.push(FieldError::invalid(
            path,
            ip,
            "may not be in the link-local range (169.254.0.0/16, fe80::/10)",
        ));
    }
    if link_local_multicast {
        errs.push(FieldError::invalid(
            path,
            ip,
            "may not be in the link-local multicast range (224.0.0.0/24, ff02::/10)",
        ));
    }
    errs
}

fn validate_address(a: &EndpointAddress, path: &Path) -> ErrorList {
    let mut errs = is_valid_ip_for_legacy_field(&path.child("ip"), &a.ip, false, &[]);
    let host = s(&a.hostname);
    if !host.is_empty() {
        errs.extend(dns_label(host, &path.child("hostname")));
    }
    if let Some(node) = &a.node_name {
        errs.extend(invalid_each(
            &path.child("nodeName"),
            node,
            name_is_dns_subdomain(node, false),
        ));
    }
    errs.extend(validate_non_special_ip(&a.ip, &path.child("ip")));
    errs
}

fn validate_port(p: &EndpointPort, require_name: bool, path: &Path) -> ErrorList {
    let mut errs = Vec::new();
    let name = s(&p.name);
    if require_name && name.is_empty() {
        errs.push(FieldError::required(&path.child("name"), ""));
    } else if !name.is_empty() {
        errs.extend(dns_label(name, &path.child("name")));
    }
    for m in is_valid_port_num(p.port.into()) {
        errs.push(FieldError::invalid(&path.child("port"), p.port, &m));
    }
    match s(&p.protocol) {
        "TCP" | "UDP" | "SCTP" => {}
        "" => errs.push(FieldError::required(&path.child("protocol"), "")),
        other => errs.push(not_supported(
            &path.child("protocol"),
            other,
            &["SCTP", "TCP", "UDP"],
        )),
    }
    if let Some(app) = &p.app_protocol {
        errs.extend(qualified_name(app, &path.child("appProtocol")));
    }
    errs
}

/// Upstream validateEndpointSubsets.
pub fn validate_endpoints(ep: &Endpoints) -> ErrorList {
    let mut errs = Vec::new();
    let path = Path::new("subsets");
    for (i, ss) in ep.subsets.iter().flatten().enumerate() {
        let p = path.index(i);
        let ready = ss.addresses.as_deref().unwrap_or(&[]);
        let not_ready = ss.not_ready_addresses.as_deref().unwrap_or(&[]);
        if ready.is_empty() && not_ready.is_empty() {
            errs.push(FieldError::required(
                &p,
                "must specify `addresses` or `notReadyAddresses`",
            ));
        }
        for (j, a) in ready.iter().enumerate() {
            errs.extend(validate_address(a, &p.child("addresses").index(j)));
        }
        for (j, a) in not_ready.iter().enumerate() {
            errs.extend(validate_address(a, &p.child("notReadyAddresses").index(j)));
        }
        let ports = ss.ports.as_deref().unwrap_or(&[]);
        for (j, port) in ports.iter().enumerate() {
            errs.extend(validate_port(
                port,
                ports.len() > 1,
                &p.child("ports").index(j),
            ));
        }
    }
    errs
}

impl TypedStrategy<Endpoints> for EndpointsStrategy {
    fn default(&self, ep: &mut Endpoints) {
        for port in ep
            .subsets
            .iter_mut()
            .flatten()
            .flat_map(|ss| ss.ports.iter_mut().flatten())
        {
            if s(&port.protocol).is_empty() {
                port.protocol = Some("TCP".into());
            }
        }
    }

    fn validate(&self, ep: &Endpoints) -> ErrorList {
        validate_endpoints(ep)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use k8s_openapi::api::core::v1::EndpointSubset;

    fn ep(ip: &str, ports: Vec<EndpointPort>) -> Endpoints {
        Endpoints {
            subsets: Some(vec![EndpointSubset {
                addresses: Some(vec![EndpointAddress {
                    ip: ip.into(),
                    ..Default::default()
                }]),
                ports: Some(ports),
                ..Default::default()
            }]),
            ..Default::default()
        }
    }

    fn port(name: &str, p: i32) -> EndpointPort {
        EndpointPort {
            name: Some(name.into()),
            port: p,
            ..Default::default()
        }
    }

    fn run(e: &mut Endpoints) -> Vec<String> {
        EndpointsStrategy.default(e);
        EndpointsStrategy
            .validate(e)
            .iter()
            .map(|e| e.to_string())
            .collect()
    }

    #[test]
    fn valid_and_defaulted() {
        let mut e = ep("10.1.2.3", vec![port("", 80)]);
        assert!(run(&mut e).is_empty());
        assert_eq!(
            e.subsets.unwrap()[0].ports.as_ref().unwrap()[0]
                .protocol
                .as_deref(),
            Some("TCP")
        );
    }

    #[test]
    fn rules() {
        assert_eq!(
            run(&mut ep("127.0.0.1", vec![port("", 80)])),
            vec![
                "subsets[0].addresses[0].ip: Invalid value: \"127.0.0.1\": may not be in the loopback range (127.0.0.0/8, ::1/128)"
            ]
        );
        assert_eq!(
            run(&mut ep("10.1.2.3", vec![port("", 80), port("b", 81)])),
            vec!["subsets[0].ports[0].name: Required value"]
        );
        assert_eq!(
            run(&mut ep("10.1.2.3", vec![port("", 0)])),
            vec![
                "subsets[0].ports[0].port: Invalid value: 0: must be between 1 and 65535, inclusive"
            ]
        );
        let mut empty = Endpoints {
            subsets: Some(vec![Default::default()]),
            ..Default::default()
        };
        assert_eq!(
            run(&mut empty),
            vec!["subsets[0]: Required value: must specify `addresses` or `notReadyAddresses`"]
        );
        assert_eq!(
            validate_non_special_ip("169.254.1.1", &Path::new("ip")).len(),
            1
        );
        assert_eq!(
            validate_non_special_ip("0.0.0.0", &Path::new("ip"))[0].detail,
            "may not be unspecified (0.0.0.0)"
        );
    }
}
