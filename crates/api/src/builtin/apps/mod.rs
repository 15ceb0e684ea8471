//! apps/v1 resources (upstream pkg/apis/apps and pkg/registry/apps).

mod controller_revision;
mod daemon_set;
mod deployment;
mod replica_set;
pub(crate) mod shared;
mod stateful_set;
pub(crate) mod template;

use k8s_openapi::api::apps::v1 as apps;

use super::{Def, def};
use crate::resource::{NameRule, ResourceInfo};

pub(super) fn resources() -> Vec<ResourceInfo> {
    [
        def::<apps::ControllerRevision, _>(controller_revision::ControllerRevisionStrategy),
        def::<apps::DaemonSet, _>(daemon_set::DaemonSetStrategy)
            .short(&["ds"])
            .all()
            .status()
            .generation(),
        def::<apps::Deployment, _>(deployment::DeploymentStrategy)
            .short(&["deploy"])
            .all()
            .status()
            .scale()
            .generation(),
        def::<apps::ReplicaSet, _>(replica_set::ReplicaSetStrategy)
            .short(&["rs"])
            .all()
            .status()
            .scale()
            .generation(),
        // StatefulSet names become pod host names: a DNS label (upstream ValidateStatefulSetName).
        def::<apps::StatefulSet, _>(stateful_set::StatefulSetStrategy)
            .short(&["sts"])
            .all()
            .status()
            .scale()
            .generation()
            .names(NameRule::Label),
    ]
    .into_iter()
    .map(Def::build)
    .collect()
}

#[cfg(test)]
pub(crate) mod testing;
