//! Building image archives without any registry or external tool: a single-layer image whose
//! rootfs is the static busybox binary (with one symlink per applet asked for), written as a
//! docker-archive (`docker save` layout) or an OCI archive (OCI image layout in a tar).

use std::io::{self, Write};
use std::path::Path;

use serde_json::json;
use sha2::{Digest, Sha256};

use super::tar::TarWriter;

/// The pause image this agent builds and imports at first start.
pub const PAUSE_IMAGE: &str = "capstan.local/pause:3.10";

/// Where Debian's busybox-static puts the binary.
pub const BUSYBOX: &str = "/bin/busybox";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// `docker save`: manifest.json, the config, one directory per layer.
    Docker,
    /// OCI image layout (oci-layout, index.json, blobs/sha256/…) in a tar.
    Oci,
}

/// What goes in the image's config.
#[derive(Debug, Clone, Default)]
pub struct ImageConfig {
    pub entrypoint: Vec<String>,
    pub cmd: Vec<String>,
    pub env: Vec<String>,
    pub working_dir: String,
    pub stop_signal: Option<String>,
}

pub fn sha256_hex(data: &[u8]) -> String {
    let digest = Sha256::digest(data);
    let mut s = String::with_capacity(64);
    for b in digest {
        use std::fmt::Write as _;
        let _ = write!(s, "{b:02x}");
    }
    s
}

/// The platform name of this machine, as image configs spell it.
pub fn go_arch() -> &'static str {
    match std::env::consts::ARCH {
        "x86_64" => "amd64",
        "aarch64" => "arm64",
        "arm" => "arm",
        "s390x" => "s390x",
        "powerpc64" => "ppc64le",
        other => other,
    }
}

/// The applets a busybox binary provides (`busybox --list`).
pub fn busybox_applets(busybox: &Path) -> io::Result<Vec<String>> {
    let out = std::process::Command::new(busybox).arg("--list").output()?;
    if !out.status.success() {
        return Err(io::Error::other(format!(
            "{} --list failed",
            busybox.display()
        )));
    }
    Ok(String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.contains('/'))
        .map(str::to_owned)
        .collect())
}

/// A layer: /bin/busybox plus `/bin/<applet>` symlinks, and the usual empty directories.
pub fn busybox_layer(busybox: &[u8], applets: &[String]) -> io::Result<Vec<u8>> {
    let mut t = TarWriter::new(Vec::with_capacity(busybox.len() + 64 * 1024));
    for dir in ["bin", "dev", "etc", "proc", "sys", "tmp", "var", "root"] {
        let mode = if dir == "tmp" { 0o1777 } else { 0o755 };
        t.dir(dir, mode)?;
    }
    t.file("bin/busybox", 0o755, busybox)?;
    for applet in applets {
        if applet != "busybox" {
            t.symlink(&format!("bin/{applet}"), "busybox")?;
        }
    }
    t.file(
        "etc/passwd",
        0o644,
        b"root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/:/bin/false\n",
    )?;
    t.file("etc/group", 0o644, b"root:x:0:\nnobody:x:65534:\n")?;
    t.finish()
}

fn config_json(config: &ImageConfig, diff_id: &str) -> Vec<u8> {
    let mut env = config.env.clone();
    if !env.iter().any(|e| e.starts_with("PATH=")) {
        env.insert(
            0,
            "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin".into(),
        );
    }
    let mut c = json!({"Env": env});
    if !config.entrypoint.is_empty() {
        c["Entrypoint"] = json!(config.entrypoint);
    }
    if !config.cmd.is_empty() {
        c["Cmd"] = json!(config.cmd);
    }
    if !config.working_dir.is_empty() {
        c["WorkingDir"] = json!(config.working_dir);
    }
    if let Some(s) = &config.stop_signal {
        c["StopSignal"] = json!(s);
    }
    let v = json!({
        "architecture": go_arch(),
        "os": "linux",
        "created": "2024-01-01T00:00:00Z",
        "config": c,
        "rootfs": {"type": "layers", "diff_ids": [format!("sha256:{diff_id}")]},
        "history": [{"created": "2024-01-01T00:00:00Z", "created_by": "capstan image builder"}],
    });
    serde_json::to_vec(&v).unwrap_or_default()
}

/// Splits `name:tag` (the tag after the last colon that follows the last slash).
fn split_tag(name: &str) -> (&str, &str) {
    let slash = name.rfind('/').map(|i| i + 1).unwrap_or(0);
    match name[slash..].rfind(':') {
        Some(i) => (&name[..slash + i], &name[slash + i + 1..]),
        None => (name, "latest"),
    }
}

/// Writes the archive of a one-layer image named `name` (a full reference, `host/path:tag`).
pub fn write_image(
    out: impl Write,
    name: &str,
    layer: &[u8],
    config: &ImageConfig,
    format: Format,
) -> io::Result<()> {
    let layer_sha = sha256_hex(layer);
    let config_bytes = config_json(config, &layer_sha);
    let config_sha = sha256_hex(&config_bytes);
    let mut t = TarWriter::new(out);
    match format {
        Format::Docker => {
            let manifest = json!([{
                "Config": format!("{config_sha}.json"),
                "RepoTags": [name],
                "Layers": [format!("{layer_sha}/layer.tar")],
            }]);
            let (repo, tag) = split_tag(name);
            let repositories = json!({repo: {tag: layer_sha}});
            t.dir(&layer_sha, 0o755)?;
            t.file(&format!("{layer_sha}/layer.tar"), 0o644, layer)?;
            t.file(&format!("{layer_sha}/VERSION"), 0o644, b"1.0")?;
            t.file(&format!("{config_sha}.json"), 0o644, &config_bytes)?;
            t.file(
                "manifest.json",
                0o644,
                &serde_json::to_vec(&manifest).unwrap_or_default(),
            )?;
            t.file(
                "repositories",
                0o644,
                &serde_json::to_vec(&repositories).unwrap_or_default(),
            )?;
        }
        Format::Oci => {
            let manifest = json!({
                "schemaVersion": 2,
                "mediaType": "application/vnd.oci.image.manifest.v1+json",
                "config": {
                    "mediaType": "application/vnd.oci.image.config.v1+json",
                    "digest": format!("sha256:{config_sha}"),
                    "size": config_bytes.len(),
                },
                "layers": [{
                    "mediaType": "application/vnd.oci.image.layer.v1.tar",
                    "digest": format!("sha256:{layer_sha}"),
                    "size": layer.len(),
                }],
            });
            let manifest_bytes = serde_json::to_vec(&manifest).unwrap_or_default();
            let manifest_sha = sha256_hex(&manifest_bytes);
            let (_, tag) = split_tag(name);
            let index = json!({
                "schemaVersion": 2,
                "mediaType": "application/vnd.oci.image.index.v1+json",
                "manifests": [{
                    "mediaType": "application/vnd.oci.image.manifest.v1+json",
                    "digest": format!("sha256:{manifest_sha}"),
                    "size": manifest_bytes.len(),
                    "annotations": {
                        "io.containerd.image.name": name,
                        "org.opencontainers.image.ref.name": tag,
                    },
                    "platform": {"architecture": go_arch(), "os": "linux"},
                }],
            });
            t.file("oci-layout", 0o644, br#"{"imageLayoutVersion":"1.0.0"}"#)?;
            t.dir("blobs", 0o755)?;
            t.dir("blobs/sha256", 0o755)?;
            t.file(&format!("blobs/sha256/{layer_sha}"), 0o644, layer)?;
            t.file(&format!("blobs/sha256/{config_sha}"), 0o644, &config_bytes)?;
            t.file(
                &format!("blobs/sha256/{manifest_sha}"),
                0o644,
                &manifest_bytes,
            )?;
            t.file(
                "index.json",
                0o644,
                &serde_json::to_vec(&index).unwrap_or_default(),
            )?;
        }
    }
    t.finish()?.flush()
}

/// Builds a busybox image archive at `path`: all applets linked, the given config.
pub fn build_busybox_image(
    path: &Path,
    name: &str,
    config: &ImageConfig,
    format: Format,
) -> io::Result<()> {
    let busybox_path = Path::new(BUSYBOX);
    let busybox = std::fs::read(busybox_path)?;
    let applets = busybox_applets(busybox_path)?;
    let layer = busybox_layer(&busybox, &applets)?;
    let file = std::io::BufWriter::new(std::fs::File::create(path)?);
    write_image(file, name, &layer, config, format)
}

/// The pause image: busybox with only `sleep`, running `sleep infinity` as PID 1 of the sandbox.
pub fn build_pause_image(path: &Path) -> io::Result<()> {
    let busybox = std::fs::read(BUSYBOX)?;
    let layer = busybox_layer(&busybox, &["sleep".to_owned()])?;
    let config = ImageConfig {
        entrypoint: vec!["/bin/sleep".into(), "infinity".into()],
        ..Default::default()
    };
    let tmp = path.with_extension("tmp");
    {
        let file = std::io::BufWriter::new(std::fs::File::create(&tmp)?);
        write_image(file, PAUSE_IMAGE, &layer, &config, Format::Docker)?;
    }
    std::fs::rename(tmp, path)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::image::tar::read_files;

    #[test]
    fn tags_split_after_the_last_slash() {
        assert_eq!(
            split_tag("localhost:5000/a/b:1.0"),
            ("localhost:5000/a/b", "1.0")
        );
        assert_eq!(
            split_tag("localhost:5000/a"),
            ("localhost:5000/a", "latest")
        );
        assert_eq!(split_tag("busybox"), ("busybox", "latest"));
    }

    #[test]
    fn docker_archive_is_consistent() {
        let layer = busybox_layer(b"\x7fELF fake", &["sh".into(), "sleep".into()]).unwrap();
        let mut out = Vec::new();
        let config = ImageConfig {
            cmd: vec!["sh".into()],
            ..Default::default()
        };
        write_image(&mut out, "example.com/t:1", &layer, &config, Format::Docker).unwrap();
        let files = read_files(&out);
        let get = |p: &str| files.iter().find(|(n, _)| n == p).map(|(_, d)| *d);
        let manifest: serde_json::Value =
            serde_json::from_slice(get("manifest.json").unwrap()).unwrap();
        assert_eq!(manifest[0]["RepoTags"][0], "example.com/t:1");
        let config_name = manifest[0]["Config"].as_str().unwrap();
        let config_bytes = get(config_name).unwrap();
        assert_eq!(format!("{}.json", sha256_hex(config_bytes)), config_name);
        let config: serde_json::Value = serde_json::from_slice(config_bytes).unwrap();
        let layer_path = manifest[0]["Layers"][0].as_str().unwrap();
        let layer_bytes = get(layer_path).unwrap();
        assert_eq!(
            config["rootfs"]["diff_ids"][0],
            format!("sha256:{}", sha256_hex(layer_bytes))
        );
        assert_eq!(config["config"]["Cmd"][0], "sh");
        let layer_files = read_files(layer_bytes);
        assert!(layer_files.iter().any(|(n, _)| n == "bin/busybox"));
    }

    #[test]
    fn oci_archive_names_its_image() {
        let layer = busybox_layer(b"x", &[]).unwrap();
        let mut out = Vec::new();
        write_image(
            &mut out,
            "example.com/t:2",
            &layer,
            &ImageConfig::default(),
            Format::Oci,
        )
        .unwrap();
        let files = read_files(&out);
        let index = files.iter().find(|(n, _)| n == "index.json").unwrap().1;
        let index: serde_json::Value = serde_json::from_slice(index).unwrap();
        let m = &index["manifests"][0];
        assert_eq!(
            m["annotations"]["io.containerd.image.name"],
            "example.com/t:2"
        );
        let digest = m["digest"]
            .as_str()
            .unwrap()
            .strip_prefix("sha256:")
            .unwrap();
        let blob = files
            .iter()
            .find(|(n, _)| *n == format!("blobs/sha256/{digest}"))
            .unwrap()
            .1;
        assert_eq!(sha256_hex(blob), digest);
    }
}
