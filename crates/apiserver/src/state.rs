//! The API server's shared state: the store, what is served, and the watch caches.

use std::collections::HashMap;
use std::sync::Arc;

use capstan_api::{Registry, ResourceInfo};
use capstan_apimachinery::ApiError;
use capstan_store::DynStore;
use parking_lot::RwLock;
use tokio::sync::Mutex;

use crate::allocator::ServiceAllocators;
use crate::watch_cache::WatchCache;

pub struct ApiServer {
    pub store: DynStore,
    registry: RwLock<Arc<Registry>>,
    /// The built-in resources (custom resources are added to a copy of this).
    builtin: Registry,
    /// What the served custom resources were built from, to rebuild only on change.
    custom_fingerprint: parking_lot::Mutex<String>,
    /// One cache per stored group-resource, started on first use. Looked up on most requests,
    /// so a plain lock; `starting` serializes the (rare) starts.
    caches: RwLock<HashMap<String, Arc<WatchCache>>>,
    starting: Mutex<()>,
    pub allocators: ServiceAllocators,
    pub version: VersionInfo,
    pub openapi: crate::openapi::OpenApiDocs,
    pub metrics: Arc<crate::metrics::Metrics>,
    pub field_managers: crate::field_manager::FieldManagers,
    /// The join token and the way to the node agents.
    pub nodes: crate::nodes::NodeAccess,
}

#[derive(Clone, Debug)]
pub struct VersionInfo {
    /// host:port clients reach the API at (discovery's serverAddressByClientCIDRs).
    pub server_address: String,
    pub git_version: String,
    pub git_commit: String,
    pub build_date: String,
}

impl ApiServer {
    pub fn new(
        store: DynStore,
        registry: Registry,
        allocators: ServiceAllocators,
        version: VersionInfo,
        metrics: Arc<crate::metrics::Metrics>,
        nodes: crate::nodes::NodeAccess,
    ) -> ApiServer {
        let openapi = crate::openapi::OpenApiDocs::new(&registry);
        ApiServer {
            store,
            builtin: registry.clone(),
            custom_fingerprint: parking_lot::Mutex::new(String::new()),
            registry: RwLock::new(Arc::new(registry)),
            caches: RwLock::new(HashMap::new()),
            starting: Mutex::new(()),
            allocators,
            version,
            openapi,
            metrics,
            field_managers: Default::default(),
            nodes,
        }
    }

    pub fn registry(&self) -> Arc<Registry> {
        self.registry.read().clone()
    }

    pub fn custom_fingerprint_is(&self, fingerprint: &str) -> bool {
        *self.custom_fingerprint.lock() == fingerprint
    }

    pub fn builtin_registry(&self) -> Registry {
        self.builtin.clone()
    }

    /// Serves `registry` (the built-ins plus custom resources) if `fingerprint` — what it was built
    /// from — changed. Caches of custom resources are dropped so they restart with the new rules.
    pub fn set_custom_registry(&self, registry: Registry, fingerprint: String) {
        let mut current = self.custom_fingerprint.lock();
        if *current == fingerprint {
            return;
        }
        *current = fingerprint;
        self.openapi.rebuild(&registry);
        let builtin_prefixes: std::collections::HashSet<String> =
            self.builtin.all().iter().map(|r| r.prefix(None)).collect();
        self.caches
            .write()
            .retain(|prefix, _| builtin_prefixes.contains(prefix));
        *self.registry.write() = Arc::new(registry);
    }

    /// The watch cache of a resource's storage, started if needed.
    pub async fn cache(&self, res: &ResourceInfo) -> Result<Arc<WatchCache>, ApiError> {
        let prefix = res.prefix(None);
        if let Some(c) = self.caches.read().get(&prefix) {
            return Ok(c.clone());
        }
        let _starting = self.starting.lock().await;
        if let Some(c) = self.caches.read().get(&prefix) {
            return Ok(c.clone());
        }
        let cache = WatchCache::start(
            self.store.clone(),
            prefix.clone(),
            res.strategy.selectable_fields(),
        )
        .await
        .map_err(|e| crate::errors::store_error(e, res, ""))?;
        self.caches.write().insert(prefix, cache.clone());
        Ok(cache)
    }

    /// Sizes of the running caches, for metrics.
    pub async fn cache_sizes(&self) -> Vec<(String, usize)> {
        self.caches
            .read()
            .iter()
            .map(|(k, c)| (k.clone(), c.len()))
            .collect()
    }
}
