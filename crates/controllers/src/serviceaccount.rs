//! ServiceAccount controller: every active namespace has a `default` ServiceAccount; one that
//! is deleted is created again.

use std::sync::Arc;
use std::time::Duration;

use futures::StreamExt;
use k8s_openapi::api::core::v1::{Namespace, ServiceAccount};
use kube::api::{Api, ObjectMeta, PostParams};
use kube::runtime::WatchStreamExt;
use kube::runtime::watcher::{self, Event};
use kube::{Client, ResourceExt};

use crate::errors;
use crate::queue::{Backoff, WorkQueue};

pub const DEFAULT_SERVICE_ACCOUNT: &str = "default";

const BACKOFF: Backoff = Backoff::new(Duration::from_millis(5), Duration::from_secs(60));

/// Whether the namespace should get service accounts: only active ones do.
pub fn wants_service_accounts(ns: &Namespace) -> bool {
    ns.metadata.deletion_timestamp.is_none()
        && ns.status.as_ref().and_then(|s| s.phase.as_deref()) == Some("Active")
}

pub fn default_service_account(namespace: &str) -> ServiceAccount {
    ServiceAccount {
        metadata: ObjectMeta {
            name: Some(DEFAULT_SERVICE_ACCOUNT.into()),
            namespace: Some(namespace.into()),
            ..Default::default()
        },
        ..Default::default()
    }
}

pub async fn run(client: Client) {
    let queue: Arc<WorkQueue<String>> = WorkQueue::new(BACKOFF);
    let namespaces = {
        let queue = queue.clone();
        let api: Api<Namespace> = Api::all(client.clone());
        async move {
            let mut events = watcher::watcher(api, watcher::Config::default())
                .default_backoff()
                .boxed();
            while let Some(ev) = events.next().await {
                match ev {
                    Ok(Event::Apply(ns) | Event::InitApply(ns)) => queue.add(ns.name_any()),
                    Ok(_) => {}
                    Err(e) => tracing::warn!(error = %e, "namespace watch failed"),
                }
            }
        }
    };
    let accounts = {
        let queue = queue.clone();
        let api: Api<ServiceAccount> = Api::all(client.clone());
        let config =
            watcher::Config::default().fields(&format!("metadata.name={DEFAULT_SERVICE_ACCOUNT}"));
        async move {
            let mut events = watcher::watcher(api, config).default_backoff().boxed();
            while let Some(ev) = events.next().await {
                match ev {
                    Ok(Event::Delete(sa)) => {
                        if let Some(ns) = sa.namespace() {
                            queue.add(ns);
                        }
                    }
                    Ok(_) => {}
                    Err(e) => tracing::warn!(error = %e, "serviceaccount watch failed"),
                }
            }
        }
    };
    let work = crate::run_workers(queue.clone(), 1, move |ns: String| {
        let client = client.clone();
        let queue = queue.clone();
        async move {
            match sync(&client, &ns).await {
                Ok(()) => queue.forget(&ns),
                Err(e) => {
                    tracing::warn!(namespace = %ns, error = %errors::message(&e), "syncing service accounts failed");
                    queue.add_rate_limited(ns);
                }
            }
        }
    });
    tokio::join!(namespaces, accounts, work);
}

async fn sync(client: &Client, namespace: &str) -> Result<(), kube::Error> {
    let ns = match Api::<Namespace>::all(client.clone()).get(namespace).await {
        Ok(ns) => ns,
        Err(e) if errors::is_not_found(&e) => return Ok(()),
        Err(e) => return Err(e),
    };
    if !wants_service_accounts(&ns) {
        return Ok(());
    }
    let api: Api<ServiceAccount> = Api::namespaced(client.clone(), namespace);
    match api.get(DEFAULT_SERVICE_ACCOUNT).await {
        Ok(_) => return Ok(()),
        Err(e) if errors::is_not_found(&e) => {}
        Err(e) => return Err(e),
    }
    match api
        .create(&PostParams::default(), &default_service_account(namespace))
        .await
    {
        Ok(_) => {
            tracing::info!(namespace, "created default service account");
            Ok(())
        }
        // A namespace that started terminating meanwhile needs no account.
        Err(e) if errors::is_already_exists(&e) || errors::is_namespace_terminating(&e) => Ok(()),
        Err(e) => Err(e),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use k8s_openapi::api::core::v1::NamespaceStatus;
    use k8s_openapi::apimachinery::pkg::apis::meta::v1::Time;

    fn ns(phase: Option<&str>, deleting: bool) -> Namespace {
        Namespace {
            metadata: ObjectMeta {
                name: Some("a".into()),
                deletion_timestamp: deleting
                    .then_some(Time(k8s_openapi::jiff::Timestamp::UNIX_EPOCH)),
                ..Default::default()
            },
            status: Some(NamespaceStatus {
                phase: phase.map(str::to_owned),
                ..Default::default()
            }),
            ..Default::default()
        }
    }

    #[test]
    fn only_active_namespaces_get_accounts() {
        assert!(wants_service_accounts(&ns(Some("Active"), false)));
        assert!(!wants_service_accounts(&ns(Some("Terminating"), true)));
        assert!(!wants_service_accounts(&ns(Some("Active"), true)));
        assert!(!wants_service_accounts(&ns(None, false)));
    }

    #[test]
    fn default_account_shape() {
        let sa = default_service_account("team");
        assert_eq!(sa.metadata.name.as_deref(), Some("default"));
        assert_eq!(sa.metadata.namespace.as_deref(), Some("team"));
        assert!(sa.secrets.is_none());
    }
}
