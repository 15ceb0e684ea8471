//! `discovery.k8s.io/v1`: endpointslices.

use serde_json::Value;

use crate::json::{arr_at, cell, name, opt_i64, opt_str, str_at};
use crate::time::Clock;
use crate::{AGE, Cells, Column, NAME, Printer};

pub(crate) const PRINTERS: &[Printer] = &[Printer {
    resource: "endpointslices",
    columns: SLICE_COLUMNS,
    cells: slice_cells,
}];

const SLICE_COLUMNS: &[Column] = &[
    NAME,
    Column::new(
        "AddressType",
        "string",
        "Kind of addresses in the slice (IPv4, IPv6, FQDN).",
    ),
    Column::new("Ports", "string", "Ports exposed by the endpoints."),
    Column::new("Endpoints", "string", "Addresses of the endpoints."),
    AGE,
];

const MAX_LISTED: usize = 3;

/// The first three items, then "+ N more..."; "<unset>" when there are none.
fn list_with_more(items: Vec<String>) -> String {
    if items.len() > MAX_LISTED {
        return format!(
            "{} + {} more...",
            items[..MAX_LISTED].join(","),
            items.len() - MAX_LISTED
        );
    }
    if items.is_empty() {
        "<unset>".to_string()
    } else {
        items.join(",")
    }
}

fn ports(slice: &Value) -> String {
    list_with_more(
        arr_at(slice, &["ports"])
            .iter()
            .map(|p| match (opt_i64(p, &["port"]), opt_str(p, &["name"])) {
                (Some(port), _) => port.to_string(),
                (None, Some(name)) => name.to_string(),
                (None, None) => "*".to_string(),
            })
            .collect(),
    )
}

fn endpoints(slice: &Value) -> String {
    list_with_more(
        arr_at(slice, &["endpoints"])
            .iter()
            .flat_map(|e| arr_at(e, &["addresses"]))
            .map(|a| a.as_str().unwrap_or("").to_string())
            .collect(),
    )
}

fn slice_cells(slice: &Value, clock: &Clock) -> Cells {
    Ok(vec![
        cell(name(slice)),
        cell(str_at(slice, &["addressType"])),
        cell(ports(slice)),
        cell(endpoints(slice)),
        cell(clock.age(slice)),
    ])
}
