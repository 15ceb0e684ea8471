//! The single writer thread: group commit of queued writes, and compaction in small steps between
//! batches so it never stalls writers for long.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::mpsc::{self, Receiver, RecvTimeoutError, Sender, TryRecvError};
use std::time::Duration;

use bytes::Bytes;
use rusqlite::{Connection, Transaction, params};
use tokio::sync::oneshot;

use super::index::{Entry, Index};
use super::schema::read_meta;
use crate::watch_hub::{Batch, WatchHub};
use crate::{Event, EventKind, KeyValue, Result, Revision, StoreError};

/// Writes beyond this many wait for the next transaction; bounds the latency of one commit.
const MAX_BATCH: usize = 1024;
/// History rows examined per compaction step.
const COMPACTION_STEP: Revision = 5000;
/// The writer rewinds the WAL once it has grown past this.
const WAL_REWIND_BYTES: u64 = 64 << 20;

pub(super) enum WriteOp {
    Create {
        key: String,
        value: Bytes,
        reply: oneshot::Sender<Result<KeyValue>>,
    },
    Update {
        key: String,
        value: Bytes,
        expected: Revision,
        reply: oneshot::Sender<Result<KeyValue>>,
    },
    Delete {
        key: String,
        expected: Option<Revision>,
        reply: oneshot::Sender<Result<(Revision, KeyValue)>>,
    },
    Compact {
        revision: Revision,
        reply: oneshot::Sender<Result<()>>,
    },
}

impl WriteOp {
    /// Answers the op with an error without doing it.
    fn fail(self, e: StoreError) {
        match self {
            WriteOp::Create { reply, .. } | WriteOp::Update { reply, .. } => {
                let _ = reply.send(Err(e));
            }
            WriteOp::Delete { reply, .. } => {
                let _ = reply.send(Err(e));
            }
            WriteOp::Compact { reply, .. } => {
                let _ = reply.send(Err(e));
            }
        }
    }
}

pub(super) struct WriterHandle {
    queue: Sender<WriteOp>,
}

impl WriterHandle {
    pub fn submit(&self, op: WriteOp) -> Result<()> {
        self.queue.send(op).map_err(|_| StoreError::Unavailable {
            message: "store writer stopped".into(),
        })
    }
}

pub(super) fn spawn(
    conn: Connection,
    index: Arc<Index>,
    hub: Arc<WatchHub>,
    wal_path: PathBuf,
) -> Result<WriterHandle> {
    let revision = read_meta(&conn, "revision").map_err(StoreError::internal)?;
    let compacted = read_meta(&conn, "compacted").map_err(StoreError::internal)?;
    let progress = read_meta(&conn, "compact_progress").map_err(StoreError::internal)?;
    let (queue, ops) = mpsc::channel();
    let mut writer = Writer {
        conn,
        index,
        hub,
        wal_path,
        revision,
        // A compaction cut short by a crash resumes where it stopped.
        compaction: (progress < compacted).then(|| Compaction {
            target: compacted,
            next: progress,
            replies: Vec::new(),
        }),
        compacted,
    };
    std::thread::Builder::new()
        .name("store-writer".into())
        .spawn(move || writer.run(ops))
        .map_err(StoreError::internal)?;
    Ok(WriterHandle { queue })
}

/// A compaction in progress: history up to `target`, processed from `next` upwards.
struct Compaction {
    target: Revision,
    next: Revision,
    replies: Vec<oneshot::Sender<Result<()>>>,
}

struct Writer {
    conn: Connection,
    index: Arc<Index>,
    hub: Arc<WatchHub>,
    wal_path: PathBuf,
    /// The last revision assigned and committed.
    revision: Revision,
    compaction: Option<Compaction>,
    compacted: Revision,
}

/// What one op did inside the transaction, replied once the transaction commits.
enum Outcome {
    Written {
        event: Event,
        reply: Reply,
    },
    Refused {
        error: StoreError,
        reply: Reply,
    },
    Compact {
        revision: Revision,
        reply: oneshot::Sender<Result<()>>,
    },
}

enum Reply {
    Kv(oneshot::Sender<Result<KeyValue>>),
    Deleted(oneshot::Sender<Result<(Revision, KeyValue)>>),
}

impl Reply {
    fn ok(self, event: &Event) {
        match self {
            Reply::Kv(tx) => {
                let _ = tx.send(Ok(event.kv.clone()));
            }
            Reply::Deleted(tx) => {
                let prev = event
                    .prev
                    .clone()
                    .expect("delete events carry the deleted value");
                let _ = tx.send(Ok((event.revision(), prev)));
            }
        }
    }

    fn err(self, e: StoreError) {
        match self {
            Reply::Kv(tx) => {
                let _ = tx.send(Err(e));
            }
            Reply::Deleted(tx) => {
                let _ = tx.send(Err(e));
            }
        }
    }
}

impl Writer {
    fn run(&mut self, ops: Receiver<WriteOp>) {
        loop {
            // Block for work only when no compaction step is pending.
            let first = if self.compaction.is_some() {
                match ops.try_recv() {
                    Ok(op) => Some(op),
                    Err(TryRecvError::Empty) => None,
                    Err(TryRecvError::Disconnected) => return,
                }
            } else {
                match ops.recv_timeout(Duration::from_secs(3600)) {
                    Ok(op) => Some(op),
                    Err(RecvTimeoutError::Timeout) => continue,
                    Err(RecvTimeoutError::Disconnected) => return,
                }
            };
            if let Some(first) = first {
                let mut batch = vec![first];
                while batch.len() < MAX_BATCH {
                    match ops.try_recv() {
                        Ok(op) => batch.push(op),
                        Err(_) => break,
                    }
                }
                self.commit_batch(batch);
                self.rewind_wal_if_large();
            }
            if self.compaction.is_some() {
                self.compaction_step();
            }
        }
    }

    /// Starts the WAL again from its beginning once the checkpointer has copied it, so the file
    /// stays small. Waits for readers of older snapshots (they are short).
    fn rewind_wal_if_large(&mut self) {
        let size = std::fs::metadata(&self.wal_path)
            .map(|m| m.len())
            .unwrap_or(0);
        if size > WAL_REWIND_BYTES
            && let Err(e) = self.conn.execute_batch("PRAGMA wal_checkpoint(TRUNCATE)")
        {
            tracing::warn!(error = %e, "could not rewind the store's WAL");
        }
    }

    /// Takes the write lock up front (BEGIN IMMEDIATE), retrying while it is busy, so a batch
    /// never fails halfway for a lock: once begun, nothing else can hold up its writes or commit.
    fn begin(conn: &Connection) -> rusqlite::Result<Transaction<'_>> {
        let mut delay = Duration::from_millis(1);
        let deadline = std::time::Instant::now() + Duration::from_secs(30);
        loop {
            match Transaction::new_unchecked(conn, rusqlite::TransactionBehavior::Immediate) {
                Err(rusqlite::Error::SqliteFailure(f, _))
                    if f.code == rusqlite::ErrorCode::DatabaseBusy
                        && std::time::Instant::now() < deadline =>
                {
                    std::thread::sleep(delay);
                    delay = (delay * 2).min(Duration::from_millis(100));
                }
                other => return other,
            }
        }
    }

    fn commit_batch(&mut self, batch: Vec<WriteOp>) {
        let start_revision = self.revision;
        let mut outcomes = Vec::with_capacity(batch.len());
        let mut ops = batch.into_iter();
        let mut view = BatchView {
            index: &self.index,
            changes: HashMap::new(),
        };
        let committed = (|| -> rusqlite::Result<()> {
            let tx = Self::begin(&self.conn)?;
            for op in ops.by_ref() {
                outcomes.push(apply(&tx, &mut view, op, &mut self.revision)?);
            }
            if self.revision != start_revision {
                tx.prepare_cached("UPDATE meta SET value = ?1 WHERE name = 'revision'")?
                    .execute([self.revision])?;
            }
            tx.commit()
        })();

        if let Err(e) = committed {
            // Nothing in this batch happened; revisions are reused by the next batch.
            self.revision = start_revision;
            let message = format!("write failed: {e}");
            for op in ops {
                op.fail(StoreError::Unavailable {
                    message: message.clone(),
                });
            }
            for outcome in outcomes {
                match outcome {
                    Outcome::Written { reply, .. } | Outcome::Refused { reply, .. } => {
                        reply.err(StoreError::Unavailable {
                            message: message.clone(),
                        })
                    }
                    Outcome::Compact { reply, .. } => {
                        let _ = reply.send(Err(StoreError::Unavailable {
                            message: message.clone(),
                        }));
                    }
                }
            }
            tracing::error!(error = %e, "store write transaction failed");
            return;
        }

        // Readers see the batch from now on, at its revision.
        self.index
            .apply(view.changes.into_iter().collect(), self.revision);
        let mut events = Vec::new();
        let mut replies = Vec::with_capacity(outcomes.len());
        for outcome in outcomes {
            match outcome {
                Outcome::Written { event, reply } => {
                    replies.push((reply, Ok(events.len())));
                    events.push(event);
                }
                Outcome::Refused { error, reply } => replies.push((reply, Err(error))),
                Outcome::Compact { revision, reply } => self.start_compaction(revision, reply),
            }
        }
        // Watchers first, then writers.
        let batch = Arc::new(Batch { events });
        self.hub.publish(batch.clone());
        for (reply, result) in replies {
            match result {
                Ok(i) => reply.ok(&batch.events[i]),
                Err(e) => reply.err(e),
            }
        }
    }

    fn start_compaction(&mut self, target: Revision, reply: oneshot::Sender<Result<()>>) {
        if target > self.revision {
            let _ = reply.send(Err(StoreError::FutureRevision {
                requested: target,
                current: self.revision,
            }));
            return;
        }
        let already = self
            .compaction
            .as_ref()
            .map(|c| c.target)
            .unwrap_or(self.compacted);
        if target <= already {
            match &mut self.compaction {
                // Answer when the running compaction (which covers this one) finishes.
                Some(c) => c.replies.push(reply),
                None => {
                    let _ = reply.send(Err(StoreError::Compacted {
                        requested: target,
                        compacted: self.compacted,
                    }));
                }
            }
            return;
        }
        // Reads below the target must fail from now on, even while rows are still being removed.
        if let Err(e) = self.conn.execute(
            "UPDATE meta SET value = ?1 WHERE name = 'compacted'",
            [target],
        ) {
            let _ = reply.send(Err(StoreError::internal(e)));
            return;
        }
        // Resume from where the previous compaction got to (all of it, unless one is running).
        let next = self
            .compaction
            .as_ref()
            .map(|c| c.next)
            .unwrap_or(self.compacted);
        self.compacted = target;
        self.index.set_compacted(target);
        let mut replies = self
            .compaction
            .take()
            .map(|c| c.replies)
            .unwrap_or_default();
        replies.push(reply);
        self.compaction = Some(Compaction {
            target,
            next,
            replies,
        });
    }

    /// Removes superseded versions and tombstones in one window of history.
    fn compaction_step(&mut self) {
        let Some(c) = self.compaction.as_mut() else {
            return;
        };
        let hi = (c.next + COMPACTION_STEP).min(c.target);
        // Every superseded version has exactly one successor (the row whose prev_rev names it), so
        // a version is dead once its successor is at or before the target: delete it by revision.
        // Tombstones at or before the target go too.
        let result = (|| -> rusqlite::Result<()> {
            let tx = Self::begin(&self.conn)?;
            for table in ["vals", "log"] {
                tx.execute(
                    &format!(
                        "DELETE FROM {table} WHERE rev IN (
                             SELECT prev_rev FROM log WHERE rev > ?1 AND rev <= ?2 AND prev_rev > 0)"
                    ),
                    params![c.next, hi],
                )?;
            }
            tx.execute(
                "DELETE FROM log WHERE rev > ?1 AND rev <= ?2 AND deleted = 1",
                params![c.next, hi],
            )?;
            tx.execute(
                "UPDATE meta SET value = ?1 WHERE name = 'compact_progress'",
                [hi],
            )?;
            tx.commit()
        })();
        match result {
            Ok(_) => c.next = hi,
            Err(e) => {
                tracing::error!(error = %e, "compaction step failed");
                for reply in c.replies.drain(..) {
                    let _ = reply.send(Err(StoreError::internal(&e)));
                }
                self.compaction = None;
                return;
            }
        }
        if c.next >= c.target {
            let done = self.compaction.take().expect("compaction in progress");
            // Hand freed pages back to the filesystem so the file shrinks after big deletions.
            if let Err(e) = self.conn.execute_batch("PRAGMA incremental_vacuum") {
                tracing::warn!(error = %e, "incremental vacuum failed");
            }
            for reply in done.replies {
                let _ = reply.send(Ok(()));
            }
        }
    }
}

/// The writer's view during a batch: the committed index plus this batch's own changes.
struct BatchView<'a> {
    index: &'a Index,
    changes: HashMap<String, Option<Entry>>,
}

impl BatchView<'_> {
    fn entry(&self, key: &str) -> Option<Entry> {
        match self.changes.get(key) {
            Some(e) => *e,
            None => self.index.get(key).0,
        }
    }
}

/// Applies one op inside the open transaction. Precondition failures are outcomes, not errors:
/// only SQLite failures abort the transaction.
fn apply(
    tx: &Transaction<'_>,
    view: &mut BatchView<'_>,
    op: WriteOp,
    revision: &mut Revision,
) -> rusqlite::Result<Outcome> {
    Ok(match op {
        WriteOp::Create { key, value, reply } => {
            let reply = Reply::Kv(reply);
            if let Some(current) = view.entry(&key) {
                Outcome::Refused {
                    error: StoreError::AlreadyExists {
                        current: load_kv(tx, &key, current)?,
                    },
                    reply,
                }
            } else {
                let rev = *revision + 1;
                append(tx, &key, rev, rev, 0, Some(&value))?;
                *revision = rev;
                view.changes.insert(
                    key.clone(),
                    Some(Entry {
                        rev,
                        create_rev: rev,
                    }),
                );
                Outcome::Written {
                    event: Event {
                        kind: EventKind::Put,
                        kv: KeyValue {
                            key,
                            value,
                            create_revision: rev,
                            mod_revision: rev,
                        },
                        prev: None,
                    },
                    reply,
                }
            }
        }
        WriteOp::Update {
            key,
            value,
            expected,
            reply,
        } => {
            let reply = Reply::Kv(reply);
            match view.entry(&key) {
                Some(current) if current.rev == expected => {
                    let rev = *revision + 1;
                    let create_rev = current.create_rev;
                    append(tx, &key, rev, create_rev, current.rev, Some(&value))?;
                    *revision = rev;
                    let prev = load_kv(tx, &key, current)?;
                    view.changes
                        .insert(key.clone(), Some(Entry { rev, create_rev }));
                    Outcome::Written {
                        event: Event {
                            kind: EventKind::Put,
                            kv: KeyValue {
                                key,
                                value,
                                create_revision: create_rev,
                                mod_revision: rev,
                            },
                            prev: Some(prev),
                        },
                        reply,
                    }
                }
                current => Outcome::Refused {
                    error: StoreError::Conflict {
                        current: current.map(|c| load_kv(tx, &key, c)).transpose()?,
                    },
                    reply,
                },
            }
        }
        WriteOp::Delete {
            key,
            expected,
            reply,
        } => {
            let reply = Reply::Deleted(reply);
            match view.entry(&key) {
                Some(current) if expected.is_none_or(|e| e == current.rev) => {
                    let rev = *revision + 1;
                    append(tx, &key, rev, current.create_rev, current.rev, None)?;
                    *revision = rev;
                    let prev = load_kv(tx, &key, current)?;
                    view.changes.insert(key.clone(), None);
                    Outcome::Written {
                        event: Event {
                            kind: EventKind::Delete,
                            kv: KeyValue {
                                key,
                                value: Bytes::new(),
                                create_revision: 0,
                                mod_revision: rev,
                            },
                            prev: Some(prev),
                        },
                        reply,
                    }
                }
                None if expected.is_none() => Outcome::Refused {
                    error: StoreError::NotFound,
                    reply,
                },
                current => Outcome::Refused {
                    error: StoreError::Conflict {
                        current: current.map(|c| load_kv(tx, &key, c)).transpose()?,
                    },
                    reply,
                },
            }
        }
        WriteOp::Compact { revision, reply } => Outcome::Compact { revision, reply },
    })
}

/// The version `entry` names, with its value.
fn load_kv(tx: &Transaction<'_>, key: &str, entry: Entry) -> rusqlite::Result<KeyValue> {
    let value: Vec<u8> = tx
        .prepare_cached("SELECT value FROM vals WHERE rev = ?1")?
        .query_row([entry.rev], |r| r.get(0))?;
    Ok(KeyValue {
        key: key.to_owned(),
        value: Bytes::from(value),
        create_revision: entry.create_rev,
        mod_revision: entry.rev,
    })
}

/// Appends a version (or, without a value, a tombstone) to the log.
fn append(
    tx: &Transaction<'_>,
    key: &str,
    rev: Revision,
    create_rev: Revision,
    prev_rev: Revision,
    value: Option<&Bytes>,
) -> rusqlite::Result<()> {
    tx.prepare_cached(
        "INSERT INTO log (rev, key, create_rev, prev_rev, deleted) VALUES (?1, ?2, ?3, ?4, ?5)",
    )?
    .execute(params![
        rev,
        key.as_bytes(),
        create_rev,
        prev_rev,
        value.is_none()
    ])?;
    if let Some(value) = value {
        tx.prepare_cached("INSERT INTO vals (rev, value) VALUES (?1, ?2)")?
            .execute(params![rev, value.as_ref()])?;
    }
    Ok(())
}
