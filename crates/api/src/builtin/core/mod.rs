//! core/v1 resources.

pub mod pod;

use k8s_openapi::api::core::v1 as core;

use super::fields::*;
use super::{CONNECT_VERBS, Def, PROXY_VERBS, STATUS_VERBS, def};
use crate::resource::{NameRule, ResourceInfo};
use crate::strategy::NoRules;

pub(super) fn resources() -> Vec<ResourceInfo> {
    [
        def::<core::Binding, _>(NoRules).verbs(&["create"]),
        def::<core::ComponentStatus, _>(NoRules)
            .short(&["cs"])
            .verbs(&["get", "list"]),
        def::<core::ConfigMap, _>(NoRules).short(&["cm"]),
        def::<core::Endpoints, _>(NoRules)
            .short(&["ep"])
            .create_on_update(),
        def::<core::Event, _>(EventFields)
            .short(&["ev"])
            .create_on_update(),
        def::<core::LimitRange, _>(NoRules).short(&["limits"]),
        def::<core::Namespace, _>(NamespaceFields)
            .short(&["ns"])
            .names(NameRule::Label)
            .verbs(&["create", "delete", "get", "list", "patch", "update", "watch"])
            .status()
            .sub("finalize", &["update"])
            .returns_deleted(),
        def::<core::Node, _>(NodeFields)
            .short(&["no"])
            .status()
            .sub_kind("proxy", ("", "v1", "NodeProxyOptions"), PROXY_VERBS),
        def::<core::PersistentVolumeClaim, _>(PvcFields)
            .short(&["pvc"])
            .status(),
        def::<core::PersistentVolume, _>(PvFields)
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
            .sub_kind("portforward", ("", "v1", "PodPortForwardOptions"), CONNECT_VERBS)
            .sub_kind("proxy", ("", "v1", "PodProxyOptions"), PROXY_VERBS)
            .sub("resize", STATUS_VERBS)
            .returns_deleted(),
        def::<core::PodTemplate, _>(NoRules),
        def::<core::ReplicationController, _>(ReplicationControllerFields)
            .short(&["rc"])
            .all()
            .status()
            .scale()
            .generation(),
        def::<core::ResourceQuota, _>(NoRules)
            .short(&["quota"])
            .status(),
        def::<core::Secret, _>(SecretFields),
        def::<core::ServiceAccount, _>(NoRules)
            .short(&["sa"])
            .sub_kind("token", ("authentication.k8s.io", "v1", "TokenRequest"), &["create"]),
        def::<core::Service, _>(NoRules)
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
