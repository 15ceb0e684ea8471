//! capstan-protobuf: decodes Kubernetes protobuf request bodies
//! (`application/vnd.kubernetes.protobuf`) into the JSON a client would have sent.
//!
//! A body is the magic prefix `k8s\0` followed by a `runtime.Unknown` envelope whose
//! `typeMeta` names the object's apiVersion and kind and whose `raw` field holds the
//! object's own message. The object is converted by a generic wire decoder driven by a
//! schema table (`generated.rs`, produced by `tools/gen_schema.py` from upstream's
//! `generated.proto` files and Go type definitions), reproducing how Go's encoding/json
//! prints the decoded Go struct: JSON field names, `omitempty`, `null` for unset
//! pointers, and the custom forms of Time, MicroTime, Duration, Quantity, IntOrString,
//! RawExtension, FieldsV1 and the apiextensions schema unions.

mod decode;
mod format;
#[rustfmt::skip]
mod generated;
mod schema;
mod special;
mod wire;

#[cfg(test)]
mod tests;

use serde_json::{Map, Value};

use crate::wire::{FieldReader, WireValue};

/// The prefix of every Kubernetes protobuf body.
pub const PROTOBUF_MAGIC: &[u8; 4] = b"k8s\0";

/// The media type of Kubernetes protobuf bodies.
pub const PROTOBUF_CONTENT_TYPE: &str = "application/vnd.kubernetes.protobuf";

/// Why a protobuf body could not be decoded. The server answers 400 with its text.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DecodeError {
    /// The body does not start with `k8s\0`.
    #[error(
        "provided data does not appear to be a protobuf message, expected prefix [107 56 115 0]"
    )]
    MissingPrefix,
    /// The envelope names no kind.
    #[error("Object 'Kind' is missing in protobuf body")]
    MissingKind,
    /// No schema is known for the envelope's apiVersion and kind.
    #[error("no kind {kind:?} is registered for version {api_version:?}")]
    UnknownKind { api_version: String, kind: String },
    /// The wire data is not valid protobuf for the object's schema. `path` is the
    /// dotted JSON path of the field being read (empty at the top level).
    #[error("malformed protobuf body{}: {message}", at_path(path))]
    Malformed { path: String, message: String },
}

fn at_path(path: &str) -> String {
    if path.is_empty() {
        String::new()
    } else {
        format!(" at {path}")
    }
}

impl DecodeError {
    pub(crate) fn malformed(message: impl Into<String>) -> Self {
        DecodeError::Malformed {
            path: String::new(),
            message: message.into(),
        }
    }

    /// Prefixes the error's path with the JSON name of the field it happened in.
    pub(crate) fn within(self, segment: &str) -> Self {
        match self {
            DecodeError::Malformed { path, message } if !segment.is_empty() => {
                let path = if path.is_empty() {
                    segment.to_string()
                } else {
                    format!("{segment}.{path}")
                };
                DecodeError::Malformed { path, message }
            }
            other => other,
        }
    }
}

/// Whether a `Content-Type` header names the Kubernetes protobuf encoding of a single
/// object (parameters are ignored, except that the watch-stream framing is not one).
pub fn is_protobuf_content_type(content_type: &str) -> bool {
    let mut parts = content_type.split(';');
    let media_type = parts.next().unwrap_or("").trim();
    if !media_type.eq_ignore_ascii_case(PROTOBUF_CONTENT_TYPE) {
        return false;
    }
    !parts.any(|param| {
        let (name, value) = param.split_once('=').unwrap_or((param, ""));
        name.trim().eq_ignore_ascii_case("stream") && !value.trim().is_empty()
    })
}

/// Decodes a protobuf request body (magic prefix + `runtime.Unknown` envelope) into
/// the object's JSON, with `apiVersion` and `kind` taken from the envelope.
pub fn decode_object(body: &[u8]) -> Result<Value, DecodeError> {
    let envelope = body
        .strip_prefix(PROTOBUF_MAGIC)
        .ok_or(DecodeError::MissingPrefix)?;
    let unknown = read_unknown(envelope)?;
    if unknown.kind.is_empty() {
        return Err(DecodeError::MissingKind);
    }
    decode_as(unknown.raw, &unknown.api_version, &unknown.kind)
}

/// Decodes an object's own message bytes (no prefix, no envelope) as the given
/// apiVersion and kind, adding both to the JSON.
pub fn decode_as(raw: &[u8], api_version: &str, kind: &str) -> Result<Value, DecodeError> {
    let message =
        schema::message_for_kind(api_version, kind).ok_or_else(|| DecodeError::UnknownKind {
            api_version: api_version.to_string(),
            kind: kind.to_string(),
        })?;
    let fields = decode::message_object(message, raw, 0)?;
    // TypeMeta comes first, as Go prints it (`kind`, then `apiVersion`).
    let mut object = Map::new();
    if !kind.is_empty() {
        object.insert("kind".to_string(), Value::String(kind.to_string()));
    }
    if !api_version.is_empty() {
        object.insert(
            "apiVersion".to_string(),
            Value::String(api_version.to_string()),
        );
    }
    object.extend(fields);
    Ok(Value::Object(object))
}

/// The parts of `runtime.Unknown` the decoder needs.
struct Unknown<'a> {
    api_version: String,
    kind: String,
    raw: &'a [u8],
}

/// Reads `runtime.Unknown {1: typeMeta {1: apiVersion, 2: kind}, 2: raw,
/// 3: contentEncoding, 4: contentType}`.
fn read_unknown(data: &[u8]) -> Result<Unknown<'_>, DecodeError> {
    let mut unknown = Unknown {
        api_version: String::new(),
        kind: String::new(),
        raw: &[],
    };
    let mut reader = FieldReader::new(data);
    while let Some((number, value)) = reader.next_field()? {
        match (number, value) {
            (1, WireValue::Bytes(type_meta)) => {
                let mut meta = FieldReader::new(type_meta);
                while let Some((number, value)) = meta.next_field()? {
                    match (number, value) {
                        (1, WireValue::Bytes(text)) => {
                            unknown.api_version = String::from_utf8_lossy(text).into_owned();
                        }
                        (2, WireValue::Bytes(text)) => {
                            unknown.kind = String::from_utf8_lossy(text).into_owned();
                        }
                        (1 | 2, _) => {
                            return Err(DecodeError::malformed("wrong wire type in typeMeta"));
                        }
                        _ => {}
                    }
                }
            }
            (2, WireValue::Bytes(raw)) => unknown.raw = raw,
            (3 | 4, WireValue::Bytes(_)) => {}
            (1..=4, _) => {
                return Err(DecodeError::malformed(format!(
                    "wrong wire type {} for envelope field {number}",
                    value.wire_type()
                )));
            }
            _ => {}
        }
    }
    Ok(unknown)
}
