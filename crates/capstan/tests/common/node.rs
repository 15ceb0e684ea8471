//! A whole node in a network namespace of its own: `capstan server` (with its in-process agent and
//! containerd, or with `--disable-agent` plus a separate `capstan agent`), and kubectl, all
//! started with `nsenter --net=/var/run/netns/NAME` so no bridge, route or rule of the pod network
//! ever appears on the host. Everything is cleaned up by PID and by the paths this node created.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};

use serde_json::Value;

use super::run_with_stdin;

static SEQ: AtomicU32 = AtomicU32::new(0);

pub const BUSYBOX_IMAGE: &str = "capstan.test/busybox:1";

/// Whether this machine can run real containers (root, containerd, runc, busybox).
pub fn runtime_available() -> bool {
    use std::os::unix::fs::MetadataExt;
    let root = std::fs::metadata("/proc/self")
        .map(|m| m.uid() == 0)
        .unwrap_or(false);
    root && Path::new("/bin/busybox").exists()
        && which("containerd")
        && Path::new("/usr/lib/cni/bridge").exists()
        && which("nsenter")
}

fn which(name: &str) -> bool {
    std::env::var_os("PATH")
        .map(|p| std::env::split_paths(&p).any(|d| d.join(name).exists()))
        .unwrap_or(false)
}

/// Builds the busybox test image (a docker archive) at `path`.
pub fn build_busybox(path: &Path, name: &str) {
    capstan_agent::image::archive::build_busybox_image(
        path,
        name,
        &capstan_agent::image::archive::ImageConfig {
            cmd: vec!["sh".into()],
            env: vec!["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin".into()],
            ..Default::default()
        },
        capstan_agent::image::archive::Format::Docker,
    )
    .expect("build the busybox image");
}

pub struct Node {
    pub dir: tempfile::TempDir,
    pub netns: String,
    /// API server port (inside the namespace).
    pub port: u16,
    pub kubelet_port: u16,
    server: Option<Child>,
    agent: Option<Child>,
    /// Extra server flags.
    server_args: Vec<String>,
    /// Run the agent as its own `capstan agent` process.
    separate_agent: bool,
    /// A second node's namespace, joined to this one by a veth pair (see `start_lan`).
    peer: Option<Peer>,
    /// Where the API server listens (all addresses when a peer must reach it).
    bind_address: &'static str,
}

/// The second node of a two-node test: its own network namespace and `capstan agent`.
struct Peer {
    netns: String,
    agent: Option<Child>,
}

/// Addresses of the two ends of the veth pair `start_lan` creates (`lan0` on both sides).
pub const LAN_SERVER_IP: &str = "10.99.0.1";
pub const LAN_PEER_IP: &str = "10.99.0.2";

impl Node {
    /// A server with its in-process agent, in a fresh network namespace.
    pub fn start() -> Node {
        Self::start_with(false, |_| {})
    }

    /// A server with its in-process agent and extra server flags (node flags included).
    pub fn start_args(args: &[&str]) -> Node {
        Self::start_full(false, args, |_| {})
    }

    /// `separate_agent`: the server runs with --disable-agent and a `capstan agent` process joins
    /// with the node token. `prepare` can put files in the agent's data dir before anything starts.
    pub fn start_with(separate_agent: bool, prepare: impl FnOnce(&Path)) -> Node {
        Self::start_full(separate_agent, &[], prepare)
    }

    /// A server with its in-process agent whose namespace shares a network segment
    /// (10.99.0.0/24 on `lan0`) with a second, empty namespace; `join_peer` starts a second
    /// node's agent there.
    pub fn start_lan() -> Node {
        Self::start_inner(false, &[], true, |_| {})
    }

    fn start_full(separate_agent: bool, args: &[&str], prepare: impl FnOnce(&Path)) -> Node {
        Self::start_inner(separate_agent, args, false, prepare)
    }

    fn start_inner(
        separate_agent: bool,
        args: &[&str],
        lan: bool,
        prepare: impl FnOnce(&Path),
    ) -> Node {
        let netns = format!(
            "capt-{}-{}",
            std::process::id(),
            SEQ.fetch_add(1, Ordering::Relaxed)
        );
        let st = Command::new("ip")
            .args(["netns", "add", &netns])
            .status()
            .expect("ip netns add");
        assert!(st.success(), "ip netns add {netns} failed");
        let st = Command::new("ip")
            .args(["-n", &netns, "link", "set", "lo", "up"])
            .status()
            .expect("ip link set lo up");
        assert!(st.success());
        let mut node = Node {
            dir: tempfile::tempdir().unwrap(),
            netns,
            port: 6443,
            kubelet_port: 10250,
            server: None,
            agent: None,
            server_args: args.iter().map(|a| a.to_string()).collect(),
            separate_agent,
            peer: None,
            bind_address: "127.0.0.1",
        };
        if lan {
            node.make_lan();
        }
        std::fs::create_dir_all(node.agent_data_dir().join("agent").join("images")).unwrap();
        prepare(&node.agent_data_dir());
        node.launch_server();
        if separate_agent {
            node.launch_agent();
        }
        node.wait_node_ready();
        node
    }

    /// Creates the peer namespace and the veth pair between the two.
    fn make_lan(&mut self) {
        let peer = format!("{}-b", self.netns);
        let ip = |args: &[&str]| {
            let st = Command::new("ip").args(args).status().expect("run ip");
            assert!(st.success(), "ip {args:?} failed");
        };
        ip(&["netns", "add", &peer]);
        self.peer = Some(Peer {
            netns: peer.clone(),
            agent: None,
        });
        ip(&["-n", &peer, "link", "set", "lo", "up"]);
        ip(&[
            "link",
            "add",
            "lan0",
            "netns",
            &self.netns,
            "type",
            "veth",
            "peer",
            "name",
            "lan0",
            "netns",
            &peer,
        ]);
        for (ns, addr) in [(&self.netns, LAN_SERVER_IP), (&peer, LAN_PEER_IP)] {
            ip(&[
                "-n",
                ns,
                "addr",
                "add",
                &format!("{addr}/24"),
                "dev",
                "lan0",
            ]);
            ip(&["-n", ns, "link", "set", "lan0", "up"]);
        }
        // The API server must be reachable from the peer.
        self.bind_address = "0.0.0.0";
    }

    fn peer_data_dir(&self) -> PathBuf {
        self.dir.path().join("peerdata")
    }

    fn peer_containerd_socket(&self) -> PathBuf {
        self.peer_data_dir()
            .join("agent")
            .join("containerd")
            .join("containerd.sock")
    }

    /// Starts a second node, `node2`, in the peer namespace (`start_lan`), with the busybox
    /// image in its air-gap directory, and waits until it is Ready.
    pub fn join_peer(&mut self) {
        let netns = self.peer.as_ref().expect("start_lan first").netns.clone();
        let images = self.peer_data_dir().join("agent").join("images");
        std::fs::create_dir_all(&images).unwrap();
        build_busybox(&images.join("busybox.tar"), BUSYBOX_IMAGE);
        let child = Command::new("nsenter")
            .arg(format!("--net=/var/run/netns/{netns}"))
            .arg(env!("CARGO_BIN_EXE_capstan"))
            .arg("agent")
            .args([
                "--server",
                &format!("https://{LAN_SERVER_IP}:{}", self.port),
            ])
            .arg("--token-file")
            .arg(self.data_dir().join("node-token"))
            .arg("--data-dir")
            .arg(self.peer_data_dir())
            .args(["--node-name", "node2", "--node-ip", LAN_PEER_IP])
            .env("CAPSTAN_LOG", "info")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(self.log_file("peer-agent.log"))
            .spawn()
            .expect("start the peer's capstan agent");
        self.peer.as_mut().expect("start_lan first").agent = Some(child);
        self.wait_named_node_ready("node2", Duration::from_secs(90));
    }

    pub fn data_dir(&self) -> PathBuf {
        self.dir.path().join("data")
    }

    pub fn kubeconfig(&self) -> PathBuf {
        self.data_dir().join("admin.kubeconfig")
    }

    fn nsenter(&self) -> Command {
        let mut c = Command::new("nsenter");
        c.arg(format!("--net=/var/run/netns/{}", self.netns));
        c
    }

    fn log_file(&self, name: &str) -> std::fs::File {
        std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(self.dir.path().join(name))
            .unwrap()
    }

    fn launch_server(&mut self) {
        let mut cmd = self.nsenter();
        cmd.arg(env!("CARGO_BIN_EXE_capstan"))
            .arg("server")
            .arg("--data-dir")
            .arg(self.data_dir())
            .args([
                "--https-port",
                &self.port.to_string(),
                "--bind-address",
                self.bind_address,
                "--kubelet-port",
                &self.kubelet_port.to_string(),
                "--node-name",
                "node1",
            ])
            .args(&self.server_args);
        if self.separate_agent {
            cmd.arg("--disable-agent");
        }
        let child = cmd
            .env("CAPSTAN_LOG", "info")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(self.log_file("server.log"))
            .spawn()
            .expect("start capstan server");
        self.server = Some(child);
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            if self.kubeconfig().exists()
                && self.data_dir().join("node-token").exists()
                && self.kubectl(&["get", "--raw", "/readyz"]).status.success()
            {
                return;
            }
            if let Some(st) = self
                .server
                .as_mut()
                .and_then(|c| c.try_wait().ok().flatten())
            {
                panic!("server exited with {st}: {}", self.log("server.log"));
            }
            assert!(
                Instant::now() < deadline,
                "server not ready: {}",
                self.log("server.log")
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    pub fn launch_agent(&mut self) {
        let child = self
            .nsenter()
            .arg(env!("CARGO_BIN_EXE_capstan"))
            .arg("agent")
            .args(["--server", &format!("https://127.0.0.1:{}", self.port)])
            .arg("--token-file")
            .arg(self.data_dir().join("node-token"))
            .arg("--data-dir")
            .arg(self.dir.path().join("agentdata"))
            .args([
                "--kubelet-port",
                &self.kubelet_port.to_string(),
                "--node-name",
                "node1",
            ])
            .env("CAPSTAN_LOG", "info")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(self.log_file("agent.log"))
            .spawn()
            .expect("start capstan agent");
        self.agent = Some(child);
    }

    /// The agent's data dir (the server's when the agent runs in-process).
    pub fn agent_data_dir(&self) -> PathBuf {
        if self.separate_agent {
            self.dir.path().join("agentdata")
        } else {
            self.data_dir()
        }
    }

    pub fn log(&self, name: &str) -> String {
        std::fs::read_to_string(self.dir.path().join(name)).unwrap_or_default()
    }

    pub fn logs(&self) -> String {
        format!(
            "--- server.log:\n{}\n--- agent.log:\n{}",
            tail(&self.log("server.log"), 60),
            tail(&self.log("agent.log"), 60)
        )
    }

    /// Waits until the node is Ready and has its pod network.
    pub fn wait_node_ready(&self) {
        self.wait_named_node_ready("node1", Duration::from_secs(60));
    }

    /// Waits until the node is Ready and has its pod range.
    fn wait_named_node_ready(&self, name: &str, timeout: Duration) {
        self.wait_for(timeout, &format!("{name} Ready"), || {
            let v = self.get_json(&["get", "node", name])?;
            let ready = v["status"]["conditions"]
                .as_array()?
                .iter()
                .any(|c| c["type"] == "Ready" && c["status"] == "True");
            let cidr = v["spec"]["podCIDR"].as_str().is_some();
            (ready && cidr).then_some(())
        });
    }

    pub fn kill_server(&mut self) {
        if let Some(mut c) = self.server.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }

    /// SIGTERM to the server; panics unless it (and its agent and containerd) exits within 20 s.
    pub fn stop_server_gracefully(&mut self) {
        let Some(mut c) = self.server.take() else {
            return;
        };
        unsafe { kill(c.id() as i32, 15) };
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            if let Ok(Some(_)) = c.try_wait() {
                break;
            }
            if Instant::now() > deadline {
                let _ = c.kill();
                let _ = c.wait();
                panic!("server ignored SIGTERM for 20 s\n{}", self.logs());
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        let socket = self.containerd_socket();
        let config = socket.with_file_name("config.toml");
        let config = config.to_string_lossy();
        let left = processes().into_iter().any(|(_, _, argv)| {
            argv.first().is_some_and(|a| a.ends_with("containerd"))
                && argv.iter().any(|a| a == config.as_ref())
        });
        assert!(!left, "containerd still running after the server stopped");
    }

    pub fn restart_server(&mut self) {
        self.kill_server();
        self.launch_server();
    }

    pub fn kill_agent(&mut self) {
        if let Some(mut c) = self.agent.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }

    pub fn kubectl(&self, args: &[&str]) -> Output {
        self.kubectl_stdin(args, None)
    }

    pub fn kubectl_stdin(&self, args: &[&str], stdin: Option<&str>) -> Output {
        let mut cmd = self.nsenter();
        cmd.arg(super::newest_kubectl())
            .env("KUBECONFIG", self.kubeconfig())
            .env("HOME", self.dir.path())
            .arg(format!(
                "--cache-dir={}",
                self.dir.path().join("kubecache").display()
            ))
            .args(args)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        run_with_stdin(&mut cmd, stdin)
    }

    /// `kubectl apply -f -`; panics with the logs when it fails.
    pub fn apply(&self, yaml: &str) {
        let out = self.kubectl_stdin(&["apply", "-f", "-"], Some(yaml));
        assert!(
            out.status.success(),
            "kubectl apply failed: {}\n{yaml}",
            String::from_utf8_lossy(&out.stderr)
        );
    }

    pub fn get_json(&self, args: &[&str]) -> Option<Value> {
        let mut a = args.to_vec();
        a.extend(["-o", "json"]);
        let out = self.kubectl(&a);
        if !out.status.success() {
            return None;
        }
        serde_json::from_slice(&out.stdout).ok()
    }

    pub fn pod(&self, name: &str) -> Value {
        self.get_json(&["get", "pod", name]).unwrap_or(Value::Null)
    }

    /// Polls `f` every 200 ms until it returns Some, or panics after `timeout` with the logs.
    pub fn wait_for<T>(
        &self,
        timeout: Duration,
        what: &str,
        mut f: impl FnMut() -> Option<T>,
    ) -> T {
        let deadline = Instant::now() + timeout;
        loop {
            if let Some(v) = f() {
                return v;
            }
            if Instant::now() > deadline {
                panic!("timed out waiting for {what}\n{}", self.logs());
            }
            std::thread::sleep(Duration::from_millis(200));
        }
    }

    /// Waits until the pod is Running with all containers ready; returns it.
    pub fn wait_running(&self, name: &str) -> Value {
        self.wait_for(
            Duration::from_secs(60),
            &format!("pod {name} running"),
            || {
                let p = self.pod(name);
                let running = p["status"]["phase"] == "Running";
                let ready = p["status"]["conditions"]
                    .as_array()?
                    .iter()
                    .any(|c| c["type"] == "Ready" && c["status"] == "True");
                (running && ready).then_some(p)
            },
        )
    }

    /// Imports the busybox image with `capstan images import` through the agent's socket.
    pub fn import_busybox(&self) {
        let tar = self.dir.path().join("busybox.tar");
        build_busybox(&tar, BUSYBOX_IMAGE);
        let out = Command::new(env!("CARGO_BIN_EXE_capstan"))
            .args(["images", "import"])
            .arg(&tar)
            .arg("--data-dir")
            .arg(self.agent_data_dir())
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "capstan images import: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }

    /// `capstan images list` output.
    pub fn images(&self) -> String {
        let out = Command::new(env!("CARGO_BIN_EXE_capstan"))
            .args(["images", "list", "--data-dir"])
            .arg(self.agent_data_dir())
            .output()
            .unwrap();
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// GET on the agent's HTTPS endpoint from inside the namespace (curl, no verification, like
    /// the API server); `token` is sent as a bearer token. Returns (status, body).
    pub fn kubelet_get(&self, path: &str, token: Option<&str>) -> (u16, String) {
        let mut cmd = self.nsenter();
        cmd.args(["curl", "-sk", "--max-time", "10", "-w", "\n%{http_code}"]);
        if let Some(t) = token {
            cmd.args(["-H", &format!("Authorization: Bearer {t}")]);
        }
        let out = cmd
            .arg(format!("https://127.0.0.1:{}{path}", self.kubelet_port))
            .output()
            .expect("run curl");
        let text = String::from_utf8_lossy(&out.stdout).into_owned();
        let (body, code) = text.rsplit_once('\n').unwrap_or(("", &text));
        (code.trim().parse().unwrap_or(0), body.to_owned())
    }

    /// PID of the separate `capstan agent` process (nsenter execs it, so the PID is the agent's).
    /// Runs a command inside the node's network namespace and waits for it.
    pub fn run_in_netns(&self, program: &str, args: &[&str]) -> Output {
        self.nsenter()
            .arg(program)
            .args(args)
            .output()
            .unwrap_or_else(|e| panic!("run {program}: {e}"))
    }

    /// Starts a daemon inside the node's network namespace, its output in `log` under the node's
    /// directory; the caller stops it.
    pub fn spawn_in_netns(&self, program: &str, args: &[&str], log: &str) -> Child {
        self.nsenter()
            .arg(program)
            .args(args)
            .stdin(Stdio::null())
            .stdout(self.log_file(log))
            .stderr(self.log_file(log))
            .spawn()
            .unwrap_or_else(|e| panic!("start {program}: {e}"))
    }

    pub fn agent_pid(&self) -> Option<u32> {
        self.agent.as_ref().map(Child::id)
    }

    /// Moves the calling thread (and threads it starts later) into this node's network namespace.
    pub fn enter_netns(&self) {
        enter_netns_named(&self.netns);
    }

    /// The peer's namespace (`start_lan`), for `enter_netns_named` on another thread.
    pub fn peer_netns(&self) -> String {
        self.peer.as_ref().expect("start_lan first").netns.clone()
    }

    pub fn node_token(&self) -> String {
        std::fs::read_to_string(self.data_dir().join("node-token"))
            .unwrap()
            .trim()
            .to_owned()
    }

    /// IDs of the containers (sandboxes included) in the runtime's k8s.io namespace.
    pub fn runtime_containers(&self) -> Vec<String> {
        containers_at(&self.containerd_socket())
    }

    /// Kills the container shims of this node's containerd and everything under them.
    fn kill_shims(&self) {
        kill_shims_of(&self.containerd_socket());
    }
}

/// IDs of the containers (sandboxes included) in the k8s.io namespace of the containerd at
/// `socket`.
fn containers_at(socket: &Path) -> Vec<String> {
    let out = Command::new("ctr")
        .arg("--address")
        .arg(socket)
        .args(["-n", "k8s.io", "containers", "ls", "-q"])
        .output()
        .expect("run ctr");
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(str::to_owned)
        .filter(|l| !l.is_empty())
        .collect()
}

/// Kills the container shims of the containerd at `socket` and everything under them.
fn kill_shims_of(socket: &Path) {
    let socket = socket.to_string_lossy().into_owned();
    let procs = processes();
    let shims: Vec<u32> = procs
        .iter()
        .filter(|(_, _, cmd)| {
            cmd.first().is_some_and(|c| c.contains("containerd-shim"))
                && cmd.iter().any(|a| a == &socket)
        })
        .map(|(pid, _, _)| *pid)
        .collect();
    let mut netns_inodes = std::collections::HashSet::new();
    for shim in shims {
        let mut victims = descendants(&procs, shim);
        victims.push(shim);
        for pid in victims {
            if let Ok(link) = std::fs::read_link(format!("/proc/{pid}/ns/net")) {
                netns_inodes.insert(link.to_string_lossy().into_owned());
            }
            unsafe { kill(pid as i32, 9) };
        }
    }
    // Pod network namespaces (containerd's /var/run/netns/cni-…) of the killed sandboxes.
    use std::os::unix::fs::MetadataExt;
    let Ok(dir) = std::fs::read_dir("/var/run/netns") else {
        return;
    };
    for e in dir.flatten() {
        let name = e.file_name().to_string_lossy().into_owned();
        if !name.starts_with("cni-") {
            continue;
        }
        let Ok(meta) = std::fs::metadata(e.path()) else {
            continue;
        };
        if netns_inodes.contains(&format!("net:[{}]", meta.ino())) {
            let _ = Command::new("ip").args(["netns", "delete", &name]).status();
        }
    }
}

impl Node {
    fn containerd_socket(&self) -> PathBuf {
        self.agent_data_dir()
            .join("agent")
            .join("containerd")
            .join("containerd.sock")
    }

    /// Waits (up to `timeout`) until the runtime holds no container: the agent has torn every
    /// sandbox down (network namespaces included).
    fn wait_runtime_empty(&self, timeout: Duration) {
        if !self.containerd_socket().exists() {
            return;
        }
        let deadline = Instant::now() + timeout;
        while Instant::now() < deadline && !self.runtime_containers().is_empty() {
            std::thread::sleep(Duration::from_millis(200));
        }
    }

    /// Deletes every pod (so the agent tears sandboxes and their network namespaces down).
    fn delete_pods(&self) {
        if self.server.is_none() {
            return;
        }
        let _ = self.kubectl(&[
            "delete",
            "pods",
            "--all",
            "--all-namespaces",
            "--grace-period=1",
            "--wait=true",
            "--timeout=30s",
        ]);
    }
}

/// Moves the calling thread (and threads it starts later) into the named network namespace.
pub fn enter_netns_named(netns: &str) {
    let f = std::fs::File::open(format!("/var/run/netns/{netns}")).unwrap();
    use std::os::fd::AsRawFd;
    // CLONE_NEWNET
    let rc = unsafe { setns(f.as_raw_fd(), 0x4000_0000) };
    assert_eq!(rc, 0, "setns into {netns}");
}

unsafe extern "C" {
    fn setns(fd: i32, nstype: i32) -> i32;
    fn kill(pid: i32, sig: i32) -> i32;
    fn umount2(target: *const std::ffi::c_char, flags: i32) -> i32;
}

fn tail(s: &str, n: usize) -> String {
    let lines: Vec<&str> = s.lines().collect();
    lines[lines.len().saturating_sub(n)..].join("\n")
}

/// (pid, ppid, argv) of every process.
fn processes() -> Vec<(u32, u32, Vec<String>)> {
    let mut out = Vec::new();
    let Ok(dir) = std::fs::read_dir("/proc") else {
        return out;
    };
    for e in dir.flatten() {
        let Ok(pid) = e.file_name().to_string_lossy().parse::<u32>() else {
            continue;
        };
        let stat = std::fs::read_to_string(e.path().join("stat")).unwrap_or_default();
        let ppid = stat
            .rsplit_once(')')
            .and_then(|(_, rest)| rest.split_whitespace().nth(1))
            .and_then(|p| p.parse().ok())
            .unwrap_or(0);
        let cmd = std::fs::read(e.path().join("cmdline")).unwrap_or_default();
        let argv = cmd
            .split(|b| *b == 0)
            .filter(|a| !a.is_empty())
            .map(|a| String::from_utf8_lossy(a).into_owned())
            .collect();
        out.push((pid, ppid, argv));
    }
    out
}

fn descendants(procs: &[(u32, u32, Vec<String>)], root: u32) -> Vec<u32> {
    let mut out = Vec::new();
    let mut stack = vec![root];
    while let Some(p) = stack.pop() {
        for (pid, ppid, _) in procs {
            if *ppid == p {
                out.push(*pid);
                stack.push(*pid);
            }
        }
    }
    out
}

/// Mount points under `dir`, deepest first.
fn mounts_under(dir: &Path) -> Vec<String> {
    let text = std::fs::read_to_string("/proc/self/mountinfo").unwrap_or_default();
    let prefix = dir.to_string_lossy().into_owned();
    let mut m: Vec<String> = text
        .lines()
        .filter_map(|l| l.split(' ').nth(4))
        .map(|p| p.replace("\\040", " "))
        .filter(|p| p.starts_with(&prefix))
        .collect();
    m.sort_by_key(|p| std::cmp::Reverse(p.len()));
    m
}

impl Drop for Node {
    fn drop(&mut self) {
        self.delete_pods();
        if self.server.is_some() && (self.agent.is_some() || !self.separate_agent) {
            self.wait_runtime_empty(Duration::from_secs(60));
        }
        if let Some(mut peer) = self.peer.take() {
            let socket = self.peer_containerd_socket();
            let deadline = Instant::now() + Duration::from_secs(60);
            while peer.agent.is_some()
                && socket.exists()
                && Instant::now() < deadline
                && !containers_at(&socket).is_empty()
            {
                std::thread::sleep(Duration::from_millis(200));
            }
            if let Some(mut agent) = peer.agent.take() {
                let _ = agent.kill();
                let _ = agent.wait();
            }
            kill_shims_of(&socket);
            let _ = Command::new("ip")
                .args(["netns", "delete", &peer.netns])
                .status();
        }
        self.kill_agent();
        self.kill_server();
        self.kill_shims();
        for m in mounts_under(self.dir.path()) {
            if let Ok(c) = std::ffi::CString::new(m) {
                unsafe { umount2(c.as_ptr(), 2) };
            }
        }
        let _ = Command::new("ip")
            .args(["netns", "delete", &self.netns])
            .status();
    }
}
