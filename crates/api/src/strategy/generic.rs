//! Rules every resource with a status subresource follows (the spec/status split), applied to
//! JSON objects before the type's own strategy runs.

use serde_json::{Map, Value};

/// On create, status starts empty: clients cannot set it (controllers and agents report it later
/// through the status subresource).
pub fn reset_status(obj: &mut Value) {
    if let Value::Object(m) = obj {
        m.insert("status".into(), Value::Object(Map::new()));
    }
}

/// An update of the main resource keeps the stored status.
pub fn keep_status(obj: &mut Value, old: &Value) {
    if let Value::Object(m) = obj {
        match old.get("status") {
            Some(s) => {
                m.insert("status".into(), s.clone());
            }
            None => {
                m.remove("status");
            }
        }
    }
}

/// Metadata fields a status update may not change (upstream `ResetObjectMetaForStatus`).
const STATUS_IMMUTABLE_META: &[&str] = &[
    "deletionTimestamp",
    "generation",
    "selfLink",
    "labels",
    "annotations",
    "finalizers",
    "ownerReferences",
];

/// An update through the status subresource changes only status: everything else comes from the
/// stored object.
pub fn keep_all_but_status(obj: &mut Value, old: &Value) {
    let status = obj.get("status").cloned();
    let meta = obj.get("metadata").cloned();
    let mut merged = old.clone();
    if let Value::Object(m) = &mut merged {
        match status {
            Some(s) => {
                m.insert("status".into(), s);
            }
            None => {
                m.remove("status");
            }
        }
        // Metadata the status update may carry (resourceVersion for its precondition,
        // managedFields), with the protected fields restored from the stored object.
        if let (Some(Value::Object(new_meta)), Some(Value::Object(old_meta))) =
            (meta, old.get("metadata"))
        {
            let mut meta = new_meta;
            for f in STATUS_IMMUTABLE_META {
                match old_meta.get(*f) {
                    Some(v) => {
                        meta.insert((*f).into(), v.clone());
                    }
                    None => {
                        meta.remove(*f);
                    }
                }
            }
            m.insert("metadata".into(), Value::Object(meta));
        }
    }
    *obj = merged;
}

/// Whether anything other than metadata and status changed (drives `metadata.generation`).
pub fn spec_changed(new: &Value, old: &Value) -> bool {
    let skip = |k: &str| matches!(k, "metadata" | "status" | "apiVersion" | "kind");
    let (Value::Object(n), Value::Object(o)) = (new, old) else {
        return new != old;
    };
    n.iter()
        .filter(|(k, _)| !skip(k))
        .any(|(k, v)| o.get(k) != Some(v))
        || o.iter()
            .filter(|(k, _)| !skip(k))
            .any(|(k, _)| !n.contains_key(k))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn status_update_changes_only_status() {
        let old = json!({"metadata": {"name": "d", "labels": {"a": "1"}, "resourceVersion": "5"},
                         "spec": {"replicas": 1}, "status": {"replicas": 0}});
        let mut new = json!({"metadata": {"name": "d", "labels": {"a": "2"}, "resourceVersion": "5"},
                             "spec": {"replicas": 9}, "status": {"replicas": 1}});
        keep_all_but_status(&mut new, &old);
        assert_eq!(new["spec"]["replicas"], 1);
        assert_eq!(new["status"]["replicas"], 1);
        assert_eq!(new["metadata"]["labels"]["a"], "1");
        assert_eq!(new["metadata"]["resourceVersion"], "5");
    }

    #[test]
    fn spec_changes_detected() {
        let old = json!({"metadata": {"name": "d"}, "spec": {"replicas": 1}, "status": {}});
        let mut same = old.clone();
        same["metadata"]["labels"] = json!({"x": "y"});
        same["status"] = json!({"replicas": 3});
        assert!(!spec_changed(&same, &old));
        let mut changed = old.clone();
        changed["spec"]["replicas"] = json!(2);
        assert!(spec_changed(&changed, &old));
        let mut keyed = old.clone();
        keyed["data"] = json!({"k": "v"});
        assert!(spec_changed(&keyed, &old));
    }
}
