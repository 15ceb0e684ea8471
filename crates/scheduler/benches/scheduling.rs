//! `cargo bench -p capstan-scheduler`: in-memory decision-loop throughput.
//! Optional arguments: number of nodes and pods (default 5000 and 10000).

use capstan_scheduler::bench::{Scenario, bench};

fn main() {
    let args: Vec<usize> = std::env::args()
        .skip(1)
        .filter_map(|a| a.parse().ok())
        .collect();
    let nodes = args.first().copied().unwrap_or(5000);
    let pods = args.get(1).copied().unwrap_or(10_000);
    for scenario in Scenario::ALL {
        let r = bench(scenario, nodes, pods);
        println!(
            "{:<36} nodes={} pods={} bound={} unschedulable={} enqueue={:?} decide={:?} => {:.0} pods/s",
            scenario.name(),
            r.nodes,
            r.pods,
            r.bound,
            r.unschedulable,
            r.enqueue,
            r.decide,
            r.pods_per_second()
        );
    }
}
