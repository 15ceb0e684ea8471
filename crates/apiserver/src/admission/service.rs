//! Service addresses: cluster IPs and node ports allocated on create, kept (or changed with the
//! type) on update, released on delete.

use std::net::Ipv4Addr;

use capstan_api::ResourceInfo;
use capstan_apimachinery::{ApiError, FieldError, Path};
use serde_json::{Map, Value, json};

use crate::allocator::{AllocError, Owner};
use crate::object::{meta_str, name};
use crate::state::ApiServer;

fn owner(obj: &Value) -> Owner {
    Owner {
        namespace: meta_str(obj, "namespace").into(),
        name: meta_str(obj, "name").into(),
        uid: meta_str(obj, "uid").into(),
    }
}

fn spec_mut(obj: &mut Value) -> &mut Map<String, Value> {
    let m = obj.as_object_mut().expect("object");
    if !m.get("spec").is_some_and(Value::is_object) {
        m.insert("spec".into(), json!({}));
    }
    m.get_mut("spec")
        .and_then(Value::as_object_mut)
        .expect("spec")
}

fn service_type(spec: &Map<String, Value>) -> String {
    spec.get("type")
        .and_then(Value::as_str)
        .filter(|t| !t.is_empty())
        .unwrap_or("ClusterIP")
        .to_owned()
}

fn wants_node_ports(t: &str) -> bool {
    t == "NodePort" || t == "LoadBalancer"
}

fn invalid(res: &ResourceInfo, obj: &Value, errs: Vec<FieldError>) -> ApiError {
    ApiError::invalid(&res.group_kind(), name(obj), &errs)
}

fn alloc_error(
    e: AllocError,
    path: &Path,
    value: &str,
    what: &str,
    srv: &ApiServer,
) -> Result<FieldError, ApiError> {
    Ok(match e {
        AllocError::Taken => FieldError::invalid(
            path,
            value,
            &format!("failed to allocate {what} {value}: provided {what} is already allocated"),
        ),
        AllocError::OutOfRange => FieldError::invalid(
            path,
            value,
            &format!(
                "failed to allocate {what} {value}: provided {what} is not in the valid range. The range of valid {what}s is {}",
                if what == "IP" {
                    srv.allocators.service_cidr.to_string()
                } else {
                    "30000-32767".into()
                }
            ),
        ),
        AllocError::Full => {
            return Err(ApiError::internal_error(&format!(
                "failed to allocate a {what}: range is full"
            )));
        }
        AllocError::Store(e) => return Err(ApiError::internal_error(&e.to_string())),
    })
}

/// Allocations made during one admission, undone if a later step fails.
#[derive(Default)]
struct Claimed {
    ips: Vec<String>,
    ports: Vec<u16>,
}

impl Claimed {
    async fn undo(self, srv: &ApiServer) {
        for ip in self.ips {
            srv.allocators.release_ip(&ip).await;
        }
        for p in self.ports {
            srv.allocators.release_port(p).await;
        }
    }
}

pub async fn admit_create(
    srv: &ApiServer,
    res: &ResourceInfo,
    obj: &mut Value,
    dry_run: bool,
) -> Result<(), ApiError> {
    let mut claimed = Claimed::default();
    let result = allocate(srv, res, obj, None, dry_run, &mut claimed).await;
    if result.is_err() {
        claimed.undo(srv).await;
    }
    result
}

pub async fn admit_update(
    srv: &ApiServer,
    res: &ResourceInfo,
    obj: &mut Value,
    old: &Value,
    dry_run: bool,
) -> Result<(), ApiError> {
    let mut claimed = Claimed::default();
    let result = allocate(srv, res, obj, Some(old), dry_run, &mut claimed).await;
    if result.is_err() {
        claimed.undo(srv).await;
        return result;
    }
    if !dry_run {
        // Release what the new version no longer holds.
        let (old_ips, old_ports) = held(old);
        let (new_ips, new_ports) = held(obj);
        for ip in old_ips.iter().filter(|ip| !new_ips.contains(ip)) {
            srv.allocators.release_ip(ip).await;
        }
        for p in old_ports.iter().filter(|p| !new_ports.contains(p)) {
            srv.allocators.release_port(*p).await;
        }
    }
    Ok(())
}

/// The cluster IPs and node ports a service holds.
fn held(obj: &Value) -> (Vec<String>, Vec<u16>) {
    let ips = obj
        .pointer("/spec/clusterIPs")
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(Value::as_str)
                .filter(|ip| ip.parse::<Ipv4Addr>().is_ok())
                .map(str::to_owned)
                .collect()
        })
        .unwrap_or_default();
    let ports = obj
        .pointer("/spec/ports")
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(|p| p.get("nodePort").and_then(Value::as_u64))
                .filter(|p| *p > 0)
                .map(|p| p as u16)
                .collect()
        })
        .unwrap_or_default();
    (ips, ports)
}

pub async fn release(srv: &ApiServer, obj: &Value) {
    let (ips, ports) = held(obj);
    for ip in ips {
        srv.allocators.release_ip(&ip).await;
    }
    for p in ports {
        srv.allocators.release_port(p).await;
    }
}

async fn allocate(
    srv: &ApiServer,
    res: &ResourceInfo,
    obj: &mut Value,
    old: Option<&Value>,
    dry_run: bool,
    claimed: &mut Claimed,
) -> Result<(), ApiError> {
    let who = owner(obj);
    let spec_path = Path::new("spec");
    let old_spec = old
        .and_then(|o| o.get("spec"))
        .and_then(Value::as_object)
        .cloned();
    let spec = spec_mut(obj);
    let svc_type = service_type(spec);
    spec.insert("type".into(), json!(svc_type));
    let mut errors = Vec::new();

    // Cluster IP.
    if svc_type == "ExternalName" {
        spec.remove("clusterIP");
        spec.remove("clusterIPs");
    } else {
        let mut requested = spec
            .get("clusterIP")
            .and_then(Value::as_str)
            .or_else(|| {
                spec.get("clusterIPs")
                    .and_then(|v| v.get(0))
                    .and_then(Value::as_str)
            })
            .unwrap_or("")
            .to_owned();
        let old_ip = old_spec
            .as_ref()
            .and_then(|s| s.get("clusterIP"))
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_owned();
        if requested.is_empty() && !old_ip.is_empty() {
            // An update that leaves the address out keeps it (as `kubectl replace` expects).
            requested = old_ip.clone();
        }
        if old.is_some() && !old_ip.is_empty() && requested != old_ip {
            errors.push(FieldError::invalid(
                &spec_path.child("clusterIPs").index(0),
                requested.as_str(),
                "may not change once set",
            ));
        } else if requested == "None" {
            spec.insert("clusterIP".into(), json!("None"));
            spec.insert("clusterIPs".into(), json!(["None"]));
        } else if requested.is_empty() {
            if !dry_run {
                match srv.allocators.allocate_ip(&who).await {
                    Ok(ip) => {
                        claimed.ips.push(ip.to_string());
                        spec.insert("clusterIP".into(), json!(ip.to_string()));
                        spec.insert("clusterIPs".into(), json!([ip.to_string()]));
                    }
                    Err(e) => errors.push(alloc_error(
                        e,
                        &spec_path.child("clusterIPs").index(0),
                        "",
                        "IP",
                        srv,
                    )?),
                }
            }
        } else if old_ip != requested {
            match requested.parse::<Ipv4Addr>() {
                Err(_) => errors.push(FieldError::invalid(
                    &spec_path.child("clusterIPs").index(0),
                    requested.as_str(),
                    "must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)",
                )),
                Ok(ip) => {
                    let claim = if dry_run {
                        Ok(())
                    } else {
                        srv.allocators.claim_ip(ip, &who).await
                    };
                    match claim {
                        Ok(()) => {
                            if !dry_run {
                                claimed.ips.push(requested.clone());
                            }
                            spec.insert("clusterIP".into(), json!(requested));
                            spec.insert("clusterIPs".into(), json!([requested]));
                        }
                        Err(e) => errors.push(alloc_error(
                            e,
                            &spec_path.child("clusterIPs").index(0),
                            &requested,
                            "IP",
                            srv,
                        )?),
                    }
                }
            }
        } else {
            spec.insert("clusterIP".into(), json!(requested));
            spec.insert("clusterIPs".into(), json!([requested]));
        }
        if !spec.contains_key("ipFamilies") {
            spec.insert("ipFamilies".into(), json!(["IPv4"]));
        }
        if !spec.contains_key("ipFamilyPolicy") {
            spec.insert("ipFamilyPolicy".into(), json!("SingleStack"));
        }
    }

    // Node ports.
    let old_ports: Vec<Value> = old_spec
        .as_ref()
        .and_then(|s| s.get("ports"))
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    let old_held: Vec<u16> = old.map(|o| held(o).1).unwrap_or_default();
    if let Some(ports) = spec.get_mut("ports").and_then(Value::as_array_mut) {
        for (i, port) in ports.iter_mut().enumerate() {
            let Some(p) = port.as_object_mut() else {
                continue;
            };
            if !wants_node_ports(&svc_type) {
                p.remove("nodePort");
                continue;
            }
            let mut node_port = p.get("nodePort").and_then(Value::as_u64).unwrap_or(0) as u16;
            if node_port == 0 {
                // Keep the port an earlier version of this service had for the same port.
                let same = old_ports.iter().find(|o| {
                    o.get("port") == p.get("port")
                        && o.get("protocol").and_then(Value::as_str).unwrap_or("TCP")
                            == p.get("protocol").and_then(Value::as_str).unwrap_or("TCP")
                });
                node_port = same
                    .and_then(|o| o.get("nodePort"))
                    .and_then(Value::as_u64)
                    .unwrap_or(0) as u16;
            }
            let path = spec_path.child("ports").index(i).child("nodePort");
            if node_port == 0 {
                if dry_run {
                    continue;
                }
                match srv.allocators.allocate_port(&who).await {
                    Ok(np) => {
                        claimed.ports.push(np);
                        p.insert("nodePort".into(), json!(np));
                    }
                    Err(e) => errors.push(alloc_error(e, &path, "", "port", srv)?),
                }
            } else if old_held.contains(&node_port) || claimed.ports.contains(&node_port) {
                p.insert("nodePort".into(), json!(node_port));
            } else {
                let claim = if dry_run {
                    Ok(())
                } else {
                    srv.allocators.claim_port(node_port, &who).await
                };
                match claim {
                    Ok(()) => {
                        if !dry_run {
                            claimed.ports.push(node_port);
                        }
                        p.insert("nodePort".into(), json!(node_port));
                    }
                    Err(e) => {
                        errors.push(alloc_error(e, &path, &node_port.to_string(), "port", srv)?)
                    }
                }
            }
        }
    }
    if wants_node_ports(&svc_type) && !spec.contains_key("externalTrafficPolicy") {
        spec.insert("externalTrafficPolicy".into(), json!("Cluster"));
    }
    if !errors.is_empty() {
        return Err(invalid(res, obj, errors));
    }
    Ok(())
}
