//! Custom resources through real kubectl (oldest and newest installed): a CRD with two versions, a
//! printer column, a status subresource, a validation schema with a CEL rule.

mod common;

use std::time::{Duration, Instant};

use common::*;

const CRD: &str = r#"apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: widgets.example.com
spec:
  group: example.com
  scope: Namespaced
  names:
    plural: widgets
    singular: widget
    kind: Widget
    shortNames: [wd]
    categories: [all]
  versions:
  - name: v1
    served: true
    storage: true
    subresources:
      status: {}
      scale:
        specReplicasPath: .spec.size
        statusReplicasPath: .status.size
    additionalPrinterColumns:
    - name: Color
      type: string
      jsonPath: .spec.color
    - name: Size
      type: integer
      jsonPath: .spec.size
    selectableFields:
    - jsonPath: .spec.color
    schema:
      openAPIV3Schema:
        type: object
        properties:
          spec:
            type: object
            required: [color]
            x-kubernetes-validations:
            - rule: "self.size <= 100"
              message: size must be at most 100
            properties:
              color:
                type: string
                enum: [red, green, blue]
              size:
                type: integer
                minimum: 1
                default: 3
          status:
            type: object
            properties:
              size:
                type: integer
  - name: v1beta1
    served: true
    storage: false
    schema:
      openAPIV3Schema:
        type: object
        x-kubernetes-preserve-unknown-fields: true
"#;

fn widget(name: &str, spec: &str) -> String {
    format!("apiVersion: example.com/v1\nkind: Widget\nmetadata:\n  name: {name}\nspec:\n{spec}")
}

fn eventually(what: &str, mut check: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(20);
    while !check() {
        assert!(Instant::now() < deadline, "timed out waiting for: {what}");
        std::thread::sleep(Duration::from_millis(100));
    }
}

#[test]
fn custom_resources_with_kubectl() {
    let s = Server::start();
    for (i, k) in kubectls().iter().enumerate() {
        let ns = format!("crd{i}");
        ok(s.kubectl_with(k, &["create", "namespace", &ns], None));
        ok(s.kubectl_with(k, &["apply", "-f", "-"], Some(CRD)));
        let started = Instant::now();
        ok(s.kubectl_with(
            k,
            &[
                "wait",
                "--for=condition=Established",
                "crd/widgets.example.com",
                "--timeout=20s",
            ],
            None,
        ));
        assert!(started.elapsed() < Duration::from_secs(5), "served quickly");
        let names = ok(s.kubectl_with(
            k,
            &[
                "get",
                "crd",
                "widgets.example.com",
                "-o",
                "jsonpath={.status.conditions[?(@.type==\"NamesAccepted\")].status}",
            ],
            None,
        ));
        assert_eq!(names, "True");

        // The resource is served: kubectl discovers it, with its short name.
        eventually("kubectl sees widgets", || {
            s.kubectl_with(k, &["get", "wd", "-n", &ns], None)
                .status
                .success()
        });
        let out = ok(s.kubectl_with(
            k,
            &["apply", "-n", &ns, "-f", "-"],
            Some(&widget("w1", "  color: red\n")),
        ));
        assert!(out.contains("widget.example.com/w1 created"), "{out}");
        ok(s.kubectl_with(
            k,
            &["apply", "-n", &ns, "-f", "-"],
            Some(&widget("w2", "  color: blue\n  size: 7\n")),
        ));
        let again = ok(s.kubectl_with(
            k,
            &["apply", "-n", &ns, "-f", "-"],
            Some(&widget("w1", "  color: red\n")),
        ));
        assert!(again.contains("unchanged"), "{again}");

        // Printer columns, defaults (size 3), categories and selectable fields.
        let table = ok(s.kubectl_with(k, &["get", "widgets", "-n", &ns], None));
        let header = table.lines().next().unwrap();
        assert!(
            header.contains("COLOR") && header.contains("SIZE"),
            "{table}"
        );
        assert!(
            table
                .lines()
                .any(|l| l.starts_with("w1") && l.contains("red") && l.contains(" 3")),
            "{table}"
        );
        let all = ok(s.kubectl_with(k, &["get", "all", "-n", &ns], None));
        assert!(all.contains("widget.example.com/w1"), "{all}");
        let blue = ok(s.kubectl_with(
            k,
            &[
                "get",
                "widgets",
                "-n",
                &ns,
                "--field-selector",
                "spec.color=blue",
                "-o",
                "name",
            ],
            None,
        ));
        assert_eq!(blue.trim(), "widget.example.com/w2");

        // Validation errors name the field; CEL rules apply.
        let err = fails(s.kubectl_with(
            k,
            &["apply", "-n", &ns, "-f", "-"],
            Some(&widget("bad", "  color: pink\n  size: 0\n")),
        ));
        assert!(
            err.contains("spec.color") && err.contains("Unsupported value: \"pink\""),
            "{err}"
        );
        assert!(err.contains("spec.size"), "{err}");
        let err = fails(s.kubectl_with(
            k,
            &["apply", "-n", &ns, "-f", "-"],
            Some(&widget("big", "  color: red\n  size: 500\n")),
        ));
        assert!(err.contains("size must be at most 100"), "{err}");
        let err = fails(s.kubectl_with(
            k,
            &["apply", "-n", &ns, "-f", "-"],
            Some(&widget("nocolor", "  size: 2\n")),
        ));
        assert!(err.contains("spec.color: Required value"), "{err}");

        // Unknown fields: refused by kubectl's strict validation, pruned when not validated.
        let err = fails(s.kubectl_with(
            k,
            &["apply", "-n", &ns, "-f", "-"],
            Some(&widget("w3", "  color: red\n  shape: round\n")),
        ));
        assert!(err.contains("unknown field \"spec.shape\""), "{err}");
        ok(s.kubectl_with(
            k,
            &["apply", "-n", &ns, "--validate=false", "-f", "-"],
            Some(&widget("w3", "  color: red\n  shape: round\n")),
        ));
        let spec = ok(s.kubectl_with(
            k,
            &["get", "widget", "w3", "-n", &ns, "-o", "jsonpath={.spec}"],
            None,
        ));
        assert!(!spec.contains("shape"), "pruned: {spec}");

        // The other version serves the same objects.
        let v1beta1 = ok(s.kubectl_with(
            k,
            &[
                "get",
                "widgets.v1beta1.example.com",
                "w1",
                "-n",
                &ns,
                "-o",
                "jsonpath={.apiVersion}",
            ],
            None,
        ));
        assert_eq!(v1beta1, "example.com/v1beta1");

        // Status and scale subresources.
        ok(s.kubectl_with(
            k,
            &["scale", "widget", "w1", "-n", &ns, "--replicas=5"],
            None,
        ));
        assert_eq!(
            ok(s.kubectl_with(
                k,
                &[
                    "get",
                    "widget",
                    "w1",
                    "-n",
                    &ns,
                    "-o",
                    "jsonpath={.spec.size}"
                ],
                None
            )),
            "5"
        );
        let explain = ok(s.kubectl_with(k, &["explain", "widget.spec"], None));
        assert!(
            explain.contains("color") && explain.contains("size"),
            "{explain}"
        );

        // Deleting the CRD deletes its objects.
        ok(s.kubectl_with(
            k,
            &["delete", "crd", "widgets.example.com", "--timeout=60s"],
            None,
        ));
        eventually("the CRD is gone", || {
            !s.kubectl_with(k, &["get", "crd", "widgets.example.com"], None)
                .status
                .success()
        });
        let raw = s.curl(
            "GET",
            &format!("/apis/example.com/v1/namespaces/{ns}/widgets"),
            None,
            false,
        );
        assert_eq!(raw.status, 404, "{}", raw.body);
        // Re-creating it shows no leftovers.
        ok(s.kubectl_with(k, &["apply", "-f", "-"], Some(CRD)));
        ok(s.kubectl_with(
            k,
            &[
                "wait",
                "--for=condition=Established",
                "crd/widgets.example.com",
                "--timeout=20s",
            ],
            None,
        ));
        eventually("served again", || {
            s.kubectl_with(k, &["get", "widgets", "-n", &ns], None)
                .status
                .success()
        });
        let left = ok(s.kubectl_with(k, &["get", "widgets", "-A", "-o", "name"], None));
        assert!(left.trim().is_empty(), "{left}");
        ok(s.kubectl_with(k, &["delete", "crd", "widgets.example.com"], None));
        eventually("the CRD is gone", || {
            !s.kubectl_with(k, &["get", "crd", "widgets.example.com"], None)
                .status
                .success()
        });
    }
}

#[test]
fn conflicting_names_are_not_accepted() {
    let s = Server::start();
    ok(s.kubectl_with(&newest_kubectl(), &["apply", "-f", "-"], Some(CRD)));
    let clash = CRD
        .replace("name: widgets.example.com", "name: gadgets.example.com")
        .replace("plural: widgets", "plural: gadgets")
        .replace("singular: widget", "singular: gadget");
    ok(s.kubectl_with(&newest_kubectl(), &["apply", "-f", "-"], Some(&clash)));
    eventually("NamesAccepted=False", || {
        let out = s.kubectl(&[
            "get",
            "crd",
            "gadgets.example.com",
            "-o",
            "jsonpath={.status.conditions[?(@.type==\"NamesAccepted\")].reason}",
        ]);
        stdout(&out) == "KindConflict" || stdout(&out) == "ShortNamesConflict"
    });
}

#[test]
fn webhook_conversion_is_refused_clearly() {
    let s = Server::start();
    let crd = CRD.replace(
        "  versions:\n",
        "  conversion:\n    strategy: Webhook\n    webhook:\n      conversionReviewVersions: [v1]\n      clientConfig:\n        url: https://127.0.0.1:9/convert\n  versions:\n",
    );
    ok(s.kubectl_with(&newest_kubectl(), &["apply", "-f", "-"], Some(&crd)));
    ok(s.kubectl(&[
        "wait",
        "--for=condition=Established",
        "crd/widgets.example.com",
        "--timeout=20s",
    ]));
    eventually("the storage version is served", || {
        s.curl("GET", "/apis/example.com/v1/widgets", None, false)
            .status
            == 200
    });
    let other = s.curl("GET", "/apis/example.com/v1beta1/widgets", None, false);
    assert_eq!(other.status, 503, "{}", other.body);
    assert!(
        other.json()["message"]
            .as_str()
            .unwrap()
            .contains("conversion webhook"),
        "{}",
        other.body
    );
}

#[test]
fn custom_resources_take_part_in_watch_finalizers_and_garbage_collection() {
    let s = Server::start();
    let k = newest_kubectl();
    ok(s.kubectl_with(&k, &["apply", "-f", "-"], Some(CRD)));
    ok(s.kubectl(&[
        "wait",
        "--for=condition=Established",
        "crd/widgets.example.com",
        "--timeout=20s",
    ]));
    eventually("widgets are served", || {
        s.kubectl(&["get", "widgets"]).status.success()
    });
    let list = s.curl(
        "GET",
        "/apis/example.com/v1/namespaces/default/widgets",
        None,
        false,
    );
    let from = list.json()["metadata"]["resourceVersion"]
        .as_str()
        .unwrap()
        .to_owned();

    // A widget owned by a ConfigMap goes when its owner goes.
    ok(s.kubectl(&["create", "configmap", "owner"]));
    let uid = ok(s.kubectl(&[
        "get",
        "configmap",
        "owner",
        "-o",
        "jsonpath={.metadata.uid}",
    ]));
    let owned = format!(
        "apiVersion: example.com/v1\nkind: Widget\nmetadata:\n  name: owned\n  ownerReferences:\n  - apiVersion: v1\n    kind: ConfigMap\n    name: owner\n    uid: {uid}\nspec:\n  color: red\n"
    );
    ok(s.kubectl_with(&k, &["apply", "-f", "-"], Some(&owned)));
    // And a ConfigMap owned by a widget goes when the widget goes.
    let widget_uid = ok(s.kubectl(&["get", "widget", "owned", "-o", "jsonpath={.metadata.uid}"]));
    let dependent = format!(
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: dependent\n  ownerReferences:\n  - apiVersion: example.com/v1\n    kind: Widget\n    name: owned\n    uid: {widget_uid}\n"
    );
    ok(s.kubectl_with(&k, &["apply", "-f", "-"], Some(&dependent)));
    ok(s.kubectl(&["delete", "configmap", "owner"]));
    eventually("the owned widget is collected", || {
        !s.kubectl(&["get", "widget", "owned"]).status.success()
    });
    eventually("the widget's dependent is collected", || {
        !s.kubectl(&["get", "configmap", "dependent"])
            .status
            .success()
    });

    // Finalizers hold a deleted widget until they are removed.
    let held = widget("held", "  color: green\n").replace(
        "metadata:\n  name: held\n",
        "metadata:\n  name: held\n  finalizers: [example.com/hold]\n",
    );
    ok(s.kubectl_with(&k, &["apply", "-f", "-"], Some(&held)));
    ok(s.kubectl(&["delete", "widget", "held", "--wait=false"]));
    let stamp = ok(s.kubectl(&[
        "get",
        "widget",
        "held",
        "-o",
        "jsonpath={.metadata.deletionTimestamp}",
    ]));
    assert!(!stamp.is_empty(), "marked for deletion");
    ok(s.kubectl(&[
        "patch",
        "widget",
        "held",
        "--type=merge",
        "-p",
        "{\"metadata\":{\"finalizers\":null}}",
    ]));
    eventually("the widget is gone once its finalizer is", || {
        !s.kubectl(&["get", "widget", "held"]).status.success()
    });

    // A watch from before all this saw every step.
    let watch = s.curl(
        "GET",
        &format!(
            "/apis/example.com/v1/namespaces/default/widgets?watch=1&resourceVersion={from}&timeoutSeconds=1"
        ),
        None,
        false,
    );
    let events: Vec<(String, String)> = watch
        .body
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| {
            let e: serde_json::Value = serde_json::from_str(l).unwrap();
            (
                e["type"].as_str().unwrap().to_owned(),
                e["object"]["metadata"]["name"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    for expected in [
        ("ADDED", "owned"),
        ("DELETED", "owned"),
        ("ADDED", "held"),
        ("MODIFIED", "held"),
        ("DELETED", "held"),
    ] {
        assert!(
            events
                .iter()
                .any(|(t, n)| (t.as_str(), n.as_str()) == expected),
            "{expected:?} in {events:?}"
        );
    }
}

mod kube_rs {
    use super::CRD;
    use super::common::*;
    use kube::api::{Api, ApiResource, DynamicObject, GroupVersionKind, Patch, PatchParams};
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
    async fn kube_rs_custom_resources() {
        let s = Server::start();
        ok(s.kubectl_with(&newest_kubectl(), &["apply", "-f", "-"], Some(CRD)));
        ok(s.kubectl(&[
            "wait",
            "--for=condition=Established",
            "crd/widgets.example.com",
            "--timeout=20s",
        ]));
        let client = client(&s).await;
        // Discovery finds the new kind, as a dynamic client would use it.
        let discovery = kube::discovery::Discovery::new(client.clone())
            .run()
            .await
            .unwrap();
        let (resource, caps) = discovery
            .resolve_gvk(&GroupVersionKind::gvk("example.com", "v1", "Widget"))
            .expect("widgets are discovered");
        assert!(caps.supports_operation(kube::discovery::verbs::PATCH));
        let widgets: Api<DynamicObject> = Api::namespaced_with(client, "default", &resource);
        let apply = |spec: serde_json::Value| {
            Patch::Apply(json!({
                "apiVersion": "example.com/v1", "kind": "Widget",
                "metadata": {"name": "k"}, "spec": spec,
            }))
        };
        let made = widgets
            .patch(
                "k",
                &PatchParams::apply("kube-rs-test"),
                &apply(json!({"color": "green"})),
            )
            .await
            .unwrap();
        assert_eq!(made.data["spec"]["size"], 3, "defaulted from the schema");

        // Validation failures are 422s naming the field.
        let err = widgets
            .patch(
                "k",
                &PatchParams::apply("kube-rs-test"),
                &apply(json!({"color": "pink"})),
            )
            .await
            .unwrap_err();
        match err {
            kube::Error::Api(status) => {
                assert_eq!(status.code, 422, "{status:?}");
                assert!(status.message.contains("spec.color"), "{}", status.message);
            }
            other => panic!("expected a 422, got {other:?}"),
        }

        // The status subresource takes status only.
        let status = widgets
            .patch_status(
                "k",
                &PatchParams::default(),
                &Patch::Merge(json!({"status": {"size": 4}, "spec": {"color": "blue"}})),
            )
            .await
            .unwrap();
        assert_eq!(status.data["status"]["size"], 4);
        assert_eq!(status.data["spec"]["color"], "green");

        let v1beta1 = ApiResource::from_gvk_with_plural(
            &GroupVersionKind::gvk("example.com", "v1beta1", "Widget"),
            "widgets",
        );
        let old: Api<DynamicObject> =
            Api::namespaced_with(widgets.into_client(), "default", &v1beta1);
        let seen = old.get("k").await.unwrap();
        assert_eq!(seen.types.unwrap().api_version, "example.com/v1beta1");
    }
}
