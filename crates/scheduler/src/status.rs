//! Plugin statuses and upstream's `FitError` message.

use std::borrow::Cow;
use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use crate::plugins::PluginName;

/// Status codes of plugin results (upstream `framework.Code`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Code {
    Success,
    Error,
    /// The pod does not fit now; preemption may help.
    Unschedulable,
    /// The pod does not fit and preemption would not help.
    UnschedulableAndUnresolvable,
    Wait,
    Skip,
    Pending,
}

/// A plugin's verdict with its reasons.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Status {
    pub code: Code,
    pub reasons: Vec<Cow<'static, str>>,
    pub plugin: Option<PluginName>,
}

impl Status {
    pub fn new(code: Code, reason: impl Into<Cow<'static, str>>) -> Status {
        Status {
            code,
            reasons: vec![reason.into()],
            plugin: None,
        }
    }

    pub fn with_reasons(code: Code, reasons: Vec<Cow<'static, str>>) -> Status {
        Status {
            code,
            reasons,
            plugin: None,
        }
    }

    pub fn code_only(code: Code) -> Status {
        Status {
            code,
            reasons: Vec::new(),
            plugin: None,
        }
    }

    pub fn unschedulable(reason: impl Into<Cow<'static, str>>) -> Status {
        Status::new(Code::Unschedulable, reason)
    }

    pub fn unresolvable(reason: impl Into<Cow<'static, str>>) -> Status {
        Status::new(Code::UnschedulableAndUnresolvable, reason)
    }

    pub fn error(reason: impl Into<Cow<'static, str>>) -> Status {
        Status::new(Code::Error, reason)
    }

    pub fn skip() -> Status {
        Status::code_only(Code::Skip)
    }

    pub fn with_plugin(mut self, plugin: PluginName) -> Status {
        self.plugin = Some(plugin);
        self
    }

    /// Unschedulable or UnschedulableAndUnresolvable.
    pub fn is_rejected(&self) -> bool {
        matches!(
            self.code,
            Code::Unschedulable | Code::UnschedulableAndUnresolvable | Code::Pending
        )
    }

    /// Upstream `Status.Message`: the reasons joined by ", ".
    pub fn message(&self) -> String {
        self.reasons.join(", ")
    }
}

/// Why each node was rejected (upstream `NodeToStatus`): explicit
/// statuses, and one status for every node not listed.
#[derive(Clone, Debug)]
pub struct NodeToStatus {
    pub explicit: Vec<(Arc<str>, Status)>,
    pub absent: Status,
}

impl Default for NodeToStatus {
    fn default() -> Self {
        NodeToStatus {
            explicit: Vec::new(),
            absent: Status::code_only(Code::UnschedulableAndUnresolvable),
        }
    }
}

impl NodeToStatus {
    pub fn get(&self, node: &str) -> &Status {
        self.explicit
            .iter()
            .find(|(n, _)| &**n == node)
            .map(|(_, s)| s)
            .unwrap_or(&self.absent)
    }

    pub fn len(&self) -> usize {
        self.explicit.len()
    }

    pub fn is_empty(&self) -> bool {
        self.explicit.is_empty()
    }

    /// The sorted histogram of reasons over `num_all_nodes` nodes, as
    /// printed in a `FitError`: `3 Insufficient cpu, 2 node(s) ...`.
    pub fn histogram(&self, num_all_nodes: usize) -> String {
        let mut counts: BTreeMap<&str, usize> = BTreeMap::new();
        for (_, s) in &self.explicit {
            for r in &s.reasons {
                *counts.entry(r).or_default() += 1;
            }
        }
        if self.explicit.len() < num_all_nodes {
            let absent = num_all_nodes - self.explicit.len();
            for r in &self.absent.reasons {
                *counts.entry(r).or_default() += absent;
            }
        }
        let mut lines: Vec<String> = counts.iter().map(|(r, n)| format!("{n} {r}")).collect();
        lines.sort();
        lines.join(", ")
    }
}

/// Details of a failed scheduling attempt (upstream `Diagnosis`).
#[derive(Clone, Debug, Default)]
pub struct Diagnosis {
    pub node_to_status: NodeToStatus,
    pub unschedulable_plugins: BTreeSet<PluginName>,
    pub pending_plugins: BTreeSet<PluginName>,
    pub pre_filter_msg: String,
    pub post_filter_msg: String,
}

impl Diagnosis {
    pub fn add_plugin_status(&mut self, status: &Status) {
        let Some(plugin) = status.plugin else { return };
        if status.is_rejected() {
            self.unschedulable_plugins.insert(plugin);
        }
        if status.code == Code::Pending {
            self.pending_plugins.insert(plugin);
        }
    }
}

/// No node fits the pod (upstream `FitError`).
#[derive(Clone, Debug)]
pub struct FitError {
    pub num_all_nodes: usize,
    pub diagnosis: Diagnosis,
}

impl FitError {
    /// `0/N nodes are available: <PreFilterMsg>. <histogram>. <PostFilterMsg>`.
    pub fn message(&self) -> String {
        let mut msg = format!("0/{} nodes are available:", self.num_all_nodes);
        let d = &self.diagnosis;
        if !d.pre_filter_msg.is_empty() {
            msg.push_str(&format!(" {}.", d.pre_filter_msg));
        } else {
            let hist = d.node_to_status.histogram(self.num_all_nodes);
            if !hist.is_empty() {
                msg.push_str(&format!(" {hist}."));
            }
        }
        if !d.post_filter_msg.is_empty() {
            msg.push_str(&format!(" {}", d.post_filter_msg));
        }
        msg
    }
}

/// Upstream's event note limit (`NoteLengthLimit`).
pub const NOTE_LENGTH_LIMIT: usize = 1024;

/// Shortens a message to the event note limit with a ` ...` suffix.
pub fn truncate_message(message: &str) -> String {
    if message.len() <= NOTE_LENGTH_LIMIT {
        return message.to_string();
    }
    let suffix = " ...";
    let mut end = NOTE_LENGTH_LIMIT - suffix.len();
    while !message.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}{suffix}", &message[..end])
}

#[cfg(test)]
mod tests;
