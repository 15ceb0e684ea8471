//! Parsing a request's path and query into what it asks for, as upstream's RequestInfoFactory does.

use std::collections::HashMap;

use capstan_apimachinery::ApiError;

/// What a resource request addresses.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RequestInfo {
    /// get, list, watch, create, update, patch, delete, deletecollection
    pub verb: String,
    pub group: String,
    pub version: String,
    pub namespace: String,
    pub resource: String,
    pub name: String,
    pub subresource: String,
}

/// Namespace subresources that are addressed as `/namespaces/<name>/<sub>`.
const NAMESPACE_SUBRESOURCES: &[&str] = &["status", "finalize"];

/// The parts of a non-discovery path under /api or /apis, or None if it is a discovery path.
pub fn parse_resource_path(
    path: &str,
    method: &http::Method,
    query: &Query,
) -> Option<RequestInfo> {
    let parts: Vec<&str> = path.trim_matches('/').split('/').collect();
    let (group, version, rest) = match parts.as_slice() {
        ["api", version, rest @ ..] if !rest.is_empty() => ("", *version, rest),
        ["apis", group, version, rest @ ..] if !rest.is_empty() => (*group, *version, rest),
        _ => return None,
    };
    let mut rest: Vec<&str> = rest.to_vec();
    let mut legacy_watch = false;
    if rest.first() == Some(&"watch") {
        legacy_watch = true;
        rest.remove(0);
    }
    let mut info = RequestInfo {
        group: group.into(),
        version: version.into(),
        ..Default::default()
    };
    if rest.first() == Some(&"namespaces") && rest.len() > 1 {
        info.namespace = rest[1].into();
        if rest.len() > 2 && !NAMESPACE_SUBRESOURCES.contains(&rest[2]) {
            rest.drain(0..2);
        }
    }
    if rest.is_empty() {
        return None;
    }
    info.resource = rest[0].into();
    if rest.len() >= 2 {
        info.name = rest[1].into();
    }
    if rest.len() >= 3 {
        info.subresource = rest[2..].join("/");
    }
    let watch = legacy_watch || query.flag("watch");
    info.verb = match *method {
        http::Method::GET | http::Method::HEAD => {
            if watch {
                "watch"
            } else if info.name.is_empty() {
                "list"
            } else {
                "get"
            }
        }
        http::Method::POST => "create",
        http::Method::PUT => "update",
        http::Method::PATCH => "patch",
        http::Method::DELETE => {
            if info.name.is_empty() {
                "deletecollection"
            } else {
                "delete"
            }
        }
        _ => "unknown",
    }
    .into();
    Some(info)
}

/// Query parameters (the last value wins, as Go's `url.Values.Get` takes the first — kube clients
/// never repeat them).
#[derive(Clone, Debug, Default)]
pub struct Query {
    values: HashMap<String, String>,
}

impl Query {
    pub fn parse(query: Option<&str>) -> Query {
        let mut values = HashMap::new();
        if let Some(q) = query {
            for (k, v) in url::form_urlencoded::parse(q.as_bytes()) {
                values
                    .entry(k.into_owned())
                    .or_insert_with(|| v.into_owned());
            }
        }
        Query { values }
    }

    pub fn get(&self, key: &str) -> Option<&str> {
        self.values.get(key).map(String::as_str)
    }

    /// `?watch`, `?watch=true`, `?watch=1` — Go's strconv.ParseBool forms.
    pub fn flag(&self, key: &str) -> bool {
        matches!(
            self.get(key),
            Some("" | "1" | "t" | "T" | "true" | "TRUE" | "True")
        )
    }

    pub fn int(&self, key: &str) -> Result<Option<i64>, ApiError> {
        match self.get(key) {
            None | Some("") => Ok(None),
            Some(v) => v.parse().map(Some).map_err(|_| {
                ApiError::bad_request(&format!(
                    "invalid value for {key}: strconv.ParseInt: parsing {v:?}: invalid syntax"
                ))
            }),
        }
    }

    pub fn dry_run(&self) -> Result<bool, ApiError> {
        match self.get("dryRun") {
            None | Some("") => Ok(false),
            Some("All") => Ok(true),
            Some(other) => Err(ApiError::bad_request(&format!(
                "Invalid dry run value: {other:?}: supported values: \"All\""
            ))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn info(method: http::Method, path: &str, query: &str) -> Option<RequestInfo> {
        parse_resource_path(path, &method, &Query::parse(Some(query)))
    }

    #[test]
    fn paths_parse_like_upstream() {
        let i = info(
            http::Method::GET,
            "/api/v1/namespaces/default/pods/web/log",
            "",
        )
        .unwrap();
        assert_eq!(
            (
                i.verb.as_str(),
                i.namespace.as_str(),
                i.resource.as_str(),
                i.name.as_str(),
                i.subresource.as_str()
            ),
            ("get", "default", "pods", "web", "log")
        );
        let i = info(http::Method::GET, "/apis/apps/v1/deployments", "watch=true").unwrap();
        assert_eq!(
            (i.verb.as_str(), i.group.as_str(), i.namespace.as_str()),
            ("watch", "apps", "")
        );
        let i = info(http::Method::GET, "/api/v1/watch/namespaces/x/pods", "").unwrap();
        assert_eq!((i.verb.as_str(), i.namespace.as_str()), ("watch", "x"));
        // A namespace and its own subresources.
        let i = info(http::Method::PUT, "/api/v1/namespaces/foo/finalize", "").unwrap();
        assert_eq!(
            (i.resource.as_str(), i.name.as_str(), i.subresource.as_str()),
            ("namespaces", "foo", "finalize")
        );
        let i = info(http::Method::DELETE, "/api/v1/namespaces/foo", "").unwrap();
        assert_eq!(
            (i.verb.as_str(), i.resource.as_str(), i.name.as_str()),
            ("delete", "namespaces", "foo")
        );
        let i = info(
            http::Method::DELETE,
            "/api/v1/namespaces/foo/configmaps",
            "",
        )
        .unwrap();
        assert_eq!(
            (i.verb.as_str(), i.resource.as_str()),
            ("deletecollection", "configmaps")
        );
        assert!(info(http::Method::GET, "/api/v1", "").is_none());
        assert!(info(http::Method::GET, "/apis/apps/v1", "").is_none());
    }
}
