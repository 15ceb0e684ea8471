//! API discovery the way client-go's `ServerPreferredResources` does it: every group version is
//! fetched, subresources are dropped, and each group/resource is taken from the group's preferred
//! version (or from another version when the preferred one does not serve it). Groups that fail
//! are reported, not fatal.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use k8s_openapi::apimachinery::pkg::apis::meta::v1::{APIGroupList, APIResourceList, APIVersions};
use kube::Client;
use kube::core::ApiResource;

#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct GroupVersionResource {
    pub group: String,
    pub version: String,
    pub resource: String,
}

impl GroupVersionResource {
    pub fn new(group: &str, version: &str, resource: &str) -> GroupVersionResource {
        GroupVersionResource {
            group: group.to_owned(),
            version: version.to_owned(),
            resource: resource.to_owned(),
        }
    }
}

/// Formats like apimachinery's `schema.GroupVersionResource.String()`.
impl fmt::Display for GroupVersionResource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}/{}, Resource={}",
            self.group, self.version, self.resource
        )
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DiscoveredResource {
    pub gvr: GroupVersionResource,
    pub kind: String,
    pub namespaced: bool,
    pub verbs: BTreeSet<String>,
}

impl DiscoveredResource {
    pub fn supports_all(&self, verbs: &[&str]) -> bool {
        verbs.iter().all(|v| self.verbs.contains(*v))
    }

    pub fn api_version(&self) -> String {
        api_version(&self.gvr.group, &self.gvr.version)
    }

    pub fn api_resource(&self) -> ApiResource {
        ApiResource {
            group: self.gvr.group.clone(),
            version: self.gvr.version.clone(),
            api_version: self.api_version(),
            kind: self.kind.clone(),
            plural: self.gvr.resource.clone(),
        }
    }
}

pub fn api_version(group: &str, version: &str) -> String {
    if group.is_empty() {
        version.to_owned()
    } else {
        format!("{group}/{version}")
    }
}

/// Splits `apps/v1` into (`apps`, `v1`) and `v1` into (``, `v1`).
pub fn split_api_version(api_version: &str) -> (&str, &str) {
    match api_version.split_once('/') {
        Some((g, v)) => (g, v),
        None => ("", api_version),
    }
}

/// What discovery found: preferred resources, every served version (for resolving owner
/// references that name another version), and the group versions that failed.
#[derive(Clone, Debug, Default)]
pub struct Discovery {
    pub preferred: Vec<DiscoveredResource>,
    pub all: Vec<DiscoveredResource>,
    /// Group version (`apps/v1`, `v1`) to the error fetching it.
    pub failed: BTreeMap<String, String>,
}

/// One API group as listed by `/api` or `/apis`.
#[derive(Clone, Debug)]
pub struct GroupListing {
    pub name: String,
    pub versions: Vec<String>,
    pub preferred: String,
}

impl Discovery {
    /// Builds the result from each group's listing and the fetched resource lists.
    pub fn assemble(
        groups: &[GroupListing],
        lists: &BTreeMap<String, Result<APIResourceList, String>>,
    ) -> Discovery {
        let mut d = Discovery::default();
        let mut chosen: BTreeMap<(String, String), DiscoveredResource> = BTreeMap::new();
        for group in groups {
            for version in &group.versions {
                let gv = api_version(&group.name, version);
                let list = match lists.get(&gv) {
                    Some(Ok(list)) => list,
                    Some(Err(e)) => {
                        d.failed.insert(gv, e.clone());
                        continue;
                    }
                    None => continue,
                };
                for r in &list.resources {
                    if r.name.contains('/') {
                        continue;
                    }
                    let res = DiscoveredResource {
                        gvr: GroupVersionResource::new(&group.name, version, &r.name),
                        kind: r.kind.clone(),
                        namespaced: r.namespaced,
                        verbs: r.verbs.iter().cloned().collect(),
                    };
                    d.all.push(res.clone());
                    let key = (group.name.clone(), r.name.clone());
                    if chosen.contains_key(&key) && *version != group.preferred {
                        continue;
                    }
                    chosen.insert(key, res);
                }
            }
        }
        d.preferred = chosen.into_values().collect();
        d
    }

    /// client-go's `ErrGroupDiscoveryFailed` text, if any group failed.
    pub fn failure_message(&self) -> Option<String> {
        if self.failed.is_empty() {
            return None;
        }
        let mut parts: Vec<String> = self
            .failed
            .iter()
            .map(|(gv, e)| format!("{gv}: {e}"))
            .collect();
        parts.sort();
        Some(format!(
            "unable to retrieve the complete list of server APIs: {}",
            parts.join(", ")
        ))
    }

    /// Preferred resources that support all the given verbs.
    pub fn with_verbs<'a>(
        &'a self,
        verbs: &'a [&'a str],
    ) -> impl Iterator<Item = &'a DiscoveredResource> + 'a {
        self.preferred.iter().filter(move |r| r.supports_all(verbs))
    }

    /// The resource serving `kind` at `api_version`; another version of the same group and kind
    /// when that version is not served (owner references may name an older version).
    pub fn resolve_kind(&self, api_version: &str, kind: &str) -> Option<&DiscoveredResource> {
        let (group, version) = split_api_version(api_version);
        self.all
            .iter()
            .find(|r| r.gvr.group == group && r.gvr.version == version && r.kind == kind)
            .or_else(|| {
                self.preferred
                    .iter()
                    .find(|r| r.gvr.group == group && r.kind == kind)
            })
    }
}

async fn get_json<T: serde::de::DeserializeOwned>(
    client: &Client,
    path: &str,
) -> Result<T, kube::Error> {
    let req = http::Request::get(path)
        .header(http::header::ACCEPT, "application/json")
        .body(Vec::new())
        .map_err(kube::Error::HttpError)?;
    client.request(req).await
}

/// Runs discovery against the server. Fails only when the group lists themselves cannot be read.
pub async fn discover(client: &Client) -> Result<Discovery, kube::Error> {
    let core: APIVersions = get_json(client, "/api").await?;
    let apis: APIGroupList = get_json(client, "/apis").await?;
    let mut groups = vec![GroupListing {
        name: String::new(),
        preferred: core
            .versions
            .first()
            .cloned()
            .unwrap_or_else(|| "v1".into()),
        versions: core.versions.clone(),
    }];
    for g in apis.groups {
        let versions: Vec<String> = g.versions.iter().map(|v| v.version.clone()).collect();
        let preferred = g
            .preferred_version
            .map(|p| p.version)
            .or_else(|| versions.first().cloned())
            .unwrap_or_default();
        groups.push(GroupListing {
            name: g.name,
            versions,
            preferred,
        });
    }
    let mut lists = BTreeMap::new();
    for g in &groups {
        for v in &g.versions {
            let gv = api_version(&g.name, v);
            let path = if g.name.is_empty() {
                format!("/api/{v}")
            } else {
                format!("/apis/{gv}")
            };
            let result = get_json::<APIResourceList>(client, &path)
                .await
                .map_err(|e| crate::errors::message(&e));
            lists.insert(gv, result);
        }
    }
    Ok(Discovery::assemble(&groups, &lists))
}

#[cfg(test)]
mod tests {
    use super::*;
    use k8s_openapi::apimachinery::pkg::apis::meta::v1::APIResource;

    fn res(name: &str, kind: &str, namespaced: bool, verbs: &[&str]) -> APIResource {
        APIResource {
            name: name.into(),
            kind: kind.into(),
            namespaced,
            verbs: verbs.iter().map(|v| v.to_string()).collect(),
            ..Default::default()
        }
    }

    fn list(gv: &str, resources: Vec<APIResource>) -> APIResourceList {
        APIResourceList {
            group_version: gv.into(),
            resources,
        }
    }

    fn sample() -> Discovery {
        let groups = vec![
            GroupListing {
                name: "".into(),
                versions: vec!["v1".into()],
                preferred: "v1".into(),
            },
            GroupListing {
                name: "example.com".into(),
                versions: vec!["v2".into(), "v1".into()],
                preferred: "v2".into(),
            },
            GroupListing {
                name: "broken.io".into(),
                versions: vec!["v1".into()],
                preferred: "v1".into(),
            },
        ];
        let mut lists = BTreeMap::new();
        lists.insert(
            "v1".to_string(),
            Ok(list(
                "v1",
                vec![
                    res(
                        "pods",
                        "Pod",
                        true,
                        &[
                            "create",
                            "delete",
                            "deletecollection",
                            "get",
                            "list",
                            "watch",
                        ],
                    ),
                    res("pods/status", "Pod", true, &["get", "patch", "update"]),
                    res(
                        "namespaces",
                        "Namespace",
                        false,
                        &["create", "delete", "get", "list", "watch"],
                    ),
                    res("bindings", "Binding", true, &["create"]),
                ],
            )),
        );
        lists.insert(
            "example.com/v2".to_string(),
            Ok(list(
                "example.com/v2",
                vec![res("widgets", "Widget", true, &["delete", "list", "watch"])],
            )),
        );
        lists.insert(
            "example.com/v1".to_string(),
            Ok(list(
                "example.com/v1",
                vec![
                    res("widgets", "Widget", true, &["delete", "list", "watch"]),
                    res("gadgets", "Gadget", false, &["delete", "list"]),
                ],
            )),
        );
        lists.insert(
            "broken.io/v1".to_string(),
            Err("the server is currently unable to handle the request".into()),
        );
        Discovery::assemble(&groups, &lists)
    }

    #[test]
    fn prefers_the_preferred_version_and_skips_subresources() {
        let d = sample();
        let names: Vec<String> = d.preferred.iter().map(|r| r.gvr.to_string()).collect();
        assert_eq!(
            names,
            vec![
                "/v1, Resource=bindings",
                "/v1, Resource=namespaces",
                "/v1, Resource=pods",
                "example.com/v1, Resource=gadgets",
                "example.com/v2, Resource=widgets",
            ]
        );
    }

    #[test]
    fn filters_by_verbs() {
        let d = sample();
        let deletable: Vec<&str> = d
            .with_verbs(&["delete", "list", "watch"])
            .map(|r| r.gvr.resource.as_str())
            .collect();
        assert_eq!(deletable, vec!["namespaces", "pods", "widgets"]);
    }

    #[test]
    fn reports_failed_groups_like_client_go() {
        let d = sample();
        assert_eq!(
            d.failure_message().unwrap(),
            "unable to retrieve the complete list of server APIs: broken.io/v1: the server is currently unable to handle the request"
        );
        assert!(Discovery::default().failure_message().is_none());
    }

    #[test]
    fn resolves_kinds_of_any_served_version() {
        let d = sample();
        assert_eq!(
            d.resolve_kind("example.com/v1", "Widget")
                .unwrap()
                .gvr
                .version,
            "v1"
        );
        assert_eq!(
            d.resolve_kind("example.com/v9", "Widget")
                .unwrap()
                .gvr
                .version,
            "v2"
        );
        assert_eq!(
            d.resolve_kind("v1", "Namespace").unwrap().gvr.resource,
            "namespaces"
        );
        assert!(d.resolve_kind("v1", "Nothing").is_none());
    }

    #[test]
    fn api_versions() {
        assert_eq!(api_version("", "v1"), "v1");
        assert_eq!(api_version("apps", "v1"), "apps/v1");
        assert_eq!(split_api_version("apps/v1"), ("apps", "v1"));
        assert_eq!(split_api_version("v1"), ("", "v1"));
        let pods = GroupVersionResource::new("", "v1", "pods");
        assert_eq!(pods.to_string(), "/v1, Resource=pods");
    }
}
