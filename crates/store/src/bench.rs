//! `capstan bench store`: the same workload against the embedded backend and a real etcd started
//! for the run, side by side. Prints writes/s and latency at several concurrencies, the time to list
//! 50,000 keys, watch delivery latency to many watchers, and (optionally) database size under a
//! long update loop with automatic compaction.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use futures::StreamExt;

use crate::embedded::SqliteStore;
use crate::etcd::{EtcdConfig, EtcdStore};
use crate::etcd_process::EtcdCluster;
use crate::{DynStore, ListRequest, StoreError};

#[derive(Clone, Debug)]
pub struct BenchOptions {
    /// Which backends to run: "embedded", "etcd".
    pub backends: Vec<String>,
    /// Concurrency levels for the write test.
    pub writers: Vec<usize>,
    /// How long each write test runs.
    pub write_duration: Duration,
    pub value_size: usize,
    pub list_keys: usize,
    pub watchers: usize,
    pub watch_writes: usize,
    /// Length of the update loop measuring database growth (0 = skip).
    pub soak: Duration,
    pub soak_compaction_interval: Duration,
    /// Scratch directory (a temporary one when `None`).
    pub dir: Option<PathBuf>,
}

impl Default for BenchOptions {
    fn default() -> Self {
        BenchOptions {
            backends: vec!["embedded".into(), "etcd".into()],
            writers: vec![1, 16, 256],
            write_duration: Duration::from_secs(5),
            value_size: 1024,
            list_keys: 50_000,
            watchers: 1000,
            watch_writes: 200,
            soak: Duration::ZERO,
            soak_compaction_interval: crate::compactor::DEFAULT_INTERVAL,
            dir: None,
        }
    }
}

/// Latency percentiles over a set of samples.
pub struct Percentiles {
    pub p50: Duration,
    pub p99: Duration,
    pub max: Duration,
}

pub fn percentiles(samples: &mut [Duration]) -> Percentiles {
    samples.sort();
    let at = |q: f64| {
        if samples.is_empty() {
            Duration::ZERO
        } else {
            samples[((samples.len() as f64 * q) as usize).min(samples.len() - 1)]
        }
    };
    Percentiles {
        p50: at(0.50),
        p99: at(0.99),
        max: samples.last().copied().unwrap_or_default(),
    }
}

fn ms(d: Duration) -> String {
    format!("{:.2} ms", d.as_secs_f64() * 1000.0)
}

struct Subject {
    name: String,
    store: DynStore,
    /// Keeps etcd running for the subject's lifetime.
    _etcd: Option<EtcdCluster>,
    db_path: Option<PathBuf>,
}

async fn open_subject(name: &str, dir: &Path) -> Result<Subject, String> {
    match name {
        "embedded" => {
            let path = dir.join("embedded").join("state.db");
            let p = path.clone();
            let store = tokio::task::spawn_blocking(move || SqliteStore::open(&p))
                .await
                .map_err(|e| e.to_string())?
                .map_err(|e| e.to_string())?;
            Ok(Subject {
                name: "embedded (sqlite)".into(),
                store: Arc::new(store),
                _etcd: None,
                db_path: Some(path),
            })
        }
        "etcd" => {
            let etcd_dir = dir.join("etcd");
            std::fs::create_dir_all(&etcd_dir).map_err(|e| e.to_string())?;
            let cluster = EtcdCluster::start(&etcd_dir, 1)?;
            let cfg = EtcdConfig {
                endpoints: cluster.client_urls(),
                ..Default::default()
            };
            let store = EtcdStore::connect(&cfg).await.map_err(|e| e.to_string())?;
            let db_path = Some(cluster.members[0].data_dir.join("member/snap/db"));
            Ok(Subject {
                name: "etcd 3.4 (1 member)".into(),
                store: Arc::new(store),
                _etcd: Some(cluster),
                db_path,
            })
        }
        other => Err(format!("unknown backend {other:?}: use embedded or etcd")),
    }
}

/// Runs the whole benchmark, printing as it goes.
pub async fn run(opts: BenchOptions) -> Result<(), String> {
    let tmp;
    let dir = match &opts.dir {
        Some(d) => d.clone(),
        None => {
            tmp = tempdir()?;
            tmp.clone()
        }
    };
    println!(
        "store benchmark: values {} B, writers {:?}, {}s per write test, fsync on every commit",
        opts.value_size,
        opts.writers,
        opts.write_duration.as_secs()
    );
    for name in &opts.backends {
        let subject = open_subject(name, &dir).await?;
        println!("\n== {} ==", subject.name);
        for &n in &opts.writers {
            write_test(&subject, n, &opts).await?;
        }
        list_test(&subject, &opts).await?;
        watch_test(&subject, &opts).await?;
        if !opts.soak.is_zero() {
            soak_test(&subject, &opts).await?;
        }
    }
    if opts.dir.is_none() {
        let _ = std::fs::remove_dir_all(&dir);
    }
    Ok(())
}

fn tempdir() -> Result<PathBuf, String> {
    let dir = std::env::temp_dir().join(format!("capstan-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir).map_err(|e| e.to_string())?;
    Ok(dir)
}

async fn write_test(s: &Subject, writers: usize, opts: &BenchOptions) -> Result<(), String> {
    let value = Bytes::from(vec![b'v'; opts.value_size]);
    let deadline = Instant::now() + opts.write_duration;
    let started = Instant::now();
    let mut tasks = Vec::new();
    for w in 0..writers {
        let store = s.store.clone();
        let value = value.clone();
        tasks.push(tokio::spawn(async move {
            let mut latencies = Vec::new();
            let mut i = 0u64;
            while Instant::now() < deadline {
                let key = format!("/bench/writes/{writers}/{w}/{i}");
                let t = Instant::now();
                store.create(&key, value.clone()).await?;
                latencies.push(t.elapsed());
                i += 1;
            }
            Ok::<_, StoreError>(latencies)
        }));
    }
    let mut all = Vec::new();
    for t in tasks {
        all.extend(
            t.await
                .map_err(|e| e.to_string())?
                .map_err(|e| e.to_string())?,
        );
    }
    let elapsed = started.elapsed();
    let p = percentiles(&mut all);
    println!(
        "writes, {writers:>3} writers: {:>8.0} writes/s  p50 {}  p99 {}  ({} writes)",
        all.len() as f64 / elapsed.as_secs_f64(),
        ms(p.p50),
        ms(p.p99),
        all.len()
    );
    Ok(())
}

async fn list_test(s: &Subject, opts: &BenchOptions) -> Result<(), String> {
    let value = Bytes::from(vec![b'l'; opts.value_size]);
    let fill = Instant::now();
    let per_task = opts.list_keys.div_ceil(64);
    let mut tasks = Vec::new();
    for t in 0..64 {
        let store = s.store.clone();
        let value = value.clone();
        let n = opts.list_keys;
        tasks.push(tokio::spawn(async move {
            for i in (t * per_task)..((t + 1) * per_task).min(n) {
                store
                    .create(&format!("/bench/list/{i:08}"), value.clone())
                    .await?;
            }
            Ok::<_, StoreError>(())
        }));
    }
    for t in tasks {
        t.await
            .map_err(|e| e.to_string())?
            .map_err(|e| e.to_string())?;
    }
    let fill = fill.elapsed();
    let mut times = Vec::new();
    let mut count = 0;
    for _ in 0..3 {
        let t = Instant::now();
        let resp = s
            .store
            .list(ListRequest {
                prefix: "/bench/list/".into(),
                ..Default::default()
            })
            .await
            .map_err(|e| e.to_string())?;
        times.push(t.elapsed());
        count = resp.kvs.len();
    }
    let p = percentiles(&mut times);
    println!(
        "list of {count} keys ({} B each): {} (median of 3; filled in {:.1}s)",
        opts.value_size,
        ms(p.p50),
        fill.as_secs_f64()
    );
    Ok(())
}

async fn watch_test(s: &Subject, opts: &BenchOptions) -> Result<(), String> {
    let start = s
        .store
        .current_revision()
        .await
        .map_err(|e| e.to_string())?;
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel::<(i64, Instant)>();
    let mut watchers = Vec::new();
    for _ in 0..opts.watchers {
        let mut w = s
            .store
            .watch("/bench/watch/", start)
            .await
            .map_err(|e| e.to_string())?;
        let tx = tx.clone();
        let expected = opts.watch_writes;
        watchers.push(tokio::spawn(async move {
            let mut seen = 0;
            while seen < expected {
                match w.next().await {
                    Some(Ok(e)) => {
                        let _ = tx.send((e.revision(), Instant::now()));
                        seen += 1;
                    }
                    _ => break,
                }
            }
        }));
    }
    drop(tx);
    let value = Bytes::from(vec![b'w'; opts.value_size]);
    let mut sent = std::collections::HashMap::new();
    // A steady trickle of writes (one every 5 ms), as a busy cluster produces.
    for i in 0..opts.watch_writes {
        let t = Instant::now();
        let kv = s
            .store
            .create(&format!("/bench/watch/{i}"), value.clone())
            .await
            .map_err(|e| e.to_string())?;
        // Latency counts from when the write was issued.
        sent.insert(kv.mod_revision, t);
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    let mut latencies = Vec::new();
    while let Some((rev, at)) = rx.recv().await {
        if let Some(t) = sent.get(&rev) {
            latencies.push(at.saturating_duration_since(*t));
        }
    }
    for w in watchers {
        let _ = w.await;
    }
    let expected = opts.watchers * opts.watch_writes;
    let p = percentiles(&mut latencies);
    println!(
        "watch delivery to {} watchers: p50 {}  p99 {}  max {}  ({} of {} events delivered)",
        opts.watchers,
        ms(p.p50),
        ms(p.p99),
        ms(p.max),
        latencies.len(),
        expected
    );
    Ok(())
}

/// Updates a fixed set of keys for `opts.soak` with automatic compaction, printing the database
/// size as it goes: it must level off, not grow with the number of updates.
async fn soak_test(s: &Subject, opts: &BenchOptions) -> Result<(), String> {
    const KEYS: usize = 1000;
    let _compactor = crate::spawn_compactor(s.store.clone(), opts.soak_compaction_interval);
    let value = Bytes::from(vec![b's'; opts.value_size]);
    for i in 0..KEYS {
        let key = format!("/bench/soak/{i}");
        match s.store.create(&key, value.clone()).await {
            Ok(_) | Err(StoreError::AlreadyExists { .. }) => {}
            Err(e) => return Err(e.to_string()),
        }
    }
    println!(
        "soak: updating {KEYS} keys for {}s, compaction every {}s",
        opts.soak.as_secs(),
        opts.soak_compaction_interval.as_secs()
    );
    let started = Instant::now();
    let mut updates = 0u64;
    let mut next_report = Duration::ZERO;
    let mut sizes = Vec::new();
    while started.elapsed() < opts.soak {
        let mut batch = Vec::new();
        for w in 0..16 {
            let store = s.store.clone();
            let value = value.clone();
            batch.push(tokio::spawn(async move {
                let key = format!(
                    "/bench/soak/{}",
                    (w * 61 + rand::random::<u32>() as usize) % KEYS
                );
                let cur = store.get(&key, None).await?.kv;
                if let Some(cur) = cur {
                    match store.update(&key, value, cur.mod_revision).await {
                        Ok(_) => return Ok(1),
                        Err(StoreError::Conflict { .. }) => return Ok(0),
                        Err(e) => return Err(e),
                    }
                }
                Ok::<u64, StoreError>(0)
            }));
        }
        for t in batch {
            updates += t
                .await
                .map_err(|e| e.to_string())?
                .map_err(|e| e.to_string())?;
        }
        if started.elapsed() >= next_report {
            let size = db_size(s);
            sizes.push(size);
            println!(
                "  t={:>4}s updates={:>8} db={:.1} MiB",
                started.elapsed().as_secs(),
                updates,
                size as f64 / 1048576.0
            );
            next_report += Duration::from_secs(30);
        }
    }
    let size = db_size(s);
    println!(
        "soak done: {updates} updates, final db {:.1} MiB, largest {:.1} MiB",
        size as f64 / 1048576.0,
        sizes.iter().copied().max().unwrap_or(size) as f64 / 1048576.0
    );
    Ok(())
}

/// The database's footprint on disk (main file plus WAL for SQLite).
fn db_size(s: &Subject) -> u64 {
    let Some(path) = &s.db_path else { return 0 };
    let mut total = std::fs::metadata(path).map(|m| m.len()).unwrap_or(0);
    let wal = PathBuf::from(format!("{}-wal", path.display()));
    total += std::fs::metadata(wal).map(|m| m.len()).unwrap_or(0);
    total
}
