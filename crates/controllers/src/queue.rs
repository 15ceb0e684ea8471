//! A rate-limited work queue with client-go's workqueue semantics: an item is queued at most
//! once, an item being processed is not handed to a second worker (adding it again queues it
//! for after `done`), delayed adds, and per-item exponential backoff for failures.

use std::collections::{HashMap, HashSet, VecDeque};
use std::hash::Hash;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use tokio::sync::Notify;
use tokio::time::Instant;

/// Per-item exponential backoff: `base * 2^(failures-1)`, capped at `max`.
#[derive(Clone, Copy, Debug)]
pub struct Backoff {
    pub base: Duration,
    pub max: Duration,
}

impl Backoff {
    pub const fn new(base: Duration, max: Duration) -> Backoff {
        Backoff { base, max }
    }

    /// The delay after the given number of consecutive failures (1 for the first).
    pub fn delay(&self, failures: u32) -> Duration {
        let exp = failures.saturating_sub(1);
        if exp >= 32 {
            return self.max;
        }
        self.base
            .checked_mul(1u32 << exp)
            .map_or(self.max, |d| d.min(self.max))
    }
}

struct State<K> {
    ready: VecDeque<K>,
    /// Items waiting to be processed (in `ready`, or to be re-queued after `done`).
    dirty: HashSet<K>,
    processing: HashSet<K>,
    delayed: HashMap<K, Instant>,
    failures: HashMap<K, u32>,
}

pub struct WorkQueue<K> {
    state: Mutex<State<K>>,
    notify: Notify,
    backoff: Backoff,
}

impl<K: Hash + Eq + Clone> WorkQueue<K> {
    pub fn new(backoff: Backoff) -> Arc<WorkQueue<K>> {
        Arc::new(WorkQueue {
            state: Mutex::new(State {
                ready: VecDeque::new(),
                dirty: HashSet::new(),
                processing: HashSet::new(),
                delayed: HashMap::new(),
                failures: HashMap::new(),
            }),
            notify: Notify::new(),
            backoff,
        })
    }

    fn lock(&self) -> MutexGuard<'_, State<K>> {
        // A worker that panicked while holding the lock leaves consistent state behind: every
        // method finishes its mutation before anything can panic.
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    pub fn add(&self, key: K) {
        let mut s = self.lock();
        Self::add_locked(&mut s, key);
        drop(s);
        self.notify.notify_one();
    }

    fn add_locked(s: &mut State<K>, key: K) {
        if !s.dirty.insert(key.clone()) {
            return;
        }
        if !s.processing.contains(&key) {
            s.ready.push_back(key);
        }
    }

    /// Adds the item once `delay` has passed; an earlier pending deadline wins.
    pub fn add_after(&self, key: K, delay: Duration) {
        if delay.is_zero() {
            self.add(key);
            return;
        }
        let deadline = Instant::now() + delay;
        let mut s = self.lock();
        let entry = s.delayed.entry(key).or_insert(deadline);
        if deadline < *entry {
            *entry = deadline;
        }
        drop(s);
        // A waiting worker must recompute how long it sleeps.
        self.notify.notify_one();
    }

    /// Re-adds a failed item after its backoff.
    pub fn add_rate_limited(&self, key: K) {
        let failures = {
            let mut s = self.lock();
            let n = s.failures.entry(key.clone()).or_insert(0);
            *n = n.saturating_add(1);
            *n
        };
        self.add_after(key, self.backoff.delay(failures));
    }

    /// Clears the failure count of an item that succeeded.
    pub fn forget(&self, key: &K) {
        self.lock().failures.remove(key);
    }

    pub fn failures(&self, key: &K) -> u32 {
        self.lock().failures.get(key).copied().unwrap_or(0)
    }

    /// Marks an item as processed; if it was added meanwhile it is queued again.
    pub fn done(&self, key: &K) {
        let mut s = self.lock();
        s.processing.remove(key);
        if s.dirty.contains(key) {
            s.ready.push_back(key.clone());
            drop(s);
            self.notify.notify_one();
        }
    }

    /// Waits for the next item; the caller must call `done` with it.
    pub async fn next(&self) -> K {
        loop {
            let wait_until = {
                let mut s = self.lock();
                let now = Instant::now();
                let due: Vec<K> = s
                    .delayed
                    .iter()
                    .filter(|(_, at)| **at <= now)
                    .map(|(k, _)| k.clone())
                    .collect();
                for k in due {
                    s.delayed.remove(&k);
                    Self::add_locked(&mut s, k);
                }
                if let Some(key) = s.ready.pop_front() {
                    s.dirty.remove(&key);
                    s.processing.insert(key.clone());
                    let more = !s.ready.is_empty();
                    drop(s);
                    if more {
                        // Pass the wake-up on so another idle worker takes the rest.
                        self.notify.notify_one();
                    }
                    return key;
                }
                s.delayed.values().min().copied()
            };
            match wait_until {
                Some(at) => {
                    tokio::select! {
                        _ = self.notify.notified() => {}
                        _ = tokio::time::sleep_until(at) => {}
                    }
                }
                None => self.notify.notified().await,
            }
        }
    }

    /// Number of items queued or waiting for a delay (for tests and logs).
    pub fn len(&self) -> usize {
        let s = self.lock();
        s.ready.len() + s.delayed.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn queue() -> Arc<WorkQueue<&'static str>> {
        WorkQueue::new(Backoff::new(
            Duration::from_millis(5),
            Duration::from_secs(60),
        ))
    }

    #[test]
    fn backoff_doubles_and_caps() {
        let b = Backoff::new(Duration::from_millis(5), Duration::from_secs(60));
        assert_eq!(b.delay(1), Duration::from_millis(5));
        assert_eq!(b.delay(2), Duration::from_millis(10));
        assert_eq!(b.delay(4), Duration::from_millis(40));
        assert_eq!(b.delay(20), Duration::from_secs(60));
        assert_eq!(b.delay(u32::MAX), Duration::from_secs(60));
    }

    #[tokio::test(start_paused = true)]
    async fn deduplicates_queued_items() {
        let q = queue();
        q.add("a");
        q.add("a");
        q.add("b");
        assert_eq!(q.len(), 2);
        assert_eq!(q.next().await, "a");
        assert_eq!(q.next().await, "b");
    }

    #[tokio::test(start_paused = true)]
    async fn item_added_while_processing_comes_back_after_done() {
        let q = queue();
        q.add("a");
        let a = q.next().await;
        q.add("a");
        // Not handed out twice at once.
        assert_eq!(q.len(), 0);
        q.done(&a);
        assert_eq!(q.next().await, "a");
    }

    #[tokio::test(start_paused = true)]
    async fn delayed_items_wait_for_their_deadline() {
        let q = queue();
        let start = Instant::now();
        q.add_after("late", Duration::from_secs(5));
        q.add_after("early", Duration::from_secs(1));
        assert_eq!(q.next().await, "early");
        assert!(start.elapsed() >= Duration::from_secs(1));
        assert_eq!(q.next().await, "late");
        assert!(start.elapsed() >= Duration::from_secs(5));
    }

    #[tokio::test(start_paused = true)]
    async fn earlier_deadline_wins() {
        let q = queue();
        let start = Instant::now();
        q.add_after("a", Duration::from_secs(10));
        q.add_after("a", Duration::from_secs(2));
        assert_eq!(q.next().await, "a");
        assert!(start.elapsed() < Duration::from_secs(3));
        assert_eq!(q.len(), 0);
    }

    #[tokio::test(start_paused = true)]
    async fn rate_limited_backs_off_until_forgotten() {
        let q = queue();
        q.add_rate_limited("a");
        q.add_rate_limited("a");
        assert_eq!(q.failures(&"a"), 2);
        let start = Instant::now();
        assert_eq!(q.next().await, "a");
        assert!(start.elapsed() >= Duration::from_millis(5));
        q.forget(&"a");
        assert_eq!(q.failures(&"a"), 0);
    }

    #[tokio::test(start_paused = true)]
    async fn a_waiting_worker_wakes_for_new_items() {
        let q = queue();
        let q2 = q.clone();
        let worker = tokio::spawn(async move { q2.next().await });
        tokio::task::yield_now().await;
        q.add("x");
        assert_eq!(worker.await.unwrap(), "x");
    }
}
