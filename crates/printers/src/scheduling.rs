//! `scheduling.k8s.io/v1`: priorityclasses.

use serde_json::Value;

use crate::json::{bool_at, cell, i64_at, int_cell, name, str_at};
use crate::time::Clock;
use crate::{AGE, Cells, Column, NAME, Printer};

pub(crate) const PRINTERS: &[Printer] = &[Printer {
    resource: "priorityclasses",
    columns: PRIORITY_CLASS_COLUMNS,
    cells: priority_class_cells,
}];

// Upstream gives PreemptionPolicy priority 0, so it shows without -o wide.
const PRIORITY_CLASS_COLUMNS: &[Column] = &[
    NAME,
    Column::new("Value", "integer", "Priority of pods using this class."),
    Column::new(
        "Global-Default",
        "boolean",
        "Whether pods without a class get this one.",
    ),
    AGE,
    Column::new(
        "PreemptionPolicy",
        "string",
        "Whether pods of this class may preempt others.",
    ),
];

fn priority_class_cells(pc: &Value, clock: &Clock) -> Cells {
    Ok(vec![
        cell(name(pc)),
        int_cell(i64_at(pc, &["value"])),
        Value::Bool(bool_at(pc, &["globalDefault"])),
        cell(clock.age(pc)),
        cell(str_at(pc, &["preemptionPolicy"])),
    ])
}
