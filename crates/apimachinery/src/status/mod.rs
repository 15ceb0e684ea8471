//! API errors as kube-apiserver reports them: `metav1.Status` objects with
//! upstream's codes, reasons and message texts (`k8s.io/apimachinery/pkg/api/errors`).
//!
//! Handlers return `Result<_, ApiError>` and the server renders
//! [`ApiError::to_status_json`] with [`ApiError::code`] as the HTTP status.

use std::fmt;

use serde::Serialize;
use serde_json::Value;

use crate::field_errors::{FieldError, aggregate_message};
use crate::go_fmt::quote;

/// A resource within an API group; prints as `resource` or `resource.group`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub struct GroupResource {
    pub group: String,
    pub resource: String,
}

impl GroupResource {
    pub fn new(group: &str, resource: &str) -> Self {
        GroupResource {
            group: group.into(),
            resource: resource.into(),
        }
    }

    /// Upstream `ParseGroupResource`: `deployments.apps` → (apps, deployments).
    pub fn parse(s: &str) -> Self {
        match s.split_once('.') {
            Some((resource, group)) => GroupResource::new(group, resource),
            None => GroupResource::new("", s),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.group.is_empty() && self.resource.is_empty()
    }
}

impl fmt::Display for GroupResource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.group.is_empty() {
            f.write_str(&self.resource)
        } else {
            write!(f, "{}.{}", self.resource, self.group)
        }
    }
}

/// A kind within an API group; prints as `Kind` or `Kind.group`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub struct GroupKind {
    pub group: String,
    pub kind: String,
}

impl GroupKind {
    pub fn new(group: &str, kind: &str) -> Self {
        GroupKind {
            group: group.into(),
            kind: kind.into(),
        }
    }
}

impl fmt::Display for GroupKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.group.is_empty() {
            f.write_str(&self.kind)
        } else {
            write!(f, "{}.{}", self.kind, self.group)
        }
    }
}

/// One `details.causes[]` entry.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct StatusCause {
    /// Serialized as `reason`.
    pub reason: String,
    pub message: String,
    pub field: String,
}

impl From<&FieldError> for StatusCause {
    fn from(e: &FieldError) -> Self {
        StatusCause {
            reason: e.error_type.cause_reason().into(),
            message: e.body(),
            field: e.field.clone(),
        }
    }
}

/// `metav1.StatusDetails`; empty fields are omitted from JSON.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct StatusDetails {
    pub name: String,
    pub group: String,
    pub kind: String,
    pub uid: String,
    pub causes: Vec<StatusCause>,
    pub retry_after_seconds: i32,
}

impl StatusDetails {
    fn for_resource(resource: &GroupResource, name: &str) -> Self {
        StatusDetails {
            name: name.into(),
            group: resource.group.clone(),
            kind: resource.resource.clone(),
            ..Default::default()
        }
    }
}

/// The optimistic-concurrency conflict text (upstream `OptimisticLockErrorMsg`).
pub const OPTIMISTIC_LOCK_ERROR_MSG: &str =
    "the object has been modified; please apply your changes to the latest version and try again";

/// The 410 text for an expired continue token when a fresh token is offered.
pub const EXPIRED_CONTINUE_MSG: &str = "The provided continue parameter is too old to display a consistent list result. You can start a new list without the continue parameter, or use the continue token in this response to retrieve the remainder of the results. Continuing with the provided token results in an inconsistent list - objects that were created, modified, or deleted between the time the first chunk was returned and now may show up in the list.";

/// The 410 text for an expired continue token when no new token can be built.
pub const EXPIRED_CONTINUE_NO_TOKEN_MSG: &str = "The provided continue parameter is too old to display a consistent list result. You can start a new list without the continue parameter.";

/// An API failure (or success) status, as `metav1.Status`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiError {
    /// HTTP status code, also serialized as `code` (omitted when 0).
    pub code: u16,
    /// `metav1.StatusReason` (omitted when empty).
    pub reason: String,
    pub message: String,
    /// Boxed: errors travel through every `Result` in the server, so the type is kept small.
    pub details: Option<Box<StatusDetails>>,
    /// `"Failure"` or `"Success"`.
    pub status: String,
    /// `metadata.continue` (set on expired-continue errors).
    pub continue_token: Option<String>,
}

impl fmt::Display for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for ApiError {}

impl ApiError {
    /// A failure status with the given code, reason and message.
    pub fn new(code: u16, reason: &str, message: impl Into<String>) -> Self {
        ApiError {
            code,
            reason: reason.into(),
            message: message.into(),
            details: None,
            status: "Failure".into(),
            continue_token: None,
        }
    }

    fn with_details(mut self, details: StatusDetails) -> Self {
        self.details = Some(Box::new(details));
        self
    }

    /// 404 `pods "x" not found` / `deployments.apps "x" not found`.
    pub fn not_found(resource: &GroupResource, name: &str) -> Self {
        Self::new(
            404,
            "NotFound",
            format!("{resource} {} not found", quote(name)),
        )
        .with_details(StatusDetails::for_resource(resource, name))
    }

    /// 409 `pods "x" already exists`.
    pub fn already_exists(resource: &GroupResource, name: &str) -> Self {
        Self::new(
            409,
            "AlreadyExists",
            format!("{resource} {} already exists", quote(name)),
        )
        .with_details(StatusDetails::for_resource(resource, name))
    }

    /// 409 when generateName could not produce a free name.
    pub fn generate_name_conflict(
        resource: &GroupResource,
        name: &str,
        retry_after_seconds: i32,
    ) -> Self {
        let mut details = StatusDetails::for_resource(resource, name);
        details.retry_after_seconds = retry_after_seconds;
        Self::new(
            409,
            "AlreadyExists",
            format!(
                "{resource} {} already exists, the server was not able to generate a unique name for the object",
                quote(name)
            ),
        )
        .with_details(details)
    }

    /// 409 `Operation cannot be fulfilled on pods "x": <reason>`.
    pub fn conflict(resource: &GroupResource, name: &str, reason: &str) -> Self {
        Self::new(
            409,
            "Conflict",
            format!(
                "Operation cannot be fulfilled on {resource} {}: {reason}",
                quote(name)
            ),
        )
        .with_details(StatusDetails::for_resource(resource, name))
    }

    /// 409 for a stale resourceVersion on update.
    pub fn optimistic_lock_conflict(resource: &GroupResource, name: &str) -> Self {
        Self::conflict(resource, name, OPTIMISTIC_LOCK_ERROR_MSG)
    }

    /// 409 server-side-apply conflict with per-field causes.
    pub fn apply_conflict(causes: Vec<StatusCause>, message: &str) -> Self {
        Self::new(409, "Conflict", message).with_details(StatusDetails {
            causes,
            ..Default::default()
        })
    }

    /// 422 `Pod "x" is invalid: <one error>` or `...: [e1, e2]`, with causes.
    pub fn invalid(kind: &GroupKind, name: &str, errors: &[FieldError]) -> Self {
        let message = match aggregate_message(errors) {
            None => format!("{kind} {} is invalid", quote(name)),
            Some(agg) => format!("{kind} {} is invalid: {agg}", quote(name)),
        };
        let details = StatusDetails {
            name: name.into(),
            group: kind.group.clone(),
            kind: kind.kind.clone(),
            causes: errors.iter().map(StatusCause::from).collect(),
            ..Default::default()
        };
        Self::new(422, "Invalid", message).with_details(details)
    }

    /// 400 with the given message.
    pub fn bad_request(message: &str) -> Self {
        Self::new(400, "BadRequest", message)
    }

    /// 401; an empty reason becomes `not authorized`.
    pub fn unauthorized(reason: &str) -> Self {
        let message = if reason.is_empty() {
            "not authorized"
        } else {
            reason
        };
        Self::new(401, "Unauthorized", message)
    }

    /// 403 `pods "x" is forbidden: <reason>` (or `pods is forbidden: ...`,
    /// or `forbidden: ...` without a resource).
    pub fn forbidden(resource: &GroupResource, name: &str, reason: &str) -> Self {
        let message = if resource.is_empty() {
            format!("forbidden: {reason}")
        } else if name.is_empty() {
            format!("{resource} is forbidden: {reason}")
        } else {
            format!("{resource} {} is forbidden: {reason}", quote(name))
        };
        Self::new(403, "Forbidden", message)
            .with_details(StatusDetails::for_resource(resource, name))
    }

    /// 405 `<action> is not supported on resources of kind "<resource>"`.
    pub fn method_not_supported(resource: &GroupResource, action: &str) -> Self {
        Self::new(
            405,
            "MethodNotAllowed",
            format!(
                "{action} is not supported on resources of kind {}",
                quote(&resource.to_string())
            ),
        )
        .with_details(StatusDetails::for_resource(resource, ""))
    }

    /// 406 `only the following media types are accepted: a, b`.
    pub fn not_acceptable(accepted: &[&str]) -> Self {
        Self::new(
            406,
            "NotAcceptable",
            format!(
                "only the following media types are accepted: {}",
                accepted.join(", ")
            ),
        )
    }

    /// 410 with reason Gone.
    pub fn gone(message: &str) -> Self {
        Self::new(410, "Gone", message)
    }

    /// 410 with reason Expired (e.g. `too old resource version: 5 (10)`).
    pub fn resource_expired(message: &str) -> Self {
        Self::new(410, "Expired", message)
    }

    /// 410 Expired `too old resource version: <requested> (<oldest available>)`.
    pub fn too_old_resource_version(requested: u64, oldest: u64) -> Self {
        Self::resource_expired(&format!("too old resource version: {requested} ({oldest})"))
    }

    /// 410 Expired for a stale continue token; with a fresh token the
    /// longer text is used and the token is returned in `metadata.continue`.
    pub fn expired_continue(new_token: Option<&str>) -> Self {
        match new_token {
            Some(token) => {
                let mut e = Self::resource_expired(EXPIRED_CONTINUE_MSG);
                e.continue_token = Some(token.to_string());
                e
            }
            None => Self::resource_expired(EXPIRED_CONTINUE_NO_TOKEN_MSG),
        }
    }

    /// 413 `Request entity too large: <message>`.
    pub fn request_entity_too_large(message: &str) -> Self {
        Self::new(
            413,
            "RequestEntityTooLarge",
            format!("Request entity too large: {message}"),
        )
    }

    /// 415 `the body of the request was in an unknown format - accepted media types include: a, b`.
    pub fn unsupported_media_type(accepted: &[&str]) -> Self {
        Self::new(
            415,
            "UnsupportedMediaType",
            format!(
                "the body of the request was in an unknown format - accepted media types include: {}",
                accepted.join(", ")
            ),
        )
    }

    /// 429 with the message as given and retryAfterSeconds details
    /// (upstream `NewTooManyRequests`).
    pub fn too_many_requests(message: &str, retry_after_seconds: i32) -> Self {
        Self::new(429, "TooManyRequests", message).with_details(StatusDetails {
            retry_after_seconds,
            ..Default::default()
        })
    }

    /// 429 `Too many requests: <message>` (upstream `NewTooManyRequestsError`).
    pub fn too_many_requests_error(message: &str) -> Self {
        Self::new(
            429,
            "TooManyRequests",
            format!("Too many requests: {message}"),
        )
    }

    /// 504 `Timeout: <message>` (upstream `NewTimeoutError`).
    pub fn timeout(message: &str, retry_after_seconds: i32) -> Self {
        Self::new(504, "Timeout", format!("Timeout: {message}")).with_details(StatusDetails {
            retry_after_seconds,
            ..Default::default()
        })
    }

    /// 504 for a resourceVersion newer than the store has (with the
    /// `ResourceVersionTooLarge` cause clients look for).
    pub fn too_large_resource_version(
        requested: u64,
        current: u64,
        retry_after_seconds: i32,
    ) -> Self {
        let mut e = Self::timeout(
            &format!("Too large resource version: {requested}, current: {current}"),
            retry_after_seconds,
        );
        if let Some(d) = e.details.as_mut() {
            d.causes = vec![StatusCause {
                reason: "ResourceVersionTooLarge".into(),
                message: "Too large resource version".into(),
                field: String::new(),
            }];
        }
        e
    }

    /// 500 ServerTimeout `The <op> operation against <resource> could not be completed at this time, please try again.`
    pub fn server_timeout(
        resource: &GroupResource,
        operation: &str,
        retry_after_seconds: i32,
    ) -> Self {
        let mut details = StatusDetails::for_resource(resource, operation);
        details.retry_after_seconds = retry_after_seconds;
        Self::new(
            500,
            "ServerTimeout",
            format!("The {operation} operation against {resource} could not be completed at this time, please try again."),
        )
        .with_details(details)
    }

    /// 500 `Internal error occurred: <err>` with the error as the only cause.
    pub fn internal_error(err: &str) -> Self {
        Self::new(
            500,
            "InternalError",
            format!("Internal error occurred: {err}"),
        )
        .with_details(StatusDetails {
            causes: vec![StatusCause {
                message: err.into(),
                ..Default::default()
            }],
            ..Default::default()
        })
    }

    /// 503 with the given message.
    pub fn service_unavailable(reason: &str) -> Self {
        Self::new(503, "ServiceUnavailable", reason)
    }

    /// Upstream `NewGenericServerResponse`: the generic texts for a status code.
    pub fn generic_server_response(
        code: u16,
        verb: &str,
        resource: &GroupResource,
        name: &str,
        server_message: &str,
        retry_after_seconds: i32,
        is_unexpected_response: bool,
    ) -> Self {
        let (reason, mut message) = match code {
            409 => (
                if verb == "POST" { "AlreadyExists" } else { "Conflict" },
                "the server reported a conflict".to_string(),
            ),
            404 => ("NotFound", "the server could not find the requested resource".into()),
            400 => ("BadRequest", "the server rejected our request for an unknown reason".into()),
            401 => ("Unauthorized", "the server has asked for the client to provide credentials".into()),
            403 => ("Forbidden", server_message.to_string()),
            406 => (
                "NotAcceptable",
                if server_message.is_empty() || server_message == "unknown" {
                    "the server was unable to respond with a content type that the client supports".into()
                } else {
                    server_message.to_string()
                },
            ),
            415 => ("UnsupportedMediaType", server_message.to_string()),
            405 => ("MethodNotAllowed", "the server does not allow this method on the requested resource".into()),
            422 => ("Invalid", "the server rejected our request due to an error in our request".into()),
            503 => ("ServiceUnavailable", "the server is currently unable to handle the request".into()),
            504 => (
                "Timeout",
                "the server was unable to return a response in the time allotted, but may still be processing the request".into(),
            ),
            429 => (
                "TooManyRequests",
                "the server has received too many requests and has asked us to try again later".into(),
            ),
            c if c >= 500 => (
                "InternalError",
                format!("an error on the server ({}) has prevented the request from succeeding", quote(server_message)),
            ),
            c => ("", format!("the server responded with the status code {c} but did not return more information")),
        };
        if !resource.is_empty() {
            if name.is_empty() {
                message = format!("{message} ({} {resource})", verb.to_lowercase());
            } else {
                message = format!("{message} ({} {resource} {name})", verb.to_lowercase());
            }
        }
        let causes = if is_unexpected_response {
            vec![StatusCause {
                reason: "UnexpectedServerResponse".into(),
                message: server_message.into(),
                field: String::new(),
            }]
        } else {
            Vec::new()
        };
        let mut details = StatusDetails::for_resource(resource, name);
        details.causes = causes;
        details.retry_after_seconds = retry_after_seconds;
        Self::new(code, reason, message).with_details(details)
    }

    /// A `status: Success` object (e.g. for deletes that return a Status);
    /// `code` 0 omits the field.
    pub fn success(details: Option<StatusDetails>, code: u16) -> Self {
        ApiError {
            code,
            reason: String::new(),
            message: String::new(),
            details: details.map(Box::new),
            status: "Success".into(),
            continue_token: None,
        }
    }

    /// The Status the generic registry returns for a delete of `name`.
    pub fn delete_success(resource: &GroupResource, name: &str, uid: &str) -> Self {
        let mut details = StatusDetails::for_resource(resource, name);
        details.uid = uid.into();
        Self::success(Some(details), 0)
    }

    pub fn is_success(&self) -> bool {
        self.status == "Success"
    }

    /// The HTTP status to send (a Success status without a code is 200).
    pub fn http_status(&self) -> u16 {
        if self.code == 0 {
            if self.is_success() { 200 } else { 500 }
        } else {
            self.code
        }
    }

    /// The `metav1.Status` object as a JSON value.
    pub fn to_status_json(&self) -> Value {
        serde_json::to_value(self.wire()).unwrap_or(Value::Null)
    }

    /// The `metav1.Status` object as JSON text, fields in upstream's order
    /// (kind, apiVersion, metadata, status, message, reason, details, code).
    pub fn to_status_json_string(&self) -> String {
        serde_json::to_string(&self.wire()).unwrap_or_default()
    }
}

impl Serialize for ApiError {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.wire().serialize(serializer)
    }
}

#[cfg(test)]
mod tests;
mod wire;
