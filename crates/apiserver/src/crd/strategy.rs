//! The strategy of a custom resource version: prune unknown fields, apply schema defaults, validate
//! against the schema and its CEL rules (upstream apiextensions-apiserver's customresource strategy).

use capstan_api::strategy::{SelectableField, Strategy, Warnings};
use capstan_apimachinery::{ErrorList, FieldError, Path};
use capstan_crd::{CelValidator, Schema};
use serde_json::Value;

pub struct CustomStrategy {
    /// The version's schema, parsed once; None when the CRD gave none (anything goes).
    schema: Option<Schema>,
    rules: Option<CelValidator>,
    has_status: bool,
    selectable: &'static [SelectableField],
}

impl CustomStrategy {
    pub fn new(
        schema: Option<&Value>,
        has_status: bool,
        selectable: Vec<SelectableField>,
    ) -> CustomStrategy {
        let schema = schema.and_then(|s| capstan_crd::parse_schema(s).ok());
        // A CRD whose rules do not compile was refused when it was written; here they compile.
        let rules = schema
            .as_ref()
            .and_then(|s| capstan_crd::compile_rules(s, &Path::new("openAPIV3Schema")).ok())
            .filter(|r| !r.is_empty());
        CustomStrategy {
            schema,
            rules,
            has_status,
            // Lives as long as the CRD version; the list is small and its strings interned.
            selectable: Box::leak(selectable.into_boxed_slice()),
        }
    }

    fn check(&self, obj: &mut Value, old: Option<&Value>) -> Result<Warnings, ErrorList> {
        let Some(schema) = &self.schema else {
            return Ok(Vec::new());
        };
        capstan_crd::prune_parsed(obj, schema);
        capstan_crd::prune_non_nullable_nulls(obj, schema);
        capstan_crd::default_parsed(obj, schema);
        let mut errors = match old {
            Some(old) => capstan_crd::validate_update_parsed(obj, old, schema),
            None => capstan_crd::validate_parsed(obj, schema),
        };
        if let Some(rules) = &self.rules {
            match capstan_crd::blocking_error(&errors) {
                Some(blocked) => errors.push(blocked),
                None => errors.extend(rules.validate(obj, old)),
            }
        }
        if errors.is_empty() {
            Ok(Vec::new())
        } else {
            Err(errors)
        }
    }
}

impl Strategy for CustomStrategy {
    fn create(&self, obj: &mut Value) -> Result<Warnings, ErrorList> {
        if self.has_status
            && let Some(m) = obj.as_object_mut()
        {
            // With a status subresource, status is the controller's to write.
            m.remove("status");
        }
        self.check(obj, None)
    }

    fn update(&self, obj: &mut Value, old: &Value) -> Result<Warnings, ErrorList> {
        self.check(obj, Some(old))
    }

    fn update_status(&self, obj: &mut Value, old: &Value) -> Result<Warnings, ErrorList> {
        if obj.get("status").is_some_and(|s| !s.is_object()) {
            return Err(vec![FieldError::invalid(
                &Path::new("status"),
                "",
                "must be an object",
            )]);
        }
        self.check(obj, Some(old))
    }

    fn selectable_fields(&self) -> &'static [SelectableField] {
        self.selectable
    }
}
