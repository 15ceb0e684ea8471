//! Fan-out of committed writes to watchers, for backends whose writes happen in this process.
//!
//! The single writer publishes every committed batch, in revision order, on a broadcast channel.
//! Each watcher subscribes *before* it reads history, then replays history up to the revision it saw,
//! then follows the live batches, skipping what it already sent. When a slow watcher's broadcast
//! buffer overflows it falls back to history again, so no event is ever lost or repeated.

use std::sync::Arc;

use tokio::sync::{broadcast, mpsc};

use crate::{Event, Result, Revision, StoreError, WatchStream};

/// Events committed in one write transaction, in revision order.
pub(crate) struct Batch {
    pub events: Vec<Event>,
}

/// Where a watcher reads the events it missed. Implemented by the backend; called from a blocking
/// thread.
pub(crate) trait History: Send + Sync + 'static {
    /// Events under `prefix` with `after < revision <= upto`, in order, at most `limit` of them.
    /// Fails with `Compacted` when `after` is older than the compacted revision.
    fn events_between(
        &self,
        prefix: &str,
        after: Revision,
        upto: Revision,
        limit: usize,
    ) -> Result<Vec<Event>>;

    /// The latest committed revision.
    fn committed_revision(&self) -> Result<Revision>;
}

const BROADCAST_BATCHES: usize = 4096;
const WATCHER_BUFFER: usize = 1024;
const HISTORY_PAGE: usize = 1000;

pub(crate) struct WatchHub {
    sender: broadcast::Sender<Arc<Batch>>,
}

impl WatchHub {
    pub fn new() -> Self {
        Self::with_capacity(BROADCAST_BATCHES)
    }

    /// `capacity` batches are buffered per watcher before it falls back to reading history.
    pub fn with_capacity(capacity: usize) -> Self {
        let (sender, _) = broadcast::channel(capacity);
        WatchHub { sender }
    }

    /// Called by the writer after each commit, in commit order.
    pub fn publish(&self, batch: Arc<Batch>) {
        if !batch.events.is_empty() {
            // No receivers is fine: nobody watches.
            let _ = self.sender.send(batch);
        }
    }

    pub fn watch(
        &self,
        history: Arc<dyn History>,
        prefix: &str,
        after: Revision,
        progress: bool,
    ) -> Result<WatchStream> {
        // Subscribe first, so every batch committed after the history snapshot below reaches us.
        let live = self.sender.subscribe();
        let (tx, rx) = mpsc::channel(WATCHER_BUFFER);
        let prefix = prefix.to_owned();
        tokio::spawn(async move {
            let mut watcher = Watcher {
                history,
                prefix,
                last_sent: after,
                tx,
                progress,
            };
            if let Err(e) = watcher.run(live).await {
                let _ = watcher.tx.send(Err(e)).await;
            }
        });
        Ok(Box::pin(tokio_stream_from(rx)))
    }
}

fn tokio_stream_from(
    mut rx: mpsc::Receiver<Result<Event>>,
) -> impl futures::Stream<Item = Result<Event>> + Send {
    futures::stream::poll_fn(move |cx| rx.poll_recv(cx))
}

struct Watcher {
    history: Arc<dyn History>,
    prefix: String,
    last_sent: Revision,
    tx: mpsc::Sender<Result<Event>>,
    /// Report progress after batches (and catch-ups) that had nothing for this prefix.
    progress: bool,
}

/// The consumer dropped the stream.
struct Gone;

impl Watcher {
    async fn run(&mut self, mut live: broadcast::Receiver<Arc<Batch>>) -> Result<()> {
        if self.catch_up().await?.is_err() {
            return Ok(());
        }
        loop {
            let received = tokio::select! {
                r = live.recv() => r,
                _ = self.tx.closed() => return Ok(()),
            };
            match received {
                Ok(batch) => {
                    let mut sent = false;
                    for event in &batch.events {
                        if event.revision() > self.last_sent
                            && event.kv.key.starts_with(&self.prefix)
                        {
                            if self.send(event.clone()).await.is_err() {
                                return Ok(());
                            }
                            sent = true;
                        }
                    }
                    if let Some(last) = batch.events.last() {
                        let last = last.revision();
                        if self.progress
                            && !sent
                            && last > self.last_sent
                            && self.send(Event::progress(last)).await.is_err()
                        {
                            return Ok(());
                        }
                        self.last_sent = self.last_sent.max(last);
                    }
                }
                Err(broadcast::error::RecvError::Lagged(_)) => {
                    if self.catch_up().await?.is_err() {
                        return Ok(());
                    }
                }
                Err(broadcast::error::RecvError::Closed) => {
                    return Err(StoreError::Unavailable {
                        message: "store closed".into(),
                    });
                }
            }
        }
    }

    /// Replays history from `last_sent` up to the latest committed revision.
    async fn catch_up(&mut self) -> Result<Result<(), Gone>> {
        let history = self.history.clone();
        let upto = tokio::task::spawn_blocking(move || history.committed_revision())
            .await
            .map_err(StoreError::internal)??;
        while self.last_sent < upto {
            let history = self.history.clone();
            let (prefix, after) = (self.prefix.clone(), self.last_sent);
            let page = tokio::task::spawn_blocking(move || {
                history.events_between(&prefix, after, upto, HISTORY_PAGE)
            })
            .await
            .map_err(StoreError::internal)??;
            let full = page.len() == HISTORY_PAGE;
            for event in page {
                let rev = event.revision();
                if self.send(event).await.is_err() {
                    return Ok(Err(Gone));
                }
                self.last_sent = rev;
            }
            if !full {
                self.last_sent = upto;
            }
        }
        if self.progress && self.send(Event::progress(self.last_sent)).await.is_err() {
            return Ok(Err(Gone));
        }
        Ok(Ok(()))
    }

    async fn send(&self, event: Event) -> Result<(), Gone> {
        self.tx.send(Ok(event)).await.map_err(|_| Gone)
    }
}
