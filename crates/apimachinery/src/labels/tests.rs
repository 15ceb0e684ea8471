use std::collections::BTreeMap;

use k8s_openapi::api::core::v1::{NodeSelector, NodeSelectorRequirement, NodeSelectorTerm};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{LabelSelector, LabelSelectorRequirement};

use super::*;

fn set(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

fn strings(v: &[&str]) -> Vec<String> {
    v.iter().map(|s| s.to_string()).collect()
}

fn parse_err(s: &str) -> String {
    Selector::parse(s).unwrap_err().to_string()
}

#[test]
fn good_strings_round_trip_without_spaces() {
    for s in [
        "x=a,y=b,z=c",
        "",
        "x!=a,y=b",
        "x=",
        "x= ",
        "x=,z= ",
        "x= ,z= ",
        "!x",
        "x>1",
        "x>1,z<5",
    ] {
        let sel = Selector::parse(s).unwrap_or_else(|e| panic!("{s}: {e}"));
        assert_eq!(sel.to_string(), s.replace(' ', ""), "{s}");
    }
}

#[test]
fn bad_strings_fail() {
    for s in [
        "x=a||y=b",
        "x==a==b",
        "!x=a",
        "x<a",
        "x,,y",
        ",x,y",
        "x nott in (y)",
        "a in (xyz),",
        "a in (xyz)b notin ()",
        "a in (xyz abc)",
        "a notin(",
        "a (",
        "(",
    ] {
        assert!(Selector::parse(s).is_err(), "{s}");
    }
}

#[test]
fn parse_is_deterministic() {
    assert_eq!(
        Selector::parse("x=a,a=x").unwrap().to_string(),
        Selector::parse("a=x,x=a").unwrap().to_string()
    );
    assert_eq!(Selector::parse("x=a,a=x").unwrap().to_string(), "a=x,x=a");
}

#[test]
fn set_based_parsing() {
    let cases = [
        ("\rx", "x"),
        (
            "this-is-a-dns.domain.com/key-with-dash",
            "this-is-a-dns.domain.com/key-with-dash",
        ),
        (
            "0.1.2.domain/99 notin (10.10.100.1, tick.tack.clock)",
            "0.1.2.domain/99 notin (10.10.100.1,tick.tack.clock)",
        ),
        ("foo  in\t (abc)", "foo in (abc)"),
        ("x notin\n (abc)", "x notin (abc)"),
        ("x in (abc,)", "x in (,abc)"),
        ("x in ()", "x in ()"),
        (
            "x notin (abc,,def),bar,z in (),w",
            "bar,w,x notin (,abc,def),z in ()",
        ),
        ("x,y in (a)", "x,y in (a)"),
        ("x notin ( )", "x notin ()"),
        ("x notin (, a)", "x notin (,a)"),
        ("a ", "a"),
        ("a in (x,y,notin, z,in)", "a in (in,notin,x,y,z)"),
        ("notin=in", "notin=in"),
        ("x in (b,a,b)", "x in (a,b)"),
    ];
    for (input, canonical) in cases {
        let sel = Selector::parse(input).unwrap_or_else(|e| panic!("{input}: {e}"));
        assert_eq!(sel.to_string(), canonical, "{input}");
    }
}

#[test]
fn matching() {
    let yes =
        |s: &str, l: &[(&str, &str)]| assert!(Selector::parse(s).unwrap().matches(&set(l)), "{s}");
    let no =
        |s: &str, l: &[(&str, &str)]| assert!(!Selector::parse(s).unwrap().matches(&set(l)), "{s}");
    yes("", &[("x", "y")]);
    yes("x=y", &[("x", "y")]);
    yes("x=y,z=w", &[("x", "y"), ("z", "w")]);
    yes("x!=y,z!=w", &[("x", "z"), ("z", "a")]);
    yes("notin=in", &[("notin", "in")]);
    yes("x", &[("x", "z")]);
    yes("!x", &[("y", "z")]);
    yes("x>1", &[("x", "2")]);
    yes("x<1", &[("x", "0")]);
    no("x=z", &[]);
    no("x=y", &[("x", "z")]);
    no("x=y,z=w", &[("x", "w"), ("z", "w")]);
    no("x!=y,z!=w", &[("x", "z"), ("z", "w")]);
    no("x", &[("y", "z")]);
    no("!x", &[("x", "z")]);
    no("x>1", &[("x", "0")]);
    no("x<1", &[("x", "2")]);
    no("x>1", &[("x", "v2")]);
    yes("x notin (),y", &[("y", "")]);
    no("x notin (),!y", &[("y", "")]);
    no("x in ()", &[("y", "baz")]);
    yes("x in (),x", &[("x", "")]);
    let labels = [("foo", "bar"), ("baz", "blah")];
    yes("foo=bar,baz=blah", &labels);
    no("foo=bar,foobar=bar,baz=blah", &labels);
}

#[test]
fn everything_and_nothing() {
    assert!(Selector::everything().is_empty());
    assert!(Selector::everything().matches(&set(&[("x", "y")])));
    assert!(!Selector::nothing().is_empty());
    assert!(!Selector::nothing().matches(&set(&[])));
    assert_eq!(Selector::nothing().to_string(), "");
    assert!(Selector::from_set(&BTreeMap::new()).is_empty());
}

#[test]
fn requirement_constructor_errors() {
    let nil = Path::nil();
    let err = |key: &str, op: Operator, vals: &[&str]| {
        Requirement::new(key, op, strings(vals), &nil)
            .unwrap_err()
            .to_string()
    };
    assert_eq!(
        err("x1", Operator::In, &[]),
        "values: Invalid value: []string{}: for 'in', 'notin' operators, values set can't be empty"
    );
    assert_eq!(
        err("x5", Operator::Equals, &["bar", "foo"]),
        "values: Invalid value: []string{\"bar\", \"foo\"}: exact-match compatibility requires one single value"
    );
    assert_eq!(
        err("x8", Operator::Exists, &["foo"]),
        "values: Invalid value: []string{\"foo\"}: values set must be empty for exists and does not exist"
    );
    assert_eq!(
        err("x13", Operator::GreaterThan, &[]),
        "values: Invalid value: []string{}: for 'Gt', 'Lt' operators, exactly one value is required"
    );
    assert_eq!(
        err("x14", Operator::GreaterThan, &["bar"]),
        "values[0]: Invalid value: \"bar\": for 'Gt', 'Lt' operators, the value must be an integer"
    );
    let long = "a".repeat(254);
    assert_eq!(
        err(&long, Operator::Exists, &[]),
        format!("key: Invalid value: \"{long}\": name part must be no more than 63 characters")
    );
    assert_eq!(
        err("x17", Operator::Equals, &["a b"]),
        "values[0][x17]: Invalid value: \"a b\": a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')"
    );
    // Several errors aggregate as "[a, b]".
    assert_eq!(
        err("x", Operator::In, &["a b"])
            .matches("values[0][x]")
            .count(),
        1
    );
    let two = err("", Operator::Exists, &["v"]);
    assert!(
        two.starts_with("[key: Invalid value: \"\": name part must be non-empty; name part "),
        "{two}"
    );
    assert!(two.ends_with("values: Invalid value: []string{\"v\"}: values set must be empty for exists and does not exist]"), "{two}");
    assert!(Requirement::new("x3", Operator::In, strings(&["foo"]), &nil).is_ok());
    assert!(Requirement::new("x11", Operator::GreaterThan, strings(&["1"]), &nil).is_ok());
}

#[test]
fn parse_error_texts() {
    assert!(parse_err("x=a||y=b").starts_with(
        "unable to parse requirement: values[0][x]: Invalid value: \"a||y\": a valid label must be"
    ));
    assert_eq!(
        parse_err("x,,y"),
        "found ',', expected: identifier after ','"
    );
    assert_eq!(
        parse_err(",x"),
        "found ',', expected: !, identifier, or 'end of string'"
    );
    assert_eq!(
        parse_err("x nott in (y)"),
        "unable to parse requirement: found 'nott', expected: in, notin, =, ==, !=, gt, lt"
    );
    assert_eq!(
        parse_err("a in (xyz abc)"),
        "unable to parse requirement: found 'abc', expected: ',' or ')'"
    );
    assert_eq!(
        parse_err("a notin("),
        "unable to parse requirement: found '', expected: ',', ')' or identifier"
    );
    assert_eq!(
        parse_err("a in x"),
        "unable to parse requirement: found 'x' expected: '('"
    );
    assert_eq!(
        parse_err("!x=a"),
        "found '=', expected: ',' or 'end of string'"
    );
    assert_eq!(
        parse_err("x==a==b"),
        "found '==', expected: ',' or 'end of string'"
    );
    assert_eq!(
        parse_err("x<a"),
        "unable to parse requirement: values[0]: Invalid value: \"a\": for 'Gt', 'Lt' operators, the value must be an integer"
    );
    assert_eq!(
        parse_err("Foo Bar=x"),
        "unable to parse requirement: found 'Bar', expected: in, notin, =, ==, !=, gt, lt"
    );
    assert_eq!(
        parse_err("a/b/c=x"),
        "unable to parse requirement: <nil>: Invalid value: \"a/b/c\": a qualified name must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]') with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')"
    );
    assert_eq!(
        parse_err("x=a b"),
        "found 'b', expected: ',' or 'end of string'"
    );
    assert_eq!(
        parse_err("x=-a"),
        "unable to parse requirement: values[0][x]: Invalid value: \"-a\": a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')"
    );
    let with_path = Selector::parse_with_path("a/b/c", &Path::new("labelSelector"))
        .unwrap_err()
        .to_string();
    assert!(
        with_path
            .starts_with("unable to parse requirement: labelSelector: Invalid value: \"a/b/c\"")
    );
}

#[test]
fn display_of_requirements() {
    let nil = Path::nil();
    let r = |k: &str, op, v: &[&str]| Requirement::new(k, op, strings(v), &nil).unwrap();
    let s = Selector::from_requirements(vec![
        r("x", Operator::In, &["def", "abc"]),
        r("y", Operator::NotIn, &["jkl"]),
        r("z", Operator::Exists, &[]),
    ]);
    assert_eq!(s.to_string(), "x in (abc,def),y notin (jkl),z");
    let s = Selector::from_requirements(vec![
        r("x", Operator::Equals, &["abc"]),
        r("y", Operator::DoubleEquals, &["jkl"]),
        r("z", Operator::NotEquals, &["a"]),
        r("z", Operator::Exists, &[]),
    ]);
    assert_eq!(s.to_string(), "x=abc,y==jkl,z!=a,z");
    let s = Selector::from_requirements(vec![
        r("z", Operator::DoesNotExist, &[]),
        r("x", Operator::GreaterThan, &["2"]),
        r("y", Operator::LessThan, &["8"]),
    ]);
    assert_eq!(s.to_string(), "x>2,y<8,!z");
    // Values keep their given order internally.
    assert_eq!(r("x", Operator::In, &["b", "a"]).values(), ["b", "a"]);
}

#[test]
fn exact_match() {
    let s = Selector::parse("key in (value),key2 in (value, value1),key3=v3,key4==v4,key5!=v5")
        .unwrap();
    assert_eq!(s.requires_exact_match("key"), Some("value"));
    assert_eq!(s.requires_exact_match("key2"), None);
    assert_eq!(s.requires_exact_match("key3"), Some("v3"));
    assert_eq!(s.requires_exact_match("key4"), Some("v4"));
    assert_eq!(s.requires_exact_match("key5"), None);
    assert_eq!(s.requires_exact_match("missing"), None);
    assert_eq!(
        s.exact_match_requirements(),
        set(&[("key", "value"), ("key3", "v3"), ("key4", "v4")])
    );
}

#[test]
fn validated_set() {
    let err = Selector::from_validated_set(&set(&[(
        "Key",
        "axahm2EJ8Phiephe2eixohbee9eGeiyees1thuozi1xoh0GiuH3diewi8iem7Nui",
    )]))
    .unwrap_err()
    .to_string();
    assert!(
        err.starts_with("values[0][Key]: Invalid value: \"axahm2"),
        "{err}"
    );
    assert!(err.contains("must be no more than 63 characters"));
    let s = Selector::from_validated_set(&set(&[("app", "foo"), ("a", "b")])).unwrap();
    assert_eq!(s.to_string(), "a=b,app=foo");
    assert_eq!(
        Selector::from_set(&set(&[("app", "foo"), ("a", "b")])).to_string(),
        "a=b,app=foo"
    );
}

#[test]
fn add_keeps_sorted() {
    let nil = Path::nil();
    let s = Selector::everything().add([Requirement::new(
        "key2",
        Operator::Equals,
        strings(&["v2"]),
        &nil,
    )
    .unwrap()]);
    let s = s.add([Requirement::new("key", Operator::In, strings(&["v"]), &nil).unwrap()]);
    assert_eq!(s.to_string(), "key in (v),key2=v2");
    assert!(
        Selector::nothing()
            .add(s.requirements().to_vec())
            .matches_nothing()
    );
}

#[test]
fn format_labels_output() {
    assert_eq!(format_labels(&set(&[])), "<none>");
    assert_eq!(format_labels(&set(&[("b", "2"), ("a", "1")])), "a=1,b=2");
}

fn label_selector(
    labels: &[(&str, &str)],
    exprs: Vec<(&str, &str, Option<Vec<&str>>)>,
) -> LabelSelector {
    LabelSelector {
        match_labels: if labels.is_empty() {
            None
        } else {
            Some(set(labels))
        },
        match_expressions: if exprs.is_empty() {
            None
        } else {
            Some(
                exprs
                    .into_iter()
                    .map(|(k, op, v)| LabelSelectorRequirement {
                        key: k.into(),
                        operator: op.into(),
                        values: v.map(|v| strings(&v)),
                    })
                    .collect(),
            )
        },
    }
}

#[test]
fn from_label_selector() {
    assert!(
        selector_from_label_selector(None)
            .unwrap()
            .matches_nothing()
    );
    assert!(
        selector_from_label_selector(Some(&LabelSelector::default()))
            .unwrap()
            .is_empty()
    );
    let ls = label_selector(
        &[("foo", "bar")],
        vec![
            ("baz", "In", Some(vec!["qux", "norf"])),
            ("x", "Exists", None),
        ],
    );
    let s = selector_from_label_selector(Some(&ls)).unwrap();
    assert_eq!(s.to_string(), "baz in (norf,qux),foo=bar,x");
    assert!(s.matches(&set(&[("foo", "bar"), ("baz", "norf"), ("x", "")])));
    assert!(!s.matches(&set(&[("foo", "bar"), ("baz", "norf")])));
    let bad = label_selector(&[], vec![("x", "Exists", Some(vec!["a"]))]);
    assert_eq!(
        selector_from_label_selector(Some(&bad))
            .unwrap_err()
            .to_string(),
        "values: Invalid value: []string{\"a\"}: values set must be empty for exists and does not exist"
    );
    let bad = label_selector(&[], vec![("x", "In", Some(vec![]))]);
    assert_eq!(
        selector_from_label_selector(Some(&bad))
            .unwrap_err()
            .to_string(),
        "values: Invalid value: []string{}: for 'in', 'notin' operators, values set can't be empty"
    );
    let bad = label_selector(&[], vec![("x", "Gt", Some(vec!["1"]))]);
    assert_eq!(
        selector_from_label_selector(Some(&bad))
            .unwrap_err()
            .to_string(),
        "\"Gt\" is not a valid label selector operator"
    );
}

#[test]
fn label_selector_to_map() {
    let ls = label_selector(&[("foo", "bar")], vec![("baz", "In", Some(vec!["qux"]))]);
    assert_eq!(
        label_selector_as_map(Some(&ls)).unwrap(),
        set(&[("foo", "bar"), ("baz", "qux")])
    );
    let ls = label_selector(&[], vec![("baz", "NotIn", Some(vec!["qux"]))]);
    assert_eq!(
        label_selector_as_map(Some(&ls)).unwrap_err(),
        "operator \"NotIn\" cannot be converted into the old label selector format"
    );
}

fn node_req(key: &str, op: &str, values: &[&str]) -> NodeSelectorRequirement {
    NodeSelectorRequirement {
        key: key.into(),
        operator: op.into(),
        values: if values.is_empty() {
            None
        } else {
            Some(strings(values))
        },
    }
}

#[test]
fn node_selector_requirements() {
    let labels = set(&[("zone", "a"), ("cpus", "8")]);
    assert!(!node_selector_requirements_match(&[], &labels));
    assert!(node_selector_requirements_match(
        &[node_req("zone", "In", &["a", "b"])],
        &labels
    ));
    assert!(!node_selector_requirements_match(
        &[node_req("zone", "NotIn", &["a"])],
        &labels
    ));
    assert!(node_selector_requirements_match(
        &[node_req("zone", "Exists", &[])],
        &labels
    ));
    assert!(node_selector_requirements_match(
        &[node_req("gpu", "DoesNotExist", &[])],
        &labels
    ));
    assert!(node_selector_requirements_match(
        &[node_req("cpus", "Gt", &["4"])],
        &labels
    ));
    assert!(!node_selector_requirements_match(
        &[node_req("cpus", "Lt", &["4"])],
        &labels
    ));
    assert!(!node_selector_requirements_match(
        &[node_req("cpus", "Gt", &["x"])],
        &labels
    ));
    let errs =
        node_selector_requirements_as_selector(&[node_req("zone", "Foo", &[])], &Path::new("m"))
            .unwrap_err();
    assert_eq!(
        errs[0].to_string(),
        "m[0].operator: Unsupported value: \"Foo\": supported values: \"In\", \"NotIn\", \"Exists\", \"DoesNotExist\", \"Gt\", \"Lt\""
    );
    let errs = node_selector_requirements_as_selector(
        &[node_req("cpus", "Gt", &["1", "2"])],
        &Path::new("m"),
    )
    .unwrap_err();
    assert_eq!(
        errs[0].to_string(),
        "m[0].values: Invalid value: []string{\"1\", \"2\"}: for 'Gt', 'Lt' operators, exactly one value is required"
    );
}

#[test]
fn node_selector_terms() {
    let labels = set(&[("zone", "a")]);
    let term = |exprs: Vec<NodeSelectorRequirement>, fields: Vec<NodeSelectorRequirement>| {
        NodeSelectorTerm {
            match_expressions: if exprs.is_empty() { None } else { Some(exprs) },
            match_fields: if fields.is_empty() {
                None
            } else {
                Some(fields)
            },
        }
    };
    let p = Path::nil();
    assert!(!node_selector_term_matches(&term(vec![], vec![]), &labels, "n1", &p).unwrap());
    assert!(
        node_selector_term_matches(
            &term(vec![node_req("zone", "In", &["a"])], vec![]),
            &labels,
            "n1",
            &p
        )
        .unwrap()
    );
    assert!(
        node_selector_term_matches(
            &term(vec![], vec![node_req("metadata.name", "In", &["n1"])]),
            &labels,
            "n1",
            &p
        )
        .unwrap()
    );
    assert!(
        !node_selector_term_matches(
            &term(vec![], vec![node_req("metadata.name", "In", &["n2"])]),
            &labels,
            "n1",
            &p
        )
        .unwrap()
    );
    assert!(
        node_selector_term_matches(
            &term(vec![], vec![node_req("metadata.name", "NotIn", &["n2"])]),
            &labels,
            "n1",
            &p
        )
        .unwrap()
    );
    let errs = node_selector_term_matches(
        &term(vec![], vec![node_req("metadata.name", "In", &["a", "b"])]),
        &labels,
        "n1",
        &Path::new("t"),
    )
    .unwrap_err();
    assert_eq!(
        errs[0].to_string(),
        "t.matchFields[0].values: Invalid value: []string{\"a\", \"b\"}: must have one element"
    );

    let selector = NodeSelector {
        node_selector_terms: vec![
            term(vec![node_req("zone", "Bad", &[])], vec![]),
            term(vec![node_req("zone", "In", &["a"])], vec![]),
        ],
    };
    assert!(node_selector_matches(&selector, &labels, "n1").unwrap());
    let err = node_selector_matches(&selector, &set(&[("zone", "b")]), "n1").unwrap_err();
    assert_eq!(
        err,
        "nodeSelectorTerms[0].matchExpressions[0].operator: Unsupported value: \"Bad\": supported values: \"In\", \"NotIn\", \"Exists\", \"DoesNotExist\", \"Gt\", \"Lt\""
    );
}
