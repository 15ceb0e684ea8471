//! Per-resource strategies, as upstream organises them (pkg/registry/<group>/<resource>/strategy.go):
//! what a create may set, defaults, validation, what an update may change, and the status split.
//!
//! The API server handles objects as JSON values; built-in types implement [`TypedStrategy`] on
//! their k8s-openapi struct and are adapted by [`Typed`], which decodes once, runs the typed rules
//! and encodes the result (dropping unknown fields, as upstream's decoding does).

pub mod fields;
pub mod generic;

use std::marker::PhantomData;

use capstan_apimachinery::{ErrorList, FieldError, Path};
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;

pub use fields::SelectableField;

/// Warnings to return to the client (`Warning: 299` headers).
pub type Warnings = Vec<String>;

/// The type-specific rules for one resource, on JSON objects. Metadata rules common to every type
/// (names, uid, timestamps, generation, finalizers) are applied by the API server around these.
pub trait Strategy: Send + Sync + 'static {
    /// A create: clear what clients may not set (usually status), apply defaults, validate.
    fn create(&self, obj: &mut Value) -> Result<Warnings, ErrorList>;

    /// An update of the main resource: carry over what it may not change (usually status) from
    /// `old`, apply defaults, validate the transition.
    fn update(&self, obj: &mut Value, old: &Value) -> Result<Warnings, ErrorList>;

    /// An update through the status subresource: only status may change.
    fn update_status(&self, obj: &mut Value, old: &Value) -> Result<Warnings, ErrorList>;

    /// Fields usable in field selectors beyond metadata.name and metadata.namespace.
    fn selectable_fields(&self) -> &'static [SelectableField] {
        &[]
    }
}

/// Rules on the typed object. Every method has a harmless default.
pub trait TypedStrategy<T>: Send + Sync + 'static {
    /// Clears fields a create may not set (status, …).
    fn prepare_for_create(&self, _obj: &mut T) {}
    /// Upstream's SetDefaults_* for the type and everything it contains.
    fn default(&self, _obj: &mut T) {}
    fn validate(&self, _obj: &T) -> ErrorList {
        Vec::new()
    }
    fn warnings(&self, _obj: &T) -> Warnings {
        Vec::new()
    }
    /// Carries over from `old` what an update of the main resource may not change.
    fn prepare_for_update(&self, _obj: &mut T, _old: &T) {}
    fn validate_update(&self, obj: &T, _old: &T) -> ErrorList {
        self.validate(obj)
    }
    /// Keeps everything but status from `old`.
    fn prepare_for_status_update(&self, _obj: &mut T, _old: &T) {}
    fn validate_status_update(&self, _obj: &T, _old: &T) -> ErrorList {
        Vec::new()
    }
    fn selectable_fields(&self) -> &'static [SelectableField] {
        &[]
    }
}

/// Adapts a [`TypedStrategy`] to JSON objects.
pub struct Typed<T, S> {
    rules: S,
    _type: PhantomData<fn() -> T>,
}

impl<T, S> Typed<T, S> {
    pub fn new(rules: S) -> Self {
        Typed {
            rules,
            _type: PhantomData,
        }
    }
}

/// Decodes a JSON object into its typed form. Shapes the type cannot hold (a string where a list
/// belongs, …) become a field error, as upstream's decoder reports them.
pub fn decode<T: DeserializeOwned>(obj: &Value) -> Result<T, ErrorList> {
    // Deserializing from a reference walks the tree without cloning it first.
    T::deserialize(obj).map_err(|e| {
        vec![FieldError::invalid(
            &Path::nil(),
            "",
            &format!("unable to decode object: {e}"),
        )]
    })
}

pub fn encode<T: Serialize>(obj: &T) -> Value {
    serde_json::to_value(obj).unwrap_or(Value::Null)
}

/// Replaces `obj` with the typed object's JSON, keeping `apiVersion`/`kind` as sent.
fn store<T: Serialize>(obj: &mut Value, typed: &T) {
    let api_version = obj.get("apiVersion").cloned();
    let kind = obj.get("kind").cloned();
    *obj = encode(typed);
    if let Value::Object(m) = obj {
        if let Some(v) = api_version {
            m.insert("apiVersion".into(), v);
        }
        if let Some(k) = kind {
            m.insert("kind".into(), k);
        }
    }
}

fn result(errors: ErrorList, warnings: Warnings) -> Result<Warnings, ErrorList> {
    if errors.is_empty() {
        Ok(warnings)
    } else {
        Err(errors)
    }
}

impl<T, S> Strategy for Typed<T, S>
where
    T: DeserializeOwned + Serialize + Send + Sync + 'static,
    S: TypedStrategy<T>,
{
    fn create(&self, obj: &mut Value) -> Result<Warnings, ErrorList> {
        let mut typed: T = decode(obj)?;
        self.rules.prepare_for_create(&mut typed);
        self.rules.default(&mut typed);
        let errors = self.rules.validate(&typed);
        let warnings = self.rules.warnings(&typed);
        store(obj, &typed);
        result(errors, warnings)
    }

    fn update(&self, obj: &mut Value, old: &Value) -> Result<Warnings, ErrorList> {
        let mut typed: T = decode(obj)?;
        let old: T = decode(old)?;
        self.rules.default(&mut typed);
        self.rules.prepare_for_update(&mut typed, &old);
        let errors = self.rules.validate_update(&typed, &old);
        let warnings = self.rules.warnings(&typed);
        store(obj, &typed);
        result(errors, warnings)
    }

    fn update_status(&self, obj: &mut Value, old: &Value) -> Result<Warnings, ErrorList> {
        let mut typed: T = decode(obj)?;
        let old: T = decode(old)?;
        self.rules.default(&mut typed);
        self.rules.prepare_for_status_update(&mut typed, &old);
        let errors = self.rules.validate_status_update(&typed, &old);
        store(obj, &typed);
        result(errors, Vec::new())
    }

    fn selectable_fields(&self) -> &'static [SelectableField] {
        self.rules.selectable_fields()
    }
}

/// Rules for types with nothing type-specific (validation of metadata is done for every type).
pub struct NoRules;

impl<T> TypedStrategy<T> for NoRules {}
