//! Doing something for every node once per interval, spread evenly over it (as thousands of
//! independent kubelets would), and measuring whether it keeps up.

use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use tokio::time::Instant;

use futures::StreamExt;

/// Counters of one periodic activity.
#[derive(Default, Debug)]
pub struct Cadence {
    pub done: AtomicU64,
    pub failed: AtomicU64,
    /// The longest time between two successful rounds for one item since the last report (ms).
    worst_gap_ms: AtomicU64,
}

impl Cadence {
    /// The worst gap since the previous call, and resets it.
    pub fn take_worst_gap(&self) -> Duration {
        Duration::from_millis(self.worst_gap_ms.swap(0, Ordering::Relaxed))
    }

    fn record(&self, gap: Duration) {
        self.done.fetch_add(1, Ordering::Relaxed);
        self.worst_gap_ms
            .fetch_max(gap.as_millis() as u64, Ordering::Relaxed);
    }
}

const TICK: Duration = Duration::from_millis(100);

/// Calls `act` for every item once per `interval`, spread evenly, at most `concurrency` at a
/// time, forever. `act` says whether it succeeded; gaps are measured between successes.
pub async fn every<F, Fut>(
    items: Arc<Vec<String>>,
    interval: Duration,
    concurrency: usize,
    cadence: Arc<Cadence>,
    act: F,
) where
    F: Fn(String) -> Fut,
    Fut: Future<Output = bool>,
{
    let n = items.len();
    if n == 0 {
        return;
    }
    let mut last = vec![Instant::now(); n];
    loop {
        let round = Instant::now();
        let mut next = 0;
        while next < n {
            // Everything due by the end of this tick.
            let share = (round.elapsed() + TICK).as_secs_f64() / interval.as_secs_f64();
            let due = ((share * n as f64).ceil() as usize).clamp(next, n);
            let results: Vec<(usize, bool)> = futures::stream::iter(next..due)
                .map(|i| {
                    let fut = act(items[i].clone());
                    async move { (i, fut.await) }
                })
                .buffer_unordered(concurrency.max(1))
                .collect()
                .await;
            let now = Instant::now();
            for (i, ok) in results {
                if ok {
                    cadence.record(now - last[i]);
                    last[i] = now;
                } else {
                    cadence.failed.fetch_add(1, Ordering::Relaxed);
                }
            }
            next = due;
            if next < n {
                tokio::time::sleep(TICK).await;
            }
        }
        tokio::time::sleep_until(round + interval).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use parking_lot::Mutex;
    use std::collections::HashMap;

    #[tokio::test(start_paused = true)]
    async fn every_item_once_per_interval_spread_out() {
        let items: Arc<Vec<String>> = Arc::new((0..50).map(|i| i.to_string()).collect());
        let seen: Arc<Mutex<HashMap<String, Vec<Instant>>>> = Default::default();
        let cadence = Arc::new(Cadence::default());
        let start = Instant::now();
        let task = {
            let seen = seen.clone();
            tokio::spawn(every(
                items.clone(),
                Duration::from_secs(10),
                4,
                cadence.clone(),
                move |item| {
                    let seen = seen.clone();
                    async move {
                        seen.lock().entry(item).or_default().push(Instant::now());
                        true
                    }
                },
            ))
        };
        tokio::time::sleep(Duration::from_millis(30_050)).await;
        task.abort();
        let seen = seen.lock();
        assert_eq!(seen.len(), 50);
        for times in seen.values() {
            assert!((3..=4).contains(&times.len()), "{times:?}");
            for pair in times.windows(2) {
                let gap = pair[1] - pair[0];
                assert!(gap >= Duration::from_millis(9_800), "{times:?}");
                assert!(gap <= Duration::from_millis(10_200), "{times:?}");
            }
        }
        // Spread: the first round's calls cover the whole interval, not one burst.
        let firsts: Vec<Duration> = seen.values().map(|t| t[0] - start).collect();
        assert!(firsts.iter().any(|d| *d < Duration::from_secs(1)));
        assert!(
            firsts.iter().any(|d| *d > Duration::from_secs(9)),
            "{firsts:?}"
        );
        assert!(cadence.take_worst_gap() <= Duration::from_millis(10_200));
    }
}
