//! `metadata.managedFields`: who owns which fields.
//!
//! An entry is identified by manager, operation, subresource and, for
//! updates, apiVersion; entries are written sorted (applies first, then by
//! time, manager, apiVersion, subresource) as upstream does.

use std::collections::{BTreeMap, HashMap};

use serde_json::{Map, Value};

use crate::fields_v1;
use crate::set::FieldSet;
use crate::time::{normalize_rfc3339, parse_rfc3339};
use crate::value::write_go_json_string;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Operation {
    Apply,
    Update,
}

impl Operation {
    pub fn as_str(self) -> &'static str {
        match self {
            Operation::Apply => "Apply",
            Operation::Update => "Update",
        }
    }
}

/// One `managedFields` entry.
#[derive(Debug, Clone, PartialEq)]
pub struct ManagedFieldsEntry {
    pub manager: String,
    pub operation: Operation,
    pub api_version: String,
    /// UTC, whole seconds (`2024-05-06T07:08:09Z`); absent on an applier
    /// whose first apply changed nothing.
    pub time: Option<String>,
    pub fields: FieldSet,
    /// Empty for the main resource.
    pub subresource: String,
}

/// The decoded `metadata.managedFields` of an object.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ManagedFields(pub Vec<ManagedFieldsEntry>);

impl ManagedFields {
    pub fn new() -> ManagedFields {
        ManagedFields::default()
    }

    pub fn entries(&self) -> &[ManagedFieldsEntry] {
        &self.0
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The entry of `manager` with `operation` (any apiVersion and subresource).
    pub fn find(&self, manager: &str, operation: Operation) -> Option<&ManagedFieldsEntry> {
        self.0
            .iter()
            .find(|e| e.manager == manager && e.operation == operation)
    }

    /// Decodes a `managedFields` list, with upstream's error texts.
    pub fn decode(list: &Value) -> Result<ManagedFields, String> {
        let items = match list {
            Value::Null => return Ok(ManagedFields::new()),
            Value::Array(items) => items,
            _ => return Err("managedFields must be a list".into()),
        };
        let mut entries = Vec::with_capacity(items.len());
        for (i, item) in items.iter().enumerate() {
            entries.push(decode_entry(i, item)?);
        }
        Ok(ManagedFields(entries))
    }

    /// The managed fields of `object` (`metadata.managedFields`; none when absent).
    pub fn from_object(object: &Value) -> Result<ManagedFields, String> {
        match managed_fields_of(object) {
            Some(list) => ManagedFields::decode(list),
            None => Ok(ManagedFields::new()),
        }
    }

    /// What upstream tracks an update against: the request's managedFields
    /// when it sets valid, non-empty ones (`[]` or `[{}]` reset them), else
    /// the live object's. Subresource writes always keep the live ones.
    /// Undecodable lists count as empty.
    pub fn for_update(live: Option<&Value>, new: &Value, is_subresource: bool) -> ManagedFields {
        let live_fields = || {
            live.map(|l| ManagedFields::from_object(l).unwrap_or_default())
                .unwrap_or_default()
        };
        if is_subresource {
            return live_fields();
        }
        let requested = managed_fields_of(new);
        if requested.is_some_and(is_reset) {
            return ManagedFields::new();
        }
        match requested.map(ManagedFields::decode) {
            Some(Ok(fields)) if !fields.is_empty() => fields,
            _ => live_fields(),
        }
    }

    /// The list as a JSON value (fieldsV1 keys in `serde_json` order; see
    /// [`ManagedFields::to_json`] for upstream's exact bytes).
    pub fn to_value(&self) -> Value {
        Value::Array(self.0.iter().map(entry_to_value).collect())
    }

    /// The list exactly as kube-apiserver serializes it (Go field order,
    /// fieldsV1 keys in path-element order).
    pub fn to_json(&self) -> String {
        let mut out = String::from("[");
        for (i, entry) in self.0.iter().enumerate() {
            if i > 0 {
                out.push(',');
            }
            write_entry_json(&mut out, entry);
        }
        out.push(']');
        out
    }

    /// Sets `metadata.managedFields` of `object`, or removes it when empty.
    pub fn write_to(&self, object: &mut Value) {
        let Some(Value::Object(meta)) = object.get_mut("metadata") else {
            if self.is_empty() {
                return;
            }
            if let Value::Object(root) = object {
                let mut meta = Map::new();
                meta.insert("managedFields".into(), self.to_value());
                root.insert("metadata".into(), Value::Object(meta));
            }
            return;
        };
        if self.is_empty() {
            meta.remove("managedFields");
        } else {
            meta.insert("managedFields".into(), self.to_value());
        }
    }
}

fn managed_fields_of(object: &Value) -> Option<&Value> {
    object.get("metadata")?.get("managedFields")
}

/// `[]` or a single all-empty entry: the client asks to drop all managed fields.
fn is_reset(list: &Value) -> bool {
    match list {
        Value::Array(items) => match items.as_slice() {
            [] => true,
            [Value::Object(entry)] => entry
                .values()
                .all(|v| v.is_null() || v.as_str() == Some("")),
            _ => false,
        },
        _ => false,
    }
}

fn string_field<'a>(entry: &'a Value, name: &str) -> Result<&'a str, String> {
    match entry.get(name) {
        None | Some(Value::Null) => Ok(""),
        Some(Value::String(s)) => Ok(s),
        Some(other) => Err(format!(
            "json: cannot unmarshal {} into Go struct field ManagedFieldsEntry.{name} of type string",
            crate::value::go_type_name(other)
        )),
    }
}

fn decode_entry(i: usize, entry: &Value) -> Result<ManagedFieldsEntry, String> {
    if !entry.is_object() {
        return Err("managedFields entries must be objects".into());
    }
    let operation = match string_field(entry, "operation")? {
        "Apply" => Operation::Apply,
        "Update" => Operation::Update,
        _ => return Err("operation must be `Apply` or `Update`".into()),
    };
    let api_version = string_field(entry, "apiVersion")?;
    if api_version.is_empty() {
        return Err("apiVersion must not be empty".into());
    }
    match string_field(entry, "fieldsType")? {
        "FieldsV1" => {}
        "" => return Err(format!("missing fieldsType in managed fields entry {i}")),
        other => {
            return Err(format!(
                "invalid fieldsType {} in managed fields entry {i}",
                crate::value::go_quote(other)
            ));
        }
    }
    let time = match entry.get("time") {
        None | Some(Value::Null) => None,
        Some(Value::String(t)) => Some(normalize_rfc3339(t).ok_or_else(|| {
            format!(
                "parsing time {}: invalid RFC 3339 time",
                crate::value::go_quote(t)
            )
        })?),
        Some(_) => return Err("time must be a string".into()),
    };
    let fields = match entry.get("fieldsV1") {
        None | Some(Value::Null) => FieldSet::new(),
        Some(raw) => fields_v1::from_value(raw)
            .map_err(|e| format!("error decoding versioned set: error decoding set: {e}"))?,
    };
    Ok(ManagedFieldsEntry {
        manager: string_field(entry, "manager")?.to_string(),
        operation,
        api_version: api_version.to_string(),
        time,
        fields,
        subresource: string_field(entry, "subresource")?.to_string(),
    })
}

fn entry_to_value(entry: &ManagedFieldsEntry) -> Value {
    let mut map = Map::new();
    if !entry.manager.is_empty() {
        map.insert("manager".into(), Value::String(entry.manager.clone()));
    }
    map.insert("operation".into(), entry.operation.as_str().into());
    map.insert(
        "apiVersion".into(),
        Value::String(entry.api_version.clone()),
    );
    if let Some(time) = &entry.time {
        map.insert("time".into(), Value::String(time.clone()));
    }
    map.insert("fieldsType".into(), "FieldsV1".into());
    map.insert("fieldsV1".into(), fields_v1::to_value(&entry.fields));
    if !entry.subresource.is_empty() {
        map.insert(
            "subresource".into(),
            Value::String(entry.subresource.clone()),
        );
    }
    Value::Object(map)
}

fn write_entry_json(out: &mut String, entry: &ManagedFieldsEntry) {
    out.push('{');
    if !entry.manager.is_empty() {
        out.push_str("\"manager\":");
        write_go_json_string(out, &entry.manager, true);
        out.push(',');
    }
    out.push_str("\"operation\":\"");
    out.push_str(entry.operation.as_str());
    out.push_str("\",\"apiVersion\":");
    write_go_json_string(out, &entry.api_version, true);
    if let Some(time) = &entry.time {
        out.push_str(",\"time\":");
        write_go_json_string(out, time, true);
    }
    out.push_str(",\"fieldsType\":\"FieldsV1\",\"fieldsV1\":");
    out.push_str(&fields_v1::to_json(&entry.fields));
    if !entry.subresource.is_empty() {
        out.push_str(",\"subresource\":");
        write_go_json_string(out, &entry.subresource, true);
    }
    out.push('}');
}

/// How upstream keys managers: the apiVersion only distinguishes updaters.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub(crate) struct ManagerKey {
    pub manager: String,
    pub operation: Operation,
    pub api_version: String,
    pub subresource: String,
}

impl ManagerKey {
    pub(crate) fn new(
        manager: &str,
        operation: Operation,
        api_version: &str,
        subresource: &str,
    ) -> Self {
        ManagerKey {
            manager: manager.to_string(),
            operation,
            api_version: match operation {
                Operation::Apply => String::new(),
                Operation::Update => api_version.to_string(),
            },
            subresource: subresource.to_string(),
        }
    }

    /// Upstream's identifier string (a JSON-encoded partial entry), which it
    /// sorts managers by.
    pub(crate) fn identifier(&self) -> String {
        let mut out = String::from("{");
        if !self.manager.is_empty() {
            out.push_str("\"manager\":");
            write_go_json_string(&mut out, &self.manager, true);
            out.push(',');
        }
        out.push_str("\"operation\":\"");
        out.push_str(self.operation.as_str());
        out.push('"');
        if !self.api_version.is_empty() {
            out.push_str(",\"apiVersion\":");
            write_go_json_string(&mut out, &self.api_version, true);
        }
        if !self.subresource.is_empty() {
            out.push_str(",\"subresource\":");
            write_go_json_string(&mut out, &self.subresource, true);
        }
        out.push('}');
        out
    }
}

/// A manager's fields at the version it last wrote them.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Owned {
    pub set: FieldSet,
    pub api_version: String,
    pub applied: bool,
}

/// Managers as the algorithms work on them (upstream's `Managed`).
#[derive(Debug, Clone, Default)]
pub(crate) struct Managers {
    pub sets: BTreeMap<ManagerKey, Owned>,
    pub times: HashMap<ManagerKey, String>,
}

impl Managers {
    pub(crate) fn from_fields(fields: &ManagedFields) -> Managers {
        let mut managers = Managers::default();
        for entry in &fields.0 {
            let key = ManagerKey::new(
                &entry.manager,
                entry.operation,
                &entry.api_version,
                &entry.subresource,
            );
            let owned = Owned {
                set: entry.fields.clone(),
                api_version: entry.api_version.clone(),
                applied: entry.operation == Operation::Apply,
            };
            match &entry.time {
                Some(time) => managers.times.insert(key.clone(), time.clone()),
                None => managers.times.remove(&key),
            };
            managers.sets.insert(key, owned);
        }
        managers
    }

    pub(crate) fn into_fields(self) -> ManagedFields {
        let Managers { sets, mut times } = self;
        let mut entries: Vec<ManagedFieldsEntry> = sets
            .into_iter()
            .map(|(key, owned)| ManagedFieldsEntry {
                time: times.remove(&key),
                manager: key.manager,
                operation: if owned.applied {
                    Operation::Apply
                } else {
                    key.operation
                },
                api_version: owned.api_version,
                fields: owned.set,
                subresource: key.subresource,
            })
            .collect();
        entries.sort_by(|p, q| {
            p.operation
                .as_str()
                .cmp(q.operation.as_str())
                .then_with(|| seconds(&p.time).cmp(&seconds(&q.time)))
                .then_with(|| p.manager.cmp(&q.manager))
                .then_with(|| p.api_version.cmp(&q.api_version))
                .then_with(|| p.subresource.cmp(&q.subresource))
        });
        ManagedFields(entries)
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.sets.is_empty()
    }
}

pub(crate) fn seconds(time: &Option<String>) -> i64 {
    time.as_deref().and_then(parse_rfc3339).unwrap_or(0)
}

#[cfg(test)]
mod tests;
