use super::*;
use serde_json::json;

use crate::builtin::core::testutil::{from_json, strings};

fn check(vols: serde_json::Value) -> Vec<String> {
    let mut vols: Vec<Volume> = from_json(vols);
    vols.iter_mut().for_each(default_volume);
    strings(&validate_volumes(&vols, Some("web"), true, &Path::new("volumes")).1)
}

#[test]
fn defaults() {
    let mut v: Volume = from_json(
        json!({"name": "x", "projected": {"sources": [{"serviceAccountToken": {"path": "token"}}]}}),
    );
    default_volume(&mut v);
    let p = v.projected.unwrap();
    assert_eq!(p.default_mode, Some(420));
    assert_eq!(
        p.sources.unwrap()[0]
            .service_account_token
            .as_ref()
            .unwrap()
            .expiration_seconds,
        Some(3600)
    );
    let mut h: Volume = from_json(json!({"name": "h", "hostPath": {"path": "/x"}}));
    default_volume(&mut h);
    assert_eq!(h.host_path.unwrap().type_.as_deref(), Some(""));
}

#[test]
fn names_and_sources() {
    assert_eq!(
        check(json!([{"name": "a"}, {"name": "a"}])),
        vec!["volumes[1].name: Duplicate value: \"a\""]
    );
    assert_eq!(
        check(json!([{"emptyDir": {}}])),
        vec!["volumes[0].name: Required value"]
    );
    assert_eq!(
        check(json!([{"name": "a", "configMap": {"name": "c"}, "secret": {"secretName": "s"}}])),
        vec!["volumes[0].configMap: Forbidden: may not specify more than 1 volume type"]
    );
    assert_eq!(
        check(json!([{"name": "a", "downwardAPI": {"items": []}, "emptyDir": {}}])),
        vec!["volumes[0].downwarAPI: Forbidden: may not specify more than 1 volume type"]
    );
}

#[test]
fn source_rules() {
    assert_eq!(
        check(json!([{"name": "a", "secret": {}}])),
        vec!["volumes[0].secret.secretName: Required value"]
    );
    assert_eq!(
        check(json!([{"name": "a", "configMap": {"name": "c", "defaultMode": 512}}])),
        vec![
            "volumes[0].configMap.defaultMode: Invalid value: 512: must be a number between 0 and 0777 (octal), both inclusive"
        ]
    );
    assert_eq!(
        check(
            json!([{"name": "a", "configMap": {"name": "c", "items": [{"key": "k", "path": "../x"}]}}])
        ),
        vec!["volumes[0].configMap.items[0].path: Invalid value: \"../x\": must not contain '..'"]
    );
    assert_eq!(
        check(json!([{"name": "a", "hostPath": {"path": ""}}])),
        vec!["volumes[0].hostPath.path: Required value"]
    );
    assert_eq!(
        check(json!([{"name": "a", "hostPath": {"path": "/x", "type": "Dir"}}])),
        vec![
            "volumes[0].hostPath.type: Unsupported value: \"Dir\": supported values: \"\", \"BlockDevice\", \"CharDevice\", \"Directory\", \"DirectoryOrCreate\", \"File\", \"FileOrCreate\", \"Socket\""
        ]
    );
    assert_eq!(
        check(json!([{"name": "a", "nfs": {"server": "s", "path": "rel"}}])),
        vec!["volumes[0].nfs.path: Invalid value: \"rel\": must be an absolute path"]
    );
    assert_eq!(
        check(
            json!([{"name": "a", "projected": {"sources": [{"serviceAccountToken": {"path": "t", "expirationSeconds": 60}}]}}])
        ),
        vec![
            "volumes[0].projected.sources[0].serviceAccountToken.expirationSeconds: Invalid value: 60: may not specify a duration less than 10 minutes"
        ]
    );
    assert_eq!(
        check(
            json!([{"name": "a", "projected": {"sources": [{"configMap": {"name": "c", "items": [{"key": "a", "path": "p"}]}},
                                                               {"secret": {"name": "s", "items": [{"key": "b", "path": "p"}]}}]}}])
        ),
        vec!["volumes[0].projected: Invalid value: \"s\": conflicting duplicate paths"]
    );
    assert_eq!(
        check(json!([{"name": "a", "persistentVolumeClaim": {}}])),
        vec!["volumes[0].persistentVolumeClaim.claimName: Required value"]
    );
}

#[test]
fn ephemeral_volumes() {
    let ok = json!([{"name": "data", "ephemeral": {"volumeClaimTemplate": {"spec": {
        "accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": "1Gi"}}}}}}]);
    assert!(check(ok).is_empty());
    assert_eq!(
        check(
            json!([{"name": "data", "ephemeral": {"volumeClaimTemplate": {"metadata": {"name": "x"}, "spec": {
            "accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": "1Gi"}}}}}}])
        ),
        vec!["volumes[0].ephemeral.volumeClaimTemplate.metadata.name: Forbidden: cannot be set"]
    );
    assert_eq!(
        check(
            json!([{"name": "data", "ephemeral": {"volumeClaimTemplate": {"spec": {"resources": {"requests": {"storage": "1Gi"}}}}}},
                     {"name": "c", "persistentVolumeClaim": {"claimName": "web-data"}}])
        ),
        vec![
            "volumes[0].ephemeral.volumeClaimTemplate.spec.accessModes: Required value: at least 1 access mode is required",
            "volumes[1].persistentVolumeClaim.claimName: Invalid value: \"web-data\": must not reference a PVC that gets created for an ephemeral volume",
        ]
    );
}
