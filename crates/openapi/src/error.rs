//! Errors raised while assembling a document.

use std::fmt;

/// Why a document could not be assembled.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OpenApiError {
    /// A served resource, or a schema, refers to a definition that is not known.
    MissingDefinition {
        /// The definition that was looked for.
        name: String,
        /// Who referred to it: a resource (`deployments`, `pods/status`) or a definition name.
        referenced_by: String,
    },
    /// A served resource cannot be rendered (empty plural, kind or definition name).
    InvalidResource { resource: String, reason: String },
}

impl fmt::Display for OpenApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            OpenApiError::MissingDefinition {
                name,
                referenced_by,
            } => write!(
                f,
                "definition {name:?} referenced by {referenced_by:?} is not known"
            ),
            OpenApiError::InvalidResource { resource, reason } => {
                write!(f, "resource {resource:?} cannot be published: {reason}")
            }
        }
    }
}

impl std::error::Error for OpenApiError {}
