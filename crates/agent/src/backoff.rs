//! Per-key exponential back-off with the kubelet's semantics (client-go's flowcontrol.Backoff):
//! 10 s doubling to 5 min; an entry untouched for twice the maximum starts again from 10 s.
//! Times are milliseconds since the epoch, passed in, so decisions are pure and testable.

use std::collections::HashMap;

pub const INITIAL_MS: i64 = 10_000;
pub const MAX_MS: i64 = 300_000;

#[derive(Debug, Clone, Copy)]
struct Entry {
    backoff_ms: i64,
    last_update_ms: i64,
}

#[derive(Debug)]
pub struct Backoff {
    initial_ms: i64,
    max_ms: i64,
    entries: HashMap<String, Entry>,
}

impl Default for Backoff {
    fn default() -> Self {
        Backoff::new(INITIAL_MS, MAX_MS)
    }
}

impl Backoff {
    pub fn new(initial_ms: i64, max_ms: i64) -> Backoff {
        Backoff {
            initial_ms,
            max_ms,
            entries: HashMap::new(),
        }
    }

    fn expired(&self, event_ms: i64, e: &Entry) -> bool {
        event_ms - e.last_update_ms > self.max_ms * 2
    }

    /// Records a failure at `event_ms`: the first (or first after a long quiet spell) waits the
    /// initial period, each further one twice the previous, up to the maximum.
    pub fn next(&mut self, key: &str, event_ms: i64) {
        let fresh = match self.entries.get(key) {
            None => true,
            Some(e) => self.expired(event_ms, e),
        };
        let backoff_ms = if fresh {
            self.initial_ms
        } else {
            let e = self.entries[key];
            (e.backoff_ms * 2).min(self.max_ms)
        };
        self.entries.insert(
            key.to_owned(),
            Entry {
                backoff_ms,
                last_update_ms: event_ms,
            },
        );
    }

    /// Whether the failure at `event_ms` is still inside its back-off window at `now_ms`.
    pub fn in_backoff_since(&self, key: &str, event_ms: i64, now_ms: i64) -> bool {
        match self.entries.get(key) {
            None => false,
            Some(e) if self.expired(event_ms, e) => false,
            Some(e) => now_ms - event_ms < e.backoff_ms,
        }
    }

    /// Whether `now_ms` is inside the window that began with the last recorded failure.
    pub fn in_backoff_since_update(&self, key: &str, now_ms: i64) -> bool {
        match self.entries.get(key) {
            None => false,
            Some(e) => now_ms - e.last_update_ms < e.backoff_ms,
        }
    }

    /// The current back-off of `key`.
    pub fn get(&self, key: &str) -> i64 {
        self.entries.get(key).map(|e| e.backoff_ms).unwrap_or(0)
    }

    /// When the window of the failure at `event_ms` ends.
    pub fn until(&self, key: &str, event_ms: i64) -> i64 {
        event_ms + self.get(key)
    }

    pub fn forget(&mut self, key: &str) {
        self.entries.remove(key);
    }

    /// Drops entries untouched for longer than twice the maximum (keeps the map small).
    pub fn gc(&mut self, now_ms: i64) {
        let max = self.max_ms;
        self.entries
            .retain(|_, e| now_ms - e.last_update_ms <= max * 2);
    }
}

/// The duration as Go prints it (`10s`, `2m40s`, `5m0s`), as the kubelet's messages show it.
pub fn go_duration(ms: i64) -> String {
    let secs = ms / 1000;
    let frac = ms % 1000;
    if secs >= 60 {
        let (m, s) = (secs / 60, secs % 60);
        if m >= 60 {
            return format!("{}h{}m{}s", m / 60, m % 60, s);
        }
        return format!("{m}m{s}s");
    }
    if secs == 0 && frac > 0 {
        format!("{frac}ms")
    } else if frac == 0 {
        format!("{secs}s")
    } else {
        let text = format!("{secs}.{frac:03}");
        format!("{}s", text.trim_end_matches('0'))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn doubles_to_the_maximum_then_resets_after_a_quiet_spell() {
        let mut b = Backoff::default();
        let key = "pod_container";
        assert!(!b.in_backoff_since(key, 0, 0));
        b.next(key, 0);
        assert_eq!(b.get(key), 10_000);
        assert!(b.in_backoff_since(key, 0, 9_999));
        assert!(!b.in_backoff_since(key, 0, 10_000));
        let mut t = 0;
        let mut seen = vec![];
        for _ in 0..7 {
            t += 1_000;
            b.next(key, t);
            seen.push(b.get(key) / 1000);
        }
        assert_eq!(seen, vec![20, 40, 80, 160, 300, 300, 300]);
        // Ten minutes without a failure: back to the start.
        b.next(key, t + 600_001);
        assert_eq!(b.get(key), 10_000);
        b.gc(t + 600_001 + 600_001);
        assert_eq!(b.get(key), 0);
    }

    #[test]
    fn durations_print_like_go() {
        assert_eq!(go_duration(10_000), "10s");
        assert_eq!(go_duration(160_000), "2m40s");
        assert_eq!(go_duration(300_000), "5m0s");
        assert_eq!(go_duration(1_500), "1.5s");
        assert_eq!(go_duration(523), "523ms");
        assert_eq!(go_duration(0), "0s");
        assert_eq!(go_duration(180_000), "3m0s");
    }
}
