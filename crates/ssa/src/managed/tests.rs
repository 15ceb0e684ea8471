use super::*;
use serde_json::json;

fn entry(manager: &str, operation: &str) -> Value {
    json!({"manager": manager, "operation": operation, "apiVersion": "v1", "fieldsType": "FieldsV1",
           "time": "2024-01-01T00:00:00Z", "fieldsV1": {"f:a": {}}})
}

#[test]
fn decode_reports_upstream_errors() {
    let bad = |patch: Value| {
        let mut e = entry("m", "Update");
        for (k, v) in patch.as_object().unwrap() {
            e[k] = v.clone();
        }
        ManagedFields::decode(&json!([e])).unwrap_err()
    };
    assert_eq!(
        bad(json!({"operation": "Patch"})),
        "operation must be `Apply` or `Update`"
    );
    assert_eq!(
        bad(json!({"apiVersion": ""})),
        "apiVersion must not be empty"
    );
    assert_eq!(
        bad(json!({"fieldsType": ""})),
        "missing fieldsType in managed fields entry 0"
    );
    assert_eq!(
        bad(json!({"fieldsType": "FieldsV2"})),
        r#"invalid fieldsType "FieldsV2" in managed fields entry 0"#
    );
    assert!(bad(json!({"time": "yesterday"})).contains("yesterday"));
    assert!(ManagedFields::decode(&json!(null)).unwrap().is_empty());
}

#[test]
fn times_are_normalized_to_utc_seconds() {
    let mut e = entry("m", "Update");
    e["time"] = json!("2024-01-01T02:00:00.5+02:00");
    let fields = ManagedFields::decode(&json!([e])).unwrap();
    assert_eq!(
        fields.entries()[0].time.as_deref(),
        Some("2024-01-01T00:00:00Z")
    );
}

#[test]
fn round_trips_through_managers() {
    let list = json!([
        entry("b", "Update"),
        entry("a", "Apply"),
        entry("a", "Update")
    ]);
    let fields = ManagedFields::decode(&list).unwrap();
    let back = Managers::from_fields(&fields).into_fields();
    let order: Vec<(&str, Operation)> = back
        .entries()
        .iter()
        .map(|e| (e.manager.as_str(), e.operation))
        .collect();
    assert_eq!(
        order,
        [
            ("a", Operation::Apply),
            ("a", Operation::Update),
            ("b", Operation::Update)
        ]
    );
    assert_eq!(back.to_value()[0]["fieldsV1"], json!({"f:a": {}}));
    assert!(back.to_value()[0].get("subresource").is_none());
}

#[test]
fn identifiers_match_upstreams_json() {
    let key = ManagerKey::new("kubectl", Operation::Apply, "apps/v1", "");
    assert_eq!(
        key.identifier(),
        r#"{"manager":"kubectl","operation":"Apply"}"#
    );
    let key = ManagerKey::new("kubelet", Operation::Update, "v1", "status");
    assert_eq!(
        key.identifier(),
        r#"{"manager":"kubelet","operation":"Update","apiVersion":"v1","subresource":"status"}"#
    );
}

#[test]
fn write_to_sets_or_removes() {
    let mut object = json!({"metadata": {"name": "x", "managedFields": [entry("m", "Update")]}});
    ManagedFields::new().write_to(&mut object);
    assert_eq!(object, json!({"metadata": {"name": "x"}}));
    let fields = ManagedFields::decode(&json!([entry("m", "Update")])).unwrap();
    let mut bare = json!({});
    fields.write_to(&mut bare);
    assert_eq!(bare["metadata"]["managedFields"][0]["manager"], "m");
}
