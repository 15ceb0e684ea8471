//! coordination, discovery, events, node and scheduling resources.

mod endpoint_slice;
mod events;
mod lease;
mod priority_class;
mod runtime_class;

use k8s_openapi::api::{
    coordination::v1 as coordination, discovery::v1 as discovery, events::v1 as events_v1,
    node::v1 as node, scheduling::v1 as scheduling,
};

use super::{Def, def};
use crate::resource::ResourceInfo;

pub(super) fn resources() -> Vec<ResourceInfo> {
    [
        def::<coordination::Lease, _>(lease::LeaseStrategy).create_on_update(),
        def::<discovery::EndpointSlice, _>(endpoint_slice::EndpointSliceStrategy),
        def::<events_v1::Event, _>(events::EventStrategy)
            .short(&["ev"])
            .create_on_update()
            .stored_as("", "events", "v1"),
        def::<node::RuntimeClass, _>(runtime_class::RuntimeClassStrategy),
        def::<scheduling::PriorityClass, _>(priority_class::PriorityClassStrategy).short(&["pc"]),
    ]
    .into_iter()
    .map(Def::build)
    .collect()
}
