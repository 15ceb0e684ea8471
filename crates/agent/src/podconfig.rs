//! From a pod to CRI configs: the sandbox (metadata, hostname, DNS, host ports, namespaces), each
//! container (command, args, environment with `$(VAR)` expansion, mounts, resources, labels and
//! the annotations the agent reads back later). Pure: objects the environment refers to
//! (ConfigMaps, Secrets) are looked up beforehand and passed in.

use std::collections::{BTreeMap, HashMap};
use std::hash::{Hash, Hasher};

use k8s_openapi::api::core::v1::{Container, Pod};
use serde_json::Value;

use crate::cri::pb;
use crate::resources::{self, Qos};
use crate::runtime::*;

/// Objects a pod's environment and volumes refer to: name → data (None: does not exist).
#[derive(Debug, Default, Clone)]
pub struct Lookups {
    pub config_maps: HashMap<String, Option<BTreeMap<String, String>>>,
    pub secrets: HashMap<String, Option<BTreeMap<String, String>>>,
}

pub struct SandboxParams<'a> {
    pub log_directory: String,
    pub cluster_dns: &'a [String],
    pub cluster_domain: &'a str,
    pub node_hostname: &'a str,
}

pub fn pod_uid(pod: &Pod) -> &str {
    pod.metadata.uid.as_deref().unwrap_or("")
}

pub fn pod_name(pod: &Pod) -> &str {
    pod.metadata.name.as_deref().unwrap_or("")
}

pub fn pod_namespace(pod: &Pod) -> &str {
    pod.metadata.namespace.as_deref().unwrap_or("default")
}

/// `namespace_name_uid`, the directory name of the pod's logs (as /var/log/pods uses).
pub fn log_dir_name(pod: &Pod) -> String {
    format!("{}_{}_{}", pod_namespace(pod), pod_name(pod), pod_uid(pod))
}

fn protocol(p: Option<&str>) -> i32 {
    match p {
        Some("UDP") => pb::Protocol::Udp as i32,
        Some("SCTP") => pb::Protocol::Sctp as i32,
        _ => pb::Protocol::Tcp as i32,
    }
}

fn pod_labels(pod: &Pod) -> HashMap<String, String> {
    let mut labels: HashMap<String, String> = pod
        .metadata
        .labels
        .clone()
        .unwrap_or_default()
        .into_iter()
        .collect();
    labels.insert(LABEL_POD_NAME.into(), pod_name(pod).into());
    labels.insert(LABEL_POD_NAMESPACE.into(), pod_namespace(pod).into());
    labels.insert(LABEL_POD_UID.into(), pod_uid(pod).into());
    labels.insert(LABEL_MANAGED.into(), "true".into());
    labels
}

fn namespace_options(pod: &Pod) -> pb::NamespaceOption {
    let spec = pod.spec.as_ref();
    let host_network = spec.and_then(|s| s.host_network).unwrap_or(false);
    let host_pid = spec.and_then(|s| s.host_pid).unwrap_or(false);
    let host_ipc = spec.and_then(|s| s.host_ipc).unwrap_or(false);
    let share_pid = spec
        .and_then(|s| s.share_process_namespace)
        .unwrap_or(false);
    pb::NamespaceOption {
        network: if host_network {
            pb::NamespaceMode::Node
        } else {
            pb::NamespaceMode::Pod
        } as i32,
        pid: if host_pid {
            pb::NamespaceMode::Node
        } else if share_pid {
            pb::NamespaceMode::Pod
        } else {
            pb::NamespaceMode::Container
        } as i32,
        ipc: if host_ipc {
            pb::NamespaceMode::Node
        } else {
            pb::NamespaceMode::Pod
        } as i32,
        ..Default::default()
    }
}

/// The pod's hostname: spec.hostname, else its name, cut to 63 characters.
pub fn hostname(pod: &Pod, node_hostname: &str) -> String {
    let spec = pod.spec.as_ref();
    if spec.and_then(|s| s.host_network).unwrap_or(false) {
        return node_hostname.to_owned();
    }
    let name = spec
        .and_then(|s| s.hostname.clone())
        .unwrap_or_else(|| pod_name(pod).to_owned());
    let mut h: String = name.chars().take(63).collect();
    while h.ends_with(['-', '.']) {
        h.pop();
    }
    h
}

pub fn sandbox_config(pod: &Pod, attempt: u32, p: &SandboxParams<'_>) -> pb::PodSandboxConfig {
    let spec = pod.spec.as_ref();
    let mut port_mappings = Vec::new();
    for c in spec.map(|s| s.containers.as_slice()).unwrap_or(&[]) {
        for port in c.ports.iter().flatten() {
            if let Some(host_port) = port.host_port
                && host_port > 0
            {
                port_mappings.push(pb::PortMapping {
                    protocol: protocol(port.protocol.as_deref()),
                    container_port: port.container_port,
                    host_port,
                    host_ip: port.host_ip.clone().unwrap_or_default(),
                });
            }
        }
    }
    let dns_policy = spec
        .and_then(|s| s.dns_policy.as_deref())
        .unwrap_or("ClusterFirst");
    let host_network = spec.and_then(|s| s.host_network).unwrap_or(false);
    let cluster_first =
        dns_policy == "ClusterFirstWithHostNet" || (dns_policy == "ClusterFirst" && !host_network);
    let mut dns_config = if cluster_first && !p.cluster_dns.is_empty() {
        let ns = pod_namespace(pod);
        let d = p.cluster_domain;
        Some(pb::DnsConfig {
            servers: p.cluster_dns.to_vec(),
            searches: vec![format!("{ns}.svc.{d}"), format!("svc.{d}"), d.to_owned()],
            options: vec!["ndots:5".into()],
        })
    } else {
        // Without cluster DNS, ClusterFirst falls back to the node's resolv.conf (containerd
        // copies it when no DNS config is given), as the kubelet's Default policy.
        None
    };
    if let Some(custom) = spec.and_then(|s| s.dns_config.as_ref()) {
        let base = if dns_policy == "None" {
            pb::DnsConfig::default()
        } else {
            dns_config.clone().unwrap_or_default()
        };
        let mut merged = base;
        merged
            .servers
            .extend(custom.nameservers.clone().unwrap_or_default());
        merged
            .searches
            .extend(custom.searches.clone().unwrap_or_default());
        for o in custom.options.iter().flatten() {
            let name = o.name.clone().unwrap_or_default();
            let opt = match &o.value {
                Some(v) => format!("{name}:{v}"),
                None => name,
            };
            merged
                .options
                .retain(|x| x.split(':').next() != opt.split(':').next());
            merged.options.push(opt);
        }
        dns_config = Some(merged);
    }
    let sysctls: HashMap<String, String> = spec
        .and_then(|s| s.security_context.as_ref())
        .and_then(|sc| sc.sysctls.as_ref())
        .map(|v| {
            v.iter()
                .map(|s| (s.name.clone(), s.value.clone()))
                .collect()
        })
        .unwrap_or_default();
    let privileged = spec
        .map(|s| {
            s.containers
                .iter()
                .chain(s.init_containers.iter().flatten())
                .any(|c| {
                    c.security_context
                        .as_ref()
                        .and_then(|sc| sc.privileged)
                        .unwrap_or(false)
                })
        })
        .unwrap_or(false);
    pb::PodSandboxConfig {
        metadata: Some(pb::PodSandboxMetadata {
            name: pod_name(pod).into(),
            uid: pod_uid(pod).into(),
            namespace: pod_namespace(pod).into(),
            attempt,
        }),
        hostname: hostname(pod, p.node_hostname),
        log_directory: p.log_directory.clone(),
        dns_config,
        port_mappings,
        labels: pod_labels(pod),
        annotations: pod
            .metadata
            .annotations
            .clone()
            .unwrap_or_default()
            .into_iter()
            .collect(),
        linux: Some(pb::LinuxPodSandboxConfig {
            sysctls,
            security_context: Some(pb::LinuxSandboxSecurityContext {
                namespace_options: Some(namespace_options(pod)),
                privileged,
                ..Default::default()
            }),
            ..Default::default()
        }),
        windows: None,
    }
}

/// A stable hash of the container's spec: a changed spec means the container is recreated.
pub fn container_hash(c: &Container) -> String {
    let text = serde_json::to_string(c).unwrap_or_default();
    let mut h = std::collections::hash_map::DefaultHasher::new();
    text.hash(&mut h);
    format!("{:x}", h.finish())
}

fn field_value(pod: &Pod, path: &str, pod_ip: &str, host_ip: &str, node: &str) -> Option<String> {
    let meta = &pod.metadata;
    let spec = pod.spec.as_ref();
    if let Some(key) = path
        .strip_prefix("metadata.labels['")
        .and_then(|r| r.strip_suffix("']"))
    {
        return Some(meta.labels.as_ref()?.get(key)?.clone());
    }
    if let Some(key) = path
        .strip_prefix("metadata.annotations['")
        .and_then(|r| r.strip_suffix("']"))
    {
        return Some(meta.annotations.as_ref()?.get(key)?.clone());
    }
    Some(match path {
        "metadata.name" => pod_name(pod).to_owned(),
        "metadata.namespace" => pod_namespace(pod).to_owned(),
        "metadata.uid" => pod_uid(pod).to_owned(),
        "spec.nodeName" => node.to_owned(),
        "spec.serviceAccountName" => spec?.service_account_name.clone().unwrap_or_default(),
        "status.hostIP" | "status.hostIPs" => host_ip.to_owned(),
        "status.podIP" | "status.podIPs" => pod_ip.to_owned(),
        _ => return None,
    })
}

fn resource_value(
    c: &Container,
    resource: &str,
    divisor: Option<&str>,
    node_cpu: i64,
    node_memory: i64,
) -> String {
    let r = c.resources.as_ref();
    let get = |kind: &str, name: &str| {
        r.and_then(|r| {
            if kind == "limits" {
                r.limits.as_ref()
            } else {
                r.requests.as_ref()
            }
        })
        .and_then(|m| m.get(name))
    };
    let (kind, name) = resource.split_once('.').unwrap_or(("limits", resource));
    if name == "cpu" {
        let milli = resources::milli_cpu(get(kind, "cpu")).unwrap_or(if kind == "limits" {
            node_cpu * 1000
        } else {
            0
        });
        let div = divisor
            .and_then(|d| capstan_apimachinery::Quantity::parse(d).ok())
            .map(|q| q.milli_value())
            .filter(|d| *d > 0)
            .unwrap_or(1000);
        return ((milli + div - 1) / div).to_string();
    }
    let bytes =
        resources::bytes(get(kind, name)).unwrap_or(if kind == "limits" { node_memory } else { 0 });
    let div = divisor
        .and_then(|d| capstan_apimachinery::Quantity::parse(d).ok())
        .map(|q| q.value())
        .filter(|d| *d > 0)
        .unwrap_or(1);
    ((bytes + div - 1) / div).to_string()
}

/// Expands `$(VAR)` from `env` (`$$` escapes), leaving unknown references as written.
pub fn expand(s: &str, env: &[(String, String)]) -> String {
    let mut out = String::with_capacity(s.len());
    let bytes = s.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'$' && i + 1 < bytes.len() {
            if bytes[i + 1] == b'$' {
                out.push('$');
                i += 2;
                continue;
            }
            if bytes[i + 1] == b'('
                && let Some(end) = s[i + 2..].find(')')
            {
                let name = &s[i + 2..i + 2 + end];
                if let Some((_, v)) = env.iter().rev().find(|(k, _)| k == name) {
                    out.push_str(v);
                } else {
                    out.push_str(&s[i..i + 3 + end]);
                }
                i += 3 + end;
                continue;
            }
        }
        let ch = s[i..].chars().next().unwrap_or('\0');
        out.push(ch);
        i += ch.len_utf8();
    }
    out
}

pub struct EnvParams<'a> {
    pub pod_ip: &'a str,
    pub host_ip: &'a str,
    pub node_name: &'a str,
    pub node_cpu: i64,
    pub node_memory: i64,
}

/// The container's environment in order: envFrom, then env (later entries win, as upstream).
pub fn environment(
    pod: &Pod,
    c: &Container,
    l: &Lookups,
    p: &EnvParams<'_>,
) -> Result<Vec<(String, String)>, String> {
    let mut env: Vec<(String, String)> = Vec::new();
    let set = |env: &mut Vec<(String, String)>, k: String, v: String| {
        env.retain(|(x, _)| *x != k);
        env.push((k, v));
    };
    for from in c.env_from.iter().flatten() {
        let prefix = from.prefix.clone().unwrap_or_default();
        if let Some(cm) = &from.config_map_ref {
            let name = cm.name.clone();
            match l.config_maps.get(&name).cloned().flatten() {
                Some(data) => {
                    for (k, v) in data {
                        set(&mut env, format!("{prefix}{k}"), v);
                    }
                }
                None if cm.optional == Some(true) => {}
                None => return Err(format!("configmap \"{name}\" not found")),
            }
        }
        if let Some(sr) = &from.secret_ref {
            let name = sr.name.clone();
            match l.secrets.get(&name).cloned().flatten() {
                Some(data) => {
                    for (k, v) in data {
                        set(&mut env, format!("{prefix}{k}"), v);
                    }
                }
                None if sr.optional == Some(true) => {}
                None => return Err(format!("secret \"{name}\" not found")),
            }
        }
    }
    for e in c.env.iter().flatten() {
        let value = if let Some(v) = &e.value {
            expand(v, &env)
        } else if let Some(from) = &e.value_from {
            if let Some(f) = &from.field_ref {
                field_value(pod, &f.field_path, p.pod_ip, p.host_ip, p.node_name)
                    .unwrap_or_default()
            } else if let Some(r) = &from.resource_field_ref {
                let target = match &r.container_name {
                    Some(n) if !n.is_empty() => pod
                        .spec
                        .as_ref()
                        .and_then(|s| s.containers.iter().find(|x| &x.name == n))
                        .unwrap_or(c),
                    _ => c,
                };
                resource_value(
                    target,
                    &r.resource,
                    r.divisor.as_ref().map(|d| d.0.as_str()),
                    p.node_cpu,
                    p.node_memory,
                )
            } else if let Some(k) = &from.config_map_key_ref {
                let name = k.name.clone();
                match l.config_maps.get(&name).cloned().flatten() {
                    Some(data) => match data.get(&k.key) {
                        Some(v) => v.clone(),
                        None if k.optional == Some(true) => continue,
                        None => {
                            return Err(format!(
                                "couldn't find key {} in ConfigMap {}/{}",
                                k.key,
                                pod_namespace(pod),
                                name
                            ));
                        }
                    },
                    None if k.optional == Some(true) => continue,
                    None => return Err(format!("configmap \"{name}\" not found")),
                }
            } else if let Some(k) = &from.secret_key_ref {
                let name = k.name.clone();
                match l.secrets.get(&name).cloned().flatten() {
                    Some(data) => match data.get(&k.key) {
                        Some(v) => v.clone(),
                        None if k.optional == Some(true) => continue,
                        None => {
                            return Err(format!(
                                "couldn't find key {} in Secret {}/{}",
                                k.key,
                                pod_namespace(pod),
                                name
                            ));
                        }
                    },
                    None if k.optional == Some(true) => continue,
                    None => return Err(format!("secret \"{name}\" not found")),
                }
            } else {
                String::new()
            }
        } else {
            String::new()
        };
        set(&mut env, e.name.clone(), value);
    }
    Ok(env)
}

/// ConfigMaps and Secrets the pod's environment and volumes name.
pub fn references(pod: &Pod) -> (Vec<String>, Vec<String>) {
    let mut cms = Vec::new();
    let mut secrets = Vec::new();
    let Some(spec) = &pod.spec else {
        return (cms, secrets);
    };
    for c in spec
        .containers
        .iter()
        .chain(spec.init_containers.iter().flatten())
    {
        for f in c.env_from.iter().flatten() {
            if let Some(r) = &f.config_map_ref {
                cms.push(r.name.clone());
            }
            if let Some(r) = &f.secret_ref {
                secrets.push(r.name.clone());
            }
        }
        for e in c.env.iter().flatten() {
            if let Some(from) = &e.value_from {
                if let Some(r) = &from.config_map_key_ref {
                    cms.push(r.name.clone());
                }
                if let Some(r) = &from.secret_key_ref {
                    secrets.push(r.name.clone());
                }
            }
        }
    }
    for v in spec.volumes.iter().flatten() {
        if let Some(cm) = &v.config_map {
            cms.push(cm.name.clone());
        }
        if let Some(s) = &v.secret
            && let Some(n) = &s.secret_name
        {
            secrets.push(n.clone());
        }
        if let Some(p) = &v.projected {
            for src in p.sources.iter().flatten() {
                if let Some(cm) = &src.config_map {
                    cms.push(cm.name.clone());
                }
                if let Some(s) = &src.secret {
                    secrets.push(s.name.clone());
                }
            }
        }
    }
    cms.sort();
    cms.dedup();
    secrets.sort();
    secrets.dedup();
    (cms, secrets)
}

/// Decodes a Secret's data (base64 in JSON) to strings.
pub fn secret_data(secret: &Value) -> BTreeMap<String, String> {
    use base64::Engine;
    let b64 = base64::engine::general_purpose::STANDARD;
    let mut out = BTreeMap::new();
    if let Some(Value::Object(data)) = secret.get("data") {
        for (k, v) in data {
            if let Some(bytes) = v.as_str().and_then(|t| b64.decode(t).ok()) {
                out.insert(k.clone(), String::from_utf8_lossy(&bytes).into_owned());
            }
        }
    }
    if let Some(Value::Object(data)) = secret.get("stringData") {
        for (k, v) in data {
            out.insert(k.clone(), v.as_str().unwrap_or("").to_owned());
        }
    }
    out
}

pub struct ContainerParams<'a> {
    pub attempt: u32,
    pub image_ref: &'a str,
    pub env: &'a [(String, String)],
    pub mounts: Vec<pb::Mount>,
    pub qos: Qos,
    pub memory_capacity: i64,
    pub may_lower_oom: bool,
    /// Host file mounted at terminationMessagePath.
    pub termination_message_file: Option<String>,
}

pub fn container_config(pod: &Pod, c: &Container, p: ContainerParams<'_>) -> pb::ContainerConfig {
    let grace = pod
        .spec
        .as_ref()
        .and_then(|s| s.termination_grace_period_seconds)
        .unwrap_or(30);
    let mut labels = HashMap::from([
        (LABEL_POD_NAME.to_owned(), pod_name(pod).to_owned()),
        (
            LABEL_POD_NAMESPACE.to_owned(),
            pod_namespace(pod).to_owned(),
        ),
        (LABEL_POD_UID.to_owned(), pod_uid(pod).to_owned()),
        (LABEL_CONTAINER_NAME.to_owned(), c.name.clone()),
    ]);
    labels.insert(LABEL_MANAGED.into(), "true".into());
    let mut annotations = HashMap::from([
        (ANNOTATION_HASH.to_owned(), container_hash(c)),
        (ANNOTATION_RESTART_COUNT.to_owned(), p.attempt.to_string()),
        (ANNOTATION_GRACE.to_owned(), grace.to_string()),
        (
            ANNOTATION_TERMINATION_MESSAGE_PATH.to_owned(),
            c.termination_message_path
                .clone()
                .unwrap_or_else(|| "/dev/termination-log".into()),
        ),
        (
            ANNOTATION_TERMINATION_MESSAGE_POLICY.to_owned(),
            c.termination_message_policy
                .clone()
                .unwrap_or_else(|| "File".into()),
        ),
    ]);
    if let Some(pre_stop) = c.lifecycle.as_ref().and_then(|l| l.pre_stop.as_ref())
        && let Ok(text) = serde_json::to_string(pre_stop)
    {
        annotations.insert(ANNOTATION_PRESTOP.into(), text);
    }
    let mut mounts = p.mounts;
    if let Some(file) = &p.termination_message_file {
        annotations.insert(ANNOTATION_TERMINATION_MESSAGE_FILE.into(), file.clone());
        mounts.push(pb::Mount {
            container_path: c
                .termination_message_path
                .clone()
                .unwrap_or_else(|| "/dev/termination-log".into()),
            host_path: file.clone(),
            ..Default::default()
        });
    }
    let sc = c.security_context.as_ref();
    let pod_sc = pod.spec.as_ref().and_then(|s| s.security_context.as_ref());
    let caps = sc.and_then(|s| s.capabilities.as_ref());
    let security_context = pb::LinuxContainerSecurityContext {
        capabilities: caps.map(|c| pb::Capability {
            add_capabilities: c.add.clone().unwrap_or_default(),
            drop_capabilities: c.drop.clone().unwrap_or_default(),
            add_ambient_capabilities: vec![],
        }),
        privileged: sc.and_then(|s| s.privileged).unwrap_or(false),
        namespace_options: Some(namespace_options(pod)),
        run_as_user: sc
            .and_then(|s| s.run_as_user)
            .or_else(|| pod_sc.and_then(|s| s.run_as_user))
            .map(|value| pb::Int64Value { value }),
        run_as_group: sc
            .and_then(|s| s.run_as_group)
            .or_else(|| pod_sc.and_then(|s| s.run_as_group))
            .map(|value| pb::Int64Value { value }),
        readonly_rootfs: sc
            .and_then(|s| s.read_only_root_filesystem)
            .unwrap_or(false),
        supplemental_groups: pod_sc
            .and_then(|s| s.supplemental_groups.clone())
            .unwrap_or_default(),
        no_new_privs: sc.and_then(|s| s.allow_privilege_escalation) == Some(false),
        ..Default::default()
    };
    let command = c
        .command
        .clone()
        .unwrap_or_default()
        .iter()
        .map(|s| expand(s, p.env))
        .collect();
    let args = c
        .args
        .clone()
        .unwrap_or_default()
        .iter()
        .map(|s| expand(s, p.env))
        .collect();
    pb::ContainerConfig {
        metadata: Some(pb::ContainerMetadata {
            name: c.name.clone(),
            attempt: p.attempt,
        }),
        image: Some(pb::ImageSpec {
            image: p.image_ref.to_owned(),
            user_specified_image: c.image.clone().unwrap_or_default(),
            ..Default::default()
        }),
        command,
        args,
        working_dir: c.working_dir.clone().unwrap_or_default(),
        envs: p
            .env
            .iter()
            .map(|(k, v)| pb::KeyValue {
                key: k.clone(),
                value: v.clone().into_bytes(),
            })
            .collect(),
        mounts,
        labels,
        annotations,
        log_path: format!("{}/{}.log", c.name, p.attempt),
        stdin: c.stdin.unwrap_or(false),
        stdin_once: c.stdin_once.unwrap_or(false),
        tty: c.tty.unwrap_or(false),
        linux: Some(pb::LinuxContainerConfig {
            resources: Some(resources::container_resources(
                c,
                p.qos,
                p.memory_capacity,
                p.may_lower_oom,
            )),
            security_context: Some(security_context),
        }),
        ..Default::default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn pod(spec: Value) -> Pod {
        serde_json::from_value(json!({
            "metadata": {"name": "web", "namespace": "prod", "uid": "u-1", "labels": {"app": "x"}},
            "spec": spec,
        }))
        .unwrap()
    }

    #[test]
    fn expansion_like_kubelet() {
        let env = vec![
            ("A".to_owned(), "1".to_owned()),
            ("B".to_owned(), "two".to_owned()),
        ];
        assert_eq!(expand("$(A)-$(B)", &env), "1-two");
        assert_eq!(expand("$$(A) $(C)", &env), "$(A) $(C)");
        assert_eq!(expand("cost $5", &env), "cost $5");
        assert_eq!(expand("ünï $(A)", &env), "ünï 1");
    }

    #[test]
    fn environment_sources() {
        let p = pod(json!({"containers": [{"name": "c", "env": [
            {"name": "NAME", "valueFrom": {"fieldRef": {"fieldPath": "metadata.name"}}},
            {"name": "IP", "valueFrom": {"fieldRef": {"fieldPath": "status.podIP"}}},
            {"name": "GREETING", "value": "hi $(NAME)"},
            {"name": "K", "valueFrom": {"configMapKeyRef": {"name": "cm", "key": "k"}}},
            {"name": "S", "valueFrom": {"secretKeyRef": {"name": "s", "key": "pw", "optional": true}}},
            {"name": "MEM", "valueFrom": {"resourceFieldRef": {"resource": "limits.memory", "divisor": "1Mi"}}},
        ], "envFrom": [{"configMapRef": {"name": "cm"}, "prefix": "CM_"}],
           "resources": {"limits": {"memory": "64Mi"}}}]}));
        let c = &p.spec.as_ref().unwrap().containers[0];
        let mut l = Lookups::default();
        l.config_maps.insert(
            "cm".into(),
            Some(BTreeMap::from([("k".to_owned(), "v".to_owned())])),
        );
        l.secrets.insert("s".into(), None);
        let params = EnvParams {
            pod_ip: "10.42.0.9",
            host_ip: "192.0.2.1",
            node_name: "n1",
            node_cpu: 2,
            node_memory: 1 << 30,
        };
        let env = environment(&p, c, &l, &params).unwrap();
        let get = |k: &str| env.iter().find(|(x, _)| x == k).map(|(_, v)| v.clone());
        assert_eq!(get("NAME").unwrap(), "web");
        assert_eq!(get("IP").unwrap(), "10.42.0.9");
        assert_eq!(get("GREETING").unwrap(), "hi web");
        assert_eq!(get("K").unwrap(), "v");
        assert_eq!(get("CM_k").unwrap(), "v");
        assert_eq!(get("S"), None);
        assert_eq!(get("MEM").unwrap(), "64");
        l.config_maps.insert("cm".into(), None);
        assert_eq!(
            environment(&p, c, &l, &params).unwrap_err(),
            "configmap \"cm\" not found"
        );
    }

    #[test]
    fn sandbox_carries_host_ports_and_labels() {
        let p = pod(json!({"containers": [{"name": "c", "ports": [
            {"containerPort": 80, "hostPort": 8080},
            {"containerPort": 53, "protocol": "UDP"}]}]}));
        let s = sandbox_config(
            &p,
            2,
            &SandboxParams {
                log_directory: "/logs/prod_web_u-1".into(),
                cluster_dns: &["10.43.0.10".into()],
                cluster_domain: "cluster.local",
                node_hostname: "node",
            },
        );
        assert_eq!(s.port_mappings.len(), 1);
        assert_eq!(s.port_mappings[0].host_port, 8080);
        assert_eq!(s.metadata.as_ref().unwrap().attempt, 2);
        assert_eq!(s.labels[LABEL_POD_UID], "u-1");
        assert_eq!(s.labels["app"], "x");
        assert_eq!(s.hostname, "web");
        let dns = s.dns_config.unwrap();
        assert_eq!(dns.searches[0], "prod.svc.cluster.local");
    }

    #[test]
    fn container_config_records_what_is_read_back() {
        let p = pod(
            json!({"terminationGracePeriodSeconds": 7, "containers": [{"name": "c", "image": "busybox",
            "command": ["sh", "-c"], "args": ["echo $(X)"],
            "lifecycle": {"preStop": {"exec": {"command": ["sleep", "1"]}}}}]}),
        );
        let c = &p.spec.as_ref().unwrap().containers[0];
        let env = vec![("X".to_owned(), "y".to_owned())];
        let cfg = container_config(
            &p,
            c,
            ContainerParams {
                attempt: 3,
                image_ref: "sha256:abc",
                env: &env,
                mounts: vec![],
                qos: Qos::BestEffort,
                memory_capacity: 1 << 30,
                may_lower_oom: false,
                termination_message_file: Some("/x/msg".into()),
            },
        );
        assert_eq!(cfg.args, vec!["echo y".to_owned()]);
        assert_eq!(cfg.log_path, "c/3.log");
        assert_eq!(cfg.annotations[ANNOTATION_GRACE], "7");
        assert_eq!(cfg.annotations[ANNOTATION_RESTART_COUNT], "3");
        assert!(cfg.annotations[ANNOTATION_PRESTOP].contains("sleep"));
        assert_eq!(cfg.mounts[0].container_path, "/dev/termination-log");
        assert_eq!(cfg.linux.unwrap().resources.unwrap().oom_score_adj, 1000);
    }
}
