//! Kubernetes protobuf request bodies (sent by kubectl ≥ 1.32's typed clients).

use capstan_apimachinery::ApiError;
use serde_json::Value;

pub fn decode(body: &[u8]) -> Result<Value, ApiError> {
    capstan_protobuf::decode_object(body).map_err(|e| ApiError::bad_request(&e.to_string()))
}
