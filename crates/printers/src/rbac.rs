//! `rbac.authorization.k8s.io/v1`: rolebindings and clusterrolebindings.
//!
//! Without a dedicated printer (default table): roles, clusterroles.

use serde_json::Value;

use crate::json::{arr_at, cell, name, str_at};
use crate::time::Clock;
use crate::{AGE, Cells, Column, NAME, Printer};

pub(crate) const PRINTERS: &[Printer] = &[
    Printer {
        resource: "rolebindings",
        columns: BINDING_COLUMNS,
        cells: binding_cells,
    },
    Printer {
        resource: "clusterrolebindings",
        columns: BINDING_COLUMNS,
        cells: binding_cells,
    },
];

const BINDING_COLUMNS: &[Column] = &[
    NAME,
    Column::new(
        "Role",
        "string",
        "Role granted by the binding, as Kind/name.",
    ),
    AGE,
    Column::new("Users", "string", "Users bound to the role.").wide(),
    Column::new("Groups", "string", "Groups bound to the role.").wide(),
    Column::new(
        "ServiceAccounts",
        "string",
        "Service accounts bound to the role, as namespace/name.",
    )
    .wide(),
];

fn binding_cells(binding: &Value, clock: &Clock) -> Cells {
    let mut users = Vec::new();
    let mut groups = Vec::new();
    let mut service_accounts = Vec::new();
    for subject in arr_at(binding, &["subjects"]) {
        let subject_name = str_at(subject, &["name"]);
        match str_at(subject, &["kind"]) {
            "User" => users.push(subject_name.to_string()),
            "Group" => groups.push(subject_name.to_string()),
            "ServiceAccount" => service_accounts.push(format!(
                "{}/{subject_name}",
                str_at(subject, &["namespace"])
            )),
            _ => {}
        }
    }
    let role = format!(
        "{}/{}",
        str_at(binding, &["roleRef", "kind"]),
        str_at(binding, &["roleRef", "name"])
    );
    Ok(vec![
        cell(name(binding)),
        cell(role),
        cell(clock.age(binding)),
        cell(users.join(", ")),
        cell(groups.join(", ")),
        cell(service_accounts.join(", ")),
    ])
}
