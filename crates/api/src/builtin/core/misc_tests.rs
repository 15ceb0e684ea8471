use serde_json::json;

use super::*;
use crate::builtin::core::testutil::{create, from_json, update};

#[test]
fn service_accounts() {
    let mut sa: ServiceAccount = from_json(
        json!({"metadata": {"name": "sa", "annotations": {"kubernetes.io/enforce-mountable-secrets": "true"}},
        "secrets": [{"name": "s", "namespace": "other", "kind": "Secret"}]}),
    );
    assert!(create(&ServiceAccountStrategy, &mut sa).is_empty());
    assert_eq!(
        sa.secrets.as_ref().unwrap()[0],
        ObjectReference {
            name: Some("s".into()),
            ..Default::default()
        }
    );
    assert_eq!(
        ServiceAccountStrategy.warnings(&sa),
        vec![
            "metadata.annotations[kubernetes.io/enforce-mountable-secrets]: deprecated in v1.32+; prefer separate namespaces to isolate access to mounted secrets"
        ]
    );
}

#[test]
fn legacy_events() {
    let run = |v: serde_json::Value| create(&EventStrategy, &mut from_json::<Event>(v));
    assert!(run(json!({"metadata": {"name": "e", "namespace": "default"}, "involvedObject": {"kind": "Pod", "namespace": "default", "name": "p"}})).is_empty());
    assert_eq!(
        run(
            json!({"metadata": {"name": "e", "namespace": "team"}, "involvedObject": {"kind": "Pod", "namespace": "other", "name": "p"}})
        ),
        vec!["involvedObject.namespace: Invalid value: \"other\": does not match event.namespace"]
    );
    assert_eq!(
        run(
            json!({"metadata": {"name": "e", "namespace": "default"}, "eventTime": "2024-01-01T00:00:00.000000Z",
                   "involvedObject": {"kind": "Node", "name": "n"}, "reportingInstance": "x".repeat(129)})
        ),
        vec![
            "reportingController: Required value".to_string(),
            format!(
                "reportingController: Invalid value: \"\": {}",
                is_qualified_name("")[0]
            ),
            format!(
                "reportingController: Invalid value: \"\": {}",
                is_qualified_name("")[1]
            ),
            "reportingInstance: Invalid value: \"\": can have at most 128 characters".to_string(),
            "action: Required value".to_string(),
            "reason: Required value".to_string(),
        ]
    );
    let old: Event = from_json(
        json!({"metadata": {"name": "e", "namespace": "default"}, "involvedObject": {"namespace": "default"}, "count": 1}),
    );
    let mut newer = old.clone();
    newer.count = Some(2);
    assert!(update(&EventStrategy, &mut newer, &old).is_empty());
}

#[test]
fn bindings() {
    let b: Binding = from_json(json!({"metadata": {"name": "p"}, "target": {"kind": "Pod"}}));
    let errs: Vec<String> = validate_binding(&b).iter().map(|e| e.to_string()).collect();
    assert_eq!(
        errs,
        vec![
            "target.kind: Unsupported value: \"Pod\": supported values: \"Node\", \"<empty>\"",
            "target.name: Required value",
        ]
    );
}
