use super::*;

fn fields(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

#[test]
fn parse_good_selectors() {
    for (input, canonical) in [
        ("", ""),
        ("a=b", "a=b"),
        ("a==b", "a=b"),
        ("a!=b", "a!=b"),
        ("x=a,y=b,z=c", "x=a,y=b,z=c"),
        ("z=c,x=a", "x=a,z=c"),
        ("x=", "x="),
        ("x=a,,y=b", "x=a,y=b"),
        ("metadata.name=foo\\,bar", "metadata.name=foo\\,bar"),
        ("a=b\\=c\\\\", "a=b\\=c\\\\"),
        ("spec.nodeName!=", "spec.nodeName!="),
        ("=", ""),
        ("a=1,!=", "a=1"),
    ] {
        let sel = Selector::parse(input).unwrap_or_else(|e| panic!("{input}: {e}"));
        assert_eq!(sel.to_string(), canonical, "{input}");
    }
    let sel = Selector::parse("metadata.name=foo\\,bar").unwrap();
    assert_eq!(sel.requirements()[0].value, "foo,bar");
    let sel = Selector::parse("a=b=c").unwrap_err();
    assert_eq!(
        sel.to_string(),
        "invalid field selector: unescaped character in value: 61"
    );
}

#[test]
fn parse_errors() {
    assert_eq!(
        Selector::parse("x=a||y=b,bad").unwrap_err().to_string(),
        "invalid selector: 'x=a||y=b,bad'; can't understand 'bad'"
    );
    assert_eq!(
        Selector::parse("a=b\\c").unwrap_err().to_string(),
        "invalid field selector: invalid escape sequence: \\c"
    );
    assert_eq!(
        Selector::parse("a=b\\").unwrap_err().to_string(),
        "invalid field selector: invalid escape sequence: \\"
    );
}

#[test]
fn whitespace_is_kept() {
    let sel = Selector::parse("a = b").unwrap();
    assert_eq!(sel.requirements()[0].field, "a ");
    assert_eq!(sel.requirements()[0].value, " b");
}

#[test]
fn matching() {
    let f = fields(&[("metadata.name", "foo"), ("status.phase", "Running")]);
    assert!(Selector::parse("").unwrap().matches_map(&f));
    assert!(
        Selector::parse("metadata.name=foo")
            .unwrap()
            .matches_map(&f)
    );
    assert!(
        !Selector::parse("metadata.name=bar")
            .unwrap()
            .matches_map(&f)
    );
    assert!(
        Selector::parse("metadata.name!=bar,status.phase=Running")
            .unwrap()
            .matches_map(&f)
    );
    assert!(
        !Selector::parse("metadata.name!=foo")
            .unwrap()
            .matches_map(&f)
    );
    assert!(Selector::parse("spec.nodeName=").unwrap().matches_map(&f));
    assert!(!Selector::parse("spec.nodeName!=").unwrap().matches_map(&f));
    assert!(!Selector::nothing().matches_map(&f));
    let lookup = |name: &str| (name == "metadata.name").then(|| "foo".to_string());
    assert!(
        Selector::parse("metadata.name=foo")
            .unwrap()
            .matches(&lookup)
    );
}

#[test]
fn requirements_and_exact_match() {
    let sel = Selector::parse("b!=2,a=1,a=3").unwrap();
    let listed: Vec<(&str, &str, &str)> = sel
        .requirements()
        .iter()
        .map(|r| (r.field.as_str(), r.operator.as_str(), r.value.as_str()))
        .collect();
    assert_eq!(listed, [("a", "=", "1"), ("a", "=", "3"), ("b", "!=", "2")]);
    assert_eq!(sel.requires_exact_match("a"), Some("1"));
    assert_eq!(sel.requires_exact_match("b"), None);
    assert_eq!(
        field_label_not_supported("spec.foo"),
        "field label not supported: spec.foo"
    );
}

#[test]
fn transform() {
    let sel = Selector::parse_and_transform(
        "name=foo,drop=x",
        |f, v| -> Result<(String, String), String> {
            match f {
                "name" => Ok(("metadata.name".into(), v.into())),
                "drop" => Ok((String::new(), String::new())),
                other => Err(field_label_not_supported(other)),
            }
        },
    )
    .unwrap();
    assert_eq!(sel.to_string(), "metadata.name=foo");
    let err = Selector::parse_and_transform("bad=1", |f, _| -> Result<(String, String), String> {
        Err(field_label_not_supported(f))
    })
    .unwrap_err();
    assert_eq!(err.to_string(), "field label not supported: bad");
}

#[test]
fn escaping_round_trips() {
    for v in ["", "plain", "a,b", "a=b", "a\\b", "\\,="] {
        assert_eq!(unescape_value(&escape_value(v)).unwrap(), v);
    }
    assert_eq!(escape_value("a,b=c\\"), "a\\,b\\=c\\\\");
}
