//! Field selectors: which fields of which resources can be selected on, and their values.

use serde_json::Value;

/// A field a field selector may use, read from the object at a JSON pointer. Objects that lack the
/// field select as `default` (upstream reads Go zero values: "" for strings, "false" for bools).
#[derive(Clone, Copy, Debug)]
pub struct SelectableField {
    pub name: &'static str,
    pub pointer: &'static str,
    pub default: &'static str,
}

impl SelectableField {
    pub const fn string(name: &'static str, pointer: &'static str) -> Self {
        SelectableField {
            name,
            pointer,
            default: "",
        }
    }

    pub const fn boolean(name: &'static str, pointer: &'static str) -> Self {
        SelectableField {
            name,
            pointer,
            default: "false",
        }
    }
}

/// Every resource supports these.
pub const METADATA_FIELDS: &[SelectableField] = &[
    SelectableField::string("metadata.name", "/metadata/name"),
    SelectableField::string("metadata.namespace", "/metadata/namespace"),
];

/// The value of a selectable field of `obj`, or None when `name` is not selectable for this type.
pub fn field_value(extra: &[SelectableField], obj: &Value, name: &str) -> Option<String> {
    let field = METADATA_FIELDS
        .iter()
        .chain(extra.iter())
        .find(|f| f.name == name)?;
    Some(match obj.pointer(field.pointer) {
        Some(Value::String(s)) => s.clone(),
        Some(Value::Bool(b)) => b.to_string(),
        Some(Value::Number(n)) => n.to_string(),
        _ => field.default.to_owned(),
    })
}

pub fn is_selectable(extra: &[SelectableField], name: &str) -> bool {
    METADATA_FIELDS
        .iter()
        .chain(extra.iter())
        .any(|f| f.name == name)
}

/// A `&'static str` for a runtime string (custom resources' selectable field names and paths),
/// stored once per distinct value so repeated CRD updates do not grow memory.
pub fn intern(s: &str) -> &'static str {
    use std::collections::HashSet;
    use std::sync::{Mutex, OnceLock};
    static INTERNED: OnceLock<Mutex<HashSet<&'static str>>> = OnceLock::new();
    let mut set = INTERNED
        .get_or_init(|| Mutex::new(HashSet::new()))
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    if let Some(existing) = set.get(s) {
        return existing;
    }
    let leaked: &'static str = Box::leak(s.to_owned().into_boxed_str());
    set.insert(leaked);
    leaked
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const POD: &[SelectableField] = &[
        SelectableField::string("spec.nodeName", "/spec/nodeName"),
        SelectableField::boolean("spec.hostNetwork", "/spec/hostNetwork"),
    ];

    #[test]
    fn values_and_zero_defaults() {
        let pod = json!({"metadata": {"name": "a", "namespace": "ns"}, "spec": {"nodeName": "n1"}});
        assert_eq!(field_value(POD, &pod, "metadata.name").unwrap(), "a");
        assert_eq!(field_value(POD, &pod, "spec.nodeName").unwrap(), "n1");
        assert_eq!(field_value(POD, &pod, "spec.hostNetwork").unwrap(), "false");
        assert!(field_value(POD, &pod, "spec.unknown").is_none());
        assert!(is_selectable(POD, "metadata.namespace"));
    }
}
