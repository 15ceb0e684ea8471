//! `batch/v1`: jobs and cronjobs.

use serde_json::Value;

use crate::json::{
    arr_at, cell, container_names_images, get, i64_at, int_cell, is_deleting, list_len, name,
    opt_bool, opt_i64, opt_str, str_at,
};
use crate::labels::format_label_selector;
use crate::time::{Clock, human_duration_signed, timestamp};
use crate::{AGE, CONTAINERS, Cells, Column, IMAGES, NAME, Printer};

pub(crate) const PRINTERS: &[Printer] = &[
    Printer {
        resource: "jobs",
        columns: JOB_COLUMNS,
        cells: job_cells,
    },
    Printer {
        resource: "cronjobs",
        columns: CRONJOB_COLUMNS,
        cells: cronjob_cells,
    },
];

const SELECTOR: Column =
    Column::new("Selector", "string", "Label selector of the job's pods.").wide();

const JOB_COLUMNS: &[Column] = &[
    NAME,
    Column::new("Status", "string", "Overall state of the job."),
    Column::new(
        "Completions",
        "string",
        "Succeeded pods out of required completions.",
    ),
    Column::new(
        "Duration",
        "string",
        "Time the job ran, or has been running.",
    ),
    AGE,
    CONTAINERS.wide(),
    IMAGES.wide(),
    SELECTOR,
];

/// The first condition of `type_` decides; absent means false.
fn has_condition(job: &Value, type_: &str) -> bool {
    arr_at(job, &["status", "conditions"])
        .iter()
        .find(|c| str_at(c, &["type"]) == type_)
        .is_some_and(|c| str_at(c, &["status"]) == "True")
}

fn job_status(job: &Value) -> &'static str {
    if has_condition(job, "Complete") {
        "Complete"
    } else if has_condition(job, "Failed") {
        "Failed"
    } else if is_deleting(job) {
        "Terminating"
    } else if has_condition(job, "Suspended") {
        "Suspended"
    } else if has_condition(job, "FailureTarget") {
        "FailureTarget"
    } else {
        "Running"
    }
}

fn completions(job: &Value) -> String {
    let succeeded = i64_at(job, &["status", "succeeded"]);
    if let Some(wanted) = opt_i64(job, &["spec", "completions"]) {
        return format!("{succeeded}/{wanted}");
    }
    // Work-queue jobs: one success completes the job.
    match i64_at(job, &["spec", "parallelism"]) {
        p if p > 1 => format!("{succeeded}/1 of {p}"),
        _ => format!("{succeeded}/1"),
    }
}

fn duration(job: &Value, clock: &Clock) -> String {
    let Some(start) = timestamp(get(job, &["status", "startTime"])) else {
        return String::new();
    };
    match timestamp(get(job, &["status", "completionTime"])) {
        Some(end) => human_duration_signed(end - start),
        None => clock.since_nanos(start),
    }
}

fn job_cells(job: &Value, clock: &Clock) -> Cells {
    let (names, images) =
        container_names_images(arr_at(job, &["spec", "template", "spec", "containers"]));
    Ok(vec![
        cell(name(job)),
        cell(job_status(job)),
        cell(completions(job)),
        cell(duration(job, clock)),
        cell(clock.age(job)),
        cell(names),
        cell(images),
        cell(format_label_selector(get(job, &["spec", "selector"]))),
    ])
}

const CRONJOB_COLUMNS: &[Column] = &[
    NAME,
    Column::new("Schedule", "string", "Cron schedule of the job."),
    Column::new(
        "Timezone",
        "string",
        "Time zone the schedule is interpreted in.",
    ),
    Column::new("Suspend", "boolean", "Whether new runs are suspended."),
    Column::new("Active", "integer", "Number of jobs currently running."),
    Column::new(
        "Last Schedule",
        "string",
        "Time since a job was last scheduled.",
    ),
    AGE,
    CONTAINERS.wide(),
    IMAGES.wide(),
    SELECTOR,
];

fn cronjob_cells(cj: &Value, clock: &Clock) -> Cells {
    let template = get(cj, &["spec", "jobTemplate", "spec"]);
    let (names, images) = container_names_images(
        template.map_or(&[], |t| arr_at(t, &["template", "spec", "containers"])),
    );
    let suspend = match opt_bool(cj, &["spec", "suspend"]) {
        Some(true) => "True",
        Some(false) => "False",
        None => "<unset>",
    };
    let last_schedule = match get(cj, &["status", "lastScheduleTime"]) {
        Some(t) => clock.since(Some(t)),
        None => "<none>".to_string(),
    };
    Ok(vec![
        cell(name(cj)),
        cell(str_at(cj, &["spec", "schedule"])),
        cell(opt_str(cj, &["spec", "timeZone"]).unwrap_or("<none>")),
        cell(suspend),
        int_cell(list_len(cj, &["status", "active"]) as i64),
        cell(last_schedule),
        cell(clock.age(cj)),
        cell(names),
        cell(images),
        cell(format_label_selector(
            template.and_then(|t| get(t, &["selector"])),
        )),
    ])
}
