//! `policy/v1`: poddisruptionbudgets.

use serde_json::Value;

use crate::json::{cell, get, i64_at, int_cell, name};
use crate::time::Clock;
use crate::{AGE, Cells, Column, NAME, Printer};

pub(crate) const PRINTERS: &[Printer] = &[Printer {
    resource: "poddisruptionbudgets",
    columns: PDB_COLUMNS,
    cells: pdb_cells,
}];

const PDB_COLUMNS: &[Column] = &[
    NAME,
    Column::new(
        "Min Available",
        "string",
        "Pods that must stay available (number or percentage).",
    ),
    Column::new(
        "Max Unavailable",
        "string",
        "Pods that may be unavailable (number or percentage).",
    ),
    Column::new(
        "Allowed Disruptions",
        "integer",
        "Pod disruptions currently allowed.",
    ),
    AGE,
];

/// An int-or-string field as text, "N/A" when unset.
fn int_or_string(v: Option<&Value>) -> String {
    match v {
        Some(Value::String(s)) => s.clone(),
        Some(Value::Number(n)) => n.to_string(),
        _ => "N/A".to_string(),
    }
}

fn pdb_cells(pdb: &Value, clock: &Clock) -> Cells {
    Ok(vec![
        cell(name(pdb)),
        cell(int_or_string(get(pdb, &["spec", "minAvailable"]))),
        cell(int_or_string(get(pdb, &["spec", "maxUnavailable"]))),
        int_cell(i64_at(pdb, &["status", "disruptionsAllowed"])),
        cell(clock.age(pdb)),
    ])
}
