//! How upstream names paths, operation ids and tags.

/// URL prefix of a group version: `/api/v1` for the core group, else `/apis/<group>/<version>`.
pub fn api_prefix(group: &str, version: &str) -> String {
    if group.is_empty() {
        format!("/api/{version}")
    } else {
        format!("/apis/{group}/{version}")
    }
}

/// Key of a group version in the `/openapi/v3` index: `api/v1` or `apis/<group>/<version>`.
pub fn v3_index_key(group: &str, version: &str) -> String {
    api_prefix(group, version)[1..].to_string()
}

fn capitalized(word: &str) -> String {
    let mut chars = word.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

/// The group as it appears in operation ids: `Core`, `Apps`, `RbacAuthorization`, `ExampleCom`.
fn group_words(group: &str) -> Vec<String> {
    if group.is_empty() {
        return vec!["Core".to_string()];
    }
    let trimmed = group.strip_suffix(".k8s.io").unwrap_or(group);
    trimmed
        .split(['.', '-'])
        .filter(|part| !part.is_empty())
        .map(capitalized)
        .collect()
}

/// `AppsV1`, `CoreV1`, `RbacAuthorizationV1`: the part of operation ids naming the group version.
pub(crate) fn operation_group(group: &str, version: &str) -> String {
    format!("{}{}", group_words(group).concat(), capitalized(version))
}

/// The tag operations of a group version carry: `core_v1`, `rbacAuthorization_v1`.
pub(crate) fn tag(group: &str, version: &str) -> String {
    let mut words = group_words(group).concat();
    if let Some(first) = words.get(..1) {
        words = first.to_lowercase() + &words[1..];
    }
    format!("{words}_{version}")
}

/// `Status`, `Ephemeralcontainers`: a subresource as it ends an operation id.
pub(crate) fn subresource_suffix(name: &str) -> String {
    capitalized(name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefixes_and_index_keys() {
        assert_eq!(api_prefix("", "v1"), "/api/v1");
        assert_eq!(api_prefix("apps", "v1"), "/apis/apps/v1");
        assert_eq!(v3_index_key("", "v1"), "api/v1");
        assert_eq!(
            v3_index_key("rbac.authorization.k8s.io", "v1"),
            "apis/rbac.authorization.k8s.io/v1"
        );
    }

    #[test]
    fn operation_groups_and_tags_follow_upstream() {
        assert_eq!(operation_group("", "v1"), "CoreV1");
        assert_eq!(operation_group("apps", "v1"), "AppsV1");
        assert_eq!(
            operation_group("rbac.authorization.k8s.io", "v1"),
            "RbacAuthorizationV1"
        );
        assert_eq!(
            operation_group("apiextensions.k8s.io", "v1"),
            "ApiextensionsV1"
        );
        assert_eq!(operation_group("autoscaling", "v2"), "AutoscalingV2");
        assert_eq!(
            operation_group("stable.example.com", "v1beta1"),
            "StableExampleComV1beta1"
        );
        assert_eq!(tag("", "v1"), "core_v1");
        assert_eq!(
            tag("rbac.authorization.k8s.io", "v1"),
            "rbacAuthorization_v1"
        );
        assert_eq!(
            tag("flowcontrol.apiserver.k8s.io", "v1"),
            "flowcontrolApiserver_v1"
        );
        assert_eq!(
            subresource_suffix("ephemeralcontainers"),
            "Ephemeralcontainers"
        );
    }
}
