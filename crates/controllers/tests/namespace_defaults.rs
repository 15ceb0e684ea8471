//! The `default` ServiceAccount and the `kube-root-ca.crt` ConfigMap appear in namespaces and
//! are repaired.

mod common;

use std::collections::BTreeMap;
use std::time::Duration;

use common::{Server, eventually};
use k8s_openapi::api::core::v1::{ConfigMap, Namespace, ServiceAccount};
use kube::api::{Api, DeleteParams, ObjectMeta, PostParams};

const WAIT: Duration = Duration::from_secs(20);

async fn create_namespace(client: &kube::Client, name: &str) {
    let ns = Namespace {
        metadata: ObjectMeta {
            name: Some(name.into()),
            ..Default::default()
        },
        ..Default::default()
    };
    Api::<Namespace>::all(client.clone())
        .create(&PostParams::default(), &ns)
        .await
        .unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn new_namespace_gets_default_service_account_and_root_ca() {
    let server = Server::start().await;
    let client = server.client().await;
    create_namespace(&client, "team-a").await;

    let sas: Api<ServiceAccount> = Api::namespaced(client.clone(), "team-a");
    eventually("default service account", WAIT, || async {
        sas.get_opt("default").await.unwrap()
    })
    .await;

    let cms: Api<ConfigMap> = Api::namespaced(client.clone(), "team-a");
    let cm = eventually("kube-root-ca.crt", WAIT, || async {
        cms.get_opt("kube-root-ca.crt").await.unwrap()
    })
    .await;
    assert_eq!(cm.data.unwrap().get("ca.crt"), Some(&server.ca_pem()));
    let description = cm
        .metadata
        .annotations
        .unwrap()
        .remove("kubernetes.io/description")
        .unwrap();
    assert!(
        description
            .starts_with("Contains a CA bundle that can be used to verify the kube-apiserver")
    );

    // Namespaces that existed before the controllers started get them too.
    for ns in ["default", "kube-system", "kube-public"] {
        let sas: Api<ServiceAccount> = Api::namespaced(client.clone(), ns);
        eventually(
            "default service account in an existing namespace",
            WAIT,
            || async { sas.get_opt("default").await.unwrap() },
        )
        .await;
        let cms: Api<ConfigMap> = Api::namespaced(client.clone(), ns);
        eventually("root CA in an existing namespace", WAIT, || async {
            cms.get_opt("kube-root-ca.crt").await.unwrap()
        })
        .await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deleted_or_changed_objects_are_repaired() {
    let server = Server::start().await;
    let client = server.client().await;
    create_namespace(&client, "team-b").await;
    let sas: Api<ServiceAccount> = Api::namespaced(client.clone(), "team-b");
    let first = eventually("default service account", WAIT, || async {
        sas.get_opt("default").await.unwrap()
    })
    .await;
    sas.delete("default", &DeleteParams::default())
        .await
        .unwrap();
    eventually("recreated service account", WAIT, || async {
        sas.get_opt("default")
            .await
            .unwrap()
            .filter(|sa| sa.metadata.uid != first.metadata.uid)
    })
    .await;

    let cms: Api<ConfigMap> = Api::namespaced(client.clone(), "team-b");
    let mut cm = eventually("kube-root-ca.crt", WAIT, || async {
        cms.get_opt("kube-root-ca.crt").await.unwrap()
    })
    .await;
    cm.data = Some(BTreeMap::from([(
        "ca.crt".to_string(),
        "tampered".to_string(),
    )]));
    cms.replace("kube-root-ca.crt", &PostParams::default(), &cm)
        .await
        .unwrap();
    let ca = server.ca_pem();
    eventually("restored CA data", WAIT, || async {
        cms.get_opt("kube-root-ca.crt")
            .await
            .unwrap()
            .filter(|cm| cm.data.as_ref().and_then(|d| d.get("ca.crt")) == Some(&ca))
    })
    .await;

    cms.delete("kube-root-ca.crt", &DeleteParams::default())
        .await
        .unwrap();
    eventually("recreated kube-root-ca.crt", WAIT, || async {
        cms.get_opt("kube-root-ca.crt")
            .await
            .unwrap()
            .filter(|cm| cm.metadata.uid.is_some())
    })
    .await;
}
