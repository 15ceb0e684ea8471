//! HA on etcd: with a 3-member cluster, losing a member (the leader) during writes neither stops
//! writes nor loses any acknowledged one.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use bytes::Bytes;
use capstan_store::Store;
use capstan_store::etcd::{EtcdConfig, EtcdStore};
use capstan_store::etcd_process::EtcdCluster;

/// The member etcd reports as leader, asked through its own client port.
async fn leader_index(cluster: &EtcdCluster) -> usize {
    for (i, m) in cluster.members.iter().enumerate() {
        let mut c = etcd_client::Client::connect([m.client_url.as_str()], None)
            .await
            .unwrap();
        let status = c.status().await.unwrap();
        if status.leader() == status.header().unwrap().member_id() {
            return i;
        }
    }
    panic!("no leader");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn writes_survive_losing_the_leader() {
    let dir = tempfile::tempdir().unwrap();
    let mut cluster = EtcdCluster::start(dir.path(), 3).expect("start 3 etcd members");
    let cfg = EtcdConfig {
        endpoints: cluster.client_urls(),
        ..Default::default()
    };
    let store: Arc<dyn Store> = Arc::new(EtcdStore::connect(&cfg).await.unwrap());

    let killed = Arc::new(AtomicBool::new(false));
    let mut writers = Vec::new();
    for w in 0..16 {
        let store = store.clone();
        let killed = killed.clone();
        writers.push(tokio::spawn(async move {
            let mut acked = Vec::new();
            let mut after_kill = 0;
            let mut failures = 0;
            for i in 0..400 {
                let key = format!("/ha/{w}/{i}");
                match store.create(&key, Bytes::from(key.clone())).await {
                    Ok(kv) => {
                        acked.push((key, kv.mod_revision));
                        if killed.load(Ordering::SeqCst) {
                            after_kill += 1;
                        }
                    }
                    // Writes in flight when the leader dies may fail; they were not acknowledged.
                    Err(_) => failures += 1,
                }
                if after_kill >= 20 {
                    break;
                }
            }
            (acked, after_kill, failures)
        }));
    }
    tokio::time::sleep(Duration::from_millis(700)).await;
    let leader = leader_index(&cluster).await;
    cluster.members[leader].kill();
    killed.store(true, Ordering::SeqCst);

    let mut acked = Vec::new();
    let mut after_kill = 0;
    let mut failures = 0;
    for w in writers {
        let (a, k, f) = w.await.unwrap();
        acked.extend(a);
        after_kill += k;
        failures += f;
    }
    assert!(
        after_kill > 100,
        "writes continued after losing the leader ({after_kill}, {failures} failed)"
    );

    // Read everything back through the surviving members only.
    let survivors: Vec<String> = cluster
        .members
        .iter()
        .filter(|m| m.is_running())
        .map(|m| m.client_url.clone())
        .collect();
    let reader = EtcdStore::connect(&EtcdConfig {
        endpoints: survivors,
        ..Default::default()
    })
    .await
    .unwrap();
    for (key, rev) in &acked {
        let kv = reader
            .get(key, None)
            .await
            .unwrap()
            .kv
            .unwrap_or_else(|| panic!("acknowledged {key} lost"));
        assert_eq!(kv.mod_revision, *rev);
    }
}
