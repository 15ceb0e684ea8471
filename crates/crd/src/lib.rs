//! capstan-crd: the pure pieces of apiextensions-apiserver that act on
//! custom objects and their CRD schemas — OpenAPI validation with
//! upstream's messages, pruning, defaulting, structural-schema checks, CEL
//! validation rules, and JSONPath for printer columns and selectable fields.
//!
//! Schemas arrive as `serde_json::Value` (a CRD version's
//! `schema.openAPIV3Schema`); [`schema::parse_schema`] gives a parsed form the
//! server can cache per CRD version, and each entry point has a variant
//! taking it.

pub mod cel;
pub mod defaulting;
pub mod fieldpath;
mod gofmt;
pub mod jsonpath;
pub mod prune;
mod regex_cache;
pub mod schema;
pub mod structural;
pub mod validate;

pub use cel::{CelValidator, compile_rules};
pub use defaulting::{default, default_parsed};
pub use jsonpath::{JsonPath, jsonpath_cell, validate_printer_column, validate_selectable_fields};
pub use prune::{prune, prune_non_nullable_nulls, prune_parsed};
pub use schema::{Schema, SchemaParseError, parse_schema};
pub use structural::{StructuralOptions, check_parsed, check_structural, check_structural_with};
pub use validate::{
    blocking_error, coerce_object_meta, validate, validate_embedded_resources,
    validate_list_sets_and_maps, validate_parsed, validate_schema_value, validate_update_parsed,
};
