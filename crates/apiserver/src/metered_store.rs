//! A `Store` that records each operation's latency for /metrics (upstream's
//! `etcd_request_duration_seconds`), wrapping the real backend.

use std::sync::Arc;
use std::time::Instant;

use async_trait::async_trait;
use bytes::Bytes;
use capstan_store::{
    DynStore, GetResponse, KeyValue, ListRequest, ListResponse, Result, Revision, Store,
    WatchStream,
};

use crate::metrics::Metrics;

pub struct MeteredStore {
    inner: DynStore,
    metrics: Arc<Metrics>,
}

impl MeteredStore {
    pub fn wrap(inner: DynStore, metrics: Arc<Metrics>) -> DynStore {
        Arc::new(MeteredStore { inner, metrics })
    }

    fn done<T>(&self, op: &'static str, started: Instant, r: Result<T>) -> Result<T> {
        self.metrics.observe_store(op, started.elapsed(), r.is_ok());
        r
    }
}

#[async_trait]
impl Store for MeteredStore {
    async fn get(&self, key: &str, revision: Option<Revision>) -> Result<GetResponse> {
        let t = Instant::now();
        let r = self.inner.get(key, revision).await;
        self.done("get", t, r)
    }

    async fn list(&self, req: ListRequest) -> Result<ListResponse> {
        let t = Instant::now();
        let r = self.inner.list(req).await;
        self.done("list", t, r)
    }

    async fn create(&self, key: &str, value: Bytes) -> Result<KeyValue> {
        let t = Instant::now();
        let r = self.inner.create(key, value).await;
        self.done("create", t, r)
    }

    async fn update(&self, key: &str, value: Bytes, expected: Revision) -> Result<KeyValue> {
        let t = Instant::now();
        let r = self.inner.update(key, value, expected).await;
        self.done("update", t, r)
    }

    async fn delete(&self, key: &str, expected: Option<Revision>) -> Result<(Revision, KeyValue)> {
        let t = Instant::now();
        let r = self.inner.delete(key, expected).await;
        self.done("delete", t, r)
    }

    async fn watch(&self, prefix: &str, after: Revision) -> Result<WatchStream> {
        self.inner.watch(prefix, after).await
    }

    async fn watch_with_progress(&self, prefix: &str, after: Revision) -> Result<WatchStream> {
        self.inner.watch_with_progress(prefix, after).await
    }

    async fn compact(&self, revision: Revision) -> Result<()> {
        let t = Instant::now();
        let r = self.inner.compact(revision).await;
        self.done("compact", t, r)
    }

    async fn current_revision(&self) -> Result<Revision> {
        self.inner.current_revision().await
    }

    async fn compacted_revision(&self) -> Result<Revision> {
        self.inner.compacted_revision().await
    }

    fn backend_name(&self) -> &'static str {
        self.inner.backend_name()
    }
}
