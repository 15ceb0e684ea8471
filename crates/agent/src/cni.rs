//! Pod networking through containerd's CNI: once the control plane has given the Node a pod
//! range (spec.podCIDR), a conflist with `bridge` (host-local IPAM on that range) and `portmap`
//! (hostPort) is written where containerd reads it.

use std::path::{Path, PathBuf};
use std::time::Duration;

use k8s_openapi::api::core::v1::Node;
use kube::api::Api;
use serde_json::{Value, json};

pub const CONFLIST_NAME: &str = "10-capstan.conflist";
pub const BRIDGE: &str = "cni0";

pub fn conflist(pod_cidr: &str, ipam_dir: &Path) -> Value {
    json!({
        "cniVersion": "1.0.0",
        "name": "capstan-pod-network",
        "plugins": [
            {
                "type": "bridge",
                "bridge": BRIDGE,
                "isGateway": true,
                "hairpinMode": true,
                "ipam": {
                    "type": "host-local",
                    "ranges": [[{"subnet": pod_cidr}]],
                    "routes": [{"dst": "0.0.0.0/0"}],
                    "dataDir": ipam_dir.to_string_lossy(),
                }
            },
            {"type": "portmap", "capabilities": {"portMappings": true}}
        ]
    })
}

/// Writes the conflist atomically (containerd watches the directory).
pub fn write(conf_dir: &Path, ipam_dir: &Path, pod_cidr: &str) -> std::io::Result<PathBuf> {
    std::fs::create_dir_all(conf_dir)?;
    std::fs::create_dir_all(ipam_dir)?;
    let path = conf_dir.join(CONFLIST_NAME);
    let text = serde_json::to_string_pretty(&conflist(pod_cidr, ipam_dir)).unwrap_or_default();
    if std::fs::read_to_string(&path).ok().as_deref() == Some(text.as_str()) {
        return Ok(path);
    }
    let tmp = conf_dir.join(format!(".{CONFLIST_NAME}.tmp"));
    std::fs::write(&tmp, text)?;
    std::fs::rename(&tmp, &path)?;
    Ok(path)
}

/// Waits until the Node has a pod range, then returns it.
pub async fn wait_for_pod_cidr(client: &kube::Client, node: &str) -> String {
    let api: Api<Node> = Api::all(client.clone());
    let mut logged = false;
    loop {
        match api.get(node).await {
            Ok(n) => {
                let spec = n.spec.unwrap_or_default();
                if let Some(cidr) = spec
                    .pod_cidrs
                    .and_then(|v| v.into_iter().find(|c| c.contains('.')))
                    .or(spec.pod_cidr)
                    .filter(|c| !c.is_empty())
                {
                    return cidr;
                }
                if !logged {
                    tracing::info!(node, "waiting for the control plane to assign spec.podCIDR");
                    logged = true;
                }
            }
            Err(e) => tracing::debug!(error = %e, "cannot read node"),
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn conflist_has_bridge_and_portmap() {
        let dir = tempfile::tempdir().unwrap();
        let path = write(
            &dir.path().join("net.d"),
            &dir.path().join("ipam"),
            "10.42.3.0/24",
        )
        .unwrap();
        let v: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
        assert_eq!(v["plugins"][0]["type"], "bridge");
        assert_eq!(v["plugins"][0]["isGateway"], true);
        assert_eq!(
            v["plugins"][0]["ipam"]["ranges"][0][0]["subnet"],
            "10.42.3.0/24"
        );
        assert_eq!(v["plugins"][1]["capabilities"]["portMappings"], true);
    }
}
