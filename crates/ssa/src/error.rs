//! Errors of server-side apply and field tracking, with upstream's texts.

use std::fmt;

use serde_json::{Value, json};

use crate::managed::{ManagerKey, Operation};
use crate::set::FieldSet;
use crate::value::go_quote;

/// A field another manager owns that an apply would change.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Conflict {
    /// The other manager's name.
    pub manager: String,
    pub operation: Operation,
    /// Set for updaters (upstream names their version in messages).
    pub api_version: String,
    pub subresource: String,
    /// The field, as upstream prints paths (`.spec.replicas`).
    pub path: String,
}

impl Conflict {
    /// How upstream names the manager: `"kubectl-edit" using apps/v1`,
    /// `"kubectl" with subresource "scale"`.
    pub fn described_manager(&self) -> String {
        let mut out = go_quote(&self.manager);
        if !self.subresource.is_empty() {
            out.push_str(" with subresource ");
            out.push_str(&go_quote(&self.subresource));
        }
        if self.operation == Operation::Update {
            out.push_str(" using ");
            out.push_str(&self.api_version);
        }
        out
    }
}

/// A `metav1.StatusCause` of a conflict (its `type` is written as `reason`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatusCause {
    pub reason: &'static str,
    pub message: String,
    pub field: String,
}

/// Why an update or apply failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SsaError {
    /// 409 Conflict: other managers own fields the apply changes.
    Conflicts(Vec<Conflict>),
    /// 400 Bad Request (wrong kind or version, managedFields in an apply).
    BadRequest(String),
    /// 500 Internal Server Error: upstream reports type errors in the applied
    /// or live object this way ("failed to create typed patch object …").
    Internal(String),
}

impl SsaError {
    pub fn code(&self) -> u16 {
        match self {
            SsaError::Conflicts(_) => 409,
            SsaError::BadRequest(_) => 400,
            SsaError::Internal(_) => 500,
        }
    }

    /// The conflicts of a 409 (empty for other errors).
    pub fn conflicts(&self) -> &[Conflict] {
        match self {
            SsaError::Conflicts(conflicts) => conflicts,
            _ => &[],
        }
    }

    pub fn message(&self) -> String {
        match self {
            SsaError::Conflicts(conflicts) => conflict_message(conflicts),
            SsaError::BadRequest(message) | SsaError::Internal(message) => message.clone(),
        }
    }
}

impl fmt::Display for SsaError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message())
    }
}

impl std::error::Error for SsaError {}

/// The message of upstream's 409 for `conflicts`.
pub fn conflict_message(conflicts: &[Conflict]) -> String {
    if let [only] = conflicts {
        return format!(
            "Apply failed with 1 conflict: conflict with {}: {}",
            only.described_manager(),
            only.path
        );
    }
    // Grouped by manager, managers in the order of their identifiers.
    let mut groups: Vec<(String, String, Vec<&str>)> = Vec::new();
    for conflict in conflicts {
        let id = key_of(conflict).identifier();
        match groups.iter_mut().find(|g| g.0 == id) {
            Some(group) => group.2.push(&conflict.path),
            None => groups.push((id, conflict.described_manager(), vec![&conflict.path])),
        }
    }
    groups.sort_by(|a, b| a.0.cmp(&b.0));
    let mut lines = Vec::new();
    for (_, manager, paths) in groups {
        lines.push(format!("conflicts with {manager}:"));
        lines.extend(paths.iter().map(|p| format!("- {p}")));
    }
    format!(
        "Apply failed with {} conflicts: {}",
        conflicts.len(),
        lines.join("\n")
    )
}

/// The `details.causes` of upstream's 409.
pub fn conflict_causes(conflicts: &[Conflict]) -> Vec<StatusCause> {
    conflicts
        .iter()
        .map(|c| StatusCause {
            reason: "FieldManagerConflict",
            message: format!("conflict with {}", c.described_manager()),
            field: c.path.clone(),
        })
        .collect()
}

/// The whole `metav1.Status` body of upstream's 409.
pub fn conflict_status(conflicts: &[Conflict]) -> Value {
    let causes: Vec<Value> = conflict_causes(conflicts)
        .into_iter()
        .map(|c| json!({"reason": c.reason, "message": c.message, "field": c.field}))
        .collect();
    json!({
        "kind": "Status",
        "apiVersion": "v1",
        "metadata": {},
        "status": "Failure",
        "message": conflict_message(conflicts),
        "reason": "Conflict",
        "details": {"causes": causes},
        "code": 409,
    })
}

fn key_of(conflict: &Conflict) -> ManagerKey {
    ManagerKey::new(
        &conflict.manager,
        conflict.operation,
        &conflict.api_version,
        &conflict.subresource,
    )
}

/// One conflict per path of each manager's set; managers in identifier order.
pub(crate) fn conflicts_from(mut sets: Vec<(ManagerKey, FieldSet)>) -> Vec<Conflict> {
    sets.sort_by_cached_key(|(key, _)| key.identifier());
    let mut out = Vec::new();
    for (key, set) in sets {
        for path in set.paths() {
            out.push(Conflict {
                manager: key.manager.clone(),
                operation: key.operation,
                api_version: key.api_version.clone(),
                subresource: key.subresource.clone(),
                path,
            });
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn conflict(manager: &str, operation: Operation, path: &str) -> Conflict {
        Conflict {
            manager: manager.into(),
            operation,
            api_version: if operation == Operation::Update {
                "v1".into()
            } else {
                String::new()
            },
            subresource: String::new(),
            path: path.into(),
        }
    }

    #[test]
    fn single_conflict_message() {
        let conflicts = [Conflict {
            api_version: "apps/v1".into(),
            ..conflict(
                "kubectl-client-side-apply",
                Operation::Update,
                ".spec.replicas",
            )
        }];
        assert_eq!(
            conflict_message(&conflicts),
            r#"Apply failed with 1 conflict: conflict with "kubectl-client-side-apply" using apps/v1: .spec.replicas"#
        );
        let causes = conflict_causes(&conflicts);
        assert_eq!(causes[0].reason, "FieldManagerConflict");
        assert_eq!(
            causes[0].message,
            r#"conflict with "kubectl-client-side-apply" using apps/v1"#
        );
        assert_eq!(causes[0].field, ".spec.replicas");
    }

    #[test]
    fn multiple_conflicts_group_by_manager() {
        let conflicts = [
            conflict("foo", Operation::Update, ".spec.replicas"),
            conflict("bar", Operation::Apply, ".metadata.labels.app"),
        ];
        assert_eq!(
            conflict_message(&conflicts),
            "Apply failed with 2 conflicts: conflicts with \"bar\":\n- .metadata.labels.app\nconflicts with \"foo\" using v1:\n- .spec.replicas"
        );
        let status = conflict_status(&conflicts);
        assert_eq!(status["code"], 409);
        assert_eq!(status["reason"], "Conflict");
        assert_eq!(
            status["details"]["causes"][1]["message"],
            r#"conflict with "bar""#
        );
    }

    #[test]
    fn subresource_managers_are_named() {
        let c = Conflict {
            subresource: "scale".into(),
            ..conflict("foo", Operation::Update, ".spec.replicas")
        };
        assert_eq!(
            c.described_manager(),
            r#""foo" with subresource "scale" using v1"#
        );
    }
}
