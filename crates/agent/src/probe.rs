//! Probes: liveness, readiness and startup, each by exec (CRI ExecSync), httpGet, tcpSocket or
//! grpc (grpc.health.v1), on the probe's schedule (initialDelaySeconds after the container
//! started, then every periodSeconds, each within timeoutSeconds), turned into a result by the
//! success and failure thresholds. One task per probe; a change of result wakes the pod worker.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use k8s_openapi::api::core::v1::{Container, Probe};
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;
use parking_lot::Mutex;
use tokio::sync::Notify;

use crate::cri::Cri;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Kind {
    Liveness,
    Readiness,
    Startup,
}

/// The thresholds: a result flips after `success_threshold` successes or `failure_threshold`
/// failures in a row.
#[derive(Debug, Clone)]
pub struct Counter {
    success_threshold: u32,
    failure_threshold: u32,
    successes: u32,
    failures: u32,
    pub result: Option<bool>,
}

impl Counter {
    pub fn new(p: &Probe, kind: Kind) -> Counter {
        let success = match kind {
            // Liveness and startup must have a success threshold of 1.
            Kind::Liveness | Kind::Startup => 1,
            Kind::Readiness => p.success_threshold.unwrap_or(1).max(1) as u32,
        };
        Counter {
            success_threshold: success,
            failure_threshold: p.failure_threshold.unwrap_or(3).max(1) as u32,
            successes: 0,
            failures: 0,
            result: None,
        }
    }

    /// Records one outcome; the new result when it changed.
    pub fn record(&mut self, ok: bool) -> Option<bool> {
        if ok {
            self.successes += 1;
            self.failures = 0;
            if self.successes >= self.success_threshold && self.result != Some(true) {
                self.result = Some(true);
                return Some(true);
            }
        } else {
            self.failures += 1;
            self.successes = 0;
            if self.failures >= self.failure_threshold && self.result != Some(false) {
                self.result = Some(false);
                return Some(false);
            }
        }
        None
    }
}

/// What the pod worker reads: per container id.
#[derive(Debug, Clone, Default)]
pub struct ContainerProbes {
    pub has_readiness: bool,
    pub has_startup: bool,
    pub ready: bool,
    pub started: bool,
    /// Set when liveness (or startup) failed: the message to kill the container with.
    pub failed: Option<String>,
}

#[derive(Default)]
pub struct Results {
    pub by_container: Mutex<HashMap<String, ContainerProbes>>,
}

/// Where a probe connects: the pod IP (or the node's for host-network pods).
#[derive(Clone)]
pub struct Target {
    pub cri: Cri,
    pub container_id: String,
    pub pod_ip: String,
}

fn port_of(c: &Container, port: &IntOrString) -> Result<u16, String> {
    match port {
        IntOrString::Int(p) => u16::try_from(*p).map_err(|_| format!("invalid port {p}")),
        IntOrString::String(name) => {
            if let Ok(n) = name.parse::<u16>() {
                return Ok(n);
            }
            c.ports
                .iter()
                .flatten()
                .find(|p| p.name.as_deref() == Some(name.as_str()))
                .and_then(|p| u16::try_from(p.container_port).ok())
                .ok_or_else(|| format!("couldn't find port {name:?} in container"))
        }
    }
}

async fn http_get(
    host: &str,
    port: u16,
    path: &str,
    headers: &[(String, String)],
    timeout: Duration,
) -> Result<(), String> {
    use http_body_util::{BodyExt, Empty};
    let addr = format!("{host}:{port}");
    let work = async {
        let stream = tokio::net::TcpStream::connect(&addr)
            .await
            .map_err(|e| e.to_string())?;
        let (mut sender, conn) = hyper::client::conn::http1::handshake::<_, Empty<bytes::Bytes>>(
            hyper_util::rt::TokioIo::new(stream),
        )
        .await
        .map_err(|e| e.to_string())?;
        tokio::spawn(conn);
        let path = if path.is_empty() { "/" } else { path };
        let mut req = http::Request::get(path).header("User-Agent", "kube-probe/1.33");
        let host_header = headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case("host"))
            .map(|(_, v)| v.clone());
        req = req.header("Host", host_header.unwrap_or_else(|| addr.clone()));
        for (k, v) in headers {
            if !k.eq_ignore_ascii_case("host") {
                req = req.header(k.as_str(), v.as_str());
            }
        }
        let req = req.body(Empty::new()).map_err(|e| e.to_string())?;
        let resp = sender.send_request(req).await.map_err(|e| e.to_string())?;
        let code = resp.status().as_u16();
        // Drain a little of the body so the connection closes cleanly; the content is not used.
        let _ = tokio::time::timeout(Duration::from_millis(100), resp.into_body().collect()).await;
        if (200..400).contains(&code) {
            Ok(())
        } else {
            Err(format!("HTTP probe failed with statuscode: {code}"))
        }
    };
    tokio::time::timeout(timeout, work)
        .await
        .map_err(|_| format!("Get \"http://{addr}{path}\": context deadline exceeded (Client.Timeout exceeded while awaiting headers)"))?
}

/// grpc.health.v1 messages, declared by hand (two fields).
#[derive(Clone, PartialEq, prost::Message)]
struct HealthCheckRequest {
    #[prost(string, tag = "1")]
    service: String,
}

#[derive(Clone, PartialEq, prost::Message)]
struct HealthCheckResponse {
    #[prost(int32, tag = "1")]
    status: i32,
}

async fn grpc_check(host: &str, port: u16, service: &str, timeout: Duration) -> Result<(), String> {
    let work = async {
        let endpoint = tonic::transport::Endpoint::from_shared(format!("http://{host}:{port}"))
            .map_err(|e| e.to_string())?
            .connect_timeout(timeout);
        let channel = endpoint.connect().await.map_err(|e| {
            format!(
                "failed to connect service \"{host}:{port}\" within {}s: {e}",
                timeout.as_secs()
            )
        })?;
        let mut grpc = tonic::client::Grpc::new(channel);
        grpc.ready().await.map_err(|e| e.to_string())?;
        let codec = tonic_prost::ProstCodec::<HealthCheckRequest, HealthCheckResponse>::default();
        let path = http::uri::PathAndQuery::from_static("/grpc.health.v1.Health/Check");
        let resp = grpc
            .unary(
                tonic::Request::new(HealthCheckRequest {
                    service: service.to_owned(),
                }),
                path,
                codec,
            )
            .await
            .map_err(|e| format!("health rpc probe failed: {}", e.message()))?;
        // SERVING = 1
        if resp.get_ref().status == 1 {
            Ok(())
        } else {
            Err(format!(
                "service unhealthy (responded with {})",
                match resp.get_ref().status {
                    0 => "UNKNOWN",
                    2 => "NOT_SERVING",
                    3 => "SERVICE_UNKNOWN",
                    _ => "UNKNOWN",
                }
            ))
        }
    };
    tokio::time::timeout(timeout, work).await.map_err(|_| {
        format!(
            "timeout: health rpc did not complete within {}s",
            timeout.as_secs()
        )
    })?
}

/// Runs one probe; Ok or the failure's message.
pub async fn run_once(p: &Probe, c: &Container, t: &Target) -> Result<(), String> {
    let timeout = Duration::from_secs(p.timeout_seconds.unwrap_or(1).max(1) as u64);
    if let Some(exec) = &p.exec {
        let cmd = exec.command.clone().unwrap_or_default();
        return match t.cri.exec_sync(&t.container_id, cmd, timeout).await {
            Ok((0, _, _)) => Ok(()),
            Ok((code, out, err)) => {
                let mut text = String::from_utf8_lossy(&out).into_owned();
                text.push_str(&String::from_utf8_lossy(&err));
                Err(format!(
                    "command failed with exit code {code}: {}",
                    text.trim()
                ))
            }
            Err(e) => Err(e.message()),
        };
    }
    if let Some(h) = &p.http_get {
        let port = port_of(c, &h.port)?;
        let host = h
            .host
            .clone()
            .filter(|s| !s.is_empty())
            .unwrap_or_else(|| t.pod_ip.clone());
        let headers: Vec<(String, String)> = h
            .http_headers
            .iter()
            .flatten()
            .map(|x| (x.name.clone(), x.value.clone()))
            .collect();
        return http_get(
            &host,
            port,
            h.path.as_deref().unwrap_or("/"),
            &headers,
            timeout,
        )
        .await;
    }
    if let Some(tcp) = &p.tcp_socket {
        let port = port_of(c, &tcp.port)?;
        let host = tcp
            .host
            .clone()
            .filter(|s| !s.is_empty())
            .unwrap_or_else(|| t.pod_ip.clone());
        let addr = format!("{host}:{port}");
        return match tokio::time::timeout(timeout, tokio::net::TcpStream::connect(&addr)).await {
            Ok(Ok(_)) => Ok(()),
            Ok(Err(e)) => Err(format!("dial tcp {addr}: {e}")),
            Err(_) => Err(format!("dial tcp {addr}: i/o timeout")),
        };
    }
    if let Some(g) = &p.grpc {
        let port = u16::try_from(g.port).map_err(|_| format!("invalid port {}", g.port))?;
        return grpc_check(&t.pod_ip, port, g.service.as_deref().unwrap_or(""), timeout).await;
    }
    Err("missing probe handler".into())
}

/// The task of one probe of one container, until aborted.
pub async fn run(
    kind: Kind,
    probe: Probe,
    container: Container,
    target: Target,
    started_at: std::time::SystemTime,
    results: Arc<Results>,
    wake: Arc<Notify>,
) {
    let delay = Duration::from_secs(probe.initial_delay_seconds.unwrap_or(0).max(0) as u64);
    let period = Duration::from_secs(probe.period_seconds.unwrap_or(10).max(1) as u64);
    let since = started_at.elapsed().unwrap_or_default();
    if delay > since {
        tokio::time::sleep(delay - since).await;
    }
    let mut counter = Counter::new(&probe, kind);
    let id = target.container_id.clone();
    loop {
        // Liveness and readiness wait for the startup probe (when there is one) to succeed.
        let gated = kind != Kind::Startup
            && results
                .by_container
                .lock()
                .get(&id)
                .is_some_and(|p| p.has_startup && !p.started);
        if !gated {
            let outcome = run_once(&probe, &container, &target).await;
            if let Err(e) = &outcome {
                tracing::debug!(container = %container.name, ?kind, error = %e, "probe failed");
            }
            let ok = outcome.is_ok();
            if let Some(result) = counter.record(ok) {
                let mut all = results.by_container.lock();
                let entry = all.entry(id.clone()).or_default();
                let kind_name = match kind {
                    Kind::Liveness => "liveness",
                    Kind::Readiness => "readiness",
                    Kind::Startup => "startup",
                };
                match kind {
                    Kind::Readiness => entry.ready = result,
                    Kind::Startup => {
                        entry.started = result;
                        if !result {
                            entry.failed = Some(format!(
                                "Container {} failed {kind_name} probe, will be restarted",
                                container.name
                            ));
                        }
                    }
                    Kind::Liveness => {
                        if !result {
                            entry.failed = Some(format!(
                                "Container {} failed {kind_name} probe, will be restarted",
                                container.name
                            ));
                        }
                    }
                }
                drop(all);
                wake.notify_one();
                if !result && kind != Kind::Readiness {
                    // The container is about to be killed; this task ends with it.
                    return;
                }
                if kind == Kind::Startup && result {
                    // A startup probe stops once it succeeded.
                    return;
                }
            }
        }
        tokio::time::sleep(period).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn thresholds() {
        let p: Probe =
            serde_json::from_value(json!({"successThreshold": 2, "failureThreshold": 3})).unwrap();
        let mut c = Counter::new(&p, Kind::Readiness);
        assert_eq!(c.record(true), None);
        assert_eq!(c.record(true), Some(true));
        assert_eq!(c.record(false), None);
        assert_eq!(c.record(false), None);
        assert_eq!(c.record(true), None);
        assert_eq!(c.record(false), None);
        assert_eq!(c.record(false), None);
        assert_eq!(c.record(false), Some(false));
        assert_eq!(c.record(false), None);
        let mut l = Counter::new(&p, Kind::Liveness);
        assert_eq!(l.record(true), Some(true), "liveness needs one success");
    }

    #[test]
    fn named_ports() {
        let c: Container = serde_json::from_value(
            json!({"name": "c", "ports": [{"name": "http", "containerPort": 8080}]}),
        )
        .unwrap();
        assert_eq!(
            port_of(&c, &IntOrString::String("http".into())).unwrap(),
            8080
        );
        assert_eq!(port_of(&c, &IntOrString::Int(81)).unwrap(), 81);
        assert!(port_of(&c, &IntOrString::String("nope".into())).is_err());
    }

    #[tokio::test]
    async fn http_and_tcp_probes_against_a_local_server() {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        tokio::spawn(async move {
            loop {
                let Ok((mut s, _)) = listener.accept().await else {
                    return;
                };
                tokio::spawn(async move {
                    use tokio::io::{AsyncReadExt, AsyncWriteExt};
                    let mut buf = [0u8; 1024];
                    let n = s.read(&mut buf).await.unwrap_or(0);
                    let req = String::from_utf8_lossy(&buf[..n]).into_owned();
                    let code = if req.starts_with("GET /ok") {
                        "200 OK"
                    } else {
                        "500 Internal Server Error"
                    };
                    let _ = s
                        .write_all(
                            format!(
                                "HTTP/1.1 {code}\r\ncontent-length: 0\r\nconnection: close\r\n\r\n"
                            )
                            .as_bytes(),
                        )
                        .await;
                });
            }
        });
        let t = Duration::from_secs(1);
        assert!(http_get("127.0.0.1", port, "/ok", &[], t).await.is_ok());
        let e = http_get("127.0.0.1", port, "/bad", &[], t)
            .await
            .unwrap_err();
        assert_eq!(e, "HTTP probe failed with statuscode: 500");
    }

    /// A grpc.health.v1 server over HTTP/2 answering every Check with `status`.
    async fn health_server(status: i32) -> u16 {
        struct Check(i32);
        impl tonic::server::UnaryService<HealthCheckRequest> for Check {
            type Response = HealthCheckResponse;
            type Future =
                std::future::Ready<Result<tonic::Response<HealthCheckResponse>, tonic::Status>>;
            fn call(&mut self, _: tonic::Request<HealthCheckRequest>) -> Self::Future {
                std::future::ready(Ok(tonic::Response::new(HealthCheckResponse {
                    status: self.0,
                })))
            }
        }
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        tokio::spawn(async move {
            while let Ok((socket, _)) = listener.accept().await {
                let service = hyper::service::service_fn(
                    move |req: http::Request<hyper::body::Incoming>| async move {
                        let codec = tonic_prost::ProstCodec::<
                            HealthCheckResponse,
                            HealthCheckRequest,
                        >::default();
                        let mut grpc = tonic::server::Grpc::new(codec);
                        Ok::<_, std::convert::Infallible>(grpc.unary(Check(status), req).await)
                    },
                );
                tokio::spawn(
                    hyper::server::conn::http2::Builder::new(hyper_util::rt::TokioExecutor::new())
                        .serve_connection(hyper_util::rt::TokioIo::new(socket), service),
                );
            }
        });
        port
    }

    #[tokio::test]
    async fn grpc_probes_against_a_local_health_server() {
        let t = Duration::from_secs(2);
        let serving = health_server(1).await;
        assert_eq!(grpc_check("127.0.0.1", serving, "", t).await, Ok(()));
        let not_serving = health_server(2).await;
        assert_eq!(
            grpc_check("127.0.0.1", not_serving, "db", t).await,
            Err("service unhealthy (responded with NOT_SERVING)".to_owned())
        );
        let closed = {
            let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
            l.local_addr().unwrap().port()
        };
        let e = grpc_check("127.0.0.1", closed, "", t).await.unwrap_err();
        assert!(
            e.starts_with(&format!(
                "failed to connect service \"127.0.0.1:{closed}\" within 2s"
            )),
            "{e}"
        );
    }
}
