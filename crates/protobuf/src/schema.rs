//! The shape of the schema table (filled in by `generated.rs`) and look-ups into it.

/// One protobuf message type of the Kubernetes API.
pub(crate) struct Message {
    /// Full proto name, e.g. `k8s.io.api.core.v1.ConfigMap`.
    pub(crate) name: &'static str,
    pub(crate) special: Special,
    /// Sorted by field number.
    pub(crate) fields: &'static [Field],
}

/// Messages whose JSON form is not an object of their fields.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Special {
    None,
    /// `{seconds, nanos}` → RFC 3339 string with whole seconds, `null` when zero.
    Time,
    /// `{seconds, nanos}` → RFC 3339 string with microseconds, `null` when zero.
    MicroTime,
    /// `{duration: int64 ns}` → Go duration string.
    Duration,
    /// `{string}` → the string.
    Quantity,
    /// `{type, intVal, strVal}` → number or string.
    IntOrString,
    /// `{raw bytes}` → the JSON document held in `raw`.
    RawJson,
    /// A Go named slice type: `{repeated items = 1}` → a JSON array.
    ItemsList,
    /// apiextensions `{allows, schema}` → schema object or boolean.
    SchemaOrBool,
    /// apiextensions `{schema, jSONSchemas}` → array of schemas or one schema.
    SchemaOrArray,
    /// apiextensions `{schema, property}` → array of strings or one schema.
    SchemaOrStringArray,
}

pub(crate) struct Field {
    pub(crate) number: u32,
    /// The JSON key; empty for `Inline` fields.
    pub(crate) json_name: &'static str,
    pub(crate) ty: FieldType,
    pub(crate) shape: Shape,
    pub(crate) presence: Presence,
}

#[derive(Clone, Copy)]
pub(crate) enum FieldType {
    Scalar(Scalar),
    Message(&'static Message),
}

/// The scalar types Kubernetes' protos use.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Scalar {
    Int32,
    Int64,
    Bool,
    String,
    Bytes,
    Double,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Shape {
    Single,
    Repeated,
    /// Map entries `{1: key, 2: value}`; the key has this scalar type.
    Map(Scalar),
    /// A Go embedded struct whose fields are flattened into the parent object.
    Inline,
}

/// When the field appears in the JSON, mirroring how Go's encoding/json treats the
/// decoded Go field.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Presence {
    /// A value (non-pointer) field without `omitempty`, or any struct value: always
    /// written, with its zero value when absent from the wire.
    Always,
    /// A value scalar with `omitempty`: left out when zero.
    OmitZero,
    /// A pointer, slice, map or `[]byte` with `omitempty`: left out when unset or empty.
    Optional,
    /// A pointer, slice, map or `[]byte` without `omitempty`: `null` when unset.
    Nullable,
}

/// Used by the generated table to keep each field on one short line.
pub(crate) const fn field(
    number: u32,
    json_name: &'static str,
    ty: FieldType,
    shape: Shape,
    presence: Presence,
) -> Field {
    Field {
        number,
        json_name,
        ty,
        shape,
        presence,
    }
}

impl Message {
    pub(crate) fn field(&self, number: u32) -> Option<(usize, &'static Field)> {
        let fields: &'static [Field] = self.fields;
        fields
            .binary_search_by_key(&number, |f| f.number)
            .ok()
            .map(|index| (index, &fields[index]))
    }
}

/// Finds a message by its full proto name.
pub(crate) fn message_by_name(name: &str) -> Option<&'static Message> {
    let messages = crate::generated::MESSAGES;
    messages
        .binary_search_by(|m| m.name.cmp(name))
        .ok()
        .map(|index| messages[index])
}

/// Finds the message for an object's `apiVersion` and `kind`. Kinds of meta.k8s.io/v1
/// (DeleteOptions, Status, ...) are accepted under every group version, as upstream
/// registers them everywhere.
pub(crate) fn message_for_kind(api_version: &str, kind: &str) -> Option<&'static Message> {
    let (group, version) = api_version.split_once('/').unwrap_or(("", api_version));
    if kind.is_empty() || kind.contains('.') {
        return None;
    }
    let package = crate::generated::GROUP_VERSIONS
        .iter()
        .find(|(g, v, _)| *g == group && *v == version)
        .map(|(_, _, package)| *package)?;
    message_by_name(&format!("{package}.{kind}"))
        .or_else(|| message_by_name(&format!("{META_PACKAGE}.{kind}")))
}

const META_PACKAGE: &str = "k8s.io.apimachinery.pkg.apis.meta.v1";
