//! The built-in types whose schemas are generated, group by group.

use k8s_openapi::api::{
    apps, authentication, authorization, autoscaling, batch, coordination, core, discovery, events,
    networking, node, policy, rbac, scheduling, storage,
};
use k8s_openapi::apiextensions_apiserver::pkg::apis::apiextensions;
use k8s_openapi::apimachinery::pkg::apis::meta;
use k8s_openapi::{ListableResource, Resource};
use schemars::{JsonSchema, SchemaGenerator};

use crate::definitions::GroupVersionKind;

/// The group versions whose types are built in, core first.
pub const BUILTIN_GROUP_VERSIONS: &[(&str, &str)] = &[
    ("", "v1"),
    ("apiextensions.k8s.io", "v1"),
    ("apps", "v1"),
    ("authentication.k8s.io", "v1"),
    ("authorization.k8s.io", "v1"),
    ("autoscaling", "v1"),
    ("autoscaling", "v2"),
    ("batch", "v1"),
    ("coordination.k8s.io", "v1"),
    ("discovery.k8s.io", "v1"),
    ("events.k8s.io", "v1"),
    ("networking.k8s.io", "v1"),
    ("node.k8s.io", "v1"),
    ("policy", "v1"),
    ("rbac.authorization.k8s.io", "v1"),
    ("scheduling.k8s.io", "v1"),
    ("storage.k8s.io", "v1"),
];

/// What registering the types produced, besides the generator's definitions.
#[derive(Default)]
pub(super) struct Catalog {
    /// Definition name and the kind it is the schema of.
    pub kinds: Vec<(String, GroupVersionKind)>,
    /// Item definition name and the kind of its list (e.g. `DeploymentList`).
    pub lists: Vec<(String, GroupVersionKind)>,
}

impl Catalog {
    fn kind<T: JsonSchema + Resource>(&mut self, generator: &mut SchemaGenerator) {
        generator.subschema_for::<T>();
        self.kinds.push((
            T::schema_name().into_owned(),
            GroupVersionKind::new(T::GROUP, T::VERSION, T::KIND),
        ));
    }

    fn listable<T: JsonSchema + ListableResource>(&mut self, generator: &mut SchemaGenerator) {
        self.kind::<T>(generator);
        self.lists.push((
            T::schema_name().into_owned(),
            GroupVersionKind::new(T::GROUP, T::VERSION, T::LIST_KIND),
        ));
    }
}

macro_rules! register {
    ($catalog:ident, $generator:ident; kinds: $($kind:ty),* ; lists: $($list:ty),* $(,)?) => {
        $( $catalog.kind::<$kind>($generator); )*
        $( $catalog.listable::<$list>($generator); )*
    };
}

/// Registers every built-in type with `generator` (which collects their
/// definitions and everything they reference).
pub(super) fn register_all(generator: &mut SchemaGenerator) -> Catalog {
    let mut catalog = Catalog::default();
    let c = &mut catalog;
    let g = generator;
    register!(c, g;
        kinds: core::v1::Binding;
        lists: core::v1::ComponentStatus, core::v1::ConfigMap, core::v1::Endpoints,
            core::v1::Event, core::v1::LimitRange, core::v1::Namespace, core::v1::Node,
            core::v1::PersistentVolume, core::v1::PersistentVolumeClaim, core::v1::Pod,
            core::v1::PodTemplate, core::v1::ReplicationController, core::v1::ResourceQuota,
            core::v1::Secret, core::v1::Service, core::v1::ServiceAccount);
    register!(c, g;
        kinds: ;
        lists: apps::v1::ControllerRevision, apps::v1::DaemonSet, apps::v1::Deployment,
            apps::v1::ReplicaSet, apps::v1::StatefulSet, batch::v1::CronJob, batch::v1::Job);
    register!(c, g;
        kinds: autoscaling::v1::Scale, policy::v1::Eviction;
        lists: autoscaling::v1::HorizontalPodAutoscaler, autoscaling::v2::HorizontalPodAutoscaler,
            coordination::v1::Lease, discovery::v1::EndpointSlice, events::v1::Event,
            node::v1::RuntimeClass, policy::v1::PodDisruptionBudget,
            scheduling::v1::PriorityClass);
    register!(c, g;
        kinds: ;
        lists: networking::v1::Ingress, networking::v1::IngressClass, networking::v1::IPAddress,
            networking::v1::NetworkPolicy, networking::v1::ServiceCIDR,
            rbac::v1::ClusterRole, rbac::v1::ClusterRoleBinding, rbac::v1::Role,
            rbac::v1::RoleBinding);
    register!(c, g;
        kinds: ;
        lists: storage::v1::CSIDriver, storage::v1::CSINode, storage::v1::CSIStorageCapacity,
            storage::v1::StorageClass, storage::v1::VolumeAttachment,
            apiextensions::v1::CustomResourceDefinition);
    register!(c, g;
        kinds: authentication::v1::SelfSubjectReview, authentication::v1::TokenRequest,
            authentication::v1::TokenReview, authorization::v1::LocalSubjectAccessReview,
            authorization::v1::SelfSubjectAccessReview, authorization::v1::SelfSubjectRulesReview,
            authorization::v1::SubjectAccessReview;
        lists: );
    register!(c, g;
        kinds: meta::v1::APIGroup, meta::v1::APIGroupList, meta::v1::APIResourceList,
            meta::v1::APIVersions, meta::v1::Status;
        lists: );
    // Kinds of every group version, and types only operations refer to.
    g.subschema_for::<meta::v1::DeleteOptions>();
    g.subschema_for::<meta::v1::WatchEvent<core::v1::Pod>>();
    g.subschema_for::<meta::v1::Patch>();
    g.subschema_for::<meta::v1::ListMeta>();
    catalog
}
