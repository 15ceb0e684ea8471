//! Consistency of the generated schema table.

use std::collections::HashSet;

use crate::generated::{GROUP_VERSIONS, MESSAGES};
use crate::schema::{FieldType, Shape, Special, message_by_name, message_for_kind};

#[test]
fn messages_are_sorted_and_fields_ordered() {
    for pair in MESSAGES.windows(2) {
        assert!(
            pair[0].name < pair[1].name,
            "{} / {}",
            pair[0].name,
            pair[1].name
        );
    }
    for message in MESSAGES {
        for pair in message.fields.windows(2) {
            assert!(pair[0].number < pair[1].number, "{}", message.name);
        }
        let mut names = HashSet::new();
        for field in message.fields {
            if message.special == Special::None && field.shape != Shape::Inline {
                assert!(
                    names.insert(field.json_name),
                    "{}.{}",
                    message.name,
                    field.json_name
                );
            }
            if field.shape == Shape::Inline {
                let FieldType::Message(nested) = field.ty else {
                    panic!("inline scalar in {}", message.name);
                };
                assert_eq!(nested.special, Special::None, "{}", message.name);
            }
        }
        assert!(std::ptr::eq(
            message_by_name(message.name).unwrap(),
            *message
        ));
    }
}

#[test]
fn every_required_group_version_has_its_kinds() {
    let kinds = [
        ("v1", "Pod"),
        ("v1", "ConfigMap"),
        ("v1", "Binding"),
        ("apps/v1", "StatefulSet"),
        ("batch/v1", "Job"),
        ("autoscaling/v1", "Scale"),
        ("autoscaling/v2", "HorizontalPodAutoscaler"),
        ("coordination.k8s.io/v1", "Lease"),
        ("discovery.k8s.io/v1", "EndpointSlice"),
        ("events.k8s.io/v1", "Event"),
        ("networking.k8s.io/v1", "NetworkPolicy"),
        ("node.k8s.io/v1", "RuntimeClass"),
        ("policy/v1", "Eviction"),
        ("rbac.authorization.k8s.io/v1", "ClusterRoleBinding"),
        ("scheduling.k8s.io/v1", "PriorityClass"),
        ("storage.k8s.io/v1", "StorageClass"),
        ("certificates.k8s.io/v1", "CertificateSigningRequest"),
        ("authentication.k8s.io/v1", "TokenReview"),
        ("authentication.k8s.io/v1beta1", "SelfSubjectReview"),
        ("authentication.k8s.io/v1alpha1", "SelfSubjectReview"),
        ("authorization.k8s.io/v1", "SelfSubjectRulesReview"),
        ("apiextensions.k8s.io/v1", "CustomResourceDefinition"),
        (
            "admissionregistration.k8s.io/v1",
            "ValidatingWebhookConfiguration",
        ),
        ("flowcontrol.apiserver.k8s.io/v1", "FlowSchema"),
        ("meta.k8s.io/v1", "Status"),
        ("v1", "CreateOptions"),
        ("apps/v1", "PatchOptions"),
    ];
    for (api_version, kind) in kinds {
        assert!(
            message_for_kind(api_version, kind).is_some(),
            "{api_version} {kind}"
        );
    }
    assert!(message_for_kind("v2", "Pod").is_none());
    assert!(message_for_kind("v1", "").is_none());
    assert!(message_for_kind("v1", "k8s.io.api.core.v1.Pod").is_none());
    assert_eq!(GROUP_VERSIONS.len(), 23);
}

#[test]
fn special_messages_are_marked() {
    let cases = [
        ("k8s.io.apimachinery.pkg.apis.meta.v1.Time", Special::Time),
        (
            "k8s.io.apimachinery.pkg.apis.meta.v1.MicroTime",
            Special::MicroTime,
        ),
        (
            "k8s.io.apimachinery.pkg.apis.meta.v1.Verbs",
            Special::ItemsList,
        ),
        (
            "k8s.io.api.authentication.v1.ExtraValue",
            Special::ItemsList,
        ),
        (
            "k8s.io.apimachinery.pkg.runtime.RawExtension",
            Special::RawJson,
        ),
        (
            "k8s.io.apimachinery.pkg.util.intstr.IntOrString",
            Special::IntOrString,
        ),
        (
            "k8s.io.apimachinery.pkg.api.resource.Quantity",
            Special::Quantity,
        ),
        (
            "k8s.io.apiextensions_apiserver.pkg.apis.apiextensions.v1.JSONSchemaPropsOrBool",
            Special::SchemaOrBool,
        ),
        ("k8s.io.api.core.v1.PodSpec", Special::None),
    ];
    for (name, special) in cases {
        assert_eq!(message_by_name(name).unwrap().special, special, "{name}");
    }
}
