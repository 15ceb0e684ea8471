//! `capstan scheduler`: the scheduler alone, as an API client (it also runs inside
//! `capstan server` unless `--disable-scheduler`).

use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{Context, Result};
use capstan_schedulerd::{LeaderElection, Options};
use clap::Args;
use serde_json::Value;

#[derive(Args)]
pub struct SchedulerArgs {
    /// Kubeconfig to reach the API server with.
    #[arg(long, env = "KUBECONFIG")]
    kubeconfig: PathBuf,
    /// A KubeSchedulerConfiguration (kubescheduler.config.k8s.io/v1): profiles, plugins,
    /// weights, percentageOfNodesToScore, leaderElection.
    #[arg(long)]
    config: Option<PathBuf>,
    /// Elect a leader on the kube-system/kube-scheduler Lease before scheduling.
    #[arg(long, default_value_t = true, action = clap::ArgAction::Set)]
    leader_elect: bool,
}

/// The scheduler's configuration and leader election from a configuration file (or defaults).
pub fn options(config: Option<&Path>, leader_elect: bool) -> Result<Options> {
    let text = match config {
        Some(path) => std::fs::read_to_string(path)
            .with_context(|| format!("cannot read scheduler configuration {}", path.display()))?,
        None => String::new(),
    };
    let parsed = capstan_scheduler::parse_config(&text).map_err(|e| {
        anyhow::anyhow!(
            "scheduler configuration {}: {e}",
            config.map(|p| p.display().to_string()).unwrap_or_default()
        )
    })?;
    let mut election = LeaderElection::scheduler_defaults();
    let mut enabled = leader_elect;
    let raw: Value = serde_saphyr::from_str(&text).unwrap_or(Value::Null);
    if let Some(le) = raw.get("leaderElection") {
        let duration = |key: &str, into: &mut Duration| -> Result<()> {
            if let Some(v) = le.get(key).and_then(Value::as_str) {
                *into = humantime::parse_duration(v)
                    .with_context(|| format!("leaderElection.{key}: {v:?} is not a duration"))?;
            }
            Ok(())
        };
        if let Some(b) = le.get("leaderElect").and_then(Value::as_bool) {
            enabled = enabled && b;
        }
        duration("leaseDuration", &mut election.lease_duration)?;
        duration("renewDeadline", &mut election.renew_deadline)?;
        duration("retryPeriod", &mut election.retry_period)?;
        if let Some(ns) = le.get("resourceNamespace").and_then(Value::as_str) {
            election.namespace = ns.to_owned();
        }
        if let Some(name) = le.get("resourceName").and_then(Value::as_str) {
            election.name = name.to_owned();
        }
    }
    Ok(Options {
        config: parsed,
        leader_election: enabled.then_some(election),
    })
}

pub async fn run(args: SchedulerArgs) -> Result<()> {
    let options = options(args.config.as_deref(), args.leader_elect)?;
    let client = capstan_client::connect(&args.kubeconfig).await?;
    eprintln!(
        "capstan scheduler: scheduling through {}",
        args.kubeconfig.display()
    );
    tokio::select! {
        _ = capstan_schedulerd::run(client, options) => Ok(()),
        _ = tokio::signal::ctrl_c() => Ok(()),
    }
}
