//! rbac.authorization.k8s.io/v1 resources.

use k8s_openapi::api::rbac::v1 as rbac;

use super::{Def, def};
use crate::resource::{NameRule, ResourceInfo};
use crate::strategy::NoRules;

pub(super) fn resources() -> Vec<ResourceInfo> {
    [
        def::<rbac::ClusterRoleBinding, _>(NoRules).names(NameRule::PathSegment),
        def::<rbac::ClusterRole, _>(NoRules).names(NameRule::PathSegment),
        def::<rbac::RoleBinding, _>(NoRules).names(NameRule::PathSegment),
        def::<rbac::Role, _>(NoRules).names(NameRule::PathSegment),
    ]
    .into_iter()
    .map(Def::build)
    .collect()
}
