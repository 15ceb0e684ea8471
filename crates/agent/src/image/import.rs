//! Importing image archives into the runtime with containerd's own `ctr` (same Debian package),
//! in the CRI's namespace. docker-archives name themselves (RepoTags); OCI archives are named from
//! their index annotations, because `ctr` would otherwise invent `import-DATE:TAG` names.

use std::io::{Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};

use anyhow::{Context, bail};
use serde_json::Value;

use super::reference;

/// The containerd namespace the CRI plugin uses.
pub const NAMESPACE: &str = "k8s.io";

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ArchiveKind {
    /// docker-archive: the names from manifest.json's RepoTags.
    Docker(Vec<String>),
    /// OCI archive: the image name found in index.json, if any.
    Oci(Option<String>),
}

/// Reads the metadata files of an uncompressed tar archive without loading its blobs.
pub fn inspect(path: &Path) -> anyhow::Result<ArchiveKind> {
    let mut f =
        std::fs::File::open(path).with_context(|| format!("cannot open {}", path.display()))?;
    let mut magic = [0u8; 4];
    let n = f.read(&mut magic)?;
    if n >= 2 && magic[..2] == [0x1f, 0x8b] || n >= 4 && magic == [0x28, 0xb5, 0x2f, 0xfd] {
        bail!(
            "{}: compressed archives are not supported; decompress it to a .tar first",
            path.display()
        );
    }
    f.seek(SeekFrom::Start(0))?;
    let mut manifest: Option<Value> = None;
    let mut index: Option<Value> = None;
    let mut layout = false;
    let mut header = [0u8; 512];
    loop {
        if f.read_exact(&mut header).is_err() || header.iter().all(|b| *b == 0) {
            break;
        }
        let field = |r: std::ops::Range<usize>| {
            let bytes = &header[r];
            let end = bytes.iter().position(|b| *b == 0).unwrap_or(bytes.len());
            String::from_utf8_lossy(&bytes[..end]).into_owned()
        };
        let name = field(0..100);
        let prefix = field(345..500);
        let full = if prefix.is_empty() {
            name
        } else {
            format!("{prefix}/{name}")
        };
        let full = full.trim_start_matches("./").to_owned();
        let size = u64::from_str_radix(field(124..136).trim(), 8)
            .with_context(|| format!("{}: not a tar archive", path.display()))?;
        let padded = size.div_ceil(512) * 512;
        let wanted = matches!(full.as_str(), "manifest.json" | "index.json" | "oci-layout");
        if wanted && size < 20 * 1024 * 1024 {
            let mut data = vec![0u8; size as usize];
            f.read_exact(&mut data)?;
            f.seek(SeekFrom::Current((padded - size) as i64))?;
            match full.as_str() {
                "manifest.json" => manifest = serde_json::from_slice(&data).ok(),
                "index.json" => index = serde_json::from_slice(&data).ok(),
                _ => layout = true,
            }
        } else {
            f.seek(SeekFrom::Current(padded as i64))?;
        }
    }
    if layout {
        let index = index.context("OCI archive without index.json")?;
        return Ok(ArchiveKind::Oci(oci_name(&index)));
    }
    if let Some(m) = manifest {
        let names = m
            .as_array()
            .map(|a| {
                a.iter()
                    .flat_map(|e| {
                        e.get("RepoTags")
                            .and_then(Value::as_array)
                            .cloned()
                            .unwrap_or_default()
                    })
                    .filter_map(|t| t.as_str().map(reference::normalize))
                    .collect()
            })
            .unwrap_or_default();
        return Ok(ArchiveKind::Docker(names));
    }
    bail!(
        "{}: neither a docker-archive (manifest.json) nor an OCI archive (oci-layout, index.json)",
        path.display()
    )
}

/// The name of an OCI archive's image: containerd's annotation, else a reference-name annotation
/// that is a whole reference (not a bare tag).
fn oci_name(index: &Value) -> Option<String> {
    let manifests = index.get("manifests")?.as_array()?;
    for m in manifests {
        let annotations = m.get("annotations");
        let get = |k: &str| {
            annotations
                .and_then(|a| a.get(k))
                .and_then(Value::as_str)
                .map(str::to_owned)
        };
        if let Some(name) = get("io.containerd.image.name") {
            return Some(reference::normalize(&name));
        }
        if let Some(r) = get("org.opencontainers.image.ref.name")
            && (r.contains('/') || r.contains(':'))
            && reference::parse(&r).is_ok()
        {
            return Some(reference::normalize(&r));
        }
    }
    None
}

/// Imports one archive with `ctr` against the containerd at `address`; the image names it gave.
pub async fn import(ctr: &Path, address: &Path, archive: &Path) -> anyhow::Result<Vec<String>> {
    let kind = inspect(archive)?;
    let mut cmd = tokio::process::Command::new(ctr);
    cmd.arg("--address")
        .arg(address)
        .args(["-n", NAMESPACE, "images", "import"]);
    let names = match &kind {
        ArchiveKind::Docker(names) => names.clone(),
        ArchiveKind::Oci(Some(name)) => {
            cmd.arg("--index-name").arg(name);
            vec![name.clone()]
        }
        ArchiveKind::Oci(None) => {
            bail!(
                "{}: the OCI archive names no image (no io.containerd.image.name or full org.opencontainers.image.ref.name annotation)",
                archive.display()
            )
        }
    };
    if names.is_empty() {
        bail!("{}: the archive has no RepoTags", archive.display());
    }
    cmd.arg(archive);
    let out = cmd
        .output()
        .await
        .with_context(|| format!("cannot run {}", ctr.display()))?;
    if !out.status.success() {
        bail!(
            "importing {} failed: {}",
            archive.display(),
            String::from_utf8_lossy(&out.stderr).trim()
        );
    }
    Ok(names)
}

/// `ctr` next to containerd (Debian installs both in /usr/bin), else from PATH.
pub fn ctr_binary() -> PathBuf {
    let default = PathBuf::from("/usr/bin/ctr");
    if default.exists() {
        return default;
    }
    PathBuf::from("ctr")
}

/// The archives in `dir` (files ending in .tar), sorted.
pub fn archives_in(dir: &Path) -> Vec<PathBuf> {
    let mut out: Vec<PathBuf> = std::fs::read_dir(dir)
        .map(|rd| {
            rd.filter_map(Result::ok)
                .map(|e| e.path())
                .filter(|p| p.is_file() && p.extension().is_some_and(|e| e == "tar"))
                .collect()
        })
        .unwrap_or_default();
    out.sort();
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::image::archive::{Format, ImageConfig, busybox_layer, write_image};

    #[test]
    fn recognises_both_formats() {
        let dir = tempfile::tempdir().unwrap();
        let layer = busybox_layer(b"x", &[]).unwrap();
        for (format, file) in [(Format::Docker, "d.tar"), (Format::Oci, "o.tar")] {
            let path = dir.path().join(file);
            let f = std::fs::File::create(&path).unwrap();
            write_image(f, "busybox:1.0", &layer, &ImageConfig::default(), format).unwrap();
            let kind = inspect(&path).unwrap();
            match format {
                Format::Docker => assert_eq!(
                    kind,
                    ArchiveKind::Docker(vec!["docker.io/library/busybox:1.0".into()])
                ),
                Format::Oci => assert_eq!(
                    kind,
                    ArchiveKind::Oci(Some("docker.io/library/busybox:1.0".into()))
                ),
            }
        }
        std::fs::write(dir.path().join("junk.tar"), b"hello").unwrap();
        assert!(inspect(&dir.path().join("junk.tar")).is_err());
        assert_eq!(archives_in(dir.path()).len(), 3);
    }

    #[test]
    fn oci_names_need_a_whole_reference() {
        let idx = serde_json::json!({"manifests": [{"annotations": {"org.opencontainers.image.ref.name": "latest"}}]});
        assert_eq!(oci_name(&idx), None);
        let idx = serde_json::json!({"manifests": [{"annotations": {"org.opencontainers.image.ref.name": "localhost/t:1"}}]});
        assert_eq!(oci_name(&idx), Some("localhost/t:1".into()));
    }
}
