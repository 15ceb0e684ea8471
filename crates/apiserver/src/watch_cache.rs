//! The watch cache: every object of one stored resource in memory, kept current by one store watch,
//! with a window of recent events. LISTs and WATCHes are served from it, as kube-apiserver's cacher
//! does, so the store sees one watch per resource however many clients watch.

use std::collections::{BTreeMap, VecDeque};
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use capstan_api::strategy::SelectableField;
use capstan_store::{DynStore, EventKind, ListRequest, Revision, StoreError};
use futures::StreamExt;
use parking_lot::RwLock;
use serde_json::Value;
use tokio::sync::{broadcast, watch};

/// One object as cached: its stored bytes plus what selectors need, extracted once.
#[derive(Debug)]
pub struct CachedObject {
    pub key: String,
    pub namespace: String,
    pub name: String,
    /// The revision of this version (or, in a DELETED event, of the delete).
    pub rev: Revision,
    /// Stored JSON, without resourceVersion.
    pub bytes: Bytes,
    pub labels: BTreeMap<String, String>,
    /// Values of the resource's selectable fields.
    pub fields: Vec<(&'static str, String)>,
}

impl CachedObject {
    pub fn from_kv(
        key: String,
        bytes: Bytes,
        rev: Revision,
        selectable: &[SelectableField],
    ) -> CachedObject {
        let extracted = extract(&bytes, selectable).unwrap_or_default();
        CachedObject {
            key,
            namespace: extracted.namespace,
            name: extracted.name,
            rev,
            bytes,
            labels: extracted.labels,
            fields: extracted.fields,
        }
    }

    /// The value of a field for field selectors (None: not selectable on this type).
    pub fn field(&self, name: &str) -> Option<&str> {
        match name {
            "metadata.name" => Some(&self.name),
            "metadata.namespace" => Some(&self.namespace),
            _ => self
                .fields
                .iter()
                .find(|(n, _)| *n == name)
                .map(|(_, v)| v.as_str()),
        }
    }

    fn at_revision(&self, rev: Revision) -> CachedObject {
        CachedObject {
            key: self.key.clone(),
            namespace: self.namespace.clone(),
            name: self.name.clone(),
            rev,
            bytes: self.bytes.clone(),
            labels: self.labels.clone(),
            fields: self.fields.clone(),
        }
    }
}

/// What selectors need from an object.
#[derive(Default)]
struct Extracted {
    name: String,
    namespace: String,
    labels: BTreeMap<String, String>,
    fields: Vec<(&'static str, String)>,
}

/// Reads name, namespace, labels and the selectable fields without building the whole object:
/// the top level and each needed sub-object are split into raw (unparsed) values, and only the
/// values asked for are decoded.
fn extract(bytes: &[u8], selectable: &[SelectableField]) -> Option<Extracted> {
    use serde_json::value::RawValue;
    use std::borrow::Cow;
    type RawMap<'a> = std::collections::HashMap<Cow<'a, str>, &'a RawValue>;

    #[derive(serde::Deserialize)]
    struct Meta {
        #[serde(default)]
        name: String,
        #[serde(default)]
        namespace: String,
        #[serde(default)]
        labels: Option<BTreeMap<String, String>>,
    }

    let top: RawMap<'_> = serde_json::from_slice(bytes).ok()?;
    let meta: Meta = top
        .get("metadata")
        .and_then(|m| serde_json::from_str(m.get()).ok())?;
    let mut out = Extracted {
        name: meta.name,
        namespace: meta.namespace,
        labels: meta.labels.unwrap_or_default(),
        fields: Vec::with_capacity(selectable.len()),
    };
    // Sub-objects already split, by first path segment (spec, status, …).
    let mut split: std::collections::HashMap<&str, RawMap<'_>> = std::collections::HashMap::new();
    for f in selectable {
        let mut segments = f.pointer.trim_start_matches('/').split('/');
        let Some(first) = segments.next() else {
            continue;
        };
        let rest: Vec<&str> = segments.collect();
        let mut raw: Option<&RawValue> = top.get(first).copied();
        if let Some((last, middle)) = rest.split_last() {
            // Walk down: the first level is split once per object and reused.
            let Some(first_raw) = raw else {
                out.fields.push((f.name, f.default.to_owned()));
                continue;
            };
            let level = split
                .entry(first)
                .or_insert_with(|| serde_json::from_str(first_raw.get()).unwrap_or_default());
            let mut current: Option<&RawValue> = None;
            let mut map: Option<RawMap<'_>> = None;
            let mut ok = true;
            for (i, seg) in middle.iter().enumerate() {
                let next = if i == 0 {
                    level.get(*seg).copied()
                } else {
                    map.as_ref().and_then(|m| m.get(*seg).copied())
                };
                match next.and_then(|r| serde_json::from_str::<RawMap<'_>>(r.get()).ok()) {
                    Some(m) => map = Some(m),
                    None => {
                        ok = false;
                        break;
                    }
                }
            }
            if ok {
                current = if middle.is_empty() {
                    level.get(*last).copied()
                } else {
                    map.as_ref().and_then(|m| m.get(*last).copied())
                };
            }
            raw = current;
        }
        let value = match raw.map(|r| serde_json::from_str::<Value>(r.get())) {
            Some(Ok(Value::String(s))) => s,
            Some(Ok(Value::Bool(b))) => b.to_string(),
            Some(Ok(Value::Number(n))) => n.to_string(),
            _ => f.default.to_owned(),
        };
        out.fields.push((f.name, value));
    }
    Some(out)
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EventType {
    Added,
    Modified,
    Deleted,
}

impl EventType {
    pub fn as_str(self) -> &'static str {
        match self {
            EventType::Added => "ADDED",
            EventType::Modified => "MODIFIED",
            EventType::Deleted => "DELETED",
        }
    }
}

#[derive(Debug)]
pub struct CacheEvent {
    pub kind: EventType,
    /// The new version; for deletes, the last version at the delete's revision.
    pub object: Arc<CachedObject>,
    pub prev: Option<Arc<CachedObject>>,
}

impl CacheEvent {
    pub fn revision(&self) -> Revision {
        self.object.rev
    }
}

/// How many recent events a cache keeps for watches that resume from a resourceVersion.
const HISTORY_EVENTS: usize = 10_000;
/// Events buffered for live watchers; one that falls further behind is ended and resumes.
const BROADCAST_CAPACITY: usize = 1024;

struct State {
    objects: BTreeMap<String, Arc<CachedObject>>,
    /// Every event up to this revision has been applied.
    revision: Revision,
    history: VecDeque<Arc<CacheEvent>>,
    /// Watches may resume from any revision >= this (events after it are all in `history`).
    oldest: Revision,
}

pub struct WatchCache {
    prefix: String,
    selectable: &'static [SelectableField],
    state: RwLock<State>,
    events: broadcast::Sender<Arc<CacheEvent>>,
    progress: watch::Sender<Revision>,
}

/// A snapshot answer to a list.
pub struct Snapshot {
    pub objects: Vec<Arc<CachedObject>>,
    pub revision: Revision,
}

pub enum WatchStart {
    /// Replay these, then follow `live`.
    Events {
        replay: Vec<Arc<CacheEvent>>,
        live: broadcast::Receiver<Arc<CacheEvent>>,
        revision: Revision,
    },
    /// The requested revision is older than the cache remembers.
    TooOld { oldest: Revision },
}

impl WatchCache {
    /// Lists the prefix from the store and starts following it.
    pub async fn start(
        store: DynStore,
        prefix: String,
        selectable: &'static [SelectableField],
    ) -> Result<Arc<WatchCache>, StoreError> {
        let (events, _) = broadcast::channel(BROADCAST_CAPACITY);
        let (progress, _) = watch::channel(0);
        let cache = Arc::new(WatchCache {
            prefix,
            selectable,
            state: RwLock::new(State {
                objects: BTreeMap::new(),
                revision: 0,
                history: VecDeque::new(),
                oldest: 0,
            }),
            events,
            progress,
        });
        let rev = cache.relist(&store).await?;
        let weak = Arc::downgrade(&cache);
        tokio::spawn(async move {
            let mut after = rev;
            loop {
                let Some(cache) = weak.upgrade() else { return };
                match cache.follow(&store, after).await {
                    Ok(()) => return,
                    Err(e) => {
                        tracing::warn!(prefix = %cache.prefix, error = %e, "watch cache lost its store watch; relisting");
                        tokio::time::sleep(Duration::from_millis(200)).await;
                        match cache.relist(&store).await {
                            Ok(r) => after = r,
                            Err(e) => {
                                tracing::warn!(prefix = %cache.prefix, error = %e, "relist failed");
                                tokio::time::sleep(Duration::from_secs(1)).await;
                            }
                        }
                    }
                }
            }
        });
        Ok(cache)
    }

    /// Replaces the cache's contents with a fresh list. Watchers of the old contents are dropped
    /// (their streams end) and must resume, as with upstream's cacher.
    async fn relist(&self, store: &DynStore) -> Result<Revision, StoreError> {
        let list = store
            .list(ListRequest {
                prefix: self.prefix.clone(),
                ..Default::default()
            })
            .await?;
        let objects = list
            .kvs
            .into_iter()
            .map(|kv| {
                let obj = CachedObject::from_kv(
                    kv.key.clone(),
                    kv.value,
                    kv.mod_revision,
                    self.selectable,
                );
                (kv.key, Arc::new(obj))
            })
            .collect();
        let mut s = self.state.write();
        s.objects = objects;
        s.revision = list.revision;
        s.history.clear();
        s.oldest = list.revision;
        drop(s);
        self.progress.send_replace(list.revision);
        Ok(list.revision)
    }

    /// Applies store events until the watch fails (Err) or the cache is dropped (Ok).
    async fn follow(self: &Arc<Self>, store: &DynStore, after: Revision) -> Result<(), StoreError> {
        let mut w = store.watch_with_progress(&self.prefix, after).await?;
        while let Some(event) = w.next().await {
            let event = event?;
            if Arc::strong_count(self) <= 1 {
                return Ok(());
            }
            self.apply(event);
        }
        Err(StoreError::Unavailable {
            message: "store watch ended".into(),
        })
    }

    fn apply(&self, event: capstan_store::Event) {
        let rev = event.revision();
        let mut s = self.state.write();
        if rev <= s.revision {
            return;
        }
        let cache_event = match event.kind {
            EventKind::Progress => None,
            EventKind::Put => {
                let obj = Arc::new(CachedObject::from_kv(
                    event.kv.key.clone(),
                    event.kv.value,
                    rev,
                    self.selectable,
                ));
                let prev = s.objects.insert(event.kv.key, obj.clone());
                Some(CacheEvent {
                    kind: if prev.is_some() {
                        EventType::Modified
                    } else {
                        EventType::Added
                    },
                    object: obj,
                    prev,
                })
            }
            EventKind::Delete => s.objects.remove(&event.kv.key).map(|prev| CacheEvent {
                kind: EventType::Deleted,
                object: Arc::new(prev.at_revision(rev)),
                prev: Some(prev),
            }),
        };
        s.revision = rev;
        if let Some(e) = cache_event {
            let e = Arc::new(e);
            s.history.push_back(e.clone());
            while s.history.len() > HISTORY_EVENTS {
                let dropped = s.history.pop_front().expect("non-empty");
                s.oldest = dropped.revision();
            }
            // Sent under the lock so broadcast order equals revision order.
            let _ = self.events.send(e);
        }
        drop(s);
        self.progress.send_replace(rev);
    }

    pub fn revision(&self) -> Revision {
        self.state.read().revision
    }

    /// Waits until the cache has applied everything up to `rev`; false on timeout.
    pub async fn wait_for(&self, rev: Revision, timeout: Duration) -> bool {
        let mut rx = self.progress.subscribe();
        let reached = tokio::time::timeout(timeout, rx.wait_for(|r| *r >= rev)).await;
        matches!(reached, Ok(Ok(_)))
    }

    /// Objects under `prefix` (a namespace's prefix, or the whole resource's), filtered.
    pub fn list(&self, prefix: &str, keep: impl Fn(&CachedObject) -> bool) -> Snapshot {
        let s = self.state.read();
        let objects = s
            .objects
            .range::<str, _>((
                std::ops::Bound::Included(prefix),
                std::ops::Bound::Unbounded,
            ))
            .take_while(|(k, _)| k.starts_with(prefix))
            .filter(|(_, o)| keep(o))
            .map(|(_, o)| o.clone())
            .collect();
        Snapshot {
            objects,
            revision: s.revision,
        }
    }

    pub fn get(&self, key: &str) -> (Option<Arc<CachedObject>>, Revision) {
        let s = self.state.read();
        (s.objects.get(key).cloned(), s.revision)
    }

    /// Starts a watch after `rev` (`None`: from now, with the current objects replayed as ADDED).
    pub fn watch_from(&self, rev: Option<Revision>) -> WatchStart {
        let s = self.state.read();
        let live = self.events.subscribe();
        match rev {
            None => {
                let replay = s
                    .objects
                    .values()
                    .map(|o| {
                        Arc::new(CacheEvent {
                            kind: EventType::Added,
                            object: o.clone(),
                            prev: None,
                        })
                    })
                    .collect();
                WatchStart::Events {
                    replay,
                    live,
                    revision: s.revision,
                }
            }
            Some(r) if r < s.oldest => WatchStart::TooOld { oldest: s.oldest },
            Some(r) => {
                let replay = s
                    .history
                    .iter()
                    .filter(|e| e.revision() > r)
                    .cloned()
                    .collect();
                WatchStart::Events {
                    replay,
                    live,
                    revision: s.revision,
                }
            }
        }
    }

    pub fn len(&self) -> usize {
        self.state.read().objects.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use capstan_api::strategy::fields::field_value;
    use serde_json::json;

    /// The partial extraction agrees with reading the parsed object.
    #[test]
    fn extraction_matches_full_parse() {
        const FIELDS: &[SelectableField] = &[
            SelectableField::string("spec.nodeName", "/spec/nodeName"),
            SelectableField::boolean("spec.hostNetwork", "/spec/hostNetwork"),
            SelectableField::string("status.phase", "/status/phase"),
            SelectableField::string("involvedObject.kind", "/involvedObject/kind"),
            SelectableField::string("type", "/type"),
            SelectableField::string("deep.a.b", "/deep/a/b"),
        ];
        for obj in [
            json!({"metadata": {"name": "p", "namespace": "ns", "labels": {"a": "b"}},
                   "spec": {"nodeName": "n1", "hostNetwork": true}, "status": {"phase": "Running"},
                   "type": "Opaque", "deep": {"a": {"b": 7}}}),
            json!({"metadata": {"name": "q"}, "spec": {}}),
            json!({"metadata": {"name": "e\"x", "namespace": "d"}, "involvedObject": {"kind": "Pod"}}),
        ] {
            let bytes = Bytes::from(serde_json::to_vec(&obj).unwrap());
            let o = CachedObject::from_kv("k".into(), bytes, 1, FIELDS);
            assert_eq!(o.name, obj["metadata"]["name"].as_str().unwrap());
            assert_eq!(
                o.namespace,
                obj["metadata"]["namespace"].as_str().unwrap_or("")
            );
            for f in FIELDS {
                assert_eq!(
                    o.field(f.name),
                    field_value(FIELDS, &obj, f.name).as_deref(),
                    "{}",
                    f.name
                );
            }
        }
    }
}
