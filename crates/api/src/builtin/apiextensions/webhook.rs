//! Conversion webhook addresses (upstream apiserver/pkg/util/webhook validation).

use capstan_apimachinery::validation::{is_dns1123_subdomain, is_valid_port_num};
use capstan_apimachinery::{ErrorList, FieldError, Path};
use k8s_openapi::apiextensions_apiserver::pkg::apis::apiextensions::v1::ServiceReference;

const FORM: &str = "; desired format: https://host[/path]";

/// The parts of a URL the rules look at (as Go's `url.Parse` splits them).
struct Url<'a> {
    scheme: &'a str,
    user: Option<&'a str>,
    host: &'a str,
    query: &'a str,
    fragment: &'a str,
}

fn parse(url: &str) -> Url<'_> {
    let (rest, fragment) = url.split_once('#').unwrap_or((url, ""));
    let (rest, query) = rest.split_once('?').unwrap_or((rest, ""));
    let (scheme, rest) = match rest.split_once(':') {
        Some((s, r))
            if !s.is_empty()
                && s.chars()
                    .all(|c| c.is_ascii_alphanumeric() || "+-.".contains(c)) =>
        {
            (s, r)
        }
        _ => ("", rest),
    };
    let (authority, user) = match rest.strip_prefix("//") {
        Some(r) => {
            let authority = r.split('/').next().unwrap_or("");
            match authority.rsplit_once('@') {
                Some((u, h)) => (h, Some(u)),
                None => (authority, None),
            }
        }
        None => ("", None),
    };
    Url {
        scheme,
        user,
        host: authority,
        query,
        fragment,
    }
}

/// Upstream `ValidateWebhookURL` with https required.
pub fn validate_url(url: &str, path: &Path) -> ErrorList {
    let u = parse(url);
    let mut errs = Vec::new();
    if u.scheme != "https" {
        errs.push(FieldError::invalid(
            path,
            u.scheme,
            &format!("'https' is the only allowed URL scheme{FORM}"),
        ));
    }
    if u.host.is_empty() {
        errs.push(FieldError::invalid(
            path,
            u.host,
            &format!("host must be specified{FORM}"),
        ));
    }
    if let Some(user) = u.user {
        errs.push(FieldError::invalid(
            path,
            user,
            "user information is not permitted in the URL",
        ));
    }
    if !u.fragment.is_empty() {
        errs.push(FieldError::invalid(
            path,
            u.fragment,
            "fragments are not permitted in the URL",
        ));
    }
    if !u.query.is_empty() {
        errs.push(FieldError::invalid(
            path,
            u.query,
            "query parameters are not permitted in the URL",
        ));
    }
    errs
}

/// Upstream `ValidateWebhookService`.
pub fn validate_service(s: &ServiceReference, path: &Path) -> ErrorList {
    let mut errs = Vec::new();
    if s.name.is_empty() {
        errs.push(FieldError::required(
            &path.child("name"),
            "service name is required",
        ));
    }
    if s.namespace.is_empty() {
        errs.push(FieldError::required(
            &path.child("namespace"),
            "service namespace is required",
        ));
    }
    let port = s.port.unwrap_or(443);
    let msgs = is_valid_port_num(port.into());
    if !msgs.is_empty() {
        errs.push(FieldError::invalid(
            &path.child("port"),
            port,
            &format!("port is not valid: {}", msgs.join(", ")),
        ));
    }
    let Some(url_path) = s.path.as_deref() else {
        return errs;
    };
    let pp = path.child("path");
    if url_path.is_empty() || url_path == "/" {
        return errs;
    }
    if url_path == "//" {
        errs.push(FieldError::invalid(
            &pp,
            url_path,
            "segment[0] may not be empty",
        ));
        return errs;
    }
    if !url_path.starts_with('/') {
        errs.push(FieldError::invalid(&pp, url_path, "must start with a '/'"));
    }
    let trimmed = url_path.get(1..).unwrap_or("");
    let trimmed = trimmed.strip_suffix('/').unwrap_or(trimmed);
    for (i, step) in trimmed.split('/').enumerate() {
        if step.is_empty() {
            errs.push(FieldError::invalid(
                &pp,
                url_path,
                &format!("segment[{i}] may not be empty"),
            ));
            continue;
        }
        for msg in is_dns1123_subdomain(step) {
            errs.push(FieldError::invalid(
                &pp,
                url_path,
                &format!("segment[{i}]: {msg}"),
            ));
        }
    }
    errs
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_and_services() {
        let p = Path::new("url");
        assert!(validate_url("https://conv.example.com/convert", &p).is_empty());
        let errs: Vec<String> = validate_url("http://u@h/x?a=1#f", &p)
            .iter()
            .map(|e| e.to_string())
            .collect();
        assert_eq!(
            errs,
            vec![
                r#"url: Invalid value: "http": 'https' is the only allowed URL scheme; desired format: https://host[/path]"#,
                r#"url: Invalid value: "u": user information is not permitted in the URL"#,
                r#"url: Invalid value: "f": fragments are not permitted in the URL"#,
                r#"url: Invalid value: "a=1": query parameters are not permitted in the URL"#,
            ]
        );
        let svc = ServiceReference {
            name: "conv".into(),
            namespace: String::new(),
            path: Some("/a//b".into()),
            port: Some(0),
        };
        let errs: Vec<String> = validate_service(&svc, &Path::new("service"))
            .iter()
            .map(|e| e.to_string())
            .collect();
        assert_eq!(
            errs,
            vec![
                "service.namespace: Required value: service namespace is required",
                "service.port: Invalid value: 0: port is not valid: must be between 1 and 65535, inclusive",
                r#"service.path: Invalid value: "/a//b": segment[1] may not be empty"#,
            ]
        );
    }
}
