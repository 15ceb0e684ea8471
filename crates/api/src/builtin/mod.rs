//! The built-in resources kube-apiserver v1.33 serves, as a table: one line per resource with its
//! names, subresources and strategy.

mod apiextensions;
mod apps;
mod autoscaling;
mod batch;
pub mod core;
mod fields;
mod networking;
mod policy;
mod rbac;
mod small_groups;
mod storage;

use std::sync::Arc;

use capstan_apimachinery::GroupResource;
use k8s_openapi::schemars::JsonSchema;
use k8s_openapi::{ClusterResourceScope, NamespaceResourceScope, Resource};
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::resource::{ALL_VERBS, NameRule, ResourceInfo, Subresource};
use crate::strategy::{Strategy, Typed, TypedStrategy};

/// Namespaced or cluster-scoped, from k8s-openapi's scope marker.
pub trait ScopeInfo {
    const NAMESPACED: bool;
}
impl ScopeInfo for NamespaceResourceScope {
    const NAMESPACED: bool = true;
}
impl ScopeInfo for ClusterResourceScope {
    const NAMESPACED: bool = false;
}

/// Builds one table line.
pub struct Def(ResourceInfo);

/// A resource typed by its k8s-openapi struct, with the given rules.
pub fn def<T, S>(rules: S) -> Def
where
    T: Resource + JsonSchema + DeserializeOwned + Serialize + Send + Sync + 'static,
    T::Scope: ScopeInfo,
    S: TypedStrategy<T>,
{
    let strategy: Arc<dyn Strategy> = Arc::new(Typed::<T, S>::new(rules));
    Def(ResourceInfo {
        group: T::GROUP.into(),
        version: T::VERSION.into(),
        kind: T::KIND.into(),
        list_kind: format!("{}List", T::KIND),
        plural: T::URL_PATH_SEGMENT.into(),
        singular: T::KIND.to_lowercase(),
        namespaced: <T::Scope as ScopeInfo>::NAMESPACED,
        short_names: Vec::new(),
        categories: Vec::new(),
        verbs: ALL_VERBS.iter().map(|v| v.to_string()).collect(),
        subresources: Vec::new(),
        storage: GroupResource::new(T::GROUP, T::URL_PATH_SEGMENT),
        storage_version: T::VERSION.into(),
        definition: T::schema_name().into_owned(),
        strategy,
        tracks_generation: false,
        create_on_update: false,
        return_deleted_object: false,
        name_rule: NameRule::Subdomain,
        status_on_create: false,
        printer_columns: None,
        scale_paths: None,
        custom: false,
        schema: None,
        unavailable: None,
    })
}

pub(crate) const STATUS_VERBS: &[&str] = &["get", "patch", "update"];

impl Def {
    pub(crate) fn short(mut self, names: &[&str]) -> Self {
        self.0.short_names = names.iter().map(|s| s.to_string()).collect();
        self
    }

    pub(crate) fn all(mut self) -> Self {
        self.0.categories.push("all".into());
        self
    }

    pub(crate) fn verbs(mut self, verbs: &[&str]) -> Self {
        self.0.verbs = verbs.iter().map(|s| s.to_string()).collect();
        self
    }

    /// A subresource answering with the parent's own kind.
    pub(crate) fn sub(mut self, name: &str, verbs: &[&str]) -> Self {
        let kind = self.0.kind.clone();
        let (group, version) = (self.0.group.clone(), self.0.version.clone());
        self.0.subresources.push(Subresource {
            name: name.into(),
            group,
            version,
            kind,
            verbs: verbs.iter().map(|s| s.to_string()).collect(),
        });
        self
    }

    /// A subresource with a kind of its own.
    pub(crate) fn sub_kind(mut self, name: &str, gvk: (&str, &str, &str), verbs: &[&str]) -> Self {
        self.0.subresources.push(Subresource {
            name: name.into(),
            group: gvk.0.into(),
            version: gvk.1.into(),
            kind: gvk.2.into(),
            verbs: verbs.iter().map(|s| s.to_string()).collect(),
        });
        self
    }

    pub(crate) fn status(self) -> Self {
        self.sub("status", STATUS_VERBS)
    }

    pub(crate) fn scale(self) -> Self {
        self.sub_kind("scale", ("autoscaling", "v1", "Scale"), STATUS_VERBS)
    }

    pub(crate) fn generation(mut self) -> Self {
        self.0.tracks_generation = true;
        self
    }

    pub(crate) fn create_on_update(mut self) -> Self {
        self.0.create_on_update = true;
        self
    }

    pub(crate) fn returns_deleted(mut self) -> Self {
        self.0.return_deleted_object = true;
        self
    }

    /// Stored with another version of the same group-resource.
    pub(crate) fn stored_as(mut self, group: &str, resource: &str, version: &str) -> Self {
        self.0.storage = GroupResource::new(group, resource);
        self.0.storage_version = version.into();
        self
    }

    pub(crate) fn status_on_create(mut self) -> Self {
        self.0.status_on_create = true;
        self
    }

    pub(crate) fn names(mut self, rule: NameRule) -> Self {
        self.0.name_rule = rule;
        self
    }

    pub(crate) fn build(self) -> ResourceInfo {
        self.0
    }
}

pub(crate) const CONNECT_VERBS: &[&str] = &["create", "get"];
pub(crate) const PROXY_VERBS: &[&str] = &["create", "delete", "get", "patch", "update"];

/// Every built-in resource, group by group (each group's module owns its table lines and strategies).
pub fn resources() -> Vec<ResourceInfo> {
    let mut all = Vec::new();
    all.extend(core::resources());
    all.extend(apps::resources());
    all.extend(batch::resources());
    all.extend(autoscaling::resources());
    all.extend(networking::resources());
    all.extend(policy::resources());
    all.extend(rbac::resources());
    all.extend(storage::resources());
    all.extend(small_groups::resources());
    all.extend(apiextensions::resources());
    all
}
