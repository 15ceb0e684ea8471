//! `resource.Quantity`: fixed-point numbers with SI / binary-SI / exponent
//! suffixes, as upstream `k8s.io/apimachinery/pkg/api/resource`.
//!
//! Values are exact decimals (`mantissa × 10^exponent`, mantissa an
//! `i128`), rounded up to nanounits on parse as upstream does. Inputs with
//! more than 38 significant digits are rejected with the numeric error
//! (upstream accepts them with big integers; Kubernetes never needs them).

mod format;
mod parse;
#[cfg(test)]
mod tests;

use std::cmp::Ordering;
use std::fmt;

/// How a quantity is written back out.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Format {
    /// `12e6`
    DecimalExponent,
    /// `12Mi` (powers of 1024)
    BinarySI,
    /// `12M` (powers of 1000)
    #[default]
    DecimalSI,
}

/// Upstream's regular expression, quoted in the format error.
pub const SPLIT_RE_STRING: &str = "^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$";

/// Parse errors, with upstream's texts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum QuantityError {
    #[error(
        "quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'"
    )]
    FormatWrong,
    #[error("unable to parse numeric part of quantity")]
    Numeric,
    #[error("unable to parse quantity's suffix")]
    Suffix,
}

/// A resource quantity such as `500m`, `1536Mi` or `1e3`.
#[derive(Debug, Clone, Default)]
pub struct Quantity {
    mantissa: i128,
    exponent: i32,
    format: Format,
    /// The parsed text when upstream would keep it as the string form.
    cached: Option<String>,
}

/// Decimal scales for [`Quantity::scaled_value`] (upstream `resource.Scale`).
pub mod scale {
    pub const NANO: i32 = -9;
    pub const MICRO: i32 = -6;
    pub const MILLI: i32 = -3;
    pub const UNIT: i32 = 0;
    pub const KILO: i32 = 3;
    pub const MEGA: i32 = 6;
    pub const GIGA: i32 = 9;
    pub const TERA: i32 = 12;
    pub const PETA: i32 = 15;
    pub const EXA: i32 = 18;
}

fn pow10(n: u32) -> Option<i128> {
    10i128.checked_pow(n)
}

/// `m × 10^shift` with overflow checking.
fn shift_up(m: i128, shift: i64) -> Option<i128> {
    u32::try_from(shift)
        .ok()
        .and_then(pow10)
        .and_then(|p| m.checked_mul(p))
}

/// Exact comparison of `m1 × 10^e1` and `m2 × 10^e2`.
fn cmp_decimal(m1: i128, e1: i32, m2: i128, e2: i32) -> Ordering {
    let (s1, s2) = (m1.signum(), m2.signum());
    if s1 != s2 || s1 == 0 {
        return s1.cmp(&s2);
    }
    let magnitude = |m: i128, e: i32| {
        let digits = m.unsigned_abs().to_string();
        let trimmed = digits.trim_end_matches('0').to_string();
        let exp = i64::from(e) + (digits.len() - trimmed.len()) as i64;
        (trimmed, exp)
    };
    let (d1, x1) = magnitude(m1, e1);
    let (d2, x2) = magnitude(m2, e2);
    let order1 = d1.len() as i64 + x1;
    let order2 = d2.len() as i64 + x2;
    let abs_order = order1.cmp(&order2).then_with(|| {
        let width = d1.len().max(d2.len());
        format!("{d1:0<width$}").cmp(&format!("{d2:0<width$}"))
    });
    if s1 > 0 {
        abs_order
    } else {
        abs_order.reverse()
    }
}

/// Divides rounding away from zero, as upstream's int64 scaling does.
fn div_away_from_zero(m: i128, shift: i64) -> i128 {
    match u32::try_from(shift).ok().and_then(pow10) {
        Some(p) => {
            let q = m / p;
            if m % p != 0 { q + m.signum() } else { q }
        }
        None => m.signum(),
    }
}

impl Quantity {
    /// Parses the string form (upstream `ParseQuantity`).
    pub fn parse(s: &str) -> Result<Quantity, QuantityError> {
        parse::parse(s)
    }

    /// `value` units (upstream `NewQuantity`).
    pub fn new(value: i64, format: Format) -> Quantity {
        Quantity {
            mantissa: value.into(),
            exponent: 0,
            format,
            cached: None,
        }
    }

    /// `value` thousandths (upstream `NewMilliQuantity`).
    pub fn new_milli(value: i64, format: Format) -> Quantity {
        Quantity {
            mantissa: value.into(),
            exponent: -3,
            format,
            cached: None,
        }
    }

    /// `value × 10^scale`, DecimalSI (upstream `NewScaledQuantity`).
    pub fn new_scaled(value: i64, scale: i32) -> Quantity {
        Quantity {
            mantissa: value.into(),
            exponent: scale,
            format: Format::DecimalSI,
            cached: None,
        }
    }

    pub fn format(&self) -> Format {
        self.format
    }

    pub fn is_zero(&self) -> bool {
        self.mantissa == 0
    }

    /// -1, 0 or 1.
    pub fn sign(&self) -> i32 {
        self.mantissa.signum() as i32
    }

    /// The value in units of `10^scale`, rounded away from zero (upstream
    /// `ScaledValue`); 0 when it does not fit an i64, as upstream's int64
    /// path returns.
    pub fn scaled_value(&self, scale: i32) -> i64 {
        self.checked_scaled_value(scale).unwrap_or(0)
    }

    /// As [`Quantity::scaled_value`], `None` on overflow.
    pub fn checked_scaled_value(&self, scale: i32) -> Option<i64> {
        let shift = i64::from(self.exponent) - i64::from(scale);
        let v = if shift >= 0 {
            shift_up(self.mantissa, shift)?
        } else {
            div_away_from_zero(self.mantissa, -shift)
        };
        i64::try_from(v).ok()
    }

    /// Whole units, rounded up (upstream `Value`).
    pub fn value(&self) -> i64 {
        self.scaled_value(0)
    }

    /// Thousandths, rounded up (upstream `MilliValue`).
    pub fn milli_value(&self) -> i64 {
        self.scaled_value(scale::MILLI)
    }

    /// The exact integer value, if it is one and fits (upstream `AsInt64`).
    pub fn as_i64(&self) -> Option<i64> {
        let shift = i64::from(self.exponent);
        if shift >= 0 {
            return shift_up(self.mantissa, shift).and_then(|v| i64::try_from(v).ok());
        }
        let p = pow10(u32::try_from(-shift).ok()?)?;
        if self.mantissa % p != 0 {
            return None;
        }
        i64::try_from(self.mantissa / p).ok()
    }

    /// A float approximation (upstream `AsApproximateFloat64`).
    pub fn as_approximate_f64(&self) -> f64 {
        self.mantissa as f64 * 10f64.powi(self.exponent)
    }

    /// Rounds up (away from zero) to a multiple of `10^scale`; returns
    /// whether the value was already exact (upstream `RoundUp`).
    pub fn round_up(&mut self, scale: i32) -> bool {
        if self.exponent >= scale {
            return true;
        }
        self.cached = None;
        let shift = i64::from(scale) - i64::from(self.exponent);
        let rounded = div_away_from_zero(self.mantissa, shift);
        let exact = shift_up(rounded, shift) == Some(self.mantissa);
        self.mantissa = rounded;
        self.exponent = scale;
        exact
    }

    /// Negates in place (upstream `Neg`).
    pub fn neg(&mut self) {
        self.cached = None;
        self.mantissa = self.mantissa.checked_neg().unwrap_or(i128::MAX);
    }

    /// Exact sum; `None` if the exact result does not fit. The format of a
    /// zero receiver becomes the other's, as upstream.
    pub fn checked_add(&self, other: &Quantity) -> Option<Quantity> {
        let exponent = self.exponent.min(other.exponent);
        let a = shift_up(
            self.mantissa,
            i64::from(self.exponent) - i64::from(exponent),
        )?;
        let b = shift_up(
            other.mantissa,
            i64::from(other.exponent) - i64::from(exponent),
        )?;
        let format = if self.is_zero() {
            other.format
        } else {
            self.format
        };
        Some(Quantity {
            mantissa: a.checked_add(b)?,
            exponent,
            format,
            cached: None,
        })
    }

    /// Exact difference; `None` if the exact result does not fit.
    pub fn checked_sub(&self, other: &Quantity) -> Option<Quantity> {
        let mut negated = other.clone();
        negated.neg();
        self.checked_add(&negated)
    }

    /// Adds in place. When the exact sum does not fit, the finer operand is
    /// rounded to the coarser one's scale first (never panics).
    pub fn add(&mut self, other: &Quantity) {
        *self = match self.checked_add(other) {
            Some(sum) => sum,
            None => self.coarse_add(other),
        };
    }

    /// Subtracts in place (see [`Quantity::add`]).
    pub fn sub(&mut self, other: &Quantity) {
        let mut negated = other.clone();
        negated.neg();
        self.add(&negated);
    }

    fn coarse_add(&self, other: &Quantity) -> Quantity {
        let exponent = self.exponent.max(other.exponent);
        let align = |q: &Quantity| {
            div_away_from_zero(q.mantissa, i64::from(exponent) - i64::from(q.exponent))
        };
        let (a, b) = (align(self), align(other));
        let format = if self.is_zero() {
            other.format
        } else {
            self.format
        };
        let mantissa = a.saturating_add(b);
        Quantity {
            mantissa,
            exponent,
            format,
            cached: None,
        }
    }

    /// The canonical string (upstream `String()`/`MarshalJSON`).
    pub fn canonical(&self) -> String {
        match &self.cached {
            Some(s) => s.clone(),
            None => format::canonical(self.mantissa, self.exponent, self.format),
        }
    }
}

/// Parses and re-serializes a quantity string as the API server does.
pub fn canonicalize(s: &str) -> Result<String, QuantityError> {
    Quantity::parse(s).map(|q| q.canonical())
}

impl fmt::Display for Quantity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.canonical())
    }
}

impl std::str::FromStr for Quantity {
    type Err = QuantityError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Quantity::parse(s)
    }
}

impl PartialEq for Quantity {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}

impl Eq for Quantity {}

impl PartialOrd for Quantity {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Quantity {
    fn cmp(&self, other: &Self) -> Ordering {
        cmp_decimal(self.mantissa, self.exponent, other.mantissa, other.exponent)
    }
}

impl serde::Serialize for Quantity {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.canonical())
    }
}

struct QuantityVisitor;

impl serde::de::Visitor<'_> for QuantityVisitor {
    type Value = Quantity;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a quantity string or number")
    }

    fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<Quantity, E> {
        Quantity::parse(v.trim()).map_err(E::custom)
    }

    fn visit_i64<E: serde::de::Error>(self, v: i64) -> Result<Quantity, E> {
        Quantity::parse(&v.to_string()).map_err(E::custom)
    }

    fn visit_u64<E: serde::de::Error>(self, v: u64) -> Result<Quantity, E> {
        Quantity::parse(&v.to_string()).map_err(E::custom)
    }

    fn visit_f64<E: serde::de::Error>(self, v: f64) -> Result<Quantity, E> {
        Quantity::parse(&v.to_string()).map_err(E::custom)
    }

    fn visit_unit<E: serde::de::Error>(self) -> Result<Quantity, E> {
        Ok(Quantity::default())
    }
}

impl<'de> serde::Deserialize<'de> for Quantity {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(QuantityVisitor)
    }
}

impl From<&Quantity> for k8s_openapi::apimachinery::pkg::api::resource::Quantity {
    fn from(q: &Quantity) -> Self {
        Self(q.canonical())
    }
}

impl TryFrom<&k8s_openapi::apimachinery::pkg::api::resource::Quantity> for Quantity {
    type Error = QuantityError;
    fn try_from(
        q: &k8s_openapi::apimachinery::pkg::api::resource::Quantity,
    ) -> Result<Self, Self::Error> {
        Quantity::parse(q.0.trim())
    }
}
