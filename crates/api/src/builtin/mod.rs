//! The built-in resources kube-apiserver v1.33 serves, as a table: one line per resource with its
//! names, subresources and strategy.

mod fields;

use std::sync::Arc;

use capstan_apimachinery::GroupResource;
use k8s_openapi::schemars::JsonSchema;
use k8s_openapi::{ClusterResourceScope, NamespaceResourceScope, Resource};
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::resource::{ALL_VERBS, NameRule, ResourceInfo, Subresource};
use crate::strategy::{NoRules, Strategy, Typed, TypedStrategy};

use k8s_openapi::api::{
    apps::v1 as apps, autoscaling::v1 as autoscaling_v1, autoscaling::v2 as autoscaling_v2,
    batch::v1 as batch, coordination::v1 as coordination, core::v1 as core,
    discovery::v1 as discovery, events::v1 as events, networking::v1 as networking,
    node::v1 as node, policy::v1 as policy, rbac::v1 as rbac, scheduling::v1 as scheduling,
    storage::v1 as storage,
};
use k8s_openapi::apiextensions_apiserver::pkg::apis::apiextensions::v1 as apiextensions;

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
    })
}

const STATUS_VERBS: &[&str] = &["get", "patch", "update"];

impl Def {
    fn short(mut self, names: &[&str]) -> Self {
        self.0.short_names = names.iter().map(|s| s.to_string()).collect();
        self
    }

    fn all(mut self) -> Self {
        self.0.categories.push("all".into());
        self
    }

    fn verbs(mut self, verbs: &[&str]) -> Self {
        self.0.verbs = verbs.iter().map(|s| s.to_string()).collect();
        self
    }

    /// A subresource answering with the parent's own kind.
    fn sub(mut self, name: &str, verbs: &[&str]) -> Self {
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
    fn sub_kind(mut self, name: &str, gvk: (&str, &str, &str), verbs: &[&str]) -> Self {
        self.0.subresources.push(Subresource {
            name: name.into(),
            group: gvk.0.into(),
            version: gvk.1.into(),
            kind: gvk.2.into(),
            verbs: verbs.iter().map(|s| s.to_string()).collect(),
        });
        self
    }

    fn status(self) -> Self {
        self.sub("status", STATUS_VERBS)
    }

    fn scale(self) -> Self {
        self.sub_kind("scale", ("autoscaling", "v1", "Scale"), STATUS_VERBS)
    }

    fn generation(mut self) -> Self {
        self.0.tracks_generation = true;
        self
    }

    fn create_on_update(mut self) -> Self {
        self.0.create_on_update = true;
        self
    }

    fn returns_deleted(mut self) -> Self {
        self.0.return_deleted_object = true;
        self
    }

    /// Stored with another version of the same group-resource.
    fn stored_as(mut self, group: &str, resource: &str, version: &str) -> Self {
        self.0.storage = GroupResource::new(group, resource);
        self.0.storage_version = version.into();
        self
    }

    fn names(mut self, rule: NameRule) -> Self {
        self.0.name_rule = rule;
        self
    }

    fn build(self) -> ResourceInfo {
        self.0
    }
}

const CONNECT_VERBS: &[&str] = &["create", "get"];
const PROXY_VERBS: &[&str] = &["create", "delete", "get", "patch", "update"];

/// Every built-in resource.
pub fn resources() -> Vec<ResourceInfo> {
    use crate::builtin::fields::*;
    let r = |d: Def| d.build();
    vec![
        // core/v1
        r(def::<core::Binding, _>(NoRules).verbs(&["create"])),
        r(def::<core::ComponentStatus, _>(NoRules)
            .short(&["cs"])
            .verbs(&["get", "list"])),
        r(def::<core::ConfigMap, _>(NoRules).short(&["cm"])),
        r(def::<core::Endpoints, _>(NoRules)
            .short(&["ep"])
            .create_on_update()),
        r(def::<core::Event, _>(EventFields)
            .short(&["ev"])
            .create_on_update()),
        r(def::<core::LimitRange, _>(NoRules).short(&["limits"])),
        r(def::<core::Namespace, _>(NamespaceFields)
            .short(&["ns"])
            .names(NameRule::Label)
            .verbs(&[
                "create", "delete", "get", "list", "patch", "update", "watch",
            ])
            .status()
            .sub("finalize", &["update"])
            .returns_deleted()),
        r(def::<core::Node, _>(NodeFields)
            .short(&["no"])
            .status()
            .sub_kind("proxy", ("", "v1", "NodeProxyOptions"), PROXY_VERBS)),
        r(def::<core::PersistentVolumeClaim, _>(PvcFields)
            .short(&["pvc"])
            .status()),
        r(def::<core::PersistentVolume, _>(PvFields)
            .short(&["pv"])
            .status()),
        r(def::<core::Pod, _>(PodFields)
            .short(&["po"])
            .all()
            .status()
            .generation()
            .sub_kind("attach", ("", "v1", "PodAttachOptions"), CONNECT_VERBS)
            .sub_kind("binding", ("", "v1", "Binding"), &["create"])
            .sub("ephemeralcontainers", STATUS_VERBS)
            .sub_kind("eviction", ("policy", "v1", "Eviction"), &["create"])
            .sub_kind("exec", ("", "v1", "PodExecOptions"), CONNECT_VERBS)
            .sub_kind("log", ("", "v1", "Pod"), &["get"])
            .sub_kind(
                "portforward",
                ("", "v1", "PodPortForwardOptions"),
                CONNECT_VERBS,
            )
            .sub_kind("proxy", ("", "v1", "PodProxyOptions"), PROXY_VERBS)
            .sub("resize", STATUS_VERBS)
            .returns_deleted()),
        r(def::<core::PodTemplate, _>(NoRules)),
        r(
            def::<core::ReplicationController, _>(ReplicationControllerFields)
                .short(&["rc"])
                .all()
                .status()
                .scale()
                .generation(),
        ),
        r(def::<core::ResourceQuota, _>(NoRules)
            .short(&["quota"])
            .status()),
        r(def::<core::Secret, _>(SecretFields)),
        r(def::<core::ServiceAccount, _>(NoRules)
            .short(&["sa"])
            .sub_kind(
                "token",
                ("authentication.k8s.io", "v1", "TokenRequest"),
                &["create"],
            )),
        r(def::<core::Service, _>(NoRules)
            .short(&["svc"])
            .names(NameRule::Dns1035Label)
            .all()
            .status()
            .sub_kind("proxy", ("", "v1", "ServiceProxyOptions"), PROXY_VERBS)
            .returns_deleted()),
        // apps/v1
        r(def::<apps::ControllerRevision, _>(NoRules)),
        r(def::<apps::DaemonSet, _>(NoRules)
            .short(&["ds"])
            .all()
            .status()
            .generation()),
        r(def::<apps::Deployment, _>(NoRules)
            .short(&["deploy"])
            .all()
            .status()
            .scale()
            .generation()),
        r(def::<apps::ReplicaSet, _>(ReplicaSetFields)
            .short(&["rs"])
            .all()
            .status()
            .scale()
            .generation()),
        r(def::<apps::StatefulSet, _>(NoRules)
            .short(&["sts"])
            .all()
            .status()
            .scale()
            .generation()),
        // batch/v1
        r(def::<batch::CronJob, _>(NoRules)
            .short(&["cj"])
            .all()
            .status()
            .generation()),
        r(def::<batch::Job, _>(JobFields).all().status().generation()),
        // autoscaling: v2 is the storage version; v1 is converted.
        r(def::<autoscaling_v2::HorizontalPodAutoscaler, _>(NoRules)
            .short(&["hpa"])
            .all()
            .status()),
        r(def::<autoscaling_v1::HorizontalPodAutoscaler, _>(NoRules)
            .short(&["hpa"])
            .all()
            .status()
            .stored_as("autoscaling", "horizontalpodautoscalers", "v2")),
        // coordination, discovery, events
        r(def::<coordination::Lease, _>(NoRules).create_on_update()),
        r(def::<discovery::EndpointSlice, _>(NoRules)),
        r(def::<events::Event, _>(EventsV1Fields)
            .short(&["ev"])
            .create_on_update()
            .stored_as("", "events", "v1")),
        // networking
        r(def::<networking::IngressClass, _>(NoRules)),
        r(def::<networking::Ingress, _>(NoRules)
            .short(&["ing"])
            .status()
            .generation()),
        r(def::<networking::NetworkPolicy, _>(NoRules)
            .short(&["netpol"])
            .generation()),
        r(def::<networking::IPAddress, _>(NoRules).short(&["ip"])),
        r(def::<networking::ServiceCIDR, _>(NoRules).status()),
        // node, policy, rbac, scheduling
        r(def::<node::RuntimeClass, _>(NoRules)),
        r(def::<policy::PodDisruptionBudget, _>(NoRules)
            .short(&["pdb"])
            .status()
            .generation()),
        r(def::<rbac::ClusterRoleBinding, _>(NoRules).names(NameRule::PathSegment)),
        r(def::<rbac::ClusterRole, _>(NoRules).names(NameRule::PathSegment)),
        r(def::<rbac::RoleBinding, _>(NoRules).names(NameRule::PathSegment)),
        r(def::<rbac::Role, _>(NoRules).names(NameRule::PathSegment)),
        r(def::<scheduling::PriorityClass, _>(NoRules).short(&["pc"])),
        // storage
        r(def::<storage::CSIDriver, _>(NoRules)),
        r(def::<storage::CSINode, _>(NoRules)),
        r(def::<storage::CSIStorageCapacity, _>(NoRules)),
        r(def::<storage::StorageClass, _>(NoRules).short(&["sc"])),
        r(def::<storage::VolumeAttachment, _>(NoRules).status()),
        // apiextensions
        r(def::<apiextensions::CustomResourceDefinition, _>(NoRules)
            .short(&["crd", "crds"])
            .status()
            .generation()),
    ]
}
