//! Deleting every object of one resource type in a terminating namespace: delete the collection
//! (or list and delete each), then list what is left and say why it is left.

use std::collections::{BTreeMap, HashSet};
use std::sync::Mutex;

use k8s_openapi::api::core::v1::Pod;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::Time;
use kube::api::{Api, DeleteParams, DynamicObject, ListParams, PartialObjectMeta};
use kube::{Client, Resource};

use crate::discovery::{DiscoveredResource, GroupVersionResource};
use crate::errors;

/// Seconds assumed for finalizers on remaining objects to complete.
pub const FINALIZER_ESTIMATE_SECONDS: i64 = 15;

/// What is left of one resource type after a deletion pass.
#[derive(Debug, Default, PartialEq)]
pub struct Remaining {
    /// Seconds to wait before looking again; zero does not mean nothing is left.
    pub estimate: i64,
    pub count: usize,
    pub by_finalizer: BTreeMap<String, usize>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
enum Op {
    List,
    DeleteCollection,
}

/// Operations a resource turned out not to support (discovery can overstate them).
#[derive(Default)]
pub struct OpCache(Mutex<HashSet<(Op, GroupVersionResource)>>);

impl OpCache {
    fn supported(&self, res: &DiscoveredResource, op: Op) -> bool {
        let verb = match op {
            Op::List => "list",
            Op::DeleteCollection => "deletecollection",
        };
        let known_bad = self
            .0
            .lock()
            .map(|s| s.contains(&(op, res.gvr.clone())))
            .unwrap_or(false);
        res.verbs.contains(verb) && !known_bad
    }

    fn set_unsupported(&self, res: &DiscoveredResource, op: Op) {
        if let Ok(mut s) = self.0.lock() {
            s.insert((op, res.gvr.clone()));
        }
    }
}

/// Turns what the final list found into the estimate, or the upstream error when objects remain
/// with nothing to explain them.
pub fn assess_remaining(
    gvr: &GroupVersionResource,
    namespace: &str,
    estimate: i64,
    finalizers_per_item: &[Vec<String>],
) -> Result<Remaining, (Remaining, String)> {
    if finalizers_per_item.is_empty() {
        return Ok(Remaining::default());
    }
    let mut by_finalizer = BTreeMap::new();
    for finalizers in finalizers_per_item {
        for f in finalizers {
            *by_finalizer.entry(f.clone()).or_insert(0) += 1;
        }
    }
    let count = finalizers_per_item.len();
    if estimate != 0 {
        return Ok(Remaining {
            estimate,
            count,
            by_finalizer,
        });
    }
    if !by_finalizer.is_empty() {
        return Ok(Remaining {
            estimate: FINALIZER_ESTIMATE_SECONDS,
            count,
            by_finalizer,
        });
    }
    Err((
        Remaining {
            estimate,
            count,
            by_finalizer,
        },
        format!("unexpected items still remain in namespace: {namespace} for gvr: {gvr}"),
    ))
}

/// The longest grace period of the pods still running, unless the namespace has been
/// terminating longer than that already.
pub fn pod_estimate(pods: &[Pod], namespace_deleted_at: &Time, now: &Time) -> i64 {
    let estimate = pods
        .iter()
        .filter(|p| {
            let phase = p.status.as_ref().and_then(|s| s.phase.as_deref());
            !matches!(phase, Some("Succeeded" | "Failed"))
        })
        .filter_map(|p| {
            p.spec
                .as_ref()
                .and_then(|s| s.termination_grace_period_seconds)
        })
        .max()
        .unwrap_or(0)
        .max(0);
    let elapsed = now.0.as_second() - namespace_deleted_at.0.as_second();
    if elapsed >= estimate { 0 } else { estimate }
}

pub struct ContentDeleter<'a> {
    pub client: &'a Client,
    pub ops: &'a OpCache,
    pub namespace: &'a str,
    pub deleted_at: &'a Time,
}

impl ContentDeleter<'_> {
    fn dynamic(&self, res: &DiscoveredResource) -> Api<DynamicObject> {
        Api::namespaced_with(self.client.clone(), self.namespace, &res.api_resource())
    }

    fn metadata(&self, res: &DiscoveredResource) -> Api<PartialObjectMeta<DynamicObject>> {
        Api::namespaced_with(self.client.clone(), self.namespace, &res.api_resource())
    }

    /// Deletes all objects of one resource type; the error keeps the estimate it had.
    pub async fn delete_all(
        &self,
        res: &DiscoveredResource,
    ) -> Result<Remaining, (Remaining, String)> {
        let gvr = &res.gvr;
        let estimate = if gvr.group.is_empty() && gvr.resource == "pods" {
            self.estimate_pods()
                .await
                .map_err(|e| (Remaining::default(), errors::message(&e)))?
        } else {
            0
        };
        let with_estimate = |e: String| {
            (
                Remaining {
                    estimate,
                    ..Default::default()
                },
                e,
            )
        };
        if !self.delete_collection(res).await.map_err(with_estimate)? {
            self.delete_each(res).await.map_err(with_estimate)?;
        }
        let Some(left) = self.list(res).await.map_err(with_estimate)? else {
            return Ok(Remaining {
                estimate,
                ..Default::default()
            });
        };
        tracing::debug!(namespace = self.namespace, resource = %gvr, remaining = left.len(), "listed remaining content");
        let finalizers: Vec<Vec<String>> = left
            .into_iter()
            .map(|o| o.metadata.finalizers.unwrap_or_default())
            .collect();
        assess_remaining(gvr, self.namespace, estimate, &finalizers)
    }

    async fn estimate_pods(&self) -> Result<i64, kube::Error> {
        let pods: Api<Pod> = Api::namespaced(self.client.clone(), self.namespace);
        let list = pods.list(&ListParams::default()).await?;
        let now = Time(k8s_openapi::jiff::Timestamp::now());
        Ok(pod_estimate(&list.items, self.deleted_at, &now))
    }

    /// True if the server supports deleting the collection (and did).
    async fn delete_collection(&self, res: &DiscoveredResource) -> Result<bool, String> {
        if !self.ops.supported(res, Op::DeleteCollection) {
            return Ok(false);
        }
        match self
            .dynamic(res)
            .delete_collection(&DeleteParams::background(), &ListParams::default())
            .await
        {
            Ok(_) => Ok(true),
            Err(e) if errors::is_method_not_supported(&e) || errors::is_not_found(&e) => {
                self.ops.set_unsupported(res, Op::DeleteCollection);
                Ok(false)
            }
            Err(e) => Err(errors::message(&e)),
        }
    }

    /// The objects' metadata, or None if the resource cannot be listed.
    async fn list(
        &self,
        res: &DiscoveredResource,
    ) -> Result<Option<Vec<PartialObjectMeta<DynamicObject>>>, String> {
        if !self.ops.supported(res, Op::List) {
            return Ok(None);
        }
        match self.metadata(res).list(&ListParams::default()).await {
            Ok(list) => Ok(Some(list.items)),
            Err(e) if errors::is_method_not_supported(&e) || errors::is_not_found(&e) => {
                self.ops.set_unsupported(res, Op::List);
                Ok(None)
            }
            Err(e) => Err(errors::message(&e)),
        }
    }

    async fn delete_each(&self, res: &DiscoveredResource) -> Result<(), String> {
        let Some(items) = self.list(res).await? else {
            return Ok(());
        };
        let api = self.dynamic(res);
        for item in items {
            let Some(name) = item.meta().name.clone() else {
                continue;
            };
            match api.delete(&name, &DeleteParams::background()).await {
                Ok(_) => {}
                Err(e) if errors::is_not_found(&e) || errors::is_method_not_supported(&e) => {}
                Err(e) => return Err(errors::message(&e)),
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use k8s_openapi::api::core::v1::{PodSpec, PodStatus};

    fn pod(grace: Option<i64>, phase: Option<&str>) -> Pod {
        Pod {
            spec: Some(PodSpec {
                termination_grace_period_seconds: grace,
                ..Default::default()
            }),
            status: Some(PodStatus {
                phase: phase.map(str::to_owned),
                ..Default::default()
            }),
            ..Default::default()
        }
    }

    fn at(secs: i64) -> Time {
        Time(k8s_openapi::jiff::Timestamp::from_second(secs).unwrap())
    }

    #[test]
    fn pod_estimate_takes_longest_running_grace() {
        let pods = vec![
            pod(Some(30), Some("Running")),
            pod(Some(60), None),
            pod(Some(600), Some("Succeeded")),
        ];
        assert_eq!(pod_estimate(&pods, &at(100), &at(110)), 60);
        // Terminating for longer than the estimate already: nothing to wait for.
        assert_eq!(pod_estimate(&pods, &at(100), &at(160)), 0);
        assert_eq!(pod_estimate(&[], &at(100), &at(100)), 0);
    }

    #[test]
    fn nothing_left_is_done() {
        let gvr = GroupVersionResource::new("", "v1", "configmaps");
        assert_eq!(
            assess_remaining(&gvr, "ns", 0, &[]).unwrap(),
            Remaining::default()
        );
    }

    #[test]
    fn finalizers_give_the_default_estimate() {
        let gvr = GroupVersionResource::new("", "v1", "configmaps");
        let left = vec![
            vec!["a/b".to_string()],
            vec!["a/b".to_string(), "c".to_string()],
        ];
        let r = assess_remaining(&gvr, "ns", 0, &left).unwrap();
        assert_eq!(r.estimate, FINALIZER_ESTIMATE_SECONDS);
        assert_eq!(r.count, 2);
        assert_eq!(r.by_finalizer.get("a/b"), Some(&2));
        assert_eq!(r.by_finalizer.get("c"), Some(&1));
    }

    #[test]
    fn graceful_pods_keep_their_estimate() {
        let gvr = GroupVersionResource::new("", "v1", "pods");
        let r = assess_remaining(&gvr, "ns", 30, &[vec![]]).unwrap();
        assert_eq!(r.estimate, 30);
        assert_eq!(r.count, 1);
    }

    #[test]
    fn unexplained_leftovers_are_an_error() {
        let gvr = GroupVersionResource::new("apps", "v1", "deployments");
        let (r, msg) = assess_remaining(&gvr, "ns1", 0, &[vec![]]).unwrap_err();
        assert_eq!(r.count, 1);
        assert_eq!(
            msg,
            "unexpected items still remain in namespace: ns1 for gvr: apps/v1, Resource=deployments"
        );
    }
}
