//! The embedded backend: one SQLite database (WAL mode, `synchronous=FULL`) in the data dir.
//!
//! Layout (see `schema.rs`): `log` and `vals` hold every version of every key by revision (the
//! history that watches and past-revision reads need), appended in revision order. The live keys
//! are indexed in memory (`index.rs`), rebuilt from the log at start-up, so conditional writes need
//! no reads and every write is appends only.
//!
//! All writes go through one writer thread that group-commits whatever is queued: one transaction,
//! one fsync, many writes. A write is acknowledged only after its transaction is durable. Readers
//! use their own connections (WAL lets them run beside the writer).

mod checkpointer;
mod file_check;
mod index;
mod reader;
mod schema;
mod writer;

use std::path::{Path, PathBuf};
use std::sync::Arc;

use async_trait::async_trait;
use bytes::Bytes;
use tokio::sync::oneshot;

use crate::watch_hub::WatchHub;
use crate::{
    GetResponse, KeyValue, ListRequest, ListResponse, Result, Revision, Store, StoreError,
    WatchStream,
};
use reader::ReadPool;
use writer::{WriteOp, WriterHandle};

pub struct SqliteStore {
    path: PathBuf,
    reads: Arc<ReadPool>,
    writer: WriterHandle,
    hub: Arc<WatchHub>,
    _checkpointer: checkpointer::CheckpointerHandle,
}

impl SqliteStore {
    /// Opens (creating if needed) the database at `path`. Blocking.
    ///
    /// A file that is not a healthy Capstan database is an error naming the file; it is never
    /// silently replaced by an empty store.
    pub fn open(path: &Path) -> Result<SqliteStore> {
        Self::open_with_hub(path, WatchHub::new())
    }

    fn open_with_hub(path: &Path, hub: WatchHub) -> Result<SqliteStore> {
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).map_err(|e| StoreError::Corrupt {
                message: format!("cannot create store directory {}: {e}", dir.display()),
            })?;
        }
        file_check::check_existing_file(path)?;
        let conn = schema::open_writer_connection(path)?;
        let revision = schema::read_meta(&conn, "revision").map_err(schema::sqlite_err(path))?;
        let compacted = schema::read_meta(&conn, "compacted").map_err(schema::sqlite_err(path))?;
        let index = Arc::new(
            index::Index::load(&conn, revision, compacted).map_err(schema::sqlite_err(path))?,
        );
        let hub = Arc::new(hub);
        let wal = PathBuf::from(format!("{}-wal", path.display()));
        let writer = writer::spawn(conn, index.clone(), hub.clone(), wal)?;
        let reads = Arc::new(ReadPool::new(path.to_owned(), index));
        let checkpointer = checkpointer::spawn(path)?;
        Ok(SqliteStore {
            path: path.to_owned(),
            reads,
            writer,
            hub,
            _checkpointer: checkpointer,
        })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    async fn write<T>(
        &self,
        make: impl FnOnce(oneshot::Sender<Result<T>>) -> WriteOp,
    ) -> Result<T> {
        let (reply, answer) = oneshot::channel();
        self.writer.submit(make(reply))?;
        answer.await.map_err(|_| StoreError::Unavailable {
            message: "store writer stopped".into(),
        })?
    }

    async fn read<T: Send + 'static>(
        &self,
        f: impl FnOnce(&ReadPool) -> Result<T> + Send + 'static,
    ) -> Result<T> {
        let reads = self.reads.clone();
        tokio::task::spawn_blocking(move || f(&reads))
            .await
            .map_err(StoreError::internal)?
    }
}

#[async_trait]
impl Store for SqliteStore {
    async fn get(&self, key: &str, revision: Option<Revision>) -> Result<GetResponse> {
        let key = key.to_owned();
        self.read(move |r| r.get(&key, revision)).await
    }

    async fn list(&self, req: ListRequest) -> Result<ListResponse> {
        self.read(move |r| r.list(&req)).await
    }

    async fn create(&self, key: &str, value: Bytes) -> Result<KeyValue> {
        let key = key.to_owned();
        self.write(|reply| WriteOp::Create { key, value, reply })
            .await
    }

    async fn update(
        &self,
        key: &str,
        value: Bytes,
        expected_revision: Revision,
    ) -> Result<KeyValue> {
        let key = key.to_owned();
        self.write(|reply| WriteOp::Update {
            key,
            value,
            expected: expected_revision,
            reply,
        })
        .await
    }

    async fn delete(
        &self,
        key: &str,
        expected_revision: Option<Revision>,
    ) -> Result<(Revision, KeyValue)> {
        let key = key.to_owned();
        self.write(|reply| WriteOp::Delete {
            key,
            expected: expected_revision,
            reply,
        })
        .await
    }

    async fn watch(&self, prefix: &str, after_revision: Revision) -> Result<WatchStream> {
        self.start_watch(prefix, after_revision, false)
    }

    async fn watch_with_progress(
        &self,
        prefix: &str,
        after_revision: Revision,
    ) -> Result<WatchStream> {
        self.start_watch(prefix, after_revision, true)
    }

    async fn compact(&self, revision: Revision) -> Result<()> {
        self.write(|reply| WriteOp::Compact { revision, reply })
            .await
    }

    async fn current_revision(&self) -> Result<Revision> {
        Ok(self.reads.revisions().0)
    }

    async fn compacted_revision(&self) -> Result<Revision> {
        Ok(self.reads.revisions().1)
    }

    fn backend_name(&self) -> &'static str {
        "sqlite"
    }
}

impl SqliteStore {
    fn start_watch(
        &self,
        prefix: &str,
        after_revision: Revision,
        progress: bool,
    ) -> Result<WatchStream> {
        let (current, compacted) = self.reads.revisions();
        if after_revision < compacted {
            return Err(StoreError::Compacted {
                requested: after_revision,
                compacted,
            });
        }
        if after_revision > current {
            return Err(StoreError::FutureRevision {
                requested: after_revision,
                current,
            });
        }
        self.hub
            .watch(self.reads.clone(), prefix, after_revision, progress)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use futures::StreamExt;

    /// With a tiny broadcast buffer every watcher lags; it must recover everything from history.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn lagging_watcher_recovers_from_history() {
        let dir = tempfile::tempdir().unwrap();
        let store =
            SqliteStore::open_with_hub(&dir.path().join("s.db"), WatchHub::with_capacity(2))
                .unwrap();
        let mut w = store.watch("/k/", 0).await.unwrap();
        let mut revs = Vec::new();
        // More events than the watcher's own buffer holds, so it blocks and the broadcast overflows.
        for i in 0..1500 {
            let kv = store
                .create(&format!("/k/{i}"), Bytes::from_static(b"v"))
                .await
                .unwrap();
            revs.push(kv.mod_revision);
        }
        let mut got = Vec::new();
        while got.len() < revs.len() {
            let e = tokio::time::timeout(std::time::Duration::from_secs(5), w.next())
                .await
                .unwrap()
                .unwrap()
                .unwrap();
            got.push(e.revision());
        }
        assert_eq!(got, revs);
    }
}
