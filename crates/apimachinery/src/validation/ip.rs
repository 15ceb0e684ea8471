//! IP and CIDR validation as upstream `pkg/util/validation/ip.go`.
//!
//! Upstream first parses "sloppily" (Go 1.16 `net.ParseIP`: IPv4 octets may
//! carry leading zeros, IPv6 groups may have more than four digits) and then
//! strictly (`net/netip`). Both parsers are reproduced here because the
//! error chosen depends on which one rejects the value.

use crate::field_errors::{FieldError, Path};

/// A parsed address with the facts the strict parser cares about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct ParsedIp {
    /// 4 bytes for IPv4 text, 16 for IPv6 text.
    bytes: [u8; 16],
    is_v4: bool,
    /// Whether `net/netip` would also accept the text.
    strict_ok: bool,
}

impl ParsedIp {
    fn is_4in6(&self) -> bool {
        !self.is_v4
            && self.bytes[..10].iter().all(|&b| b == 0)
            && self.bytes[10..12] == [0xff, 0xff]
    }

    /// Go's `net.IP.String()`: IPv4 (and IPv4-mapped) addresses print dotted.
    fn go_string(&self) -> String {
        if self.is_v4 {
            let b = &self.bytes;
            return format!("{}.{}.{}.{}", b[0], b[1], b[2], b[3]);
        }
        if self.is_4in6() {
            let b = &self.bytes;
            return format!("{}.{}.{}.{}", b[12], b[13], b[14], b[15]);
        }
        format_ipv6(&self.bytes)
    }
}

/// Go's leading-decimal reader (`dtoi`): any number of digits, capped.
fn leading_decimal(s: &[u8]) -> Option<(u32, usize)> {
    let mut n: u32 = 0;
    let mut i = 0;
    while i < s.len() && s[i].is_ascii_digit() {
        n = n * 10 + u32::from(s[i] - b'0');
        if n >= 0xFF_FFFF {
            return None;
        }
        i += 1;
    }
    if i == 0 { None } else { Some((n, i)) }
}

/// Sloppy IPv4 parse; returns the octets and whether any octet had a leading zero.
fn parse_ipv4(s: &[u8]) -> Option<([u8; 4], bool)> {
    let mut out = [0u8; 4];
    let mut pos = 0;
    let mut leading_zero = false;
    for (i, octet) in out.iter_mut().enumerate() {
        if i > 0 {
            if s.get(pos) != Some(&b'.') {
                return None;
            }
            pos += 1;
        }
        let (n, len) = leading_decimal(&s[pos..])?;
        if n > 0xFF {
            return None;
        }
        if len > 1 && s[pos] == b'0' {
            leading_zero = true;
        }
        *octet = n as u8;
        pos += len;
    }
    if pos != s.len() {
        return None;
    }
    Some((out, leading_zero))
}

/// Sloppy IPv6 parse (with optional trailing IPv4); returns the bytes and
/// whether the strict parser would accept it too.
fn parse_ipv6(s: &[u8]) -> Option<([u8; 16], bool)> {
    let mut groups: Vec<u16> = Vec::with_capacity(8);
    let mut ellipsis: Option<usize> = None;
    let mut strict_ok = true;
    let mut pos = 0;
    if s.starts_with(b"::") {
        ellipsis = Some(0);
        pos = 2;
    }
    // Every ':' must be followed by a group, except a final "::"; the loop
    // exits through the `break`s below.
    while pos < s.len() || ellipsis.is_none() {
        let start = pos;
        let mut value: u32 = 0;
        while pos < s.len() && s[pos].is_ascii_hexdigit() {
            value = value * 16 + (s[pos] as char).to_digit(16).unwrap_or(0);
            if value > 0xFFFF {
                return None;
            }
            pos += 1;
        }
        if pos == start {
            return None;
        }
        if pos < s.len() && s[pos] == b'.' {
            // Trailing dotted IPv4 takes the last two groups.
            if (ellipsis.is_none() && groups.len() != 6) || groups.len() + 2 > 8 {
                return None;
            }
            let (v4, leading_zero) = parse_ipv4(&s[start..])?;
            strict_ok &= !leading_zero;
            groups.push(u16::from_be_bytes([v4[0], v4[1]]));
            groups.push(u16::from_be_bytes([v4[2], v4[3]]));
            pos = s.len();
            break;
        }
        if pos - start > 4 {
            strict_ok = false;
        }
        groups.push(value as u16);
        if pos == s.len() {
            break;
        }
        if s[pos] != b':' || groups.len() == 8 {
            return None;
        }
        pos += 1;
        if pos == s.len() {
            return None;
        }
        if s[pos] == b':' {
            if ellipsis.is_some() {
                return None;
            }
            ellipsis = Some(groups.len());
            pos += 1;
            if pos == s.len() {
                break;
            }
        }
    }
    if pos != s.len() {
        return None;
    }
    let full: Vec<u16> = match ellipsis {
        Some(at) => {
            if groups.len() >= 8 {
                return None;
            }
            let mut v = groups[..at].to_vec();
            v.extend(std::iter::repeat_n(0, 8 - groups.len()));
            v.extend_from_slice(&groups[at..]);
            v
        }
        None if groups.len() == 8 => groups,
        None => return None,
    };
    let mut bytes = [0u8; 16];
    for (i, g) in full.iter().enumerate() {
        bytes[2 * i..2 * i + 2].copy_from_slice(&g.to_be_bytes());
    }
    Some((bytes, strict_ok))
}

/// Upstream's sloppy `ParseIP`: the first '.' or ':' decides the family.
fn parse_ip(value: &str) -> Option<ParsedIp> {
    let b = value.as_bytes();
    match b.iter().find(|c| **c == b'.' || **c == b':') {
        Some(b'.') => parse_ipv4(b).map(|(v4, leading_zero)| {
            let mut bytes = [0u8; 16];
            bytes[..4].copy_from_slice(&v4);
            ParsedIp {
                bytes,
                is_v4: true,
                strict_ok: !leading_zero,
            }
        }),
        Some(_) => parse_ipv6(b).map(|(bytes, strict_ok)| ParsedIp {
            bytes,
            is_v4: false,
            strict_ok,
        }),
        None => None,
    }
}

/// RFC 5952 text (as Go prints IPv6): lowercase, the first longest run of
/// two or more zero groups collapsed to "::".
fn format_ipv6(bytes: &[u8; 16]) -> String {
    let groups: Vec<u16> = (0..8)
        .map(|i| u16::from_be_bytes([bytes[2 * i], bytes[2 * i + 1]]))
        .collect();
    let (mut best_start, mut best_len) = (usize::MAX, 0);
    let mut i = 0;
    while i < 8 {
        if groups[i] == 0 {
            let start = i;
            while i < 8 && groups[i] == 0 {
                i += 1;
            }
            if i - start >= 2 && i - start > best_len {
                best_start = start;
                best_len = i - start;
            }
        } else {
            i += 1;
        }
    }
    let hex = |g: &u16| format!("{g:x}");
    if best_len == 0 {
        return groups.iter().map(hex).collect::<Vec<_>>().join(":");
    }
    let head: Vec<String> = groups[..best_start].iter().map(hex).collect();
    let tail: Vec<String> = groups[best_start + best_len..].iter().map(hex).collect();
    format!("{}::{}", head.join(":"), tail.join(":"))
}

const INVALID_IP: &str = "must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)";
const INVALID_CIDR: &str = "must be a valid CIDR value, (e.g. 10.9.8.0/24 or 2001:db8::/64)";

fn parse_ip_checked(path: &Path, value: &str, strict: bool) -> Result<ParsedIp, Vec<FieldError>> {
    let Some(ip) = parse_ip(value) else {
        return Err(vec![FieldError::invalid(path, value, INVALID_IP)]);
    };
    if strict {
        if !ip.strict_ok {
            return Err(vec![FieldError::invalid(
                path,
                value,
                "must not have leading 0s",
            )]);
        }
        if ip.is_4in6() {
            return Err(vec![FieldError::invalid(
                path,
                value,
                "must not be an IPv4-mapped IPv6 address",
            )]);
        }
    }
    Ok(ip)
}

/// Upstream `IsValidIP`: a strictly valid IP in canonical form.
pub fn is_valid_ip(path: &Path, value: &str) -> Vec<FieldError> {
    match parse_ip_checked(path, value, true) {
        Err(errs) => errs,
        Ok(ip) => {
            let canonical = ip.go_string();
            if canonical == value {
                Vec::new()
            } else {
                let detail = format!(
                    "must be in canonical form ({})",
                    crate::go_fmt::quote(&canonical)
                );
                vec![FieldError::invalid(path, value, &detail)]
            }
        }
    }
}

/// Upstream `IsValidIPForLegacyField`: values in `valid_old_ips` pass as-is.
pub fn is_valid_ip_for_legacy_field(
    path: &Path,
    value: &str,
    strict: bool,
    valid_old_ips: &[String],
) -> Vec<FieldError> {
    if valid_old_ips.iter().any(|v| v == value) {
        return Vec::new();
    }
    parse_ip_checked(path, value, strict)
        .err()
        .unwrap_or_default()
}

/// Upstream `GetWarningsForIP` for a value that passed legacy validation.
pub fn warnings_for_ip(path: &Path, value: &str) -> Vec<String> {
    let Some(ip) = parse_ip(value) else {
        return Vec::new();
    };
    if !ip.strict_ok || ip.is_4in6() {
        return vec![format!(
            "{path}: non-standard IP address {} will be considered invalid in a future Kubernetes release: use {}",
            crate::go_fmt::quote(value),
            crate::go_fmt::quote(&ip.go_string())
        )];
    }
    if !ip.is_v4 {
        let canonical = format_ipv6(&ip.bytes);
        if canonical != value {
            return vec![format!(
                "{path}: IPv6 address {} should be in RFC 5952 canonical format ({})",
                crate::go_fmt::quote(value),
                crate::go_fmt::quote(&canonical)
            )];
        }
    }
    Vec::new()
}

struct ParsedCidr {
    ip: ParsedIp,
    prefix_len: u32,
    prefix_strict_ok: bool,
}

impl ParsedCidr {
    fn bits(&self) -> u32 {
        if self.ip.is_v4 { 32 } else { 128 }
    }

    fn masked(&self) -> ParsedIp {
        let mut ip = self.ip;
        let total = self.bits() as usize / 8;
        for (i, byte) in ip.bytes[..total].iter_mut().enumerate() {
            let bit_start = (i * 8) as u32;
            if bit_start >= self.prefix_len {
                *byte = 0;
            } else if bit_start + 8 > self.prefix_len {
                let keep = self.prefix_len - bit_start;
                *byte &= 0xFFu8 << (8 - keep);
            }
        }
        ip
    }

    /// Go's `IPNet.String()` for the masked network.
    fn network_string(&self) -> String {
        let masked = self.masked();
        let text = if masked.is_v4 {
            masked.go_string()
        } else {
            format_ipv6(&masked.bytes)
        };
        format!("{}/{}", text, self.prefix_len)
    }
}

fn parse_cidr(value: &str) -> Option<ParsedCidr> {
    let (addr, mask) = value.split_once('/')?;
    let ip = match parse_ipv4(addr.as_bytes()) {
        Some((v4, leading_zero)) => {
            let mut bytes = [0u8; 16];
            bytes[..4].copy_from_slice(&v4);
            ParsedIp {
                bytes,
                is_v4: true,
                strict_ok: !leading_zero,
            }
        }
        None => {
            let (bytes, strict_ok) = parse_ipv6(addr.as_bytes())?;
            ParsedIp {
                bytes,
                is_v4: false,
                strict_ok,
            }
        }
    };
    let (n, len) = leading_decimal(mask.as_bytes())?;
    let max = if ip.is_v4 { 32 } else { 128 };
    if len != mask.len() || n > max {
        return None;
    }
    Some(ParsedCidr {
        ip,
        prefix_len: n,
        prefix_strict_ok: !(mask.len() > 1 && mask.starts_with('0')),
    })
}

fn parse_cidr_checked(
    path: &Path,
    value: &str,
    strict: bool,
) -> Result<ParsedCidr, Vec<FieldError>> {
    let Some(cidr) = parse_cidr(value) else {
        return Err(vec![FieldError::invalid(path, value, INVALID_CIDR)]);
    };
    if strict {
        let detail = if !cidr.ip.strict_ok || !cidr.prefix_strict_ok {
            Some("must not have leading 0s in IP or prefix length")
        } else if cidr.ip.is_4in6() {
            Some("must not have an IPv4-mapped IPv6 address")
        } else if cidr.masked().bytes != cidr.ip.bytes {
            Some("must not have bits set beyond the prefix length")
        } else {
            None
        };
        if let Some(detail) = detail {
            return Err(vec![FieldError::invalid(path, value, detail)]);
        }
    }
    Ok(cidr)
}

/// Upstream `IsValidCIDR`: a strictly valid CIDR in canonical form.
pub fn is_valid_cidr(path: &Path, value: &str) -> Vec<FieldError> {
    match parse_cidr_checked(path, value, true) {
        Err(errs) => errs,
        Ok(cidr) => {
            let canonical = cidr.network_string();
            if canonical == value {
                Vec::new()
            } else {
                let detail = format!(
                    "must be in canonical form ({})",
                    crate::go_fmt::quote(&canonical)
                );
                vec![FieldError::invalid(path, value, &detail)]
            }
        }
    }
}

/// Upstream `IsValidCIDRForLegacyField`.
pub fn is_valid_cidr_for_legacy_field(
    path: &Path,
    value: &str,
    strict: bool,
    valid_old_cidrs: &[String],
) -> Vec<FieldError> {
    if valid_old_cidrs.iter().any(|v| v == value) {
        return Vec::new();
    }
    parse_cidr_checked(path, value, strict)
        .err()
        .unwrap_or_default()
}

#[cfg(test)]
#[path = "ip_tests.rs"]
mod tests;
