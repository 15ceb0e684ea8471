//! The cluster state store: a key-value store with etcd v3 semantics, as the API server needs them.
//!
//! * One global revision, bumped by every write; every key carries the revision that created it and
//!   the revision that last modified it.
//! * Reads at the latest or at a past revision (until compacted), prefix lists with a limit and a
//!   continuation key.
//! * Conditional writes (create-if-absent, update/delete conditioned on the key's mod revision); a
//!   failed condition returns the current value so the caller can report a conflict.
//! * Watches of a prefix from a revision: every later event in revision order, with previous values.
//! * Compaction of history older than a revision.
//!
//! Two backends implement [`Store`]: [`embedded::SqliteStore`] (the default, one file in the data
//! dir) and [`etcd::EtcdStore`] (a real etcd cluster, for HA).

pub mod bench;
pub mod compactor;
pub mod embedded;
pub mod etcd;
pub mod etcd_process;
mod watch_hub;

use std::fmt;
use std::pin::Pin;
use std::sync::Arc;

use async_trait::async_trait;
use bytes::Bytes;
use futures::Stream;

pub use compactor::{CompactorHandle, spawn_compactor};

/// A store revision. Revisions start at 1 for the first write; 0 means "before any write".
pub type Revision = i64;

/// One version of a key.
#[derive(Clone, PartialEq, Eq)]
pub struct KeyValue {
    pub key: String,
    pub value: Bytes,
    /// Revision of the write that created this incarnation of the key.
    pub create_revision: Revision,
    /// Revision of the write that produced this version.
    pub mod_revision: Revision,
}

impl fmt::Debug for KeyValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("KeyValue")
            .field("key", &self.key)
            .field("value_len", &self.value.len())
            .field("create_revision", &self.create_revision)
            .field("mod_revision", &self.mod_revision)
            .finish()
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EventKind {
    Put,
    Delete,
    /// No change: every event under the prefix up to `kv.mod_revision` has been delivered. Sent
    /// only by `watch_with_progress`, so a cache can tell it is current without a change of its own.
    Progress,
}

/// A change to one key, as a watcher sees it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Event {
    pub kind: EventKind,
    /// For puts, the new version. For deletes, the key with `mod_revision` set to the deleting
    /// revision, an empty value and `create_revision` 0 (as etcd reports tombstones).
    pub kv: KeyValue,
    /// The version this event replaced; always present for deletes.
    pub prev: Option<KeyValue>,
}

impl Event {
    pub fn revision(&self) -> Revision {
        self.kv.mod_revision
    }

    pub fn progress(revision: Revision) -> Event {
        Event {
            kind: EventKind::Progress,
            kv: KeyValue {
                key: String::new(),
                value: Bytes::new(),
                create_revision: 0,
                mod_revision: revision,
            },
            prev: None,
        }
    }
}

#[derive(Debug, thiserror::Error, Clone, PartialEq, Eq)]
pub enum StoreError {
    /// create: the key exists.
    #[error("key {} already exists", .current.key)]
    AlreadyExists { current: KeyValue },
    /// update/delete: the key's mod revision did not match (or the key is gone: `current` is None).
    #[error("precondition failed: key modified (current revision {})", .current.as_ref().map(|c| c.mod_revision).unwrap_or(0))]
    Conflict { current: Option<KeyValue> },
    /// delete/update of a key that does not exist, without a precondition.
    #[error("key not found")]
    NotFound,
    /// The requested revision has been compacted away.
    #[error("required revision {requested} has been compacted (compacted revision {compacted})")]
    Compacted {
        requested: Revision,
        compacted: Revision,
    },
    /// The requested revision has not happened yet.
    #[error("required revision {requested} is a future revision (current revision {current})")]
    FutureRevision {
        requested: Revision,
        current: Revision,
    },
    /// The backend could not be reached or failed.
    #[error("store unavailable: {message}")]
    Unavailable { message: String },
    /// The data on disk is unreadable.
    #[error("{message}")]
    Corrupt { message: String },
    #[error("store error: {message}")]
    Internal { message: String },
}

impl StoreError {
    pub(crate) fn internal(e: impl fmt::Display) -> Self {
        StoreError::Internal {
            message: e.to_string(),
        }
    }
}

pub type Result<T, E = StoreError> = std::result::Result<T, E>;

/// A page of a prefix list.
#[derive(Clone, Debug, Default)]
pub struct ListRequest {
    /// Keys starting with this prefix are listed, in key order.
    pub prefix: String,
    /// Start at this key (inclusive) instead of at the prefix; used to continue a paged list.
    pub start_key: Option<String>,
    /// Read at this revision (`None` = latest).
    pub revision: Option<Revision>,
    /// At most this many keys (0 = no limit).
    pub limit: usize,
}

#[derive(Clone, Debug, Default)]
pub struct ListResponse {
    pub kvs: Vec<KeyValue>,
    /// More keys follow the last one returned.
    pub more: bool,
    /// When `more`, how many keys follow the returned ones (at the read revision).
    pub remaining: i64,
    /// The revision the list was read at.
    pub revision: Revision,
}

#[derive(Clone, Debug)]
pub struct GetResponse {
    pub kv: Option<KeyValue>,
    /// The revision the read was served at.
    pub revision: Revision,
}

/// A stream of watch events; ends with `Err(Compacted)` if the watcher fell behind compaction,
/// or `Err(Unavailable)` if the backend went away.
pub type WatchStream = Pin<Box<dyn Stream<Item = Result<Event>> + Send>>;

#[async_trait]
pub trait Store: Send + Sync + 'static {
    /// Reads one key at the latest revision or at `revision`.
    async fn get(&self, key: &str, revision: Option<Revision>) -> Result<GetResponse>;

    /// Lists keys under a prefix, in key order.
    async fn list(&self, req: ListRequest) -> Result<ListResponse>;

    /// Creates the key if absent; returns the new version.
    async fn create(&self, key: &str, value: Bytes) -> Result<KeyValue>;

    /// Replaces the key's value if its mod revision is `expected_revision`.
    async fn update(
        &self,
        key: &str,
        value: Bytes,
        expected_revision: Revision,
    ) -> Result<KeyValue>;

    /// Deletes the key (if its mod revision is `expected_revision`, when given); returns the deleting
    /// revision and the deleted version.
    async fn delete(
        &self,
        key: &str,
        expected_revision: Option<Revision>,
    ) -> Result<(Revision, KeyValue)>;

    /// Watches keys under `prefix`: every event with revision greater than `after_revision`, in
    /// order, without gaps or duplicates.
    async fn watch(&self, prefix: &str, after_revision: Revision) -> Result<WatchStream>;

    /// Like `watch`, interleaved with `Progress` events that tell how far the stream has got even
    /// when nothing under the prefix changes (a cache uses them to serve consistent reads).
    async fn watch_with_progress(
        &self,
        prefix: &str,
        after_revision: Revision,
    ) -> Result<WatchStream> {
        self.watch(prefix, after_revision).await
    }

    /// Forgets history at and before `revision` except each key's latest version.
    async fn compact(&self, revision: Revision) -> Result<()>;

    /// The latest revision.
    async fn current_revision(&self) -> Result<Revision>;

    /// The revision history was last compacted at (0 if never).
    async fn compacted_revision(&self) -> Result<Revision>;

    /// A short name for logs and metrics ("sqlite", "etcd").
    fn backend_name(&self) -> &'static str;
}

pub type DynStore = Arc<dyn Store>;

/// Where the store lives, as chosen on the command line.
#[derive(Clone, Debug)]
pub enum StoreConfig {
    /// The embedded database file.
    Embedded { path: std::path::PathBuf },
    /// A real etcd cluster.
    Etcd(etcd::EtcdConfig),
}

/// Opens the configured backend.
pub async fn open(config: &StoreConfig) -> Result<DynStore> {
    match config {
        StoreConfig::Embedded { path } => {
            let path = path.clone();
            let store = tokio::task::spawn_blocking(move || embedded::SqliteStore::open(&path))
                .await
                .map_err(StoreError::internal)??;
            Ok(Arc::new(store))
        }
        StoreConfig::Etcd(cfg) => Ok(Arc::new(etcd::EtcdStore::connect(cfg).await?)),
    }
}

/// The smallest key greater than every key starting with `prefix` (etcd's "range end" for a prefix).
/// `None` when no such key exists (prefix of all 0xff bytes, or empty).
pub fn prefix_end(prefix: &str) -> Option<Vec<u8>> {
    let mut end = prefix.as_bytes().to_vec();
    while let Some(last) = end.pop() {
        if last < 0xff {
            end.push(last + 1);
            return Some(end);
        }
    }
    None
}
