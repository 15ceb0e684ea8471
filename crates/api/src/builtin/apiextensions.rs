//! apiextensions.k8s.io/v1 CustomResourceDefinitions.

use k8s_openapi::apiextensions_apiserver::pkg::apis::apiextensions::v1 as apiextensions;

use super::{Def, def};
use crate::resource::ResourceInfo;
use crate::strategy::NoRules;

pub(super) fn resources() -> Vec<ResourceInfo> {
    [def::<apiextensions::CustomResourceDefinition, _>(NoRules)
        .short(&["crd", "crds"])
        .status()
        .generation()]
    .into_iter()
    .map(Def::build)
    .collect()
}
