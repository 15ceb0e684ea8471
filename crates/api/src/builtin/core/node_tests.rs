use serde_json::{Value, json};

use super::*;
use crate::builtin::core::testutil::{create, from_json, update, update_status};

fn node(spec: Value) -> Node {
    from_json(
        json!({"metadata": {"name": "n1"}, "spec": spec, "status": {"capacity": {"cpu": "4", "pods": "110"}}}),
    )
}

#[test]
fn create_keeps_status_and_defaults_allocatable() {
    let mut n = node(json!({"podCIDR": "10.244.0.0/24"}));
    assert!(create(&NodeStrategy, &mut n).is_empty());
    assert_eq!(
        n.spec.as_ref().unwrap().pod_cidrs.as_deref(),
        Some(&["10.244.0.0/24".to_string()][..])
    );
    assert_eq!(n.status.unwrap().allocatable.unwrap()["pods"].0, "110");
}

#[test]
fn taints_and_cidrs() {
    let mut n = node(
        json!({"taints": [{"key": "k", "effect": "NoEverything"}], "podCIDRs": ["10.0.0.0/24", "10.1.0.0/24"]}),
    );
    assert_eq!(
        create(&NodeStrategy, &mut n),
        vec![
            "metadata.taints[0].effect: Unsupported value: \"NoEverything\": supported values: \"NoSchedule\", \"PreferNoSchedule\", \"NoExecute\"",
            "spec.podCIDRs: Invalid value: []string{\"10.0.0.0/24\", \"10.1.0.0/24\"}: may specify no more than one CIDR for each IP family",
        ]
    );
    let mut bad = node(json!({"status": {"capacity": {"pods": "1.5"}}}));
    bad.status = Some(from_json(json!({"capacity": {"pods": "1.5"}})));
    // Allocatable defaults to capacity, so both report the fraction.
    assert_eq!(
        create(&NodeStrategy, &mut bad),
        vec![
            "status.capacity.pods: Invalid value: \"1500m\": must be an integer",
            "status.allocatable.pods: Invalid value: \"1500m\": must be an integer",
        ]
    );
}

#[test]
fn immutable_cidrs_and_provider() {
    let mut old = node(json!({"podCIDR": "10.244.0.0/24", "providerID": "kind://n1"}));
    create(&NodeStrategy, &mut old);
    let mut new =
        node(json!({"podCIDR": "10.245.0.0/24", "providerID": "kind://n2", "unschedulable": true}));
    assert_eq!(
        update(&NodeStrategy, &mut new, &old),
        vec![
            "spec.podCIDRs: Forbidden: node updates may not change podCIDR except from \"\" to valid",
            "spec.providerID: Forbidden: node updates may not change providerID except from \"\" to valid",
        ]
    );
    // Status comes from the stored node on main updates.
    assert_eq!(new.status, old.status);
    let mut status = old.clone();
    status.status = Some(from_json(
        json!({"addresses": [{"type": "InternalIP", "address": "10.0.0.1"}, {"type": "InternalIP", "address": "10.0.0.1"}]}),
    ));
    assert_eq!(
        update_status(&NodeStrategy, &mut status, &old),
        vec![
            "status.addresses[1]: Duplicate value: core.NodeAddress{Type:\"InternalIP\", Address:\"10.0.0.1\"}"
        ]
    );
}
