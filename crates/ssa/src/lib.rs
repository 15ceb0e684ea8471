//! Server-side apply and field ownership, as kube-apiserver v1.33 computes
//! them (structured-merge-diff v4.6 under `k8s.io/apimachinery`'s field
//! manager).
//!
//! Every write records who owns which fields in `metadata.managedFields`:
//! [`update`] for creates, updates and patches, [`apply`] for server-side
//! apply. Types come from OpenAPI v3 definitions compiled once into a
//! [`TypeSet`] ([`Schema::named`]), or from a custom resource's schema
//! ([`Schema::custom_resource`]). Everything here is pure: the caller passes
//! the time and the fields its strategy resets.
//!
//! ```
//! use capstan_ssa::{Context, ManagedFields, Manager, Operation, Schema, apply};
//! use serde_json::json;
//!
//! let schema = Schema::custom_resource(&json!({"type": "object", "properties": {
//!     "spec": {"type": "object", "properties": {"replicas": {"type": "integer"}}}}}));
//! let ctx = Context { schema: &schema, now: "2024-01-02T03:04:05Z", ignored: None, kind: "Widget" };
//! let manager = Manager::new("me", Operation::Apply, "example.com/v1", "");
//! let config = json!({"apiVersion": "example.com/v1", "kind": "Widget",
//!     "metadata": {"name": "w"}, "spec": {"replicas": 2}});
//! let (object, managed) = apply(None, &config, &ManagedFields::new(), &manager, false, &ctx).unwrap();
//! assert_eq!(object["spec"]["replicas"], 2);
//! assert_eq!(managed.entries()[0].fields.paths(), [".spec.replicas"]);
//! ```

mod error;
mod fields_v1;
mod last_applied;
mod managed;
mod ops;
mod path;
mod schema;
mod set;
mod time;
mod typed;
mod updater;
mod value;

pub use error::{
    Conflict, SsaError, StatusCause, conflict_causes, conflict_message, conflict_status,
};
pub use fields_v1::{
    from_value as fields_v1_from_value, to_json as fields_v1_to_json,
    to_value as fields_v1_to_value,
};
pub use last_applied::LAST_APPLIED_ANNOTATION;
pub use managed::{ManagedFields, ManagedFieldsEntry, Operation};
pub use ops::{Context, MAX_UPDATE_MANAGERS, Manager, apply, update};
pub use path::{PathElement, path_string};
pub use schema::{Schema, TypeSet};
pub use set::FieldSet;
pub use time::{format_rfc3339, normalize_rfc3339, parse_rfc3339};
