//! /openapi/v2 and /openapi/v3 over HTTP.

use http::{Response, header};

use crate::http_util::{Body, full};
use crate::request::Query;
use crate::state::ApiServer;
use capstan_apimachinery::ApiError;

/// The protobuf form kubectl 1.27/1.28 insist on; the response type uses a dot where the request
/// used `@`, as kube-apiserver's does (Go's mime parser rejects the `@` form).
const V2_PROTOBUF_REQUEST: &str = "application/com.github.proto-openapi.spec.v2@v1.0+protobuf";
const V2_PROTOBUF_RESPONSE: &str = "application/com.github.proto-openapi.spec.v2.v1.0+protobuf";

pub fn v2(srv: &ApiServer, accept: Option<&str>) -> Response<Body> {
    let wants_protobuf = accept.is_some_and(|a| {
        a.split(',').next().is_some_and(|first| {
            let first = first.split(';').next().unwrap_or("").trim();
            first == V2_PROTOBUF_REQUEST || first == V2_PROTOBUF_RESPONSE
        })
    });
    if wants_protobuf {
        // An empty protobuf Document: kubectl then validates on the server (fieldValidation,
        // found through /openapi/v3) and computes patches from its built-in types.
        return Response::builder()
            .status(200)
            .header(header::CONTENT_TYPE, V2_PROTOBUF_RESPONSE)
            .body(full(Vec::new()))
            .expect("valid response");
    }
    crate::http_util::json_response(200, srv.openapi.v2_document())
}

pub fn v3(srv: &ApiServer, path: &str, query: &Query) -> Result<Response<Body>, ApiError> {
    if path == "/openapi/v3" {
        return Ok(crate::http_util::json_response(200, srv.openapi.v3_index()));
    }
    let key = path.trim_start_matches("/openapi/v3/");
    let Some((doc, hash)) = srv.openapi.v3_document(key) else {
        return Err(crate::handler::path_not_found());
    };
    match query.get("hash") {
        // A stale link (the document changed): send the client to the current one.
        Some(h) if !h.is_empty() && h != hash => Ok(Response::builder()
            .status(301)
            .header(header::LOCATION, format!("/openapi/v3/{key}?hash={hash}"))
            .body(full(Vec::new()))
            .expect("valid response")),
        given => {
            let mut b = Response::builder()
                .status(200)
                .header(header::CONTENT_TYPE, "application/json")
                .header(header::ETAG, format!("\"{hash}\""))
                .header(header::VARY, "Accept");
            if given.is_some() {
                b = b.header(header::CACHE_CONTROL, "public, immutable");
            }
            Ok(b.body(full(doc)).expect("valid response"))
        }
    }
}
