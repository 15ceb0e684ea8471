//! Services and Endpoints rows.

mod common;

use common::{MINUTE, ago, assert_row, column_names, wide_column_names};
use serde_json::{Value, json};

fn service(spec: Value, status: Value) -> Value {
    json!({"metadata": {"name": "svc", "namespace": "default", "creationTimestamp": ago(2 * MINUTE)},
           "spec": spec, "status": status})
}

#[test]
fn service_columns() {
    assert_eq!(
        column_names("", "services"),
        [
            "Name",
            "Type",
            "Cluster-IP",
            "External-IP",
            "Port(s)",
            "Age",
            "Selector"
        ]
    );
    assert_eq!(wide_column_names("", "services"), ["Selector"]);
}

#[test]
fn cluster_ip_service() {
    let svc = service(
        json!({"type": "ClusterIP", "clusterIP": "10.96.0.10", "clusterIPs": ["10.96.0.10"],
               "ports": [{"name": "dns", "port": 53, "protocol": "UDP"}, {"name": "dns-tcp", "port": 53, "protocol": "TCP"}],
               "selector": {"k8s-app": "kube-dns"}}),
        json!({}),
    );
    assert_row(
        "",
        "services",
        &svc,
        json!([
            "svc",
            "ClusterIP",
            "10.96.0.10",
            "<none>",
            "53/UDP,53/TCP",
            "2m",
            "k8s-app=kube-dns"
        ]),
    );
}

#[test]
fn cluster_ip_with_external_ips_and_headless() {
    let svc = service(
        json!({"type": "ClusterIP", "clusterIPs": ["10.9.8.7"], "externalIPs": ["80.11.12.10", "80.11.12.11"],
               "ports": [{"port": 2233, "protocol": "tcp"}]}),
        json!({}),
    );
    assert_row(
        "",
        "services",
        &svc,
        json!([
            "svc",
            "ClusterIP",
            "10.9.8.7",
            "80.11.12.10,80.11.12.11",
            "2233/tcp",
            "2m",
            "<none>"
        ]),
    );
    let headless = service(
        json!({"type": "ClusterIP", "clusterIP": "None", "clusterIPs": ["None"]}),
        json!({}),
    );
    assert_row(
        "",
        "services",
        &headless,
        json!([
            "svc",
            "ClusterIP",
            "None",
            "<none>",
            "<none>",
            "2m",
            "<none>"
        ]),
    );
}

#[test]
fn node_port_service() {
    let svc = service(
        json!({"type": "NodePort", "clusterIP": "10.9.8.7",
               "ports": [{"port": 80, "nodePort": 30080, "protocol": "TCP"}, {"port": 443, "nodePort": 30001, "protocol": "TCP"}]}),
        json!({}),
    );
    assert_row(
        "",
        "services",
        &svc,
        json!([
            "svc",
            "NodePort",
            "10.9.8.7",
            "<none>",
            "80:30080/TCP,443:30001/TCP",
            "2m",
            "<none>"
        ]),
    );
}

#[test]
fn load_balancer_services() {
    let lb = |extra: Value, status: Value| {
        let mut spec = json!({"type": "LoadBalancer", "clusterIP": "10.9.8.7", "ports": [{"port": 8888, "nodePort": 31000, "protocol": "TCP"}]});
        spec.as_object_mut()
            .unwrap()
            .extend(extra.as_object().unwrap().clone());
        service(spec, status)
    };
    let external = |svc: &Value| common::cells("", "services", svc)[3].clone();
    assert_eq!(external(&lb(json!({}), json!({}))), json!("<pending>"));
    assert_eq!(
        external(&lb(json!({"externalIPs": ["80.11.12.10"]}), json!({}))),
        json!("80.11.12.10")
    );
    assert_eq!(
        external(&lb(
            json!({}),
            json!({"loadBalancer": {"ingress": [{"ip": "3.4.5.6"}, {"ip": "2.3.4.5"}, {"hostname": "lb.example.com"}]}})
        )),
        json!("2.3.4.5,3.4.5.6,lb.example.com")
    );
    assert_eq!(
        external(&lb(
            json!({"externalIPs": ["80.11.12.10", "80.11.12.11"]}),
            json!({"loadBalancer": {"ingress": [{"ip": "2.3.4.5", "hostname": "a.local"}, {"ip": "3.4.5.6"}]}})
        )),
        json!("2.3.4.5,3.4.5.6,80.11.12.10,80.11.12.11")
    );
    // The server renders wide output, so long lists are never elided.
    assert_eq!(
        external(&lb(
            json!({}),
            json!({"loadBalancer": {"ingress": [{"ip": "2.3.4.5"}, {"ip": "3.4.5.6"}, {"ip": "5.6.7.8", "hostname": "host5678"}]}})
        )),
        json!("2.3.4.5,3.4.5.6,5.6.7.8")
    );
    assert_eq!(
        common::cells("", "services", &lb(json!({}), json!({})))[4],
        json!("8888:31000/TCP")
    );
}

#[test]
fn external_name_and_unknown_type() {
    let svc = service(
        json!({"type": "ExternalName", "externalName": "my.database.example.com"}),
        json!({}),
    );
    assert_row(
        "",
        "services",
        &svc,
        json!([
            "svc",
            "ExternalName",
            "<none>",
            "my.database.example.com",
            "<none>",
            "2m",
            "<none>"
        ]),
    );
    let odd = service(json!({"clusterIP": "10.0.0.1"}), json!({}));
    assert_eq!(
        common::cells("", "services", &odd)[1..4],
        [json!(""), json!("10.0.0.1"), json!("<unknown>")]
    );
}

#[test]
fn cluster_ip_falls_back_to_cluster_ips() {
    let svc = service(
        json!({"type": "ClusterIP", "clusterIPs": ["fd00::10", "10.0.0.10"]}),
        json!({}),
    );
    assert_eq!(common::cells("", "services", &svc)[2], json!("fd00::10"));
}

fn endpoints(subsets: Value) -> Value {
    json!({"metadata": {"name": "ep", "creationTimestamp": ago(5 * MINUTE)}, "subsets": subsets})
}

#[test]
fn endpoints_rows() {
    assert_eq!(column_names("", "endpoints"), ["Name", "Endpoints", "Age"]);
    assert_row(
        "",
        "endpoints",
        &json!({"metadata": {"name": "ep"}}),
        json!(["ep", "<none>", "<unknown>"]),
    );
    assert_row(
        "",
        "endpoints",
        &endpoints(json!([{"addresses": [{"ip": "1.2.3.4"}, {"ip": "5.6.7.8"}]}])),
        json!(["ep", "1.2.3.4,5.6.7.8", "5m"]),
    );
    assert_row(
        "",
        "endpoints",
        &endpoints(
            json!([{"addresses": [{"ip": "1.2.3.4"}, {"ip": "5.6.7.8"}], "ports": [{"port": 8001, "protocol": "TCP"}]}]),
        ),
        json!(["ep", "1.2.3.4:8001,5.6.7.8:8001", "5m"]),
    );
    assert_row(
        "",
        "endpoints",
        &endpoints(
            json!([{"addresses": [{"ip": "1.2.3.4"}, {"ip": "5.6.7.8"}, {"ip": "9.8.7.6"}, {"ip": "6.6.6.6"}],
                           "ports": [{"port": 8001, "protocol": "TCP"}]}]),
        ),
        json!([
            "ep",
            "1.2.3.4:8001,5.6.7.8:8001,9.8.7.6:8001 + 1 more...",
            "5m"
        ]),
    );
}

#[test]
fn endpoints_with_ipv6_multiple_ports_and_not_ready_only() {
    let ep = endpoints(
        json!([{"addresses": [{"ip": "fd00::1"}], "ports": [{"port": 80}, {"port": 443}]}]),
    );
    assert_eq!(
        common::cells("", "endpoints", &ep)[1],
        json!("[fd00::1]:80,[fd00::1]:443")
    );
    let not_ready =
        endpoints(json!([{"notReadyAddresses": [{"ip": "10.0.0.1"}], "ports": [{"port": 80}]}]));
    assert_eq!(common::cells("", "endpoints", &not_ready)[1], json!(""));
}
