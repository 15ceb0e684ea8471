use super::*;
use crate::resources::ServedSubresource;

fn pods() -> ServedResource {
    ServedResource::new("", "v1", "Pod", "pods", true, "io.k8s.api.core.v1.Pod")
        .with_status()
        .with_subresource(ServedSubresource::log())
        .with_subresource(ServedSubresource::object(
            "binding",
            GroupVersionKind::new("", "v1", "Binding"),
            "io.k8s.api.core.v1.Binding",
            &["create"],
        ))
        .with_subresource(ServedSubresource::connect(
            "exec",
            GroupVersionKind::new("", "v1", "PodExecOptions"),
            &["create", "get"],
        ))
        .with_subresource(ServedSubresource::connect(
            "proxy",
            GroupVersionKind::new("", "v1", "PodProxyOptions"),
            &["get", "delete"],
        ))
}

fn find<'p>(paths: &'p [PathItem], path: &str) -> &'p PathItem {
    paths
        .iter()
        .find(|item| item.path == path)
        .unwrap_or_else(|| panic!("no path {path}"))
}

fn ids(item: &PathItem) -> Vec<&str> {
    item.operations
        .iter()
        .map(|op| op.operation_id.as_str())
        .collect()
}

#[test]
fn namespaced_resource_paths_and_ids() {
    let paths = group_version_paths("", "v1", [&pods()]).unwrap();
    assert_eq!(ids(find(&paths, "/api/v1/")), ["getCoreV1APIResources"]);
    assert_eq!(
        ids(find(&paths, "/api/v1/namespaces/{namespace}/pods")),
        [
            "listCoreV1NamespacedPod",
            "createCoreV1NamespacedPod",
            "deleteCoreV1CollectionNamespacedPod"
        ]
    );
    assert_eq!(
        ids(find(&paths, "/api/v1/namespaces/{namespace}/pods/{name}")),
        [
            "readCoreV1NamespacedPod",
            "replaceCoreV1NamespacedPod",
            "patchCoreV1NamespacedPod",
            "deleteCoreV1NamespacedPod"
        ]
    );
    assert_eq!(
        ids(find(&paths, "/api/v1/pods")),
        ["listCoreV1PodForAllNamespaces"]
    );
    assert_eq!(
        ids(find(&paths, "/api/v1/watch/pods")),
        ["watchCoreV1PodListForAllNamespaces"]
    );
    assert_eq!(
        ids(find(
            &paths,
            "/api/v1/watch/namespaces/{namespace}/pods/{name}"
        )),
        ["watchCoreV1NamespacedPod"]
    );
    assert_eq!(
        ids(find(
            &paths,
            "/api/v1/namespaces/{namespace}/pods/{name}/status"
        )),
        [
            "readCoreV1NamespacedPodStatus",
            "replaceCoreV1NamespacedPodStatus",
            "patchCoreV1NamespacedPodStatus"
        ]
    );
    assert_eq!(
        ids(find(
            &paths,
            "/api/v1/namespaces/{namespace}/pods/{name}/exec"
        )),
        [
            "connectCoreV1PostNamespacedPodExec",
            "connectCoreV1GetNamespacedPodExec"
        ]
    );
    assert_eq!(
        ids(find(
            &paths,
            "/api/v1/namespaces/{namespace}/pods/{name}/proxy/{path}"
        )),
        [
            "connectCoreV1GetNamespacedPodProxyWithPath",
            "connectCoreV1DeleteNamespacedPodProxyWithPath"
        ]
    );
}

#[test]
fn subresource_operations_carry_their_kind_and_bodies() {
    let paths = group_version_paths("", "v1", [&pods()]).unwrap();
    let binding = &find(&paths, "/api/v1/namespaces/{namespace}/pods/{name}/binding").operations[0];
    assert_eq!(binding.operation_id, "createCoreV1NamespacedPodBinding");
    assert_eq!(binding.action, Some("post"));
    assert_eq!(
        binding.gvk,
        Some(GroupVersionKind::new("", "v1", "Binding"))
    );
    assert_eq!(
        binding.request,
        Some(RequestBody::Object("io.k8s.api.core.v1.Binding".into()))
    );
    let log = &find(&paths, "/api/v1/namespaces/{namespace}/pods/{name}/log").operations[0];
    assert_eq!(log.operation_id, "readCoreV1NamespacedPodLog");
    assert_eq!(log.responses[0].payload, Payload::Text);
    assert!(log.params.iter().any(|p| p.name == "tailLines"));
    let exec = &find(&paths, "/api/v1/namespaces/{namespace}/pods/{name}/exec");
    assert_eq!(exec.operations[0].action, Some("connect"));
    assert!(
        exec.operations[0]
            .params
            .iter()
            .any(|p| p.name == "command")
    );
    assert!(exec.params.iter().all(|p| p.name != "pretty"));
}

#[test]
fn patch_operations_accept_field_validation() {
    let deployments = ServedResource::new(
        "apps",
        "v1",
        "Deployment",
        "deployments",
        true,
        "io.k8s.api.apps.v1.Deployment",
    )
    .with_status()
    .with_scale();
    let paths = group_version_paths("apps", "v1", [&deployments]).unwrap();
    let patches: Vec<&Operation> = paths
        .iter()
        .flat_map(|p| &p.operations)
        .filter(|op| op.method == Method::Patch)
        .collect();
    assert_eq!(patches.len(), 3);
    for op in patches {
        assert!(
            op.params.iter().any(|p| p.name == "fieldValidation"),
            "{}",
            op.operation_id
        );
        assert_eq!(op.request, Some(RequestBody::Patch { strategic: true }));
    }
    let scale = &find(
        &paths,
        "/apis/apps/v1/namespaces/{namespace}/deployments/{name}/scale",
    )
    .operations[0];
    assert_eq!(
        scale.gvk,
        Some(GroupVersionKind::new("autoscaling", "v1", "Scale"))
    );
    assert_eq!(scale.operation_id, "readAppsV1NamespacedDeploymentScale");
}

#[test]
fn cluster_scoped_and_restricted_verbs() {
    let namespaces = ServedResource::new(
        "",
        "v1",
        "Namespace",
        "namespaces",
        false,
        "io.k8s.api.core.v1.Namespace",
    )
    .with_verbs(&[
        "create", "delete", "get", "list", "patch", "update", "watch",
    ]);
    let paths = group_version_paths("", "v1", [&namespaces]).unwrap();
    assert_eq!(
        ids(find(&paths, "/api/v1/namespaces")),
        ["listCoreV1Namespace", "createCoreV1Namespace"]
    );
    assert_eq!(
        ids(find(&paths, "/api/v1/watch/namespaces/{name}")),
        ["watchCoreV1Namespace"]
    );
    assert!(paths.iter().all(|p| !p.path.contains("{namespace}")));
    let item = find(&paths, "/api/v1/namespaces/{name}");
    assert_eq!(
        item.params.iter().map(|p| p.name).collect::<Vec<_>>(),
        ["name", "pretty"]
    );

    let reviews = ServedResource::new(
        "authorization.k8s.io",
        "v1",
        "SubjectAccessReview",
        "subjectaccessreviews",
        false,
        "io.k8s.api.authorization.v1.SubjectAccessReview",
    )
    .with_verbs(&["create"]);
    let paths = group_version_paths("authorization.k8s.io", "v1", [&reviews]).unwrap();
    let all: Vec<&str> = paths.iter().map(|p| p.path.as_str()).collect();
    assert_eq!(
        all,
        [
            "/apis/authorization.k8s.io/v1/",
            "/apis/authorization.k8s.io/v1/subjectaccessreviews"
        ]
    );
}

#[test]
fn other_group_versions_are_skipped_and_bad_resources_rejected() {
    let paths = group_version_paths("apps", "v1", [&pods()]).unwrap();
    assert_eq!(paths.len(), 1);
    let broken = ServedResource::new("", "v1", "Pod", "pods/x", true, "io.k8s.api.core.v1.Pod");
    assert!(matches!(
        group_version_paths("", "v1", [&broken]),
        Err(OpenApiError::InvalidResource { .. })
    ));
    let nameless = ServedResource::new("", "v1", "", "pods", true, "io.k8s.api.core.v1.Pod");
    assert!(group_version_paths("", "v1", [&nameless]).is_err());
}
