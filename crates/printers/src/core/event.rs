//! Events (core/v1). `events.k8s.io/v1` events map onto the same view.

use serde_json::Value;

use crate::json::{cell, get, i64_at, int_cell, name, str_at};
use crate::time::{Clock, timestamp};
use crate::{Cells, Column};

pub(crate) const COLUMNS: &[Column] = &[
    Column::new(
        "Last Seen",
        "string",
        "Time since the event was last observed.",
    ),
    Column::new("Type", "string", "Normal or Warning."),
    Column::new(
        "Reason",
        "string",
        "Short machine-readable cause of the event.",
    ),
    Column::new(
        "Object",
        "string",
        "Object the event is about, as kind/name.",
    ),
    Column::new(
        "Subobject",
        "string",
        "Part of the object the event is about.",
    )
    .wide(),
    Column::new(
        "Source",
        "string",
        "Component (and host) that reported the event.",
    )
    .wide(),
    Column::new(
        "Message",
        "string",
        "Human-readable description of the event.",
    ),
    Column::new(
        "First Seen",
        "string",
        "Time since the event was first observed.",
    )
    .wide(),
    Column::new("Count", "string", "How many times the event occurred.").wide(),
    Column::new("Name", "string", "Name of the event object.")
        .formatted("name")
        .wide(),
];

/// The fields the printer needs, whichever API version the event came from.
pub(crate) struct EventView<'a> {
    pub(crate) name: &'a str,
    pub(crate) type_: &'a str,
    pub(crate) reason: &'a str,
    pub(crate) message: &'a str,
    /// The involved (core) or regarding (events.k8s.io) object reference.
    pub(crate) object: Option<&'a Value>,
    pub(crate) source: Option<&'a Value>,
    pub(crate) reporting_controller: &'a str,
    pub(crate) reporting_instance: &'a str,
    pub(crate) first_timestamp: Option<&'a Value>,
    pub(crate) last_timestamp: Option<&'a Value>,
    pub(crate) event_time: Option<&'a Value>,
    pub(crate) count: i64,
    pub(crate) series: Option<&'a Value>,
}

fn core_view(ev: &Value) -> EventView<'_> {
    EventView {
        name: name(ev),
        type_: str_at(ev, &["type"]),
        reason: str_at(ev, &["reason"]),
        message: str_at(ev, &["message"]),
        object: get(ev, &["involvedObject"]),
        source: get(ev, &["source"]),
        reporting_controller: str_at(ev, &["reportingComponent"]),
        reporting_instance: str_at(ev, &["reportingInstance"]),
        first_timestamp: get(ev, &["firstTimestamp"]),
        last_timestamp: get(ev, &["lastTimestamp"]),
        event_time: get(ev, &["eventTime"]),
        count: i64_at(ev, &["count"]),
        series: get(ev, &["series"]),
    }
}

fn first_non_empty<'a>(a: &'a str, b: &'a str) -> &'a str {
    if a.is_empty() { b } else { a }
}

fn source(view: &EventView<'_>) -> String {
    let field = |f: &str| view.source.map_or("", |s| str_at(s, &[f]));
    let component = first_non_empty(field("component"), view.reporting_controller);
    let instance = first_non_empty(field("host"), view.reporting_instance);
    if instance.is_empty() {
        component.to_string()
    } else {
        format!("{component}, {instance}")
    }
}

fn target(view: &EventView<'_>) -> String {
    let field = |f: &str| view.object.map_or("", |o| str_at(o, &[f]));
    let kind = field("kind").to_lowercase();
    match field("name") {
        "" => kind,
        n => format!("{kind}/{n}"),
    }
}

pub(crate) fn render(view: &EventView<'_>, clock: &Clock) -> Cells {
    let first_seen = match timestamp(view.first_timestamp) {
        Some(t) => clock.since_nanos(t),
        None => clock.since(view.event_time),
    };
    let mut last_seen = match timestamp(view.last_timestamp) {
        Some(t) => clock.since_nanos(t),
        None => first_seen.clone(),
    };
    let mut count = view.count;
    if let Some(series) = view.series {
        last_seen = clock.since(get(series, &["lastObservedTime"]));
        count = i64_at(series, &["count"]);
    } else if count == 0 {
        // Singleton events of the new API carry no count.
        count = 1;
    }
    Ok(vec![
        cell(last_seen),
        cell(view.type_),
        cell(view.reason),
        cell(target(view)),
        cell(view.object.map_or("", |o| str_at(o, &["fieldPath"]))),
        cell(source(view)),
        cell(view.message.trim()),
        cell(first_seen),
        int_cell(count),
        cell(view.name),
    ])
}

pub(crate) fn cells(ev: &Value, clock: &Clock) -> Cells {
    render(&core_view(ev), clock)
}
