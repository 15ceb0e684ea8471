//! Shared fixtures: the built-in types compiled once, and helpers.
#![allow(dead_code)]

use std::sync::{Arc, OnceLock};

use capstan_ssa::{
    Context, FieldSet, ManagedFields, Manager, Operation, Schema, SsaError, TypeSet,
};
use serde_json::Value;

pub const NOW: &str = "2024-05-06T07:08:09Z";
pub const LATER: &str = "2024-05-06T08:00:00Z";

pub fn builtin() -> &'static Arc<TypeSet> {
    static TYPES: OnceLock<Arc<TypeSet>> = OnceLock::new();
    TYPES.get_or_init(|| {
        let definitions = capstan_openapi::builtin_definitions();
        Arc::new(TypeSet::from_definitions(definitions.iter()))
    })
}

pub fn schema(name: &str) -> Schema {
    Schema::named(builtin(), name).expect(name)
}

pub fn deployment() -> Schema {
    schema("io.k8s.api.apps.v1.Deployment")
}

pub fn ctx<'a>(
    schema: &'a Schema,
    kind: &'a str,
    now: &'a str,
    ignored: Option<&'a FieldSet>,
) -> Context<'a> {
    Context {
        schema,
        now,
        ignored,
        kind,
    }
}

pub fn updater(name: &str, api_version: &str) -> Manager {
    Manager::new(name, Operation::Update, api_version, "")
}

pub fn applier(name: &str, api_version: &str) -> Manager {
    Manager::new(name, Operation::Apply, api_version, "")
}

/// Fields of `manager`'s entry with `operation`, as upstream prints paths.
pub fn owned(managed: &ManagedFields, manager: &str, operation: Operation) -> Vec<String> {
    managed
        .find(manager, operation)
        .map(|e| e.fields.paths())
        .unwrap_or_default()
}

pub fn fields_v1(managed: &ManagedFields, manager: &str, operation: Operation) -> Value {
    let entry = managed.find(manager, operation).expect(manager);
    capstan_ssa::fields_v1_to_value(&entry.fields)
}

pub fn conflicts(error: &SsaError) -> Vec<(String, String)> {
    match error {
        SsaError::Conflicts(c) => c
            .iter()
            .map(|c| (c.manager.clone(), c.path.clone()))
            .collect(),
        other => panic!("expected conflicts, got {other:?}"),
    }
}
