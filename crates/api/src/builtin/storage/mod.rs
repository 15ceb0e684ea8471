//! storage.k8s.io/v1 resources (upstream pkg/apis/storage and pkg/registry/storage).

mod attachment;
mod class;
mod csi;

use k8s_openapi::api::storage::v1 as storage;

use super::{Def, def};
use crate::resource::ResourceInfo;

pub(super) fn resources() -> Vec<ResourceInfo> {
    [
        def::<storage::CSIDriver, _>(csi::CsiDriverStrategy),
        def::<storage::CSINode, _>(csi::CsiNodeStrategy),
        def::<storage::CSIStorageCapacity, _>(csi::CsiStorageCapacityStrategy),
        def::<storage::StorageClass, _>(class::StorageClassStrategy).short(&["sc"]),
        def::<storage::VolumeAttachment, _>(attachment::VolumeAttachmentStrategy).status(),
    ]
    .into_iter()
    .map(Def::build)
    .collect()
}
