//! Helpers for the strategy tests: objects from JSON, and the create/update pipelines the
//! API server runs (prepare, default, validate), with errors rendered as upstream prints them.

use capstan_apimachinery::FieldError;
use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::strategy::TypedStrategy;

pub fn from_json<T: DeserializeOwned>(v: Value) -> T {
    serde_json::from_value(v).expect("test object")
}

pub fn strings(errs: &[FieldError]) -> Vec<String> {
    errs.iter().map(|e| e.to_string()).collect()
}

/// The create pipeline: prepare_for_create, default, validate.
pub fn create<T, S: TypedStrategy<T>>(strategy: &S, obj: &mut T) -> Vec<String> {
    strategy.prepare_for_create(obj);
    strategy.default(obj);
    strings(&strategy.validate(obj))
}

/// The update pipeline: default, prepare_for_update, validate_update.
pub fn update<T, S: TypedStrategy<T>>(strategy: &S, obj: &mut T, old: &T) -> Vec<String> {
    strategy.default(obj);
    strategy.prepare_for_update(obj, old);
    strings(&strategy.validate_update(obj, old))
}

/// The status pipeline: default, prepare_for_status_update, validate_status_update.
pub fn update_status<T, S: TypedStrategy<T>>(strategy: &S, obj: &mut T, old: &T) -> Vec<String> {
    strategy.default(obj);
    strategy.prepare_for_status_update(obj, old);
    strings(&strategy.validate_status_update(obj, old))
}
