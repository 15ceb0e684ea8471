//! CSIDrivers, CSINodes and CSIStorageCapacities.

use std::collections::BTreeSet;

use capstan_apimachinery::validation::{
    FIELD_IMMUTABLE_ERROR_MSG, LabelSelectorValidationOptions, is_dns1123_subdomain,
    is_qualified_name, validate_label_selector,
};
use capstan_apimachinery::{ErrorList, FieldError, Path, Quantity};
use k8s_openapi::api::storage::v1::{CSIDriver, CSIDriverSpec, CSINode, CSIStorageCapacity};

use crate::builtin::apps::shared::{
    go_string_slice, immutable, label_selector_value, nonnegative, struct_value,
};
use crate::strategy::TypedStrategy;

const FS_GROUP_POLICIES: &[&str] = &["File", "None", "ReadWriteOnceWithFSType"];
const MAX_NODE_ID_LENGTH: usize = 192;

/// Upstream `ValidateCSIDriverName`: a DNS subdomain of at most 63 characters.
pub fn validate_driver_name(name: &str, path: &Path) -> ErrorList {
    let mut errs = Vec::new();
    if name.is_empty() {
        errs.push(FieldError::required(path, ""));
    }
    if name.len() > 63 {
        errs.push(FieldError::too_long(path, 63));
    }
    for msg in is_dns1123_subdomain(&name.to_lowercase()) {
        errs.push(FieldError::invalid(path, name, &msg));
    }
    errs
}

pub struct CsiDriverStrategy;

impl TypedStrategy<CSIDriver> for CsiDriverStrategy {
    fn default(&self, d: &mut CSIDriver) {
        let s = &mut d.spec;
        s.attach_required.get_or_insert(true);
        s.pod_info_on_mount.get_or_insert(false);
        s.storage_capacity.get_or_insert(false);
        s.fs_group_policy
            .get_or_insert_with(|| "ReadWriteOnceWithFSType".into());
        if s.volume_lifecycle_modes
            .as_ref()
            .is_none_or(|m| m.is_empty())
        {
            s.volume_lifecycle_modes = Some(vec!["Persistent".into()]);
        }
        s.requires_republish.get_or_insert(false);
        s.se_linux_mount.get_or_insert(false);
    }

    fn validate(&self, d: &CSIDriver) -> ErrorList {
        let mut errs =
            validate_driver_name(d.metadata.name.as_deref().unwrap_or(""), &Path::new("name"));
        errs.extend(validate_driver_spec(&d.spec, &Path::new("spec")));
        errs
    }

    fn validate_update(&self, d: &CSIDriver, old: &CSIDriver) -> ErrorList {
        let path = Path::new("spec");
        let mut errs = validate_driver_spec(&d.spec, &path);
        errs.extend(immutable(
            &d.spec.attach_required,
            &old.spec.attach_required,
            &path.child("attachedRequired"),
            || d.spec.attach_required.unwrap_or(false).into(),
        ));
        errs.extend(immutable(
            &d.spec.volume_lifecycle_modes,
            &old.spec.volume_lifecycle_modes,
            &path.child("volumeLifecycleModes"),
            || {
                capstan_apimachinery::BadValue::Raw(
                    go_string_slice(d.spec.volume_lifecycle_modes.as_deref()).replacen(
                        "[]string",
                        "[]storage.VolumeLifecycleMode",
                        1,
                    ),
                )
            },
        ));
        errs
    }
}

/// Upstream `validateCSIDriverSpec` (note its `attachedRequired` path).
fn validate_driver_spec(s: &CSIDriverSpec, path: &Path) -> ErrorList {
    let mut errs = Vec::new();
    for (name, set) in [
        ("attachedRequired", s.attach_required.is_some()),
        ("podInfoOnMount", s.pod_info_on_mount.is_some()),
        ("storageCapacity", s.storage_capacity.is_some()),
    ] {
        if !set {
            errs.push(FieldError::required(&path.child(name), ""));
        }
    }
    let fs_path = path.child("fsGroupPolicy");
    match s.fs_group_policy.as_deref() {
        None => errs.push(FieldError::required(&fs_path, "")),
        Some(p) if FS_GROUP_POLICIES.contains(&p) => {}
        Some(p) => errs.push(FieldError::not_supported(&fs_path, p, FS_GROUP_POLICIES)),
    }
    let token_path = path.child("tokenRequests");
    let mut audiences = BTreeSet::new();
    for (i, t) in s.token_requests.iter().flatten().enumerate() {
        let p = token_path.index(i);
        if !audiences.insert(t.audience.as_str()) {
            errs.push(FieldError::duplicate(
                &p.child("audience"),
                t.audience.as_str(),
            ));
            continue;
        }
        if let Some(e) = t.expiration_seconds {
            let ep = p.child("expirationSeconds");
            if e < 600 {
                errs.push(FieldError::invalid(
                    &ep,
                    e,
                    "may not specify a duration less than 10 minutes",
                ));
            }
            if e > 1 << 32 {
                errs.push(FieldError::invalid(
                    &ep,
                    e,
                    "may not specify a duration larger than 2^32 seconds",
                ));
            }
        }
    }
    for mode in s.volume_lifecycle_modes.iter().flatten() {
        if mode != "Persistent" && mode != "Ephemeral" {
            errs.push(FieldError::not_supported(
                &path.child("volumeLifecycleModes"),
                mode.as_str(),
                &["Persistent", "Ephemeral"],
            ));
        }
    }
    if s.se_linux_mount.is_none() {
        errs.push(FieldError::required(&path.child("seLinuxMount"), ""));
    }
    errs
}

pub struct CsiNodeStrategy;

impl TypedStrategy<CSINode> for CsiNodeStrategy {
    fn validate(&self, n: &CSINode) -> ErrorList {
        let path = Path::new("spec").child("drivers");
        let mut errs = Vec::new();
        let mut names = BTreeSet::new();
        for (i, d) in n.spec.drivers.iter().enumerate() {
            let p = path.index(i);
            errs.extend(validate_driver_name(&d.name, &p.child("name")));
            let id_path = p.child("nodeID");
            if d.node_id.is_empty() {
                errs.push(FieldError::required(&id_path, ""));
            }
            if d.node_id.len() > MAX_NODE_ID_LENGTH {
                errs.push(FieldError::invalid(
                    &id_path,
                    d.node_id.as_str(),
                    &format!("must be {MAX_NODE_ID_LENGTH} characters or less"),
                ));
            }
            if let Some(count) = d.allocatable.as_ref().and_then(|a| a.count) {
                errs.extend(nonnegative(
                    Some(count),
                    &p.child("allocatable").child("count"),
                ));
            }
            if !names.insert(d.name.as_str()) {
                errs.push(FieldError::duplicate(&p.child("name"), d.name.as_str()));
            }
            let mut keys = BTreeSet::new();
            for key in d.topology_keys.iter().flatten() {
                if key.is_empty() {
                    errs.push(FieldError::required(&p, ""));
                }
                if !keys.insert(key.as_str()) {
                    errs.push(FieldError::duplicate(&p, key.as_str()));
                }
                for msg in is_qualified_name(key) {
                    errs.push(FieldError::invalid(&p, key.as_str(), &msg));
                }
            }
        }
        errs
    }

    /// A driver already registered keeps its entry as it is.
    fn validate_update(&self, n: &CSINode, old: &CSINode) -> ErrorList {
        let mut errs = self.validate(n);
        for o in &old.spec.drivers {
            for d in n
                .spec
                .drivers
                .iter()
                .filter(|d| d.name == o.name && *d != o)
            {
                errs.push(FieldError::invalid(
                    &Path::new("CSINodeDriver"),
                    struct_value(d),
                    FIELD_IMMUTABLE_ERROR_MSG,
                ));
            }
        }
        errs
    }
}

pub struct CsiStorageCapacityStrategy;

impl TypedStrategy<CSIStorageCapacity> for CsiStorageCapacityStrategy {
    fn validate(&self, c: &CSIStorageCapacity) -> ErrorList {
        let mut errs = validate_label_selector(
            c.node_topology.as_ref(),
            LabelSelectorValidationOptions::default(),
            &Path::new("nodeTopology"),
        );
        let class_path = Path::new("storageClassName");
        for msg in is_dns1123_subdomain(&c.storage_class_name) {
            errs.push(FieldError::invalid(
                &class_path,
                c.storage_class_name.as_str(),
                &msg,
            ));
        }
        if let Some(q) = &c.capacity
            && Quantity::parse(&q.0).is_ok_and(|v| v.sign() < 0)
        {
            errs.push(FieldError::invalid(
                &Path::new("capacity"),
                q.0.as_str(),
                "must be greater than or equal to 0",
            ));
        }
        errs
    }

    /// The inputs of the capacity query are fixed.
    fn validate_update(&self, c: &CSIStorageCapacity, old: &CSIStorageCapacity) -> ErrorList {
        let mut errs = self.validate(c);
        errs.extend(immutable(
            &c.node_topology,
            &old.node_topology,
            &Path::new("nodeTopology"),
            || label_selector_value(c.node_topology.as_ref()),
        ));
        errs.extend(immutable(
            &c.storage_class_name,
            &old.storage_class_name,
            &Path::new("storageClassName"),
            || c.storage_class_name.clone().into(),
        ));
        errs
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::builtin::apps::testing::{create, create_errors, update};

    #[test]
    fn csi_driver_defaults_and_rules() {
        let d = create::<CSIDriver, _>(
            CsiDriverStrategy,
            json!({"metadata": {"name": "ebs.csi.aws.com"}, "spec": {}}),
        )
        .unwrap();
        assert_eq!(
            d["spec"],
            json!({"attachRequired": true, "podInfoOnMount": false, "storageCapacity": false,
                "fsGroupPolicy": "ReadWriteOnceWithFSType", "volumeLifecycleModes": ["Persistent"],
                "requiresRepublish": false, "seLinuxMount": false})
        );
        let bad = json!({"metadata": {"name": "d.example.com"}, "spec": {"fsGroupPolicy": "Sometimes",
            "tokenRequests": [{"audience": "a", "expirationSeconds": 60}, {"audience": "a"}]}});
        assert_eq!(
            create_errors::<CSIDriver, _>(CsiDriverStrategy, bad),
            vec![
                r#"spec.fsGroupPolicy: Unsupported value: "Sometimes": supported values: "File", "None", "ReadWriteOnceWithFSType""#,
                "spec.tokenRequests[0].expirationSeconds: Invalid value: 60: may not specify a duration less than 10 minutes",
                r#"spec.tokenRequests[1].audience: Duplicate value: "a""#,
            ]
        );
        let mut changed = d.clone();
        changed["spec"]["attachRequired"] = json!(false);
        assert_eq!(
            update::<CSIDriver, _>(CsiDriverStrategy, changed, &d).unwrap_err(),
            vec!["spec.attachedRequired: Invalid value: false: field is immutable"]
        );
    }

    #[test]
    fn csi_node_rules() {
        let node = json!({"metadata": {"name": "n1"}, "spec": {"drivers": [
            {"name": "ebs.csi.aws.com", "nodeID": "i-1", "topologyKeys": ["topology.ebs.csi.aws.com/zone"]},
            {"name": "ebs.csi.aws.com", "nodeID": ""}
        ]}});
        assert_eq!(
            create_errors::<CSINode, _>(CsiNodeStrategy, node),
            vec![
                "spec.drivers[1].nodeID: Required value",
                r#"spec.drivers[1].name: Duplicate value: "ebs.csi.aws.com""#,
            ]
        );
        let old = create::<CSINode, _>(
            CsiNodeStrategy,
            json!({"metadata": {"name": "n1"}, "spec": {"drivers": [{"name": "d.example.com", "nodeID": "a"}]}}),
        )
        .unwrap();
        let mut new = old.clone();
        new["spec"]["drivers"][0]["nodeID"] = json!("b");
        let errs = update::<CSINode, _>(CsiNodeStrategy, new, &old).unwrap_err();
        assert!(errs[0].starts_with("CSINodeDriver: Invalid value: "));
    }

    #[test]
    fn capacity_rules() {
        let bad = json!({"metadata": {"name": "c", "namespace": "d"}, "storageClassName": "Fast_Class", "capacity": "-1Gi"});
        let errs = create_errors::<CSIStorageCapacity, _>(CsiStorageCapacityStrategy, bad);
        assert_eq!(errs.len(), 2);
        assert!(errs[0].starts_with(r#"storageClassName: Invalid value: "Fast_Class": "#));
        assert_eq!(
            errs[1],
            r#"capacity: Invalid value: "-1Gi": must be greater than or equal to 0"#
        );
    }
}
