//! Reads on pooled read-only connections; each read is one SQLite read transaction, so the
//! revision it reports and the data it returns belong to the same snapshot.

use std::path::PathBuf;

use bytes::Bytes;
use parking_lot::Mutex;
use rusqlite::{Connection, OptionalExtension, Row, params};

use super::schema::{open_reader_connection, read_meta, sqlite_err};
use crate::watch_hub::History;
use crate::{
    Event, EventKind, GetResponse, KeyValue, ListRequest, ListResponse, Result, Revision,
    StoreError, prefix_end,
};

pub(super) struct ReadPool {
    path: PathBuf,
    idle: Mutex<Vec<Connection>>,
}

/// The upper bound used when a prefix has no successor (only the empty prefix, in practice).
const NO_END: &[u8] = &[0xff; 64];

impl ReadPool {
    pub fn new(path: PathBuf) -> Self {
        ReadPool {
            path,
            idle: Mutex::new(Vec::new()),
        }
    }

    /// Runs `f` inside a read transaction on a pooled connection.
    fn with_snapshot<T>(&self, f: impl FnOnce(&Connection) -> rusqlite::Result<T>) -> Result<T> {
        let conn = match self.idle.lock().pop() {
            Some(c) => c,
            None => open_reader_connection(&self.path)?,
        };
        let result = (|| {
            conn.execute_batch("BEGIN")?;
            let out = f(&conn);
            conn.execute_batch("COMMIT")?;
            out
        })();
        match result {
            Ok(v) => {
                self.idle.lock().push(conn);
                Ok(v)
            }
            // A failed connection is dropped rather than reused.
            Err(e) => Err(sqlite_err(&self.path)(e)),
        }
    }

    /// (latest revision, compacted revision)
    pub fn revisions(&self) -> Result<(Revision, Revision)> {
        self.with_snapshot(|c| Ok((read_meta(c, "revision")?, read_meta(c, "compacted")?)))
    }

    pub fn get(&self, key: &str, at: Option<Revision>) -> Result<GetResponse> {
        let outcome = self.with_snapshot(|c| {
            let current = read_meta(c, "revision")?;
            let compacted = read_meta(c, "compacted")?;
            let at = match check_revision(at, current, compacted) {
                Ok(at) => at,
                Err(e) => return Ok(Err(e)),
            };
            let kv = if at == current {
                c.prepare_cached(
                    "SELECT c.rev, c.create_rev, l.value FROM current c JOIN log l ON l.rev = c.rev
                     WHERE c.key = ?1",
                )?
                .query_row([key.as_bytes()], |r| live_kv(key, r))
                .optional()?
            } else {
                c.prepare_cached(
                    "SELECT rev, create_rev, value, deleted FROM log WHERE key = ?1 AND rev <= ?2
                     ORDER BY rev DESC LIMIT 1",
                )?
                .query_row(params![key.as_bytes(), at], |r| {
                    Ok((r.get::<_, bool>(3)?, live_kv(key, r)?))
                })
                .optional()?
                .and_then(|(deleted, kv)| (!deleted).then_some(kv))
            };
            Ok(Ok(GetResponse { kv, revision: at }))
        })?;
        outcome
    }

    pub fn list(&self, req: &ListRequest) -> Result<ListResponse> {
        let start = req
            .start_key
            .as_deref()
            .filter(|s| s.as_bytes() > req.prefix.as_bytes())
            .unwrap_or(&req.prefix)
            .as_bytes()
            .to_vec();
        let end = prefix_end(&req.prefix).unwrap_or_else(|| NO_END.to_vec());
        // Fetch one extra row to learn whether more follow.
        let fetch = if req.limit == 0 {
            -1
        } else {
            req.limit as i64 + 1
        };
        let outcome = self.with_snapshot(|c| {
            let current = read_meta(c, "revision")?;
            let compacted = read_meta(c, "compacted")?;
            let at = match check_revision(req.revision, current, compacted) {
                Ok(at) => at,
                Err(e) => return Ok(Err(e)),
            };
            let mut kvs = if at == current {
                let mut stmt = c.prepare_cached(
                    "SELECT c.key, c.rev, c.create_rev, l.value FROM current c JOIN log l ON l.rev = c.rev
                     WHERE c.key >= ?1 AND c.key < ?2 ORDER BY c.key LIMIT ?3",
                )?;
                stmt.query_map(params![start, end, fetch], keyed_kv)?
                    .collect::<rusqlite::Result<Vec<_>>>()?
            } else {
                // The newest version of each key at or before `at`, skipping tombstones. SQLite
                // returns the bare columns of the row holding MAX(rev).
                let mut stmt = c.prepare_cached(
                    "SELECT key, rev, create_rev, value FROM (
                         SELECT key, MAX(rev) AS rev, create_rev, value, deleted FROM log
                         WHERE key >= ?1 AND key < ?2 AND rev <= ?3 GROUP BY key
                     ) WHERE deleted = 0 ORDER BY key LIMIT ?4",
                )?;
                stmt.query_map(params![start, end, at, fetch], keyed_kv)?
                    .collect::<rusqlite::Result<Vec<_>>>()?
            };
            let more = req.limit != 0 && kvs.len() > req.limit;
            let mut remaining = 0;
            if more {
                kvs.truncate(req.limit);
                let after = kvs.last().map(|kv| kv.key.as_bytes().to_vec());
                remaining = if at == current {
                    c.prepare_cached("SELECT COUNT(*) FROM current WHERE key > ?1 AND key < ?2")?
                        .query_row(params![after, end], |r| r.get(0))?
                } else {
                    c.prepare_cached(
                        "SELECT COUNT(*) FROM (
                             SELECT MAX(rev), deleted FROM log WHERE key > ?1 AND key < ?2 AND rev <= ?3
                             GROUP BY key
                         ) WHERE deleted = 0",
                    )?
                    .query_row(params![after, end, at], |r| r.get(0))?
                };
            }
            Ok(Ok(ListResponse {
                kvs,
                more,
                remaining,
                revision: at,
            }))
        })?;
        outcome
    }
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

fn key_string(bytes: Vec<u8>) -> String {
    String::from_utf8(bytes).unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned())
}

/// Row (rev, create_rev, value) of a known key.
fn live_kv(key: &str, r: &Row<'_>) -> rusqlite::Result<KeyValue> {
    Ok(KeyValue {
        key: key.to_owned(),
        mod_revision: r.get(0)?,
        create_revision: r.get(1)?,
        value: Bytes::from(r.get::<_, Option<Vec<u8>>>(2)?.unwrap_or_default()),
    })
}

/// Row (key, rev, create_rev, value).
fn keyed_kv(r: &Row<'_>) -> rusqlite::Result<KeyValue> {
    Ok(KeyValue {
        key: key_string(r.get(0)?),
        mod_revision: r.get(1)?,
        create_revision: r.get(2)?,
        value: Bytes::from(r.get::<_, Option<Vec<u8>>>(3)?.unwrap_or_default()),
    })
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
        let end = prefix_end(prefix).unwrap_or_else(|| NO_END.to_vec());
        let outcome = self.with_snapshot(|c| {
            let compacted = read_meta(c, "compacted")?;
            if after < compacted {
                return Ok(Err(StoreError::Compacted {
                    requested: after,
                    compacted,
                }));
            }
            let mut rows = c.prepare_cached(
                "SELECT rev, key, create_rev, prev_rev, deleted, value FROM log
                 WHERE rev > ?1 AND rev <= ?2 AND key >= ?3 AND key < ?4 ORDER BY rev LIMIT ?5",
            )?;
            let rows = rows
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
            let mut prev_stmt =
                c.prepare_cached("SELECT create_rev, value FROM log WHERE rev = ?1")?;
            let mut events = Vec::with_capacity(rows.len());
            for (rev, key, create_rev, prev_rev, deleted, value) in rows {
                let prev = if prev_rev > 0 {
                    prev_stmt
                        .query_row([prev_rev], |r| {
                            Ok(KeyValue {
                                key: key.clone(),
                                create_revision: r.get(0)?,
                                mod_revision: prev_rev,
                                value: Bytes::from(
                                    r.get::<_, Option<Vec<u8>>>(1)?.unwrap_or_default(),
                                ),
                            })
                        })
                        .optional()?
                } else {
                    None
                };
                let (kind, kv) = if deleted {
                    (
                        EventKind::Delete,
                        KeyValue {
                            key,
                            value: Bytes::new(),
                            create_revision: 0,
                            mod_revision: rev,
                        },
                    )
                } else {
                    (
                        EventKind::Put,
                        KeyValue {
                            key,
                            value: Bytes::from(value.unwrap_or_default()),
                            create_revision: create_rev,
                            mod_revision: rev,
                        },
                    )
                };
                events.push(Event { kind, kv, prev });
            }
            Ok(Ok(events))
        })?;
        outcome
    }

    fn committed_revision(&self) -> Result<Revision> {
        Ok(self.revisions()?.0)
    }
}
