//! Label maps and label selectors rendered as upstream prints them.

use std::collections::BTreeMap;

use capstan_apimachinery::labels::{self, selector_from_label_selector};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::LabelSelector;
use serde_json::Value;

/// Upstream `labels.FormatLabels`: `k=v` pairs sorted by key, or "<none>".
pub(crate) fn format_labels(map: Option<&Value>) -> String {
    let set: BTreeMap<String, String> = map
        .and_then(Value::as_object)
        .map(|m| {
            m.iter()
                .map(|(k, v)| (k.clone(), v.as_str().unwrap_or("").to_string()))
                .collect()
        })
        .unwrap_or_default();
    labels::format_labels(&set)
}

/// Why a selector could not be turned into requirements.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct InvalidSelector;

/// String form of a `metav1.LabelSelector` (upstream `LabelSelectorAsSelector`
/// followed by `String()`). Absent and empty selectors both render as "".
pub(crate) fn selector_string(selector: Option<&Value>) -> Result<String, InvalidSelector> {
    let parsed: Option<LabelSelector> = selector
        .map(|s| serde_json::from_value(s.clone()).map_err(|_| InvalidSelector))
        .transpose()?;
    selector_from_label_selector(parsed.as_ref())
        .map(|s| s.to_string())
        .map_err(|_| InvalidSelector)
}

/// Upstream `metav1.FormatLabelSelector`: "<none>" when empty, "<error>" when invalid.
pub(crate) fn format_label_selector(selector: Option<&Value>) -> String {
    match selector_string(selector) {
        Ok(s) if s.is_empty() => "<none>".to_string(),
        Ok(s) => s,
        Err(InvalidSelector) => "<error>".to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn labels_sorted_or_none() {
        assert_eq!(format_labels(Some(&json!({"b": "2", "a": "1"}))), "a=1,b=2");
        assert_eq!(format_labels(Some(&json!({}))), "<none>");
        assert_eq!(format_labels(None), "<none>");
    }

    #[test]
    fn selectors_render_requirements_sorted_by_key() {
        let sel = json!({
            "matchLabels": {"app": "web"},
            "matchExpressions": [
                {"key": "tier", "operator": "In", "values": ["fe", "be"]},
                {"key": "env", "operator": "NotIn", "values": ["prod"]},
                {"key": "canary", "operator": "DoesNotExist"},
                {"key": "zone", "operator": "Exists"}
            ]
        });
        assert_eq!(
            selector_string(Some(&sel)).unwrap(),
            "app=web,!canary,env notin (prod),tier in (be,fe),zone"
        );
    }

    #[test]
    fn empty_absent_and_invalid_selectors() {
        assert_eq!(format_label_selector(None), "<none>");
        assert_eq!(format_label_selector(Some(&json!({}))), "<none>");
        assert_eq!(selector_string(Some(&json!({}))).unwrap(), "");
        let bad_operator = json!({"matchExpressions": [{"key": "a", "operator": "Bogus"}]});
        assert_eq!(format_label_selector(Some(&bad_operator)), "<error>");
        let no_values = json!({"matchExpressions": [{"key": "a", "operator": "In"}]});
        assert_eq!(selector_string(Some(&no_values)), Err(InvalidSelector));
        let bad_key = json!({"matchLabels": {"not a key!": "x"}});
        assert_eq!(format_label_selector(Some(&bad_key)), "<error>");
        let malformed = json!({"matchLabels": "oops"});
        assert_eq!(format_label_selector(Some(&malformed)), "<error>");
    }
}
