//! Prometheus metrics at /metrics: requests by verb, resource and code with latency histograms,
//! open watches, and watch cache sizes.

use std::collections::BTreeMap;
use std::fmt::Write;
use std::sync::atomic::{AtomicI64, Ordering};
use std::time::Duration;

use parking_lot::Mutex;

/// Latency buckets in seconds (upstream's apiserver_request_duration_seconds buckets, trimmed).
const BUCKETS: &[f64] = &[
    0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0,
];

#[derive(Default)]
struct Histogram {
    counts: Vec<u64>,
    sum: f64,
    count: u64,
}

impl Histogram {
    fn observe(&mut self, secs: f64) {
        if self.counts.is_empty() {
            self.counts = vec![0; BUCKETS.len()];
        }
        for (i, b) in BUCKETS.iter().enumerate() {
            if secs <= *b {
                self.counts[i] += 1;
            }
        }
        self.sum += secs;
        self.count += 1;
    }
}

type ByResource<V> = BTreeMap<String, V>;

/// The entry for `key`, allocating the key only when it is new.
fn nested<'a, V: Default>(map: &'a mut BTreeMap<String, V>, key: &str) -> &'a mut V {
    if !map.contains_key(key) {
        map.insert(key.to_owned(), V::default());
    }
    map.get_mut(key).expect("just inserted")
}

#[derive(Default)]
pub struct Metrics {
    /// verb → resource → code → count (nested so lookups borrow: no allocation per request).
    requests: Mutex<BTreeMap<String, ByResource<BTreeMap<u16, u64>>>>,
    /// verb → resource → latency
    latency: Mutex<BTreeMap<String, ByResource<Histogram>>>,
    watches: AtomicI64,
    store: Mutex<BTreeMap<&'static str, (Histogram, u64)>>,
}

impl Metrics {
    pub fn observe_request(&self, verb: &str, resource: &str, code: u16, elapsed: Duration) {
        {
            let mut requests = self.requests.lock();
            let by_resource = nested(&mut requests, verb);
            *nested(by_resource, resource).entry(code).or_default() += 1;
        }
        // Watches last as long as the client likes; their duration says nothing about latency.
        if verb != "WATCH" {
            let mut latency = self.latency.lock();
            nested(nested(&mut latency, verb), resource).observe(elapsed.as_secs_f64());
        }
    }

    /// One store operation: its latency, and whether it failed.
    pub fn observe_store(&self, op: &'static str, elapsed: Duration, ok: bool) {
        let mut store = self.store.lock();
        let entry = store.entry(op).or_default();
        entry.0.observe(elapsed.as_secs_f64());
        if !ok {
            entry.1 += 1;
        }
    }

    pub fn watch_opened(&self) {
        self.watches.fetch_add(1, Ordering::Relaxed);
    }

    pub fn watch_closed(&self) {
        self.watches.fetch_sub(1, Ordering::Relaxed);
    }

    pub fn render(&self, cache_sizes: &[(String, usize)]) -> String {
        let mut out = String::new();
        out.push_str("# HELP apiserver_request_total Requests by verb, resource and HTTP code.\n");
        out.push_str("# TYPE apiserver_request_total counter\n");
        for (verb, by_resource) in self.requests.lock().iter() {
            for (resource, by_code) in by_resource {
                for (code, n) in by_code {
                    let _ = writeln!(
                        out,
                        "apiserver_request_total{{verb=\"{verb}\",resource=\"{resource}\",code=\"{code}\"}} {n}"
                    );
                }
            }
        }
        out.push_str(
            "# HELP apiserver_request_duration_seconds Request latency by verb and resource.\n",
        );
        out.push_str("# TYPE apiserver_request_duration_seconds histogram\n");
        let latency = self.latency.lock();
        for (verb, resource, h) in latency
            .iter()
            .flat_map(|(v, m)| m.iter().map(move |(r, h)| (v, r, h)))
        {
            let labels = format!("verb=\"{verb}\",resource=\"{resource}\"");
            for (i, b) in BUCKETS.iter().enumerate() {
                let _ = writeln!(
                    out,
                    "apiserver_request_duration_seconds_bucket{{{labels},le=\"{b}\"}} {}",
                    h.counts.get(i).copied().unwrap_or(0)
                );
            }
            let _ = writeln!(
                out,
                "apiserver_request_duration_seconds_bucket{{{labels},le=\"+Inf\"}} {}",
                h.count
            );
            let _ = writeln!(
                out,
                "apiserver_request_duration_seconds_sum{{{labels}}} {}",
                h.sum
            );
            let _ = writeln!(
                out,
                "apiserver_request_duration_seconds_count{{{labels}}} {}",
                h.count
            );
        }
        out.push_str(
            "# HELP etcd_request_duration_seconds Store operation latency by operation.\n",
        );
        out.push_str("# TYPE etcd_request_duration_seconds histogram\n");
        let store = self.store.lock();
        for (op, (h, _)) in store.iter() {
            let labels = format!("operation=\"{op}\"");
            for (i, b) in BUCKETS.iter().enumerate() {
                let _ = writeln!(
                    out,
                    "etcd_request_duration_seconds_bucket{{{labels},le=\"{b}\"}} {}",
                    h.counts.get(i).copied().unwrap_or(0)
                );
            }
            let _ = writeln!(
                out,
                "etcd_request_duration_seconds_bucket{{{labels},le=\"+Inf\"}} {}",
                h.count
            );
            let _ = writeln!(
                out,
                "etcd_request_duration_seconds_sum{{{labels}}} {}",
                h.sum
            );
            let _ = writeln!(
                out,
                "etcd_request_duration_seconds_count{{{labels}}} {}",
                h.count
            );
        }
        out.push_str("# HELP etcd_request_errors_total Failed store operations (including precondition failures).\n");
        out.push_str("# TYPE etcd_request_errors_total counter\n");
        for (op, (_, errors)) in store.iter() {
            let _ = writeln!(
                out,
                "etcd_request_errors_total{{operation=\"{op}\"}} {errors}"
            );
        }
        drop(store);
        out.push_str("# HELP apiserver_longrunning_requests Open watch requests.\n");
        out.push_str("# TYPE apiserver_longrunning_requests gauge\n");
        let _ = writeln!(
            out,
            "apiserver_longrunning_requests{{verb=\"WATCH\"}} {}",
            self.watches.load(Ordering::Relaxed)
        );
        out.push_str("# HELP apiserver_watch_cache_objects Objects held per watch cache.\n");
        out.push_str("# TYPE apiserver_watch_cache_objects gauge\n");
        for (prefix, n) in cache_sizes {
            let _ = writeln!(
                out,
                "apiserver_watch_cache_objects{{resource_prefix=\"{prefix}\"}} {n}"
            );
        }
        out
    }
}
