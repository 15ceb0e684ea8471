//! autoscaling v2 (stored) and v1 (converted) HorizontalPodAutoscalers.

use k8s_openapi::api::autoscaling::{v1, v2};

use super::{Def, def};
use crate::resource::ResourceInfo;
use crate::strategy::NoRules;

pub(super) fn resources() -> Vec<ResourceInfo> {
    [
        def::<v2::HorizontalPodAutoscaler, _>(NoRules).short(&["hpa"]).all().status(),
        def::<v1::HorizontalPodAutoscaler, _>(NoRules)
            .short(&["hpa"])
            .all()
            .status()
            .stored_as("autoscaling", "horizontalpodautoscalers", "v2"),
    ]
    .into_iter()
    .map(Def::build)
    .collect()
}
