//! The generic decoder: wire fields of one message, driven by its schema, into the
//! JSON value Go's encoding/json would give the decoded Go struct.

use serde_json::{Map, Value};

use crate::DecodeError;
use crate::format::{base64, float_number};
use crate::schema::{Field, FieldType, Message, Presence, Scalar, Shape, Special};
use crate::special;
use crate::wire::{FieldReader, WireValue, unpack};

/// Nesting deeper than this is refused rather than risking the stack.
const MAX_DEPTH: usize = 100;

/// What the wire held for one field of a message.
pub(crate) enum Slot<'a> {
    Unset,
    /// A singular scalar: the last occurrence wins.
    Scalar(WireValue<'a>),
    /// A singular message: every occurrence, merged when decoded.
    Messages(Vec<&'a [u8]>),
    List(Vec<Value>),
    Map(Map<String, Value>),
}

/// Decodes one message into its JSON form.
pub(crate) fn message_value(
    message: &'static Message,
    data: &[u8],
    depth: usize,
) -> Result<Value, DecodeError> {
    if depth > MAX_DEPTH {
        return Err(DecodeError::malformed(format!(
            "message nesting deeper than {MAX_DEPTH} levels"
        )));
    }
    match message.special {
        Special::None => Ok(Value::Object(message_object(message, data, depth)?)),
        _ => special::render(message, data, depth),
    }
}

/// Decodes a plain message into a JSON object.
pub(crate) fn message_object(
    message: &'static Message,
    data: &[u8],
    depth: usize,
) -> Result<Map<String, Value>, DecodeError> {
    let slots = collect(message, data, depth)?;
    let mut object = Map::new();
    // Fields of embedded structs first: Go lets the outer struct's own fields win.
    for (field, slot) in message.fields.iter().zip(&slots) {
        if field.shape == Shape::Inline {
            let FieldType::Message(nested) = field.ty else {
                continue;
            };
            object.extend(message_object(nested, &merge_chunks(slot), depth + 1)?);
        }
    }
    for (field, slot) in message.fields.iter().zip(slots) {
        if field.shape == Shape::Inline {
            continue;
        }
        let value = field_value(field, slot, depth).map_err(|e| e.within(field.json_name))?;
        if let Some(value) = value {
            object.insert(field.json_name.to_string(), value);
        }
    }
    Ok(object)
}

/// Reads all wire fields of `data` into one slot per schema field; unknown fields are
/// skipped.
pub(crate) fn collect<'a>(
    message: &'static Message,
    data: &'a [u8],
    depth: usize,
) -> Result<Vec<Slot<'a>>, DecodeError> {
    let mut slots: Vec<Slot<'a>> = message.fields.iter().map(|_| Slot::Unset).collect();
    let mut reader = FieldReader::new(data);
    while let Some((number, value)) = reader.next_field()? {
        let Some((index, field)) = message.field(number) else {
            continue;
        };
        store(field, &mut slots[index], value, depth).map_err(|e| e.within(field.json_name))?;
    }
    Ok(slots)
}

fn store<'a>(
    field: &'static Field,
    slot: &mut Slot<'a>,
    value: WireValue<'a>,
    depth: usize,
) -> Result<(), DecodeError> {
    match (field.shape, field.ty) {
        (Shape::Single | Shape::Inline, FieldType::Message(_)) => {
            let bytes = expect_bytes(field, value)?;
            match slot {
                Slot::Messages(chunks) => chunks.push(bytes),
                _ => *slot = Slot::Messages(vec![bytes]),
            }
        }
        (Shape::Single | Shape::Inline, FieldType::Scalar(scalar)) => {
            check_wire_type(field, scalar, value)?;
            *slot = Slot::Scalar(value);
        }
        (Shape::Repeated, ty) => {
            if !matches!(slot, Slot::List(_)) {
                *slot = Slot::List(Vec::new());
            }
            let Slot::List(items) = slot else {
                return Err(DecodeError::malformed("internal error: list slot"));
            };
            match (ty, value) {
                (FieldType::Scalar(scalar), WireValue::Bytes(packed)) if is_packable(scalar) => {
                    for element in unpack(packed, scalar_wire_type(scalar))? {
                        items.push(scalar_json(scalar, element)?);
                    }
                }
                (FieldType::Scalar(scalar), value) => {
                    check_wire_type(field, scalar, value)?;
                    items.push(scalar_json(scalar, value)?);
                }
                (FieldType::Message(nested), value) => {
                    let bytes = expect_bytes(field, value)?;
                    items.push(message_value(nested, bytes, depth + 1)?);
                }
            }
        }
        (Shape::Map(key_type), value_type) => {
            let entry = expect_bytes(field, value)?;
            let (key, value) = map_entry(key_type, value_type, entry, depth)?;
            match slot {
                Slot::Map(map) => {
                    map.insert(key, value);
                }
                _ => {
                    let mut map = Map::new();
                    map.insert(key, value);
                    *slot = Slot::Map(map);
                }
            }
        }
    }
    Ok(())
}

/// Decodes one map entry message `{1: key, 2: value}`; a missing part takes its zero value.
fn map_entry(
    key_type: Scalar,
    value_type: FieldType,
    entry: &[u8],
    depth: usize,
) -> Result<(String, Value), DecodeError> {
    let mut key: Option<WireValue> = None;
    let mut value: Option<WireValue> = None;
    let mut reader = FieldReader::new(entry);
    while let Some((number, wire)) = reader.next_field()? {
        match number {
            1 => key = Some(wire),
            2 => value = Some(wire),
            _ => {}
        }
    }
    let key = match key {
        Some(wire) => {
            check_scalar_wire(key_type, wire)?;
            match scalar_json(key_type, wire)? {
                Value::String(text) => text,
                other => other.to_string(),
            }
        }
        None => match scalar_zero(key_type) {
            Value::String(text) => text,
            other => other.to_string(),
        },
    };
    let value = match (value_type, value) {
        (FieldType::Scalar(scalar), Some(wire)) => {
            check_scalar_wire(scalar, wire)?;
            scalar_json(scalar, wire)?
        }
        (FieldType::Scalar(scalar), None) => scalar_zero(scalar),
        (FieldType::Message(nested), Some(WireValue::Bytes(bytes))) => {
            message_value(nested, bytes, depth + 1)?
        }
        (FieldType::Message(_), Some(wire)) => {
            return Err(DecodeError::malformed(format!(
                "wrong wire type {} for map value",
                wire.wire_type()
            )));
        }
        (FieldType::Message(nested), None) => message_value(nested, &[], depth + 1)?,
    };
    Ok((key, value))
}

/// The JSON for one field after the whole message was read, or `None` to leave it out.
fn field_value(field: &Field, slot: Slot, depth: usize) -> Result<Option<Value>, DecodeError> {
    let unset = match field.presence {
        Presence::OmitZero | Presence::Optional => None,
        Presence::Nullable => Some(Value::Null),
        Presence::Always => Some(match field.ty {
            FieldType::Scalar(scalar) => scalar_zero(scalar),
            FieldType::Message(nested) => message_value(nested, &[], depth + 1)?,
        }),
    };
    let value = match (slot, field.ty) {
        (Slot::Unset, _) => return Ok(unset),
        (Slot::Scalar(wire), FieldType::Scalar(scalar)) => scalar_json(scalar, wire)?,
        (slot @ Slot::Messages(_), FieldType::Message(nested)) => {
            let value = if nested.special == Special::None {
                message_value(nested, &merge_chunks(&slot), depth + 1)?
            } else {
                // Custom Go unmarshalers replace rather than merge: the last one wins.
                message_value(nested, last_chunk(&slot), depth + 1)?
            };
            // A nil named slice (Verbs, ExtraValue) is `null`, or left out.
            if value.is_null() && nested.special == Special::ItemsList {
                return Ok(unset);
            }
            value
        }
        (Slot::List(items), _) if items.is_empty() => return Ok(unset),
        (Slot::List(items), _) => Value::Array(items),
        (Slot::Map(map), _) => Value::Object(map),
        _ => return Ok(unset),
    };
    let omit = match field.presence {
        Presence::OmitZero => is_zero(&value),
        // Go's omitempty drops empty []byte, slices and maps even when non-nil.
        Presence::Optional => is_empty_collection(&value, field),
        Presence::Always | Presence::Nullable => false,
    };
    Ok(if omit { None } else { Some(value) })
}

fn is_zero(value: &Value) -> bool {
    match value {
        Value::Bool(b) => !b,
        Value::Number(n) => n.as_f64() == Some(0.0),
        Value::String(s) => s.is_empty(),
        Value::Null => true,
        _ => false,
    }
}

fn is_empty_collection(value: &Value, field: &Field) -> bool {
    match value {
        Value::Array(items) => items.is_empty(),
        Value::Object(map) => field.shape != Shape::Single && map.is_empty(),
        Value::String(text) => {
            matches!(field.ty, FieldType::Scalar(Scalar::Bytes)) && text.is_empty()
        }
        _ => false,
    }
}

/// All occurrences of a singular message concatenated: protobuf's merge semantics.
fn merge_chunks(slot: &Slot) -> Vec<u8> {
    match slot {
        Slot::Messages(chunks) => chunks.concat(),
        _ => Vec::new(),
    }
}

fn last_chunk<'a>(slot: &Slot<'a>) -> &'a [u8] {
    match slot {
        Slot::Messages(chunks) => chunks.last().copied().unwrap_or(&[]),
        _ => &[],
    }
}

fn expect_bytes<'a>(field: &Field, value: WireValue<'a>) -> Result<&'a [u8], DecodeError> {
    match value {
        WireValue::Bytes(bytes) => Ok(bytes),
        other => Err(wrong_wire_type(field, other)),
    }
}

fn check_wire_type(field: &Field, scalar: Scalar, value: WireValue) -> Result<(), DecodeError> {
    if value.wire_type() == scalar_wire_type(scalar) {
        Ok(())
    } else {
        Err(wrong_wire_type(field, value))
    }
}

fn check_scalar_wire(scalar: Scalar, value: WireValue) -> Result<(), DecodeError> {
    if value.wire_type() == scalar_wire_type(scalar) {
        Ok(())
    } else {
        Err(DecodeError::malformed(format!(
            "wrong wire type {} for a {scalar:?} value",
            value.wire_type()
        )))
    }
}

fn wrong_wire_type(field: &Field, value: WireValue) -> DecodeError {
    DecodeError::malformed(format!(
        "wrong wire type {} for field {}",
        value.wire_type(),
        field.number
    ))
}

fn is_packable(scalar: Scalar) -> bool {
    !matches!(scalar, Scalar::String | Scalar::Bytes)
}

pub(crate) fn scalar_wire_type(scalar: Scalar) -> u8 {
    match scalar {
        Scalar::Int32 | Scalar::Int64 | Scalar::Bool => 0,
        Scalar::Double => 1,
        Scalar::String | Scalar::Bytes => 2,
    }
}

/// The JSON of one scalar value; the wire type was checked by the caller.
pub(crate) fn scalar_json(scalar: Scalar, value: WireValue) -> Result<Value, DecodeError> {
    let raw = match value {
        WireValue::Varint(v) | WireValue::Fixed64(v) => v,
        WireValue::Fixed32(v) => u64::from(v),
        WireValue::Bytes(bytes) => {
            return Ok(Value::String(match scalar {
                Scalar::Bytes => base64(bytes),
                // Go does not validate proto2 strings; its JSON encoder replaces invalid
                // UTF-8 with U+FFFD.
                _ => String::from_utf8_lossy(bytes).into_owned(),
            }));
        }
    };
    // Truncating casts reproduce Go's fixed-width integer decoding.
    Ok(match scalar {
        Scalar::Int32 => Value::from(raw as u32 as i32),
        Scalar::Int64 => Value::from(raw as i64),
        Scalar::Bool => Value::Bool(raw != 0),
        Scalar::Double => float_number(f64::from_bits(raw))?,
        Scalar::String | Scalar::Bytes => {
            return Err(DecodeError::malformed("string field without bytes"));
        }
    })
}

pub(crate) fn scalar_zero(scalar: Scalar) -> Value {
    match scalar {
        Scalar::Bool => Value::Bool(false),
        Scalar::String | Scalar::Bytes => Value::String(String::new()),
        _ => Value::from(0),
    }
}
