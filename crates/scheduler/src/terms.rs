//! Compiled selectors the plugins evaluate many times per cycle: node
//! selector terms (node affinity) and pod affinity terms.

use std::collections::BTreeMap;

use capstan_apimachinery::Path;
use capstan_apimachinery::labels::{
    Operator, Requirement, Selector, node_selector_requirements_as_selector,
    selector_from_label_selector,
};
use k8s_openapi::api::core::v1::{NodeSelector, NodeSelectorTerm, PodAffinityTerm};

/// One node selector term, parsed once. A term that failed to parse, or
/// has neither expressions nor fields, matches nothing.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct NodeTerm {
    labels: Option<Selector>,
    /// `(field, value, equal)`; the only node field is `metadata.name`.
    fields: Vec<(String, String, bool)>,
    valid: bool,
}

impl NodeTerm {
    pub fn compile(term: &NodeSelectorTerm) -> NodeTerm {
        let expressions = term.match_expressions.as_deref().unwrap_or(&[]);
        let field_exprs = term.match_fields.as_deref().unwrap_or(&[]);
        let mut out = NodeTerm {
            labels: None,
            fields: Vec::new(),
            valid: !(expressions.is_empty() && field_exprs.is_empty()),
        };
        if !expressions.is_empty() {
            match node_selector_requirements_as_selector(expressions, &Path::nil()) {
                Ok(s) => out.labels = Some(s),
                Err(_) => out.valid = false,
            }
        }
        for f in field_exprs {
            let values = f.values.as_deref().unwrap_or(&[]);
            let equal = match f.operator.as_str() {
                "In" => true,
                "NotIn" => false,
                _ => {
                    out.valid = false;
                    continue;
                }
            };
            match values {
                [v] => out.fields.push((f.key.clone(), v.clone(), equal)),
                _ => out.valid = false,
            }
        }
        out
    }

    pub fn matches(&self, labels: &BTreeMap<String, String>, node_name: &str) -> bool {
        if !self.valid {
            return false;
        }
        if self.labels.as_ref().is_some_and(|s| !s.matches(labels)) {
            return false;
        }
        if !node_name.is_empty() {
            for (field, value, equal) in &self.fields {
                let actual = if field == "metadata.name" {
                    node_name
                } else {
                    ""
                };
                if (actual == value) != *equal {
                    return false;
                }
            }
        }
        true
    }

    /// The node names a term pins through `metadata.name In [x]`, if any.
    pub fn pinned_node_names(&self) -> Option<Vec<&str>> {
        let names: Vec<&str> = self
            .fields
            .iter()
            .filter(|(f, _, eq)| f == "metadata.name" && *eq)
            .map(|(_, v, _)| v.as_str())
            .collect();
        (!names.is_empty()).then_some(names)
    }
}

/// ORed node selector terms (a `NodeSelector`).
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct NodeTerms(pub Vec<NodeTerm>);

impl NodeTerms {
    pub fn compile(selector: &NodeSelector) -> NodeTerms {
        NodeTerms(
            selector
                .node_selector_terms
                .iter()
                .map(NodeTerm::compile)
                .collect(),
        )
    }

    pub fn matches(&self, labels: &BTreeMap<String, String>, node_name: &str) -> bool {
        self.0.iter().any(|t| t.matches(labels, node_name))
    }
}

/// A pod's hard node constraints: `nodeSelector` AND required node affinity
/// (upstream `RequiredNodeAffinity`).
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct RequiredNodeAffinity {
    pub node_selector: Option<Selector>,
    pub terms: Option<NodeTerms>,
}

impl RequiredNodeAffinity {
    pub fn is_empty(&self) -> bool {
        self.node_selector.is_none() && self.terms.is_none()
    }

    pub fn matches(&self, labels: &BTreeMap<String, String>, node_name: &str) -> bool {
        if self
            .node_selector
            .as_ref()
            .is_some_and(|s| !s.matches(labels))
        {
            return false;
        }
        self.terms
            .as_ref()
            .is_none_or(|t| t.matches(labels, node_name))
    }
}

/// Which pods an affinity term selects: namespace set or namespace
/// selector, and a label selector (upstream `AffinityTerm` without the key).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct TermMatcher {
    /// Sorted, deduplicated namespace names.
    pub namespaces: Vec<String>,
    /// `None` selects no namespace (a nil selector).
    pub namespace_selector: Option<Selector>,
    pub selector: Selector,
}

impl TermMatcher {
    /// Whether the pod (namespace, labels) is selected; `ns_labels` are the
    /// labels of the pod's namespace, needed only for namespace selectors.
    pub fn matches(
        &self,
        namespace: &str,
        labels: &BTreeMap<String, String>,
        ns_labels: Option<&BTreeMap<String, String>>,
    ) -> bool {
        let ns_ok = self
            .namespaces
            .binary_search_by(|n| n.as_str().cmp(namespace))
            .is_ok()
            || self.namespace_selector.as_ref().is_some_and(|s| {
                if s.is_empty() {
                    return true;
                }
                ns_labels.is_some_and(|l| s.matches(l))
            });
        ns_ok && self.selector.matches(labels)
    }

    /// The single namespace this term is confined to, if it is.
    pub fn single_namespace(&self) -> Option<&str> {
        match (&self.namespaces[..], &self.namespace_selector) {
            ([ns], None) => Some(ns),
            _ => None,
        }
    }

    pub fn uses_namespace_selector(&self) -> bool {
        self.namespace_selector.is_some()
    }
}

/// A compiled pod (anti-)affinity term.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct AffinityTerm {
    pub matcher: TermMatcher,
    pub topology_key: String,
}

/// A preferred term with its weight.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct WeightedTerm {
    pub term: AffinityTerm,
    pub weight: i32,
}

/// Compiles a term of a pod in `namespace` with `labels`: namespaces
/// default to the pod's own when neither list nor selector is set, and
/// `matchLabelKeys`/`mismatchLabelKeys` add `key in (v)` / `key notin (v)`
/// with the pod's own label values.
pub fn compile_affinity_term(
    term: &PodAffinityTerm,
    namespace: &str,
    labels: &BTreeMap<String, String>,
) -> Result<AffinityTerm, String> {
    let mut selector =
        selector_from_label_selector(term.label_selector.as_ref()).map_err(|e| e.to_string())?;
    if !selector.matches_nothing() {
        let mut extra = Vec::new();
        for (keys, op) in [
            (term.match_label_keys.as_deref(), Operator::In),
            (term.mismatch_label_keys.as_deref(), Operator::NotIn),
        ] {
            for key in keys.unwrap_or(&[]) {
                if let Some(v) = labels.get(key) {
                    let r = Requirement::new(key, op, vec![v.clone()], &Path::nil())
                        .map_err(|e| e.to_string())?;
                    extra.push(r);
                }
            }
        }
        if !extra.is_empty() {
            selector = selector.add(extra);
        }
    }
    let namespace_selector = match term.namespace_selector.as_ref() {
        None => None,
        Some(s) => Some(selector_from_label_selector(Some(s)).map_err(|e| e.to_string())?),
    };
    let mut namespaces: Vec<String> = term.namespaces.clone().unwrap_or_default();
    if namespaces.is_empty() && namespace_selector.is_none() {
        namespaces.push(namespace.to_string());
    }
    namespaces.sort();
    namespaces.dedup();
    Ok(AffinityTerm {
        matcher: TermMatcher {
            namespaces,
            namespace_selector,
            selector,
        },
        topology_key: term.topology_key.clone(),
    })
}

#[cfg(test)]
mod tests;
