//! The in-tree volume plugins (most of them deprecated or removed from kubelets) that pod
//! volumes and persistent volumes can still name: their declarative defaults and the field
//! checks upstream still applies to them.

use capstan_apimachinery::validation::{
    LabelSelectorValidationOptions, is_dns1123_subdomain, validate_label_selector,
};
use capstan_apimachinery::{ErrorList, FieldError, Path};
use k8s_openapi::api::core::v1::{
    CSIVolumeSource, ClusterTrustBundleProjection, GitRepoVolumeSource, HostPathVolumeSource,
    Volume,
};

use super::common::{
    dns_label, invalid_each, local_descending_path, not_supported, path_no_backsteps, s,
};
use super::volumes::{Sources, subdomain_errors};

/// Declarative defaults of the in-tree sources.
pub fn default_legacy(v: &mut Volume) {
    if let Some(x) = v.iscsi.as_mut() {
        x.iscsi_interface.get_or_insert_with(|| "default".into());
    }
    if let Some(x) = v.rbd.as_mut() {
        x.pool.get_or_insert_with(|| "rbd".into());
        x.user.get_or_insert_with(|| "admin".into());
        x.keyring.get_or_insert_with(|| "/etc/ceph/keyring".into());
    }
    if let Some(x) = v.azure_disk.as_mut() {
        x.caching_mode.get_or_insert_with(|| "ReadWrite".into());
        x.fs_type.get_or_insert_with(|| "ext4".into());
        x.read_only.get_or_insert(false);
        x.kind.get_or_insert_with(|| "Shared".into());
    }
    if let Some(x) = v.scale_io.as_mut() {
        x.storage_mode
            .get_or_insert_with(|| "ThinProvisioned".into());
        x.fs_type.get_or_insert_with(|| "xfs".into());
    }
}

pub fn required(value: &str, path: &Path) -> ErrorList {
    if value.is_empty() {
        vec![FieldError::required(path, "")]
    } else {
        Vec::new()
    }
}

const PARTITION_ERROR: &str = "must be between 1 and 255, inclusive";

fn partition(value: Option<i32>, path: &Path) -> ErrorList {
    match value {
        Some(p) if !(0..=255).contains(&p) => vec![FieldError::invalid(path, p, PARTITION_ERROR)],
        _ => Vec::new(),
    }
}

/// Upstream validateHostPathVolumeSource.
pub fn host_path(h: &HostPathVolumeSource, path: &Path) -> ErrorList {
    if h.path.is_empty() {
        return vec![FieldError::required(&path.child("path"), "")];
    }
    let mut errs = path_no_backsteps(&h.path, &path.child("path"));
    const TYPES: &[&str] = &[
        "",
        "BlockDevice",
        "CharDevice",
        "Directory",
        "DirectoryOrCreate",
        "File",
        "FileOrCreate",
        "Socket",
    ];
    if let Some(t) = &h.type_
        && !TYPES.contains(&t.as_str())
    {
        errs.push(not_supported(&path.child("type"), t, TYPES));
    }
    errs
}

pub fn git_repo(g: &GitRepoVolumeSource, path: &Path) -> ErrorList {
    let mut errs = required(&g.repository, &path.child("repository"));
    errs.extend(local_descending_path(
        s(&g.directory),
        &path.child("directory"),
    ));
    errs
}

/// Upstream ValidateCSIDriverName.
pub fn csi_driver(driver: &str, path: &Path) -> ErrorList {
    let mut errs = required(driver, path);
    if driver.len() > 63 {
        errs.push(FieldError::too_long(path, 63));
    }
    errs.extend(invalid_each(
        path,
        driver,
        is_dns1123_subdomain(&driver.to_lowercase()),
    ));
    errs
}

pub fn csi(c: &CSIVolumeSource, path: &Path) -> ErrorList {
    let mut errs = csi_driver(&c.driver, &path.child("driver"));
    if let Some(r) = &c.node_publish_secret_ref {
        if r.name.is_empty() {
            errs.push(FieldError::required(
                &path.child("nodePublishSecretRef").child("name"),
                "",
            ));
        } else {
            // Upstream reports the name's format on `csi.name`.
            errs.extend(subdomain_errors(&r.name, &path.child("name")));
        }
    }
    errs
}

pub fn cluster_trust_bundle(b: &ClusterTrustBundleProjection, path: &Path) -> ErrorList {
    let mut errs = Vec::new();
    match (&b.name, &b.signer_name) {
        (Some(_), Some(_)) => errs.push(FieldError::invalid(
            path,
            super::common::json_value(b),
            "only one of name and signerName may be used",
        )),
        (Some(name), None) => {
            if name.is_empty() {
                errs.push(FieldError::required(
                    &path.child("name"),
                    "must be a valid object name",
                ));
            }
            if b.label_selector.is_some() {
                errs.push(FieldError::invalid(
                    &path.child("labelSelector"),
                    super::common::json_value(&b.label_selector),
                    "labelSelector must be unset if name is specified",
                ));
            }
        }
        (None, Some(signer)) => {
            if signer.is_empty() {
                errs.push(FieldError::required(
                    &path.child("signerName"),
                    "must be a valid signer name",
                ));
            }
            errs.extend(validate_label_selector(
                b.label_selector.as_ref(),
                LabelSelectorValidationOptions::default(),
                &path.child("labelSelector"),
            ));
        }
        (None, None) => errs.push(FieldError::required(
            path,
            "either name or signerName must be specified",
        )),
    }
    if b.path.is_empty() {
        errs.push(FieldError::required(&path.child("path"), ""));
    }
    errs.extend(super::common::local_non_reserved_path(
        &b.path,
        &path.child("path"),
    ));
    errs
}

/// gcePersistentDisk and awsElasticBlockStore (validated under upstream's quirky paths).
pub fn validate_pod_legacy_first(v: &Volume, path: &Path, src: &mut Sources) {
    src.add(v.gce_persistent_disk.is_some(), "gcePersistentDisk", || {
        let Some(x) = &v.gce_persistent_disk else {
            return Vec::new();
        };
        let p = path.child("persistentDisk");
        let mut errs = required(&x.pd_name, &p.child("pdName"));
        errs.extend(partition(x.partition, &p.child("partition")));
        errs
    });
    src.add(
        v.aws_elastic_block_store.is_some(),
        "awsElasticBlockStore",
        || {
            let Some(x) = &v.aws_elastic_block_store else {
                return Vec::new();
            };
            let p = path.child("awsElasticBlockStore");
            let mut errs = required(&x.volume_id, &p.child("volumeID"));
            errs.extend(partition(x.partition, &p.child("partition")));
            errs
        },
    );
}

/// nfs, iscsi, glusterfs and flocker.
pub fn validate_pod_legacy_middle(v: &Volume, path: &Path, src: &mut Sources) {
    src.add(v.nfs.is_some(), "nfs", || {
        v.nfs
            .as_ref()
            .map(|x| nfs(&x.server, &x.path, &path.child("nfs")))
            .unwrap_or_default()
    });
    src.add(v.iscsi.is_some(), "iscsi", || {
        let Some(x) = &v.iscsi else { return Vec::new() };
        let p = path.child("iscsi");
        let mut errs = required(&x.target_portal, &p.child("targetPortal"));
        errs.extend(iqn(&x.iqn, &p.child("iqn")));
        if !(0..=255).contains(&x.lun) {
            errs.push(FieldError::invalid(
                &p.child("lun"),
                x.lun,
                "must be between 0 and 255, inclusive",
            ));
        }
        let chap = x.chap_auth_discovery.unwrap_or(false) || x.chap_auth_session.unwrap_or(false);
        if chap && x.secret_ref.is_none() {
            errs.push(FieldError::required(&p.child("secretRef"), ""));
        }
        errs
    });
    src.add(v.glusterfs.is_some(), "glusterfs", || {
        let Some(x) = &v.glusterfs else {
            return Vec::new();
        };
        let p = path.child("glusterfs");
        let mut errs = required(&x.endpoints, &p.child("endpoints"));
        errs.extend(required(&x.path, &p.child("path")));
        errs
    });
    src.add(v.flocker.is_some(), "flocker", || {
        let Some(x) = &v.flocker else {
            return Vec::new();
        };
        flocker(
            s(&x.dataset_name),
            s(&x.dataset_uuid),
            &path.child("flocker"),
        )
    });
}

pub fn nfs(server: &str, nfs_path: &str, path: &Path) -> ErrorList {
    let mut errs = required(server, &path.child("server"));
    errs.extend(required(nfs_path, &path.child("path")));
    if !nfs_path.starts_with('/') {
        errs.push(FieldError::invalid(
            &path.child("path"),
            nfs_path,
            "must be an absolute path",
        ));
    }
    errs
}

pub fn iqn(value: &str, path: &Path) -> ErrorList {
    if value.is_empty() {
        return vec![FieldError::required(path, "")];
    }
    if !["iqn", "eui", "naa"].iter().any(|p| value.starts_with(p)) {
        return vec![FieldError::invalid(
            path,
            value,
            "must be valid format starting with iqn, eui, or naa",
        )];
    }
    Vec::new()
}

pub fn flocker(name: &str, uuid: &str, path: &Path) -> ErrorList {
    let mut errs = Vec::new();
    if name.is_empty() && uuid.is_empty() {
        errs.push(FieldError::required(
            path,
            "one of datasetName and datasetUUID is required",
        ));
    }
    if !name.is_empty() && !uuid.is_empty() {
        errs.push(FieldError::invalid(
            path,
            "resource",
            "datasetName and datasetUUID can not be specified simultaneously",
        ));
    }
    if name.contains('/') {
        errs.push(FieldError::invalid(
            &path.child("datasetName"),
            name,
            "must not contain '/'",
        ));
    }
    errs
}

/// rbd, cinder, cephfs and quobyte.
pub fn validate_pod_legacy_rbd_to_quobyte(v: &Volume, path: &Path, src: &mut Sources) {
    src.add(v.rbd.is_some(), "rbd", || {
        let Some(x) = &v.rbd else { return Vec::new() };
        let p = path.child("rbd");
        let mut errs = Vec::new();
        if x.monitors.is_empty() {
            errs.push(FieldError::required(&p.child("monitors"), ""));
        }
        errs.extend(required(&x.image, &p.child("image")));
        errs
    });
    src.add(v.cinder.is_some(), "cinder", || {
        let Some(x) = &v.cinder else {
            return Vec::new();
        };
        let p = path.child("cinder");
        let mut errs = required(&x.volume_id, &p.child("volumeID"));
        if let Some(r) = &x.secret_ref {
            errs.extend(required(&r.name, &p.child("secretRef").child("name")));
        }
        errs
    });
    src.add(v.cephfs.is_some(), "cephFS", || match &v.cephfs {
        Some(x) if x.monitors.is_empty() => vec![FieldError::required(
            &path.child("cephfs").child("monitors"),
            "",
        )],
        _ => Vec::new(),
    });
    src.add(v.quobyte.is_some(), "quobyte", || {
        let Some(x) = &v.quobyte else {
            return Vec::new();
        };
        let p = path.child("quobyte");
        let mut errs = Vec::new();
        if x.registry.is_empty() {
            errs.push(FieldError::required(
                &p.child("registry"),
                "must be a host:port pair or multiple pairs separated by commas",
            ));
        } else if s(&x.tenant).len() >= 65 {
            errs.push(FieldError::required(
                &p.child("tenant"),
                "must be a UUID and may not exceed a length of 64 characters",
            ));
        } else if x
            .registry
            .split(',')
            .any(|hp| hp.rsplit_once(':').is_none())
        {
            errs.push(FieldError::invalid(
                &p.child("registry"),
                x.registry.as_str(),
                "must be a host:port pair or multiple pairs separated by commas",
            ));
        }
        errs.extend(required(&x.volume, &p.child("volume")));
        errs
    });
}

/// fc and flexVolume.
pub fn validate_pod_legacy_fc_flex(v: &Volume, path: &Path, src: &mut Sources) {
    src.add(v.fc.is_some(), "fc", || {
        let Some(x) = &v.fc else { return Vec::new() };
        fc(
            x.target_wwns.as_deref().unwrap_or(&[]),
            x.wwids.as_deref().unwrap_or(&[]),
            x.lun,
            &path.child("fc"),
        )
    });
    src.add(v.flex_volume.is_some(), "flexVolume", || {
        let Some(x) = &v.flex_volume else {
            return Vec::new();
        };
        flex(&x.driver, x.options.as_ref(), &path.child("flexVolume"))
    });
}

pub fn fc(wwns: &[String], wwids: &[String], lun: Option<i32>, path: &Path) -> ErrorList {
    let mut errs = Vec::new();
    if wwns.is_empty() && wwids.is_empty() {
        errs.push(FieldError::required(
            &path.child("targetWWNs"),
            "must specify either targetWWNs or wwids, but not both",
        ));
    }
    if !wwns.is_empty() && !wwids.is_empty() {
        errs.push(FieldError::invalid(
            &path.child("targetWWNs"),
            wwns.to_vec(),
            "targetWWNs and wwids can not be specified simultaneously",
        ));
    }
    if !wwns.is_empty() {
        match lun {
            None => errs.push(FieldError::required(
                &path.child("lun"),
                "lun is required if targetWWNs is specified",
            )),
            Some(l) if !(0..=255).contains(&l) => errs.push(FieldError::invalid(
                &path.child("lun"),
                l,
                "must be between 0 and 255, inclusive",
            )),
            Some(_) => {}
        }
    }
    errs
}

pub fn flex(
    driver: &str,
    options: Option<&std::collections::BTreeMap<String, String>>,
    path: &Path,
) -> ErrorList {
    let mut errs = required(driver, &path.child("driver"));
    for k in options.into_iter().flat_map(|o| o.keys()) {
        let namespace = k.split_once('/').map(|(n, _)| n).unwrap_or(k);
        let normalized = format!(".{}", namespace.to_lowercase());
        if normalized.ends_with(".kubernetes.io") || normalized.ends_with(".k8s.io") {
            errs.push(FieldError::invalid(
                &path.child("options").key(k),
                k.as_str(),
                "kubernetes.io and k8s.io namespaces are reserved",
            ));
        }
    }
    errs
}

/// azureFile, vsphereVolume, photonPersistentDisk, portworxVolume, azureDisk and storageos.
pub fn validate_pod_legacy_azure_to_storageos(v: &Volume, path: &Path, src: &mut Sources) {
    src.add(v.azure_file.is_some(), "azureFile", || {
        let Some(x) = &v.azure_file else {
            return Vec::new();
        };
        let p = path.child("azureFile");
        let mut errs = required(&x.secret_name, &p.child("secretName"));
        errs.extend(required(&x.share_name, &p.child("shareName")));
        errs
    });
    src.add(v.vsphere_volume.is_some(), "vsphereVolume", || {
        v.vsphere_volume
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
        v.photon_persistent_disk.is_some(),
        "photonPersistentDisk",
        || {
            v.photon_persistent_disk
                .as_ref()
                .map(|x| required(&x.pd_id, &path.child("photonPersistentDisk").child("pdID")))
                .unwrap_or_default()
        },
    );
    src.add(v.portworx_volume.is_some(), "portworxVolume", || {
        v.portworx_volume
            .as_ref()
            .map(|x| {
                required(
                    &x.volume_id,
                    &path.child("portworxVolume").child("volumeID"),
                )
            })
            .unwrap_or_default()
    });
    src.add(v.azure_disk.is_some(), "azureDisk", || {
        let Some(x) = &v.azure_disk else {
            return Vec::new();
        };
        azure_disk(
            &x.disk_name,
            &x.disk_uri,
            x.caching_mode.as_deref(),
            x.kind.as_deref(),
            &path.child("azureDisk"),
        )
    });
    src.add(v.storageos.is_some(), "storageos", || {
        let Some(x) = &v.storageos else {
            return Vec::new();
        };
        let p = path.child("storageos");
        let name = s(&x.volume_name);
        let mut errs = required(name, &p.child("volumeName"));
        if !name.is_empty() {
            errs.extend(dns_label(name, &p.child("volumeName")));
        }
        let ns = s(&x.volume_namespace);
        if !ns.is_empty() {
            errs.extend(dns_label(ns, &p.child("volumeNamespace")));
        }
        if let Some(r) = &x.secret_ref {
            errs.extend(required(&r.name, &p.child("secretRef").child("name")));
        }
        errs
    });
}

pub fn azure_disk(
    name: &str,
    uri: &str,
    caching: Option<&str>,
    kind: Option<&str>,
    path: &Path,
) -> ErrorList {
    let mut errs = required(name, &path.child("diskName"));
    errs.extend(required(uri, &path.child("diskURI")));
    if let Some(c) = caching
        && !["None", "ReadOnly", "ReadWrite"].contains(&c)
    {
        errs.push(not_supported(
            &path.child("cachingMode"),
            c,
            &["None", "ReadOnly", "ReadWrite"],
        ));
    }
    if let Some(k) = kind {
        if !["Dedicated", "Managed", "Shared"].contains(&k) {
            errs.push(not_supported(
                &path.child("kind"),
                k,
                &["Dedicated", "Managed", "Shared"],
            ));
        }
        if k == "Managed" && !uri.starts_with("/subscriptions/") {
            errs.push(not_supported(&path.child("diskURI"), uri, &["/subscriptions/{sub-id}/resourcegroups/{group-name}/providers/microsoft.compute/disks/{disk-id}"]));
        }
        if k != "Managed" && !uri.starts_with("https://") {
            errs.push(not_supported(
                &path.child("diskURI"),
                uri,
                &["https://{account-name}.blob.core.windows.net/{container-name}/{disk-name}.vhd"],
            ));
        }
    }
    errs
}

pub fn validate_pod_legacy_scale_io(v: &Volume, path: &Path, src: &mut Sources) {
    src.add(v.scale_io.is_some(), "scaleIO", || {
        let Some(x) = &v.scale_io else {
            return Vec::new();
        };
        scale_io(
            &x.gateway,
            &x.system,
            s(&x.volume_name),
            &path.child("scaleIO"),
        )
    });
}

pub fn scale_io(gateway: &str, system: &str, volume: &str, path: &Path) -> ErrorList {
    let mut errs = required(gateway, &path.child("gateway"));
    errs.extend(required(system, &path.child("system")));
    errs.extend(required(volume, &path.child("volumeName")));
    errs
}
