//! Canonical serialization: no fractional digits, the largest possible
//! suffix, binary suffixes only for integral BinarySI values of at least 1024.

use super::Format;

fn decimal_suffix(exponent: i64) -> &'static str {
    // Upstream looks the exponent up in its table and silently prints no
    // suffix when it is missing (e.g. 10^21 in DecimalSI).
    match exponent {
        -9 => "n",
        -6 => "u",
        -3 => "m",
        3 => "k",
        6 => "M",
        9 => "G",
        12 => "T",
        15 => "P",
        18 => "E",
        _ => "",
    }
}

fn binary_suffix(power_of_1024: u32) -> &'static str {
    match power_of_1024 {
        1 => "Ki",
        2 => "Mi",
        3 => "Gi",
        4 => "Ti",
        5 => "Pi",
        6 => "Ei",
        _ => "",
    }
}

/// Digits of |m| and an exponent that is a multiple of three, with no
/// trailing zeros beyond what that requires.
fn decimal_parts(m: i128, e: i32) -> (String, i64) {
    let digits = m.unsigned_abs().to_string();
    let trimmed = digits.trim_end_matches('0');
    let mut exponent = i64::from(e) + (digits.len() - trimmed.len()) as i64;
    let mut digits = trimmed.to_string();
    let pad = exponent.rem_euclid(3);
    for _ in 0..pad {
        digits.push('0');
    }
    exponent -= pad;
    (digits, exponent)
}

/// |value| as an integer when it is one and fits.
fn integral(m: i128, e: i32) -> Option<u128> {
    let abs = m.unsigned_abs();
    if e >= 0 {
        10u128
            .checked_pow(e as u32)
            .and_then(|p| abs.checked_mul(p))
    } else {
        let p = 10u128.checked_pow(e.unsigned_abs())?;
        abs.is_multiple_of(p).then(|| abs / p)
    }
}

pub(super) fn canonical(m: i128, e: i32, format: Format) -> String {
    if m == 0 {
        return "0".to_string();
    }
    let sign = if m < 0 { "-" } else { "" };
    let binary = (format == Format::BinarySI)
        .then(|| integral(m, e))
        .flatten()
        .filter(|v| *v >= 1024);
    if let Some(mut value) = binary {
        let mut power = 0;
        while value >= 1024 && value.is_multiple_of(1024) {
            value /= 1024;
            power += 1;
        }
        return format!("{sign}{value}{}", binary_suffix(power));
    }
    let (digits, exponent) = decimal_parts(m, e);
    let suffix = match format {
        Format::DecimalExponent if exponent == 0 => String::new(),
        Format::DecimalExponent => format!("e{exponent}"),
        _ => decimal_suffix(exponent).to_string(),
    };
    format!("{sign}{digits}{suffix}")
}
