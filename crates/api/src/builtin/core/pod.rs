//! Pods (upstream pkg/registry/core/pod/strategy.go, SetDefaults_Pod, ValidatePodCreate) and
//! the public pod-template helpers every workload uses.

use capstan_apimachinery::validation::{is_dns1123_label, validate_annotations, validate_labels};
use capstan_apimachinery::{ErrorList, FieldError, Path};
use k8s_openapi::api::core::v1::{
    HostIP, Pod, PodCondition, PodIP, PodSpec, PodStatus, PodTemplateSpec,
};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{LabelSelector, LabelSelectorRequirement};

use super::common::s;
use super::pod_containers::validate_image_whitespace;
use super::podspec::{SpecOptions, validate_pod_annotations, validate_spec};
use super::resources::compute_qos;
use crate::strategy::{SelectableField, TypedStrategy, Warnings};

pub use super::container::default_pull_policy;
pub use super::podspec::default_pod_spec;

pub struct PodStrategy;

/// Upstream pod ToSelectableFields.
pub const POD_FIELDS: &[SelectableField] = &[
    SelectableField::string("spec.nodeName", "/spec/nodeName"),
    SelectableField::string("spec.restartPolicy", "/spec/restartPolicy"),
    SelectableField::string("spec.schedulerName", "/spec/schedulerName"),
    SelectableField::string("spec.serviceAccountName", "/spec/serviceAccountName"),
    SelectableField::boolean("spec.hostNetwork", "/spec/hostNetwork"),
    SelectableField::string("status.phase", "/status/phase"),
    SelectableField::string("status.podIP", "/status/podIP"),
    SelectableField::string("status.nominatedNodeName", "/status/nominatedNodeName"),
];

/// Upstream SetDefaults_Pod on top of the pod spec's defaults: requests default to limits,
/// service links are enabled, host networking exposes container ports on the host.
pub fn default_pod(pod: &mut Pod) {
    let Some(spec) = pod.spec.as_mut() else {
        return;
    };
    default_pod_spec(spec);
    for c in spec
        .containers
        .iter_mut()
        .chain(spec.init_containers.iter_mut().flatten())
    {
        let Some(r) = c.resources.as_mut() else {
            continue;
        };
        let Some(limits) = r.limits.clone().filter(|l| !l.is_empty()) else {
            continue;
        };
        let requests = r.requests.get_or_insert_with(Default::default);
        for (k, v) in limits {
            requests.entry(k).or_insert(v);
        }
    }
    spec.enable_service_links.get_or_insert(true);
    if spec.host_network == Some(true) {
        for c in spec
            .containers
            .iter_mut()
            .chain(spec.init_containers.iter_mut().flatten())
        {
            for p in c.ports.iter_mut().flatten() {
                if p.host_port.unwrap_or(0) == 0 {
                    p.host_port = Some(p.container_port);
                }
            }
        }
    }
    if let Some(st) = pod.status.as_mut() {
        sync_status_ips(st);
    }
}

/// The v1 singular and plural IP fields mirror each other, as upstream's conversion makes them.
fn sync_status_ips(st: &mut PodStatus) {
    let pod_ips = st.pod_ips.get_or_insert_with(Vec::new);
    if pod_ips.is_empty() && !s(&st.pod_ip).is_empty() {
        pod_ips.push(PodIP {
            ip: s(&st.pod_ip).to_string(),
        });
    }
    if let Some(first) = pod_ips.first() {
        st.pod_ip = Some(first.ip.clone());
    }
    if pod_ips.is_empty() {
        st.pod_ips = None;
    }
    let host_ips = st.host_ips.get_or_insert_with(Vec::new);
    if host_ips.is_empty() && !s(&st.host_ip).is_empty() {
        host_ips.push(HostIP {
            ip: s(&st.host_ip).to_string(),
        });
    }
    if let Some(first) = host_ips.first() {
        st.host_ip = Some(first.ip.clone());
    }
    if host_ips.is_empty() {
        st.host_ips = None;
    }
}

/// Upstream mutatePodAffinity: matchLabelKeys / mismatchLabelKeys become selector terms
/// built from the pod's own labels.
fn apply_match_label_keys(pod: &mut Pod) {
    let labels = pod.metadata.labels.clone().unwrap_or_default();
    let Some(a) = pod.spec.as_mut().and_then(|s| s.affinity.as_mut()) else {
        return;
    };
    let merge = |t: &mut k8s_openapi::api::core::v1::PodAffinityTerm| {
        let Some(sel) = t.label_selector.as_mut() else {
            return;
        };
        add_keys(
            sel,
            t.match_label_keys.as_deref().unwrap_or(&[]),
            "In",
            &labels,
        );
        add_keys(
            sel,
            t.mismatch_label_keys.as_deref().unwrap_or(&[]),
            "NotIn",
            &labels,
        );
    };
    for pa in [a.pod_affinity.as_mut().map(|p| {
        (
            &mut p.required_during_scheduling_ignored_during_execution,
            &mut p.preferred_during_scheduling_ignored_during_execution,
        )
    })]
    .into_iter()
    .chain([a.pod_anti_affinity.as_mut().map(|p| {
        (
            &mut p.required_during_scheduling_ignored_during_execution,
            &mut p.preferred_during_scheduling_ignored_during_execution,
        )
    })])
    .flatten()
    {
        for t in pa.1.iter_mut().flatten() {
            merge(&mut t.pod_affinity_term);
        }
        for t in pa.0.iter_mut().flatten() {
            merge(t);
        }
    }
}

fn add_keys(
    sel: &mut LabelSelector,
    keys: &[String],
    op: &str,
    labels: &std::collections::BTreeMap<String, String>,
) {
    for k in keys {
        if let Some(v) = labels.get(k) {
            sel.match_expressions
                .get_or_insert_with(Vec::new)
                .push(LabelSelectorRequirement {
                    key: k.clone(),
                    operator: op.into(),
                    values: Some(vec![v.clone()]),
                });
        }
    }
}

impl TypedStrategy<Pod> for PodStrategy {
    fn prepare_for_create(&self, pod: &mut Pod) {
        // Defaults run again after this; running them first lets the QoS class see the
        // requests that default to limits, as upstream (which defaults on decoding) does.
        default_pod(pod);
        let mut status = PodStatus {
            phase: Some("Pending".into()),
            qos_class: Some(compute_qos(pod).into()),
            ..Default::default()
        };
        let gated = pod
            .spec
            .as_ref()
            .is_some_and(|s| s.scheduling_gates.as_ref().is_some_and(|g| !g.is_empty()));
        if gated {
            status.conditions = Some(vec![PodCondition {
                type_: "PodScheduled".into(),
                status: "False".into(),
                reason: Some("SchedulingGated".into()),
                message: Some("Scheduling is blocked due to non-empty scheduling gates".into()),
                last_transition_time: super::common::now(),
                ..Default::default()
            }]);
        }
        pod.status = Some(status);
        apply_match_label_keys(pod);
    }

    fn default(&self, pod: &mut Pod) {
        default_pod(pod);
    }

    fn validate(&self, pod: &Pod) -> ErrorList {
        let spec_path = Path::new("spec");
        let spec = pod.spec.clone().unwrap_or_default();
        let mut errs = validate_pod_metadata_and_spec(pod, &spec);
        if spec
            .ephemeral_containers
            .as_ref()
            .is_some_and(|e| !e.is_empty())
        {
            errs.push(FieldError::forbidden(
                &spec_path.child("ephemeralContainers"),
                "cannot be set on create",
            ));
        }
        let gated = spec
            .scheduling_gates
            .as_ref()
            .is_some_and(|g| !g.is_empty());
        if !s(&spec.node_name).is_empty() && gated {
            errs.push(FieldError::forbidden(
                &spec_path.child("nodeName"),
                "cannot be set until all schedulingGates have been cleared",
            ));
        }
        errs
    }

    /// Warnings on create only: upstream skips them on updates, which are recognised by the
    /// resourceVersion the API server sets before running the strategy.
    fn warnings(&self, pod: &Pod) -> Warnings {
        if !s(&pod.metadata.resource_version).is_empty() {
            return Vec::new();
        }
        let mut w = Vec::new();
        let msgs = is_dns1123_label(s(&pod.metadata.name));
        if !msgs.is_empty() {
            w.push(format!(
                "metadata.name: this is used in the Pod's hostname, which can result in surprising behavior; a DNS label is recommended: [{}]",
                msgs.join(" ")
            ));
        }
        if let Some(spec) = &pod.spec {
            w.extend(super::pod_warnings::spec_warnings(
                None,
                spec,
                &pod.metadata,
            ));
        }
        w
    }

    fn prepare_for_update(&self, pod: &mut Pod, old: &Pod) {
        pod.status = old.status.clone();
    }

    fn validate_update(&self, pod: &Pod, old: &Pod) -> ErrorList {
        super::pod_update::validate_pod_update(pod, old)
    }

    fn prepare_for_status_update(&self, pod: &mut Pod, old: &Pod) {
        pod.spec = old.spec.clone();
        let old_qos = old.status.as_ref().and_then(|st| st.qos_class.clone());
        if let Some(st) = pod.status.as_mut()
            && s(&st.qos_class).is_empty()
        {
            st.qos_class = old_qos;
        }
    }

    fn validate_status_update(&self, pod: &Pod, old: &Pod) -> ErrorList {
        super::pod_update::validate_pod_status_update(pod, old)
    }

    fn selectable_fields(&self) -> &'static [SelectableField] {
        POD_FIELDS
    }
}

/// Upstream validatePodMetadataAndSpec (metadata itself is validated by the API server).
pub(super) fn validate_pod_metadata_and_spec(pod: &Pod, spec: &PodSpec) -> ErrorList {
    let spec_path = Path::new("spec");
    let mut errs = validate_pod_annotations(
        &pod.metadata,
        spec,
        &Path::new("metadata").child("annotations"),
    );
    let opts = SpecOptions {
        for_pod: true,
        pod_name: pod.metadata.name.as_deref(),
    };
    errs.extend(validate_spec(spec, opts, &spec_path));
    for (list, field) in [
        (spec.containers.as_slice(), "containers"),
        (
            spec.init_containers.as_deref().unwrap_or(&[]),
            "initContainers",
        ),
    ] {
        for (i, c) in list.iter().enumerate() {
            errs.extend(validate_image_whitespace(
                c,
                &spec_path.child(field).index(i),
            ));
        }
    }
    errs
}

/// Defaults of a pod template (workloads embed one).
pub fn default_pod_template_spec(t: &mut PodTemplateSpec) {
    default_pod_spec(t.spec.get_or_insert_with(Default::default));
}

/// Upstream ValidatePodSpec for a spec embedded in a template.
pub fn validate_pod_spec(spec: &PodSpec, path: &Path) -> ErrorList {
    validate_spec(spec, SpecOptions::default(), path)
}

/// Upstream ValidatePodTemplateSpec: `path` is the template's (e.g. `spec.template`).
pub fn validate_pod_template_spec(t: &PodTemplateSpec, path: &Path) -> ErrorList {
    let meta = t.metadata.clone().unwrap_or_default();
    let spec = t.spec.clone().unwrap_or_default();
    let mut errs = validate_labels(
        meta.labels.as_ref().unwrap_or(&Default::default()),
        &path.child("labels"),
    );
    errs.extend(validate_annotations(
        meta.annotations.as_ref().unwrap_or(&Default::default()),
        &path.child("annotations"),
    ));
    errs.extend(validate_pod_annotations(
        &meta,
        &spec,
        &path.child("annotations"),
    ));
    errs.extend(validate_pod_spec(&spec, &path.child("spec")));
    if spec
        .ephemeral_containers
        .as_ref()
        .is_some_and(|e| !e.is_empty())
    {
        errs.push(FieldError::forbidden(
            &path.child("spec").child("ephemeralContainers"),
            "ephemeral containers not allowed in pod template",
        ));
    }
    errs
}

/// Upstream GetWarningsForPodTemplate: `path` is the template's (e.g. `spec.template`).
pub fn pod_template_warnings(t: &PodTemplateSpec, path: &Path) -> Warnings {
    let meta = t.metadata.clone().unwrap_or_default();
    match &t.spec {
        Some(spec) => super::pod_warnings::spec_warnings(Some(path), spec, &meta),
        None => Vec::new(),
    }
}

#[cfg(test)]
#[path = "pod_tests.rs"]
mod tests;
