//! Builds the paths of one resource from a few operation shapes.

use super::{
    Media, Method, Operation, PathItem, Payload, RequestBody, Response, STATUS, WATCH_EVENT,
};
use crate::definitions::GroupVersionKind;
use crate::naming::subresource_suffix;
use crate::params::{self, Param};
use crate::resources::{ServedResource, ServedSubresource, SubresourceBody};

const OK: (&str, &str) = ("200", "OK");
const CREATED: (&str, &str) = ("201", "Created");
const ACCEPTED: (&str, &str) = ("202", "Accepted");

#[derive(Clone, Copy)]
enum Body {
    None,
    Object,
    Patch,
    DeleteOptions,
}

#[derive(Clone, Copy)]
enum Returns {
    Object,
    List,
    Status,
    WatchEvent,
    Text,
}

/// What an operation looks like apart from its names: upstream gives every
/// `read`, every `patch`… the same parameters, bodies and responses.
struct Shape {
    method: Method,
    action: &'static str,
    params: &'static [&'static str],
    body: Body,
    codes: &'static [(&'static str, &'static str)],
    returns: Returns,
    media: Media,
}

#[rustfmt::skip]
mod shapes {
    use super::*;
    use crate::params::{DELETE, DELETE_COLLECTION, LIST, PATCH, WRITE};
    pub const LIST_OP: Shape = Shape { method: Method::Get, action: "list", params: LIST, body: Body::None, codes: &[OK], returns: Returns::List, media: Media::Stream };
    pub const CREATE: Shape = Shape { method: Method::Post, action: "post", params: WRITE, body: Body::Object, codes: &[OK, CREATED, ACCEPTED], returns: Returns::Object, media: Media::Object };
    pub const DELETE_COLLECTION_OP: Shape = Shape { method: Method::Delete, action: "deletecollection", params: DELETE_COLLECTION, body: Body::DeleteOptions, codes: &[OK], returns: Returns::Status, media: Media::Object };
    pub const READ: Shape = Shape { method: Method::Get, action: "get", params: &[], body: Body::None, codes: &[OK], returns: Returns::Object, media: Media::Object };
    pub const REPLACE: Shape = Shape { method: Method::Put, action: "put", params: WRITE, body: Body::Object, codes: &[OK, CREATED], returns: Returns::Object, media: Media::Object };
    pub const PATCH_OP: Shape = Shape { method: Method::Patch, action: "patch", params: PATCH, body: Body::Patch, codes: &[OK, CREATED], returns: Returns::Object, media: Media::Object };
    pub const DELETE_OP: Shape = Shape { method: Method::Delete, action: "delete", params: DELETE, body: Body::DeleteOptions, codes: &[OK, ACCEPTED], returns: Returns::Status, media: Media::Object };
    pub const WATCH_LIST: Shape = Shape { method: Method::Get, action: "watchlist", params: LIST, body: Body::None, codes: &[OK], returns: Returns::WatchEvent, media: Media::Stream };
    pub const WATCH: Shape = Shape { method: Method::Get, action: "watch", params: LIST, body: Body::None, codes: &[OK], returns: Returns::WatchEvent, media: Media::Stream };
    pub const READ_TEXT: Shape = Shape { method: Method::Get, action: "get", params: &[], body: Body::None, codes: &[OK], returns: Returns::Text, media: Media::Log };
}
use shapes::*;

/// What a set of operations is about: its kind and schemas.
struct Target {
    gvk: GroupVersionKind,
    object: String,
    list: String,
    strategic_merge_patch: bool,
}

pub(super) struct Context {
    pub group_id: String,
    pub tag: String,
    pub prefix: String,
}

impl Context {
    fn op(
        &self,
        shape: &Shape,
        target: &Target,
        operation_id: String,
        description: String,
    ) -> Operation {
        let payload = match shape.returns {
            Returns::Object => Payload::Definition(target.object.clone()),
            Returns::List => Payload::Definition(target.list.clone()),
            Returns::Status => Payload::Definition(STATUS.to_string()),
            Returns::WatchEvent => Payload::Definition(WATCH_EVENT.to_string()),
            Returns::Text => Payload::Text,
        };
        let request = match shape.body {
            Body::None => None,
            Body::Object => Some(RequestBody::Object(target.object.clone())),
            Body::Patch => Some(RequestBody::Patch {
                strategic: target.strategic_merge_patch,
            }),
            Body::DeleteOptions => Some(RequestBody::DeleteOptions),
        };
        Operation {
            method: shape.method,
            operation_id,
            description,
            tag: self.tag.clone(),
            action: Some(shape.action),
            gvk: Some(target.gvk.clone()),
            params: params::query(shape.params),
            request,
            responses: shape
                .codes
                .iter()
                .map(|(code, description)| Response {
                    code,
                    description,
                    payload: payload.clone(),
                })
                .collect(),
            media: shape.media,
        }
    }

    /// Path parameters (name, namespace) and, unless streaming, `pretty`.
    fn path_params(r: &ServedResource, with_name: bool, with_pretty: bool) -> Vec<Param> {
        let mut list = Vec::new();
        if with_name {
            list.push(params::path("name", format!("name of the {}", r.kind)));
        }
        if r.namespaced {
            list.push(params::path(
                "namespace",
                "namespace the object belongs to".into(),
            ));
        }
        if with_pretty {
            list.extend(params::query(&["pretty"]));
        }
        list
    }

    pub(super) fn resource_paths(&self, r: &ServedResource) -> Vec<PathItem> {
        let scope = if r.namespaced { "Namespaced" } else { "" };
        let namespace_segment = if r.namespaced {
            "/namespaces/{namespace}"
        } else {
            ""
        };
        let (group_id, kind) = (&self.group_id, &r.kind);
        let id = |verb: &str| format!("{verb}{group_id}{scope}{kind}");
        let target = Target {
            gvk: r.gvk(),
            object: r.definition.clone(),
            list: r.list_definition_name(),
            strategic_merge_patch: r.strategic_merge_patch,
        };
        let collection = format!("{}{namespace_segment}/{}", self.prefix, r.plural);
        let item = format!("{collection}/{{name}}");
        let list_description = format!("list or watch objects of kind {kind}");
        let verb = |name: &str| r.has_verb(name);

        let mut ops = Vec::new();
        if verb("list") {
            ops.push(self.op(&LIST_OP, &target, id("list"), list_description.clone()));
        }
        if verb("create") {
            ops.push(self.op(&CREATE, &target, id("create"), format!("create a {kind}")));
        }
        if verb("deletecollection") {
            let operation_id = format!("delete{group_id}Collection{scope}{kind}");
            let description = format!("delete collection of {kind}");
            ops.push(self.op(&DELETE_COLLECTION_OP, &target, operation_id, description));
        }
        let mut paths = vec![PathItem {
            path: collection,
            params: Self::path_params(r, false, true),
            operations: ops,
        }];

        let mut ops = Vec::new();
        if verb("get") {
            ops.push(self.op(
                &READ,
                &target,
                id("read"),
                format!("read the specified {kind}"),
            ));
        }
        if verb("update") {
            ops.push(self.op(
                &REPLACE,
                &target,
                id("replace"),
                format!("replace the specified {kind}"),
            ));
        }
        if verb("patch") {
            let description = format!("partially update the specified {kind}");
            ops.push(self.op(&PATCH_OP, &target, id("patch"), description));
        }
        if verb("delete") {
            ops.push(self.op(
                &DELETE_OP,
                &target,
                id("delete"),
                format!("delete a {kind}"),
            ));
        }
        paths.push(PathItem {
            path: item.clone(),
            params: Self::path_params(r, true, true),
            operations: ops,
        });

        if r.namespaced && verb("list") {
            let op = self.op(
                &LIST_OP,
                &target,
                format!("list{group_id}{kind}ForAllNamespaces"),
                list_description,
            );
            let path = format!("{}/{}", self.prefix, r.plural);
            paths.push(PathItem {
                path,
                params: params::query(&["pretty"]),
                operations: vec![op],
            });
        }
        if verb("watch") {
            paths.extend(self.watch_paths(r, &target, scope, namespace_segment));
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
        target: &Target,
        scope: &str,
        namespace_segment: &str,
    ) -> Vec<PathItem> {
        let (group_id, kind) = (&self.group_id, &r.kind);
        let list_description = format!(
            "watch individual changes to a list of {kind}. deprecated: use the 'watch' parameter with a list operation instead."
        );
        let item_description = format!(
            "watch changes to an object of kind {kind}. deprecated: use the 'watch' parameter with a list operation instead, filtered to a single item with the 'fieldSelector' parameter."
        );
        let base = format!("{}/watch{namespace_segment}/{}", self.prefix, r.plural);
        let list = self.op(
            &WATCH_LIST,
            target,
            format!("watch{group_id}{scope}{kind}List"),
            list_description.clone(),
        );
        let one = self.op(
            &WATCH,
            target,
            format!("watch{group_id}{scope}{kind}"),
            item_description,
        );
        let mut paths = vec![
            PathItem {
                path: format!("{base}/{{name}}"),
                params: Self::path_params(r, true, true),
                operations: vec![one],
            },
            PathItem {
                path: base,
                params: Self::path_params(r, false, true),
                operations: vec![list],
            },
        ];
        if r.namespaced {
            let operation_id = format!("watch{group_id}{kind}ListForAllNamespaces");
            let all = self.op(&WATCH_LIST, target, operation_id, list_description);
            let path = format!("{}/watch/{}", self.prefix, r.plural);
            paths.push(PathItem {
                path,
                params: params::query(&["pretty"]),
                operations: vec![all],
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
        let object = match &sub.body {
            SubresourceBody::Object(schema) => schema.clone(),
            SubresourceBody::Text | SubresourceBody::Connect => String::new(),
        };
        let target = Target {
            gvk: sub.gvk(),
            list: object.clone(),
            object,
            strategic_merge_patch: r.strategic_merge_patch,
        };
        let verb = |name: &str| sub.has_verb(name);
        let mut ops = Vec::new();
        match &sub.body {
            SubresourceBody::Object(_) => {
                if verb("get") {
                    ops.push(self.op(
                        &READ,
                        &target,
                        id("read"),
                        format!("read {name} of the specified {kind}"),
                    ));
                }
                if verb("create") {
                    ops.push(self.op(
                        &CREATE,
                        &target,
                        id("create"),
                        format!("create {name} of a {kind}"),
                    ));
                }
                if verb("update") {
                    ops.push(self.op(
                        &REPLACE,
                        &target,
                        id("replace"),
                        format!("replace {name} of the specified {kind}"),
                    ));
                }
                if verb("patch") {
                    let description = format!("partially update {name} of the specified {kind}");
                    ops.push(self.op(&PATCH_OP, &target, id("patch"), description));
                }
            }
            SubresourceBody::Text => {
                if verb("get") {
                    let mut op = self.op(
                        &READ_TEXT,
                        &target,
                        id("read"),
                        format!("read {name} of the specified {kind}"),
                    );
                    if name == "log" {
                        op.params = params::query(params::LOG);
                    }
                    ops.push(op);
                }
            }
            SubresourceBody::Connect => {
                let mut paths = vec![self.connect_path(r, sub, path.clone(), scope, false)];
                if name == "proxy" {
                    paths.push(self.connect_path(r, sub, format!("{path}/{{path}}"), scope, true));
                }
                return paths;
            }
        }
        vec![PathItem {
            path,
            params: Self::path_params(r, true, true),
            operations: ops,
        }]
    }

    /// `exec`, `attach`, `portforward`, `proxy`: one operation per method,
    /// named like `connectCoreV1GetNamespacedPodExec`.
    fn connect_path(
        &self,
        r: &ServedResource,
        sub: &ServedSubresource,
        path: String,
        scope: &str,
        with_path: bool,
    ) -> PathItem {
        let suffix = format!(
            "{}{}",
            subresource_suffix(&sub.name),
            if with_path { "WithPath" } else { "" }
        );
        let target = Target {
            gvk: sub.gvk(),
            object: String::new(),
            list: String::new(),
            strategic_merge_patch: false,
        };
        let mut operations = Vec::new();
        for verb in &sub.verbs {
            let Some(method) = Method::for_connect_verb(verb) else {
                continue;
            };
            let shape = Shape {
                method,
                action: "connect",
                params: params::connect_params(&sub.name),
                body: Body::None,
                codes: &[OK],
                returns: Returns::Text,
                media: Media::Any,
            };
            let operation_id = format!(
                "connect{}{}{scope}{}{suffix}",
                self.group_id,
                method.id_word(),
                r.kind
            );
            let description = format!(
                "connect {} requests to {} of {}",
                method.as_str().to_uppercase(),
                sub.name,
                r.kind
            );
            operations.push(self.op(&shape, &target, operation_id, description));
        }
        let mut params = Self::path_params(r, true, false);
        if with_path {
            params.push(params::path("path", "path to the resource".into()));
        }
        PathItem {
            path,
            params,
            operations,
        }
    }
}
