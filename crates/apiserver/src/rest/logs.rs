//! pods/log: picks the container as upstream does, then streams the node agent's
//! `/containerLogs` answer back (kubectl logs, -f, --tail, --previous, --since, --timestamps).

use capstan_apimachinery::{ApiError, FieldError, Path};
use http::Response;
use http_body_util::BodyExt;
use serde_json::Value;

use super::Ctx;
use crate::http_util::{Body, text_response};
use crate::render::{self, Stored};

/// The container a log request is for: the one named, or the only one (upstream's
/// validateContainer; the `default-container` annotation is kubectl's business, not the API's).
pub fn log_container(pod: &Value, requested: Option<&str>) -> Result<String, ApiError> {
    let pod_name = pod["metadata"]["name"].as_str().unwrap_or_default();
    let names = |field: &str| -> Vec<String> {
        pod["spec"][field]
            .as_array()
            .map(|cs| {
                cs.iter()
                    .filter_map(|c| c["name"].as_str().map(str::to_owned))
                    .collect()
            })
            .unwrap_or_default()
    };
    let containers = names("containers");
    // Every container, in the order upstream visits them: init, regular, ephemeral.
    let all: Vec<String> = names("initContainers")
        .into_iter()
        .chain(containers.iter().cloned())
        .chain(names("ephemeralContainers"))
        .collect();
    let Some(name) = requested.filter(|n| !n.is_empty()) else {
        return match containers.as_slice() {
            [only] => Ok(only.clone()),
            [] => Err(ApiError::bad_request(&format!(
                "a container name must be specified for pod {pod_name}"
            ))),
            _ => Err(ApiError::bad_request(&format!(
                "a container name must be specified for pod {pod_name}, choose one of: [{}]",
                all.join(" ")
            ))),
        };
    };
    if !all.iter().any(|c| c == name) {
        return Err(ApiError::bad_request(&format!(
            "container {name} is not valid for pod {pod_name}"
        )));
    }
    Ok(name.to_owned())
}

/// PodLogOptions from the query of pod `pod_name`'s log request, checked as upstream does
/// (every problem reported at once as a 422), re-encoded for the agent.
pub fn log_query(pod_name: &str, get: impl Fn(&str) -> Option<String>) -> Result<String, ApiError> {
    let mut out = Vec::new();
    for flag in ["follow", "previous", "timestamps"] {
        if let Some(v) = get(flag) {
            match v.as_str() {
                "" | "1" | "t" | "T" | "true" | "TRUE" | "True" => out.push(format!("{flag}=true")),
                "0" | "f" | "F" | "false" | "FALSE" | "False" => {}
                other => {
                    return Err(ApiError::bad_request(&format!(
                        "invalid value {other:?} for {flag}: expected true or false"
                    )));
                }
            }
        }
    }
    let since_time = get("sinceTime");
    let mut errors = Vec::new();
    for (field, min, detail) in [
        ("tailLines", 0, "must be greater than or equal to 0"),
        ("limitBytes", 1, "must be greater than 0"),
        ("sinceSeconds", 1, "must be greater than 0"),
    ] {
        let Some(v) = get(field) else { continue };
        let n: i64 = v.parse().map_err(|_| {
            ApiError::bad_request(&format!("invalid value {v:?} for {field}: not an integer"))
        })?;
        if field == "sinceSeconds" && since_time.is_some() {
            errors.push(FieldError::forbidden(
                &Path::new(""),
                "at most one of `sinceTime` or `sinceSeconds` may be specified",
            ));
        } else if n < min {
            errors.push(FieldError::invalid(&Path::new(field), n, detail));
        } else {
            out.push(format!("{field}={n}"));
        }
    }
    if !errors.is_empty() {
        return Err(ApiError::invalid(
            &capstan_apimachinery::GroupKind::new("", "PodLogOptions"),
            pod_name,
            &errors,
        ));
    }
    if let Some(t) = since_time {
        chrono::DateTime::parse_from_rfc3339(&t).map_err(|_| {
            ApiError::bad_request(&format!(
                "invalid value {t:?} for sinceTime: not an RFC 3339 time"
            ))
        })?;
        out.push(format!(
            "sinceTime={}",
            percent_encoding::utf8_percent_encode(&t, percent_encoding::NON_ALPHANUMERIC)
        ));
    }
    Ok(out.join("&"))
}

/// Where a node's agent listens: its InternalIP (else any address) and kubelet port.
fn agent_address(node: &Value) -> Option<(String, u16)> {
    let addresses = node["status"]["addresses"].as_array()?;
    let pick = |kind: &str| {
        addresses
            .iter()
            .find(|a| a["type"] == kind)
            .and_then(|a| a["address"].as_str())
    };
    let address = pick("InternalIP")
        .or_else(|| pick("ExternalIP"))
        .or_else(|| pick("Hostname"))?;
    let port = node["status"]["daemonEndpoints"]["kubeletEndpoint"]["Port"]
        .as_u64()
        .filter(|p| (1..=65535).contains(p))
        .unwrap_or(10250) as u16;
    Some((address.to_owned(), port))
}

pub async fn pod_log(ctx: &Ctx<'_>) -> Result<Response<Body>, ApiError> {
    let (pod, _) = ctx.current().await?;
    let container = log_container(&pod, ctx.query.get("container"))?;
    let query = log_query(&ctx.info.name, |k| ctx.query.get(k).map(str::to_owned))?;
    let node_name = pod["spec"]["nodeName"].as_str().unwrap_or_default();
    if node_name.is_empty() {
        // Not on a node yet: nothing to show, as upstream answers.
        return Ok(text_response(200, "text/plain", ""));
    }
    let registry = ctx.srv.registry();
    let nodes = registry
        .get("", "v1", "nodes")
        .ok_or_else(|| ApiError::service_unavailable("nodes are not served"))?;
    let kv = ctx
        .srv
        .store
        .get(&nodes.key("", node_name), None)
        .await
        .map_err(|e| crate::errors::store_error(e, nodes, node_name))?
        .kv
        .ok_or_else(|| ApiError::not_found(&nodes.group_resource(), node_name))?;
    let node = render::object_value(
        nodes,
        Stored {
            bytes: &kv.value,
            rev: kv.mod_revision,
        },
    )?;
    let Some((address, port)) = agent_address(&node) else {
        return Err(ApiError::new(
            500,
            "InternalError",
            format!("node {node_name:?} reports no address to reach its agent at"),
        ));
    };
    let mut path = format!(
        "/containerLogs/{}/{}/{}",
        ctx.info.namespace, ctx.info.name, container
    );
    if !query.is_empty() {
        path.push('?');
        path.push_str(&query);
    }
    let response = ctx.srv.nodes.kubelet_get(&address, port, &path).await?;
    if !response.status().is_success() {
        return Err(crate::nodes::kubelet_error(response).await);
    }
    let body = response.into_body().map_err(std::io::Error::other).boxed();
    Response::builder()
        .status(200)
        .header(http::header::CONTENT_TYPE, "text/plain")
        .body(body)
        .map_err(|e| ApiError::new(500, "InternalError", e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn the_container_is_named_or_the_only_one() {
        let one = json!({"metadata": {"name": "p"}, "spec": {"containers": [{"name": "a"}]}});
        assert_eq!(log_container(&one, None).unwrap(), "a");
        let two = json!({"metadata": {"name": "p"}, "spec": {
            "containers": [{"name": "a"}, {"name": "b"}], "initContainers": [{"name": "i"}]}});
        assert_eq!(
            log_container(&two, None).unwrap_err().message,
            "a container name must be specified for pod p, choose one of: [i a b]"
        );
        assert_eq!(log_container(&two, Some("i")).unwrap(), "i");
        assert_eq!(
            log_container(&two, Some("z")).unwrap_err().message,
            "container z is not valid for pod p"
        );
    }

    #[test]
    fn log_options_are_checked() {
        let q = |pairs: &'static [(&'static str, &'static str)]| {
            log_query("p", move |k| {
                pairs
                    .iter()
                    .find(|(n, _)| *n == k)
                    .map(|(_, v)| v.to_string())
            })
        };
        assert_eq!(
            q(&[("follow", "true"), ("tailLines", "5")]).unwrap(),
            "follow=true&tailLines=5"
        );
        assert_eq!(q(&[("tailLines", "x")]).unwrap_err().code, 400);
        let e = q(&[("tailLines", "-1")]).unwrap_err();
        assert_eq!(e.code, 422);
        assert_eq!(
            e.message,
            "PodLogOptions \"p\" is invalid: tailLines: Invalid value: -1: must be greater than or equal to 0"
        );
        assert_eq!(q(&[("limitBytes", "0")]).unwrap_err().code, 422);
        assert_eq!(
            q(&[("sinceSeconds", "5"), ("sinceTime", "2026-01-01T00:00:00Z")])
                .unwrap_err()
                .code,
            422
        );
        let both = q(&[("sinceSeconds", "5"), ("sinceTime", "2026-01-01T00:00:00Z")]).unwrap_err();
        assert!(
            both.message.ends_with(
                "Forbidden: at most one of `sinceTime` or `sinceSeconds` may be specified"
            ),
            "{}",
            both.message
        );
    }
}
