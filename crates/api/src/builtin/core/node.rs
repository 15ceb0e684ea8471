//! Nodes (upstream pkg/registry/core/node/strategy.go, SetDefaults_NodeStatus, ValidateNode,
//! ValidateNodeUpdate).

use std::collections::BTreeSet;
use std::net::IpAddr;

use capstan_apimachinery::validation::is_valid_cidr_for_legacy_field;
use capstan_apimachinery::{BadValue, ErrorList, FieldError, Path};
use k8s_openapi::api::core::v1::{Node, NodeSpec};

use super::common::s;
use super::resources::{parse, round_up_to_milli, validate_quantity_value};
use super::scheduling::validate_taints;
use crate::strategy::{SelectableField, TypedStrategy};

pub struct NodeStrategy;

pub const NODE_FIELDS: &[SelectableField] = &[SelectableField::boolean(
    "spec.unschedulable",
    "/spec/unschedulable",
)];

fn cidrs(spec: &NodeSpec) -> Vec<String> {
    spec.pod_cidrs.clone().unwrap_or_default()
}

impl TypedStrategy<Node> for NodeStrategy {
    fn default(&self, node: &mut Node) {
        if let Some(spec) = node.spec.as_mut() {
            // v1's singular podCIDR mirrors the first of podCIDRs.
            if cidrs(spec).is_empty() && !s(&spec.pod_cidr).is_empty() {
                spec.pod_cidrs = Some(vec![s(&spec.pod_cidr).to_string()]);
            }
            if let Some(first) = cidrs(spec).first() {
                spec.pod_cidr = Some(first.clone());
            }
        }
        if let Some(st) = node.status.as_mut() {
            round_up_to_milli(&mut st.capacity);
            round_up_to_milli(&mut st.allocatable);
            if st.allocatable.is_none() && st.capacity.is_some() {
                st.allocatable = st.capacity.clone();
            }
        }
    }

    fn validate(&self, node: &Node) -> ErrorList {
        validate_node(node)
    }

    fn prepare_for_update(&self, node: &mut Node, old: &Node) {
        node.status = old.status.clone();
    }

    fn validate_update(&self, node: &Node, old: &Node) -> ErrorList {
        let mut errs = validate_node(node);
        errs.extend(validate_node_update(node, old));
        errs
    }

    fn prepare_for_status_update(&self, node: &mut Node, old: &Node) {
        node.spec = old.spec.clone();
    }

    fn validate_status_update(&self, node: &Node, old: &Node) -> ErrorList {
        validate_node_update(node, old)
    }

    fn selectable_fields(&self) -> &'static [SelectableField] {
        NODE_FIELDS
    }
}

/// Upstream ValidateNodeResources: capacity and allocatable quantities.
fn validate_resources(node: &Node) -> ErrorList {
    let mut errs = Vec::new();
    let Some(st) = &node.status else {
        return errs;
    };
    for (list, field) in [(&st.capacity, "capacity"), (&st.allocatable, "allocatable")] {
        for (name, q) in list.iter().flatten() {
            let p = Path::new("status").child(field).child(name);
            match parse(q, &p) {
                Ok(v) => errs.extend(validate_quantity_value(name, &v, &p)),
                Err(e) => errs.push(e),
            }
        }
    }
    errs
}

/// Upstream ValidateNode (taints are reported under `metadata.taints`, as upstream does).
pub fn validate_node(node: &Node) -> ErrorList {
    let spec = node.spec.clone().unwrap_or_default();
    let mut errs = validate_taints(
        spec.taints.as_deref().unwrap_or(&[]),
        &Path::new("metadata").child("taints"),
    );
    errs.extend(validate_resources(node));
    let list = cidrs(&spec);
    let path = Path::new("spec").child("podCIDRs");
    for (i, c) in list.iter().enumerate() {
        errs.extend(is_valid_cidr_for_legacy_field(
            &path.index(i),
            c,
            false,
            &[],
        ));
    }
    if list.len() > 1 {
        let v6 = |c: &String| {
            c.split('/')
                .next()
                .and_then(|ip| ip.parse::<IpAddr>().ok())
                .map(|ip| ip.is_ipv6())
        };
        let families: Vec<Option<bool>> = list.iter().map(v6).collect();
        let dual = families.len() == 2
            && families.iter().all(Option::is_some)
            && families[0] != families[1];
        if !dual {
            errs.push(FieldError::invalid(
                &path,
                list.clone(),
                "may specify no more than one CIDR for each IP family",
            ));
        }
        let mut seen = BTreeSet::new();
        for (i, c) in list.iter().enumerate() {
            if !seen.insert(c) {
                errs.push(FieldError::duplicate(&path.index(i), c.as_str()));
            }
        }
    }
    errs
}

/// Upstream ValidateNodeUpdate.
pub fn validate_node_update(node: &Node, old: &Node) -> ErrorList {
    let mut errs = validate_resources(node);
    let mut seen = BTreeSet::new();
    let addresses = node
        .status
        .as_ref()
        .and_then(|st| st.addresses.clone())
        .unwrap_or_default();
    for (i, a) in addresses.iter().enumerate() {
        if !seen.insert((a.type_.clone(), a.address.clone())) {
            let bad = BadValue::Raw(format!(
                "core.NodeAddress{{Type:{:?}, Address:{:?}}}",
                a.type_, a.address
            ));
            errs.push(FieldError::duplicate(
                &Path::new("status").child("addresses").index(i),
                bad,
            ));
        }
    }
    let spec = node.spec.clone().unwrap_or_default();
    let old_spec = old.spec.clone().unwrap_or_default();
    let (new_cidrs, old_cidrs) = (cidrs(&spec), cidrs(&old_spec));
    let cidr_msg = "node updates may not change podCIDR except from \"\" to valid";
    if !old_cidrs.is_empty() {
        if old_cidrs.len() != new_cidrs.len() {
            errs.push(FieldError::forbidden(
                &Path::new("spec").child("podCIDRs"),
                cidr_msg,
            ));
        } else {
            for (o, n) in old_cidrs.iter().zip(&new_cidrs) {
                if o != n {
                    errs.push(FieldError::forbidden(
                        &Path::new("spec").child("podCIDRs"),
                        cidr_msg,
                    ));
                }
            }
        }
    }
    let old_provider = s(&old_spec.provider_id);
    if !old_provider.is_empty() && old_provider != s(&spec.provider_id) {
        errs.push(FieldError::forbidden(
            &Path::new("spec").child("providerID"),
            "node updates may not change providerID except from \"\" to valid",
        ));
    }
    errs.extend(validate_taints(
        spec.taints.as_deref().unwrap_or(&[]),
        &Path::new("metadata").child("taints"),
    ));
    if s(&spec.external_id) != s(&old_spec.external_id) {
        errs.push(FieldError::forbidden(
            &Path::new("spec").child("externalID"),
            "may not be updated",
        ));
    }
    errs
}

#[cfg(test)]
#[path = "node_tests.rs"]
mod tests;
