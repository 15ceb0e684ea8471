//! Warnings for pods and pod templates (upstream pkg/api/pod/warnings.go).

use std::collections::{BTreeMap, BTreeSet};

use capstan_apimachinery::{Path, Quantity};
use k8s_openapi::api::core::v1::{Container, NodeSelectorTerm, PodSpec};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;

use super::common::s;

/// Upstream GetNodeLabelDeprecatedMessage.
fn deprecated_node_label(key: &str) -> Option<&'static str> {
    match key {
        "beta.kubernetes.io/arch" => {
            Some("deprecated since v1.14; use \"kubernetes.io/arch\" instead")
        }
        "beta.kubernetes.io/os" => Some("deprecated since v1.14; use \"kubernetes.io/os\" instead"),
        "failure-domain.beta.kubernetes.io/region" => {
            Some("deprecated since v1.17; use \"topology.kubernetes.io/region\" instead")
        }
        "failure-domain.beta.kubernetes.io/zone" => {
            Some("deprecated since v1.17; use \"topology.kubernetes.io/zone\" instead")
        }
        "beta.kubernetes.io/instance-type" => {
            Some("deprecated since v1.17; use \"node.kubernetes.io/instance-type\" instead")
        }
        _ => None,
    }
}

fn term_warnings(term: &NodeSelectorTerm, path: &Path, out: &mut Vec<String>) {
    for (i, e) in term.match_expressions.iter().flatten().enumerate() {
        if let Some(msg) = deprecated_node_label(&e.key) {
            out.push(format!(
                "{}: {} is {msg}",
                path.child("matchExpressions").index(i).child("key"),
                e.key
            ));
        }
    }
}

const DEPRECATED_ANNOTATIONS: &[(&str, &str)] = &[
    (
        "scheduler.alpha.kubernetes.io/critical-pod",
        "non-functional in v1.16+; use the \"priorityClassName\" field instead",
    ),
    (
        "security.alpha.kubernetes.io/sysctls",
        "non-functional in v1.11+; use the \"sysctls\" field instead",
    ),
    (
        "security.alpha.kubernetes.io/unsafe-sysctls",
        "non-functional in v1.11+; use the \"sysctls\" field instead",
    ),
];

fn fractional(
    value: &Option<BTreeMap<String, k8s_openapi::apimachinery::pkg::api::resource::Quantity>>,
    name: &str,
) -> Option<String> {
    let q = Quantity::parse(&value.as_ref()?.get(name)?.0).ok()?;
    (q.milli_value() % 1000 != 0).then(|| q.canonical())
}

fn container_warnings(
    c: &Container,
    meta_path: &Path,
    annotations: &BTreeMap<String, String>,
    p: &Path,
    out: &mut Vec<String>,
) {
    let seccomp_field = c
        .security_context
        .as_ref()
        .is_some_and(|sc| sc.seccomp_profile.is_some());
    let key = format!("container.seccomp.security.alpha.kubernetes.io/{}", c.name);
    if !seccomp_field && annotations.contains_key(&key) {
        out.push(format!(
            "{}: non-functional in v1.27+; use the \"seccompProfile\" field instead",
            meta_path.child("annotations").key(&key)
        ));
    }
    if let Some(r) = &c.resources {
        for (list, field) in [(&r.limits, "limits"), (&r.requests, "requests")] {
            for name in ["memory", "ephemeral-storage"] {
                if let Some(v) = fractional(list, name) {
                    out.push(format!(
                        "{}: fractional byte value {v:?} is invalid, must be an integer",
                        p.child("resources").child(field).key(name)
                    ));
                }
            }
        }
    }
    let mut names = BTreeSet::new();
    for (i, e) in c.env.iter().flatten().enumerate() {
        if !names.insert(e.name.as_str()) {
            let reference = format!("$({})", e.name);
            let value = s(&e.value);
            if e.value_from.is_some() || value == reference || !value.contains(&reference) {
                out.push(format!(
                    "{}: hides previous definition of {:?}, which may be dropped when using apply",
                    p.child("env").index(i),
                    e.name
                ));
            }
        }
    }
}

/// Upstream warningsForPodSpecAndMeta; `base` is None for pods, the template's path otherwise.
pub fn spec_warnings(base: Option<&Path>, spec: &PodSpec, meta: &ObjectMeta) -> Vec<String> {
    let root = base.cloned().unwrap_or_else(Path::nil);
    let sp = root.child("spec");
    let mp = root.child("metadata");
    let empty = BTreeMap::new();
    let annotations = meta.annotations.as_ref().unwrap_or(&empty);
    let mut out = Vec::new();
    for k in spec.node_selector.iter().flat_map(|m| m.keys()) {
        if let Some(msg) = deprecated_node_label(k) {
            out.push(format!("{}: {msg}", sp.child("nodeSelector").key(k)));
        }
    }
    if let Some(na) = spec
        .affinity
        .as_ref()
        .and_then(|a| a.node_affinity.as_ref())
    {
        let ap = sp.child("affinity").child("nodeAffinity");
        if let Some(req) = &na.required_during_scheduling_ignored_during_execution {
            let tp = ap
                .child("requiredDuringSchedulingIgnoredDuringExecution")
                .child("nodeSelectorTerms");
            for (i, t) in req.node_selector_terms.iter().enumerate() {
                term_warnings(t, &tp.index(i), &mut out);
            }
        }
        let pp = ap.child("preferredDuringSchedulingIgnoredDuringExecution");
        for (i, t) in na
            .preferred_during_scheduling_ignored_during_execution
            .iter()
            .flatten()
            .enumerate()
        {
            term_warnings(&t.preference, &pp.index(i).child("preference"), &mut out);
        }
    }
    for (i, t) in spec
        .topology_spread_constraints
        .iter()
        .flatten()
        .enumerate()
    {
        let tp = sp.child("topologySpreadConstraints").index(i);
        if let Some(msg) = deprecated_node_label(&t.topology_key) {
            out.push(format!(
                "{}: {} is {msg}",
                tp.child("topologyKey"),
                t.topology_key
            ));
        }
        if t.label_selector.is_none() {
            out.push(format!(
                "{}: a null labelSelector results in matching no pod",
                tp.child("labelSelector")
            ));
        }
    }
    for (key, msg) in DEPRECATED_ANNOTATIONS {
        if annotations.contains_key(*key) {
            out.push(format!("{}: {msg}", mp.child("annotations").key(key)));
        }
    }
    for (i, v) in spec.volumes.iter().flatten().enumerate() {
        let vp = sp.child("volumes").index(i);
        let deprecated = [
            (
                v.photon_persistent_disk.is_some(),
                "photonPersistentDisk",
                "deprecated in v1.11, non-functional in v1.16+",
            ),
            (v.git_repo.is_some(), "gitRepo", "deprecated in v1.11"),
            (
                v.scale_io.is_some(),
                "scaleIO",
                "deprecated in v1.16, non-functional in v1.22+",
            ),
            (
                v.flocker.is_some(),
                "flocker",
                "deprecated in v1.22, non-functional in v1.25+",
            ),
            (
                v.storageos.is_some(),
                "storageOS",
                "deprecated in v1.22, non-functional in v1.25+",
            ),
            (
                v.quobyte.is_some(),
                "quobyte",
                "deprecated in v1.22, non-functional in v1.25+",
            ),
            (
                v.glusterfs.is_some(),
                "glusterfs",
                "deprecated in v1.25, non-functional in v1.26+",
            ),
            (
                v.cephfs.is_some(),
                "cephfs",
                "deprecated in v1.28, non-functional in v1.31+",
            ),
            (
                v.rbd.is_some(),
                "rbd",
                "deprecated in v1.28, non-functional in v1.31+",
            ),
        ];
        for (set, field, msg) in deprecated {
            if set {
                out.push(format!("{}: {msg}", vp.child(field)));
            }
        }
        if let Some(t) = v
            .ephemeral
            .as_ref()
            .and_then(|e| e.volume_claim_template.as_ref())
        {
            let tp = vp
                .child("ephemeral")
                .child("volumeClaimTemplate")
                .child("spec");
            out.extend(super::pvc::claim_spec_warnings(&t.spec, &tp));
        }
    }
    let mut ips = BTreeSet::new();
    for (i, a) in spec.host_aliases.iter().flatten().enumerate() {
        if !ips.insert(a.ip.as_str()) && spec.host_aliases.as_ref().is_some_and(|v| v.len() > 1) {
            out.push(format!(
                "{}: duplicate ip {:?}",
                sp.child("hostAliases").index(i).child("ip"),
                a.ip
            ));
        }
    }
    let mut secrets = BTreeSet::new();
    for (i, r) in spec.image_pull_secrets.iter().flatten().enumerate() {
        if !secrets.insert(r.name.as_str()) {
            out.push(format!(
                "{}: duplicate name {:?}",
                sp.child("imagePullSecrets").index(i).child("name"),
                r.name
            ));
        }
    }
    for (i, r) in spec.image_pull_secrets.iter().flatten().enumerate() {
        if r.name.is_empty() {
            out.push(format!(
                "{}: invalid empty name \"\"",
                sp.child("imagePullSecrets").index(i).child("name")
            ));
        }
    }
    for name in ["memory", "ephemeral-storage"] {
        if let Some(v) = fractional(&spec.overhead, name) {
            out.push(format!(
                "{}: fractional byte value {v:?} is invalid, must be an integer",
                sp.child("overhead").key(name)
            ));
        }
    }
    let pod_seccomp = spec
        .security_context
        .as_ref()
        .is_some_and(|sc| sc.seccomp_profile.is_some());
    if !pod_seccomp && annotations.contains_key("seccomp.security.alpha.kubernetes.io/pod") {
        out.push(format!(
            "{}: non-functional in v1.27+; use the \"seccompProfile\" field instead",
            mp.child("annotations")
                .key("seccomp.security.alpha.kubernetes.io/pod")
        ));
    }
    let lists = [
        (
            spec.init_containers.as_deref().unwrap_or(&[]),
            "initContainers",
        ),
        (spec.containers.as_slice(), "containers"),
    ];
    for (list, field) in lists {
        for (i, c) in list.iter().enumerate() {
            container_warnings(c, &mp, annotations, &sp.child(field).index(i), &mut out);
        }
    }
    if let Some(t) = spec.termination_grace_period_seconds
        && t < 0
    {
        out.push(format!(
            "{}: must be >= 0; negative values are invalid and will be treated as 1",
            sp.child("terminationGracePeriodSeconds")
        ));
    }
    if let Some(a) = &spec.affinity {
        let affinities = [
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
        for (field, req, pref) in affinities.into_iter().flatten() {
            let ap = sp.child("affinity").child(field);
            for (i, t) in req.iter().flatten().enumerate() {
                if t.label_selector.is_none() {
                    out.push(format!(
                        "{}: a null labelSelector results in matching no pod",
                        ap.child("requiredDuringSchedulingIgnoredDuringExecution")
                            .index(i)
                            .child("labelSelector")
                    ));
                }
            }
            for (i, t) in pref.iter().flatten().enumerate() {
                if t.pod_affinity_term.label_selector.is_none() {
                    out.push(format!(
                        "{}: a null labelSelector results in matching no pod",
                        ap.child("preferredDuringSchedulingIgnoredDuringExecution")
                            .index(i)
                            .child("podAffinityTerm")
                            .child("labelSelector")
                    ));
                }
            }
        }
    }
    out
}
