//! Pods and the pod spec every workload embeds: defaulting and validation.

use capstan_apimachinery::validation::is_dns1123_label;
use capstan_apimachinery::{ErrorList, FieldError, Path};
use k8s_openapi::api::core::v1::{Container, Pod, PodSpec, PodStatus, PodTemplateSpec};

use crate::strategy::{SelectableField, TypedStrategy};

use super::super::fields::POD_FIELDS;

pub struct PodStrategy;

impl TypedStrategy<Pod> for PodStrategy {
    fn prepare_for_create(&self, pod: &mut Pod) {
        pod.status = Some(PodStatus {
            phase: Some("Pending".into()),
            qos_class: None,
            ..Default::default()
        });
    }

    fn default(&self, pod: &mut Pod) {
        if let Some(spec) = pod.spec.as_mut() {
            default_pod_spec(spec);
        }
    }

    fn validate(&self, pod: &Pod) -> ErrorList {
        match &pod.spec {
            Some(spec) => validate_pod_spec(spec, &Path::new("spec")),
            None => vec![FieldError::required(&Path::new("spec"), "")],
        }
    }

    fn selectable_fields(&self) -> &'static [SelectableField] {
        POD_FIELDS
    }
}

/// SetDefaults for a PodSpec and its containers (upstream pkg/apis/core/v1/defaults.go).
pub fn default_pod_spec(spec: &mut PodSpec) {
    spec.restart_policy.get_or_insert_with(|| "Always".into());
    spec.dns_policy.get_or_insert_with(|| "ClusterFirst".into());
    spec.scheduler_name
        .get_or_insert_with(|| "default-scheduler".into());
    spec.termination_grace_period_seconds.get_or_insert(30);
    spec.security_context.get_or_insert_with(Default::default);
    spec.enable_service_links.get_or_insert(true);
    for c in spec.init_containers.iter_mut().flatten() {
        default_container(c);
    }
    for c in &mut spec.containers {
        default_container(c);
    }
}

fn default_container(c: &mut Container) {
    c.termination_message_path
        .get_or_insert_with(|| "/dev/termination-log".into());
    c.termination_message_policy
        .get_or_insert_with(|| "File".into());
    if c.image_pull_policy.is_none() {
        c.image_pull_policy = Some(default_pull_policy(c.image.as_deref().unwrap_or("")).into());
    }
    c.resources.get_or_insert_with(Default::default);
    for p in c.ports.iter_mut().flatten() {
        p.protocol.get_or_insert_with(|| "TCP".into());
    }
}

/// Always for `:latest` or untagged images, IfNotPresent otherwise.
pub fn default_pull_policy(image: &str) -> &'static str {
    let without_digest = image.split('@').next().unwrap_or(image);
    let last = without_digest.rsplit('/').next().unwrap_or(without_digest);
    match last.split_once(':') {
        Some((_, tag)) if tag != "latest" => "IfNotPresent",
        _ if image.contains('@') => "IfNotPresent",
        _ => "Always",
    }
}

/// Validation of a PodSpec (upstream ValidatePodSpec).
pub fn validate_pod_spec(spec: &PodSpec, path: &Path) -> ErrorList {
    let mut errs = Vec::new();
    let containers = path.child("containers");
    if spec.containers.is_empty() {
        errs.push(FieldError::required(&containers, ""));
    }
    let mut names = std::collections::HashSet::new();
    let init = spec.init_containers.iter().flatten().map(|c| (c, path.child("initContainers")));
    let main = spec.containers.iter().map(|c| (c, containers.clone()));
    let mut index = std::collections::HashMap::<String, usize>::new();
    for (c, list) in init.chain(main) {
        let i = index.entry(list.to_string()).or_insert(0);
        let p = list.index(*i);
        *i += 1;
        if c.name.is_empty() {
            errs.push(FieldError::required(&p.child("name"), ""));
        } else {
            for msg in is_dns1123_label(&c.name) {
                errs.push(FieldError::invalid(&p.child("name"), c.name.as_str(), &msg));
            }
            if !names.insert(c.name.clone()) {
                errs.push(FieldError::duplicate(&p.child("name"), c.name.as_str()));
            }
        }
        if c.image.as_deref().unwrap_or("").trim().is_empty() {
            errs.push(FieldError::required(&p.child("image"), ""));
        }
    }
    errs
}

/// Defaults of a pod template (workloads embed one).
pub fn default_pod_template_spec(t: &mut PodTemplateSpec) {
    if let Some(spec) = t.spec.as_mut() {
        default_pod_spec(spec);
    }
}

/// Validation of a pod template (upstream ValidatePodTemplateSpec).
pub fn validate_pod_template_spec(t: &PodTemplateSpec, path: &Path) -> ErrorList {
    match &t.spec {
        Some(spec) => validate_pod_spec(spec, &path.child("spec")),
        None => vec![FieldError::required(&path.child("spec"), "")],
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pull_policy_defaults() {
        assert_eq!(default_pull_policy("nginx"), "Always");
        assert_eq!(default_pull_policy("nginx:latest"), "Always");
        assert_eq!(default_pull_policy("nginx:1.25"), "IfNotPresent");
        assert_eq!(default_pull_policy("registry:5000/nginx"), "Always");
        assert_eq!(default_pull_policy("nginx@sha256:abc"), "IfNotPresent");
    }
}
