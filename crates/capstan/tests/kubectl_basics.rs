//! What a user does with kubectl against `capstan server`, with the oldest and newest kubectl
//! installed: discovery, create/apply/get/describe, labels, patches, scale, delete, errors.

mod common;

use common::*;

const DEPLOYMENT: &str = "apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  labels:
    app: web
spec:
  replicas: 2
  selector:
    matchLabels:
      app: web
  template:
    metadata:
      labels:
        app: web
    spec:
      containers:
      - name: nginx
        image: nginx:1.25
        ports:
        - containerPort: 80
        env:
        - name: A
          value: one
      - name: sidecar
        image: busybox:1.36
---
apiVersion: v1
kind: Service
metadata:
  name: web
spec:
  selector:
    app: web
  ports:
  - port: 80
    targetPort: 8080
";

#[test]
fn version_discovery_and_cluster_info() {
    let s = Server::start();
    for k in kubectls() {
        let out = ok(s.kubectl_with(&k, &["version"], None));
        assert!(out.contains("v1.33.0"), "{out}");
        let resources = ok(s.kubectl_with(&k, &["api-resources"], None));
        for needle in [
            "pods",
            "deployments",
            "customresourcedefinitions",
            "horizontalpodautoscalers",
        ] {
            assert!(
                resources.contains(needle),
                "{needle} missing from api-resources:\n{resources}"
            );
        }
        let versions = ok(s.kubectl_with(&k, &["api-versions"], None));
        assert!(
            versions.contains("apps/v1") && versions.contains("autoscaling/v2"),
            "{versions}"
        );
        let info = ok(s.kubectl_with(&k, &["cluster-info"], None));
        assert!(info.contains("is running at"), "{info}");
        let ns = ok(s.kubectl_with(&k, &["get", "namespaces"], None));
        for n in ["default", "kube-system", "kube-public", "kube-node-lease"] {
            assert!(ns.contains(n), "{ns}");
        }
    }
}

#[test]
fn apply_get_describe_and_apply_again() {
    let s = Server::start();
    let file = write_file(s.dir.path(), "web.yaml", DEPLOYMENT);
    let f = file.to_str().unwrap();
    for (i, k) in kubectls().iter().enumerate() {
        let ns = format!("apply{i}");
        ok(s.kubectl_with(k, &["create", "namespace", &ns], None));
        let out = ok(s.kubectl_with(k, &["apply", "-n", &ns, "-f", f], None));
        assert!(out.contains("deployment.apps/web created"), "{out}");
        assert!(out.contains("service/web created"), "{out}");
        let again = ok(s.kubectl_with(k, &["apply", "-n", &ns, "-f", f], None));
        assert!(again.contains("deployment.apps/web unchanged"), "{again}");
        assert!(again.contains("service/web unchanged"), "{again}");

        let wide = ok(s.kubectl_with(k, &["get", "deploy,svc", "-n", &ns, "-o", "wide"], None));
        assert!(
            wide.contains("CONTAINERS") && wide.contains("nginx,sidecar"),
            "{wide}"
        );
        assert!(
            wide.contains("10.43."),
            "a cluster IP was allocated:\n{wide}"
        );
        let name = ok(s.kubectl_with(k, &["get", "deploy", "-n", &ns, "-o", "name"], None));
        assert_eq!(name.trim(), "deployment.apps/web");
        let jp = ok(s.kubectl_with(
            k,
            &[
                "get",
                "deploy",
                "web",
                "-n",
                &ns,
                "-o",
                "jsonpath={.spec.template.spec.containers[0].imagePullPolicy}",
            ],
            None,
        ));
        assert_eq!(jp, "IfNotPresent", "defaults applied");
        let labels = ok(s.kubectl_with(k, &["get", "deploy", "-n", &ns, "--show-labels"], None));
        assert!(labels.contains("app=web"), "{labels}");
        let cols = ok(s.kubectl_with(
            k,
            &[
                "get",
                "svc",
                "web",
                "-n",
                &ns,
                "-o",
                "custom-columns=NAME:.metadata.name,PORT:.spec.ports[0].port",
            ],
            None,
        ));
        assert!(cols.contains("web") && cols.contains("80"), "{cols}");
        let desc = ok(s.kubectl_with(k, &["describe", "deployment", "web", "-n", &ns], None));
        assert!(
            desc.contains("Selector:") && desc.contains("app=web"),
            "{desc}"
        );
    }
}

#[test]
fn labels_annotations_patches_and_scale() {
    let s = Server::start();
    let file = write_file(s.dir.path(), "web.yaml", DEPLOYMENT);
    for (i, k) in kubectls().iter().enumerate() {
        let ns = format!("edit{i}");
        ok(s.kubectl_with(k, &["create", "namespace", &ns], None));
        ok(s.kubectl_with(k, &["apply", "-n", &ns, "-f", file.to_str().unwrap()], None));
        ok(s.kubectl_with(
            k,
            &["label", "deploy", "web", "-n", &ns, "tier=frontend"],
            None,
        ));
        ok(s.kubectl_with(
            k,
            &["annotate", "deploy", "web", "-n", &ns, "owner=team-a"],
            None,
        ));
        let sel = ok(s.kubectl_with(
            k,
            &[
                "get",
                "deploy",
                "-n",
                &ns,
                "-l",
                "tier=frontend",
                "-o",
                "name",
            ],
            None,
        ));
        assert_eq!(sel.trim(), "deployment.apps/web");
        let none = ok(s.kubectl_with(
            k,
            &[
                "get",
                "deploy",
                "-n",
                &ns,
                "-l",
                "tier=backend",
                "-o",
                "name",
            ],
            None,
        ));
        assert!(none.trim().is_empty());

        ok(s.kubectl_with(
            k,
            &["scale", "deploy", "web", "-n", &ns, "--replicas=5"],
            None,
        ));
        let get = |path: &str| {
            ok(s.kubectl_with(
                k,
                &[
                    "get",
                    "deploy",
                    "web",
                    "-n",
                    &ns,
                    "-o",
                    &format!("jsonpath={path}"),
                ],
                None,
            ))
        };
        assert_eq!(get("{.spec.replicas}"), "5");

        // Strategic merge: one container's image changes, the other container is kept.
        ok(s.kubectl_with(
            k,
            &["patch", "deploy", "web", "-n", &ns, "-p",
              r#"{"spec":{"template":{"spec":{"containers":[{"name":"nginx","image":"nginx:1.26"}]}}}}"#],
            None,
        ));
        assert_eq!(
            get("{.spec.template.spec.containers[*].image}"),
            "nginx:1.26 busybox:1.36"
        );
        // $patch: delete removes one element by its merge key.
        ok(s.kubectl_with(
            k,
            &["patch", "deploy", "web", "-n", &ns, "-p",
              r#"{"spec":{"template":{"spec":{"containers":[{"name":"sidecar","$patch":"delete"}]}}}}"#],
            None,
        ));
        assert_eq!(get("{.spec.template.spec.containers[*].name}"), "nginx");
        ok(s.kubectl_with(
            k,
            &[
                "patch",
                "deploy",
                "web",
                "-n",
                &ns,
                "--type",
                "merge",
                "-p",
                r#"{"spec":{"replicas":3}}"#,
            ],
            None,
        ));
        assert_eq!(get("{.spec.replicas}"), "3");
        ok(s.kubectl_with(
            k,
            &[
                "patch",
                "deploy",
                "web",
                "-n",
                &ns,
                "--type",
                "json",
                "-p",
                r#"[{"op":"replace","path":"/spec/replicas","value":4}]"#,
            ],
            None,
        ));
        assert_eq!(get("{.spec.replicas}"), "4");
        let err = fails(s.kubectl_with(
            k,
            &[
                "patch",
                "deploy",
                "web",
                "-n",
                &ns,
                "--type",
                "json",
                "-p",
                r#"[{"op":"test","path":"/spec/replicas","value":99}]"#,
            ],
            None,
        ));
        assert!(
            err.contains("the server rejected our request due to an error in our request"),
            "{err}"
        );
    }
}

#[test]
fn errors_users_see() {
    let s = Server::start();
    for k in kubectls() {
        let err = fails(s.kubectl_with(&k, &["get", "pod", "nope"], None));
        assert!(err.contains(r#"pods "nope" not found"#), "{err}");
        ok(s.kubectl_with(&k, &["create", "configmap", "dup"], None)
            .clone());
        let err = fails(s.kubectl_with(&k, &["create", "configmap", "dup"], None));
        assert!(err.contains(r#"configmaps "dup" already exists"#), "{err}");
        ok(s.kubectl_with(&k, &["delete", "configmap", "dup"], None));
        let bad = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: Bad_Name\n";
        let err = fails(s.kubectl_with(&k, &["create", "-f", "-"], Some(bad)));
        assert!(
            err.contains("is invalid") && err.contains("metadata.name"),
            "{err}"
        );
        let err = fails(s.kubectl_with(
            &k,
            &["get", "pods", "--field-selector", "spec.bogus=x"],
            None,
        ));
        assert!(
            err.contains("field label not supported: spec.bogus"),
            "{err}"
        );
        let err =
            fails(s.kubectl_with(&k, &["create", "configmap", "x", "-n", "missing-ns"], None));
        assert!(
            err.contains(r#"namespaces "missing-ns" not found"#),
            "{err}"
        );
    }
}

#[test]
fn delete_forms() {
    let s = Server::start();
    for k in kubectls() {
        for i in 0..3 {
            ok(s.kubectl_with(
                &k,
                &[
                    "create",
                    "configmap",
                    &format!("c{i}"),
                    "--from-literal=a=b",
                ],
                None,
            ));
        }
        ok(s.kubectl_with(&k, &["label", "configmap", "c0", "c1", "group=x"], None));
        let out = ok(s.kubectl_with(&k, &["delete", "configmap", "-l", "group=x"], None));
        assert!(
            out.contains(r#"configmap "c0" deleted"#) && out.contains(r#"configmap "c1" deleted"#),
            "{out}"
        );
        let out = ok(s.kubectl_with(&k, &["delete", "configmap", "--all"], None));
        assert!(out.contains(r#"configmap "c2" deleted"#), "{out}");
        // (kube-root-ca.crt is the root CA publisher's and comes back; ours are gone.)
        let left = ok(s.kubectl_with(&k, &["get", "configmaps", "-o", "name"], None));
        assert!(
            !left.lines().any(|l| l.starts_with("configmap/c")),
            "{left}"
        );
    }
}

#[test]
fn objects_and_certificates_survive_restart() {
    let mut s = Server::start();
    ok(s.kubectl(&["create", "configmap", "keep", "--from-literal=k=v"]));
    let uid = ok(s.kubectl(&["get", "cm", "keep", "-o", "jsonpath={.metadata.uid}"]));
    let kubeconfig_before = std::fs::read_to_string(s.kubeconfig()).unwrap();
    s.restart();
    assert_eq!(
        ok(s.kubectl(&["get", "cm", "keep", "-o", "jsonpath={.metadata.uid}"])),
        uid
    );
    assert_eq!(
        std::fs::read_to_string(s.kubeconfig()).unwrap(),
        kubeconfig_before,
        "same certificates"
    );
}

#[test]
fn deleting_a_namespace_deletes_its_contents() {
    let s = Server::start();
    for (i, k) in kubectls().iter().enumerate() {
        let ns = format!("gone{i}");
        ok(s.kubectl_with(k, &["create", "namespace", &ns], None));
        ok(s.kubectl_with(k, &["create", "configmap", "a", "-n", &ns], None));
        ok(s.kubectl_with(
            k,
            &["create", "deployment", "d", "--image=nginx", "-n", &ns],
            None,
        ));
        // The controllers fill new namespaces in.
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
        loop {
            let sa = s.kubectl_with(k, &["get", "serviceaccount", "default", "-n", &ns], None);
            let ca = s.kubectl_with(
                k,
                &["get", "configmap", "kube-root-ca.crt", "-n", &ns],
                None,
            );
            if sa.status.success() && ca.status.success() {
                break;
            }
            assert!(
                std::time::Instant::now() < deadline,
                "default ServiceAccount and root CA never appeared"
            );
            std::thread::sleep(std::time::Duration::from_millis(200));
        }
        let out = ok(s.kubectl_with(k, &["delete", "namespace", &ns, "--timeout=60s"], None));
        assert!(
            out.contains(&format!("namespace \"{ns}\" deleted")),
            "{out}"
        );
        assert!(fails(s.kubectl_with(k, &["get", "namespace", &ns], None)).contains("not found"));
        let leftovers = ok(s.kubectl_with(
            k,
            &["get", "configmaps,deployments", "-A", "-o", "name"],
            None,
        ));
        let err = fails(s.kubectl_with(k, &["get", "configmap", "a", "-n", &ns], None));
        assert!(err.contains("not found"), "{err} {leftovers}");
    }
    let err = fails(s.kubectl(&["delete", "namespace", "kube-system"]));
    assert!(err.contains("this namespace may not be deleted"), "{err}");
}
