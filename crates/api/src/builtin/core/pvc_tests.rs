use serde_json::{Value, json};

use super::*;
use crate::builtin::core::testutil::{create, from_json, update, update_status};

fn claim(spec: Value) -> PersistentVolumeClaim {
    from_json(json!({"metadata": {"name": "data", "namespace": "default"}, "spec": spec}))
}

fn ok_spec() -> Value {
    json!({"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": "1Gi"}}})
}

#[test]
fn defaults_and_valid_claim() {
    let mut c = claim(ok_spec());
    assert!(create(&PersistentVolumeClaimStrategy, &mut c).is_empty());
    assert_eq!(
        c.spec.as_ref().unwrap().volume_mode.as_deref(),
        Some("Filesystem")
    );
    assert_eq!(c.status.as_ref().unwrap().phase.as_deref(), Some("Pending"));
}

#[test]
fn spec_rules() {
    let run = |spec: Value| create(&PersistentVolumeClaimStrategy, &mut claim(spec));
    assert_eq!(
        run(json!({"resources": {"requests": {"storage": "1Gi"}}})),
        vec!["spec.accessModes: Required value: at least 1 access mode is required"]
    );
    assert_eq!(
        run(json!({"accessModes": ["ReadWriteOnce"]})),
        vec!["spec.resources[storage]: Required value"]
    );
    assert_eq!(
        run(json!({"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": "0"}}})),
        vec!["spec.resources[storage]: Invalid value: \"0\": must be greater than zero"]
    );
    assert_eq!(
        run(
            json!({"accessModes": ["ReadWriteOncePod", "ReadWriteOnce"], "resources": {"requests": {"storage": "1Gi"}}})
        ),
        vec!["spec.accessModes: Forbidden: may not use ReadWriteOncePod with other access modes"]
    );
    assert_eq!(
        run(json!({"accessModes": ["Everything"], "resources": {"requests": {"storage": "1Gi"}}})),
        vec![
            "spec.accessModes: Unsupported value: \"Everything\": supported values: \"ReadOnlyMany\", \"ReadWriteMany\", \"ReadWriteOnce\", \"ReadWriteOncePod\""
        ]
    );
    assert_eq!(
        run(
            json!({"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": "1Gi"}}, "dataSource": {"kind": "Snapshot", "name": "s"}})
        ),
        vec![
            "spec.dataSource: Invalid value: \"Snapshot\": must be 'PersistentVolumeClaim' when referencing the default apiGroup",
            "spec.dataSourceRef: Invalid value: \"Snapshot\": must be 'PersistentVolumeClaim' when referencing the default apiGroup",
        ]
    );
}

fn bound() -> PersistentVolumeClaim {
    let mut c = claim(ok_spec());
    assert!(create(&PersistentVolumeClaimStrategy, &mut c).is_empty());
    let st = c.status.as_mut().unwrap();
    st.phase = Some("Bound".into());
    st.capacity = Some(
        [(
            "storage".to_string(),
            k8s_openapi::apimachinery::pkg::api::resource::Quantity("1Gi".into()),
        )]
        .into(),
    );
    c
}

#[test]
fn updates() {
    let old = bound();
    let mut grow = old.clone();
    grow.spec
        .as_mut()
        .unwrap()
        .resources
        .as_mut()
        .unwrap()
        .requests
        .as_mut()
        .unwrap()
        .insert(
            "storage".into(),
            k8s_openapi::apimachinery::pkg::api::resource::Quantity("2Gi".into()),
        );
    assert!(update(&PersistentVolumeClaimStrategy, &mut grow, &old).is_empty());
    let mut shrink = old.clone();
    shrink
        .spec
        .as_mut()
        .unwrap()
        .resources
        .as_mut()
        .unwrap()
        .requests
        .as_mut()
        .unwrap()
        .insert(
            "storage".into(),
            k8s_openapi::apimachinery::pkg::api::resource::Quantity("512Mi".into()),
        );
    assert_eq!(
        update(&PersistentVolumeClaimStrategy, &mut shrink, &old),
        vec![
            "spec.resources.requests.storage: Forbidden: field can not be less than status.capacity"
        ]
    );
    let mut modes = old.clone();
    modes.spec.as_mut().unwrap().access_modes = Some(vec!["ReadWriteMany".into()]);
    let errs = update(&PersistentVolumeClaimStrategy, &mut modes, &old);
    assert_eq!(errs.len(), 1);
    assert!(errs[0].starts_with("spec: Forbidden: spec is immutable after creation except resources.requests and volumeAttributesClassName for bound claims\n"));
    let mut volume_name = claim(ok_spec());
    create(&PersistentVolumeClaimStrategy, &mut volume_name);
    let unbound = volume_name.clone();
    volume_name.spec.as_mut().unwrap().volume_name = Some("pv-1".into());
    assert!(update(&PersistentVolumeClaimStrategy, &mut volume_name, &unbound).is_empty());
}

#[test]
fn status_updates() {
    let old = bound();
    let mut c = old.clone();
    c.status.as_mut().unwrap().allocated_resource_statuses =
        Some([("storage".to_string(), "Bogus".to_string())].into());
    assert_eq!(
        update_status(&PersistentVolumeClaimStrategy, &mut c, &old),
        vec![
            "status.allocatedResourceStatus: Unsupported value: \"storage\": supported values: \"ControllerResizeInProgress\", \"ControllerResizeInfeasible\", \"NodeResizeInProgress\", \"NodeResizeInfeasible\", \"NodeResizePending\""
        ]
    );
}

#[test]
fn warnings() {
    let mut c: PersistentVolumeClaim = from_json(
        json!({"metadata": {"name": "d", "annotations": {"volume.beta.kubernetes.io/storage-class": "x"}},
        "spec": {"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": "1.5"}}}}),
    );
    PersistentVolumeClaimStrategy.default(&mut c);
    let w = PersistentVolumeClaimStrategy.warnings(&c);
    assert_eq!(
        w[0],
        "metadata.annotations[volume.beta.kubernetes.io/storage-class]: deprecated since v1.8; use \"storageClassName\" attribute instead"
    );
    assert_eq!(
        w[1],
        "spec.resources.requests[storage]: fractional byte value \"1500m\" is invalid, must be an integer"
    );
}
