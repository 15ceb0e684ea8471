use super::*;

fn q(s: &str) -> Quantity {
    Quantity::parse(s).unwrap_or_else(|e| panic!("{s}: {e}"))
}

fn dec(m: i128, e: i32, format: Format) -> Quantity {
    Quantity {
        mantissa: m,
        exponent: e,
        format,
        cached: None,
    }
}

#[test]
fn parse_values_and_formats() {
    use Format::*;
    let table: &[(&str, Quantity)] = &[
        ("0", dec(0, 0, DecimalSI)),
        ("0n", dec(0, 0, DecimalSI)),
        ("0Ki", dec(0, 0, BinarySI)),
        ("0M", dec(0, 0, DecimalSI)),
        ("1", dec(1, 0, DecimalSI)),
        ("1Ki", dec(1024, 0, BinarySI)),
        ("8Ki", dec(8 * 1024, 0, BinarySI)),
        ("7Mi", dec(7 << 20, 0, BinarySI)),
        ("6Gi", dec(6 << 30, 0, BinarySI)),
        ("5Ti", dec(5 << 40, 0, BinarySI)),
        ("4Pi", dec(4 << 50, 0, BinarySI)),
        ("3Ei", dec(3 << 60, 0, BinarySI)),
        ("100Ti", dec(100 << 40, 0, BinarySI)),
        ("5n", dec(5, -9, DecimalSI)),
        ("4u", dec(4, -6, DecimalSI)),
        ("3m", dec(3, -3, DecimalSI)),
        ("8k", dec(8, 3, DecimalSI)),
        ("50k", dec(5, 4, DecimalSI)),
        ("40T", dec(4, 13, DecimalSI)),
        ("2P", dec(2, 15, DecimalSI)),
        ("1E", dec(1, 18, DecimalSI)),
        ("1E-3", dec(1, -3, DecimalExponent)),
        ("1e3", dec(1, 3, DecimalExponent)),
        ("1E18", dec(1, 18, DecimalExponent)),
        ("100.035k", dec(100035, 0, DecimalSI)),
        ("0.001", dec(1, -3, DecimalSI)),
        ("0.0005k", dec(5, -1, DecimalSI)),
        ("0.00050k", dec(5, -1, DecimalSI)),
        ("0.5e-2", dec(5, -3, DecimalExponent)),
        ("10.035M", dec(10035, 3, DecimalSI)),
        ("1.3E+6", dec(13, 5, DecimalExponent)),
        ("1.7E18", dec(17, 17, DecimalExponent)),
        ("7.123456M", dec(7123456, 0, DecimalSI)),
        ("6.987654321G", dec(6987654321, 0, DecimalSI)),
        ("1.01E", dec(101, 16, DecimalSI)),
        ("3.001n", dec(4, -9, DecimalSI)),
        ("1.1E-9", dec(2, -9, DecimalExponent)),
        ("0.0000000001", dec(1, -9, DecimalSI)),
        ("0.0000000005", dec(1, -9, DecimalSI)),
        ("0.5e-9", dec(1, -9, DecimalExponent)),
        ("0.9n", dec(1, -9, DecimalSI)),
        ("0.00000012345", dec(124, -9, DecimalSI)),
        ("0.00000012354", dec(124, -9, DecimalSI)),
        ("9Ei", dec(i64::MAX.into(), 0, BinarySI)),
        ("9223372036854775807Ki", dec(i64::MAX.into(), 0, BinarySI)),
        ("12E", dec(12, 18, DecimalSI)),
        ("100.035Ki", dec(10243584, -2, BinarySI)),
        ("0.5Mi", dec(524288, 0, BinarySI)),
        ("0.05Gi", dec(536870912, -1, BinarySI)),
        ("0.025Ti", dec(274877906944, -1, BinarySI)),
        ("0.000000000001Ki", dec(2, -9, DecimalSI)),
        (".001", dec(1, -3, DecimalSI)),
        (".0001k", dec(100, -3, DecimalSI)),
        ("1.", dec(1, 0, DecimalSI)),
        ("1.G", dec(1, 9, DecimalSI)),
    ];
    for (input, want) in table {
        for prefix in ["", "+", "-"] {
            let got = q(&format!("{prefix}{input}"));
            let mut expected = want.clone();
            if prefix == "-" {
                expected.neg();
            }
            assert_eq!(got, expected, "{prefix}{input}: got {got:?}");
            assert_eq!(got.format(), want.format, "{prefix}{input}");
        }
    }
}

#[test]
fn parse_errors() {
    for bad in ["1.1.M", "1+1.0M", "aoeu", " 1", "1 ", "0.1am"] {
        assert_eq!(
            Quantity::parse(bad).unwrap_err(),
            QuantityError::FormatWrong,
            "{bad}"
        );
    }
    for bad in [
        "0.1mi", ".5i", "1i", "-3.01i", "-3.01e-", "1e", "1ee3", "1e+",
    ] {
        assert_eq!(
            Quantity::parse(bad).unwrap_err(),
            QuantityError::Suffix,
            "{bad}"
        );
    }
    assert_eq!(Quantity::parse("").unwrap_err(), QuantityError::FormatWrong);
    assert_eq!(
        Quantity::parse(".e-20").unwrap_err(),
        QuantityError::Numeric
    );
    assert_eq!(
        QuantityError::FormatWrong.to_string(),
        "quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'"
    );
    assert_eq!(
        QuantityError::Numeric.to_string(),
        "unable to parse numeric part of quantity"
    );
    assert_eq!(
        QuantityError::Suffix.to_string(),
        "unable to parse quantity's suffix"
    );
}

#[test]
fn oddities_that_upstream_accepts() {
    for zero in ["-", "+", ".", "Ki", "m", "000"] {
        assert!(q(zero).is_zero(), "{zero}");
    }
}

#[test]
fn canonical_strings() {
    use Format::*;
    let table: &[(Quantity, &str, &str)] = &[
        (dec(1 << 30, 0, BinarySI), "1Gi", "1024Mi"),
        (dec(300 << 20, 0, BinarySI), "300Mi", "307200Ki"),
        (dec(6 * 1024, 0, BinarySI), "6Ki", ""),
        (dec(1001 << 30, 0, BinarySI), "1001Gi", "1025024Mi"),
        (dec(1 << 40, 0, BinarySI), "1Ti", "1024Gi"),
        (dec(5, 0, BinarySI), "5", "5000m"),
        (dec(500, -3, BinarySI), "500m", "0.5"),
        (dec(1, 9, DecimalSI), "1G", "1000M"),
        (dec(1000, 6, DecimalSI), "1G", "0.001T"),
        (dec(1000000, 3, DecimalSI), "1G", ""),
        (dec(1, -3, DecimalSI), "1m", "1000u"),
        (dec(80, -3, DecimalSI), "80m", ""),
        (dec(1080, -3, DecimalSI), "1080m", "1.08"),
        (dec(108, -2, DecimalSI), "1080m", "1080000000n"),
        (dec(10800, -4, DecimalSI), "1080m", ""),
        (dec(300, 6, DecimalSI), "300M", ""),
        (dec(1, 12, DecimalSI), "1T", ""),
        (dec(1234567, 6, DecimalSI), "1234567M", ""),
        (dec(1234567, -3, BinarySI), "1234567m", ""),
        (dec(3, 3, DecimalSI), "3k", ""),
        (dec(1025, 0, BinarySI), "1025", ""),
        (dec(0, 0, DecimalSI), "0", ""),
        (dec(0, 0, BinarySI), "0", ""),
        (dec(1, 9, DecimalExponent), "1e9", ".001e12"),
        (dec(1, -3, DecimalExponent), "1e-3", "0.001e0"),
        (dec(1, -9, DecimalExponent), "1e-9", "1000e-12"),
        (dec(80, -3, DecimalExponent), "80e-3", ""),
        (dec(300, 6, DecimalExponent), "300e6", ""),
        (dec(1, 12, DecimalExponent), "1e12", ""),
        (dec(3, 3, DecimalExponent), "3e3", ""),
        (dec(0, 0, DecimalExponent), "0", "00"),
        (dec(1, -9, DecimalSI), "1n", ""),
        (dec(80, -9, DecimalSI), "80n", ""),
        (dec(108, -8, DecimalSI), "1080n", ""),
        (dec(10800, -10, DecimalSI), "1080n", ""),
        (dec(1, -6, DecimalSI), "1u", ""),
        (dec(1080, -6, DecimalSI), "1080u", ""),
    ];
    for (value, expect, alternate) in table {
        assert_eq!(value.to_string(), *expect, "{value:?}");
        // Canonical input is remembered verbatim.
        let reparsed = q(expect);
        assert_eq!(reparsed.cached.as_deref(), Some(*expect), "{expect}");
        if !alternate.is_empty() {
            let alt = q(alternate);
            assert_eq!(alt.cached, None, "{alternate}");
            assert_eq!(alt.to_string(), *expect, "{alternate}");
        }
        if !value.is_zero() {
            let mut negative = value.clone();
            negative.neg();
            assert_eq!(negative.to_string(), format!("-{expect}"));
        }
    }
}

#[test]
fn parse_then_emit() {
    for (input, expect) in [
        ("1Ki", "1Ki"),
        ("1Mi", "1Mi"),
        ("1Gi", "1Gi"),
        ("1024Mi", "1Gi"),
        ("1000M", "1G"),
        (".001Ki", "1024m"),
        (".000001Ki", "1024u"),
        (".000000001Ki", "1024n"),
        (".000000000001Ki", "2n"),
        ("1000m", "1"),
        ("0.5", "500m"),
        ("1.5", "1500m"),
        ("1.5Gi", "1536Mi"),
        ("1536Mi", "1536Mi"),
        ("1000", "1k"),
        ("100", "100"),
        ("1e3", "1e3"),
        ("1000e3", "1e6"),
        ("1.5e3", "1500"),
        ("2000000e-3", "2e3"),
        ("100Gi", "100Gi"),
        ("9Ei", "9223372036854775807"),
        ("1000E", "1"),
    ] {
        assert_eq!(q(input).to_string(), expect, "{input}");
        let negative = q(&format!("-{input}"));
        assert_eq!(negative.to_string(), format!("-{expect}"), "-{input}");
    }
    // Upstream keeps canonical-looking input text as-is.
    assert_eq!(q("+1").to_string(), "+1");
    assert_eq!(q("05").to_string(), "05");
    assert_eq!(q("1E3").to_string(), "1E3");
    assert_eq!(canonicalize("0.1").unwrap(), "100m");
}

#[test]
fn comparisons() {
    assert_eq!(q("0").cmp(&q("0")), Ordering::Equal);
    assert_eq!(q("100m").cmp(&q("50m")), Ordering::Greater);
    assert_eq!(q("50m").cmp(&q("100m")), Ordering::Less);
    assert_eq!(q("10000T").cmp(&q("100Gi")), Ordering::Greater);
    assert_eq!(q("1Gi"), q("1073741824"));
    assert_eq!(q("1"), q("1000m"));
    assert!(q("-1") < q("0"));
    assert!(q("-2") < q("-1"));
    assert!(q("1e30") > q("999999999999999999999999999999"));
    let max = dec(i64::MAX.into(), 0, Format::DecimalSI);
    assert!(max > dec(1, -1, Format::DecimalSI));
    assert!(dec(i64::MAX.into(), -16, Format::DecimalSI) < dec(1, 3, Format::DecimalSI));
    assert_eq!(
        dec(10i128.pow(18), -17, Format::DecimalSI),
        dec(1, 1, Format::DecimalSI)
    );
    assert!(dec(10i128.pow(18) + 1, -17, Format::DecimalSI) > dec(1, 1, Format::DecimalSI));
    assert!(dec(i64::MIN.into(), -19, Format::DecimalSI) > dec(-1, 0, Format::DecimalSI));
}

#[test]
fn arithmetic() {
    let mut a = dec(10, 0, Format::DecimalSI);
    a.add(&dec(1, 1, Format::DecimalSI));
    assert_eq!(a, q("20"));
    let mut a = dec(10, 0, Format::BinarySI);
    a.sub(&dec(1, 0, Format::DecimalSI));
    assert_eq!(a, q("9"));
    assert_eq!(a.format(), Format::BinarySI);
    let mut zero = Quantity::default();
    zero.sub(&q("50"));
    assert_eq!(zero, q("-50"));
    for value in ["100m", "1Gi"] {
        let mut v = q(value);
        v.add(&q("0"));
        assert_eq!(v.to_string(), value);
        let mut z = q("0");
        z.add(&q(value));
        assert_eq!(z.to_string(), value);
        let mut z = q("0");
        z.sub(&q(value));
        assert_eq!(z.to_string(), format!("-{value}"));
    }
    let mut sum = q("1.5Gi");
    sum.add(&q("512Mi"));
    assert_eq!(sum.to_string(), "2Gi");
    let mut cpu = q("250m");
    cpu.add(&q("1"));
    assert_eq!(cpu.to_string(), "1250m");
    assert!(
        dec(i128::MAX, 0, Format::DecimalSI)
            .checked_add(&q("1"))
            .is_none()
    );
    let mut big = dec(i128::MAX, 0, Format::DecimalSI);
    big.add(&q("1n"));
    assert!(big > q("1"));
}

#[test]
fn scaled_values() {
    assert_eq!(q("1n").milli_value(), 1);
    assert_eq!(q("1").milli_value(), 1000);
    assert_eq!(q("1500m").value(), 2);
    assert_eq!(q("-1500m").value(), -2);
    assert_eq!(q("1Ki").value(), 1024);
    assert_eq!(q("100m").value(), 1);
    assert_eq!(q("1e30").value(), 0);
    assert_eq!(q("1e30").checked_scaled_value(0), None);
    let steps = [-9, -6, -3, 0];
    for from in steps {
        for to in steps {
            let want = if from >= to {
                10i64.pow((from - to) as u32)
            } else {
                1
            };
            assert_eq!(
                Quantity::new_scaled(1, from).scaled_value(to),
                want,
                "{from}->{to}"
            );
        }
    }
    assert_eq!(Quantity::new_scaled(1, 2).scaled_value(-2), 10000);
    assert_eq!(q("1.5").as_i64(), None);
    assert_eq!(q("2k").as_i64(), Some(2000));
    assert!((q("1.5Gi").as_approximate_f64() - 1610612736.0).abs() < 1e-3);
}

#[test]
fn constructors() {
    assert_eq!(Quantity::new_milli(1, Format::DecimalSI).to_string(), "1m");
    assert_eq!(
        Quantity::new_milli(1000, Format::DecimalSI).to_string(),
        "1"
    );
    assert_eq!(
        Quantity::new_milli(1234000, Format::DecimalSI).to_string(),
        "1234"
    );
    assert_eq!(
        Quantity::new_milli(1024, Format::BinarySI).to_string(),
        "1024m"
    );
    assert_eq!(
        Quantity::new_milli(1000000, Format::DecimalExponent).to_string(),
        "1e3"
    );
    assert_eq!(Quantity::new(1000, Format::DecimalSI).to_string(), "1k");
    assert_eq!(Quantity::new(1024, Format::BinarySI).to_string(), "1Ki");
    assert_eq!(Quantity::new(1 << 20, Format::BinarySI).to_string(), "1Mi");
    assert_eq!(
        Quantity::new(1000000, Format::DecimalExponent).to_string(),
        "1e6"
    );
    for (value, scale, expect) in [
        (1, -9, "1n"),
        (1000, -9, "1u"),
        (1000, -6, "1m"),
        (1000, -3, "1"),
        (0, -9, "0"),
    ] {
        assert_eq!(Quantity::new_scaled(value, scale).to_string(), expect);
    }
}

#[test]
fn round_up_and_neg() {
    for (input, scale, expect, exact) in [
        ("9.01", -3, "9010m", true),
        ("9.01", -2, "9010m", true),
        ("9.01", -1, "9100m", false),
        ("9.01", 0, "10", false),
        ("9.01", 1, "10", false),
        ("9.01", 2, "100", false),
        ("-9.01", -1, "-9100m", false),
        ("-9.01", 2, "-100", false),
    ] {
        let mut v = q(input);
        assert_eq!(v.round_up(scale), exact, "{input} {scale}");
        assert_eq!(v.to_string(), expect, "{input} {scale}");
    }
    let mut v = dec(901, -2, Format::DecimalSI);
    v.neg();
    assert_eq!(v.to_string(), "-9010m");
}

#[test]
fn serde_round_trip() {
    let v: Quantity = serde_json::from_str("\"1.5Gi\"").unwrap();
    assert_eq!(serde_json::to_string(&v).unwrap(), "\"1536Mi\"");
    for (json, expect) in [
        ("\" 1\"", "1"),
        ("\"1 \"", "1"),
        ("1", "1"),
        (" 1", "1"),
        ("10", "10"),
        ("-1", "-1"),
        ("0.5", "500m"),
    ] {
        let v: Quantity = serde_json::from_str(json).unwrap();
        assert_eq!(v.to_string(), expect, "{json}");
    }
    let v: Option<Quantity> = serde_json::from_str("null").unwrap();
    assert!(v.is_none());
    let err = serde_json::from_str::<Quantity>("\"abc\"")
        .unwrap_err()
        .to_string();
    assert!(
        err.starts_with("quantities must match the regular expression"),
        "{err}"
    );
    let openapi = k8s_openapi::apimachinery::pkg::api::resource::Quantity("0.5".into());
    let parsed = Quantity::try_from(&openapi).unwrap();
    assert_eq!(
        k8s_openapi::apimachinery::pkg::api::resource::Quantity::from(&parsed).0,
        "500m"
    );
}
