use chrono::TimeZone;
use serde_json::{Value, json};

use super::*;
use crate::schema::parse_schema;

fn object() -> Value {
    json!({
        "apiVersion": "example.com/v1", "kind": "Widget",
        "metadata": {"name": "w", "creationTimestamp": "2024-01-01T00:00:00Z"},
        "spec": {"replicas": 3, "ratio": 0.5, "enabled": true, "tags": ["a", "b"], "nested": {"x": 1}, "empty": null},
        "status": {"conditions": [
            {"type": "Available", "status": "False"},
            {"type": "Ready", "status": "True", "count": 2},
        ]},
    })
}

#[test]
fn cells_by_column_type() {
    let obj = object();
    let cases: Vec<(&str, &str, Value)> = vec![
        (".spec.replicas", "integer", json!(3)),
        (".spec.ratio", "integer", json!(0)),
        (".spec.replicas", "number", json!(3)),
        (".spec.ratio", "number", json!(0.5)),
        (".spec.replicas", "string", json!("3")),
        (".spec.ratio", "string", json!("0.5")),
        (".spec.enabled", "boolean", json!(true)),
        (".spec.enabled", "string", json!("true")),
        (".spec.replicas", "boolean", Value::Null),
        (".spec.tags", "string", json!(r#"["a","b"]"#)),
        (".spec.nested", "string", json!(r#"{"x":1}"#)),
        (".spec.empty", "string", json!("<no value>")),
        (".spec.empty", "integer", Value::Null),
        (".spec.missing", "string", Value::Null),
        (".spec.tags[1]", "string", json!("b")),
        (".spec.tags[*]", "string", json!("a")),
        (".spec.tags[-1]", "string", json!("b")),
        (
            r#".status.conditions[?(@.type=="Ready")].status"#,
            "string",
            json!("True"),
        ),
        (
            r#".status.conditions[?(@.type=='Ready')].count"#,
            "integer",
            json!(2),
        ),
        (
            ".status.conditions[?(@.count)].type",
            "string",
            json!("Ready"),
        ),
        (
            ".status.conditions[?(@.count > 1)].type",
            "string",
            json!("Ready"),
        ),
        (".status.conditions[5].type", "string", Value::Null),
        (
            ".metadata.creationTimestamp",
            "date",
            json!("2024-01-01T00:00:00Z"),
        ),
        (".metadata.name", "date", json!("<invalid>")),
        ("..x", "integer", json!(1)),
    ];
    for (path, column_type, want) in cases {
        assert_eq!(
            jsonpath_cell(&obj, path, column_type),
            want,
            "{path} as {column_type}"
        );
    }
}

#[test]
fn date_cells_render_ages_at_a_time() {
    let path = JsonPath::parse_field(".metadata.creationTimestamp").unwrap();
    let now = Utc.with_ymd_and_hms(2024, 1, 1, 0, 5, 0).unwrap();
    assert_eq!(path.cell_at(&object(), "date", now), json!("5m"));
    let empty = json!({"metadata": {"creationTimestamp": ""}});
    assert_eq!(path.cell_at(&empty, "date", now), json!("<unknown>"));
}

#[test]
fn filter_type_mismatch_gives_nil_cell() {
    // An int compared with a float literal is an error in Go templates.
    assert_eq!(
        jsonpath_cell(
            &object(),
            ".status.conditions[?(@.count > 1.5)].type",
            "string"
        ),
        Value::Null
    );
}

#[test]
fn selectable_field_values() {
    let obj = object();
    let value = |p: &str| {
        JsonPath::parse_field(p)
            .unwrap()
            .selectable_field_value(&obj)
    };
    assert_eq!(value(".spec.replicas"), Ok("3".to_string()));
    assert_eq!(value(".spec.enabled"), Ok("true".to_string()));
    assert_eq!(value(".spec.missing"), Ok(String::new()));
    assert_eq!(value(".spec.empty"), Ok(String::new()));
    assert_eq!(
        value(".spec.tags[*]"),
        Err("unexpectedly received more than one JSON path result".to_string())
    );
}

#[test]
fn printer_column_validation() {
    let p = Path::new("spec")
        .child("versions")
        .index(0)
        .child("additionalPrinterColumns")
        .index(0);
    let msgs = |name: &str, t: &str, f: &str, jp: &str| -> Vec<String> {
        validate_printer_column(name, t, f, jp, &p)
            .iter()
            .map(|e| e.to_string())
            .collect()
    };
    assert!(
        msgs(
            "Ready",
            "string",
            "",
            r#".status.conditions[?(@.type=="Ready")].status"#
        )
        .is_empty()
    );
    assert_eq!(
        msgs("", "text", "uuid", "spec.x"),
        vec![
            "spec.versions[0].additionalPrinterColumns[0].name: Required value",
            r#"spec.versions[0].additionalPrinterColumns[0].type: Invalid value: "text": must be one of boolean,date,integer,number,string"#,
            r#"spec.versions[0].additionalPrinterColumns[0].format: Invalid value: "uuid": must be one of byte,date,date-time,double,float,int32,int64,password"#,
            r#"spec.versions[0].additionalPrinterColumns[0].JSONPath: Invalid value: "spec.x": must be a simple json path starting with ."#,
        ]
    );
    assert_eq!(
        msgs("A", "", "", ""),
        vec![
            "spec.versions[0].additionalPrinterColumns[0].type: Required value: must be one of boolean,date,integer,number,string",
            "spec.versions[0].additionalPrinterColumns[0].JSONPath: Required value",
        ]
    );
    assert_eq!(
        column_parse_error(".spec.x["),
        Some(r#"unrecognized column definition ".spec.x[""#.to_string())
    );
    assert_eq!(column_parse_error(".spec.x"), None);
}

#[test]
fn selectable_fields_validation() {
    let schema = parse_schema(
        &json!({"type": "object", "properties": {"spec": {"type": "object", "properties": {
            "color": {"type": "string"}, "size": {"type": "integer"}, "obj": {"type": "object"},
        }}}}),
    )
    .unwrap();
    let p = Path::new("spec")
        .child("versions")
        .index(0)
        .child("selectableFields");
    let fields: Vec<String> = [
        ".spec.color",
        ".spec.obj",
        ".spec.nope",
        ".spec.color",
        "",
        ".spec['size']",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    let msgs: Vec<String> = validate_selectable_fields(&fields, &schema, &p)
        .iter()
        .map(|e| e.to_string())
        .collect();
    assert_eq!(
        msgs,
        vec![
            r#"spec.versions[0].selectableFields[1].jsonPath: Invalid value: ".spec.obj": must point to a field of type string, boolean or integer. Enum string fields and strings with formats are allowed."#,
            r#"spec.versions[0].selectableFields[2].jsonPath: Invalid value: ".spec.nope": is an invalid path: does not refer to a valid field"#,
            r#"spec.versions[0].selectableFields[3].jsonPath: Duplicate value: ".spec.color""#,
            "spec.versions[0].selectableFields[4].jsonPath: Required value",
            r#"spec.versions[0].selectableFields[5].jsonPath: Invalid value: ".spec['size']": is an invalid path: array notation is not allowed"#,
        ]
    );
}
