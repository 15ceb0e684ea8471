//! Store failures as the API reports them.

use capstan_api::ResourceInfo;
use capstan_apimachinery::ApiError;
use capstan_store::StoreError;

/// Maps a store error on an object (`name` may be empty for collections).
pub fn store_error(e: StoreError, res: &ResourceInfo, name: &str) -> ApiError {
    let gr = res.group_resource();
    match e {
        StoreError::AlreadyExists { .. } => ApiError::already_exists(&gr, name),
        StoreError::Conflict { current: None } | StoreError::NotFound => {
            ApiError::not_found(&gr, name)
        }
        StoreError::Conflict { current: Some(_) } => ApiError::optimistic_lock_conflict(&gr, name),
        StoreError::Compacted {
            requested,
            compacted,
        } => ApiError::too_old_resource_version(requested.max(0) as u64, compacted.max(0) as u64),
        StoreError::FutureRevision { requested, current } => {
            ApiError::too_large_resource_version(requested.max(0) as u64, current.max(0) as u64, 1)
        }
        StoreError::Unavailable { message } => {
            ApiError::service_unavailable(&format!("storage is unavailable: {message}"))
        }
        StoreError::Corrupt { message } | StoreError::Internal { message } => {
            ApiError::internal_error(&message)
        }
    }
}
