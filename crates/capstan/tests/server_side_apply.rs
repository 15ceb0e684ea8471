//! Server-side apply and field ownership through real kubectl (oldest and newest installed),
//! kube-rs and raw requests: managedFields for every writer, conflicts and force, removal of
//! fields a manager stops applying, list-map merging from schemas, client-side to server-side
//! apply migration.

mod common;

use std::time::{Duration, Instant};

use common::*;
use serde_json::Value;

fn deployment(replicas: u32, extra_label: Option<&str>) -> String {
    let extra = extra_label
        .map(|l| format!("\n    {l}"))
        .unwrap_or_default();
    format!(
        r#"apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  labels:
    app: web{extra}
spec:
  replicas: {replicas}
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
"#
    )
}

fn get_json(s: &Server, k: &std::path::Path, args: &[&str]) -> Value {
    let mut all = vec!["get"];
    all.extend_from_slice(args);
    all.extend_from_slice(&["-o", "json", "--show-managed-fields"]);
    serde_json::from_str(&ok(s.kubectl_with(k, &all, None))).unwrap()
}

/// (manager, operation) → the field paths it owns, rendered as fieldsV1 JSON.
fn owners(obj: &Value) -> Vec<(String, String, String)> {
    obj["metadata"]["managedFields"]
        .as_array()
        .cloned()
        .unwrap_or_default()
        .iter()
        .map(|e| {
            (
                e["manager"].as_str().unwrap_or("").to_owned(),
                e["operation"].as_str().unwrap_or("").to_owned(),
                e["fieldsV1"].to_string(),
            )
        })
        .collect()
}

fn owned_by(obj: &Value, manager: &str) -> String {
    owners(obj)
        .into_iter()
        .filter(|(m, _, _)| m == manager)
        .map(|(_, _, f)| f)
        .collect::<Vec<_>>()
        .join(" ")
}

#[test]
fn server_side_apply_with_kubectl() {
    let s = Server::start();
    for (i, k) in kubectls().iter().enumerate() {
        let ns = format!("ssa{i}");
        ok(s.kubectl_with(k, &["create", "namespace", &ns], None));
        let apply = |config: &str, extra: &[&str]| {
            let mut args = vec!["apply", "--server-side", "-n", &ns, "-f", "-"];
            args.extend_from_slice(extra);
            s.kubectl_with(k, &args, Some(config))
        };

        let out = ok(apply(&deployment(2, Some("team: a")), &[]));
        assert!(
            out.contains("deployment.apps/web serverside-applied"),
            "{out}"
        );
        let first = get_json(&s, k, &["deployment", "web", "-n", &ns]);
        let managed = owners(&first);
        assert_eq!(managed.len(), 1, "{managed:?}");
        assert_eq!(
            (managed[0].0.as_str(), managed[0].1.as_str()),
            ("kubectl", "Apply")
        );
        assert!(managed[0].2.contains("f:replicas"), "{managed:?}");
        assert!(
            managed[0].2.contains(r#"k:{\"name\":\"nginx\"}"#),
            "containers are keyed by name: {managed:?}"
        );
        // Defaults are not the applier's.
        assert!(
            !managed[0].2.contains("f:revisionHistoryLimit"),
            "{managed:?}"
        );

        // Applying the same configuration again changes nothing, not even the resourceVersion.
        ok(apply(&deployment(2, Some("team: a")), &[]));
        let again = get_json(&s, k, &["deployment", "web", "-n", &ns]);
        assert_eq!(
            first["metadata"]["resourceVersion"], again["metadata"]["resourceVersion"],
            "a repeated apply is a no-op"
        );

        // managedFields are hidden by default, as upstream kubectl does it.
        let plain = ok(s.kubectl_with(
            k,
            &["get", "deployment", "web", "-n", &ns, "-o", "yaml"],
            None,
        ));
        assert!(!plain.contains("managedFields"), "{plain}");

        // Another manager changing an owned field conflicts, naming the owner and the field.
        let err = fails(apply(&deployment(3, None), &["--field-manager=ops"]));
        assert!(
            err.contains("conflict with \"kubectl\"") && err.contains(".spec.replicas"),
            "{err}"
        );
        // Forced, the field changes hands.
        ok(apply(
            &deployment(3, None),
            &["--field-manager=ops", "--force-conflicts"],
        ));
        let forced = get_json(&s, k, &["deployment", "web", "-n", &ns]);
        assert_eq!(forced["spec"]["replicas"], 3);
        assert!(owned_by(&forced, "ops").contains("f:replicas"), "{forced}");
        assert!(
            !owned_by(&forced, "kubectl").contains("f:replicas"),
            "{forced}"
        );

        // A field its only manager stops applying is removed; shared fields stay.
        ok(apply(&deployment(3, None), &[]));
        let pruned = get_json(&s, k, &["deployment", "web", "-n", &ns]);
        assert!(
            pruned["metadata"]["labels"].get("team").is_none(),
            "{pruned}"
        );
        assert_eq!(pruned["metadata"]["labels"]["app"], "web");
        assert_eq!(pruned["spec"]["replicas"], 3, "ops still owns replicas");
        assert!(owned_by(&pruned, "ops").contains("f:replicas"), "{pruned}");

        // Updates are tracked too, under the client's field manager.
        ok(s.kubectl_with(
            k,
            &["label", "deployment", "web", "-n", &ns, "tier=front"],
            None,
        ));
        let labelled = get_json(&s, k, &["deployment", "web", "-n", &ns]);
        assert!(
            owners(&labelled)
                .iter()
                .any(|(m, op, f)| m == "kubectl-label" && op == "Update" && f.contains("f:tier")),
            "{labelled}"
        );

        // An object applied client-side can be taken over by server-side apply.
        let cm = |value: &str| {
            format!(
                "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: settings\ndata:\n  mode: {value}\n"
            )
        };
        ok(s.kubectl_with(k, &["apply", "-n", &ns, "-f", "-"], Some(&cm("fast"))));
        let out = ok(apply(&cm("safe"), &[]));
        assert!(out.contains("serverside-applied"), "{out}");
        let migrated = get_json(&s, k, &["configmap", "settings", "-n", &ns]);
        assert_eq!(migrated["data"]["mode"], "safe");
        assert!(
            owned_by(&migrated, "kubectl").contains("f:mode"),
            "{migrated}"
        );
        ok(s.kubectl_with(k, &["delete", "namespace", &ns, "--wait=false"], None));
    }
}

const CRD: &str = r#"apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: routers.net.example.com
spec:
  group: net.example.com
  scope: Namespaced
  names: {plural: routers, singular: router, kind: Router}
  versions:
  - name: v1
    served: true
    storage: true
    subresources: {status: {}}
    schema:
      openAPIV3Schema:
        type: object
        properties:
          spec:
            type: object
            properties:
              owner: {type: string}
              ports:
                type: array
                x-kubernetes-list-type: map
                x-kubernetes-list-map-keys: [name]
                items:
                  type: object
                  required: [name]
                  properties:
                    name: {type: string}
                    port: {type: integer}
              tags:
                type: array
                x-kubernetes-list-type: set
                items: {type: string}
          status:
            type: object
            properties:
              ready: {type: boolean}
"#;

#[test]
fn custom_resources_merge_by_their_schema() {
    let s = Server::start();
    let k = newest_kubectl();
    ok(s.kubectl_with(&k, &["apply", "-f", "-"], Some(CRD)));
    ok(s.kubectl_with(
        &k,
        &[
            "wait",
            "--for=condition=Established",
            "crd/routers.net.example.com",
            "--timeout=20s",
        ],
        None,
    ));
    let deadline = Instant::now() + Duration::from_secs(20);
    while !s
        .kubectl_with(&k, &["get", "routers"], None)
        .status
        .success()
    {
        assert!(Instant::now() < deadline, "routers are served");
        std::thread::sleep(Duration::from_millis(100));
    }
    let router = |ports: &str, tags: &str| {
        format!(
            "apiVersion: net.example.com/v1\nkind: Router\nmetadata:\n  name: r\nspec:\n  ports:\n{ports}  tags: [{tags}]\n"
        )
    };
    let apply = |manager: &str, config: &str| {
        s.kubectl_with(
            &k,
            &[
                "apply",
                "--server-side",
                "--field-manager",
                manager,
                "-f",
                "-",
            ],
            Some(config),
        )
    };
    // Two managers each own one entry of a map-list and one member of a set.
    ok(apply("alpha", &router("  - {name: http, port: 80}\n", "a")));
    ok(apply(
        "beta",
        &router("  - {name: https, port: 443}\n", "b"),
    ));
    let obj = get_json(&s, &k, &["router", "r"]);
    let names: Vec<&str> = obj["spec"]["ports"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["http", "https"], "{obj}");
    assert_eq!(obj["spec"]["tags"], serde_json::json!(["a", "b"]));
    assert!(
        owned_by(&obj, "alpha").contains(r#"k:{\"name\":\"http\"}"#),
        "{obj}"
    );
    assert!(
        owned_by(&obj, "beta").contains(r#"k:{\"name\":\"https\"}"#),
        "{obj}"
    );

    // Changing another manager's entry conflicts; dropping one's own entry removes it.
    let err = fails(apply(
        "beta",
        &router("  - {name: http, port: 8080}\n", "b"),
    ));
    assert!(err.contains("conflict with \"alpha\""), "{err}");
    ok(apply("alpha", &router("", "a")));
    let obj = get_json(&s, &k, &["router", "r"]);
    let names: Vec<&str> = obj["spec"]["ports"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["https"], "{obj}");

    // Status written through its subresource belongs to its writer, not to the spec's appliers.
    let status = s.curl(
        "PATCH",
        "/apis/net.example.com/v1/namespaces/default/routers/r/status?fieldManager=controller",
        Some((
            "application/apply-patch+yaml",
            b"apiVersion: net.example.com/v1\nkind: Router\nmetadata:\n  name: r\nstatus:\n  ready: true\n",
        )),
        false,
    );
    assert_eq!(status.status, 200, "{}", status.body);
    let obj = get_json(&s, &k, &["router", "r"]);
    assert_eq!(obj["status"]["ready"], true);
    let entry = obj["metadata"]["managedFields"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["manager"] == "controller")
        .cloned()
        .unwrap();
    assert_eq!(entry["subresource"], "status", "{entry}");
    assert!(entry["fieldsV1"].to_string().contains("f:ready"), "{entry}");
}

#[test]
fn apply_requests_are_checked_as_upstream() {
    let s = Server::start();
    let cm = b"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\ndata:\n  a: \"1\"\n";
    let path = "/api/v1/namespaces/default/configmaps/c";

    let missing = s.curl(
        "PATCH",
        path,
        Some(("application/apply-patch+yaml", cm)),
        false,
    );
    assert_eq!(missing.status, 422, "{}", missing.body);
    assert_eq!(
        missing.json()["message"],
        "PatchOptions.meta.k8s.io \"\" is invalid: fieldManager: Required value: is required for apply patch"
    );

    let created = s.curl(
        "PATCH",
        &format!("{path}?fieldManager=me"),
        Some(("application/apply-patch+yaml", cm)),
        false,
    );
    assert_eq!(created.status, 201, "apply creates: {}", created.body);
    let again = s.curl(
        "PATCH",
        &format!("{path}?fieldManager=me"),
        Some(("application/apply-patch+yaml", cm)),
        false,
    );
    assert_eq!(again.status, 200, "{}", again.body);
    assert_eq!(
        created.json()["metadata"]["resourceVersion"],
        again.json()["metadata"]["resourceVersion"]
    );

    let force_on_merge = s.curl(
        "PATCH",
        &format!("{path}?force=true"),
        Some(("application/merge-patch+json", b"{\"data\":{\"b\":\"2\"}}")),
        false,
    );
    assert_eq!(force_on_merge.status, 422, "{}", force_on_merge.body);
    assert!(
        force_on_merge
            .body
            .contains("force: Forbidden: may not be specified for non-apply patch"),
        "{}",
        force_on_merge.body
    );

    let conflict = s.curl(
        "PATCH",
        &format!("{path}?fieldManager=you"),
        Some((
            "application/apply-patch+yaml",
            b"{\"apiVersion\":\"v1\",\"kind\":\"ConfigMap\",\"metadata\":{\"name\":\"c\"},\"data\":{\"a\":\"2\"}}",
        )),
        false,
    );
    assert_eq!(conflict.status, 409, "{}", conflict.body);
    let status = conflict.json();
    assert_eq!(status["reason"], "Conflict");
    assert_eq!(
        status["message"],
        "Apply failed with 1 conflict: conflict with \"me\": .data.a"
    );
    assert_eq!(
        status["details"]["causes"][0]["reason"],
        "FieldManagerConflict"
    );
    assert_eq!(status["details"]["causes"][0]["field"], ".data.a");

    let wrong_name = s.curl(
        "PATCH",
        &format!("{path}?fieldManager=me"),
        Some((
            "application/apply-patch+yaml",
            b"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: other\n",
        )),
        false,
    );
    assert_eq!(wrong_name.status, 400, "{}", wrong_name.body);

    let not_yaml = s.curl(
        "PATCH",
        &format!("{path}?fieldManager=me"),
        Some(("application/apply-patch+yaml", b"data: [unclosed")),
        false,
    );
    assert_eq!(not_yaml.status, 400, "{}", not_yaml.body);

    // A create records its writer (the user agent's product name when no fieldManager is given).
    let posted = s.curl(
        "POST",
        "/api/v1/namespaces/default/configmaps",
        Some((
            "application/json",
            b"{\"apiVersion\":\"v1\",\"kind\":\"ConfigMap\",\"metadata\":{\"name\":\"p\"},\"data\":{\"x\":\"y\"}}",
        )),
        false,
    );
    assert_eq!(posted.status, 201, "{}", posted.body);
    let entry = &posted.json()["metadata"]["managedFields"][0];
    assert_eq!(entry["manager"], "curl", "{entry}");
    assert_eq!(entry["operation"], "Update");
    assert!(entry["fieldsV1"].to_string().contains("f:x"), "{entry}");
}

mod kube_rs {
    use super::common::Server;
    use k8s_openapi::api::core::v1::ConfigMap;
    use kube::api::{Api, Patch, PatchParams};
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
    async fn kube_rs_server_side_apply() {
        let s = Server::start();
        let cms: Api<ConfigMap> = Api::namespaced(client(&s).await, "default");
        let config = |value: &str| json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "rs"}, "data": {"k": value}});
        let first = cms
            .patch(
                "rs",
                &PatchParams::apply("operator"),
                &Patch::Apply(config("1")),
            )
            .await
            .unwrap();
        let second = cms
            .patch(
                "rs",
                &PatchParams::apply("operator"),
                &Patch::Apply(config("1")),
            )
            .await
            .unwrap();
        assert_eq!(
            first.metadata.resource_version,
            second.metadata.resource_version
        );
        let err = cms
            .patch(
                "rs",
                &PatchParams::apply("intruder"),
                &Patch::Apply(config("2")),
            )
            .await
            .unwrap_err();
        match err {
            kube::Error::Api(status) => {
                assert_eq!(status.code, 409);
                assert_eq!(status.reason, "Conflict");
                assert!(
                    status.message.contains("conflict with \"operator\""),
                    "{}",
                    status.message
                );
            }
            other => panic!("expected a 409, got {other:?}"),
        }
        let forced = cms
            .patch(
                "rs",
                &PatchParams::apply("intruder").force(),
                &Patch::Apply(config("2")),
            )
            .await
            .unwrap();
        assert_eq!(forced.data.unwrap()["k"], "2");
        let managers: Vec<String> = forced
            .metadata
            .managed_fields
            .unwrap_or_default()
            .into_iter()
            .filter_map(|m| m.manager)
            .collect();
        assert!(managers.contains(&"intruder".to_owned()), "{managers:?}");
    }
}
