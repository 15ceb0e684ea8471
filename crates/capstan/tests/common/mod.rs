//! Test harness: a real `capstan server` process on a free port with its own data dir, and real
//! kubectl binaries pointed at it.

#![allow(dead_code)]

pub mod node;

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

pub struct Server {
    pub dir: tempfile::TempDir,
    pub port: u16,
    child: Option<Child>,
    extra_args: Vec<String>,
}

/// Runs `cmd` with `stdin` fed to it (or no input) and collects its output.
pub fn run_with_stdin(cmd: &mut Command, stdin: Option<&str>) -> Output {
    match stdin {
        None => cmd.stdin(Stdio::null()).output().unwrap(),
        Some(input) => {
            use std::io::Write;
            cmd.stdin(Stdio::piped());
            let mut child = cmd.spawn().unwrap();
            child
                .stdin
                .take()
                .unwrap()
                .write_all(input.as_bytes())
                .unwrap();
            child.wait_with_output().unwrap()
        }
    }
}

pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

impl Server {
    /// Starts `capstan server --disable-agent` and waits until it answers.
    pub fn start() -> Server {
        Self::start_with(&[])
    }

    pub fn start_with(extra: &[&str]) -> Server {
        let mut s = Server {
            dir: tempfile::tempdir().unwrap(),
            port: free_port(),
            child: None,
            extra_args: extra.iter().map(|s| s.to_string()).collect(),
        };
        s.launch();
        s
    }

    pub fn data_dir(&self) -> PathBuf {
        self.dir.path().join("data")
    }

    pub fn kubeconfig(&self) -> PathBuf {
        self.data_dir().join("admin.kubeconfig")
    }

    fn launch(&mut self) {
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(self.dir.path().join("server.log"))
            .unwrap();
        let child = Command::new(env!("CARGO_BIN_EXE_capstan"))
            .arg("server")
            .arg("--data-dir")
            .arg(self.data_dir())
            .args([
                "--https-port",
                &self.port.to_string(),
                "--bind-address",
                "127.0.0.1",
            ])
            .arg("--disable-agent")
            .args(&self.extra_args)
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .expect("start capstan server");
        self.child = Some(child);
        self.wait_ready();
    }

    fn wait_ready(&mut self) {
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            if self.kubeconfig().exists()
                && std::net::TcpStream::connect(("127.0.0.1", self.port)).is_ok()
            {
                let out = self.kubectl(&["get", "--raw", "/readyz"]);
                if out.status.success() {
                    return;
                }
            }
            if let Some(status) = self
                .child
                .as_mut()
                .and_then(|c| c.try_wait().ok().flatten())
            {
                panic!("server exited with {status}: {}", self.log());
            }
            assert!(
                Instant::now() < deadline,
                "server not ready in 30s: {}",
                self.log()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("server.log")).unwrap_or_default()
    }

    /// Stops the server abruptly (SIGKILL), as a crash would.
    pub fn kill(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }

    pub fn restart(&mut self) {
        self.kill();
        self.launch();
    }

    /// Runs the newest kubectl available.
    pub fn kubectl(&self, args: &[&str]) -> Output {
        self.kubectl_with(&newest_kubectl(), args, None)
    }

    pub fn kubectl_with(&self, binary: &Path, args: &[&str], stdin: Option<&str>) -> Output {
        let cache = self.dir.path().join(format!(
            "kubecache-{}",
            binary.file_name().unwrap().to_string_lossy()
        ));
        let mut cmd = Command::new(binary);
        cmd.env("KUBECONFIG", self.kubeconfig())
            .env("HOME", self.dir.path())
            .arg(format!("--cache-dir={}", cache.display()))
            .args(args)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        run_with_stdin(&mut cmd, stdin)
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.kill();
    }
}

/// The kubectl binaries to test with: the oldest and newest of the versioned ones installed (Google
/// Cloud SDK layout), or whatever `kubectl` is on PATH.
pub fn kubectls() -> Vec<PathBuf> {
    let dir = Path::new("/usr/lib/google-cloud-sdk/bin");
    let mut versioned: Vec<(u32, PathBuf)> = std::fs::read_dir(dir)
        .map(|rd| {
            rd.filter_map(|e| e.ok())
                .filter_map(|e| {
                    let name = e.file_name().to_string_lossy().into_owned();
                    let minor = name.strip_prefix("kubectl.1.")?.parse().ok()?;
                    Some((minor, e.path()))
                })
                .collect()
        })
        .unwrap_or_default();
    versioned.sort();
    match (versioned.first(), versioned.last()) {
        (Some(a), Some(b)) if a.0 != b.0 => vec![a.1.clone(), b.1.clone()],
        (Some(a), _) => vec![a.1.clone()],
        _ => vec![which("kubectl").expect("no kubectl installed: run scripts/setup-deps.sh")],
    }
}

pub fn newest_kubectl() -> PathBuf {
    kubectls().pop().unwrap()
}

fn which(name: &str) -> Option<PathBuf> {
    std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .map(|p| p.join(name))
            .find(|p| p.exists())
    })
}

pub fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

pub fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// Asserts success and returns stdout.
#[track_caller]
pub fn ok(o: Output) -> String {
    assert!(
        o.status.success(),
        "command failed ({}):\nstdout: {}\nstderr: {}",
        o.status,
        stdout(&o),
        stderr(&o)
    );
    stdout(&o)
}

/// Asserts failure and returns stderr.
#[track_caller]
pub fn fails(o: Output) -> String {
    assert!(
        !o.status.success(),
        "command unexpectedly succeeded: {}",
        stdout(&o)
    );
    stderr(&o)
}

pub fn write_file(dir: &Path, name: &str, contents: &str) -> PathBuf {
    let p = dir.join(name);
    if let Some(parent) = p.parent() {
        std::fs::create_dir_all(parent).unwrap();
    }
    std::fs::write(&p, contents).unwrap();
    p
}

/// A raw HTTPS response.
pub struct Raw {
    pub status: u16,
    pub body: String,
    pub headers: String,
}

impl Raw {
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.body).unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.body))
    }
}

impl Server {
    /// Writes the admin client certificate and key (from the kubeconfig) for curl.
    fn client_files(&self) -> (PathBuf, PathBuf, PathBuf) {
        let dir = self.dir.path().join("curl");
        let (ca, cert, key) = (
            dir.join("ca.crt"),
            dir.join("admin.crt"),
            dir.join("admin.key"),
        );
        if !key.exists() {
            std::fs::create_dir_all(&dir).unwrap();
            let kc = std::fs::read_to_string(self.kubeconfig()).unwrap();
            let field = |name: &str| {
                let line = kc
                    .lines()
                    .find(|l| l.trim_start().starts_with(name))
                    .unwrap();
                let b64 = line.split_once(':').unwrap().1.trim();
                decode_b64(b64)
            };
            std::fs::write(&ca, field("certificate-authority-data")).unwrap();
            std::fs::write(&cert, field("client-certificate-data")).unwrap();
            std::fs::write(&key, field("client-key-data")).unwrap();
        }
        (ca, cert, key)
    }

    /// A request with curl, authenticated as admin unless `anonymous`.
    pub fn curl(
        &self,
        method: &str,
        path: &str,
        body: Option<(&str, &[u8])>,
        anonymous: bool,
    ) -> Raw {
        let (ca, cert, key) = self.client_files();
        let body_file = self.dir.path().join("curl-body");
        let mut cmd = Command::new("curl");
        cmd.args(["-sS", "-D", "-", "-X", method, "--cacert"])
            .arg(&ca)
            .arg(format!("https://127.0.0.1:{}{}", self.port, path));
        if !anonymous {
            cmd.arg("--cert").arg(&cert).arg("--key").arg(&key);
        }
        if let Some((content_type, data)) = body {
            std::fs::write(&body_file, data).unwrap();
            cmd.args([
                "-H",
                &format!("Content-Type: {content_type}"),
                "--data-binary",
            ])
            .arg(format!("@{}", body_file.display()));
        }
        let out = cmd
            .output()
            .expect("curl is installed (scripts/setup-deps.sh)");
        let text = String::from_utf8_lossy(&out.stdout).into_owned();
        let (headers, body) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
        let status = headers
            .lines()
            .next()
            .and_then(|l| l.split_whitespace().nth(1))
            .and_then(|c| c.parse().ok())
            .unwrap_or_else(|| {
                panic!(
                    "no HTTP status from curl: {text} {}",
                    String::from_utf8_lossy(&out.stderr)
                )
            });
        Raw {
            status,
            body: body.to_owned(),
            headers: headers.to_owned(),
        }
    }
}

fn decode_b64(s: &str) -> Vec<u8> {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = Vec::new();
    let mut acc = 0u32;
    let mut bits = 0;
    for c in s.bytes().filter(|c| *c != b'=') {
        let v = ALPHABET.iter().position(|a| *a == c).expect("base64") as u32;
        acc = (acc << 6) | v;
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
            acc &= (1 << bits) - 1;
        }
    }
    out
}

/// Another `capstan` process (simulated nodes, a scheduler…), killed when dropped.
pub struct Process {
    child: Child,
    pub log: PathBuf,
}

impl Process {
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    pub fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// Stops it abruptly (SIGKILL).
    pub fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Process {
    fn drop(&mut self) {
        self.kill();
    }
}

impl Server {
    /// Runs `capstan ARGS --kubeconfig <admin kubeconfig>` in the background.
    pub fn capstan(&self, args: &[&str]) -> Process {
        let log = self.dir.path().join(format!(
            "{}-{}.log",
            args.join("-").replace('/', "_"),
            free_port()
        ));
        let child = Command::new(env!("CARGO_BIN_EXE_capstan"))
            .args(args)
            .arg("--kubeconfig")
            .arg(self.kubeconfig())
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(&log).unwrap())
            .spawn()
            .expect("start capstan");
        Process { child, log }
    }

    /// Simulated nodes (`capstan sim nodes`), waiting until all `count` are Ready.
    pub fn sim_nodes(&self, count: usize, extra: &[&str]) -> Process {
        let prefix = extra
            .windows(2)
            .find(|w| w[0] == "--prefix")
            .map(|w| w[1].to_owned())
            .unwrap_or_else(|| "sim-".into());
        let count_arg = count.to_string();
        let mut args = vec!["sim", "nodes", "--count", &count_arg];
        args.extend_from_slice(extra);
        let process = self.capstan(&args);
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            let out = self.kubectl(&[
                "get",
                "nodes",
                "-l",
                "capstan.dev/simulated=true",
                "-o",
                "name",
            ]);
            let ready = stdout(&out)
                .lines()
                .filter(|l| l.starts_with(&format!("node/{prefix}")))
                .count();
            if ready >= count {
                return process;
            }
            assert!(
                Instant::now() < deadline,
                "simulated nodes not registered: {}",
                process.log()
            );
            std::thread::sleep(Duration::from_millis(200));
        }
    }
}

/// Polls `check` every 100 ms for up to `secs` seconds.
pub fn wait_until(secs: u64, what: &str, mut check: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(secs);
    while !check() {
        assert!(Instant::now() < deadline, "timed out waiting for: {what}");
        std::thread::sleep(Duration::from_millis(100));
    }
}
