use serde_json::json;

use super::*;
use crate::builtin::core::testutil::{create, from_json, update};

#[test]
fn limit_range_defaults() {
    let mut lr: LimitRange = from_json(json!({"metadata": {"name": "l"}, "spec": {"limits": [
        {"type": "Container", "max": {"cpu": "2"}, "min": {"memory": "64Mi"}}]}}));
    assert!(create(&LimitRangeStrategy, &mut lr).is_empty());
    let item = &lr.spec.unwrap().limits[0];
    assert_eq!(item.default.as_ref().unwrap()["cpu"].0, "2");
    assert_eq!(item.default_request.as_ref().unwrap()["cpu"].0, "2");
    assert_eq!(item.default_request.as_ref().unwrap()["memory"].0, "64Mi");
}

#[test]
fn limit_range_rules() {
    let run = |limits: serde_json::Value| {
        create(
            &LimitRangeStrategy,
            &mut from_json::<LimitRange>(
                json!({"metadata": {"name": "l"}, "spec": {"limits": limits}}),
            ),
        )
    };
    assert_eq!(
        run(
            json!([{"type": "Container", "min": {"cpu": "2"}, "max": {"cpu": "1"}, "default": {"cpu": "1"}, "defaultRequest": {"cpu": "1"}}])
        ),
        vec![
            "spec.limits[0].min[cpu]: Invalid value: \"2\": min value 2 is greater than max value 1",
            "spec.limits[0].defaultRequest[cpu]: Invalid value: \"1\": min value 2 is greater than default request value 1",
            "spec.limits[0].default[cpu]: Invalid value: \"2\": min value 2 is greater than default value 1",
        ]
    );
    assert_eq!(
        run(json!([{"type": "Pod", "default": {"cpu": "1"}}])),
        vec!["spec.limits[0].default: Forbidden: may not be specified when `type` is 'Pod'"]
    );
    assert_eq!(
        run(json!([{"type": "PersistentVolumeClaim", "max": {"cpu": "1"}}])),
        vec![
            "spec.limits[0].limits: Required value: either minimum or maximum storage value is required, but neither was provided"
        ]
    );
    assert_eq!(
        run(json!([{"type": "Machine"}])),
        vec![
            "spec.limits[0].type: Invalid value: \"Machine\": must be a standard limit type or fully qualified"
        ]
    );
    assert_eq!(
        run(json!([{"type": "Container", "maxLimitRequestRatio": {"cpu": "500m"}}])),
        vec![
            "spec.limits[0].maxLimitRequestRatio[cpu]: Invalid value: \"500m\": ratio 500m is less than 1"
        ]
    );
}

#[test]
fn quota_rules() {
    let run = |spec: serde_json::Value| {
        create(
            &ResourceQuotaStrategy,
            &mut from_json::<ResourceQuota>(json!({"metadata": {"name": "q"}, "spec": spec})),
        )
    };
    assert!(
        run(json!({"hard": {"pods": "10", "requests.cpu": "4", "count/deployments.apps": "5"}}))
            .is_empty()
    );
    assert_eq!(
        run(json!({"hard": {"pods": "1.5"}})),
        vec!["spec.hard[pods]: Invalid value: \"1500m\": must be an integer"]
    );
    assert_eq!(
        run(json!({"hard": {"widgets": "1"}})),
        vec![
            "spec.hard[widgets]: Invalid value: \"widgets\": must be a standard resource type or fully qualified",
            "spec.hard[widgets]: Invalid value: \"widgets\": must be a standard resource for quota",
        ]
    );
    assert_eq!(
        run(json!({"hard": {"services": "1"}, "scopes": ["BestEffort", "NotBestEffort"]})),
        vec![
            "spec.scopes: Invalid value: []string{\"BestEffort\", \"NotBestEffort\"}: unsupported scope applied to resource",
            "spec.scopes: Invalid value: []string{\"BestEffort\", \"NotBestEffort\"}: unsupported scope applied to resource",
            "spec.scopes: Invalid value: []string{\"BestEffort\", \"NotBestEffort\"}: conflicting scopes",
        ]
    );
    assert_eq!(
        run(
            json!({"scopeSelector": {"matchExpressions": [{"scopeName": "Terminating", "operator": "In", "values": ["x"]}]}})
        ),
        vec![
            "spec.scopeSelector.matchExpressions.operator: Invalid value: \"In\": must be 'Exists' when scope is any of ResourceQuotaScopeTerminating, ResourceQuotaScopeNotTerminating, ResourceQuotaScopeBestEffort, ResourceQuotaScopeNotBestEffort or ResourceQuotaScopeCrossNamespacePodAffinity"
        ]
    );
}

#[test]
fn quota_scopes_are_immutable() {
    let mut old: ResourceQuota = from_json(
        json!({"metadata": {"name": "q"}, "spec": {"hard": {"pods": "1"}, "scopes": ["Terminating"]}}),
    );
    create(&ResourceQuotaStrategy, &mut old);
    let mut new: ResourceQuota = from_json(
        json!({"metadata": {"name": "q"}, "spec": {"hard": {"pods": "1"}, "scopes": ["NotTerminating"]}}),
    );
    assert_eq!(
        update(&ResourceQuotaStrategy, &mut new, &old),
        vec!["spec.scopes: Invalid value: []string{\"NotTerminating\"}: field is immutable"]
    );
}
