//! Rows of coordination, discovery, networking, node, policy, rbac and scheduling types.

mod common;

use common::{DAY, MINUTE, ago, assert_row, cells, column_names, wide_column_names};
use serde_json::{Value, json};

fn meta(name: &str, age: i64) -> Value {
    json!({"name": name, "creationTimestamp": ago(age)})
}

#[test]
fn leases() {
    assert_eq!(
        column_names("coordination.k8s.io", "leases"),
        ["Name", "Holder", "Age"]
    );
    let lease = json!({"metadata": meta("kube-scheduler", 5 * MINUTE),
                       "spec": {"holderIdentity": "node-1_abc", "leaseDurationSeconds": 15}});
    assert_row(
        "coordination.k8s.io",
        "leases",
        &lease,
        json!(["kube-scheduler", "node-1_abc", "5m"]),
    );
    assert_row(
        "coordination.k8s.io",
        "leases",
        &json!({"metadata": meta("free", 0)}),
        json!(["free", "", "0s"]),
    );
}

#[test]
fn endpoint_slices() {
    assert_eq!(
        column_names("discovery.k8s.io", "endpointslices"),
        ["Name", "AddressType", "Ports", "Endpoints", "Age"]
    );
    let slice = |ports: Value, endpoints: Value| json!({"metadata": meta("abcslice.123", 5 * MINUTE), "addressType": "IPv4", "ports": ports, "endpoints": endpoints});
    assert_row(
        "discovery.k8s.io",
        "endpointslices",
        &slice(
            json!([{"name": "http", "port": 80, "protocol": "TCP"}]),
            json!([{"addresses": ["10.1.2.3", "2001:db8::1234:5678"]}]),
        ),
        json!([
            "abcslice.123",
            "IPv4",
            "80",
            "10.1.2.3,2001:db8::1234:5678",
            "5m"
        ]),
    );
    let many = slice(
        json!([{"port": 80}, {"port": 443}, {"port": 3000}, {"port": 3001}]),
        json!([{"addresses": ["10.1.2.3", "2001:db8::1234:5678"]}, {"addresses": ["10.2.3.4", "2001:db8::2345:6789"]}]),
    );
    assert_eq!(
        cells("discovery.k8s.io", "endpointslices", &many)[2..4],
        [
            json!("80,443,3000 + 1 more..."),
            json!("10.1.2.3,2001:db8::1234:5678,10.2.3.4 + 1 more...")
        ]
    );
    let empty = slice(json!([{"name": "metrics"}, {}]), json!([]));
    assert_eq!(
        cells("discovery.k8s.io", "endpointslices", &empty)[2..4],
        [json!("metrics,*"), json!("<unset>")]
    );
    let none = json!({"metadata": meta("s", 0), "addressType": "FQDN"});
    assert_eq!(
        cells("discovery.k8s.io", "endpointslices", &none)[2..4],
        [json!("<unset>"), json!("<unset>")]
    );
}

#[test]
fn ingresses() {
    assert_eq!(
        column_names("networking.k8s.io", "ingresses"),
        ["Name", "Class", "Hosts", "Address", "Ports", "Age"]
    );
    let ing = json!({
        "metadata": meta("test1", 10 * 365 * DAY),
        "spec": {"ingressClassName": "foo",
                 "defaultBackend": {"service": {"name": "default-backend", "port": {"number": 80}}}},
        "status": {"loadBalancer": {"ingress": [{"ip": "2.3.4.5", "hostname": "localhost.localdomain"}]}}
    });
    assert_row(
        "networking.k8s.io",
        "ingresses",
        &ing,
        json!(["test1", "foo", "*", "2.3.4.5", "80", "10y"]),
    );
    let tls = json!({
        "metadata": meta("web", DAY),
        "spec": {"rules": [{"host": "a.example.com"}, {}, {"host": "b.example.com"}, {"host": "c.example.com"}, {"host": "d.example.com"}],
                 "tls": [{"hosts": ["a.example.com"], "secretName": "tls"}]},
        "status": {"loadBalancer": {}}
    });
    assert_row(
        "networking.k8s.io",
        "ingresses",
        &tls,
        json!([
            "web",
            "<none>",
            "a.example.com,b.example.com,c.example.com + 2 more...",
            "",
            "80, 443",
            "24h"
        ]),
    );
}

#[test]
fn ingress_classes() {
    assert_eq!(
        column_names("networking.k8s.io", "ingressclasses"),
        ["Name", "Controller", "Parameters", "Age"]
    );
    let class = |params: Option<Value>| {
        let mut c = json!({"metadata": meta("nginx", 11 * 365 * DAY), "spec": {"controller": "example.com/controller"}});
        if let Some(p) = params {
            c["spec"]["parameters"] = p;
        }
        cells("networking.k8s.io", "ingressclasses", &c)
    };
    assert_eq!(
        class(None),
        json!(["nginx", "example.com/controller", "<none>", "11y"])
            .as_array()
            .unwrap()
            .clone()
    );
    assert_eq!(
        class(Some(json!({"kind": "customgroup", "name": "example"})))[2],
        json!("customgroup/example")
    );
    assert_eq!(
        class(Some(
            json!({"apiGroup": "example.com", "kind": "customgroup", "name": "example"})
        ))[2],
        json!("customgroup.example.com/example")
    );
}

#[test]
fn network_policies() {
    assert_eq!(
        column_names("networking.k8s.io", "networkpolicies"),
        ["Name", "Pod-Selector", "Age"]
    );
    let np = |selector: Value| json!({"metadata": meta("policy1", 0), "spec": {"podSelector": selector}});
    assert_row(
        "networking.k8s.io",
        "networkpolicies",
        &np(json!({})),
        json!(["policy1", "<none>", "0s"]),
    );
    assert_row(
        "networking.k8s.io",
        "networkpolicies",
        &np(json!({"matchLabels": {"foo": "bar"}})),
        json!(["policy1", "foo=bar", "0s"]),
    );
}

#[test]
fn runtime_classes() {
    assert_eq!(
        column_names("node.k8s.io", "runtimeclasses"),
        ["Name", "Handler", "Age"]
    );
    let rc = json!({"metadata": meta("gvisor", 5 * MINUTE), "handler": "runsc"});
    assert_row(
        "node.k8s.io",
        "runtimeclasses",
        &rc,
        json!(["gvisor", "runsc", "5m"]),
    );
}

#[test]
fn pod_disruption_budgets() {
    assert_eq!(
        column_names("policy", "poddisruptionbudgets"),
        [
            "Name",
            "Min Available",
            "Max Unavailable",
            "Allowed Disruptions",
            "Age"
        ]
    );
    let pdb = |spec: Value, allowed: i64| json!({"metadata": meta("pdb1", 0), "spec": spec, "status": {"disruptionsAllowed": allowed}});
    assert_row(
        "policy",
        "poddisruptionbudgets",
        &pdb(json!({"minAvailable": 22}), 5),
        json!(["pdb1", "22", "N/A", 5, "0s"]),
    );
    assert_row(
        "policy",
        "poddisruptionbudgets",
        &pdb(json!({"maxUnavailable": "25%"}), 0),
        json!(["pdb1", "N/A", "25%", 0, "0s"]),
    );
}

#[test]
fn role_bindings_and_cluster_role_bindings() {
    for resource in ["rolebindings", "clusterrolebindings"] {
        assert_eq!(
            column_names("rbac.authorization.k8s.io", resource),
            ["Name", "Role", "Age", "Users", "Groups", "ServiceAccounts"]
        );
        assert_eq!(
            wide_column_names("rbac.authorization.k8s.io", resource),
            ["Users", "Groups", "ServiceAccounts"]
        );
        let binding = json!({
            "metadata": meta("binding2", 0),
            "subjects": [
                {"kind": "User", "name": "user-name"},
                {"kind": "User", "name": "other-user"},
                {"kind": "Group", "name": "group-name"},
                {"kind": "ServiceAccount", "name": "service-account-name", "namespace": "service-account-namespace"}
            ],
            "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": "role-name"}
        });
        assert_row(
            "rbac.authorization.k8s.io",
            resource,
            &binding,
            json!([
                "binding2",
                "ClusterRole/role-name",
                "0s",
                "user-name, other-user",
                "group-name",
                "service-account-namespace/service-account-name"
            ]),
        );
    }
}

#[test]
fn roles_use_the_default_table() {
    for resource in ["roles", "clusterroles"] {
        assert!(capstan_printers::columns("rbac.authorization.k8s.io", resource).is_none());
        let role = json!({"metadata": {"name": "admin", "creationTimestamp": "2024-01-02T03:04:05Z"}, "rules": []});
        assert_row(
            "rbac.authorization.k8s.io",
            resource,
            &role,
            json!(["admin", "2024-01-02T03:04:05Z"]),
        );
    }
}

#[test]
fn priority_classes() {
    assert_eq!(
        column_names("scheduling.k8s.io", "priorityclasses"),
        ["Name", "Value", "Global-Default", "Age", "PreemptionPolicy"]
    );
    assert!(wide_column_names("scheduling.k8s.io", "priorityclasses").is_empty());
    let pc = json!({"metadata": meta("system-cluster-critical", 30 * DAY), "value": 2_000_000_000,
                    "globalDefault": false, "preemptionPolicy": "PreemptLowerPriority"});
    assert_row(
        "scheduling.k8s.io",
        "priorityclasses",
        &pc,
        json!([
            "system-cluster-critical",
            2_000_000_000,
            false,
            "30d",
            "PreemptLowerPriority"
        ]),
    );
    let bare =
        json!({"metadata": meta("pc2", 5 * MINUTE), "value": 1_000_000_000, "globalDefault": true});
    assert_row(
        "scheduling.k8s.io",
        "priorityclasses",
        &bare,
        json!(["pc2", 1_000_000_000, true, "5m", ""]),
    );
}
