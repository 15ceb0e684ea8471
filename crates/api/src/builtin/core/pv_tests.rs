use serde_json::{Value, json};

use super::*;
use crate::builtin::core::testutil::{create, from_json, update, update_status};

fn pv(spec: Value) -> PersistentVolume {
    from_json(json!({"metadata": {"name": "pv1"}, "spec": spec}))
}

fn ok_spec() -> Value {
    json!({"capacity": {"storage": "10Gi"}, "accessModes": ["ReadWriteOnce"], "hostPath": {"path": "/data"}})
}

#[test]
fn defaults() {
    let mut v = pv(ok_spec());
    assert!(create(&PersistentVolumeStrategy, &mut v).is_empty());
    let spec = v.spec.unwrap();
    assert_eq!(
        spec.persistent_volume_reclaim_policy.as_deref(),
        Some("Retain")
    );
    assert_eq!(spec.volume_mode.as_deref(), Some("Filesystem"));
    let st = v.status.unwrap();
    assert_eq!(st.phase.as_deref(), Some("Pending"));
    assert!(st.last_phase_transition_time.is_some());
}

#[test]
fn spec_rules() {
    let run = |spec: Value| create(&PersistentVolumeStrategy, &mut pv(spec));
    assert_eq!(
        run(json!({"capacity": {"storage": "10Gi"}, "hostPath": {"path": "/data"}})),
        vec!["spec.accessModes: Required value"]
    );
    assert_eq!(
        run(json!({"accessModes": ["ReadWriteOnce"], "hostPath": {"path": "/data"}})),
        vec![
            "spec.capacity: Required value",
            "spec.capacity: Unsupported value: map[string]interface {}{}: supported values: \"storage\""
        ]
    );
    assert_eq!(
        run(json!({"capacity": {"storage": "10Gi"}, "accessModes": ["ReadWriteOnce"]})),
        vec!["spec: Required value: must specify a volume type"]
    );
    assert_eq!(
        run(
            json!({"capacity": {"storage": "10Gi"}, "accessModes": ["ReadWriteOnce"], "hostPath": {"path": "/"}, "persistentVolumeReclaimPolicy": "Recycle"})
        ),
        vec![
            "spec.persistentVolumeReclaimPolicy: Forbidden: may not be 'recycle' for a hostPath mount of '/'"
        ]
    );
    assert_eq!(
        run(
            json!({"capacity": {"storage": "10Gi"}, "accessModes": ["ReadWriteOnce"], "local": {"path": "/mnt"}})
        ),
        vec!["spec.nodeAffinity: Required value: Local volume requires node affinity"]
    );
    assert_eq!(
        run(
            json!({"capacity": {"storage": "10Gi"}, "accessModes": ["ReadWriteOnce"], "csi": {"driver": "", "volumeHandle": "h"}})
        )[0],
        "spec.csi.driver: Required value"
    );
    assert_eq!(
        run(
            json!({"capacity": {"storage": "10Gi"}, "accessModes": ["ReadWriteOnce"], "nfs": {"server": "s", "path": "/x"}, "hostPath": {"path": "/y"}})
        ),
        vec!["spec.nfs: Forbidden: may not specify more than 1 volume type"]
    );
}

#[test]
fn updates() {
    let mut old = pv(ok_spec());
    create(&PersistentVolumeStrategy, &mut old);
    let mut v = serde_json::to_value(&old).unwrap();
    v["spec"]["hostPath"]["path"] = json!("/other");
    let mut changed: PersistentVolume = from_json(v);
    let errs = update(&PersistentVolumeStrategy, &mut changed, &old);
    assert_eq!(errs.len(), 1);
    assert!(errs[0].starts_with("spec.persistentvolumesource: Forbidden: spec.persistentvolumesource is immutable after creation\n"));
    let mut v = serde_json::to_value(&old).unwrap();
    v["spec"]["capacity"]["storage"] = json!("20Gi");
    v["spec"]["claimRef"] = json!({"name": "c", "namespace": "default"});
    let mut resized: PersistentVolume = from_json(v);
    assert!(update(&PersistentVolumeStrategy, &mut resized, &old).is_empty());
    let mut bound = old.clone();
    bound.status.as_mut().unwrap().phase = Some("Bound".into());
    bound.status.as_mut().unwrap().last_phase_transition_time = None;
    assert!(update_status(&PersistentVolumeStrategy, &mut bound, &old).is_empty());
    assert!(bound.status.unwrap().last_phase_transition_time.is_some());
}
