//! Registry settings in k3s's `registries.yaml` format, turned into what containerd 1.6 reads:
//! mirrors and TLS settings as `certs.d/HOST/hosts.toml` files, credentials as the CRI plugin's
//! `registry.configs."HOST".auth` tables (containerd refuses `mirrors` and `configs.tls` beside
//! `config_path`, but accepts `configs.auth`). Plus the credentials of imagePullSecrets.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use base64::Engine;
use serde::Deserialize;
use serde_json::Value;

use crate::cri::pb;

#[derive(Debug, Clone, Default, Deserialize, PartialEq)]
pub struct Registries {
    #[serde(default)]
    pub mirrors: BTreeMap<String, Mirror>,
    #[serde(default)]
    pub configs: BTreeMap<String, RegistryConfig>,
}

#[derive(Debug, Clone, Default, Deserialize, PartialEq)]
pub struct Mirror {
    #[serde(default)]
    pub endpoint: Vec<String>,
}

#[derive(Debug, Clone, Default, Deserialize, PartialEq)]
pub struct RegistryConfig {
    #[serde(default)]
    pub auth: Option<AuthConfig>,
    #[serde(default)]
    pub tls: Option<TlsConfig>,
}

#[derive(Debug, Clone, Default, Deserialize, PartialEq)]
pub struct AuthConfig {
    #[serde(default)]
    pub username: String,
    #[serde(default)]
    pub password: String,
    #[serde(default)]
    pub auth: String,
    #[serde(default)]
    pub identity_token: String,
}

#[derive(Debug, Clone, Default, Deserialize, PartialEq)]
pub struct TlsConfig {
    #[serde(default)]
    pub cert_file: String,
    #[serde(default)]
    pub key_file: String,
    #[serde(default)]
    pub ca_file: String,
    #[serde(default)]
    pub insecure_skip_verify: bool,
}

pub fn parse(text: &str) -> Result<Registries, String> {
    if text.trim().is_empty() {
        return Ok(Registries::default());
    }
    serde_saphyr::from_str(text).map_err(|e| format!("invalid registries file: {e}"))
}

fn toml_str(s: &str) -> String {
    let mut out = String::from("\"");
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if c.is_control() => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// The host part of an endpoint URL (`https://a:5000/v2` → `a:5000`).
fn endpoint_host(endpoint: &str) -> &str {
    let rest = endpoint
        .split_once("://")
        .map(|(_, r)| r)
        .unwrap_or(endpoint);
    rest.split('/').next().unwrap_or(rest)
}

fn with_scheme(endpoint: &str) -> String {
    if endpoint.contains("://") {
        endpoint.trim_end_matches('/').to_owned()
    } else {
        format!("https://{}", endpoint.trim_end_matches('/'))
    }
}

fn tls_lines(tls: &TlsConfig, out: &mut String) {
    if !tls.ca_file.is_empty() {
        let _ = writeln!(out, "  ca = {}", toml_str(&tls.ca_file));
    }
    if !tls.cert_file.is_empty() && !tls.key_file.is_empty() {
        let _ = writeln!(
            out,
            "  client = [[{}, {}]]",
            toml_str(&tls.cert_file),
            toml_str(&tls.key_file)
        );
    }
    if tls.insecure_skip_verify {
        out.push_str("  skip_verify = true\n");
    }
}

/// The `hosts.toml` files: (directory name under certs.d, contents).
pub fn hosts_files(r: &Registries) -> Vec<(String, String)> {
    let mut hosts: BTreeMap<String, String> = BTreeMap::new();
    for (registry, mirror) in &r.mirrors {
        let dir = if registry == "*" {
            "_default".to_owned()
        } else {
            registry.clone()
        };
        let mut text = String::new();
        if registry != "*" {
            let server = if registry == "docker.io" {
                "https://registry-1.docker.io".to_owned()
            } else {
                format!("https://{registry}")
            };
            let _ = writeln!(text, "server = {}\n", toml_str(&server));
        }
        for endpoint in &mirror.endpoint {
            let url = with_scheme(endpoint);
            let _ = writeln!(text, "[host.{}]", toml_str(&url));
            text.push_str("  capabilities = [\"pull\", \"resolve\"]\n");
            if let Some(tls) = r
                .configs
                .get(endpoint_host(endpoint))
                .and_then(|c| c.tls.as_ref())
            {
                tls_lines(tls, &mut text);
            }
            text.push('\n');
        }
        hosts.insert(dir, text);
    }
    // TLS settings for registries that have no mirror: the registry itself as the server.
    for (registry, config) in &r.configs {
        let Some(tls) = &config.tls else { continue };
        if hosts.contains_key(registry)
            || r.mirrors
                .values()
                .any(|m| m.endpoint.iter().any(|e| endpoint_host(e) == registry))
        {
            continue;
        }
        let mut text = format!("server = {}\n\n", toml_str(&format!("https://{registry}")));
        let _ = writeln!(text, "[host.{}]", toml_str(&format!("https://{registry}")));
        text.push_str("  capabilities = [\"pull\", \"resolve\"]\n");
        tls_lines(tls, &mut text);
        hosts.insert(registry.clone(), text);
    }
    hosts.into_iter().collect()
}

/// The `registry.configs."HOST".auth` tables for containerd's config.
pub fn auth_toml(r: &Registries) -> String {
    let mut out = String::new();
    for (host, config) in &r.configs {
        let Some(auth) = &config.auth else { continue };
        let _ = writeln!(
            out,
            "[plugins.\"io.containerd.grpc.v1.cri\".registry.configs.{}.auth]",
            toml_str(host)
        );
        for (k, v) in [
            ("username", &auth.username),
            ("password", &auth.password),
            ("auth", &auth.auth),
            ("identitytoken", &auth.identity_token),
        ] {
            if !v.is_empty() {
                let _ = writeln!(out, "  {k} = {}", toml_str(v));
            }
        }
    }
    out
}

/// Whether a docker config key (`https://index.docker.io/v1/`, `host:port`, `http://host/path`)
/// names `registry`.
fn key_matches(key: &str, registry: &str) -> bool {
    let host = endpoint_host(key);
    let docker_hub = |h: &str| {
        matches!(
            h,
            "docker.io" | "index.docker.io" | "registry-1.docker.io" | "registry.hub.docker.com"
        )
    };
    host == registry || (docker_hub(host) && docker_hub(registry))
}

/// Credentials for `registry` from the pod's pull secrets (the `data` of each, in order):
/// kubernetes.io/dockerconfigjson (`.dockerconfigjson`) or kubernetes.io/dockercfg (`.dockercfg`).
pub fn secret_auth(registry: &str, secrets: &[Value]) -> Option<pb::AuthConfig> {
    let b64 = base64::engine::general_purpose::STANDARD;
    for data in secrets {
        let decoded = |k: &str| -> Option<Value> {
            let text = data.get(k)?.as_str()?;
            let bytes = b64.decode(text).ok()?;
            serde_json::from_slice(&bytes).ok()
        };
        let auths = decoded(".dockerconfigjson")
            .and_then(|v| v.get("auths").cloned())
            .or_else(|| decoded(".dockercfg"));
        let Some(Value::Object(auths)) = auths else {
            continue;
        };
        for (key, entry) in auths {
            if !key_matches(&key, registry) {
                continue;
            }
            let field = |k: &str| {
                entry
                    .get(k)
                    .and_then(Value::as_str)
                    .unwrap_or("")
                    .to_owned()
            };
            let (mut username, mut password) = (field("username"), field("password"));
            let auth = field("auth");
            if username.is_empty()
                && !auth.is_empty()
                && let Ok(bytes) = b64.decode(&auth)
                && let Some((u, p)) = String::from_utf8_lossy(&bytes).split_once(':')
            {
                username = u.to_owned();
                password = p.to_owned();
            }
            // No server address, as the kubelet sends none for pull secrets: containerd would
            // compare it, parsed as a URL, with each endpoint it tries, so `host:port` would fail
            // to parse and a registry's mirrors would never get the credentials.
            return Some(pb::AuthConfig {
                username,
                password,
                auth,
                server_address: String::new(),
                identity_token: field("identitytoken"),
                registry_token: field("registrytoken"),
            });
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    const K3S_EXAMPLE: &str = r#"
mirrors:
  docker.io:
    endpoint:
      - "http://127.0.0.1:5000"
  "*":
    endpoint:
      - "https://mirror.example:5000"
configs:
  "mirror.example:5000":
    auth:
      username: xxx
      password: yyy
    tls:
      ca_file: /etc/ca.pem
      insecure_skip_verify: true
  "private.example":
    tls:
      ca_file: /etc/private.pem
"#;

    #[test]
    fn mirrors_become_hosts_files() {
        let r = parse(K3S_EXAMPLE).unwrap();
        let files = hosts_files(&r);
        let get = |d: &str| files.iter().find(|(n, _)| n == d).map(|(_, t)| t.clone());
        let docker = get("docker.io").unwrap();
        assert!(docker.contains("server = \"https://registry-1.docker.io\""));
        assert!(docker.contains("[host.\"http://127.0.0.1:5000\"]"));
        let default = get("_default").unwrap();
        assert!(!default.contains("server ="));
        assert!(default.contains("ca = \"/etc/ca.pem\""));
        assert!(default.contains("skip_verify = true"));
        let private = get("private.example").unwrap();
        assert!(private.contains("server = \"https://private.example\""));
        assert!(private.contains("ca = \"/etc/private.pem\""));
        let auth = auth_toml(&r);
        assert!(auth.contains(
            "[plugins.\"io.containerd.grpc.v1.cri\".registry.configs.\"mirror.example:5000\".auth]"
        ));
        assert!(auth.contains("username = \"xxx\""));
        assert!(parse("").unwrap().mirrors.is_empty());
        assert!(parse("mirrors: [1").is_err());
    }

    #[test]
    fn pull_secrets_match_their_registry() {
        let b64 = base64::engine::general_purpose::STANDARD;
        let config = serde_json::json!({"auths": {
            "https://index.docker.io/v1/": {"auth": b64.encode("hub:pw")},
            "localhost:5000": {"username": "u", "password": "p"},
        }});
        let secret = serde_json::json!({".dockerconfigjson": b64.encode(config.to_string())});
        let hub = secret_auth("docker.io", std::slice::from_ref(&secret)).unwrap();
        assert_eq!(
            (hub.username.as_str(), hub.password.as_str()),
            ("hub", "pw")
        );
        let local = secret_auth("localhost:5000", std::slice::from_ref(&secret)).unwrap();
        assert_eq!(local.username, "u");
        assert_eq!(local.server_address, "");
        assert!(secret_auth("quay.io", &[secret]).is_none());
    }
}
