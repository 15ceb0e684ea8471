//! Reading the protobuf wire format: tags, varints, fixed-width and length-delimited
//! values. Every read is bounds-checked and reports malformed input as an error.

use crate::DecodeError;

/// The payload of one field occurrence on the wire.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) enum WireValue<'a> {
    Varint(u64),
    Fixed64(u64),
    Bytes(&'a [u8]),
    Fixed32(u32),
}

impl WireValue<'_> {
    pub(crate) fn wire_type(&self) -> u8 {
        match self {
            WireValue::Varint(_) => 0,
            WireValue::Fixed64(_) => 1,
            WireValue::Bytes(_) => 2,
            WireValue::Fixed32(_) => 5,
        }
    }
}

/// Iterates over the fields of one encoded message.
pub(crate) struct FieldReader<'a> {
    data: &'a [u8],
    pos: usize,
}

impl<'a> FieldReader<'a> {
    pub(crate) fn new(data: &'a [u8]) -> Self {
        FieldReader { data, pos: 0 }
    }

    /// The next `(field number, value)`, or `None` at the end of the message.
    pub(crate) fn next_field(&mut self) -> Result<Option<(u32, WireValue<'a>)>, DecodeError> {
        if self.pos >= self.data.len() {
            return Ok(None);
        }
        let key = self.varint()?;
        let wire_type = (key & 7) as u8;
        let number = key >> 3;
        if number == 0 || number > MAX_FIELD_NUMBER {
            return Err(DecodeError::malformed(format!(
                "illegal field number {number}"
            )));
        }
        let value = match wire_type {
            0 => WireValue::Varint(self.varint()?),
            1 => WireValue::Fixed64(u64::from_le_bytes(self.take_array()?)),
            2 => {
                let len = self.varint()?;
                let len = usize::try_from(len)
                    .ok()
                    .filter(|len| *len <= self.data.len() - self.pos)
                    .ok_or_else(|| DecodeError::malformed("unexpected end of data"))?;
                WireValue::Bytes(self.take(len)?)
            }
            5 => WireValue::Fixed32(u32::from_le_bytes(self.take_array()?)),
            3 | 4 => {
                return Err(DecodeError::malformed(format!(
                    "unsupported group wire type {wire_type} for field {number}"
                )));
            }
            _ => {
                return Err(DecodeError::malformed(format!(
                    "illegal wire type {wire_type} for field {number}"
                )));
            }
        };
        Ok(Some((number as u32, value)))
    }

    fn varint(&mut self) -> Result<u64, DecodeError> {
        let (value, used) = read_varint(&self.data[self.pos..])?;
        self.pos += used;
        Ok(value)
    }

    fn take(&mut self, len: usize) -> Result<&'a [u8], DecodeError> {
        let end = self
            .pos
            .checked_add(len)
            .filter(|end| *end <= self.data.len())
            .ok_or_else(|| DecodeError::malformed("unexpected end of data"))?;
        let bytes = &self.data[self.pos..end];
        self.pos = end;
        Ok(bytes)
    }

    fn take_array<const N: usize>(&mut self) -> Result<[u8; N], DecodeError> {
        let bytes = self.take(N)?;
        let mut array = [0u8; N];
        array.copy_from_slice(bytes);
        Ok(array)
    }
}

const MAX_FIELD_NUMBER: u64 = (1 << 29) - 1;

/// Decodes one base-128 varint, returning it and the number of bytes it used.
pub(crate) fn read_varint(data: &[u8]) -> Result<(u64, usize), DecodeError> {
    let mut value: u64 = 0;
    for (index, byte) in data.iter().enumerate() {
        if index == 10 {
            break;
        }
        value |= u64::from(byte & 0x7f) << (7 * index);
        if byte & 0x80 == 0 {
            return Ok((value, index + 1));
        }
    }
    if data.len() < 10 {
        Err(DecodeError::malformed("unexpected end of data"))
    } else {
        Err(DecodeError::malformed("integer overflow in varint"))
    }
}

/// Splits the payload of a packed repeated scalar into its elements.
pub(crate) fn unpack(data: &[u8], wire_type: u8) -> Result<Vec<WireValue<'_>>, DecodeError> {
    let mut values = Vec::new();
    let mut pos = 0;
    while pos < data.len() {
        let rest = &data[pos..];
        match wire_type {
            0 => {
                let (value, used) = read_varint(rest)?;
                values.push(WireValue::Varint(value));
                pos += used;
            }
            1 => {
                let bytes: [u8; 8] = rest
                    .get(..8)
                    .and_then(|b| b.try_into().ok())
                    .ok_or_else(|| DecodeError::malformed("unexpected end of packed data"))?;
                values.push(WireValue::Fixed64(u64::from_le_bytes(bytes)));
                pos += 8;
            }
            _ => {
                let bytes: [u8; 4] = rest
                    .get(..4)
                    .and_then(|b| b.try_into().ok())
                    .ok_or_else(|| DecodeError::malformed("unexpected end of packed data"))?;
                values.push(WireValue::Fixed32(u32::from_le_bytes(bytes)));
                pos += 4;
            }
        }
    }
    Ok(values)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn varints() {
        assert_eq!(read_varint(&[0x00]).unwrap(), (0, 1));
        assert_eq!(read_varint(&[0x96, 0x01]).unwrap(), (150, 2));
        let max = [0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01];
        assert_eq!(read_varint(&max).unwrap(), (u64::MAX, 10));
        assert!(read_varint(&[0x80]).is_err());
        assert!(read_varint(&[0xff; 11]).is_err());
    }

    #[test]
    fn fields_of_each_wire_type() {
        let data = [
            0x08, 0x96, 0x01, // 1: varint 150
            0x11, 1, 0, 0, 0, 0, 0, 0, 0, // 2: fixed64 1
            0x1a, 0x02, b'h', b'i', // 3: bytes "hi"
            0x25, 2, 0, 0, 0, // 4: fixed32 2
        ];
        let mut reader = FieldReader::new(&data);
        assert_eq!(
            reader.next_field().unwrap(),
            Some((1, WireValue::Varint(150)))
        );
        assert_eq!(
            reader.next_field().unwrap(),
            Some((2, WireValue::Fixed64(1)))
        );
        assert_eq!(
            reader.next_field().unwrap(),
            Some((3, WireValue::Bytes(b"hi")))
        );
        assert_eq!(
            reader.next_field().unwrap(),
            Some((4, WireValue::Fixed32(2)))
        );
        assert_eq!(reader.next_field().unwrap(), None);
    }

    #[test]
    fn truncated_and_illegal_input() {
        for data in [
            &[0x0a, 0x05, b'a'][..],
            &[0x11, 1, 2][..],
            &[0x0b][..],
            &[0x0e][..],
            &[0x00, 0x01][..],
            &[0x0a, 0xff, 0xff, 0xff, 0xff, 0x0f][..],
        ] {
            assert!(FieldReader::new(data).next_field().is_err(), "{data:?}");
        }
    }

    #[test]
    fn packed_values() {
        assert_eq!(
            unpack(&[0x01, 0x96, 0x01], 0).unwrap(),
            vec![WireValue::Varint(1), WireValue::Varint(150)]
        );
        assert_eq!(
            unpack(&[1, 0, 0, 0], 5).unwrap(),
            vec![WireValue::Fixed32(1)]
        );
        assert!(unpack(&[1, 0, 0], 5).is_err());
        assert!(unpack(&[0x80], 0).is_err());
    }
}
