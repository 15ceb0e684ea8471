//! Environment variables of containers: values from the downward API, resources, config maps
//! and secrets (upstream ValidateEnv, validateEnvVarValueFrom, ValidateEnvFrom and the field
//! and resource selectors they use).

use capstan_apimachinery::validation::{
    is_config_map_key, is_relaxed_env_var_name, name_is_dns_subdomain,
};
use capstan_apimachinery::{ErrorList, FieldError, Path, Quantity};
use k8s_openapi::api::core::v1::{
    EnvFromSource, EnvVar, ObjectFieldSelector, ResourceFieldSelector,
};

use super::common::{invalid_each, not_supported, qualified_name, s};

/// Upstream ValidateEnv, with v1.33's relaxed variable names.
pub fn validate_env(vars: &[EnvVar], path: &Path) -> ErrorList {
    let mut errs = Vec::new();
    for (i, ev) in vars.iter().enumerate() {
        let p = path.index(i);
        if ev.name.is_empty() {
            errs.push(FieldError::required(&p.child("name"), ""));
        } else {
            errs.extend(invalid_each(
                &p.child("name"),
                &ev.name,
                is_relaxed_env_var_name(&ev.name),
            ));
        }
        errs.extend(validate_value_from(ev, &p.child("valueFrom")));
    }
    errs
}

const ENV_FIELD_PATHS: &[&str] = &[
    "metadata.name",
    "metadata.namespace",
    "metadata.uid",
    "spec.nodeName",
    "spec.serviceAccountName",
    "status.hostIP",
    "status.hostIPs",
    "status.podIP",
    "status.podIPs",
];

pub const VOLUME_FIELD_PATHS: &[&str] = &[
    "metadata.annotations",
    "metadata.labels",
    "metadata.name",
    "metadata.namespace",
    "metadata.uid",
];

const RESOURCE_FIELD_PATHS: &[&str] = &[
    "limits.cpu",
    "limits.ephemeral-storage",
    "limits.memory",
    "requests.cpu",
    "requests.ephemeral-storage",
    "requests.memory",
];

fn validate_value_from(ev: &EnvVar, path: &Path) -> ErrorList {
    let Some(from) = &ev.value_from else {
        return Vec::new();
    };
    let mut errs = Vec::new();
    let mut sources = 0;
    if let Some(f) = &from.field_ref {
        sources += 1;
        errs.extend(validate_field_selector(
            f,
            ENV_FIELD_PATHS,
            &path.child("fieldRef"),
        ));
    }
    if let Some(r) = &from.resource_field_ref {
        sources += 1;
        errs.extend(validate_resource_selector(
            r,
            false,
            &path.child("resourceFieldRef"),
        ));
    }
    if let Some(k) = &from.config_map_key_ref {
        sources += 1;
        errs.extend(validate_key_selector(
            &k.name,
            &k.key,
            &path.child("configMapKeyRef"),
        ));
    }
    if let Some(k) = &from.secret_key_ref {
        sources += 1;
        errs.extend(validate_key_selector(
            &k.name,
            &k.key,
            &path.child("secretKeyRef"),
        ));
    }
    if sources == 0 {
        errs.push(FieldError::invalid(
            path,
            "",
            "must specify one of: `fieldRef`, `resourceFieldRef`, `configMapKeyRef` or `secretKeyRef`",
        ));
    } else if !s(&ev.value).is_empty() {
        errs.push(FieldError::invalid(
            path,
            "",
            "may not be specified when `value` is not empty",
        ));
    } else if sources > 1 {
        errs.push(FieldError::invalid(
            path,
            "",
            "may not have more than one field specified at a time",
        ));
    }
    errs
}

/// Splits `metadata.labels['key']` into its path and subscript.
fn split_subscript(path: &str) -> Option<(&str, &str)> {
    let inner = path.strip_suffix("']")?;
    let (p, sub) = inner.split_once("['")?;
    Some((p, sub))
}

/// Upstream validateObjectFieldSelector (with ConvertDownwardAPIFieldLabel's messages).
pub fn validate_field_selector(
    f: &ObjectFieldSelector,
    allowed: &[&str],
    path: &Path,
) -> ErrorList {
    let version = s(&f.api_version);
    if version.is_empty() {
        return vec![FieldError::required(&path.child("apiVersion"), "")];
    }
    if f.field_path.is_empty() {
        return vec![FieldError::required(&path.child("fieldPath"), "")];
    }
    let label = f.field_path.as_str();
    let converted = if version != "v1" {
        Err(format!("unsupported pod version: {version}"))
    } else if let Some((p, _)) = split_subscript(label) {
        match p {
            "metadata.annotations" | "metadata.labels" => Ok(label),
            _ => Err(format!("field label does not support subscript: {label}")),
        }
    } else {
        match label {
            "spec.host" => Ok("spec.nodeName"),
            "metadata.annotations"
            | "metadata.labels"
            | "metadata.name"
            | "metadata.namespace"
            | "metadata.uid"
            | "spec.nodeName"
            | "spec.restartPolicy"
            | "spec.serviceAccountName"
            | "spec.schedulerName"
            | "status.phase"
            | "status.hostIP"
            | "status.hostIPs"
            | "status.podIP"
            | "status.podIPs" => Ok(label),
            _ => Err(format!("field label not supported: {label}")),
        }
    };
    let internal = match converted {
        Ok(p) => p,
        Err(e) => {
            let msg = format!("error converting fieldPath: {e}");
            return vec![FieldError::invalid(&path.child("fieldPath"), label, &msg)];
        }
    };
    match split_subscript(internal) {
        Some(("metadata.annotations", sub)) => qualified_name(&sub.to_lowercase(), path),
        Some(("metadata.labels", sub)) => qualified_name(sub, path),
        Some((p, _)) => vec![FieldError::invalid(path, p, "does not support subscript")],
        None if !allowed.contains(&internal) => {
            vec![not_supported(&path.child("fieldPath"), internal, allowed)]
        }
        None => Vec::new(),
    }
}

/// Upstream validateContainerResourceFieldSelector.
pub fn validate_resource_selector(
    r: &ResourceFieldSelector,
    volume: bool,
    path: &Path,
) -> ErrorList {
    let mut errs = Vec::new();
    let resource = r.resource.as_str();
    if volume && s(&r.container_name).is_empty() {
        errs.push(FieldError::required(&path.child("containerName"), ""));
    } else if resource.is_empty() {
        errs.push(FieldError::required(&path.child("resource"), ""));
    } else if !RESOURCE_FIELD_PATHS.contains(&resource)
        && !resource.starts_with("requests.hugepages-")
        && !resource.starts_with("limits.hugepages-")
    {
        errs.push(not_supported(
            &path.child("resource"),
            resource,
            RESOURCE_FIELD_PATHS,
        ));
    }
    if let Some(divisor) = &r.divisor {
        errs.extend(validate_divisor(resource, &divisor.0, path));
    }
    errs
}

const BYTE_DIVISORS: &[&str] = &[
    "1", "1k", "1M", "1G", "1T", "1P", "1E", "1Ki", "1Mi", "1Gi", "1Ti", "1Pi", "1Ei",
];

fn validate_divisor(resource: &str, divisor: &str, path: &Path) -> ErrorList {
    let Ok(q) = Quantity::parse(divisor) else {
        return vec![FieldError::invalid(
            &path.child("divisor"),
            divisor,
            "quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'",
        )];
    };
    if q.is_zero() {
        return Vec::new();
    }
    let text = q.canonical();
    let bytes_msg = |what: &str| {
        format!(
            "only divisor's values 1, 1k, 1M, 1G, 1T, 1P, 1E, 1Ki, 1Mi, 1Gi, 1Ti, 1Pi, 1Ei are supported with the {what}"
        )
    };
    let mut errs = Vec::new();
    let p = path.child("divisor");
    match resource {
        "limits.cpu" | "requests.cpu" if !["1m", "1"].contains(&text.as_str()) => {
            errs.push(FieldError::invalid(
                &p,
                resource,
                "only divisor's values 1m and 1 are supported with the cpu resource",
            ));
        }
        "limits.memory" | "requests.memory" if !BYTE_DIVISORS.contains(&text.as_str()) => {
            errs.push(FieldError::invalid(
                &p,
                resource,
                &bytes_msg("memory resource"),
            ));
        }
        "limits.ephemeral-storage" | "requests.ephemeral-storage"
            if !BYTE_DIVISORS.contains(&text.as_str()) =>
        {
            errs.push(FieldError::invalid(
                &p,
                resource,
                &bytes_msg("local ephemeral storage resource"),
            ));
        }
        _ => {}
    }
    let huge =
        resource.starts_with("requests.hugepages-") || resource.starts_with("limits.hugepages-");
    if huge && !BYTE_DIVISORS.contains(&text.as_str()) {
        errs.push(FieldError::invalid(
            &p,
            resource,
            &bytes_msg("hugepages resource"),
        ));
    }
    errs
}

/// Upstream validateConfigMapKeySelector / validateSecretKeySelector.
fn validate_key_selector(name: &str, key: &str, path: &Path) -> ErrorList {
    let mut errs = invalid_each(
        &path.child("name"),
        name,
        name_is_dns_subdomain(name, false),
    );
    if key.is_empty() {
        errs.push(FieldError::required(&path.child("key"), ""));
    } else {
        errs.extend(invalid_each(
            &path.child("key"),
            key,
            is_config_map_key(key),
        ));
    }
    errs
}

/// Upstream ValidateEnvFrom.
pub fn validate_env_from(sources: &[EnvFromSource], path: &Path) -> ErrorList {
    let mut errs = Vec::new();
    for (i, ev) in sources.iter().enumerate() {
        let p = path.index(i);
        let prefix = s(&ev.prefix);
        if !prefix.is_empty() {
            errs.extend(invalid_each(
                &p.child("prefix"),
                prefix,
                is_relaxed_env_var_name(prefix),
            ));
        }
        let mut count = 0;
        let refs = [
            ev.config_map_ref
                .as_ref()
                .map(|r| (r.name.as_str(), "configMapRef")),
            ev.secret_ref
                .as_ref()
                .map(|r| (r.name.as_str(), "secretRef")),
        ];
        for (name, field) in refs.into_iter().flatten() {
            count += 1;
            let np = p.child(field).child("name");
            if name.is_empty() {
                errs.push(FieldError::required(&np, ""));
            } else {
                errs.extend(invalid_each(&np, name, name_is_dns_subdomain(name, true)));
            }
        }
        if count == 0 {
            errs.push(FieldError::invalid(
                path,
                "",
                "must specify one of: `configMapRef` or `secretRef`",
            ));
        } else if count > 1 {
            errs.push(FieldError::invalid(
                path,
                "",
                "may not have more than one field specified at a time",
            ));
        }
    }
    errs
}

#[cfg(test)]
#[path = "env_tests.rs"]
mod tests;
