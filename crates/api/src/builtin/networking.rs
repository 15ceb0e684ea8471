//! networking.k8s.io/v1 resources.

use k8s_openapi::api::networking::v1 as networking;

use super::{Def, def};
use crate::resource::ResourceInfo;
use crate::strategy::NoRules;

pub(super) fn resources() -> Vec<ResourceInfo> {
    [
        def::<networking::IngressClass, _>(NoRules),
        def::<networking::Ingress, _>(NoRules).short(&["ing"]).status().generation(),
        def::<networking::NetworkPolicy, _>(NoRules).short(&["netpol"]).generation(),
        def::<networking::IPAddress, _>(NoRules).short(&["ip"]),
        def::<networking::ServiceCIDR, _>(NoRules).status(),
    ]
    .into_iter()
    .map(Def::build)
    .collect()
}
