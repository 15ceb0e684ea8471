//! The etcd backend: the real etcd v3 API through the `etcd-client` crate.

use std::path::PathBuf;
use std::time::Duration;

use async_trait::async_trait;
use bytes::Bytes;
use etcd_client::{
    Certificate, Client, Compare, CompareOp, ConnectOptions, EventType, GetOptions, Identity,
    TlsOptions, Txn, TxnOp, TxnOpResponse, WatchOptions,
};
use futures::StreamExt;

use crate::{
    Event, EventKind, GetResponse, KeyValue, ListRequest, ListResponse, Result, Revision, Store,
    StoreError, WatchStream, prefix_end,
};

#[derive(Clone, Debug, Default)]
pub struct EtcdConfig {
    /// `http://host:port` or `https://host:port` URLs (an `etcd://` scheme is accepted as http,
    /// or https when TLS files are given).
    pub endpoints: Vec<String>,
    pub ca_file: Option<PathBuf>,
    pub cert_file: Option<PathBuf>,
    pub key_file: Option<PathBuf>,
}

impl EtcdConfig {
    /// Parses `--datastore-endpoint` (`etcd://h:p[,h:p…]` or comma-separated URLs).
    pub fn from_endpoint_flag(flag: &str) -> std::result::Result<EtcdConfig, String> {
        let mut endpoints = Vec::new();
        for part in flag.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            let hostport = part
                .strip_prefix("etcd://")
                .or_else(|| part.strip_prefix("http://"))
                .or_else(|| part.strip_prefix("https://"))
                .unwrap_or(part);
            if hostport.is_empty() || hostport.contains('/') && !hostport.ends_with('/') {
                return Err(format!(
                    "invalid etcd endpoint {part:?}: expected etcd://host:port"
                ));
            }
            let tls = part.starts_with("https://");
            endpoints.push(format!(
                "{}://{}",
                if tls { "https" } else { "http" },
                hostport.trim_end_matches('/')
            ));
        }
        if endpoints.is_empty() {
            return Err("--datastore-endpoint names no etcd endpoint".into());
        }
        Ok(EtcdConfig {
            endpoints,
            ..Default::default()
        })
    }

    fn uses_tls(&self) -> bool {
        self.ca_file.is_some() || self.cert_file.is_some()
    }
}

pub struct EtcdStore {
    client: Client,
    /// The KV client with the receive limit raised: large lists exceed gRPC's 4 MiB default
    /// (kube-apiserver lifts it the same way).
    kv: etcd_client::KvClient,
}

fn unavailable(e: impl std::fmt::Display) -> StoreError {
    StoreError::Unavailable {
        message: format!("etcd: {e}"),
    }
}

fn read_file(path: &PathBuf, what: &str) -> Result<Vec<u8>> {
    std::fs::read(path).map_err(|e| StoreError::Unavailable {
        message: format!("cannot read etcd {what} {}: {e}", path.display()),
    })
}

/// True when the request certainly never reached etcd, so retrying cannot apply it twice.
fn not_sent(e: &etcd_client::Error) -> bool {
    match e {
        etcd_client::Error::TransportError(_) => true,
        etcd_client::Error::GRpcStatus(s) => {
            s.code() == tonic::Code::Unavailable && s.message().contains("connect")
        }
        _ => false,
    }
}

const RETRIES: usize = 20;
const RETRY_PAUSE: Duration = Duration::from_millis(100);

/// Runs `op`, retrying while etcd is unreachable (a member is down and the client moves to another).
macro_rules! with_retry {
    ($source:expr, $client:ident => $body:expr) => {{
        let mut attempt = 0;
        loop {
            let mut $client = $source.clone();
            match $body.await {
                Ok(v) => break Ok(v),
                Err(e) if attempt < RETRIES && not_sent(&e) => {
                    attempt += 1;
                    tokio::time::sleep(RETRY_PAUSE).await;
                }
                Err(e) => break Err(map_err(e)),
            }
        }
    }};
}

/// etcd's own error texts for compaction and future revisions become our typed errors.
fn map_err(e: etcd_client::Error) -> StoreError {
    if let etcd_client::Error::GRpcStatus(s) = &e {
        let msg = s.message();
        if msg.contains("required revision has been compacted") {
            return StoreError::Compacted {
                requested: 0,
                compacted: 0,
            };
        }
        if msg.contains("required revision is a future revision") {
            return StoreError::FutureRevision {
                requested: 0,
                current: 0,
            };
        }
    }
    unavailable(e)
}

fn to_kv(kv: &etcd_client::KeyValue) -> KeyValue {
    KeyValue {
        key: String::from_utf8_lossy(kv.key()).into_owned(),
        value: Bytes::copy_from_slice(kv.value()),
        create_revision: kv.create_revision(),
        mod_revision: kv.mod_revision(),
    }
}

fn header_revision(h: Option<&etcd_client::ResponseHeader>) -> Revision {
    h.map(|h| h.revision()).unwrap_or(0)
}

impl EtcdStore {
    pub async fn connect(cfg: &EtcdConfig) -> Result<EtcdStore> {
        let mut options = ConnectOptions::new()
            .with_connect_timeout(Duration::from_secs(5))
            .with_keep_alive(Duration::from_secs(10), Duration::from_secs(5));
        let mut endpoints = cfg.endpoints.clone();
        if cfg.uses_tls() {
            let mut tls = TlsOptions::new();
            if let Some(ca) = &cfg.ca_file {
                tls = tls.ca_certificate(Certificate::from_pem(read_file(ca, "CA file")?));
            }
            match (&cfg.cert_file, &cfg.key_file) {
                (Some(c), Some(k)) => {
                    tls = tls.identity(Identity::from_pem(
                        read_file(c, "client certificate")?,
                        read_file(k, "client key")?,
                    ));
                }
                (None, None) => {}
                _ => {
                    return Err(StoreError::Unavailable {
                        message:
                            "--datastore-certfile and --datastore-keyfile must be given together"
                                .into(),
                    });
                }
            }
            options = options.with_tls(tls);
            for e in &mut endpoints {
                if let Some(rest) = e.strip_prefix("http://") {
                    *e = format!("https://{rest}");
                }
            }
        }
        let client = Client::connect(&endpoints, Some(options))
            .await
            .map_err(|e| StoreError::Unavailable {
                message: format!("cannot connect to etcd at {}: {e}", endpoints.join(",")),
            })?;
        let kv = client
            .kv_client()
            .max_decoding_message_size(i32::MAX as usize);
        let store = EtcdStore { client, kv };
        // Fail fast when no member answers, with a message naming the endpoints.
        store
            .current_revision()
            .await
            .map_err(|e| StoreError::Unavailable {
                message: format!("etcd at {} is not answering: {e}", endpoints.join(",")),
            })?;
        Ok(store)
    }

    /// Runs a transaction `when(compare) then(put/delete) else(get key)`, returning whether it
    /// succeeded, the header revision, and the responses.
    async fn txn(&self, txn: Txn) -> Result<(bool, Revision, Vec<TxnOpResponse>)> {
        let resp = with_retry!(self.client, c => c.txn(txn.clone()))?;
        Ok((
            resp.succeeded(),
            header_revision(resp.header()),
            resp.op_responses(),
        ))
    }
}

/// The current value from the `else` branch's get.
fn current_from(responses: &[TxnOpResponse]) -> Option<KeyValue> {
    responses.iter().find_map(|r| match r {
        TxnOpResponse::Get(g) => g.kvs().first().map(to_kv),
        _ => None,
    })
}

#[async_trait]
impl Store for EtcdStore {
    async fn get(&self, key: &str, revision: Option<Revision>) -> Result<GetResponse> {
        let options = GetOptions::new().with_revision(revision.unwrap_or(0));
        let resp = with_retry!(self.kv, c => c.get(key, Some(options.clone())))
            .map_err(|e| fill_revision(e, revision))?;
        let rev = header_revision(resp.header());
        Ok(GetResponse {
            kv: resp.kvs().first().map(to_kv),
            revision: revision.filter(|r| *r > 0).unwrap_or(rev),
        })
    }

    async fn list(&self, req: ListRequest) -> Result<ListResponse> {
        let start = req
            .start_key
            .clone()
            .filter(|s| s.as_bytes() > req.prefix.as_bytes())
            .unwrap_or_else(|| req.prefix.clone());
        let end = prefix_end(&req.prefix).unwrap_or_else(|| vec![0]);
        let options = GetOptions::new()
            .with_range(end)
            .with_revision(req.revision.unwrap_or(0))
            .with_limit(req.limit as i64);
        let resp = with_retry!(self.kv, c => c.get(start.as_str(), Some(options.clone())))
            .map_err(|e| fill_revision(e, req.revision))?;
        let kvs: Vec<KeyValue> = resp.kvs().iter().map(to_kv).collect();
        let rev = header_revision(resp.header());
        Ok(ListResponse {
            more: resp.more(),
            remaining: if resp.more() {
                resp.count() - kvs.len() as i64
            } else {
                0
            },
            kvs,
            revision: req.revision.filter(|r| *r > 0).unwrap_or(rev),
        })
    }

    async fn create(&self, key: &str, value: Bytes) -> Result<KeyValue> {
        let txn = Txn::new()
            .when([Compare::create_revision(key, CompareOp::Equal, 0)])
            .and_then([TxnOp::put(key, value.to_vec(), None)])
            .or_else([TxnOp::get(key, None)]);
        let (ok, rev, responses) = self.txn(txn).await?;
        if ok {
            Ok(KeyValue {
                key: key.to_owned(),
                value,
                create_revision: rev,
                mod_revision: rev,
            })
        } else {
            match current_from(&responses) {
                Some(current) => Err(StoreError::AlreadyExists { current }),
                None => Err(StoreError::internal(
                    "etcd create failed without a current value",
                )),
            }
        }
    }

    async fn update(&self, key: &str, value: Bytes, expected: Revision) -> Result<KeyValue> {
        let txn = Txn::new()
            .when([Compare::mod_revision(key, CompareOp::Equal, expected)])
            .and_then([TxnOp::put(key, value.to_vec(), None), TxnOp::get(key, None)])
            .or_else([TxnOp::get(key, None)]);
        let (ok, _, responses) = self.txn(txn).await?;
        let current = current_from(&responses);
        if ok {
            current.ok_or_else(|| StoreError::internal("etcd update returned no value"))
        } else {
            Err(StoreError::Conflict { current })
        }
    }

    async fn delete(&self, key: &str, expected: Option<Revision>) -> Result<(Revision, KeyValue)> {
        let condition = match expected {
            Some(rev) => Compare::mod_revision(key, CompareOp::Equal, rev),
            None => Compare::create_revision(key, CompareOp::Greater, 0),
        };
        let txn = Txn::new()
            .when([condition])
            .and_then([TxnOp::delete(
                key,
                Some(etcd_client::DeleteOptions::new().with_prev_key()),
            )])
            .or_else([TxnOp::get(key, None)]);
        let (ok, rev, responses) = self.txn(txn).await?;
        if ok {
            let prev = responses
                .iter()
                .find_map(|r| match r {
                    TxnOpResponse::Delete(d) => d.prev_kvs().first().map(to_kv),
                    _ => None,
                })
                .ok_or_else(|| StoreError::internal("etcd delete returned no previous value"))?;
            Ok((rev, prev))
        } else {
            let current = current_from(&responses);
            match (expected, current) {
                (None, None) => Err(StoreError::NotFound),
                (_, current) => Err(StoreError::Conflict { current }),
            }
        }
    }

    async fn watch(&self, prefix: &str, after_revision: Revision) -> Result<WatchStream> {
        self.start_watch(prefix, after_revision, false).await
    }

    async fn watch_with_progress(
        &self,
        prefix: &str,
        after_revision: Revision,
    ) -> Result<WatchStream> {
        self.start_watch(prefix, after_revision, true).await
    }

    async fn compact(&self, revision: Revision) -> Result<()> {
        self.compact_to(revision).await
    }

    async fn current_revision(&self) -> Result<Revision> {
        let options = GetOptions::new().with_count_only();
        let resp = with_retry!(self.client, c => c.get(COMPACT_MARK_KEY, Some(options.clone())))?;
        Ok(header_revision(resp.header()))
    }

    async fn compacted_revision(&self) -> Result<Revision> {
        let resp = with_retry!(self.client, c => c.get(COMPACT_MARK_KEY, None))?;
        Ok(resp
            .kvs()
            .first()
            .and_then(|kv| std::str::from_utf8(kv.value()).ok()?.parse().ok())
            .unwrap_or(0))
    }

    fn backend_name(&self) -> &'static str {
        "etcd"
    }
}

/// How often a quiet progress-reporting watch asks etcd how far it has got.
const PROGRESS_EVERY: Duration = Duration::from_millis(200);

impl EtcdStore {
    async fn start_watch(
        &self,
        prefix: &str,
        after_revision: Revision,
        progress: bool,
    ) -> Result<WatchStream> {
        let compacted = self.compacted_revision().await?;
        if after_revision < compacted {
            return Err(StoreError::Compacted {
                requested: after_revision,
                compacted,
            });
        }
        let mut options = WatchOptions::new()
            .with_prev_key()
            .with_start_revision(after_revision + 1);
        options = match prefix_end(prefix) {
            Some(end) => options.with_range(end),
            None => options.with_all_keys(),
        };
        let prefix = prefix.to_owned();
        let stream =
            with_retry!(self.client, c => c.watch(prefix.as_str(), Some(options.clone())))?;
        let (mut sender, mut responses) = stream.split();
        let events = async_stream(move |tx| async move {
            let mut ticker = tokio::time::interval(PROGRESS_EVERY);
            ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                let message = tokio::select! {
                    m = responses.message() => m,
                    _ = ticker.tick(), if progress => {
                        // Quiet: ask where the watch stands (answered as an empty response).
                        if sender.request_progress().await.is_err() {
                            let _ = tx.send(Err(unavailable("watch stream closed"))).await;
                            return;
                        }
                        continue;
                    }
                };
                match message {
                    Ok(Some(resp)) => {
                        if resp.compact_revision() > 0 {
                            let _ = tx
                                .send(Err(StoreError::Compacted {
                                    requested: after_revision,
                                    compacted: resp.compact_revision(),
                                }))
                                .await;
                            return;
                        }
                        if resp.canceled() {
                            let _ = tx
                                .send(Err(unavailable(format!(
                                    "watch canceled: {}",
                                    resp.cancel_reason()
                                ))))
                                .await;
                            return;
                        }
                        if resp.events().is_empty() {
                            if progress {
                                let rev = header_revision(resp.header());
                                if rev > 0 && tx.send(Ok(Event::progress(rev))).await.is_err() {
                                    return;
                                }
                            }
                            continue;
                        }
                        ticker.reset();
                        for ev in resp.events() {
                            let Some(kv) = ev.kv() else { continue };
                            let kind = match ev.event_type() {
                                EventType::Put => EventKind::Put,
                                EventType::Delete => EventKind::Delete,
                            };
                            let mut kv = to_kv(kv);
                            if kind == EventKind::Delete {
                                kv.value = Bytes::new();
                                kv.create_revision = 0;
                            }
                            let event = Event {
                                kind,
                                kv,
                                prev: ev.prev_kv().map(to_kv),
                            };
                            if tx.send(Ok(event)).await.is_err() {
                                return;
                            }
                        }
                    }
                    Ok(None) => {
                        let _ = tx.send(Err(unavailable("watch stream closed"))).await;
                        return;
                    }
                    Err(e) => {
                        let _ = tx.send(Err(unavailable(e))).await;
                        return;
                    }
                }
            }
        });
        Ok(events)
    }

    async fn compact_to(&self, revision: Revision) -> Result<()> {
        let compacted = self.compacted_revision().await?;
        if revision <= compacted {
            return Err(StoreError::Compacted {
                requested: revision,
                compacted,
            });
        }
        with_retry!(self.client, c => c.compact(revision, Some(etcd_client::CompactionOptions::new().with_physical())))
            .map_err(|e| match e {
                StoreError::FutureRevision { .. } => StoreError::FutureRevision {
                    requested: revision,
                    current: 0,
                },
                other => other,
            })?;
        // etcd keeps no compaction mark a client can read, so remember it in a key of our own.
        let key = COMPACT_MARK_KEY;
        let value = revision.to_string();
        with_retry!(self.client, c => c.put(key, value.clone(), None))?;
        Ok(())
    }
}

/// Where the last compaction revision is recorded (outside every API prefix).
const COMPACT_MARK_KEY: &str = "/capstan/compacted-revision";

/// Our typed errors carry the revisions the caller asked for, which etcd's texts do not.
fn fill_revision(e: StoreError, requested: Option<Revision>) -> StoreError {
    let requested = requested.unwrap_or(0);
    match e {
        StoreError::Compacted { compacted, .. } => StoreError::Compacted {
            requested,
            compacted,
        },
        StoreError::FutureRevision { current, .. } => {
            StoreError::FutureRevision { requested, current }
        }
        other => other,
    }
}

/// A stream fed by a spawned task through a channel.
fn async_stream<F, Fut>(f: F) -> WatchStream
where
    F: FnOnce(tokio::sync::mpsc::Sender<Result<Event>>) -> Fut,
    Fut: std::future::Future<Output = ()> + Send + 'static,
{
    let (tx, mut rx) = tokio::sync::mpsc::channel(1024);
    tokio::spawn(f(tx));
    futures::stream::poll_fn(move |cx| rx.poll_recv(cx)).boxed()
}
