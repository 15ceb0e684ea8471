//! Longer kubectl workflows: watch, wait, edit, diff, replace, dry runs, deletion semantics, paging.

mod common;

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::*;

const POD: &str = "apiVersion: v1
kind: Pod
metadata:
  name: p
  labels:
    app: demo
spec:
  containers:
  - name: c
    image: busybox:1.36
    command: [sleep, '3600']
";

#[test]
fn get_watch_sees_changes() {
    let s = Server::start();
    ok(s.kubectl(&["create", "configmap", "w0"]));
    for k in kubectls() {
        let mut child = Command::new(&k)
            .env("KUBECONFIG", s.kubeconfig())
            .env("HOME", s.dir.path())
            .args(["get", "configmaps", "-w", "--output-watch-events"])
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let stdout = child.stdout.take().unwrap();
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                let _ = tx.send(line);
            }
        });
        let name = format!(
            "w-{}",
            k.file_name().unwrap().to_string_lossy().replace('.', "-")
        );
        std::thread::sleep(Duration::from_millis(700));
        ok(s.kubectl(&["create", "configmap", &name, "--from-literal=a=b"]));
        ok(s.kubectl(&["delete", "configmap", &name]));
        let deadline = Instant::now() + Duration::from_secs(15);
        let mut seen = Vec::new();
        while Instant::now() < deadline {
            if let Ok(line) = rx.recv_timeout(Duration::from_millis(200)) {
                seen.push(line);
                let added = seen
                    .iter()
                    .any(|l| l.contains("ADDED") && l.contains(&name));
                let deleted = seen
                    .iter()
                    .any(|l| l.contains("DELETED") && l.contains(&name));
                if added && deleted {
                    break;
                }
            }
        }
        let _ = child.kill();
        let _ = child.wait();
        assert!(
            seen.iter().any(|l| l.contains("ADDED") && l.contains("w0")),
            "initial objects listed: {seen:?}"
        );
        assert!(
            seen.iter()
                .any(|l| l.contains("ADDED") && l.contains(&name)),
            "{seen:?}"
        );
        assert!(
            seen.iter()
                .any(|l| l.contains("DELETED") && l.contains(&name)),
            "{seen:?}"
        );
    }
}

#[test]
fn wait_for_condition_jsonpath_and_delete() {
    let s = Server::start();
    for k in kubectls() {
        ok(s.kubectl_with(
            &k,
            &["create", "configmap", "waited", "--from-literal=ready=yes"],
            None,
        ));
        let out = ok(s.kubectl_with(
            &k,
            &[
                "wait",
                "configmap/waited",
                "--for=jsonpath={.data.ready}=yes",
                "--timeout=10s",
            ],
            None,
        ));
        assert!(out.contains("condition met"), "{out}");
        // Delete in the background while `kubectl wait --for=delete` waits.
        let kc = s.kubeconfig();
        let home = s.dir.path().to_path_buf();
        let k2 = k.clone();
        let deleter = std::thread::spawn(move || {
            std::thread::sleep(Duration::from_millis(800));
            Command::new(&k2)
                .env("KUBECONFIG", kc)
                .env("HOME", home)
                .args(["delete", "configmap", "waited", "--wait=false"])
                .output()
                .unwrap()
        });
        let out = ok(s.kubectl_with(
            &k,
            &["wait", "configmap/waited", "--for=delete", "--timeout=20s"],
            None,
        ));
        assert!(
            out.contains("condition met") || out.contains("deleted"),
            "{out}"
        );
        assert!(deleter.join().unwrap().status.success());
    }
}

#[test]
fn edit_with_a_scripted_editor_diff_and_replace() {
    let s = Server::start();
    let editor = write_file(
        s.dir.path(),
        "editor.sh",
        "#!/bin/sh\nsed -i 's/value-one/value-two/' \"$1\"\n",
    );
    std::fs::set_permissions(&editor, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
    for k in kubectls() {
        ok(s.kubectl_with(
            &k,
            &["create", "configmap", "ed", "--from-literal=key=value-one"],
            None,
        ));
        let out = Command::new(&k)
            .env("KUBECONFIG", s.kubeconfig())
            .env("HOME", s.dir.path())
            .env("KUBE_EDITOR", &editor)
            .args(["edit", "configmap", "ed"])
            .output()
            .unwrap();
        assert!(out.status.success(), "edit: {}", stderr(&out));
        assert_eq!(
            ok(s.kubectl_with(&k, &["get", "cm", "ed", "-o", "jsonpath={.data.key}"], None)),
            "value-two"
        );

        // diff shows the change a manifest would make, and changes nothing.
        let manifest =
            "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ed\ndata:\n  key: value-three\n";
        let file = write_file(s.dir.path(), "ed.yaml", manifest);
        let out = s.kubectl_with(&k, &["diff", "-f", file.to_str().unwrap()], None);
        assert_eq!(
            out.status.code(),
            Some(1),
            "diff exits 1 when there are differences: {}",
            stderr(&out)
        );
        assert!(stdout(&out).contains("value-three"), "{}", stdout(&out));
        assert_eq!(
            ok(s.kubectl_with(&k, &["get", "cm", "ed", "-o", "jsonpath={.data.key}"], None)),
            "value-two"
        );

        ok(s.kubectl_with(&k, &["replace", "-f", file.to_str().unwrap()], None));
        assert_eq!(
            ok(s.kubectl_with(&k, &["get", "cm", "ed", "-o", "jsonpath={.data.key}"], None)),
            "value-three"
        );
        ok(s.kubectl_with(&k, &["delete", "cm", "ed"], None));
    }
}

#[test]
fn dry_run_changes_nothing() {
    let s = Server::start();
    let out = ok(s.kubectl(&[
        "create",
        "configmap",
        "dry",
        "--dry-run=server",
        "-o",
        "jsonpath={.metadata.uid}",
    ]));
    assert!(
        !out.is_empty(),
        "a server dry run returns the object it would create"
    );
    let err = fails(s.kubectl(&["get", "configmap", "dry"]));
    assert!(err.contains("not found"), "{err}");
}

#[test]
fn graceful_pod_deletion_and_force() {
    let s = Server::start();
    let file = write_file(s.dir.path(), "pod.yaml", POD);
    ok(s.kubectl(&["create", "-f", file.to_str().unwrap()]));
    // A pod never bound to a node goes at once.
    ok(s.kubectl(&["delete", "pod", "p", "--wait=true", "--timeout=10s"]));
    assert!(fails(s.kubectl(&["get", "pod", "p"])).contains("not found"));

    // A bound pod waits for its node agent: it is marked, with the grace period it was given.
    ok(s.kubectl(&["create", "-f", file.to_str().unwrap()]));
    let binding = r#"{"apiVersion":"v1","kind":"Binding","metadata":{"name":"p"},"target":{"kind":"Node","name":"node-a"}}"#;
    let b = write_file(s.dir.path(), "binding.json", binding);
    ok(s.kubectl(&[
        "create",
        "--raw",
        "/api/v1/namespaces/default/pods/p/binding",
        "-f",
        b.to_str().unwrap(),
    ]));
    assert_eq!(
        ok(s.kubectl(&["get", "pod", "p", "-o", "jsonpath={.spec.nodeName}"])),
        "node-a"
    );
    ok(s.kubectl(&["delete", "pod", "p", "--grace-period=45", "--wait=false"]));
    assert_eq!(
        ok(s.kubectl(&[
            "get",
            "pod",
            "p",
            "-o",
            "jsonpath={.metadata.deletionGracePeriodSeconds}"
        ])),
        "45"
    );
    let status = ok(s.kubectl(&["get", "pod", "p"]));
    assert!(status.contains("Terminating"), "{status}");
    // --force with grace 0 removes it immediately.
    let out = s.kubectl(&["delete", "pod", "p", "--grace-period=0", "--force"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(fails(s.kubectl(&["get", "pod", "p"])).contains("not found"));
}

/// Polls until `check` passes (the controllers act asynchronously).
fn eventually(what: &str, mut check: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(20);
    while !check() {
        assert!(Instant::now() < deadline, "timed out waiting for: {what}");
        std::thread::sleep(Duration::from_millis(200));
    }
}

#[test]
fn cascading_deletion_policies() {
    let s = Server::start();
    // Owner and dependent, as a controller would make them.
    let owner_and_dependent = |owner: &str| {
        ok(s.kubectl(&["create", "configmap", owner]));
        let uid = ok(s.kubectl(&["get", "configmap", owner, "-o", "jsonpath={.metadata.uid}"]));
        let dependent = format!(
            "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {owner}-child\n  ownerReferences:\n  - apiVersion: v1\n    kind: ConfigMap\n    name: {owner}\n    uid: {uid}\n    blockOwnerDeletion: true\n"
        );
        ok(s.kubectl_with(&newest_kubectl(), &["create", "-f", "-"], Some(&dependent)));
    };
    let exists = |name: &str| s.kubectl(&["get", "configmap", name]).status.success();

    owner_and_dependent("bg");
    ok(s.kubectl(&["delete", "configmap", "bg", "--cascade=background"]));
    eventually("background: the dependent is collected", || {
        !exists("bg-child")
    });

    owner_and_dependent("orph");
    ok(s.kubectl(&["delete", "configmap", "orph", "--cascade=orphan"]));
    eventually("orphan: the owner goes", || !exists("orph"));
    assert!(exists("orph-child"), "orphan: the dependent stays");
    let refs = ok(s.kubectl(&[
        "get",
        "configmap",
        "orph-child",
        "-o",
        "jsonpath={.metadata.ownerReferences}",
    ]));
    assert!(
        refs.trim().is_empty(),
        "orphan: its owner reference is removed: {refs}"
    );

    owner_and_dependent("fg");
    ok(s.kubectl(&[
        "delete",
        "configmap",
        "fg",
        "--cascade=foreground",
        "--wait=false",
    ]));
    eventually("foreground: dependent first, then owner", || {
        !exists("fg-child") && !exists("fg")
    });

    // A finalizer of the user's keeps an object until it is released.
    ok(s.kubectl(&["create", "deployment", "held", "--image=nginx"]));
    ok(s.kubectl(&[
        "patch",
        "deployment",
        "held",
        "--type",
        "merge",
        "-p",
        r#"{"metadata":{"finalizers":["example.com/hold"]}}"#,
    ]));
    ok(s.kubectl(&["delete", "deployment", "held", "--wait=false"]));
    assert!(
        !ok(s.kubectl(&[
            "get",
            "deployment",
            "held",
            "-o",
            "jsonpath={.metadata.deletionTimestamp}"
        ]))
        .is_empty()
    );
    ok(s.kubectl(&[
        "patch",
        "deployment",
        "held",
        "--type",
        "json",
        "-p",
        r#"[{"op":"remove","path":"/metadata/finalizers"}]"#,
    ]));
    assert!(fails(s.kubectl(&["get", "deployment", "held"])).contains("not found"));
}

#[test]
fn paging_through_a_long_list() {
    let s = Server::start();
    let mut manifests = String::new();
    for i in 0..30 {
        manifests.push_str(&format!(
            "---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: page-{i:02}\n"
        ));
    }
    let file = write_file(s.dir.path(), "many.yaml", &manifests);
    ok(s.kubectl(&["create", "-f", file.to_str().unwrap()]));
    let out = ok(s.kubectl(&["get", "configmaps", "--chunk-size=7", "-o", "name"]));
    let names: Vec<&str> = out.lines().filter(|l| l.contains("page-")).collect();
    assert_eq!(names.len(), 30, "{out}");
    // The raw API: a limited list returns a continue token and the count of what remains.
    let raw = ok(s.kubectl(&[
        "get",
        "--raw",
        "/api/v1/namespaces/default/configmaps?limit=10",
    ]));
    let v: serde_json::Value = serde_json::from_str(&raw).unwrap();
    assert_eq!(v["items"].as_array().unwrap().len(), 10);
    assert!(
        v["metadata"]["continue"]
            .as_str()
            .is_some_and(|c| !c.is_empty())
    );
    let all = ok(s.kubectl(&["get", "--raw", "/api/v1/namespaces/default/configmaps"]));
    let total = serde_json::from_str::<serde_json::Value>(&all).unwrap()["items"]
        .as_array()
        .unwrap()
        .len();
    assert_eq!(
        v["metadata"]["remainingItemCount"],
        total as i64 - 10,
        "{raw}"
    );
}
