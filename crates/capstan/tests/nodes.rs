//! What the control plane gives nodes, seen from outside: the join token in `DATA_DIR/node-token`
//! that pins the CA served at `/cacerts` and authenticates agents, a pod range per node from
//! `--cluster-cidr`, and `kubectl logs` routed to the node's agent.

mod common;

use std::process::Command;

use common::*;

fn node_manifest(name: &str) -> String {
    format!("apiVersion: v1\nkind: Node\nmetadata:\n  name: {name}\n")
}

fn pod_cidr(s: &Server, node: &str) -> String {
    ok(s.kubectl(&["get", "node", node, "-o", "jsonpath={.spec.podCIDR}"]))
}

#[test]
fn the_join_token_pins_the_ca_and_authenticates() {
    let s = Server::start();
    let token = std::fs::read_to_string(s.data_dir().join("node-token")).unwrap();
    let token = token.trim();
    let cacerts = s.curl("GET", "/cacerts", None, true);
    assert_eq!(cacerts.status, 200, "{}", cacerts.body);
    assert!(cacerts.body.starts_with("-----BEGIN CERTIFICATE-----"));
    // K10<sha256 of exactly what /cacerts serves>::node:<secret>
    let mut sha = Command::new("sha256sum")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    use std::io::Write;
    sha.stdin
        .take()
        .unwrap()
        .write_all(cacerts.body.as_bytes())
        .unwrap();
    let digest = String::from_utf8(sha.wait_with_output().unwrap().stdout).unwrap();
    let digest = digest.split_whitespace().next().unwrap();
    assert!(
        token.starts_with(&format!("K10{digest}::node:")),
        "{token} vs {digest}"
    );
    let ca = write_file(s.dir.path(), "pinned-ca.crt", &cacerts.body);
    let with_token = |token: &str| {
        Command::new(newest_kubectl())
            .args(["--kubeconfig=/dev/null", "--server"])
            .arg(format!("https://127.0.0.1:{}", s.port))
            .arg("--certificate-authority")
            .arg(&ca)
            .args(["--token", token, "get", "namespaces", "-o", "name"])
            .output()
            .unwrap()
    };
    assert!(ok(with_token(token)).contains("namespace/default"));
    let refused = fails(with_token(&format!("{token}x")));
    assert!(refused.contains("Unauthorized"), "{refused}");
    // The token survives a restart unchanged.
    let mut s = s;
    s.restart();
    let again = std::fs::read_to_string(s.data_dir().join("node-token")).unwrap();
    assert_eq!(again.trim(), token);
}

#[test]
fn every_node_gets_its_own_pod_range() {
    let s = Server::start_with(&["--cluster-cidr", "10.77.0.0/22"]);
    for n in ["a", "b", "c", "d"] {
        ok(s.kubectl_with(
            &newest_kubectl(),
            &["apply", "-f", "-"],
            Some(&node_manifest(n)),
        ));
    }
    let mut seen = Vec::new();
    for n in ["a", "b", "c", "d"] {
        wait_until(20, &format!("node {n} has a pod range"), || {
            !pod_cidr(&s, n).is_empty()
        });
        let cidr = pod_cidr(&s, n);
        assert!(
            cidr.starts_with("10.77.") && cidr.ends_with(".0/24"),
            "{cidr}"
        );
        assert_eq!(
            ok(s.kubectl(&["get", "node", n, "-o", "jsonpath={.spec.podCIDRs[0]}"])),
            cidr
        );
        seen.push(cidr);
    }
    seen.sort();
    seen.dedup();
    assert_eq!(seen.len(), 4, "{seen:?}");
    // The range is full; a fifth node waits until one goes, then gets the freed range.
    ok(s.kubectl_with(
        &newest_kubectl(),
        &["apply", "-f", "-"],
        Some(&node_manifest("e")),
    ));
    std::thread::sleep(std::time::Duration::from_secs(1));
    assert_eq!(pod_cidr(&s, "e"), "");
    let freed = pod_cidr(&s, "b");
    ok(s.kubectl(&["delete", "node", "b"]));
    wait_until(20, "node e gets the freed range", || {
        pod_cidr(&s, "e") == freed
    });
    // After a restart the ranges in use are remembered.
    let mut s = s;
    s.restart();
    ok(s.kubectl_with(
        &newest_kubectl(),
        &["apply", "-f", "-"],
        Some(&node_manifest("f")),
    ));
    std::thread::sleep(std::time::Duration::from_secs(2));
    assert_eq!(pod_cidr(&s, "f"), "");
}

#[test]
fn logs_are_routed_to_the_pods_node() {
    let s = Server::start_with(&["--disable-scheduler"]);
    let pods = "apiVersion: v1\nkind: Pod\nmetadata:\n  name: two\nspec:\n  containers:\n  - {name: a, image: busybox}\n  - {name: b, image: busybox}\n  initContainers:\n  - {name: i, image: busybox}\n---\napiVersion: v1\nkind: Pod\nmetadata:\n  name: one\nspec:\n  nodeName: gone\n  containers:\n  - {name: a, image: busybox}\n";
    ok(s.kubectl_with(&newest_kubectl(), &["apply", "-f", "-"], Some(pods)));
    // kubectl picks a default container itself; the API insists on a name.
    let unnamed = s.curl(
        "GET",
        "/api/v1/namespaces/default/pods/two/log",
        None,
        false,
    );
    assert_eq!(unnamed.status, 400, "{}", unnamed.body);
    assert!(
        unnamed
            .body
            .contains("a container name must be specified for pod two, choose one of: [i a b]"),
        "{}",
        unnamed.body
    );
    let err = fails(s.kubectl(&["logs", "two", "-c", "z"]));
    assert!(
        err.contains("container z is not valid for pod two"),
        "{err}"
    );
    // A pod not on a node has no logs yet.
    assert_eq!(
        s.curl(
            "GET",
            "/api/v1/namespaces/default/pods/two/log?container=a",
            None,
            false
        )
        .status,
        200
    );
    let bad = s.curl(
        "GET",
        "/api/v1/namespaces/default/pods/two/log?container=a&tailLines=-1",
        None,
        false,
    );
    assert_eq!(bad.status, 422, "{}", bad.body);
    // Bound to a node that does not exist, or whose agent does not answer: a clear error.
    let err = fails(s.kubectl(&["logs", "one"]));
    assert!(err.contains("nodes \"gone\" not found"), "{err}");
    ok(s.kubectl_with(
        &newest_kubectl(),
        &["apply", "-f", "-"],
        Some(&node_manifest("gone")),
    ));
    let port = free_port();
    let status = format!(
        "{{\"status\": {{\"addresses\": [{{\"type\": \"InternalIP\", \"address\": \"127.0.0.1\"}}], \"daemonEndpoints\": {{\"kubeletEndpoint\": {{\"Port\": {port}}}}}}}}}"
    );
    ok(s.kubectl(&[
        "patch",
        "node",
        "gone",
        "--subresource=status",
        "--type=merge",
        "-p",
        &status,
    ]));
    let err = fails(s.kubectl(&["logs", "one"]));
    assert!(
        err.contains(&format!(
            "https://127.0.0.1:{port}/containerLogs/default/one/a"
        )),
        "{err}"
    );
}
