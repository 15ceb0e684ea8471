//! Quantities as the API server serializes them (upstream `Quantity.String()`),
//! e.g. "1.5Gi" as "1536Mi" and "1000" as "1k".

use capstan_apimachinery::quantity::canonicalize;
use serde_json::Value;

/// Canonical form of a quantity string; unparsable input is shown verbatim.
pub(crate) fn canonical(s: &str) -> String {
    canonicalize(s.trim()).unwrap_or_else(|_| s.to_string())
}

/// Canonical form of a quantity JSON value (a string, or a bare number).
pub(crate) fn canonical_value(v: &Value) -> String {
    match v {
        Value::String(s) => canonical(s),
        Value::Number(n) => canonical(&n.to_string()),
        _ => "0".to_string(),
    }
}

/// Upstream `(*Quantity).String()` on a possibly-nil quantity.
pub(crate) fn canonical_or_nil(v: Option<&Value>) -> String {
    v.map_or_else(|| "<nil>".to_string(), canonical_value)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn canonical_values_match_upstream() {
        let cases = [
            ("0", "0"),
            ("1000", "1k"),
            ("0.5", "500m"),
            ("2000m", "2"),
            ("1024Mi", "1Gi"),
            ("1.5Gi", "1536Mi"),
            ("0.5Ki", "512"),
            ("12e2", "1200"),
            ("1.5n", "2n"),
            ("107374182400", "107374182400"),
        ];
        for (input, want) in cases {
            assert_eq!(canonical(input), want, "input {input}");
        }
    }

    #[test]
    fn garbage_is_shown_verbatim() {
        assert_eq!(canonical("abc"), "abc");
        assert_eq!(canonical("1K"), "1K");
    }

    #[test]
    fn json_numbers_and_nil() {
        assert_eq!(canonical_value(&json!(2000)), "2k");
        assert_eq!(canonical_value(&json!(null)), "0");
        assert_eq!(canonical_or_nil(None), "<nil>");
    }
}
