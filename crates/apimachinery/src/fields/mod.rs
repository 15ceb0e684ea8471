//! Field selectors, as upstream `k8s.io/apimachinery/pkg/fields`:
//! comma-separated `field=value`, `field==value` or `field!=value` terms
//! with backslash escaping of `\`, `,` and `=` in values.
//!
//! The API server decides per resource which fields are selectable: it walks
//! [`Selector::requirements`] and answers `field label not supported: <name>`
//! (see [`field_label_not_supported`]) itself.

use std::collections::BTreeMap;
use std::fmt;

/// `=`/`==` (Equals) or `!=` (NotEquals).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Operator {
    Equals,
    NotEquals,
}

impl Operator {
    /// Upstream's `selection.Operator` string.
    pub fn as_str(self) -> &'static str {
        match self {
            Operator::Equals => "=",
            Operator::NotEquals => "!=",
        }
    }
}

/// One field requirement: `field op value` (value unescaped).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Requirement {
    pub field: String,
    pub operator: Operator,
    pub value: String,
}

impl Requirement {
    /// Missing fields compare as the empty string, as upstream.
    pub fn matches(&self, lookup: &dyn Fn(&str) -> Option<String>) -> bool {
        let actual = lookup(&self.field).unwrap_or_default();
        match self.operator {
            Operator::Equals => actual == self.value,
            Operator::NotEquals => actual != self.value,
        }
    }
}

impl fmt::Display for Requirement {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}{}{}",
            self.field,
            self.operator.as_str(),
            escape_value(&self.value)
        )
    }
}

/// Parse errors, with upstream's texts.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FieldSelectorError {
    #[error("invalid selector: '{selector}'; can't understand '{term}'")]
    CannotUnderstand { selector: String, term: String },
    #[error("invalid field selector: invalid escape sequence: {0}")]
    InvalidEscapeSequence(String),
    /// Upstream prints the rune as its code point number (`%v` of a rune).
    #[error("invalid field selector: unescaped character in value: {}", *.0 as u32)]
    UnescapedRune(char),
}

/// A field selector: the AND of its requirements, or "nothing".
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub struct Selector {
    requirements: Vec<Requirement>,
    nothing: bool,
}

impl Selector {
    pub fn everything() -> Selector {
        Selector::default()
    }

    pub fn nothing() -> Selector {
        Selector {
            requirements: Vec::new(),
            nothing: true,
        }
    }

    /// A single `field=value` selector (upstream `OneTermEqualSelector`).
    pub fn one_term_equal(field: &str, value: &str) -> Selector {
        Selector::from_requirements(vec![Requirement {
            field: field.to_string(),
            operator: Operator::Equals,
            value: value.to_string(),
        }])
    }

    pub fn from_requirements(requirements: Vec<Requirement>) -> Selector {
        Selector {
            requirements,
            nothing: false,
        }
    }

    /// Exact-match selector for a field set (upstream `SelectorFromSet`).
    pub fn from_set(set: &BTreeMap<String, String>) -> Selector {
        Selector::from_requirements(
            set.iter()
                .map(|(k, v)| Requirement {
                    field: k.clone(),
                    operator: Operator::Equals,
                    value: v.clone(),
                })
                .collect(),
        )
    }

    /// Parses the string form (upstream `fields.ParseSelector`). Terms are
    /// sorted by their raw text; empty terms are skipped; no whitespace is
    /// trimmed.
    pub fn parse(selector: &str) -> Result<Selector, FieldSelectorError> {
        let mut terms = split_terms(selector);
        terms.sort();
        let mut requirements = Vec::new();
        for term in terms.into_iter().filter(|t| !t.is_empty()) {
            let (field, operator, raw_value) =
                split_term(term).ok_or_else(|| FieldSelectorError::CannotUnderstand {
                    selector: selector.to_string(),
                    term: term.to_string(),
                })?;
            let value = unescape_value(raw_value)?;
            // Upstream drops terms whose field and value are both empty.
            if field.is_empty() && value.is_empty() {
                continue;
            }
            requirements.push(Requirement {
                field: field.to_string(),
                operator,
                value,
            });
        }
        Ok(Selector::from_requirements(requirements))
    }

    /// Parses, then rewrites each term with `transform(field, value)`
    /// (upstream `ParseAndTransformSelector`); a term mapped to an empty
    /// field and value is dropped.
    pub fn parse_and_transform<E>(
        selector: &str,
        transform: impl Fn(&str, &str) -> Result<(String, String), E>,
    ) -> Result<Selector, ParseOrTransformError<E>> {
        let parsed = Selector::parse(selector).map_err(ParseOrTransformError::Parse)?;
        let mut out = Vec::new();
        for r in parsed.requirements {
            let (field, value) =
                transform(&r.field, &r.value).map_err(ParseOrTransformError::Transform)?;
            if field.is_empty() && value.is_empty() {
                continue;
            }
            out.push(Requirement {
                field,
                operator: r.operator,
                value,
            });
        }
        Ok(Selector::from_requirements(out))
    }

    pub fn requirements(&self) -> &[Requirement] {
        &self.requirements
    }

    /// True when nothing is restricted ("nothing" is not empty).
    pub fn is_empty(&self) -> bool {
        !self.nothing && self.requirements.is_empty()
    }

    pub fn matches_nothing(&self) -> bool {
        self.nothing
    }

    /// Tests the selector against a field lookup.
    pub fn matches(&self, lookup: &dyn Fn(&str) -> Option<String>) -> bool {
        !self.nothing && self.requirements.iter().all(|r| r.matches(lookup))
    }

    /// Tests the selector against a map of field values.
    pub fn matches_map(&self, fields: &BTreeMap<String, String>) -> bool {
        self.matches(&|f: &str| fields.get(f).cloned())
    }

    /// Upstream `RequiresExactMatch`: the value of the first `=` term on `field`.
    pub fn requires_exact_match(&self, field: &str) -> Option<&str> {
        self.requirements
            .iter()
            .find(|r| r.field == field && r.operator == Operator::Equals)
            .map(|r| r.value.as_str())
    }
}

impl fmt::Display for Selector {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, r) in self.requirements.iter().enumerate() {
            if i > 0 {
                f.write_str(",")?;
            }
            write!(f, "{r}")?;
        }
        Ok(())
    }
}

impl std::str::FromStr for Selector {
    type Err = FieldSelectorError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Selector::parse(s)
    }
}

/// Error of [`Selector::parse_and_transform`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ParseOrTransformError<E> {
    Parse(FieldSelectorError),
    Transform(E),
}

impl<E: fmt::Display> fmt::Display for ParseOrTransformError<E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ParseOrTransformError::Parse(e) => write!(f, "{e}"),
            ParseOrTransformError::Transform(e) => write!(f, "{e}"),
        }
    }
}

impl<E: fmt::Debug + fmt::Display> std::error::Error for ParseOrTransformError<E> {}

/// The API server's message for a field that a resource cannot select on.
pub fn field_label_not_supported(field: &str) -> String {
    format!("field label not supported: {field}")
}

/// Escapes `\`, `,` and `=` with a backslash (upstream `EscapeValue`).
pub fn escape_value(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for c in value.chars() {
        if matches!(c, '\\' | ',' | '=') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// Reverses [`escape_value`] (upstream `UnescapeValue`).
pub fn unescape_value(value: &str) -> Result<String, FieldSelectorError> {
    if !value.contains(['\\', ',', '=']) {
        return Ok(value.to_string());
    }
    let mut out = String::with_capacity(value.len());
    let mut in_slash = false;
    for c in value.chars() {
        if in_slash {
            if !matches!(c, '\\' | ',' | '=') {
                return Err(FieldSelectorError::InvalidEscapeSequence(format!("\\{c}")));
            }
            out.push(c);
            in_slash = false;
            continue;
        }
        match c {
            '\\' => in_slash = true,
            ',' | '=' => return Err(FieldSelectorError::UnescapedRune(c)),
            _ => out.push(c),
        }
    }
    if in_slash {
        return Err(FieldSelectorError::InvalidEscapeSequence("\\".to_string()));
    }
    Ok(out)
}

/// Splits on commas that are not escaped.
fn split_terms(selector: &str) -> Vec<&str> {
    if selector.is_empty() {
        return Vec::new();
    }
    let mut terms = Vec::new();
    let mut start = 0;
    let mut in_slash = false;
    for (i, c) in selector.char_indices() {
        if in_slash {
            in_slash = false;
        } else if c == '\\' {
            in_slash = true;
        } else if c == ',' {
            terms.push(&selector[start..i]);
            start = i + 1;
        }
    }
    terms.push(&selector[start..]);
    terms
}

/// Finds the first operator (`!=`, `==`, `=`, tried in that order at each position).
fn split_term(term: &str) -> Option<(&str, Operator, &str)> {
    for (i, _) in term.char_indices() {
        let rest = &term[i..];
        for (op, operator) in [
            ("!=", Operator::NotEquals),
            ("==", Operator::Equals),
            ("=", Operator::Equals),
        ] {
            if let Some(value) = rest.strip_prefix(op) {
                return Some((&term[..i], operator, value));
            }
        }
    }
    None
}

#[cfg(test)]
mod tests;
