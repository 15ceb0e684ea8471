//! StorageClasses: defaults (reclaim Delete, binding Immediate), validation, and the fields that
//! never change.

use std::collections::BTreeSet;

use capstan_apimachinery::validation::{is_qualified_name, validate_label_name};
use capstan_apimachinery::{ErrorList, FieldError, Path};
use k8s_openapi::api::core::v1::TopologySelectorTerm;
use k8s_openapi::api::storage::v1::StorageClass;

use crate::builtin::apps::shared::immutable;
use crate::strategy::TypedStrategy;

const MAX_PARAMETERS: usize = 512;
const MAX_PARAMETERS_SIZE: usize = 256 * 1024;

pub struct StorageClassStrategy;

impl TypedStrategy<StorageClass> for StorageClassStrategy {
    fn default(&self, sc: &mut StorageClass) {
        sc.reclaim_policy.get_or_insert_with(|| "Delete".into());
        sc.volume_binding_mode
            .get_or_insert_with(|| "Immediate".into());
    }

    fn validate(&self, sc: &StorageClass) -> ErrorList {
        let mut errs = Vec::new();
        let provisioner_path = Path::new("provisioner");
        if sc.provisioner.is_empty() {
            errs.push(FieldError::required(&provisioner_path, ""));
        } else {
            for msg in is_qualified_name(&sc.provisioner.to_lowercase()) {
                errs.push(FieldError::invalid(
                    &provisioner_path,
                    sc.provisioner.to_lowercase(),
                    &msg,
                ));
            }
        }
        errs.extend(validate_parameters(sc));
        let reclaim = sc.reclaim_policy.as_deref().unwrap_or("");
        if !reclaim.is_empty() && reclaim != "Delete" && reclaim != "Retain" {
            errs.push(FieldError::not_supported(
                &Path::new("reclaimPolicy"),
                reclaim,
                &["Delete", "Retain"],
            ));
        }
        let mode_path = Path::new("volumeBindingMode");
        match sc.volume_binding_mode.as_deref() {
            None => errs.push(FieldError::required(&mode_path, "")),
            Some("Immediate" | "WaitForFirstConsumer") => {}
            Some(m) => errs.push(FieldError::not_supported(
                &mode_path,
                m,
                &["Immediate", "WaitForFirstConsumer"],
            )),
        }
        errs.extend(validate_topologies(
            sc.allowed_topologies.as_deref().unwrap_or(&[]),
            &Path::new("allowedTopologies"),
        ));
        errs
    }

    fn validate_update(&self, sc: &StorageClass, old: &StorageClass) -> ErrorList {
        let mut errs = self.validate(sc);
        if sc.parameters.clone().unwrap_or_default() != old.parameters.clone().unwrap_or_default() {
            errs.push(FieldError::forbidden(
                &Path::new("parameters"),
                "updates to parameters are forbidden.",
            ));
        }
        if sc.provisioner != old.provisioner {
            errs.push(FieldError::forbidden(
                &Path::new("provisioner"),
                "updates to provisioner are forbidden.",
            ));
        }
        if sc.reclaim_policy != old.reclaim_policy {
            errs.push(FieldError::forbidden(
                &Path::new("reclaimPolicy"),
                "updates to reclaimPolicy are forbidden.",
            ));
        }
        errs.extend(immutable(
            &sc.volume_binding_mode,
            &old.volume_binding_mode,
            &Path::new("volumeBindingMode"),
            || sc.volume_binding_mode.clone().unwrap_or_default().into(),
        ));
        errs
    }
}

fn validate_parameters(sc: &StorageClass) -> ErrorList {
    let path = Path::new("parameters");
    let params = sc.parameters.clone().unwrap_or_default();
    if params.len() > MAX_PARAMETERS {
        return vec![FieldError::too_long(&path, MAX_PARAMETERS as i64)];
    }
    let mut errs = Vec::new();
    let mut size = 0;
    for (k, v) in &params {
        if k.is_empty() {
            errs.push(FieldError::invalid(
                &path,
                k.as_str(),
                "field can not be empty.",
            ));
        }
        size += k.len() + v.len();
    }
    if size > MAX_PARAMETERS_SIZE {
        errs.push(FieldError::too_long(&path, MAX_PARAMETERS_SIZE as i64));
    }
    errs
}

/// Upstream `validateAllowedTopologies`: valid label keys with values, no repeated terms.
fn validate_topologies(terms: &[TopologySelectorTerm], path: &Path) -> ErrorList {
    let mut errs = Vec::new();
    let mut seen: Vec<Vec<(String, BTreeSet<String>)>> = Vec::new();
    for (i, term) in terms.iter().enumerate() {
        let exprs_path = path.index(i).child("matchLabelExpressions");
        let mut expressions: Vec<(String, BTreeSet<String>)> = Vec::new();
        for (j, req) in term.match_label_expressions.iter().flatten().enumerate() {
            let p = exprs_path.index(j);
            if req.values.is_empty() {
                errs.push(FieldError::required(&p.child("values"), ""));
            }
            let mut values = BTreeSet::new();
            for (k, v) in req.values.iter().enumerate() {
                if !values.insert(v.clone()) {
                    errs.push(FieldError::duplicate(
                        &p.child("values").index(k),
                        v.as_str(),
                    ));
                }
            }
            errs.extend(validate_label_name(&req.key, &p.child("key")));
            if expressions.iter().any(|(k, _)| *k == req.key) {
                errs.push(FieldError::duplicate(&p.child("key"), req.key.as_str()));
            }
            expressions.retain(|(k, _)| *k != req.key);
            expressions.push((req.key.clone(), values));
        }
        expressions.sort();
        if seen.contains(&expressions) {
            errs.push(FieldError::duplicate(&exprs_path, ""));
        }
        seen.push(expressions);
    }
    errs
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::builtin::apps::testing::{create, create_errors, update};

    #[test]
    fn defaults_and_rules() {
        let sc = create::<StorageClass, _>(
            StorageClassStrategy,
            json!({"metadata": {"name": "fast"}, "provisioner": "ebs.csi.aws.com", "parameters": {"type": "gp3"}}),
        )
        .unwrap();
        assert_eq!(sc["reclaimPolicy"], "Delete");
        assert_eq!(sc["volumeBindingMode"], "Immediate");
        let bad = json!({"metadata": {"name": "x"}, "reclaimPolicy": "Recycle", "volumeBindingMode": "Later",
            "allowedTopologies": [{"matchLabelExpressions": [{"key": "zone", "values": []}]}]});
        assert_eq!(
            create_errors::<StorageClass, _>(StorageClassStrategy, bad),
            vec![
                "provisioner: Required value",
                r#"reclaimPolicy: Unsupported value: "Recycle": supported values: "Delete", "Retain""#,
                r#"volumeBindingMode: Unsupported value: "Later": supported values: "Immediate", "WaitForFirstConsumer""#,
                "allowedTopologies[0].matchLabelExpressions[0].values: Required value",
            ]
        );
        let mut changed = sc.clone();
        changed["parameters"] = json!({"type": "io2"});
        changed["provisioner"] = json!("other.example.com");
        changed["volumeBindingMode"] = json!("WaitForFirstConsumer");
        assert_eq!(
            update::<StorageClass, _>(StorageClassStrategy, changed, &sc).unwrap_err(),
            vec![
                "parameters: Forbidden: updates to parameters are forbidden.",
                "provisioner: Forbidden: updates to provisioner are forbidden.",
                r#"volumeBindingMode: Invalid value: "WaitForFirstConsumer": field is immutable"#,
            ]
        );
        let mut labelled = sc.clone();
        labelled["allowVolumeExpansion"] = json!(true);
        assert!(update::<StorageClass, _>(StorageClassStrategy, labelled, &sc).is_ok());
    }
}
