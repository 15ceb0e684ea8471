use serde_json::{Value, json};

use super::*;
use crate::builtin::apps::testing::{create, create_errors, update, update_status};

const UID: &str = "0f3d6a5e-1111-2222-3333-444455556666";

fn job() -> Value {
    json!({
        "metadata": {"name": "pi", "namespace": "default", "uid": UID},
        "spec": {"template": {"spec": {
            "restartPolicy": "Never",
            "containers": [{"name": "pi", "image": "perl"}]
        }}}
    })
}

fn errors(obj: Value) -> Vec<String> {
    create_errors::<Job, _>(JobStrategy, obj)
}

#[test]
fn defaults_and_generated_selector() {
    let j = create::<Job, _>(JobStrategy, job()).unwrap();
    let spec = &j["spec"];
    assert_eq!(spec["completions"], 1);
    assert_eq!(spec["parallelism"], 1);
    assert_eq!(spec["backoffLimit"], 6);
    assert_eq!(spec["completionMode"], "NonIndexed");
    assert_eq!(spec["suspend"], false);
    assert_eq!(spec["podReplacementPolicy"], "TerminatingOrFailed");
    assert_eq!(
        spec["selector"],
        json!({"matchLabels": {"batch.kubernetes.io/controller-uid": UID}})
    );
    let expected = json!({
        "batch.kubernetes.io/controller-uid": UID,
        "batch.kubernetes.io/job-name": "pi",
        "controller-uid": UID,
        "job-name": "pi"
    });
    assert_eq!(spec["template"]["metadata"]["labels"], expected);
    // A Job without labels shows its pods' labels.
    assert_eq!(j["metadata"]["labels"], expected);
}

#[test]
fn user_labels_are_kept() {
    let mut j = job();
    j["spec"]["template"]["metadata"] = json!({"labels": {"app": "pi"}});
    let j = create::<Job, _>(JobStrategy, j).unwrap();
    assert_eq!(j["metadata"]["labels"], json!({"app": "pi"}));
    assert_eq!(j["spec"]["template"]["metadata"]["labels"]["app"], "pi");
}

#[test]
fn parallelism_only_leaves_completions_unset() {
    let mut j = job();
    j["spec"]["parallelism"] = json!(3);
    j["spec"]["backoffLimitPerIndex"] = json!(1);
    j["spec"]["completionMode"] = json!("Indexed");
    j["spec"]["completions"] = json!(4);
    let j = create::<Job, _>(JobStrategy, j).unwrap();
    assert_eq!(j["spec"]["backoffLimit"], i32::MAX);
    let mut k = job();
    k["spec"]["parallelism"] = json!(3);
    let k = create::<Job, _>(JobStrategy, k).unwrap();
    assert!(k["spec"].get("completions").is_none());
}

#[test]
fn restart_policy_rules() {
    let mut j = job();
    j["spec"]["template"]["spec"]
        .as_object_mut()
        .unwrap()
        .remove("restartPolicy");
    assert_eq!(
        errors(j),
        vec![
            r#"spec.template.spec.restartPolicy: Required value: valid values: "OnFailure", "Never""#
        ]
    );
    let mut j = job();
    j["spec"]["template"]["spec"]["restartPolicy"] = json!("OnFailure");
    j["spec"]["podFailurePolicy"] = json!({"rules": [{"action": "FailJob",
        "onExitCodes": {"operator": "In", "values": [0, 2, 1]}}]});
    assert_eq!(
        errors(j),
        vec![
            "spec.podFailurePolicy.rules[0].onExitCodes.values[0]: Invalid value: 0: must not be 0 for the In operator",
            "spec.podFailurePolicy.rules[0].onExitCodes.values: Invalid value: []int32{0, 2, 1}: must be ordered",
            r#"spec.template.spec.restartPolicy: Invalid value: "OnFailure": only "Never" is supported when podFailurePolicy is specified"#,
        ]
    );
}

#[test]
fn selector_rules() {
    let mut j = job();
    j["spec"]["selector"] = json!({"matchLabels": {"batch.kubernetes.io/controller-uid": "other"}});
    assert_eq!(
        errors(j),
        vec![
            r#"spec.selector: Invalid value: v1.LabelSelector{MatchLabels:map[string]string{"batch.kubernetes.io/controller-uid":"other"}, MatchExpressions:[]v1.LabelSelectorRequirement(nil)}: `selector` not auto-generated"#,
            r#"spec.template.metadata.labels: Invalid value: map[string]string{"batch.kubernetes.io/controller-uid":"0f3d6a5e-1111-2222-3333-444455556666", "batch.kubernetes.io/job-name":"pi", "controller-uid":"0f3d6a5e-1111-2222-3333-444455556666", "job-name":"pi"}: `selector` does not match template `labels`"#,
        ]
    );
    let mut manual = job();
    manual["spec"]["manualSelector"] = json!(true);
    assert_eq!(
        errors(manual),
        vec![
            "spec.selector: Required value",
            "spec.template.metadata.labels: Invalid value: map[string]string(nil): `selector` does not match template `labels`",
        ]
    );
    let mut manual = job();
    manual["spec"]["manualSelector"] = json!(true);
    manual["spec"]["selector"] = json!({"matchLabels": {"app": "x"}});
    manual["spec"]["template"]["metadata"] = json!({"labels": {"app": "x"}});
    assert!(create::<Job, _>(JobStrategy, manual).is_ok());
}

#[test]
fn indexed_rules() {
    let mut j = job();
    j["metadata"]["name"] = json!("a".repeat(62));
    j["spec"]["completionMode"] = json!("Indexed");
    j["spec"]["parallelism"] = json!(2);
    j["spec"]["maxFailedIndexes"] = json!(1);
    let errs = errors(j);
    assert_eq!(
        errs,
        vec![
            "spec.backoffLimitPerIndex: Required value: when maxFailedIndexes is specified",
            "spec.completions: Required value: when completion mode is Indexed",
        ]
    );
    let mut j = job();
    j["metadata"]["name"] = json!("a".repeat(62));
    j["spec"]["completionMode"] = json!("Indexed");
    j["spec"]["completions"] = json!(10);
    let errs = errors(j);
    assert_eq!(errs.len(), 1);
    assert!(errs[0].ends_with(&format!(
        "will not able to create pod with invalid DNS label: {}-9",
        "a".repeat(62)
    )));
}

#[test]
fn warns_about_non_label_names() {
    let mut j = job();
    j["metadata"]["name"] = json!("pi.v2");
    let mut obj = j.clone();
    let warnings = crate::strategy::Typed::<Job, _>::new(JobStrategy);
    let w = crate::strategy::Strategy::create(&warnings, &mut obj).unwrap();
    assert_eq!(w.len(), 1);
    assert!(w[0].starts_with("metadata.name: this is used in Pod names and hostnames"));
}

#[test]
fn update_rules() {
    let old = create::<Job, _>(JobStrategy, job()).unwrap();
    let mut new = old.clone();
    new["spec"]["completions"] = json!(2);
    new["spec"]["template"]["spec"]["containers"][0]["image"] = json!("perl:2");
    let errs = update::<Job, _>(JobStrategy, new, &old).unwrap_err();
    assert_eq!(errs.len(), 2);
    assert_eq!(
        errs[0],
        "spec.completions: Invalid value: 2: field is immutable"
    );
    assert!(errs[1].starts_with("spec.template: Invalid value: "));
    assert!(errs[1].ends_with(": field is immutable"));

    let mut new = old.clone();
    new["spec"]["parallelism"] = json!(4);
    new["spec"]["suspend"] = json!(true);
    assert!(update::<Job, _>(JobStrategy, new, &old).is_ok());

    // A suspended Job that never ran may change where its pods go.
    let mut suspended = old.clone();
    suspended["spec"]["suspend"] = json!(true);
    let mut moved = suspended.clone();
    moved["spec"]["template"]["spec"]["nodeSelector"] = json!({"zone": "a"});
    moved["spec"]["template"]["metadata"]["labels"]["extra"] = json!("1");
    assert!(update::<Job, _>(JobStrategy, moved, &suspended).is_ok());
}

#[test]
fn indexed_completions_scale_with_parallelism() {
    let mut j = job();
    j["spec"]["completionMode"] = json!("Indexed");
    j["spec"]["completions"] = json!(3);
    j["spec"]["parallelism"] = json!(3);
    let old = create::<Job, _>(JobStrategy, j).unwrap();
    let mut new = old.clone();
    new["spec"]["completions"] = json!(5);
    new["spec"]["parallelism"] = json!(5);
    assert!(update::<Job, _>(JobStrategy, new, &old).is_ok());
    let mut new = old.clone();
    new["spec"]["completions"] = json!(5);
    assert_eq!(
        update::<Job, _>(JobStrategy, new, &old).unwrap_err(),
        vec![
            "spec.completions: Invalid value: 5: can only be modified in tandem with spec.parallelism"
        ]
    );
}

#[test]
fn status_rules() {
    let mut old = create::<Job, _>(JobStrategy, job()).unwrap();
    old["status"] = json!({"failed": 2, "conditions": [{"type": "Complete", "status": "True"}]});
    let mut new = old.clone();
    new["status"] = json!({"failed": 1, "active": 1, "ready": 2});
    assert_eq!(
        update_status::<Job, _>(JobStrategy, new, &old).unwrap_err(),
        vec![
            "status.conditions: Invalid value: cannot disable the terminal Complete=True condition",
            "status.failed: Invalid value: 1: cannot decrease the failed counter",
            "status.ready: Invalid value: 2: cannot set more ready pods than active",
        ]
    );
}
