//! events.k8s.io/v1 Events. Upstream validates them as core Events (the stored form), so
//! errors name the core fields: `involvedObject` for `regarding`, `message` for `note`,
//! `count`/`source`/`firstTimestamp`/`lastTimestamp` for the `deprecated*` fields.

use capstan_apimachinery::validation::{
    FIELD_IMMUTABLE_ERROR_MSG, go_time_string, is_dns1123_subdomain, is_qualified_name,
};
use capstan_apimachinery::{BadValue, ErrorList, FieldError, Path};
use k8s_openapi::api::core::v1::{EventSource, ObjectReference};
use k8s_openapi::api::events::v1::Event;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{MicroTime, Time};

use crate::builtin::apps::shared::go_quote;
use crate::builtin::fields::EventsV1Fields;
use crate::strategy::{SelectableField, TypedStrategy};

const REPORTING_INSTANCE_LIMIT: usize = 128;
const ACTION_LIMIT: usize = 128;
const REASON_LIMIT: usize = 128;
const NOTE_LIMIT: usize = 1024;

pub struct EventStrategy;

impl TypedStrategy<Event> for EventStrategy {
    fn validate(&self, e: &Event) -> ErrorList {
        let mut errs = legacy_validate(e);
        errs.extend(validate_series(e));
        if e.event_time.is_none() {
            errs.push(FieldError::required(&Path::new("eventTime"), ""));
        }
        let kind = e.type_.as_deref().unwrap_or("");
        if kind != "Normal" && kind != "Warning" {
            errs.push(FieldError::invalid(
                &Path::new("type"),
                "",
                &format!("has invalid value: {kind}"),
            ));
        }
        let unset = "needs to be unset";
        if e.deprecated_first_timestamp.is_some() {
            errs.push(FieldError::invalid(&Path::new("firstTimestamp"), "", unset));
        }
        if e.deprecated_last_timestamp.is_some() {
            errs.push(FieldError::invalid(&Path::new("lastTimestamp"), "", unset));
        }
        if e.deprecated_count.unwrap_or(0) != 0 {
            errs.push(FieldError::invalid(&Path::new("count"), "", unset));
        }
        let source = e.deprecated_source.clone().unwrap_or_default();
        if !source.component.unwrap_or_default().is_empty()
            || !source.host.unwrap_or_default().is_empty()
        {
            errs.push(FieldError::invalid(&Path::new("source"), "", unset));
        }
        errs
    }

    fn validate_update(&self, e: &Event, old: &Event) -> ErrorList {
        let mut errs = legacy_validate(e);
        if e.series != old.series {
            errs.extend(validate_series(e));
        }
        let mut check = |changed: bool, field: &str, value: BadValue| {
            if changed {
                errs.push(FieldError::invalid(
                    &Path::new(field),
                    value,
                    FIELD_IMMUTABLE_ERROR_MSG,
                ));
            }
        };
        let text = |v: &Option<String>| BadValue::String(v.clone().unwrap_or_default());
        check(
            reference(&e.regarding) != reference(&old.regarding),
            "involvedObject",
            reference_value(e.regarding.as_ref()),
        );
        let reason_changed =
            e.reason.clone().unwrap_or_default() != old.reason.clone().unwrap_or_default();
        check(reason_changed, "reason", text(&e.reason));
        check(
            e.note.clone().unwrap_or_default() != old.note.clone().unwrap_or_default(),
            "message",
            text(&e.note),
        );
        check(
            source(&e.deprecated_source) != source(&old.deprecated_source),
            "source",
            source_value(&source(&e.deprecated_source)),
        );
        check(
            e.deprecated_first_timestamp != old.deprecated_first_timestamp,
            "firstTimestamp",
            time_value(e.deprecated_first_timestamp.as_ref()),
        );
        check(
            e.deprecated_last_timestamp != old.deprecated_last_timestamp,
            "lastTimestamp",
            time_value(e.deprecated_last_timestamp.as_ref()),
        );
        check(
            e.deprecated_count.unwrap_or(0) != old.deprecated_count.unwrap_or(0),
            "count",
            BadValue::Int(e.deprecated_count.unwrap_or(0).into()),
        );
        // Upstream checks reason twice.
        check(reason_changed, "reason", text(&e.reason));
        check(
            e.type_.clone().unwrap_or_default() != old.type_.clone().unwrap_or_default(),
            "type",
            text(&e.type_),
        );
        check(
            e.event_time != old.event_time,
            "eventTime",
            micro_time_value(e.event_time.as_ref()),
        );
        check(
            e.action.clone().unwrap_or_default() != old.action.clone().unwrap_or_default(),
            "action",
            text(&e.action),
        );
        check(
            e.related != old.related,
            "related",
            e.related
                .as_ref()
                .map_or(BadValue::Null, |r| reference_value(Some(r))),
        );
        check(
            e.reporting_controller.clone().unwrap_or_default()
                != old.reporting_controller.clone().unwrap_or_default(),
            "reportingController",
            text(&e.reporting_controller),
        );
        check(
            e.reporting_instance.clone().unwrap_or_default()
                != old.reporting_instance.clone().unwrap_or_default(),
            "reportingInstance",
            text(&e.reporting_instance),
        );
        errs
    }

    fn selectable_fields(&self) -> &'static [SelectableField] {
        TypedStrategy::<Event>::selectable_fields(&EventsV1Fields)
    }
}

fn reference(r: &Option<ObjectReference>) -> ObjectReference {
    r.clone().unwrap_or_default()
}

fn source(s: &Option<EventSource>) -> (String, String) {
    let s = s.clone().unwrap_or_default();
    (s.component.unwrap_or_default(), s.host.unwrap_or_default())
}

/// `%#v` of a core ObjectReference.
fn reference_value(r: Option<&ObjectReference>) -> BadValue {
    let r = r.cloned().unwrap_or_default();
    let q = |v: &Option<String>| go_quote(v.as_deref().unwrap_or(""));
    BadValue::Raw(format!(
        "core.ObjectReference{{Kind:{}, Namespace:{}, Name:{}, UID:{}, APIVersion:{}, ResourceVersion:{}, FieldPath:{}}}",
        q(&r.kind),
        q(&r.namespace),
        q(&r.name),
        q(&r.uid),
        q(&r.api_version),
        q(&r.resource_version),
        q(&r.field_path)
    ))
}

fn source_value(s: &(String, String)) -> BadValue {
    BadValue::Raw(format!(
        "core.EventSource{{Component:{}, Host:{}}}",
        go_quote(&s.0),
        go_quote(&s.1)
    ))
}

const ZERO_TIME: &str = "0001-01-01 00:00:00 +0000 UTC";

fn time_value(t: Option<&Time>) -> BadValue {
    BadValue::Raw(t.map_or(ZERO_TIME.to_string(), go_time_string))
}

fn micro_time_value(t: Option<&MicroTime>) -> BadValue {
    BadValue::Raw(t.map_or(ZERO_TIME.to_string(), |m| go_time_string(&Time(m.0))))
}

fn validate_series(e: &Event) -> ErrorList {
    let mut errs = Vec::new();
    if let Some(s) = &e.series
        && s.count < 2
    {
        errs.push(FieldError::invalid(
            &Path::new("series.count"),
            "",
            "should be at least 2",
        ));
    }
    errs
}

fn too_long(value: &Option<String>, limit: usize, field: &str, errs: &mut ErrorList) {
    let v = value.as_deref().unwrap_or("");
    if v.len() > limit {
        errs.push(FieldError::invalid(
            &Path::new(field),
            "",
            &format!("can have at most {limit} characters"),
        ));
    }
}

fn required(value: &Option<String>, field: &str, errs: &mut ErrorList) {
    if value.as_deref().unwrap_or("").is_empty() {
        errs.push(FieldError::required(&Path::new(field), ""));
    }
}

/// Upstream `legacyValidateEvent`: namespaces agree, and new-style events (with an event time)
/// name their reporter, action and reason.
fn legacy_validate(e: &Event) -> ErrorList {
    let mut errs = Vec::new();
    let namespace = e.metadata.namespace.as_deref().unwrap_or("");
    let involved_ns = e
        .regarding
        .as_ref()
        .and_then(|r| r.namespace.clone())
        .unwrap_or_default();
    let ns_path = Path::new("involvedObject").child("namespace");
    let mismatch = if e.event_time.is_none() {
        if involved_ns.is_empty() {
            !namespace.is_empty() && namespace != "default"
        } else {
            namespace != involved_ns
        }
    } else {
        involved_ns.is_empty() && namespace != "default" && namespace != "kube-system"
    };
    if mismatch {
        errs.push(FieldError::invalid(
            &ns_path,
            involved_ns.as_str(),
            "does not match event.namespace",
        ));
    }
    if e.event_time.is_some() {
        required(&e.reporting_controller, "reportingController", &mut errs);
        let controller = e.reporting_controller.as_deref().unwrap_or("");
        for msg in is_qualified_name(controller) {
            errs.push(FieldError::invalid(
                &Path::new("reportingController"),
                controller,
                &msg,
            ));
        }
        required(&e.reporting_instance, "reportingInstance", &mut errs);
        too_long(
            &e.reporting_instance,
            REPORTING_INSTANCE_LIMIT,
            "reportingInstance",
            &mut errs,
        );
        required(&e.action, "action", &mut errs);
        too_long(&e.action, ACTION_LIMIT, "action", &mut errs);
        required(&e.reason, "reason", &mut errs);
        too_long(&e.reason, REASON_LIMIT, "reason", &mut errs);
        too_long(&e.note, NOTE_LIMIT, "message", &mut errs);
    }
    for msg in is_dns1123_subdomain(namespace) {
        errs.push(FieldError::invalid(
            &Path::new("namespace"),
            namespace,
            &msg,
        ));
    }
    errs
}

#[cfg(test)]
mod tests {
    use serde_json::{Value, json};

    use super::*;
    use crate::builtin::apps::testing::{create, create_errors, update};

    fn event() -> Value {
        json!({
            "metadata": {"name": "e1", "namespace": "default"},
            "eventTime": "2024-05-01T10:00:00.000000Z",
            "reportingController": "example.com/controller",
            "reportingInstance": "controller-1",
            "action": "Scaled",
            "reason": "ScalingReplicaSet",
            "type": "Normal",
            "regarding": {"kind": "Deployment", "namespace": "default", "name": "web"},
            "note": "Scaled up"
        })
    }

    #[test]
    fn new_style_events() {
        let stored = create::<Event, _>(EventStrategy, event()).unwrap();
        let bad = json!({"metadata": {"name": "e2", "namespace": "default"},
            "eventTime": "2024-05-01T10:00:00.000000Z", "type": "Info",
            "deprecatedCount": 3, "series": {"count": 1, "lastObservedTime": "2024-05-01T10:00:00.000000Z"}});
        assert_eq!(
            create_errors::<Event, _>(EventStrategy, bad),
            vec![
                "reportingController: Required value",
                r#"reportingController: Invalid value: "": name part must be non-empty"#,
                r#"reportingController: Invalid value: "": name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')"#,
                "reportingInstance: Required value",
                "action: Required value",
                "reason: Required value",
                r#"series.count: Invalid value: "": should be at least 2"#,
                r#"type: Invalid value: "": has invalid value: Info"#,
                r#"count: Invalid value: "": needs to be unset"#,
            ]
        );
        let mut changed = stored.clone();
        changed["note"] = json!("Scaled down");
        changed["regarding"]["name"] = json!("api");
        assert_eq!(
            update::<Event, _>(EventStrategy, changed, &stored).unwrap_err(),
            vec![
                r#"involvedObject: Invalid value: core.ObjectReference{Kind:"Deployment", Namespace:"default", Name:"api", UID:"", APIVersion:"", ResourceVersion:"", FieldPath:""}: field is immutable"#,
                r#"message: Invalid value: "Scaled down": field is immutable"#,
            ]
        );
        let mut series = stored.clone();
        series["series"] = json!({"count": 2, "lastObservedTime": "2024-05-01T10:05:00.000000Z"});
        assert!(update::<Event, _>(EventStrategy, series, &stored).is_ok());
    }
}
