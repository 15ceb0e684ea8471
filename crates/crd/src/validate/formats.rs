//! String formats a CRD schema may declare (kube-openapi's `strfmt` registry
//! restricted to what apiextensions-apiserver keeps). Unsupported formats are
//! dropped from the schema before validation, so they never fail.

use std::sync::OnceLock;

use capstan_apimachinery::Path;
use capstan_apimachinery::duration::parse_go_duration;
use capstan_apimachinery::validation::{
    is_valid_cidr_for_legacy_field, is_valid_ip_for_legacy_field,
};
use regex::Regex;

/// Formats (with '-' removed, as upstream normalizes names) that are kept.
const SUPPORTED: &[&str] = &[
    "bsonobjectid",
    "uri",
    "email",
    "hostname",
    "ipv4",
    "ipv6",
    "cidr",
    "mac",
    "uuid",
    "uuid3",
    "uuid4",
    "uuid5",
    "isbn",
    "isbn10",
    "isbn13",
    "creditcard",
    "ssn",
    "hexcolor",
    "rgbcolor",
    "byte",
    "password",
    "date",
    "duration",
    "datetime",
];

fn normalize(format: &str) -> String {
    format.replace('-', "")
}

/// The format upstream validates with: the declared one if supported, else "".
pub fn effective_format(format: &str) -> &str {
    if !format.is_empty() && SUPPORTED.contains(&normalize(format).as_str()) {
        format
    } else {
        ""
    }
}

fn rx(cell: &'static OnceLock<Regex>, pattern: &str) -> &'static Regex {
    cell.get_or_init(|| {
        Regex::new(pattern).unwrap_or_else(|_| Regex::new("$^").expect("empty regex"))
    })
}

macro_rules! static_regex {
    ($name:ident, $pattern:expr) => {
        fn $name() -> &'static Regex {
            static CELL: OnceLock<Regex> = OnceLock::new();
            rx(&CELL, $pattern)
        }
    };
}

static_regex!(
    rx_hostname,
    r"^([a-zA-Z0-9\p{S}\p{L}]((-?[a-zA-Z0-9\p{S}\p{L}]{0,62})?)|([a-zA-Z0-9\p{S}\p{L}](([a-zA-Z0-9\-\p{S}\p{L}]{0,61}[a-zA-Z0-9\p{S}\p{L}])?)(\.)){1,}([a-zA-Z\p{L}]){2,63})$"
);
static_regex!(
    rx_uuid,
    r"(?i)^[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}$"
);
static_regex!(
    rx_uuid3,
    r"(?i)^[0-9a-f]{8}-?[0-9a-f]{4}-?3[0-9a-f]{3}-?[0-9a-f]{4}-?[0-9a-f]{12}$"
);
static_regex!(
    rx_uuid4,
    r"(?i)^[0-9a-f]{8}-?[0-9a-f]{4}-?4[0-9a-f]{3}-?[89ab][0-9a-f]{3}-?[0-9a-f]{12}$"
);
static_regex!(
    rx_uuid5,
    r"(?i)^[0-9a-f]{8}-?[0-9a-f]{4}-?5[0-9a-f]{3}-?[89ab][0-9a-f]{3}-?[0-9a-f]{12}$"
);
static_regex!(
    rx_date_time,
    r"^([0-9]{2}):([0-9]{2}):([0-9]{2})(.[0-9]+)?(z|([+-][0-9]{2}:[0-9]{2}))$"
);
static_regex!(
    rx_base64,
    r"^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=|[A-Za-z0-9+/]{4})$"
);
static_regex!(rx_hexcolor, r"^#?([0-9a-fA-F]{3}|[0-9a-fA-F]{6})$");
static_regex!(
    rx_rgbcolor,
    r"^rgb\(\s*(0|[1-9]\d?|1\d\d?|2[0-4]\d|25[0-5])\s*,\s*(0|[1-9]\d?|1\d\d?|2[0-4]\d|25[0-5])\s*,\s*(0|[1-9]\d?|1\d\d?|2[0-4]\d|25[0-5])\s*\)$"
);
static_regex!(rx_ssn, r"^\d{3}[- ]?\d{2}[- ]?\d{4}$");
static_regex!(
    rx_creditcard,
    r"^(?:4[0-9]{12}(?:[0-9]{3})?|5[1-5][0-9]{14}|6(?:011|5[0-9][0-9])[0-9]{12}|3[47][0-9]{13}|3(?:0[0-5]|[68][0-9])[0-9]{11}|(?:2131|1800|35\d{3})\d{11})$"
);
static_regex!(rx_email, r"^[^@\s<>()\[\],;:]+@[^@\s<>()\[\],;:]+$");
static_regex!(rx_duration_part, r"((\d+)\s*([A-Za-zµ]+))");

/// Whether `value` is valid for `format` (which must be supported).
pub fn validates(format: &str, value: &str) -> bool {
    match normalize(format).as_str() {
        "bsonobjectid" => value.len() == 24 && value.bytes().all(|b| b.is_ascii_hexdigit()),
        "uri" => is_request_uri(value),
        "email" => is_email(value),
        "hostname" => is_hostname(value),
        "ipv4" => is_sloppy_ip(value) && value.contains('.'),
        "ipv6" => is_sloppy_ip(value) && value.contains(':'),
        "cidr" => is_valid_cidr_for_legacy_field(&Path::nil(), value, false, &[]).is_empty(),
        "mac" => is_mac(value),
        "uuid" => rx_uuid().is_match(value),
        "uuid3" => rx_uuid3().is_match(value),
        "uuid4" => rx_uuid4().is_match(value),
        "uuid5" => rx_uuid5().is_match(value),
        "isbn" => is_isbn10(value) || is_isbn13(value),
        "isbn10" => is_isbn10(value),
        "isbn13" => is_isbn13(value),
        "creditcard" => is_credit_card(value),
        "ssn" => value.len() == 11 && rx_ssn().is_match(value),
        "hexcolor" => rx_hexcolor().is_match(value),
        "rgbcolor" => rx_rgbcolor().is_match(value),
        "byte" => rx_base64().is_match(value),
        "password" => true,
        "date" => is_date(value),
        "duration" => is_duration(value),
        "datetime" => is_date_time(value),
        _ => true,
    }
}

fn is_sloppy_ip(value: &str) -> bool {
    is_valid_ip_for_legacy_field(&Path::nil(), value, false, &[]).is_empty()
}

fn is_hostname(value: &str) -> bool {
    rx_hostname().is_match(value) && value.len() <= 255 && value.split('.').all(|p| p.len() <= 63)
}

/// Go's `time.Parse("2006-01-02", s)`.
pub fn is_date(value: &str) -> bool {
    parse_date(value).is_some()
}

pub(crate) fn parse_date(value: &str) -> Option<(i32, u32, u32)> {
    let b = value.as_bytes();
    if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
        return None;
    }
    let digits = |r: std::ops::Range<usize>| -> Option<u32> {
        value
            .get(r)
            .filter(|s| s.bytes().all(|c| c.is_ascii_digit()))?
            .parse()
            .ok()
    };
    let year = digits(0..4)? as i32;
    let month = digits(5..7)?;
    let day = digits(8..10)?;
    if !(1..=12).contains(&month) || day < 1 || day > days_in_month(year, month) {
        return None;
    }
    Some((year, month, day))
}

fn days_in_month(year: i32, month: u32) -> u32 {
    match month {
        2 if (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// kube-openapi's `IsDateTime`: a date, a 't', and a time matched loosely.
fn is_date_time(value: &str) -> bool {
    if value.len() < 4 {
        return false;
    }
    let lower = value.to_lowercase();
    let parts: Vec<&str> = lower.split('t').collect();
    if parts.len() < 2 || !is_date(parts[0]) {
        return false;
    }
    match rx_date_time().captures(parts[1]) {
        Some(c) => {
            let field = |i: usize| c.get(i).map(|m| m.as_str()).unwrap_or("");
            field(1) <= "23" && field(2) <= "59" && field(3) <= "59"
        }
        None => false,
    }
}

/// kube-openapi's `ParseDuration`: Go syntax, or "<n> <unit>" pairs.
fn is_duration(value: &str) -> bool {
    if parse_go_duration(value).is_ok() {
        return true;
    }
    const UNITS: &[&[&str]] = &[
        &["ns", "nano"],
        &["us", "µs", "micro"],
        &["ms", "milli"],
        &["s", "sec"],
        &["m", "min"],
        &["h", "hr", "hour"],
        &["d", "day"],
        &["w", "wk", "week"],
    ];
    let mut ok = false;
    for caps in rx_duration_part().captures_iter(value) {
        let digits = caps.get(2).map(|m| m.as_str()).unwrap_or("");
        if digits.parse::<i64>().is_err() {
            return false;
        }
        let unit = caps
            .get(3)
            .map(|m| m.as_str().trim().to_lowercase())
            .unwrap_or_default();
        for variants in UNITS {
            let last = variants.len() - 1;
            for (i, variant) in variants.iter().enumerate() {
                if (i == last && unit.starts_with(variant)) || variant.eq_ignore_ascii_case(&unit) {
                    ok = true;
                }
            }
        }
    }
    ok
}

/// Go's `url.ParseRequestURI` succeeding: an absolute URI or an absolute path.
fn is_request_uri(value: &str) -> bool {
    if value.is_empty() || value.chars().any(|c| c.is_ascii_control()) || !valid_escapes(value) {
        return false;
    }
    if value.starts_with('/') {
        return true;
    }
    let Some((scheme, rest)) = value.split_once(':') else {
        return false;
    };
    let mut chars = scheme.chars();
    let scheme_ok = chars.next().is_some_and(|c| c.is_ascii_alphabetic())
        && chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'));
    if !scheme_ok {
        return false;
    }
    match rest.strip_prefix("//") {
        Some(authority_and_path) => {
            let authority = authority_and_path
                .split(['/', '?', '#'])
                .next()
                .unwrap_or("");
            let host_port = authority
                .rsplit_once('@')
                .map(|(_, h)| h)
                .unwrap_or(authority);
            valid_host_port(host_port)
        }
        // Opaque URIs ("mailto:x") parse; a relative path after the scheme must be rooted.
        None => !rest.is_empty() || !value.ends_with(':'),
    }
}

fn valid_host_port(host_port: &str) -> bool {
    if let Some(rest) = host_port.strip_prefix('[') {
        let Some((_, after)) = rest.split_once(']') else {
            return false;
        };
        return after.is_empty()
            || after
                .strip_prefix(':')
                .is_some_and(|p| p.bytes().all(|b| b.is_ascii_digit()));
    }
    match host_port.rsplit_once(':') {
        Some((_, port)) => port.bytes().all(|b| b.is_ascii_digit()),
        None => true,
    }
}

fn valid_escapes(value: &str) -> bool {
    let b = value.as_bytes();
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' {
            if i + 2 >= b.len() {
                return false;
            }
            if !(b[i + 1].is_ascii_hexdigit() && b[i + 2].is_ascii_hexdigit()) {
                return false;
            }
            i += 3;
        } else {
            i += 1;
        }
    }
    true
}

/// An approximation of Go's `mail.ParseAddress`: `local@domain`, optionally
/// wrapped as `Display Name <local@domain>`.
fn is_email(value: &str) -> bool {
    let trimmed = value.trim();
    if let Some(start) = trimmed.rfind('<') {
        return trimmed.ends_with('>')
            && rx_email().is_match(&trimmed[start + 1..trimmed.len() - 1]);
    }
    rx_email().is_match(trimmed)
}

/// Go's `net.ParseMAC`: 6, 8 or 20 octets as `xx:xx…`, `xx-xx…` or `xxxx.xxxx…`.
fn is_mac(value: &str) -> bool {
    let hex_group = |g: &str, n: usize| g.len() == n && g.bytes().all(|b| b.is_ascii_hexdigit());
    let valid_len = |octets: usize| matches!(octets, 6 | 8 | 20);
    if value.contains(':') || value.contains('-') {
        let sep = if value.contains(':') { ':' } else { '-' };
        let groups: Vec<&str> = value.split(sep).collect();
        valid_len(groups.len()) && groups.iter().all(|g| hex_group(g, 2))
    } else if value.contains('.') {
        let groups: Vec<&str> = value.split('.').collect();
        valid_len(groups.len() * 2) && groups.iter().all(|g| hex_group(g, 4))
    } else {
        false
    }
}

fn sanitize_isbn(value: &str) -> String {
    value
        .chars()
        .filter(|c| !c.is_whitespace() && *c != '-')
        .collect()
}

fn is_isbn10(value: &str) -> bool {
    let s = sanitize_isbn(value);
    let b = s.as_bytes();
    let shape = b.len() == 10
        && b[..9].iter().all(|c| c.is_ascii_digit())
        && (b[9].is_ascii_digit() || b[9] == b'X');
    if !shape {
        return false;
    }
    let mut sum: u32 = b[..9]
        .iter()
        .enumerate()
        .map(|(i, c)| (i as u32 + 1) * u32::from(c - b'0'))
        .sum();
    sum += 10
        * if b[9] == b'X' {
            10
        } else {
            u32::from(b[9] - b'0')
        };
    sum.is_multiple_of(11)
}

fn is_isbn13(value: &str) -> bool {
    let s = sanitize_isbn(value);
    let b = s.as_bytes();
    if b.len() != 13 || !b.iter().all(|c| c.is_ascii_digit()) {
        return false;
    }
    let sum: u32 = b[..12]
        .iter()
        .enumerate()
        .map(|(i, c)| u32::from(c - b'0') * if i % 2 == 0 { 1 } else { 3 })
        .sum();
    (10 - sum % 10) % 10 == u32::from(b[12] - b'0')
}

fn is_credit_card(value: &str) -> bool {
    let digits: String = value.chars().filter(|c| c.is_ascii_digit()).collect();
    if !rx_creditcard().is_match(&digits) {
        return false;
    }
    let mut sum = 0u32;
    for (i, c) in digits.bytes().rev().enumerate() {
        let mut d = u32::from(c - b'0');
        if i % 2 == 1 {
            d *= 2;
            if d >= 10 {
                d = d % 10 + 1;
            }
        }
        sum += d;
    }
    sum.is_multiple_of(10)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unsupported_formats_are_dropped() {
        assert_eq!(effective_format("int32"), "");
        assert_eq!(effective_format("int64"), "");
        assert_eq!(effective_format("date-time"), "date-time");
        assert_eq!(effective_format("quantity"), "");
        assert_eq!(effective_format("Date"), "");
    }

    #[test]
    fn format_table() {
        let cases: &[(&str, &str, bool)] = &[
            ("date", "2024-02-29", true),
            ("date", "2023-02-29", false),
            ("date", "2024-1-01", false),
            ("date-time", "2024-01-02T10:20:30Z", true),
            ("date-time", "2024-01-02T10:20:30.123+01:00", true),
            ("date-time", "2024-01-02 10:20:30Z", false),
            ("date-time", "2024-01-02T24:00:00Z", false),
            ("date-time", "2024-01-02T10:20:30", false),
            ("uuid", "123e4567-e89b-12d3-a456-426614174000", true),
            ("uuid", "123e4567e89b12d3a456426614174000", true),
            ("uuid", "not-a-uuid", false),
            ("uuid4", "123e4567-e89b-42d3-a456-426614174000", true),
            ("uuid4", "123e4567-e89b-12d3-a456-426614174000", false),
            ("hostname", "example.com", true),
            ("hostname", "-bad.com", false),
            ("ipv4", "10.0.0.1", true),
            ("ipv4", "010.0.0.1", true),
            ("ipv4", "::1", false),
            ("ipv4", "10.0.0", false),
            ("ipv6", "::1", true),
            ("ipv6", "10.0.0.1", false),
            ("cidr", "10.0.0.0/8", true),
            ("cidr", "10.0.0.0/33", false),
            ("cidr", "fd00::/64", true),
            ("mac", "00:1a:2b:3c:4d:5e", true),
            ("mac", "00-1A-2B-3C-4D-5E", true),
            ("mac", "001a.2b3c.4d5e", true),
            ("mac", "00:1a:2b", false),
            ("byte", "aGVsbG8=", true),
            ("byte", "aGVsbG8", false),
            ("byte", "", false),
            ("duration", "1h30m", true),
            ("duration", "3 days", true),
            ("duration", "5 x", false),
            ("uri", "https://example.com/a?b=c", true),
            ("uri", "/relative/path", true),
            ("uri", "example.com", false),
            ("uri", "http://x/%zz", false),
            ("email", "a@b.com", true),
            ("email", "Jane <jane@b.com>", true),
            ("email", "not-an-email", false),
            ("isbn10", "0321751043", true),
            ("isbn13", "978-0321751041", true),
            ("isbn", "0321751044", false),
            ("creditcard", "4111 1111 1111 1111", true),
            ("creditcard", "4111 1111 1111 1112", false),
            ("ssn", "123-45-6789", true),
            ("ssn", "123456789", false),
            ("hexcolor", "#FFF", true),
            ("hexcolor", "#FFFF", false),
            ("rgbcolor", "rgb(255, 0, 10)", true),
            ("rgbcolor", "rgb(256,0,0)", false),
            ("bsonobjectid", "507f1f77bcf86cd799439011", true),
            ("bsonobjectid", "507f1f77bcf86cd79943901", false),
            ("password", "anything", true),
        ];
        for (format, value, want) in cases {
            assert_eq!(validates(format, value), *want, "{format} {value:?}");
        }
    }
}
