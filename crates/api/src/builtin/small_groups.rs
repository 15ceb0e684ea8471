//! coordination, discovery, events, node and scheduling resources.

use k8s_openapi::api::{
    coordination::v1 as coordination, discovery::v1 as discovery, events::v1 as events,
    node::v1 as node, scheduling::v1 as scheduling,
};

use super::fields::*;
use super::{Def, def};
use crate::resource::ResourceInfo;
use crate::strategy::NoRules;

pub(super) fn resources() -> Vec<ResourceInfo> {
    [
        def::<coordination::Lease, _>(NoRules).create_on_update(),
        def::<discovery::EndpointSlice, _>(NoRules),
        def::<events::Event, _>(EventsV1Fields)
            .short(&["ev"])
            .create_on_update()
            .stored_as("", "events", "v1"),
        def::<node::RuntimeClass, _>(NoRules),
        def::<scheduling::PriorityClass, _>(NoRules).short(&["pc"]),
    ]
    .into_iter()
    .map(Def::build)
    .collect()
}
