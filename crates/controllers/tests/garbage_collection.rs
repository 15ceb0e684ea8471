//! Cascading deletion through ownerReferences: background, foreground and orphan.

mod common;

use std::time::Duration;

use common::{Server, eventually};
use k8s_openapi::api::core::v1::{ConfigMap, Namespace};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::OwnerReference;
use kube::api::{Api, DeleteParams, ObjectMeta, Patch, PatchParams, PostParams};
use serde_json::json;

const WAIT: Duration = Duration::from_secs(30);

async fn namespace(client: &kube::Client, name: &str) -> Api<ConfigMap> {
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
    Api::namespaced(client.clone(), name)
}

fn owned_by(owner: &ConfigMap, block: bool) -> OwnerReference {
    OwnerReference {
        api_version: "v1".into(),
        kind: "ConfigMap".into(),
        name: owner.metadata.name.clone().unwrap(),
        uid: owner.metadata.uid.clone().unwrap(),
        block_owner_deletion: Some(block),
        controller: None,
    }
}

async fn create(
    api: &Api<ConfigMap>,
    name: &str,
    owners: Vec<OwnerReference>,
    finalizers: &[&str],
) -> ConfigMap {
    let cm = ConfigMap {
        metadata: ObjectMeta {
            name: Some(name.into()),
            owner_references: (!owners.is_empty()).then_some(owners),
            finalizers: (!finalizers.is_empty())
                .then(|| finalizers.iter().map(|f| f.to_string()).collect()),
            ..Default::default()
        },
        ..Default::default()
    };
    api.create(&PostParams::default(), &cm).await.unwrap()
}

async fn gone(api: &Api<ConfigMap>, name: &str) {
    eventually(&format!("{name} deleted"), WAIT, || async {
        api.get_opt(name).await.unwrap().is_none().then_some(())
    })
    .await;
}

async fn release(api: &Api<ConfigMap>, name: &str) {
    let patch = json!({"metadata": {"finalizers": null}});
    api.patch(name, &PatchParams::default(), &Patch::Merge(patch))
        .await
        .unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cascades() {
    let server = Server::start().await;
    let client = server.client().await;

    // Background (the default): the owner goes at once, its dependents after it.
    let cms = namespace(&client, "background").await;
    let owner = create(&cms, "owner", vec![], &[]).await;
    create(&cms, "child-a", vec![owned_by(&owner, false)], &[]).await;
    create(&cms, "child-b", vec![owned_by(&owner, true)], &[]).await;
    let unrelated = create(&cms, "unrelated", vec![], &[]).await;
    cms.delete("owner", &DeleteParams::default()).await.unwrap();
    gone(&cms, "child-a").await;
    gone(&cms, "child-b").await;
    assert_eq!(
        cms.get("unrelated").await.unwrap().metadata.uid,
        unrelated.metadata.uid
    );

    // Foreground: the owner waits, with its finalizer, until blocking dependents are gone.
    let cms = namespace(&client, "foreground").await;
    let owner = create(&cms, "owner", vec![], &[]).await;
    create(
        &cms,
        "blocker",
        vec![owned_by(&owner, true)],
        &["example.com/hold"],
    )
    .await;
    create(&cms, "free", vec![owned_by(&owner, false)], &[]).await;
    cms.delete("owner", &DeleteParams::foreground())
        .await
        .unwrap();
    gone(&cms, "free").await;
    eventually("blocker marked for deletion", WAIT, || async {
        cms.get("blocker")
            .await
            .unwrap()
            .metadata
            .deletion_timestamp
            .map(|_| ())
    })
    .await;
    let waiting = cms.get("owner").await.unwrap();
    assert!(waiting.metadata.deletion_timestamp.is_some());
    assert_eq!(
        waiting.metadata.finalizers,
        Some(vec!["foregroundDeletion".to_string()])
    );
    release(&cms, "blocker").await;
    gone(&cms, "blocker").await;
    gone(&cms, "owner").await;

    // Orphan: dependents stay, without the reference to the owner.
    let cms = namespace(&client, "orphan").await;
    let owner = create(&cms, "owner", vec![], &[]).await;
    let other = create(&cms, "other-owner", vec![], &[]).await;
    create(&cms, "child", vec![owned_by(&owner, true)], &[]).await;
    create(
        &cms,
        "shared",
        vec![owned_by(&owner, false), owned_by(&other, false)],
        &[],
    )
    .await;
    cms.delete("owner", &DeleteParams::orphan()).await.unwrap();
    gone(&cms, "owner").await;
    let child = cms.get("child").await.unwrap();
    assert_eq!(child.metadata.owner_references.unwrap_or_default(), vec![]);
    let shared = cms.get("shared").await.unwrap();
    assert_eq!(
        shared.metadata.owner_references.unwrap(),
        vec![owned_by(&other, false)]
    );
    // Nothing collects an orphan later.
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert!(cms.get_opt("child").await.unwrap().is_some());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dependents_with_several_owners_and_invalid_references() {
    let server = Server::start().await;
    let client = server.client().await;
    let cms = namespace(&client, "multi").await;
    let first = create(&cms, "first", vec![], &[]).await;
    let second = create(&cms, "second", vec![], &[]).await;
    create(
        &cms,
        "shared",
        vec![owned_by(&first, false), owned_by(&second, false)],
        &[],
    )
    .await;
    cms.delete("first", &DeleteParams::default()).await.unwrap();
    // The dangling reference is dropped; the dependent stays for its remaining owner.
    let refs = eventually("dangling reference removed", WAIT, || async {
        let refs = cms
            .get("shared")
            .await
            .unwrap()
            .metadata
            .owner_references
            .unwrap_or_default();
        (refs.len() == 1).then_some(refs)
    })
    .await;
    assert_eq!(refs, vec![owned_by(&second, false)]);
    cms.delete("second", &DeleteParams::default())
        .await
        .unwrap();
    gone(&cms, "shared").await;

    // An owner that never existed: the dependent is garbage.
    let mut ghost = owned_by(&second, false);
    ghost.uid = "00000000-0000-0000-0000-000000000000".into();
    ghost.name = "ghost".into();
    create(&cms, "haunted", vec![ghost], &[]).await;
    gone(&cms, "haunted").await;

    // A namespaced owner in another namespace does not count: it is looked for in the
    // dependent's namespace, not found, and the dependent is collected.
    let elsewhere = namespace(&client, "elsewhere").await;
    let foreign_owner = create(&elsewhere, "owner", vec![], &[]).await;
    create(&cms, "cross", vec![owned_by(&foreign_owner, false)], &[]).await;
    gone(&cms, "cross").await;
    assert!(elsewhere.get_opt("owner").await.unwrap().is_some());

    // A cluster-scoped owner holds namespaced dependents across namespaces.
    let ns_owner = Api::<Namespace>::all(client.clone())
        .get("elsewhere")
        .await
        .unwrap();
    let by_namespace = OwnerReference {
        api_version: "v1".into(),
        kind: "Namespace".into(),
        name: "elsewhere".into(),
        uid: ns_owner.metadata.uid.clone().unwrap(),
        block_owner_deletion: None,
        controller: None,
    };
    create(&cms, "kept", vec![by_namespace], &[]).await;
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert!(cms.get_opt("kept").await.unwrap().is_some());
}
