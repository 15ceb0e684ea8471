//! Types with a custom JSON form upstream.

use serde_json::{Value, json};

use super::encoder::{Enc, body, object_meta};
use crate::decode::message_value;
use crate::decode_object;
use crate::schema::message_by_name;

fn render(message: &str, data: Enc) -> Value {
    message_value(message_by_name(message).unwrap(), &data.build(), 0).unwrap()
}

const META: &str = "k8s.io.apimachinery.pkg.apis.meta.v1";

#[test]
fn time_keeps_whole_seconds_and_zero_is_null() {
    let time = format!("{META}.Time");
    assert_eq!(
        render(&time, Enc::new().int(1, 1_700_000_000).int(2, 999_999_999)),
        json!("2023-11-14T22:13:20Z")
    );
    assert_eq!(render(&time, Enc::new()), Value::Null);
    assert_eq!(
        render(&time, Enc::new().int(1, -62_135_596_800)),
        Value::Null
    );
    // Seconds 0 written explicitly is the Unix epoch, not the zero time.
    assert_eq!(
        render(&time, Enc::new().int(1, 0)),
        json!("1970-01-01T00:00:00Z")
    );
}

#[test]
fn micro_time_keeps_microseconds() {
    let micro = format!("{META}.MicroTime");
    assert_eq!(
        render(&micro, Enc::new().int(1, 1_700_000_000).int(2, 123_456_789)),
        json!("2023-11-14T22:13:20.123456Z")
    );
    assert_eq!(
        render(&micro, Enc::new().int(1, 1_700_000_000)),
        json!("2023-11-14T22:13:20.000000Z")
    );
    assert_eq!(render(&micro, Enc::new()), Value::Null);
    assert_eq!(
        render(&micro, Enc::new().int(1, -62_135_596_800)),
        Value::Null
    );
}

#[test]
fn lease_renew_time_is_a_micro_time() {
    let spec = Enc::new()
        .string(1, "node-1")
        .int(2, 40)
        .msg(4, Enc::new().int(1, 1_700_000_000).int(2, 5_000));
    let object = Enc::new()
        .msg(1, object_meta("node-1", "kube-node-lease"))
        .msg(2, spec);
    assert_eq!(
        decode_object(&body("coordination.k8s.io/v1", "Lease", object)).unwrap(),
        json!({
            "kind": "Lease",
            "apiVersion": "coordination.k8s.io/v1",
            "metadata": {"name": "node-1", "namespace": "kube-node-lease", "creationTimestamp": null},
            "spec": {
                "holderIdentity": "node-1",
                "leaseDurationSeconds": 40,
                "renewTime": "2023-11-14T22:13:20.000005Z"
            }
        })
    );
}

#[test]
fn duration_prints_as_go_duration() {
    let duration = format!("{META}.Duration");
    assert_eq!(
        render(&duration, Enc::new().int(1, 90_000_000_000)),
        json!("1m30s")
    );
    assert_eq!(render(&duration, Enc::new()), json!("0s"));
}

#[test]
fn quantity_and_int_or_string() {
    let quantity = "k8s.io.apimachinery.pkg.api.resource.Quantity";
    assert_eq!(render(quantity, Enc::new().string(1, "1Gi")), json!("1Gi"));
    assert_eq!(render(quantity, Enc::new()), json!("0"));

    let int_or_string = "k8s.io.apimachinery.pkg.util.intstr.IntOrString";
    assert_eq!(
        render(int_or_string, Enc::new().int(1, 0).int(2, -5)),
        json!(-5)
    );
    assert_eq!(
        render(int_or_string, Enc::new().int(1, 1).string(3, "50%")),
        json!("50%")
    );
    assert_eq!(render(int_or_string, Enc::new()), json!(0));
}

#[test]
fn raw_extension_embeds_its_json() {
    let object = Enc::new()
        .msg(1, object_meta("web-7d4b9", "default"))
        .msg(2, Enc::new().bytes(1, br#"{"spec":{"replicas":2}}"#))
        .int(3, 4);
    assert_eq!(
        decode_object(&body("apps/v1", "ControllerRevision", object)).unwrap(),
        json!({
            "kind": "ControllerRevision",
            "apiVersion": "apps/v1",
            "metadata": {"name": "web-7d4b9", "namespace": "default", "creationTimestamp": null},
            "data": {"spec": {"replicas": 2}},
            "revision": 4
        })
    );
    // A value RawExtension with nothing in it is `null`, like Go's nil Raw.
    let empty = Enc::new().msg(1, object_meta("r", "")).int(3, 1);
    assert_eq!(
        decode_object(&body("apps/v1", "ControllerRevision", empty)).unwrap()["data"],
        Value::Null
    );
}

#[test]
fn managed_fields_entry_embeds_fields_v1() {
    let entry = Enc::new()
        .string(1, "kubectl-client-side-apply")
        .string(2, "Update")
        .string(3, "v1")
        .msg(4, Enc::new().int(1, 1_700_000_000))
        .string(6, "FieldsV1")
        .msg(7, Enc::new().bytes(1, br#"{"f:data":{".":{},"f:a":{}}}"#))
        .string(8, "");
    let object = Enc::new().msg(1, object_meta("cm", "default").msg(17, entry));
    assert_eq!(
        decode_object(&body("v1", "ConfigMap", object)).unwrap()["metadata"]["managedFields"],
        json!([{
            "manager": "kubectl-client-side-apply",
            "operation": "Update",
            "apiVersion": "v1",
            "time": "2023-11-14T22:13:20Z",
            "fieldsType": "FieldsV1",
            "fieldsV1": {"f:data": {".": {}, "f:a": {}}}
        }])
    );
}

#[test]
fn named_slices_are_arrays() {
    let spec = Enc::new()
        .string(3, "alice")
        .entry_msg(5, "scopes", Enc::new().string(1, "read").string(1, "write"))
        .entry_msg(5, "none", Enc::new());
    let object = Enc::new().msg(1, object_meta("", "")).msg(2, spec);
    let decoded = decode_object(&body(
        "authorization.k8s.io/v1",
        "SubjectAccessReview",
        object,
    ))
    .unwrap();
    assert_eq!(
        decoded["spec"],
        json!({"user": "alice", "extra": {"scopes": ["read", "write"], "none": null}})
    );
    assert_eq!(decoded["status"], json!({"allowed": false}));

    let resource = Enc::new()
        .string(1, "pods")
        .boolean(2, true)
        .string(3, "Pod")
        .msg(4, Enc::new().string(1, "get").string(1, "list"))
        .string(6, "pod");
    assert_eq!(
        render(&format!("{META}.APIResource"), resource),
        json!({
            "name": "pods",
            "singularName": "pod",
            "namespaced": true,
            "kind": "Pod",
            "verbs": ["get", "list"]
        })
    );
}

fn schema(kind: &str) -> Enc {
    Enc::new().string(5, kind)
}

#[test]
fn custom_resource_definition_schema() {
    let replicas = schema("integer")
        .msg(8, Enc::new().bytes(1, b"1"))
        .double(9, 10.0)
        .double(11, 0.5)
        .boolean(38, false);
    let mode = schema("string")
        .msg(20, Enc::new().bytes(1, br#""fast""#))
        .msg(20, Enc::new().bytes(1, br#""safe""#));
    let tags = schema("array")
        .msg(24, Enc::new().msg(1, schema("string")))
        .string(42, "set");
    let tuple = schema("array").msg(
        24,
        Enc::new()
            .msg(2, schema("string"))
            .msg(2, schema("integer")),
    );
    let labels = schema("object").msg(30, Enc::new().boolean(1, true).msg(2, schema("string")));
    let closed = schema("object").msg(30, Enc::new().boolean(1, false));
    let spec_schema = schema("object")
        .entry_msg(29, "replicas", replicas)
        .entry_msg(29, "mode", mode)
        .entry_msg(29, "tags", tags)
        .entry_msg(29, "tuple", tuple)
        .entry_msg(29, "labels", labels)
        .entry_msg(29, "closed", closed)
        .entry_msg(32, "mode", Enc::new().string(2, "replicas"))
        .entry_msg(32, "tags", Enc::new().msg(1, schema("object")))
        .string(23, "replicas")
        .string(3, "#/definitions/spec")
        .msg(
            44,
            Enc::new()
                .string(1, "self.replicas >= 0")
                .string(2, "")
                .string(3, "")
                .string(5, ""),
        );
    let root = schema("object")
        .string(2, "http://json-schema.org/schema#")
        .entry_msg(29, "spec", spec_schema)
        .boolean(39, false)
        .boolean(40, false);
    let version = Enc::new()
        .string(1, "v1")
        .boolean(2, true)
        .boolean(3, true)
        .msg(4, Enc::new().msg(1, root))
        .boolean(7, false);
    let spec = Enc::new()
        .string(1, "example.com")
        .msg(
            3,
            Enc::new()
                .string(1, "widgets")
                .string(2, "widget")
                .string(4, "Widget")
                .string(5, "WidgetList"),
        )
        .string(4, "Namespaced")
        .msg(7, version)
        .boolean(10, false);
    let object = Enc::new()
        .msg(1, object_meta("widgets.example.com", ""))
        .msg(2, spec)
        .msg(3, Enc::new().msg(2, Enc::new().string(1, "").string(4, "")));
    let decoded = decode_object(&body(
        "apiextensions.k8s.io/v1",
        "CustomResourceDefinition",
        object,
    ))
    .unwrap();
    assert_eq!(
        decoded,
        json!({
            "kind": "CustomResourceDefinition",
            "apiVersion": "apiextensions.k8s.io/v1",
            "metadata": {"name": "widgets.example.com", "creationTimestamp": null},
            "spec": {
                "group": "example.com",
                "names": {"plural": "widgets", "singular": "widget", "kind": "Widget", "listKind": "WidgetList"},
                "scope": "Namespaced",
                "versions": [{
                    "name": "v1",
                    "served": true,
                    "storage": true,
                    "schema": {"openAPIV3Schema": {
                        "$schema": "http://json-schema.org/schema#",
                        "type": "object",
                        "properties": {"spec": {
                            "$ref": "#/definitions/spec",
                            "type": "object",
                            "required": ["replicas"],
                            "properties": {
                                "replicas": {
                                    "type": "integer",
                                    "default": 1,
                                    "maximum": 10,
                                    "minimum": 0.5,
                                    "x-kubernetes-preserve-unknown-fields": false
                                },
                                "mode": {"type": "string", "enum": ["fast", "safe"]},
                                "tags": {
                                    "type": "array",
                                    "items": {"type": "string"},
                                    "x-kubernetes-list-type": "set"
                                },
                                "tuple": {"type": "array", "items": [{"type": "string"}, {"type": "integer"}]},
                                "labels": {"type": "object", "additionalProperties": {"type": "string"}},
                                "closed": {"type": "object", "additionalProperties": false}
                            },
                            "dependencies": {"mode": ["replicas"], "tags": {"type": "object"}},
                            "x-kubernetes-validations": [{"rule": "self.replicas >= 0"}]
                        }}
                    }}
                }]
            },
            "status": {
                "conditions": null,
                "acceptedNames": {"plural": "", "kind": ""},
                "storedVersions": null
            }
        })
    );
}
