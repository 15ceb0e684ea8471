//! `events.k8s.io/v1`: events, printed like core events after field mapping.

use serde_json::Value;

use crate::core::event::{self, EventView};
use crate::json::{get, i64_at, name, str_at};
use crate::time::Clock;
use crate::{Cells, Printer};

pub(crate) const PRINTERS: &[Printer] = &[Printer {
    resource: "events",
    columns: event::COLUMNS,
    cells: event_cells,
}];

/// Maps the events.k8s.io field names onto the core event ones.
fn view(ev: &Value) -> EventView<'_> {
    EventView {
        name: name(ev),
        type_: str_at(ev, &["type"]),
        reason: str_at(ev, &["reason"]),
        message: str_at(ev, &["note"]),
        object: get(ev, &["regarding"]),
        source: get(ev, &["deprecatedSource"]),
        reporting_controller: str_at(ev, &["reportingController"]),
        reporting_instance: str_at(ev, &["reportingInstance"]),
        first_timestamp: get(ev, &["deprecatedFirstTimestamp"]),
        last_timestamp: get(ev, &["deprecatedLastTimestamp"]),
        event_time: get(ev, &["eventTime"]),
        count: i64_at(ev, &["deprecatedCount"]),
        series: get(ev, &["series"]),
    }
}

fn event_cells(ev: &Value, clock: &Clock) -> Cells {
    event::render(&view(ev), clock)
}
