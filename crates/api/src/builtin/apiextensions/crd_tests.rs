use serde_json::{Value, json};

use super::*;
use crate::builtin::apps::testing::{create, create_errors, update};

fn schema() -> Value {
    json!({"openAPIV3Schema": {"type": "object", "properties": {
        "spec": {"type": "object", "properties": {"size": {"type": "integer"}}}
    }}})
}

fn crd() -> Value {
    json!({
        "metadata": {"name": "widgets.example.com"},
        "spec": {
            "group": "example.com",
            "scope": "Namespaced",
            "names": {"plural": "widgets", "kind": "Widget"},
            "versions": [{"name": "v1", "served": true, "storage": true, "schema": schema()}]
        }
    })
}

fn errors(obj: Value) -> Vec<String> {
    create_errors::<CustomResourceDefinition, _>(CrdStrategy, obj)
}

#[test]
fn defaults() {
    let c = create::<CustomResourceDefinition, _>(CrdStrategy, crd()).unwrap();
    assert_eq!(c["spec"]["names"]["singular"], "widget");
    assert_eq!(c["spec"]["names"]["listKind"], "WidgetList");
    assert_eq!(c["spec"]["conversion"], json!({"strategy": "None"}));
    assert_eq!(c["status"]["storedVersions"], json!(["v1"]));
}

#[test]
fn names_group_scope_versions() {
    let mut c = crd();
    c["metadata"]["name"] = json!("gadgets.example.com");
    c["spec"]["group"] = json!("example");
    c["spec"]["scope"] = json!("Global");
    c["spec"]["versions"] = json!([
        {"name": "v1", "served": true, "storage": true, "schema": schema()},
        {"name": "v1", "served": true, "storage": true, "schema": schema()}
    ]);
    let errs = errors(c);
    assert_eq!(
        errs[0],
        r#"metadata.name: Invalid value: "gadgets.example.com": must be spec.names.plural+"."+spec.group"#
    );
    assert_eq!(
        errs[1],
        r#"spec.group: Invalid value: "example": should be a domain with at least one dot"#
    );
    assert_eq!(
        errs[2],
        r#"spec.scope: Unsupported value: "Global": supported values: "Cluster", "Namespaced""#
    );
    assert!(errs[3].starts_with("spec.versions: Invalid value: "));
    assert!(errs[3].ends_with(": must contain unique version names"));
    assert!(errs[4].ends_with(": must have exactly one version marked as storage version"));
}

#[test]
fn schema_rules_use_the_shared_path() {
    let mut c = crd();
    c["spec"]["versions"][0]["schema"]["openAPIV3Schema"]["properties"]["spec"]["properties"]["size"] =
        json!({"description": "no type"});
    c["spec"]["versions"][0]["schema"]["openAPIV3Schema"]["properties"]["tags"] =
        json!({"type": "array", "uniqueItems": true});
    assert_eq!(
        errors(c),
        vec![
            "spec.validation.openAPIV3Schema.properties[spec].properties[size].type: Required value: must not be empty for specified object fields",
            "spec.validation.openAPIV3Schema.properties[tags].items: Required value: must be specified",
            "spec.validation.openAPIV3Schema.properties[tags].uniqueItems: Forbidden: uniqueItems cannot be set to true since the runtime complexity becomes quadratic",
        ]
    );
}

#[test]
fn per_version_schemas_keep_their_paths() {
    let mut c = crd();
    c["spec"]["versions"] = json!([
        {"name": "v1", "served": true, "storage": true, "schema": schema()},
        {"name": "v2", "served": true, "storage": false,
         "schema": {"openAPIV3Schema": {"type": "string"}}},
        {"name": "v3", "served": false, "storage": false}
    ]);
    assert_eq!(
        errors(c),
        vec![
            "spec.versions[2].schema.openAPIV3Schema: Required value: schemas are required",
            r#"spec.versions[1].schema.openAPIV3Schema.type: Invalid value: "string": must be object at the root"#,
        ]
    );
}

#[test]
fn status_subresource_root_and_columns() {
    let mut c = crd();
    c["spec"]["versions"][0]["subresources"] = json!({"status": {}, "scale": {"specReplicasPath": ".status.replicas", "statusReplicasPath": ".status.replicas"}});
    c["spec"]["versions"][0]["schema"]["openAPIV3Schema"]["nullable"] = json!(true);
    c["spec"]["versions"][0]["additionalPrinterColumns"] =
        json!([{"name": "Size", "type": "int", "jsonPath": "spec.size"}]);
    let errs = errors(c);
    assert!(errs[0].starts_with("spec.validation.openAPIV3Schema: Invalid value: "));
    assert!(errs[0].ends_with(": only [Description Type Format Title Maximum ExclusiveMaximum Minimum ExclusiveMinimum MaxLength MinLength Pattern MaxItems MinItems UniqueItems MultipleOf Required Items Properties ExternalDocs Example XPreserveUnknownFields XValidations] fields are allowed at the root of the schema if the status subresource is enabled"));
    assert_eq!(
        errs[1..],
        [
            "spec.validation.openAPIV3Schema.nullable: Forbidden: nullable cannot be true at the root",
            r#"spec.subresources.scale.specReplicasPath: Invalid value: ".status.replicas": should be a json path under .spec"#,
            r#"spec.additionalPrinterColumns[0].type: Invalid value: "int": must be one of boolean,date,integer,number,string"#,
            r#"spec.additionalPrinterColumns[0].JSONPath: Invalid value: "spec.size": must be a simple json path starting with ."#,
        ]
    );
}

#[test]
fn protected_groups_need_approval() {
    let mut c = crd();
    c["metadata"]["name"] = json!("widgets.x.k8s.io");
    c["spec"]["group"] = json!("x.k8s.io");
    assert_eq!(
        errors(c.clone()),
        vec![
            r#"metadata.annotations[api-approved.kubernetes.io]: Required value: protected groups must have approval annotation "api-approved.kubernetes.io", see https://github.com/kubernetes/enhancements/pull/1111"#
        ]
    );
    c["metadata"]["annotations"] =
        json!({"api-approved.kubernetes.io": "https://github.com/kubernetes/kubernetes/pull/1"});
    assert!(create::<CustomResourceDefinition, _>(CrdStrategy, c).is_ok());
}

#[test]
fn update_rules() {
    let mut old = create::<CustomResourceDefinition, _>(CrdStrategy, crd()).unwrap();
    old["status"]["conditions"] = json!([{"type": "Established", "status": "True"}]);
    let mut new = old.clone();
    new["spec"]["group"] = json!("other.com");
    new["spec"]["scope"] = json!("Cluster");
    new["spec"]["names"]["plural"] = json!("gizmos");
    let errs = update::<CustomResourceDefinition, _>(CrdStrategy, new, &old).unwrap_err();
    assert_eq!(
        errs,
        vec![
            r#"spec.scope: Invalid value: "Cluster": field is immutable"#,
            r#"spec.group: Invalid value: "other.com": field is immutable"#,
            r#"spec.names.plural: Invalid value: "gizmos": field is immutable"#,
        ]
    );

    // A new storage version is recorded; the old one must stay listed until migrated.
    let mut v2 = old.clone();
    v2["spec"]["versions"] = json!([
        {"name": "v1", "served": true, "storage": false, "schema": schema()},
        {"name": "v2", "served": true, "storage": true, "schema": schema()}
    ]);
    let v2 = update::<CustomResourceDefinition, _>(CrdStrategy, v2, &old).unwrap();
    assert_eq!(v2["status"]["storedVersions"], json!(["v1", "v2"]));
    let mut dropped = v2.clone();
    dropped["spec"]["versions"] =
        json!([{"name": "v2", "served": true, "storage": true, "schema": schema()}]);
    assert_eq!(
        update::<CustomResourceDefinition, _>(CrdStrategy, dropped, &v2).unwrap_err(),
        vec![
            r#"status.storedVersions[0]: Invalid value: "v1": missing from spec.versions; v1 was previously a storage version, and must remain in spec.versions until a storage migration ensures no data remains persisted in v1 and removes v1 from status.storedVersions"#
        ]
    );
}

#[test]
fn webhook_conversion() {
    let mut c = crd();
    c["spec"]["conversion"] = json!({"strategy": "Webhook", "webhook": {"conversionReviewVersions": ["v9"],
        "clientConfig": {"url": "http://conv.example.com"}}});
    assert_eq!(
        errors(c),
        vec![
            r#"spec.conversion.webhookClientConfig.url: Invalid value: "http": 'https' is the only allowed URL scheme; desired format: https://host[/path]"#,
            r#"spec.conversion.conversionReviewVersions: Invalid value: []string{"v9"}: must include at least one of v1, v1beta1"#,
        ]
    );
}
