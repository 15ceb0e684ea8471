//! Pod volumes on the node's disk: emptyDir, hostPath, configMap, secret, downwardAPI and
//! projected (their ConfigMap, Secret and downward API sources), under the pod's directory, and
//! the CRI mounts of a container's volumeMounts.

use std::collections::HashMap;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use k8s_openapi::api::core::v1::{Container, KeyToPath, Pod};

use crate::cri::pb;
use crate::podconfig::{Lookups, pod_name, pod_namespace, pod_uid};

fn write_items(
    dir: &Path,
    data: &std::collections::BTreeMap<String, String>,
    items: Option<&Vec<KeyToPath>>,
    mode: i32,
) -> Result<(), String> {
    let mut files: Vec<(String, &str, i32)> = Vec::new();
    match items {
        Some(items) => {
            for it in items {
                if let Some(v) = data.get(&it.key) {
                    files.push((it.path.clone(), v, it.mode.unwrap_or(mode)));
                }
            }
        }
        None => {
            for (k, v) in data {
                files.push((k.clone(), v, mode));
            }
        }
    }
    for (path, value, mode) in files {
        if path.split('/').any(|p| p == "..") {
            return Err(format!("invalid volume item path {path:?}"));
        }
        let target = dir.join(&path);
        if let Some(parent) = target.parent() {
            std::fs::create_dir_all(parent).map_err(|e| e.to_string())?;
        }
        std::fs::write(&target, value).map_err(|e| e.to_string())?;
        let _ = std::fs::set_permissions(
            &target,
            std::fs::Permissions::from_mode(mode as u32 & 0o777),
        );
    }
    Ok(())
}

fn downward(pod: &Pod, path: &str) -> String {
    let meta = &pod.metadata;
    let map = |m: Option<&std::collections::BTreeMap<String, String>>| {
        m.map(|m| {
            m.iter()
                .map(|(k, v)| format!("{k}=\"{}\"", v.replace('"', "\\\"")))
                .collect::<Vec<_>>()
                .join("\n")
        })
        .unwrap_or_default()
    };
    match path {
        "metadata.name" => pod_name(pod).to_owned(),
        "metadata.namespace" => pod_namespace(pod).to_owned(),
        "metadata.uid" => pod_uid(pod).to_owned(),
        "metadata.labels" => map(meta.labels.as_ref()),
        "metadata.annotations" => map(meta.annotations.as_ref()),
        _ => String::new(),
    }
}

/// Creates the pod's volumes under `pod_dir`; volume name → host path.
pub fn prepare(
    pod: &Pod,
    pod_dir: &Path,
    lookups: &Lookups,
) -> Result<HashMap<String, PathBuf>, String> {
    let mut out = HashMap::new();
    let Some(spec) = &pod.spec else {
        return Ok(out);
    };
    for v in spec.volumes.iter().flatten() {
        let dir = pod_dir.join("volumes").join(&v.name);
        if let Some(hp) = &v.host_path {
            let path = PathBuf::from(&hp.path);
            match hp.type_.as_deref() {
                Some("DirectoryOrCreate") => {
                    std::fs::create_dir_all(&path).map_err(|e| e.to_string())?;
                }
                Some("FileOrCreate") if !path.exists() => {
                    if let Some(parent) = path.parent() {
                        std::fs::create_dir_all(parent).map_err(|e| e.to_string())?;
                    }
                    std::fs::write(&path, b"").map_err(|e| e.to_string())?;
                }
                Some("Directory") if !path.is_dir() => {
                    return Err(format!(
                        "hostPath type check failed: {} is not a directory",
                        hp.path
                    ));
                }
                Some("File") if !path.is_file() => {
                    return Err(format!(
                        "hostPath type check failed: {} is not a file",
                        hp.path
                    ));
                }
                _ => {}
            }
            out.insert(v.name.clone(), path);
            continue;
        }
        std::fs::create_dir_all(&dir).map_err(|e| e.to_string())?;
        let _ = std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o777));
        if let Some(cm) = &v.config_map {
            match lookups.config_maps.get(&cm.name).cloned().flatten() {
                Some(data) => write_items(
                    &dir,
                    &data,
                    cm.items.as_ref(),
                    cm.default_mode.unwrap_or(0o644),
                )?,
                None if cm.optional == Some(true) => {}
                None => return Err(format!("configmap \"{}\" not found", cm.name)),
            }
        } else if let Some(s) = &v.secret {
            let name = s.secret_name.clone().unwrap_or_default();
            match lookups.secrets.get(&name).cloned().flatten() {
                Some(data) => write_items(
                    &dir,
                    &data,
                    s.items.as_ref(),
                    s.default_mode.unwrap_or(0o644),
                )?,
                None if s.optional == Some(true) => {}
                None => return Err(format!("secret \"{name}\" not found")),
            }
        } else if let Some(d) = &v.downward_api {
            for item in d.items.iter().flatten() {
                if let Some(f) = &item.field_ref {
                    let data = std::collections::BTreeMap::from([(
                        item.path.clone(),
                        downward(pod, &f.field_path),
                    )]);
                    write_items(
                        &dir,
                        &data,
                        None,
                        item.mode.or(d.default_mode).unwrap_or(0o644),
                    )?;
                }
            }
        } else if let Some(p) = &v.projected {
            let mode = p.default_mode.unwrap_or(0o644);
            for src in p.sources.iter().flatten() {
                if let Some(cm) = &src.config_map {
                    if let Some(data) = lookups.config_maps.get(&cm.name).cloned().flatten() {
                        write_items(&dir, &data, cm.items.as_ref(), mode)?;
                    } else if cm.optional != Some(true) {
                        return Err(format!("configmap \"{}\" not found", cm.name));
                    }
                }
                if let Some(s) = &src.secret {
                    if let Some(data) = lookups.secrets.get(&s.name).cloned().flatten() {
                        write_items(&dir, &data, s.items.as_ref(), mode)?;
                    } else if s.optional != Some(true) {
                        return Err(format!("secret \"{}\" not found", s.name));
                    }
                }
                if let Some(d) = &src.downward_api {
                    for item in d.items.iter().flatten() {
                        if let Some(f) = &item.field_ref {
                            let data = std::collections::BTreeMap::from([(
                                item.path.clone(),
                                downward(pod, &f.field_path),
                            )]);
                            write_items(&dir, &data, None, item.mode.unwrap_or(mode))?;
                        }
                    }
                }
            }
        }
        out.insert(v.name.clone(), dir);
    }
    Ok(out)
}

/// The CRI mounts of a container's volumeMounts.
pub fn mounts(c: &Container, volumes: &HashMap<String, PathBuf>) -> Result<Vec<pb::Mount>, String> {
    let mut out = Vec::new();
    for m in c.volume_mounts.iter().flatten() {
        let Some(base) = volumes.get(&m.name) else {
            return Err(format!(
                "cannot find volume \"{}\" to mount into container \"{}\"",
                m.name, c.name
            ));
        };
        let mut host = base.clone();
        if let Some(sub) = m.sub_path.as_deref().filter(|s| !s.is_empty()) {
            if sub.split('/').any(|p| p == "..") || sub.starts_with('/') {
                return Err(format!("invalid subPath {sub:?}"));
            }
            host = host.join(sub);
            if !host.exists() {
                std::fs::create_dir_all(&host).map_err(|e| e.to_string())?;
            }
        }
        let propagation = match m.mount_propagation.as_deref() {
            Some("HostToContainer") => pb::MountPropagation::PropagationHostToContainer,
            Some("Bidirectional") => pb::MountPropagation::PropagationBidirectional,
            _ => pb::MountPropagation::PropagationPrivate,
        };
        out.push(pb::Mount {
            container_path: m.mount_path.clone(),
            host_path: host.to_string_lossy().into_owned(),
            readonly: m.read_only.unwrap_or(false),
            propagation: propagation as i32,
            ..Default::default()
        });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;
    use std::collections::BTreeMap;

    #[test]
    fn volumes_and_mounts() {
        let dir = tempfile::tempdir().unwrap();
        let host = dir.path().join("host");
        let pod: Pod = serde_json::from_value(json!({
            "metadata": {"name": "p", "namespace": "n", "uid": "u", "labels": {"a": "b"}},
            "spec": {"containers": [{"name": "c", "volumeMounts": [
                {"name": "cache", "mountPath": "/cache"},
                {"name": "cfg", "mountPath": "/etc/cfg", "readOnly": true},
                {"name": "info", "mountPath": "/info"},
                {"name": "h", "mountPath": "/h", "subPath": "sub"}]}],
             "volumes": [
                {"name": "cache", "emptyDir": {}},
                {"name": "cfg", "configMap": {"name": "cm", "items": [{"key": "a", "path": "x/a.conf"}]}},
                {"name": "info", "downwardAPI": {"items": [{"path": "labels", "fieldRef": {"fieldPath": "metadata.labels"}}]}},
                {"name": "h", "hostPath": {"path": host.to_str().unwrap(), "type": "DirectoryOrCreate"}}]}
        })).unwrap();
        let mut l = Lookups::default();
        l.config_maps.insert(
            "cm".into(),
            Some(BTreeMap::from([("a".to_owned(), "A".to_owned())])),
        );
        let vols = prepare(&pod, dir.path(), &l).unwrap();
        assert_eq!(
            std::fs::read_to_string(vols["cfg"].join("x/a.conf")).unwrap(),
            "A"
        );
        assert_eq!(
            std::fs::read_to_string(vols["info"].join("labels")).unwrap(),
            "a=\"b\""
        );
        let m = mounts(&pod.spec.as_ref().unwrap().containers[0], &vols).unwrap();
        assert_eq!(m.len(), 4);
        assert!(m[1].readonly);
        assert_eq!(m[3].host_path, host.join("sub").to_string_lossy());
        l.config_maps.insert("cm".into(), None);
        assert!(prepare(&pod, dir.path(), &l).is_err());
    }
}
