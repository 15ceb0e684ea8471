//! `application/json-patch+json` (RFC 6902) with the semantics kube-apiserver
//! gets from `gopkg.in/evanphx/json-patch.v4`, which differ from the RFC:
//!
//! * `replace` of a missing object member adds it;
//! * negative array indices count from the end (`-1` is the last element,
//!   and for `add` it appends);
//! * `test` with `"value": null` passes when the member is missing;
//! * `copy` from a missing object member copies `null`;
//! * `replace` of the whole document (`""`) with a non-container is a no-op;
//! * `add`/`remove` of the whole document fail;
//! * anything before the first `/` of a path is ignored.
//!
//! Failures while applying become the generic 422 upstream sends; the
//! underlying reason is kept in [`PatchError::cause`].

use serde_json::{Map, Value};

use crate::error::PatchError;
use crate::gojson;

/// kube-apiserver's `maxJSONPatchOperations`.
pub const MAX_JSON_PATCH_OPERATIONS: usize = 10_000;

/// kube-apiserver's default `JSONPatchMaxCopyBytes` (`AccumulatedCopySizeLimit`).
pub const MAX_JSON_PATCH_COPY_BYTES: usize = 3 * 1024 * 1024;

/// Decodes a JSON patch body as `jsonpatch.DecodePatch` does: a JSON array of
/// objects (or `null`, which is an empty patch). Errors are 400 with Go's text.
pub fn decode_json_patch(patch: &[u8]) -> Result<Vec<Value>, PatchError> {
    let value = gojson::parse(patch).map_err(PatchError::bad_request)?;
    let operations = match value {
        Value::Null => return Ok(Vec::new()),
        Value::Array(items) => items,
        other => {
            let message = gojson::unmarshal_type_error(&other, "jsonpatch.Patch");
            return Err(PatchError::bad_request(message));
        }
    };
    if let Some(bad) = operations
        .iter()
        .find(|op| !matches!(op, Value::Object(_) | Value::Null))
    {
        let message = gojson::unmarshal_type_error(bad, "jsonpatch.Operation");
        return Err(PatchError::bad_request(message));
    }
    Ok(operations)
}

/// Decodes `patch`, enforces the operation limit (413) and applies it to `doc`.
pub fn apply_json_patch(doc: &Value, patch: &[u8]) -> Result<Value, PatchError> {
    let operations = decode_json_patch(patch)?;
    if operations.len() > MAX_JSON_PATCH_OPERATIONS {
        return Err(PatchError::too_large(format!(
            "The allowed maximum operations in a JSON patch is {MAX_JSON_PATCH_OPERATIONS}, got {}",
            operations.len()
        )));
    }
    apply_json_patch_operations(doc, &operations)
}

/// Applies decoded operations; any failure is the generic 422.
pub fn apply_json_patch_operations(doc: &Value, operations: &[Value]) -> Result<Value, PatchError> {
    if !matches!(doc, Value::Object(_) | Value::Array(_)) {
        return Err(PatchError::unprocessable(gojson::unmarshal_type_error(
            doc,
            "jsonpatch.partialDoc",
        )));
    }
    let mut doc = doc.clone();
    let mut copied_bytes = 0usize;
    let empty = Map::new();
    for operation in operations {
        let op = Operation(operation.as_object().unwrap_or(&empty));
        apply_operation(&mut doc, op, &mut copied_bytes).map_err(PatchError::unprocessable)?;
    }
    Ok(doc)
}

/// One operation; fields are looked up the way `jsonpatch.Operation` does.
#[derive(Clone, Copy)]
struct Operation<'a>(&'a Map<String, Value>);

const MISSING: &str = "missing value";

impl Operation<'_> {
    fn kind(&self) -> &str {
        match self.0.get("op") {
            Some(Value::String(kind)) => kind,
            _ => "unknown",
        }
    }

    fn string_field(&self, name: &str, what: &str) -> Result<String, String> {
        match self.0.get(name) {
            None | Some(Value::Null) => Err(format!("{what}: {MISSING}")),
            Some(Value::String(s)) => Ok(s.clone()),
            Some(other) => Err(gojson::unmarshal_type_error(other, "string")),
        }
    }

    fn path(&self) -> Result<String, String> {
        self.string_field("path", "operation missing path field")
    }

    fn from(&self) -> Result<String, String> {
        self.string_field("from", "operation, missing from field")
    }

    /// `None` when the operation has no `value` member.
    fn value(&self) -> Option<&Value> {
        self.0.get("value")
    }
}

fn apply_operation(doc: &mut Value, op: Operation, copied_bytes: &mut usize) -> Result<(), String> {
    match op.kind() {
        "add" => add(doc, op),
        "remove" => remove(doc, op),
        "replace" => replace(doc, op),
        "move" => move_value(doc, op),
        "test" => test(doc, op),
        "copy" => copy(doc, op, copied_bytes),
        other => Err(format!("Unexpected kind: {other}")),
    }
}

fn wrap(context: String, err: String) -> String {
    format!("{context}: {err}")
}

fn add(doc: &mut Value, op: Operation) -> Result<(), String> {
    let path = op
        .path()
        .map_err(|_| wrap("add operation failed to decode path".into(), MISSING.into()))?;
    let value = op.value().cloned().unwrap_or(Value::Null);
    let Some((container, key)) = find_container(doc, &path) else {
        let context = format!("add operation does not apply: doc is missing path: \"{path}\"");
        return Err(wrap(context, MISSING.into()));
    };
    container_add(container, &key, value)
        .map_err(|e| wrap(format!("error in add for path: '{path}'"), e))
}

fn remove(doc: &mut Value, op: Operation) -> Result<(), String> {
    let path = op.path().map_err(|_| {
        wrap(
            "remove operation failed to decode path".into(),
            MISSING.into(),
        )
    })?;
    let Some((container, key)) = find_container(doc, &path) else {
        let context = format!("remove operation does not apply: doc is missing path: \"{path}\"");
        return Err(wrap(context, MISSING.into()));
    };
    container_remove(container, &key)
        .map(|_| ())
        .map_err(|e| wrap(format!("error in remove for path: '{path}'"), e))
}

fn replace(doc: &mut Value, op: Operation) -> Result<(), String> {
    let path = op
        .path()
        .map_err(|e| wrap("replace operation failed to decode path".into(), e))?;
    if path.is_empty() {
        match op.value() {
            Some(value @ (Value::Object(_) | Value::Array(_))) => *doc = value.clone(),
            // Upstream wraps a nil error here, so a scalar replacement silently does nothing.
            Some(_) => {}
            None => return Err("replace operation hit impossible case".into()),
        }
        return Ok(());
    }
    let Some((container, key)) = find_container(doc, &path) else {
        let context = format!("replace operation does not apply: doc is missing path: {path}");
        return Err(wrap(context, MISSING.into()));
    };
    if container_get(container, &key).is_err() {
        let context = format!("replace operation does not apply: doc is missing key: {path}");
        return Err(wrap(context, MISSING.into()));
    }
    let value = op.value().cloned().unwrap_or(Value::Null);
    container_set(container, &key, value)
        .map_err(|e| wrap(format!("error in remove for path: '{path}'"), e))
}

fn move_value(doc: &mut Value, op: Operation) -> Result<(), String> {
    let from = op
        .from()
        .map_err(|e| wrap("move operation failed to decode from".into(), e))?;
    let Some((container, key)) = find_container(doc, &from) else {
        let context = format!("move operation does not apply: doc is missing from path: {from}");
        return Err(wrap(context, MISSING.into()));
    };
    container_get(container, &key)
        .map_err(|e| wrap(format!("error in move for path: '{key}'"), e))?;
    let value = container_remove(container, &key)
        .map_err(|e| wrap(format!("error in move for path: '{key}'"), e))?;
    let path = op
        .path()
        .map_err(|e| wrap("move operation failed to decode path".into(), e))?;
    let Some((container, key)) = find_container(doc, &path) else {
        let context =
            format!("move operation does not apply: doc is missing destination path: {path}");
        return Err(wrap(context, MISSING.into()));
    };
    container_add(container, &key, value)
        .map_err(|e| wrap(format!("error in move for path: '{path}'"), e))
}

fn test(doc: &mut Value, op: Operation) -> Result<(), String> {
    let path = op
        .path()
        .map_err(|e| wrap("test operation failed to decode path".into(), e))?;
    let failed = || wrap(format!("testing value {path} failed"), "test failed".into());
    if path.is_empty() {
        return match op.value() {
            Some(expected) if documents_equal(doc, expected) => Ok(()),
            _ => Err(failed()),
        };
    }
    let Some((container, key)) = find_container(doc, &path) else {
        let context = format!("test operation does not apply: is missing path: {path}");
        return Err(wrap(context, MISSING.into()));
    };
    let actual = container_get(container, &key)
        .map_err(|e| wrap(format!("error in test for path: '{path}'"), e))?;
    match (actual, op.value()) {
        // A missing or null member only equals an explicit null.
        (None, Some(Value::Null)) => Ok(()),
        (Some(actual), Some(expected)) if documents_equal(actual, expected) => Ok(()),
        _ => Err(failed()),
    }
}

fn copy(doc: &mut Value, op: Operation, copied_bytes: &mut usize) -> Result<(), String> {
    let from = op
        .from()
        .map_err(|e| wrap("copy operation failed to decode from".into(), e))?;
    let Some((container, key)) = find_container(doc, &from) else {
        let context = format!("copy operation does not apply: doc is missing from path: {from}");
        return Err(wrap(context, MISSING.into()));
    };
    let value = container_get(container, &key)
        .map_err(|e| wrap(format!("error in copy for from: '{from}'"), e))?
        .cloned()
        .unwrap_or(Value::Null);
    let path = op.path().map_err(|_| {
        wrap(
            "copy operation failed to decode path".into(),
            MISSING.into(),
        )
    })?;
    let Some((container, key)) = find_container(doc, &path) else {
        let context =
            format!("copy operation does not apply: doc is missing destination path: {path}");
        return Err(wrap(context, MISSING.into()));
    };
    // Upstream counts the serialized size of each copied value (nothing for a nil one).
    if !value.is_null() {
        *copied_bytes += serde_json::to_vec(&value).map(|b| b.len()).unwrap_or(0);
    }
    if *copied_bytes > MAX_JSON_PATCH_COPY_BYTES {
        return Err(format!(
            "Unable to complete the copy, the accumulated size increase of copy is {copied_bytes}, exceeding the limit {MAX_JSON_PATCH_COPY_BYTES}"
        ));
    }
    container_add(container, &key, value)
        .map_err(|e| wrap("error while adding value during copy".into(), e))
}

/// RFC 6901 unescaping (`~1` then `~0`, left to right).
fn decode_pointer_token(token: &str) -> String {
    let mut out = String::with_capacity(token.len());
    let mut chars = token.chars().peekable();
    while let Some(c) = chars.next() {
        match (c, chars.peek()) {
            ('~', Some('1')) => {
                out.push('/');
                chars.next();
            }
            ('~', Some('0')) => {
                out.push('~');
                chars.next();
            }
            _ => out.push(c),
        }
    }
    out
}

/// The container holding the last token of `path`, and that token. Intermediate
/// members must exist, be non-null containers; the first segment is ignored.
fn find_container<'d>(doc: &'d mut Value, path: &str) -> Option<(&'d mut Value, String)> {
    let tokens: Vec<&str> = path.split('/').collect();
    if tokens.len() < 2 {
        return None;
    }
    let mut current = doc;
    for token in &tokens[1..tokens.len() - 1] {
        let key = decode_pointer_token(token);
        let next = match current {
            Value::Object(map) => map.get_mut(&key)?,
            Value::Array(items) => {
                let index = array_index(items.len(), &key, false).ok()?;
                items.get_mut(index)?
            }
            _ => return None,
        };
        if !matches!(next, Value::Object(_) | Value::Array(_)) {
            return None;
        }
        current = next;
    }
    let last = tokens[tokens.len() - 1];
    Some((current, decode_pointer_token(last)))
}

/// Go's `strconv.Atoi`.
fn go_atoi(s: &str) -> Result<i64, String> {
    let digits = s.strip_prefix(['+', '-']).unwrap_or(s);
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Err(format!("strconv.Atoi: parsing {s:?}: invalid syntax"));
    }
    s.trim_start_matches('+')
        .parse::<i64>()
        .map_err(|_| format!("strconv.Atoi: parsing {s:?}: value out of range"))
}

fn invalid_index(index: i64) -> String {
    format!("Unable to access invalid index: {index}: invalid index referenced")
}

/// Resolves an array index token for get/set/remove (`for_insert` = false) or
/// add (`for_insert` = true, where the end position is valid).
fn array_index(len: usize, token: &str, for_insert: bool) -> Result<usize, String> {
    let index = go_atoi(token)?;
    let size = len as i64 + i64::from(for_insert);
    if index >= size {
        return Err(invalid_index(index));
    }
    if index < 0 {
        if index < -size {
            return Err(invalid_index(index));
        }
        return Ok((index + size) as usize);
    }
    Ok(index as usize)
}

/// Looks a member up; `Ok(None)` stands for Go's nil node (missing or null member).
fn container_get<'c>(container: &'c Value, key: &str) -> Result<Option<&'c Value>, String> {
    match container {
        Value::Object(map) => Ok(map.get(key).filter(|v| !v.is_null())),
        Value::Array(items) => {
            let index = array_index(items.len(), key, false)?;
            Ok(items.get(index).filter(|v| !v.is_null()))
        }
        _ => Err(MISSING.to_string()),
    }
}

fn container_set(container: &mut Value, key: &str, value: Value) -> Result<(), String> {
    match container {
        Value::Object(map) => {
            map.insert(key.to_string(), value);
            Ok(())
        }
        Value::Array(items) => {
            let index = array_index(items.len(), key, false)?;
            items[index] = value;
            Ok(())
        }
        _ => Err(MISSING.to_string()),
    }
}

fn container_add(container: &mut Value, key: &str, value: Value) -> Result<(), String> {
    match container {
        Value::Object(map) => {
            map.insert(key.to_string(), value);
            Ok(())
        }
        Value::Array(items) if key == "-" => {
            items.push(value);
            Ok(())
        }
        Value::Array(items) => {
            let index = array_index(items.len(), key, true).map_err(|e| {
                if e.starts_with("strconv") {
                    wrap(format!("value was not a proper array index: '{key}'"), e)
                } else {
                    e
                }
            })?;
            items.insert(index, value);
            Ok(())
        }
        _ => Err(MISSING.to_string()),
    }
}

fn container_remove(container: &mut Value, key: &str) -> Result<Value, String> {
    match container {
        Value::Object(map) => map.remove(key).ok_or_else(|| {
            wrap(
                format!("Unable to remove nonexistent key: {key}"),
                MISSING.into(),
            )
        }),
        Value::Array(items) => {
            let index = array_index(items.len(), key, false)?;
            Ok(items.remove(index))
        }
        _ => Err(MISSING.to_string()),
    }
}

/// Equality as the `test` operation sees it: structural for containers; for
/// scalars upstream compares the encoded bytes, so `1` and `1.0` differ.
fn documents_equal(actual: &Value, expected: &Value) -> bool {
    match (actual, expected) {
        (Value::Object(a), Value::Object(b)) => {
            a.len() == b.len()
                && a.iter().all(|(key, value)| {
                    b.get(key)
                        .is_some_and(|other| documents_equal(value, other))
                })
        }
        (Value::Array(a), Value::Array(b)) => {
            a.len() == b.len() && a.iter().zip(b).all(|(x, y)| documents_equal(x, y))
        }
        (Value::Object(_) | Value::Array(_), _) | (_, Value::Object(_) | Value::Array(_)) => false,
        // serde_json keeps integers and floats apart, like upstream's byte compare.
        (a, b) => a == b,
    }
}

#[cfg(test)]
#[path = "json_patch_tests.rs"]
mod tests;
