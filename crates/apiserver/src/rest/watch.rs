//! Watch: a stream of `{"type": …, "object": …}` events from the watch cache.

use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use capstan_api::ResourceInfo;
use capstan_apimachinery::ApiError;
use http::{Response, header};
use http_body::Frame;
use http_body_util::{BodyExt, StreamBody};
use serde_json::{Map, Value, json};
use tokio::sync::{broadcast, mpsc};

use super::Ctx;
use super::read::{Filters, parse_rv};
use crate::http_util::{Body, Representation};
use crate::render::{self, IncludeObject, Stored, TableOptions};
use crate::state::ApiServer;
use crate::watch_cache::{CacheEvent, CachedObject, EventType, WatchCache, WatchStart};
use capstan_store::EventKind;
use futures::StreamExt;

const BOOKMARK_EVERY: Duration = Duration::from_secs(60);

struct Watcher {
    res: Arc<ResourceInfo>,
    filters: Filters,
    prefix: String,
    repr: Representation,
    include: IncludeObject,
    bookmarks: bool,
    columns_sent: bool,
    tx: mpsc::Sender<Bytes>,
}

pub async fn watch(ctx: &Ctx<'_>) -> Result<Response<Body>, ApiError> {
    let filters = Filters::from_ctx(ctx)?;
    let cache = ctx.srv.cache(&ctx.res).await?;
    let rv = ctx.query.get("resourceVersion").unwrap_or("");
    let send_initial = ctx.query.flag("sendInitialEvents");
    let bookmarks = ctx.query.flag("allowWatchBookmarks");
    if send_initial && (!bookmarks || ctx.query.get("resourceVersionMatch") != Some("NotOlderThan"))
    {
        return Err(ApiError::bad_request(
            "sendInitialEvents requires allowWatchBookmarks=true and resourceVersionMatch=NotOlderThan",
        ));
    }
    let timeout = match ctx.query.int("timeoutSeconds")? {
        Some(t) if t > 0 => Duration::from_secs(t as u64),
        // Upstream picks a random timeout between the minimum request timeout and twice it, so
        // watchers do not all reconnect at once.
        _ => Duration::from_secs(1800 + rand::random::<u64>() % 1800),
    };
    let start_rev = match rv {
        "" | "0" => None,
        other => Some(parse_rv(other)?),
    };
    if let Some(r) = start_rev
        && r > cache.revision()
        && !cache.wait_for(r, Duration::from_secs(3)).await
    {
        return Err(ApiError::too_large_resource_version(
            r as u64,
            cache.revision() as u64,
            1,
        ));
    }
    // "Start at most recent" (unset/"0") replays the current state as ADDED, as does
    // sendInitialEvents; a given version replays what came after it.
    let start = if send_initial {
        cache.watch_from(None)
    } else {
        cache.watch_from(start_rev)
    };
    let (tx, rx) = mpsc::channel::<Bytes>(256);
    let mut w = Watcher {
        res: ctx.res.clone(),
        filters,
        prefix: ctx.res.prefix(Some(&ctx.info.namespace)),
        repr: ctx.neg.representation,
        include: IncludeObject::parse(ctx.query.get("includeObject"))?,
        bookmarks,
        columns_sent: false,
        tx,
    };
    ctx.srv.metrics.watch_opened();
    let srv = ctx.srv.clone();
    tokio::spawn(async move {
        if let WatchStart::TooOld { oldest } = start {
            // Older than the cache remembers (e.g. the server restarted since): the store's own
            // history may still reach back that far.
            let requested = start_rev.unwrap_or(0);
            w.run_from_store(&srv, requested, oldest, timeout).await;
        } else {
            w.run(start, cache, timeout, send_initial, start_rev.unwrap_or(0))
                .await;
        }
        srv.metrics.watch_closed();
    });
    let stream = futures::stream::unfold(rx, |mut rx| async move {
        rx.recv()
            .await
            .map(|b| (Ok::<_, std::io::Error>(Frame::data(b)), rx))
    });
    Ok(Response::builder()
        .status(200)
        .header(header::CONTENT_TYPE, "application/json")
        .header(header::CACHE_CONTROL, "no-cache, private")
        .body(BodyExt::boxed(StreamBody::new(stream)))
        .expect("valid response"))
}

impl Watcher {
    async fn run(
        &mut self,
        start: WatchStart,
        cache: Arc<WatchCache>,
        timeout: Duration,
        send_initial: bool,
        requested: i64,
    ) {
        let deadline = tokio::time::sleep(timeout);
        tokio::pin!(deadline);
        let (replay, mut live, mut last) = match start {
            WatchStart::TooOld { oldest } => {
                let _ = self
                    .send_error(ApiError::too_old_resource_version(
                        requested as u64,
                        oldest as u64,
                    ))
                    .await;
                return;
            }
            WatchStart::Events {
                replay,
                live,
                revision,
            } => (replay, live, revision),
        };
        for e in replay {
            if self.send_event(&e).await.is_err() {
                return;
            }
        }
        if send_initial && self.bookmark(last, true).await.is_err() {
            return;
        }
        let mut ticker = tokio::time::interval(BOOKMARK_EVERY);
        ticker.tick().await;
        loop {
            tokio::select! {
                _ = &mut deadline => return,
                _ = self.tx.closed() => return,
                _ = ticker.tick(), if self.bookmarks => {
                    last = last.max(cache.revision());
                    if self.bookmark(last, false).await.is_err() {
                        return;
                    }
                }
                received = live.recv() => match received {
                    Ok(e) => {
                        if e.revision() <= last {
                            continue;
                        }
                        last = e.revision();
                        if self.send_event(&e).await.is_err() {
                            return;
                        }
                    }
                    // Fell too far behind the cache's fan-out: end the watch; the client resumes
                    // from the last resourceVersion it saw.
                    Err(broadcast::error::RecvError::Lagged(_)) | Err(broadcast::error::RecvError::Closed) => return,
                },
            }
        }
    }

    /// Follows the store directly from `requested` (used when the cache's window starts later).
    async fn run_from_store(
        &mut self,
        srv: &ApiServer,
        requested: i64,
        oldest: i64,
        timeout: Duration,
    ) {
        let mut stream = match srv.store.watch(&self.prefix, requested).await {
            Ok(s) => s,
            Err(_) => {
                let _ = self
                    .send_error(ApiError::too_old_resource_version(
                        requested as u64,
                        oldest as u64,
                    ))
                    .await;
                return;
            }
        };
        let selectable = self.res.strategy.selectable_fields();
        let deadline = tokio::time::sleep(timeout);
        tokio::pin!(deadline);
        loop {
            let next = tokio::select! {
                _ = &mut deadline => return,
                _ = self.tx.closed() => return,
                n = stream.next() => n,
            };
            let event = match next {
                Some(Ok(e)) => e,
                Some(Err(capstan_store::StoreError::Compacted { compacted, .. })) => {
                    let _ = self
                        .send_error(ApiError::too_old_resource_version(
                            requested as u64,
                            compacted as u64,
                        ))
                        .await;
                    return;
                }
                _ => return,
            };
            let rev = event.revision();
            let prev = event.prev.map(|p| {
                Arc::new(CachedObject::from_kv(
                    p.key,
                    p.value,
                    p.mod_revision,
                    selectable,
                ))
            });
            let cache_event = match event.kind {
                EventKind::Put => CacheEvent {
                    kind: if prev.is_some() {
                        EventType::Modified
                    } else {
                        EventType::Added
                    },
                    object: Arc::new(CachedObject::from_kv(
                        event.kv.key,
                        event.kv.value,
                        rev,
                        selectable,
                    )),
                    prev,
                },
                EventKind::Delete => match prev {
                    Some(p) => CacheEvent {
                        kind: EventType::Deleted,
                        object: Arc::new(CachedObject::from_kv(
                            p.key.clone(),
                            p.bytes.clone(),
                            rev,
                            selectable,
                        )),
                        prev: Some(p),
                    },
                    None => continue,
                },
                EventKind::Progress => continue,
            };
            if self.send_event(&cache_event).await.is_err() {
                return;
            }
        }
    }

    /// Applies the selectors: an object entering them is ADDED, leaving them is DELETED.
    async fn send_event(&mut self, e: &CacheEvent) -> Result<(), ()> {
        if !e.object.key.starts_with(&self.prefix) {
            return Ok(());
        }
        let now = self.filters.matches(&e.object);
        let before = e.prev.as_ref().is_some_and(|p| self.filters.matches(p));
        let kind = match e.kind {
            EventType::Deleted if before => EventType::Deleted,
            EventType::Deleted => return Ok(()),
            EventType::Modified if now && before => EventType::Modified,
            EventType::Modified if now => EventType::Added,
            EventType::Modified if before => EventType::Deleted,
            EventType::Added if now => EventType::Added,
            _ => return Ok(()),
        };
        let object = self.render(&e.object.bytes, e.object.rev);
        self.send_line(kind.as_str(), object).await
    }

    fn render(&mut self, bytes: &[u8], rev: i64) -> Bytes {
        let stored = Stored { bytes, rev };
        match self.repr {
            Representation::Object => render::object_bytes(&self.res, stored),
            Representation::PartialMetadata(v) => {
                render::partial_metadata_bytes(&self.res, stored, v)
            }
            Representation::Table(v) => {
                let with_columns = !self.columns_sent;
                self.columns_sent = true;
                let table = render::object_value(&self.res, stored).and_then(|obj| {
                    let mut meta = Map::new();
                    meta.insert("resourceVersion".into(), json!(rev.to_string()));
                    render::table(
                        &self.res,
                        std::slice::from_ref(&obj),
                        &TableOptions {
                            version: v,
                            include: self.include,
                            with_columns,
                        },
                        meta,
                    )
                });
                match table {
                    Ok(t) => Bytes::from(serde_json::to_vec(&t).expect("json")),
                    Err(e) => Bytes::from(e.to_status_json_string()),
                }
            }
        }
    }

    async fn bookmark(&self, rev: i64, initial_events_end: bool) -> Result<(), ()> {
        let mut meta = json!({"resourceVersion": rev.to_string()});
        if initial_events_end {
            meta["annotations"] = json!({"k8s.io/initial-events-end": "true"});
        }
        let object =
            json!({"kind": self.res.kind, "apiVersion": self.res.api_version(), "metadata": meta});
        self.send_line("BOOKMARK", Bytes::from(object.to_string()))
            .await
    }

    async fn send_error(&self, e: ApiError) -> Result<(), ()> {
        self.send_line("ERROR", Bytes::from(e.to_status_json_string()))
            .await
    }

    async fn send_line(&self, kind: &str, object: Bytes) -> Result<(), ()> {
        let mut line = Vec::with_capacity(object.len() + 32);
        line.extend_from_slice(b"{\"type\":");
        line.extend_from_slice(Value::String(kind.into()).to_string().as_bytes());
        line.extend_from_slice(b",\"object\":");
        line.extend_from_slice(&object);
        line.extend_from_slice(b"}\n");
        self.tx.send(Bytes::from(line)).await.map_err(|_| ())
    }
}
