//! VolumeAttachments: which volume to attach to which node (fixed once created), and the
//! attacher's status.

use capstan_apimachinery::validation::{
    FIELD_IMMUTABLE_ERROR_MSG, is_dns1123_subdomain, is_valid_path_segment_name,
};
use capstan_apimachinery::{ErrorList, FieldError, Path};
use k8s_openapi::api::storage::v1::{VolumeAttachment, VolumeAttachmentStatus};

use super::csi::validate_driver_name;
use crate::builtin::apps::shared::struct_value;
use crate::strategy::TypedStrategy;

const MAX_METADATA_SIZE: usize = 256 * 1024;
const MAX_ERROR_MESSAGE_SIZE: usize = 1024;

pub struct VolumeAttachmentStrategy;

impl TypedStrategy<VolumeAttachment> for VolumeAttachmentStrategy {
    fn validate(&self, va: &VolumeAttachment) -> ErrorList {
        let mut errs = validate(va);
        // Stricter rules for attachments created through storage.k8s.io/v1.
        errs.extend(validate_driver_name(
            &va.spec.attacher,
            &Path::new("spec.attacher"),
        ));
        if let Some(pv) = &va.spec.source.persistent_volume_name {
            for msg in is_valid_path_segment_name(pv) {
                errs.push(FieldError::invalid(
                    &Path::new("spec.source.persistentVolumeName"),
                    pv.as_str(),
                    &msg,
                ));
            }
        }
        errs
    }

    fn validate_update(&self, va: &VolumeAttachment, old: &VolumeAttachment) -> ErrorList {
        let mut errs = validate(va);
        if va.spec != old.spec {
            errs.push(FieldError::invalid(
                &Path::new("spec"),
                struct_value(&va.spec),
                FIELD_IMMUTABLE_ERROR_MSG,
            ));
        }
        errs
    }

    fn validate_status_update(&self, va: &VolumeAttachment, old: &VolumeAttachment) -> ErrorList {
        self.validate_update(va, old)
    }
}

/// Upstream `ValidateVolumeAttachment`.
fn validate(va: &VolumeAttachment) -> ErrorList {
    let path = Path::new("spec");
    let mut errs = Vec::new();
    if va.spec.attacher.is_empty() {
        errs.push(FieldError::required(&path.child("attacher"), ""));
    }
    let source_path = path.child("source");
    let source = &va.spec.source;
    let exactly_one = "must specify exactly one of inlineVolumeSpec and persistentVolumeName";
    match (&source.inline_volume_spec, &source.persistent_volume_name) {
        (None, None) => errs.push(FieldError::required(&source_path, exactly_one)),
        (Some(_), Some(_)) => errs.push(FieldError::forbidden(&source_path, exactly_one)),
        (None, Some(name)) if name.is_empty() => errs.push(FieldError::required(
            &source_path.child("persistentVolumeName"),
            "must specify non empty persistentVolumeName",
        )),
        _ => {}
    }
    for msg in is_dns1123_subdomain(&va.spec.node_name) {
        errs.push(FieldError::invalid(
            &path.child("nodeName"),
            va.spec.node_name.as_str(),
            &msg,
        ));
    }
    if let Some(status) = &va.status {
        errs.extend(validate_status(status, &Path::new("status")));
    }
    errs
}

fn validate_status(s: &VolumeAttachmentStatus, path: &Path) -> ErrorList {
    let mut errs = Vec::new();
    let size: usize = s
        .attachment_metadata
        .iter()
        .flatten()
        .map(|(k, v)| k.len() + v.len())
        .sum();
    if size > MAX_METADATA_SIZE {
        errs.push(FieldError::too_long(
            &path.child("attachmentMetadata"),
            MAX_METADATA_SIZE as i64,
        ));
    }
    for (name, e) in [
        ("attachError", &s.attach_error),
        ("detachError", &s.detach_error),
    ] {
        if e.as_ref()
            .and_then(|e| e.message.as_ref())
            .is_some_and(|m| m.len() > MAX_ERROR_MESSAGE_SIZE)
        {
            // Upstream reports the metadata limit here.
            errs.push(FieldError::too_long(
                &path.child(name).child("message"),
                MAX_METADATA_SIZE as i64,
            ));
        }
    }
    errs
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::builtin::apps::testing::{create, create_errors, update, update_status};

    #[test]
    fn attachment_rules() {
        let va = json!({"metadata": {"name": "csi-123"},
            "spec": {"attacher": "ebs.csi.aws.com", "nodeName": "node-1", "source": {"persistentVolumeName": "pv-1"}}});
        let stored = create::<VolumeAttachment, _>(VolumeAttachmentStrategy, va).unwrap();
        let bad = json!({"metadata": {"name": "x"}, "spec": {"attacher": "", "nodeName": "Node_1", "source": {}}});
        let errs = create_errors::<VolumeAttachment, _>(VolumeAttachmentStrategy, bad);
        assert_eq!(errs[0], "spec.attacher: Required value");
        assert_eq!(
            errs[1],
            "spec.source: Required value: must specify exactly one of inlineVolumeSpec and persistentVolumeName"
        );
        assert!(errs[2].starts_with(r#"spec.nodeName: Invalid value: "Node_1""#));
        assert!(errs.contains(&"spec.attacher: Required value".to_string()));

        let mut moved = stored.clone();
        moved["spec"]["nodeName"] = json!("node-2");
        let errs =
            update::<VolumeAttachment, _>(VolumeAttachmentStrategy, moved, &stored).unwrap_err();
        assert!(errs[0].ends_with(": field is immutable"));

        let mut attached = stored.clone();
        attached["status"] =
            json!({"attached": true, "attachmentMetadata": {"devicePath": "/dev/xvdb"}});
        assert!(
            update_status::<VolumeAttachment, _>(VolumeAttachmentStrategy, attached, &stored)
                .is_ok()
        );
    }
}
