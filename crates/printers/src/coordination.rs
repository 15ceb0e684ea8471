//! `coordination.k8s.io/v1`: leases.

use serde_json::Value;

use crate::json::{cell, name, str_at};
use crate::time::Clock;
use crate::{AGE, Cells, Column, NAME, Printer};

pub(crate) const PRINTERS: &[Printer] = &[Printer {
    resource: "leases",
    columns: LEASE_COLUMNS,
    cells: lease_cells,
}];

const LEASE_COLUMNS: &[Column] = &[
    NAME,
    Column::new("Holder", "string", "Identity currently holding the lease."),
    AGE,
];

fn lease_cells(lease: &Value, clock: &Clock) -> Cells {
    Ok(vec![
        cell(name(lease)),
        cell(str_at(lease, &["spec", "holderIdentity"])),
        cell(clock.age(lease)),
    ])
}
