//! The live keys, in memory: key → (revision of its current version, revision that created it).
//!
//! Rebuilt at start-up from the log; updated by the writer after each commit, under one write lock
//! per batch, together with the revision it reflects. Readers take what they need under a read lock
//! and fetch values afterwards, so the lock is never held across IO.

use std::collections::BTreeMap;
use std::ops::Bound;

use parking_lot::RwLock;
use rusqlite::Connection;

use crate::Revision;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct Entry {
    pub rev: Revision,
    pub create_rev: Revision,
}

#[derive(Default)]
pub(super) struct IndexState {
    pub keys: BTreeMap<String, Entry>,
    /// The revision this state reflects: every write up to it is applied, none after.
    pub revision: Revision,
    pub compacted: Revision,
}

#[derive(Default)]
pub(super) struct Index {
    state: RwLock<IndexState>,
}

/// A change to apply after commit: `None` removes the key.
pub(super) type Change = (String, Option<Entry>);

impl Index {
    /// Replays the log (in revision order) into the set of live keys.
    pub fn load(
        conn: &Connection,
        revision: Revision,
        compacted: Revision,
    ) -> rusqlite::Result<Index> {
        let mut keys = BTreeMap::new();
        let mut stmt =
            conn.prepare("SELECT rev, key, create_rev, deleted FROM log ORDER BY rev")?;
        let mut rows = stmt.query([])?;
        while let Some(r) = rows.next()? {
            let key = super::reader::key_string(r.get(1)?);
            if r.get::<_, bool>(3)? {
                keys.remove(&key);
            } else {
                keys.insert(
                    key,
                    Entry {
                        rev: r.get(0)?,
                        create_rev: r.get(2)?,
                    },
                );
            }
        }
        Ok(Index {
            state: RwLock::new(IndexState {
                keys,
                revision,
                compacted,
            }),
        })
    }

    pub fn get(&self, key: &str) -> (Option<Entry>, Revision) {
        let s = self.state.read();
        (s.keys.get(key).copied(), s.revision)
    }

    pub fn revisions(&self) -> (Revision, Revision) {
        let s = self.state.read();
        (s.revision, s.compacted)
    }

    /// Up to `limit` (0 = all) live keys under `prefix`, from `start` on, in key order, plus how
    /// many more follow; at the index's revision.
    pub fn range(&self, prefix: &str, start: &str, limit: usize) -> RangeSnapshot {
        let s = self.state.read();
        let mut iter = s
            .keys
            .range::<str, _>((Bound::Included(start), Bound::Unbounded))
            .take_while(|(k, _)| k.starts_with(prefix))
            .map(|(k, e)| (k.clone(), *e));
        let mut entries = Vec::new();
        let mut remaining = 0;
        if limit == 0 {
            entries.extend(iter);
        } else {
            entries.extend(iter.by_ref().take(limit));
            remaining = iter.count() as i64;
        }
        RangeSnapshot {
            entries,
            remaining,
            revision: s.revision,
        }
    }

    /// How many live keys under `prefix` sort after `key`.
    pub fn count_after(&self, prefix: &str, key: &str) -> i64 {
        let s = self.state.read();
        s.keys
            .range::<str, _>((Bound::Excluded(key), Bound::Unbounded))
            .take_while(|(k, _)| k.starts_with(prefix))
            .count() as i64
    }

    /// Applies a committed batch.
    pub fn apply(&self, changes: Vec<Change>, revision: Revision) {
        let mut s = self.state.write();
        for (key, entry) in changes {
            match entry {
                Some(e) => {
                    s.keys.insert(key, e);
                }
                None => {
                    s.keys.remove(&key);
                }
            }
        }
        s.revision = revision;
    }

    pub fn set_compacted(&self, compacted: Revision) {
        self.state.write().compacted = compacted;
    }
}

pub(super) struct RangeSnapshot {
    pub entries: Vec<(String, Entry)>,
    /// Live keys in range after the returned ones.
    pub remaining: i64,
    pub revision: Revision,
}
