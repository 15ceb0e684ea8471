//! PersistentVolumes (upstream SetDefaults_PersistentVolume,
//! pkg/registry/core/persistentvolume/strategy.go, ValidatePersistentVolume[Update]).

use capstan_apimachinery::validation::{
    FIELD_IMMUTABLE_ERROR_MSG, is_dns1123_label, name_is_dns_subdomain, validate_namespace_name,
};
use capstan_apimachinery::{ErrorList, FieldError, Path};
use k8s_openapi::api::core::v1::{
    PersistentVolume, PersistentVolumeSpec, PersistentVolumeStatus, SecretReference,
};

use super::common::{
    immutable, invalid_each, json_value, not_supported, now, path_no_backsteps, s,
};
use super::legacy_volumes::{self as legacy, required};
use super::pvc::{VOLUME_MODES, validate_access_modes};
use super::resources::{parse, round_up_to_milli, validate_basic, validate_positive};
use super::scheduling::validate_node_selector;
use super::volumes::Sources;
use crate::strategy::TypedStrategy;

pub struct PersistentVolumeStrategy;

const RECLAIM_POLICIES: &[&str] = &["Delete", "Recycle", "Retain"];

impl TypedStrategy<PersistentVolume> for PersistentVolumeStrategy {
    fn prepare_for_create(&self, pv: &mut PersistentVolume) {
        pv.status = Some(PersistentVolumeStatus {
            phase: Some("Pending".into()),
            last_phase_transition_time: now(),
            ..Default::default()
        });
    }

    fn default(&self, pv: &mut PersistentVolume) {
        let spec = pv.spec.get_or_insert_with(Default::default);
        if s(&spec.persistent_volume_reclaim_policy).is_empty() {
            spec.persistent_volume_reclaim_policy = Some("Retain".into());
        }
        spec.volume_mode.get_or_insert_with(|| "Filesystem".into());
        round_up_to_milli(&mut spec.capacity);
        let status = pv.status.get_or_insert_with(Default::default);
        if s(&status.phase).is_empty() {
            status.phase = Some("Pending".into());
        }
    }

    fn validate(&self, pv: &PersistentVolume) -> ErrorList {
        validate_pv_spec(
            &pv.spec.clone().unwrap_or_default(),
            s(&pv.metadata.name),
            &Path::new("spec"),
        )
    }

    fn prepare_for_update(&self, pv: &mut PersistentVolume, old: &PersistentVolume) {
        pv.status = old.status.clone();
    }

    fn validate_update(&self, pv: &PersistentVolume, old: &PersistentVolume) -> ErrorList {
        let mut errs = self.validate(pv);
        let mut new_spec = pv.spec.clone().unwrap_or_default();
        let old_spec = old.spec.clone().unwrap_or_default();
        // A controller-expand secret may be added to a CSI volume that had none.
        let old_has = old_spec
            .csi
            .as_ref()
            .map(|c| c.controller_expand_secret_ref.is_some());
        if old_has == Some(false)
            && let Some(csi) = new_spec.csi.as_mut()
        {
            csi.controller_expand_secret_ref = None;
        }
        let (new_src, old_src) = (source_of(&new_spec), source_of(&old_spec));
        if new_src != old_src {
            let diff = super::diff::render("core.PersistentVolumeSource", &old_src, &new_src);
            let msg = format!("spec.persistentvolumesource is immutable after creation\n{diff}");
            errs.push(FieldError::forbidden(
                &Path::new("spec").child("persistentvolumesource"),
                &msg,
            ));
        }
        let (nm, om) = (&new_spec.volume_mode, &old_spec.volume_mode);
        errs.extend(immutable(nm, om, s(nm), &Path::new("volumeMode")));
        if old_spec.node_affinity.is_some() && new_spec.node_affinity != old_spec.node_affinity {
            let msg =
                format!("{FIELD_IMMUTABLE_ERROR_MSG}, except for updating from beta label to GA");
            errs.push(FieldError::invalid(
                &Path::new("nodeAffinity"),
                json_value(&new_spec.node_affinity),
                &msg,
            ));
        }
        errs
    }

    fn prepare_for_status_update(&self, pv: &mut PersistentVolume, old: &PersistentVolume) {
        pv.spec = old.spec.clone();
        let old_phase = old.status.as_ref().and_then(|st| st.phase.clone());
        if let Some(st) = pv.status.as_mut()
            && st.phase != old_phase
        {
            st.last_phase_transition_time = now();
        }
    }
}

/// The volume source part of a spec, for the immutability check.
fn source_of(spec: &PersistentVolumeSpec) -> PersistentVolumeSpec {
    PersistentVolumeSpec {
        access_modes: None,
        capacity: None,
        claim_ref: None,
        mount_options: None,
        node_affinity: None,
        persistent_volume_reclaim_policy: None,
        storage_class_name: None,
        volume_attributes_class_name: None,
        volume_mode: None,
        ..spec.clone()
    }
}

/// Upstream validatePVSecretReference.
fn secret_ref(r: &SecretReference, path: &Path) -> ErrorList {
    let mut errs = Vec::new();
    let (name, ns) = (s(&r.name), s(&r.namespace));
    if name.is_empty() {
        errs.push(FieldError::required(&path.child("name"), ""));
    } else {
        errs.extend(super::common::dns_subdomain(name, &path.child("name")));
    }
    if ns.is_empty() {
        errs.push(FieldError::required(&path.child("namespace"), ""));
    } else {
        errs.extend(invalid_each(
            &path.child("namespace"),
            ns,
            is_dns1123_label(ns),
        ));
    }
    errs
}

/// Upstream ValidatePersistentVolumeSpec for stored (not inline) volumes.
pub fn validate_pv_spec(spec: &PersistentVolumeSpec, name: &str, path: &Path) -> ErrorList {
    let mut errs = Vec::new();
    let modes = spec.access_modes.as_deref().unwrap_or(&[]);
    if modes.is_empty() {
        errs.push(FieldError::required(&path.child("accessModes"), ""));
    }
    errs.extend(validate_access_modes(modes, &path.child("accessModes")));
    let cap_path = path.child("capacity");
    let capacity = spec.capacity.clone().unwrap_or_default();
    if capacity.is_empty() {
        errs.push(FieldError::required(&cap_path, ""));
    }
    if !capacity.contains_key("storage") || capacity.len() > 1 {
        errs.push(FieldError::not_supported(
            &cap_path,
            json_value(&capacity),
            &["storage"],
        ));
    }
    for (k, q) in &capacity {
        match parse(q, &cap_path.key(k)) {
            Ok(v) => {
                errs.extend(validate_basic(&v, &cap_path.key(k)));
                errs.extend(validate_positive(&v, &cap_path.key(k)));
            }
            Err(e) => errs.push(e),
        }
    }
    let policy = s(&spec.persistent_volume_reclaim_policy);
    if !policy.is_empty() && !RECLAIM_POLICIES.contains(&policy) {
        errs.push(not_supported(
            &path.child("persistentVolumeReclaimPolicy"),
            policy,
            RECLAIM_POLICIES,
        ));
    }
    let mut affinity = false;
    if let Some(na) = &spec.node_affinity {
        affinity = true;
        let p = path.child("nodeAffinity");
        match &na.required {
            Some(req) => errs.extend(validate_node_selector(req, false, &p.child("required"))),
            None => errs.push(FieldError::required(
                &p.child("required"),
                "must specify required node constraints",
            )),
        }
    }
    errs.extend(validate_sources(spec, name, affinity, path));
    let host_root = spec
        .host_path
        .as_ref()
        .is_some_and(|h| h.path.trim_end_matches('/').is_empty() && !h.path.is_empty());
    if host_root && policy == "Recycle" {
        errs.push(FieldError::forbidden(
            &path.child("persistentVolumeReclaimPolicy"),
            "may not be 'recycle' for a hostPath mount of '/'",
        ));
    }
    let class = s(&spec.storage_class_name);
    if !class.is_empty() {
        errs.extend(invalid_each(
            &path.child("storageClassName"),
            class,
            name_is_dns_subdomain(class, false),
        ));
    }
    if let Some(m) = &spec.volume_mode
        && !VOLUME_MODES.contains(&m.as_str())
    {
        errs.push(not_supported(&path.child("volumeMode"), m, VOLUME_MODES));
    }
    errs
}

/// Exactly one volume source, in upstream's order.
fn validate_sources(
    spec: &PersistentVolumeSpec,
    name: &str,
    affinity: bool,
    path: &Path,
) -> ErrorList {
    let mut src = Sources::new(path);
    src.add(spec.host_path.is_some(), "hostPath", || {
        spec.host_path
            .as_ref()
            .map(|h| legacy::host_path(h, &path.child("hostPath")))
            .unwrap_or_default()
    });
    src.add(
        spec.gce_persistent_disk.is_some(),
        "gcePersistentDisk",
        || {
            spec.gce_persistent_disk
                .as_ref()
                .map(|x| required(&x.pd_name, &path.child("persistentDisk").child("pdName")))
                .unwrap_or_default()
        },
    );
    src.add(
        spec.aws_elastic_block_store.is_some(),
        "awsElasticBlockStore",
        || {
            spec.aws_elastic_block_store
                .as_ref()
                .map(|x| {
                    required(
                        &x.volume_id,
                        &path.child("awsElasticBlockStore").child("volumeID"),
                    )
                })
                .unwrap_or_default()
        },
    );
    src.add(spec.glusterfs.is_some(), "glusterfs", || {
        let Some(x) = &spec.glusterfs else {
            return Vec::new();
        };
        let p = path.child("glusterfs");
        let mut errs = required(&x.endpoints, &p.child("endpoints"));
        errs.extend(required(&x.path, &p.child("path")));
        if let Some(ns) = &x.endpoints_namespace {
            let np = p.child("endpointsNamespace");
            if ns.is_empty() {
                errs.push(FieldError::invalid(
                    &np,
                    "",
                    "if the endpointnamespace is set, it must be a valid namespace name",
                ));
            } else {
                errs.extend(invalid_each(&np, ns, validate_namespace_name(ns, false)));
            }
        }
        errs
    });
    src.add(spec.flocker.is_some(), "flocker", || {
        spec.flocker
            .as_ref()
            .map(|x| {
                legacy::flocker(
                    s(&x.dataset_name),
                    s(&x.dataset_uuid),
                    &path.child("flocker"),
                )
            })
            .unwrap_or_default()
    });
    src.add(spec.nfs.is_some(), "nfs", || {
        spec.nfs
            .as_ref()
            .map(|x| legacy::nfs(&x.server, &x.path, &path.child("nfs")))
            .unwrap_or_default()
    });
    src.add(spec.rbd.is_some(), "rbd", || {
        let Some(x) = &spec.rbd else {
            return Vec::new();
        };
        let mut errs = Vec::new();
        if x.monitors.is_empty() {
            errs.push(FieldError::required(
                &path.child("rbd").child("monitors"),
                "",
            ));
        }
        errs.extend(required(&x.image, &path.child("rbd").child("image")));
        errs
    });
    src.add(spec.quobyte.is_some(), "quobyte", || {
        spec.quobyte
            .as_ref()
            .map(|x| required(&x.volume, &path.child("quobyte").child("volume")))
            .unwrap_or_default()
    });
    src.add(spec.cephfs.is_some(), "cephFS", || match &spec.cephfs {
        Some(x) if x.monitors.is_empty() => vec![FieldError::required(
            &path.child("cephfs").child("monitors"),
            "",
        )],
        _ => Vec::new(),
    });
    src.add(spec.iscsi.is_some(), "iscsi", || {
        let Some(x) = &spec.iscsi else { return Vec::new() };
        let p = path.child("iscsi");
        let mut errs = required(&x.target_portal, &p.child("targetPortal"));
        if x.initiator_name.is_some() && format!("{name}:{}", x.target_portal).len() > 64 {
            errs.push(FieldError::invalid(&p.child("targetportal"), x.target_portal.as_str(), "Total length of <volume name>:<iscsi.targetPortal> must be under 64 characters if iscsi.initiatorName is specified."));
        }
        errs.extend(legacy::iqn(&x.iqn, &p.child("iqn")));
        if !(0..=255).contains(&x.lun) {
            errs.push(FieldError::invalid(&p.child("lun"), x.lun, "must be between 0 and 255, inclusive"));
        }
        errs
    });
    src.add(spec.cinder.is_some(), "cinder", || {
        let Some(x) = &spec.cinder else {
            return Vec::new();
        };
        let p = path.child("cinder");
        let mut errs = required(&x.volume_id, &p.child("volumeID"));
        if let Some(r) = &x.secret_ref {
            errs.extend(required(s(&r.name), &p.child("secretRef").child("name")));
            errs.extend(required(
                s(&r.namespace),
                &p.child("secretRef").child("namespace"),
            ));
        }
        errs
    });
    src.add(spec.fc.is_some(), "fc", || {
        spec.fc
            .as_ref()
            .map(|x| {
                legacy::fc(
                    x.target_wwns.as_deref().unwrap_or(&[]),
                    x.wwids.as_deref().unwrap_or(&[]),
                    x.lun,
                    &path.child("fc"),
                )
            })
            .unwrap_or_default()
    });
    src.add(spec.flex_volume.is_some(), "flexVolume", || {
        spec.flex_volume
            .as_ref()
            .map(|x| legacy::flex(&x.driver, x.options.as_ref(), &path.child("flexVolume")))
            .unwrap_or_default()
    });
    src.add(spec.azure_file.is_some(), "azureFile", || {
        let Some(x) = &spec.azure_file else {
            return Vec::new();
        };
        let p = path.child("azureFile");
        let mut errs = required(&x.secret_name, &p.child("secretName"));
        errs.extend(required(&x.share_name, &p.child("shareName")));
        if x.secret_namespace.as_deref() == Some("") {
            errs.push(FieldError::required(&p.child("secretNamespace"), ""));
        }
        errs
    });
    src.add(spec.vsphere_volume.is_some(), "vsphereVolume", || {
        spec.vsphere_volume
            .as_ref()
            .map(|x| {
                required(
                    &x.volume_path,
                    &path.child("vsphereVolume").child("volumePath"),
                )
            })
            .unwrap_or_default()
    });
    src.add(
        spec.photon_persistent_disk.is_some(),
        "photonPersistentDisk",
        || {
            spec.photon_persistent_disk
                .as_ref()
                .map(|x| required(&x.pd_id, &path.child("photonPersistentDisk").child("pdID")))
                .unwrap_or_default()
        },
    );
    src.add(spec.portworx_volume.is_some(), "portworxVolume", || {
        spec.portworx_volume
            .as_ref()
            .map(|x| {
                required(
                    &x.volume_id,
                    &path.child("portworxVolume").child("volumeID"),
                )
            })
            .unwrap_or_default()
    });
    src.add(spec.azure_disk.is_some(), "azureDisk", || {
        spec.azure_disk
            .as_ref()
            .map(|x| {
                legacy::azure_disk(
                    &x.disk_name,
                    &x.disk_uri,
                    x.caching_mode.as_deref(),
                    x.kind.as_deref(),
                    &path.child("azureDisk"),
                )
            })
            .unwrap_or_default()
    });
    src.add(spec.scale_io.is_some(), "scaleIO", || {
        spec.scale_io
            .as_ref()
            .map(|x| {
                legacy::scale_io(
                    &x.gateway,
                    &x.system,
                    s(&x.volume_name),
                    &path.child("scaleIO"),
                )
            })
            .unwrap_or_default()
    });
    src.add(spec.local.is_some(), "local", || {
        let Some(x) = &spec.local else {
            return Vec::new();
        };
        let p = path.child("local");
        let mut errs = if x.path.is_empty() {
            vec![FieldError::required(&p.child("path"), "")]
        } else {
            path_no_backsteps(&x.path, &p.child("path"))
        };
        if !affinity {
            errs.push(FieldError::required(
                &path.child("nodeAffinity"),
                "Local volume requires node affinity",
            ));
        }
        errs
    });
    src.add(spec.storageos.is_some(), "storageos", || {
        spec.storageos
            .as_ref()
            .map(|x| {
                required(
                    s(&x.volume_name),
                    &path.child("storageos").child("volumeName"),
                )
            })
            .unwrap_or_default()
    });
    src.add(spec.csi.is_some(), "csi", || {
        let Some(c) = &spec.csi else {
            return Vec::new();
        };
        let p = path.child("csi");
        let mut errs = legacy::csi_driver(&c.driver, &p.child("driver"));
        errs.extend(required(&c.volume_handle, &p.child("volumeHandle")));
        let refs = [
            (
                &c.controller_publish_secret_ref,
                "controllerPublishSecretRef",
            ),
            (&c.controller_expand_secret_ref, "controllerExpandSecretRef"),
            (&c.node_publish_secret_ref, "nodePublishSecretRef"),
            (&c.node_expand_secret_ref, "nodeExpandSecretRef"),
        ];
        for (r, field) in refs {
            if let Some(r) = r {
                errs.extend(secret_ref(r, &p.child(field)));
            }
        }
        errs
    });
    src.finish()
}

#[cfg(test)]
#[path = "pv_tests.rs"]
mod tests;
