//! batch/v1 resources.

use k8s_openapi::api::batch::v1 as batch;

use super::fields::*;
use super::{Def, def};
use crate::resource::ResourceInfo;
use crate::strategy::NoRules;

pub(super) fn resources() -> Vec<ResourceInfo> {
    [
        def::<batch::CronJob, _>(NoRules).short(&["cj"]).all().status().generation(),
        def::<batch::Job, _>(JobFields).all().status().generation(),
    ]
    .into_iter()
    .map(Def::build)
    .collect()
}
