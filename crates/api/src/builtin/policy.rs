//! policy/v1 resources.

use k8s_openapi::api::policy::v1 as policy;

use super::{Def, def};
use crate::resource::ResourceInfo;
use crate::strategy::NoRules;

pub(super) fn resources() -> Vec<ResourceInfo> {
    [def::<policy::PodDisruptionBudget, _>(NoRules)
        .short(&["pdb"])
        .status()
        .generation()]
    .into_iter()
    .map(Def::build)
    .collect()
}
