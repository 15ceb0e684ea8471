//! Wire-level rules: presence, packing, merging, unknown fields, embedded structs and
//! kind look-up.

use serde_json::json;

use super::encoder::{Enc, body, object_meta};
use crate::{decode_as, decode_object, is_protobuf_content_type};

fn pod(spec: Enc) -> serde_json::Value {
    let object = Enc::new().msg(1, object_meta("p", "")).msg(2, spec);
    decode_object(&body("v1", "Pod", object)).unwrap()
}

#[test]
fn presence_follows_go_json_tags() {
    let container = Enc::new()
        .string(1, "c")
        // ports[0]: containerPort (no omitempty) absent, hostPort (omitempty) zero.
        .msg(6, Enc::new().int(2, 0));
    let spec = Enc::new()
        .msg(2, container)
        // priority is a pointer: present zero stays.
        .int(25, 0)
        // hostNetwork is a value with omitempty: false is dropped.
        .boolean(11, false)
        .string(10, "");
    let decoded = pod(spec);
    assert_eq!(
        decoded["spec"],
        json!({
            "containers": [{"name": "c", "ports": [{"containerPort": 0}], "resources": {}}],
            "priority": 0
        })
    );
    // Value structs are always written, even when absent from the wire.
    assert_eq!(decoded["status"], json!({}));
}

#[test]
fn nil_slices_without_omitempty_are_null() {
    // PodSpec.containers has no omitempty.
    assert_eq!(pod(Enc::new())["spec"], json!({"containers": null}));
}

#[test]
fn negative_integers_and_packed_repeated_scalars() {
    let security = Enc::new()
        .int(4, 1)
        .int(4, 2)
        // Packed form of [3, 300].
        .bytes(4, &[0x03, 0xac, 0x02])
        .int(5, -1);
    let spec = Enc::new().int(25, -5).msg(14, security).int(4, -30);
    let decoded = pod(spec);
    assert_eq!(decoded["spec"]["priority"], json!(-5));
    assert_eq!(decoded["spec"]["terminationGracePeriodSeconds"], json!(-30));
    assert_eq!(
        decoded["spec"]["securityContext"],
        json!({"supplementalGroups": [1, 2, 3, 300], "fsGroup": -1})
    );
}

#[test]
fn unknown_fields_of_every_wire_type_are_skipped() {
    let object = Enc::new()
        .msg(1, object_meta("cm", ""))
        .varint(900, 7)
        .fixed32(901, 1)
        .double(902, 1.5)
        .string(903, "future field")
        .entry(2, "a", "b");
    assert_eq!(
        decode_object(&body("v1", "ConfigMap", object)).unwrap(),
        json!({
            "kind": "ConfigMap",
            "apiVersion": "v1",
            "metadata": {"name": "cm", "creationTimestamp": null},
            "data": {"a": "b"}
        })
    );
}

#[test]
fn repeated_occurrences_merge_like_protobuf() {
    let object = Enc::new()
        .msg(1, Enc::new().string(1, "first").entry(11, "a", "1"))
        .msg(1, Enc::new().string(1, "second").entry(11, "b", "2"))
        .entry(2, "k", "old")
        .entry(2, "k", "new")
        // A map entry without value, and one without key.
        .msg(2, Enc::new().string(1, "novalue"))
        .msg(2, Enc::new().string(2, "nokey"))
        .boolean(4, true)
        .boolean(4, false);
    assert_eq!(
        decode_object(&body("v1", "ConfigMap", object)).unwrap(),
        json!({
            "kind": "ConfigMap",
            "apiVersion": "v1",
            "metadata": {"name": "second", "creationTimestamp": null, "labels": {"a": "1", "b": "2"}},
            "data": {"k": "new", "novalue": "", "": "nokey"},
            "immutable": false
        })
    );
}

#[test]
fn embedded_structs_are_flattened() {
    let volume = Enc::new().string(1, "scratch").msg(
        2,
        Enc::new().msg(
            2,
            Enc::new()
                .string(1, "Memory")
                .msg(2, Enc::new().string(1, "64Mi")),
        ),
    );
    let secret_volume = Enc::new().string(1, "creds").msg(
        2,
        Enc::new().msg(6, Enc::new().string(1, "db").int(3, 0o400)),
    );
    let ephemeral = Enc::new()
        .msg(
            1,
            Enc::new()
                .string(1, "debugger")
                .string(2, "busybox")
                .boolean(18, true),
        )
        .string(2, "app");
    let spec = Enc::new()
        .msg(1, volume)
        .msg(1, secret_volume)
        .msg(34, ephemeral);
    let decoded = pod(spec);
    assert_eq!(
        decoded["spec"]["volumes"],
        json!([
            {"name": "scratch", "emptyDir": {"medium": "Memory", "sizeLimit": "64Mi"}},
            {"name": "creds", "secret": {"secretName": "db", "defaultMode": 256}}
        ])
    );
    assert_eq!(
        decoded["spec"]["ephemeralContainers"],
        json!([{
            "name": "debugger",
            "image": "busybox",
            "resources": {},
            "tty": true,
            "targetContainerName": "app"
        }])
    );
}

#[test]
fn invalid_utf8_in_strings_is_replaced() {
    let object = Enc::new()
        .msg(1, object_meta("cm", ""))
        .msg(2, Enc::new().string(1, "k").bytes(2, b"a\xffb"));
    let decoded = decode_object(&body("v1", "ConfigMap", object)).unwrap();
    assert_eq!(decoded["data"]["k"], json!("a\u{fffd}b"));
}

#[test]
fn meta_kinds_resolve_under_any_group_version() {
    let delete_options = Enc::new()
        .int(1, 0)
        .msg(2, Enc::new().string(1, "uid-1").string(2, "42"))
        .string(4, "Foreground")
        .string(5, "All");
    for api_version in ["v1", "apps/v1", "meta.k8s.io/v1"] {
        let decoded =
            decode_object(&body(api_version, "DeleteOptions", delete_options.clone())).unwrap();
        assert_eq!(
            decoded,
            json!({
                "kind": "DeleteOptions",
                "apiVersion": api_version,
                "gracePeriodSeconds": 0,
                "preconditions": {"uid": "uid-1", "resourceVersion": "42"},
                "propagationPolicy": "Foreground",
                "dryRun": ["All"]
            })
        );
    }
}

#[test]
fn decode_as_takes_bare_object_bytes() {
    let object = Enc::new().msg(1, object_meta("ns1", "")).build();
    assert_eq!(
        decode_as(&object, "v1", "Namespace").unwrap(),
        json!({
            "kind": "Namespace",
            "apiVersion": "v1",
            "metadata": {"name": "ns1", "creationTimestamp": null},
            "spec": {},
            "status": {}
        })
    );
}

#[test]
fn protobuf_content_types() {
    assert!(is_protobuf_content_type(
        "application/vnd.kubernetes.protobuf"
    ));
    assert!(is_protobuf_content_type(
        "Application/VND.Kubernetes.Protobuf"
    ));
    assert!(is_protobuf_content_type(
        " application/vnd.kubernetes.protobuf ; charset=utf-8"
    ));
    assert!(!is_protobuf_content_type(
        "application/vnd.kubernetes.protobuf;stream=watch"
    ));
    assert!(!is_protobuf_content_type("application/json"));
    assert!(!is_protobuf_content_type(
        "application/vnd.kubernetes.protobuf+json"
    ));
    assert!(!is_protobuf_content_type(""));
}
