//! The collector's two kinds of work, done against the API server: deciding whether an object
//! is garbage (and deleting it, or trimming its owner references), and orphaning the
//! dependents of an owner deleted with the `orphan` finalizer.

use kube::Resource;
use kube::api::{
    Api, DeleteParams, DynamicObject, PartialObjectMeta, Patch, PatchParams, Preconditions,
    PropagationPolicy,
};
use kube::core::ApiResource;
use serde_json::json;

use super::Gc;
use super::decide::{Decision, Policy, RefState, decide};
use super::graph::GraphEvent;
use super::model::{AbsentKey, FOREGROUND_FINALIZER, Identity, ORPHAN_FINALIZER, OwnerRef, Uid};
use crate::discovery::DiscoveredResource;
use crate::errors;

/// Attempts at a read-modify-write before giving the item back to the queue.
const CONFLICT_RETRIES: usize = 5;

pub(super) enum AttemptError {
    /// The object is gone; the graph will hear of it and requeue what depends on it.
    VirtualDeleteEnqueued,
    /// A cluster-scoped object names a namespaced owner: never resolvable, not retried.
    NamespacedOwnerOfClusterScoped,
    Failed(String),
}

impl From<kube::Error> for AttemptError {
    fn from(e: kube::Error) -> AttemptError {
        AttemptError::Failed(errors::message(&e))
    }
}

type Meta = PartialObjectMeta<DynamicObject>;

fn scoped<K: Resource<DynamicType = ApiResource, Scope = kube::core::DynamicResourceScope>>(
    gc: &Gc,
    res: &DiscoveredResource,
    namespace: &str,
) -> Api<K> {
    let ar = res.api_resource();
    if res.namespaced {
        Api::namespaced_with(gc.client.clone(), namespace, &ar)
    } else {
        Api::all_with(gc.client.clone(), &ar)
    }
}

impl Gc {
    fn resolve(&self, api_version: &str, kind: &str) -> Result<DiscoveredResource, AttemptError> {
        let discovery = self.discovery.read().map(|d| d.clone()).unwrap_or_default();
        discovery
            .resolve_kind(api_version, kind)
            .cloned()
            .ok_or_else(|| {
                AttemptError::Failed(format!(
                    "unable to get REST mapping for {api_version}/{kind}"
                ))
            })
    }

    async fn get_meta(
        &self,
        res: &DiscoveredResource,
        id: &Identity,
    ) -> Result<Option<Meta>, kube::Error> {
        match scoped::<Meta>(self, res, &id.namespace).get(&id.name).await {
            Ok(m) => Ok(Some(m)),
            Err(e) if errors::is_not_found(&e) => Ok(None),
            Err(e) => Err(e),
        }
    }

    fn virtual_delete(&self, res: &DiscoveredResource, id: &Identity) -> AttemptError {
        let mut id = id.clone();
        if !res.namespaced {
            id.namespace.clear();
        }
        let _ = self.events.send(GraphEvent::VirtualDelete(id));
        AttemptError::VirtualDeleteEnqueued
    }

    /// Deletes the object if all its owners are gone; see `decide` for the rules.
    pub(super) async fn attempt_to_delete(&self, uid: &Uid) -> Result<bool, AttemptError> {
        let Some(node) = self.graph().nodes.get(uid).cloned() else {
            return Ok(true);
        };
        // Deletion is one-way; its dependents are handled once it is gone.
        if node.being_deleted && !node.deleting_dependents {
            return Ok(node.observed);
        }
        let res = self.resolve(&node.identity.api_version, &node.identity.kind)?;
        let latest = match self.get_meta(&res, &node.identity).await? {
            Some(m) if m.metadata.uid.as_deref() == Some(uid.as_str()) => m,
            _ => return Err(self.virtual_delete(&res, &node.identity)),
        };
        if node.deleting_dependents {
            self.process_deleting_dependents(&res, &node.identity)
                .await?;
            return Ok(node.observed);
        }
        let refs: Vec<OwnerRef> = latest
            .metadata
            .owner_references
            .iter()
            .flatten()
            .map(OwnerRef::from)
            .collect();
        if refs.is_empty() {
            return Ok(node.observed);
        }
        let mut states = Vec::with_capacity(refs.len());
        for r in refs {
            let state = self.classify(&r, &node.identity).await?;
            states.push((r, state));
        }
        let (has_dependents, dependent_in_foreground) = {
            let g = self.graph();
            let has = g.nodes.get(uid).is_some_and(|n| !n.dependents.is_empty());
            (has, g.has_dependent_deleting_dependents(uid))
        };
        let finalizers = latest.metadata.finalizers.clone().unwrap_or_default();
        match decide(
            &states,
            has_dependents,
            dependent_in_foreground,
            &finalizers,
        ) {
            Decision::Keep => {}
            Decision::RemoveOwnerReferences(uids) => {
                tracing::info!(item = %node.identity, owners = ?uids, "removing dangling and waiting owner references");
                self.remove_owner_references(&res, &node.identity, &uids)
                    .await?;
            }
            Decision::DeleteForeground { unblock_first } => {
                if unblock_first {
                    self.unblock_owner_references(&res, &node.identity).await?;
                }
                tracing::info!(item = %node.identity, "owner waits for dependents; deleting item in the foreground");
                self.delete_object(&res, &node.identity, &latest, Policy::Foreground)
                    .await?;
            }
            Decision::Delete(policy) => {
                tracing::info!(item = %node.identity, ?policy, "deleting object whose owners are gone");
                self.delete_object(&res, &node.identity, &latest, policy)
                    .await?;
            }
        }
        Ok(node.observed)
    }

    /// Whether the owner a reference names exists, is waiting for its dependents, or is gone.
    async fn classify(
        &self,
        owner: &OwnerRef,
        dependent: &Identity,
    ) -> Result<RefState, AttemptError> {
        let mut key = AbsentKey::of_reference(owner, "");
        {
            let g = self.graph();
            if g.absent.has(&key)
                || g.absent
                    .has(&AbsentKey::of_reference(owner, &dependent.namespace))
            {
                return Ok(RefState::Dangling);
            }
        }
        let res = self.resolve(&owner.api_version, &owner.kind)?;
        if res.namespaced {
            if dependent.namespace.is_empty() {
                tracing::warn!(item = %dependent, owner = %owner.uid, "cluster-scoped objects cannot refer to namespaced owners");
                return Err(AttemptError::NamespacedOwnerOfClusterScoped);
            }
            key.namespace = dependent.namespace.clone();
        }
        // A namespaced owner is only looked for in the dependent's namespace.
        let owner_id = Identity::of_reference(owner, &dependent.namespace);
        let found = self.get_meta(&res, &owner_id).await?;
        let Some(found) = found.filter(|m| m.metadata.uid.as_deref() == Some(owner.uid.as_str()))
        else {
            self.graph().absent.add(key);
            return Ok(RefState::Dangling);
        };
        let waiting = found.metadata.deletion_timestamp.is_some()
            && found
                .metadata
                .finalizers
                .iter()
                .flatten()
                .any(|f| f == FOREGROUND_FINALIZER);
        Ok(if waiting {
            RefState::WaitingForDependentsDeletion
        } else {
            RefState::Solid
        })
    }

    async fn process_deleting_dependents(
        &self,
        res: &DiscoveredResource,
        owner: &Identity,
    ) -> Result<(), AttemptError> {
        let blocking = self.graph().blocking_dependents(&owner.uid);
        if blocking.is_empty() {
            tracing::info!(item = %owner, "no blocking dependents left; removing the foregroundDeletion finalizer");
            return self
                .remove_finalizer(res, owner, FOREGROUND_FINALIZER)
                .await;
        }
        for (dep, deleting_dependents) in blocking {
            if !deleting_dependents {
                self.delete_queue.add(dep);
            }
        }
        Ok(())
    }

    async fn delete_object(
        &self,
        res: &DiscoveredResource,
        id: &Identity,
        latest: &Meta,
        policy: Policy,
    ) -> Result<(), AttemptError> {
        let api = scoped::<DynamicObject>(self, res, &id.namespace);
        let mut params = DeleteParams {
            propagation_policy: Some(match policy {
                Policy::Orphan => PropagationPolicy::Orphan,
                Policy::Foreground => PropagationPolicy::Foreground,
                Policy::Background => PropagationPolicy::Background,
            }),
            preconditions: Some(Preconditions {
                uid: Some(id.uid.clone()),
                resource_version: latest.metadata.resource_version.clone(),
            }),
            ..Default::default()
        };
        let mut result = api.delete(&id.name, &params).await;
        if let Err(e) = &result
            && errors::is_conflict(e)
        {
            // Only the resourceVersion moved on: if the owners are as judged, delete anyway.
            match self.get_meta(res, id).await? {
                None => return Err(self.virtual_delete(res, id)),
                Some(live)
                    if live.metadata.uid.as_deref() == Some(id.uid.as_str())
                        && live.metadata.owner_references == latest.metadata.owner_references =>
                {
                    if let Some(p) = params.preconditions.as_mut() {
                        p.resource_version = None;
                    }
                    result = api.delete(&id.name, &params).await;
                }
                Some(_) => {}
            }
        }
        match result {
            Ok(_) => Ok(()),
            Err(e) if errors::is_not_found(&e) => Err(self.virtual_delete(res, id)),
            Err(e) => Err(e.into()),
        }
    }

    /// Rewrites the object's owner references with `change`, guarded by uid and resourceVersion.
    async fn patch_owner_references<F>(
        &self,
        res: &DiscoveredResource,
        id: &Identity,
        change: F,
    ) -> Result<(), AttemptError>
    where
        F: Fn(
            &[k8s_openapi::apimachinery::pkg::apis::meta::v1::OwnerReference],
        ) -> Option<serde_json::Value>,
    {
        let api = scoped::<DynamicObject>(self, res, &id.namespace);
        for _ in 0..CONFLICT_RETRIES {
            let Some(latest) = self.get_meta(res, id).await? else {
                return Ok(());
            };
            if latest.metadata.uid.as_deref() != Some(id.uid.as_str()) {
                return Ok(());
            }
            let Some(refs) = change(
                latest
                    .metadata
                    .owner_references
                    .as_deref()
                    .unwrap_or_default(),
            ) else {
                return Ok(());
            };
            let patch = json!({"metadata": {
                "ownerReferences": refs,
                "uid": id.uid,
                "resourceVersion": latest.metadata.resource_version,
            }});
            match api
                .patch(&id.name, &PatchParams::default(), &Patch::Merge(&patch))
                .await
            {
                Ok(_) => return Ok(()),
                Err(e) if errors::is_not_found(&e) => return Ok(()),
                Err(e) if errors::is_conflict(&e) => continue,
                Err(e) => return Err(e.into()),
            }
        }
        Err(AttemptError::Failed(format!(
            "too many conflicts updating owner references of {id}"
        )))
    }

    async fn remove_owner_references(
        &self,
        res: &DiscoveredResource,
        id: &Identity,
        uids: &[Uid],
    ) -> Result<(), AttemptError> {
        self.patch_owner_references(res, id, |refs| {
            if !refs.iter().any(|r| uids.contains(&r.uid)) {
                return None;
            }
            let kept: Vec<_> = refs.iter().filter(|r| !uids.contains(&r.uid)).collect();
            Some(json!(kept))
        })
        .await
    }

    /// Clears blockOwnerDeletion on every reference, to break a foreground-deletion cycle.
    async fn unblock_owner_references(
        &self,
        res: &DiscoveredResource,
        id: &Identity,
    ) -> Result<(), AttemptError> {
        self.patch_owner_references(res, id, |refs| {
            if !refs.iter().any(|r| r.block_owner_deletion == Some(true)) {
                return None;
            }
            let mut refs = refs.to_vec();
            for r in refs
                .iter_mut()
                .filter(|r| r.block_owner_deletion == Some(true))
            {
                r.block_owner_deletion = Some(false);
            }
            Some(json!(refs))
        })
        .await
    }

    async fn remove_finalizer(
        &self,
        res: &DiscoveredResource,
        id: &Identity,
        finalizer: &str,
    ) -> Result<(), AttemptError> {
        let api = scoped::<DynamicObject>(self, res, &id.namespace);
        for _ in 0..CONFLICT_RETRIES {
            let Some(latest) = self.get_meta(res, id).await? else {
                return Ok(());
            };
            if latest.metadata.uid.as_deref() != Some(id.uid.as_str()) {
                return Ok(());
            }
            let current = latest.metadata.finalizers.unwrap_or_default();
            if !current.iter().any(|f| f == finalizer) {
                return Ok(());
            }
            let rest: Vec<&String> = current.iter().filter(|f| *f != finalizer).collect();
            let patch = json!({"metadata": {
                "finalizers": rest,
                "resourceVersion": latest.metadata.resource_version,
            }});
            match api
                .patch(&id.name, &PatchParams::default(), &Patch::Merge(&patch))
                .await
            {
                Ok(_) => return Ok(()),
                Err(e) if errors::is_not_found(&e) => return Ok(()),
                Err(e) if errors::is_conflict(&e) => continue,
                Err(e) => return Err(e.into()),
            }
        }
        Err(AttemptError::Failed(format!(
            "too many conflicts removing finalizer {finalizer} from {id}"
        )))
    }

    /// Removes the owner from all its dependents, then its `orphan` finalizer.
    pub(super) async fn attempt_to_orphan(&self, owner_uid: &Uid) -> Result<(), AttemptError> {
        let (owner, dependents) = {
            let g = self.graph();
            let Some(node) = g.nodes.get(owner_uid) else {
                return Ok(());
            };
            let deps: Vec<Identity> = node
                .dependents
                .iter()
                .filter_map(|d| g.nodes.get(d).map(|n| n.identity.clone()))
                .collect();
            (node.identity.clone(), deps)
        };
        let mut failures = Vec::new();
        for dep in &dependents {
            let result = match self.resolve(&dep.api_version, &dep.kind) {
                Ok(res) => {
                    self.remove_owner_references(&res, dep, std::slice::from_ref(owner_uid))
                        .await
                }
                Err(e) => Err(e),
            };
            if let Err(AttemptError::Failed(e)) = result {
                failures.push(format!("orphaning {dep} failed, {e}"));
            }
        }
        if !failures.is_empty() {
            return Err(AttemptError::Failed(format!(
                "failed to orphan dependents of owner {owner}, got errors: {}",
                failures.join(", ")
            )));
        }
        let res = self.resolve(&owner.api_version, &owner.kind)?;
        tracing::info!(item = %owner, dependents = dependents.len(), "orphaned dependents; removing the orphan finalizer");
        self.remove_finalizer(&res, &owner, ORPHAN_FINALIZER).await
    }
}
