//! batch/v1 rows.

mod common;

use common::{MINUTE, ago, assert_row, cells, column_names, wide_column_names};
use serde_json::{Value, json};

fn job(spec: Value, status: Value) -> Value {
    json!({"metadata": {"name": "job1", "creationTimestamp": ago(10 * MINUTE)}, "spec": spec, "status": status})
}

fn pod_template() -> Value {
    json!({"spec": {"containers": [{"name": "fake-job-container1", "image": "fake-job-image1"},
                                   {"name": "fake-job-container2", "image": "fake-job-image2"}]}})
}

#[test]
fn job_columns() {
    assert_eq!(
        column_names("batch", "jobs"),
        [
            "Name",
            "Status",
            "Completions",
            "Duration",
            "Age",
            "Containers",
            "Images",
            "Selector"
        ]
    );
    assert_eq!(
        wide_column_names("batch", "jobs"),
        ["Containers", "Images", "Selector"]
    );
}

#[test]
fn running_job_full_row() {
    let j = job(
        json!({"completions": 2, "parallelism": 1, "template": pod_template(),
               "selector": {"matchLabels": {"batch.kubernetes.io/controller-uid": "abc"}}}),
        json!({"succeeded": 1, "active": 1, "startTime": ago(9 * MINUTE)}),
    );
    assert_row(
        "batch",
        "jobs",
        &j,
        json!([
            "job1",
            "Running",
            "1/2",
            "9m",
            "10m",
            "fake-job-container1,fake-job-container2",
            "fake-job-image1,fake-job-image2",
            "batch.kubernetes.io/controller-uid=abc"
        ]),
    );
}

#[test]
fn completions_without_a_count() {
    let completions =
        |spec: Value| cells("batch", "jobs", &job(spec, json!({"succeeded": 0})))[2].clone();
    assert_eq!(completions(json!({})), json!("0/1"));
    assert_eq!(completions(json!({"parallelism": 1})), json!("0/1"));
    assert_eq!(completions(json!({"parallelism": 3})), json!("0/1 of 3"));
}

#[test]
fn duration_of_finished_and_unstarted_jobs() {
    let duration =
        |status: Value| cells("batch", "jobs", &job(json!({"completions": 1}), status))[3].clone();
    assert_eq!(duration(json!({})), json!(""));
    assert_eq!(
        duration(json!({"startTime": ago(-MINUTE), "completionTime": ago(-31 * MINUTE)})),
        json!("30m")
    );
    assert_eq!(
        duration(json!({"startTime": ago(20 * MINUTE)})),
        json!("20m")
    );
    assert_eq!(
        duration(json!({"startTime": ago(100), "completionTime": ago(10)})),
        json!("90s")
    );
}

#[test]
fn job_status_precedence() {
    let status = |conditions: Value, deleting: bool| {
        let mut j = job(json!({}), json!({"conditions": conditions}));
        if deleting {
            j["metadata"]["deletionTimestamp"] = json!(ago(0));
        }
        cells("batch", "jobs", &j)[1].clone()
    };
    let cond = |t: &str| json!([{"type": t, "status": "True"}]);
    assert_eq!(status(cond("Complete"), false), json!("Complete"));
    assert_eq!(status(cond("Failed"), false), json!("Failed"));
    assert_eq!(status(cond("Suspended"), false), json!("Suspended"));
    assert_eq!(status(cond("FailureTarget"), false), json!("FailureTarget"));
    assert_eq!(status(json!([]), true), json!("Terminating"));
    assert_eq!(status(cond("Complete"), true), json!("Complete"));
    assert_eq!(
        status(json!([{"type": "Complete", "status": "False"}]), false),
        json!("Running")
    );
    assert_eq!(
        status(
            json!([{"type": "FailureTarget", "status": "True"}, {"type": "Failed", "status": "True"}]),
            false
        ),
        json!("Failed")
    );
}

fn cronjob(spec: Value, status: Value) -> Value {
    json!({"metadata": {"name": "cronjob1", "creationTimestamp": ago(5 * MINUTE)}, "spec": spec, "status": status})
}

#[test]
fn cronjob_columns() {
    assert_eq!(
        column_names("batch", "cronjobs"),
        [
            "Name",
            "Schedule",
            "Timezone",
            "Suspend",
            "Active",
            "Last Schedule",
            "Age",
            "Containers",
            "Images",
            "Selector"
        ]
    );
    let cols = capstan_printers::columns("batch", "cronjobs").unwrap();
    assert_eq!(cols[3].type_, "boolean");
}

#[test]
fn cronjob_rows() {
    let spec = json!({"schedule": "0/5 * * * ?", "suspend": false,
                      "jobTemplate": {"spec": {"completions": 2, "template": pod_template(),
                                               "selector": {"matchLabels": {"a": "b"}}}}});
    assert_row(
        "batch",
        "cronjobs",
        &cronjob(spec.clone(), json!({"lastScheduleTime": ago(30)})),
        json!([
            "cronjob1",
            "0/5 * * * ?",
            "<none>",
            "False",
            0,
            "30s",
            "5m",
            "fake-job-container1,fake-job-container2",
            "fake-job-image1,fake-job-image2",
            "a=b"
        ]),
    );
    let mut zoned = spec;
    zoned["timeZone"] = json!("Etc/UTC");
    zoned["suspend"] = json!(true);
    let active = json!({"active": [{"kind": "Job", "name": "a"}, {"kind": "Job", "name": "b"}]});
    let row = cells("batch", "cronjobs", &cronjob(zoned, active));
    assert_eq!(
        row[2..6],
        [json!("Etc/UTC"), json!("True"), json!(2), json!("<none>")]
    );
    let unset = cronjob(json!({"schedule": "@hourly"}), json!({}));
    assert_row(
        "batch",
        "cronjobs",
        &unset,
        json!([
            "cronjob1", "@hourly", "<none>", "<unset>", 0, "<none>", "5m", "", "", "<none>"
        ]),
    );
}
