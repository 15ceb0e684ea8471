//! IPAddresses (named by the address they allocate) and ServiceCIDRs.

use std::net::IpAddr;

use capstan_apimachinery::validation::{
    FIELD_IMMUTABLE_ERROR_MSG, is_dns1123_subdomain, is_valid_cidr, is_valid_path_segment_name,
};
use capstan_apimachinery::{BadValue, ErrorList, FieldError, Path};
use k8s_openapi::api::networking::v1::{IPAddress, ParentReference, ServiceCIDR};

use crate::builtin::apps::shared::{go_quote, go_string_slice, immutable, struct_value};
use crate::strategy::TypedStrategy;

pub struct IpAddressStrategy;

impl TypedStrategy<IPAddress> for IpAddressStrategy {
    fn validate(&self, ip: &IPAddress) -> ErrorList {
        let mut errs = validate_ip_name(ip.metadata.name.as_deref().unwrap_or(""));
        errs.extend(validate_parent(
            ip.spec.as_ref().map(|s| &s.parent_ref),
            &Path::new("spec"),
        ));
        errs
    }

    fn validate_update(&self, ip: &IPAddress, old: &IPAddress) -> ErrorList {
        let parent = |a: &IPAddress| a.spec.as_ref().map(|s| s.parent_ref.clone());
        immutable(
            &parent(ip),
            &parent(old),
            &Path::new("spec").child("parentRef"),
            || struct_value(&parent(ip)),
        )
    }
}

/// Upstream `ValidateIPAddressName`: the name is an IP address in canonical form.
fn validate_ip_name(name: &str) -> ErrorList {
    let path = Path::new("metadata").child("name");
    match name.parse::<IpAddr>() {
        Err(_) => vec![FieldError::invalid(
            &path,
            name,
            &format!("ParseAddr({}): unable to parse IP", go_quote(name)),
        )],
        Ok(ip) if ip.to_string() != name => vec![FieldError::invalid(
            &path,
            name,
            "must be a canonical format IP address",
        )],
        Ok(_) => Vec::new(),
    }
}

fn segment(value: &str, path: &Path, errs: &mut ErrorList) {
    for msg in is_valid_path_segment_name(value) {
        errs.push(FieldError::invalid(path, value, &msg));
    }
}

/// Upstream `validateIPAddressParentReference`. k8s-openapi reads a missing reference as an
/// empty one; both are reported as missing.
fn validate_parent(parent: Option<&ParentReference>, path: &Path) -> ErrorList {
    let parent = parent.filter(|p| **p != ParentReference::default());
    let Some(p) = parent else {
        return vec![FieldError::required(&path.child("parentRef"), "")];
    };
    let path = path.child("parentRef");
    let mut errs = Vec::new();
    if let Some(group) = p.group.as_deref().filter(|g| !g.is_empty()) {
        for msg in is_dns1123_subdomain(group) {
            errs.push(FieldError::invalid(&path.child("group"), group, &msg));
        }
    }
    for (field, value) in [("resource", p.resource.as_str()), ("name", p.name.as_str())] {
        if value.is_empty() {
            errs.push(FieldError::required(&path.child(field), ""));
        } else {
            segment(value, &path.child(field), &mut errs);
        }
    }
    if let Some(ns) = p.namespace.as_deref().filter(|n| !n.is_empty()) {
        segment(ns, &path.child("namespace"), &mut errs);
    }
    errs
}

pub struct ServiceCidrStrategy;

impl TypedStrategy<ServiceCIDR> for ServiceCidrStrategy {
    fn validate(&self, s: &ServiceCIDR) -> ErrorList {
        validate_cidrs(&cidrs_of(s))
    }

    /// CIDRs are fixed, except that a single-stack range may gain the other family.
    fn validate_update(&self, s: &ServiceCIDR, old: &ServiceCIDR) -> ErrorList {
        let (new, old) = (cidrs_of(s), cidrs_of(old));
        let path = Path::new("spec").child("cidrs");
        if new.len() == old.len() {
            return new
                .iter()
                .zip(old.iter())
                .enumerate()
                .filter(|(_, (n, o))| n != o)
                .map(|(i, (n, _))| {
                    FieldError::invalid(&path.index(i), n.as_str(), FIELD_IMMUTABLE_ERROR_MSG)
                })
                .collect();
        }
        if old.len() == 1 && new.len() == 2 {
            let mut errs = Vec::new();
            if new[0] != old[0] {
                errs.push(FieldError::invalid(
                    &path.index(0),
                    new[0].as_str(),
                    FIELD_IMMUTABLE_ERROR_MSG,
                ));
            }
            errs.extend(validate_cidrs(&new));
            return errs;
        }
        vec![FieldError::invalid(
            &path,
            BadValue::Raw(go_string_slice(Some(&new))),
            FIELD_IMMUTABLE_ERROR_MSG,
        )]
    }
}

fn cidrs_of(s: &ServiceCIDR) -> Vec<String> {
    s.spec
        .as_ref()
        .and_then(|s| s.cidrs.clone())
        .unwrap_or_default()
}

fn spec_value(cidrs: &[String]) -> BadValue {
    BadValue::Raw(format!(
        "networking.ServiceCIDRSpec{{CIDRs:{}}}",
        go_string_slice(Some(cidrs))
    ))
}

/// Upstream `ValidateServiceCIDR`: one or two canonical CIDRs, one per IP family.
fn validate_cidrs(cidrs: &[String]) -> ErrorList {
    let path = Path::new("spec").child("cidrs");
    if cidrs.is_empty() {
        return vec![FieldError::required(&path, "at least one CIDR required")];
    }
    if cidrs.len() > 2 {
        return vec![FieldError::invalid(
            &path,
            spec_value(cidrs),
            "may only hold up to 2 values",
        )];
    }
    let mut errs: ErrorList = cidrs
        .iter()
        .enumerate()
        .flat_map(|(i, c)| is_valid_cidr(&path.index(i), c))
        .collect();
    if cidrs.len() == 2 {
        let family = |c: &str| {
            c.split('/')
                .next()
                .and_then(|ip| ip.parse::<IpAddr>().ok())
                .map(|ip| ip.is_ipv4())
        };
        let (a, b) = (family(&cidrs[0]), family(&cidrs[1]));
        if a.is_none() || b.is_none() || a == b {
            errs.push(FieldError::invalid(
                &path,
                spec_value(cidrs),
                "may specify no more than one IP for each IP family, i.e 192.168.0.0/24 and 2001:db8::/64",
            ));
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
    fn ip_address_rules() {
        let ok = json!({"metadata": {"name": "10.96.0.10"},
            "spec": {"parentRef": {"group": "", "resource": "services", "name": "dns", "namespace": "kube-system"}}});
        let stored = create::<IPAddress, _>(IpAddressStrategy, ok).unwrap();
        let bad = json!({"metadata": {"name": "2001:DB8::1"}, "spec": {"parentRef": {"resource": "services"}}});
        assert_eq!(
            create_errors::<IPAddress, _>(IpAddressStrategy, bad),
            vec![
                r#"metadata.name: Invalid value: "2001:DB8::1": must be a canonical format IP address"#,
                "spec.parentRef.name: Required value",
            ]
        );
        let missing = json!({"metadata": {"name": "x"}});
        assert_eq!(
            create_errors::<IPAddress, _>(IpAddressStrategy, missing),
            vec![
                r#"metadata.name: Invalid value: "x": ParseAddr("x"): unable to parse IP"#,
                "spec.parentRef: Required value",
            ]
        );
        let mut moved = stored.clone();
        moved["spec"]["parentRef"]["name"] = json!("other");
        let errs = update::<IPAddress, _>(IpAddressStrategy, moved, &stored).unwrap_err();
        assert!(errs[0].starts_with("spec.parentRef: Invalid value: "));
    }

    #[test]
    fn service_cidr_rules() {
        let two_v4 =
            json!({"metadata": {"name": "c"}, "spec": {"cidrs": ["10.0.0.0/16", "10.1.0.0/16"]}});
        assert_eq!(
            create_errors::<ServiceCIDR, _>(ServiceCidrStrategy, two_v4),
            vec![
                r#"spec.cidrs: Invalid value: networking.ServiceCIDRSpec{CIDRs:[]string{"10.0.0.0/16", "10.1.0.0/16"}}: may specify no more than one IP for each IP family, i.e 192.168.0.0/24 and 2001:db8::/64"#
            ]
        );
        let none = json!({"metadata": {"name": "c"}, "spec": {}});
        assert_eq!(
            create_errors::<ServiceCIDR, _>(ServiceCidrStrategy, none),
            vec!["spec.cidrs: Required value: at least one CIDR required"]
        );
        let old = create::<ServiceCIDR, _>(
            ServiceCidrStrategy,
            json!({"metadata": {"name": "c"}, "spec": {"cidrs": ["10.0.0.0/16"]}}),
        )
        .unwrap();
        let mut dual = old.clone();
        dual["spec"]["cidrs"] = json!(["10.0.0.0/16", "fd00::/108"]);
        assert!(update::<ServiceCIDR, _>(ServiceCidrStrategy, dual, &old).is_ok());
        let mut changed = old.clone();
        changed["spec"]["cidrs"] = json!(["10.2.0.0/16"]);
        assert_eq!(
            update::<ServiceCIDR, _>(ServiceCidrStrategy, changed, &old).unwrap_err(),
            vec![r#"spec.cidrs[0]: Invalid value: "10.2.0.0/16": field is immutable"#]
        );
    }
}
