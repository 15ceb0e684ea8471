//! rbac.authorization.k8s.io/v1 roles and bindings (upstream pkg/apis/rbac/validation).

use capstan_apimachinery::validation::{
    LabelSelectorValidationOptions, is_dns1123_subdomain, is_valid_path_segment_name,
    validate_label_selector,
};
use capstan_apimachinery::{BadValue, ErrorList, FieldError, Path};
use k8s_openapi::api::rbac::v1 as rbac;

use super::apps::shared::{as_selector, go_quote, go_string_slice, label_selector_value};
use super::{Def, def};
use crate::resource::{NameRule, ResourceInfo};
use crate::strategy::TypedStrategy;

const GROUP: &str = "rbac.authorization.k8s.io";

pub(super) fn resources() -> Vec<ResourceInfo> {
    [
        def::<rbac::ClusterRoleBinding, _>(BindingStrategy).names(NameRule::PathSegment),
        def::<rbac::ClusterRole, _>(RoleStrategy).names(NameRule::PathSegment),
        def::<rbac::RoleBinding, _>(BindingStrategy).names(NameRule::PathSegment),
        def::<rbac::Role, _>(RoleStrategy).names(NameRule::PathSegment),
    ]
    .into_iter()
    .map(Def::build)
    .collect()
}

pub struct RoleStrategy;

impl TypedStrategy<rbac::Role> for RoleStrategy {
    fn validate(&self, role: &rbac::Role) -> ErrorList {
        validate_rules(role.rules.as_deref().unwrap_or(&[]), true)
    }
}

impl TypedStrategy<rbac::ClusterRole> for RoleStrategy {
    fn validate(&self, role: &rbac::ClusterRole) -> ErrorList {
        let mut errs = validate_rules(role.rules.as_deref().unwrap_or(&[]), false);
        if let Some(rule) = &role.aggregation_rule {
            let path = Path::new("aggregationRule").child("clusterRoleSelectors");
            let selectors = rule.cluster_role_selectors.as_deref().unwrap_or(&[]);
            if selectors.is_empty() {
                errs.push(FieldError::required(
                    &path,
                    "at least one clusterRoleSelector required if aggregationRule is non-nil",
                ));
            }
            for (i, s) in selectors.iter().enumerate() {
                let p = path.index(i);
                errs.extend(validate_label_selector(
                    Some(s),
                    LabelSelectorValidationOptions::default(),
                    &p,
                ));
                if as_selector(s).is_none() {
                    errs.push(FieldError::invalid(
                        &p,
                        label_selector_value(Some(s)),
                        "invalid label selector.",
                    ));
                }
            }
        }
        errs
    }
}

/// Upstream `ValidatePolicyRule`: verbs, and either resources (with API groups) or
/// non-resource URLs (cluster roles only).
fn validate_rules(rules: &[rbac::PolicyRule], namespaced: bool) -> ErrorList {
    let mut errs = Vec::new();
    for (i, rule) in rules.iter().enumerate() {
        let path = Path::new("rules").index(i);
        if rule.verbs.is_empty() {
            errs.push(FieldError::required(
                &path.child("verbs"),
                "verbs must contain at least one value",
            ));
        }
        let urls = rule.non_resource_urls.as_deref().unwrap_or(&[]);
        let len = |v: &Option<Vec<String>>| v.as_ref().map_or(0, Vec::len);
        if !urls.is_empty() {
            let p = path.child("nonResourceURLs");
            let value = || BadValue::Raw(go_string_slice(Some(urls)));
            if namespaced {
                errs.push(FieldError::invalid(
                    &p,
                    value(),
                    "namespaced rules cannot apply to non-resource URLs",
                ));
            }
            if len(&rule.api_groups) > 0
                || len(&rule.resources) > 0
                || len(&rule.resource_names) > 0
            {
                errs.push(FieldError::invalid(
                    &p,
                    value(),
                    "rules cannot apply to both regular resources and non-resource URLs",
                ));
            }
            continue;
        }
        if len(&rule.api_groups) == 0 {
            errs.push(FieldError::required(
                &path.child("apiGroups"),
                "resource rules must supply at least one api group",
            ));
        }
        if len(&rule.resources) == 0 {
            errs.push(FieldError::required(
                &path.child("resources"),
                "resource rules must supply at least one resource",
            ));
        }
    }
    errs
}

/// RoleBindings and ClusterRoleBindings share their rules.
trait Binding {
    const NAMESPACED: bool;
    fn parts(&self) -> (&rbac::RoleRef, &Option<Vec<rbac::Subject>>);
    fn parts_mut(&mut self) -> (&mut rbac::RoleRef, &mut Option<Vec<rbac::Subject>>);
}

macro_rules! binding {
    ($t:ty, $namespaced:expr) => {
        impl Binding for $t {
            const NAMESPACED: bool = $namespaced;
            fn parts(&self) -> (&rbac::RoleRef, &Option<Vec<rbac::Subject>>) {
                (&self.role_ref, &self.subjects)
            }
            fn parts_mut(&mut self) -> (&mut rbac::RoleRef, &mut Option<Vec<rbac::Subject>>) {
                (&mut self.role_ref, &mut self.subjects)
            }
        }
    };
}

binding!(rbac::RoleBinding, true);
binding!(rbac::ClusterRoleBinding, false);

pub struct BindingStrategy;

impl<B: Binding + Send + Sync + 'static> TypedStrategy<B> for BindingStrategy {
    fn default(&self, b: &mut B) {
        let (role_ref, subjects) = b.parts_mut();
        if role_ref.api_group.is_empty() {
            role_ref.api_group = GROUP.into();
        }
        for s in subjects.iter_mut().flatten() {
            if s.api_group.as_deref().unwrap_or("").is_empty()
                && (s.kind == "User" || s.kind == "Group")
            {
                s.api_group = Some(GROUP.into());
            }
        }
    }

    fn validate(&self, b: &B) -> ErrorList {
        let (role_ref, subjects) = b.parts();
        validate_binding(role_ref, subjects.as_deref().unwrap_or(&[]), B::NAMESPACED)
    }

    fn validate_update(&self, b: &B, old: &B) -> ErrorList {
        let mut errs = self.validate(b);
        let r = b.parts().0;
        if r != old.parts().0 {
            errs.push(FieldError::invalid(
                &Path::new("roleRef"),
                BadValue::Raw(format!(
                    "rbac.RoleRef{{APIGroup:{}, Kind:{}, Name:{}}}",
                    go_quote(&r.api_group),
                    go_quote(&r.kind),
                    go_quote(&r.name)
                )),
                "cannot change roleRef",
            ));
        }
        errs
    }
}

/// Upstream `ValidateRoleBinding` / `ValidateClusterRoleBinding`.
fn validate_binding(r: &rbac::RoleRef, subjects: &[rbac::Subject], namespaced: bool) -> ErrorList {
    let mut errs = Vec::new();
    let ref_path = Path::new("roleRef");
    if r.api_group != GROUP {
        errs.push(FieldError::not_supported(
            &ref_path.child("apiGroup"),
            r.api_group.as_str(),
            &[GROUP],
        ));
    }
    let kinds: &[&str] = if namespaced {
        &["Role", "ClusterRole"]
    } else {
        &["ClusterRole"]
    };
    if !kinds.contains(&r.kind.as_str()) {
        errs.push(FieldError::not_supported(
            &ref_path.child("kind"),
            r.kind.as_str(),
            kinds,
        ));
    }
    let name_path = ref_path.child("name");
    if r.name.is_empty() {
        errs.push(FieldError::required(&name_path, ""));
    } else {
        for msg in is_valid_path_segment_name(&r.name) {
            errs.push(FieldError::invalid(&name_path, r.name.as_str(), &msg));
        }
    }
    for (i, s) in subjects.iter().enumerate() {
        errs.extend(validate_subject(
            s,
            namespaced,
            &Path::new("subjects").index(i),
        ));
    }
    errs
}

/// Upstream `ValidateRoleBindingSubject`.
fn validate_subject(s: &rbac::Subject, namespaced: bool, path: &Path) -> ErrorList {
    let mut errs = Vec::new();
    let name_path = path.child("name");
    if s.name.is_empty() {
        errs.push(FieldError::required(&name_path, ""));
    }
    let group = s.api_group.as_deref().unwrap_or("");
    match s.kind.as_str() {
        "ServiceAccount" => {
            if !s.name.is_empty() {
                for msg in is_dns1123_subdomain(&s.name) {
                    errs.push(FieldError::invalid(&name_path, s.name.as_str(), &msg));
                }
            }
            if !group.is_empty() {
                errs.push(FieldError::not_supported(
                    &path.child("apiGroup"),
                    group,
                    &[""],
                ));
            }
            if !namespaced && s.namespace.as_deref().unwrap_or("").is_empty() {
                errs.push(FieldError::required(&path.child("namespace"), ""));
            }
        }
        "User" | "Group" => {
            if group != GROUP {
                errs.push(FieldError::not_supported(
                    &path.child("apiGroup"),
                    group,
                    &[GROUP],
                ));
            }
        }
        other => errs.push(FieldError::not_supported(
            &path.child("kind"),
            other,
            &["ServiceAccount", "User", "Group"],
        )),
    }
    errs
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::builtin::apps::testing::{create, create_errors, update};

    #[test]
    fn role_rules() {
        let role = json!({"metadata": {"name": "r", "namespace": "d"}, "rules": [
            {"verbs": [], "apiGroups": [""], "resources": ["pods"]},
            {"verbs": ["get"], "nonResourceURLs": ["/healthz"]},
            {"verbs": ["get"]}
        ]});
        assert_eq!(
            create_errors::<rbac::Role, _>(RoleStrategy, role),
            vec![
                "rules[0].verbs: Required value: verbs must contain at least one value",
                r#"rules[1].nonResourceURLs: Invalid value: []string{"/healthz"}: namespaced rules cannot apply to non-resource URLs"#,
                "rules[2].apiGroups: Required value: resource rules must supply at least one api group",
                "rules[2].resources: Required value: resource rules must supply at least one resource",
            ]
        );
        let cluster = json!({"metadata": {"name": "c"}, "rules": [{"verbs": ["get"], "nonResourceURLs": ["/healthz"]}],
            "aggregationRule": {"clusterRoleSelectors": []}});
        assert_eq!(
            create_errors::<rbac::ClusterRole, _>(RoleStrategy, cluster),
            vec![
                "aggregationRule.clusterRoleSelectors: Required value: at least one clusterRoleSelector required if aggregationRule is non-nil"
            ]
        );
    }

    #[test]
    fn bindings() {
        let binding = json!({"metadata": {"name": "b", "namespace": "d"},
            "roleRef": {"kind": "Role", "name": "r"},
            "subjects": [{"kind": "User", "name": "alice"}, {"kind": "ServiceAccount", "name": "default", "namespace": "d"}]});
        let stored = create::<rbac::RoleBinding, _>(BindingStrategy, binding).unwrap();
        assert_eq!(stored["roleRef"]["apiGroup"], GROUP);
        assert_eq!(stored["subjects"][0]["apiGroup"], GROUP);
        assert!(stored["subjects"][1].get("apiGroup").is_none());
        let mut changed = stored.clone();
        changed["roleRef"]["name"] = json!("other");
        assert_eq!(
            update::<rbac::RoleBinding, _>(BindingStrategy, changed, &stored).unwrap_err(),
            vec![
                r#"roleRef: Invalid value: rbac.RoleRef{APIGroup:"rbac.authorization.k8s.io", Kind:"Role", Name:"other"}: cannot change roleRef"#
            ]
        );
        let cluster = json!({"metadata": {"name": "cb"},
            "roleRef": {"apiGroup": "example.com", "kind": "Role", "name": ""},
            "subjects": [{"kind": "ServiceAccount", "name": "sa"}, {"kind": "Robot", "name": "r2"}]});
        assert_eq!(
            create_errors::<rbac::ClusterRoleBinding, _>(BindingStrategy, cluster),
            vec![
                r#"roleRef.apiGroup: Unsupported value: "example.com": supported values: "rbac.authorization.k8s.io""#,
                r#"roleRef.kind: Unsupported value: "Role": supported values: "ClusterRole""#,
                "roleRef.name: Required value",
                "subjects[0].namespace: Required value",
                r#"subjects[1].kind: Unsupported value: "Robot": supported values: "ServiceAccount", "User", "Group""#,
            ]
        );
    }
}
