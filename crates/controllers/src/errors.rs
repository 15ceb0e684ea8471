//! Classifying API errors the way client-go's `apierrors.Is*` helpers do.

/// The API status behind an error, if the server answered with one.
pub fn api_status(err: &kube::Error) -> Option<&kube::core::Status> {
    match err {
        kube::Error::Api(status) => Some(status),
        _ => None,
    }
}

pub fn is_not_found(err: &kube::Error) -> bool {
    api_status(err).is_some_and(|s| s.is_not_found())
}

pub fn is_conflict(err: &kube::Error) -> bool {
    api_status(err).is_some_and(|s| s.is_conflict())
}

pub fn is_already_exists(err: &kube::Error) -> bool {
    api_status(err).is_some_and(|s| s.is_already_exists())
}

/// 405 MethodNotAllowed: the verb is not served for this resource.
pub fn is_method_not_supported(err: &kube::Error) -> bool {
    api_status(err).is_some_and(|s| s.code == 405 || s.reason == "MethodNotAllowed")
}

/// The create was refused because the namespace is being terminated. Upstream marks this with a
/// `NamespaceTerminating` cause; the message is the fallback for servers that omit the cause.
pub fn is_namespace_terminating(err: &kube::Error) -> bool {
    api_status(err).is_some_and(|s| {
        let by_cause = s
            .details
            .as_ref()
            .is_some_and(|d| d.causes.iter().any(|c| c.reason == "NamespaceTerminating"));
        by_cause || (s.code == 403 && s.message.contains("because it is being terminated"))
    })
}

/// The error text client-go would show: the server's message for API errors.
pub fn message(err: &kube::Error) -> String {
    match api_status(err) {
        Some(s) if !s.message.is_empty() => s.message.clone(),
        _ => err.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use kube::core::Status;
    use kube::core::response::{StatusCause, StatusDetails};

    fn api(code: u16, reason: &str, message: &str) -> kube::Error {
        kube::Error::Api(Status::failure(message, reason).with_code(code).boxed())
    }

    #[test]
    fn classifies_by_reason_and_code() {
        assert!(is_not_found(&api(404, "NotFound", "x")));
        assert!(is_conflict(&api(409, "Conflict", "x")));
        assert!(is_already_exists(&api(409, "AlreadyExists", "x")));
        assert!(!is_already_exists(&api(409, "Conflict", "x")));
        assert!(is_method_not_supported(&api(405, "MethodNotAllowed", "x")));
        assert!(!is_not_found(&api(409, "Conflict", "x")));
    }

    #[test]
    fn namespace_terminating_by_cause_or_message() {
        let mut status = Status::failure("forbidden", "Forbidden").with_code(403);
        status.details = Some(StatusDetails {
            name: "a".into(),
            group: String::new(),
            kind: "configmaps".into(),
            uid: String::new(),
            causes: vec![StatusCause {
                reason: "NamespaceTerminating".into(),
                message: "namespace x is being terminated".into(),
                field: "metadata.namespace".into(),
            }],
            retry_after_seconds: 0,
        });
        assert!(is_namespace_terminating(&kube::Error::Api(status.boxed())));
        let plain = api(
            403,
            "Forbidden",
            "configmaps \"a\" is forbidden: unable to create new content in namespace x because it is being terminated",
        );
        assert!(is_namespace_terminating(&plain));
        assert!(!is_namespace_terminating(&api(403, "Forbidden", "no")));
    }

    #[test]
    fn message_prefers_server_text() {
        assert_eq!(
            message(&api(404, "NotFound", "configmaps \"a\" not found")),
            "configmaps \"a\" not found"
        );
    }
}
