use k8s_openapi::api::core::v1::{
    NodeSelector, NodeSelectorRequirement, NodeSelectorTerm, PersistentVolume,
    PersistentVolumeClaim, PersistentVolumeClaimSpec, PersistentVolumeSpec, VolumeNodeAffinity,
    VolumeResourceRequirements,
};
use k8s_openapi::api::storage::v1::StorageClass;
use k8s_openapi::apimachinery::pkg::api::resource::Quantity;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;

use super::*;
use crate::plugins::PluginName;
use crate::synth::{NodeBuilder, PodBuilder};
use crate::testutil::{Env, profile_with};

fn nodes() -> Vec<k8s_openapi::api::core::v1::Node> {
    vec![
        NodeBuilder::new("n1")
            .label("topology.kubernetes.io/zone", "a")
            .build(),
        NodeBuilder::new("n2")
            .label("topology.kubernetes.io/zone", "b")
            .build(),
    ]
}

fn pvc(name: &str, class: &str, volume: &str, modes: &[&str]) -> PersistentVolumeClaim {
    PersistentVolumeClaim {
        metadata: ObjectMeta {
            namespace: Some("d".into()),
            name: Some(name.into()),
            ..Default::default()
        },
        spec: Some(PersistentVolumeClaimSpec {
            storage_class_name: Some(class.into()),
            volume_name: (!volume.is_empty()).then(|| volume.into()),
            access_modes: Some(modes.iter().map(|m| m.to_string()).collect()),
            resources: Some(VolumeResourceRequirements {
                requests: Some([("storage".to_string(), Quantity("1Gi".into()))].into()),
                ..Default::default()
            }),
            ..Default::default()
        }),
        ..Default::default()
    }
}

fn pv(name: &str, class: &str, zone: Option<&str>) -> PersistentVolume {
    PersistentVolume {
        metadata: ObjectMeta {
            name: Some(name.into()),
            ..Default::default()
        },
        spec: Some(PersistentVolumeSpec {
            storage_class_name: Some(class.into()),
            access_modes: Some(vec!["ReadWriteOnce".into()]),
            capacity: Some([("storage".to_string(), Quantity("5Gi".into()))].into()),
            node_affinity: zone.map(|z| VolumeNodeAffinity {
                required: Some(NodeSelector {
                    node_selector_terms: vec![NodeSelectorTerm {
                        match_expressions: Some(vec![NodeSelectorRequirement {
                            key: "topology.kubernetes.io/zone".into(),
                            operator: "In".into(),
                            values: Some(vec![z.into()]),
                        }]),
                        match_fields: None,
                    }],
                }),
            }),
            ..Default::default()
        }),
        ..Default::default()
    }
}

fn class(name: &str, mode: &str, provisioner: &str) -> StorageClass {
    StorageClass {
        metadata: ObjectMeta {
            name: Some(name.into()),
            ..Default::default()
        },
        provisioner: provisioner.into(),
        volume_binding_mode: Some(mode.into()),
        ..Default::default()
    }
}

fn env(plugins: &[PluginName]) -> Env {
    Env::new(nodes(), vec![]).with_profile(profile_with(plugins, None))
}

#[test]
fn unbound_immediate_claims_fail_prefilter() {
    let mut e = env(&[PluginName::VolumeBinding]);
    e.cache
        .objects
        .upsert_storage_class(class("fast", "Immediate", "csi.example.com"));
    e.cache
        .objects
        .upsert_pvc(pvc("data", "fast", "", &["ReadWriteOnce"]));
    let pod = PodBuilder::new("d", "p").pvc("data").build();
    assert_eq!(e.reasons(pod, "n1"), vec![ERR_UNBOUND_IMMEDIATE_PVC]);
}

#[test]
fn missing_claims_are_reported() {
    let mut e = env(&[PluginName::VolumeBinding]);
    let pod = PodBuilder::new("d", "p").pvc("nope").build();
    assert_eq!(
        e.reasons(pod, "n1"),
        vec!["persistentvolumeclaim \"nope\" not found"]
    );
}

#[test]
fn bound_volumes_pin_nodes_by_pv_affinity() {
    let mut e = env(&[PluginName::VolumeBinding]);
    e.cache
        .objects
        .upsert_pvc(pvc("data", "", "pv-a", &["ReadWriteOnce"]));
    e.cache.objects.upsert_pv(pv("pv-a", "", Some("a")));
    let pod = PodBuilder::new("d", "p").pvc("data").build();
    assert_eq!(e.feasible(pod.clone()), vec!["n1"]);
    assert_eq!(e.reasons(pod, "n2"), vec![ERR_REASON_NODE_CONFLICT]);
    e.cache.objects.remove_pv("pv-a");
    let pod = PodBuilder::new("d", "p").pvc("data").build();
    assert_eq!(e.reasons(pod, "n1"), vec![ERR_REASON_PV_NOT_EXIST]);
}

#[test]
fn wait_for_first_consumer_claims_bind_or_provision() {
    let mut e = env(&[PluginName::VolumeBinding]);
    e.cache
        .objects
        .upsert_storage_class(class("local", "WaitForFirstConsumer", NO_PROVISIONER));
    e.cache
        .objects
        .upsert_pvc(pvc("data", "local", "", &["ReadWriteOnce"]));
    e.cache.objects.upsert_pv(pv("local-a", "local", Some("a")));
    let pod = PodBuilder::new("d", "p").pvc("data").build();
    assert_eq!(e.feasible(pod.clone()), vec!["n1"]);
    assert_eq!(e.reasons(pod, "n2"), vec![ERR_REASON_BIND_CONFLICT]);
    // A provisioner can create volumes anywhere.
    e.cache
        .objects
        .upsert_storage_class(class("local", "WaitForFirstConsumer", "csi.example.com"));
    let pod = PodBuilder::new("d", "p").pvc("data").build();
    assert_eq!(e.feasible(pod.clone()), vec!["n1", "n2"]);
    let state = BindingState {
        bound: vec![],
        delayed: vec![e.cache.objects.pvc("d", "data").unwrap().clone()],
    };
    let n2 = e.cache.node_by_name("n2").unwrap();
    let plan = plan_volumes(&e.cache, &state, n2).unwrap();
    assert_eq!(plan.provision, vec!["d/data".to_string()]);
    let n1 = e.cache.node_by_name("n1").unwrap();
    let plan = plan_volumes(&e.cache, &state, n1).unwrap();
    assert_eq!(
        plan.bind,
        vec![("local-a".to_string(), "d/data".to_string())]
    );
}

#[test]
fn read_write_once_pod_claims_conflict() {
    let mut e = Env::new(
        nodes(),
        vec![PodBuilder::new("d", "user").pvc("data").node("n1").build()],
    )
    .with_profile(profile_with(&[PluginName::VolumeRestrictions], None));
    e.cache
        .objects
        .upsert_pvc(pvc("data", "", "pv", &["ReadWriteOncePod"]));
    let pod = PodBuilder::new("d", "p").pvc("data").build();
    let r = e.filter(pod);
    let s = r[0].1.clone().unwrap_err();
    assert_eq!(s.code, Code::Unschedulable);
    assert_eq!(s.message(), ERR_REASON_RWOP_CONFLICT);
    e.cache
        .objects
        .upsert_pvc(pvc("data", "", "pv", &["ReadWriteOnce"]));
    assert_eq!(
        e.feasible(PodBuilder::new("d", "p").pvc("data").build())
            .len(),
        2
    );
}

#[test]
fn volume_zone_labels_restrict_nodes() {
    let mut e = env(&[PluginName::VolumeZone]);
    e.cache
        .objects
        .upsert_pvc(pvc("data", "", "pv-a", &["ReadWriteOnce"]));
    let mut volume = pv("pv-a", "", None);
    volume.metadata.labels = Some(
        [(
            "topology.kubernetes.io/zone".to_string(),
            "a__c".to_string(),
        )]
        .into(),
    );
    e.cache.objects.upsert_pv(volume);
    let pod = PodBuilder::new("d", "p").pvc("data").build();
    assert_eq!(e.feasible(pod.clone()), vec!["n1"]);
    assert_eq!(e.reasons(pod, "n2"), vec![ERR_REASON_ZONE_CONFLICT]);
}
