//! What the API server knows about each resource type: names, scope, verbs, subresources, and the
//! strategy that defaults and validates its objects. Built-in types come from `builtin`; custom
//! resources are described the same way at run time.

use std::sync::Arc;

use capstan_apimachinery::{GroupKind, GroupResource};

use crate::strategy::Strategy;

pub const ALL_VERBS: &[&str] = &[
    "create",
    "delete",
    "deletecollection",
    "get",
    "list",
    "patch",
    "update",
    "watch",
];

/// A subresource served under a resource (`pods/status`, `deployments/scale`, …).
#[derive(Clone, Debug)]
pub struct Subresource {
    pub name: String,
    /// The kind it accepts and returns (`Scale` in autoscaling/v1 for scale).
    pub group: String,
    pub version: String,
    pub kind: String,
    pub verbs: Vec<String>,
}

/// How object names of a resource are validated (upstream's per-type name validators).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NameRule {
    /// DNS-1123 subdomain: most resources.
    Subdomain,
    /// DNS-1123 label: namespaces.
    Label,
    /// DNS-1035 label: services.
    Dns1035Label,
    /// Any string usable as a URL path segment: RBAC objects, persistent volumes.
    PathSegment,
    /// A canonical IP address (IPAddress objects are named by their address; the strategy checks
    /// the form).
    IpAddress,
}

impl NameRule {
    /// The validator: messages for an invalid name (`prefix`: the value is a generateName prefix).
    pub fn validator(self) -> capstan_apimachinery::validation::NameValidator {
        use capstan_apimachinery::validation as v;
        match self {
            NameRule::Subdomain => v::name_is_dns_subdomain,
            NameRule::Label => v::validate_namespace_name,
            NameRule::Dns1035Label => v::name_is_dns1035_label,
            NameRule::PathSegment => v::validate_path_segment_name,
            NameRule::IpAddress => |_, _| Vec::new(),
        }
    }
}

/// A custom resource's printer column (CRD `additionalPrinterColumns`).
#[derive(Clone, Debug)]
pub struct PrinterColumn {
    pub name: String,
    pub type_: String,
    pub format: String,
    pub description: String,
    pub priority: i32,
    pub json_path: String,
}

/// Where a custom resource keeps what its scale subresource reads and writes (JSON paths).
#[derive(Clone, Debug)]
pub struct ScalePaths {
    pub spec_replicas: String,
    pub status_replicas: String,
    pub label_selector: Option<String>,
}

/// One resource in one group-version.
#[derive(Clone)]
pub struct ResourceInfo {
    pub group: String,
    pub version: String,
    pub kind: String,
    pub list_kind: String,
    pub plural: String,
    pub singular: String,
    pub namespaced: bool,
    pub short_names: Vec<String>,
    pub categories: Vec<String>,
    pub verbs: Vec<String>,
    pub subresources: Vec<Subresource>,
    /// Where objects live in the store: one place per group-resource, whatever version serves them.
    pub storage: GroupResource,
    /// The version objects are stored in (objects served at another version are converted).
    pub storage_version: String,
    /// The OpenAPI definition describing the object (`io.k8s.api.core.v1.Pod`).
    pub definition: String,
    pub strategy: Arc<dyn Strategy>,
    /// `metadata.generation` is bumped when anything but metadata and status changes.
    pub tracks_generation: bool,
    /// Updates to an object that does not exist create it (upstream `AllowCreateOnUpdate`).
    pub create_on_update: bool,
    /// DELETE answers with the deleted object rather than a Status (upstream `ReturnDeletedObject`).
    pub return_deleted_object: bool,
    pub name_rule: NameRule,
    /// Clients may set status when they create an object (nodes register with theirs); for every
    /// other resource with a status subresource, status starts empty.
    pub status_on_create: bool,
    /// Table columns of a custom resource (built-in types use `capstan-printers`).
    pub printer_columns: Option<std::sync::Arc<Vec<PrinterColumn>>>,
    /// The scale subresource's paths, for custom resources.
    pub scale_paths: Option<ScalePaths>,
    /// Served from a CustomResourceDefinition rather than built in.
    pub custom: bool,
    /// A custom resource's `openAPIV3Schema` for this version (built-in types are described by
    /// `definition` in the served OpenAPI documents).
    pub schema: Option<std::sync::Arc<serde_json::Value>>,
    /// Requests to this version cannot be served (e.g. a CRD version needing a conversion webhook,
    /// which Capstan does not call yet): every request gets a 503 with this explanation.
    pub unavailable: Option<String>,
}

impl std::fmt::Debug for ResourceInfo {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{} {}", self.group, self.version, self.plural)
    }
}

impl ResourceInfo {
    pub fn api_version(&self) -> String {
        if self.group.is_empty() {
            self.version.clone()
        } else {
            format!("{}/{}", self.group, self.version)
        }
    }

    pub fn group_resource(&self) -> GroupResource {
        GroupResource::new(&self.group, &self.plural)
    }

    pub fn group_kind(&self) -> GroupKind {
        GroupKind::new(&self.group, &self.kind)
    }

    pub fn has_verb(&self, verb: &str) -> bool {
        self.verbs.iter().any(|v| v == verb)
    }

    pub fn subresource(&self, name: &str) -> Option<&Subresource> {
        self.subresources.iter().find(|s| s.name == name)
    }

    pub fn has_status(&self) -> bool {
        self.subresource("status").is_some()
    }

    /// The store key of an object (`/registry/<group>/<resource>/<namespace>/<name>`).
    pub fn key(&self, namespace: &str, name: &str) -> String {
        let mut k = self.prefix(Some(namespace));
        k.push_str(name);
        k
    }

    /// The store prefix for every object of this resource, or those in one namespace.
    pub fn prefix(&self, namespace: Option<&str>) -> String {
        let group = if self.storage.group.is_empty() {
            "core"
        } else {
            &self.storage.group
        };
        match namespace {
            Some(ns) if self.namespaced && !ns.is_empty() => {
                format!("/registry/{group}/{}/{ns}/", self.storage.resource)
            }
            _ => format!("/registry/{group}/{}/", self.storage.resource),
        }
    }
}
