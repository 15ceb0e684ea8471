//! Test harness: a real `capstan server --disable-agent` process on a free port with its own data
//! dir, the controllers running against it, and a kube client for the test's own requests.

#![allow(dead_code)]

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use capstan_controllers::ControllerConfig;
use kube::Client;
use kube::config::{KubeConfigOptions, Kubeconfig};

pub struct Server {
    pub dir: tempfile::TempDir,
    pub port: u16,
    child: Child,
    controllers: Option<tokio::task::JoinHandle<()>>,
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// The capstan binary: `CAPSTAN_BIN`, or the workspace's debug build, brought up to date once.
fn capstan_binary() -> PathBuf {
    static BIN: OnceLock<PathBuf> = OnceLock::new();
    BIN.get_or_init(|| {
        if let Some(bin) = std::env::var_os("CAPSTAN_BIN") {
            return PathBuf::from(bin);
        }
        let target = std::env::var_os("CARGO_TARGET_DIR")
            .map(PathBuf::from)
            .unwrap_or_else(|| workspace_root().join("target"));
        let bin = target.join("debug").join("capstan");
        let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
        let mut build = Command::new(cargo);
        // The variables cargo sets for this test would make the nested build look like a
        // different one and rebuild shared dependencies.
        for (key, _) in std::env::vars_os() {
            let key = key.to_string_lossy();
            if (key.starts_with("CARGO_") && key != "CARGO_HOME" && key != "CARGO_TARGET_DIR")
                || key == "OUT_DIR"
            {
                build.env_remove(key.as_ref());
            }
        }
        let built = build
            .args(["build", "-p", "capstan", "--quiet"])
            .current_dir(workspace_root())
            .status()
            .is_ok_and(|s| s.success());
        // A workspace mid-edit may not build; an earlier binary still serves.
        assert!(
            built || bin.exists(),
            "cargo build -p capstan failed and no binary at {}",
            bin.display()
        );
        if !built {
            eprintln!(
                "warning: cargo build -p capstan failed; testing the existing {}",
                bin.display()
            );
        }
        bin
    })
    .clone()
}

pub fn init_tracing() {
    let _ = tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| "capstan_controllers=info".into()),
        )
        .with_test_writer()
        .try_init();
}

impl Server {
    /// Starts the server, waits for `/readyz`, and starts the controllers against it.
    pub async fn start() -> Server {
        init_tracing();
        let _ = rustls::crypto::ring::default_provider().install_default();
        let dir = tempfile::tempdir().unwrap();
        let port = free_port();
        let log = std::fs::File::create(dir.path().join("server.log")).unwrap();
        let child = Command::new(capstan_binary())
            .arg("server")
            .arg("--data-dir")
            .arg(dir.path().join("data"))
            .args([
                "--https-port",
                &port.to_string(),
                "--bind-address",
                "127.0.0.1",
            ])
            .arg("--disable-agent")
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .expect("start capstan server");
        let mut server = Server {
            dir,
            port,
            child,
            controllers: None,
        };
        server.wait_ready().await;
        let mut config = ControllerConfig::new(server.kubeconfig(), server.ca_pem());
        config.namespace_deletion_delay = Duration::from_millis(500);
        server.controllers = Some(tokio::spawn(async move {
            if let Err(e) = capstan_controllers::run(config).await {
                panic!("controllers stopped: {e}");
            }
        }));
        server
    }

    pub fn kubeconfig(&self) -> PathBuf {
        self.dir.path().join("data/admin.kubeconfig")
    }

    pub fn ca_pem(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("data/tls/ca.crt")).unwrap()
    }

    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("server.log")).unwrap_or_default()
    }

    pub async fn client(&self) -> Client {
        let kubeconfig = Kubeconfig::read_from(self.kubeconfig()).unwrap();
        let config =
            kube::Config::from_custom_kubeconfig(kubeconfig, &KubeConfigOptions::default())
                .await
                .unwrap();
        Client::try_from(config).unwrap()
    }

    async fn wait_ready(&mut self) {
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            if self.kubeconfig().exists() {
                let client = self.client().await;
                let req = http::Request::get("/readyz").body(Vec::new()).unwrap();
                if client.request_text(req).await.is_ok() {
                    return;
                }
            }
            if let Ok(Some(status)) = self.child.try_wait() {
                panic!("server exited with {status}: {}", self.log());
            }
            assert!(
                Instant::now() < deadline,
                "server not ready in 30s: {}",
                self.log()
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Some(c) = self.controllers.take() {
            c.abort();
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Polls `check` until it returns Some, or fails the test after `timeout`.
pub async fn eventually<T, F, Fut>(what: &str, timeout: Duration, mut check: F) -> T
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Option<T>>,
{
    let deadline = Instant::now() + timeout;
    loop {
        if let Some(v) = check().await {
            return v;
        }
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}
