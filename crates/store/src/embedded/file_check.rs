//! Cheap checks of an existing database file before SQLite opens it, so a damaged or foreign file
//! is reported clearly instead of being treated as (or turned into) an empty store.

use std::io::Read;
use std::path::Path;

use super::schema::corrupt;
use crate::{Result, StoreError};

const HEADER_MAGIC: &[u8; 16] = b"SQLite format 3\0";

pub(super) fn check_existing_file(path: &Path) -> Result<()> {
    let meta = match std::fs::metadata(path) {
        Ok(m) => m,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
        Err(e) => {
            return Err(StoreError::Unavailable {
                message: format!("cannot read store database {}: {e}", path.display()),
            });
        }
    };
    if !meta.is_file() {
        return Err(StoreError::Corrupt {
            message: format!(
                "store database {} is not a regular file; point --data-dir at a directory Capstan owns",
                path.display()
            ),
        });
    }
    let len = meta.len();
    if len == 0 {
        // A crash right after creating the file, before the first transaction: SQLite treats an
        // empty file as a new database, and nothing was ever acknowledged from it.
        return Ok(());
    }
    let mut header = [0u8; 100];
    let mut file = std::fs::File::open(path).map_err(|e| StoreError::Unavailable {
        message: format!("cannot open store database {}: {e}", path.display()),
    })?;
    if len < 100 {
        return Err(corrupt(path, &format!("file is truncated to {len} bytes")));
    }
    file.read_exact(&mut header)
        .map_err(|e| corrupt(path, &format!("cannot read header: {e}")))?;
    if &header[..16] != HEADER_MAGIC {
        return Err(corrupt(path, "not an SQLite database: bad header"));
    }
    let page_size = match u16::from_be_bytes([header[16], header[17]]) {
        1 => 65536u64,
        n => n as u64,
    };
    if !(512..=65536).contains(&page_size) || !page_size.is_power_of_two() {
        return Err(corrupt(path, "header has an invalid page size"));
    }
    let change_counter = u32::from_be_bytes(header[24..28].try_into().expect("4 bytes"));
    let page_count = u32::from_be_bytes(header[28..32].try_into().expect("4 bytes")) as u64;
    let valid_for = u32::from_be_bytes(header[92..96].try_into().expect("4 bytes"));
    // The in-header page count is only trustworthy when it was written with the current change
    // counter (SQLite's own rule), and only when no WAL holds pages not yet copied back: a crash in
    // the middle of a checkpoint legitimately leaves the file shorter than its header says, and
    // SQLite completes it from the WAL.
    let wal = std::path::PathBuf::from(format!("{}-wal", path.display()));
    let wal_has_frames = std::fs::metadata(&wal)
        .map(|m| m.len() > 32)
        .unwrap_or(false);
    if change_counter == valid_for
        && page_count > 0
        && !wal_has_frames
        && len < page_count * page_size
    {
        return Err(corrupt(
            path,
            &format!(
                "file is truncated: {len} bytes, but its header describes {} bytes",
                page_count * page_size
            ),
        ));
    }
    Ok(())
}
