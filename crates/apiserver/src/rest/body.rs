//! Request bodies: JSON, YAML and (for kubectl ≥ 1.32's typed clients) Kubernetes protobuf.

use bytes::Bytes;
use capstan_apimachinery::ApiError;
use serde_json::Value;

/// kube-apiserver refuses bodies over 3 MiB.
pub const MAX_BODY_BYTES: usize = 3 * 1024 * 1024;

pub const ACCEPTED_OBJECT_TYPES: &[&str] = &[
    "application/json",
    "application/yaml",
    "application/vnd.kubernetes.protobuf",
];

pub fn media_type(content_type: Option<&str>) -> String {
    content_type
        .unwrap_or("application/json")
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase()
}

/// Decodes an object body of a create or update.
pub fn decode_object(body: &Bytes, content_type: Option<&str>) -> Result<Value, ApiError> {
    let media = media_type(content_type);
    let value = match media.as_str() {
        "application/json" | "" => serde_json::from_slice::<Value>(body)
            .map_err(|e| ApiError::bad_request(&format!("error decoding JSON: {e}")))?,
        "application/yaml" => {
            let text = std::str::from_utf8(body)
                .map_err(|e| ApiError::bad_request(&format!("error decoding YAML: {e}")))?;
            serde_saphyr::from_str::<Value>(text)
                .map_err(|e| ApiError::bad_request(&format!("error decoding YAML: {e}")))?
        }
        "application/vnd.kubernetes.protobuf" => crate::protobuf::decode(body)?,
        _ => return Err(ApiError::unsupported_media_type(ACCEPTED_OBJECT_TYPES)),
    };
    if !value.is_object() {
        return Err(ApiError::bad_request(
            "the object provided is unrecognized (must be a JSON object)",
        ));
    }
    Ok(value)
}

/// Checks a body's apiVersion/kind against the endpoint's and fills them in when absent.
pub fn check_type(obj: &mut Value, api_version: &str, kind: &str) -> Result<(), ApiError> {
    let m = obj.as_object_mut().expect("checked to be an object");
    match m.get("apiVersion").and_then(Value::as_str) {
        None | Some("") => {
            m.insert("apiVersion".into(), Value::String(api_version.into()));
        }
        Some(v) if v == api_version => {}
        Some(v) => {
            return Err(ApiError::bad_request(&format!(
                "the API version in the data ({v}) does not match the expected API version ({api_version})"
            )));
        }
    }
    match m.get("kind").and_then(Value::as_str) {
        None | Some("") => {
            m.insert("kind".into(), Value::String(kind.into()));
        }
        Some(k) if k == kind => {}
        Some(k) => {
            return Err(ApiError::bad_request(&format!(
                "the kind in the data ({k}) does not match the expected kind ({kind})"
            )));
        }
    }
    Ok(())
}
