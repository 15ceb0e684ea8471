//! The behavioural suite every backend must pass: the etcd v3 semantics the API server relies on.

mod common;

use std::collections::BTreeMap;
use std::time::Duration;

use bytes::Bytes;
use capstan_store::{DynStore, EventKind, ListRequest, StoreError};
use futures::StreamExt;

fn b(s: &str) -> Bytes {
    Bytes::copy_from_slice(s.as_bytes())
}

async fn next_event(w: &mut capstan_store::WatchStream) -> capstan_store::Event {
    tokio::time::timeout(Duration::from_secs(10), w.next())
        .await
        .expect("watch event within 10s")
        .expect("watch stream open")
        .expect("watch event, not error")
}

async fn revisions_and_versions(s: DynStore) {
    let r0 = s.current_revision().await.unwrap();
    let a = s.create("/t/a", b("1")).await.unwrap();
    assert_eq!(a.mod_revision, r0 + 1);
    assert_eq!(a.create_revision, r0 + 1);
    let a2 = s.update("/t/a", b("2"), a.mod_revision).await.unwrap();
    assert_eq!(a2.mod_revision, r0 + 2);
    assert_eq!(
        a2.create_revision, a.create_revision,
        "update keeps create revision"
    );
    let other = s.create("/t/b", b("x")).await.unwrap();
    assert_eq!(other.mod_revision, r0 + 3);
    assert_eq!(s.current_revision().await.unwrap(), r0 + 3);

    let now = s.get("/t/a", None).await.unwrap();
    assert_eq!(now.kv.unwrap().value, b("2"));
    assert_eq!(now.revision, r0 + 3);
    let then = s.get("/t/a", Some(a.mod_revision)).await.unwrap();
    assert_eq!(then.kv.unwrap().value, b("1"), "read at a past revision");
    assert!(
        s.get("/t/b", Some(a.mod_revision))
            .await
            .unwrap()
            .kv
            .is_none()
    );
    assert!(matches!(
        s.get("/t/a", Some(r0 + 100)).await,
        Err(StoreError::FutureRevision { .. })
    ));

    // A deleted and re-created key starts a new incarnation.
    let (drev, prev) = s.delete("/t/a", None).await.unwrap();
    assert_eq!(prev.value, b("2"));
    assert!(s.get("/t/a", None).await.unwrap().kv.is_none());
    assert_eq!(
        s.get("/t/a", Some(drev - 1))
            .await
            .unwrap()
            .kv
            .unwrap()
            .value,
        b("2")
    );
    let again = s.create("/t/a", b("3")).await.unwrap();
    assert_eq!(again.create_revision, again.mod_revision);
    assert!(again.create_revision > drev);
}

async fn conditional_writes(s: DynStore) {
    let a = s.create("/t/a", b("1")).await.unwrap();
    match s.create("/t/a", b("other")).await {
        Err(StoreError::AlreadyExists { current }) => assert_eq!(current, a),
        other => panic!("expected AlreadyExists, got {other:?}"),
    }
    let a2 = s.update("/t/a", b("2"), a.mod_revision).await.unwrap();
    match s.update("/t/a", b("stale"), a.mod_revision).await {
        Err(StoreError::Conflict { current: Some(c) }) => {
            assert_eq!(c.value, b("2"));
            assert_eq!(c.mod_revision, a2.mod_revision);
        }
        other => panic!("expected Conflict with the current value, got {other:?}"),
    }
    assert!(matches!(
        s.update("/t/missing", b("x"), 1).await,
        Err(StoreError::Conflict { current: None })
    ));
    assert!(matches!(
        s.delete("/t/a", Some(a.mod_revision)).await,
        Err(StoreError::Conflict { current: Some(_) })
    ));
    assert!(matches!(
        s.delete("/t/missing", None).await,
        Err(StoreError::NotFound)
    ));
    assert!(matches!(
        s.delete("/t/missing", Some(3)).await,
        Err(StoreError::Conflict { current: None })
    ));
    let (_, prev) = s.delete("/t/a", Some(a2.mod_revision)).await.unwrap();
    assert_eq!(prev.value, b("2"));
    // The failed writes did not consume revisions or change data.
    assert_eq!(s.current_revision().await.unwrap(), a2.mod_revision + 1);
}

async fn range_and_paging(s: DynStore) {
    for i in 0..25 {
        s.create(&format!("/registry/pods/ns/p{i:02}"), b(&i.to_string()))
            .await
            .unwrap();
    }
    s.create("/registry/pods/other/x", b("x")).await.unwrap();
    s.create("/registry/podsx/ns/y", b("y")).await.unwrap();
    s.create("/registry/pods/ns", b("not under the prefix with a slash"))
        .await
        .unwrap();

    let all = s
        .list(ListRequest {
            prefix: "/registry/pods/ns/".into(),
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(all.kvs.len(), 25);
    assert!(!all.more);
    let keys: Vec<_> = all.kvs.iter().map(|k| k.key.clone()).collect();
    let mut sorted = keys.clone();
    sorted.sort();
    assert_eq!(keys, sorted, "lists come in key order");

    let page1 = s
        .list(ListRequest {
            prefix: "/registry/pods/ns/".into(),
            limit: 10,
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(page1.kvs.len(), 10);
    assert!(page1.more);
    assert_eq!(page1.remaining, 15);

    // Writes between pages do not show in later pages read at the first page's revision.
    s.create("/registry/pods/ns/p99", b("late")).await.unwrap();
    s.delete("/registry/pods/ns/p20", None).await.unwrap();
    let mut seen = page1.kvs.clone();
    let mut start = format!("{}\0", page1.kvs.last().unwrap().key);
    loop {
        let page = s
            .list(ListRequest {
                prefix: "/registry/pods/ns/".into(),
                start_key: Some(start.clone()),
                revision: Some(page1.revision),
                limit: 10,
            })
            .await
            .unwrap();
        assert_eq!(page.revision, page1.revision);
        seen.extend(page.kvs.iter().cloned());
        if !page.more {
            break;
        }
        start = format!("{}\0", page.kvs.last().unwrap().key);
    }
    let seen: Vec<_> = seen.iter().map(|k| k.key.clone()).collect();
    assert_eq!(
        seen, keys,
        "paged list at a fixed revision equals the one-shot list"
    );

    let latest = s
        .list(ListRequest {
            prefix: "/registry/pods/ns/".into(),
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(latest.kvs.len(), 25);
    assert!(latest.kvs.iter().any(|k| k.key.ends_with("p99")));
    assert!(!latest.kvs.iter().any(|k| k.key.ends_with("p20")));
}

async fn watch_order_and_resume(s: DynStore) {
    let start = s.current_revision().await.unwrap();
    let mut w = s.watch("/w/", start).await.unwrap();
    let a = s.create("/w/a", b("1")).await.unwrap();
    s.create("/elsewhere/z", b("ignored")).await.unwrap();
    let a2 = s.update("/w/a", b("2"), a.mod_revision).await.unwrap();
    let c = s.create("/w/c", b("3")).await.unwrap();
    let (drev, _) = s.delete("/w/a", None).await.unwrap();

    let e1 = next_event(&mut w).await;
    assert_eq!(
        (e1.kind, e1.kv.key.as_str(), e1.revision()),
        (EventKind::Put, "/w/a", a.mod_revision)
    );
    assert!(e1.prev.is_none());
    let e2 = next_event(&mut w).await;
    assert_eq!(e2.revision(), a2.mod_revision);
    assert_eq!(
        e2.prev.as_ref().unwrap().value,
        b("1"),
        "updates carry the previous value"
    );
    let e3 = next_event(&mut w).await;
    assert_eq!(e3.revision(), c.mod_revision);
    let e4 = next_event(&mut w).await;
    assert_eq!(e4.kind, EventKind::Delete);
    assert_eq!(e4.revision(), drev);
    assert_eq!(
        e4.prev.as_ref().unwrap().value,
        b("2"),
        "deletes carry the deleted value"
    );
    drop(w);

    // Resume after the second event: exactly the later ones, once each.
    let mut resumed = s.watch("/w/", a2.mod_revision).await.unwrap();
    assert_eq!(next_event(&mut resumed).await.revision(), c.mod_revision);
    assert_eq!(next_event(&mut resumed).await.revision(), drev);
    s.create("/w/d", b("4")).await.unwrap();
    let live = next_event(&mut resumed).await;
    assert_eq!(live.kv.key, "/w/d");
    assert!(
        tokio::time::timeout(Duration::from_millis(300), resumed.next())
            .await
            .is_err(),
        "no duplicate or extra events"
    );
}

async fn compaction(s: DynStore) {
    let v1 = s.create("/c/a", b("1")).await.unwrap();
    let v2 = s.update("/c/a", b("2"), v1.mod_revision).await.unwrap();
    let gone = s.create("/c/gone", b("x")).await.unwrap();
    s.delete("/c/gone", None).await.unwrap();
    let v3 = s.update("/c/a", b("3"), v2.mod_revision).await.unwrap();
    let keep = s.create("/c/b", b("b")).await.unwrap();

    s.compact(v3.mod_revision).await.unwrap();
    assert_eq!(s.compacted_revision().await.unwrap(), v3.mod_revision);
    // Give stepwise backends time to finish removing rows; reads must be right throughout anyway.
    tokio::time::sleep(Duration::from_millis(100)).await;

    assert!(matches!(
        s.get("/c/a", Some(v2.mod_revision)).await,
        Err(StoreError::Compacted { .. })
    ));
    assert!(matches!(
        s.list(ListRequest {
            prefix: "/c/".into(),
            revision: Some(gone.mod_revision),
            ..Default::default()
        })
        .await,
        Err(StoreError::Compacted { .. })
    ));
    match s.watch("/c/", v1.mod_revision).await {
        Err(StoreError::Compacted { .. }) => {}
        Err(e) => panic!("expected Compacted, got {e:?}"),
        Ok(mut w) => {
            // etcd reports compaction on the stream rather than at creation.
            match tokio::time::timeout(Duration::from_secs(5), w.next())
                .await
                .unwrap()
            {
                Some(Err(StoreError::Compacted { .. })) => {}
                other => panic!("expected a compacted error, got {other:?}"),
            }
        }
    }
    // The state at the compaction revision is intact, and history after it is watchable.
    assert_eq!(
        s.get("/c/a", Some(v3.mod_revision))
            .await
            .unwrap()
            .kv
            .unwrap()
            .value,
        b("3")
    );
    assert_eq!(s.get("/c/a", None).await.unwrap().kv.unwrap().value, b("3"));
    let mut w = s.watch("/c/", v3.mod_revision).await.unwrap();
    let e = next_event(&mut w).await;
    assert_eq!(e.revision(), keep.mod_revision);
    // Compacting again at an older revision is refused.
    assert!(matches!(
        s.compact(v2.mod_revision).await,
        Err(StoreError::Compacted { .. })
    ));
}

async fn concurrent_writers(s: DynStore) {
    const WRITERS: usize = 32;
    const EACH: usize = 20;
    let start = s.current_revision().await.unwrap();
    let mut w = s.watch("/cc/", start).await.unwrap();
    s.create("/cc/counter", b("0")).await.unwrap();
    let mut tasks = Vec::new();
    for t in 0..WRITERS {
        let s = s.clone();
        tasks.push(tokio::spawn(async move {
            let mut revs = Vec::new();
            for i in 0..EACH {
                revs.push(
                    s.create(&format!("/cc/{t}/{i}"), b("v"))
                        .await
                        .unwrap()
                        .mod_revision,
                );
                // A contended read-modify-write loop, as the API server's updates are.
                loop {
                    let cur = s.get("/cc/counter", None).await.unwrap().kv.unwrap();
                    let n: u64 = std::str::from_utf8(&cur.value).unwrap().parse().unwrap();
                    match s
                        .update("/cc/counter", b(&(n + 1).to_string()), cur.mod_revision)
                        .await
                    {
                        Ok(kv) => {
                            revs.push(kv.mod_revision);
                            break;
                        }
                        Err(StoreError::Conflict { .. }) => continue,
                        Err(e) => panic!("{e}"),
                    }
                }
            }
            revs
        }));
    }
    let mut all_revs = Vec::new();
    for t in tasks {
        all_revs.extend(t.await.unwrap());
    }
    let total = WRITERS * EACH * 2;
    all_revs.sort();
    all_revs.dedup();
    assert_eq!(
        all_revs.len(),
        total,
        "every acknowledged write has its own revision"
    );
    let counter = s.get("/cc/counter", None).await.unwrap().kv.unwrap();
    assert_eq!(
        counter.value,
        b(&(WRITERS * EACH).to_string()),
        "no lost update"
    );

    let mut last = 0;
    let mut count = 0;
    while count < total + 1 {
        let e = next_event(&mut w).await;
        assert!(e.revision() > last, "watch events strictly ordered");
        last = e.revision();
        count += 1;
    }
}

async fn slow_watcher_misses_nothing(s: DynStore) {
    let start = s.current_revision().await.unwrap();
    let mut w = s.watch("/slow/", start).await.unwrap();
    // Many single-write transactions while the watcher does not read.
    let mut expected = BTreeMap::new();
    let writers: Vec<_> = (0..8)
        .map(|t| {
            let s = s.clone();
            tokio::spawn(async move {
                let mut revs = Vec::new();
                for i in 0..700 {
                    revs.push(
                        s.create(&format!("/slow/{t}/{i}"), b("v"))
                            .await
                            .unwrap()
                            .mod_revision,
                    );
                }
                revs
            })
        })
        .collect();
    for t in writers {
        for r in t.await.unwrap() {
            expected.insert(r, ());
        }
    }
    let mut got = Vec::new();
    while got.len() < expected.len() {
        got.push(next_event(&mut w).await.revision());
    }
    let want: Vec<_> = expected.keys().copied().collect();
    assert_eq!(
        got, want,
        "a lagging watcher still gets every event once, in order"
    );
}

/// Random writes checked against a model of every revision: gets and paged lists at every past
/// revision, before and after a compaction in the middle.
async fn history_matches_model(s: DynStore) {
    use rand::{Rng, SeedableRng};
    let mut rng = rand::rngs::StdRng::seed_from_u64(7);
    let keys: Vec<String> = (0..12).map(|i| format!("/m/k{i:02}")).collect();
    // The whole keyspace (key -> value, mod revision) after each revision.
    type Keyspace = BTreeMap<String, (Bytes, i64)>;
    let mut state = Keyspace::new();
    let mut history: Vec<(i64, Keyspace)> = Vec::new();
    for step in 0..160 {
        let key = &keys[rng.random_range(0..keys.len())];
        let value = b(&format!("v{step}"));
        let rev = match state.get(key).cloned() {
            None => s.create(key, value.clone()).await.unwrap().mod_revision,
            Some((_, cur)) if rng.random_bool(0.3) => {
                let (rev, _) = s.delete(key, Some(cur)).await.unwrap();
                state.remove(key);
                history.push((rev, state.clone()));
                continue;
            }
            Some((_, cur)) => {
                s.update(key, value.clone(), cur)
                    .await
                    .unwrap()
                    .mod_revision
            }
        };
        state.insert(key.clone(), (value, rev));
        history.push((rev, state.clone()));
    }
    let check = |from: usize| {
        let s = s.clone();
        let history = history.clone();
        async move {
            for (rev, expected) in &history[from..] {
                for key in ["/m/k00", "/m/k05", "/m/k11"] {
                    let got = s
                        .get(key, Some(*rev))
                        .await
                        .unwrap()
                        .kv
                        .map(|kv| (kv.value, kv.mod_revision));
                    assert_eq!(got, expected.get(key).cloned(), "get {key} at {rev}");
                }
                // A paged list (3 per page) at this revision equals the model.
                let mut got = Vec::new();
                let mut start = None;
                loop {
                    let page = s
                        .list(ListRequest {
                            prefix: "/m/".into(),
                            start_key: start.clone(),
                            revision: Some(*rev),
                            limit: 3,
                        })
                        .await
                        .unwrap();
                    got.extend(
                        page.kvs
                            .iter()
                            .map(|kv| (kv.key.clone(), kv.value.clone(), kv.mod_revision)),
                    );
                    if !page.more {
                        assert_eq!(page.remaining, 0);
                        break;
                    }
                    let seen_so_far = got.len() as i64;
                    assert_eq!(
                        page.remaining,
                        expected.len() as i64 - seen_so_far,
                        "remaining at {rev}"
                    );
                    start = Some(format!("{}\0", page.kvs.last().unwrap().key));
                }
                let want: Vec<_> = expected
                    .iter()
                    .map(|(k, (v, r))| (k.clone(), v.clone(), *r))
                    .collect();
                assert_eq!(got, want, "list at {rev}");
            }
        }
    };
    check(0).await;
    let middle = history.len() / 2;
    let (compact_at, _) = history[middle];
    s.compact(compact_at).await.unwrap();
    tokio::time::sleep(Duration::from_millis(200)).await;
    check(middle).await;
    assert!(matches!(
        s.get("/m/k00", Some(history[middle - 1].0)).await,
        Err(StoreError::Compacted { .. })
    ));
}

/// A progress-reporting watch on a quiet prefix still learns how far the store has got.
async fn progress_on_quiet_prefix(s: DynStore) {
    let start = s.current_revision().await.unwrap();
    let mut w = s.watch_with_progress("/quiet/", start).await.unwrap();
    let mut last = 0;
    for i in 0..5 {
        last = s
            .create(&format!("/busy/{i}"), b("x"))
            .await
            .unwrap()
            .mod_revision;
    }
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    loop {
        let e = tokio::time::timeout_at(deadline, w.next())
            .await
            .expect("progress reaches the latest revision")
            .unwrap()
            .unwrap();
        assert_eq!(
            e.kind,
            EventKind::Progress,
            "nothing changed under the prefix"
        );
        if e.revision() >= last {
            break;
        }
    }
    // A real change still arrives as itself.
    let kv = s.create("/quiet/a", b("1")).await.unwrap();
    loop {
        let e = next_event(&mut w).await;
        if e.kind == EventKind::Put {
            assert_eq!(e.revision(), kv.mod_revision);
            break;
        }
    }
}

macro_rules! suite {
    ($($name:ident),* $(,)?) => {
        mod embedded {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    let backend = crate::common::embedded();
                    super::$name(backend.store.clone()).await;
                }
            )*
        }
        mod etcd {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    let backend = crate::common::etcd().await;
                    super::$name(backend.store.clone()).await;
                }
            )*
        }
    };
}

suite!(
    revisions_and_versions,
    conditional_writes,
    range_and_paging,
    watch_order_and_resume,
    compaction,
    concurrent_writers,
    slow_watcher_misses_nothing,
    history_matches_model,
    progress_on_quiet_prefix,
);
