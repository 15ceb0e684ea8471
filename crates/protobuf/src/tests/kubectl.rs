//! Bodies captured from kubectl 1.33 (protobuf) checked against the JSON kubectl 1.31
//! sent for the same command (see testdata/kubectl/README.md).

use serde_json::Value;

use crate::decode_object;

macro_rules! fixture {
    ($name:literal) => {
        (
            $name,
            include_bytes!(concat!("../../testdata/kubectl/", $name, ".pb")) as &[u8],
            include_str!(concat!("../../testdata/kubectl/", $name, ".json")),
        )
    };
}

const FIXTURES: &[(&str, &[u8], &str)] = &[
    fixture!("approve"),
    fixture!("autoscale"),
    fixture!("cani"),
    fixture!("canilist"),
    fixture!("clusteragg"),
    fixture!("clusterrole"),
    fixture!("clusterrole2"),
    fixture!("clusterrolebinding"),
    fixture!("configmap"),
    fixture!("cronjob"),
    fixture!("deployment"),
    fixture!("dockersecret"),
    fixture!("ingress"),
    fixture!("job"),
    fixture!("namespace"),
    fixture!("pdb"),
    fixture!("priorityclass"),
    fixture!("quota"),
    fixture!("role"),
    fixture!("rolebinding"),
    fixture!("secret"),
    fixture!("service"),
    fixture!("serviceaccount"),
    fixture!("token"),
    fixture!("whoami"),
    fixture!("deny"),
    fixture!("tokenbound"),
    fixture!("extname"),
    fixture!("nodeport"),
    fixture!("pdbmax"),
    fixture!("debugcopy"),
    fixture!("debugnode"),
    fixture!("jobfrom"),
];

#[test]
fn kubectl_bodies_decode_to_the_json_kubectl_sends() {
    let mut failures = Vec::new();
    for (name, body, json) in FIXTURES {
        let expected: Value = serde_json::from_str(json).unwrap();
        match decode_object(body) {
            Ok(actual) if actual == expected => {}
            Ok(actual) => failures.push(format!(
                "{name}:\n  got      {actual}\n  expected {expected}"
            )),
            Err(e) => failures.push(format!("{name}: {e}")),
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
