//! The `metav1.Status` wire form: field order and omit-empty rules as
//! upstream's JSON encoding produces them.

use serde::Serialize;

use super::ApiError;

fn is_zero(v: &i32) -> bool {
    *v == 0
}

/// Wire form of `metav1.StatusCause`, fields in upstream order.
#[derive(Serialize)]
pub(super) struct WireCause<'a> {
    #[serde(skip_serializing_if = "str::is_empty")]
    reason: &'a str,
    #[serde(skip_serializing_if = "str::is_empty")]
    message: &'a str,
    #[serde(skip_serializing_if = "str::is_empty")]
    field: &'a str,
}

/// Wire form of `metav1.StatusDetails`.
#[derive(Serialize)]
pub(super) struct WireDetails<'a> {
    #[serde(skip_serializing_if = "str::is_empty")]
    name: &'a str,
    #[serde(skip_serializing_if = "str::is_empty")]
    group: &'a str,
    #[serde(skip_serializing_if = "str::is_empty")]
    kind: &'a str,
    #[serde(skip_serializing_if = "str::is_empty")]
    uid: &'a str,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    causes: Vec<WireCause<'a>>,
    #[serde(rename = "retryAfterSeconds", skip_serializing_if = "is_zero")]
    retry_after_seconds: i32,
}

/// Wire form of the Status `metadata` (a ListMeta).
#[derive(Serialize)]
pub(super) struct WireListMeta<'a> {
    #[serde(rename = "continue", skip_serializing_if = "Option::is_none")]
    continue_token: Option<&'a str>,
}

/// Wire form of `metav1.Status`.
#[derive(Serialize)]
pub(super) struct WireStatus<'a> {
    kind: &'static str,
    #[serde(rename = "apiVersion")]
    api_version: &'static str,
    metadata: WireListMeta<'a>,
    #[serde(skip_serializing_if = "str::is_empty")]
    status: &'a str,
    #[serde(skip_serializing_if = "str::is_empty")]
    message: &'a str,
    #[serde(skip_serializing_if = "str::is_empty")]
    reason: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    details: Option<WireDetails<'a>>,
    #[serde(skip_serializing_if = "is_zero")]
    code: i32,
}

impl ApiError {
    pub(super) fn wire(&self) -> WireStatus<'_> {
        WireStatus {
            kind: "Status",
            api_version: "v1",
            metadata: WireListMeta {
                continue_token: self.continue_token.as_deref(),
            },
            status: &self.status,
            message: &self.message,
            reason: &self.reason,
            details: self.details.as_ref().map(|d| WireDetails {
                name: &d.name,
                group: &d.group,
                kind: &d.kind,
                uid: &d.uid,
                causes: d
                    .causes
                    .iter()
                    .map(|c| WireCause {
                        reason: &c.reason,
                        message: &c.message,
                        field: &c.field,
                    })
                    .collect(),
                retry_after_seconds: d.retry_after_seconds,
            }),
            code: i32::from(self.code),
        }
    }
}
