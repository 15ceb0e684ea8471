//! Parsing of the quantity string form, following upstream's grammar, its
//! rounding (up to nanounits, away from zero), the BinarySI clamp to
//! 2^63-1, and its rule for remembering the input text as the canonical
//! string when it is already in canonical-looking form.

use super::{Format, Quantity, QuantityError};

const MAX_INT64: i128 = i64::MAX as i128;

/// The pieces of `[sign] digits [. digits] suffix`.
struct Split<'a> {
    positive: bool,
    /// Integer digits with leading zeros removed ("0" when none remain).
    num: String,
    denom: &'a str,
    suffix: &'a str,
    /// Whether the numeric part contains any digit at all.
    has_digits: bool,
}

fn is_suffix_letter(c: u8) -> bool {
    b"eEinumkKMGTP".contains(&c)
}

fn split(s: &str) -> Result<Split<'_>, QuantityError> {
    let b = s.as_bytes();
    let end = b.len();
    let mut pos = 0;
    let mut positive = true;
    if let Some(&c) = b.first() {
        if c == b'-' {
            positive = false;
            pos += 1;
        } else if c == b'+' {
            pos += 1;
        }
    }
    let digits_start = pos;
    while pos < end && b[pos] == b'0' {
        pos += 1;
    }
    if pos >= end {
        // Only zeros (or nothing) after the sign: upstream treats it as 0.
        return Ok(Split {
            positive,
            num: "0".into(),
            denom: "",
            suffix: "",
            has_digits: pos > digits_start,
        });
    }
    let num_start = pos;
    while pos < end && b[pos].is_ascii_digit() {
        pos += 1;
    }
    let mut num = s[num_start..pos].to_string();
    if num.is_empty() {
        num = "0".into();
    }
    let mut denom = "";
    if pos < end && b[pos] == b'.' {
        pos += 1;
        let denom_start = pos;
        while pos < end && b[pos].is_ascii_digit() {
            pos += 1;
        }
        denom = &s[denom_start..pos];
    }
    let has_digits = b[digits_start..pos].iter().any(u8::is_ascii_digit);
    let suffix_start = pos;
    while pos < end && is_suffix_letter(b[pos]) {
        pos += 1;
    }
    if pos < end && (b[pos] == b'-' || b[pos] == b'+') {
        pos += 1;
    }
    while pos < end && b[pos].is_ascii_digit() {
        pos += 1;
    }
    if pos < end {
        return Err(QuantityError::FormatWrong);
    }
    Ok(Split {
        positive,
        num,
        denom,
        suffix: &s[suffix_start..],
        has_digits,
    })
}

/// Suffix → (base, exponent, format).
fn interpret(suffix: &str) -> Option<(u32, i32, Format)> {
    let decimal = |e| Some((10, e, Format::DecimalSI));
    let binary = |e| Some((2, e, Format::BinarySI));
    match suffix {
        "" => decimal(0),
        "n" => decimal(-9),
        "u" => decimal(-6),
        "m" => decimal(-3),
        "k" => decimal(3),
        "M" => decimal(6),
        "G" => decimal(9),
        "T" => decimal(12),
        "P" => decimal(15),
        "E" => decimal(18),
        "Ki" => binary(10),
        "Mi" => binary(20),
        "Gi" => binary(30),
        "Ti" => binary(40),
        "Pi" => binary(50),
        "Ei" => binary(60),
        _ if suffix.len() > 1 && (suffix.starts_with('e') || suffix.starts_with('E')) => {
            // Upstream parses an int64 and truncates it to int32.
            let parsed: i64 = suffix[1..].parse().ok()?;
            Some((10, parsed as i32, Format::DecimalExponent))
        }
        _ => None,
    }
}

/// Upstream's int64 fast path. Returns the quantity when it applies; it
/// also decides whether the input text is remembered as canonical.
fn fast_path(input: &str, sp: &Split<'_>, exponent: i32, format: Format) -> Option<Quantity> {
    let digit_count = (sp.num.len() + sp.denom.len()) as i64;
    let (precision, mut scale) = match format {
        Format::DecimalExponent | Format::DecimalSI => (18 - digit_count, i64::from(exponent)),
        Format::BinarySI => {
            if exponent >= 0 && sp.denom.is_empty() {
                (
                    15 - sp.num.len() as i64 - i64::from(exponent) * 3 / 10 - 1,
                    0,
                )
            } else {
                (-1, 0)
            }
        }
    };
    if precision < 0 {
        return None;
    }
    scale -= sp.denom.len() as i64;
    if scale < -9 {
        return None;
    }
    let shifted = format!("{}{}", sp.num, sp.denom);
    let value: i64 = shifted.parse().ok()?;
    let multiplier: i64 = if format == Format::BinarySI {
        1i64.checked_shl(exponent as u32)?
    } else {
        1
    };
    let mut result = value.checked_mul(multiplier)?;
    if !sp.positive {
        result = -result;
    }
    let remember = match format {
        Format::BinarySI => exponent % 10 == 0 && value & 0x07 != 0,
        _ => scale % 3 == 0 && !shifted.ends_with("000") && !shifted.starts_with('0'),
    };
    Some(Quantity {
        mantissa: i128::from(result),
        exponent: scale as i32,
        format,
        cached: remember.then(|| input.to_string()),
    })
}

/// Digits with leading zeros removed, and trailing zeros split off as a
/// power of ten; `None` when more than 38 significant digits remain.
fn significant(digits: &str) -> Option<(i128, i64)> {
    let trimmed = digits.trim_start_matches('0');
    let without_trailing = trimmed.trim_end_matches('0');
    let zeros = (trimmed.len() - without_trailing.len()) as i64;
    if without_trailing.is_empty() {
        return Some((0, 0));
    }
    if without_trailing.len() > 38 {
        return None;
    }
    without_trailing.parse::<i128>().ok().map(|v| (v, zeros))
}

fn pow10(n: u32) -> Option<i128> {
    10i128.checked_pow(n)
}

/// Divides rounding away from zero (inputs non-negative here).
fn div_round_up(value: i128, divisor: i128) -> i128 {
    let q = value / divisor;
    if value % divisor != 0 { q + 1 } else { q }
}

/// Rounds a non-negative `digits × 10^exp10` up to nanounits.
fn round_decimal(digits: &str, exp10: i64) -> Result<(i128, i64), QuantityError> {
    if exp10 >= -9 {
        let (m, zeros) = significant(digits).ok_or(QuantityError::Numeric)?;
        return Ok((m, exp10 + zeros));
    }
    let drop = (-9 - exp10) as usize;
    let trimmed = digits.trim_start_matches('0');
    if trimmed.is_empty() {
        return Ok((0, 0));
    }
    if drop >= trimmed.len() {
        return Ok((1, -9));
    }
    let (keep, dropped) = trimmed.split_at(trimmed.len() - drop);
    let (m, zeros) = significant(keep).ok_or(QuantityError::Numeric)?;
    let bump = dropped.bytes().any(|c| c != b'0');
    if bump {
        // Round away from zero on the kept digits (trailing zeros restored).
        let m = m
            .checked_mul(pow10(zeros as u32).ok_or(QuantityError::Numeric)?)
            .and_then(|v| v.checked_add(1))
            .ok_or(QuantityError::Numeric)?;
        return Ok((m, -9));
    }
    Ok((m, -9 + zeros))
}

/// Exact value of a binary quantity `digits × 10^-denom_len × 2^exp`,
/// rounded up to nanounits and clamped to 2^63-1.
fn round_binary(digits: &str, denom_len: i64, exp2: i32) -> Result<(i128, i64), QuantityError> {
    let (m, zeros) = significant(digits).ok_or(QuantityError::Numeric)?;
    if m == 0 {
        return Ok((0, 0));
    }
    let scaled = m.checked_mul(1i128 << exp2);
    let k = denom_len - zeros;
    let Some(scaled) = scaled else {
        return if k <= 0 {
            Ok((MAX_INT64, 0))
        } else {
            Err(QuantityError::Numeric)
        };
    };
    if k <= 0 {
        return match pow10((-k) as u32).and_then(|p| scaled.checked_mul(p)) {
            Some(v) if v <= MAX_INT64 => Ok((v, 0)),
            _ => Ok((MAX_INT64, 0)),
        };
    }
    let nanos = if k <= 9 {
        match pow10((9 - k) as u32).and_then(|p| scaled.checked_mul(p)) {
            Some(v) => v,
            None => return Ok((MAX_INT64, 0)),
        }
    } else {
        match pow10((k - 9) as u32) {
            Some(p) => div_round_up(scaled, p),
            None => 1,
        }
    };
    if nanos > MAX_INT64.saturating_mul(1_000_000_000) {
        return Ok((MAX_INT64, 0));
    }
    Ok((nanos, -9))
}

pub(super) fn parse(input: &str) -> Result<Quantity, QuantityError> {
    if input.is_empty() {
        return Err(QuantityError::FormatWrong);
    }
    if input == "0" {
        return Ok(Quantity {
            mantissa: 0,
            exponent: 0,
            format: Format::DecimalSI,
            cached: Some("0".into()),
        });
    }
    let sp = split(input)?;
    let (base, exponent, mut format) = interpret(sp.suffix).ok_or(QuantityError::Suffix)?;
    if let Some(q) = fast_path(input, &sp, exponent, format) {
        return Ok(q);
    }
    if !sp.has_digits {
        return Err(QuantityError::Numeric);
    }
    let digits = format!("{}{}", sp.num, sp.denom);
    let denom_len = sp.denom.len() as i64;
    let (mut mantissa, exp10) = if base == 10 {
        round_decimal(&digits, i64::from(exponent) - denom_len)?
    } else {
        round_binary(&digits, denom_len, exponent)?
    };
    if format == Format::BinarySI && mantissa > 0 {
        let below_one = match pow10((-exp10).max(0) as u32) {
            Some(p) => exp10 < 0 && mantissa < p,
            None => true,
        };
        if below_one {
            format = Format::DecimalSI;
        }
    }
    let exponent = i32::try_from(exp10).map_err(|_| QuantityError::Numeric)?;
    if !sp.positive {
        mantissa = -mantissa;
    }
    Ok(Quantity {
        mantissa,
        exponent,
        format,
        cached: None,
    })
}
