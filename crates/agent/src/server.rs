//! The agent's HTTPS endpoint (the kubelet's port 10250): /healthz, /pods, /metrics,
//! /stats/summary and /containerLogs/{namespace}/{pod}/{container}. A self-signed serving
//! certificate, as the API server does not verify it (kube-apiserver's default).

use std::collections::HashMap;
use std::convert::Infallible;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http::{Request, Response, StatusCode};
use http_body_util::combinators::BoxBody;
use http_body_util::{BodyExt, Full, StreamBody};
use hyper::body::{Frame, Incoming};
use serde_json::{Value, json};
use tokio::net::TcpListener;

use crate::ctx::Ctx;
use crate::logs;
use crate::pleg::Pleg;
use crate::runtime::{self, CState};

type Body = BoxBody<Bytes, Infallible>;

fn full(status: StatusCode, content_type: &str, body: impl Into<Bytes>) -> Response<Body> {
    let mut r = Response::new(Full::new(body.into()).boxed());
    *r.status_mut() = status;
    if let Ok(v) = http::HeaderValue::from_str(content_type) {
        r.headers_mut().insert(http::header::CONTENT_TYPE, v);
    }
    r
}

fn not_found(what: &str) -> Response<Body> {
    full(StatusCode::NOT_FOUND, "text/plain", what.to_owned())
}

/// TLS settings with a fresh self-signed certificate for the node's names.
pub fn tls_config(names: Vec<String>) -> anyhow::Result<Arc<rustls::ServerConfig>> {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let ck = rcgen::generate_simple_self_signed(names)?;
    let cert = ck.cert.der().clone();
    let key = rustls_pki_types::PrivateKeyDer::Pkcs8(rustls_pki_types::PrivatePkcs8KeyDer::from(
        ck.signing_key.serialize_der(),
    ));
    let mut config = rustls::ServerConfig::builder()
        .with_no_client_auth()
        .with_single_cert(vec![cert], key)?;
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(Arc::new(config))
}

/// Whether an `Authorization` header value carries exactly `token` as a bearer token (compared in
/// constant time).
pub fn bearer_matches(header: Option<&str>, token: &str) -> bool {
    let Some(given) = header
        .and_then(|h| h.strip_prefix("Bearer "))
        .map(str::trim)
    else {
        return false;
    };
    if given.len() != token.len() || token.is_empty() {
        return false;
    }
    given
        .bytes()
        .zip(token.bytes())
        .fold(0u8, |acc, (a, b)| acc | (a ^ b))
        == 0
}

/// Serves until the future is dropped. Every path but /healthz needs `Authorization: Bearer
/// <token>` with the node's own join token (what the API server sends); without a token
/// configured, only /healthz is served.
pub async fn serve(
    listener: TcpListener,
    tls: Arc<rustls::ServerConfig>,
    ctx: Arc<Ctx>,
    pleg: Arc<Pleg>,
    token: Option<String>,
) {
    let token: Arc<Option<String>> = Arc::new(token);
    let acceptor = tokio_rustls::TlsAcceptor::from(tls);
    loop {
        let Ok((stream, _)) = listener.accept().await else {
            tokio::time::sleep(Duration::from_millis(100)).await;
            continue;
        };
        let acceptor = acceptor.clone();
        let ctx = ctx.clone();
        let pleg = pleg.clone();
        let token = token.clone();
        tokio::spawn(async move {
            let Ok(Ok(tls)) =
                tokio::time::timeout(Duration::from_secs(10), acceptor.accept(stream)).await
            else {
                return;
            };
            let service = hyper::service::service_fn(move |req| {
                let ctx = ctx.clone();
                let pleg = pleg.clone();
                let token = token.clone();
                async move {
                    if req.uri().path() != "/healthz" {
                        let header = req
                            .headers()
                            .get(http::header::AUTHORIZATION)
                            .and_then(|v| v.to_str().ok());
                        let ok = token.as_deref().is_some_and(|t| bearer_matches(header, t));
                        if !ok {
                            return Ok::<_, Infallible>(full(
                                StatusCode::UNAUTHORIZED,
                                "text/plain",
                                "Unauthorized: send Authorization: Bearer <this node's join token>",
                            ));
                        }
                    }
                    Ok::<_, Infallible>(handle(req, &ctx, &pleg).await)
                }
            });
            let _ = hyper::server::conn::http1::Builder::new()
                .serve_connection(hyper_util::rt::TokioIo::new(tls), service)
                .await;
        });
    }
}

fn query(req: &Request<Incoming>) -> HashMap<String, String> {
    req.uri()
        .query()
        .unwrap_or("")
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|p| {
            let (k, v) = p.split_once('=').unwrap_or((p, ""));
            let dec = |s: &str| {
                percent_encoding::percent_decode_str(&s.replace('+', " "))
                    .decode_utf8_lossy()
                    .into_owned()
            };
            (dec(k), dec(v))
        })
        .collect()
}

fn truthy(v: Option<&String>) -> bool {
    matches!(v.map(String::as_str), Some("true" | "1"))
}

async fn handle(req: Request<Incoming>, ctx: &Arc<Ctx>, pleg: &Arc<Pleg>) -> Response<Body> {
    if req.method() != http::Method::GET {
        return full(
            StatusCode::METHOD_NOT_ALLOWED,
            "text/plain",
            "only GET is served",
        );
    }
    let path = req.uri().path().to_owned();
    match path.as_str() {
        "/healthz" => match pleg.healthy() {
            Ok(()) => full(StatusCode::OK, "text/plain", "ok"),
            Err(e) => full(
                StatusCode::INTERNAL_SERVER_ERROR,
                "text/plain",
                format!("[-]pleg failed: {e}\nhealthz check failed"),
            ),
        },
        "/metrics" => full(
            StatusCode::OK,
            "text/plain; version=0.0.4",
            ctx.metrics.render(),
        ),
        "/pods" | "/pods/" => {
            let items: Vec<Value> = ctx
                .pods
                .lock()
                .values()
                .filter_map(|p| serde_json::to_value(&**p).ok())
                .map(|mut v| {
                    v["apiVersion"] = json!("v1");
                    v["kind"] = json!("Pod");
                    v
                })
                .collect();
            let list =
                json!({"kind": "PodList", "apiVersion": "v1", "metadata": {}, "items": items});
            full(StatusCode::OK, "application/json", list.to_string())
        }
        "/stats/summary" | "/stats/summary/" => summary(ctx).await,
        p if p.starts_with("/containerLogs/") => {
            let q = query(&req);
            container_logs(ctx, &p["/containerLogs/".len()..], &q).await
        }
        _ => not_found("404 page not found"),
    }
}

async fn container_logs(ctx: &Arc<Ctx>, rest: &str, q: &HashMap<String, String>) -> Response<Body> {
    let parts: Vec<&str> = rest.split('/').collect();
    let [ns, pod, container] = parts.as_slice() else {
        return full(
            StatusCode::BAD_REQUEST,
            "text/plain",
            "path must be /containerLogs/{namespace}/{pod}/{container}",
        );
    };
    let uid = ctx
        .pods
        .lock()
        .iter()
        .find(|(_, p)| {
            p.metadata.namespace.as_deref() == Some(ns) && p.metadata.name.as_deref() == Some(pod)
        })
        .map(|(uid, _)| uid.clone());
    let Some(uid) = uid else {
        return not_found(&format!("pod {ns}/{pod} not found"));
    };
    let rt = match runtime::fetch(&ctx.cri, &uid).await {
        Ok(rt) => rt,
        Err(e) => return full(StatusCode::INTERNAL_SERVER_ERROR, "text/plain", e.message()),
    };
    let previous = truthy(q.get("previous"));
    let target = if previous {
        rt.previous(container)
    } else {
        rt.latest(container)
    };
    let Some(c) = target.cloned() else {
        let msg = if previous {
            format!("previous terminated container \"{container}\" in pod \"{pod}\" not found")
        } else {
            format!(
                "container \"{container}\" in pod \"{pod}\" is waiting to start: ContainerCreating"
            )
        };
        return full(StatusCode::BAD_REQUEST, "text/plain", msg);
    };
    let mut opts = logs::Options {
        timestamps: truthy(q.get("timestamps")),
        tail_lines: q.get("tailLines").and_then(|v| v.parse().ok()),
        limit_bytes: q.get("limitBytes").and_then(|v| v.parse().ok()),
        since: None,
    };
    if let Some(s) = q.get("sinceSeconds").and_then(|v| v.parse::<i64>().ok()) {
        opts.since = Some(chrono::Utc::now() - chrono::Duration::seconds(s));
    } else if let Some(t) = q.get("sinceTime") {
        opts.since = chrono::DateTime::parse_from_rfc3339(t)
            .ok()
            .map(|t| t.to_utc());
    }
    let path = std::path::PathBuf::from(&c.log_path);
    let (first, mut offset) = match logs::read(&path, &opts) {
        Ok(x) => x,
        Err(e) => {
            return full(
                StatusCode::NOT_FOUND,
                "text/plain",
                format!("cannot read log of {container}: {e}"),
            );
        }
    };
    if !truthy(q.get("follow")) || c.state != CState::Running {
        return full(StatusCode::OK, "text/plain", first);
    }
    // Follow: send what is there, then new complete lines as they come, until the container
    // stops (or the client goes away).
    let (tx, rx) = tokio::sync::mpsc::channel::<Result<Frame<Bytes>, Infallible>>(16);
    let cri = ctx.cri.clone();
    let id = c.id.clone();
    let follow_opts = logs::Options {
        tail_lines: None,
        since: None,
        ..opts
    };
    tokio::spawn(async move {
        if tx.send(Ok(Frame::data(Bytes::from(first)))).await.is_err() {
            return;
        }
        let mut idle_checks = 0u32;
        loop {
            tokio::time::sleep(Duration::from_millis(200)).await;
            let data = match std::fs::read(&path) {
                Ok(d) => d,
                Err(_) => return,
            };
            if (data.len() as u64) > offset {
                let text = String::from_utf8_lossy(&data[offset as usize..]).into_owned();
                if let Some(end) = text.rfind('\n') {
                    let chunk = &text[..=end];
                    offset += chunk.len() as u64;
                    let out = logs::render(&logs::parse(chunk), &follow_opts);
                    if !out.is_empty() && tx.send(Ok(Frame::data(Bytes::from(out)))).await.is_err()
                    {
                        return;
                    }
                }
            }
            idle_checks += 1;
            if idle_checks.is_multiple_of(5) {
                match cri.container_status(&id).await {
                    Ok(s) if runtime::CState::from_cri(s.state) == CState::Running => {}
                    _ => return,
                }
                if tx.is_closed() {
                    return;
                }
            }
        }
    });
    let stream = tokio_stream::wrappers::ReceiverStream::new(rx);
    let mut r = Response::new(BodyExt::boxed(StreamBody::new(stream)));
    r.headers_mut().insert(
        http::header::CONTENT_TYPE,
        http::HeaderValue::from_static("text/plain"),
    );
    r
}

fn cpu_jiffies() -> u64 {
    let stat = std::fs::read_to_string("/proc/stat").unwrap_or_default();
    stat.lines()
        .next()
        .map(|l| {
            l.split_whitespace()
                .skip(1)
                .enumerate()
                // user nice system (idle iowait skipped) irq softirq steal
                .filter(|(i, _)| !matches!(i, 3 | 4))
                .filter_map(|(_, v)| v.parse::<u64>().ok())
                .take(7)
                .sum()
        })
        .unwrap_or(0)
}

async fn summary(ctx: &Arc<Ctx>) -> Response<Body> {
    let now = crate::worker::now_rfc3339();
    let m = crate::node::machine(&ctx.agent_dir);
    let hz = 100u64;
    let node_cpu_ns = cpu_jiffies() * (1_000_000_000 / hz);
    let stats = ctx.cri.list_container_stats().await.unwrap_or_default();
    let containers = ctx.cri.list_containers(None).await.unwrap_or_default();
    let by_id: HashMap<&str, &crate::cri::pb::Container> =
        containers.iter().map(|c| (c.id.as_str(), c)).collect();
    let mut pods: HashMap<String, (Value, Vec<Value>)> = HashMap::new();
    for s in &stats {
        let Some(attrs) = &s.attributes else { continue };
        let Some(c) = by_id.get(attrs.id.as_str()) else {
            continue;
        };
        if c.state != crate::cri::pb::ContainerState::ContainerRunning as i32 {
            continue;
        }
        let uid = c
            .labels
            .get(runtime::LABEL_POD_UID)
            .cloned()
            .unwrap_or_default();
        let name = c
            .labels
            .get(runtime::LABEL_POD_NAME)
            .cloned()
            .unwrap_or_default();
        let ns = c
            .labels
            .get(runtime::LABEL_POD_NAMESPACE)
            .cloned()
            .unwrap_or_default();
        let cpu = s.cpu.as_ref();
        let mem = s.memory.as_ref();
        let entry = json!({
            "name": c.labels.get(runtime::LABEL_CONTAINER_NAME).cloned().unwrap_or_default(),
            "startTime": runtime::rfc3339_ns(c.created_at),
            "cpu": {
                "time": now,
                "usageCoreNanoSeconds": cpu.and_then(|c| c.usage_core_nano_seconds.as_ref()).map(|v| v.value).unwrap_or(0),
                "usageNanoCores": cpu.and_then(|c| c.usage_nano_cores.as_ref()).map(|v| v.value).unwrap_or(0),
            },
            "memory": {
                "time": now,
                "workingSetBytes": mem.and_then(|m| m.working_set_bytes.as_ref()).map(|v| v.value).unwrap_or(0),
                "usageBytes": mem.and_then(|m| m.usage_bytes.as_ref()).map(|v| v.value).unwrap_or(0),
                "rssBytes": mem.and_then(|m| m.rss_bytes.as_ref()).map(|v| v.value).unwrap_or(0),
            },
        });
        let pod = pods.entry(uid.clone()).or_insert_with(|| {
            (
                json!({"name": name, "namespace": ns, "uid": uid}),
                Vec::new(),
            )
        });
        pod.1.push(entry);
    }
    let pod_list: Vec<Value> = pods
        .into_values()
        .map(|(r, cs)| {
            let sum = |path: &str| -> u64 { cs.iter().filter_map(|c| c.pointer(path).and_then(Value::as_u64)).sum() };
            json!({
                "podRef": r,
                "containers": cs.clone(),
                "cpu": {"time": now, "usageCoreNanoSeconds": sum("/cpu/usageCoreNanoSeconds"), "usageNanoCores": sum("/cpu/usageNanoCores")},
                "memory": {"time": now, "workingSetBytes": sum("/memory/workingSetBytes"), "usageBytes": sum("/memory/usageBytes")},
            })
        })
        .collect();
    let image_fs = ctx.cri.image_fs_info().await.ok();
    let image_used: u64 = image_fs
        .as_ref()
        .map(|f| {
            f.image_filesystems
                .iter()
                .filter_map(|u| u.used_bytes.as_ref())
                .map(|v| v.value)
                .sum()
        })
        .unwrap_or(0);
    let body = json!({
        "node": {
            "nodeName": ctx.node_name,
            "cpu": {"time": now, "usageCoreNanoSeconds": node_cpu_ns},
            "memory": {
                "time": now,
                "availableBytes": m.memory_available,
                "usageBytes": m.memory_bytes - m.memory_available,
                "workingSetBytes": m.memory_bytes - m.memory_available,
            },
            "fs": {"time": now, "availableBytes": m.fs_available, "capacityBytes": m.fs_bytes, "usedBytes": m.fs_bytes - m.fs_available},
            "runtime": {"imageFs": {"time": now, "availableBytes": m.fs_available, "capacityBytes": m.fs_bytes, "usedBytes": image_used}},
        },
        "pods": pod_list,
    });
    full(StatusCode::OK, "application/json", body.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_exact_token_is_accepted() {
        let t = "K10abc::node:secret";
        assert!(bearer_matches(Some("Bearer K10abc::node:secret"), t));
        assert!(!bearer_matches(Some("Bearer K10abc::node:secreT"), t));
        assert!(!bearer_matches(Some("Bearer K10abc::node:secret2"), t));
        assert!(!bearer_matches(Some("Basic K10abc::node:secret"), t));
        assert!(!bearer_matches(None, t));
        assert!(!bearer_matches(Some("Bearer "), ""));
    }
}
