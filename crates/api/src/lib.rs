//! The Kubernetes API without IO: which resources exist, how their objects are defaulted and
//! validated (one strategy per resource, as upstream organises it), and the pure helpers the API
//! server builds on. Everything here is deterministic and testable without a server.

pub mod builtin;
pub mod registry;
pub mod resource;
pub mod strategy;

pub use registry::Registry;
pub use resource::{NameRule, PrinterColumn, ResourceInfo, ScalePaths, Subresource};
