//! Namespaces (upstream pkg/registry/core/namespace/strategy.go, SetDefaults_Namespace,
//! ValidateNamespace, ValidateNamespaceStatusUpdate, ValidateNamespaceFinalizeUpdate).

use capstan_apimachinery::validation::validate_finalizer_name;
use capstan_apimachinery::{ErrorList, FieldError, Path};
use k8s_openapi::api::core::v1::{Namespace, NamespaceSpec, NamespaceStatus};

use super::common::s;
use crate::strategy::{SelectableField, TypedStrategy};

pub struct NamespaceStrategy;

pub const NAMESPACE_FIELDS: &[SelectableField] =
    &[SelectableField::string("status.phase", "/status/phase")];

pub const NAME_LABEL: &str = "kubernetes.io/metadata.name";
const KUBERNETES_FINALIZER: &str = "kubernetes";
const STANDARD_FINALIZERS: &[&str] = &["kubernetes", "orphan", "foregroundDeletion"];

/// Upstream SetDefaults_Namespace and SetDefaults_NamespaceStatus: every named namespace is
/// labelled with its name.
pub fn default_namespace(ns: &mut Namespace) {
    let name = s(&ns.metadata.name).to_string();
    if !name.is_empty() {
        ns.metadata
            .labels
            .get_or_insert_with(Default::default)
            .insert(NAME_LABEL.into(), name);
    }
    if let Some(st) = ns.status.as_mut()
        && s(&st.phase).is_empty()
    {
        st.phase = Some("Active".into());
    }
}

impl TypedStrategy<Namespace> for NamespaceStrategy {
    /// A new namespace is Active and carries the `kubernetes` finalizer, which the namespace
    /// controller removes once the namespace's content is gone.
    fn prepare_for_create(&self, ns: &mut Namespace) {
        ns.status = Some(NamespaceStatus {
            phase: Some("Active".into()),
            ..Default::default()
        });
        let spec = ns.spec.get_or_insert_with(NamespaceSpec::default);
        let finalizers = spec.finalizers.get_or_insert_with(Vec::new);
        if !finalizers.iter().any(|f| f == KUBERNETES_FINALIZER) {
            finalizers.push(KUBERNETES_FINALIZER.into());
        }
    }

    fn default(&self, ns: &mut Namespace) {
        default_namespace(ns);
    }

    fn validate(&self, ns: &Namespace) -> ErrorList {
        let path = Path::new("spec").child("finalizers");
        finalizers(ns)
            .iter()
            .flat_map(|f| validate_namespace_finalizer(f, &path))
            .collect()
    }

    /// Finalizers change only through the finalize subresource, status only through status.
    fn prepare_for_update(&self, ns: &mut Namespace, old: &Namespace) {
        let old_finalizers = old.spec.as_ref().and_then(|sp| sp.finalizers.clone());
        ns.spec
            .get_or_insert_with(NamespaceSpec::default)
            .finalizers = old_finalizers;
        ns.status = old.status.clone();
    }

    fn validate_update(&self, _ns: &Namespace, _old: &Namespace) -> ErrorList {
        Vec::new()
    }

    fn prepare_for_status_update(&self, ns: &mut Namespace, old: &Namespace) {
        ns.spec = old.spec.clone();
    }

    fn validate_status_update(&self, ns: &Namespace, _old: &Namespace) -> ErrorList {
        let phase = ns.status.as_ref().map(|st| s(&st.phase)).unwrap_or("");
        let path = Path::new("status").child("Phase");
        if ns.metadata.deletion_timestamp.is_none() {
            if phase != "Active" {
                return vec![FieldError::invalid(
                    &path,
                    phase,
                    "may only be 'Active' if `deletionTimestamp` is empty",
                )];
            }
        } else if phase != "Terminating" {
            return vec![FieldError::invalid(
                &path,
                phase,
                "may only be 'Terminating' if `deletionTimestamp` is not empty",
            )];
        }
        Vec::new()
    }

    fn selectable_fields(&self) -> &'static [SelectableField] {
        NAMESPACE_FIELDS
    }
}

fn finalizers(ns: &Namespace) -> Vec<String> {
    ns.spec
        .as_ref()
        .and_then(|sp| sp.finalizers.clone())
        .unwrap_or_default()
}

/// Upstream validateFinalizerName with the legacy standard names.
pub fn validate_namespace_finalizer(name: &str, path: &Path) -> ErrorList {
    let mut errs = validate_finalizer_name(name, path);
    if !name.contains('/') && !STANDARD_FINALIZERS.contains(&name) {
        errs.push(FieldError::invalid(
            path,
            name,
            "name is neither a standard finalizer name nor is it fully qualified",
        ));
    }
    errs
}

/// The namespaces/finalize subresource: only `spec.finalizers` comes from the request.
pub fn prepare_namespace_finalize(ns: &mut Namespace, old: &Namespace) {
    let finalizers = ns.spec.as_ref().and_then(|sp| sp.finalizers.clone());
    *ns = old.clone();
    ns.spec
        .get_or_insert_with(NamespaceSpec::default)
        .finalizers = finalizers;
}

/// Upstream ValidateNamespaceFinalizeUpdate (beyond object metadata).
pub fn validate_namespace_finalize(ns: &Namespace) -> ErrorList {
    let path = Path::new("spec").child("finalizers");
    finalizers(ns)
        .iter()
        .enumerate()
        .flat_map(|(i, f)| validate_namespace_finalizer(f, &path.index(i)))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;

    fn ns(name: &str) -> Namespace {
        Namespace {
            metadata: ObjectMeta {
                name: Some(name.into()),
                ..Default::default()
            },
            ..Default::default()
        }
    }

    #[test]
    fn create_defaults() {
        let mut n = ns("team-a");
        NamespaceStrategy.prepare_for_create(&mut n);
        NamespaceStrategy.default(&mut n);
        assert_eq!(n.metadata.labels.as_ref().unwrap()[NAME_LABEL], "team-a");
        assert_eq!(
            n.spec.as_ref().unwrap().finalizers.as_deref(),
            Some(&["kubernetes".to_string()][..])
        );
        assert_eq!(n.status.as_ref().unwrap().phase.as_deref(), Some("Active"));
        assert!(NamespaceStrategy.validate(&n).is_empty());
    }

    #[test]
    fn finalizer_names() {
        let mut n = ns("a");
        n.spec = Some(NamespaceSpec {
            finalizers: Some(vec!["bogus".into(), "example.com/x".into()]),
        });
        NamespaceStrategy.prepare_for_create(&mut n);
        let errs: Vec<String> = NamespaceStrategy
            .validate(&n)
            .iter()
            .map(|e| e.to_string())
            .collect();
        assert_eq!(
            errs,
            vec![
                "spec.finalizers: Invalid value: \"bogus\": name is neither a standard finalizer name nor is it fully qualified"
            ]
        );
        let errs = validate_namespace_finalize(&n);
        assert_eq!(errs[0].field, "spec.finalizers[0]");
    }

    #[test]
    fn updates_keep_finalizers_and_status() {
        let mut old = ns("a");
        NamespaceStrategy.prepare_for_create(&mut old);
        let mut new = ns("a");
        new.spec = Some(NamespaceSpec {
            finalizers: Some(vec![]),
        });
        NamespaceStrategy.default(&mut new);
        NamespaceStrategy.prepare_for_update(&mut new, &old);
        assert_eq!(new.spec, old.spec);
        assert_eq!(new.status, old.status);
        assert_eq!(new.metadata.labels.as_ref().unwrap()[NAME_LABEL], "a");
    }

    #[test]
    fn status_phase_follows_deletion() {
        let mut n = ns("a");
        n.status = Some(NamespaceStatus {
            phase: Some("Terminating".into()),
            ..Default::default()
        });
        let errs = NamespaceStrategy.validate_status_update(&n, &n.clone());
        assert_eq!(
            errs[0].to_string(),
            "status.Phase: Invalid value: \"Terminating\": may only be 'Active' if `deletionTimestamp` is empty"
        );
    }

    #[test]
    fn finalize_takes_only_finalizers() {
        let mut old = ns("a");
        NamespaceStrategy.prepare_for_create(&mut old);
        let mut req = ns("a");
        req.metadata.labels = Some([("x".to_string(), "y".to_string())].into());
        req.spec = Some(NamespaceSpec { finalizers: None });
        prepare_namespace_finalize(&mut req, &old);
        assert_eq!(req.metadata.labels, old.metadata.labels);
        assert_eq!(req.spec.unwrap().finalizers, None);
    }
}
