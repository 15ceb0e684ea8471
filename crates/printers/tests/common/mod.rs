//! Shared helpers for the printer tests: a fixed clock and timestamps relative to it.
#![allow(dead_code)]

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde_json::Value;

/// 2024-06-01T12:00:00Z, the moment every test table is rendered at.
pub const NOW_SECS: i64 = 1_717_243_200;

pub fn now() -> SystemTime {
    UNIX_EPOCH + Duration::from_secs(NOW_SECS as u64)
}

pub const MINUTE: i64 = 60;
pub const HOUR: i64 = 3600;
pub const DAY: i64 = 86_400;

/// RFC 3339 timestamp `secs` before the fixed clock (negative: in the future).
pub fn ago(secs: i64) -> String {
    let t = NOW_SECS - secs;
    let days = t.div_euclid(DAY);
    let of_day = t.rem_euclid(DAY);
    // Civil date from days since 1970-01-01 (proleptic Gregorian).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z",
        of_day / HOUR,
        of_day % HOUR / MINUTE,
        of_day % MINUTE
    )
}

/// Cells of `obj` rendered by the printer of `group`/`resource` at the fixed clock.
pub fn cells(group: &str, resource: &str, obj: &Value) -> Vec<Value> {
    capstan_printers::row_cells(group, resource, obj, now()).expect("row cells")
}

/// Asserts the cells and that they line up with the column definitions.
pub fn assert_row(group: &str, resource: &str, obj: &Value, expected: Value) {
    let got = cells(group, resource, obj);
    assert_eq!(
        Value::Array(got.clone()),
        expected,
        "cells of {group}/{resource}"
    );
    let columns = capstan_printers::columns_or_default(group, resource);
    assert_eq!(
        got.len(),
        columns.len(),
        "one cell per column for {group}/{resource}"
    );
}

/// Column names of a printer, for checking the headers.
pub fn column_names(group: &str, resource: &str) -> Vec<&'static str> {
    capstan_printers::columns(group, resource)
        .expect("dedicated printer")
        .iter()
        .map(|c| c.name)
        .collect()
}

/// Names of the columns shown only with `-o wide`.
pub fn wide_column_names(group: &str, resource: &str) -> Vec<&'static str> {
    capstan_printers::columns(group, resource)
        .expect("dedicated printer")
        .iter()
        .filter(|c| c.priority == 1)
        .map(|c| c.name)
        .collect()
}
