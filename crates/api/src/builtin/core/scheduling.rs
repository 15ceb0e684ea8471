//! Scheduling constraints: node selectors and affinity, pod (anti-)affinity, tolerations,
//! taints and topology spread constraints (upstream validation.go).

use std::collections::{BTreeMap, BTreeSet};

use capstan_apimachinery::validation::{
    LabelSelectorValidationOptions, is_valid_label_value, name_is_dns_subdomain,
    validate_label_name, validate_label_selector, validate_namespace_name,
};
use capstan_apimachinery::{BadValue, ErrorList, FieldError, Path};
use k8s_openapi::api::core::v1::{
    Affinity, NodeSelector, NodeSelectorRequirement, NodeSelectorTerm, PodAffinityTerm, Taint,
    Toleration, TopologySpreadConstraint,
};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::LabelSelector;

use super::common::{invalid_each, not_supported, s};

const TAINT_EFFECTS: &[&str] = &["NoSchedule", "PreferNoSchedule", "NoExecute"];

/// Upstream ValidateNodeSelectorRequirement.
pub fn validate_node_selector_requirement(
    rq: &NodeSelectorRequirement,
    allow_invalid_values: bool,
    path: &Path,
) -> ErrorList {
    let mut errs = Vec::new();
    let values = rq.values.as_deref().unwrap_or(&[]);
    match rq.operator.as_str() {
        "In" | "NotIn" if values.is_empty() => errs.push(FieldError::required(
            &path.child("values"),
            "must be specified when `operator` is 'In' or 'NotIn'",
        )),
        "Exists" | "DoesNotExist" if !values.is_empty() => errs.push(FieldError::forbidden(
            &path.child("values"),
            "may not be specified when `operator` is 'Exists' or 'DoesNotExist'",
        )),
        "Gt" | "Lt" if values.len() != 1 => errs.push(FieldError::required(
            &path.child("values"),
            "must be specified single value when `operator` is 'Lt' or 'Gt'",
        )),
        "In" | "NotIn" | "Exists" | "DoesNotExist" | "Gt" | "Lt" => {}
        other => errs.push(FieldError::invalid(
            &path.child("operator"),
            other,
            "not a valid selector operator",
        )),
    }
    errs.extend(validate_label_name(&rq.key, &path.child("key")));
    if !allow_invalid_values {
        for (i, v) in values.iter().enumerate() {
            errs.extend(invalid_each(
                &path.child("values").index(i),
                v,
                is_valid_label_value(v),
            ));
        }
    }
    errs
}

/// Upstream ValidateNodeFieldSelectorRequirement (only metadata.name can be selected).
fn validate_node_field_requirement(rq: &NodeSelectorRequirement, path: &Path) -> ErrorList {
    let mut errs = Vec::new();
    let values = rq.values.as_deref().unwrap_or(&[]);
    match rq.operator.as_str() {
        "In" | "NotIn" => {
            if values.len() != 1 {
                errs.push(FieldError::required(&path.child("values"), "must be only one value when `operator` is 'In' or 'NotIn' for node field selector"));
            }
        }
        other => errs.push(FieldError::invalid(
            &path.child("operator"),
            other,
            "not a valid selector operator",
        )),
    }
    if rq.key != "metadata.name" {
        errs.push(FieldError::invalid(
            &path.child("key"),
            rq.key.as_str(),
            "not a valid field selector key",
        ));
    } else {
        for (i, v) in values.iter().enumerate() {
            errs.extend(invalid_each(
                &path.child("values").index(i),
                v,
                name_is_dns_subdomain(v, false),
            ));
        }
    }
    errs
}

/// Upstream ValidateNodeSelectorTerm.
pub fn validate_node_selector_term(
    term: &NodeSelectorTerm,
    allow_invalid_values: bool,
    path: &Path,
) -> ErrorList {
    let mut errs = Vec::new();
    for (j, rq) in term.match_expressions.iter().flatten().enumerate() {
        errs.extend(validate_node_selector_requirement(
            rq,
            allow_invalid_values,
            &path.child("matchExpressions").index(j),
        ));
    }
    for (j, rq) in term.match_fields.iter().flatten().enumerate() {
        errs.extend(validate_node_field_requirement(
            rq,
            &path.child("matchFields").index(j),
        ));
    }
    errs
}

/// Upstream ValidateNodeSelector.
pub fn validate_node_selector(
    sel: &NodeSelector,
    allow_invalid_values: bool,
    path: &Path,
) -> ErrorList {
    let terms_path = path.child("nodeSelectorTerms");
    if sel.node_selector_terms.is_empty() {
        return vec![FieldError::required(
            &terms_path,
            "must have at least one node selector term",
        )];
    }
    sel.node_selector_terms
        .iter()
        .enumerate()
        .flat_map(|(i, t)| {
            validate_node_selector_term(t, allow_invalid_values, &terms_path.index(i))
        })
        .collect()
}

/// Upstream validateAffinity.
pub fn validate_affinity(a: &Affinity, path: &Path) -> ErrorList {
    let mut errs = Vec::new();
    if let Some(na) = &a.node_affinity {
        let p = path.child("nodeAffinity");
        if let Some(req) = &na.required_during_scheduling_ignored_during_execution {
            errs.extend(validate_node_selector(
                req,
                false,
                &p.child("requiredDuringSchedulingIgnoredDuringExecution"),
            ));
        }
        let pp = p.child("preferredDuringSchedulingIgnoredDuringExecution");
        for (i, term) in na
            .preferred_during_scheduling_ignored_during_execution
            .iter()
            .flatten()
            .enumerate()
        {
            if term.weight <= 0 || term.weight > 100 {
                errs.push(FieldError::invalid(
                    &pp.index(i).child("weight"),
                    term.weight,
                    "must be in the range 1-100",
                ));
            }
            errs.extend(validate_node_selector_term(
                &term.preference,
                true,
                &pp.index(i).child("preference"),
            ));
        }
    }
    let pod_terms = [
        a.pod_affinity.as_ref().map(|x| {
            (
                "podAffinity",
                &x.required_during_scheduling_ignored_during_execution,
                &x.preferred_during_scheduling_ignored_during_execution,
            )
        }),
        a.pod_anti_affinity.as_ref().map(|x| {
            (
                "podAntiAffinity",
                &x.required_during_scheduling_ignored_during_execution,
                &x.preferred_during_scheduling_ignored_during_execution,
            )
        }),
    ];
    for (field, required, preferred) in pod_terms.into_iter().flatten() {
        let p = path.child(field);
        let rp = p.child("requiredDuringSchedulingIgnoredDuringExecution");
        for (i, t) in required.iter().flatten().enumerate() {
            errs.extend(validate_pod_affinity_term(t, &rp.index(i)));
        }
        let pp = p.child("preferredDuringSchedulingIgnoredDuringExecution");
        for (j, t) in preferred.iter().flatten().enumerate() {
            if t.weight <= 0 || t.weight > 100 {
                errs.push(FieldError::invalid(
                    &pp.index(j).child("weight"),
                    t.weight,
                    "must be in the range 1-100",
                ));
            }
            errs.extend(validate_pod_affinity_term(
                &t.pod_affinity_term,
                &pp.index(j).child("podAffinityTerm"),
            ));
        }
    }
    errs
}

fn selector(sel: &Option<LabelSelector>, path: &Path) -> ErrorList {
    validate_label_selector(
        sel.as_ref(),
        LabelSelectorValidationOptions::default(),
        path,
    )
}

/// Upstream validatePodAffinityTerm.
fn validate_pod_affinity_term(t: &PodAffinityTerm, path: &Path) -> ErrorList {
    let mut errs = selector(&t.label_selector, &path.child("labelSelector"));
    errs.extend(selector(
        &t.namespace_selector,
        &path.child("namespaceSelector"),
    ));
    for name in t.namespaces.iter().flatten() {
        errs.extend(invalid_each(
            &path.child("namespace"),
            name,
            validate_namespace_name(name, false),
        ));
    }
    errs.extend(validate_match_label_keys(path, t));
    if t.topology_key.is_empty() {
        errs.push(FieldError::required(
            &path.child("topologyKey"),
            "can not be empty",
        ));
    }
    errs.extend(validate_label_name(
        &t.topology_key,
        &path.child("topologyKey"),
    ));
    errs
}

/// Upstream validateMatchLabelKeysAndMismatchLabelKeys.
fn validate_match_label_keys(path: &Path, t: &PodAffinityTerm) -> ErrorList {
    let mut errs = Vec::new();
    let matching = t.match_label_keys.as_deref().unwrap_or(&[]);
    let mismatching = t.mismatch_label_keys.as_deref().unwrap_or(&[]);
    for (keys, field) in [
        (matching, "matchLabelKeys"),
        (mismatching, "mismatchLabelKeys"),
    ] {
        if keys.is_empty() {
            continue;
        }
        if t.label_selector.is_none() {
            errs.push(FieldError::forbidden(
                &path.child(field),
                "must not be specified when labelSelector is not set",
            ));
            continue;
        }
        for (i, k) in keys.iter().enumerate() {
            errs.extend(validate_label_name(k, &path.child(field).index(i)));
        }
    }
    if let Some(sel) = &t.label_selector {
        let index: BTreeMap<&str, usize> = matching
            .iter()
            .enumerate()
            .map(|(i, k)| (k.as_str(), i))
            .collect();
        let mut keys: BTreeSet<&str> = sel
            .match_labels
            .iter()
            .flatten()
            .map(|(k, _)| k.as_str())
            .collect();
        for e in sel.match_expressions.iter().flatten() {
            if let Some(i) = index.get(e.key.as_str())
                && keys.contains(e.key.as_str())
            {
                errs.push(FieldError::invalid(
                    &path.index(*i),
                    e.key.as_str(),
                    "exists in both matchLabelKeys and labelSelector",
                ));
            }
            keys.insert(e.key.as_str());
        }
    }
    for (i, k) in matching.iter().enumerate() {
        if mismatching.contains(k) {
            errs.push(FieldError::invalid(
                &path.child("matchLabelKeys").index(i),
                k.as_str(),
                "exists in both matchLabelKeys and mismatchLabelKeys",
            ));
        }
    }
    errs
}

/// Upstream ValidateTolerations.
pub fn validate_tolerations(tolerations: &[Toleration], path: &Path) -> ErrorList {
    let mut errs = Vec::new();
    for (i, t) in tolerations.iter().enumerate() {
        let p = path.index(i);
        let (key, op, value, effect) = (s(&t.key), s(&t.operator), s(&t.value), s(&t.effect));
        if !key.is_empty() {
            errs.extend(validate_label_name(key, &p.child("key")));
        }
        if key.is_empty() && op != "Exists" {
            errs.push(FieldError::invalid(&p.child("operator"), op, "operator must be Exists when `key` is empty, which means \"match all values and all keys\""));
        }
        if t.toleration_seconds.is_some() && effect != "NoExecute" {
            errs.push(FieldError::invalid(
                &p.child("effect"),
                effect,
                "effect must be 'NoExecute' when `tolerationSeconds` is set",
            ));
        }
        match op {
            "Equal" | "" => {
                let msgs = is_valid_label_value(value);
                if !msgs.is_empty() {
                    errs.push(FieldError::invalid(
                        &p.child("operator"),
                        value,
                        &msgs.join(";"),
                    ));
                }
            }
            "Exists" => {
                if !value.is_empty() {
                    errs.push(FieldError::invalid(
                        &p.child("operator"),
                        value,
                        "value must be empty when `operator` is 'Exists'",
                    ));
                }
            }
            other => errs.push(not_supported(
                &p.child("operator"),
                other,
                &["Equal", "Exists"],
            )),
        }
        if !effect.is_empty() {
            errs.extend(validate_taint_effect(effect, true, &p.child("effect")));
        }
    }
    errs
}

/// Upstream validateTaintEffect.
fn validate_taint_effect(effect: &str, allow_empty: bool, path: &Path) -> ErrorList {
    if !allow_empty && effect.is_empty() {
        return vec![FieldError::required(path, "")];
    }
    if TAINT_EFFECTS.contains(&effect) {
        Vec::new()
    } else {
        vec![not_supported(path, effect, TAINT_EFFECTS)]
    }
}

fn go_taint(t: &Taint) -> BadValue {
    let time = if t.time_added.is_some() {
        "(*v1.Time)(0xc000000000)"
    } else {
        "(*v1.Time)(nil)"
    };
    BadValue::Raw(format!(
        "core.Taint{{Key:{:?}, Value:{:?}, Effect:{:?}, TimeAdded:{time}}}",
        t.key,
        s(&t.value),
        t.effect
    ))
}

/// Upstream validateNodeTaints.
pub fn validate_taints(taints: &[Taint], path: &Path) -> ErrorList {
    let mut errs = Vec::new();
    let mut seen: BTreeSet<(&str, &str)> = BTreeSet::new();
    for (i, t) in taints.iter().enumerate() {
        let p = path.index(i);
        errs.extend(validate_label_name(&t.key, &p.child("key")));
        let msgs = is_valid_label_value(s(&t.value));
        if !msgs.is_empty() {
            errs.push(FieldError::invalid(
                &p.child("value"),
                s(&t.value),
                &msgs.join(";"),
            ));
        }
        errs.extend(validate_taint_effect(&t.effect, false, &p.child("effect")));
        if !seen.insert((t.effect.as_str(), t.key.as_str())) {
            let mut e = FieldError::duplicate(&p, go_taint(t));
            e.detail = "taints must be unique by key and effect pair".into();
            errs.push(e);
        }
    }
    errs
}

/// Upstream validateTopologySpreadConstraints.
pub fn validate_topology_spread(
    constraints: &[TopologySpreadConstraint],
    path: &Path,
) -> ErrorList {
    let mut errs = Vec::new();
    for (i, c) in constraints.iter().enumerate() {
        let p = path.index(i);
        if c.max_skew <= 0 {
            errs.push(FieldError::invalid(
                &p.child("maxSkew"),
                c.max_skew,
                "must be greater than zero",
            ));
        }
        if c.topology_key.is_empty() {
            errs.push(FieldError::required(
                &p.child("topologyKey"),
                "can not be empty",
            ));
        }
        if !["DoNotSchedule", "ScheduleAnyway"].contains(&c.when_unsatisfiable.as_str()) {
            errs.push(not_supported(
                &p.child("whenUnsatisfiable"),
                &c.when_unsatisfiable,
                &["DoNotSchedule", "ScheduleAnyway"],
            ));
        }
        let repeated = constraints[i + 1..].iter().any(|o| {
            o.topology_key == c.topology_key && o.when_unsatisfiable == c.when_unsatisfiable
        });
        if repeated {
            let value = format!("{{{}, {}}}", c.topology_key, c.when_unsatisfiable);
            errs.push(FieldError::duplicate(
                &p.child("{topologyKey, whenUnsatisfiable}"),
                value,
            ));
        }
        if let Some(min) = c.min_domains {
            if min <= 0 {
                errs.push(FieldError::invalid(
                    &p.child("minDomains"),
                    min,
                    "must be greater than zero",
                ));
            }
            if c.when_unsatisfiable != "DoNotSchedule" {
                let msg = format!(
                    "can only use minDomains if whenUnsatisfiable=DoNotSchedule, not {}",
                    c.when_unsatisfiable
                );
                errs.push(FieldError::invalid(&p.child("minDomains"), min, &msg));
            }
        }
        for (policy, field) in [
            (&c.node_affinity_policy, "nodeAffinityPolicy"),
            (&c.node_taints_policy, "nodeTaintsPolicy"),
        ] {
            if let Some(v) = policy
                && v != "Honor"
                && v != "Ignore"
            {
                errs.push(not_supported(&p.child(field), v, &["Honor", "Ignore"]));
            }
        }
        errs.extend(validate_spread_label_keys(c, &p.child("matchLabelKeys")));
        errs.extend(selector(&c.label_selector, &p.child("labelSelector")));
    }
    errs
}

/// Upstream validateMatchLabelKeysInTopologySpread.
fn validate_spread_label_keys(c: &TopologySpreadConstraint, path: &Path) -> ErrorList {
    let keys = c.match_label_keys.as_deref().unwrap_or(&[]);
    if keys.is_empty() {
        return Vec::new();
    }
    let mut errs = Vec::new();
    let mut selector_keys = BTreeSet::new();
    match &c.label_selector {
        Some(sel) => {
            selector_keys.extend(sel.match_labels.iter().flatten().map(|(k, _)| k.as_str()));
            selector_keys.extend(
                sel.match_expressions
                    .iter()
                    .flatten()
                    .map(|e| e.key.as_str()),
            );
        }
        None => errs.push(FieldError::forbidden(
            path,
            "must not be specified when labelSelector is not set",
        )),
    }
    for (i, k) in keys.iter().enumerate() {
        errs.extend(validate_label_name(k, &path.index(i)));
        if selector_keys.contains(k.as_str()) {
            errs.push(FieldError::invalid(
                &path.index(i),
                k.as_str(),
                "exists in both matchLabelKeys and labelSelector",
            ));
        }
    }
    errs
}

#[cfg(test)]
#[path = "scheduling_tests.rs"]
mod tests;
