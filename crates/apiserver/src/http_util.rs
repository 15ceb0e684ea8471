//! Response building and content negotiation.

use bytes::Bytes;
use capstan_apimachinery::ApiError;
use http::{HeaderValue, Response, StatusCode, header};
use http_body_util::combinators::BoxBody;
use http_body_util::{BodyExt, Full};
use serde_json::Value;

pub type Body = BoxBody<Bytes, std::io::Error>;

pub fn full(bytes: impl Into<Bytes>) -> Body {
    Full::new(bytes.into())
        .map_err(|never| match never {})
        .boxed()
}

pub fn json_response(code: u16, bytes: impl Into<Bytes>) -> Response<Body> {
    Response::builder()
        .status(StatusCode::from_u16(code).unwrap_or(StatusCode::OK))
        .header(header::CONTENT_TYPE, "application/json")
        .body(full(bytes))
        .expect("valid response")
}

pub fn value_response(code: u16, v: &Value) -> Response<Body> {
    json_response(code, serde_json::to_vec(v).expect("JSON values serialize"))
}

pub fn status_response(e: &ApiError) -> Response<Body> {
    let mut resp = json_response(e.http_status(), e.to_status_json_string());
    if let Some(retry) = e
        .details
        .as_ref()
        .map(|d| d.retry_after_seconds)
        .filter(|r| *r > 0)
    {
        resp.headers_mut()
            .insert(header::RETRY_AFTER, HeaderValue::from(retry));
    }
    resp
}

pub fn text_response(code: u16, content_type: &str, body: impl Into<Bytes>) -> Response<Body> {
    Response::builder()
        .status(StatusCode::from_u16(code).unwrap_or(StatusCode::OK))
        .header(header::CONTENT_TYPE, content_type)
        .body(full(body))
        .expect("valid response")
}

/// Adds `Warning: 299 - "<text>"` headers, as kube-apiserver reports warnings.
pub fn add_warnings(resp: &mut Response<Body>, warnings: &[String]) {
    for w in warnings {
        let escaped = w.replace('\\', "\\\\").replace('"', "\\\"");
        if let Ok(v) = HeaderValue::from_str(&format!("299 - \"{escaped}\"")) {
            resp.headers_mut().append(header::WARNING, v);
        }
    }
}

/// What the client asked to receive.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Representation {
    #[default]
    Object,
    /// meta.k8s.io Table (v1 or v1beta1).
    Table(&'static str),
    /// meta.k8s.io PartialObjectMetadata(List) (v1 or v1beta1).
    PartialMetadata(&'static str),
}

#[derive(Clone, Copy, Debug, Default)]
pub struct Negotiated {
    pub representation: Representation,
    pub yaml: bool,
}

/// Picks the first acceptable media type of an Accept header (kube clients list preferences in
/// order, without q-values).
pub fn negotiate(accept: Option<&str>) -> Result<Negotiated, ApiError> {
    let Some(accept) = accept.filter(|a| !a.trim().is_empty()) else {
        return Ok(Negotiated::default());
    };
    let mut saw_any = false;
    for part in accept.split(',') {
        let mut params = part.split(';').map(str::trim);
        let media = params.next().unwrap_or("").to_ascii_lowercase();
        let (mut as_, mut g, mut v) = ("", "", "");
        for p in params {
            if let Some((k, val)) = p.split_once('=') {
                match k.trim() {
                    "as" => as_ = val.trim(),
                    "g" => g = val.trim(),
                    "v" => v = val.trim(),
                    _ => {}
                }
            }
        }
        let json_like = matches!(media.as_str(), "application/json" | "*/*" | "application/*");
        let yaml = media == "application/yaml";
        if !(json_like || yaml) {
            if media == "application/vnd.kubernetes.protobuf" {
                saw_any = true;
            }
            continue;
        }
        saw_any = true;
        let version = match v {
            "v1" => "v1",
            "v1beta1" => "v1beta1",
            _ => "",
        };
        let representation = match (as_, g) {
            ("", _) => Representation::Object,
            ("Table", "meta.k8s.io") if !version.is_empty() => Representation::Table(version),
            ("PartialObjectMetadata" | "PartialObjectMetadataList", "meta.k8s.io")
                if !version.is_empty() =>
            {
                Representation::PartialMetadata(version)
            }
            // A representation we cannot give: try the client's next preference.
            _ => continue,
        };
        return Ok(Negotiated {
            representation,
            yaml,
        });
    }
    if saw_any {
        // Only protobuf (or unknown `as=`) was offered alongside: answer JSON, which every
        // Kubernetes client also decodes.
        return Ok(Negotiated::default());
    }
    Err(ApiError::not_acceptable(&[
        "application/json",
        "application/yaml",
        "application/vnd.kubernetes.protobuf",
    ]))
}

/// Renders a JSON object for the client: YAML if asked, else the JSON as is.
pub fn object_response(code: u16, json: Bytes, neg: &Negotiated) -> Response<Body> {
    if neg.yaml
        && let Ok(v) = serde_json::from_slice::<Value>(&json)
        && let Ok(y) = serde_saphyr::to_string(&v)
    {
        return text_response(code, "application/yaml", y);
    }
    json_response(code, json)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kubectl_table_accept() {
        let n = negotiate(Some(
            "application/json;as=Table;v=v1;g=meta.k8s.io,application/json;as=Table;v=v1beta1;g=meta.k8s.io,application/json",
        ))
        .unwrap();
        assert_eq!(n.representation, Representation::Table("v1"));
        let n = negotiate(Some("application/vnd.kubernetes.protobuf,application/json")).unwrap();
        assert_eq!(n.representation, Representation::Object);
        assert!(negotiate(Some("text/html")).is_err());
        assert!(negotiate(None).is_ok());
    }
}
