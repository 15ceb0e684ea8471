//! What a pod update may change (upstream ValidatePodUpdate) and what a status update must
//! respect (upstream ValidatePodStatusUpdate).

use std::collections::BTreeSet;
use std::net::IpAddr;

use capstan_apimachinery::validation::{
    FIELD_IMMUTABLE_ERROR_MSG, inclusive_range_error, is_valid_ip_for_legacy_field,
    name_is_dns_subdomain,
};
use capstan_apimachinery::{BadValue, ErrorList, FieldError, Path};
use k8s_openapi::api::core::v1::{Container, ContainerStatus, Pod, PodSpec, Toleration};

use super::common::{invalid_each, json_value, qualified_name, s};
use super::scheduling::validate_tolerations;

const UPDATABLE_FIELDS: &str = "`spec.containers[*].image`,`spec.initContainers[*].image`,`spec.activeDeadlineSeconds`,`spec.tolerations` (only additions to existing tolerations),`spec.terminationGracePeriodSeconds` (allow it to be set to 1 if it was previously negative)";

/// Upstream ValidatePodUpdate (object metadata is checked by the API server).
pub fn validate_pod_update(new: &Pod, old: &Pod) -> ErrorList {
    let new_spec = new.spec.clone().unwrap_or_default();
    // The stored pod compares as upstream reads it back: with its defaults applied.
    let mut old = old.clone();
    super::pod::default_pod(&mut old);
    let old = &old;
    let old_spec = old.spec.clone().unwrap_or_default();
    let mut errs = super::pod::validate_pod_metadata_and_spec(new, &new_spec);
    errs.extend(validate_annotation_updates(new, old));
    let spec_path = Path::new("spec");
    let empty = Vec::new();
    let lists = [
        (&new_spec.containers, &old_spec.containers, "containers"),
        (
            new_spec.init_containers.as_ref().unwrap_or(&empty),
            old_spec.init_containers.as_ref().unwrap_or(&empty),
            "initContainers",
        ),
    ];
    for (n, o, field) in lists {
        let (container_errs, stop) = validate_container_updates(n, o, &spec_path.child(field));
        errs.extend(container_errs);
        if stop {
            return errs;
        }
    }
    let ads_path = spec_path.child("activeDeadlineSeconds");
    match (
        new_spec.active_deadline_seconds,
        old_spec.active_deadline_seconds,
    ) {
        (Some(n), _) if !(0..=i64::from(i32::MAX)).contains(&n) => {
            errs.push(FieldError::invalid(
                &ads_path,
                n,
                &inclusive_range_error(0, i32::MAX.into()),
            ));
            return errs;
        }
        (Some(n), Some(o)) if o < n => {
            errs.push(FieldError::invalid(
                &ads_path,
                n,
                "must be less than or equal to previous value",
            ));
            return errs;
        }
        (None, Some(_)) => errs.push(FieldError::invalid(
            &ads_path,
            BadValue::Null,
            "must not update from a positive integer to nil value",
        )),
        _ => {}
    }
    let new_tols = new_spec.tolerations.as_deref().unwrap_or(&[]);
    errs.extend(validate_only_added_tolerations(
        new_tols,
        old_spec.tolerations.as_deref().unwrap_or(&[]),
        &spec_path.child("tolerations"),
    ));
    errs.extend(validate_only_deleted_gates(
        &new_spec,
        &old_spec,
        &spec_path.child("schedulingGates"),
    ));
    if new_spec == old_spec {
        return errs;
    }
    let mut munged = new_spec.clone();
    for (c, o) in munged.containers.iter_mut().zip(&old_spec.containers) {
        c.image = o.image.clone();
    }
    for (c, o) in munged
        .init_containers
        .iter_mut()
        .flatten()
        .zip(old_spec.init_containers.iter().flatten())
    {
        c.image = o.image.clone();
    }
    munged.active_deadline_seconds = old_spec.active_deadline_seconds;
    munged.scheduling_gates = old_spec.scheduling_gates.clone();
    munged.tolerations = old_spec.tolerations.clone();
    if old_spec
        .termination_grace_period_seconds
        .is_some_and(|t| t < 0)
        && munged.termination_grace_period_seconds == Some(1)
    {
        munged.termination_grace_period_seconds = old_spec.termination_grace_period_seconds;
    }
    if old_spec
        .scheduling_gates
        .as_ref()
        .is_some_and(|g| !g.is_empty())
    {
        errs.extend(munge_gated(&mut munged, &old_spec, &spec_path));
    }
    if munged != old_spec {
        let diff = super::diff::render("core.PodSpec", &old_spec, &munged);
        errs.push(FieldError::forbidden(
            &spec_path,
            &format!("pod updates may not change fields other than {UPDATABLE_FIELDS}\n{diff}"),
        ));
    }
    errs
}

/// A gated pod may gain node selector entries and node affinity requirements.
fn munge_gated(munged: &mut PodSpec, old: &PodSpec, spec_path: &Path) -> ErrorList {
    let mut errs = Vec::new();
    if munged.node_selector != old.node_selector {
        let old_sel = old.node_selector.clone().unwrap_or_default();
        let new_sel = munged.node_selector.clone().unwrap_or_default();
        if old_sel.iter().any(|(k, v)| new_sel.get(k) != Some(v)) {
            errs.push(FieldError::invalid(
                &spec_path.child("nodeSelector"),
                super::common::go_string_map(&new_sel),
                "only additions to spec.nodeSelector are allowed (no mutations or deletions)",
            ));
        }
        munged.node_selector = old.node_selector.clone();
    }
    let old_na = old.affinity.as_ref().and_then(|a| a.node_affinity.clone());
    let new_na = munged
        .affinity
        .as_ref()
        .and_then(|a| a.node_affinity.clone());
    if old_na != new_na {
        let old_terms = old_na
            .as_ref()
            .and_then(|n| {
                n.required_during_scheduling_ignored_during_execution
                    .as_ref()
            })
            .map(|r| r.node_selector_terms.clone())
            .unwrap_or_default();
        let new_terms = new_na
            .as_ref()
            .and_then(|n| {
                n.required_during_scheduling_ignored_during_execution
                    .as_ref()
            })
            .map(|r| r.node_selector_terms.clone())
            .unwrap_or_default();
        let tp = spec_path
            .child("affinity")
            .child("nodeAffinity")
            .child("requiredDuringSchedulingIgnoredDuringExecution")
            .child("nodeSelectorTerms");
        if !old_terms.is_empty() && old_terms.len() != new_terms.len() {
            errs.push(FieldError::invalid(
                &tp,
                json_value(&new_terms),
                "no additions/deletions to non-empty NodeSelectorTerms list are allowed",
            ));
        } else {
            for (i, (o, n)) in old_terms.iter().zip(&new_terms).enumerate() {
                if !only_additions(n, o) {
                    errs.push(FieldError::invalid(
                        &tp.index(i),
                        json_value(n),
                        "only additions are allowed (no mutations or deletions)",
                    ));
                }
            }
        }
        match munged.affinity.as_mut() {
            None if old_na.is_some() => {
                munged.affinity = Some(k8s_openapi::api::core::v1::Affinity {
                    node_affinity: old_na,
                    ..Default::default()
                });
            }
            Some(a)
                if old.affinity.is_none()
                    && a.pod_affinity.is_none()
                    && a.pod_anti_affinity.is_none() =>
            {
                munged.affinity = None
            }
            Some(a) => a.node_affinity = old_na,
            None => {}
        }
    }
    errs
}

fn only_additions(
    new: &k8s_openapi::api::core::v1::NodeSelectorTerm,
    old: &k8s_openapi::api::core::v1::NodeSelectorTerm,
) -> bool {
    let (oe, of) = (
        old.match_expressions.as_deref().unwrap_or(&[]),
        old.match_fields.as_deref().unwrap_or(&[]),
    );
    let (ne, nf) = (
        new.match_expressions.as_deref().unwrap_or(&[]),
        new.match_fields.as_deref().unwrap_or(&[]),
    );
    if oe.is_empty() && of.is_empty() && (!ne.is_empty() || !nf.is_empty()) {
        return false;
    }
    let prefix = |n: &[k8s_openapi::api::core::v1::NodeSelectorRequirement],
                  o: &[k8s_openapi::api::core::v1::NodeSelectorRequirement]| {
        o.is_empty() || (n.len() >= o.len() && n[..o.len()] == *o)
    };
    prefix(ne, oe) && prefix(nf, of)
}

/// Upstream ValidateContainerUpdates: the same number of containers, images still set.
fn validate_container_updates(
    new: &[Container],
    old: &[Container],
    path: &Path,
) -> (ErrorList, bool) {
    if new.len() != old.len() {
        return (
            vec![FieldError::forbidden(
                path,
                "pod updates may not add or remove containers",
            )],
            true,
        );
    }
    let mut errs = Vec::new();
    for (i, c) in new.iter().enumerate() {
        let image = s(&c.image);
        if image.is_empty() {
            errs.push(FieldError::required(&path.index(i).child("image"), ""));
        }
        if image.trim() != image {
            errs.push(FieldError::invalid(
                &path.index(i).child("image"),
                image,
                "must not have leading or trailing whitespace",
            ));
        }
    }
    (errs, false)
}

/// Upstream validateOnlyAddedTolerations: existing tolerations stay (their seconds may change).
fn validate_only_added_tolerations(
    new: &[Toleration],
    old: &[Toleration],
    path: &Path,
) -> ErrorList {
    for o in old {
        let kept = new.iter().any(|n| {
            let mut o = o.clone();
            o.toleration_seconds = n.toleration_seconds;
            o == *n
        });
        if !kept {
            return vec![FieldError::forbidden(
                path,
                "existing toleration can not be modified except its tolerationSeconds",
            )];
        }
    }
    validate_tolerations(new, path)
}

/// Upstream validateOnlyDeletedSchedulingGates.
fn validate_only_deleted_gates(new: &PodSpec, old: &PodSpec, path: &Path) -> ErrorList {
    let old_names: BTreeSet<&str> = old
        .scheduling_gates
        .iter()
        .flatten()
        .map(|g| g.name.as_str())
        .collect();
    let mut errs = Vec::new();
    for (i, g) in new.scheduling_gates.iter().flatten().enumerate() {
        if !old_names.contains(g.name.as_str()) {
            let msg = format!(
                "only deletion is allowed, but found new scheduling gate '{}'",
                g.name
            );
            errs.push(FieldError::forbidden(&path.index(i).child("name"), &msg));
        }
    }
    errs
}

const APPARMOR_PREFIX: &str = "container.apparmor.security.beta.kubernetes.io/";
const MIRROR_POD: &str = "kubernetes.io/config.mirror";

/// Upstream ValidatePodSpecificAnnotationUpdates: AppArmor and mirror annotations are fixed.
fn validate_annotation_updates(new: &Pod, old: &Pod) -> ErrorList {
    let mut errs = Vec::new();
    let path = Path::new("metadata").child("annotations");
    let empty = Default::default();
    let (na, oa) = (
        new.metadata.annotations.as_ref().unwrap_or(&empty),
        old.metadata.annotations.as_ref().unwrap_or(&empty),
    );
    for (k, v) in oa {
        if na.get(k) == Some(v) {
            continue;
        }
        if k.starts_with(APPARMOR_PREFIX) {
            errs.push(FieldError::forbidden(
                &path.key(k),
                "may not remove or update AppArmor annotations",
            ));
        }
        if k == MIRROR_POD {
            errs.push(FieldError::forbidden(
                &path.key(k),
                "may not remove or update mirror pod annotation",
            ));
        }
    }
    for k in na.keys().filter(|k| !oa.contains_key(*k)) {
        if k.starts_with(APPARMOR_PREFIX) {
            errs.push(FieldError::forbidden(
                &path.key(k),
                "may not add AppArmor annotations",
            ));
        }
        if k == MIRROR_POD {
            errs.push(FieldError::forbidden(
                &path.key(k),
                "may not add mirror pod annotation",
            ));
        }
    }
    errs
}

const SYSTEM_CONDITIONS: &[&str] = &["PodScheduled", "Ready", "Initialized"];

/// Upstream ValidatePodStatusUpdate.
pub fn validate_pod_status_update(new: &Pod, old: &Pod) -> ErrorList {
    let mut errs = Vec::new();
    let status = new.status.clone().unwrap_or_default();
    let old_status = old.status.clone().unwrap_or_default();
    // Upstream reports condition types under `metadata.conditions`.
    let cond_path = Path::new("metadata").child("conditions");
    for (i, c) in status.conditions.iter().flatten().enumerate() {
        if !SYSTEM_CONDITIONS.contains(&c.type_.as_str()) {
            errs.extend(qualified_name(&c.type_, &cond_path.index(i).child("Type")));
        }
    }
    let sp = Path::new("status");
    let spec_node = |p: &Pod| {
        p.spec
            .as_ref()
            .map(|sp| s(&sp.node_name).to_string())
            .unwrap_or_default()
    };
    if spec_node(new) != spec_node(old) {
        errs.push(FieldError::forbidden(
            &sp.child("nodeName"),
            "may not be changed directly",
        ));
    }
    let nominated = s(&status.nominated_node_name);
    if nominated != s(&old_status.nominated_node_name) && !nominated.is_empty() {
        errs.extend(invalid_each(
            &sp.child("nominatedNodeName"),
            nominated,
            name_is_dns_subdomain(nominated, false),
        ));
    }
    if status.qos_class != old_status.qos_class {
        errs.push(FieldError::invalid(
            &sp.child("qosClass"),
            s(&status.qos_class),
            FIELD_IMMUTABLE_ERROR_MSG,
        ));
    }
    let old_spec = old.spec.clone().unwrap_or_default();
    let restart = s(&old_spec.restart_policy).to_string();
    let sidecars: BTreeSet<&str> = old_spec
        .init_containers
        .iter()
        .flatten()
        .filter(|c| c.restart_policy.as_deref() == Some("Always"))
        .map(|c| c.name.as_str())
        .collect();
    errs.extend(state_transitions(
        status.container_statuses.as_deref(),
        old_status.container_statuses.as_deref(),
        &sp.child("containerStatuses"),
        &restart,
        &BTreeSet::new(),
    ));
    errs.extend(state_transitions(
        status.init_container_statuses.as_deref(),
        old_status.init_container_statuses.as_deref(),
        &sp.child("initContainerStatuses"),
        &restart,
        &sidecars,
    ));
    errs.extend(state_transitions(
        status.ephemeral_container_statuses.as_deref(),
        old_status.ephemeral_container_statuses.as_deref(),
        &sp.child("ephemeralContainerStatuses"),
        "Never",
        &BTreeSet::new(),
    ));
    let claims: BTreeSet<&str> = new
        .spec
        .iter()
        .flat_map(|sp| sp.resource_claims.iter().flatten())
        .map(|c| c.name.as_str())
        .collect();
    let mut seen = BTreeSet::new();
    for (i, c) in status.resource_claim_statuses.iter().flatten().enumerate() {
        let np = sp.child("resourceClaimStatuses").index(i).child("name");
        if !claims.contains(c.name.as_str()) {
            errs.push(FieldError::invalid(
                &np,
                c.name.as_str(),
                "must match the name of an entry in `spec.resourceClaims`",
            ));
        }
        if !seen.insert(c.name.as_str()) {
            errs.push(FieldError::duplicate(&np, c.name.as_str()));
        }
    }
    let pod_ips: Vec<String> = status
        .pod_ips
        .iter()
        .flatten()
        .map(|p| p.ip.clone())
        .collect();
    errs.extend(validate_ips(&pod_ips, &sp.child("podIPs"), &status.pod_ips));
    let host_ips: Vec<String> = status
        .host_ips
        .iter()
        .flatten()
        .map(|p| p.ip.clone())
        .collect();
    if let Some(first) = host_ips.first()
        && s(&status.host_ip) != first
    {
        errs.push(FieldError::invalid(
            &sp.child("hostIPs").index(0).child("ip"),
            first.as_str(),
            "must be equal to `hostIP`",
        ));
    }
    errs.extend(validate_ips(
        &host_ips,
        &sp.child("hostIPs"),
        &status.host_ips,
    ));
    errs
}

/// Upstream ValidateContainerStateTransition / ValidateInitContainerStateTransition.
fn state_transitions(
    new: Option<&[ContainerStatus]>,
    old: Option<&[ContainerStatus]>,
    path: &Path,
    restart: &str,
    restartable: &BTreeSet<&str>,
) -> ErrorList {
    let mut errs = Vec::new();
    if restart == "Always" {
        return errs;
    }
    for (i, o) in old.unwrap_or(&[]).iter().enumerate() {
        let Some(t) = o.state.as_ref().and_then(|st| st.terminated.as_ref()) else {
            continue;
        };
        if t.exit_code != 0 && restart == "OnFailure" {
            continue;
        }
        if restartable.contains(o.name.as_str()) {
            continue;
        }
        for n in new.unwrap_or(&[]) {
            if n.name == o.name
                && n.state
                    .as_ref()
                    .and_then(|st| st.terminated.as_ref())
                    .is_none()
            {
                errs.push(FieldError::forbidden(
                    &path.index(i).child("state"),
                    "may not be transitioned to non-terminated state",
                ));
            }
        }
    }
    errs
}

/// Pod and host IP lists: valid, at most one per family, no duplicates.
fn validate_ips<T: serde::Serialize>(
    ips: &[String],
    path: &Path,
    raw: &Option<Vec<T>>,
) -> ErrorList {
    let mut errs = Vec::new();
    for (i, ip) in ips.iter().enumerate() {
        errs.extend(is_valid_ip_for_legacy_field(&path.index(i), ip, false, &[]));
    }
    if ips.len() > 1 {
        let parsed: Vec<Option<IpAddr>> = ips.iter().map(|ip| ip.parse().ok()).collect();
        let v4 = parsed
            .iter()
            .filter(|p| matches!(p, Some(IpAddr::V4(_))))
            .count();
        let v6 = parsed
            .iter()
            .filter(|p| matches!(p, Some(IpAddr::V6(_))))
            .count();
        if ips.len() > 2 || v4 != 1 || v6 != 1 {
            errs.push(FieldError::invalid(
                path,
                json_value(raw),
                "may specify no more than one IP for each IP family",
            ));
        }
        let mut seen = BTreeSet::new();
        for (i, ip) in ips.iter().enumerate() {
            if !seen.insert(ip.as_str()) {
                errs.push(FieldError::duplicate(
                    &path.index(i),
                    BadValue::Raw(format!("core.PodIP{{IP:{ip:?}}}")),
                ));
            }
        }
    }
    errs
}

#[cfg(test)]
#[path = "pod_update_tests.rs"]
mod tests;
