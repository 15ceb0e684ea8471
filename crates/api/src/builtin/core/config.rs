//! ConfigMaps and Secrets (upstream ValidateConfigMap[Update], SetDefaults_Secret, the v1
//! `stringData` conversion, ValidateSecret[Update]).

use std::collections::BTreeMap;

use capstan_apimachinery::validation::is_config_map_key;
use capstan_apimachinery::{ErrorList, FieldError, Path};
use k8s_openapi::ByteString;
use k8s_openapi::api::core::v1::{ConfigMap, Secret};

use super::common::{immutable, invalid_each, s};
use crate::strategy::{SelectableField, TypedStrategy};

/// Upstream MaxSecretSize, also the limit for config maps.
pub const MAX_SIZE: usize = 1024 * 1024;
const IMMUTABLE_MSG: &str = "field is immutable when `immutable` is set";

pub struct ConfigMapStrategy;
pub struct SecretStrategy;

pub const SECRET_FIELDS: &[SelectableField] = &[SelectableField::string("type", "/type")];

fn keys<'a>(keys: impl Iterator<Item = &'a String>, path: &Path) -> ErrorList {
    keys.flat_map(|k| invalid_each(&path.key(k), k, is_config_map_key(k)))
        .collect()
}

/// Upstream ValidateConfigMap.
pub fn validate_config_map(cm: &ConfigMap) -> ErrorList {
    let mut errs = Vec::new();
    let data_path = Path::new("data");
    let mut total = 0;
    for (k, v) in cm.data.iter().flatten() {
        errs.extend(invalid_each(&data_path.key(k), k, is_config_map_key(k)));
        if cm.binary_data.as_ref().is_some_and(|b| b.contains_key(k)) {
            errs.push(FieldError::invalid(
                &data_path.key(k),
                k.as_str(),
                "duplicate of key present in binaryData",
            ));
        }
        total += v.len();
    }
    let binary = cm.binary_data.clone().unwrap_or_default();
    errs.extend(keys(binary.keys(), &Path::new("binaryData")));
    total += binary.values().map(|v| v.0.len()).sum::<usize>();
    if total > MAX_SIZE {
        errs.push(FieldError::too_long(&Path::new(""), MAX_SIZE as i64));
    }
    errs
}

impl TypedStrategy<ConfigMap> for ConfigMapStrategy {
    fn validate(&self, cm: &ConfigMap) -> ErrorList {
        validate_config_map(cm)
    }

    fn validate_update(&self, cm: &ConfigMap, old: &ConfigMap) -> ErrorList {
        let mut errs = Vec::new();
        if old.immutable == Some(true) {
            if cm.immutable != Some(true) {
                errs.push(FieldError::forbidden(
                    &Path::new("immutable"),
                    IMMUTABLE_MSG,
                ));
            }
            if cm.data != old.data {
                errs.push(FieldError::forbidden(&Path::new("data"), IMMUTABLE_MSG));
            }
            if cm.binary_data != old.binary_data {
                errs.push(FieldError::forbidden(
                    &Path::new("binaryData"),
                    IMMUTABLE_MSG,
                ));
            }
        }
        errs.extend(validate_config_map(cm));
        errs
    }
}

const SA_NAME_ANNOTATION: &str = "kubernetes.io/service-account.name";

/// The Go `encoding/json` error for content that is not a JSON object.
fn json_object_error(bytes: &[u8]) -> Option<String> {
    match serde_json::from_slice::<serde_json::Value>(bytes) {
        Err(e) => Some(e.to_string()),
        Ok(serde_json::Value::Object(_) | serde_json::Value::Null) => None,
        Ok(other) => {
            let kind = match other {
                serde_json::Value::String(_) => "string",
                serde_json::Value::Number(_) => "number",
                serde_json::Value::Array(_) => "array",
                _ => "bool",
            };
            Some(format!(
                "json: cannot unmarshal {kind} into Go value of type map[string]interface {{}}"
            ))
        }
    }
}

/// Upstream ValidateSecret.
pub fn validate_secret(secret: &Secret) -> ErrorList {
    let mut errs = Vec::new();
    let data_path = Path::new("data");
    let empty = BTreeMap::new();
    let data = secret.data.as_ref().unwrap_or(&empty);
    errs.extend(keys(data.keys(), &data_path));
    if data.values().map(|v| v.0.len()).sum::<usize>() > MAX_SIZE {
        errs.push(FieldError::too_long(&data_path, MAX_SIZE as i64));
    }
    let json_key = |key: &str, errs: &mut ErrorList| match data.get(key) {
        None => errs.push(FieldError::required(&data_path.key(key), "")),
        Some(v) => {
            if let Some(e) = json_object_error(&v.0) {
                errs.push(FieldError::invalid(
                    &data_path.key(key),
                    "<secret contents redacted>",
                    &e,
                ));
            }
        }
    };
    match s(&secret.type_) {
        "kubernetes.io/service-account-token" => {
            let name = secret
                .metadata
                .annotations
                .as_ref()
                .and_then(|a| a.get(SA_NAME_ANNOTATION))
                .map(String::as_str)
                .unwrap_or("");
            if name.is_empty() {
                errs.push(FieldError::required(
                    &Path::new("metadata")
                        .child("annotations")
                        .key(SA_NAME_ANNOTATION),
                    "",
                ));
            }
        }
        "kubernetes.io/dockercfg" => json_key(".dockercfg", &mut errs),
        "kubernetes.io/dockerconfigjson" => json_key(".dockerconfigjson", &mut errs),
        "kubernetes.io/basic-auth"
            if !data.contains_key("username") && !data.contains_key("password") =>
        {
            errs.push(FieldError::required(&data_path.key("username"), ""));
            errs.push(FieldError::required(&data_path.key("password"), ""));
        }
        "kubernetes.io/ssh-auth" if data.get("ssh-privatekey").is_none_or(|v| v.0.is_empty()) => {
            errs.push(FieldError::required(&data_path.key("ssh-privatekey"), ""));
        }
        "kubernetes.io/tls" => {
            for key in ["tls.crt", "tls.key"] {
                if !data.contains_key(key) {
                    errs.push(FieldError::required(&data_path.key(key), ""));
                }
            }
        }
        _ => {}
    }
    errs
}

impl TypedStrategy<Secret> for SecretStrategy {
    /// Upstream SetDefaults_Secret, and the v1 conversion: `stringData` entries overwrite
    /// `data` and are never stored.
    fn default(&self, secret: &mut Secret) {
        if s(&secret.type_).is_empty() {
            secret.type_ = Some("Opaque".into());
        }
        if let Some(strings) = secret.string_data.take() {
            let data = secret.data.get_or_insert_with(BTreeMap::new);
            for (k, v) in strings {
                data.insert(k, ByteString(v.into_bytes()));
            }
        }
    }

    fn validate(&self, secret: &Secret) -> ErrorList {
        validate_secret(secret)
    }

    fn validate_update(&self, secret: &Secret, old: &Secret) -> ErrorList {
        let mut errs = immutable(
            &secret.type_,
            &old.type_,
            s(&secret.type_),
            &Path::new("type"),
        );
        if old.immutable == Some(true) {
            if secret.immutable != Some(true) {
                errs.push(FieldError::forbidden(
                    &Path::new("immutable"),
                    IMMUTABLE_MSG,
                ));
            }
            if secret.data != old.data {
                errs.push(FieldError::forbidden(&Path::new("data"), IMMUTABLE_MSG));
            }
        }
        errs.extend(validate_secret(secret));
        errs
    }

    fn selectable_fields(&self) -> &'static [SelectableField] {
        SECRET_FIELDS
    }
}

#[cfg(test)]
#[path = "config_tests.rs"]
mod tests;
