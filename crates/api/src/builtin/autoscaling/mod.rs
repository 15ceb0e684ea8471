//! autoscaling v2 (stored) and v1 (converted) HorizontalPodAutoscalers.

mod metrics;
mod v1;
mod v2;

use k8s_openapi::api::autoscaling::{v1 as autoscaling_v1, v2 as autoscaling_v2};

use super::{Def, def};
use crate::resource::ResourceInfo;

pub(super) fn resources() -> Vec<ResourceInfo> {
    [
        def::<autoscaling_v2::HorizontalPodAutoscaler, _>(v2::HpaStrategy)
            .short(&["hpa"])
            .all()
            .status(),
        def::<autoscaling_v1::HorizontalPodAutoscaler, _>(v1::HpaV1Strategy)
            .short(&["hpa"])
            .all()
            .status()
            .stored_as("autoscaling", "horizontalpodautoscalers", "v2"),
    ]
    .into_iter()
    .map(Def::build)
    .collect()
}
