//! VolumeBinding (basics), VolumeRestrictions and VolumeZone.

use std::collections::BTreeSet;

use k8s_openapi::api::core::v1::{PersistentVolume, PersistentVolumeClaim, Volume};

use crate::cache::Cache;
use crate::framework::Ctx;
use crate::nodeinfo::NodeInfo;
use crate::podinfo::PodInfo;
use crate::status::{Code, Status};
use crate::terms::NodeTerms;

pub const ERR_REASON_BIND_CONFLICT: &str =
    "node(s) didn't find available persistent volumes to bind";
pub const ERR_REASON_NODE_CONFLICT: &str = "node(s) didn't match PersistentVolume's node affinity";
pub const ERR_REASON_PV_NOT_EXIST: &str =
    "node(s) unavailable due to one or more pvc(s) bound to non-existent pv(s)";
pub const ERR_UNBOUND_IMMEDIATE_PVC: &str = "pod has unbound immediate PersistentVolumeClaims";
pub const ERR_REASON_DISK_CONFLICT: &str = "node(s) had no available disk";
pub const ERR_REASON_RWOP_CONFLICT: &str =
    "node has pod using PersistentVolumeClaim with the same name and ReadWriteOncePod access mode";
pub const ERR_REASON_ZONE_CONFLICT: &str = "node(s) had no available volume zone";
const NO_PROVISIONER: &str = "kubernetes.io/no-provisioner";

fn claim_class(pvc: &PersistentVolumeClaim) -> String {
    if let Some(c) = pvc
        .metadata
        .annotations
        .as_ref()
        .and_then(|a| a.get("volume.beta.kubernetes.io/storage-class"))
    {
        return c.clone();
    }
    pvc.spec
        .as_ref()
        .and_then(|s| s.storage_class_name.clone())
        .unwrap_or_default()
}

fn pv_class(pv: &PersistentVolume) -> String {
    if let Some(c) = pv
        .metadata
        .annotations
        .as_ref()
        .and_then(|a| a.get("volume.beta.kubernetes.io/storage-class"))
    {
        return c.clone();
    }
    pv.spec
        .as_ref()
        .and_then(|s| s.storage_class_name.clone())
        .unwrap_or_default()
}

fn claim_volume_name(pvc: &PersistentVolumeClaim) -> &str {
    pvc.spec
        .as_ref()
        .and_then(|s| s.volume_name.as_deref())
        .unwrap_or("")
}

fn pod_claims(pod: &PodInfo) -> impl Iterator<Item = (&str, bool)> {
    let volumes = pod
        .pod
        .spec
        .as_ref()
        .and_then(|s| s.volumes.as_deref())
        .unwrap_or(&[]);
    let mut i = 0;
    volumes.iter().filter_map(move |v| {
        if v.persistent_volume_claim.is_some() || v.ephemeral.is_some() {
            let name = pod.pvc_names.get(i).map(|s| s.as_str()).unwrap_or("");
            i += 1;
            Some((name, v.ephemeral.is_some()))
        } else {
            None
        }
    })
}

/// PVCs of the pod sorted into bound and wait-for-first-consumer ones.
#[derive(Clone, Debug, Default)]
pub struct BindingState {
    /// (claim key, PV name)
    pub bound: Vec<(String, String)>,
    /// Unbound claims of WaitForFirstConsumer classes.
    pub delayed: Vec<std::sync::Arc<PersistentVolumeClaim>>,
}

/// What the shell must do before binding the pod (upstream PreBind).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct VolumeActions {
    /// (PV name, claim `namespace/name`) to bind.
    pub bind: Vec<(String, String)>,
    /// Claims (`namespace/name`) to provision on the chosen node.
    pub provision: Vec<String>,
}

impl VolumeActions {
    pub fn is_empty(&self) -> bool {
        self.bind.is_empty() && self.provision.is_empty()
    }
}

fn is_delay_binding(cache: &Cache, pvc: &PersistentVolumeClaim) -> Result<bool, String> {
    let class = claim_class(pvc);
    if class.is_empty() {
        return Ok(false);
    }
    let Some(sc) = cache.objects.storage_classes.get(&class) else {
        return Ok(false);
    };
    match sc.volume_binding_mode.as_deref() {
        None => Err(format!(
            "VolumeBindingMode not set for StorageClass \"{class}\""
        )),
        Some(mode) => Ok(mode == "WaitForFirstConsumer"),
    }
}

pub fn binding_pre_filter(ctx: &Ctx<'_>) -> Result<BindingState, Status> {
    let pod = ctx.pod;
    let mut state = BindingState::default();
    let mut any = false;
    let mut immediate = false;
    for (name, ephemeral) in pod_claims(pod) {
        any = true;
        let Some(pvc) = ctx.cache.objects.pvc(&pod.namespace, name) else {
            let msg = if ephemeral {
                format!(
                    "waiting for ephemeral volume controller to create the persistentvolumeclaim \"{name}\""
                )
            } else {
                format!("persistentvolumeclaim \"{name}\" not found")
            };
            return Err(Status::unresolvable(msg));
        };
        let phase = pvc.status.as_ref().and_then(|s| s.phase.as_deref());
        if phase == Some("Lost") {
            return Err(Status::unresolvable(format!(
                "persistentvolumeclaim \"{name}\" bound to non-existent persistentvolume \"{}\"",
                claim_volume_name(pvc)
            )));
        }
        if pvc.metadata.deletion_timestamp.is_some() {
            return Err(Status::unresolvable(format!(
                "persistentvolumeclaim \"{name}\" is being deleted"
            )));
        }
        let key = format!("{}/{name}", pod.namespace);
        let volume = claim_volume_name(pvc);
        if !volume.is_empty() {
            state.bound.push((key, volume.to_string()));
            continue;
        }
        match is_delay_binding(ctx.cache, pvc) {
            Err(e) => return Err(Status::error(e)),
            Ok(true) => state.delayed.push(pvc.clone()),
            Ok(false) => immediate = true,
        }
    }
    if !any {
        return Err(Status::skip());
    }
    if immediate {
        return Err(Status::unresolvable(ERR_UNBOUND_IMMEDIATE_PVC));
    }
    Ok(state)
}

fn pv_matches_node(pv: &PersistentVolume, node: &NodeInfo) -> bool {
    let required = pv
        .spec
        .as_ref()
        .and_then(|s| s.node_affinity.as_ref())
        .and_then(|a| a.required.as_ref());
    required.is_none_or(|r| NodeTerms::compile(r).matches(&node.labels, &node.name))
}

type QuantityMap =
    std::collections::BTreeMap<String, k8s_openapi::apimachinery::pkg::api::resource::Quantity>;

fn storage_of(list: Option<&QuantityMap>) -> i64 {
    list.and_then(|l| l.get("storage"))
        .and_then(|q| capstan_apimachinery::Quantity::try_from(q).ok())
        .map(|q| q.value())
        .unwrap_or(0)
}

fn storage_request(pvc: &PersistentVolumeClaim) -> i64 {
    storage_of(
        pvc.spec
            .as_ref()
            .and_then(|s| s.resources.as_ref())
            .and_then(|r| r.requests.as_ref()),
    )
}

/// The smallest available PV that satisfies the claim on this node.
fn find_matching_pv<'c>(
    cache: &'c Cache,
    pvc: &PersistentVolumeClaim,
    claim_key: &str,
    node: &NodeInfo,
    taken: &BTreeSet<String>,
) -> Option<&'c PersistentVolume> {
    let spec = pvc.spec.as_ref()?;
    let class = claim_class(pvc);
    let want_modes: Vec<&String> = spec.access_modes.iter().flatten().collect();
    let want_mode = spec.volume_mode.as_deref().unwrap_or("Filesystem");
    let want_size = storage_request(pvc);
    let selector = spec
        .selector
        .as_ref()
        .map(|s| capstan_apimachinery::labels::selector_from_label_selector(Some(s)));
    let (ns, name) = claim_key.split_once('/').unwrap_or(("", claim_key));
    let mut best: Option<(&PersistentVolume, i64)> = None;
    for (pv_name, pv) in &cache.objects.pvs {
        let Some(pv_spec) = pv.spec.as_ref() else {
            continue;
        };
        if taken.contains(pv_name) || pv.metadata.deletion_timestamp.is_some() {
            continue;
        }
        if let Some(assumed) = cache.objects.assumed_pv_claims.get(pv_name)
            && assumed != claim_key
        {
            continue;
        }
        if let Some(r) = &pv_spec.claim_ref
            && (r.namespace.as_deref() != Some(ns) || r.name.as_deref() != Some(name))
        {
            continue;
        }
        if pv_class(pv) != class
            || pv_spec.volume_mode.as_deref().unwrap_or("Filesystem") != want_mode
        {
            continue;
        }
        let modes: Vec<&String> = pv_spec.access_modes.iter().flatten().collect();
        if !want_modes.iter().all(|m| modes.contains(m)) {
            continue;
        }
        let size = storage_of(pv_spec.capacity.as_ref());
        if size < want_size {
            continue;
        }
        match &selector {
            Some(Ok(s))
                if !s.matches(pv.metadata.labels.as_ref().unwrap_or(&Default::default())) =>
            {
                continue;
            }
            Some(Err(_)) => continue,
            _ => {}
        }
        if !pv_matches_node(pv, node) {
            continue;
        }
        if best.is_none_or(|(_, b)| size < b) {
            best = Some((pv, size));
        }
    }
    best.map(|(pv, _)| pv)
}

fn can_provision(cache: &Cache, pvc: &PersistentVolumeClaim, node: &NodeInfo) -> bool {
    let Some(sc) = cache.objects.storage_classes.get(&claim_class(pvc)) else {
        return false;
    };
    if sc.provisioner == NO_PROVISIONER {
        return false;
    }
    sc.allowed_topologies.as_ref().is_none_or(|topologies| {
        topologies.is_empty()
            || topologies.iter().any(|t| {
                t.match_label_expressions.iter().flatten().all(|e| {
                    node.label(&e.key)
                        .is_some_and(|v| e.values.iter().any(|x| x == v))
                })
            })
    })
}

/// The volume plan for one node, or the reasons it cannot host the pod.
pub fn plan_volumes(
    cache: &Cache,
    state: &BindingState,
    node: &NodeInfo,
) -> Result<VolumeActions, Vec<&'static str>> {
    let mut reasons = Vec::new();
    for (_, pv_name) in &state.bound {
        match cache.objects.pvs.get(pv_name) {
            None => {
                if !reasons.contains(&ERR_REASON_PV_NOT_EXIST) {
                    reasons.push(ERR_REASON_PV_NOT_EXIST);
                }
            }
            Some(pv) => {
                if !pv_matches_node(pv, node) && !reasons.contains(&ERR_REASON_NODE_CONFLICT) {
                    reasons.insert(0, ERR_REASON_NODE_CONFLICT);
                }
            }
        }
    }
    let mut actions = VolumeActions::default();
    let mut taken = BTreeSet::new();
    let mut unbound_ok = true;
    for pvc in &state.delayed {
        let key = format!(
            "{}/{}",
            pvc.metadata.namespace.as_deref().unwrap_or(""),
            pvc.metadata.name.as_deref().unwrap_or("")
        );
        if let Some(pv) = find_matching_pv(cache, pvc, &key, node, &taken) {
            let name = pv.metadata.name.clone().unwrap_or_default();
            taken.insert(name.clone());
            actions.bind.push((name, key));
        } else if can_provision(cache, pvc, node) {
            actions.provision.push(key);
        } else {
            unbound_ok = false;
        }
    }
    if !unbound_ok {
        reasons.push(ERR_REASON_BIND_CONFLICT);
    }
    if reasons.is_empty() {
        Ok(actions)
    } else {
        Err(reasons)
    }
}

pub fn binding_filter(ctx: &Ctx<'_>, state: &BindingState, node: &NodeInfo) -> Result<(), Status> {
    match plan_volumes(ctx.cache, state, node) {
        Ok(_) => Ok(()),
        Err(reasons) => Err(Status::with_reasons(
            Code::UnschedulableAndUnresolvable,
            reasons.into_iter().map(Into::into).collect(),
        )),
    }
}

/// VolumeRestrictions PreFilter state.
#[derive(Clone, Debug, Default)]
pub struct RestrictionState {
    /// The pod's ReadWriteOncePod claims (`namespace/name`).
    rwop_claims: Vec<String>,
    /// Placed pods using one of them.
    conflicting_refs: i64,
}

fn needs_disk_check(v: &Volume) -> bool {
    v.gce_persistent_disk.is_some()
        || v.aws_elastic_block_store.is_some()
        || v.rbd.is_some()
        || v.iscsi.is_some()
}

pub fn restrictions_pre_filter(ctx: &Ctx<'_>) -> Result<RestrictionState, Status> {
    let pod = ctx.pod;
    let volumes = pod
        .pod
        .spec
        .as_ref()
        .and_then(|s| s.volumes.as_deref())
        .unwrap_or(&[]);
    let needs_check = volumes.iter().any(needs_disk_check);
    let mut state = RestrictionState::default();
    for (name, _) in pod_claims(pod) {
        let Some(pvc) = ctx.cache.objects.pvc(&pod.namespace, name) else {
            return Err(Status::unresolvable(format!(
                "persistentvolumeclaim \"{name}\" not found"
            )));
        };
        let rwop = pvc
            .spec
            .as_ref()
            .and_then(|s| s.access_modes.as_ref())
            .is_some_and(|m| m.iter().any(|m| m == "ReadWriteOncePod"));
        if rwop {
            let key = format!("{}/{name}", pod.namespace);
            state.conflicting_refs += i64::from(ctx.cache.pvc_users(&key));
            state.rwop_claims.push(key);
        }
    }
    if !needs_check && state.conflicting_refs == 0 {
        return Err(Status::skip());
    }
    Ok(state)
}

fn disks_conflict(a: &Volume, b: &Volume) -> bool {
    if let (Some(x), Some(y)) = (&a.gce_persistent_disk, &b.gce_persistent_disk) {
        return x.pd_name == y.pd_name && !(x.read_only == Some(true) && y.read_only == Some(true));
    }
    if let (Some(x), Some(y)) = (&a.aws_elastic_block_store, &b.aws_elastic_block_store) {
        return x.volume_id == y.volume_id;
    }
    if let (Some(x), Some(y)) = (&a.iscsi, &b.iscsi) {
        return x.iqn == y.iqn && !(x.read_only == Some(true) && y.read_only == Some(true));
    }
    if let (Some(x), Some(y)) = (&a.rbd, &b.rbd) {
        let shared_monitor = x.monitors.iter().any(|m| y.monitors.contains(m));
        return shared_monitor
            && x.pool == y.pool
            && x.image == y.image
            && !(x.read_only == Some(true) && y.read_only == Some(true));
    }
    false
}

pub fn restrictions_filter(
    ctx: &Ctx<'_>,
    state: &RestrictionState,
    node: &NodeInfo,
) -> Result<(), Status> {
    let volumes = ctx
        .pod
        .pod
        .spec
        .as_ref()
        .and_then(|s| s.volumes.as_deref())
        .unwrap_or(&[]);
    for v in volumes.iter().filter(|v| needs_disk_check(v)) {
        for existing in &node.pods {
            let other = existing
                .pod
                .spec
                .as_ref()
                .and_then(|s| s.volumes.as_deref())
                .unwrap_or(&[]);
            if other.iter().any(|o| disks_conflict(v, o)) {
                return Err(Status::unschedulable(ERR_REASON_DISK_CONFLICT));
            }
        }
    }
    if state.conflicting_refs > 0 {
        return Err(Status::unschedulable(ERR_REASON_RWOP_CONFLICT));
    }
    Ok(())
}

pub fn restrictions_update_with_pod(state: &mut RestrictionState, other: &PodInfo, delta: i64) {
    for claim in &other.pvc_names {
        let key = format!("{}/{claim}", other.namespace);
        if state.rwop_claims.contains(&key) {
            state.conflicting_refs += delta;
        }
    }
}

const TOPOLOGY_LABELS: [&str; 4] = [
    "failure-domain.beta.kubernetes.io/zone",
    "failure-domain.beta.kubernetes.io/region",
    "topology.kubernetes.io/zone",
    "topology.kubernetes.io/region",
];

/// VolumeZone PreFilter state: (label, allowed values) of bound PVs.
pub type ZoneState = Vec<(String, BTreeSet<String>)>;

pub fn zone_pre_filter(ctx: &Ctx<'_>) -> Result<ZoneState, Status> {
    let pod = ctx.pod;
    let mut out = Vec::new();
    for (name, _) in pod_claims(pod) {
        let Some(pvc) = ctx.cache.objects.pvc(&pod.namespace, name) else {
            return Err(Status::unresolvable(format!(
                "persistentvolumeclaim \"{name}\" not found"
            )));
        };
        let pv_name = claim_volume_name(pvc);
        if pv_name.is_empty() {
            let class = claim_class(pvc);
            if class.is_empty() {
                return Err(Status::error(
                    "PersistentVolumeClaim had no pv name and storageClass name",
                ));
            }
            let Some(sc) = ctx.cache.objects.storage_classes.get(&class) else {
                return Err(Status::unresolvable(format!(
                    "StorageClass \"{class}\" claimed by PersistentVolumeClaim \"{name}\" not found"
                )));
            };
            if sc.volume_binding_mode.as_deref() == Some("WaitForFirstConsumer") {
                continue;
            }
            return Err(Status::error("PersistentVolume had no name"));
        }
        let Some(pv) = ctx.cache.objects.pvs.get(pv_name) else {
            return Err(Status::unresolvable(format!(
                "PersistentVolume \"{pv_name}\" not found"
            )));
        };
        for label in TOPOLOGY_LABELS {
            if let Some(v) = pv.metadata.labels.as_ref().and_then(|l| l.get(label)) {
                out.push((
                    label.to_string(),
                    v.split("__").map(str::to_string).collect(),
                ));
            }
        }
    }
    if out.is_empty() {
        return Err(Status::skip());
    }
    Ok(out)
}

pub fn zone_filter(state: &ZoneState, node: &NodeInfo) -> Result<(), Status> {
    if !TOPOLOGY_LABELS.iter().any(|l| node.label(l).is_some()) {
        return Ok(());
    }
    for (label, values) in state {
        match node.label(label) {
            Some(v) if values.contains(v) => {}
            _ => return Err(Status::unresolvable(ERR_REASON_ZONE_CONFLICT)),
        }
    }
    Ok(())
}

#[cfg(test)]
#[path = "volumes_tests.rs"]
mod tests;
