//! networking.k8s.io/v1 resources (upstream pkg/apis/networking and pkg/registry/networking).

mod addresses;
mod ingress;
mod network_policy;

use k8s_openapi::api::networking::v1 as networking;

use super::{Def, def};
use crate::resource::{NameRule, ResourceInfo};

pub(super) fn resources() -> Vec<ResourceInfo> {
    [
        def::<networking::IngressClass, _>(ingress::IngressClassStrategy),
        def::<networking::Ingress, _>(ingress::IngressStrategy)
            .short(&["ing"])
            .status()
            .generation(),
        def::<networking::NetworkPolicy, _>(network_policy::NetworkPolicyStrategy)
            .short(&["netpol"])
            .generation(),
        def::<networking::IPAddress, _>(addresses::IpAddressStrategy)
            .short(&["ip"])
            .names(NameRule::IpAddress),
        def::<networking::ServiceCIDR, _>(addresses::ServiceCidrStrategy).status(),
    ]
    .into_iter()
    .map(Def::build)
    .collect()
}
