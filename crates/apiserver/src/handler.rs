//! Request routing: authentication, non-resource endpoints, discovery, then the REST handlers.

use std::sync::Arc;
use std::time::Instant;

use bytes::Bytes;
use capstan_apimachinery::ApiError;
use http::{Method, Request, Response, header};
use http_body_util::{BodyExt, Limited};
use serde_json::json;

use crate::discovery;
use crate::http_util::{Body, negotiate, status_response, text_response, value_response};
use crate::request::{Query, parse_resource_path};
use crate::rest::{self, Ctx};
use crate::state::ApiServer;

/// Who is asking.
#[derive(Clone, Debug)]
pub struct User {
    pub name: String,
    pub groups: Vec<String>,
}

/// 404 for a path nothing serves, as upstream words it.
pub fn path_not_found() -> ApiError {
    let mut e = ApiError::new(
        404,
        "NotFound",
        "the server could not find the requested resource",
    );
    e.details = Some(Default::default());
    e
}

pub async fn handle<B>(srv: Arc<ApiServer>, req: Request<B>, user: Option<User>) -> Response<Body>
where
    B: http_body::Body<Data = Bytes> + Send + 'static,
    B::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
{
    let started = Instant::now();
    let method = req.method().clone();
    let path = req.uri().path().to_owned();
    // Without a client certificate, a node agent may present the join token.
    let user = user.or_else(|| {
        let authorization = req
            .headers()
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok());
        srv.nodes.authenticate(authorization)
    });
    let (resp, verb, resource) = route(&srv, req, user).await;
    let resp = resp.unwrap_or_else(|e| status_response(&e));
    srv.metrics
        .observe_request(&verb, &resource, resp.status().as_u16(), started.elapsed());
    tracing::debug!(%method, %path, code = resp.status().as_u16(), elapsed = ?started.elapsed(), "request");
    resp
}

/// Non-resource endpoints anyone may read, as upstream's `system:public-info-viewer` allows, plus
/// the CA bundle a joining agent checks against its token (as k3s serves it).
fn is_public(path: &str) -> bool {
    matches!(
        path,
        "/healthz" | "/livez" | "/readyz" | "/version" | "/cacerts"
    ) || path.starts_with("/healthz/")
        || path.starts_with("/livez/")
        || path.starts_with("/readyz/")
}

async fn route<B>(
    srv: &Arc<ApiServer>,
    req: Request<B>,
    user: Option<User>,
) -> (Result<Response<Body>, ApiError>, String, String)
where
    B: http_body::Body<Data = Bytes> + Send + 'static,
    B::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
{
    let path = req.uri().path().to_owned();
    let method = req.method().clone();
    let query = Query::parse(req.uri().query());
    let verb_label = method.as_str().to_owned();
    if !is_public(&path) {
        match &user {
            None => {
                return (
                    Err(ApiError::unauthorized("Unauthorized")),
                    verb_label,
                    String::new(),
                );
            }
            // Until RBAC lands, only cluster administrators (the admin certificate) and node
            // agents (the join token) are allowed.
            Some(u)
                if !u
                    .groups
                    .iter()
                    .any(|g| g == "system:masters" || g == "system:nodes") =>
            {
                let message = format!(
                    "User {:?} cannot {} path {:?}: only members of system:masters are authorized",
                    u.name,
                    method.as_str().to_lowercase(),
                    path
                );
                return (
                    Err(ApiError::new(403, "Forbidden", message)),
                    verb_label,
                    String::new(),
                );
            }
            Some(_) => {}
        }
    }
    let accept = req
        .headers()
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);

    // Non-resource paths.
    if let Some(resp) = non_resource(srv, &method, &path, &query, accept.as_deref()).await {
        return (resp, verb_label, String::new());
    }
    let Some(info) = parse_resource_path(&path, &method, &query) else {
        return (Err(path_not_found()), verb_label, String::new());
    };
    let verb_label = if info.verb == "watch" {
        "WATCH".to_owned()
    } else {
        verb_label
    };
    let registry = srv.registry();
    let Some(res) = registry
        .get(&info.group, &info.version, &info.resource)
        .cloned()
    else {
        return (Err(path_not_found()), verb_label, info.resource);
    };
    let resource_label = info.resource.clone();
    if let Some(why) = &res.unavailable {
        return (
            Err(ApiError::service_unavailable(why)),
            verb_label,
            resource_label,
        );
    }
    let neg = match negotiate(accept.as_deref()) {
        Ok(n) => n,
        Err(e) => return (Err(e), verb_label, resource_label),
    };
    let content_type = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let user_agent = req
        .headers()
        .get(header::USER_AGENT)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_owned();
    let body = match read_body(req).await {
        Ok(b) => b,
        Err(e) => return (Err(e), verb_label, resource_label),
    };
    let ctx = Ctx {
        srv,
        res,
        info,
        query,
        neg,
        content_type,
        user_agent,
    };
    (rest::dispatch(ctx, body).await, verb_label, resource_label)
}

async fn read_body<B>(req: Request<B>) -> Result<Bytes, ApiError>
where
    B: http_body::Body<Data = Bytes> + Send + 'static,
    B::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
{
    let limited = Limited::new(req.into_body(), rest::body::MAX_BODY_BYTES);
    match limited.collect().await {
        Ok(c) => Ok(c.to_bytes()),
        Err(e)
            if e.downcast_ref::<http_body_util::LengthLimitError>()
                .is_some() =>
        {
            Err(ApiError::request_entity_too_large(&format!(
                "limit is {}",
                rest::body::MAX_BODY_BYTES
            )))
        }
        Err(e) => Err(ApiError::bad_request(&format!(
            "error reading request body: {e}"
        ))),
    }
}

async fn non_resource(
    srv: &Arc<ApiServer>,
    method: &Method,
    path: &str,
    query: &Query,
    accept: Option<&str>,
) -> Option<Result<Response<Body>, ApiError>> {
    let registry = srv.registry();
    let get = *method == Method::GET || *method == Method::HEAD;
    let trimmed = path.trim_end_matches('/');
    let resp = match trimmed {
        "/version" if get => Ok(value_response(200, &version_doc(srv))),
        "/cacerts" if get => Ok(text_response(
            200,
            "text/plain; charset=utf-8",
            srv.nodes.ca_pem.clone(),
        )),
        "/healthz" | "/livez" | "/readyz" if get => Ok(health(trimmed, query.flag("verbose"))),
        _ if get
            && (path.starts_with("/healthz/")
                || path.starts_with("/livez/")
                || path.starts_with("/readyz/")) =>
        {
            Ok(text_response(200, "text/plain; charset=utf-8", "ok"))
        }
        "/metrics" if get => {
            let sizes = srv.cache_sizes().await;
            Ok(text_response(
                200,
                "text/plain; version=0.0.4",
                srv.metrics.render(&sizes),
            ))
        }
        "/api" if get => Ok(match discovery::aggregated_version(accept) {
            Some(v) => {
                discovery::aggregated_response(&discovery::aggregated(&registry, true, v), v)
            }
            None => discovery::plain(&discovery::api_versions(&srv.version.server_address)),
        }),
        "/apis" if get => Ok(match discovery::aggregated_version(accept) {
            Some(v) => {
                discovery::aggregated_response(&discovery::aggregated(&registry, false, v), v)
            }
            None => discovery::plain(&discovery::group_list(&registry)),
        }),
        "/openapi/v2" if get => Ok(crate::openapi_http::v2(srv, accept)),
        p if get && (p == "/openapi/v3" || p.starts_with("/openapi/v3/")) => {
            crate::openapi_http::v3(srv, p, query)
        }
        p => {
            let parts: Vec<&str> = p.trim_start_matches('/').split('/').collect();
            match parts.as_slice() {
                ["api", v] if get => discovery::resource_list(&registry, "", v)
                    .map(|d| discovery::plain(&d))
                    .ok_or_else(path_not_found),
                ["apis", g] if get => discovery::group(&registry, g)
                    .map(|d| discovery::plain(&d))
                    .ok_or_else(path_not_found),
                ["apis", g, v] if get => discovery::resource_list(&registry, g, v)
                    .map(|d| discovery::plain(&d))
                    .ok_or_else(path_not_found),
                ["api"] | ["api", _] | ["apis"] | ["apis", _] | ["apis", _, _] | ["version"] => {
                    Err(ApiError::method_not_supported(
                        &capstan_apimachinery::GroupResource::new("", ""),
                        method.as_str(),
                    ))
                }
                _ => return None,
            }
        }
    };
    Some(resp)
}

fn version_doc(srv: &ApiServer) -> serde_json::Value {
    let v = &srv.version;
    json!({
        "major": "1",
        "minor": "33",
        "gitVersion": v.git_version,
        "gitCommit": v.git_commit,
        "gitTreeState": "clean",
        "buildDate": v.build_date,
        "goVersion": "go1.24.0",
        "compiler": "gc",
        "platform": format!("linux/{}", crate::arch()),
    })
}

/// The checks kube-apiserver lists for `?verbose`.
const HEALTH_CHECKS: &[&str] = &[
    "ping",
    "log",
    "etcd",
    "poststarthook/start-apiextensions-controllers",
    "poststarthook/bootstrap-controller",
];

fn health(path: &str, verbose: bool) -> Response<Body> {
    if !verbose {
        return text_response(200, "text/plain; charset=utf-8", "ok");
    }
    let mut out = String::new();
    for check in HEALTH_CHECKS {
        out.push_str(&format!("[+]{check} ok\n"));
    }
    let name = &path[1..];
    out.push_str(&format!("{name} check passed\n"));
    text_response(200, "text/plain; charset=utf-8", out)
}
