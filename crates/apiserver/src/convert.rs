//! Conversion between a resource's served versions and its storage version. Most resources have one
//! version; the exceptions built in are Events (core/v1 stored, also served as events.k8s.io/v1)
//! and HorizontalPodAutoscalers (autoscaling/v2 stored, also served as autoscaling/v1).

use capstan_api::ResourceInfo;
use serde_json::{Map, Value, json};

fn set_type_meta(obj: &mut Value, api_version: &str, kind: &str) {
    if let Value::Object(m) = obj {
        m.insert("apiVersion".into(), Value::String(api_version.into()));
        m.insert("kind".into(), Value::String(kind.into()));
    }
}

/// The stored object as `res` serves it.
pub fn from_storage(res: &ResourceInfo, mut obj: Value) -> Value {
    match (
        res.group.as_str(),
        res.version.as_str(),
        res.plural.as_str(),
    ) {
        ("events.k8s.io", "v1", "events") => obj = core_event_to_events_v1(obj),
        ("autoscaling", "v1", "horizontalpodautoscalers") => obj = hpa_v2_to_v1(obj),
        _ => {}
    }
    set_type_meta(&mut obj, &res.api_version(), &res.kind);
    obj
}

/// An object at `res`'s version, as it is stored.
pub fn to_storage(res: &ResourceInfo, mut obj: Value) -> Value {
    let storage_api_version = if res.storage.group.is_empty() {
        res.storage_version.clone()
    } else {
        format!("{}/{}", res.storage.group, res.storage_version)
    };
    match (
        res.group.as_str(),
        res.version.as_str(),
        res.plural.as_str(),
    ) {
        ("events.k8s.io", "v1", "events") => obj = events_v1_to_core_event(obj),
        ("autoscaling", "v1", "horizontalpodautoscalers") => obj = hpa_v1_to_v2(obj),
        _ => {}
    }
    set_type_meta(&mut obj, &storage_api_version, &res.kind);
    obj
}

/// Moves `from` of `src` to `to` of `dst` when present.
fn carry(src: &Map<String, Value>, from: &str, dst: &mut Map<String, Value>, to: &str) {
    if let Some(v) = src.get(from).filter(|v| !v.is_null()) {
        dst.insert(to.into(), v.clone());
    }
}

/// Field correspondence between core/v1 Event and events.k8s.io/v1 Event (upstream's conversion).
const EVENT_FIELDS: &[(&str, &str)] = &[
    ("involvedObject", "regarding"),
    ("related", "related"),
    ("message", "note"),
    ("reason", "reason"),
    ("type", "type"),
    ("action", "action"),
    ("eventTime", "eventTime"),
    ("reportingComponent", "reportingController"),
    ("reportingInstance", "reportingInstance"),
    ("firstTimestamp", "deprecatedFirstTimestamp"),
    ("lastTimestamp", "deprecatedLastTimestamp"),
    ("count", "deprecatedCount"),
    ("source", "deprecatedSource"),
];

fn core_event_to_events_v1(obj: Value) -> Value {
    let Value::Object(src) = obj else { return obj };
    let mut dst = Map::new();
    carry(&src, "metadata", &mut dst, "metadata");
    for (core, v1) in EVENT_FIELDS {
        carry(&src, core, &mut dst, v1);
    }
    if let Some(series) = src.get("series").and_then(Value::as_object) {
        dst.insert(
            "series".into(),
            json!({"count": series.get("count").cloned().unwrap_or(json!(0)),
                   "lastObservedTime": series.get("lastObservedTime").cloned().unwrap_or(Value::Null)}),
        );
    }
    Value::Object(dst)
}

fn events_v1_to_core_event(obj: Value) -> Value {
    let Value::Object(src) = obj else { return obj };
    let mut dst = Map::new();
    carry(&src, "metadata", &mut dst, "metadata");
    for (core, v1) in EVENT_FIELDS {
        carry(&src, v1, &mut dst, core);
    }
    carry(&src, "series", &mut dst, "series");
    // A new-style event still reads sensibly to core/v1 clients.
    if !dst.contains_key("source")
        && let Some(c) = src.get("reportingController").and_then(Value::as_str)
    {
        dst.insert("source".into(), json!({"component": c}));
    }
    Value::Object(dst)
}

/// autoscaling/v2 → v1: the CPU utilization target and current value map to v1's fields.
fn hpa_v2_to_v1(obj: Value) -> Value {
    let Value::Object(mut m) = obj else {
        return obj;
    };
    if let Some(Value::Object(spec)) = m.get_mut("spec") {
        let metrics = spec.remove("metrics");
        spec.remove("behavior");
        let cpu = metrics.as_ref().and_then(Value::as_array).and_then(|ms| {
            ms.iter().find_map(|metric| {
                (metric.pointer("/type")?.as_str()? == "Resource"
                    && metric.pointer("/resource/name")?.as_str()? == "cpu"
                    && metric.pointer("/resource/target/type")?.as_str()? == "Utilization")
                    .then(|| {
                        metric
                            .pointer("/resource/target/averageUtilization")
                            .cloned()
                    })
                    .flatten()
            })
        });
        if let Some(cpu) = cpu {
            spec.insert("targetCPUUtilizationPercentage".into(), cpu);
        }
    }
    if let Some(Value::Object(status)) = m.get_mut("status") {
        let current = status.remove("currentMetrics");
        status.remove("conditions");
        let cpu = current.as_ref().and_then(Value::as_array).and_then(|ms| {
            ms.iter().find_map(|metric| {
                (metric.pointer("/resource/name")?.as_str()? == "cpu")
                    .then(|| {
                        metric
                            .pointer("/resource/current/averageUtilization")
                            .cloned()
                    })
                    .flatten()
            })
        });
        if let Some(cpu) = cpu {
            status.insert("currentCPUUtilizationPercentage".into(), cpu);
        }
    }
    Value::Object(m)
}

/// autoscaling/v1 → v2.
fn hpa_v1_to_v2(obj: Value) -> Value {
    let Value::Object(mut m) = obj else {
        return obj;
    };
    if let Some(Value::Object(spec)) = m.get_mut("spec")
        && let Some(cpu) = spec.remove("targetCPUUtilizationPercentage")
    {
        spec.insert(
            "metrics".into(),
            json!([{"type": "Resource", "resource": {"name": "cpu",
                    "target": {"type": "Utilization", "averageUtilization": cpu}}}]),
        );
    }
    if let Some(Value::Object(status)) = m.get_mut("status")
        && let Some(cpu) = status.remove("currentCPUUtilizationPercentage")
    {
        status.insert(
            "currentMetrics".into(),
            json!([{"type": "Resource", "resource": {"name": "cpu",
                    "current": {"averageUtilization": cpu}}}]),
        );
    }
    Value::Object(m)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn events_round_trip() {
        let core = json!({"metadata": {"name": "e"}, "involvedObject": {"kind": "Pod", "name": "p"},
                          "message": "hello", "reason": "Started", "count": 3, "type": "Normal"});
        let v1 = core_event_to_events_v1(core.clone());
        assert_eq!(v1["regarding"]["name"], "p");
        assert_eq!(v1["note"], "hello");
        assert_eq!(v1["deprecatedCount"], 3);
        assert_eq!(events_v1_to_core_event(v1), core);
    }

    #[test]
    fn hpa_cpu_target_round_trip() {
        let v1 = json!({"spec": {"maxReplicas": 5, "targetCPUUtilizationPercentage": 70}});
        let v2 = hpa_v1_to_v2(v1.clone());
        assert_eq!(
            v2["spec"]["metrics"][0]["resource"]["target"]["averageUtilization"],
            70
        );
        assert_eq!(hpa_v2_to_v1(v2), v1);
    }
}
