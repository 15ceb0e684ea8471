//! get, list and watch.

use std::sync::Arc;
use std::time::Duration;

use base64::Engine;
use bytes::Bytes;
use capstan_apimachinery::{ApiError, fields, labels};
use capstan_store::{ListRequest, StoreError};
use http::Response;
use serde_json::{Map, Value, json};

use super::Ctx;
use crate::errors::store_error;
use crate::http_util::{Body, Representation, object_response};
use crate::render::{self, IncludeObject, Stored, TableOptions};
use crate::watch_cache::CachedObject;

/// How long a read waits for the cache to reach a requested revision before giving up (upstream
/// waits 3 s and answers 504 "Too large resource version").
const CACHE_WAIT: Duration = Duration::from_secs(3);

pub async fn get(ctx: &Ctx<'_>) -> Result<Response<Body>, ApiError> {
    let key = ctx.key();
    let rv = ctx.query.get("resourceVersion").unwrap_or("");
    let (bytes, rev) = if rv == "0" {
        // "Any" version: the cache's is fine.
        let cache = ctx.srv.cache(&ctx.res).await?;
        match cache.get(&key).0 {
            Some(o) => (o.bytes.clone(), o.rev),
            None => {
                return Err(ApiError::not_found(
                    &ctx.res.group_resource(),
                    &ctx.info.name,
                ));
            }
        }
    } else {
        let at = if rv.is_empty() {
            None
        } else {
            Some(parse_rv(rv)?)
        };
        let got = ctx
            .srv
            .store
            .get(&key, at)
            .await
            .map_err(|e| store_error(e, &ctx.res, &ctx.info.name))?;
        match got.kv {
            Some(kv) => (kv.value, kv.mod_revision),
            None => {
                return Err(ApiError::not_found(
                    &ctx.res.group_resource(),
                    &ctx.info.name,
                ));
            }
        }
    };
    let include = IncludeObject::parse(ctx.query.get("includeObject"))?;
    let body = render::render_object(
        &ctx.res,
        Stored { bytes: &bytes, rev },
        ctx.neg.representation,
        include,
    )?;
    Ok(object_response(200, body, &ctx.neg))
}

pub fn parse_rv(rv: &str) -> Result<i64, ApiError> {
    rv.parse::<i64>()
        .ok()
        .filter(|r| *r >= 0)
        .ok_or_else(|| ApiError::bad_request(&format!("invalid resource version: {rv:?}")))
}

/// Label and field selectors of a list or watch.
pub struct Filters {
    pub labels: labels::Selector,
    pub fields: fields::Selector,
}

impl Filters {
    pub fn from_ctx(ctx: &Ctx<'_>) -> Result<Filters, ApiError> {
        let labels = match ctx.query.get("labelSelector") {
            None | Some("") => labels::Selector::everything(),
            Some(s) => {
                labels::Selector::parse(s).map_err(|e| ApiError::bad_request(&e.to_string()))?
            }
        };
        let fields = match ctx.query.get("fieldSelector") {
            None | Some("") => fields::Selector::everything(),
            Some(s) => {
                fields::Selector::parse(s).map_err(|e| ApiError::bad_request(&e.to_string()))?
            }
        };
        let selectable = ctx.res.strategy.selectable_fields();
        for r in fields.requirements() {
            if !capstan_api::strategy::fields::is_selectable(selectable, &r.field) {
                return Err(ApiError::bad_request(&format!(
                    "field label not supported: {}",
                    r.field
                )));
            }
        }
        Ok(Filters { labels, fields })
    }

    pub fn is_empty(&self) -> bool {
        self.labels.is_empty() && self.fields.is_empty()
    }

    pub fn matches(&self, o: &CachedObject) -> bool {
        self.labels.matches(&o.labels)
            && self
                .fields
                .matches(&|f: &str| o.field(f).map(str::to_owned))
    }
}

/// A continue token: where a paged list stopped and the revision it reads at.
fn encode_continue(rev: i64, next_key: &str, prefix: &str) -> String {
    let start = next_key.strip_prefix(prefix).unwrap_or(next_key);
    let token = json!({"v": "meta.k8s.io/v1", "rv": rev, "start": start});
    base64::engine::general_purpose::URL_SAFE.encode(token.to_string())
}

fn decode_continue(token: &str, prefix: &str) -> Result<(i64, String), ApiError> {
    let bad = || {
        ApiError::bad_request(
            "continue key is not valid: continue key is not valid: illegal base64 data",
        )
    };
    let raw = base64::engine::general_purpose::URL_SAFE
        .decode(token)
        .or_else(|_| base64::engine::general_purpose::STANDARD.decode(token))
        .map_err(|_| bad())?;
    let v: Value = serde_json::from_slice(&raw).map_err(|_| bad())?;
    let rev = v.get("rv").and_then(Value::as_i64).ok_or_else(bad)?;
    let start = v.get("start").and_then(Value::as_str).ok_or_else(bad)?;
    if start.contains("..") || start.starts_with('/') {
        return Err(bad());
    }
    Ok((rev, format!("{prefix}{start}")))
}

struct Page {
    objects: Vec<Arc<CachedObject>>,
    revision: i64,
    continue_token: Option<String>,
    remaining: Option<i64>,
}

pub async fn list(ctx: &Ctx<'_>) -> Result<Response<Body>, ApiError> {
    let filters = Filters::from_ctx(ctx)?;
    let prefix = ctx.res.prefix(Some(&ctx.info.namespace));
    let limit = ctx.query.int("limit")?.unwrap_or(0).max(0) as usize;
    let rv = ctx.query.get("resourceVersion").unwrap_or("");
    let rv_match = ctx.query.get("resourceVersionMatch").unwrap_or("");
    let token = ctx.query.get("continue").filter(|t| !t.is_empty());
    if token.is_some() && !rv.is_empty() {
        return Err(ApiError::bad_request(
            "specifying resource version is not allowed when using continue",
        ));
    }
    match rv_match {
        "" | "NotOlderThan" | "Exact" => {}
        other => {
            return Err(ApiError::bad_request(&format!(
                "resourceVersionMatch: Unsupported value: {other:?}: supported values: \"Exact\", \"NotOlderThan\""
            )));
        }
    }
    if !rv_match.is_empty() && rv.is_empty() {
        return Err(ApiError::bad_request(
            "resourceVersionMatch is forbidden unless resourceVersion is provided",
        ));
    }

    let page = if let Some(token) = token {
        let (rev, start) = decode_continue(token, &prefix)?;
        store_page(ctx, &prefix, Some(start), Some(rev), limit, &filters).await?
    } else if rv_match == "Exact" {
        store_page(ctx, &prefix, None, Some(parse_rv(rv)?), limit, &filters).await?
    } else if limit > 0 && rv.is_empty() {
        // A consistent paged list reads the store, so every page comes from one revision.
        store_page(ctx, &prefix, None, None, limit, &filters).await?
    } else {
        let cache = ctx.srv.cache(&ctx.res).await?;
        let wanted = match rv {
            "" => Some(
                ctx.srv
                    .store
                    .current_revision()
                    .await
                    .map_err(|e| store_error(e, &ctx.res, ""))?,
            ),
            "0" => None,
            other => Some(parse_rv(other)?),
        };
        if let Some(wanted) = wanted
            && !cache.wait_for(wanted, CACHE_WAIT).await
        {
            return Err(ApiError::too_large_resource_version(
                wanted as u64,
                cache.revision() as u64,
                1,
            ));
        }
        let snap = cache.list(&prefix, |o| filters.matches(o));
        Page {
            objects: snap.objects,
            revision: snap.revision,
            continue_token: None,
            remaining: None,
        }
    };
    render_list(ctx, page)
}

/// One page from the store at a revision, filtered, continuing until `limit` objects match.
async fn store_page(
    ctx: &Ctx<'_>,
    prefix: &str,
    mut start: Option<String>,
    mut revision: Option<i64>,
    limit: usize,
    filters: &Filters,
) -> Result<Page, ApiError> {
    let selectable = ctx.res.strategy.selectable_fields();
    let mut objects = Vec::new();
    loop {
        let resp = ctx
            .srv
            .store
            .list(ListRequest {
                prefix: prefix.into(),
                start_key: start.clone(),
                revision,
                limit,
            })
            .await
            .map_err(|e| match e {
                StoreError::Compacted { .. } if ctx.query.get("continue").is_some() => {
                    ApiError::expired_continue(None)
                }
                StoreError::Compacted { .. } => ApiError::resource_expired(
                    "The resourceVersion for the provided list is too old.",
                ),
                e => store_error(e, &ctx.res, ""),
            })?;
        revision = Some(resp.revision);
        let page_len = resp.kvs.len();
        let mut last_key = resp.kvs.last().map(|kv| kv.key.clone());
        let mut stopped_early = false;
        for (i, kv) in resp.kvs.into_iter().enumerate() {
            let key = kv.key.clone();
            let o = CachedObject::from_kv(kv.key, kv.value, kv.mod_revision, selectable);
            if filters.matches(&o) {
                objects.push(Arc::new(o));
                if limit > 0 && objects.len() == limit {
                    // Full: the next page starts after this object.
                    stopped_early = i + 1 < page_len;
                    last_key = Some(key);
                    break;
                }
            }
        }
        let more = resp.more || stopped_early;
        let full = limit > 0 && objects.len() >= limit;
        if !more || limit == 0 || full {
            let continue_token = if more {
                last_key.map(|k| encode_continue(resp.revision, &format!("{k}\u{0}"), prefix))
            } else {
                None
            };
            let remaining = (resp.more && filters.is_empty()).then_some(resp.remaining);
            return Ok(Page {
                objects,
                revision: resp.revision,
                continue_token,
                remaining,
            });
        }
        start = last_key.map(|k| format!("{k}\u{0}"));
    }
}

fn list_meta(page: &Page) -> Map<String, Value> {
    let mut meta = Map::new();
    meta.insert("resourceVersion".into(), json!(page.revision.to_string()));
    if let Some(c) = &page.continue_token {
        meta.insert("continue".into(), json!(c));
    }
    if let Some(r) = page.remaining {
        meta.insert("remainingItemCount".into(), json!(r));
    }
    meta
}

fn render_list(ctx: &Ctx<'_>, page: Page) -> Result<Response<Body>, ApiError> {
    let res = &ctx.res;
    let meta = list_meta(&page);
    let body = match ctx.neg.representation {
        Representation::Object => {
            // Concatenated without re-encoding the objects.
            let mut out = Vec::with_capacity(
                page.objects
                    .iter()
                    .map(|o| o.bytes.len() + 32)
                    .sum::<usize>()
                    + 256,
            );
            out.extend_from_slice(
                format!(
                    "{{\"kind\":{},\"apiVersion\":{},\"metadata\":{},\"items\":[",
                    Value::String(res.list_kind.clone()),
                    Value::String(res.api_version()),
                    Value::Object(meta)
                )
                .as_bytes(),
            );
            for (i, o) in page.objects.iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                out.extend_from_slice(&render::object_bytes(
                    res,
                    Stored {
                        bytes: &o.bytes,
                        rev: o.rev,
                    },
                ));
            }
            out.extend_from_slice(b"]}");
            Bytes::from(out)
        }
        Representation::PartialMetadata(v) => {
            let mut out = Vec::with_capacity(page.objects.len() * 512 + 256);
            out.extend_from_slice(
                format!(
                    "{{\"kind\":\"PartialObjectMetadataList\",\"apiVersion\":\"meta.k8s.io/{v}\",\"metadata\":{},\"items\":[",
                    Value::Object(meta)
                )
                .as_bytes(),
            );
            for (i, o) in page.objects.iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                let stored = Stored {
                    bytes: &o.bytes,
                    rev: o.rev,
                };
                out.extend_from_slice(&render::partial_metadata_bytes(res, stored, v));
            }
            out.extend_from_slice(b"]}");
            Bytes::from(out)
        }
        Representation::Table(v) => {
            let objects: Vec<Value> = page
                .objects
                .iter()
                .map(|o| {
                    render::object_value(
                        res,
                        Stored {
                            bytes: &o.bytes,
                            rev: o.rev,
                        },
                    )
                })
                .collect::<Result<_, _>>()?;
            let include = IncludeObject::parse(ctx.query.get("includeObject"))?;
            let t = render::table(
                res,
                &objects,
                &TableOptions {
                    version: v,
                    include,
                    with_columns: true,
                },
                meta,
            )?;
            Bytes::from(serde_json::to_vec(&t).expect("json"))
        }
    };
    Ok(object_response(200, body, &ctx.neg))
}
