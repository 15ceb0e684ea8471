use super::*;

const S: i128 = NANOS_PER_SECOND;
const MS: i128 = 1_000_000;
const M: i128 = NANOS_PER_MINUTE;
const H: i128 = NANOS_PER_HOUR;
const D: i128 = 24 * H;
const Y: i128 = 365 * D;

#[test]
fn human_durations() {
    let cases = [
        (S, "1s"),
        (70 * S, "70s"),
        (190 * S, "3m10s"),
        (70 * M, "70m"),
        (47 * H, "47h"),
        (49 * H, "2d1h"),
        ((8 * 24 + 2) * H, "8d"),
        (367 * D, "367d"),
        (2 * Y + 25 * H, "2y1d"),
        (8 * Y + 2 * H, "8y"),
        (-2 * S, "<invalid>"),
        (-2 * S + 1, "0s"),
        (0, "0s"),
        (S - MS, "0s"),
        (2 * M - MS, "119s"),
        (2 * M, "2m"),
        (2 * M + S, "2m1s"),
        (10 * M - MS, "9m59s"),
        (10 * M, "10m"),
        (10 * M + S, "10m"),
        (3 * H - MS, "179m"),
        (3 * H, "3h"),
        (3 * H + M, "3h1m"),
        (8 * H - MS, "7h59m"),
        (8 * H, "8h"),
        (8 * H + 59 * M, "8h"),
        (2 * D - MS, "47h"),
        (2 * D, "2d"),
        (2 * D + H, "2d1h"),
        (8 * D - MS, "7d23h"),
        (8 * D, "8d"),
        (8 * D + 23 * H, "8d"),
        (2 * Y - MS, "729d"),
        (2 * Y, "2y"),
        (2 * Y + 23 * H + 59 * M, "2y"),
        (2 * Y + D - MS, "2y"),
        (2 * Y + D, "2y1d"),
        (3 * Y, "3y"),
        (7 * Y, "7y"),
        (8 * Y - MS, "7y364d"),
        (8 * Y, "8y"),
        (8 * Y + 364 * D, "8y"),
        (9 * Y, "9y"),
    ];
    for (n, want) in cases {
        assert_eq!(human_duration_nanos(n), want, "{n}");
    }
    assert_eq!(human_duration(Duration::from_secs(190)), "3m10s");
}

#[test]
fn short_human_durations() {
    let cases = [
        (-2 * S, "<invalid>"),
        (-2 * S + 1, "0s"),
        (0, "0s"),
        (S - MS, "0s"),
        (S, "1s"),
        (2 * S - MS, "1s"),
        (M - MS, "59s"),
        (M, "1m"),
        (2 * M - MS, "1m"),
        (H - MS, "59m"),
        (H, "1h"),
        (2 * H - MS, "1h"),
        (D - MS, "23h"),
        (D, "1d"),
        (2 * D - MS, "1d"),
        (Y - MS, "364d"),
        (Y, "1y"),
        (2 * Y - MS, "1y"),
        (2 * Y, "2y"),
    ];
    for (n, want) in cases {
        assert_eq!(short_human_duration_nanos(n), want, "{n}");
    }
    assert_eq!(short_human_duration(Duration::from_secs(3600)), "1h");
}

#[test]
fn go_parse_duration() {
    let cases: [(&str, i64); 20] = [
        ("0", 0),
        ("5s", 5_000_000_000),
        ("30s", 30_000_000_000),
        ("1478s", 1_478_000_000_000),
        ("-5s", -5_000_000_000),
        ("+5s", 5_000_000_000),
        ("-0", 0),
        ("+0", 0),
        ("5.0s", 5_000_000_000),
        ("5.6s", 5_600_000_000),
        ("5.s", 5_000_000_000),
        (".5s", 500_000_000),
        ("1.004s", 1_004_000_000),
        ("1m30s", 90_000_000_000),
        ("500ms", 500_000_000),
        ("10ns", 10),
        ("11us", 11_000),
        ("12\u{b5}s", 12_000),
        ("13\u{3bc}s", 13_000),
        ("-1.5h", -5_400_000_000_000),
    ];
    for (s, want) in cases {
        assert_eq!(parse_go_duration(s), Ok(want), "{s}");
    }
    assert_eq!(parse_go_duration("3h30m"), Ok(12_600_000_000_000));
    assert_eq!(parse_go_duration("9223372036854775807ns"), Ok(i64::MAX));
    assert_eq!(parse_go_duration("-9223372036854775808ns"), Ok(i64::MIN));
    assert_eq!(
        parse_go_duration("0.100000000000000000000h"),
        Ok(360_000_000_000)
    );
}

#[test]
fn go_parse_duration_errors() {
    let err = |s: &str| parse_go_duration(s).unwrap_err().to_string();
    assert_eq!(err(""), "time: invalid duration \"\"");
    assert_eq!(err("3"), "time: missing unit in duration \"3\"");
    assert_eq!(err("-"), "time: invalid duration \"-\"");
    assert_eq!(err("s"), "time: invalid duration \"s\"");
    assert_eq!(err("."), "time: invalid duration \".\"");
    assert_eq!(err("-.s"), "time: invalid duration \"-.s\"");
    assert_eq!(err("3000000h"), "time: invalid duration \"3000000h\"");
    assert_eq!(
        err("9223372036854775808ns"),
        "time: invalid duration \"9223372036854775808ns\""
    );
    assert_eq!(
        err("9223372036854775808ns9223372036854775808ns"),
        "time: invalid duration \"9223372036854775808ns9223372036854775808ns\""
    );
    assert_eq!(err("1d"), "time: unknown unit \"d\" in duration \"1d\"");
    assert_eq!(
        err("1\"x"),
        "time: unknown unit \"\\\"x\" in duration \"1\\\"x\""
    );
    assert!(parse_duration("-1s").is_err());
    assert_eq!(parse_duration("1m30s"), Ok(Duration::from_secs(90)));
}

#[test]
fn go_duration_strings() {
    let cases = [
        (0, "0s"),
        (1, "1ns"),
        (1_100, "1.1\u{b5}s"),
        (2_200_000, "2.2ms"),
        (3_300_000_000, "3.3s"),
        (4 * 60_000_000_000 + 5_000_000_000, "4m5s"),
        (4 * 60_000_000_000 + 5_001_000_000, "4m5.001s"),
        (
            5 * 3_600_000_000_000 + 6 * 60_000_000_000 + 7_001_000_000,
            "5h6m7.001s",
        ),
        (8 * 60_000_000_000 + 1, "8m0.000000001s"),
        (3_600_000_000_000, "1h0m0s"),
        (-1_500_000_000, "-1.5s"),
    ];
    for (n, want) in cases {
        assert_eq!(format_go_duration(n), want, "{n}");
    }
    assert_eq!(format_go_duration(i64::MIN), "-2562047h47m16.854775808s");
}
