//! The official Python client and kube-rs against `capstan server`, unmodified.

mod common;

use std::process::Command;

use common::*;

const PYTHON: &str = r#"
import sys, threading, time
from kubernetes import client, config, watch
config.load_kube_config()
v1 = client.CoreV1Api()
names = [n.metadata.name for n in v1.list_namespace().items]
assert "kube-system" in names, names
ns = client.V1Namespace(metadata=client.V1ObjectMeta(name="py"))
v1.create_namespace(ns)
cm = client.V1ConfigMap(metadata=client.V1ObjectMeta(name="cfg", labels={"app": "py"}), data={"k": "v"})
created = v1.create_namespaced_config_map("py", cm)
rv = created.metadata.resource_version
got = v1.read_namespaced_config_map("cfg", "py")
assert got.data == {"k": "v"}, got.data
got.data["k"] = "v2"
v1.replace_namespaced_config_map("cfg", "py", got)
v1.patch_namespaced_config_map("cfg", "py", {"metadata": {"labels": {"patched": "yes"}}})
listed = v1.list_namespaced_config_map("py", label_selector="patched=yes")
assert [c.metadata.name for c in listed.items] == ["cfg"], listed.items
try:
    v1.read_namespaced_config_map("missing", "py")
    raise SystemExit("expected 404")
except client.exceptions.ApiException as e:
    assert e.status == 404, e.status
seen = []
w = watch.Watch()
for event in w.stream(v1.list_namespaced_config_map, "py", resource_version=rv, timeout_seconds=5):
    if event["object"].metadata.name != "cfg":
        continue  # kube-root-ca.crt, published by the controllers
    seen.append((event["type"], event["object"].data.get("k")))
    if len(seen) >= 2:
        w.stop()
assert seen[0] == ("MODIFIED", "v2"), seen
apps = client.AppsV1Api()
dep = {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "d"},
       "spec": {"replicas": 2, "selector": {"matchLabels": {"a": "b"}},
                "template": {"metadata": {"labels": {"a": "b"}},
                             "spec": {"containers": [{"name": "c", "image": "nginx"}]}}}}
apps.create_namespaced_deployment("py", dep)
scale = apps.read_namespaced_deployment_scale("d", "py")
assert scale.spec.replicas == 2, scale
apps.patch_namespaced_deployment_scale("d", "py", {"spec": {"replicas": 4}})
assert apps.read_namespaced_deployment("d", "py").spec.replicas == 4
v1.delete_namespaced_config_map("cfg", "py")
print("ok")
"#;

#[test]
fn python_client() {
    let s = Server::start();
    let out = Command::new("/usr/bin/python3")
        .args(["-c", PYTHON])
        .env("KUBECONFIG", s.kubeconfig())
        .output()
        .expect("/usr/bin/python3 with python3-kubernetes (scripts/setup-deps.sh installs it)");
    assert!(
        out.status.success() && stdout(&out).contains("ok"),
        "python client failed:\n{}\n{}\nserver log:\n{}",
        stdout(&out),
        stderr(&out),
        s.log()
    );
}

mod kube_rs {
    use super::common::Server;
    use futures::{StreamExt, TryStreamExt};
    use k8s_openapi::api::apps::v1::Deployment;
    use k8s_openapi::api::core::v1::{ConfigMap, Namespace};
    use kube::api::{Api, DeleteParams, ListParams, Patch, PatchParams, PostParams};
    use kube::runtime::{WatchStreamExt, watcher};
    use kube::{Client, Config};
    use serde_json::json;

    async fn client(s: &Server) -> Client {
        let _ = rustls::crypto::ring::default_provider().install_default();
        let kubeconfig = kube::config::Kubeconfig::read_from(s.kubeconfig()).unwrap();
        let config = Config::from_custom_kubeconfig(kubeconfig, &Default::default())
            .await
            .unwrap();
        Client::try_from(config).unwrap()
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn kube_rs_client() {
        let s = Server::start();
        let client = client(&s).await;
        let version = client.apiserver_version().await.unwrap();
        assert_eq!(
            (version.major.as_str(), version.minor.as_str()),
            ("1", "33")
        );

        let namespaces: Api<Namespace> = Api::all(client.clone());
        let ns: Namespace = serde_json::from_value(json!({"metadata": {"name": "rs"}})).unwrap();
        namespaces
            .create(&PostParams::default(), &ns)
            .await
            .unwrap();

        let cms: Api<ConfigMap> = Api::namespaced(client.clone(), "rs");
        // A watcher started before the writes sees them all.
        let stream = watcher(cms.clone(), watcher::Config::default()).applied_objects();
        let seen = tokio::spawn(async move {
            let mut names = Vec::new();
            let mut stream = Box::pin(stream);
            while let Ok(Some(cm)) = stream.try_next().await {
                names.push(cm.metadata.name.unwrap_or_default());
                if names.iter().filter(|n| n.starts_with("w")).count() >= 3 {
                    break;
                }
            }
            names
        });
        tokio::time::sleep(std::time::Duration::from_millis(500)).await;
        for i in 0..3 {
            let cm: ConfigMap = serde_json::from_value(json!({
                "metadata": {"name": format!("w{i}"), "labels": {"app": "rs"}}, "data": {"i": i.to_string()}
            }))
            .unwrap();
            cms.create(&PostParams::default(), &cm).await.unwrap();
        }
        let names = tokio::time::timeout(std::time::Duration::from_secs(15), seen)
            .await
            .unwrap()
            .unwrap();
        assert!(names.contains(&"w2".to_owned()), "{names:?}");

        let patched = cms
            .patch(
                "w0",
                &PatchParams::default(),
                &Patch::Merge(json!({"data": {"extra": "x"}})),
            )
            .await
            .unwrap();
        assert_eq!(patched.data.unwrap()["extra"], "x");
        let listed = cms
            .list(&ListParams::default().labels("app=rs").limit(2))
            .await
            .unwrap();
        assert_eq!(listed.items.len(), 2);
        assert!(listed.metadata.continue_.is_some());

        let deployments: Api<Deployment> = Api::namespaced(client.clone(), "rs");
        let d: Deployment = serde_json::from_value(json!({
            "metadata": {"name": "d"},
            "spec": {"replicas": 1, "selector": {"matchLabels": {"a": "b"}},
                     "template": {"metadata": {"labels": {"a": "b"}},
                                  "spec": {"containers": [{"name": "c", "image": "nginx"}]}}}
        }))
        .unwrap();
        deployments
            .create(&PostParams::default(), &d)
            .await
            .unwrap();
        let scale = deployments.get_scale("d").await.unwrap();
        assert_eq!(scale.spec.unwrap().replicas, Some(1));
        let err = deployments.get("missing").await.unwrap_err();
        match err {
            kube::Error::Api(s) => assert_eq!(s.code, 404),
            other => panic!("expected a 404 Status, got {other:?}"),
        }
        cms.delete("w1", &DeleteParams::default()).await.unwrap();
        let remaining: Vec<_> = cms
            .list(&ListParams::default())
            .await
            .unwrap()
            .items
            .into_iter()
            .filter_map(|c| c.metadata.name)
            .collect();
        assert!(!remaining.contains(&"w1".to_owned()));
        let _ = futures::stream::iter(0..0).next().await;
    }
}
