//! ServiceAccounts, core/v1 Events and Bindings (upstream serviceaccount and event strategies,
//! legacyValidateEvent, ValidatePodBinding).

use capstan_apimachinery::validation::{is_dns1123_subdomain, is_qualified_name};
use capstan_apimachinery::{ErrorList, FieldError, Path};
use k8s_openapi::api::core::v1::{Binding, Event, ObjectReference, ServiceAccount};

use super::common::{invalid_each, not_supported, s};
use crate::strategy::{SelectableField, TypedStrategy, Warnings};

pub struct ServiceAccountStrategy;
pub struct EventStrategy;
pub struct BindingStrategy;

/// Upstream event ToSelectableFields (core/v1 names).
pub const EVENT_FIELDS: &[SelectableField] = &[
    SelectableField::string("involvedObject.kind", "/involvedObject/kind"),
    SelectableField::string("involvedObject.namespace", "/involvedObject/namespace"),
    SelectableField::string("involvedObject.name", "/involvedObject/name"),
    SelectableField::string("involvedObject.uid", "/involvedObject/uid"),
    SelectableField::string("involvedObject.apiVersion", "/involvedObject/apiVersion"),
    SelectableField::string(
        "involvedObject.resourceVersion",
        "/involvedObject/resourceVersion",
    ),
    SelectableField::string("involvedObject.fieldPath", "/involvedObject/fieldPath"),
    SelectableField::string("reason", "/reason"),
    SelectableField::string("reportingComponent", "/reportingComponent"),
    SelectableField::string("source", "/source/component"),
    SelectableField::string("type", "/type"),
];

const ENFORCE_MOUNTABLE_SECRETS: &str = "kubernetes.io/enforce-mountable-secrets";

/// Only the name of a referenced secret is kept (upstream cleanSecretReferences).
fn clean_secret_references(sa: &mut ServiceAccount) {
    for r in sa.secrets.iter_mut().flatten() {
        *r = ObjectReference {
            name: r.name.clone(),
            ..Default::default()
        };
    }
}

impl TypedStrategy<ServiceAccount> for ServiceAccountStrategy {
    fn prepare_for_create(&self, sa: &mut ServiceAccount) {
        clean_secret_references(sa);
    }

    fn prepare_for_update(&self, sa: &mut ServiceAccount, _old: &ServiceAccount) {
        clean_secret_references(sa);
    }

    fn warnings(&self, sa: &ServiceAccount) -> Warnings {
        if sa
            .metadata
            .annotations
            .as_ref()
            .is_some_and(|a| a.contains_key(ENFORCE_MOUNTABLE_SECRETS))
        {
            vec![format!(
                "metadata.annotations[{ENFORCE_MOUNTABLE_SECRETS}]: deprecated in v1.32+; prefer separate namespaces to isolate access to mounted secrets"
            )]
        } else {
            Vec::new()
        }
    }
}

const REPORTING_INSTANCE_LIMIT: usize = 128;
const ACTION_LIMIT: usize = 128;
const REASON_LIMIT: usize = 128;
const NOTE_LIMIT: usize = 1024;

/// Upstream legacyValidateEvent, the only check events created through core/v1 get.
pub fn validate_event(e: &Event) -> ErrorList {
    let mut errs = Vec::new();
    let ns = s(&e.metadata.namespace);
    let involved_ns = s(&e.involved_object.namespace);
    let ns_path = Path::new("involvedObject").child("namespace");
    let mismatch = || FieldError::invalid(&ns_path, involved_ns, "does not match event.namespace");
    if e.event_time.is_none() {
        if involved_ns.is_empty() {
            if !ns.is_empty() && ns != "default" {
                errs.push(mismatch());
            }
        } else if ns != involved_ns {
            errs.push(mismatch());
        }
    } else {
        if involved_ns.is_empty() && ns != "default" && ns != "kube-system" {
            errs.push(mismatch());
        }
        let controller = s(&e.reporting_component);
        if controller.is_empty() {
            errs.push(FieldError::required(&Path::new("reportingController"), ""));
        }
        errs.extend(invalid_each(
            &Path::new("reportingController"),
            controller,
            is_qualified_name(controller),
        ));
        let limited = [
            (
                s(&e.reporting_instance),
                "reportingInstance",
                REPORTING_INSTANCE_LIMIT,
                true,
            ),
            (s(&e.action), "action", ACTION_LIMIT, true),
            (s(&e.reason), "reason", REASON_LIMIT, true),
            (s(&e.message), "message", NOTE_LIMIT, false),
        ];
        for (value, field, limit, required) in limited {
            if required && value.is_empty() {
                errs.push(FieldError::required(&Path::new(field), ""));
            }
            if value.len() > limit {
                errs.push(FieldError::invalid(
                    &Path::new(field),
                    "",
                    &format!("can have at most {limit} characters"),
                ));
            }
        }
    }
    errs.extend(invalid_each(
        &Path::new("namespace"),
        ns,
        is_dns1123_subdomain(ns),
    ));
    errs
}

impl TypedStrategy<Event> for EventStrategy {
    fn validate(&self, e: &Event) -> ErrorList {
        validate_event(e)
    }

    fn selectable_fields(&self) -> &'static [SelectableField] {
        EVENT_FIELDS
    }
}

/// Upstream ValidatePodBinding.
pub fn validate_binding(b: &Binding) -> ErrorList {
    let mut errs = Vec::new();
    let kind = s(&b.target.kind);
    if !kind.is_empty() && kind != "Node" {
        errs.push(not_supported(
            &Path::new("target").child("kind"),
            kind,
            &["Node", "<empty>"],
        ));
    }
    if s(&b.target.name).is_empty() {
        errs.push(FieldError::required(&Path::new("target").child("name"), ""));
    }
    errs
}

impl TypedStrategy<Binding> for BindingStrategy {
    fn validate(&self, b: &Binding) -> ErrorList {
        validate_binding(b)
    }
}

#[cfg(test)]
#[path = "misc_tests.rs"]
mod tests;
