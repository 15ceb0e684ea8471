use serde_json::{Value, json};

use super::*;
use crate::builtin::core::testutil::{create, from_json, update, update_status};

fn svc(spec: Value) -> Service {
    from_json(json!({"metadata": {"name": "web", "namespace": "default"}, "spec": spec}))
}

fn run(spec: Value) -> Vec<String> {
    create(&ServiceStrategy, &mut svc(spec))
}

#[test]
fn defaults() {
    let mut s = svc(json!({"selector": {"app": "web"}, "ports": [{"port": 80}]}));
    assert!(create(&ServiceStrategy, &mut s).is_empty());
    let v = serde_json::to_value(&s).unwrap();
    assert_eq!(v["spec"]["type"], "ClusterIP");
    assert_eq!(v["spec"]["sessionAffinity"], "None");
    assert_eq!(v["spec"]["internalTrafficPolicy"], "Cluster");
    assert_eq!(
        v["spec"]["ports"][0],
        json!({"port": 80, "protocol": "TCP", "targetPort": 80})
    );
    assert_eq!(v["status"], json!({"loadBalancer": {}}));
    let mut lb =
        svc(json!({"type": "LoadBalancer", "ports": [{"port": 80, "targetPort": "http"}]}));
    assert!(create(&ServiceStrategy, &mut lb).is_empty());
    let spec = lb.spec.unwrap();
    assert_eq!(spec.external_traffic_policy.as_deref(), Some("Cluster"));
    assert_eq!(spec.allocate_load_balancer_node_ports, Some(true));
    let mut affinity = svc(json!({"ports": [{"port": 80}], "sessionAffinity": "ClientIP"}));
    assert!(create(&ServiceStrategy, &mut affinity).is_empty());
    assert_eq!(
        affinity
            .spec
            .unwrap()
            .session_affinity_config
            .unwrap()
            .client_ip
            .unwrap()
            .timeout_seconds,
        Some(10800)
    );
}

#[test]
fn validation() {
    assert_eq!(run(json!({})), vec!["spec.ports: Required value"]);
    assert!(run(json!({"clusterIP": "None"})).is_empty());
    assert!(run(json!({"type": "ExternalName", "externalName": "example.com."})).is_empty());
    assert_eq!(
        run(json!({"type": "ExternalName"})),
        vec!["spec.externalName: Required value"]
    );
    assert_eq!(
        run(json!({"type": "ExternalName", "externalName": "example.com", "clusterIP": "None"})),
        vec!["spec.clusterIPs: Forbidden: may not be set for ExternalName services"]
    );
    assert_eq!(
        run(json!({"ports": [{"port": 80}, {"port": 81}]})),
        vec![
            "spec.ports[0].name: Required value",
            "spec.ports[1].name: Required value"
        ]
    );
    assert_eq!(
        run(json!({"ports": [{"name": "a", "port": 80}, {"name": "a", "port": 80}]})),
        vec![
            "spec.ports[1].name: Duplicate value: \"a\"",
            "spec.ports[1]: Duplicate value: core.ServicePort{Name:\"\", Protocol:\"TCP\", AppProtocol:(*string)(nil), Port:80, TargetPort:intstr.IntOrString{Type:0, IntVal:0, StrVal:\"\"}, NodePort:0}",
        ]
    );
    assert_eq!(
        run(json!({"ports": [{"port": 0, "targetPort": 1}]})),
        vec!["spec.ports[0].port: Invalid value: 0: must be between 1 and 65535, inclusive"]
    );
    assert_eq!(
        run(json!({"type": "Magic", "ports": [{"port": 80}]})),
        vec![
            "spec.type: Unsupported value: \"Magic\": supported values: \"ClusterIP\", \"ExternalName\", \"LoadBalancer\", \"NodePort\""
        ]
    );
    assert_eq!(
        run(json!({"ports": [{"port": 80, "nodePort": 30080}]})),
        vec!["spec.ports[0].nodePort: Forbidden: may not be used when `type` is 'ClusterIP'"]
    );
    assert_eq!(
        run(json!({"type": "NodePort", "clusterIP": "None", "ports": [{"port": 80}]})),
        vec![
            "spec.clusterIPs[0]: Invalid value: \"None\": may not be set to 'None' for NodePort services"
        ]
    );
    assert_eq!(
        run(
            json!({"ports": [{"port": 80}], "sessionAffinity": "None", "sessionAffinityConfig": {"clientIP": {"timeoutSeconds": 10}}})
        ),
        Vec::<String>::new()
    );
    assert_eq!(
        run(json!({"ports": [{"port": 80}], "externalTrafficPolicy": "Local"})),
        vec![
            "spec.externalTrafficPolicy: Invalid value: \"Local\": may only be set for externally-accessible services"
        ]
    );
    assert_eq!(
        run(json!({"ports": [{"port": 80}], "loadBalancerSourceRanges": ["10.0.0.0/8"]})),
        vec![
            "spec.LoadBalancerSourceRanges: Forbidden: may only be used when `type` is 'LoadBalancer'"
        ]
    );
    assert_eq!(
        run(json!({"ports": [{"port": 80}], "clusterIP": "10.0.0.300"})),
        vec![
            "spec.clusterIPs[0]: Invalid value: \"10.0.0.300\": must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)"
        ]
    );
    assert_eq!(
        run(json!({"ports": [{"port": 80}], "externalIPs": ["127.0.0.1"]}))[0],
        "spec.externalIPs[0]: Invalid value: \"127.0.0.1\": may not be in the loopback range (127.0.0.0/8, ::1/128)"
    );
}

fn stored(spec: Value) -> Service {
    let mut s = svc(spec);
    assert!(create(&ServiceStrategy, &mut s).is_empty());
    s
}

#[test]
fn updates_keep_allocations_and_drop_type_fields() {
    let mut old = stored(json!({"type": "NodePort", "ports": [{"name": "http", "port": 80}]}));
    // What the API server's allocation added.
    let spec = old.spec.as_mut().unwrap();
    spec.cluster_ip = Some("10.0.0.10".into());
    spec.cluster_ips = Some(vec!["10.0.0.10".into()]);
    spec.ports.as_mut().unwrap()[0].node_port = Some(30080);
    let mut replace = svc(json!({"type": "NodePort", "ports": [{"name": "http", "port": 80}]}));
    assert!(update(&ServiceStrategy, &mut replace, &old).is_empty());
    let spec = replace.spec.unwrap();
    assert_eq!(spec.cluster_ip.as_deref(), Some("10.0.0.10"));
    assert_eq!(spec.ports.unwrap()[0].node_port, Some(30080));
    let mut v = serde_json::to_value(&old).unwrap();
    v["spec"]["type"] = json!("ClusterIP");
    let mut to_cluster_ip: Service = from_json(v);
    assert!(update(&ServiceStrategy, &mut to_cluster_ip, &old).is_empty());
    let spec = to_cluster_ip.spec.unwrap();
    assert_eq!(spec.ports.unwrap()[0].node_port, None);
    assert_eq!(spec.external_traffic_policy, None);
    let mut v = serde_json::to_value(&old).unwrap();
    v["spec"]["type"] = json!("ExternalName");
    v["spec"]["externalName"] = json!("example.com");
    let mut to_external: Service = from_json(v);
    assert!(update(&ServiceStrategy, &mut to_external, &old).is_empty());
    assert_eq!(to_external.spec.unwrap().cluster_ip, None);
}

#[test]
fn load_balancer_rules() {
    let old = stored(
        json!({"type": "LoadBalancer", "loadBalancerClass": "example.com/a", "ports": [{"port": 80}]}),
    );
    let mut v = serde_json::to_value(&old).unwrap();
    v["spec"]["loadBalancerClass"] = json!("example.com/b");
    let mut changed: Service = from_json(v);
    assert_eq!(
        update(&ServiceStrategy, &mut changed, &old),
        vec!["spec.loadBalancerClass: Invalid value: \"example.com/b\": may not change once set"]
    );
    let mut status = old.clone();
    status.status = Some(from_json(
        json!({"loadBalancer": {"ingress": [{"ip": "1.2.3.4"}, {"ipMode": "VIP", "hostname": "lb.example.com"}]}}),
    ));
    assert_eq!(
        update_status(&ServiceStrategy, &mut status, &old),
        vec![
            "status.loadBalancer.ingress[1].ipMode: Forbidden: may not be specified when `ip` is not set"
        ]
    );
    assert_eq!(
        status
            .status
            .unwrap()
            .load_balancer
            .unwrap()
            .ingress
            .unwrap()[0]
            .ip_mode
            .as_deref(),
        Some("VIP")
    );
    let plain = stored(json!({"ports": [{"port": 80}]}));
    let mut with_ingress = plain.clone();
    with_ingress.status = Some(from_json(
        json!({"loadBalancer": {"ingress": [{"ip": "1.2.3.4"}]}}),
    ));
    assert_eq!(
        update_status(&ServiceStrategy, &mut with_ingress, &plain),
        vec![
            "status.loadBalancer.ingress: Forbidden: may only be used when `spec.type` is 'LoadBalancer'"
        ]
    );
}

#[test]
fn warnings() {
    let s = svc(json!({"externalName": "x.example.com", "ports": [{"port": 80}]}));
    assert_eq!(
        ServiceStrategy.warnings(&s),
        vec!["spec.externalName is ignored when spec.type is not \"ExternalName\""]
    );
}
