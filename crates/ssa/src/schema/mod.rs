//! Types as structured-merge-diff sees them, compiled once from OpenAPI v3
//! definitions (as kube-openapi's `schemaconv` converts them).
//!
//! A [`TypeSet`] holds every named definition (the built-in types); a
//! [`Schema`] is a handle on one root type in it, or on a custom resource's
//! inline `openAPIV3Schema`. Compile once and share: compiling the built-in
//! definitions takes milliseconds, a lookup during a merge takes nanoseconds.

mod builtin_tables;
mod compile;
mod object_meta;

use std::collections::HashMap;
use std::hash::{BuildHasher, Hasher};
use std::sync::Arc;

use serde_json::{Map, Value};

pub(crate) type TypeId = usize;

/// Scalars, lists and maps of any shape, all atomic.
pub(crate) const UNTYPED_ATOMIC: TypeId = 0;
/// What fields without a schema get: granular maps, atomic lists.
pub(crate) const DEDUCED: TypeId = 1;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Scalar {
    Numeric,
    String,
    Boolean,
    Untyped,
}

/// A reference to a type, with the field-level `x-kubernetes-map-type`
/// override upstream allows on references.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct TypeRef {
    pub id: TypeId,
    pub atomic_override: Option<bool>,
}

impl TypeRef {
    pub(crate) const fn to(id: TypeId) -> TypeRef {
        TypeRef {
            id,
            atomic_override: None,
        }
    }
}

#[derive(Debug, Clone)]
pub(crate) struct ListDef {
    pub atomic: bool,
    /// `x-kubernetes-list-map-keys`; empty for sets.
    pub keys: Vec<String>,
    pub elem: TypeRef,
}

#[derive(Debug, Clone)]
pub(crate) struct FieldDef {
    pub ty: TypeRef,
    pub default: Option<Value>,
}

/// A word-at-a-time hash (as rustc's Fx): field lookups hash short,
/// schema-given names on every walk, and SipHash showed in profiles.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct FnvBuild;

pub(crate) struct Fnv(u64);

const SEED: u64 = 0x51_7c_c1_b7_27_22_0a_95;

impl Fnv {
    fn add(&mut self, word: u64) {
        self.0 = (self.0.rotate_left(5) ^ word).wrapping_mul(SEED);
    }
}

impl BuildHasher for FnvBuild {
    type Hasher = Fnv;

    fn build_hasher(&self) -> Fnv {
        Fnv(0)
    }
}

impl Hasher for Fnv {
    fn write(&mut self, bytes: &[u8]) {
        let mut chunks = bytes.chunks_exact(8);
        for chunk in &mut chunks {
            let mut word = [0u8; 8];
            word.copy_from_slice(chunk);
            self.add(u64::from_le_bytes(word));
        }
        let rest = chunks.remainder();
        if !rest.is_empty() {
            let mut word = [0u8; 8];
            word[..rest.len()].copy_from_slice(rest);
            self.add(u64::from_le_bytes(word));
        }
    }

    fn write_u8(&mut self, byte: u8) {
        self.add(u64::from(byte));
    }

    fn finish(&self) -> u64 {
        self.0
    }
}

#[derive(Debug, Clone, Default)]
pub(crate) struct MapDef {
    pub fields: HashMap<Arc<str>, FieldDef, FnvBuild>,
    /// Type of fields not in `fields`; `None` rejects them.
    pub elem: Option<TypeRef>,
    pub atomic: bool,
}

/// What a type allows: any combination of scalar, list and map shapes.
#[derive(Debug, Clone, Default)]
pub(crate) struct Atom {
    pub scalar: Option<Scalar>,
    pub list: Option<ListDef>,
    pub map: Option<MapDef>,
}

/// A resolved type: the atom's parts with the reference's override applied.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Resolved<'a> {
    pub scalar: Option<Scalar>,
    pub list: Option<(&'a ListDef, bool)>,
    pub map: Option<(&'a MapDef, bool)>,
}

impl MapDef {
    /// The type of field `key`: declared, or the map's element type.
    pub(crate) fn child_type(&self, key: &str) -> Option<TypeRef> {
        self.fields.get(key).map(|f| f.ty).or(self.elem)
    }

    /// The element naming field `key`, sharing the schema's copy of the name.
    pub(crate) fn element(&self, key: &str) -> crate::path::PathElement {
        let name = match self.fields.get_key_value(key) {
            Some((name, _)) => Arc::clone(name),
            None => Arc::from(key),
        };
        crate::path::PathElement::Field(name)
    }
}

impl Resolved<'_> {
    /// Same parts (upstream compares atoms to decide whether both sides of a
    /// merge can be walked as one).
    pub(crate) fn same_as(&self, other: &Resolved<'_>) -> bool {
        self.scalar == other.scalar
            && self.list.map(|(l, a)| (l as *const ListDef, a))
                == other.list.map(|(l, a)| (l as *const ListDef, a))
            && self.map.map(|(m, a)| (m as *const MapDef, a))
                == other.map.map(|(m, a)| (m as *const MapDef, a))
    }

    /// Narrows the type to the shape of `value`, as upstream's `deduceAtom`.
    pub(crate) fn deduce(self, value: Option<&Value>) -> Self {
        match value {
            Some(Value::Bool(_) | Value::Number(_) | Value::String(_)) if self.scalar.is_some() => {
                Resolved {
                    scalar: self.scalar,
                    ..Resolved::default()
                }
            }
            Some(Value::Array(_)) if self.list.is_some() => Resolved {
                list: self.list,
                ..Resolved::default()
            },
            Some(Value::Object(_)) if self.map.is_some() => Resolved {
                map: self.map,
                ..Resolved::default()
            },
            _ => self,
        }
    }
}

/// Compiled named types.
#[derive(Debug, Clone)]
pub struct TypeSet {
    atoms: Vec<Atom>,
    names: HashMap<String, TypeId>,
    zero_objects: HashMap<String, Arc<Value>>,
}

impl TypeSet {
    /// Compiles OpenAPI v3 definitions (name → schema, refs as
    /// `#/components/schemas/<name>`, possibly wrapped in `allOf`).
    ///
    /// Built-in definitions also get the zero objects and `+default` key values
    /// of the upstream Go types, which their OpenAPI form lacks.
    pub fn from_definitions<'a>(
        definitions: impl IntoIterator<Item = (&'a str, &'a Value)>,
    ) -> TypeSet {
        compile::compile_definitions(definitions)
    }

    pub fn contains(&self, name: &str) -> bool {
        self.names.contains_key(name)
    }

    pub(crate) fn resolve(&self, tr: TypeRef) -> Resolved<'_> {
        let Some(atom) = self.atoms.get(tr.id) else {
            return Resolved::default();
        };
        let mut out = Resolved {
            scalar: atom.scalar,
            list: atom.list.as_ref().map(|l| (l, l.atomic)),
            map: atom.map.as_ref().map(|m| (m, m.atomic)),
        };
        if let Some(atomic) = tr.atomic_override {
            if let Some((m, _)) = out.map {
                out.map = Some((m, atomic));
            } else if let Some((l, _)) = out.list {
                out.list = Some((l, atomic));
            }
        }
        out
    }
}

/// The type of one kind of object: a root in a [`TypeSet`].
#[derive(Debug, Clone)]
pub struct Schema {
    pub(crate) types: Arc<TypeSet>,
    pub(crate) root: TypeRef,
    /// What upstream compares a created object against: the Go type's zero
    /// value (value structs present, `omitempty`-less fields null or zero).
    pub(crate) zero: Arc<Value>,
}

impl Schema {
    /// The definition `name` (e.g. `io.k8s.api.apps.v1.Deployment`) of `types`.
    pub fn named(types: &Arc<TypeSet>, name: &str) -> Option<Schema> {
        let id = *types.names.get(name)?;
        let zero = types
            .zero_objects
            .get(name)
            .cloned()
            .unwrap_or_else(|| Arc::new(Value::Object(Map::new())));
        Some(Schema {
            types: Arc::clone(types),
            root: TypeRef::to(id),
            zero,
        })
    }

    /// A custom resource's `openAPIV3Schema`: like the API server, adds
    /// `apiVersion`, `kind` and `metadata` (ObjectMeta) at the root and on
    /// every `x-kubernetes-embedded-resource`. `Value::Null` (no schema) makes
    /// everything "deduced".
    pub fn custom_resource(openapi_v3_schema: &Value) -> Schema {
        compile::compile_custom_resource(openapi_v3_schema)
    }

    /// An inline schema taken as is; its refs point into `types`.
    pub fn inline(types: &Arc<TypeSet>, schema: &Value) -> Schema {
        compile::compile_inline(types, schema)
    }

    /// A schema that knows no field: maps are granular, lists atomic.
    pub fn deduced() -> Schema {
        Schema::custom_resource(&Value::Null)
    }

    pub(crate) fn zero_object(&self) -> &Value {
        &self.zero
    }
}

#[cfg(test)]
mod tests;
