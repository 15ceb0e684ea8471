use serde_json::json;

use super::*;
use crate::builtin::core::testutil::{create, from_json, update};

#[test]
fn config_map_keys_and_size() {
    let mut cm: ConfigMap = from_json(
        json!({"metadata": {"name": "c"}, "data": {"ok.key": "1", "bad/key": "2", "dup": "x"}, "binaryData": {"dup": "eA=="}}),
    );
    assert_eq!(
        create(&ConfigMapStrategy, &mut cm),
        vec![
            format!(
                "data[bad/key]: Invalid value: \"bad/key\": {}",
                is_config_map_key("bad/key")[0]
            ),
            "data[dup]: Invalid value: \"dup\": duplicate of key present in binaryData".to_string(),
        ]
    );
    let mut big: ConfigMap =
        from_json(json!({"metadata": {"name": "c"}, "data": {"a": "x".repeat(MAX_SIZE + 1)}}));
    assert_eq!(
        create(&ConfigMapStrategy, &mut big),
        vec!["[]: Too long: may not be more than 1048576 bytes"]
    );
}

#[test]
fn immutable_config_maps() {
    let old: ConfigMap =
        from_json(json!({"metadata": {"name": "c"}, "data": {"a": "1"}, "immutable": true}));
    let mut new: ConfigMap = from_json(json!({"metadata": {"name": "c"}, "data": {"a": "2"}}));
    assert_eq!(
        update(&ConfigMapStrategy, &mut new, &old),
        vec![
            "immutable: Forbidden: field is immutable when `immutable` is set",
            "data: Forbidden: field is immutable when `immutable` is set",
        ]
    );
    let mut same: ConfigMap = old.clone();
    same.metadata.labels = Some([("a".to_string(), "b".to_string())].into());
    assert!(update(&ConfigMapStrategy, &mut same, &old).is_empty());
}

#[test]
fn secret_defaults_and_string_data() {
    let mut s: Secret = from_json(
        json!({"metadata": {"name": "s"}, "data": {"a": "MQ=="}, "stringData": {"a": "2", "b": "3"}}),
    );
    assert!(create(&SecretStrategy, &mut s).is_empty());
    assert_eq!(s.type_.as_deref(), Some("Opaque"));
    assert!(s.string_data.is_none());
    let data = s.data.unwrap();
    assert_eq!(data["a"].0, b"2");
    assert_eq!(data["b"].0, b"3");
}

#[test]
fn secret_types() {
    let run = |v: serde_json::Value| create(&SecretStrategy, &mut from_json::<Secret>(v));
    assert_eq!(
        run(
            json!({"metadata": {"name": "s"}, "type": "kubernetes.io/tls", "data": {"tls.crt": ""}})
        ),
        vec!["data[tls.key]: Required value"]
    );
    assert_eq!(
        run(json!({"metadata": {"name": "s"}, "type": "kubernetes.io/dockerconfigjson"})),
        vec!["data[.dockerconfigjson]: Required value"]
    );
    assert_eq!(
        run(
            json!({"metadata": {"name": "s"}, "type": "kubernetes.io/dockerconfigjson", "stringData": {".dockerconfigjson": "[]"}})
        ),
        vec![
            "data[.dockerconfigjson]: Invalid value: \"<secret contents redacted>\": json: cannot unmarshal array into Go value of type map[string]interface {}"
        ]
    );
    assert_eq!(
        run(json!({"metadata": {"name": "s"}, "type": "kubernetes.io/service-account-token"})),
        vec!["metadata.annotations[kubernetes.io/service-account.name]: Required value"]
    );
    assert_eq!(
        run(json!({"metadata": {"name": "s"}, "type": "kubernetes.io/basic-auth"})),
        vec![
            "data[username]: Required value",
            "data[password]: Required value"
        ]
    );
    assert!(run(json!({"metadata": {"name": "s"}, "type": "example.com/custom"})).is_empty());
}

#[test]
fn secret_updates() {
    let old: Secret = from_json(
        json!({"metadata": {"name": "s"}, "type": "Opaque", "data": {"a": "MQ=="}, "immutable": true}),
    );
    let mut new: Secret = from_json(
        json!({"metadata": {"name": "s"}, "type": "kubernetes.io/tls", "data": {"a": "MQ=="}, "immutable": true}),
    );
    let errs = update(&SecretStrategy, &mut new, &old);
    assert_eq!(
        errs[0],
        "type: Invalid value: \"kubernetes.io/tls\": field is immutable"
    );
    // A secret without a type is Opaque, so leaving it out is no change.
    let mut untyped: Secret =
        from_json(json!({"metadata": {"name": "s"}, "data": {"a": "MQ=="}, "immutable": true}));
    assert!(update(&SecretStrategy, &mut untyped, &old).is_empty());
    assert_eq!(SecretStrategy.selectable_fields()[0].name, "type");
}
