use std::collections::BTreeMap;

use k8s_openapi::apimachinery::pkg::apis::meta::v1::{
    LabelSelector, LabelSelectorRequirement, ManagedFieldsEntry, ObjectMeta, OwnerReference,
};

use super::*;
use crate::field_errors::Path;

const DNS_LABEL_MSG: &str = "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')";

fn dns_label_msg() -> String {
    DNS_LABEL_MSG.to_string()
}

const SUBDOMAIN_MSG: &str = "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')";

#[test]
fn regex_error_format() {
    assert_eq!(
        regex_error("msg", "fmt", &[]),
        "msg (regex used for validation is 'fmt')"
    );
    assert_eq!(
        regex_error("msg", "fmt", &["a"]),
        "msg (e.g. 'a', regex used for validation is 'fmt')"
    );
    assert_eq!(
        regex_error("msg", "fmt", &["a", "b"]),
        "msg (e.g. 'a',  or 'b', regex used for validation is 'fmt')"
    );
}

#[test]
fn dns1123_labels() {
    for ok in [
        "a",
        "ab",
        "abc",
        "a1",
        "a-1",
        "a--1--2--b",
        "0",
        "01",
        "012",
        "1a",
        "1-a",
        "1--a--b--2",
        &"a".repeat(63),
    ] {
        assert!(is_dns1123_label(ok).is_empty(), "{ok}");
    }
    assert_eq!(is_dns1123_label("A"), vec![dns_label_msg()]);
    assert_eq!(
        is_dns1123_label("a.b"),
        vec!["must not contain dots".to_string()]
    );
    assert_eq!(is_dns1123_label(""), vec![dns_label_msg()]);
    for bad in [
        "ABC", "aBc", "A1", "A-1", "1-A", "-", "a-", "-a", "1-", "-1", "_", "a_", "_a", "a_b",
        "1_", "_1", "1_2", ".", "a.", ".a", "1.", ".1", " ", "a ", " a", "a b", "1 ", " 1", "1 2",
    ] {
        assert!(!is_dns1123_label(bad).is_empty(), "{bad}");
    }
    assert_eq!(
        is_dns1123_label(&"a".repeat(64)),
        vec!["must be no more than 63 characters".to_string()]
    );
}

#[test]
fn dns1123_subdomains() {
    for ok in ["a", "a.b.c", "a-1.b--2", "0.a", &"a".repeat(253)] {
        assert!(is_dns1123_subdomain(ok).is_empty(), "{ok}");
    }
    assert_eq!(is_dns1123_subdomain("A"), vec![SUBDOMAIN_MSG.to_string()]);
    for bad in ["", "a..b", ".a", "a.", "a_b", "A.b", "a-.b"] {
        assert_eq!(
            is_dns1123_subdomain(bad),
            vec![SUBDOMAIN_MSG.to_string()],
            "{bad}"
        );
    }
    assert_eq!(
        is_dns1123_subdomain(&"a".repeat(254)),
        vec!["must be no more than 253 characters".to_string()]
    );
}

#[test]
fn dns1035_labels() {
    for ok in ["a", "ab", "a-1", "a--1--2--b"] {
        assert!(is_dns1035_label(ok).is_empty(), "{ok}");
    }
    let msg = "a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character, and end with an alphanumeric character (e.g. 'my-name',  or 'abc-123', regex used for validation is '[a-z]([-a-z0-9]*[a-z0-9])?')";
    for bad in ["0", "01", "1a", "A", "a-", "a.b", ""] {
        assert_eq!(is_dns1035_label(bad), vec![msg.to_string()], "{bad}");
    }
}

#[test]
fn qualified_names() {
    for ok in [
        "simple",
        "now-with-dashes",
        "1-starts-with-num",
        "1234",
        "simple/simple",
        "now-with-dashes/simple",
        "now-with-dashes/now-with-dashes",
        "now.with.dots/simple",
        "now-with.dashes-and.dots/simple",
        "1-num.2-num/3-num",
        "1234/5678",
        "1.2.3.4/5678",
        "Uppercase_Is_OK_123",
        "example.com/Uppercase_Is_OK_123",
        "requests.storage-foo",
        &"a".repeat(63),
        &format!("{}/b", "a".repeat(253)),
    ] {
        assert!(is_qualified_name(ok).is_empty(), "{ok}");
    }
    for bad in [
        "nospecialchars%^=@",
        "cantendwithadash-",
        "-cantstartwithadash-",
        "only/one/slash",
        "Example.com/abc",
        "example_com/abc",
        "example.com/",
        "/simple",
        &"a".repeat(64),
        &format!("{}/b", "a".repeat(254)),
    ] {
        assert!(!is_qualified_name(bad).is_empty(), "{bad}");
    }
    let name_msg = "name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')";
    assert_eq!(is_qualified_name("a-"), vec![name_msg.to_string()]);
    assert_eq!(
        is_qualified_name(""),
        vec![
            "name part must be non-empty".to_string(),
            name_msg.to_string()
        ]
    );
    assert_eq!(
        is_qualified_name("/a"),
        vec!["prefix part must be non-empty".to_string()]
    );
    assert_eq!(
        is_qualified_name("A/a"),
        vec![format!("prefix part {SUBDOMAIN_MSG}")]
    );
    assert_eq!(
        is_qualified_name(&"a".repeat(64)),
        vec!["name part must be no more than 63 characters".to_string()]
    );
}

#[test]
fn label_values() {
    for ok in [
        "",
        "simple",
        "now-with-dashes",
        "1-starts-with-num",
        "end-with-num-1",
        "1234",
        "a",
        "a_b",
        &"a".repeat(63),
        "Uppercase_Is_OK_123",
    ] {
        assert!(is_valid_label_value(ok).is_empty(), "{ok}");
    }
    let msg = "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')";
    for bad in [
        "nospecialchars%^=@",
        "Tama-nui-te-rā.is.Māori.sun",
        "\\backslashes\\are\\bad",
        "-starts-with-dash",
        "ends-with-dash-",
        ".starts.with.dot",
        "ends.with.dot.",
    ] {
        assert_eq!(is_valid_label_value(bad), vec![msg.to_string()], "{bad}");
    }
    assert_eq!(
        is_valid_label_value(&"a".repeat(64)),
        vec!["must be no more than 63 characters".to_string()]
    );
}

#[test]
fn identifiers_and_misc() {
    assert!(is_c_identifier("my_name").is_empty());
    assert!(is_c_identifier("_a1").is_empty());
    assert_eq!(is_c_identifier("1a"), vec!["a valid C identifier must start with alphabetic character or '_', followed by a string of alphanumeric characters or '_' (e.g. 'my_name',  or 'MY_NAME',  or 'MyName', regex used for validation is '[A-Za-z_][A-Za-z0-9_]*')".to_string()]);
    assert!(!is_c_identifier("").is_empty());

    for ok in [
        "A",
        "ABC",
        "AbC123",
        "_123",
        "-",
        "a.b",
        "a-b",
        "ab.c",
        "my.env-name",
    ] {
        assert!(is_env_var_name(ok).is_empty(), "{ok}");
    }
    assert_eq!(is_env_var_name("1ABC"), vec!["a valid environment variable name must consist of alphabetic characters, digits, '_', '-', or '.', and must not start with a digit (e.g. 'my.env-name',  or 'MY_ENV.NAME',  or 'MyEnvName1', regex used for validation is '[-._a-zA-Z][-._a-zA-Z0-9]*')".to_string()]);
    assert_eq!(is_env_var_name("."), vec!["must not be '.'".to_string()]);
    assert_eq!(is_env_var_name(".."), vec!["must not be '..'".to_string()]);
    assert_eq!(
        is_env_var_name("..a"),
        vec!["must not start with '..'".to_string()]
    );
    assert!(is_relaxed_env_var_name("1ABC").is_empty());
    assert_eq!(is_relaxed_env_var_name("a=b"), vec!["a valid environment variable name must consist only of printable ASCII characters other than '='".to_string()]);
    assert_eq!(
        is_relaxed_env_var_name(""),
        vec!["environment variable name must be non-empty".to_string()]
    );

    assert!(is_valid_port_num(1).is_empty());
    assert!(is_valid_port_num(65535).is_empty());
    assert_eq!(
        is_valid_port_num(0),
        vec!["must be between 1 and 65535, inclusive".to_string()]
    );
    assert_eq!(
        is_valid_port_num(65536),
        vec!["must be between 1 and 65535, inclusive".to_string()]
    );
    assert_eq!(
        is_valid_user_id(-1),
        vec!["must be between 0 and 2147483647, inclusive".to_string()]
    );
    assert!(is_valid_group_id(2147483647).is_empty());

    for ok in [
        "telnet",
        "re-mail-ck",
        "pop3",
        "a",
        "a-1",
        "1-a",
        "a-1-b-2-c",
        "1-a-2-b-3",
    ] {
        assert!(is_valid_port_name(ok).is_empty(), "{ok}");
    }
    assert_eq!(
        is_valid_port_name("longerthan15characters"),
        vec!["must be no more than 15 characters".to_string()]
    );
    assert_eq!(
        is_valid_port_name(""),
        vec![
            "must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-)".to_string(),
            "must contain at least one letter (a-z)".to_string()
        ]
    );
    assert_eq!(
        is_valid_port_name("12345"),
        vec!["must contain at least one letter (a-z)".to_string()]
    );
    assert_eq!(
        is_valid_port_name("a--b"),
        vec!["must not contain consecutive hyphens".to_string()]
    );
    assert_eq!(
        is_valid_port_name("-a"),
        vec!["must not begin or end with a hyphen".to_string()]
    );
    assert_eq!(
        is_valid_port_name("A"),
        vec![
            "must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-)".to_string(),
            "must contain at least one letter (a-z)".to_string()
        ]
    );

    assert!(is_valid_percent("0%").is_empty());
    assert!(is_valid_percent("100%").is_empty());
    for bad in ["", "0", "%", "a%", "1.5%", "-1%", " 1%"] {
        assert_eq!(is_valid_percent(bad), vec!["a valid percent string must be a numeric string followed by an ending '%' (e.g. '1%',  or '93%', regex used for validation is '[0-9]+%')".to_string()], "{bad}");
    }
    assert!(is_http_header_name("X-Header-Name").is_empty());
    assert_eq!(is_http_header_name("X_Header"), vec!["a valid HTTP header must consist of alphanumeric characters or '-' (e.g. 'X-Header-Name', regex used for validation is '[-A-Za-z0-9]+')".to_string()]);
    assert!(is_config_map_key("key.name").is_empty());
    assert!(!is_config_map_key("a/b").is_empty());
    assert_eq!(
        is_config_map_key(".."),
        vec!["must not be '..'".to_string()]
    );
    assert!(is_wildcard_dns1123_subdomain("*.example.com").is_empty());
    assert!(!is_wildcard_dns1123_subdomain("example.com").is_empty());
    assert_eq!(
        is_valid_path_segment_name(".."),
        vec!["may not be '..'".to_string()]
    );
    assert_eq!(
        is_valid_path_segment_name("a/b%c"),
        vec![
            "may not contain '/'".to_string(),
            "may not contain '%'".to_string()
        ]
    );
}

#[test]
fn name_validators() {
    assert!(name_is_dns_subdomain("foo.bar", false).is_empty());
    assert!(name_is_dns_subdomain("foo-", true).is_empty());
    assert!(!name_is_dns_subdomain("foo-", false).is_empty());
    assert!(name_is_dns_label("x-", true).is_empty());
    assert!(!name_is_dns1035_label("1abc", false).is_empty());
    assert!(validate_path_segment_name("a:b", false).is_empty());
}

fn map(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

fn meta(name: &str, namespace: &str) -> ObjectMeta {
    ObjectMeta {
        name: (!name.is_empty()).then(|| name.to_string()),
        namespace: (!namespace.is_empty()).then(|| namespace.to_string()),
        ..Default::default()
    }
}

fn messages(errs: &[crate::FieldError]) -> Vec<String> {
    errs.iter().map(|e| e.to_string()).collect()
}

#[test]
fn object_meta_names_and_namespaces() {
    let p = Path::new("metadata");
    assert!(validate_object_meta(&meta("foo", "ns"), true, name_is_dns_subdomain, &p).is_empty());
    assert_eq!(
        messages(&validate_object_meta(
            &meta("", "ns"),
            true,
            name_is_dns_subdomain,
            &p
        )),
        ["metadata.name: Required value: name or generateName is required"]
    );
    let mut m = meta("Foo", "");
    m.generate_name = Some("Gen-".into());
    let errs = messages(&validate_object_meta(&m, true, name_is_dns_label, &p));
    assert_eq!(errs.len(), 3);
    assert_eq!(
        errs[0],
        format!(
            "metadata.generateName: Invalid value: \"Gen-\": {}",
            dns_label_msg()
        )
    );
    assert_eq!(
        errs[1],
        format!("metadata.name: Invalid value: \"Foo\": {}", dns_label_msg())
    );
    assert_eq!(errs[2], "metadata.namespace: Required value");
    assert_eq!(
        messages(&validate_object_meta(
            &meta("foo", "ns"),
            false,
            name_is_dns_subdomain,
            &p
        )),
        ["metadata.namespace: Forbidden: not allowed on this type"]
    );
    assert_eq!(
        messages(&validate_object_meta(
            &meta("foo", "Bad_NS"),
            true,
            name_is_dns_subdomain,
            &p
        )),
        [format!(
            "metadata.namespace: Invalid value: \"Bad_NS\": {}",
            dns_label_msg()
        )]
    );
    let mut m = meta("foo", "ns");
    m.generation = Some(-1);
    assert_eq!(
        messages(&validate_object_meta(&m, true, name_is_dns_subdomain, &p)),
        ["metadata.generation: Invalid value: -1: must be greater than or equal to 0"]
    );
}

#[test]
fn labels_and_annotations() {
    let p = Path::new("metadata").child("labels");
    assert!(validate_labels(&map(&[("app", "web"), ("example.com/tier", "")]), &p).is_empty());
    let errs = messages(&validate_labels(&map(&[("app", "bad value")]), &p));
    assert_eq!(errs.len(), 1);
    assert!(
        errs[0].starts_with("metadata.labels: Invalid value: \"bad value\": a valid label must be"),
        "{}",
        errs[0]
    );
    let errs = messages(&validate_labels(&map(&[("bad key", "v")]), &p));
    assert!(
        errs[0].starts_with("metadata.labels: Invalid value: \"bad key\": name part must consist"),
        "{}",
        errs[0]
    );

    let ap = Path::new("metadata").child("annotations");
    assert!(validate_annotations(&map(&[("Example.COM/Key", "any value at all")]), &ap).is_empty());
    let big = "x".repeat(TOTAL_ANNOTATION_SIZE_LIMIT_B);
    assert_eq!(
        messages(&validate_annotations(&map(&[("a", &big)]), &ap)),
        ["metadata.annotations: Too long: may not be more than 262144 bytes"]
    );
    assert!(validate_annotations(&map(&[("a", &big[1..])]), &ap).is_empty());
    assert!(!validate_annotations(&map(&[("a b", "")]), &ap).is_empty());
}

fn owner(
    api_version: &str,
    kind: &str,
    name: &str,
    uid: &str,
    controller: Option<bool>,
) -> OwnerReference {
    OwnerReference {
        api_version: api_version.into(),
        kind: kind.into(),
        name: name.into(),
        uid: uid.into(),
        controller,
        block_owner_deletion: None,
    }
}

#[test]
fn owner_references() {
    let p = Path::new("metadata").child("ownerReferences");
    assert!(
        validate_owner_references(
            &[owner("apps/v1", "ReplicaSet", "rs", "u1", Some(true))],
            &p
        )
        .is_empty()
    );
    assert_eq!(
        messages(&validate_owner_references(
            &[owner("", "", "", "", None)],
            &p
        )),
        [
            "metadata.ownerReferences.apiVersion: Invalid value: \"\": version must not be empty",
            "metadata.ownerReferences.kind: Invalid value: \"\": kind must not be empty",
            "metadata.ownerReferences.name: Invalid value: \"\": name must not be empty",
            "metadata.ownerReferences.uid: Invalid value: \"\": uid must not be empty",
        ]
    );
    assert_eq!(
        messages(&validate_owner_references(
            &[owner("a/b/c", "K", "n", "u", None)],
            &p
        )),
        [
            "metadata.ownerReferences.apiVersion: Invalid value: \"a/b/c\": version must not be empty"
        ]
    );
    let errs = messages(&validate_owner_references(
        &[owner("v1", "Event", "e", "u", None)],
        &p,
    ));
    assert_eq!(
        errs,
        [
            "metadata.ownerReferences: Invalid value: v1.OwnerReference{APIVersion:\"v1\", Kind:\"Event\", Name:\"e\", UID:\"u\", Controller:(*bool)(nil), BlockOwnerDeletion:(*bool)(nil)}: /v1, Kind=Event is disallowed from being an owner"
        ]
    );
    let two = [
        owner("v1", "Pod", "a", "u1", Some(true)),
        owner("v1", "Pod", "b", "u2", Some(true)),
    ];
    let errs = validate_owner_references(&two, &p);
    assert_eq!(errs.len(), 1);
    assert!(errs[0].to_string().starts_with("metadata.ownerReferences: Invalid value: []v1.OwnerReference{v1.OwnerReference{APIVersion:\"v1\""));
    assert!(errs[0].to_string().ends_with(": Only one reference can have Controller set to true. Found \"true\" in references for Pod/a and Pod/b"));
}

#[test]
fn finalizers() {
    let p = Path::new("metadata").child("finalizers");
    assert!(
        validate_finalizers(
            &[
                "kubernetes.io/pv-protection".into(),
                "foregroundDeletion".into()
            ],
            &p
        )
        .is_empty()
    );
    assert_eq!(
        messages(&validate_finalizers(
            &["orphan".into(), "foregroundDeletion".into()],
            &p
        )),
        [
            "metadata.finalizers: Invalid value: []string{\"orphan\", \"foregroundDeletion\"}: finalizer orphan and foregroundDeletion cannot be both set"
        ]
    );
    assert!(!validate_finalizers(&["a/b/c".into()], &p).is_empty());
    assert_eq!(
        messages(&validate_no_new_finalizers(
            &["b".into(), "a".into(), "c".into()],
            &["a".into()],
            &p
        )),
        [
            "metadata.finalizers: Forbidden: no new finalizers can be added if the object is being deleted, found new finalizers []string{\"b\", \"c\"}"
        ]
    );
}

#[test]
fn managed_fields() {
    let p = Path::new("metadata").child("managedFields");
    let entry = ManagedFieldsEntry {
        operation: Some("Patch".into()),
        fields_type: Some("FieldsV2".into()),
        manager: Some("bad\u{7}".into()),
        subresource: Some("s".repeat(257)),
        ..Default::default()
    };
    assert_eq!(
        messages(&validate_managed_fields(&[entry], &p)),
        [
            "metadata.managedFields[0].operation: Invalid value: \"Patch\": must be `Apply` or `Update`",
            "metadata.managedFields[0].fieldsType: Invalid value: \"FieldsV2\": must be `FieldsV1`",
            "metadata.managedFields[0].manager: Invalid value: \"bad\\a\": invalid character U+0007 (at position 3)",
            "metadata.managedFields[0].subresource: Too long: may not be more than 256 bytes",
        ]
    );
}

#[test]
fn object_meta_update() {
    let p = Path::new("metadata");
    let mut old = meta("foo", "ns");
    old.resource_version = Some("1".into());
    old.uid = Some("u1".into());
    let mut new = old.clone();
    assert!(validate_object_meta_update(&new, &old, &p).is_empty());
    new.name = Some("bar".into());
    new.uid = Some("u2".into());
    new.resource_version = None;
    new.generation = Some(1);
    old.generation = Some(2);
    new.deletion_grace_period_seconds = Some(30);
    assert_eq!(
        messages(&validate_object_meta_update(&new, &old, &p)),
        [
            "metadata.resourceVersion: Invalid value: \"\": must be specified for an update",
            "metadata.generation: Invalid value: 1: must not be decremented",
            "metadata.name: Invalid value: \"bar\": field is immutable",
            "metadata.uid: Invalid value: \"u2\": field is immutable",
            "metadata.deletionGracePeriodSeconds: Invalid value: 30: field is immutable",
        ]
    );
    let ts: k8s_openapi::jiff::Timestamp = "2024-01-02T03:04:05Z".parse().unwrap();
    let mut new = old.clone();
    new.creation_timestamp = Some(k8s_openapi::apimachinery::pkg::apis::meta::v1::Time(ts));
    assert_eq!(
        messages(&validate_object_meta_update(&new, &old, &p)),
        [
            "metadata.creationTimestamp: Invalid value: 2024-01-02 03:04:05 +0000 UTC: field is immutable"
        ]
    );
    let mut old_deleting = old.clone();
    old_deleting.deletion_timestamp =
        Some(k8s_openapi::apimachinery::pkg::apis::meta::v1::Time(ts));
    let mut new = old_deleting.clone();
    new.finalizers = Some(vec!["x".into()]);
    assert_eq!(
        messages(&validate_object_meta_update(&new, &old_deleting, &p)),
        [
            "metadata.finalizers: Forbidden: no new finalizers can be added if the object is being deleted, found new finalizers []string{\"x\"}"
        ]
    );
}

#[test]
fn label_selector_validation() {
    let p = Path::new("spec").child("selector");
    let opts = LabelSelectorValidationOptions::default();
    assert!(validate_label_selector(None, opts, &p).is_empty());
    let sel = LabelSelector {
        match_labels: Some(map(&[("app", "web")])),
        match_expressions: Some(vec![
            LabelSelectorRequirement {
                key: "a".into(),
                operator: "In".into(),
                values: None,
            },
            LabelSelectorRequirement {
                key: "b".into(),
                operator: "Exists".into(),
                values: Some(vec!["x".into()]),
            },
            LabelSelectorRequirement {
                key: "c".into(),
                operator: "Bogus".into(),
                values: Some(vec!["-x".into()]),
            },
        ]),
    };
    let errs = messages(&validate_label_selector(Some(&sel), opts, &p));
    assert_eq!(
        errs[0],
        "spec.selector.matchExpressions[0].values: Required value: must be specified when `operator` is 'In' or 'NotIn'"
    );
    assert_eq!(
        errs[1],
        "spec.selector.matchExpressions[1].values: Forbidden: may not be specified when `operator` is 'Exists' or 'DoesNotExist'"
    );
    assert_eq!(
        errs[2],
        "spec.selector.matchExpressions[2].operator: Invalid value: \"Bogus\": not a valid selector operator"
    );
    assert!(errs[3].starts_with(
        "spec.selector.matchExpressions[2].values[0]: Invalid value: \"-x\": a valid label must be"
    ));
    assert_eq!(errs.len(), 4);
    let lenient = LabelSelectorValidationOptions {
        allow_invalid_label_value_in_selector: true,
        allow_unknown_operator_in_requirement: true,
    };
    assert_eq!(validate_label_selector(Some(&sel), lenient, &p).len(), 2);
}
