//! core/v1 resources: the table of what kube-apiserver v1.33 serves in the legacy group, and
//! the strategies (defaults, validation, update rules) of each.

pub mod common;
pub mod config;
pub mod container;
pub mod controllers;
mod diff;
pub mod endpoints;
pub mod env;
pub mod handlers;
mod legacy_volumes;
pub mod misc;
pub mod namespace;
pub mod node;
pub mod pod;
mod pod_containers;
pub mod pod_subresources;
mod pod_update;
mod pod_warnings;
pub mod podspec;
pub mod pv;
pub mod pvc;
pub mod quota;
pub mod resources;
pub mod scheduling;
mod security;
pub mod service;
mod service_spec;
mod service_status;
#[cfg(test)]
mod testutil;
mod volume_files;
pub mod volumes;

use k8s_openapi::api::core::v1 as core;

use super::{CONNECT_VERBS, Def, PROXY_VERBS, STATUS_VERBS, def};
use crate::resource::{NameRule, ResourceInfo};
use crate::strategy::NoRules;

pub(super) fn resources() -> Vec<ResourceInfo> {
    [
        def::<core::Binding, _>(misc::BindingStrategy).verbs(&["create"]),
        def::<core::ComponentStatus, _>(NoRules)
            .short(&["cs"])
            .verbs(&["get", "list"]),
        def::<core::ConfigMap, _>(config::ConfigMapStrategy).short(&["cm"]),
        def::<core::Endpoints, _>(endpoints::EndpointsStrategy)
            .short(&["ep"])
            .create_on_update(),
        def::<core::Event, _>(misc::EventStrategy)
            .short(&["ev"])
            .create_on_update(),
        def::<core::LimitRange, _>(quota::LimitRangeStrategy).short(&["limits"]),
        def::<core::Namespace, _>(namespace::NamespaceStrategy)
            .short(&["ns"])
            .names(NameRule::Label)
            .verbs(&[
                "create", "delete", "get", "list", "patch", "update", "watch",
            ])
            .status()
            .sub("finalize", &["update"])
            .returns_deleted(),
        def::<core::Node, _>(node::NodeStrategy)
            .short(&["no"])
            .status()
            .status_on_create()
            .sub_kind("proxy", ("", "v1", "NodeProxyOptions"), PROXY_VERBS),
        def::<core::PersistentVolumeClaim, _>(pvc::PersistentVolumeClaimStrategy)
            .short(&["pvc"])
            .status(),
        def::<core::PersistentVolume, _>(pv::PersistentVolumeStrategy)
            .short(&["pv"])
            .status()
            .names(NameRule::PathSegment),
        def::<core::Pod, _>(pod::PodStrategy)
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
            .returns_deleted(),
        def::<core::PodTemplate, _>(controllers::PodTemplateStrategy).generation(),
        def::<core::ReplicationController, _>(controllers::ReplicationControllerStrategy)
            .short(&["rc"])
            .all()
            .status()
            .scale()
            .generation(),
        def::<core::ResourceQuota, _>(quota::ResourceQuotaStrategy)
            .short(&["quota"])
            .status(),
        def::<core::Secret, _>(config::SecretStrategy),
        def::<core::ServiceAccount, _>(misc::ServiceAccountStrategy)
            .short(&["sa"])
            .sub_kind(
                "token",
                ("authentication.k8s.io", "v1", "TokenRequest"),
                &["create"],
            ),
        def::<core::Service, _>(service::ServiceStrategy)
            .short(&["svc"])
            .names(NameRule::Dns1035Label)
            .all()
            .status()
            .sub_kind("proxy", ("", "v1", "ServiceProxyOptions"), PROXY_VERBS)
            .returns_deleted(),
    ]
    .into_iter()
    .map(Def::build)
    .collect()
}
