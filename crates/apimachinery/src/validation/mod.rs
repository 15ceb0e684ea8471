//! Upstream `pkg/util/validation` (format validators returning message
//! strings), IP/CIDR validators, and the object-metadata validators.

mod ip;
mod metav1;
mod names;
mod object_meta;
#[cfg(test)]
mod tests;

pub use ip::*;
pub use metav1::*;
pub use names::*;
pub use object_meta::*;
