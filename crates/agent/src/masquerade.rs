//! Pod egress: packets from pods to anything outside the cluster's pod network leave with the
//! node's address (masquerade), or replies from outside could never find their way back to a
//! 10.42.x.x address. Traffic between pods, on this node or another, keeps its source (the
//! Kubernetes network model: no NAT between pods). One nftables table of our own holds the rule,
//! replaced whole on every start, so nothing else's rules are touched.

use capstan_apimachinery::cidr::Ipv4Cidr;

/// The nftables table (family ip) the agent owns.
pub const TABLE: &str = "capstan";

/// The whole table, as one `nft -f` transaction that creates or replaces it.
pub fn ruleset(cluster_cidr: &Ipv4Cidr) -> String {
    let cidr = cluster_cidr.to_string();
    format!(
        "table ip {TABLE}\n\
         flush table ip {TABLE}\n\
         table ip {TABLE} {{\n\
         \tchain pod-egress {{\n\
         \t\ttype nat hook postrouting priority 100; policy accept;\n\
         \t\tip saddr {cidr} ip daddr != {cidr} ip daddr != 224.0.0.0/4 masquerade\n\
         \t}}\n\
         }}\n"
    )
}

/// Installs the rule; an error says what to install or check.
pub async fn apply(cluster_cidr: &Ipv4Cidr) -> Result<(), String> {
    use tokio::io::AsyncWriteExt;
    let mut child = tokio::process::Command::new("nft")
        .args(["-f", "-"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .map_err(|e| format!("cannot run nft (install nftables): {e}"))?;
    if let Some(mut stdin) = child.stdin.take() {
        stdin
            .write_all(ruleset(cluster_cidr).as_bytes())
            .await
            .map_err(|e| format!("cannot write to nft: {e}"))?;
    }
    let out = child
        .wait_with_output()
        .await
        .map_err(|e| format!("nft: {e}"))?;
    if out.status.success() {
        Ok(())
    } else {
        Err(format!(
            "nft refused the pod egress rule: {}",
            String::from_utf8_lossy(&out.stderr).trim()
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_traffic_leaving_the_pod_network_is_masqueraded() {
        let text = ruleset(&Ipv4Cidr::parse("10.42.0.0/16").unwrap());
        assert!(text.starts_with("table ip capstan\nflush table ip capstan\n"));
        assert!(text.contains("type nat hook postrouting priority 100; policy accept;"));
        assert!(text.contains(
            "ip saddr 10.42.0.0/16 ip daddr != 10.42.0.0/16 ip daddr != 224.0.0.0/4 masquerade"
        ));
    }
}
