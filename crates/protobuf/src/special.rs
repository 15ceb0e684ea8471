//! Messages whose Go types have a custom JSON form (MarshalJSON upstream).

use serde_json::Value;

use crate::DecodeError;
use crate::decode::{Slot, collect, message_value, scalar_json};
use crate::format::{go_duration, rfc3339};
use crate::schema::{Message, Scalar, Special};
use crate::wire::{FieldReader, WireValue};

/// Seconds of Go's zero `time.Time` (0001-01-01T00:00:00Z) since the Unix epoch.
const ZERO_TIME_SECONDS: i64 = -62_135_596_800;

pub(crate) fn render(
    message: &'static Message,
    data: &[u8],
    depth: usize,
) -> Result<Value, DecodeError> {
    match message.special {
        Special::Time => time(data, false),
        Special::MicroTime => time(data, true),
        Special::Duration => {
            let nanos = varint_field(data, 1)?.unwrap_or(0) as i64;
            Ok(Value::String(go_duration(nanos)))
        }
        Special::Quantity => Ok(match string_field(data, 1)? {
            Some(text) => Value::String(text),
            // The zero Quantity prints as "0".
            None => Value::String("0".to_string()),
        }),
        Special::IntOrString => int_or_string(data),
        Special::RawJson => raw_json(data),
        Special::ItemsList => {
            let slots = collect(message, data, depth)?;
            Ok(match slot_by_number(message, slots, 1) {
                Some(Slot::List(items)) if !items.is_empty() => Value::Array(items),
                _ => Value::Null,
            })
        }
        Special::SchemaOrBool => {
            let allows = varint_field(data, 1)?.is_some_and(|v| v != 0);
            Ok(match schema_field(message, data, depth, 2)? {
                Some(schema) => schema,
                None => Value::Bool(allows),
            })
        }
        Special::SchemaOrArray | Special::SchemaOrStringArray => {
            let slots = collect(message, data, depth)?;
            if let Some(Slot::List(items)) = slot_by_number(message, slots, 2)
                && !items.is_empty()
            {
                return Ok(Value::Array(items));
            }
            Ok(schema_field(message, data, depth, 1)?.unwrap_or(Value::Null))
        }
        Special::None => Err(DecodeError::malformed(format!(
            "{} has no special JSON form",
            message.name
        ))),
    }
}

/// metav1.Time keeps whole seconds; metav1.MicroTime keeps microseconds. An empty
/// message, like the zero time, is `null`.
fn time(data: &[u8], micros: bool) -> Result<Value, DecodeError> {
    if data.is_empty() {
        return Ok(Value::Null);
    }
    let seconds = varint_field(data, 1)?.unwrap_or(0) as i64;
    if !micros {
        if seconds == ZERO_TIME_SECONDS {
            return Ok(Value::Null);
        }
        return Ok(Value::String(rfc3339(seconds, None)?));
    }
    let nanos = i64::from(varint_field(data, 2)?.unwrap_or(0) as u32 as i32);
    // Truncate toward zero to whole microseconds, then normalise into [0, 1s).
    let total = i128::from(seconds) * 1_000_000_000 + i128::from(nanos - nanos % 1000);
    let whole_seconds = total.div_euclid(1_000_000_000);
    let micro = (total.rem_euclid(1_000_000_000) / 1000) as u32;
    if whole_seconds == i128::from(ZERO_TIME_SECONDS) && micro == 0 {
        return Ok(Value::Null);
    }
    let whole_seconds = i64::try_from(whole_seconds)
        .map_err(|_| DecodeError::malformed("timestamp out of range"))?;
    Ok(Value::String(rfc3339(whole_seconds, Some(micro))?))
}

fn int_or_string(data: &[u8]) -> Result<Value, DecodeError> {
    let kind = varint_field(data, 1)?.unwrap_or(0) as i64;
    match kind {
        0 => {
            let value = varint_field(data, 2)?.unwrap_or(0);
            scalar_json(Scalar::Int32, WireValue::Varint(value))
        }
        1 => Ok(Value::String(string_field(data, 3)?.unwrap_or_default())),
        _ => Err(DecodeError::malformed("impossible IntOrString.Type")),
    }
}

/// RawExtension, FieldsV1 and apiextensions JSON carry a JSON document in field 1.
fn raw_json(data: &[u8]) -> Result<Value, DecodeError> {
    let raw = match last_field(data, 1)? {
        Some(WireValue::Bytes(raw)) => raw,
        Some(other) => return Err(wrong_wire_type(1, other)),
        None => return Ok(Value::Null),
    };
    if raw.is_empty() {
        return Ok(Value::Null);
    }
    // Upstream's RawExtension only converts JSON and CBOR to JSON.
    if raw.starts_with(&[0xd9, 0xd9, 0xf7]) {
        return Err(DecodeError::malformed(
            "embedded CBOR objects are not supported",
        ));
    }
    if raw.starts_with(crate::PROTOBUF_MAGIC) {
        return Err(DecodeError::malformed(
            "embedded protobuf objects are not supported",
        ));
    }
    serde_json::from_slice(raw)
        .map_err(|e| DecodeError::malformed(format!("embedded object is not valid JSON: {e}")))
}

/// The JSONSchemaProps held in field `number`, if present.
fn schema_field(
    message: &'static Message,
    data: &[u8],
    depth: usize,
    number: u32,
) -> Result<Option<Value>, DecodeError> {
    let Some((_, field)) = message.field(number) else {
        return Ok(None);
    };
    let crate::schema::FieldType::Message(schema) = field.ty else {
        return Ok(None);
    };
    // Occurrences are merged; one empty occurrence still means a non-nil schema.
    let mut merged: Option<Vec<u8>> = None;
    let mut reader = FieldReader::new(data);
    while let Some((n, value)) = reader.next_field()? {
        if n == number {
            match value {
                WireValue::Bytes(bytes) => merged.get_or_insert_default().extend_from_slice(bytes),
                other => return Err(wrong_wire_type(number, other)),
            }
        }
    }
    match merged {
        Some(bytes) => message_value(schema, &bytes, depth + 1).map(Some),
        None => Ok(None),
    }
}

fn slot_by_number<'a>(message: &Message, slots: Vec<Slot<'a>>, number: u32) -> Option<Slot<'a>> {
    let (index, _) = message.field(number)?;
    slots.into_iter().nth(index)
}

fn last_field(data: &[u8], number: u32) -> Result<Option<WireValue<'_>>, DecodeError> {
    let mut found = None;
    let mut reader = FieldReader::new(data);
    while let Some((n, value)) = reader.next_field()? {
        if n == number {
            found = Some(value);
        }
    }
    Ok(found)
}

fn varint_field(data: &[u8], number: u32) -> Result<Option<u64>, DecodeError> {
    match last_field(data, number)? {
        Some(WireValue::Varint(value)) => Ok(Some(value)),
        Some(other) => Err(wrong_wire_type(number, other)),
        None => Ok(None),
    }
}

fn string_field(data: &[u8], number: u32) -> Result<Option<String>, DecodeError> {
    match last_field(data, number)? {
        Some(WireValue::Bytes(bytes)) => Ok(Some(String::from_utf8_lossy(bytes).into_owned())),
        Some(other) => Err(wrong_wire_type(number, other)),
        None => Ok(None),
    }
}

fn wrong_wire_type(number: u32, value: WireValue) -> DecodeError {
    DecodeError::malformed(format!(
        "wrong wire type {} for field {number}",
        value.wire_type()
    ))
}
