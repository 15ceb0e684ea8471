//! The `capstan` binary: wiring only. Each subcommand hands over to the crate that does the work.

// The API server and scheduler allocate and free many small JSON values per request; mimalloc
// spends markedly less CPU on that than glibc's allocator (see docs/PERFORMANCE.md).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// mimalloc's option numbers (its v3 `mi_option_e`); the library is linked by the `mimalloc` crate.
mod mimalloc_options {
    unsafe extern "C" {
        fn mi_option_get(option: i32) -> std::ffi::c_long;
        fn mi_option_set(option: i32, value: std::ffi::c_long);
    }
    const PURGE_DELAY: i32 = 15;
    /// mimalloc's default purge delay (ms), which tells us option 15 is the one we mean.
    const DEFAULT_PURGE_DELAY: std::ffi::c_long = 1000;
    /// Ours: freed memory goes back to the OS within about a second (arenas purge after ten
    /// times the delay) instead of ten.
    const PURGE_DELAY_MS: std::ffi::c_long = 100;

    /// Give freed memory back to the OS soon: an idle server then holds far less memory
    /// (transparent huge pages are off too, through the crate's `no_thp`).
    pub fn return_freed_memory_promptly() {
        // SAFETY: plain option reads and writes on the linked allocator; any option number is
        // accepted (unknown ones are ignored).
        unsafe {
            if mi_option_get(PURGE_DELAY) == DEFAULT_PURGE_DELAY {
                mi_option_set(PURGE_DELAY, PURGE_DELAY_MS);
            }
        }
    }

    #[cfg(test)]
    #[test]
    fn option_15_is_the_purge_delay() {
        // SAFETY: as above.
        assert_eq!(unsafe { mi_option_get(PURGE_DELAY) }, DEFAULT_PURGE_DELAY);
    }
}

mod agent;
mod bench;
mod bench_api;
mod bench_scheduler;
mod images;
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
    /// Join this host to a cluster as a node: run the pods bound to it on containerd.
    Agent(agent::AgentArgs),
    /// Images in the node's container runtime: import archives, list.
    #[command(subcommand)]
    Images(images::ImagesCommand),
}

fn main() {
    mimalloc_options::return_freed_memory_promptly();
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
            Command::Agent(a) => agent::run(a).await,
            Command::Images(c) => images::run(c).await,
        }
    });
    if let Err(e) = result {
        eprintln!("error: {e:#}");
        std::process::exit(1);
    }
}
