//! The paths and operations of a group version, independent of how v2 or v3
//! spell them.

mod build;

use crate::definitions::GroupVersionKind;
use crate::error::OpenApiError;
use crate::naming::{api_prefix, operation_group, tag};
use crate::params::Param;
use crate::resources::ServedResource;
use build::Context;

pub(crate) const STATUS: &str = "io.k8s.apimachinery.pkg.apis.meta.v1.Status";
pub(crate) const DELETE_OPTIONS: &str = "io.k8s.apimachinery.pkg.apis.meta.v1.DeleteOptions";
pub(crate) const WATCH_EVENT: &str = "io.k8s.apimachinery.pkg.apis.meta.v1.WatchEvent";
pub(crate) const PATCH: &str = "io.k8s.apimachinery.pkg.apis.meta.v1.Patch";
pub(crate) const API_RESOURCE_LIST: &str = "io.k8s.apimachinery.pkg.apis.meta.v1.APIResourceList";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Method {
    Get,
    Put,
    Post,
    Patch,
    Delete,
}

impl Method {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Method::Get => "get",
            Method::Put => "put",
            Method::Post => "post",
            Method::Patch => "patch",
            Method::Delete => "delete",
        }
    }

    /// How connect operation ids spell the method: `connectCoreV1GetNamespacedPodExec`.
    pub(crate) fn id_word(self) -> &'static str {
        match self {
            Method::Get => "Get",
            Method::Put => "Put",
            Method::Post => "Post",
            Method::Patch => "Patch",
            Method::Delete => "Delete",
        }
    }

    pub(crate) fn for_connect_verb(verb: &str) -> Option<Method> {
        match verb {
            "get" => Some(Method::Get),
            "create" => Some(Method::Post),
            "update" => Some(Method::Put),
            "patch" => Some(Method::Patch),
            "delete" => Some(Method::Delete),
            _ => None,
        }
    }
}

/// What a response (or request) body holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Payload {
    Definition(String),
    Text,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum RequestBody {
    Object(String),
    /// A patch; `strategic` when strategic merge patches are accepted too.
    Patch {
        strategic: bool,
    },
    DeleteOptions,
}

/// Which media types an operation produces.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Media {
    Object,
    /// Lists and watches, which may also stream.
    Stream,
    Log,
    Any,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Response {
    pub code: &'static str,
    pub description: &'static str,
    pub payload: Payload,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Operation {
    pub method: Method,
    pub operation_id: String,
    pub description: String,
    pub tag: String,
    /// `x-kubernetes-action`; `None` for the group version's resource list.
    pub action: Option<&'static str>,
    pub gvk: Option<GroupVersionKind>,
    pub params: Vec<Param>,
    pub request: Option<RequestBody>,
    pub responses: Vec<Response>,
    pub media: Media,
}

impl Operation {
    /// Definitions this operation's bodies refer to.
    pub(crate) fn referenced_definitions(&self) -> Vec<&str> {
        let mut names: Vec<&str> = self
            .responses
            .iter()
            .filter_map(|response| match &response.payload {
                Payload::Definition(name) => Some(name.as_str()),
                Payload::Text => None,
            })
            .collect();
        match &self.request {
            Some(RequestBody::Object(name)) => names.push(name),
            Some(RequestBody::Patch { .. }) => names.push(PATCH),
            Some(RequestBody::DeleteOptions) => names.push(DELETE_OPTIONS),
            None => {}
        }
        names
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct PathItem {
    pub path: String,
    /// Parameters shared by the path's operations (path parameters, `pretty`).
    pub params: Vec<Param>,
    pub operations: Vec<Operation>,
}

/// Rejects resources that would produce broken paths or ids.
fn validate(resource: &ServedResource) -> Result<(), OpenApiError> {
    let invalid = |reason: &str| OpenApiError::InvalidResource {
        resource: resource.plural.clone(),
        reason: reason.to_string(),
    };
    if resource.plural.is_empty() || resource.plural.contains('/') {
        return Err(invalid("the plural must be one non-empty path segment"));
    }
    if resource.kind.is_empty() || resource.definition.is_empty() {
        return Err(invalid("kind and definition must not be empty"));
    }
    match resource
        .subresources
        .iter()
        .find(|sub| sub.name.is_empty() || sub.name.contains('/') || sub.kind.is_empty())
    {
        Some(_) => Err(invalid("subresources need a one-segment name and a kind")),
        None => Ok(()),
    }
}

/// Every path of `group`/`version` serving `resources` (those of other group
/// versions are skipped), starting with the group version's resource list.
pub(crate) fn group_version_paths<'r>(
    group: &str,
    version: &str,
    resources: impl IntoIterator<Item = &'r ServedResource>,
) -> Result<Vec<PathItem>, OpenApiError> {
    let context = Context {
        group_id: operation_group(group, version),
        tag: tag(group, version),
        prefix: api_prefix(group, version),
    };
    let mut paths = vec![PathItem {
        path: format!("{}/", context.prefix),
        params: Vec::new(),
        operations: vec![Operation {
            method: Method::Get,
            operation_id: format!("get{}APIResources", context.group_id),
            description: "get available resources".into(),
            tag: context.tag.clone(),
            action: None,
            gvk: None,
            params: Vec::new(),
            request: None,
            responses: vec![Response {
                code: "200",
                description: "OK",
                payload: Payload::Definition(API_RESOURCE_LIST.to_string()),
            }],
            media: Media::Object,
        }],
    }];
    for resource in resources {
        if resource.group != group || resource.version != version {
            continue;
        }
        validate(resource)?;
        paths.extend(context.resource_paths(resource));
    }
    paths.retain(|path| !path.operations.is_empty());
    Ok(paths)
}

#[cfg(test)]
mod tests;
