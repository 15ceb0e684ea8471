//! Ingresses and IngressClasses (upstream pkg/apis/networking/validation).

use std::net::IpAddr;

use capstan_apimachinery::validation::{
    FIELD_IMMUTABLE_ERROR_MSG, is_dns1035_label, is_dns1123_subdomain,
    is_valid_ip_for_legacy_field, is_valid_path_segment_name, is_valid_port_name,
    is_valid_port_num, is_wildcard_dns1123_subdomain, validate_namespace_name,
};
use capstan_apimachinery::{BadValue, ErrorList, FieldError, Path};
use k8s_openapi::api::networking::v1::{
    HTTPIngressPath, Ingress, IngressBackend, IngressClass, IngressClassParametersReference,
    IngressSpec,
};

use crate::builtin::apps::shared::validate_domain_prefixed_path;
use crate::strategy::TypedStrategy;

/// The annotation older clients name the class with.
const CLASS_ANNOTATION: &str = "kubernetes.io/ingress.class";
const MAX_CONTROLLER_LENGTH: usize = 250;

pub struct IngressStrategy;

impl TypedStrategy<Ingress> for IngressStrategy {
    fn validate(&self, ing: &Ingress) -> ErrorList {
        let spec = ing.spec.clone().unwrap_or_default();
        let mut errs = validate_spec(&spec, &Path::new("spec"), false);
        let annotation = ing
            .metadata
            .annotations
            .as_ref()
            .and_then(|a| a.get(CLASS_ANNOTATION));
        if let (Some(a), Some(class)) = (annotation, spec.ingress_class_name.as_ref())
            && a != class
        {
            errs.push(FieldError::invalid(
                &Path::new("annotations").child(CLASS_ANNOTATION),
                a.as_str(),
                "must match `ingressClassName` when both are specified",
            ));
        }
        errs
    }

    /// Secret names that were accepted before stay acceptable.
    fn validate_update(&self, ing: &Ingress, old: &Ingress) -> ErrorList {
        let old_spec = old.spec.clone().unwrap_or_default();
        let allow_invalid_secrets = old_spec
            .tls
            .iter()
            .flatten()
            .any(|t| !secret_name_messages(t.secret_name.as_deref().unwrap_or("")).is_empty());
        validate_spec(
            &ing.spec.clone().unwrap_or_default(),
            &Path::new("spec"),
            allow_invalid_secrets,
        )
    }

    fn validate_status_update(&self, ing: &Ingress, _old: &Ingress) -> ErrorList {
        let path = Path::new("status").child("loadBalancer").child("ingress");
        let mut errs = Vec::new();
        let status = ing.status.clone().unwrap_or_default();
        let entries = status
            .load_balancer
            .and_then(|l| l.ingress)
            .unwrap_or_default();
        for (i, entry) in entries.iter().enumerate() {
            let p = path.index(i);
            if let Some(ip) = entry.ip.as_deref().filter(|ip| !ip.is_empty()) {
                errs.extend(is_valid_ip_for_legacy_field(&p.child("ip"), ip, false, &[]));
            }
            if let Some(host) = entry.hostname.as_deref().filter(|h| !h.is_empty()) {
                let hp = p.child("hostname");
                for msg in is_dns1123_subdomain(host) {
                    errs.push(FieldError::invalid(&hp, host, &msg));
                }
                if host.parse::<IpAddr>().is_ok() {
                    errs.push(FieldError::invalid(
                        &hp,
                        host,
                        "must be a DNS name, not an IP address",
                    ));
                }
            }
        }
        errs
    }
}

fn secret_name_messages(name: &str) -> Vec<String> {
    if name.is_empty() {
        Vec::new()
    } else {
        is_dns1123_subdomain(name)
    }
}

/// Upstream `ValidateIngressSpec`.
fn validate_spec(spec: &IngressSpec, path: &Path, allow_invalid_secrets: bool) -> ErrorList {
    let mut errs = Vec::new();
    let rules = spec.rules.as_deref().unwrap_or(&[]);
    if rules.is_empty() && spec.default_backend.is_none() {
        let value = if spec.rules.is_some() {
            "[]networking.IngressRule{}"
        } else {
            "[]networking.IngressRule(nil)"
        };
        errs.push(FieldError::invalid(
            path,
            BadValue::Raw(value.into()),
            "either `defaultBackend` or `rules` must be specified",
        ));
    }
    if let Some(b) = &spec.default_backend {
        errs.extend(validate_backend(b, &path.child("defaultBackend")));
    }
    let rules_path = path.child("rules");
    for (i, rule) in rules.iter().enumerate() {
        let rp = rules_path.index(i);
        if let Some(host) = rule.host.as_deref().filter(|h| !h.is_empty()) {
            errs.extend(validate_host(host, &rp.child("host")));
        }
        if let Some(http) = &rule.http {
            let hp = rp.child("http").child("paths");
            if http.paths.is_empty() {
                errs.push(FieldError::required(&hp, ""));
            }
            for (j, p) in http.paths.iter().enumerate() {
                errs.extend(validate_path(p, &hp.index(j)));
            }
        }
    }
    let tls_path = path.child("tls");
    for (i, tls) in spec.tls.iter().flatten().enumerate() {
        let tp = tls_path.index(i);
        for (j, host) in tls.hosts.iter().flatten().enumerate() {
            let messages = if host.contains('*') {
                is_wildcard_dns1123_subdomain(host)
            } else {
                is_dns1123_subdomain(host)
            };
            for msg in messages {
                errs.push(FieldError::invalid(
                    &tp.child("hosts").index(j),
                    host.as_str(),
                    &msg,
                ));
            }
        }
        if !allow_invalid_secrets {
            let name = tls.secret_name.as_deref().unwrap_or("");
            for msg in secret_name_messages(name) {
                errs.push(FieldError::invalid(&tp.child("secretName"), name, &msg));
            }
        }
    }
    if let Some(class) = &spec.ingress_class_name {
        for msg in is_dns1123_subdomain(class) {
            errs.push(FieldError::invalid(
                &path.child("ingressClassName"),
                class.as_str(),
                &msg,
            ));
        }
    }
    errs
}

fn validate_host(host: &str, path: &Path) -> ErrorList {
    let mut errs = Vec::new();
    if host.parse::<IpAddr>().is_ok() {
        errs.push(FieldError::invalid(
            path,
            host,
            "must be a DNS name, not an IP address",
        ));
    }
    let messages = if host.contains('*') {
        is_wildcard_dns1123_subdomain(host)
    } else {
        is_dns1123_subdomain(host)
    };
    for msg in messages {
        errs.push(FieldError::invalid(path, host, &msg));
    }
    errs
}

const INVALID_SEQUENCES: &[&str] = &["//", "/./", "/../", "%2f", "%2F"];
const INVALID_SUFFIXES: &[&str] = &["/..", "/."];

/// Upstream `validateHTTPIngressPath`.
fn validate_path(p: &HTTPIngressPath, path: &Path) -> ErrorList {
    let mut errs = Vec::new();
    let value = p.path.as_deref().unwrap_or("");
    let path_path = path.child("path");
    match p.path_type.as_str() {
        "" => {
            return vec![FieldError::required(
                &path.child("pathType"),
                "pathType must be specified",
            )];
        }
        "Exact" | "Prefix" => {
            if !value.starts_with('/') {
                errs.push(FieldError::invalid(
                    &path_path,
                    value,
                    "must be an absolute path",
                ));
            }
            for seq in INVALID_SEQUENCES.iter().filter(|s| value.contains(*s)) {
                errs.push(FieldError::invalid(
                    &path_path,
                    value,
                    &format!("must not contain '{seq}'"),
                ));
            }
            for suffix in INVALID_SUFFIXES.iter().filter(|s| value.ends_with(*s)) {
                errs.push(FieldError::invalid(
                    &path_path,
                    value,
                    &format!("cannot end with '{suffix}'"),
                ));
            }
        }
        "ImplementationSpecific" => {
            if !value.is_empty() && !value.starts_with('/') {
                errs.push(FieldError::invalid(
                    &path_path,
                    value,
                    "must be an absolute path",
                ));
            }
        }
        other => errs.push(FieldError::not_supported(
            &path.child("pathType"),
            other,
            &["Exact", "ImplementationSpecific", "Prefix"],
        )),
    }
    errs.extend(validate_backend(&p.backend, &path.child("backend")));
    errs
}

/// Upstream `validateIngressBackend`: a resource or a service with a port name or number.
fn validate_backend(b: &IngressBackend, path: &Path) -> ErrorList {
    match (&b.resource, &b.service) {
        (Some(_), Some(_)) => vec![FieldError::invalid(
            path,
            "",
            "cannot set both resource and service backends",
        )],
        (Some(r), None) => validate_typed_reference(
            r.api_group.as_deref(),
            &r.kind,
            &r.name,
            &path.child("resource"),
        ),
        (None, Some(s)) => {
            let mut errs = Vec::new();
            let name_path = path.child("service").child("name");
            if s.name.is_empty() {
                errs.push(FieldError::required(&name_path, ""));
            } else {
                for msg in is_dns1035_label(&s.name) {
                    errs.push(FieldError::invalid(&name_path, s.name.as_str(), &msg));
                }
            }
            let port = s.port.clone().unwrap_or_default();
            let name = port.name.unwrap_or_default();
            let number = port.number.unwrap_or(0);
            let port_path = path.child("service").child("port");
            match (!name.is_empty(), number != 0) {
                (true, true) => errs.push(FieldError::invalid(
                    path,
                    "",
                    "cannot set both port name & port number",
                )),
                (true, false) => {
                    for msg in is_valid_port_name(&name) {
                        errs.push(FieldError::invalid(
                            &port_path.child("name"),
                            name.as_str(),
                            &msg,
                        ));
                    }
                }
                (false, true) => {
                    for msg in is_valid_port_num(number.into()) {
                        errs.push(FieldError::invalid(
                            &port_path.child("number"),
                            number,
                            &msg,
                        ));
                    }
                }
                (false, false) => errs.push(FieldError::required(
                    path,
                    "port name or number is required",
                )),
            }
            errs
        }
        (None, None) => vec![FieldError::invalid(
            path,
            "",
            "resource or service backend is required",
        )],
    }
}

/// Upstream `validateIngressTypedLocalObjectReference`.
fn validate_typed_reference(group: Option<&str>, kind: &str, name: &str, path: &Path) -> ErrorList {
    let mut errs = Vec::new();
    if let Some(g) = group {
        for msg in is_dns1123_subdomain(g) {
            errs.push(FieldError::invalid(&path.child("apiGroup"), g, &msg));
        }
    }
    for (field, value) in [("kind", kind), ("name", name)] {
        let p = path.child(field);
        if value.is_empty() {
            errs.push(FieldError::required(&p, &format!("{field} is required")));
        } else {
            for msg in is_valid_path_segment_name(value) {
                errs.push(FieldError::invalid(&p, value, &msg));
            }
        }
    }
    errs
}

pub struct IngressClassStrategy;

impl TypedStrategy<IngressClass> for IngressClassStrategy {
    fn default(&self, class: &mut IngressClass) {
        if let Some(p) = class.spec.as_mut().and_then(|s| s.parameters.as_mut()) {
            p.scope.get_or_insert_with(|| "Cluster".into());
        }
    }

    fn validate(&self, class: &IngressClass) -> ErrorList {
        let spec = class.spec.clone().unwrap_or_default();
        let path = Path::new("spec");
        let controller = spec.controller.as_deref().unwrap_or("");
        let cp = path.child("controller");
        let mut errs = Vec::new();
        if controller.len() > MAX_CONTROLLER_LENGTH {
            errs.push(FieldError::too_long(&cp, MAX_CONTROLLER_LENGTH as i64));
        }
        errs.extend(validate_domain_prefixed_path(controller, &cp));
        if let Some(p) = &spec.parameters {
            errs.extend(validate_parameters(p, &path.child("parameters")));
        }
        errs
    }

    fn validate_update(&self, class: &IngressClass, old: &IngressClass) -> ErrorList {
        let mut errs = self.validate(class);
        let controller = |c: &IngressClass| c.spec.as_ref().and_then(|s| s.controller.clone());
        let new = controller(class).unwrap_or_default();
        if new != controller(old).unwrap_or_default() {
            errs.push(FieldError::invalid(
                &Path::new("spec").child("controller"),
                new.as_str(),
                FIELD_IMMUTABLE_ERROR_MSG,
            ));
        }
        errs
    }
}

fn validate_parameters(p: &IngressClassParametersReference, path: &Path) -> ErrorList {
    let mut errs = validate_typed_reference(p.api_group.as_deref(), &p.kind, &p.name, path);
    let (scope_path, ns_path) = (path.child("scope"), path.child("namespace"));
    let Some(scope) = p.scope.as_deref() else {
        errs.push(FieldError::required(&scope_path, ""));
        return errs;
    };
    match scope {
        "Namespace" => match p.namespace.as_deref() {
            None => errs.push(FieldError::required(
                &ns_path,
                "`parameters.scope` is set to 'Namespace'",
            )),
            Some(ns) => {
                for msg in validate_namespace_name(ns, false) {
                    errs.push(FieldError::invalid(&ns_path, ns, &msg));
                }
            }
        },
        "Cluster" => {
            if p.namespace.is_some() {
                errs.push(FieldError::forbidden(
                    &ns_path,
                    "`parameters.scope` is set to 'Cluster'",
                ));
            }
        }
        other => errs.push(FieldError::not_supported(
            &scope_path,
            other,
            &["Cluster", "Namespace"],
        )),
    }
    errs
}

#[cfg(test)]
#[path = "ingress_tests.rs"]
mod tests;
