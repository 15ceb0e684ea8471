//! Label selectors, as upstream `k8s.io/apimachinery/pkg/labels`.
//!
//! [`Selector::parse`] accepts the string form (`a=b,c in (x,y),!d`),
//! [`Selector::matches`] tests a label map, and `Display` prints the
//! canonical form (requirements sorted by key, set values sorted).

mod convert;
mod parser;
#[cfg(test)]
mod tests;

use std::collections::BTreeMap;
use std::fmt;

use crate::field_errors::{ErrorList, FieldError, Path, aggregate_message};
use crate::validation::{is_qualified_name, is_valid_label_value};

pub use convert::*;

/// A requirement operator (upstream `selection.Operator`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Operator {
    DoesNotExist,
    Equals,
    DoubleEquals,
    In,
    NotEquals,
    NotIn,
    Exists,
    GreaterThan,
    LessThan,
}

impl Operator {
    /// Upstream's string value of the operator.
    pub fn as_str(self) -> &'static str {
        match self {
            Operator::DoesNotExist => "!",
            Operator::Equals => "=",
            Operator::DoubleEquals => "==",
            Operator::In => "in",
            Operator::NotEquals => "!=",
            Operator::NotIn => "notin",
            Operator::Exists => "exists",
            Operator::GreaterThan => "gt",
            Operator::LessThan => "lt",
        }
    }
}

/// Binary operators in upstream's order, as listed in parse errors.
pub(crate) const BINARY_OPERATORS: [&str; 7] = ["in", "notin", "=", "==", "!=", "gt", "lt"];

/// The error of a selector that cannot be built; `Display` is upstream's text.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum SelectorError {
    /// A syntax error (or a wrapped requirement error) from the string parser.
    #[error("{0}")]
    Parse(String),
    /// Requirement validation failures (upstream's aggregated field errors).
    #[error("{}", aggregate_message(.0).unwrap_or_default())]
    Invalid(ErrorList),
    /// Any other conversion failure, e.g. an unknown operator.
    #[error("{0}")]
    Other(String),
}

/// One `key op values` requirement.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Requirement {
    key: String,
    operator: Operator,
    values: Vec<String>,
}

impl Requirement {
    /// Builds and validates a requirement (upstream `NewRequirement`).
    /// Errors carry paths below `path` (`key`, `values[i]`, ...).
    pub fn new(
        key: &str,
        operator: Operator,
        values: Vec<String>,
        path: &Path,
    ) -> Result<Self, SelectorError> {
        let mut errs = Vec::new();
        if let Some(e) = validate_label_key(key, &path.child("key")) {
            errs.push(e);
        }
        let values_path = path.child("values");
        match operator {
            Operator::In | Operator::NotIn => {
                if values.is_empty() {
                    errs.push(FieldError::invalid(
                        &values_path,
                        values.clone(),
                        "for 'in', 'notin' operators, values set can't be empty",
                    ));
                }
            }
            Operator::Equals | Operator::DoubleEquals | Operator::NotEquals => {
                if values.len() != 1 {
                    errs.push(FieldError::invalid(
                        &values_path,
                        values.clone(),
                        "exact-match compatibility requires one single value",
                    ));
                }
            }
            Operator::Exists | Operator::DoesNotExist => {
                if !values.is_empty() {
                    errs.push(FieldError::invalid(
                        &values_path,
                        values.clone(),
                        "values set must be empty for exists and does not exist",
                    ));
                }
            }
            Operator::GreaterThan | Operator::LessThan => {
                if values.len() != 1 {
                    errs.push(FieldError::invalid(
                        &values_path,
                        values.clone(),
                        "for 'Gt', 'Lt' operators, exactly one value is required",
                    ));
                }
                for (i, v) in values.iter().enumerate() {
                    if v.parse::<i64>().is_err() {
                        errs.push(FieldError::invalid(
                            &values_path.index(i),
                            v.as_str(),
                            "for 'Gt', 'Lt' operators, the value must be an integer",
                        ));
                    }
                }
            }
        }
        for (i, v) in values.iter().enumerate() {
            if let Some(e) = validate_label_value(key, v, &values_path.index(i)) {
                errs.push(e);
            }
        }
        if errs.is_empty() {
            Ok(Requirement {
                key: key.to_string(),
                operator,
                values,
            })
        } else {
            Err(SelectorError::Invalid(errs))
        }
    }

    pub fn key(&self) -> &str {
        &self.key
    }

    pub fn operator(&self) -> Operator {
        self.operator
    }

    /// The values in the order given when the requirement was built.
    pub fn values(&self) -> &[String] {
        &self.values
    }

    /// Whether this requirement accepts the given labels.
    pub fn matches(&self, labels: &BTreeMap<String, String>) -> bool {
        let value = labels.get(&self.key);
        match self.operator {
            Operator::In | Operator::Equals | Operator::DoubleEquals => {
                value.is_some_and(|v| self.values.contains(v))
            }
            Operator::NotIn | Operator::NotEquals => value.is_none_or(|v| !self.values.contains(v)),
            Operator::Exists => value.is_some(),
            Operator::DoesNotExist => value.is_none(),
            Operator::GreaterThan | Operator::LessThan => {
                let (Some(actual), [wanted]) = (value, self.values.as_slice()) else {
                    return false;
                };
                match (actual.parse::<i64>(), wanted.parse::<i64>()) {
                    (Ok(a), Ok(w)) => {
                        if self.operator == Operator::GreaterThan {
                            a > w
                        } else {
                            a < w
                        }
                    }
                    _ => false,
                }
            }
        }
    }
}

impl fmt::Display for Requirement {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.operator == Operator::DoesNotExist {
            f.write_str("!")?;
        }
        f.write_str(&self.key)?;
        let (op, parens) = match self.operator {
            Operator::Exists | Operator::DoesNotExist => return Ok(()),
            Operator::Equals => ("=", false),
            Operator::DoubleEquals => ("==", false),
            Operator::NotEquals => ("!=", false),
            Operator::In => (" in ", true),
            Operator::NotIn => (" notin ", true),
            Operator::GreaterThan => (">", false),
            Operator::LessThan => ("<", false),
        };
        f.write_str(op)?;
        if parens {
            f.write_str("(")?;
        }
        // Values print sorted without changing the stored order.
        let mut sorted: Vec<&String> = self.values.iter().collect();
        sorted.sort();
        let joined: Vec<&str> = sorted.iter().map(|s| s.as_str()).collect();
        f.write_str(&joined.join(","))?;
        if parens {
            f.write_str(")")?;
        }
        Ok(())
    }
}

pub(crate) fn validate_label_key(key: &str, path: &Path) -> Option<FieldError> {
    let errs = is_qualified_name(key);
    (!errs.is_empty()).then(|| FieldError::invalid(path, key, &errs.join("; ")))
}

fn validate_label_value(key: &str, value: &str, path: &Path) -> Option<FieldError> {
    let errs = is_valid_label_value(value);
    (!errs.is_empty()).then(|| FieldError::invalid(&path.key(key), value, &errs.join("; ")))
}

/// A label selector: the AND of its requirements, or "nothing".
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub struct Selector {
    requirements: Vec<Requirement>,
    nothing: bool,
}

impl Selector {
    /// Matches every label set (the empty selector).
    pub fn everything() -> Selector {
        Selector::default()
    }

    /// Matches no label set (upstream `labels.Nothing()`, e.g. a nil metav1 selector).
    pub fn nothing() -> Selector {
        Selector {
            requirements: Vec::new(),
            nothing: true,
        }
    }

    /// Parses the string form (upstream `labels.Parse`).
    pub fn parse(input: &str) -> Result<Selector, SelectorError> {
        Self::parse_with_path(input, &Path::nil())
    }

    /// As [`Selector::parse`], with field errors placed below `path`.
    pub fn parse_with_path(input: &str, path: &Path) -> Result<Selector, SelectorError> {
        let requirements = parser::parse(input, path)?;
        Ok(Selector::from_requirements(requirements))
    }

    /// A selector of the given requirements, sorted by key (stable).
    pub fn from_requirements(mut requirements: Vec<Requirement>) -> Selector {
        requirements.sort_by(|a, b| a.key.cmp(&b.key));
        Selector {
            requirements,
            nothing: false,
        }
    }

    /// Exact-match selector for a label set (upstream `SelectorFromSet`, unvalidated).
    pub fn from_set(set: &BTreeMap<String, String>) -> Selector {
        let requirements = set
            .iter()
            .map(|(k, v)| Requirement {
                key: k.clone(),
                operator: Operator::Equals,
                values: vec![v.clone()],
            })
            .collect();
        Selector {
            requirements,
            nothing: false,
        }
    }

    /// Exact-match selector for a label set, validated (upstream `ValidatedSelectorFromSet`).
    pub fn from_validated_set(set: &BTreeMap<String, String>) -> Result<Selector, SelectorError> {
        let requirements = set
            .iter()
            .map(|(k, v)| Requirement::new(k, Operator::Equals, vec![v.clone()], &Path::nil()))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Selector::from_requirements(requirements))
    }

    /// Returns a copy with more requirements, re-sorted by key.
    pub fn add(&self, more: impl IntoIterator<Item = Requirement>) -> Selector {
        if self.nothing {
            return self.clone();
        }
        let mut requirements = self.requirements.clone();
        requirements.extend(more);
        Selector::from_requirements(requirements)
    }

    pub fn requirements(&self) -> &[Requirement] {
        &self.requirements
    }

    /// True when the selector does not restrict anything ("nothing" is not empty).
    pub fn is_empty(&self) -> bool {
        !self.nothing && self.requirements.is_empty()
    }

    /// True for the "nothing" selector.
    pub fn matches_nothing(&self) -> bool {
        self.nothing
    }

    pub fn matches(&self, labels: &BTreeMap<String, String>) -> bool {
        !self.nothing && self.requirements.iter().all(|r| r.matches(labels))
    }

    /// Upstream `RequiresExactMatch`: the value `label` must equal, decided
    /// by the first requirement on that key (`=`, `==`, or `in` with one value).
    pub fn requires_exact_match(&self, label: &str) -> Option<&str> {
        let r = self.requirements.iter().find(|r| r.key == label)?;
        match (r.operator, r.values.as_slice()) {
            (Operator::Equals | Operator::DoubleEquals | Operator::In, [v]) => Some(v.as_str()),
            _ => None,
        }
    }

    /// Every label the selector pins to a single value (key → value), so a
    /// caller can narrow candidates with an index before calling `matches`.
    pub fn exact_match_requirements(&self) -> BTreeMap<String, String> {
        let mut out = BTreeMap::new();
        for r in &self.requirements {
            if out.contains_key(&r.key) {
                continue;
            }
            if let Some(v) = self.requires_exact_match(&r.key) {
                out.insert(r.key.clone(), v.to_string());
            }
        }
        out
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
    type Err = SelectorError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Selector::parse(s)
    }
}

/// Upstream `labels.FormatLabels`: `k=v` pairs sorted, or `<none>`.
pub fn format_labels(labels: &BTreeMap<String, String>) -> String {
    if labels.is_empty() {
        return "<none>".to_string();
    }
    let pairs: Vec<String> = labels.iter().map(|(k, v)| format!("{k}={v}")).collect();
    pairs.join(",")
}
