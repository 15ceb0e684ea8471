//! apps/v1 resources.

use k8s_openapi::api::apps::v1 as apps;

use super::fields::*;
use super::{Def, def};
use crate::resource::ResourceInfo;
use crate::strategy::NoRules;

pub(super) fn resources() -> Vec<ResourceInfo> {
    [
        def::<apps::ControllerRevision, _>(NoRules),
        def::<apps::DaemonSet, _>(NoRules).short(&["ds"]).all().status().generation(),
        def::<apps::Deployment, _>(NoRules)
            .short(&["deploy"])
            .all()
            .status()
            .scale()
            .generation(),
        def::<apps::ReplicaSet, _>(ReplicaSetFields)
            .short(&["rs"])
            .all()
            .status()
            .scale()
            .generation(),
        def::<apps::StatefulSet, _>(NoRules)
            .short(&["sts"])
            .all()
            .status()
            .scale()
            .generation(),
    ]
    .into_iter()
    .map(Def::build)
    .collect()
}
