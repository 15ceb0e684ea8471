//! batch/v1 resources (upstream pkg/apis/batch and pkg/registry/batch).

mod cron_job;
mod job;
mod job_spec;
mod policies;
mod schedule;
mod time_zones;

use k8s_openapi::api::batch::v1 as batch;

use super::{Def, def};
use crate::resource::ResourceInfo;

pub(super) fn resources() -> Vec<ResourceInfo> {
    [
        def::<batch::CronJob, _>(cron_job::CronJobStrategy)
            .short(&["cj"])
            .all()
            .status()
            .generation(),
        def::<batch::Job, _>(job::JobStrategy)
            .all()
            .status()
            .generation(),
    ]
    .into_iter()
    .map(Def::build)
    .collect()
}
