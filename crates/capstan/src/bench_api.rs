//! `capstan bench apiserver`: a real `capstan server` process driven over HTTPS/HTTP2 with the admin
//! certificate: pod creates at 64 concurrent clients, get/update/list latencies, a LIST of every pod,
//! watch fan-out, and the server's memory idle and loaded.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, anyhow, bail};
use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::client::conn::http2::SendRequest;
use hyper_util::rt::{TokioExecutor, TokioIo};
use serde_json::{Value, json};

#[derive(Debug, Clone)]
pub struct ApiBenchOptions {
    pub pods: usize,
    pub clients: usize,
    pub connections: usize,
    pub watchers: usize,
    pub samples: usize,
    pub dir: Option<PathBuf>,
}

/// The server process under test.
pub(crate) struct ServerProcess {
    pub child: Child,
    pub data_dir: PathBuf,
    pub port: u16,
}

impl Drop for ServerProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub(crate) fn free_port() -> Result<u16> {
    Ok(std::net::TcpListener::bind("127.0.0.1:0")?
        .local_addr()?
        .port())
}

pub(crate) fn rss_kib(pid: u32) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmRSS:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|v| v.parse().ok())
        })
        .unwrap_or(0)
}

/// CPU time (user + system) the process has used, from /proc.
pub(crate) fn cpu_seconds(pid: u32) -> f64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    // Fields after the command name (which may contain spaces) start after the last ')'.
    let rest = stat.rsplit_once(')').map(|x| x.1).unwrap_or("");
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let ticks = |i: usize| {
        fields
            .get(i)
            .and_then(|v| v.parse::<f64>().ok())
            .unwrap_or(0.0)
    };
    // utime and stime are fields 14 and 15 of the whole line: 11 and 12 after the name.
    (ticks(11) + ticks(12)) / 100.0
}

pub(crate) fn start_server(dir: &Path, extra: &[&str]) -> Result<ServerProcess> {
    let port = free_port()?;
    let data_dir = dir.join("data");
    let log = std::fs::File::create(dir.join("server.log"))?;
    let child = Command::new(std::env::current_exe()?)
        .arg("server")
        .arg("--data-dir")
        .arg(&data_dir)
        .args([
            "--https-port",
            &port.to_string(),
            "--bind-address",
            "127.0.0.1",
            "--disable-agent",
        ])
        .args(extra)
        .stdout(Stdio::null())
        .stderr(log)
        .spawn()
        .context("cannot start capstan server")?;
    Ok(ServerProcess {
        child,
        data_dir,
        port,
    })
}

/// HTTP/2 connections authenticated with the admin certificate from the kubeconfig.
#[derive(Clone)]
pub(crate) struct Client {
    conns: Arc<Vec<SendRequest<Full<Bytes>>>>,
    authority: String,
}

fn kubeconfig_field(kc: &str, name: &str) -> Result<Vec<u8>> {
    use base64::Engine;
    let line = kc
        .lines()
        .find(|l| l.trim_start().starts_with(name))
        .ok_or_else(|| anyhow!("kubeconfig has no {name}"))?;
    let b64 = line.split_once(':').map(|x| x.1.trim()).unwrap_or("");
    Ok(base64::engine::general_purpose::STANDARD.decode(b64)?)
}

impl Client {
    pub(crate) async fn connect(
        port: u16,
        kubeconfig: &Path,
        connections: usize,
    ) -> Result<Client> {
        use rustls::pki_types::pem::PemObject;
        use rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName};
        let kc = std::fs::read_to_string(kubeconfig)?;
        let ca = kubeconfig_field(&kc, "certificate-authority-data")?;
        let cert = kubeconfig_field(&kc, "client-certificate-data")?;
        let key = kubeconfig_field(&kc, "client-key-data")?;
        let mut roots = rustls::RootCertStore::empty();
        for c in CertificateDer::pem_slice_iter(&ca) {
            roots.add(c?)?;
        }
        let chain: Vec<CertificateDer<'static>> =
            CertificateDer::pem_slice_iter(&cert).collect::<Result<_, _>>()?;
        let key = PrivateKeyDer::from_pem_slice(&key)?;
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let mut config = rustls::ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()?
            .with_root_certificates(roots)
            .with_client_auth_cert(chain, key)?;
        config.alpn_protocols = vec![b"h2".to_vec()];
        let connector = tokio_rustls::TlsConnector::from(Arc::new(config));
        let mut conns = Vec::new();
        for _ in 0..connections {
            let tcp = tokio::net::TcpStream::connect(("127.0.0.1", port)).await?;
            tcp.set_nodelay(true)?;
            let tls = connector
                .connect(ServerName::try_from("localhost")?, tcp)
                .await?;
            let (send, conn) = hyper::client::conn::http2::Builder::new(TokioExecutor::new())
                .handshake(TokioIo::new(tls))
                .await?;
            tokio::spawn(conn);
            conns.push(send);
        }
        Ok(Client {
            conns: Arc::new(conns),
            authority: format!("127.0.0.1:{port}"),
        })
    }

    pub(crate) async fn request(
        &self,
        n: usize,
        method: &str,
        path: &str,
        body: Option<Bytes>,
    ) -> Result<(u16, Bytes)> {
        let mut send = self.conns[n % self.conns.len()].clone();
        send.ready().await?;
        let req = http::Request::builder()
            .method(method)
            .uri(format!("https://{}{}", self.authority, path))
            .header("content-type", "application/json")
            .body(Full::new(body.unwrap_or_default()))?;
        let resp = send.send_request(req).await?;
        let status = resp.status().as_u16();
        let body = resp.into_body().collect().await?.to_bytes();
        Ok((status, body))
    }
}

pub(crate) fn percentile(sorted: &[Duration], q: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    sorted[((sorted.len() as f64 * q) as usize).min(sorted.len() - 1)]
}

pub(crate) fn ms(d: Duration) -> String {
    format!("{:.2} ms", d.as_secs_f64() * 1000.0)
}

fn report(name: &str, mut samples: Vec<Duration>) {
    samples.sort();
    println!(
        "{name:<8} p50 {:>9}  p99 {:>9}  ({} requests)",
        ms(percentile(&samples, 0.5)),
        ms(percentile(&samples, 0.99)),
        samples.len()
    );
}

/// A pod manifest of about 2 KiB.
fn pod(i: usize) -> Bytes {
    let padding = "x".repeat(1200);
    Bytes::from(
        json!({
            "apiVersion": "v1", "kind": "Pod",
            "metadata": {"name": format!("bench-{i:06}"), "labels": {"app": "bench", "shard": (i % 16).to_string()},
                         "annotations": {"bench.capstan.dev/padding": padding}},
            "spec": {"containers": [{"name": "main", "image": "registry.local/bench:1.0",
                     "command": ["sleep", "3600"], "ports": [{"containerPort": 8080}],
                     "resources": {"requests": {"cpu": "10m", "memory": "16Mi"}}}]}
        })
        .to_string(),
    )
}

const PODS: &str = "/api/v1/namespaces/default/pods";

pub async fn run(opts: ApiBenchOptions) -> Result<()> {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let tmp = tempdir_in(opts.dir.as_deref(), "api")?;
    // The API server alone: a scheduler would write status and events for every pending pod.
    let server = start_server(&tmp, &["--disable-scheduler"])?;
    let started = Instant::now();
    let client = connect_ready(&server, &tmp, opts.connections).await?;
    println!(
        "API server ready {:.0} ms after start",
        started.elapsed().as_secs_f64() * 1000.0
    );
    tokio::time::sleep(Duration::from_secs(2)).await;
    let pid = server.child.id();
    println!("server RSS idle: {:.1} MiB", rss_kib(pid) as f64 / 1024.0);

    // Creates.
    let cpu_before = cpu_seconds(pid);
    let begin = Instant::now();
    let next = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let mut tasks = Vec::new();
    for w in 0..opts.clients {
        let client = client.clone();
        let next = next.clone();
        let total = opts.pods;
        tasks.push(tokio::spawn(async move {
            let mut lat = Vec::new();
            loop {
                let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                if i >= total {
                    break;
                }
                let t = Instant::now();
                let (status, body) = client.request(w, "POST", PODS, Some(pod(i))).await?;
                if status != 201 {
                    bail!(
                        "create failed with {status}: {}",
                        String::from_utf8_lossy(&body)
                    );
                }
                lat.push(t.elapsed());
            }
            Ok::<_, anyhow::Error>(lat)
        }));
    }
    let mut creates = Vec::new();
    for t in tasks {
        creates.extend(t.await??);
    }
    let elapsed = begin.elapsed();
    println!(
        "created {} pods (~2 KiB) with {} clients in {:.2} s: {:.0} creates/s",
        opts.pods,
        opts.clients,
        elapsed.as_secs_f64(),
        opts.pods as f64 / elapsed.as_secs_f64()
    );
    let server_cpu = cpu_seconds(pid) - cpu_before;
    println!(
        "server CPU during creates: {:.2} s ({:.0} µs per create, {:.2} cores busy; the rest of the machine ran the client)",
        server_cpu,
        server_cpu * 1e6 / opts.pods as f64,
        server_cpu / elapsed.as_secs_f64()
    );
    report("create", creates);

    // Gets and updates of random pods.
    let mut gets = Vec::new();
    let mut updates = Vec::new();
    for s in 0..opts.samples {
        let name = format!("bench-{:06}", (s * 7919) % opts.pods);
        let t = Instant::now();
        let (status, body) = client
            .request(s, "GET", &format!("{PODS}/{name}"), None)
            .await?;
        gets.push(t.elapsed());
        if status != 200 {
            bail!("get failed with {status}");
        }
        let mut obj: Value = serde_json::from_slice(&body)?;
        obj["metadata"]["labels"]["touched"] = json!(s.to_string());
        let t = Instant::now();
        let (status, body) = client
            .request(
                s,
                "PUT",
                &format!("{PODS}/{name}"),
                Some(Bytes::from(obj.to_string())),
            )
            .await?;
        updates.push(t.elapsed());
        if status != 200 {
            bail!(
                "update failed with {status}: {}",
                String::from_utf8_lossy(&body)
            );
        }
    }
    report("get", gets);
    report("update", updates);

    // Lists.
    let mut small = Vec::new();
    for s in 0..opts.samples.min(200) {
        let t = Instant::now();
        client
            .request(s, "GET", &format!("{PODS}?limit=100"), None)
            .await?;
        small.push(t.elapsed());
    }
    report("list/100", small);
    for (label, query) in [
        ("consistent (from cache)", ""),
        ("resourceVersion=0", "?resourceVersion=0"),
    ] {
        let t = Instant::now();
        let (status, body) = client
            .request(0, "GET", &format!("{PODS}{query}"), None)
            .await?;
        let took = t.elapsed();
        let items = serde_json::from_slice::<Value>(&body)?["items"]
            .as_array()
            .map(Vec::len)
            .unwrap_or(0);
        println!(
            "LIST of {items} pods, {label}: {} ({:.1} MiB, status {status})",
            ms(took),
            body.len() as f64 / 1048576.0
        );
    }
    println!(
        "server RSS with {} pods: {:.1} MiB",
        opts.pods,
        rss_kib(pid) as f64 / 1024.0
    );

    // Watch fan-out.
    let rv = {
        let (_, body) = client
            .request(0, "GET", &format!("{PODS}?limit=1"), None)
            .await?;
        serde_json::from_slice::<Value>(&body)?["metadata"]["resourceVersion"]
            .as_str()
            .unwrap_or("0")
            .to_owned()
    };
    let kubeconfig = server.data_dir.join("admin.kubeconfig");
    let watch_client = Client::connect(server.port, &kubeconfig, opts.connections.max(4)).await?;
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel::<(String, Instant)>();
    let events_wanted = 50;
    for w in 0..opts.watchers {
        let c = watch_client.clone();
        let tx = tx.clone();
        let path = format!("{PODS}?watch=true&resourceVersion={rv}&labelSelector=app%3Dwatch");
        tokio::spawn(async move {
            let mut send = c.conns[w % c.conns.len()].clone();
            if send.ready().await.is_err() {
                return;
            }
            let req = http::Request::builder()
                .uri(format!("https://{}{}", c.authority, path))
                .body(Full::new(Bytes::new()))
                .expect("request");
            let Ok(resp) = send.send_request(req).await else {
                return;
            };
            let mut body = resp.into_body();
            let mut buf = Vec::new();
            let mut seen = 0;
            while let Some(Ok(frame)) = body.frame().await {
                if let Ok(data) = frame.into_data() {
                    buf.extend_from_slice(&data);
                    while let Some(pos) = buf.iter().position(|b| *b == b'\n') {
                        let line: Vec<u8> = buf.drain(..=pos).collect();
                        if let Ok(v) = serde_json::from_slice::<Value>(&line) {
                            let name = v["object"]["metadata"]["name"]
                                .as_str()
                                .unwrap_or("")
                                .to_owned();
                            let _ = tx.send((name, Instant::now()));
                            seen += 1;
                        }
                    }
                }
                if seen >= events_wanted {
                    break;
                }
            }
        });
    }
    drop(tx);
    tokio::time::sleep(Duration::from_secs(3)).await;
    let mut sent = std::collections::HashMap::new();
    for i in 0..events_wanted {
        let name = format!("watch-{i:04}");
        let body = json!({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name, "labels": {"app": "watch"}},
                          "spec": {"containers": [{"name": "c", "image": "x"}]}});
        let t = Instant::now();
        client
            .request(i, "POST", PODS, Some(Bytes::from(body.to_string())))
            .await?;
        sent.insert(name, t);
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let mut delivery = Vec::new();
    let deadline = Instant::now() + Duration::from_secs(30);
    while delivery.len() < opts.watchers * events_wanted && Instant::now() < deadline {
        match tokio::time::timeout(Duration::from_secs(5), rx.recv()).await {
            Ok(Some((name, at))) => {
                if let Some(t) = sent.get(&name) {
                    delivery.push(at.saturating_duration_since(*t));
                }
            }
            _ => break,
        }
    }
    let delivered = delivery.len();
    delivery.sort();
    println!(
        "watch fan-out to {} watchers: p50 {}  p99 {}  ({delivered} of {} events delivered)",
        opts.watchers,
        ms(percentile(&delivery, 0.5)),
        ms(percentile(&delivery, 0.99)),
        opts.watchers * events_wanted
    );
    println!(
        "server RSS at the end: {:.1} MiB",
        rss_kib(pid) as f64 / 1024.0
    );
    drop(server);
    if opts.dir.is_none() {
        let _ = std::fs::remove_dir_all(&tmp);
    }
    Ok(())
}

/// Connects once the server answers /readyz (at most 30 s).
pub(crate) async fn connect_ready(
    server: &ServerProcess,
    dir: &Path,
    connections: usize,
) -> Result<Client> {
    let kubeconfig = server.data_dir.join("admin.kubeconfig");
    let started = Instant::now();
    loop {
        if kubeconfig.exists()
            && let Ok(c) = Client::connect(server.port, &kubeconfig, connections).await
            && let Ok((200, _)) = c.request(0, "GET", "/readyz", None).await
        {
            return Ok(c);
        }
        if started.elapsed() > Duration::from_secs(30) {
            bail!(
                "server did not become ready; see {}",
                dir.join("server.log").display()
            );
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

pub(crate) fn tempdir_in(dir: Option<&Path>, what: &str) -> Result<PathBuf> {
    let base = dir
        .map(Path::to_path_buf)
        .unwrap_or_else(std::env::temp_dir);
    let d = base.join(format!("capstan-bench-{what}-{}", std::process::id()));
    std::fs::create_dir_all(&d)?;
    Ok(d)
}
