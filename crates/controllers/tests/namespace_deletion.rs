//! Deleting a namespace empties it and then the namespace goes too.

mod common;

use std::collections::BTreeMap;
use std::time::Duration;

use common::{Server, eventually};
use k8s_openapi::api::apps::v1::Deployment;
use k8s_openapi::api::core::v1::{ConfigMap, Namespace, Secret};
use kube::api::{Api, DeleteParams, ListParams, ObjectMeta, Patch, PatchParams, PostParams};
use serde_json::json;

const WAIT: Duration = Duration::from_secs(30);

fn meta(name: &str) -> ObjectMeta {
    ObjectMeta {
        name: Some(name.into()),
        ..Default::default()
    }
}

async fn create_namespace(client: &kube::Client, name: &str) {
    let ns = Namespace {
        metadata: meta(name),
        ..Default::default()
    };
    Api::<Namespace>::all(client.clone())
        .create(&PostParams::default(), &ns)
        .await
        .unwrap();
}

fn deployment(name: &str) -> Deployment {
    serde_json::from_value(json!({
        "metadata": {"name": name},
        "spec": {
            "replicas": 1,
            "selector": {"matchLabels": {"app": name}},
            "template": {
                "metadata": {"labels": {"app": name}},
                "spec": {"containers": [{"name": "c", "image": "busybox"}]}
            }
        }
    }))
    .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deleting_a_namespace_removes_its_content_then_the_namespace() {
    let server = Server::start().await;
    let client = server.client().await;
    create_namespace(&client, "doomed").await;
    let cms: Api<ConfigMap> = Api::namespaced(client.clone(), "doomed");
    let secrets: Api<Secret> = Api::namespaced(client.clone(), "doomed");
    let deployments: Api<Deployment> = Api::namespaced(client.clone(), "doomed");
    for i in 0..3 {
        let cm = ConfigMap {
            metadata: meta(&format!("cm-{i}")),
            data: Some(BTreeMap::from([("k".to_string(), "v".to_string())])),
            ..Default::default()
        };
        cms.create(&PostParams::default(), &cm).await.unwrap();
    }
    for i in 0..2 {
        let s = Secret {
            metadata: meta(&format!("secret-{i}")),
            ..Default::default()
        };
        secrets.create(&PostParams::default(), &s).await.unwrap();
    }
    deployments
        .create(&PostParams::default(), &deployment("web"))
        .await
        .unwrap();

    let namespaces: Api<Namespace> = Api::all(client.clone());
    namespaces
        .delete("doomed", &DeleteParams::default())
        .await
        .unwrap();
    let ns = namespaces.get("doomed").await.unwrap();
    assert_eq!(ns.status.unwrap().phase.as_deref(), Some("Terminating"));

    eventually("namespace gone", WAIT, || async {
        namespaces
            .get_opt("doomed")
            .await
            .unwrap()
            .is_none()
            .then_some(())
    })
    .await;
    // Nothing was left behind in the store either.
    let all_cms: Api<ConfigMap> = Api::all(client.clone());
    let left: Vec<_> = all_cms
        .list(&ListParams::default())
        .await
        .unwrap()
        .items
        .into_iter()
        .filter(|c| c.metadata.namespace.as_deref() == Some("doomed"))
        .collect();
    assert!(left.is_empty(), "left behind: {left:?}");
    let all_deployments: Api<Deployment> = Api::all(client.clone());
    assert!(
        all_deployments
            .list(&ListParams::default())
            .await
            .unwrap()
            .items
            .iter()
            .all(|d| d.metadata.namespace.as_deref() != Some("doomed"))
    );
}

fn condition(ns: &Namespace, type_: &str) -> Option<(String, String, String)> {
    ns.status
        .as_ref()?
        .conditions
        .as_ref()?
        .iter()
        .find(|c| c.type_ == type_)
        .map(|c| {
            (
                c.status.clone(),
                c.reason.clone().unwrap_or_default(),
                c.message.clone().unwrap_or_default(),
            )
        })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn content_with_finalizers_holds_the_namespace_and_is_reported() {
    let server = Server::start().await;
    let client = server.client().await;
    create_namespace(&client, "held").await;
    let cms: Api<ConfigMap> = Api::namespaced(client.clone(), "held");
    let mut held = ConfigMap {
        metadata: meta("held"),
        ..Default::default()
    };
    held.metadata.finalizers = Some(vec!["example.com/hold".into()]);
    cms.create(&PostParams::default(), &held).await.unwrap();

    let namespaces: Api<Namespace> = Api::all(client.clone());
    namespaces
        .delete("held", &DeleteParams::default())
        .await
        .unwrap();
    let ns = eventually("conditions reporting the finalizer", WAIT, || async {
        let ns = namespaces.get("held").await.unwrap();
        condition(&ns, "NamespaceFinalizersRemaining")
            .filter(|c| c.0 == "True")
            .map(|_| ns)
    })
    .await;
    assert_eq!(
        condition(&ns, "NamespaceFinalizersRemaining").unwrap(),
        (
            "True".into(),
            "SomeFinalizerRemain".into(),
            "Some finalizers are remaining: example.com/hold in 1 resource instances".into()
        )
    );
    assert_eq!(
        condition(&ns, "NamespaceContentRemaining").unwrap(),
        (
            "True".into(),
            "SomeResourcesRemain".into(),
            "Some resources are remaining: configmaps. has 1 resource instances".into()
        )
    );
    assert_eq!(
        condition(&ns, "NamespaceDeletionDiscoveryFailure").unwrap(),
        (
            "False".into(),
            "ResourcesDiscovered".into(),
            "All resources successfully discovered".into()
        )
    );
    assert_eq!(
        condition(&ns, "NamespaceDeletionContentFailure").unwrap(),
        (
            "False".into(),
            "ContentDeleted".into(),
            "All content successfully deleted, may be waiting on finalization".into()
        )
    );
    assert_eq!(
        ns.spec.unwrap().finalizers.unwrap(),
        vec!["kubernetes".to_string()]
    );

    // Releasing the finalizer lets everything go.
    cms.patch(
        "held",
        &PatchParams::default(),
        &Patch::Merge(json!({"metadata": {"finalizers": null}})),
    )
    .await
    .unwrap();
    eventually("namespace gone", WAIT, || async {
        namespaces
            .get_opt("held")
            .await
            .unwrap()
            .is_none()
            .then_some(())
    })
    .await;
}
