//! OpenAPI v3 → structured-merge-diff types, following kube-openapi's
//! `schemaconv`: `type` picks the shape (none: scalar, list and map at once),
//! `x-kubernetes-list-type` (else `x-kubernetes-patch-strategy: merge` with
//! an optional merge key, else atomic) types lists, `x-kubernetes-map-type`
//! maps, and objects without properties or with
//! `x-kubernetes-preserve-unknown-fields` accept any field ("deduced").

use std::collections::HashMap;
use std::sync::Arc;

use serde_json::{Map, Value, json};

use super::builtin_tables::{FIELD_DEFAULTS, ZERO_OBJECTS};
use super::object_meta::{OBJECT_META, object_meta_definitions};
use super::{
    Atom, DEDUCED, FieldDef, ListDef, MapDef, Scalar, Schema, TypeId, TypeRef, TypeSet,
    UNTYPED_ATOMIC,
};

const QUANTITY: &str = "io.k8s.apimachinery.pkg.api.resource.Quantity";
const RAW_EXTENSION: &str = "io.k8s.apimachinery.pkg.runtime.RawExtension";
/// Bounds nesting so a hostile schema cannot overflow the stack.
const MAX_DEPTH: usize = 128;

struct Compiler {
    atoms: Vec<Atom>,
    names: HashMap<String, TypeId>,
    defaults: HashMap<(&'static str, &'static str), Value>,
}

fn common_atoms() -> Vec<Atom> {
    let untyped = TypeRef::to(UNTYPED_ATOMIC);
    vec![
        Atom {
            scalar: Some(Scalar::Untyped),
            list: Some(ListDef {
                atomic: true,
                keys: Vec::new(),
                elem: untyped,
            }),
            map: Some(MapDef {
                elem: Some(untyped),
                atomic: true,
                ..MapDef::default()
            }),
        },
        Atom {
            scalar: Some(Scalar::Untyped),
            list: Some(ListDef {
                atomic: true,
                keys: Vec::new(),
                elem: untyped,
            }),
            map: Some(MapDef {
                elem: Some(TypeRef::to(DEDUCED)),
                ..MapDef::default()
            }),
        },
    ]
}

impl Compiler {
    fn new(names: impl IntoIterator<Item = String>) -> Compiler {
        let atoms = common_atoms();
        let mut map = HashMap::new();
        for name in names {
            let id = atoms.len() + map.len();
            map.entry(name).or_insert(id);
        }
        let mut compiler = Compiler {
            atoms,
            names: map,
            defaults: HashMap::new(),
        };
        let slots = compiler.names.len();
        compiler.atoms.resize_with(2 + slots, Atom::default);
        compiler
    }

    fn with_builtin_defaults(mut self) -> Compiler {
        for (definition, field, value) in FIELD_DEFAULTS {
            if let Ok(value) = serde_json::from_str(value) {
                self.defaults.insert((definition, field), value);
            }
        }
        self
    }

    fn define(&mut self, name: &str, schema: &Value) {
        let Some(&id) = self.names.get(name) else {
            return;
        };
        let atom = match name {
            QUANTITY => Atom {
                scalar: Some(Scalar::Untyped),
                ..Atom::default()
            },
            RAW_EXTENSION => common_atoms().swap_remove(0),
            _ => self.parse_schema(Some(name), schema, false, 0),
        };
        self.atoms[id] = atom;
    }

    fn parse_schema(
        &mut self,
        name: Option<&str>,
        schema: &Value,
        preserve_unknown: bool,
        depth: usize,
    ) -> Atom {
        let preserve = preserve_unknown
            || schema.get("x-kubernetes-preserve-unknown-fields") == Some(&Value::Bool(true));
        let typ = match schema.get("type") {
            Some(Value::String(t)) => t.as_str(),
            Some(Value::Array(types)) => types.first().and_then(Value::as_str).unwrap_or(""),
            _ => "",
        };
        match typ {
            "" => Atom {
                scalar: Some(Scalar::Untyped),
                list: Some(self.parse_list(schema, preserve, depth)),
                map: Some(self.parse_object(name, schema, preserve, depth)),
            },
            "object" => Atom {
                map: Some(self.parse_object(name, schema, preserve, depth)),
                ..Atom::default()
            },
            "array" => Atom {
                list: Some(self.parse_list(schema, preserve, depth)),
                ..Atom::default()
            },
            "integer" | "number" => scalar(Scalar::Numeric),
            "boolean" => scalar(Scalar::Boolean),
            "string" => match schema.get("format").and_then(Value::as_str).unwrap_or("") {
                "" | "byte" => scalar(Scalar::String),
                _ => scalar(Scalar::Untyped),
            },
            _ => scalar(Scalar::Untyped),
        }
    }

    /// A property's type: a reference (`$ref` or a one-element `allOf`),
    /// or an inline schema compiled into a new atom.
    fn type_ref(&mut self, schema: &Value, preserve: bool, depth: usize) -> TypeRef {
        if let Some(target) = ref_name(schema) {
            let id = self.names.get(target).copied().unwrap_or(DEDUCED);
            let atomic_override = match schema.get("x-kubernetes-map-type").and_then(Value::as_str)
            {
                Some("atomic") => Some(true),
                Some("granular") => Some(false),
                _ => None,
            };
            return TypeRef {
                id,
                atomic_override,
            };
        }
        if depth >= MAX_DEPTH {
            return TypeRef::to(DEDUCED);
        }
        let atom = self.parse_schema(None, schema, preserve, depth + 1);
        self.atoms.push(atom);
        TypeRef::to(self.atoms.len() - 1)
    }

    fn parse_object(
        &mut self,
        name: Option<&str>,
        schema: &Value,
        preserve: bool,
        depth: usize,
    ) -> MapDef {
        let properties = schema.get("properties").and_then(Value::as_object);
        let mut fields: HashMap<Arc<str>, FieldDef, super::FnvBuild> = HashMap::default();
        for (field, property) in properties.into_iter().flatten() {
            let ty = self.type_ref(property, preserve, depth);
            let default = property.get("default").cloned().or_else(|| {
                let definition = name?;
                self.defaults
                    .iter()
                    .find(|((d, f), _)| *d == definition && *f == field)
                    .map(|(_, v)| v.clone())
            });
            fields.insert(Arc::from(field.as_str()), FieldDef { ty, default });
        }
        let elem = match schema.get("additionalProperties") {
            None => (preserve || fields.is_empty()).then_some(TypeRef::to(DEDUCED)),
            Some(Value::Bool(true)) => Some(TypeRef::to(DEDUCED)),
            Some(Value::Bool(false)) => None,
            Some(other) => Some(self.type_ref(other, preserve, depth)),
        };
        MapDef {
            fields,
            elem,
            atomic: schema.get("x-kubernetes-map-type").and_then(Value::as_str) == Some("atomic"),
        }
    }

    fn parse_list(&mut self, schema: &Value, preserve: bool, depth: usize) -> ListDef {
        let (atomic, keys) = list_relationship(schema);
        let elem = match schema.get("items") {
            Some(Value::Array(items)) if items.len() == 1 => {
                self.type_ref(&items[0], preserve, depth)
            }
            Some(Value::Array(_)) => TypeRef::to(DEDUCED),
            Some(items @ Value::Object(_)) => self.type_ref(items, preserve, depth),
            _ => TypeRef::to(UNTYPED_ATOMIC),
        };
        ListDef { atomic, keys, elem }
    }
}

fn scalar(kind: Scalar) -> Atom {
    Atom {
        scalar: Some(kind),
        ..Atom::default()
    }
}

/// The target name of `$ref` or of a one-element `allOf` holding one.
fn ref_name(schema: &Value) -> Option<&str> {
    let reference = schema.get("$ref").and_then(Value::as_str).or_else(|| {
        match schema.get("allOf").and_then(Value::as_array)?.as_slice() {
            [only] => only.get("$ref").and_then(Value::as_str),
            _ => None,
        }
    })?;
    let name = reference.rsplit('/').next().unwrap_or(reference);
    (!name.is_empty()).then_some(name)
}

/// `(atomic, keys)` from the list extensions, as upstream reads them.
fn list_relationship(schema: &Value) -> (bool, Vec<String>) {
    if let Some(list_type) = schema.get("x-kubernetes-list-type") {
        return match list_type.as_str() {
            Some("set") => (false, Vec::new()),
            Some("map") => {
                let keys = schema
                    .get("x-kubernetes-list-map-keys")
                    .and_then(Value::as_array)
                    .map(|keys| {
                        keys.iter()
                            .filter_map(Value::as_str)
                            .map(str::to_string)
                            .collect()
                    })
                    .unwrap_or_default();
                (false, keys)
            }
            _ => (true, Vec::new()),
        };
    }
    match schema
        .get("x-kubernetes-patch-strategy")
        .and_then(Value::as_str)
    {
        Some("merge" | "merge,retainKeys") => {
            let keys = schema
                .get("x-kubernetes-patch-merge-key")
                .and_then(Value::as_str)
                .map(|key| vec![key.to_string()])
                .unwrap_or_default();
            (false, keys)
        }
        _ => (true, Vec::new()),
    }
}

pub(super) fn compile_definitions<'a>(
    definitions: impl IntoIterator<Item = (&'a str, &'a Value)>,
) -> TypeSet {
    let definitions: Vec<(&str, &Value)> = definitions
        .into_iter()
        // Upstream skips definitions that are only a reference.
        .filter(|(_, schema)| schema.get("$ref").is_none())
        .collect();
    let mut compiler =
        Compiler::new(definitions.iter().map(|(n, _)| n.to_string())).with_builtin_defaults();
    for (name, schema) in &definitions {
        compiler.define(name, schema);
    }
    let mut zero_objects = HashMap::new();
    for (name, zero) in ZERO_OBJECTS {
        if compiler.names.contains_key(*name)
            && let Ok(value) = serde_json::from_str::<Value>(zero)
        {
            zero_objects.insert(name.to_string(), Arc::new(value));
        }
    }
    TypeSet {
        atoms: compiler.atoms,
        names: compiler.names,
        zero_objects,
    }
}

/// Adds `apiVersion`, `kind` and `metadata` where the API server adds them
/// to a custom resource's schema: the root and embedded resources.
fn add_kube_native_properties(schema: &mut Value, root: bool) {
    let Value::Object(map) = schema else {
        return;
    };
    for key in ["properties"] {
        if let Some(Value::Object(properties)) = map.get_mut(key) {
            for property in properties.values_mut() {
                add_kube_native_properties(property, false);
            }
        }
    }
    for key in ["items", "additionalProperties"] {
        if let Some(child) = map.get_mut(key) {
            add_kube_native_properties(child, false);
        }
    }
    let embedded = map.get("x-kubernetes-embedded-resource") == Some(&Value::Bool(true));
    if root || embedded {
        let properties = map
            .entry("properties")
            .or_insert_with(|| Value::Object(Map::new()));
        if let Value::Object(properties) = properties {
            properties.insert("apiVersion".into(), json!({"type": "string"}));
            properties.insert("kind".into(), json!({"type": "string"}));
            properties.insert(
                "metadata".into(),
                json!({"$ref": format!("#/components/schemas/{OBJECT_META}")}),
            );
        }
    }
}

pub(super) fn compile_custom_resource(openapi_v3_schema: &Value) -> Schema {
    let types = Arc::new(compile_definitions(
        object_meta_definitions()
            .iter()
            .map(|(name, schema)| (name.as_str(), schema)),
    ));
    if openapi_v3_schema.is_null() {
        return Schema {
            types,
            root: TypeRef::to(DEDUCED),
            zero: Arc::new(Value::Object(Map::new())),
        };
    }
    let mut root = openapi_v3_schema.clone();
    add_kube_native_properties(&mut root, true);
    compile_inline(&types, &root)
}

pub(super) fn compile_inline(types: &Arc<TypeSet>, schema: &Value) -> Schema {
    let mut compiler = Compiler {
        atoms: types.atoms.clone(),
        names: types.names.clone(),
        defaults: HashMap::new(),
    };
    let atom = compiler.parse_schema(None, schema, false, 0);
    compiler.atoms.push(atom);
    let root = TypeRef::to(compiler.atoms.len() - 1);
    Schema {
        types: Arc::new(TypeSet {
            atoms: compiler.atoms,
            names: compiler.names,
            zero_objects: HashMap::new(),
        }),
        root,
        zero: Arc::new(Value::Object(Map::new())),
    }
}
