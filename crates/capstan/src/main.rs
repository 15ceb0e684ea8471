//! The `capstan` binary: wiring only. Each subcommand hands over to the crate that does the work.

mod bench;
mod bench_api;
mod scheduler;
mod server;
mod sim;

use clap::{Parser, Subcommand};

#[derive(Parser)]
#[command(
    name = "capstan",
    version,
    about = "Kubernetes, rebuilt in Rust as one binary"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run the control plane: API server, store, scheduler, controllers (and a node agent).
    Server(server::ServerArgs),
    /// Benchmarks that print their figures (results go in docs/PERFORMANCE.md).
    #[command(subcommand)]
    Bench(bench::BenchCommand),
    /// Run the scheduler alone against an API server.
    Scheduler(scheduler::SchedulerArgs),
    /// Simulated nodes for scale tests and benchmarks (always labelled as simulated).
    #[command(subcommand)]
    Sim(sim::SimCommand),
}

fn main() {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("CAPSTAN_LOG")
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .with_writer(std::io::stderr)
        .init();
    let cli = Cli::parse();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("tokio runtime");
    let result = runtime.block_on(async move {
        match cli.command {
            Command::Server(a) => server::run(a).await,
            Command::Bench(b) => bench::run(b).await,
            Command::Sim(c) => sim::run(c).await,
            Command::Scheduler(a) => scheduler::run(a).await,
        }
    });
    if let Err(e) = result {
        eprintln!("error: {e:#}");
        std::process::exit(1);
    }
}
