//! Crash safety of the embedded backend: a child process writes under load with many concurrent
//! writers and is SIGKILLed at random moments; after every restart each acknowledged write is there
//! and revisions never go back.

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use capstan_store::embedded::SqliteStore;
use capstan_store::{Store, StoreError};
use rand::Rng;

const CHILD_ENV: &str = "CAPSTAN_CRASH_CHILD_DIR";
const WRITERS: usize = 64;
const CRASHES: usize = 12;

/// The child: writes until killed, printing one line per acknowledged write.
/// `C <key> <rev>` for a create, `U <key> <value> <rev>` for a counter update.
#[test]
fn crash_child() {
    let Ok(dir) = std::env::var(CHILD_ENV) else {
        return; // Only does something when the parent test starts it.
    };
    let round: usize = std::env::var("CAPSTAN_CRASH_ROUND")
        .unwrap()
        .parse()
        .unwrap();
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async move {
        let store = Arc::new(SqliteStore::open(&Path::new(&dir).join("state.db")).unwrap());
        let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel::<String>();
        for w in 0..WRITERS {
            let store = store.clone();
            let tx = tx.clone();
            tokio::spawn(async move {
                let counter = format!("/counter/{w}");
                for i in 0.. {
                    let key = format!("/crash/{round}/{w}/{i}");
                    let kv = store.create(&key, Bytes::from(key.clone())).await.unwrap();
                    tx.send(format!("C {key} {}", kv.mod_revision)).unwrap();
                    // Read-modify-write of a per-writer counter.
                    let cur = store.get(&counter, None).await.unwrap().kv;
                    let next = cur
                        .as_ref()
                        .map(|c| {
                            std::str::from_utf8(&c.value)
                                .unwrap()
                                .parse::<u64>()
                                .unwrap()
                                + 1
                        })
                        .unwrap_or(1);
                    let value = Bytes::from(next.to_string());
                    let written = match cur {
                        Some(c) => store.update(&counter, value, c.mod_revision).await,
                        None => store.create(&counter, value).await,
                    };
                    match written {
                        Ok(kv) => tx
                            .send(format!("U {counter} {next} {}", kv.mod_revision))
                            .unwrap(),
                        Err(StoreError::Conflict { .. })
                        | Err(StoreError::AlreadyExists { .. }) => {}
                        Err(e) => panic!("{e}"),
                    }
                }
            });
        }
        drop(tx);
        // One printer, so lines never interleave; each is flushed before the next write is seen.
        use std::io::Write;
        let stdout = std::io::stdout();
        while let Some(line) = rx.recv().await {
            let mut out = stdout.lock();
            writeln!(out, "{line}").unwrap();
            out.flush().unwrap();
        }
    });
}

#[test]
fn acknowledged_writes_survive_sigkill() {
    if std::env::var(CHILD_ENV).is_ok() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let exe = std::env::current_exe().unwrap();
    let mut rng = rand::rng();
    let mut last_revision = 0;
    let mut acked_total = 0;
    for round in 0..CRASHES {
        let mut child = Command::new(&exe)
            .args(["--exact", "crash_child", "--nocapture", "--test-threads=1"])
            .env(CHILD_ENV, dir.path())
            .env("CAPSTAN_CRASH_ROUND", round.to_string())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let stdout = child.stdout.take().unwrap();
        let kill_after = Duration::from_millis(rng.random_range(50..700));
        let (first_tx, first_rx) = std::sync::mpsc::channel();
        let reader = std::thread::spawn(move || {
            let mut lines = Vec::new();
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                if line.starts_with("C ") || line.starts_with("U ") {
                    if lines.is_empty() {
                        let _ = first_tx.send(());
                    }
                    lines.push(line);
                }
            }
            lines
        });
        // Kill at a random moment once writes are flowing (start-up time varies with load).
        first_rx
            .recv_timeout(Duration::from_secs(60))
            .unwrap_or_else(|_| panic!("round {round}: the child never acknowledged a write"));
        let started = Instant::now();
        std::thread::sleep(kill_after);
        // SIGKILL: no chance to flush or close anything.
        child.kill().unwrap();
        child.wait().unwrap();
        let lines = reader.join().unwrap();
        assert!(
            !lines.is_empty(),
            "round {round}: the child acknowledged nothing in {:?}",
            started.elapsed()
        );
        acked_total += lines.len();

        let rt = tokio::runtime::Runtime::new().unwrap();
        last_revision = rt.block_on(verify(dir.path(), &lines, last_revision, round));
    }
    assert!(
        acked_total > 1000,
        "too little load to mean anything: {acked_total} writes"
    );
}

async fn verify(dir: &Path, lines: &[String], previous_revision: i64, round: usize) -> i64 {
    let store = SqliteStore::open(&dir.join("state.db")).expect("reopen after crash");
    let mut max_acked = 0;
    let mut counters: BTreeMap<String, u64> = BTreeMap::new();
    for line in lines {
        let parts: Vec<&str> = line.split(' ').collect();
        let rev: i64 = parts.last().unwrap().parse().unwrap();
        max_acked = max_acked.max(rev);
        match parts[0] {
            "C" => {
                let kv = store
                    .get(parts[1], None)
                    .await
                    .unwrap()
                    .kv
                    .unwrap_or_else(|| {
                        panic!("round {round}: acknowledged create of {} lost", parts[1])
                    });
                assert_eq!(
                    kv.mod_revision, rev,
                    "round {round}: {} has the acknowledged revision",
                    parts[1]
                );
                assert_eq!(kv.value.as_ref(), parts[1].as_bytes());
            }
            _ => {
                let v: u64 = parts[2].parse().unwrap();
                let e = counters.entry(parts[1].to_owned()).or_default();
                *e = (*e).max(v);
            }
        }
    }
    for (key, acked) in counters {
        let kv = store
            .get(&key, None)
            .await
            .unwrap()
            .kv
            .expect("counter exists");
        let now: u64 = std::str::from_utf8(&kv.value).unwrap().parse().unwrap();
        assert!(
            now >= acked,
            "round {round}: {key} is {now}, but {acked} was acknowledged"
        );
    }
    let current = store.current_revision().await.unwrap();
    assert!(
        current >= max_acked,
        "round {round}: revision {current} behind acknowledged {max_acked}"
    );
    assert!(
        current >= previous_revision,
        "round {round}: revision went back from {previous_revision} to {current}"
    );
    // A write after restart continues the sequence.
    let kv = store
        .create(&format!("/after/{round}"), Bytes::from_static(b"x"))
        .await
        .unwrap();
    assert_eq!(kv.mod_revision, current + 1);
    kv.mod_revision
}
