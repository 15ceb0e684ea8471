//! Conversions from API selector types: metav1 `LabelSelector` and the
//! node-affinity `NodeSelectorRequirement`/`NodeSelectorTerm`/`NodeSelector`.

use std::collections::BTreeMap;

use k8s_openapi::api::core::v1::{NodeSelector, NodeSelectorRequirement, NodeSelectorTerm};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::LabelSelector;

use super::{Operator, Requirement, Selector, SelectorError};
use crate::field_errors::{ErrorList, FieldError, Path, aggregate_strings};
use crate::go_fmt::quote;

/// Upstream `metav1.LabelSelectorAsSelector`: `None` selects nothing, an
/// empty selector selects everything.
pub fn selector_from_label_selector(
    selector: Option<&LabelSelector>,
) -> Result<Selector, SelectorError> {
    let Some(selector) = selector else {
        return Ok(Selector::nothing());
    };
    let labels = selector.match_labels.as_ref();
    let expressions = selector.match_expressions.as_deref().unwrap_or(&[]);
    if labels.is_none_or(|l| l.is_empty()) && expressions.is_empty() {
        return Ok(Selector::everything());
    }
    let mut requirements = Vec::new();
    for (k, v) in labels.into_iter().flatten() {
        requirements.push(Requirement::new(
            k,
            Operator::Equals,
            vec![v.clone()],
            &Path::nil(),
        )?);
    }
    for expr in expressions {
        let op = match expr.operator.as_str() {
            "In" => Operator::In,
            "NotIn" => Operator::NotIn,
            "Exists" => Operator::Exists,
            "DoesNotExist" => Operator::DoesNotExist,
            other => {
                return Err(SelectorError::Other(format!(
                    "{} is not a valid label selector operator",
                    quote(other)
                )));
            }
        };
        let values = expr.values.clone().unwrap_or_default();
        requirements.push(Requirement::new(&expr.key, op, values, &Path::nil())?);
    }
    Ok(Selector::from_requirements(requirements))
}

/// Upstream `metav1.LabelSelectorAsMap`: only exact matches convert.
pub fn label_selector_as_map(
    selector: Option<&LabelSelector>,
) -> Result<BTreeMap<String, String>, String> {
    let Some(selector) = selector else {
        return Ok(BTreeMap::new());
    };
    let mut out = selector.match_labels.clone().unwrap_or_default();
    for expr in selector.match_expressions.iter().flatten() {
        match expr.operator.as_str() {
            "In" => match expr.values.as_deref() {
                Some([v]) => {
                    out.insert(expr.key.clone(), v.clone());
                }
                _ => {
                    return Err(format!(
                        "operator {} without a single value cannot be converted into the old label selector format",
                        quote(&expr.operator)
                    ));
                }
            },
            "NotIn" | "Exists" | "DoesNotExist" => {
                return Err(format!(
                    "operator {} cannot be converted into the old label selector format",
                    quote(&expr.operator)
                ));
            }
            other => return Err(format!("{} is not a valid selector operator", quote(other))),
        }
    }
    Ok(out)
}

const NODE_SELECTOR_OPERATORS: [&str; 6] = ["In", "NotIn", "Exists", "DoesNotExist", "Gt", "Lt"];
const NODE_FIELD_SELECTOR_OPERATORS: [&str; 2] = ["In", "NotIn"];

fn flatten(err: SelectorError) -> ErrorList {
    match err {
        SelectorError::Invalid(errs) => errs,
        other => vec![FieldError::internal_error(&Path::nil(), &other.to_string())],
    }
}

/// Node-affinity `matchExpressions` as a label selector (component-helpers
/// `nodeSelectorRequirementsAsSelector`): an empty list selects nothing;
/// operators In/NotIn/Exists/DoesNotExist/Gt/Lt.
pub fn node_selector_requirements_as_selector(
    requirements: &[NodeSelectorRequirement],
    path: &Path,
) -> Result<Selector, ErrorList> {
    if requirements.is_empty() {
        return Ok(Selector::nothing());
    }
    let mut errs = Vec::new();
    let mut parsed = Vec::new();
    for (i, expr) in requirements.iter().enumerate() {
        let p = path.index(i);
        let op = match expr.operator.as_str() {
            "In" => Operator::In,
            "NotIn" => Operator::NotIn,
            "Exists" => Operator::Exists,
            "DoesNotExist" => Operator::DoesNotExist,
            "Gt" => Operator::GreaterThan,
            "Lt" => Operator::LessThan,
            other => {
                errs.push(FieldError::not_supported(
                    &p.child("operator"),
                    other,
                    &NODE_SELECTOR_OPERATORS,
                ));
                continue;
            }
        };
        match Requirement::new(&expr.key, op, expr.values.clone().unwrap_or_default(), &p) {
            Ok(r) => parsed.push(r),
            Err(e) => errs.extend(flatten(e)),
        }
    }
    if errs.is_empty() {
        Ok(Selector::from_requirements(parsed))
    } else {
        Err(errs)
    }
}

/// Tests node labels against node-affinity requirements; invalid
/// requirements match nothing.
pub fn node_selector_requirements_match(
    requirements: &[NodeSelectorRequirement],
    labels: &BTreeMap<String, String>,
) -> bool {
    node_selector_requirements_as_selector(requirements, &Path::nil())
        .is_ok_and(|s| s.matches(labels))
}

/// `matchFields` terms: only In/NotIn with exactly one value; the only node
/// field is `metadata.name`. Returns (field, value, equal) triples.
fn node_field_requirements(
    requirements: &[NodeSelectorRequirement],
    path: &Path,
) -> Result<Vec<(String, String, bool)>, ErrorList> {
    let mut errs = Vec::new();
    let mut out = Vec::new();
    for (i, expr) in requirements.iter().enumerate() {
        let p = path.index(i);
        let values = expr.values.clone().unwrap_or_default();
        let equal = match expr.operator.as_str() {
            "In" => true,
            "NotIn" => false,
            other => {
                errs.push(FieldError::not_supported(
                    &p.child("operator"),
                    other,
                    &NODE_FIELD_SELECTOR_OPERATORS,
                ));
                continue;
            }
        };
        if values.len() != 1 {
            errs.push(FieldError::invalid(
                &p.child("values"),
                values,
                "must have one element",
            ));
        } else {
            out.push((expr.key.clone(), values[0].clone(), equal));
        }
    }
    if errs.is_empty() { Ok(out) } else { Err(errs) }
}

/// Matches one node selector term (ANDed `matchExpressions` and
/// `matchFields`) against a node's labels and name. An empty term matches
/// nothing. Parse errors are returned instead of a match result.
pub fn node_selector_term_matches(
    term: &NodeSelectorTerm,
    node_labels: &BTreeMap<String, String>,
    node_name: &str,
    path: &Path,
) -> Result<bool, ErrorList> {
    let expressions = term.match_expressions.as_deref().unwrap_or(&[]);
    let fields = term.match_fields.as_deref().unwrap_or(&[]);
    if expressions.is_empty() && fields.is_empty() {
        return Ok(false);
    }
    let mut errs = Vec::new();
    let mut label_selector = None;
    if !expressions.is_empty() {
        match node_selector_requirements_as_selector(expressions, &path.child("matchExpressions")) {
            Ok(s) => label_selector = Some(s),
            Err(e) => errs.extend(e),
        }
    }
    let mut field_terms = Vec::new();
    if !fields.is_empty() {
        match node_field_requirements(fields, &path.child("matchFields")) {
            Ok(f) => field_terms = f,
            Err(e) => errs.extend(e),
        }
    }
    if !errs.is_empty() {
        return Err(errs);
    }
    if label_selector.is_some_and(|s| !s.matches(node_labels)) {
        return Ok(false);
    }
    // Upstream skips field matching when the node has no fields (no name).
    if !node_name.is_empty() {
        for (field, value, equal) in &field_terms {
            let actual = if field == "metadata.name" {
                node_name
            } else {
                ""
            };
            if (actual == value) != *equal {
                return Ok(false);
            }
        }
    }
    Ok(true)
}

/// Required node affinity (ORed terms), with upstream's lazy errors: parse
/// errors are reported only when no term matches.
pub fn node_selector_matches(
    selector: &NodeSelector,
    node_labels: &BTreeMap<String, String>,
    node_name: &str,
) -> Result<bool, String> {
    let path = Path::nil().child("nodeSelectorTerms");
    let mut errors = Vec::new();
    for (i, term) in selector.node_selector_terms.iter().enumerate() {
        match node_selector_term_matches(term, node_labels, node_name, &path.index(i)) {
            Ok(true) => return Ok(true),
            Ok(false) => {}
            Err(errs) => errors.extend(errs.iter().map(|e| e.to_string())),
        }
    }
    match aggregate_strings(&errors) {
        None => Ok(false),
        Some(message) => Err(message),
    }
}
