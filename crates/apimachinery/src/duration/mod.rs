//! Human-readable durations (upstream `pkg/util/duration`, used for AGE
//! columns) and Go `time.ParseDuration` / `Duration.String` compatibility.

use std::time::Duration;

use crate::go_fmt::quote;

const NANOS_PER_SECOND: i128 = 1_000_000_000;
const NANOS_PER_MINUTE: i128 = 60 * NANOS_PER_SECOND;
const NANOS_PER_HOUR: i128 = 60 * NANOS_PER_MINUTE;

fn nanos(d: Duration) -> i128 {
    d.as_nanos().min(i64::MAX as u128) as i128
}

/// Upstream `HumanDuration`, e.g. "70s", "3m10s", "47h", "2d1h", "2y1d".
pub fn human_duration(d: Duration) -> String {
    human_duration_nanos(nanos(d))
}

/// [`human_duration`] for a signed nanosecond count: upstream prints
/// `<invalid>` below -1s and "0s" for small negatives (clock skew).
pub fn human_duration_nanos(nanos: i128) -> String {
    let seconds = nanos / NANOS_PER_SECOND;
    if seconds < -1 {
        return "<invalid>".to_string();
    }
    if seconds < 0 {
        return "0s".to_string();
    }
    if seconds < 60 * 2 {
        return format!("{seconds}s");
    }
    let minutes = nanos / NANOS_PER_MINUTE;
    if minutes < 10 {
        let s = seconds % 60;
        return if s == 0 {
            format!("{minutes}m")
        } else {
            format!("{minutes}m{s}s")
        };
    }
    if minutes < 60 * 3 {
        return format!("{minutes}m");
    }
    let hours = nanos / NANOS_PER_HOUR;
    if hours < 8 {
        let m = minutes % 60;
        return if m == 0 {
            format!("{hours}h")
        } else {
            format!("{hours}h{m}m")
        };
    }
    if hours < 48 {
        return format!("{hours}h");
    }
    if hours < 24 * 8 {
        let h = hours % 24;
        return if h == 0 {
            format!("{}d", hours / 24)
        } else {
            format!("{}d{h}h", hours / 24)
        };
    }
    if hours < 24 * 365 * 2 {
        return format!("{}d", hours / 24);
    }
    if hours < 24 * 365 * 8 {
        let days = (hours / 24) % 365;
        return if days == 0 {
            format!("{}y", hours / 24 / 365)
        } else {
            format!("{}y{days}d", hours / 24 / 365)
        };
    }
    format!("{}y", hours / 24 / 365)
}

/// Upstream `ShortHumanDuration`: one unit only ("59s", "1m", "23h", "364d", "1y").
pub fn short_human_duration(d: Duration) -> String {
    short_human_duration_nanos(nanos(d))
}

/// [`short_human_duration`] for a signed nanosecond count.
pub fn short_human_duration_nanos(nanos: i128) -> String {
    let seconds = nanos / NANOS_PER_SECOND;
    if seconds < -1 {
        return "<invalid>".to_string();
    }
    if seconds < 0 {
        return "0s".to_string();
    }
    if seconds < 60 {
        return format!("{seconds}s");
    }
    let minutes = nanos / NANOS_PER_MINUTE;
    if minutes < 60 {
        return format!("{minutes}m");
    }
    let hours = nanos / NANOS_PER_HOUR;
    if hours < 24 {
        return format!("{hours}h");
    }
    if hours < 24 * 365 {
        return format!("{}d", hours / 24);
    }
    format!("{}y", hours / 24 / 365)
}

/// A Go `time.ParseDuration` failure; `Display` is Go's text.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct ParseDurationError(String);

fn unit_nanos(unit: &str) -> Option<u64> {
    Some(match unit {
        "ns" => 1,
        "us" | "\u{b5}s" | "\u{3bc}s" => 1_000,
        "ms" => 1_000_000,
        "s" => 1_000_000_000,
        "m" => 60_000_000_000,
        "h" => 3_600_000_000_000,
        _ => return None,
    })
}

/// Go's `time.ParseDuration`, returning signed nanoseconds ("1m30s",
/// "-1.5h", "500ms"; units ns, us/µs/μs, ms, s, m, h; a bare "0" is allowed).
pub fn parse_go_duration(input: &str) -> Result<i64, ParseDurationError> {
    let invalid = || ParseDurationError(format!("time: invalid duration {}", quote(input)));
    let mut s = input;
    let mut negative = false;
    if let Some(c) = s.chars().next().filter(|c| *c == '-' || *c == '+') {
        negative = c == '-';
        s = &s[1..];
    }
    if s == "0" {
        return Ok(0);
    }
    if s.is_empty() {
        return Err(invalid());
    }
    let mut total: u64 = 0;
    while !s.is_empty() {
        let b = s.as_bytes();
        if !(b[0] == b'.' || b[0].is_ascii_digit()) {
            return Err(invalid());
        }
        // Integer part.
        let int_len = b.iter().take_while(|c| c.is_ascii_digit()).count();
        let mut value: u64 = 0;
        for &c in &b[..int_len] {
            if value > (1u64 << 63) / 10 {
                return Err(invalid());
            }
            value = value * 10 + u64::from(c - b'0');
            if value > 1 << 63 {
                return Err(invalid());
            }
        }
        s = &s[int_len..];
        // Fraction: precision stops accumulating on overflow, as in Go.
        let (mut fraction, mut scale, mut frac_len) = (0u64, 1f64, 0usize);
        if s.starts_with('.') {
            s = &s[1..];
            let digits = s.bytes().take_while(u8::is_ascii_digit).count();
            let mut overflow = false;
            for c in s[..digits].bytes() {
                if overflow || fraction > (i64::MAX as u64) / 10 {
                    overflow = true;
                    continue;
                }
                let next = fraction * 10 + u64::from(c - b'0');
                if next > 1 << 63 {
                    overflow = true;
                    continue;
                }
                fraction = next;
                scale *= 10.0;
            }
            frac_len = digits;
            s = &s[digits..];
        }
        if int_len == 0 && frac_len == 0 {
            return Err(invalid());
        }
        let unit_len = s
            .bytes()
            .take_while(|c| *c != b'.' && !c.is_ascii_digit())
            .count();
        if unit_len == 0 {
            return Err(ParseDurationError(format!(
                "time: missing unit in duration {}",
                quote(input)
            )));
        }
        let unit_text = &s[..unit_len];
        s = &s[unit_len..];
        let unit = unit_nanos(unit_text).ok_or_else(|| {
            ParseDurationError(format!(
                "time: unknown unit {} in duration {}",
                quote(unit_text),
                quote(input)
            ))
        })?;
        if value > (1u64 << 63) / unit {
            return Err(invalid());
        }
        value *= unit;
        if fraction > 0 {
            value += (fraction as f64 * (unit as f64 / scale)) as u64;
            if value > 1 << 63 {
                return Err(invalid());
            }
        }
        total = total
            .checked_add(value)
            .filter(|t| *t <= 1 << 63)
            .ok_or_else(invalid)?;
    }
    if negative {
        return Ok((total as i128).wrapping_neg() as i64);
    }
    i64::try_from(total).map_err(|_| invalid())
}

/// Go's `time.ParseDuration` as a `std::time::Duration` (negative values
/// are an error here since `Duration` is unsigned).
pub fn parse_duration(input: &str) -> Result<Duration, ParseDurationError> {
    let n = parse_go_duration(input)?;
    u64::try_from(n)
        .map(Duration::from_nanos)
        .map_err(|_| ParseDurationError(format!("time: invalid duration {}", quote(input))))
}

/// Go's `time.Duration.String()`: "1h2m3.5s", "1.5ms", "0s".
pub fn format_go_duration(nanos: i64) -> String {
    if nanos == 0 {
        return "0s".to_string();
    }
    let sign = if nanos < 0 { "-" } else { "" };
    let u = nanos.unsigned_abs();
    if u < 1_000_000_000 {
        let (unit, divisor) = if u < 1_000 {
            ("ns", 1)
        } else if u < 1_000_000 {
            ("\u{b5}s", 1_000)
        } else {
            ("ms", 1_000_000)
        };
        return format!("{sign}{}{unit}", fixed(u, divisor));
    }
    let hours = u / 3_600_000_000_000;
    let minutes = (u / 60_000_000_000) % 60;
    let seconds = fixed(u % 60_000_000_000, 1_000_000_000);
    let mut out = sign.to_string();
    if hours > 0 {
        out.push_str(&format!("{hours}h{minutes}m"));
    } else if minutes > 0 {
        out.push_str(&format!("{minutes}m"));
    }
    out.push_str(&seconds);
    out.push('s');
    out
}

/// `value / divisor` with the fractional digits trimmed of trailing zeros.
fn fixed(value: u64, divisor: u64) -> String {
    let whole = value / divisor;
    let frac = value % divisor;
    if frac == 0 {
        return whole.to_string();
    }
    let width = divisor.to_string().len() - 1;
    let digits = format!("{frac:0width$}");
    format!("{whole}.{}", digits.trim_end_matches('0'))
}

#[cfg(test)]
mod tests;
