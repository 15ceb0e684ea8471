//! Pod volumes: defaults (SetDefaults_Volume and the per-source defaults) and validation
//! (upstream ValidateVolumes, validateVolumeSource, ValidateVolumeDevices).

use std::collections::{BTreeMap, BTreeSet};

use capstan_apimachinery::validation::name_is_dns_subdomain;
use capstan_apimachinery::{ErrorList, FieldError, Path};
use k8s_openapi::api::core::v1::{Container, DownwardAPIVolumeFile, ProjectedVolumeSource, Volume};

use super::common::{dns_label, invalid_each, s};
use super::container::{PodContext, default_field_ref, validate_pull_policy};
use super::legacy_volumes as legacy;
use super::volume_files::{
    validate_claim_template, validate_downward_file, validate_items, validate_mode,
    validate_projected,
};

pub const FILE_MODE_ERROR: &str = "must be a number between 0 and 0777 (octal), both inclusive";

/// Counts volume sources: the first one is validated, later ones are forbidden.
pub struct Sources<'p> {
    path: &'p Path,
    count: usize,
    pub errs: ErrorList,
}

impl<'p> Sources<'p> {
    pub fn new(path: &'p Path) -> Self {
        Sources {
            path,
            count: 0,
            errs: Vec::new(),
        }
    }

    pub fn add(&mut self, present: bool, name: &str, check: impl FnOnce() -> ErrorList) {
        if !present {
            return;
        }
        if self.count > 0 {
            self.errs.push(FieldError::forbidden(
                &self.path.child(name),
                "may not specify more than 1 volume type",
            ));
        } else {
            self.count += 1;
            self.errs.extend(check());
        }
    }

    /// Required when no source was given.
    pub fn finish(mut self) -> ErrorList {
        if self.count == 0 {
            self.errs.push(FieldError::required(
                self.path,
                "must specify a volume type",
            ));
        }
        self.errs
    }
}

fn source_count(v: &Volume) -> usize {
    [
        v.aws_elastic_block_store.is_some(),
        v.azure_disk.is_some(),
        v.azure_file.is_some(),
        v.cephfs.is_some(),
        v.cinder.is_some(),
        v.config_map.is_some(),
        v.csi.is_some(),
        v.downward_api.is_some(),
        v.empty_dir.is_some(),
        v.ephemeral.is_some(),
        v.fc.is_some(),
        v.flex_volume.is_some(),
        v.flocker.is_some(),
        v.gce_persistent_disk.is_some(),
        v.git_repo.is_some(),
        v.glusterfs.is_some(),
        v.host_path.is_some(),
        v.image.is_some(),
        v.iscsi.is_some(),
        v.nfs.is_some(),
        v.persistent_volume_claim.is_some(),
        v.photon_persistent_disk.is_some(),
        v.portworx_volume.is_some(),
        v.projected.is_some(),
        v.quobyte.is_some(),
        v.rbd.is_some(),
        v.scale_io.is_some(),
        v.secret.is_some(),
        v.storageos.is_some(),
        v.vsphere_volume.is_some(),
    ]
    .iter()
    .filter(|b| **b)
    .count()
}

fn default_mode(mode: &mut Option<i32>) {
    mode.get_or_insert(0o644);
}

fn default_items(items: &mut Option<Vec<DownwardAPIVolumeFile>>) {
    for f in items.iter_mut().flatten() {
        if let Some(r) = f.field_ref.as_mut() {
            default_field_ref(r);
        }
    }
}

/// Upstream SetDefaults_Volume and the defaults of each source kind.
pub fn default_volume(v: &mut Volume) {
    if source_count(v) == 0 {
        v.empty_dir = Some(Default::default());
    }
    if let Some(x) = v.secret.as_mut() {
        default_mode(&mut x.default_mode);
    }
    if let Some(x) = v.config_map.as_mut() {
        default_mode(&mut x.default_mode);
    }
    if let Some(x) = v.downward_api.as_mut() {
        default_mode(&mut x.default_mode);
        default_items(&mut x.items);
    }
    if let Some(x) = v.projected.as_mut() {
        default_projected(x);
    }
    if let Some(x) = v.host_path.as_mut() {
        x.type_.get_or_insert_with(String::new);
    }
    if let Some(x) = v.image.as_mut()
        && s(&x.pull_policy).is_empty()
    {
        let policy = super::container::default_pull_policy(s(&x.reference));
        x.pull_policy = Some(policy.into());
    }
    if let Some(t) = v
        .ephemeral
        .as_mut()
        .and_then(|e| e.volume_claim_template.as_mut())
    {
        t.spec
            .volume_mode
            .get_or_insert_with(|| "Filesystem".into());
    }
    legacy::default_legacy(v);
}

fn default_projected(p: &mut ProjectedVolumeSource) {
    default_mode(&mut p.default_mode);
    for src in p.sources.iter_mut().flatten() {
        if let Some(t) = src.service_account_token.as_mut() {
            t.expiration_seconds.get_or_insert(3600);
        }
        if let Some(d) = src.downward_api.as_mut() {
            default_items(&mut d.items);
        }
    }
}

/// Upstream ValidateVolumes: the valid volumes by name, and the errors. `pod_name` is set
/// for pods (not templates): it names the claims ephemeral volumes create.
pub fn validate_volumes<'a>(
    volumes: &'a [Volume],
    pod_name: Option<&str>,
    for_pod: bool,
    path: &Path,
) -> (BTreeMap<&'a str, &'a Volume>, ErrorList) {
    let mut errs = Vec::new();
    let mut valid = BTreeMap::new();
    let mut names = BTreeSet::new();
    let created: BTreeSet<String> = match pod_name {
        Some(pod) if !pod.is_empty() => volumes
            .iter()
            .filter(|v| v.ephemeral.is_some())
            .map(|v| format!("{pod}-{}", v.name))
            .collect(),
        _ => BTreeSet::new(),
    };
    for (i, v) in volumes.iter().enumerate() {
        let p = path.index(i);
        let name_path = p.child("name");
        let mut el = validate_source(v, &p, pod_name, for_pod);
        if v.name.is_empty() {
            el.push(FieldError::required(&name_path, ""));
        } else {
            el.extend(dns_label(&v.name, &name_path));
        }
        if names.contains(v.name.as_str()) {
            el.push(FieldError::duplicate(&name_path, v.name.as_str()));
        }
        if el.is_empty() {
            names.insert(v.name.as_str());
            valid.insert(v.name.as_str(), v);
        } else {
            errs.extend(el);
        }
        if let Some(claim) = &v.persistent_volume_claim
            && created.contains(&claim.claim_name)
        {
            errs.push(FieldError::invalid(
                &p.child("persistentVolumeClaim").child("claimName"),
                claim.claim_name.as_str(),
                "must not reference a PVC that gets created for an ephemeral volume",
            ));
        }
    }
    (valid, errs)
}

/// Upstream validateVolumeSource, in upstream's order of source kinds.
fn validate_source(v: &Volume, path: &Path, pod_name: Option<&str>, for_pod: bool) -> ErrorList {
    let mut src = Sources::new(path);
    src.add(v.empty_dir.is_some(), "emptyDir", || {
        let negative = v
            .empty_dir
            .as_ref()
            .and_then(|e| e.size_limit.as_ref())
            .and_then(|q| capstan_apimachinery::Quantity::parse(&q.0).ok())
            .is_some_and(|q| q.sign() < 0);
        if negative {
            vec![FieldError::forbidden(
                &path.child("emptyDir").child("sizeLimit"),
                "SizeLimit field must be a valid resource quantity",
            )]
        } else {
            Vec::new()
        }
    });
    src.add(v.host_path.is_some(), "hostPath", || {
        v.host_path
            .as_ref()
            .map(|h| legacy::host_path(h, &path.child("hostPath")))
            .unwrap_or_default()
    });
    src.add(v.git_repo.is_some(), "gitRepo", || {
        v.git_repo
            .as_ref()
            .map(|g| legacy::git_repo(g, &path.child("gitRepo")))
            .unwrap_or_default()
    });
    legacy::validate_pod_legacy_first(v, path, &mut src);
    src.add(v.secret.is_some(), "secret", || {
        let Some(x) = &v.secret else {
            return Vec::new();
        };
        let p = path.child("secret");
        let mut errs = Vec::new();
        if s(&x.secret_name).is_empty() {
            errs.push(FieldError::required(&p.child("secretName"), ""));
        }
        errs.extend(validate_mode(x.default_mode, &p.child("defaultMode")));
        errs.extend(validate_items(
            x.items.as_deref().unwrap_or(&[]),
            &p.child("items"),
        ));
        errs
    });
    legacy::validate_pod_legacy_middle(v, path, &mut src);
    src.add(
        v.persistent_volume_claim.is_some(),
        "persistentVolumeClaim",
        || match &v.persistent_volume_claim {
            Some(c) if c.claim_name.is_empty() => vec![FieldError::required(
                &path.child("persistentVolumeClaim").child("claimName"),
                "",
            )],
            _ => Vec::new(),
        },
    );
    legacy::validate_pod_legacy_rbd_to_quobyte(v, path, &mut src);
    src.add(v.downward_api.is_some(), "downwarAPI", || {
        let Some(d) = &v.downward_api else {
            return Vec::new();
        };
        let p = path.child("downwardAPI");
        let mut errs = validate_mode(d.default_mode, &p.child("defaultMode"));
        for f in d.items.iter().flatten() {
            errs.extend(validate_downward_file(f, &p));
        }
        errs
    });
    legacy::validate_pod_legacy_fc_flex(v, path, &mut src);
    src.add(v.config_map.is_some(), "configMap", || {
        let Some(x) = &v.config_map else {
            return Vec::new();
        };
        let p = path.child("configMap");
        let mut errs = Vec::new();
        if x.name.is_empty() {
            errs.push(FieldError::required(&p.child("name"), ""));
        }
        errs.extend(validate_mode(x.default_mode, &p.child("defaultMode")));
        errs.extend(validate_items(
            x.items.as_deref().unwrap_or(&[]),
            &p.child("items"),
        ));
        errs
    });
    legacy::validate_pod_legacy_azure_to_storageos(v, path, &mut src);
    src.add(v.projected.is_some(), "projected", || {
        v.projected
            .as_ref()
            .map(|p| validate_projected(p, &path.child("projected")))
            .unwrap_or_default()
    });
    legacy::validate_pod_legacy_scale_io(v, path, &mut src);
    src.add(v.csi.is_some(), "csi", || {
        v.csi
            .as_ref()
            .map(|c| legacy::csi(c, &path.child("csi")))
            .unwrap_or_default()
    });
    src.add(v.ephemeral.is_some(), "ephemeral", || {
        let p = path.child("ephemeral");
        let mut errs = match v
            .ephemeral
            .as_ref()
            .and_then(|e| e.volume_claim_template.as_ref())
        {
            None => vec![FieldError::required(&p.child("volumeClaimTemplate"), "")],
            Some(t) => validate_claim_template(t, &p.child("volumeClaimTemplate")),
        };
        if let Some(pod) = pod_name.filter(|n| !n.is_empty() && !v.name.is_empty()) {
            let pvc = format!("{pod}-{}", v.name);
            for m in name_is_dns_subdomain(&pvc, false) {
                errs.push(FieldError::invalid(
                    &path.child("name"),
                    v.name.as_str(),
                    &format!("PVC name {pvc:?}: {m}"),
                ));
            }
        }
        errs
    });
    src.add(v.image.is_some(), "image", || {
        let Some(img) = &v.image else {
            return Vec::new();
        };
        let p = path.child("image");
        let mut errs = Vec::new();
        if for_pod && s(&img.reference).is_empty() {
            errs.push(FieldError::required(&p.child("reference"), ""));
        }
        errs.extend(validate_pull_policy(
            s(&img.pull_policy),
            &p.child("pullPolicy"),
        ));
        errs
    });
    src.finish()
}

/// Upstream ValidateVolumeDevices.
pub fn validate_devices(
    c: &Container,
    mounts: &BTreeMap<&str, &str>,
    ctx: &PodContext,
    path: &Path,
) -> ErrorList {
    let mut errs = Vec::new();
    let mut paths = BTreeSet::new();
    let mut names = BTreeSet::new();
    for (i, d) in c.volume_devices.iter().flatten().enumerate() {
        let p = path.index(i);
        let volume = ctx.volumes.get(d.name.as_str());
        let is_claim =
            volume.is_some_and(|v| v.persistent_volume_claim.is_some() || v.ephemeral.is_some());
        if d.name.is_empty() {
            errs.push(FieldError::required(&p.child("name"), ""));
        }
        if names.contains(d.name.as_str()) {
            errs.push(FieldError::invalid(
                &p.child("name"),
                d.name.as_str(),
                "must be unique",
            ));
        }
        if volume.is_some() && !is_claim {
            errs.push(FieldError::invalid(&p.child("name"), d.name.as_str(), "can only use volume source type of PersistentVolumeClaim or Ephemeral for block mode"));
        }
        if volume.is_none() {
            errs.push(FieldError::not_found(&p.child("name"), d.name.as_str()));
        }
        if d.device_path.is_empty() {
            errs.push(FieldError::required(&p.child("devicePath"), ""));
        }
        if paths.contains(d.device_path.as_str()) {
            errs.push(FieldError::invalid(
                &p.child("devicePath"),
                d.device_path.as_str(),
                "must be unique",
            ));
        }
        if !d.device_path.is_empty()
            && d.device_path
                .replace('\\', "/")
                .split('/')
                .any(|x| x == "..")
        {
            errs.push(FieldError::invalid(
                &p.child("devicePath"),
                d.device_path.as_str(),
                "can not contain backsteps ('..')",
            ));
        } else {
            paths.insert(d.device_path.as_str());
        }
        if mounts.contains_key(d.name.as_str()) {
            errs.push(FieldError::invalid(
                &p.child("name"),
                d.name.as_str(),
                "must not already exist in volumeMounts",
            ));
        }
        if mounts.values().any(|m| *m == d.device_path) {
            errs.push(FieldError::invalid(
                &p.child("devicePath"),
                d.device_path.as_str(),
                "must not already exist as a path in volumeMounts",
            ));
        }
        if !d.name.is_empty() {
            names.insert(d.name.as_str());
        }
    }
    errs
}

/// Messages for a value that must be a DNS subdomain (used by CSI secret names).
pub fn subdomain_errors(value: &str, path: &Path) -> ErrorList {
    invalid_each(path, value, name_is_dns_subdomain(value, false))
}

#[cfg(test)]
#[path = "volumes_tests.rs"]
mod tests;
