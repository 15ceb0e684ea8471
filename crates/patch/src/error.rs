//! Patch failures, classified the way kube-apiserver turns them into a `Status`.

use serde_json::{Value, json};

/// How kube-apiserver reports a failed patch.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PatchErrorKind {
    /// 400, reason `BadRequest` (`errors.NewBadRequest`).
    BadRequest,
    /// 422, reason `Invalid`, built with `errors.NewGenericServerResponse`: the
    /// message is the generic one and `details` is an empty object.
    Unprocessable,
    /// 413, reason `RequestEntityTooLarge`.
    RequestEntityTooLarge,
    /// A plain Go error reaching the handler: 500 with an empty reason and the
    /// error text as message (this is what most strategic-merge failures become).
    Internal,
}

impl PatchErrorKind {
    /// HTTP status code.
    pub fn code(self) -> u16 {
        match self {
            PatchErrorKind::BadRequest => 400,
            PatchErrorKind::Unprocessable => 422,
            PatchErrorKind::RequestEntityTooLarge => 413,
            PatchErrorKind::Internal => 500,
        }
    }

    /// `Status.reason`; empty means the field is omitted.
    pub fn reason(self) -> &'static str {
        match self {
            PatchErrorKind::BadRequest => "BadRequest",
            PatchErrorKind::Unprocessable => "Invalid",
            PatchErrorKind::RequestEntityTooLarge => "RequestEntityTooLarge",
            PatchErrorKind::Internal => "",
        }
    }
}

/// Message kube-apiserver sends for every 422 built by `NewGenericServerResponse`
/// (a JSON patch that cannot be applied, lists of lists in a strategic patch).
pub const UNPROCESSABLE_MESSAGE: &str =
    "the server rejected our request due to an error in our request";

/// A failed patch: the exact `Status.message` plus its classification.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct PatchError {
    pub kind: PatchErrorKind,
    /// Text for `Status.message`, exactly as upstream sends it.
    pub message: String,
    /// The underlying failure when `message` hides it (JSON patch apply
    /// errors); meant for logs, upstream never shows it to the client.
    pub cause: Option<String>,
}

impl PatchError {
    pub fn bad_request(message: impl Into<String>) -> Self {
        PatchError {
            kind: PatchErrorKind::BadRequest,
            message: message.into(),
            cause: None,
        }
    }

    pub fn internal(message: impl Into<String>) -> Self {
        PatchError {
            kind: PatchErrorKind::Internal,
            message: message.into(),
            cause: None,
        }
    }

    /// A 422 whose client-visible message is the generic one.
    pub fn unprocessable(cause: impl Into<String>) -> Self {
        PatchError {
            kind: PatchErrorKind::Unprocessable,
            message: UNPROCESSABLE_MESSAGE.to_string(),
            cause: Some(cause.into()),
        }
    }

    pub fn too_large(detail: impl AsRef<str>) -> Self {
        PatchError {
            kind: PatchErrorKind::RequestEntityTooLarge,
            message: format!("Request entity too large: {}", detail.as_ref()),
            cause: None,
        }
    }

    pub fn code(&self) -> u16 {
        self.kind.code()
    }

    pub fn reason(&self) -> &'static str {
        self.kind.reason()
    }

    /// The `metav1.Status` body kube-apiserver would send for this error.
    pub fn to_status(&self) -> Value {
        let mut status = json!({
            "kind": "Status",
            "apiVersion": "v1",
            "metadata": {},
            "status": "Failure",
            "message": self.message,
            "code": self.code(),
        });
        if !self.reason().is_empty() {
            status["reason"] = json!(self.reason());
        }
        if self.kind == PatchErrorKind::Unprocessable {
            status["details"] = json!({});
        }
        status
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unprocessable_status_has_generic_message_and_empty_details() {
        let err = PatchError::unprocessable("testing value /a failed");
        let status = err.to_status();
        assert_eq!(status["code"], 422);
        assert_eq!(status["reason"], "Invalid");
        assert_eq!(status["message"], UNPROCESSABLE_MESSAGE);
        assert_eq!(status["details"], json!({}));
        assert_eq!(err.cause.as_deref(), Some("testing value /a failed"));
    }

    #[test]
    fn internal_status_has_no_reason() {
        let status = PatchError::internal("boom").to_status();
        assert_eq!(status["code"], 500);
        assert!(status.get("reason").is_none());
        assert_eq!(status["message"], "boom");
    }

    #[test]
    fn too_large_prefixes_message() {
        let err = PatchError::too_large("limit is 3145728");
        assert_eq!(err.message, "Request entity too large: limit is 3145728");
        assert_eq!(err.code(), 413);
        assert_eq!(err.reason(), "RequestEntityTooLarge");
    }

    #[test]
    fn bad_request_status() {
        let status = PatchError::bad_request("invalid JSON document").to_status();
        assert_eq!(status["code"], 400);
        assert_eq!(status["reason"], "BadRequest");
    }
}
