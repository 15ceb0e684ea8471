//! Copies committed WAL pages into the main database file on a thread of its own, so the writer's
//! commits never pay for copying pages (which would show up as latency spikes in the p99).
//!
//! Under continuous writes the WAL is never fully copied at the instant a new transaction starts,
//! so SQLite never rewinds it by itself; the writer rewinds it between batches (see
//! `Writer::rewind_wal_if_large`), which is cheap because this thread has already copied the pages.

use std::path::Path;
use std::sync::mpsc::{self, RecvTimeoutError, Sender};
use std::time::Duration;

use rusqlite::{Connection, OpenFlags};

use crate::{Result, StoreError};

const INTERVAL: Duration = Duration::from_millis(100);

/// Stops the checkpointer when dropped.
pub(super) struct CheckpointerHandle {
    _stop: Sender<()>,
}

pub(super) fn spawn(path: &Path) -> Result<CheckpointerHandle> {
    let conn = Connection::open_with_flags(
        path,
        OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )
    .map_err(StoreError::internal)?;
    conn.busy_timeout(Duration::from_secs(5))
        .map_err(StoreError::internal)?;
    let (stop, stopped) = mpsc::channel::<()>();
    std::thread::Builder::new()
        .name("store-checkpoint".into())
        .spawn(move || {
            while let Err(RecvTimeoutError::Timeout) = stopped.recv_timeout(INTERVAL) {
                if let Err(e) = conn.execute_batch("PRAGMA wal_checkpoint(PASSIVE)") {
                    tracing::debug!(error = %e, "checkpoint did not complete");
                }
            }
            // A final full checkpoint leaves a tidy file behind on clean shutdown.
            let _ = conn.execute_batch("PRAGMA wal_checkpoint(TRUNCATE)");
        })
        .map_err(StoreError::internal)?;
    Ok(CheckpointerHandle { _stop: stop })
}
