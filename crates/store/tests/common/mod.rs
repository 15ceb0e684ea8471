//! Backends for the behavioural suite: each test gets a fresh store of the kind it asks for.

#![allow(dead_code)]

use std::sync::Arc;

use capstan_store::DynStore;
use capstan_store::embedded::SqliteStore;
use capstan_store::etcd::{EtcdConfig, EtcdStore};
use capstan_store::etcd_process::EtcdCluster;

/// A store plus whatever must live as long as it (temp dir, etcd process).
pub struct Backend {
    pub store: DynStore,
    pub dir: tempfile::TempDir,
    pub etcd: Option<EtcdCluster>,
}

pub fn embedded() -> Backend {
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::open(&dir.path().join("state.db")).unwrap();
    Backend {
        store: Arc::new(store),
        dir,
        etcd: None,
    }
}

pub async fn etcd() -> Backend {
    let dir = tempfile::tempdir().unwrap();
    let cluster = EtcdCluster::start(dir.path(), 1).expect("start etcd");
    let cfg = EtcdConfig {
        endpoints: cluster.client_urls(),
        ..Default::default()
    };
    let store = EtcdStore::connect(&cfg).await.expect("connect to etcd");
    Backend {
        store: Arc::new(store),
        dir,
        etcd: Some(cluster),
    }
}
