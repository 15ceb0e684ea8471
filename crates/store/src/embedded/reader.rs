//! Reads: which versions to return comes from the in-memory index (at its revision); their values
//! come from pooled read-only connections. Past-revision reads walk the log written since.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;

use bytes::Bytes;
use parking_lot::Mutex;
use rusqlite::{Connection, OptionalExtension, params};

use super::index::{Entry, Index};
use super::schema::{open_reader_connection, sqlite_err};
use crate::watch_hub::History;
use crate::{
    Event, EventKind, GetResponse, KeyValue, ListRequest, ListResponse, Result, Revision,
    StoreError, prefix_end,
};

pub(super) struct ReadPool {
    path: PathBuf,
    index: Arc<Index>,
    idle: Mutex<Vec<Connection>>,
}

/// A value a read needed was compacted away between choosing it and fetching it (the key changed
/// and history was compacted in that instant); the read is simply done again.
struct Vanished;

/// Attempts before a read that keeps racing compaction gives up.
const READ_ATTEMPTS: usize = 5;

impl ReadPool {
    pub fn new(path: PathBuf, index: Arc<Index>) -> Self {
        ReadPool {
            path,
            index,
            idle: Mutex::new(Vec::new()),
        }
    }

    /// Runs `f` inside a read transaction on a pooled connection, again if a value vanished.
    fn with_snapshot<T>(
        &self,
        mut f: impl FnMut(&Connection) -> rusqlite::Result<Result<T, Vanished>>,
    ) -> Result<T> {
        let conn = match self.idle.lock().pop() {
            Some(c) => c,
            None => open_reader_connection(&self.path)?,
        };
        for _ in 0..READ_ATTEMPTS {
            let result = (|| {
                conn.prepare_cached("BEGIN")?.execute([])?;
                let out = f(&conn);
                conn.prepare_cached("COMMIT")?.execute([])?;
                out
            })();
            match result {
                Ok(Ok(v)) => {
                    self.idle.lock().push(conn);
                    return Ok(v);
                }
                Ok(Err(Vanished)) => continue,
                // A failed connection is dropped rather than reused.
                Err(e) => return Err(sqlite_err(&self.path)(e)),
            }
        }
        Err(StoreError::Unavailable {
            message: "read kept racing compaction; retry".into(),
        })
    }

    /// (latest revision, compacted revision)
    pub fn revisions(&self) -> (Revision, Revision) {
        self.index.revisions()
    }

    pub fn get(&self, key: &str, at: Option<Revision>) -> Result<GetResponse> {
        self.with_snapshot(|c| {
            let (entry, current) = self.index.get(key);
            let compacted = self.index.revisions().1;
            let at = match check_revision(at, current, compacted) {
                Ok(at) => at,
                Err(e) => return Ok(Ok(Err(e))),
            };
            let entry = if at == current {
                entry
            } else {
                match first_change_after(c, key, at, current)? {
                    Some(prev_rev) => version_entry(c, prev_rev)?,
                    None => entry,
                }
            };
            let kv = match entry {
                None => None,
                Some(e) => match fetch(c, key, e)? {
                    Some(kv) => Some(kv),
                    None => return Ok(Err(Vanished)),
                },
            };
            Ok(Ok(Ok(GetResponse { kv, revision: at })))
        })?
    }

    pub fn list(&self, req: &ListRequest) -> Result<ListResponse> {
        let start = req
            .start_key
            .as_deref()
            .filter(|s| s.as_bytes() > req.prefix.as_bytes())
            .unwrap_or(&req.prefix)
            .to_owned();
        let prefix = req.prefix.as_str();
        self.with_snapshot(|c| {
            let (current, compacted) = self.index.revisions();
            let at = match check_revision(req.revision, current, compacted) {
                Ok(at) => at,
                Err(e) => return Ok(Ok(Err(e))),
            };
            let page = if at == current {
                let snap = self.index.range(prefix, &start, req.limit);
                if snap.revision != at {
                    // A batch landed between the two looks at the index: read again.
                    return Ok(Err(Vanished));
                }
                (snap.entries, snap.remaining > 0, snap.remaining)
            } else {
                match list_past(c, &self.index, prefix, &start, at, current, req.limit)? {
                    Ok(page) => page,
                    Err(Vanished) => return Ok(Err(Vanished)),
                }
            };
            let (entries, more, remaining) = page;
            let mut kvs = Vec::with_capacity(entries.len());
            for (key, entry) in entries {
                match fetch(c, &key, entry)? {
                    Some(kv) => kvs.push(kv),
                    None => return Ok(Err(Vanished)),
                }
            }
            Ok(Ok(Ok(ListResponse {
                kvs,
                more,
                remaining,
                revision: at,
            })))
        })?
    }
}

/// The `prev_rev` of the first write to `key` in `(at, upto]`: the version it replaced was the
/// one current at `at` (0: the key did not exist then).
fn first_change_after(
    c: &Connection,
    key: &str,
    at: Revision,
    upto: Revision,
) -> rusqlite::Result<Option<Revision>> {
    c.prepare_cached(
        "SELECT prev_rev FROM log WHERE rev > ?1 AND rev <= ?2 AND key = ?3 ORDER BY rev LIMIT 1",
    )?
    .query_row(params![at, upto, key.as_bytes()], |r| r.get(0))
    .optional()
}

/// The index entry of the live version written at `rev` (0 = none).
fn version_entry(c: &Connection, rev: Revision) -> rusqlite::Result<Option<Entry>> {
    if rev == 0 {
        return Ok(None);
    }
    c.prepare_cached("SELECT create_rev FROM log WHERE rev = ?1")?
        .query_row([rev], |r| {
            Ok(Entry {
                rev,
                create_rev: r.get(0)?,
            })
        })
        .optional()
}

/// The value of a version, or None if it has been compacted away.
fn fetch(c: &Connection, key: &str, e: Entry) -> rusqlite::Result<Option<KeyValue>> {
    let value: Option<Vec<u8>> = c
        .prepare_cached("SELECT value FROM vals WHERE rev = ?1")?
        .query_row([e.rev], |r| r.get(0))
        .optional()?;
    Ok(value.map(|v| KeyValue {
        key: key.to_owned(),
        value: Bytes::from(v),
        create_revision: e.create_rev,
        mod_revision: e.rev,
    }))
}

type Page = (Vec<(String, Entry)>, bool, i64);

/// A list at a past revision: the live keys at `current`, with every key written in
/// `(at, current]` replaced by the version it had at `at`. Costs the page plus the writes since
/// `at` — small for the paged lists that ask for it, which follow within seconds.
fn list_past(
    c: &Connection,
    index: &Index,
    prefix: &str,
    start: &str,
    at: Revision,
    current: Revision,
    limit: usize,
) -> rusqlite::Result<Result<Page, Vanished>> {
    let end_bytes = prefix_end(prefix).unwrap_or_else(|| vec![0xff; 64]);
    // key -> its version at `at`, for keys changed since.
    let mut changed: BTreeMap<String, Option<Entry>> = BTreeMap::new();
    {
        let mut stmt = c.prepare_cached(
            "SELECT key, prev_rev FROM log WHERE rev > ?1 AND rev <= ?2 AND key >= ?3 AND key < ?4
             ORDER BY rev",
        )?;
        let mut rows = stmt.query(params![at, current, start.as_bytes(), end_bytes])?;
        let mut first_writes = Vec::new();
        while let Some(r) = rows.next()? {
            let key = key_string(r.get(0)?);
            if !changed.contains_key(&key) {
                changed.insert(key.clone(), None);
                first_writes.push((key, r.get::<_, Revision>(1)?));
            }
        }
        for (key, prev) in first_writes {
            changed.insert(key, version_entry(c, prev)?);
        }
    }

    // Enough of today's keys that, after dropping the changed ones, limit+1 remain if they exist.
    let fetch = if limit == 0 {
        0
    } else {
        limit + changed.len() + 1
    };
    let today = index.range(prefix, start, fetch);
    if today.revision != current {
        return Ok(Err(Vanished));
    }
    let mut merged: Vec<(String, Entry)> = today
        .entries
        .iter()
        .filter(|(k, _)| !changed.contains_key(k))
        .cloned()
        .chain(
            changed
                .iter()
                .filter_map(|(k, e)| e.map(|e| (k.clone(), e))),
        )
        .collect();
    merged.sort_by(|a, b| a.0.cmp(&b.0));
    let more = limit != 0 && merged.len() > limit;
    let mut remaining = 0;
    if more {
        merged.truncate(limit);
        let last = merged.last().expect("non-empty").0.clone();
        // Keys after the page at `at` = live keys after it now, minus changed ones live now,
        // plus changed ones live then.
        let now_after = index.count_after(prefix, &last);
        let mut adjust = 0i64;
        for (key, then) in changed.iter().filter(|(k, _)| **k > last) {
            let live_now = index.get(key).0.is_some();
            adjust += then.is_some() as i64 - live_now as i64;
        }
        remaining = now_after + adjust;
    }
    Ok(Ok((merged, more, remaining)))
}

/// Resolves the revision to read at, or the error etcd would give for it.
fn check_revision(
    at: Option<Revision>,
    current: Revision,
    compacted: Revision,
) -> Result<Revision, StoreError> {
    match at {
        None | Some(0) => Ok(current),
        Some(r) if r > current => Err(StoreError::FutureRevision {
            requested: r,
            current,
        }),
        Some(r) if r < compacted => Err(StoreError::Compacted {
            requested: r,
            compacted,
        }),
        Some(r) => Ok(r),
    }
}

pub(super) fn key_string(bytes: Vec<u8>) -> String {
    String::from_utf8(bytes).unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned())
}

impl History for ReadPool {
    fn events_between(
        &self,
        prefix: &str,
        after: Revision,
        upto: Revision,
        limit: usize,
    ) -> Result<Vec<Event>> {
        let start = prefix.as_bytes().to_vec();
        let end = prefix_end(prefix).unwrap_or_else(|| vec![0xff; 64]);
        let compacted = self.index.revisions().1;
        if after < compacted {
            return Err(StoreError::Compacted {
                requested: after,
                compacted,
            });
        }
        self.with_snapshot(|c| {
            let rows = c
                .prepare_cached(
                    "SELECT l.rev, l.key, l.create_rev, l.prev_rev, l.deleted, v.value
                     FROM log l LEFT JOIN vals v ON v.rev = l.rev
                     WHERE l.rev > ?1 AND l.rev <= ?2 AND l.key >= ?3 AND l.key < ?4
                     ORDER BY l.rev LIMIT ?5",
                )?
                .query_map(params![after, upto, start, end, limit as i64], |r| {
                    Ok((
                        r.get::<_, Revision>(0)?,
                        key_string(r.get(1)?),
                        r.get::<_, Revision>(2)?,
                        r.get::<_, Revision>(3)?,
                        r.get::<_, bool>(4)?,
                        r.get::<_, Option<Vec<u8>>>(5)?,
                    ))
                })?
                .collect::<rusqlite::Result<Vec<_>>>()?;
            let mut events = Vec::with_capacity(rows.len());
            for (rev, key, create_rev, prev_rev, deleted, value) in rows {
                let prev = match version_entry(c, prev_rev)? {
                    Some(e) => fetch(c, &key, e)?,
                    None => None,
                };
                let kv = if deleted {
                    KeyValue {
                        key,
                        value: Bytes::new(),
                        create_revision: 0,
                        mod_revision: rev,
                    }
                } else {
                    KeyValue {
                        key,
                        value: Bytes::from(value.unwrap_or_default()),
                        create_revision: create_rev,
                        mod_revision: rev,
                    }
                };
                let kind = if deleted {
                    EventKind::Delete
                } else {
                    EventKind::Put
                };
                events.push(Event { kind, kv, prev });
            }
            // Rows removed by a compaction running meanwhile would leave a gap: check it did not.
            if self.index.revisions().1 > after {
                return Ok(Ok(Err(StoreError::Compacted {
                    requested: after,
                    compacted: self.index.revisions().1,
                })));
            }
            Ok(Ok(Ok(events)))
        })?
    }

    fn committed_revision(&self) -> Result<Revision> {
        Ok(self.index.revisions().0)
    }
}
