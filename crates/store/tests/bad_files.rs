//! A damaged database file is a clear start-up error naming the file, never an empty store.

use bytes::Bytes;
use capstan_store::embedded::SqliteStore;
use capstan_store::{Store, StoreError};

async fn populated(dir: &std::path::Path) -> std::path::PathBuf {
    let path = dir.join("state.db");
    let store = SqliteStore::open(&path).unwrap();
    for i in 0..2000 {
        store
            .create(
                &format!("/registry/configmaps/default/c{i}"),
                Bytes::from(vec![b'x'; 1024]),
            )
            .await
            .unwrap();
    }
    drop(store);
    // Let the writer thread close the database and checkpoint.
    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    path
}

fn expect_corrupt(path: &std::path::Path) -> String {
    match SqliteStore::open(path) {
        Err(StoreError::Corrupt { message }) => {
            assert!(
                message.contains(&path.display().to_string()),
                "names the file: {message}"
            );
            message
        }
        Err(other) => panic!("expected a corruption error, got {other:?}"),
        Ok(_) => panic!("a damaged file opened as a store"),
    }
}

#[tokio::test]
async fn truncated_file_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let path = populated(dir.path()).await;
    // Fold the WAL in so the main file holds the data, then cut it in half.
    {
        let conn = rusqlite::Connection::open(&path).unwrap();
        conn.execute_batch("PRAGMA wal_checkpoint(TRUNCATE);")
            .unwrap();
    }
    let len = std::fs::metadata(&path).unwrap().len();
    std::fs::OpenOptions::new()
        .write(true)
        .open(&path)
        .unwrap()
        .set_len(len / 2)
        .unwrap();
    let msg = expect_corrupt(&path);
    assert!(msg.contains("truncated"), "{msg}");
}

#[tokio::test]
async fn garbage_file_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("state.db");
    std::fs::write(&path, vec![0x42u8; 8192]).unwrap();
    expect_corrupt(&path);
}

#[tokio::test]
async fn scribbled_pages_are_found() {
    let dir = tempfile::tempdir().unwrap();
    let path = populated(dir.path()).await;
    {
        let conn = rusqlite::Connection::open(&path).unwrap();
        conn.execute_batch("PRAGMA wal_checkpoint(TRUNCATE);")
            .unwrap();
    }
    // Overwrite pages in the middle of the file (b-tree pages of the log table and its index).
    let mut data = std::fs::read(&path).unwrap();
    let mid = data.len() / 2;
    for b in &mut data[mid..mid + 16384] {
        *b = 0xA5;
    }
    std::fs::write(&path, data).unwrap();
    expect_corrupt(&path);
}

#[tokio::test]
async fn healthy_file_reopens_with_its_data() {
    let dir = tempfile::tempdir().unwrap();
    let path = populated(dir.path()).await;
    let store = SqliteStore::open(&path).unwrap();
    assert_eq!(store.current_revision().await.unwrap(), 2000);
    let kv = store
        .get("/registry/configmaps/default/c1999", None)
        .await
        .unwrap()
        .kv
        .unwrap();
    assert_eq!(kv.mod_revision, 2000);
}
