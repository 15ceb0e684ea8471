//! `capstan bench …`

use std::path::PathBuf;
use std::time::Duration;

use clap::{Args, Subcommand};

#[derive(Subcommand)]
pub enum BenchCommand {
    /// Store throughput, latency, list and watch fan-out: embedded vs a real etcd, side by side.
    Store(StoreBench),
    /// API server: pod creates/s, get/update/list latency, LIST of every pod, watch fan-out, RSS.
    Apiserver(ApiBench),
    /// Scheduler end to end: pods created then bound on simulated nodes, pods/s and latency.
    Scheduler(SchedulerBench),
}

#[derive(Args)]
pub struct SchedulerBench {
    /// Simulated nodes.
    #[arg(long, default_value_t = 5000)]
    nodes: usize,
    /// Pods created per shape.
    #[arg(long, default_value_t = 10_000)]
    pods: usize,
    /// Workload shapes to run: basic, anti-affinity, spread, taints.
    #[arg(
        long,
        value_delimiter = ',',
        default_value = "basic,anti-affinity,spread,taints"
    )]
    shapes: Vec<String>,
    /// Concurrent clients creating pods.
    #[arg(long, default_value_t = 32)]
    clients: usize,
    /// stream: pods created while the server's scheduler runs (create->bound latency);
    /// backlog: pods created first, then a `capstan scheduler` process binds them (throughput).
    #[arg(long, value_delimiter = ',', default_value = "stream,backlog")]
    modes: Vec<String>,
    /// Give up on a shape when its pods are not all bound by then.
    #[arg(long, default_value = "300s", value_parser = humantime::parse_duration)]
    timeout: Duration,
    /// Scratch directory (default: a temporary one, removed afterwards).
    #[arg(long)]
    dir: Option<PathBuf>,
}

#[derive(Args)]
pub struct ApiBench {
    /// Pods to create.
    #[arg(long, default_value_t = 50_000)]
    pods: usize,
    /// Concurrent clients creating them.
    #[arg(long, default_value_t = 64)]
    clients: usize,
    /// HTTP/2 connections the clients share.
    #[arg(long, default_value_t = 8)]
    connections: usize,
    /// Watchers for the fan-out test.
    #[arg(long, default_value_t = 1000)]
    watchers: usize,
    /// Samples for the get/update/list latencies.
    #[arg(long, default_value_t = 2000)]
    samples: usize,
    /// Scratch directory (default: a temporary one, removed afterwards).
    #[arg(long)]
    dir: Option<PathBuf>,
}

#[derive(Args)]
pub struct StoreBench {
    /// Backends to compare.
    #[arg(long, value_delimiter = ',', default_value = "embedded,etcd")]
    backends: Vec<String>,
    /// Concurrent writers for the write test.
    #[arg(long, value_delimiter = ',', default_value = "1,16,256")]
    writers: Vec<usize>,
    /// Length of each write test.
    #[arg(long, default_value = "5s", value_parser = humantime::parse_duration)]
    duration: Duration,
    /// Keys for the list test.
    #[arg(long, default_value_t = 50_000)]
    list_keys: usize,
    /// Watchers for the fan-out test.
    #[arg(long, default_value_t = 1000)]
    watchers: usize,
    /// Run an update loop this long and report the database size (e.g. 10m; 0 skips it).
    #[arg(long, default_value = "0s", value_parser = humantime::parse_duration)]
    soak: Duration,
    /// Compaction interval during the soak.
    #[arg(long, default_value = "5m", value_parser = humantime::parse_duration)]
    soak_compaction_interval: Duration,
    /// Scratch directory (default: a temporary one, removed afterwards).
    #[arg(long)]
    dir: Option<PathBuf>,
}

pub async fn run(cmd: BenchCommand) -> anyhow::Result<()> {
    match cmd {
        BenchCommand::Store(b) => {
            let opts = capstan_store::bench::BenchOptions {
                backends: b.backends,
                writers: b.writers,
                write_duration: b.duration,
                list_keys: b.list_keys,
                watchers: b.watchers,
                soak: b.soak,
                soak_compaction_interval: b.soak_compaction_interval,
                dir: b.dir,
                ..Default::default()
            };
            capstan_store::bench::run(opts)
                .await
                .map_err(anyhow::Error::msg)
        }
        BenchCommand::Apiserver(b) => {
            crate::bench_api::run(crate::bench_api::ApiBenchOptions {
                pods: b.pods,
                clients: b.clients,
                connections: b.connections,
                watchers: b.watchers,
                samples: b.samples,
                dir: b.dir,
            })
            .await
        }
        BenchCommand::Scheduler(b) => {
            crate::bench_scheduler::run(crate::bench_scheduler::SchedulerBenchOptions {
                nodes: b.nodes,
                pods: b.pods,
                shapes: b.shapes,
                clients: b.clients,
                modes: b
                    .modes
                    .iter()
                    .map(|m| match m.as_str() {
                        "stream" => Ok(crate::bench_scheduler::Mode::Stream),
                        "backlog" => Ok(crate::bench_scheduler::Mode::Backlog),
                        other => Err(anyhow::anyhow!(
                            "unknown mode {other:?}; choose stream or backlog"
                        )),
                    })
                    .collect::<anyhow::Result<_>>()?,
                timeout: b.timeout,
                dir: b.dir,
            })
            .await
        }
    }
}
