//! Leader election on a coordination.k8s.io Lease, as client-go's leaderelection does it: take the
//! lease when it is free or its holder stopped renewing it for a whole lease duration (measured on
//! this host's clock, from when the record last changed), renew it every retry period, and give up
//! leadership when renewing fails for the renew deadline — before any other candidate may take it.

use std::time::Duration;

use k8s_openapi::api::coordination::v1::Lease;
use kube::Client;
use kube::api::{Api, PostParams};
use serde_json::{Value, json};
use tokio::time::Instant;

#[derive(Debug, Clone)]
pub struct LeaderElection {
    pub namespace: String,
    pub name: String,
    /// Who we are: unique per process.
    pub identity: String,
    pub lease_duration: Duration,
    pub renew_deadline: Duration,
    pub retry_period: Duration,
}

impl LeaderElection {
    /// kube-scheduler's defaults (kube-system/kube-scheduler, 15 s / 10 s / 2 s).
    pub fn scheduler_defaults() -> LeaderElection {
        let host = std::fs::read_to_string("/proc/sys/kernel/hostname")
            .map(|h| h.trim().to_owned())
            .unwrap_or_else(|_| "localhost".into());
        LeaderElection {
            namespace: "kube-system".into(),
            name: "kube-scheduler".into(),
            identity: format!("{host}_{}", uuid::Uuid::new_v4()),
            lease_duration: Duration::from_secs(15),
            renew_deadline: Duration::from_secs(10),
            retry_period: Duration::from_secs(2),
        }
    }
}

fn now_micro() -> String {
    chrono::Utc::now()
        .format("%Y-%m-%dT%H:%M:%S%.6fZ")
        .to_string()
}

fn holder(lease: &Lease) -> &str {
    lease
        .spec
        .as_ref()
        .and_then(|s| s.holder_identity.as_deref())
        .unwrap_or("")
}

/// The parts of a lease record whose change shows its holder is alive.
fn record(lease: &Lease) -> Value {
    let spec = lease.spec.as_ref();
    json!([
        holder(lease),
        spec.and_then(|s| s.renew_time.as_ref())
            .map(|t| format!("{t:?}")),
        spec.and_then(|s| s.lease_transitions),
    ])
}

pub struct Elector {
    api: Api<Lease>,
    config: LeaderElection,
    /// The last record seen and when it was first seen.
    observed: Option<(Value, Instant)>,
}

impl Elector {
    pub fn new(client: Client, config: LeaderElection) -> Elector {
        Elector {
            api: Api::namespaced(client, &config.namespace),
            config,
            observed: None,
        }
    }

    fn lease(&self, current: Option<&Lease>, transitions: i32, acquired: bool) -> Lease {
        let now = now_micro();
        let acquire_time = if acquired {
            Some(Value::String(now.clone()))
        } else {
            current
                .and_then(|l| l.spec.as_ref())
                .and_then(|s| s.acquire_time.as_ref())
                .and_then(|t| serde_json::to_value(t).ok())
        };
        let mut lease = json!({
            "apiVersion": "coordination.k8s.io/v1",
            "kind": "Lease",
            "metadata": {"name": self.config.name, "namespace": self.config.namespace},
            "spec": {
                "holderIdentity": self.config.identity,
                "leaseDurationSeconds": self.config.lease_duration.as_secs(),
                "acquireTime": acquire_time,
                "renewTime": now,
                "leaseTransitions": transitions,
            },
        });
        if let Some(rv) = current.and_then(|l| l.metadata.resource_version.as_ref()) {
            lease["metadata"]["resourceVersion"] = json!(rv);
        }
        serde_json::from_value(lease).expect("a well-formed Lease")
    }

    /// One attempt to take or keep the lease; true when we hold it afterwards.
    async fn try_acquire_or_renew(&mut self) -> bool {
        let params = PostParams::default();
        let current = match self.api.get_opt(&self.config.name).await {
            Ok(c) => c,
            Err(e) => {
                tracing::debug!(error = %e, "cannot read leader lease");
                return false;
            }
        };
        let Some(current) = current else {
            return self
                .api
                .create(&params, &self.lease(None, 0, true))
                .await
                .is_ok();
        };
        let rec = record(&current);
        let now = Instant::now();
        let changed = self.observed.as_ref().is_none_or(|(r, _)| *r != rec);
        if changed {
            self.observed = Some((rec, now));
        }
        let ours = holder(&current) == self.config.identity;
        let free = holder(&current).is_empty();
        let expired = self
            .observed
            .as_ref()
            .is_some_and(|(_, seen)| now.duration_since(*seen) > self.config.lease_duration);
        if !ours && !free && !expired {
            return false;
        }
        let transitions = current
            .spec
            .as_ref()
            .and_then(|s| s.lease_transitions)
            .unwrap_or(0)
            + i32::from(!ours);
        let lease = self.lease(Some(&current), transitions, !ours);
        match self.api.replace(&self.config.name, &params, &lease).await {
            Ok(written) => {
                self.observed = Some((record(&written), Instant::now()));
                true
            }
            Err(e) => {
                tracing::debug!(error = %e, "cannot write leader lease");
                false
            }
        }
    }

    /// Waits until this process holds the lease.
    pub async fn acquire(&mut self) {
        loop {
            if self.try_acquire_or_renew().await {
                tracing::info!(lease = %format!("{}/{}", self.config.namespace, self.config.name), identity = %self.config.identity, "became leader");
                return;
            }
            tokio::time::sleep(self.config.retry_period).await;
        }
    }

    /// Keeps renewing; returns when renewing failed for the whole renew deadline.
    pub async fn hold(&mut self) {
        let mut last_renewed = Instant::now();
        loop {
            tokio::time::sleep(self.config.retry_period).await;
            if self.try_acquire_or_renew().await {
                last_renewed = Instant::now();
            } else if last_renewed.elapsed() >= self.config.renew_deadline {
                tracing::warn!(identity = %self.config.identity, "failed to renew the leader lease in time; leadership lost");
                return;
            }
        }
    }
}
