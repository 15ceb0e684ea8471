//! Malformed bodies give errors with a clear text, never a panic.

use super::encoder::{Enc, body, object_meta};
use crate::{DecodeError, decode_object};

fn error_text(body: &[u8]) -> String {
    decode_object(body).unwrap_err().to_string()
}

#[test]
fn missing_prefix() {
    assert_eq!(
        decode_object(b"{\"kind\":\"Pod\"}"),
        Err(DecodeError::MissingPrefix)
    );
    assert_eq!(decode_object(b""), Err(DecodeError::MissingPrefix));
    assert_eq!(
        error_text(b"k8s"),
        "provided data does not appear to be a protobuf message, expected prefix [107 56 115 0]"
    );
}

#[test]
fn missing_or_unknown_kind() {
    assert_eq!(decode_object(b"k8s\0"), Err(DecodeError::MissingKind));
    assert_eq!(
        error_text(&body("example.com/v1", "Widget", Enc::new())),
        r#"no kind "Widget" is registered for version "example.com/v1""#
    );
    assert_eq!(
        error_text(&body("v1", "Deployment", Enc::new())),
        r#"no kind "Deployment" is registered for version "v1""#
    );
}

#[test]
fn truncated_data_names_the_field() {
    let mut template = Enc::new().msg(1, object_meta("", "")).build();
    template.truncate(template.len() - 1);
    let spec = Enc::new().bytes(3, &template);
    let object = Enc::new().msg(1, object_meta("web", "")).msg(2, spec);
    assert_eq!(
        error_text(&body("apps/v1", "Deployment", object)),
        "malformed protobuf body at spec.template: unexpected end of data"
    );
    let mut envelope = body("v1", "ConfigMap", Enc::new().msg(1, object_meta("a", "")));
    envelope.truncate(envelope.len() - 3);
    assert_eq!(
        error_text(&envelope),
        "malformed protobuf body: unexpected end of data"
    );
}

#[test]
fn wrong_wire_types() {
    let object = Enc::new().varint(2, 1);
    assert_eq!(
        error_text(&body("v1", "ConfigMap", object)),
        "malformed protobuf body at data: wrong wire type 0 for field 2"
    );
    let object = Enc::new().string(4, "yes");
    assert_eq!(
        error_text(&body("v1", "ConfigMap", object)),
        "malformed protobuf body at immutable: wrong wire type 2 for field 4"
    );
}

#[test]
fn bad_special_values() {
    let object = Enc::new()
        .msg(1, object_meta("r", ""))
        .msg(2, Enc::new().bytes(1, b"{not json"));
    assert!(
        error_text(&body("apps/v1", "ControllerRevision", object))
            .starts_with("malformed protobuf body at data: embedded object is not valid JSON")
    );

    let object = Enc::new().msg(2, Enc::new().bytes(1, b"k8s\0\x0a\x00"));
    assert_eq!(
        error_text(&body("apps/v1", "ControllerRevision", object)),
        "malformed protobuf body at data: embedded protobuf objects are not supported"
    );

    let port = Enc::new().int(1, 2);
    let object = Enc::new().msg(2, Enc::new().msg(1, Enc::new().int(3, 80).msg(4, port)));
    assert_eq!(
        error_text(&body("v1", "Service", object)),
        "malformed protobuf body at spec.ports.targetPort: impossible IntOrString.Type"
    );

    let schema = Enc::new().double(9, f64::NAN);
    let object = Enc::new().msg(
        2,
        Enc::new().msg(7, Enc::new().msg(4, Enc::new().msg(1, schema))),
    );
    assert_eq!(
        error_text(&body(
            "apiextensions.k8s.io/v1",
            "CustomResourceDefinition",
            object
        )),
        "malformed protobuf body at spec.versions.schema.openAPIV3Schema.maximum: \
         unsupported floating-point value NaN"
    );

    let meta = Enc::new().msg(8, Enc::new().int(1, i64::MAX));
    assert_eq!(
        error_text(&body("v1", "ConfigMap", Enc::new().msg(1, meta))),
        "malformed protobuf body at metadata.creationTimestamp: \
         timestamp 9223372036854775807 is outside the years 0000-9999"
    );
}

#[test]
fn deep_nesting_is_refused() {
    let mut schema = Enc::new().string(5, "object");
    for _ in 0..150 {
        schema = Enc::new().msg(28, schema);
    }
    let object = Enc::new().msg(
        2,
        Enc::new().msg(7, Enc::new().msg(4, Enc::new().msg(1, schema))),
    );
    let text = error_text(&body(
        "apiextensions.k8s.io/v1",
        "CustomResourceDefinition",
        object,
    ));
    assert!(
        text.ends_with("message nesting deeper than 100 levels"),
        "{text}"
    );
}

#[test]
fn arbitrary_bytes_never_panic() {
    // A cheap deterministic generator: every prefix and byte flip of a real body.
    let real = include_bytes!("../../testdata/kubectl/deployment.pb");
    for end in 0..real.len() {
        let _ = decode_object(&real[..end]);
    }
    for index in 4..real.len() {
        for flip in [0x01, 0x80, 0xff] {
            let mut mutated = real.to_vec();
            mutated[index] ^= flip;
            let _ = decode_object(&mutated);
        }
    }
}
