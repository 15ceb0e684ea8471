//! The REST handlers for resources, driven by the registry: one generic implementation of each verb
//! (as upstream's generic registry store), with subresources dispatched by name.

pub mod body;
pub mod delete;
pub mod logs;
pub mod meta;
pub mod patch;
pub mod read;
pub mod subresources;
pub mod watch;
pub mod write;

use std::sync::Arc;

use bytes::Bytes;
use capstan_api::ResourceInfo;
use capstan_apimachinery::ApiError;
use http::Response;

use crate::http_util::{Body, Negotiated};
use crate::request::{Query, RequestInfo};
use crate::state::ApiServer;

/// Everything a handler needs about one request.
pub struct Ctx<'a> {
    pub srv: &'a Arc<ApiServer>,
    pub res: Arc<ResourceInfo>,
    pub info: RequestInfo,
    pub query: Query,
    pub neg: Negotiated,
    pub content_type: Option<String>,
    /// The client's User-Agent (names the field manager when the request does not).
    pub user_agent: String,
}

impl Ctx<'_> {
    /// The store key of the addressed object.
    pub fn key(&self) -> String {
        self.res.key(&self.info.namespace, &self.info.name)
    }
}

pub async fn dispatch(ctx: Ctx<'_>, body: Bytes) -> Result<Response<Body>, ApiError> {
    let res = ctx.res.clone();
    let verb = ctx.info.verb.as_str();
    if !ctx.info.subresource.is_empty() {
        return subresources::dispatch(&ctx, body).await;
    }
    if !res.has_verb(verb) {
        return Err(ApiError::method_not_supported(&res.group_resource(), verb));
    }
    if res.namespaced && ctx.info.namespace.is_empty() && matches!(verb, "create") {
        return Err(ApiError::bad_request(
            "the server could not find the requested resource",
        ));
    }
    match verb {
        "get" => read::get(&ctx).await,
        "list" => read::list(&ctx).await,
        "watch" => watch::watch(&ctx).await,
        "create" => write::create(&ctx, body).await,
        "update" => write::update(&ctx, body, write::Target::Main).await,
        "patch" => write::patch(&ctx, body, write::Target::Main).await,
        "delete" => delete::delete(&ctx, body).await,
        "deletecollection" => delete::delete_collection(&ctx, body).await,
        other => Err(ApiError::method_not_supported(&res.group_resource(), other)),
    }
}
