//! Root CA publisher: a `kube-root-ca.crt` ConfigMap holding the cluster CA in every namespace,
//! put back when deleted or changed.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use futures::StreamExt;
use k8s_openapi::api::core::v1::{ConfigMap, Namespace};
use kube::api::{Api, ObjectMeta, PostParams};
use kube::runtime::WatchStreamExt;
use kube::runtime::watcher::{self, Event};
use kube::{Client, ResourceExt};

use crate::errors;
use crate::queue::{Backoff, WorkQueue};

pub const CONFIG_MAP_NAME: &str = "kube-root-ca.crt";
pub const DATA_KEY: &str = "ca.crt";
pub const DESCRIPTION_ANNOTATION: &str = "kubernetes.io/description";
pub const DESCRIPTION: &str = "Contains a CA bundle that can be used to verify the kube-apiserver when using internal endpoints such as the internal service IP or kubernetes.default.svc. No other usage is guaranteed across distributions of Kubernetes clusters.";

const BACKOFF: Backoff = Backoff::new(Duration::from_millis(5), Duration::from_secs(60));

/// What the namespace's ConfigMap needs.
#[derive(Debug, PartialEq)]
pub enum Action {
    Create(ConfigMap),
    Update(ConfigMap),
    Nothing,
}

fn wanted_data(ca: &str) -> BTreeMap<String, String> {
    BTreeMap::from([(DATA_KEY.to_owned(), ca.to_owned())])
}

/// Compares the existing ConfigMap with the CA: the data must be exactly `ca.crt` and the
/// description annotation present.
pub fn plan(namespace: &str, existing: Option<&ConfigMap>, ca: &str) -> Action {
    let data = wanted_data(ca);
    let Some(cm) = existing else {
        return Action::Create(ConfigMap {
            metadata: ObjectMeta {
                name: Some(CONFIG_MAP_NAME.into()),
                namespace: Some(namespace.into()),
                annotations: Some(BTreeMap::from([(
                    DESCRIPTION_ANNOTATION.to_owned(),
                    DESCRIPTION.to_owned(),
                )])),
                ..Default::default()
            },
            data: Some(data),
            ..Default::default()
        });
    };
    let described = cm
        .metadata
        .annotations
        .as_ref()
        .and_then(|a| a.get(DESCRIPTION_ANNOTATION))
        .is_some_and(|d| !d.is_empty());
    if cm.data.as_ref() == Some(&data) && described {
        return Action::Nothing;
    }
    let mut cm = cm.clone();
    cm.data = Some(data);
    cm.metadata
        .annotations
        .get_or_insert_with(BTreeMap::new)
        .insert(DESCRIPTION_ANNOTATION.into(), DESCRIPTION.into());
    Action::Update(cm)
}

pub async fn run(client: Client, ca: String) {
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
                    Ok(Event::InitApply(ns)) => queue.add(ns.name_any()),
                    Ok(Event::Apply(ns)) => {
                        if ns.status.as_ref().and_then(|s| s.phase.as_deref()) == Some("Active") {
                            queue.add(ns.name_any());
                        }
                    }
                    Ok(_) => {}
                    Err(e) => tracing::warn!(error = %e, "namespace watch failed"),
                }
            }
        }
    };
    let config_maps = {
        let queue = queue.clone();
        let api: Api<ConfigMap> = Api::all(client.clone());
        let config = watcher::Config::default().fields(&format!("metadata.name={CONFIG_MAP_NAME}"));
        async move {
            let mut events = watcher::watcher(api, config).default_backoff().boxed();
            while let Some(ev) = events.next().await {
                match ev {
                    Ok(Event::Apply(cm) | Event::Delete(cm)) => {
                        if let Some(ns) = cm.namespace() {
                            queue.add(ns);
                        }
                    }
                    Ok(_) => {}
                    Err(e) => tracing::warn!(error = %e, "configmap watch failed"),
                }
            }
        }
    };
    let work = crate::run_workers(queue.clone(), 1, move |ns: String| {
        let client = client.clone();
        let queue = queue.clone();
        let ca = ca.clone();
        async move {
            match sync(&client, &ns, &ca).await {
                Ok(()) => queue.forget(&ns),
                Err(e) => {
                    tracing::warn!(namespace = %ns, error = %errors::message(&e), "syncing root CA configmap failed");
                    queue.add_rate_limited(ns);
                }
            }
        }
    });
    tokio::join!(namespaces, config_maps, work);
}

async fn sync(client: &Client, namespace: &str, ca: &str) -> Result<(), kube::Error> {
    let api: Api<ConfigMap> = Api::namespaced(client.clone(), namespace);
    let existing = match api.get(CONFIG_MAP_NAME).await {
        Ok(cm) => Some(cm),
        Err(e) if errors::is_not_found(&e) => None,
        Err(e) => return Err(e),
    };
    match plan(namespace, existing.as_ref(), ca) {
        Action::Nothing => Ok(()),
        Action::Create(cm) => match api.create(&PostParams::default(), &cm).await {
            Ok(_) => {
                tracing::debug!(namespace, "published root CA configmap");
                Ok(())
            }
            // A namespace that is gone or terminating needs no ConfigMap.
            Err(e) if errors::is_not_found(&e) || errors::is_namespace_terminating(&e) => Ok(()),
            Err(e) => Err(e),
        },
        Action::Update(cm) => api
            .replace(CONFIG_MAP_NAME, &PostParams::default(), &cm)
            .await
            .map(|_| ()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const CA: &str = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n";

    #[test]
    fn creates_when_missing() {
        let Action::Create(cm) = plan("team", None, CA) else {
            panic!("expected create")
        };
        assert_eq!(cm.metadata.name.as_deref(), Some("kube-root-ca.crt"));
        assert_eq!(cm.metadata.namespace.as_deref(), Some("team"));
        assert_eq!(
            cm.data.as_ref().unwrap().get("ca.crt").map(String::as_str),
            Some(CA)
        );
        assert_eq!(
            cm.metadata
                .annotations
                .as_ref()
                .unwrap()
                .get("kubernetes.io/description")
                .map(String::as_str),
            Some(DESCRIPTION)
        );
    }

    #[test]
    fn leaves_a_correct_one_alone() {
        let Action::Create(cm) = plan("team", None, CA) else {
            panic!("expected create")
        };
        assert_eq!(plan("team", Some(&cm), CA), Action::Nothing);
        // Any non-empty description is accepted, as upstream does.
        let mut custom = cm.clone();
        custom.metadata.annotations = Some(BTreeMap::from([(
            DESCRIPTION_ANNOTATION.into(),
            "mine".into(),
        )]));
        assert_eq!(plan("team", Some(&custom), CA), Action::Nothing);
    }

    #[test]
    fn repairs_data_and_annotation() {
        let Action::Create(mut cm) = plan("team", None, CA) else {
            panic!("expected create")
        };
        cm.data.as_mut().unwrap().insert("extra".into(), "x".into());
        cm.metadata.annotations = None;
        cm.metadata.labels = Some(BTreeMap::from([("keep".into(), "me".into())]));
        let Action::Update(fixed) = plan("team", Some(&cm), CA) else {
            panic!("expected update")
        };
        assert_eq!(fixed.data, Some(wanted_data(CA)));
        assert_eq!(
            fixed
                .metadata
                .annotations
                .unwrap()
                .get(DESCRIPTION_ANNOTATION)
                .map(String::as_str),
            Some(DESCRIPTION)
        );
        assert_eq!(
            fixed
                .metadata
                .labels
                .unwrap()
                .get("keep")
                .map(String::as_str),
            Some("me")
        );
    }
}
