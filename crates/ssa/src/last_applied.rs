//! kubectl's `last-applied-configuration` annotation under server-side apply.
//!
//! When the `kubectl` manager's apply conflicts, the fields listed in the
//! annotation that still have their applied values in the live object are
//! taken over without conflict (the client-side-apply upgrade); after a
//! successful `kubectl` apply the annotation, if present, is rewritten to the
//! applied configuration so client-side apply keeps working.

use serde_json::{Map, Value};

use crate::ops::{Context, Manager};
use crate::set::FieldSet;
use crate::typed::{compare, to_field_set, validate};
use crate::value::write_go_json;

pub const LAST_APPLIED_ANNOTATION: &str = "kubectl.kubernetes.io/last-applied-configuration";
/// Upstream's limit on the total size of an object's annotations.
const TOTAL_ANNOTATION_SIZE_LIMIT: usize = 256 * 1024;

fn last_applied_of(object: &Value) -> Option<&str> {
    object
        .get("metadata")?
        .get("annotations")?
        .get(LAST_APPLIED_ANNOTATION)?
        .as_str()
        .filter(|s| !s.is_empty())
}

/// Fields of the last-applied configuration whose values the live object
/// still has; `None` when there is no usable annotation.
pub(crate) fn allowed_conflicts_from_last_applied(
    live: &Value,
    manager: &Manager,
    ctx: &Context<'_>,
) -> Option<FieldSet> {
    let last_applied: Value = serde_json::from_str(last_applied_of(live)?).ok()?;
    if !last_applied.is_object()
        || last_applied.get("apiVersion").and_then(Value::as_str) != Some(&manager.api_version)
    {
        return None;
    }
    let (types, root) = (&ctx.schema.types, ctx.schema.root);
    if !validate(types, live, root, false).is_empty()
        || !validate(types, &last_applied, root, false).is_empty()
    {
        return None;
    }
    let set = to_field_set(types, &last_applied, root).ok()?;
    let comparison = compare(types, &last_applied, live, root).ok()?;
    Some(
        set.difference(&comparison.modified)
            .difference(&comparison.added)
            .difference(&comparison.removed),
    )
}

/// Rewrites the annotation of `object` (only when it has one) to `applied`
/// without the annotation, as Go encodes it (a trailing newline included).
pub(crate) fn set_last_applied(object: &mut Value, applied: &Value) {
    if last_applied_of(object).is_none() {
        return;
    }
    let mut config = applied.clone();
    if let Some(Value::Object(annotations)) = config
        .get_mut("metadata")
        .and_then(|m| m.get_mut("annotations"))
    {
        annotations.remove(LAST_APPLIED_ANNOTATION);
    }
    let mut encoded = String::new();
    write_go_json(&mut encoded, &config, true);
    encoded.push('\n');
    let Some(Value::Object(meta)) = object.get_mut("metadata") else {
        return;
    };
    let annotations = meta
        .entry("annotations")
        .or_insert_with(|| Value::Object(Map::new()));
    let Value::Object(annotations) = annotations else {
        return;
    };
    annotations.insert(LAST_APPLIED_ANNOTATION.into(), Value::String(encoded));
    let total: usize = annotations
        .iter()
        .map(|(k, v)| k.len() + v.as_str().map_or(0, str::len))
        .sum();
    if total > TOTAL_ANNOTATION_SIZE_LIMIT {
        annotations.remove(LAST_APPLIED_ANNOTATION);
    }
}
