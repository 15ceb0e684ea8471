//! The built-in tables checked against k8s-openapi's real schemars output.

use std::collections::BTreeSet;

use capstan_patch::builtin::{
    LIST_METADATA, LIST_TYPE_EXTENSION, MAP_METADATA, PATCH_METADATA, STRUCT_MAP_METADATA,
    annotate_definitions,
};
use capstan_patch::{OpenApiPatchSchema, PatchMeta, PatchSchema};
use k8s_openapi::api::{
    apps, autoscaling, batch, coordination, core, discovery, events, networking, node, policy,
    rbac, scheduling, storage,
};
use k8s_openapi::apiextensions_apiserver::pkg::apis::apiextensions;
use k8s_openapi::apimachinery::pkg::apis::meta;
use schemars::JsonSchema;
use schemars::generate::{SchemaGenerator, SchemaSettings};
use serde_json::{Map, Value};

fn add<T: JsonSchema>(generator: &mut SchemaGenerator) {
    generator.subschema_for::<T>();
}

/// Definitions of every top-level type of the covered groups, annotated.
fn all_definitions() -> Map<String, Value> {
    let mut g = SchemaSettings::draft07().into_generator();
    add::<core::v1::Pod>(&mut g);
    add::<core::v1::Service>(&mut g);
    add::<core::v1::Node>(&mut g);
    add::<core::v1::Namespace>(&mut g);
    add::<core::v1::ServiceAccount>(&mut g);
    add::<core::v1::PersistentVolume>(&mut g);
    add::<core::v1::PersistentVolumeClaim>(&mut g);
    add::<core::v1::ReplicationController>(&mut g);
    add::<core::v1::ComponentStatus>(&mut g);
    add::<core::v1::Endpoints>(&mut g);
    add::<core::v1::LimitRange>(&mut g);
    add::<core::v1::ResourceQuota>(&mut g);
    add::<core::v1::Event>(&mut g);
    add::<core::v1::Binding>(&mut g);
    add::<core::v1::PodTemplate>(&mut g);
    add::<core::v1::EphemeralContainer>(&mut g);
    add::<apps::v1::Deployment>(&mut g);
    add::<apps::v1::DaemonSet>(&mut g);
    add::<apps::v1::StatefulSet>(&mut g);
    add::<apps::v1::ReplicaSet>(&mut g);
    add::<apps::v1::ControllerRevision>(&mut g);
    add::<batch::v1::Job>(&mut g);
    add::<batch::v1::CronJob>(&mut g);
    add::<autoscaling::v1::HorizontalPodAutoscaler>(&mut g);
    add::<autoscaling::v1::Scale>(&mut g);
    add::<autoscaling::v2::HorizontalPodAutoscaler>(&mut g);
    add::<coordination::v1::Lease>(&mut g);
    add::<discovery::v1::EndpointSlice>(&mut g);
    add::<events::v1::Event>(&mut g);
    add::<networking::v1::Ingress>(&mut g);
    add::<networking::v1::IngressClass>(&mut g);
    add::<networking::v1::NetworkPolicy>(&mut g);
    add::<networking::v1::ServiceCIDR>(&mut g);
    add::<networking::v1::IPAddress>(&mut g);
    add::<node::v1::RuntimeClass>(&mut g);
    add::<policy::v1::PodDisruptionBudget>(&mut g);
    add::<policy::v1::Eviction>(&mut g);
    add::<rbac::v1::Role>(&mut g);
    add::<rbac::v1::ClusterRole>(&mut g);
    add::<rbac::v1::RoleBinding>(&mut g);
    add::<rbac::v1::ClusterRoleBinding>(&mut g);
    add::<scheduling::v1::PriorityClass>(&mut g);
    add::<storage::v1::StorageClass>(&mut g);
    add::<storage::v1::CSINode>(&mut g);
    add::<storage::v1::CSIDriver>(&mut g);
    add::<storage::v1::CSIStorageCapacity>(&mut g);
    add::<storage::v1::VolumeAttachment>(&mut g);
    add::<apiextensions::v1::CustomResourceDefinition>(&mut g);
    add::<meta::v1::APIGroupList>(&mut g);
    add::<meta::v1::APIResourceList>(&mut g);
    add::<meta::v1::APIVersions>(&mut g);
    add::<meta::v1::Status>(&mut g);
    add::<meta::v1::Condition>(&mut g);
    add::<meta::v1::FieldSelectorRequirement>(&mut g);
    add::<meta::v1::Patch>(&mut g);
    let mut defs = g.take_definitions(true);
    annotate_definitions(&mut defs);
    defs
}

fn property<'d>(defs: &'d Map<String, Value>, definition: &str, field: &str) -> Option<&'d Value> {
    defs.get(definition)?.get("properties")?.get(field)
}

#[test]
fn every_table_entry_names_a_real_definition_and_property() {
    let defs = all_definitions();
    let mut definitions = BTreeSet::new();
    let entries = PATCH_METADATA
        .iter()
        .map(|m| (m.definition, m.field))
        .chain(LIST_METADATA.iter().map(|m| (m.definition, m.field)))
        .chain(MAP_METADATA.iter().map(|m| (m.definition, m.field)));
    for (definition, field) in entries {
        assert!(
            property(&defs, definition, field).is_some(),
            "{definition}.{field} missing from k8s-openapi"
        );
        definitions.insert(definition);
    }
    for meta in STRUCT_MAP_METADATA {
        assert!(
            defs.contains_key(meta.definition),
            "{} missing",
            meta.definition
        );
    }
    assert!(
        definitions.len() > 100,
        "only {} definitions covered",
        definitions.len()
    );
}

#[test]
fn annotation_lands_on_properties() {
    let defs = all_definitions();
    for meta in PATCH_METADATA {
        let property = property(&defs, meta.definition, meta.field).expect("property");
        assert_eq!(property["x-kubernetes-patch-strategy"], meta.strategy);
        assert_eq!(
            property
                .get("x-kubernetes-patch-merge-key")
                .and_then(Value::as_str),
            meta.merge_key
        );
    }
    for meta in LIST_METADATA {
        let property = property(&defs, meta.definition, meta.field).expect("property");
        assert_eq!(property[LIST_TYPE_EXTENSION], meta.list_type);
    }
}

#[test]
fn schema_walk_reaches_nested_merge_lists() {
    let defs = all_definitions();
    let pod = OpenApiPatchSchema::new(&defs, "io.k8s.api.core.v1.Pod");
    let (metadata, _) = pod.lookup_struct_field("metadata");
    let (_, owners) = metadata.lookup_list_field("ownerReferences");
    assert_eq!(owners, PatchMeta::new("merge", "uid"));
    let (spec, _) = pod.lookup_struct_field("spec");
    let (container, containers) = spec.lookup_list_field("containers");
    assert_eq!(containers, PatchMeta::new("merge", "name"));
    let (_, env) = container.lookup_list_field("env");
    assert_eq!(env, PatchMeta::new("merge", "name"));
    let (_, ports) = container.lookup_list_field("ports");
    assert_eq!(ports, PatchMeta::new("merge", "containerPort"));
    let (_, volumes) = spec.lookup_list_field("volumes");
    assert_eq!(volumes.strategies, vec!["merge", "retainKeys"]);

    let deployment = OpenApiPatchSchema::new(&defs, "io.k8s.api.apps.v1.Deployment");
    let (spec, _) = deployment.lookup_struct_field("spec");
    let (_, strategy) = spec.lookup_struct_field("strategy");
    assert_eq!(strategy.strategies, vec!["retainKeys"]);
    let (template, _) = spec.lookup_struct_field("template");
    let (pod_spec, _) = template.lookup_struct_field("spec");
    let (_, init) = pod_spec.lookup_list_field("initContainers");
    assert_eq!(init, PatchMeta::new("merge", "name"));

    let service = OpenApiPatchSchema::new(&defs, "io.k8s.api.core.v1.Service");
    let (spec, _) = service.lookup_struct_field("spec");
    let (_, ports) = spec.lookup_list_field("ports");
    assert_eq!(ports, PatchMeta::new("merge", "port"));
    let (_, selector) = spec.lookup_struct_field("selector");
    assert_eq!(selector, PatchMeta::default());
}
