//! A tiny protobuf encoder for building test bodies by hand.

#[derive(Default, Clone)]
pub(crate) struct Enc(Vec<u8>);

impl Enc {
    pub(crate) fn new() -> Self {
        Enc::default()
    }

    fn key(&mut self, number: u32, wire_type: u8) {
        push_varint(&mut self.0, (u64::from(number) << 3) | u64::from(wire_type));
    }

    pub(crate) fn varint(mut self, number: u32, value: u64) -> Self {
        self.key(number, 0);
        push_varint(&mut self.0, value);
        self
    }

    /// int32 and int64 both encode negatives as 10-byte two's complement varints.
    pub(crate) fn int(self, number: u32, value: i64) -> Self {
        self.varint(number, value as u64)
    }

    pub(crate) fn boolean(self, number: u32, value: bool) -> Self {
        self.varint(number, u64::from(value))
    }

    pub(crate) fn bytes(mut self, number: u32, value: &[u8]) -> Self {
        self.key(number, 2);
        push_varint(&mut self.0, value.len() as u64);
        self.0.extend_from_slice(value);
        self
    }

    pub(crate) fn string(self, number: u32, value: &str) -> Self {
        self.bytes(number, value.as_bytes())
    }

    pub(crate) fn msg(self, number: u32, value: Enc) -> Self {
        self.bytes(number, &value.0)
    }

    pub(crate) fn double(mut self, number: u32, value: f64) -> Self {
        self.key(number, 1);
        self.0.extend_from_slice(&value.to_bits().to_le_bytes());
        self
    }

    pub(crate) fn fixed32(mut self, number: u32, value: u32) -> Self {
        self.key(number, 5);
        self.0.extend_from_slice(&value.to_le_bytes());
        self
    }

    /// A `map<string, string>` entry.
    pub(crate) fn entry(self, number: u32, key: &str, value: &str) -> Self {
        self.msg(number, Enc::new().string(1, key).string(2, value))
    }

    /// A map entry whose value is a message.
    pub(crate) fn entry_msg(self, number: u32, key: &str, value: Enc) -> Self {
        self.msg(number, Enc::new().string(1, key).msg(2, value))
    }

    pub(crate) fn build(self) -> Vec<u8> {
        self.0
    }
}

fn push_varint(out: &mut Vec<u8>, mut value: u64) {
    while value >= 0x80 {
        out.push((value as u8) | 0x80);
        value >>= 7;
    }
    out.push(value as u8);
}

/// A whole request body: magic prefix and `runtime.Unknown` envelope around `object`.
pub(crate) fn body(api_version: &str, kind: &str, object: Enc) -> Vec<u8> {
    let envelope = Enc::new()
        .msg(1, Enc::new().string(1, api_version).string(2, kind))
        .msg(2, object)
        .string(3, "")
        .string(4, "");
    let mut out = b"k8s\0".to_vec();
    out.extend(envelope.build());
    out
}

/// ObjectMeta as Go's marshaller writes it: every non-pointer field present.
pub(crate) fn object_meta(name: &str, namespace: &str) -> Enc {
    Enc::new()
        .string(1, name)
        .string(2, "")
        .string(3, namespace)
        .string(4, "")
        .string(5, "")
        .string(6, "")
        .int(7, 0)
        .msg(8, Enc::new())
}
