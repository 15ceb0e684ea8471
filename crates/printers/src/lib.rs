//! Server-side Table printing for built-in Kubernetes types.
//!
//! `kubectl get` asks the API server for a `meta.k8s.io/v1` Table and prints
//! the columns and cells it receives verbatim. This crate knows, per built-in
//! resource, the column definitions and how to compute each row's cells from
//! the object's JSON, following upstream's printers. The server always renders
//! every column (including `priority: 1` ones, shown only by `-o wide`).
//!
//! Objects are read as stored by the API server, i.e. after defaulting; an
//! absent field is treated like Go's zero value.

mod apps;
mod autoscaling;
mod batch;
mod coordination;
mod core;
mod discovery;
mod events;
mod json;
mod labels;
mod networking;
mod nodeapi;
mod policy;
mod quantity;
mod rbac;
mod scheduling;
mod storage;
mod time;

use std::time::SystemTime;

use serde_json::{Value, json};

/// One column of a Table (`metav1.TableColumnDefinition`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Column {
    pub name: &'static str,
    /// "string", "integer", "number", "boolean" or "date".
    pub type_: &'static str,
    /// "name" for the column holding the object's name, otherwise "".
    pub format: &'static str,
    pub description: &'static str,
    /// 0 = always shown, 1 = only with `-o wide`.
    pub priority: i32,
}

impl Column {
    pub(crate) const fn new(
        name: &'static str,
        type_: &'static str,
        description: &'static str,
    ) -> Self {
        Column {
            name,
            type_,
            format: "",
            description,
            priority: 0,
        }
    }

    /// Marks the column as shown only with `-o wide`.
    pub(crate) const fn wide(self) -> Self {
        Column {
            priority: 1,
            ..self
        }
    }

    pub(crate) const fn formatted(self, format: &'static str) -> Self {
        Column { format, ..self }
    }

    /// JSON form used in a Table's `columnDefinitions`.
    pub fn to_json(&self) -> Value {
        json!({
            "name": self.name,
            "type": self.type_,
            "format": self.format,
            "description": self.description,
            "priority": self.priority,
        })
    }
}

/// The leading NAME column shared by (almost) every printer.
pub(crate) const NAME: Column = Column::new(
    "Name",
    "string",
    "Name of the object, unique within its namespace.",
)
.formatted("name");
/// The AGE column, rendered from `metadata.creationTimestamp`.
pub(crate) const AGE: Column = Column::new(
    "Age",
    "string",
    "Time elapsed since the object was created.",
);
pub(crate) const CONTAINERS: Column = Column::new(
    "Containers",
    "string",
    "Names of the containers in the pod template.",
);
pub(crate) const IMAGES: Column = Column::new(
    "Images",
    "string",
    "Images used by the containers in the pod template.",
);

/// A row could not be computed (upstream fails the whole request then).
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum PrintError {
    /// An owner reference's apiVersion is not `group/version` or `version`.
    #[error("unexpected GroupVersion string: {0}")]
    InvalidGroupVersion(String),
}

type Cells = Result<Vec<Value>, PrintError>;

/// Columns and cell function of one resource.
pub(crate) struct Printer {
    pub(crate) resource: &'static str,
    pub(crate) columns: &'static [Column],
    pub(crate) cells: fn(&Value, &time::Clock) -> Cells,
}

fn printers_of(group: &str) -> &'static [Printer] {
    match group {
        "" => core::PRINTERS,
        "apps" => apps::PRINTERS,
        "autoscaling" => autoscaling::PRINTERS,
        "batch" => batch::PRINTERS,
        "coordination.k8s.io" => coordination::PRINTERS,
        "discovery.k8s.io" => discovery::PRINTERS,
        "events.k8s.io" => events::PRINTERS,
        "networking.k8s.io" => networking::PRINTERS,
        "node.k8s.io" => nodeapi::PRINTERS,
        "policy" => policy::PRINTERS,
        "rbac.authorization.k8s.io" => rbac::PRINTERS,
        "scheduling.k8s.io" => scheduling::PRINTERS,
        "storage.k8s.io" => storage::PRINTERS,
        _ => &[],
    }
}

fn printer(group: &str, resource: &str) -> Option<&'static Printer> {
    printers_of(group).iter().find(|p| p.resource == resource)
}

/// Column definitions of the dedicated printer for `group`/`resource`
/// (`group` is "" for core). `None` when upstream has no printer for the
/// type; the Table then uses [`default_columns`].
pub fn columns(group: &str, resource: &str) -> Option<&'static [Column]> {
    printer(group, resource).map(|p| p.columns)
}

/// [`columns`], falling back to the default NAME / CREATED AT columns.
pub fn columns_or_default(group: &str, resource: &str) -> &'static [Column] {
    columns(group, resource).unwrap_or(DEFAULT_COLUMNS)
}

/// Cells of one object's row, in column order. Types without a dedicated
/// printer get [`default_row_cells`].
pub fn row_cells(
    group: &str,
    resource: &str,
    obj: &Value,
    now: SystemTime,
) -> Result<Vec<Value>, PrintError> {
    match printer(group, resource) {
        Some(p) => (p.cells)(obj, &time::Clock::new(now)),
        None => Ok(default_row_cells(obj)),
    }
}

/// Row conditions (`TableRow.conditions`) of one object. Upstream sets them
/// only for pods that ran to completion.
pub fn row_conditions(group: &str, resource: &str, obj: &Value) -> Vec<Value> {
    if group.is_empty() && resource == "pods" {
        core::pod::row_conditions(obj)
    } else {
        Vec::new()
    }
}

const DEFAULT_COLUMNS: &[Column] = &[
    NAME,
    Column::new(
        "Created At",
        "date",
        "Time the object was created, in UTC (RFC 3339).",
    ),
];

/// Columns of upstream's default table convertor: NAME and CREATED AT.
pub fn default_columns() -> &'static [Column] {
    DEFAULT_COLUMNS
}

/// Cells of the default table: the name and the creation time as RFC 3339 UTC
/// (Go's zero time when unset).
pub fn default_row_cells(obj: &Value) -> Vec<Value> {
    let created = json::get(obj, &["metadata", "creationTimestamp"])
        .and_then(Value::as_str)
        .and_then(time::parse_rfc3339)
        .unwrap_or(time::GO_ZERO_NANOS);
    vec![
        json::cell(json::name(obj)),
        json::cell(time::format_rfc3339_utc(created)),
    ]
}
