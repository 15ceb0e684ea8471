//! The parameters operations accept, and which verbs accept which.

/// JSON type of a parameter value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ParamType {
    String,
    Boolean,
    Integer,
}

impl ParamType {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            ParamType::String => "string",
            ParamType::Boolean => "boolean",
            ParamType::Integer => "integer",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Location {
    Path,
    Query,
}

impl Location {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Location::Path => "path",
            Location::Query => "query",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Param {
    pub name: &'static str,
    pub location: Location,
    pub kind: ParamType,
    pub description: String,
}

/// Query parameters: name, type and what they do.
const QUERY_PARAMS: &[(&str, ParamType, &str)] = &[
    (
        "allowWatchBookmarks",
        ParamType::Boolean,
        "Asks a watch to also send BOOKMARK events; servers may send them at any interval or not at all. Ignored unless watching.",
    ),
    (
        "command",
        ParamType::String,
        "Command to run in the container; repeat the parameter for each argument.",
    ),
    (
        "container",
        ParamType::String,
        "The container to use; may be omitted when the pod has a single container.",
    ),
    (
        "continue",
        ParamType::String,
        "Token from a previous paginated list response, asking for the next page of results.",
    ),
    (
        "dryRun",
        ParamType::String,
        "When set to All, the request is fully processed but nothing is persisted.",
    ),
    (
        "fieldManager",
        ParamType::String,
        "Name of the actor making the change, recorded in managedFields. Required for apply patches.",
    ),
    (
        "fieldSelector",
        ParamType::String,
        "Restricts the returned objects by field values. Defaults to everything.",
    ),
    (
        "fieldValidation",
        ParamType::String,
        "How to treat unknown or duplicate fields in the request body: Ignore, Warn (the default) or Strict.",
    ),
    (
        "follow",
        ParamType::Boolean,
        "Keep streaming the log as it grows.",
    ),
    (
        "force",
        ParamType::Boolean,
        "Take over fields that other managers own when applying. Only valid for apply patches.",
    ),
    (
        "gracePeriodSeconds",
        ParamType::Integer,
        "Seconds to wait before the object is deleted; zero deletes at once, unset uses the type's default.",
    ),
    (
        "ignoreStoreReadErrorWithClusterBreakingPotential",
        ParamType::Boolean,
        "Deletes an object that cannot be read back from storage, skipping finalizers and preconditions. Dangerous.",
    ),
    (
        "insecureSkipTLSVerifyBackend",
        ParamType::Boolean,
        "Do not verify the serving certificate of the kubelet the log is read from.",
    ),
    (
        "labelSelector",
        ParamType::String,
        "Restricts the returned objects by labels. Defaults to everything.",
    ),
    (
        "limit",
        ParamType::Integer,
        "Largest number of items to return; when more exist the list metadata carries a continue token.",
    ),
    (
        "limitBytes",
        ParamType::Integer,
        "Stop after this many bytes of log output.",
    ),
    (
        "orphanDependents",
        ParamType::Boolean,
        "Deprecated, use propagationPolicy. Whether dependents are orphaned.",
    ),
    ("path", ParamType::String, "Path to forward the request to."),
    (
        "ports",
        ParamType::Integer,
        "Ports to forward; repeat the parameter for each port.",
    ),
    (
        "pretty",
        ParamType::String,
        "If 'true', the output is indented.",
    ),
    (
        "previous",
        ParamType::Boolean,
        "Return the log of the previous, terminated instance of the container.",
    ),
    (
        "propagationPolicy",
        ParamType::String,
        "How dependents are garbage collected: Orphan, Background or Foreground.",
    ),
    (
        "resourceVersion",
        ParamType::String,
        "Constrains which resource version the request may be served from.",
    ),
    (
        "resourceVersionMatch",
        ParamType::String,
        "How resourceVersion applies to a list: Exact or NotOlderThan.",
    ),
    (
        "sendInitialEvents",
        ParamType::Boolean,
        "Starts a watch with synthetic events for the current objects, followed by a bookmark.",
    ),
    (
        "sinceSeconds",
        ParamType::Integer,
        "Only return log lines newer than this many seconds.",
    ),
    (
        "stderr",
        ParamType::Boolean,
        "Attach to the container's standard error.",
    ),
    (
        "stdin",
        ParamType::Boolean,
        "Attach to the container's standard input.",
    ),
    (
        "stdout",
        ParamType::Boolean,
        "Attach to the container's standard output.",
    ),
    (
        "stream",
        ParamType::String,
        "Which log stream to return: All, Stdout or Stderr.",
    ),
    (
        "tailLines",
        ParamType::Integer,
        "Number of lines from the end of the log to show.",
    ),
    (
        "timeoutSeconds",
        ParamType::Integer,
        "Ends the list or watch call after this many seconds.",
    ),
    (
        "timestamps",
        ParamType::Boolean,
        "Prefix every log line with its RFC3339 timestamp.",
    ),
    (
        "tty",
        ParamType::Boolean,
        "Allocate a terminal for the session.",
    ),
    (
        "watch",
        ParamType::Boolean,
        "Stream changes to the listed objects as add, update and delete events.",
    ),
];

pub(crate) const LIST: &[&str] = &[
    "allowWatchBookmarks",
    "continue",
    "fieldSelector",
    "labelSelector",
    "limit",
    "resourceVersion",
    "resourceVersionMatch",
    "sendInitialEvents",
    "timeoutSeconds",
    "watch",
];
pub(crate) const WRITE: &[&str] = &["dryRun", "fieldManager", "fieldValidation"];
pub(crate) const PATCH: &[&str] = &["dryRun", "fieldManager", "fieldValidation", "force"];
pub(crate) const DELETE: &[&str] = &[
    "dryRun",
    "gracePeriodSeconds",
    "ignoreStoreReadErrorWithClusterBreakingPotential",
    "orphanDependents",
    "propagationPolicy",
];
pub(crate) const DELETE_COLLECTION: &[&str] = &[
    "continue",
    "dryRun",
    "fieldSelector",
    "gracePeriodSeconds",
    "ignoreStoreReadErrorWithClusterBreakingPotential",
    "labelSelector",
    "limit",
    "orphanDependents",
    "propagationPolicy",
    "resourceVersion",
    "resourceVersionMatch",
    "sendInitialEvents",
    "timeoutSeconds",
];
pub(crate) const LOG: &[&str] = &[
    "container",
    "follow",
    "insecureSkipTLSVerifyBackend",
    "limitBytes",
    "previous",
    "sinceSeconds",
    "stream",
    "tailLines",
    "timestamps",
];

/// Query parameters of the streaming subresources, by subresource name.
pub(crate) fn connect_params(subresource: &str) -> &'static [&'static str] {
    match subresource {
        "exec" => &["command", "container", "stderr", "stdin", "stdout", "tty"],
        "attach" => &["container", "stderr", "stdin", "stdout", "tty"],
        "portforward" => &["ports"],
        "proxy" => &["path"],
        _ => &[],
    }
}

/// The query parameters called `names` (unknown names are skipped).
pub(crate) fn query(names: &[&str]) -> Vec<Param> {
    names
        .iter()
        .filter_map(|name| {
            QUERY_PARAMS.iter().find(|(known, _, _)| known == name).map(
                |(name, kind, description)| Param {
                    name,
                    location: Location::Query,
                    kind: *kind,
                    description: (*description).to_string(),
                },
            )
        })
        .collect()
}

/// A required string path parameter.
pub(crate) fn path(name: &'static str, description: String) -> Param {
    Param {
        name,
        location: Location::Path,
        kind: ParamType::String,
        description,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_listed_parameter_is_known() {
        let sets: [&[&str]; 6] = [LIST, WRITE, PATCH, DELETE, DELETE_COLLECTION, LOG];
        for set in sets {
            assert_eq!(query(set).len(), set.len(), "{set:?}");
        }
        for name in ["exec", "attach", "portforward", "proxy"] {
            let set = connect_params(name);
            assert_eq!(query(set).len(), set.len(), "{name}");
        }
        assert!(connect_params("status").is_empty());
    }

    #[test]
    fn parameters_carry_types() {
        let patch = query(PATCH);
        let force = patch.iter().find(|p| p.name == "force").expect("force");
        assert_eq!(force.kind, ParamType::Boolean);
        assert_eq!(force.location, Location::Query);
        let limit = query(&["limit"]);
        assert_eq!(limit[0].kind.as_str(), "integer");
        assert!(query(&["nonsense"]).is_empty());
    }
}
