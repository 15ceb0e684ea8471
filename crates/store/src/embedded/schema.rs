//! Tables, pragmas and the small metadata the embedded backend keeps.

use std::path::Path;

use rusqlite::{Connection, OpenFlags, OptionalExtension, params};

use crate::{Result, Revision, StoreError};

pub(super) const SCHEMA_VERSION: i64 = 1;

/// `log`: one small row per write, appended in revision order. A delete writes a tombstone row
/// (`deleted = 1`). `prev_rev` points at the version this write replaced (0 if none, or if it
/// replaced a tombstone).
/// `vals`: the value written at each revision (none for tombstones), apart from `log` so that
/// scanning the log at start-up to rebuild the index of live keys reads only small rows.
/// There is deliberately no index on `key` and no table of current keys: the live keys are held in
/// memory (see `index.rs`), past-revision reads and compaction follow the `prev_rev` chain, and so
/// every write is two appends at the end of two b-trees and no random page writes.
/// `meta`: `schema_version`, `revision` (the last assigned revision, kept even when compaction
/// removes that row), `compacted` (the last compaction revision) and `compact_progress` (how far
/// the removal of compacted history has got; it runs in steps).
const CREATE_TABLES: &str = "
CREATE TABLE IF NOT EXISTS log (
    rev        INTEGER PRIMARY KEY,
    key        BLOB    NOT NULL,
    create_rev INTEGER NOT NULL,
    prev_rev   INTEGER NOT NULL,
    deleted    INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS vals (
    rev   INTEGER PRIMARY KEY,
    value BLOB NOT NULL
);
CREATE TABLE IF NOT EXISTS meta (
    name  TEXT PRIMARY KEY,
    value INTEGER NOT NULL
) WITHOUT ROWID;
";

pub(super) fn sqlite_err(path: &Path) -> impl Fn(rusqlite::Error) -> StoreError + '_ {
    move |e| classify(path, e)
}

/// Turns SQLite's errors into ours; damage to the file is reported as corruption naming the file.
pub(super) fn classify(path: &Path, e: rusqlite::Error) -> StoreError {
    use rusqlite::ErrorCode::*;
    if let rusqlite::Error::SqliteFailure(f, _) = &e {
        if matches!(f.code, DatabaseCorrupt | NotADatabase) {
            return corrupt(path, &e.to_string());
        }
        if matches!(
            f.code,
            DiskFull | CannotOpen | ReadOnly | PermissionDenied | SystemIoFailure
        ) {
            return StoreError::Unavailable {
                message: format!("{}: {e}", path.display()),
            };
        }
    }
    StoreError::Internal {
        message: format!("{}: {e}", path.display()),
    }
}

pub(super) fn corrupt(path: &Path, why: &str) -> StoreError {
    StoreError::Corrupt {
        message: format!(
            "store database {} is damaged ({why}); restore it from a backup, or move it (and its -wal \
             and -shm files) away to start an empty cluster",
            path.display()
        ),
    }
}

fn set_pragmas(conn: &Connection, path: &Path) -> Result<()> {
    // busy_timeout: readers may briefly wait for a checkpoint; never fail for that.
    conn.busy_timeout(std::time::Duration::from_secs(10))
        .map_err(sqlite_err(path))?;
    conn.execute_batch(
        "PRAGMA journal_mode = WAL;
         PRAGMA synchronous = FULL;
         PRAGMA journal_size_limit = 67108864;",
    )
    .map_err(sqlite_err(path))
}

/// The writer's connection: creates the schema on first use and checks the file is ours.
pub(super) fn open_writer_connection(path: &Path) -> Result<Connection> {
    let fresh = !path.exists();
    let conn = Connection::open_with_flags(
        path,
        OpenFlags::SQLITE_OPEN_READ_WRITE
            | OpenFlags::SQLITE_OPEN_CREATE
            | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )
    .map_err(sqlite_err(path))?;
    if fresh {
        // Must precede table creation: lets compaction hand freed pages back to the OS.
        conn.execute_batch("PRAGMA auto_vacuum = INCREMENTAL;")
            .map_err(sqlite_err(path))?;
    }
    set_pragmas(&conn, path)?;
    // Checkpoints run on their own thread (see `checkpointer.rs`), off the commit path.
    conn.execute_batch("PRAGMA cache_size = -32768; PRAGMA wal_autocheckpoint = 0;")
        .map_err(sqlite_err(path))?;
    if !fresh {
        integrity_check(&conn, path)?;
    }
    conn.execute_batch(CREATE_TABLES)
        .map_err(sqlite_err(path))?;
    let version: Option<i64> = conn
        .query_row(
            "SELECT value FROM meta WHERE name = 'schema_version'",
            [],
            |r| r.get(0),
        )
        .optional()
        .map_err(sqlite_err(path))?;
    match version {
        None => {
            let has_rows: bool = conn
                .query_row("SELECT EXISTS (SELECT 1 FROM log)", [], |r| r.get(0))
                .map_err(sqlite_err(path))?;
            if has_rows {
                return Err(corrupt(
                    path,
                    "metadata table is missing its schema version",
                ));
            }
            conn.execute(
                "INSERT INTO meta (name, value) VALUES ('schema_version', ?1), ('revision', 0), ('compacted', 0), ('compact_progress', 0)",
                params![SCHEMA_VERSION],
            )
            .map_err(sqlite_err(path))?;
        }
        Some(SCHEMA_VERSION) => {}
        Some(other) => {
            return Err(StoreError::Corrupt {
                message: format!(
                    "store database {} has schema version {other}, this capstan understands {SCHEMA_VERSION}; \
                     use the capstan release that wrote it",
                    path.display()
                ),
            });
        }
    }
    Ok(conn)
}

/// Every page is read once at start-up, so damage is found now rather than as a failed request
/// later. Costs about a second per few hundred MiB.
fn integrity_check(conn: &Connection, path: &Path) -> Result<()> {
    let mut stmt = conn
        .prepare("PRAGMA quick_check")
        .map_err(sqlite_err(path))?;
    let problems: Vec<String> = stmt
        .query_map([], |r| r.get::<_, String>(0))
        .map_err(sqlite_err(path))?
        .collect::<std::result::Result<_, _>>()
        .map_err(sqlite_err(path))?;
    if problems.len() == 1 && problems[0] == "ok" {
        Ok(())
    } else {
        Err(corrupt(path, &problems.join("; ")))
    }
}

/// A reader's connection: the schema must already exist.
pub(super) fn open_reader_connection(path: &Path) -> Result<Connection> {
    let conn = Connection::open_with_flags(
        path,
        OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )
    .map_err(sqlite_err(path))?;
    conn.busy_timeout(std::time::Duration::from_secs(10))
        .map_err(sqlite_err(path))?;
    Ok(conn)
}

pub(super) fn read_meta(conn: &Connection, name: &str) -> rusqlite::Result<Revision> {
    conn.query_row("SELECT value FROM meta WHERE name = ?1", [name], |r| {
        r.get(0)
    })
}
