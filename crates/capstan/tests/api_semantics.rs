//! API semantics seen on the wire: status codes and Status bodies for bad input, optimistic
//! concurrency, generation, watch resume across restarts, 410 after compaction.

mod common;

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::Duration;

use common::*;
use serde_json::json;

const CM: &str = "/api/v1/namespaces/default/configmaps";

fn status_of(r: &Raw) -> (i64, String, String) {
    let v = r.json();
    assert_eq!(v["kind"], "Status", "{}", r.body);
    (
        v["code"].as_i64().unwrap_or(0),
        v["reason"].as_str().unwrap_or("").to_owned(),
        v["message"].as_str().unwrap_or("").to_owned(),
    )
}

#[test]
fn bad_requests_get_the_right_status() {
    let s = Server::start();
    let r = s.curl("GET", "/api/v1/namespaces", None, true);
    assert_eq!(r.status, 401, "anonymous: {}", r.body);

    let r = s.curl("POST", CM, Some(("application/json", b"{not json")), false);
    assert_eq!(r.status, 400, "{}", r.body);
    assert_eq!(status_of(&r).1, "BadRequest");

    let big = vec![b'x'; 3 * 1024 * 1024 + 10];
    let r = s.curl("POST", CM, Some(("application/json", &big)), false);
    assert_eq!(r.status, 413, "{}", r.body);

    let huge = json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "huge"},
                      "binaryData": {"a": "A".repeat(1_700_000)}});
    let r = s.curl(
        "POST",
        CM,
        Some(("application/json", huge.to_string().as_bytes())),
        false,
    );
    assert!(
        r.status == 413 || r.status == 422,
        "objects over 1.5 MiB are refused: {} {}",
        r.status,
        r.body
    );

    let r = s.curl("GET", "/api/v1/namespaces/default/widgets", None, false);
    assert_eq!(r.status, 404);
    assert_eq!(status_of(&r).1, "NotFound");

    let r = s.curl("POST", CM, Some(("text/plain", b"hello")), false);
    assert_eq!(r.status, 415, "{}", r.body);

    let r = s.curl(
        "POST",
        "/api/v1/componentstatuses",
        Some(("application/json", b"{}")),
        false,
    );
    assert_eq!(r.status, 405, "{}", r.body);

    let r = s.curl(
        "GET",
        "/api/v1/namespaces/default/configmaps/missing",
        None,
        false,
    );
    let (code, reason, message) = status_of(&r);
    assert_eq!(
        (code, reason.as_str(), message.as_str()),
        (404, "NotFound", "configmaps \"missing\" not found")
    );

    let wrong_kind = json!({"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "x"}});
    let r = s.curl(
        "POST",
        CM,
        Some(("application/json", wrong_kind.to_string().as_bytes())),
        false,
    );
    assert_eq!(r.status, 400, "{}", r.body);

    let invalid = json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "UPPER"}});
    let r = s.curl(
        "POST",
        CM,
        Some(("application/json", invalid.to_string().as_bytes())),
        false,
    );
    let v = r.json();
    assert_eq!(r.status, 422);
    assert_eq!(v["reason"], "Invalid");
    assert_eq!(
        v["details"]["causes"][0]["field"], "metadata.name",
        "{}",
        r.body
    );
    assert!(
        v["message"]
            .as_str()
            .unwrap()
            .starts_with("ConfigMap \"UPPER\" is invalid: metadata.name: Invalid value: \"UPPER\"")
    );
}

#[test]
fn optimistic_concurrency_and_generation() {
    let s = Server::start();
    let cm = json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "occ"}, "data": {"a": "1"}});
    let created = s.curl(
        "POST",
        CM,
        Some(("application/json", cm.to_string().as_bytes())),
        false,
    );
    assert_eq!(created.status, 201, "{}", created.body);
    let v1 = created.json();
    let mut update = v1.clone();
    update["data"]["a"] = json!("2");
    let r = s.curl(
        "PUT",
        &format!("{CM}/occ"),
        Some(("application/json", update.to_string().as_bytes())),
        false,
    );
    assert_eq!(r.status, 200, "{}", r.body);
    assert_ne!(
        r.json()["metadata"]["resourceVersion"],
        v1["metadata"]["resourceVersion"]
    );
    // The stale version loses.
    update["data"]["a"] = json!("3");
    let r = s.curl(
        "PUT",
        &format!("{CM}/occ"),
        Some(("application/json", update.to_string().as_bytes())),
        false,
    );
    let (code, reason, message) = status_of(&r);
    assert_eq!((code, reason.as_str()), (409, "Conflict"));
    assert_eq!(
        message,
        "Operation cannot be fulfilled on configmaps \"occ\": the object has been modified; please apply your changes to the latest version and try again"
    );

    // Deployments: generation moves with the spec, not with metadata or status.
    ok(s.kubectl(&["create", "deployment", "g", "--image=nginx"]));
    let generation = || {
        ok(s.kubectl(&[
            "get",
            "deploy",
            "g",
            "-o",
            "jsonpath={.metadata.generation}",
        ]))
    };
    assert_eq!(generation(), "1");
    ok(s.kubectl(&["label", "deploy", "g", "x=y"]));
    assert_eq!(generation(), "1");
    ok(s.kubectl(&["scale", "deploy", "g", "--replicas=3"]));
    assert_eq!(generation(), "2");

    // generateName.
    let generated =
        json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"generateName": "gen-"}});
    let r = s.curl(
        "POST",
        CM,
        Some(("application/json", generated.to_string().as_bytes())),
        false,
    );
    assert_eq!(r.status, 201);
    let name = r.json()["metadata"]["name"].as_str().unwrap().to_owned();
    assert!(name.starts_with("gen-") && name.len() == 9, "{name}");
}

/// Reads watch events from a kubectl `get --raw` watch until `count` arrive.
fn watch_events(s: &Server, path: &str, count: usize) -> Vec<serde_json::Value> {
    let mut child = Command::new(newest_kubectl())
        .env("KUBECONFIG", s.kubeconfig())
        .env("HOME", s.dir.path())
        .args(["get", "--raw", path])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    let mut events = Vec::new();
    while events.len() < count {
        match rx.recv_timeout(Duration::from_secs(10)) {
            Ok(line) => events.push(serde_json::from_str(&line).unwrap()),
            Err(_) => break,
        }
    }
    let _ = child.kill();
    let _ = child.wait();
    events
}

#[test]
fn watch_resumes_across_restart() {
    let mut s = Server::start();
    ok(s.kubectl(&["create", "configmap", "before"]));
    let rv = ok(s.kubectl(&[
        "get",
        "cm",
        "before",
        "-o",
        "jsonpath={.metadata.resourceVersion}",
    ]));
    ok(s.kubectl(&["create", "configmap", "after-1"]));
    s.restart();
    ok(s.kubectl(&["create", "configmap", "after-2"]));
    let events = watch_events(&s, &format!("{CM}?watch=true&resourceVersion={rv}"), 2);
    let names: Vec<_> = events
        .iter()
        .map(|e| e["object"]["metadata"]["name"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(names, vec!["after-1", "after-2"], "{events:?}");
    assert!(events.iter().all(|e| e["type"] == "ADDED"));
}

#[test]
fn watch_and_continue_after_compaction_get_410() {
    let s = Server::start_with(&["--compaction-interval", "1s"]);
    ok(s.kubectl(&["create", "configmap", "old"]));
    let rv = ok(s.kubectl(&[
        "get",
        "cm",
        "old",
        "-o",
        "jsonpath={.metadata.resourceVersion}",
    ]));
    for i in 0..5 {
        ok(s.kubectl(&["create", "configmap", &format!("n{i}")]));
    }
    let page = s.curl("GET", &format!("{CM}?limit=2"), None, false).json();
    let token = page["metadata"]["continue"].as_str().unwrap().to_owned();
    // Compaction runs every second, forgetting history older than the previous tick; then the cache
    // window is the only history left for watches: restart-free, so force more events past it.
    std::thread::sleep(Duration::from_secs(3));
    for i in 0..3 {
        ok(s.kubectl(&["create", "configmap", &format!("m{i}")]));
    }
    std::thread::sleep(Duration::from_secs(3));
    let r = s.curl(
        "GET",
        &format!("{CM}?limit=2&continue={token}"),
        None,
        false,
    );
    assert_eq!(r.status, 410, "expired continue token: {}", r.body);
    assert_eq!(r.json()["reason"], "Expired");
    // A store-level watch from before the compaction: the list at that revision is gone too.
    let r = s.curl(
        "GET",
        &format!("{CM}?resourceVersion={rv}&resourceVersionMatch=Exact"),
        None,
        false,
    );
    assert_eq!(r.status, 410, "{}", r.body);
}

#[test]
fn send_initial_events_ends_with_a_bookmark() {
    let s = Server::start();
    ok(s.kubectl(&["create", "configmap", "i1"]));
    ok(s.kubectl(&["create", "configmap", "i2"]));
    let existing = s.curl("GET", CM, None, false).json()["items"]
        .as_array()
        .unwrap()
        .len();
    let events = watch_events(
        &s,
        &format!(
            "{CM}?watch=true&sendInitialEvents=true&allowWatchBookmarks=true&resourceVersionMatch=NotOlderThan"
        ),
        existing + 1,
    );
    assert_eq!(events.len(), existing + 1, "{events:?}");
    let names: Vec<_> = events[..existing]
        .iter()
        .map(|e| e["object"]["metadata"]["name"].as_str().unwrap())
        .collect();
    assert!(names.contains(&"i1") && names.contains(&"i2"), "{names:?}");
    assert!(events[..existing].iter().all(|e| e["type"] == "ADDED"));
    let last = &events[existing];
    assert_eq!(last["type"], "BOOKMARK");
    assert_eq!(
        last["object"]["metadata"]["annotations"]["k8s.io/initial-events-end"],
        "true"
    );
}

#[test]
fn service_addresses_are_allocated_and_released() {
    let s = Server::start();
    let svc = |name: &str, spec: serde_json::Value| json!({"apiVersion": "v1", "kind": "Service", "metadata": {"name": name}, "spec": spec});
    let post = |v: serde_json::Value| {
        s.curl(
            "POST",
            "/api/v1/namespaces/default/services",
            Some(("application/json", v.to_string().as_bytes())),
            false,
        )
    };
    let a = post(svc("a", json!({"ports": [{"port": 80}]})));
    assert_eq!(a.status, 201, "{}", a.body);
    let ip = a.json()["spec"]["clusterIP"].as_str().unwrap().to_owned();
    assert!(ip.starts_with("10.43."), "{ip}");
    // The same address cannot be taken twice.
    let b = post(svc("b", json!({"clusterIP": ip, "ports": [{"port": 80}]})));
    assert_eq!(b.status, 422, "{}", b.body);
    assert!(
        b.body.contains("provided IP is already allocated"),
        "{}",
        b.body
    );
    // Headless services get no address.
    let h = post(svc(
        "h",
        json!({"clusterIP": "None", "ports": [{"port": 80}]}),
    ));
    assert_eq!(h.json()["spec"]["clusterIP"], "None");
    // NodePorts come from 30000-32767, and a taken one is refused.
    let n = post(svc(
        "n",
        json!({"type": "NodePort", "ports": [{"port": 80}]}),
    ));
    assert_eq!(n.status, 201, "{}", n.body);
    let port = n.json()["spec"]["ports"][0]["nodePort"].as_u64().unwrap();
    assert!((30000..=32767).contains(&port));
    let m = post(svc(
        "m",
        json!({"type": "NodePort", "ports": [{"port": 80, "nodePort": port}]}),
    ));
    assert_eq!(m.status, 422, "{}", m.body);
    assert!(
        m.body.contains("provided port is already allocated"),
        "{}",
        m.body
    );
    // Released on delete: both can be claimed again.
    ok(s.kubectl(&["delete", "service", "a", "n"]));
    let again = post(svc(
        "c",
        json!({"type": "NodePort", "clusterIP": ip, "ports": [{"port": 80, "nodePort": port}]}),
    ));
    assert_eq!(again.status, 201, "{}", again.body);
    // The address survives a restart of the server (allocations are in the store).
    let mut s = s;
    s.restart();
    let clash = s.curl(
        "POST",
        "/api/v1/namespaces/default/services",
        Some((
            "application/json",
            svc("d", json!({"clusterIP": ip, "ports": [{"port": 80}]}))
                .to_string()
                .as_bytes(),
        )),
        false,
    );
    assert_eq!(clash.status, 422, "{}", clash.body);
}

#[test]
fn malformed_input_never_yields_a_server_error() {
    let s = Server::start();
    let bodies: &[(&str, &[u8])] = &[
        ("application/json", b""),
        ("application/json", b"null"),
        ("application/json", b"[]"),
        ("application/json", b"\"str\""),
        ("application/json", b"{\"metadata\": 5}"),
        ("application/json", b"{\"metadata\": {\"name\": 5}}"),
        ("application/json", b"{\"metadata\": {\"name\": \"x\", \"labels\": [1]}}"),
        ("application/json", b"{\"apiVersion\": \"v1\", \"kind\": \"Pod\", \"metadata\": {\"name\": \"p\"}, \"spec\": 7}"),
        ("application/json", b"{\"apiVersion\": \"v1\", \"kind\": \"Pod\", \"metadata\": {\"name\": \"p\"}, \"spec\": {\"containers\": \"x\"}}"),
        ("application/yaml", b"a: [unclosed"),
        ("application/vnd.kubernetes.protobuf", b"k8s\x00\x0a\x02garbage"),
        ("application/json-patch+json", b"[{\"op\": \"move\"}]"),
        ("application/merge-patch+json", b"{\"spec\": {\"containers\": null}}"),
        ("application/strategic-merge-patch+json", b"{\"spec\": {\"containers\": [{\"$patch\": \"bogus\"}]}}"),
    ];
    ok(s.kubectl(&["run", "victim", "--image=nginx"]));
    for (ct, body) in bodies {
        for (method, path) in [
            ("POST", "/api/v1/namespaces/default/pods"),
            ("PUT", "/api/v1/namespaces/default/pods/victim"),
            ("PATCH", "/api/v1/namespaces/default/pods/victim"),
            ("POST", "/apis/apps/v1/namespaces/default/deployments"),
        ] {
            let r = s.curl(method, path, Some((ct, body)), false);
            assert!(
                (400..500).contains(&r.status),
                "{method} {path} with {ct} {:?} answered {}: {}",
                String::from_utf8_lossy(body),
                r.status,
                r.body
            );
            assert_eq!(r.json()["kind"], "Status", "{}", r.body);
        }
    }
    // The server is still healthy.
    assert_eq!(s.curl("GET", "/readyz", None, false).status, 200);
}
