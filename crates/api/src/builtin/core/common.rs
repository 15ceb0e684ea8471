//! Small validators shared by the core/v1 strategies (upstream's helpers at the top of
//! pkg/apis/core/validation/validation.go).

use std::collections::BTreeMap;

use capstan_apimachinery::validation::{
    FIELD_IMMUTABLE_ERROR_MSG, IS_NEGATIVE_ERROR_MSG, is_dns1123_label, is_dns1123_subdomain,
    is_qualified_name, max_len_error, regex_error,
};
use capstan_apimachinery::{BadValue, ErrorList, FieldError, Path};

/// The value of an optional string field, "" when unset (Go's zero value).
pub fn s(value: &Option<String>) -> &str {
    value.as_deref().unwrap_or("")
}

/// Upstream `ValidateDNS1123Label`.
pub fn dns_label(value: &str, path: &Path) -> ErrorList {
    invalid_each(path, value, is_dns1123_label(value))
}

/// Upstream `ValidateDNS1123Subdomain`.
pub fn dns_subdomain(value: &str, path: &Path) -> ErrorList {
    invalid_each(path, value, is_dns1123_subdomain(value))
}

/// Upstream `ValidateQualifiedName`.
pub fn qualified_name(value: &str, path: &Path) -> ErrorList {
    invalid_each(path, value, is_qualified_name(value))
}

/// One Invalid error per message, all on the same value.
pub fn invalid_each(path: &Path, value: &str, messages: Vec<String>) -> ErrorList {
    messages
        .iter()
        .map(|m| FieldError::invalid(path, value, m))
        .collect()
}

/// Upstream `ValidateNonnegativeField`.
pub fn nonnegative(value: i64, path: &Path) -> ErrorList {
    if value < 0 {
        vec![FieldError::invalid(path, value, IS_NEGATIVE_ERROR_MSG)]
    } else {
        Vec::new()
    }
}

/// Upstream `ValidateImmutableField` for values that render as the given bad value.
pub fn immutable<T: PartialEq>(
    new: &T,
    old: &T,
    bad: impl Into<BadValue>,
    path: &Path,
) -> ErrorList {
    if new == old {
        Vec::new()
    } else {
        vec![FieldError::invalid(path, bad, FIELD_IMMUTABLE_ERROR_MSG)]
    }
}

/// A JSON rendering of a structured bad value (upstream prints Go structs with `%#v`).
pub fn json_value<T: serde::Serialize>(value: &T) -> BadValue {
    BadValue::Json(serde_json::to_value(value).unwrap_or(serde_json::Value::Null))
}

/// Upstream `validatePathNoBacksteps`: no `..` element.
pub fn path_no_backsteps(target: &str, path: &Path) -> ErrorList {
    if target.replace('\\', "/").split('/').any(|p| p == "..") {
        vec![FieldError::invalid(path, target, "must not contain '..'")]
    } else {
        Vec::new()
    }
}

/// Upstream `validateLocalDescendingPath`: relative, without backsteps.
pub fn local_descending_path(target: &str, path: &Path) -> ErrorList {
    let mut errs = Vec::new();
    if target.starts_with('/') {
        errs.push(FieldError::invalid(path, target, "must be a relative path"));
    }
    errs.extend(path_no_backsteps(target, path));
    errs
}

/// Upstream `ValidateLocalNonReservedPath`.
pub fn local_non_reserved_path(target: &str, path: &Path) -> ErrorList {
    let mut errs = local_descending_path(target, path);
    if target.starts_with("..") && !target.starts_with("../") {
        errs.push(FieldError::invalid(
            path,
            target,
            "must not start with '..'",
        ));
    }
    errs
}

const DNS1123_SUBDOMAIN_UNDERSCORE_FMT: &str =
    "_?[a-z0-9]([-_a-z0-9]*[a-z0-9])?(\\._?[a-z0-9]([-_a-z0-9]*[a-z0-9])?)*";
const DNS1123_SUBDOMAIN_UNDERSCORE_MSG: &str = "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '_', '-' or '.', and must start and end with an alphanumeric character";

fn label_with_underscore(label: &str) -> bool {
    let body = label.strip_prefix('_').unwrap_or(label);
    let b = body.as_bytes();
    let end_ok = |c: u8| c.is_ascii_lowercase() || c.is_ascii_digit();
    match (b.first(), b.last()) {
        (Some(&f), Some(&l)) => {
            end_ok(f) && end_ok(l) && b.iter().all(|&c| end_ok(c) || c == b'-' || c == b'_')
        }
        _ => false,
    }
}

/// Upstream `IsDNS1123SubdomainWithUnderscore` (relaxed DNS search paths).
pub fn dns_subdomain_with_underscore(value: &str, path: &Path) -> ErrorList {
    let mut msgs = Vec::new();
    if value.len() > 253 {
        msgs.push(max_len_error(253));
    }
    if !value.split('.').all(label_with_underscore) {
        msgs.push(regex_error(
            DNS1123_SUBDOMAIN_UNDERSCORE_MSG,
            DNS1123_SUBDOMAIN_UNDERSCORE_FMT,
            &["example.com"],
        ));
    }
    invalid_each(path, value, msgs)
}

/// A map as a Go `map[string]string` bad value (`%#v`), used where upstream passes a label map.
pub fn go_string_map(map: &BTreeMap<String, String>) -> BadValue {
    let items: Vec<String> = map
        .iter()
        .map(|(k, v)| format!("{:?}:{:?}", k, v))
        .collect();
    BadValue::Raw(format!("map[string]string{{{}}}", items.join(", ")))
}

/// The current time, as upstream stamps transition times (whole seconds, as `metav1.Time`).
pub fn now() -> Option<k8s_openapi::apimachinery::pkg::apis::meta::v1::Time> {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .ok()?
        .as_secs();
    let ts = k8s_openapi::jiff::Timestamp::new(i64::try_from(secs).ok()?, 0).ok()?;
    Some(k8s_openapi::apimachinery::pkg::apis::meta::v1::Time(ts))
}

/// The `supported values` error (`field.NotSupported`).
pub fn not_supported(path: &Path, value: &str, supported: &[&str]) -> FieldError {
    FieldError::not_supported(path, value, supported)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths() {
        let p = Path::new("p");
        assert!(local_non_reserved_path("a/b", &p).is_empty());
        assert_eq!(
            local_non_reserved_path("/abs", &p)[0].to_string(),
            "p: Invalid value: \"/abs\": must be a relative path"
        );
        assert_eq!(
            local_non_reserved_path("a/../b", &p)[0].detail,
            "must not contain '..'"
        );
        assert_eq!(
            local_non_reserved_path("..a", &p)[0].detail,
            "must not start with '..'"
        );
    }

    #[test]
    fn underscore_subdomains() {
        let p = Path::new("s");
        assert!(dns_subdomain_with_underscore("_sip._tcp.example.com", &p).is_empty());
        let errs = dns_subdomain_with_underscore("Bad", &p);
        assert_eq!(errs.len(), 1);
        assert!(errs[0].detail.contains("'_', '-' or '.'"));
    }

    #[test]
    fn immutability() {
        let p = Path::new("type");
        assert!(immutable(&"a", &"a", "a", &p).is_empty());
        assert_eq!(
            immutable(&"a", &"b", "a", &p)[0].to_string(),
            "type: Invalid value: \"a\": field is immutable"
        );
    }
}
