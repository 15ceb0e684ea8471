//! storage.k8s.io/v1 resources.

use k8s_openapi::api::storage::v1 as storage;

use super::{Def, def};
use crate::resource::ResourceInfo;
use crate::strategy::NoRules;

pub(super) fn resources() -> Vec<ResourceInfo> {
    [
        def::<storage::CSIDriver, _>(NoRules),
        def::<storage::CSINode, _>(NoRules),
        def::<storage::CSIStorageCapacity, _>(NoRules),
        def::<storage::StorageClass, _>(NoRules).short(&["sc"]),
        def::<storage::VolumeAttachment, _>(NoRules).status(),
    ]
    .into_iter()
    .map(Def::build)
    .collect()
}
