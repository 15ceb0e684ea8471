//! Validation helpers every non-core group uses: Go renderings of values for error texts (upstream
//! prints struct values with `%#v`), label selectors of workloads, int-or-percent fields and
//! immutable fields.

use std::collections::BTreeMap;

use capstan_apimachinery::labels::{Selector, selector_from_label_selector};
use capstan_apimachinery::validation::{
    FIELD_IMMUTABLE_ERROR_MSG, LabelSelectorValidationOptions, is_dns1123_subdomain,
    is_valid_percent, regex_error, validate_label_selector, validate_nonnegative_field,
};
use capstan_apimachinery::{BadValue, ErrorList, FieldError, Path};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::LabelSelector;
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;
use serde::Serialize;

/// Go's `strconv.Quote` for the characters that occur in API values.
pub fn go_quote(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x20 || c as u32 == 0x7f => {
                out.push_str(&format!("\\x{:02x}", c as u32));
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// `%#v` of a `map[string]string` (keys sorted, as Go's fmt prints maps).
pub fn go_string_map(map: Option<&BTreeMap<String, String>>) -> String {
    match map {
        None => "map[string]string(nil)".to_string(),
        Some(m) => {
            let entries: Vec<String> = m
                .iter()
                .map(|(k, v)| format!("{}:{}", go_quote(k), go_quote(v)))
                .collect();
            format!("map[string]string{{{}}}", entries.join(", "))
        }
    }
}

/// `%#v` of a `[]string`.
pub fn go_string_slice(items: Option<&[String]>) -> String {
    match items {
        None => "[]string(nil)".to_string(),
        Some(v) => {
            let quoted: Vec<String> = v.iter().map(|s| go_quote(s)).collect();
            format!("[]string{{{}}}", quoted.join(", "))
        }
    }
}

/// A label map as upstream reports it (`map[string]string{...}`).
pub fn labels_value(map: Option<&BTreeMap<String, String>>) -> BadValue {
    BadValue::Raw(go_string_map(map))
}

/// A `*metav1.LabelSelector` as upstream reports it.
pub fn label_selector_value(selector: Option<&LabelSelector>) -> BadValue {
    let Some(s) = selector else {
        return BadValue::Null;
    };
    let expressions = match &s.match_expressions {
        None => "[]v1.LabelSelectorRequirement(nil)".to_string(),
        Some(list) => {
            let items: Vec<String> = list
                .iter()
                .map(|r| {
                    format!(
                        "v1.LabelSelectorRequirement{{Key:{}, Operator:{}, Values:{}}}",
                        go_quote(&r.key),
                        go_quote(&r.operator),
                        go_string_slice(r.values.as_deref())
                    )
                })
                .collect();
            format!("[]v1.LabelSelectorRequirement{{{}}}", items.join(", "))
        }
    };
    BadValue::Raw(format!(
        "v1.LabelSelector{{MatchLabels:{}, MatchExpressions:{}}}",
        go_string_map(s.match_labels.as_ref()),
        expressions
    ))
}

/// An `intstr.IntOrString` value as upstream reports it.
pub fn int_or_string_value(v: &IntOrString) -> BadValue {
    BadValue::Raw(match v {
        IntOrString::Int(i) => format!("intstr.IntOrString{{Type:0, IntVal:{i}, StrVal:\"\"}}"),
        IntOrString::String(s) => {
            format!(
                "intstr.IntOrString{{Type:1, IntVal:0, StrVal:{}}}",
                go_quote(s)
            )
        }
    })
}

/// A large struct, shown as its JSON form (upstream prints Go syntax no client parses).
pub fn struct_value<T: Serialize>(value: &T) -> BadValue {
    BadValue::Json(serde_json::to_value(value).unwrap_or(serde_json::Value::Null))
}

/// Upstream `ValidateImmutableField`: `field is immutable` when the values differ.
pub fn immutable<T: PartialEq + ?Sized>(
    new: &T,
    old: &T,
    path: &Path,
    value: impl FnOnce() -> BadValue,
) -> ErrorList {
    if new == old {
        Vec::new()
    } else {
        vec![FieldError::invalid(
            path,
            value(),
            FIELD_IMMUTABLE_ERROR_MSG,
        )]
    }
}

/// `ValidateNonnegativeField` of an optional field (absent values are not checked).
pub fn nonnegative(value: Option<i32>, path: &Path) -> ErrorList {
    value.map_or_else(Vec::new, |v| validate_nonnegative_field(v.into(), path))
}

/// The whole-number percent of `"25%"`, if the value is a valid percent string.
pub fn percent_value(v: &IntOrString) -> Option<i64> {
    match v {
        IntOrString::String(s) if is_valid_percent(s).is_empty() => {
            s.trim_end_matches('%').parse().ok()
        }
        _ => None,
    }
}

/// Upstream `getIntOrPercentValue`: the percent, the int, or the string read as an int (else 0).
pub fn int_or_percent_value(v: &IntOrString) -> i64 {
    if let Some(p) = percent_value(v) {
        return p;
    }
    match v {
        IntOrString::Int(i) => (*i).into(),
        IntOrString::String(s) => s.parse().unwrap_or(0),
    }
}

/// Upstream `ValidatePositiveIntOrPercent`: a non-negative int or a valid percent string.
pub fn validate_positive_int_or_percent(v: &IntOrString, path: &Path) -> ErrorList {
    match v {
        IntOrString::String(s) => is_valid_percent(s)
            .iter()
            .map(|msg| FieldError::invalid(path, int_or_string_value(v), msg))
            .collect(),
        IntOrString::Int(i) => validate_nonnegative_field((*i).into(), path),
    }
}

/// Upstream `IsNotMoreThan100Percent`.
pub fn not_more_than_100_percent(v: &IntOrString, path: &Path) -> ErrorList {
    match percent_value(v) {
        Some(p) if p > 100 => vec![FieldError::invalid(
            path,
            int_or_string_value(v),
            "must not be greater than 100%",
        )],
        _ => Vec::new(),
    }
}

/// True when the selector has neither matchLabels nor matchExpressions. k8s-openapi decodes a
/// missing required selector as the empty one, so the two cannot be told apart.
pub fn selector_unset(s: &LabelSelector) -> bool {
    s.match_labels.is_none() && s.match_expressions.is_none()
}

/// True when the selector selects everything (no labels, no expressions).
pub fn selector_empty(s: &LabelSelector) -> bool {
    s.match_labels.as_ref().is_none_or(|m| m.is_empty())
        && s.match_expressions.as_ref().is_none_or(|e| e.is_empty())
}

/// The selector of a workload (Deployment, ReplicaSet, StatefulSet): required, valid (label
/// values strictly checked) and not empty — `empty selector is invalid for <kind>`.
pub fn validate_workload_selector(selector: &LabelSelector, kind: &str, path: &Path) -> ErrorList {
    if selector_unset(selector) {
        return vec![FieldError::required(path, "")];
    }
    let mut errs = validate_label_selector(
        Some(selector),
        LabelSelectorValidationOptions::default(),
        path,
    );
    if selector_empty(selector) {
        errs.push(FieldError::invalid(
            path,
            label_selector_value(Some(selector)),
            &format!("empty selector is invalid for {kind}"),
        ));
    }
    errs
}

/// Upstream `LabelSelectorAsSelector` of a workload selector (`None` when it cannot convert).
pub fn as_selector(selector: &LabelSelector) -> Option<Selector> {
    selector_from_label_selector(Some(selector)).ok()
}

/// `` `selector` does not match template `labels` `` when a non-empty selector misses the
/// template's labels.
pub fn selector_matches_template(
    selector: &Selector,
    labels: Option<&BTreeMap<String, String>>,
    path: &Path,
) -> ErrorList {
    let empty = BTreeMap::new();
    if selector.is_empty() || selector.matches(labels.unwrap_or(&empty)) {
        return Vec::new();
    }
    vec![FieldError::invalid(
        path,
        labels_value(labels),
        "`selector` does not match template `labels`",
    )]
}

/// Upstream `IsDomainPrefixedPath` (`acme.io/foo`): a DNS subdomain, a slash and an HTTP path.
pub fn validate_domain_prefixed_path(value: &str, path: &Path) -> ErrorList {
    if value.is_empty() {
        return vec![FieldError::required(path, "")];
    }
    let Some((host, rest)) = value
        .split_once('/')
        .filter(|(h, r)| !h.is_empty() && !r.is_empty())
    else {
        return vec![FieldError::invalid(
            path,
            value,
            "must be a domain-prefixed path (such as \"acme.io/foo\")",
        )];
    };
    let mut errs: ErrorList = is_dns1123_subdomain(host)
        .iter()
        .map(|msg| FieldError::invalid(path, host, msg))
        .collect();
    let path_char = |c: char| c.is_ascii_alphanumeric() || "/-._~%!$&'()*+,;=:".contains(c);
    if !rest.chars().all(path_char) {
        errs.push(FieldError::invalid(
            path,
            rest,
            &regex_error("Invalid path", HTTP_PATH_FMT, &[]),
        ));
    }
    errs
}

/// Upstream `httpPathFmt`.
pub const HTTP_PATH_FMT: &str = r"[A-Za-z0-9/\-._~%!$&'()*+,;=:]+";

#[cfg(test)]
mod tests {
    use super::*;
    use k8s_openapi::apimachinery::pkg::apis::meta::v1::LabelSelectorRequirement;

    #[test]
    fn go_renderings() {
        let mut labels = BTreeMap::new();
        labels.insert("b".to_string(), "2".to_string());
        labels.insert("a".to_string(), "1".to_string());
        assert_eq!(
            go_string_map(Some(&labels)),
            r#"map[string]string{"a":"1", "b":"2"}"#
        );
        let sel = LabelSelector {
            match_labels: Some(labels),
            match_expressions: Some(vec![LabelSelectorRequirement {
                key: "k".into(),
                operator: "In".into(),
                values: Some(vec!["x".into()]),
            }]),
        };
        let err = FieldError::invalid(
            &Path::new("spec").child("selector"),
            label_selector_value(Some(&sel)),
            FIELD_IMMUTABLE_ERROR_MSG,
        );
        assert_eq!(
            err.to_string(),
            r#"spec.selector: Invalid value: v1.LabelSelector{MatchLabels:map[string]string{"a":"1", "b":"2"}, MatchExpressions:[]v1.LabelSelectorRequirement{v1.LabelSelectorRequirement{Key:"k", Operator:"In", Values:[]string{"x"}}}}: field is immutable"#
        );
        let pct = IntOrString::String("abc".into());
        let errs = validate_positive_int_or_percent(&pct, &Path::new("x"));
        assert_eq!(
            errs[0].to_string(),
            r#"x: Invalid value: intstr.IntOrString{Type:1, IntVal:0, StrVal:"abc"}: a valid percent string must be a numeric string followed by an ending '%' (e.g. '1%',  or '93%', regex used for validation is '[0-9]+%')"#
        );
    }

    #[test]
    fn int_or_percent() {
        assert_eq!(int_or_percent_value(&IntOrString::String("25%".into())), 25);
        assert_eq!(int_or_percent_value(&IntOrString::Int(3)), 3);
        assert_eq!(int_or_percent_value(&IntOrString::String("x".into())), 0);
        let over = IntOrString::String("101%".into());
        assert_eq!(
            not_more_than_100_percent(&over, &Path::new("m"))[0].detail,
            "must not be greater than 100%"
        );
        assert!(
            validate_positive_int_or_percent(&IntOrString::Int(-1), &Path::new("m"))[0]
                .detail
                .contains("must be greater than or equal to 0")
        );
    }
}
