//! The agent's Prometheus metrics, kept small on purpose: fixed-bucket histograms and counters
//! keyed by a short label, rendered as the text exposition format at `/metrics`.

use std::collections::BTreeMap;
use std::fmt::Write;
use std::time::Duration;

use parking_lot::Mutex;

/// Bucket bounds (seconds) for runtime operations and relist durations, as the kubelet's
/// `kubelet_runtime_operations_duration_seconds` uses exponential buckets from 5 ms.
const OPERATION_BUCKETS: &[f64] = &[
    0.005,
    0.0125,
    0.03125,
    0.078125,
    0.1953125,
    0.48828125,
    1.220703125,
    3.0517578125,
    7.62939453125,
    19.073486328125,
    47.6837158203125,
    119.20928955078125,
    298.0232238769531,
    745.0580596923828,
];
/// Relist intervals sit around one second.
const INTERVAL_BUCKETS: &[f64] = &[
    0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 1.1, 1.25, 1.5, 2.0, 2.5, 5.0, 10.0,
];

#[derive(Debug, Clone)]
pub struct Histogram {
    bounds: &'static [f64],
    counts: Vec<u64>,
    sum: f64,
    count: u64,
}

impl Histogram {
    fn new(bounds: &'static [f64]) -> Histogram {
        Histogram {
            bounds,
            counts: vec![0; bounds.len()],
            sum: 0.0,
            count: 0,
        }
    }

    pub fn observe(&mut self, seconds: f64) {
        for (i, b) in self.bounds.iter().enumerate() {
            if seconds <= *b {
                self.counts[i] += 1;
            }
        }
        self.sum += seconds;
        self.count += 1;
    }

    pub fn count(&self) -> u64 {
        self.count
    }

    fn render(&self, out: &mut String, name: &str, labels: &str) {
        let sep = if labels.is_empty() { "" } else { "," };
        for (b, c) in self.bounds.iter().zip(&self.counts) {
            let _ = writeln!(out, "{name}_bucket{{{labels}{sep}le=\"{b}\"}} {c}");
        }
        let _ = writeln!(
            out,
            "{name}_bucket{{{labels}{sep}le=\"+Inf\"}} {}",
            self.count
        );
        let braces = if labels.is_empty() {
            String::new()
        } else {
            format!("{{{labels}}}")
        };
        let _ = writeln!(out, "{name}_sum{braces} {}", self.sum);
        let _ = writeln!(out, "{name}_count{braces} {}", self.count);
    }
}

#[derive(Default)]
struct Inner {
    relist_duration: Option<Histogram>,
    relist_interval: Option<Histogram>,
    last_relist_unix: f64,
    operations: BTreeMap<&'static str, (u64, u64, Histogram)>,
    running_pods: i64,
    running_containers: i64,
    pod_start: Option<Histogram>,
}

/// All of the agent's metrics.
#[derive(Default)]
pub struct Metrics {
    inner: Mutex<Inner>,
}

impl Metrics {
    pub fn new() -> Metrics {
        Metrics::default()
    }

    /// One CRI call of `operation` (the kubelet's operation_type names) took `took`.
    pub fn runtime_operation(&self, operation: &'static str, took: Duration, failed: bool) {
        let mut inner = self.inner.lock();
        let entry = inner
            .operations
            .entry(operation)
            .or_insert_with(|| (0, 0, Histogram::new(OPERATION_BUCKETS)));
        entry.0 += 1;
        if failed {
            entry.1 += 1;
        }
        entry.2.observe(took.as_secs_f64());
    }

    pub fn relist(&self, duration: Duration, interval: Option<Duration>) {
        let mut inner = self.inner.lock();
        inner
            .relist_duration
            .get_or_insert_with(|| Histogram::new(OPERATION_BUCKETS))
            .observe(duration.as_secs_f64());
        if let Some(i) = interval {
            inner
                .relist_interval
                .get_or_insert_with(|| Histogram::new(INTERVAL_BUCKETS))
                .observe(i.as_secs_f64());
        }
        inner.last_relist_unix = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_secs_f64())
            .unwrap_or(0.0);
    }

    pub fn running(&self, pods: i64, containers: i64) {
        let mut inner = self.inner.lock();
        inner.running_pods = pods;
        inner.running_containers = containers;
    }

    /// Time from a pod first being seen to all its containers running.
    pub fn pod_started(&self, took: Duration) {
        self.inner
            .lock()
            .pod_start
            .get_or_insert_with(|| Histogram::new(OPERATION_BUCKETS))
            .observe(took.as_secs_f64());
    }

    /// How many calls of `operation` were made (for tests).
    pub fn operation_count(&self, operation: &str) -> u64 {
        self.inner
            .lock()
            .operations
            .get(operation)
            .map(|e| e.0)
            .unwrap_or(0)
    }

    /// The Prometheus text exposition.
    pub fn render(&self) -> String {
        let inner = self.inner.lock();
        let mut out = String::new();
        let empty_ops = Histogram::new(OPERATION_BUCKETS);
        let empty_interval = Histogram::new(INTERVAL_BUCKETS);
        out.push_str("# HELP kubelet_pleg_relist_duration_seconds Duration in seconds for relisting pods in PLEG.\n# TYPE kubelet_pleg_relist_duration_seconds histogram\n");
        inner.relist_duration.as_ref().unwrap_or(&empty_ops).render(
            &mut out,
            "kubelet_pleg_relist_duration_seconds",
            "",
        );
        out.push_str("# HELP kubelet_pleg_relist_interval_seconds Interval in seconds between relisting in PLEG.\n# TYPE kubelet_pleg_relist_interval_seconds histogram\n");
        inner
            .relist_interval
            .as_ref()
            .unwrap_or(&empty_interval)
            .render(&mut out, "kubelet_pleg_relist_interval_seconds", "");
        out.push_str("# HELP kubelet_pleg_last_seen_seconds Timestamp in seconds when PLEG was last seen active.\n# TYPE kubelet_pleg_last_seen_seconds gauge\n");
        let _ = writeln!(
            out,
            "kubelet_pleg_last_seen_seconds {}",
            inner.last_relist_unix
        );
        out.push_str("# HELP kubelet_runtime_operations_total Cumulative number of runtime operations by operation type.\n# TYPE kubelet_runtime_operations_total counter\n");
        for (op, (n, _, _)) in &inner.operations {
            let _ = writeln!(
                out,
                "kubelet_runtime_operations_total{{operation_type=\"{op}\"}} {n}"
            );
        }
        out.push_str("# HELP kubelet_runtime_operations_errors_total Cumulative number of runtime operation errors by operation type.\n# TYPE kubelet_runtime_operations_errors_total counter\n");
        for (op, (_, e, _)) in &inner.operations {
            let _ = writeln!(
                out,
                "kubelet_runtime_operations_errors_total{{operation_type=\"{op}\"}} {e}"
            );
        }
        out.push_str("# HELP kubelet_runtime_operations_duration_seconds Duration in seconds of runtime operations. Broken down by operation type.\n# TYPE kubelet_runtime_operations_duration_seconds histogram\n");
        for (op, (_, _, h)) in &inner.operations {
            h.render(
                &mut out,
                "kubelet_runtime_operations_duration_seconds",
                &format!("operation_type=\"{op}\""),
            );
        }
        out.push_str("# HELP kubelet_running_pods Number of pods that have a running pod sandbox\n# TYPE kubelet_running_pods gauge\n");
        let _ = writeln!(out, "kubelet_running_pods {}", inner.running_pods);
        out.push_str("# HELP kubelet_running_containers Number of containers currently running\n# TYPE kubelet_running_containers gauge\n");
        let _ = writeln!(
            out,
            "kubelet_running_containers{{container_state=\"running\"}} {}",
            inner.running_containers
        );
        out.push_str("# HELP kubelet_pod_start_duration_seconds Duration in seconds from the agent seeing a pod for the first time to the pod starting to run\n# TYPE kubelet_pod_start_duration_seconds histogram\n");
        inner.pod_start.as_ref().unwrap_or(&empty_ops).render(
            &mut out,
            "kubelet_pod_start_duration_seconds",
            "",
        );
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn histograms_are_cumulative_and_labelled() {
        let m = Metrics::new();
        m.runtime_operation("list_podsandbox", Duration::from_millis(3), false);
        m.runtime_operation("list_podsandbox", Duration::from_millis(40), true);
        m.relist(Duration::from_millis(10), Some(Duration::from_millis(1010)));
        let text = m.render();
        assert!(
            text.contains("kubelet_runtime_operations_total{operation_type=\"list_podsandbox\"} 2")
        );
        assert!(text.contains(
            "kubelet_runtime_operations_errors_total{operation_type=\"list_podsandbox\"} 1"
        ));
        assert!(text.contains("kubelet_runtime_operations_duration_seconds_bucket{operation_type=\"list_podsandbox\",le=\"0.005\"} 1"));
        assert!(text.contains("kubelet_runtime_operations_duration_seconds_bucket{operation_type=\"list_podsandbox\",le=\"0.078125\"} 2"));
        assert!(text.contains("kubelet_pleg_relist_interval_seconds_bucket{le=\"1.1\"} 1"));
        assert!(text.contains("kubelet_pleg_relist_interval_seconds_bucket{le=\"1\"} 0"));
        assert!(text.contains("kubelet_pleg_relist_duration_seconds_count 1"));
        assert_eq!(m.operation_count("list_podsandbox"), 2);
    }
}
