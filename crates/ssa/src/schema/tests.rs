use super::*;
use serde_json::json;

fn compile(schema: Value) -> Schema {
    let types = Arc::new(TypeSet::from_definitions(std::iter::empty()));
    Schema::inline(&types, &schema)
}

fn field<'a>(schema: &'a Schema, name: &str) -> Resolved<'a> {
    let root = schema.types.resolve(schema.root);
    let (map, _) = root.map.expect("object");
    schema.types.resolve(map.fields[name].ty)
}

#[test]
fn list_types_follow_the_extensions() {
    let schema = compile(json!({"type": "object", "properties": {
        "plain": {"type": "array", "items": {"type": "string"}},
        "set": {"type": "array", "items": {"type": "string"}, "x-kubernetes-list-type": "set"},
        "map": {"type": "array", "x-kubernetes-list-type": "map", "x-kubernetes-list-map-keys": ["a", "b"],
                "items": {"type": "object", "properties": {"a": {"type": "string"}, "b": {"type": "integer", "default": 1}}}},
        "merge": {"type": "array", "items": {"type": "object"}, "x-kubernetes-patch-strategy": "merge", "x-kubernetes-patch-merge-key": "name"},
        "mergeSet": {"type": "array", "items": {"type": "string"}, "x-kubernetes-patch-strategy": "merge"},
        "retain": {"type": "array", "items": {"type": "string"}, "x-kubernetes-patch-strategy": "retainKeys"},
        "typed": {"type": "array", "items": {"type": "string"}, "x-kubernetes-list-type": "atomic", "x-kubernetes-patch-strategy": "merge"}
    }}));
    let list = |name: &str| {
        let (list, atomic) = field(&schema, name).list.expect(name);
        (atomic, list.keys.clone())
    };
    assert_eq!(list("plain"), (true, vec![]));
    assert_eq!(list("set"), (false, vec![]));
    assert_eq!(list("map"), (false, vec!["a".to_string(), "b".to_string()]));
    assert_eq!(list("merge"), (false, vec!["name".to_string()]));
    assert_eq!(list("mergeSet"), (false, vec![]));
    assert_eq!(list("retain"), (true, vec![]));
    assert_eq!(list("typed"), (true, vec![]));
    let (map_list, _) = field(&schema, "map").list.unwrap();
    let (item, _) = schema.types.resolve(map_list.elem).map.unwrap();
    assert_eq!(item.fields["b"].default, Some(json!(1)));
}

#[test]
fn objects_maps_and_scalars() {
    let schema = compile(json!({"type": "object", "properties": {
        "closed": {"type": "object", "properties": {"a": {"type": "string"}}},
        "open": {"type": "object", "properties": {"a": {"type": "string"}}, "x-kubernetes-preserve-unknown-fields": true},
        "empty": {"type": "object"},
        "strings": {"type": "object", "additionalProperties": {"type": "string"}},
        "atomic": {"type": "object", "additionalProperties": {"type": "string"}, "x-kubernetes-map-type": "atomic"},
        "intOrString": {"x-kubernetes-int-or-string": true},
        "time": {"type": "string", "format": "date-time"},
        "count": {"type": "integer"},
        "flag": {"type": "boolean"}
    }}));
    assert!(field(&schema, "closed").map.unwrap().0.elem.is_none());
    assert_eq!(
        field(&schema, "open").map.unwrap().0.elem,
        Some(TypeRef::to(DEDUCED))
    );
    assert_eq!(
        field(&schema, "empty").map.unwrap().0.elem,
        Some(TypeRef::to(DEDUCED))
    );
    assert!(!field(&schema, "strings").map.unwrap().1);
    assert!(field(&schema, "atomic").map.unwrap().1);
    let untyped = field(&schema, "intOrString");
    assert_eq!(untyped.scalar, Some(Scalar::Untyped));
    assert!(untyped.list.is_some() && untyped.map.is_some());
    assert_eq!(field(&schema, "time").scalar, Some(Scalar::Untyped));
    assert_eq!(field(&schema, "count").scalar, Some(Scalar::Numeric));
    assert_eq!(field(&schema, "flag").scalar, Some(Scalar::Boolean));
}

#[test]
fn references_resolve_with_field_level_map_type() {
    let types = Arc::new(TypeSet::from_definitions([
        (
            "Selector",
            &json!({"type": "object", "properties": {"a": {"type": "string"}}}),
        ),
        (
            "Root",
            &json!({"type": "object", "properties": {
                "plain": {"$ref": "#/components/schemas/Selector"},
                "atomic": {"allOf": [{"$ref": "#/components/schemas/Selector"}], "x-kubernetes-map-type": "atomic"},
                "missing": {"$ref": "#/components/schemas/Nowhere"}
            }}),
        ),
    ]));
    let schema = Schema::named(&types, "Root").unwrap();
    assert!(!field(&schema, "plain").map.unwrap().1);
    assert!(field(&schema, "atomic").map.unwrap().1);
    assert_eq!(
        field(&schema, "missing").map.unwrap().0.elem,
        Some(TypeRef::to(DEDUCED))
    );
    assert!(Schema::named(&types, "Nowhere").is_none());
}

#[test]
fn custom_resources_get_object_meta() {
    let schema = Schema::custom_resource(&json!({"type": "object", "properties": {
        "spec": {"type": "object", "properties": {
            "inner": {"type": "object", "x-kubernetes-embedded-resource": true, "x-kubernetes-preserve-unknown-fields": true}}}}}));
    let meta = field(&schema, "metadata");
    let (meta, _) = meta.map.unwrap();
    let (finalizers, atomic) = schema
        .types
        .resolve(meta.fields["finalizers"].ty)
        .list
        .unwrap();
    assert!(!atomic && finalizers.keys.is_empty());
    let (owners, _) = schema
        .types
        .resolve(meta.fields["ownerReferences"].ty)
        .list
        .unwrap();
    assert_eq!(owners.keys, ["uid"]);
    assert_eq!(field(&schema, "apiVersion").scalar, Some(Scalar::String));
    let (spec, _) = field(&schema, "spec").map.unwrap();
    let (inner, _) = schema.types.resolve(spec.fields["inner"].ty).map.unwrap();
    assert!(inner.fields.contains_key("metadata") && inner.fields.contains_key("kind"));
    assert_eq!(schema.zero_object(), &json!({}));
}

#[test]
fn builtin_definitions_compile_with_go_facts() {
    let definitions = capstan_openapi::builtin_definitions();
    let types = Arc::new(TypeSet::from_definitions(definitions.iter()));
    let deployment = Schema::named(&types, "io.k8s.api.apps.v1.Deployment").unwrap();
    assert_eq!(deployment.zero_object()["spec"]["strategy"], json!({}));
    assert_eq!(deployment.zero_object()["spec"]["selector"], Value::Null);
    let port = Schema::named(&types, "io.k8s.api.core.v1.ContainerPort").unwrap();
    let (port, _) = port.types.resolve(port.root).map.unwrap();
    assert_eq!(port.fields["protocol"].default, Some(json!("TCP")));
    let pod = Schema::named(&types, "io.k8s.api.core.v1.PodSpec").unwrap();
    let (spec, _) = pod.types.resolve(pod.root).map.unwrap();
    let (containers, atomic) = pod
        .types
        .resolve(spec.fields["containers"].ty)
        .list
        .unwrap();
    assert!(!atomic);
    assert_eq!(containers.keys, ["name"]);
    assert!(
        pod.types
            .resolve(spec.fields["nodeSelector"].ty)
            .map
            .unwrap()
            .1
    );
    let quantity = Schema::named(&types, "io.k8s.apimachinery.pkg.api.resource.Quantity").unwrap();
    let quantity = quantity.types.resolve(quantity.root);
    assert!(quantity.scalar.is_some() && quantity.map.is_none());
}
