use super::*;

#[test]
fn paths_print_like_upstream() {
    let p = Path::new("spec")
        .child("containers")
        .index(0)
        .child("image");
    assert_eq!(p.to_string(), "spec.containers[0].image");
    assert_eq!(
        Path::new("metadata").child("labels").key("foo").to_string(),
        "metadata.labels[foo]"
    );
    assert_eq!(Path::nil().to_string(), "<nil>");
    assert_eq!(Path::nil().child("key").to_string(), "key");
    assert_eq!(Path::nil().index(3).to_string(), "[3]");
    assert_eq!(Path::new("").to_string(), "[]");
    assert_eq!(Path::new("a").key("b").child("c").to_string(), "a[b].c");
    assert_eq!(Path::new("a").index(1).index(2).to_string(), "a[1][2]");
}

#[test]
fn error_strings_match_upstream() {
    let name = Path::new("metadata").child("name");
    let e = FieldError::invalid(&name, "Foo", "bad name");
    assert_eq!(
        e.to_string(),
        "metadata.name: Invalid value: \"Foo\": bad name"
    );
    assert_eq!(e.body(), "Invalid value: \"Foo\": bad name");

    let image = Path::new("spec")
        .child("containers")
        .index(0)
        .child("image");
    assert_eq!(
        FieldError::required(&image, "").to_string(),
        "spec.containers[0].image: Required value"
    );
    assert_eq!(
        FieldError::required(&image, "must be set").to_string(),
        "spec.containers[0].image: Required value: must be set"
    );

    let policy = Path::new("spec").child("restartPolicy");
    assert_eq!(
        FieldError::not_supported(&policy, "x", &["Always", "Never", "OnFailure"]).to_string(),
        "spec.restartPolicy: Unsupported value: \"x\": supported values: \"Always\", \"Never\", \"OnFailure\""
    );
    assert_eq!(
        FieldError::not_supported::<&str>(&policy, "x", &[]).to_string(),
        "spec.restartPolicy: Unsupported value: \"x\""
    );
    assert_eq!(
        FieldError::forbidden(&policy, "not allowed").to_string(),
        "spec.restartPolicy: Forbidden: not allowed"
    );
    assert_eq!(
        FieldError::too_long(&Path::new("metadata").child("annotations"), 262144).to_string(),
        "metadata.annotations: Too long: may not be more than 262144 bytes"
    );
    assert_eq!(
        FieldError::too_long(&policy, -1).body(),
        "Too long: value is too long"
    );
    assert_eq!(
        FieldError::too_many(&policy, 5, 3).body(),
        "Too many: 5: must have at most 3 items"
    );
    assert_eq!(
        FieldError::too_many(&policy, -1, 3).body(),
        "Too many: must have at most 3 items"
    );
    assert_eq!(
        FieldError::too_many(&policy, -1, -1).body(),
        "Too many: has too many items"
    );
    assert_eq!(
        FieldError::duplicate(&policy, "a").body(),
        "Duplicate value: \"a\""
    );
    assert_eq!(FieldError::not_found(&policy, 3i64).body(), "Not found: 3");
    assert_eq!(
        FieldError::internal_error(&policy, "boom").body(),
        "Internal error: boom"
    );
    assert_eq!(
        FieldError::type_invalid(&policy, "a", "must be int").body(),
        "Invalid value: \"a\": must be int"
    );
}

#[test]
fn bad_values_render_like_go() {
    let p = Path::new("f");
    assert_eq!(
        FieldError::invalid(&p, 5i64, "d").body(),
        "Invalid value: 5: d"
    );
    assert_eq!(
        FieldError::invalid(&p, true, "d").body(),
        "Invalid value: true: d"
    );
    assert_eq!(
        FieldError::invalid(&p, BadValue::Float(1.5), "d").body(),
        "Invalid value: 1.5: d"
    );
    assert_eq!(
        FieldError::invalid(&p, BadValue::Null, "d").body(),
        "Invalid value: \"null\": d"
    );
    assert_eq!(
        FieldError::invalid(&p, vec!["b".to_string(), "a".to_string()], "d").body(),
        "Invalid value: []string{\"b\", \"a\"}: d"
    );
    assert_eq!(
        FieldError::invalid(&p, BadValue::StringList(vec![]), "d").body(),
        "Invalid value: []string{}: d"
    );
    assert_eq!(
        FieldError::invalid(&p, BadValue::Omitted, "d").body(),
        "Invalid value: d"
    );
    assert_eq!(
        FieldError::invalid(&p, serde_json::json!(3), "d").body(),
        "Invalid value: 3: d"
    );
    assert_eq!(
        FieldError::invalid(&p, serde_json::json!("s"), "d").body(),
        "Invalid value: \"s\": d"
    );
    assert_eq!(
        FieldError::invalid(&p, serde_json::json!(null), "d").body(),
        "Invalid value: \"null\": d"
    );
    assert_eq!(
        FieldError::invalid(&p, serde_json::json!(["a", 1]), "d").body(),
        "Invalid value: []interface {}{\"a\", 1}: d"
    );
}

#[test]
fn cause_reasons() {
    assert_eq!(ErrorType::Required.cause_reason(), "FieldValueRequired");
    assert_eq!(ErrorType::Invalid.cause_reason(), "FieldValueInvalid");
    assert_eq!(
        ErrorType::NotSupported.cause_reason(),
        "FieldValueNotSupported"
    );
    assert_eq!(ErrorType::Forbidden.cause_reason(), "FieldValueForbidden");
    assert_eq!(ErrorType::InternalError.cause_reason(), "InternalError");
    assert_eq!(
        ErrorType::TypeInvalid.cause_reason(),
        "FieldValueTypeInvalid"
    );
}

#[test]
fn aggregation_dedupes_and_brackets() {
    let p = Path::new("a");
    let e1 = FieldError::required(&p, "");
    let e2 = FieldError::forbidden(&p, "x");
    assert_eq!(aggregate_message(&[]), None);
    assert_eq!(
        aggregate_message(std::slice::from_ref(&e1)).unwrap(),
        "a: Required value"
    );
    assert_eq!(
        aggregate_message(&[e1.clone(), e1.clone()]).unwrap(),
        "a: Required value"
    );
    assert_eq!(
        aggregate_message(&[e1.clone(), e2, e1]).unwrap(),
        "[a: Required value, a: Forbidden: x]"
    );
}
