//! Event rows, for core/v1 and events.k8s.io/v1 events.

mod common;

use common::{DAY, MINUTE, ago, assert_row, column_names, wide_column_names};
use serde_json::{Value, json};

fn core_event(extra: Value) -> Value {
    let mut ev = json!({
        "metadata": {"name": "web-0.17d5", "namespace": "default", "creationTimestamp": ago(3 * DAY)},
        "involvedObject": {"kind": "Pod", "name": "web-0", "fieldPath": "spec.containers{web}"},
        "reason": "Pulled",
        "message": "  Container image \"nginx\" already present on machine\n",
        "type": "Normal",
    });
    ev.as_object_mut()
        .unwrap()
        .extend(extra.as_object().unwrap().clone());
    ev
}

#[test]
fn columns_match_upstream() {
    assert_eq!(
        column_names("", "events"),
        [
            "Last Seen",
            "Type",
            "Reason",
            "Object",
            "Subobject",
            "Source",
            "Message",
            "First Seen",
            "Count",
            "Name"
        ]
    );
    assert_eq!(
        wide_column_names("", "events"),
        ["Subobject", "Source", "First Seen", "Count", "Name"]
    );
    let cols = capstan_printers::columns("", "events").unwrap();
    assert_eq!(cols[9].format, "name");
    assert_eq!(
        capstan_printers::columns("events.k8s.io", "events"),
        Some(cols)
    );
}

#[test]
fn classic_event_with_timestamps_and_count() {
    let ev = core_event(json!({
        "source": {"component": "kubelet", "host": "node-1"},
        "firstTimestamp": ago(3 * DAY), "lastTimestamp": ago(2 * DAY), "count": 6
    }));
    assert_row(
        "",
        "events",
        &ev,
        json!([
            "2d",
            "Normal",
            "Pulled",
            "pod/web-0",
            "spec.containers{web}",
            "kubelet, node-1",
            "Container image \"nginx\" already present on machine",
            "3d",
            6,
            "web-0.17d5"
        ]),
    );
}

#[test]
fn missing_timestamps_fall_back() {
    // No firstTimestamp: eventTime is used; no lastTimestamp: first seen is reused.
    let ev = core_event(
        json!({"eventTime": "2024-05-29T12:00:00.000000Z", "source": {"component": "kubelet"}, "count": 1}),
    );
    let row = common::cells("", "events", &ev);
    assert_eq!(
        (&row[0], &row[5], &row[7], &row[8]),
        (&json!("3d"), &json!("kubelet"), &json!("3d"), &json!(1))
    );
    let bare = core_event(json!({}));
    let row = common::cells("", "events", &bare);
    assert_eq!(
        (&row[0], &row[7], &row[8]),
        (&json!("<unknown>"), &json!("<unknown>"), &json!(1))
    );
}

#[test]
fn series_overrides_last_seen_and_count() {
    let ev = core_event(json!({
        "eventTime": ago(3 * DAY),
        "series": {"count": 2, "lastObservedTime": ago(2 * DAY)},
        "reportingComponent": "kubelet", "reportingInstance": "test"
    }));
    let row = common::cells("", "events", &ev);
    assert_eq!(
        (&row[0], &row[5], &row[7], &row[8]),
        (
            &json!("2d"),
            &json!("kubelet, test"),
            &json!("3d"),
            &json!(2)
        )
    );
}

#[test]
fn object_without_name_shows_kind_only() {
    let ev = core_event(json!({"involvedObject": {"kind": "Node"}, "lastTimestamp": ago(MINUTE)}));
    assert_eq!(
        common::cells("", "events", &ev)[3..5],
        [json!("node"), json!("")]
    );
}

#[test]
fn events_k8s_io_events_map_onto_the_same_row() {
    let ev = json!({
        "apiVersion": "events.k8s.io/v1", "kind": "Event",
        "metadata": {"name": "web-0.17d6", "namespace": "default", "creationTimestamp": ago(10 * MINUTE)},
        "eventTime": ago(10 * MINUTE),
        "series": {"count": 4, "lastObservedTime": ago(MINUTE)},
        "reportingController": "kubelet", "reportingInstance": "node-1",
        "action": "Pulling", "reason": "BackOff", "type": "Warning",
        "regarding": {"kind": "Pod", "name": "web-0", "fieldPath": "spec.containers{web}"},
        "note": "Back-off pulling image \"nginx:nope\""
    });
    assert_row(
        "events.k8s.io",
        "events",
        &ev,
        json!([
            "60s",
            "Warning",
            "BackOff",
            "pod/web-0",
            "spec.containers{web}",
            "kubelet, node-1",
            "Back-off pulling image \"nginx:nope\"",
            "10m",
            4,
            "web-0.17d6"
        ]),
    );
}

#[test]
fn events_k8s_io_deprecated_fields() {
    let ev = json!({
        "metadata": {"name": "old"},
        "regarding": {"kind": "Deployment", "name": "web"},
        "reason": "ScalingReplicaSet", "type": "Normal", "note": "Scaled up",
        "deprecatedSource": {"component": "deployment-controller"},
        "deprecatedFirstTimestamp": ago(2 * DAY), "deprecatedLastTimestamp": ago(DAY), "deprecatedCount": 3
    });
    assert_row(
        "events.k8s.io",
        "events",
        &ev,
        json!([
            "24h",
            "Normal",
            "ScalingReplicaSet",
            "deployment/web",
            "",
            "deployment-controller",
            "Scaled up",
            "2d",
            3,
            "old"
        ]),
    );
}
