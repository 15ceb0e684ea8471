//! Timestamps: RFC 3339 parsing/formatting and upstream's "age" rendering.
//!
//! Times are carried as signed nanoseconds since the Unix epoch (`i128`), which
//! covers Go's zero time (year 1) and keeps subtraction exact.

use std::time::{SystemTime, UNIX_EPOCH};

use serde_json::Value;

const NANOS_PER_SEC: i128 = 1_000_000_000;

/// Seconds from 0001-01-01T00:00:00Z (Go's zero `time.Time`) to the Unix epoch.
const GO_ZERO_UNIX_SECS: i64 = -62_135_596_800;

/// Days since 1970-01-01 of a proleptic Gregorian date.
fn days_from_civil(year: i64, month: u32, day: u32) -> i64 {
    // Shift the year so it starts in March; leap days then fall at the end.
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let year_of_era = y - era * 400;
    let shifted_month = i64::from((month + 9) % 12);
    let day_of_year = (153 * shifted_month + 2) / 5 + i64::from(day) - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    era * 146_097 + day_of_era - 719_468
}

/// Inverse of [`days_from_civil`].
fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let day_of_era = z - era * 146_097;
    let year_of_era =
        (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let mp = (5 * day_of_year + 2) / 153;
    let day = (day_of_year - (153 * mp + 2) / 5 + 1) as u32;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let year = year_of_era + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

fn digits(s: &[u8]) -> Option<u32> {
    if s.is_empty() || !s.iter().all(u8::is_ascii_digit) {
        return None;
    }
    s.iter().try_fold(0u32, |acc, d| {
        acc.checked_mul(10)?.checked_add(u32::from(d - b'0'))
    })
}

/// Parses an RFC 3339 timestamp (`metav1.Time` / `metav1.MicroTime` JSON form).
pub(crate) fn parse_rfc3339(s: &str) -> Option<i128> {
    let b = s.as_bytes();
    if b.len() < 20 || b[4] != b'-' || b[7] != b'-' || b[13] != b':' || b[16] != b':' {
        return None;
    }
    if !matches!(b[10], b'T' | b't' | b' ') {
        return None;
    }
    let year = i64::from(digits(&b[0..4])?);
    let month = digits(&b[5..7])?;
    let day = digits(&b[8..10])?;
    let hour = i64::from(digits(&b[11..13])?);
    let minute = i64::from(digits(&b[14..16])?);
    let second = i64::from(digits(&b[17..19])?);
    if !(1..=12).contains(&month) || !(1..=31).contains(&day) || hour > 23 || minute > 59 {
        return None;
    }
    if second > 60 {
        return None;
    }
    let mut rest = &b[19..];
    let mut frac_nanos: i128 = 0;
    if let Some(frac) = rest.strip_prefix(b".") {
        let len = frac.iter().take_while(|c| c.is_ascii_digit()).count();
        if len == 0 {
            return None;
        }
        for (i, d) in frac[..len].iter().take(9).enumerate() {
            frac_nanos += i128::from(d - b'0') * 10i128.pow(8 - i as u32);
        }
        rest = &frac[len..];
    }
    let offset_secs: i64 = match rest {
        [b'Z' | b'z'] => 0,
        [sign @ (b'+' | b'-'), h1, h2, b':', m1, m2] => {
            let h = i64::from(digits(&[*h1, *h2])?);
            let m = i64::from(digits(&[*m1, *m2])?);
            let total = h * 3600 + m * 60;
            if *sign == b'-' { -total } else { total }
        }
        _ => return None,
    };
    let days = days_from_civil(year, month, day);
    let secs = days * 86_400 + hour * 3600 + minute * 60 + second - offset_secs;
    Some(i128::from(secs) * NANOS_PER_SEC + frac_nanos)
}

/// Formats like Go's `t.UTC().Format(time.RFC3339)` (whole seconds, `Z`).
pub(crate) fn format_rfc3339_utc(nanos: i128) -> String {
    let secs = nanos.div_euclid(NANOS_PER_SEC) as i64;
    let days = secs.div_euclid(86_400);
    let of_day = secs.rem_euclid(86_400);
    let (year, month, day) = civil_from_days(days);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z",
        of_day / 3600,
        of_day % 3600 / 60,
        of_day % 60
    )
}

/// Go's zero time as nanoseconds since the Unix epoch.
pub(crate) const GO_ZERO_NANOS: i128 = GO_ZERO_UNIX_SECS as i128 * NANOS_PER_SEC;

/// A timestamp field: absent, unparsable and Go's zero time all count as unset.
pub(crate) fn timestamp(v: Option<&Value>) -> Option<i128> {
    let t = parse_rfc3339(v?.as_str()?)?;
    (t != GO_ZERO_NANOS).then_some(t)
}

/// Upstream's `duration.HumanDuration` of a signed span: up to two seconds in
/// the future reads "0s", anything later is "<invalid>".
pub(crate) fn human_duration_signed(nanos: i128) -> String {
    capstan_apimachinery::duration::human_duration_nanos(nanos)
}

/// The moment the table is rendered; computes ages relative to it.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Clock {
    now: i128,
}

impl Clock {
    pub(crate) fn new(now: SystemTime) -> Self {
        let now = match now.duration_since(UNIX_EPOCH) {
            Ok(d) => d.as_nanos() as i128,
            Err(e) => -(e.duration().as_nanos() as i128),
        };
        Clock { now }
    }

    /// Upstream's `translateTimestampSince`: age of a timestamp field, or
    /// "<unknown>" when it is unset.
    pub(crate) fn since(&self, v: Option<&Value>) -> String {
        match timestamp(v) {
            Some(t) => self.since_nanos(t),
            None => "<unknown>".to_string(),
        }
    }

    /// Age of an object, from `metadata.creationTimestamp`.
    pub(crate) fn age(&self, obj: &Value) -> String {
        self.since(crate::json::get(obj, &["metadata", "creationTimestamp"]))
    }

    pub(crate) fn since_nanos(&self, t: i128) -> String {
        human_duration_signed(self.now - t)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;
    use std::time::Duration;

    #[test]
    fn parses_rfc3339_variants() {
        assert_eq!(parse_rfc3339("1970-01-01T00:00:00Z"), Some(0));
        assert_eq!(parse_rfc3339("1970-01-01T00:00:01.5Z"), Some(1_500_000_000));
        assert_eq!(parse_rfc3339("1970-01-01T00:00:00.000001Z"), Some(1_000));
        assert_eq!(parse_rfc3339("1970-01-01T01:00:00+01:00"), Some(0));
        assert_eq!(parse_rfc3339("1969-12-31T23:00:00-01:00"), Some(0));
        assert_eq!(
            parse_rfc3339("2024-02-29T12:34:56Z"),
            Some(1_709_210_096 * NANOS_PER_SEC)
        );
        assert_eq!(parse_rfc3339("0001-01-01T00:00:00Z"), Some(GO_ZERO_NANOS));
        assert_eq!(parse_rfc3339("2024-02-29"), None);
        assert_eq!(parse_rfc3339("2024-13-01T00:00:00Z"), None);
        assert_eq!(parse_rfc3339("2024-01-01T00:00:00"), None);
        assert_eq!(parse_rfc3339("2024-01-01T00:00:00.Z"), None);
    }

    #[test]
    fn formats_utc_whole_seconds() {
        let t = parse_rfc3339("2024-02-29T14:34:56.789+02:00").unwrap();
        assert_eq!(format_rfc3339_utc(t), "2024-02-29T12:34:56Z");
        assert_eq!(format_rfc3339_utc(GO_ZERO_NANOS), "0001-01-01T00:00:00Z");
        assert_eq!(format_rfc3339_utc(0), "1970-01-01T00:00:00Z");
    }

    #[test]
    fn zero_and_missing_timestamps_are_unset() {
        assert_eq!(timestamp(Some(&json!("0001-01-01T00:00:00Z"))), None);
        assert_eq!(timestamp(None), None);
        assert_eq!(timestamp(Some(&json!("garbage"))), None);
    }

    #[test]
    fn ages_follow_upstream_rules() {
        let clock = Clock::new(UNIX_EPOCH + Duration::from_secs(1_000_000));
        let at = |secs_ago: i64| {
            json!(format_rfc3339_utc(
                i128::from(1_000_000 - secs_ago) * NANOS_PER_SEC
            ))
        };
        assert_eq!(clock.since(None), "<unknown>");
        assert_eq!(clock.since(Some(&at(0))), "0s");
        assert_eq!(clock.since(Some(&at(30))), "30s");
        assert_eq!(clock.since(Some(&at(300))), "5m");
        assert_eq!(clock.since(Some(&at(6000))), "100m");
        assert_eq!(clock.since(Some(&at(2 * 86_400))), "2d");
        // Slightly in the future is tolerated, further is invalid.
        assert_eq!(clock.since(Some(&at(-1))), "0s");
        assert_eq!(clock.since(Some(&at(-3))), "<invalid>");
        assert_eq!(human_duration_signed(-1_900_000_000), "0s");
        assert_eq!(human_duration_signed(-2_100_000_000), "<invalid>");
    }
}
