//! The OpenAPI documents of the API server: `/openapi/v2` (swagger 2.0, one
//! document) and `/openapi/v3` (an index plus one document per group version).
//!
//! kubectl depends on them: `explain` reads schemas and descriptions, client-side
//! `apply` computes strategic merge patches from the `x-kubernetes-patch-*`
//! extensions, and the `fieldValidation` parameter on PATCH operations tells it
//! the server validates fields itself.
//!
//! Schemas live in [`Definitions`] in v3 form; [`builtin_definitions`] makes
//! those of the built-in types, custom resources add theirs. Each document
//! holds only the schemas its operations reach. Everything here is pure: the
//! server serializes the documents once, hashes them with [`document_hash`]
//! and caches the bytes.

mod builtin;
mod definitions;
mod documents;
mod error;
mod naming;
mod normalize;
mod operations;
mod params;
mod render;
mod resources;
mod shapes;
mod visit;

pub use builtin::{BUILTIN_GROUP_VERSIONS, builtin_definitions};
pub use definitions::{
    Definitions, GVK_EXTENSION, GroupVersionKind, V2_REF_PREFIX, V3_REF_PREFIX, ref_target,
    referenced_names,
};
pub use documents::{document_hash, v2_document, v3_document, v3_index};
pub use error::OpenApiError;
pub use naming::{api_prefix, v3_index_key};
pub use render::{CUSTOM_RESOURCE_PATCH_CONTENT_TYPES, PATCH_CONTENT_TYPES};
pub use resources::{
    STANDARD_VERBS, ServedResource, ServedSubresource, SubresourceBody, served_group_versions,
};
pub use shapes::{custom_resource_schema, custom_resource_schema_name, list_schema};
