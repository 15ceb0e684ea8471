//! capstan-apimachinery: the pure-logic pieces of Kubernetes'
//! `k8s.io/apimachinery` that the API server and controllers share —
//! label and field selectors, resource quantities, validation helpers with
//! upstream's exact message texts, field errors, `metav1.Status` errors and
//! human-readable durations.

pub mod cidr;
pub mod duration;
pub mod field_errors;
pub mod fields;
pub mod go_fmt;
pub mod labels;
pub mod quantity;
pub mod status;
pub mod validation;

pub use field_errors::{BadValue, ErrorList, ErrorType, FieldError, Path};
pub use quantity::{Format, Quantity, QuantityError};
pub use status::{ApiError, GroupKind, GroupResource};
