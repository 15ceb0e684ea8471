//! The status conditions the namespace deleter maintains on a terminating namespace: each of
//! its condition types is always present, either with the failure the last pass hit or with the
//! upstream "ok" reason and message.

use std::collections::BTreeMap;

use k8s_openapi::api::core::v1::{NamespaceCondition, NamespaceStatus};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::Time;

use crate::discovery::GroupVersionResource;

pub const DISCOVERY_FAILURE: &str = "NamespaceDeletionDiscoveryFailure";
pub const GV_PARSING_FAILURE: &str = "NamespaceDeletionGroupVersionParsingFailure";
pub const CONTENT_FAILURE: &str = "NamespaceDeletionContentFailure";
pub const CONTENT_REMAINING: &str = "NamespaceContentRemaining";
pub const FINALIZERS_REMAINING: &str = "NamespaceFinalizersRemaining";

/// Condition types in the order upstream adds them.
const CONDITION_TYPES: [&str; 5] = [
    DISCOVERY_FAILURE,
    GV_PARSING_FAILURE,
    CONTENT_FAILURE,
    CONTENT_REMAINING,
    FINALIZERS_REMAINING,
];

/// (reason, message) of each condition type when nothing is wrong.
fn ok_variant(condition_type: &str) -> (&'static str, &'static str) {
    match condition_type {
        DISCOVERY_FAILURE => (
            "ResourcesDiscovered",
            "All resources successfully discovered",
        ),
        GV_PARSING_FAILURE => (
            "ParsedGroupVersions",
            "All legacy kube types successfully parsed",
        ),
        CONTENT_FAILURE => (
            "ContentDeleted",
            "All content successfully deleted, may be waiting on finalization",
        ),
        _ => ("ContentRemoved", "All content successfully removed"),
    }
}

/// Collects what one deletion pass ran into, then writes it into the namespace status.
#[derive(Default)]
pub struct ConditionUpdater {
    failures: Vec<(String, String, String)>,
    delete_content_errors: Vec<String>,
}

impl ConditionUpdater {
    /// Discovery failed; `failed_groups` is set when only some groups failed.
    pub fn discovery_failed(&mut self, failed_groups: Option<usize>, error: &str) {
        let message = match failed_groups {
            Some(n) => format!("Discovery failed for some groups, {n} failing: {error}"),
            None => error.to_owned(),
        };
        self.failures
            .push((DISCOVERY_FAILURE.into(), "DiscoveryFailed".into(), message));
    }

    pub fn delete_content_failed(&mut self, error: String) {
        self.delete_content_errors.push(error);
    }

    /// What is left after the pass: instances per resource and per finalizer.
    pub fn content_totals(
        &mut self,
        remaining_by_resource: &BTreeMap<GroupVersionResource, usize>,
        remaining_by_finalizer: &BTreeMap<String, usize>,
    ) {
        let mut resources: Vec<String> = remaining_by_resource
            .iter()
            .filter(|(_, n)| **n > 0)
            .map(|(gvr, n)| format!("{}.{} has {n} resource instances", gvr.resource, gvr.group))
            .collect();
        if !resources.is_empty() {
            resources.sort();
            self.failures.push((
                CONTENT_REMAINING.into(),
                "SomeResourcesRemain".into(),
                format!("Some resources are remaining: {}", resources.join(", ")),
            ));
        }
        let mut finalizers: Vec<String> = remaining_by_finalizer
            .iter()
            .filter(|(_, n)| **n > 0)
            .map(|(f, n)| format!("{f} in {n} resource instances"))
            .collect();
        if !finalizers.is_empty() {
            finalizers.sort();
            self.failures.push((
                FINALIZERS_REMAINING.into(),
                "SomeFinalizerRemain".into(),
                format!("Some finalizers are remaining: {}", finalizers.join(", ")),
            ));
        }
    }

    /// Writes the conditions into `status`; true if anything changed.
    pub fn update(mut self, status: &mut NamespaceStatus, now: Time) -> bool {
        if !self.delete_content_errors.is_empty() {
            let mut msgs = std::mem::take(&mut self.delete_content_errors);
            msgs.sort();
            self.failures.push((
                CONTENT_FAILURE.into(),
                "ContentDeletionFailed".into(),
                format!(
                    "Failed to delete all resource types, {} remaining: {}",
                    msgs.len(),
                    msgs.join(", ")
                ),
            ));
        }
        let conditions = status.conditions.get_or_insert_with(Vec::new);
        let mut changed = false;
        for condition_type in CONDITION_TYPES {
            let (want_status, reason, message) =
                match self.failures.iter().find(|(t, _, _)| t == condition_type) {
                    Some((_, reason, message)) => ("True", reason.clone(), message.clone()),
                    None => {
                        let (r, m) = ok_variant(condition_type);
                        ("False", r.to_owned(), m.to_owned())
                    }
                };
            match conditions.iter_mut().find(|c| c.type_ == condition_type) {
                None => {
                    conditions.push(NamespaceCondition {
                        type_: condition_type.to_owned(),
                        status: want_status.to_owned(),
                        reason: Some(reason),
                        message: Some(message),
                        last_transition_time: Some(now.clone()),
                    });
                    changed = true;
                }
                Some(old) => {
                    let differs = old.status != want_status
                        || old.reason.as_deref() != Some(reason.as_str())
                        || old.message.as_deref() != Some(message.as_str());
                    if differs {
                        if old.status != want_status {
                            old.last_transition_time = Some(now.clone());
                        }
                        old.status = want_status.to_owned();
                        old.reason = Some(reason);
                        old.message = Some(message);
                        changed = true;
                    }
                }
            }
        }
        changed
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn now() -> Time {
        Time(k8s_openapi::jiff::Timestamp::UNIX_EPOCH)
    }

    fn find<'a>(status: &'a NamespaceStatus, t: &str) -> &'a NamespaceCondition {
        status
            .conditions
            .as_ref()
            .unwrap()
            .iter()
            .find(|c| c.type_ == t)
            .unwrap()
    }

    #[test]
    fn all_ok_sets_every_condition_false() {
        let mut status = NamespaceStatus::default();
        assert!(ConditionUpdater::default().update(&mut status, now()));
        let types: Vec<&str> = status
            .conditions
            .as_ref()
            .unwrap()
            .iter()
            .map(|c| c.type_.as_str())
            .collect();
        assert_eq!(types, CONDITION_TYPES);
        let c = find(&status, CONTENT_REMAINING);
        assert_eq!(c.status, "False");
        assert_eq!(c.reason.as_deref(), Some("ContentRemoved"));
        assert_eq!(
            c.message.as_deref(),
            Some("All content successfully removed")
        );
        let c = find(&status, CONTENT_FAILURE);
        assert_eq!(
            c.message.as_deref(),
            Some("All content successfully deleted, may be waiting on finalization")
        );
        // A second identical pass changes nothing.
        assert!(!ConditionUpdater::default().update(&mut status, now()));
    }

    #[test]
    fn remaining_content_and_finalizers() {
        let mut by_resource = BTreeMap::new();
        by_resource.insert(GroupVersionResource::new("", "v1", "pods"), 2);
        by_resource.insert(GroupVersionResource::new("apps", "v1", "deployments"), 1);
        by_resource.insert(GroupVersionResource::new("", "v1", "secrets"), 0);
        let mut by_finalizer = BTreeMap::new();
        by_finalizer.insert("example.com/hold".to_string(), 3);
        let mut u = ConditionUpdater::default();
        u.content_totals(&by_resource, &by_finalizer);
        let mut status = NamespaceStatus::default();
        u.update(&mut status, now());
        let c = find(&status, CONTENT_REMAINING);
        assert_eq!(c.status, "True");
        assert_eq!(c.reason.as_deref(), Some("SomeResourcesRemain"));
        assert_eq!(
            c.message.as_deref(),
            Some(
                "Some resources are remaining: deployments.apps has 1 resource instances, pods. has 2 resource instances"
            )
        );
        let c = find(&status, FINALIZERS_REMAINING);
        assert_eq!(c.reason.as_deref(), Some("SomeFinalizerRemain"));
        assert_eq!(
            c.message.as_deref(),
            Some("Some finalizers are remaining: example.com/hold in 3 resource instances")
        );
    }

    #[test]
    fn discovery_and_content_failures() {
        let mut u = ConditionUpdater::default();
        u.discovery_failed(
            Some(1),
            "unable to retrieve the complete list of server APIs: x.io/v1: boom",
        );
        u.delete_content_failed("b failed".into());
        u.delete_content_failed("a failed".into());
        let mut status = NamespaceStatus::default();
        u.update(&mut status, now());
        let c = find(&status, DISCOVERY_FAILURE);
        assert_eq!(c.reason.as_deref(), Some("DiscoveryFailed"));
        assert_eq!(
            c.message.as_deref(),
            Some(
                "Discovery failed for some groups, 1 failing: unable to retrieve the complete list of server APIs: x.io/v1: boom"
            )
        );
        let c = find(&status, CONTENT_FAILURE);
        assert_eq!(c.reason.as_deref(), Some("ContentDeletionFailed"));
        assert_eq!(
            c.message.as_deref(),
            Some("Failed to delete all resource types, 2 remaining: a failed, b failed")
        );
    }

    #[test]
    fn transition_time_moves_only_when_status_flips() {
        let mut status = NamespaceStatus::default();
        let mut u = ConditionUpdater::default();
        let mut by_resource = BTreeMap::new();
        by_resource.insert(GroupVersionResource::new("", "v1", "pods"), 1);
        u.content_totals(&by_resource, &BTreeMap::new());
        u.update(&mut status, now());
        let later = Time(k8s_openapi::jiff::Timestamp::from_second(100).unwrap());
        // Same status, different message: time kept.
        by_resource.insert(GroupVersionResource::new("", "v1", "pods"), 2);
        let mut u = ConditionUpdater::default();
        u.content_totals(&by_resource, &BTreeMap::new());
        assert!(u.update(&mut status, later.clone()));
        assert_eq!(
            find(&status, CONTENT_REMAINING).last_transition_time,
            Some(now())
        );
        // Flip to ok: time moves.
        assert!(ConditionUpdater::default().update(&mut status, later.clone()));
        assert_eq!(
            find(&status, CONTENT_REMAINING).last_transition_time,
            Some(later)
        );
    }
}
