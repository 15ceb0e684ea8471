use super::*;
use crate::field_errors::Path;

fn pods() -> GroupResource {
    GroupResource::new("", "pods")
}

use serde_json::json;

fn text(e: &ApiError) -> String {
    let s = e.to_status_json_string();
    assert_eq!(serde_json::to_string(e).unwrap(), s);
    s
}

#[test]
fn group_resource_strings() {
    assert_eq!(pods().to_string(), "pods");
    assert_eq!(
        GroupResource::new("apps", "deployments").to_string(),
        "deployments.apps"
    );
    assert_eq!(
        GroupResource::parse("deployments.apps"),
        GroupResource::new("apps", "deployments")
    );
    assert_eq!(
        GroupResource::parse("a.b.c"),
        GroupResource::new("b.c", "a")
    );
    assert_eq!(
        GroupKind::new("apps", "Deployment").to_string(),
        "Deployment.apps"
    );
    assert_eq!(GroupKind::new("", "Pod").to_string(), "Pod");
}

#[test]
fn not_found_json() {
    let e = ApiError::not_found(&pods(), "x");
    assert_eq!(e.to_string(), "pods \"x\" not found");
    assert_eq!(
        text(&e),
        r#"{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"pods \"x\" not found","reason":"NotFound","details":{"name":"x","kind":"pods"},"code":404}"#
    );
    let e = ApiError::not_found(&GroupResource::new("apps", "deployments"), "web");
    assert_eq!(
        text(&e),
        r#"{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"deployments.apps \"web\" not found","reason":"NotFound","details":{"name":"web","group":"apps","kind":"deployments"},"code":404}"#
    );
}

#[test]
fn conflicts_and_exists() {
    assert_eq!(
        ApiError::already_exists(&pods(), "x").message,
        "pods \"x\" already exists"
    );
    assert_eq!(ApiError::already_exists(&pods(), "x").code, 409);
    let e = ApiError::optimistic_lock_conflict(&pods(), "x");
    assert_eq!(
        e.message,
        "Operation cannot be fulfilled on pods \"x\": the object has been modified; please apply your changes to the latest version and try again"
    );
    assert_eq!((e.code, e.reason.as_str()), (409, "Conflict"));
    assert_eq!(
        ApiError::conflict(
            &GroupResource::new("", "namespaces"),
            "ns",
            "The system is ensuring all content is removed from this namespace."
        )
        .message,
        "Operation cannot be fulfilled on namespaces \"ns\": The system is ensuring all content is removed from this namespace."
    );
    let e = ApiError::generate_name_conflict(&pods(), "x-abc", 1);
    assert_eq!(
        e.message,
        "pods \"x-abc\" already exists, the server was not able to generate a unique name for the object"
    );
    assert_eq!(e.details.unwrap().retry_after_seconds, 1);
}

#[test]
fn invalid_messages_and_causes() {
    let kind = GroupKind::new("", "Pod");
    let name = Path::new("metadata").child("name");
    let image = Path::new("spec")
        .child("containers")
        .index(0)
        .child("image");
    let e1 = FieldError::invalid(&name, "Foo", "bad");
    let e2 = FieldError::required(&image, "");
    assert_eq!(
        ApiError::invalid(&kind, "Foo", &[]).message,
        "Pod \"Foo\" is invalid"
    );
    assert_eq!(
        ApiError::invalid(&kind, "Foo", std::slice::from_ref(&e1)).message,
        "Pod \"Foo\" is invalid: metadata.name: Invalid value: \"Foo\": bad"
    );
    let e = ApiError::invalid(&kind, "Foo", &[e1.clone(), e2.clone(), e1.clone()]);
    assert_eq!(
        e.message,
        "Pod \"Foo\" is invalid: [metadata.name: Invalid value: \"Foo\": bad, spec.containers[0].image: Required value]"
    );
    assert_eq!(e.code, 422);
    let json = e.to_status_json();
    assert_eq!(json["details"]["kind"], "Pod");
    assert_eq!(json["details"]["name"], "Foo");
    assert_eq!(json["details"]["causes"].as_array().unwrap().len(), 3);
    assert_eq!(
        json["details"]["causes"][0],
        json!({"reason": "FieldValueInvalid", "message": "Invalid value: \"Foo\": bad", "field": "metadata.name"})
    );
    assert_eq!(
        json["details"]["causes"][1],
        json!({"reason": "FieldValueRequired", "message": "Required value", "field": "spec.containers[0].image"})
    );
    let e = ApiError::invalid(&GroupKind::new("apps", "Deployment"), "d", &[e2]);
    assert!(e.message.starts_with("Deployment.apps \"d\" is invalid: "));
    assert_eq!(e.to_status_json()["details"]["group"], "apps");
}

#[test]
fn simple_statuses() {
    let cases = [
        (ApiError::bad_request("bad"), 400, "BadRequest", "bad"),
        (
            ApiError::unauthorized(""),
            401,
            "Unauthorized",
            "not authorized",
        ),
        (
            ApiError::unauthorized("Unauthorized"),
            401,
            "Unauthorized",
            "Unauthorized",
        ),
        (
            ApiError::method_not_supported(&GroupResource::new("", "pods/log"), "create"),
            405,
            "MethodNotAllowed",
            "create is not supported on resources of kind \"pods/log\"",
        ),
        (
            ApiError::not_acceptable(&["application/json", "application/yaml"]),
            406,
            "NotAcceptable",
            "only the following media types are accepted: application/json, application/yaml",
        ),
        (ApiError::gone("gone"), 410, "Gone", "gone"),
        (
            ApiError::too_old_resource_version(5, 10),
            410,
            "Expired",
            "too old resource version: 5 (10)",
        ),
        (
            ApiError::request_entity_too_large("limit is 3145728"),
            413,
            "RequestEntityTooLarge",
            "Request entity too large: limit is 3145728",
        ),
        (
            ApiError::unsupported_media_type(&["application/json"]),
            415,
            "UnsupportedMediaType",
            "the body of the request was in an unknown format - accepted media types include: application/json",
        ),
        (
            ApiError::too_many_requests_error("slow down"),
            429,
            "TooManyRequests",
            "Too many requests: slow down",
        ),
        (
            ApiError::timeout("took too long", 0),
            504,
            "Timeout",
            "Timeout: took too long",
        ),
        (
            ApiError::internal_error("boom"),
            500,
            "InternalError",
            "Internal error occurred: boom",
        ),
        (
            ApiError::service_unavailable("down"),
            503,
            "ServiceUnavailable",
            "down",
        ),
        (
            ApiError::server_timeout(&pods(), "create", 2),
            500,
            "ServerTimeout",
            "The create operation against pods could not be completed at this time, please try again.",
        ),
    ];
    for (e, code, reason, message) in cases {
        assert_eq!(
            (e.code, e.reason.as_str(), e.message.as_str()),
            (code, reason, message)
        );
    }
}

#[test]
fn forbidden_forms() {
    let r =
        "User \"bob\" cannot get resource \"pods\" in API group \"\" in the namespace \"default\"";
    assert_eq!(
        ApiError::forbidden(&pods(), "x", r).message,
        format!("pods \"x\" is forbidden: {r}")
    );
    assert_eq!(
        ApiError::forbidden(&pods(), "", r).message,
        format!("pods is forbidden: {r}")
    );
    assert_eq!(
        ApiError::forbidden(&GroupResource::default(), "", "no").message,
        "forbidden: no"
    );
    assert_eq!(ApiError::forbidden(&pods(), "x", r).code, 403);
}

#[test]
fn details_and_extras() {
    assert_eq!(
        text(&ApiError::internal_error("boom")),
        r#"{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"Internal error occurred: boom","reason":"InternalError","details":{"causes":[{"message":"boom"}]},"code":500}"#
    );
    assert_eq!(
        text(&ApiError::too_many_requests(
            "Too many requests, please try again later.",
            1
        )),
        r#"{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"Too many requests, please try again later.","reason":"TooManyRequests","details":{"retryAfterSeconds":1},"code":429}"#
    );
    assert_eq!(
        text(&ApiError::bad_request("x")),
        r#"{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"x","reason":"BadRequest","code":400}"#
    );
    let e = ApiError::too_large_resource_version(20, 10, 1);
    assert_eq!(
        e.message,
        "Timeout: Too large resource version: 20, current: 10"
    );
    assert_eq!(
        e.to_status_json()["details"],
        json!({"causes": [{"reason": "ResourceVersionTooLarge", "message": "Too large resource version"}], "retryAfterSeconds": 1})
    );
    let e = ApiError::expired_continue(Some("tok"));
    assert_eq!(e.message, EXPIRED_CONTINUE_MSG);
    assert_eq!(e.to_status_json()["metadata"], json!({"continue": "tok"}));
    assert_eq!(
        ApiError::expired_continue(None).message,
        EXPIRED_CONTINUE_NO_TOKEN_MSG
    );
}

#[test]
fn success_status() {
    let e = ApiError::delete_success(&pods(), "x", "123");
    assert_eq!(
        text(&e),
        r#"{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Success","details":{"name":"x","kind":"pods","uid":"123"}}"#
    );
    assert_eq!(e.http_status(), 200);
    assert_eq!(
        text(&ApiError::success(None, 200)),
        r#"{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Success","code":200}"#
    );
}

#[test]
fn generic_responses() {
    let e = ApiError::generic_server_response(404, "GET", &pods(), "x", "", 0, false);
    assert_eq!(
        e.message,
        "the server could not find the requested resource (get pods x)"
    );
    assert_eq!(e.reason, "NotFound");
    let e =
        ApiError::generic_server_response(409, "POST", &GroupResource::default(), "", "", 0, false);
    assert_eq!(
        (e.reason.as_str(), e.message.as_str()),
        ("AlreadyExists", "the server reported a conflict")
    );
    let e = ApiError::generic_server_response(502, "GET", &pods(), "", "bad gateway", 0, true);
    assert_eq!(
        e.message,
        "an error on the server (\"bad gateway\") has prevented the request from succeeding (get pods)"
    );
    assert_eq!(
        e.details.unwrap().causes[0].reason,
        "UnexpectedServerResponse"
    );
    let e =
        ApiError::generic_server_response(418, "GET", &GroupResource::default(), "", "", 0, false);
    assert_eq!(
        e.message,
        "the server responded with the status code 418 but did not return more information"
    );
    assert_eq!(e.reason, "");
}
