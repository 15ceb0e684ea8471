//! `node.k8s.io/v1`: runtimeclasses.

use serde_json::Value;

use crate::json::{cell, name, str_at};
use crate::time::Clock;
use crate::{AGE, Cells, Column, NAME, Printer};

pub(crate) const PRINTERS: &[Printer] = &[Printer {
    resource: "runtimeclasses",
    columns: RUNTIME_CLASS_COLUMNS,
    cells: runtime_class_cells,
}];

const RUNTIME_CLASS_COLUMNS: &[Column] = &[
    NAME,
    Column::new(
        "Handler",
        "string",
        "CRI handler that runs pods of this class.",
    ),
    AGE,
];

fn runtime_class_cells(rc: &Value, clock: &Clock) -> Cells {
    Ok(vec![
        cell(name(rc)),
        cell(str_at(rc, &["handler"])),
        cell(clock.age(rc)),
    ])
}
