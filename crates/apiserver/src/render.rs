//! Turning stored objects into what the client asked for: the object at the requested version, a
//! server-side Table, or PartialObjectMetadata.

use std::time::SystemTime;

use bytes::Bytes;
use capstan_api::ResourceInfo;
use capstan_apimachinery::ApiError;
use serde_json::{Map, Value, json};

use crate::convert;
use crate::http_util::Representation;
use crate::object::{parse_stored, with_resource_version};

/// An object read from the store or cache.
pub struct Stored<'a> {
    pub bytes: &'a [u8],
    pub rev: i64,
}

/// Whether objects of `res` are stored in exactly the form it serves.
fn served_as_stored(res: &ResourceInfo) -> bool {
    res.storage_version == res.version && res.storage.group == res.group
}

/// The object as JSON bytes, at the served version, with its resourceVersion.
pub fn object_bytes(res: &ResourceInfo, obj: Stored<'_>) -> Bytes {
    if served_as_stored(res) {
        return with_resource_version(obj.bytes, obj.rev);
    }
    match object_value(res, obj) {
        Ok(v) => Bytes::from(serde_json::to_vec(&v).expect("JSON values serialize")),
        Err(e) => Bytes::from(e.to_status_json_string()),
    }
}

/// The object as a JSON value, at the served version, with its resourceVersion.
pub fn object_value(res: &ResourceInfo, obj: Stored<'_>) -> Result<Value, ApiError> {
    let v = parse_stored(obj.bytes, obj.rev)
        .map_err(|e| ApiError::internal_error(&format!("stored object is not JSON: {e}")))?;
    Ok(convert::from_storage(res, v))
}

pub fn partial_metadata(obj: &Value, version: &str) -> Value {
    json!({
        "kind": "PartialObjectMetadata",
        "apiVersion": format!("meta.k8s.io/{version}"),
        "metadata": obj.get("metadata").cloned().unwrap_or_else(|| Value::Object(Map::new())),
    })
}

/// PartialObjectMetadata for a stored object: only its metadata is read (a metadata watch sees
/// every change of a resource, so this must not parse whole objects).
pub fn partial_metadata_bytes(res: &ResourceInfo, obj: Stored<'_>, version: &str) -> Bytes {
    use serde_json::value::RawValue;
    type RawMap<'a> = std::collections::HashMap<std::borrow::Cow<'a, str>, &'a RawValue>;
    if served_as_stored(res)
        && let Ok(top) = serde_json::from_slice::<RawMap<'_>>(obj.bytes)
        && let Some(meta) = top.get("metadata")
    {
        let mut out = Vec::with_capacity(meta.get().len() + 96);
        out.extend_from_slice(b"{\"kind\":\"PartialObjectMetadata\",\"apiVersion\":\"meta.k8s.io/");
        out.extend_from_slice(version.as_bytes());
        out.extend_from_slice(b"\",\"metadata\":");
        out.extend_from_slice(meta.get().as_bytes());
        out.push(b'}');
        return with_resource_version(&out, obj.rev);
    }
    match object_value(res, obj) {
        Ok(v) => Bytes::from(serde_json::to_vec(&partial_metadata(&v, version)).expect("json")),
        Err(e) => Bytes::from(e.to_status_json_string()),
    }
}

/// What each Table row carries (`includeObject`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum IncludeObject {
    None,
    Metadata,
    Object,
}

impl IncludeObject {
    pub fn parse(v: Option<&str>) -> Result<IncludeObject, ApiError> {
        match v {
            None | Some("") | Some("Metadata") => Ok(IncludeObject::Metadata),
            Some("None") => Ok(IncludeObject::None),
            Some("Object") => Ok(IncludeObject::Object),
            Some(other) => Err(ApiError::bad_request(&format!(
                "includeObject: Unsupported value: {other:?}: supported values: \"Metadata\", \"None\", \"Object\""
            ))),
        }
    }
}

pub struct TableOptions {
    pub version: &'static str,
    pub include: IncludeObject,
    pub with_columns: bool,
}

/// Where a resource's table columns come from: the built-in printers, or a custom resource's
/// additionalPrinterColumns (JSONPath cells).
enum Printer<'a> {
    Builtin(&'static [capstan_printers::Column]),
    Custom(&'a [capstan_api::PrinterColumn]),
}

/// The "Age" column a CRD without printer columns gets (upstream's CRD default).
fn age_column() -> capstan_api::PrinterColumn {
    capstan_api::PrinterColumn {
        name: "Age".into(),
        type_: "date".into(),
        format: String::new(),
        description: "CreationTimestamp is a timestamp representing the server time when this object was created.".into(),
        priority: 0,
        json_path: ".metadata.creationTimestamp".into(),
    }
}

impl<'a> Printer<'a> {
    fn for_resource(res: &'a ResourceInfo) -> Printer<'a> {
        match &res.printer_columns {
            Some(cols) => Printer::Custom(cols),
            None => Printer::Builtin(capstan_printers::columns_or_default(
                &res.group,
                &res.plural,
            )),
        }
    }

    fn custom_columns(cols: &[capstan_api::PrinterColumn]) -> Vec<capstan_api::PrinterColumn> {
        if cols.is_empty() {
            vec![age_column()]
        } else {
            cols.to_vec()
        }
    }

    fn columns(&self) -> Vec<Value> {
        match self {
            Printer::Builtin(cols) => cols.iter().map(|c| c.to_json()).collect(),
            Printer::Custom(cols) => {
                let mut out = vec![json!({"name": "Name", "type": "string", "format": "name",
                    "description": "Name must be unique within a namespace. Is required when creating resources, although some resources may allow a client to request the generation of an appropriate name automatically. Name is primarily intended for creation idempotence and configuration definition. Cannot be updated. More info: https://kubernetes.io/docs/concepts/overview/working-with-objects/names#names",
                    "priority": 0})];
                for c in Self::custom_columns(cols) {
                    out.push(json!({"name": c.name, "type": c.type_, "format": c.format,
                                    "description": c.description, "priority": c.priority}));
                }
                out
            }
        }
    }

    fn cells(
        &self,
        res: &ResourceInfo,
        obj: &Value,
        now: SystemTime,
    ) -> Result<Vec<Value>, ApiError> {
        match self {
            Printer::Builtin(_) => capstan_printers::row_cells(&res.group, &res.plural, obj, now)
                .map_err(|e| ApiError::internal_error(&e.to_string())),
            Printer::Custom(cols) => {
                let mut cells = vec![
                    obj.pointer("/metadata/name")
                        .cloned()
                        .unwrap_or(Value::Null),
                ];
                for c in Self::custom_columns(cols) {
                    // Dates come out as ages ("5m"), as upstream's CRD table convertor does.
                    let cell = match capstan_crd::JsonPath::parse_field(&c.json_path) {
                        Ok(path) => {
                            path.cell_at(obj, &c.type_, chrono::DateTime::<chrono::Utc>::from(now))
                        }
                        Err(_) => Value::Null,
                    };
                    cells.push(cell);
                }
                Ok(cells)
            }
        }
    }
}

/// A meta.k8s.io Table of the given objects (already at the served version).
pub fn table(
    res: &ResourceInfo,
    objects: &[Value],
    opts: &TableOptions,
    list_meta: Map<String, Value>,
) -> Result<Value, ApiError> {
    let now = SystemTime::now();
    let printer = Printer::for_resource(res);
    let mut rows = Vec::with_capacity(objects.len());
    for obj in objects {
        let cells = printer.cells(res, obj, now)?;
        let mut row = Map::new();
        row.insert("cells".into(), Value::Array(cells));
        let conditions = if res.custom {
            Vec::new()
        } else {
            capstan_printers::row_conditions(&res.group, &res.plural, obj)
        };
        if !conditions.is_empty() {
            row.insert("conditions".into(), Value::Array(conditions));
        }
        match opts.include {
            IncludeObject::None => {}
            IncludeObject::Metadata => {
                row.insert("object".into(), partial_metadata(obj, opts.version));
            }
            IncludeObject::Object => {
                row.insert("object".into(), obj.clone());
            }
        }
        rows.push(Value::Object(row));
    }
    let column_definitions = if opts.with_columns {
        Value::Array(printer.columns())
    } else {
        Value::Null
    };
    Ok(json!({
        "kind": "Table",
        "apiVersion": format!("meta.k8s.io/{}", opts.version),
        "metadata": list_meta,
        "columnDefinitions": column_definitions,
        "rows": rows,
    }))
}

/// Renders one object for a get or a write response.
pub fn render_object(
    res: &ResourceInfo,
    obj: Stored<'_>,
    repr: Representation,
    include: IncludeObject,
) -> Result<Bytes, ApiError> {
    match repr {
        Representation::Object => Ok(object_bytes(res, obj)),
        Representation::PartialMetadata(v) => Ok(partial_metadata_bytes(res, obj, v)),
        Representation::Table(v) => {
            let value = object_value(res, obj)?;
            let mut meta = Map::new();
            if let Some(rv) = value.pointer("/metadata/resourceVersion") {
                meta.insert("resourceVersion".into(), rv.clone());
            }
            let t = table(
                res,
                std::slice::from_ref(&value),
                &TableOptions {
                    version: v,
                    include,
                    with_columns: true,
                },
                meta,
            )?;
            Ok(Bytes::from(serde_json::to_vec(&t).expect("json")))
        }
    }
}
