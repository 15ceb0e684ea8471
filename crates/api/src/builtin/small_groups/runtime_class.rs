//! node.k8s.io/v1 RuntimeClasses.

use capstan_apimachinery::validation::{is_dns1123_label, validate_labels};
use capstan_apimachinery::{ErrorList, FieldError, Path, Quantity};
use k8s_openapi::api::node::v1::RuntimeClass;

use crate::builtin::apps::shared::immutable;
use crate::strategy::TypedStrategy;

pub struct RuntimeClassStrategy;

impl TypedStrategy<RuntimeClass> for RuntimeClassStrategy {
    fn validate(&self, rc: &RuntimeClass) -> ErrorList {
        let handler_path = Path::new("handler");
        let mut errs: ErrorList = is_dns1123_label(&rc.handler)
            .iter()
            .map(|msg| FieldError::invalid(&handler_path, rc.handler.as_str(), msg))
            .collect();
        // The overhead is checked as the limits of a container (hence the path).
        if let Some(fixed) = rc.overhead.as_ref().and_then(|o| o.pod_fixed.as_ref()) {
            let limits = Path::new("overhead").child("limits");
            for (name, q) in fixed {
                if Quantity::parse(&q.0).is_ok_and(|v| v.sign() < 0) {
                    errs.push(FieldError::invalid(
                        &limits.key(name),
                        q.0.as_str(),
                        "must be greater than or equal to 0",
                    ));
                }
            }
        }
        if let Some(selector) = rc
            .scheduling
            .as_ref()
            .and_then(|s| s.node_selector.as_ref())
        {
            errs.extend(validate_labels(
                selector,
                &Path::new("scheduling").child("nodeSelector"),
            ));
        }
        errs
    }

    /// Only the handler is fixed; upstream does not re-validate the rest on update.
    fn validate_update(&self, rc: &RuntimeClass, old: &RuntimeClass) -> ErrorList {
        immutable(&rc.handler, &old.handler, &Path::new("handler"), || {
            rc.handler.clone().into()
        })
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::builtin::apps::testing::{create, create_errors, update};

    #[test]
    fn runtime_class_rules() {
        let rc = create::<RuntimeClass, _>(
            RuntimeClassStrategy,
            json!({"metadata": {"name": "gvisor"}, "handler": "runsc", "overhead": {"podFixed": {"cpu": "250m"}}}),
        )
        .unwrap();
        let bad = json!({"metadata": {"name": "x"}, "handler": "Run_SC", "overhead": {"podFixed": {"memory": "-1Mi"}}});
        let errs = create_errors::<RuntimeClass, _>(RuntimeClassStrategy, bad);
        assert!(
            errs[0].starts_with(r#"handler: Invalid value: "Run_SC": a lowercase RFC 1123 label"#)
        );
        assert_eq!(
            errs[1],
            r#"overhead.limits[memory]: Invalid value: "-1Mi": must be greater than or equal to 0"#
        );
        let mut changed = rc.clone();
        changed["handler"] = json!("kata");
        assert_eq!(
            update::<RuntimeClass, _>(RuntimeClassStrategy, changed, &rc).unwrap_err(),
            vec![r#"handler: Invalid value: "kata": field is immutable"#]
        );
    }
}
