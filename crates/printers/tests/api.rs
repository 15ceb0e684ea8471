//! Public API: lookup, default table and JSON column definitions.

mod common;

use common::ago;
use serde_json::json;

#[test]
fn ago_helper_formats_relative_timestamps() {
    assert_eq!(ago(0), "2024-06-01T12:00:00Z");
    assert_eq!(ago(common::DAY + common::HOUR), "2024-05-31T11:00:00Z");
    assert_eq!(ago(-30), "2024-06-01T12:00:30Z");
}

#[test]
fn every_listed_builtin_has_a_table() {
    let dedicated = [
        ("", "pods"),
        ("", "podtemplates"),
        ("", "replicationcontrollers"),
        ("", "services"),
        ("", "endpoints"),
        ("", "nodes"),
        ("", "namespaces"),
        ("", "events"),
        ("", "resourcequotas"),
        ("", "persistentvolumes"),
        ("", "persistentvolumeclaims"),
        ("", "configmaps"),
        ("", "secrets"),
        ("", "serviceaccounts"),
        ("", "componentstatuses"),
        ("apps", "deployments"),
        ("apps", "replicasets"),
        ("apps", "statefulsets"),
        ("apps", "daemonsets"),
        ("apps", "controllerrevisions"),
        ("batch", "jobs"),
        ("batch", "cronjobs"),
        ("autoscaling", "horizontalpodautoscalers"),
        ("coordination.k8s.io", "leases"),
        ("discovery.k8s.io", "endpointslices"),
        ("events.k8s.io", "events"),
        ("networking.k8s.io", "ingresses"),
        ("networking.k8s.io", "ingressclasses"),
        ("networking.k8s.io", "networkpolicies"),
        ("node.k8s.io", "runtimeclasses"),
        ("policy", "poddisruptionbudgets"),
        ("rbac.authorization.k8s.io", "rolebindings"),
        ("rbac.authorization.k8s.io", "clusterrolebindings"),
        ("scheduling.k8s.io", "priorityclasses"),
        ("storage.k8s.io", "storageclasses"),
        ("storage.k8s.io", "volumeattachments"),
        ("storage.k8s.io", "csidrivers"),
        ("storage.k8s.io", "csinodes"),
        ("storage.k8s.io", "csistoragecapacities"),
    ];
    for (group, resource) in dedicated {
        let cols = capstan_printers::columns(group, resource)
            .unwrap_or_else(|| panic!("{group}/{resource}"));
        // An empty object never panics and fills every column.
        let row = capstan_printers::row_cells(group, resource, &json!({}), common::now()).unwrap();
        assert_eq!(row.len(), cols.len(), "{group}/{resource}");
        assert!(
            cols.iter().any(|c| c.format == "name"),
            "{group}/{resource} has a name column"
        );
        for c in cols {
            assert!(["string", "integer", "number", "boolean", "date"].contains(&c.type_));
            assert!(c.priority == 0 || c.priority == 1);
            assert!(!c.description.is_empty());
        }
    }
    let defaulted = [
        ("", "limitranges"),
        ("rbac.authorization.k8s.io", "roles"),
        ("rbac.authorization.k8s.io", "clusterroles"),
        ("apiextensions.k8s.io", "customresourcedefinitions"),
        ("example.com", "widgets"),
    ];
    for (group, resource) in defaulted {
        assert!(
            capstan_printers::columns(group, resource).is_none(),
            "{group}/{resource}"
        );
        assert_eq!(
            capstan_printers::columns_or_default(group, resource),
            capstan_printers::default_columns()
        );
    }
}

#[test]
fn default_table_shows_name_and_creation_time() {
    let cols = capstan_printers::default_columns();
    assert_eq!(cols.len(), 2);
    assert_eq!(
        (cols[0].name, cols[0].type_, cols[0].format),
        ("Name", "string", "name")
    );
    assert_eq!(
        (cols[1].name, cols[1].type_, cols[1].format),
        ("Created At", "date", "")
    );
    let crd = json!({"metadata": {"name": "widgets.example.com", "creationTimestamp": "2024-05-01T12:30:00+02:00"}});
    assert_eq!(
        capstan_printers::row_cells(
            "apiextensions.k8s.io",
            "customresourcedefinitions",
            &crd,
            common::now()
        )
        .unwrap(),
        vec![json!("widgets.example.com"), json!("2024-05-01T10:30:00Z")]
    );
    assert_eq!(
        capstan_printers::default_row_cells(&json!({"metadata": {"name": "x"}})),
        vec![json!("x"), json!("0001-01-01T00:00:00Z")]
    );
}

#[test]
fn column_definitions_serialize_like_metav1() {
    let cols = capstan_printers::columns("", "pods").unwrap();
    let name = cols[0].to_json();
    assert_eq!(name["name"], json!("Name"));
    assert_eq!(name["type"], json!("string"));
    assert_eq!(name["format"], json!("name"));
    assert_eq!(name["priority"], json!(0));
    assert!(name["description"].is_string());
    let ip = cols[5].to_json();
    assert_eq!(
        (
            ip["name"].clone(),
            ip["format"].clone(),
            ip["priority"].clone()
        ),
        (json!("IP"), json!(""), json!(1))
    );
}
