//! The agent's own containerd (as k3s runs one): a generated config in the data dir, the process
//! restarted when it dies, stopped cleanly when the agent exits. Containers survive both: their
//! shims are separate processes that a restarted containerd finds again.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, bail};
use tokio::sync::watch;

/// Where everything of the agent's containerd lives.
#[derive(Debug, Clone)]
pub struct Layout {
    pub dir: PathBuf,
    pub root: PathBuf,
    pub state: PathBuf,
    pub socket: PathBuf,
    pub config: PathBuf,
    pub log: PathBuf,
    pub certs_d: PathBuf,
}

impl Layout {
    pub fn new(agent_dir: &Path) -> Layout {
        let dir = agent_dir.join("containerd");
        Layout {
            root: dir.join("root"),
            state: dir.join("state"),
            socket: dir.join("containerd.sock"),
            config: dir.join("config.toml"),
            log: dir.join("containerd.log"),
            certs_d: dir.join("certs.d"),
            dir,
        }
    }
}

/// What the generated config needs.
#[derive(Debug, Clone)]
pub struct ConfigInput<'a> {
    pub layout: &'a Layout,
    pub sandbox_image: &'a str,
    pub cni_bin_dir: &'a Path,
    pub cni_conf_dir: &'a Path,
    pub runc: &'a Path,
    /// Extra TOML (registry credentials).
    pub extra: &'a str,
}

fn q(p: &Path) -> String {
    let s = p.to_string_lossy();
    format!("\"{}\"", s.replace('\\', "\\\\").replace('"', "\\\""))
}

/// containerd 1.6's config (version 2) for the CRI plugin on this machine.
pub fn config_toml(i: &ConfigInput<'_>) -> String {
    let l = i.layout;
    let mut s = String::new();
    let _ = writeln!(s, "version = 2");
    let _ = writeln!(s, "root = {}", q(&l.root));
    let _ = writeln!(s, "state = {}", q(&l.state));
    // Plugins a node never uses: fewer to load, and `opt` would write under /opt.
    let _ = writeln!(
        s,
        "disabled_plugins = [\"io.containerd.internal.v1.opt\", \"io.containerd.snapshotter.v1.aufs\", \"io.containerd.snapshotter.v1.btrfs\", \"io.containerd.snapshotter.v1.devmapper\", \"io.containerd.snapshotter.v1.zfs\", \"io.containerd.tracing.processor.v1.otlp\"]"
    );
    let _ = writeln!(s, "\n[grpc]\n  address = {}", q(&l.socket));
    let _ = writeln!(
        s,
        "\n[ttrpc]\n  address = {}",
        q(&l.dir.join("containerd.sock.ttrpc"))
    );
    let _ = writeln!(s, "\n[plugins.\"io.containerd.grpc.v1.cri\"]");
    let _ = writeln!(s, "  sandbox_image = \"{}\"", i.sandbox_image);
    // Required here: without CAP_SYS_RESOURCE, a negative oom_score_adj makes runc fail.
    let _ = writeln!(s, "  restrict_oom_score_adj = true");
    let _ = writeln!(s, "  enable_selinux = false");
    let _ = writeln!(s, "  stream_server_address = \"127.0.0.1\"");
    let _ = writeln!(s, "  stream_server_port = \"0\"");
    let _ = writeln!(s, "  max_container_log_line_size = 16384");
    let _ = writeln!(
        s,
        "\n[plugins.\"io.containerd.grpc.v1.cri\".containerd]\n  snapshotter = \"overlayfs\"\n  default_runtime_name = \"runc\""
    );
    let _ = writeln!(
        s,
        "\n[plugins.\"io.containerd.grpc.v1.cri\".containerd.runtimes.runc]\n  runtime_type = \"io.containerd.runc.v2\""
    );
    let _ = writeln!(
        s,
        "\n[plugins.\"io.containerd.grpc.v1.cri\".containerd.runtimes.runc.options]\n  SystemdCgroup = false\n  BinaryName = {}",
        q(i.runc)
    );
    let _ = writeln!(
        s,
        "\n[plugins.\"io.containerd.grpc.v1.cri\".cni]\n  bin_dir = {}\n  conf_dir = {}\n  max_conf_num = 1",
        q(i.cni_bin_dir),
        q(i.cni_conf_dir)
    );
    let _ = writeln!(
        s,
        "\n[plugins.\"io.containerd.grpc.v1.cri\".registry]\n  config_path = {}",
        q(&l.certs_d)
    );
    if !i.extra.is_empty() {
        s.push('\n');
        s.push_str(i.extra);
    }
    s
}

/// The runc binary: Debian's, else whatever is on PATH.
pub fn runc_binary() -> PathBuf {
    let debian = PathBuf::from("/usr/sbin/runc");
    if debian.exists() {
        debian
    } else {
        PathBuf::from("runc")
    }
}

/// A running, supervised containerd.
pub struct Supervisor {
    stop: watch::Sender<bool>,
    done: tokio::sync::Mutex<Option<tokio::task::JoinHandle<()>>>,
}

fn spawn_once(layout: &Layout) -> anyhow::Result<tokio::process::Child> {
    let log = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(&layout.log)
        .with_context(|| format!("cannot open {}", layout.log.display()))?;
    let _ = std::fs::remove_file(&layout.socket);
    let mut cmd = tokio::process::Command::new("containerd");
    cmd.arg("--config")
        .arg(&layout.config)
        .stdin(Stdio::null())
        .stdout(log.try_clone()?)
        .stderr(log);
    // containerd dies with the agent (a SIGKILLed agent leaves no orphan that a restarted agent
    // would fight over the socket with); container shims are separate and keep running.
    unsafe {
        cmd.pre_exec(|| {
            if libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL) != 0 {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        });
    }
    cmd.spawn()
        .context("cannot start containerd (is the containerd package installed?)")
}

async fn wait_socket(socket: &Path, child: &mut tokio::process::Child) -> anyhow::Result<()> {
    for _ in 0..600 {
        if tokio::net::UnixStream::connect(socket).await.is_ok() {
            return Ok(());
        }
        if let Some(status) = child.try_wait()? {
            bail!("containerd exited with {status} while starting");
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    bail!("containerd did not open {} in 12s", socket.display())
}

async fn terminate(child: &mut tokio::process::Child) {
    if let Some(pid) = child.id() {
        unsafe {
            libc::kill(pid as i32, libc::SIGTERM);
        }
        if tokio::time::timeout(Duration::from_secs(10), child.wait())
            .await
            .is_ok()
        {
            return;
        }
    }
    let _ = child.kill().await;
}

impl Supervisor {
    /// Starts containerd and returns once its socket accepts connections; from then on it is
    /// restarted whenever it exits, until `stop`.
    pub async fn start(layout: Layout) -> anyhow::Result<Arc<Supervisor>> {
        let log_path = layout.log.clone();
        let mut child = spawn_once(&layout)?;
        if let Err(e) = wait_socket(&layout.socket, &mut child).await {
            let _ = child.kill().await;
            let tail = std::fs::read_to_string(&log_path).unwrap_or_default();
            let tail: Vec<&str> = tail.lines().rev().take(15).collect();
            let tail: Vec<&str> = tail.into_iter().rev().collect();
            bail!("{e}; containerd's log ends with:\n{}", tail.join("\n"));
        }
        tracing::info!(socket = %layout.socket.display(), pid = child.id().unwrap_or(0), "containerd started");
        let (stop, mut stopped) = watch::channel(false);
        let task = tokio::spawn(async move {
            let mut delay = Duration::from_millis(500);
            loop {
                tokio::select! {
                    status = child.wait() => {
                        if *stopped.borrow() {
                            return;
                        }
                        tracing::warn!(status = ?status, "containerd exited; restarting");
                        loop {
                            tokio::select! {
                                _ = tokio::time::sleep(delay) => {}
                                _ = stopped.changed() => return,
                            }
                            delay = (delay * 2).min(Duration::from_secs(10));
                            match spawn_once(&layout) {
                                Ok(mut c) => match wait_socket(&layout.socket, &mut c).await {
                                    Ok(()) => {
                                        tracing::info!(pid = c.id().unwrap_or(0), "containerd restarted");
                                        child = c;
                                        delay = Duration::from_millis(500);
                                        break;
                                    }
                                    Err(e) => {
                                        tracing::warn!(error = %e, "containerd failed to restart");
                                        let _ = c.kill().await;
                                    }
                                },
                                Err(e) => tracing::warn!(error = %e, "cannot restart containerd"),
                            }
                        }
                    }
                    _ = stopped.changed() => {
                        terminate(&mut child).await;
                        return;
                    }
                }
            }
        });
        Ok(Arc::new(Supervisor {
            stop,
            done: tokio::sync::Mutex::new(Some(task)),
        }))
    }

    /// Stops containerd (SIGTERM, then SIGKILL after 10 s) and waits for it.
    pub async fn stop(&self) {
        let _ = self.stop.send(true);
        if let Some(task) = self.done.lock().await.take() {
            let _ = task.await;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn config_has_the_settings_this_machine_needs() {
        let layout = Layout::new(Path::new("/var/lib/capstan/agent"));
        let text = config_toml(&ConfigInput {
            layout: &layout,
            sandbox_image: "capstan.local/pause:3.10",
            cni_bin_dir: Path::new("/usr/lib/cni"),
            cni_conf_dir: Path::new("/var/lib/capstan/agent/cni/net.d"),
            runc: Path::new("/usr/sbin/runc"),
            extra: "",
        });
        for needle in [
            "version = 2",
            "root = \"/var/lib/capstan/agent/containerd/root\"",
            "address = \"/var/lib/capstan/agent/containerd/containerd.sock\"",
            "restrict_oom_score_adj = true",
            "sandbox_image = \"capstan.local/pause:3.10\"",
            "runtime_type = \"io.containerd.runc.v2\"",
            "SystemdCgroup = false",
            "bin_dir = \"/usr/lib/cni\"",
            "config_path = \"/var/lib/capstan/agent/containerd/certs.d\"",
            "snapshotter = \"overlayfs\"",
        ] {
            assert!(text.contains(needle), "missing {needle}:\n{text}");
        }
    }
}
