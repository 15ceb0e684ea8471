//! One watch per kind the scheduler reads, turned into inputs for the scheduling loop. A relist
//! (start-up, or after a broken watch) arrives as one `Resync` with everything listed, so the loop
//! can tell which objects disappeared meanwhile.

use std::fmt::Debug;

use futures::StreamExt;
use k8s_openapi::api::apps::v1::{ReplicaSet, StatefulSet};
use k8s_openapi::api::core::v1::{
    Namespace, Node, PersistentVolume, PersistentVolumeClaim, Pod, ReplicationController, Service,
};
use k8s_openapi::api::policy::v1::PodDisruptionBudget;
use k8s_openapi::api::storage::v1::StorageClass;
use kube::api::Api;
use kube::runtime::WatchStreamExt;
use kube::runtime::watcher::{self, Event};
use kube::{Client, Resource};
use serde::de::DeserializeOwned;
use std::sync::mpsc::Sender;

use tokio::task::JoinSet;

/// A change to objects of one kind.
#[derive(Debug)]
pub enum Change<K> {
    Upsert(K),
    Delete(K),
    /// Everything that exists, after a (re)list.
    Resync(Vec<K>),
}

/// What the scheduling loop receives.
// Pods dominate the traffic and are the large variant; boxing them would add an allocation to
// every event for nothing.
#[allow(clippy::large_enum_variant)]
#[derive(Debug)]
pub enum Input {
    Pod(Change<Pod>),
    Node(Change<Node>),
    Namespace(Change<Namespace>),
    Pvc(Change<PersistentVolumeClaim>),
    Pv(Change<PersistentVolume>),
    StorageClass(Change<StorageClass>),
    Pdb(Change<PodDisruptionBudget>),
    Service(Change<Service>),
    ReplicationController(Change<ReplicationController>),
    ReplicaSet(Change<ReplicaSet>),
    StatefulSet(Change<StatefulSet>),
    /// A binding finished: `error` is why it failed.
    Bound {
        uid: String,
        error: Option<String>,
    },
    /// Leadership is gone (or the process stops): the loop ends.
    Stop,
}

/// How many kinds `start` watches (the loop waits for a first Resync of each).
pub const WATCHED_KINDS: usize = 11;

/// Starts every watch in `tasks`; they run until the set is dropped.
pub fn start(client: &Client, tx: &Sender<Input>, tasks: &mut JoinSet<()>) {
    // Finished pods hold no resources: leave them out, as kube-scheduler's informer does.
    let pods = watcher::Config::default().fields("status.phase!=Succeeded,status.phase!=Failed");
    let all = watcher::Config::default;
    let c = || client.clone();
    spawn(tasks, Api::<Pod>::all(c()), pods, tx, Input::Pod);
    spawn(tasks, Api::<Node>::all(c()), all(), tx, Input::Node);
    spawn(
        tasks,
        Api::<Namespace>::all(c()),
        all(),
        tx,
        Input::Namespace,
    );
    spawn(
        tasks,
        Api::<PersistentVolumeClaim>::all(c()),
        all(),
        tx,
        Input::Pvc,
    );
    spawn(
        tasks,
        Api::<PersistentVolume>::all(c()),
        all(),
        tx,
        Input::Pv,
    );
    spawn(
        tasks,
        Api::<StorageClass>::all(c()),
        all(),
        tx,
        Input::StorageClass,
    );
    spawn(
        tasks,
        Api::<PodDisruptionBudget>::all(c()),
        all(),
        tx,
        Input::Pdb,
    );
    spawn(tasks, Api::<Service>::all(c()), all(), tx, Input::Service);
    spawn(
        tasks,
        Api::<ReplicationController>::all(c()),
        all(),
        tx,
        Input::ReplicationController,
    );
    spawn(
        tasks,
        Api::<ReplicaSet>::all(c()),
        all(),
        tx,
        Input::ReplicaSet,
    );
    spawn(
        tasks,
        Api::<StatefulSet>::all(c()),
        all(),
        tx,
        Input::StatefulSet,
    );
}

fn spawn<K>(
    tasks: &mut JoinSet<()>,
    api: Api<K>,
    config: watcher::Config,
    tx: &Sender<Input>,
    wrap: fn(Change<K>) -> Input,
) where
    K: Resource + Clone + DeserializeOwned + Debug + Send + 'static,
    K::DynamicType: Default,
{
    let tx = tx.clone();
    tasks.spawn(async move {
        let mut events = watcher::watcher(api, config).default_backoff().boxed();
        let mut listing: Vec<K> = Vec::new();
        while let Some(event) = events.next().await {
            let change = match event {
                Ok(Event::Init) => {
                    listing.clear();
                    continue;
                }
                Ok(Event::InitApply(obj)) => {
                    listing.push(without_managed_fields(obj));
                    continue;
                }
                Ok(Event::InitDone) => Change::Resync(std::mem::take(&mut listing)),
                Ok(Event::Apply(obj)) => Change::Upsert(without_managed_fields(obj)),
                Ok(Event::Delete(obj)) => Change::Delete(without_managed_fields(obj)),
                Err(e) => {
                    tracing::warn!(kind = %K::kind(&Default::default()), error = %e, "watch failed; retrying");
                    continue;
                }
            };
            if tx.send(wrap(change)).is_err() {
                return;
            }
        }
    });
}

/// managedFields are often a third of an object and no plugin reads them; kube-scheduler's
/// informers drop them too.
fn without_managed_fields<K: Resource>(mut obj: K) -> K {
    obj.meta_mut().managed_fields = None;
    obj
}
