use super::*;

fn detail(errs: &[FieldError]) -> String {
    errs.iter()
        .map(|e| e.detail.clone())
        .collect::<Vec<_>>()
        .join("|")
}

#[test]
fn valid_ips() {
    let p = Path::new("ip");
    for ok in [
        "1.2.3.4",
        "0.0.0.0",
        "255.255.255.255",
        "1234::abcd",
        "::",
        "::1",
        "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff",
        "2001:db8::1:0:0:1",
        "1:0:1:1:1:1:1:1",
    ] {
        assert!(is_valid_ip(&p, ok).is_empty(), "{ok}");
    }
}

#[test]
fn non_canonical_ips() {
    let p = Path::new("ip");
    assert_eq!(
        detail(&is_valid_ip(&p, "0:0:0:0:0:0:0:0")),
        "must be in canonical form (\"::\")"
    );
    assert_eq!(
        detail(&is_valid_ip(&p, "0001:002:03:4::")),
        "must be in canonical form (\"1:2:3:4::\")"
    );
    assert_eq!(
        detail(&is_valid_ip(&p, "1234::ABCD")),
        "must be in canonical form (\"1234::abcd\")"
    );
    assert_eq!(
        detail(&is_valid_ip(&p, "2001:db8:0:0::2")),
        "must be in canonical form (\"2001:db8::2\")"
    );
}

#[test]
fn strict_only_failures() {
    let p = Path::new("ip");
    assert_eq!(
        detail(&is_valid_ip(&p, "1.1.1.01")),
        "must not have leading 0s"
    );
    assert_eq!(
        detail(&is_valid_ip(&p, "::ffff:1.1.1.1")),
        "must not be an IPv4-mapped IPv6 address"
    );
    assert!(is_valid_ip_for_legacy_field(&p, "1.1.1.01", false, &[]).is_empty());
    assert!(is_valid_ip_for_legacy_field(&p, "::ffff:1.1.1.1", false, &[]).is_empty());
    assert_eq!(
        detail(&is_valid_ip_for_legacy_field(&p, "1.1.1.01", true, &[])),
        "must not have leading 0s"
    );
    assert!(
        is_valid_ip_for_legacy_field(&p, "1.1.1.01", true, &["1.1.1.01".to_string()]).is_empty()
    );
}

#[test]
fn invalid_ips() {
    let p = Path::new("ip");
    for bad in [
        "",
        "aaaaaaa",
        "myhost.mydomain",
        "1.2.3.0/24",
        "1.2.3.400",
        "-1.0.0.0",
        "2001:db8::10005",
        "1.2.3.4:80",
        "[2001:db8::1]",
        "[2001:db8::1]:80",
        "example.com:80",
        "1234::abcd%eth0",
        "169.254.0.0%eth0",
        "1::2::3",
        "1:2:3:4:5:6:7:8:9",
        "1:",
        ":1",
        ":::",
    ] {
        let errs = is_valid_ip(&p, bad);
        assert_eq!(errs.len(), 1, "{bad}");
        assert_eq!(
            errs[0].to_string(),
            format!(
                "ip: Invalid value: {}: {INVALID_IP}",
                crate::go_fmt::quote(bad)
            )
        );
    }
}

#[test]
fn ip_warnings() {
    let p = Path::new("spec").child("clusterIPs").index(0);
    assert!(warnings_for_ip(&p, "192.12.2.2").is_empty());
    assert_eq!(warnings_for_ip(&p, "192.012.2.2"), vec![
        "spec.clusterIPs[0]: non-standard IP address \"192.012.2.2\" will be considered invalid in a future Kubernetes release: use \"192.12.2.2\"".to_string()]);
    assert_eq!(warnings_for_ip(&p, "::ffff:192.12.2.2"), vec![
        "spec.clusterIPs[0]: non-standard IP address \"::ffff:192.12.2.2\" will be considered invalid in a future Kubernetes release: use \"192.12.2.2\"".to_string()]);
    let lb = Path::new("spec").child("loadBalancerIP");
    assert_eq!(warnings_for_ip(&lb, "2001:db8:0:0::2"), vec![
        "spec.loadBalancerIP: IPv6 address \"2001:db8:0:0::2\" should be in RFC 5952 canonical format (\"2001:db8::2\")".to_string()]);
}

#[test]
fn cidrs() {
    let p = Path::new("c");
    for ok in [
        "1.0.0.0/8",
        "0.0.0.0/0",
        "1.2.3.4/32",
        "2001:db8::/64",
        "::/0",
        "::1/128",
    ] {
        assert!(is_valid_cidr(&p, ok).is_empty(), "{ok}");
    }
    assert_eq!(
        detail(&is_valid_cidr(&p, "2001:DB8::/64")),
        "must be in canonical form (\"2001:db8::/64\")"
    );
    assert_eq!(
        detail(&is_valid_cidr(&p, "1.2.3.4/24")),
        "must not have bits set beyond the prefix length"
    );
    assert_eq!(
        detail(&is_valid_cidr(&p, "1.2.3.0/024")),
        "must not have leading 0s in IP or prefix length"
    );
    assert_eq!(
        detail(&is_valid_cidr(&p, "1.2.03.0/24")),
        "must not have leading 0s in IP or prefix length"
    );
    assert_eq!(
        detail(&is_valid_cidr(&p, "::ffff:1.2.3.0/120")),
        "must not have an IPv4-mapped IPv6 address"
    );
    for bad in [
        "",
        "1.2.3.4",
        "1.2.3.0/33",
        "2001:db8::/129",
        "1.2.3.0/-1",
        "1.2.3.0/",
        "a/8",
    ] {
        assert_eq!(detail(&is_valid_cidr(&p, bad)), INVALID_CIDR, "{bad}");
    }
    assert!(is_valid_cidr_for_legacy_field(&p, "1.2.3.4/24", false, &[]).is_empty());
    assert!(is_valid_cidr_for_legacy_field(&p, "1.2.3.0/024", false, &[]).is_empty());
}
