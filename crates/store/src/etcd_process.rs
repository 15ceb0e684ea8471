//! Starts real etcd servers (Debian's `etcd`) on loopback ports, for tests and benchmarks that
//! compare the backends. Each process is killed when its handle drops.

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// One etcd member.
pub struct EtcdMember {
    pub name: String,
    pub client_url: String,
    pub peer_url: String,
    pub data_dir: PathBuf,
    child: Option<Child>,
    log: PathBuf,
}

impl EtcdMember {
    pub fn pid(&self) -> Option<u32> {
        self.child.as_ref().map(|c| c.id())
    }

    /// SIGKILLs the member (as a crash would).
    pub fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    pub fn is_running(&self) -> bool {
        self.child.is_some()
    }
}

impl Drop for EtcdMember {
    fn drop(&mut self) {
        self.kill();
    }
}

/// A cluster of one or more members started together.
pub struct EtcdCluster {
    pub members: Vec<EtcdMember>,
}

impl EtcdCluster {
    pub fn client_urls(&self) -> Vec<String> {
        self.members.iter().map(|m| m.client_url.clone()).collect()
    }

    /// `etcd://h:p,h:p` as `--datastore-endpoint` takes it.
    pub fn endpoint_flag(&self) -> String {
        self.client_urls()
            .iter()
            .map(|u| u.replace("http://", ""))
            .collect::<Vec<_>>()
            .join(",")
    }

    /// Starts `size` members with data under `dir`, and waits until every member answers.
    pub fn start(dir: &Path, size: usize) -> Result<EtcdCluster, String> {
        let binary = find_etcd()?;
        let mut specs = Vec::new();
        for i in 0..size {
            specs.push((
                format!("m{i}"),
                format!("http://127.0.0.1:{}", free_port()?),
                format!("http://127.0.0.1:{}", free_port()?),
            ));
        }
        let initial_cluster = specs
            .iter()
            .map(|(n, _, p)| format!("{n}={p}"))
            .collect::<Vec<_>>()
            .join(",");
        let mut members = Vec::new();
        for (name, client_url, peer_url) in specs {
            let data_dir = dir.join(&name);
            std::fs::create_dir_all(&data_dir).map_err(|e| e.to_string())?;
            let log = dir.join(format!("{name}.log"));
            let log_file = std::fs::File::create(&log).map_err(|e| e.to_string())?;
            let child = Command::new(&binary)
                .args(["--name", &name])
                .arg("--data-dir")
                .arg(&data_dir)
                .args(["--listen-client-urls", &client_url])
                .args(["--advertise-client-urls", &client_url])
                .args(["--listen-peer-urls", &peer_url])
                .args(["--initial-advertise-peer-urls", &peer_url])
                .args(["--initial-cluster", &initial_cluster])
                .args(["--initial-cluster-state", "new"])
                .args(["--initial-cluster-token", "capstan-test"])
                .args(["--logger", "zap", "--log-level", "warn"])
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(log_file)
                .spawn()
                .map_err(|e| format!("cannot start {}: {e}", binary.display()))?;
            members.push(EtcdMember {
                name,
                client_url,
                peer_url,
                data_dir,
                child: Some(child),
                log,
            });
        }
        let cluster = EtcdCluster { members };
        cluster.wait_healthy(Duration::from_secs(30))?;
        Ok(cluster)
    }

    fn wait_healthy(&self, timeout: Duration) -> Result<(), String> {
        let deadline = Instant::now() + timeout;
        for m in &self.members {
            let hostport = m.client_url.trim_start_matches("http://");
            loop {
                if health_ok(hostport) {
                    break;
                }
                if Instant::now() > deadline {
                    let log = std::fs::read_to_string(&m.log).unwrap_or_default();
                    let tail: String = log.lines().rev().take(10).collect::<Vec<_>>().join("\n");
                    return Err(format!(
                        "etcd member {} did not become healthy: {tail}",
                        m.name
                    ));
                }
                std::thread::sleep(Duration::from_millis(50));
            }
        }
        Ok(())
    }
}

/// etcd's /health over plain HTTP on the client port.
fn health_ok(hostport: &str) -> bool {
    use std::io::{Read, Write};
    let Ok(mut s) = std::net::TcpStream::connect(hostport) else {
        return false;
    };
    let _ = s.set_read_timeout(Some(Duration::from_secs(2)));
    if s.write_all(format!("GET /health HTTP/1.0\r\nHost: {hostport}\r\n\r\n").as_bytes())
        .is_err()
    {
        return false;
    }
    let mut body = String::new();
    let _ = s.read_to_string(&mut body);
    body.contains("\"health\":\"true\"")
}

fn find_etcd() -> Result<PathBuf, String> {
    for candidate in ["/usr/bin/etcd", "/usr/local/bin/etcd"] {
        if Path::new(candidate).exists() {
            return Ok(candidate.into());
        }
    }
    Err("etcd is not installed: run `scripts/setup-deps.sh` (installs Debian's etcd-server)".into())
}

/// A loopback port that was free a moment ago.
pub fn free_port() -> Result<u16, String> {
    let l = TcpListener::bind("127.0.0.1:0").map_err(|e| e.to_string())?;
    Ok(l.local_addr().map_err(|e| e.to_string())?.port())
}
