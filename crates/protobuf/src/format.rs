//! Text forms Go's encoding/json gives to values that protobuf carries as numbers or
//! bytes: RFC 3339 timestamps, Go duration strings, base64 and float numbers.

use serde_json::{Number, Value};

use crate::DecodeError;

const SECONDS_PER_DAY: i64 = 86_400;

/// `seconds` since the Unix epoch (plus `micros`, when given) as Go's UTC RFC 3339
/// layout: `2006-01-02T15:04:05Z`, or `2006-01-02T15:04:05.000000Z` with micros.
pub(crate) fn rfc3339(seconds: i64, micros: Option<u32>) -> Result<String, DecodeError> {
    let days = seconds.div_euclid(SECONDS_PER_DAY);
    let second_of_day = seconds.rem_euclid(SECONDS_PER_DAY);
    let (year, month, day) = civil_from_days(days);
    if !(0..=9999).contains(&year) {
        return Err(DecodeError::malformed(format!(
            "timestamp {seconds} is outside the years 0000-9999"
        )));
    }
    let (hour, minute, second) = (
        second_of_day / 3600,
        second_of_day % 3600 / 60,
        second_of_day % 60,
    );
    let mut text = format!("{year:04}-{month:02}-{day:02}T{hour:02}:{minute:02}:{second:02}");
    if let Some(micros) = micros {
        text.push_str(&format!(".{micros:06}"));
    }
    text.push('Z');
    Ok(text)
}

/// Proleptic Gregorian (year, month, day) of a day count since 1970-01-01.
fn civil_from_days(days: i64) -> (i64, u32, u32) {
    // Shift to an era-based calendar starting on 0000-03-01 so leap days fall last.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let day_of_era = z.rem_euclid(146_097);
    let year_of_era =
        (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let shifted_month = (5 * day_of_year + 2) / 153;
    let day = (day_of_year - (153 * shifted_month + 2) / 5 + 1) as u32;
    let month = if shifted_month < 10 {
        shifted_month + 3
    } else {
        shifted_month - 9
    } as u32;
    let year = year_of_era + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

/// Go's `time.Duration.String()`: `72h3m0.5s`, `1m0s`, `1.5ms`, `800ns`, `0s`.
pub(crate) fn go_duration(nanos: i64) -> String {
    let negative = nanos < 0;
    let magnitude = nanos.unsigned_abs();
    let mut text = String::new();
    if negative {
        text.push('-');
    }
    if magnitude == 0 {
        return "0s".to_string();
    }
    if magnitude < 1_000_000_000 {
        // Below one second Go switches to the largest unit that keeps a non-zero
        // integer part.
        let (digits, unit) = match magnitude {
            m if m < 1_000 => (0, "ns"),
            m if m < 1_000_000 => (3, "µs"),
            _ => (6, "ms"),
        };
        push_decimal(&mut text, magnitude, digits);
        text.push_str(unit);
        return text;
    }
    let total_seconds = magnitude / 1_000_000_000;
    let fraction = magnitude % 1_000_000_000;
    let (hours, minutes, seconds) = (
        total_seconds / 3600,
        total_seconds / 60 % 60,
        total_seconds % 60,
    );
    if hours > 0 {
        text.push_str(&format!("{hours}h"));
    }
    if total_seconds >= 60 {
        text.push_str(&format!("{minutes}m"));
    }
    push_decimal(&mut text, seconds * 1_000_000_000 + fraction, 9);
    text.push('s');
    text
}

/// Writes `value / 10^digits` with trailing fractional zeros (and a bare point) removed.
fn push_decimal(text: &mut String, value: u64, digits: u32) {
    let scale = 10u64.pow(digits);
    text.push_str(&(value / scale).to_string());
    let fraction = value % scale;
    if fraction > 0 {
        let padded = format!("{fraction:0width$}", width = digits as usize);
        text.push('.');
        text.push_str(padded.trim_end_matches('0'));
    }
}

/// Standard base64 with padding, as Go's encoding/json writes `[]byte`.
pub(crate) fn base64(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut text = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let b = [
            chunk[0],
            chunk.get(1).copied().unwrap_or(0),
            chunk.get(2).copied().unwrap_or(0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for (index, shift) in [18, 12, 6, 0].into_iter().enumerate() {
            if index <= chunk.len() {
                text.push(ALPHABET[((n >> shift) & 63) as usize] as char);
            } else {
                text.push('=');
            }
        }
    }
    text
}

/// A float as the JSON number a Go client would have sent: integral values print
/// without a fraction (so they read back as integers); NaN and infinities are
/// rejected as Go's encoder rejects them.
pub(crate) fn float_number(value: f64) -> Result<Value, DecodeError> {
    if !value.is_finite() {
        return Err(DecodeError::malformed(format!(
            "unsupported floating-point value {value}"
        )));
    }
    if value.fract() == 0.0 && value.abs() < 1e21 {
        if value >= i64::MIN as f64 && value < i64::MAX as f64 {
            return Ok(Value::from(value as i64));
        }
        if value >= 0.0 && value < u64::MAX as f64 {
            return Ok(Value::from(value as u64));
        }
    }
    Ok(Number::from_f64(value).map_or(Value::Null, Value::Number))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc3339_whole_seconds() {
        assert_eq!(rfc3339(0, None).unwrap(), "1970-01-01T00:00:00Z");
        assert_eq!(
            rfc3339(1_700_000_000, None).unwrap(),
            "2023-11-14T22:13:20Z"
        );
        assert_eq!(rfc3339(951_782_400, None).unwrap(), "2000-02-29T00:00:00Z");
        assert_eq!(rfc3339(-1, None).unwrap(), "1969-12-31T23:59:59Z");
        assert_eq!(
            rfc3339(253_402_300_799, None).unwrap(),
            "9999-12-31T23:59:59Z"
        );
        assert!(rfc3339(253_402_300_800, None).is_err());
        assert!(rfc3339(i64::MIN, None).is_err());
    }

    #[test]
    fn rfc3339_micros() {
        assert_eq!(
            rfc3339(1_700_000_000, Some(5)).unwrap(),
            "2023-11-14T22:13:20.000005Z"
        );
        assert_eq!(
            rfc3339(1_700_000_000, Some(0)).unwrap(),
            "2023-11-14T22:13:20.000000Z"
        );
    }

    #[test]
    fn go_durations() {
        let cases = [
            (0, "0s"),
            (1, "1ns"),
            (999, "999ns"),
            (1_500, "1.5µs"),
            (1_000_000, "1ms"),
            (1_500_000, "1.5ms"),
            (1_000_000_000, "1s"),
            (1_500_000_000, "1.5s"),
            (60_000_000_000, "1m0s"),
            (90_000_000_000, "1m30s"),
            (3_600_000_000_000, "1h0m0s"),
            (3_723_000_000_001, "1h2m3.000000001s"),
            (-1_500_000_000, "-1.5s"),
            (i64::MIN, "-2562047h47m16.854775808s"),
            (i64::MAX, "2562047h47m16.854775807s"),
        ];
        for (nanos, text) in cases {
            assert_eq!(go_duration(nanos), text, "{nanos}");
        }
    }

    #[test]
    fn base64_padding() {
        assert_eq!(base64(b""), "");
        assert_eq!(base64(b"f"), "Zg==");
        assert_eq!(base64(b"fo"), "Zm8=");
        assert_eq!(base64(b"foo"), "Zm9v");
        assert_eq!(base64(b"hello\0\xff"), "aGVsbG8A/w==");
    }

    #[test]
    fn floats() {
        assert_eq!(float_number(5.0).unwrap(), serde_json::json!(5));
        assert_eq!(float_number(-2.0).unwrap(), serde_json::json!(-2));
        assert_eq!(float_number(0.5).unwrap(), serde_json::json!(0.5));
        assert_eq!(float_number(1e300).unwrap(), serde_json::json!(1e300));
        assert!(float_number(f64::NAN).is_err());
        assert!(float_number(f64::INFINITY).is_err());
    }
}
