//! Test helpers: run a typed strategy through the JSON adapter the API server uses, and render
//! its errors as upstream prints them.

use capstan_apimachinery::ErrorList;
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::{Value, json};

use crate::strategy::{Strategy, Typed, TypedStrategy};

/// Every error as `<field>: <body>`.
pub fn messages(errs: &ErrorList) -> Vec<String> {
    errs.iter().map(|e| e.to_string()).collect()
}

/// Creates `obj` (after the API server's own uid/name handling), returning the stored object or
/// the error messages.
pub fn create<T, S>(rules: S, mut obj: Value) -> Result<Value, Vec<String>>
where
    T: DeserializeOwned + Serialize + Send + Sync + 'static,
    S: TypedStrategy<T>,
{
    if obj.pointer("/metadata/uid").is_none() {
        obj["metadata"]["uid"] = json!("0f3d6a5e-1111-2222-3333-444455556666");
    }
    Typed::<T, S>::new(rules)
        .create(&mut obj)
        .map(|_| obj)
        .map_err(|e| messages(&e))
}

/// Updates `old` to `new` through the main resource.
pub fn update<T, S>(rules: S, mut new: Value, old: &Value) -> Result<Value, Vec<String>>
where
    T: DeserializeOwned + Serialize + Send + Sync + 'static,
    S: TypedStrategy<T>,
{
    Typed::<T, S>::new(rules)
        .update(&mut new, old)
        .map(|_| new)
        .map_err(|e| messages(&e))
}

/// Updates `old` to `new` through the status subresource.
pub fn update_status<T, S>(rules: S, mut new: Value, old: &Value) -> Result<Value, Vec<String>>
where
    T: DeserializeOwned + Serialize + Send + Sync + 'static,
    S: TypedStrategy<T>,
{
    Typed::<T, S>::new(rules)
        .update_status(&mut new, old)
        .map(|_| new)
        .map_err(|e| messages(&e))
}

/// The errors of a create that must fail.
pub fn create_errors<T, S>(rules: S, obj: Value) -> Vec<String>
where
    T: DeserializeOwned + Serialize + Send + Sync + 'static,
    S: TypedStrategy<T>,
{
    match create::<T, S>(rules, obj) {
        Ok(v) => panic!("expected errors, got {v}"),
        Err(e) => e,
    }
}

/// A minimal valid pod template with the given labels.
pub fn pod_template(labels: Value) -> Value {
    json!({
        "metadata": {"labels": labels},
        "spec": {"containers": [{"name": "c", "image": "nginx"}]}
    })
}
