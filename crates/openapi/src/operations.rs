//! The paths and operations of a group version, independent of how v2 or v3
//! spell them.

use crate::definitions::GroupVersionKind;
use crate::error::OpenApiError;
use crate::naming::{api_prefix, operation_group, subresource_suffix, tag};
use crate::params::{self, Param};
use crate::resources::{ServedResource, ServedSubresource, SubresourceBody};

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
    fn id_word(self) -> &'static str {
        match self {
            Method::Get => "Get",
            Method::Put => "Put",
            Method::Post => "Post",
            Method::Patch => "Patch",
            Method::Delete => "Delete",
        }
    }

    fn for_connect_verb(verb: &str) -> Option<Method> {
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

const OK: (&str, &str) = ("200", "OK");
const CREATED: (&str, &str) = ("201", "Created");
const ACCEPTED: (&str, &str) = ("202", "Accepted");

fn responses(codes: &[(&'static str, &'static str)], payload: Payload) -> Vec<Response> {
    codes
        .iter()
        .map(|(code, description)| Response {
            code,
            description,
            payload: payload.clone(),
        })
        .collect()
}

fn definition(name: &str) -> Payload {
    Payload::Definition(name.to_string())
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
            responses: responses(&[OK], definition(API_RESOURCE_LIST)),
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

struct Context {
    group_id: String,
    tag: String,
    prefix: String,
}

impl Context {
    #[allow(clippy::too_many_arguments)]
    fn operation(
        &self,
        method: Method,
        operation_id: String,
        description: String,
        action: &'static str,
        gvk: GroupVersionKind,
        params: Vec<Param>,
        request: Option<RequestBody>,
        responses: Vec<Response>,
        media: Media,
    ) -> Operation {
        Operation {
            method,
            operation_id,
            description,
            tag: self.tag.clone(),
            action: Some(action),
            gvk: Some(gvk),
            params,
            request,
            responses,
            media,
        }
    }

    /// Path parameters (name, namespace) and `pretty`.
    fn path_params(resource: &ServedResource, with_name: bool, with_pretty: bool) -> Vec<Param> {
        let mut list = Vec::new();
        if with_name {
            list.push(params::path(
                "name",
                format!("name of the {}", resource.kind),
            ));
        }
        if resource.namespaced {
            list.push(params::path(
                "namespace",
                "namespace the object belongs to".to_string(),
            ));
        }
        if with_pretty {
            list.extend(params::query(&["pretty"]));
        }
        list
    }

    fn resource_paths(&self, r: &ServedResource) -> Vec<PathItem> {
        let scope = if r.namespaced { "Namespaced" } else { "" };
        let namespace_segment = if r.namespaced {
            "/namespaces/{namespace}"
        } else {
            ""
        };
        let id =
            |verb: &str, suffix: &str| format!("{verb}{}{scope}{}{suffix}", self.group_id, r.kind);
        let kind = &r.kind;
        let object = || definition(&r.definition);
        let list = || definition(&r.list_definition_name());
        let collection = format!("{}{namespace_segment}/{}", self.prefix, r.plural);
        let item = format!("{collection}/{{name}}");
        let mut paths = Vec::new();

        let mut ops = Vec::new();
        if r.has_verb("list") {
            ops.push(self.operation(
                Method::Get,
                id("list", ""),
                format!("list or watch objects of kind {kind}"),
                "list",
                r.gvk(),
                params::query(params::LIST),
                None,
                responses(&[OK], list()),
                Media::Stream,
            ));
        }
        if r.has_verb("create") {
            ops.push(self.operation(
                Method::Post,
                id("create", ""),
                format!("create a {kind}"),
                "post",
                r.gvk(),
                params::query(params::WRITE),
                Some(RequestBody::Object(r.definition.clone())),
                responses(&[OK, CREATED, ACCEPTED], object()),
                Media::Object,
            ));
        }
        if r.has_verb("deletecollection") {
            let operation_id = format!("delete{}Collection{scope}{kind}", self.group_id);
            ops.push(self.operation(
                Method::Delete,
                operation_id,
                format!("delete collection of {kind}"),
                "deletecollection",
                r.gvk(),
                params::query(params::DELETE_COLLECTION),
                Some(RequestBody::DeleteOptions),
                responses(&[OK], definition(STATUS)),
                Media::Object,
            ));
        }
        paths.push(PathItem {
            path: collection.clone(),
            params: Self::path_params(r, false, true),
            operations: ops,
        });

        let mut ops = Vec::new();
        if r.has_verb("get") {
            ops.push(self.operation(
                Method::Get,
                id("read", ""),
                format!("read the specified {kind}"),
                "get",
                r.gvk(),
                Vec::new(),
                None,
                responses(&[OK], object()),
                Media::Object,
            ));
        }
        if r.has_verb("update") {
            ops.push(self.operation(
                Method::Put,
                id("replace", ""),
                format!("replace the specified {kind}"),
                "put",
                r.gvk(),
                params::query(params::WRITE),
                Some(RequestBody::Object(r.definition.clone())),
                responses(&[OK, CREATED], object()),
                Media::Object,
            ));
        }
        if r.has_verb("patch") {
            ops.push(self.operation(
                Method::Patch,
                id("patch", ""),
                format!("partially update the specified {kind}"),
                "patch",
                r.gvk(),
                params::query(params::PATCH),
                Some(RequestBody::Patch {
                    strategic: r.strategic_merge_patch,
                }),
                responses(&[OK, CREATED], object()),
                Media::Object,
            ));
        }
        if r.has_verb("delete") {
            ops.push(self.operation(
                Method::Delete,
                id("delete", ""),
                format!("delete a {kind}"),
                "delete",
                r.gvk(),
                params::query(params::DELETE),
                Some(RequestBody::DeleteOptions),
                responses(&[OK, ACCEPTED], definition(STATUS)),
                Media::Object,
            ));
        }
        paths.push(PathItem {
            path: item.clone(),
            params: Self::path_params(r, true, true),
            operations: ops,
        });

        if r.namespaced && r.has_verb("list") {
            let operation_id = format!("list{}{kind}ForAllNamespaces", self.group_id);
            let op = self.operation(
                Method::Get,
                operation_id,
                format!("list or watch objects of kind {kind}"),
                "list",
                r.gvk(),
                params::query(params::LIST),
                None,
                responses(&[OK], list()),
                Media::Stream,
            );
            paths.push(PathItem {
                path: format!("{}/{}", self.prefix, r.plural),
                params: params::query(&["pretty"]),
                operations: vec![op],
            });
        }
        if r.has_verb("watch") {
            paths.extend(self.watch_paths(r, scope, namespace_segment));
        }
        for sub in &r.subresources {
            paths.extend(self.subresource_paths(r, sub, &item, scope));
        }
        paths
    }

    /// The deprecated `/watch/` paths, which upstream still serves.
    fn watch_paths(
        &self,
        r: &ServedResource,
        scope: &str,
        namespace_segment: &str,
    ) -> Vec<PathItem> {
        let kind = &r.kind;
        let list_description = format!(
            "watch individual changes to a list of {kind}. deprecated: use the 'watch' parameter with a list operation instead."
        );
        let watch = |operation_id: String, description: String, action| {
            self.operation(
                Method::Get,
                operation_id,
                description,
                action,
                r.gvk(),
                params::query(params::LIST),
                None,
                responses(&[OK], definition(WATCH_EVENT)),
                Media::Stream,
            )
        };
        let base = format!("{}/watch{namespace_segment}/{}", self.prefix, r.plural);
        let mut paths = vec![
            PathItem {
                path: base.clone(),
                params: Self::path_params(r, false, true),
                operations: vec![watch(
                    format!("watch{}{scope}{kind}List", self.group_id),
                    list_description.clone(),
                    "watchlist",
                )],
            },
            PathItem {
                path: format!("{base}/{{name}}"),
                params: Self::path_params(r, true, true),
                operations: vec![watch(
                    format!("watch{}{scope}{kind}", self.group_id),
                    format!(
                        "watch changes to an object of kind {kind}. deprecated: use the 'watch' parameter with a list operation instead, filtered to a single item with the 'fieldSelector' parameter."
                    ),
                    "watch",
                )],
            },
        ];
        if r.namespaced {
            paths.push(PathItem {
                path: format!("{}/watch/{}", self.prefix, r.plural),
                params: params::query(&["pretty"]),
                operations: vec![watch(
                    format!("watch{}{kind}ListForAllNamespaces", self.group_id),
                    list_description,
                    "watchlist",
                )],
            });
        }
        paths
    }

    fn subresource_paths(
        &self,
        r: &ServedResource,
        sub: &ServedSubresource,
        item: &str,
        scope: &str,
    ) -> Vec<PathItem> {
        let suffix = subresource_suffix(&sub.name);
        let id = |verb: &str| format!("{verb}{}{scope}{}{suffix}", self.group_id, r.kind);
        let (kind, name) = (&r.kind, &sub.name);
        let path = format!("{item}/{name}");
        let mut ops = Vec::new();
        match &sub.body {
            SubresourceBody::Object(schema) => {
                let object = || definition(schema);
                if sub.has_verb("get") {
                    ops.push(self.operation(
                        Method::Get,
                        id("read"),
                        format!("read {name} of the specified {kind}"),
                        "get",
                        sub.gvk(),
                        Vec::new(),
                        None,
                        responses(&[OK], object()),
                        Media::Object,
                    ));
                }
                if sub.has_verb("create") {
                    ops.push(self.operation(
                        Method::Post,
                        id("create"),
                        format!("create {name} of a {kind}"),
                        "post",
                        sub.gvk(),
                        params::query(params::WRITE),
                        Some(RequestBody::Object(schema.clone())),
                        responses(&[OK, CREATED, ACCEPTED], object()),
                        Media::Object,
                    ));
                }
                if sub.has_verb("update") {
                    ops.push(self.operation(
                        Method::Put,
                        id("replace"),
                        format!("replace {name} of the specified {kind}"),
                        "put",
                        sub.gvk(),
                        params::query(params::WRITE),
                        Some(RequestBody::Object(schema.clone())),
                        responses(&[OK, CREATED], object()),
                        Media::Object,
                    ));
                }
                if sub.has_verb("patch") {
                    ops.push(self.operation(
                        Method::Patch,
                        id("patch"),
                        format!("partially update {name} of the specified {kind}"),
                        "patch",
                        sub.gvk(),
                        params::query(params::PATCH),
                        Some(RequestBody::Patch {
                            strategic: r.strategic_merge_patch,
                        }),
                        responses(&[OK, CREATED], object()),
                        Media::Object,
                    ));
                }
                vec![PathItem {
                    path,
                    params: Self::path_params(r, true, true),
                    operations: ops,
                }]
            }
            SubresourceBody::Text => {
                if sub.has_verb("get") {
                    let query = if name == "log" { params::LOG } else { &[] };
                    ops.push(self.operation(
                        Method::Get,
                        id("read"),
                        format!("read {name} of the specified {kind}"),
                        "get",
                        sub.gvk(),
                        params::query(query),
                        None,
                        responses(&[OK], Payload::Text),
                        Media::Log,
                    ));
                }
                vec![PathItem {
                    path,
                    params: Self::path_params(r, true, true),
                    operations: ops,
                }]
            }
            SubresourceBody::Connect => {
                let mut paths =
                    vec![self.connect_path(r, sub, path.clone(), &id("connect"), false)];
                if name == "proxy" {
                    let with_path = format!("{path}/{{path}}");
                    paths.push(self.connect_path(r, sub, with_path, &id("connect"), true));
                }
                paths
            }
        }
    }

    fn connect_path(
        &self,
        r: &ServedResource,
        sub: &ServedSubresource,
        path: String,
        base_id: &str,
        with_path: bool,
    ) -> PathItem {
        // `connectCoreV1NamespacedPodExec` becomes `connectCoreV1GetNamespacedPodExec`.
        let (head, tail) = base_id.split_at(
            base_id
                .find(&self.group_id)
                .map_or(0, |at| at + self.group_id.len()),
        );
        let mut operations = Vec::new();
        for verb in &sub.verbs {
            let Some(method) = Method::for_connect_verb(verb) else {
                continue;
            };
            let suffix = if with_path { "WithPath" } else { "" };
            operations.push(self.operation(
                method,
                format!("{head}{}{tail}{suffix}", method.id_word()),
                format!(
                    "connect {} requests to {} of {}",
                    method.as_str().to_uppercase(),
                    sub.name,
                    r.kind
                ),
                "connect",
                sub.gvk(),
                params::query(params::connect_params(&sub.name)),
                None,
                responses(&[OK], Payload::Text),
                Media::Any,
            ));
        }
        let mut params = Self::path_params(r, true, false);
        if with_path {
            params.push(params::path("path", "path to the resource".to_string()));
        }
        PathItem {
            path,
            params,
            operations,
        }
    }
}

#[cfg(test)]
mod tests;
