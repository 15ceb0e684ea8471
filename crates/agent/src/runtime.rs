//! What the runtime holds for one pod (its sandboxes and containers, newest first), read through
//! CRI and keyed by the labels the agent puts on everything it creates.

use std::collections::HashMap;

use crate::cri::{Cri, CriResult, pb};

pub const LABEL_POD_NAME: &str = "io.kubernetes.pod.name";
pub const LABEL_POD_NAMESPACE: &str = "io.kubernetes.pod.namespace";
pub const LABEL_POD_UID: &str = "io.kubernetes.pod.uid";
pub const LABEL_CONTAINER_NAME: &str = "io.kubernetes.container.name";
/// The agent's mark on what it created (containers without it are not ours to judge).
pub const LABEL_MANAGED: &str = "capstan.dev/managed";
pub const ANNOTATION_HASH: &str = "io.kubernetes.container.hash";
pub const ANNOTATION_RESTART_COUNT: &str = "io.kubernetes.container.restartCount";
pub const ANNOTATION_TERMINATION_MESSAGE_PATH: &str =
    "io.kubernetes.container.terminationMessagePath";
pub const ANNOTATION_TERMINATION_MESSAGE_FILE: &str = "capstan.dev/termination-message-file";
pub const ANNOTATION_TERMINATION_MESSAGE_POLICY: &str =
    "io.kubernetes.container.terminationMessagePolicy";
pub const ANNOTATION_PRESTOP: &str = "io.kubernetes.container.preStopHandler";
pub const ANNOTATION_GRACE: &str = "io.kubernetes.pod.terminationGracePeriod";

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CState {
    Created,
    Running,
    Exited,
    Unknown,
}

impl CState {
    pub fn from_cri(state: i32) -> CState {
        match pb::ContainerState::try_from(state) {
            Ok(pb::ContainerState::ContainerCreated) => CState::Created,
            Ok(pb::ContainerState::ContainerRunning) => CState::Running,
            Ok(pb::ContainerState::ContainerExited) => CState::Exited,
            _ => CState::Unknown,
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct SandboxInfo {
    pub id: String,
    pub attempt: u32,
    pub ready: bool,
    /// Nanoseconds since the epoch.
    pub created_at: i64,
    pub ips: Vec<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct ContainerInfo {
    pub id: String,
    pub name: String,
    pub attempt: u32,
    pub sandbox_id: String,
    pub state: CState,
    pub created_at: i64,
    pub started_at: i64,
    pub finished_at: i64,
    pub exit_code: i32,
    pub reason: String,
    pub message: String,
    pub image: String,
    pub image_ref: String,
    pub hash: String,
    pub annotations: HashMap<String, String>,
    pub log_path: String,
}

/// Everything the runtime has for one pod, newest first.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PodRuntime {
    pub sandboxes: Vec<SandboxInfo>,
    pub containers: Vec<ContainerInfo>,
}

impl PodRuntime {
    /// The newest container of `name`.
    pub fn latest(&self, name: &str) -> Option<&ContainerInfo> {
        self.containers.iter().find(|c| c.name == name)
    }

    /// The container of `name` before the newest.
    pub fn previous(&self, name: &str) -> Option<&ContainerInfo> {
        self.containers.iter().filter(|c| c.name == name).nth(1)
    }

    pub fn newest_sandbox(&self) -> Option<&SandboxInfo> {
        self.sandboxes.first()
    }

    pub fn ready_sandbox(&self) -> Option<&SandboxInfo> {
        self.sandboxes.first().filter(|s| s.ready)
    }

    pub fn running(&self) -> impl Iterator<Item = &ContainerInfo> {
        self.containers
            .iter()
            .filter(|c| matches!(c.state, CState::Running | CState::Unknown))
    }

    pub fn is_empty(&self) -> bool {
        self.sandboxes.is_empty() && self.containers.is_empty()
    }
}

pub fn uid_filter_labels(uid: &str) -> HashMap<String, String> {
    HashMap::from([(LABEL_POD_UID.to_owned(), uid.to_owned())])
}

/// Builds the view from CRI answers (pure).
pub fn from_cri(
    mut sandboxes: Vec<pb::PodSandbox>,
    newest_status: Option<&pb::PodSandboxStatus>,
    statuses: Vec<pb::ContainerStatus>,
) -> PodRuntime {
    sandboxes.sort_by_key(|s| std::cmp::Reverse(s.created_at));
    let sandboxes = sandboxes
        .into_iter()
        .enumerate()
        .map(|(i, s)| {
            let mut ips = Vec::new();
            if i == 0
                && let Some(net) = newest_status.and_then(|st| st.network.as_ref())
            {
                if !net.ip.is_empty() {
                    ips.push(net.ip.clone());
                }
                ips.extend(net.additional_ips.iter().map(|p| p.ip.clone()));
            }
            SandboxInfo {
                attempt: s.metadata.as_ref().map(|m| m.attempt).unwrap_or(0),
                ready: s.state == pb::PodSandboxState::SandboxReady as i32,
                created_at: s.created_at,
                ips,
                id: s.id,
            }
        })
        .collect();
    let mut containers: Vec<ContainerInfo> = statuses
        .into_iter()
        .map(|s| {
            let name = s
                .metadata
                .as_ref()
                .map(|m| m.name.clone())
                .or_else(|| s.labels.get(LABEL_CONTAINER_NAME).cloned())
                .unwrap_or_default();
            ContainerInfo {
                attempt: s.metadata.as_ref().map(|m| m.attempt).unwrap_or(0),
                sandbox_id: String::new(),
                state: CState::from_cri(s.state),
                created_at: s.created_at,
                started_at: s.started_at,
                finished_at: s.finished_at,
                exit_code: s.exit_code,
                reason: s.reason,
                message: s.message,
                image: s.image.map(|i| i.image).unwrap_or_default(),
                image_ref: s.image_ref,
                hash: s
                    .annotations
                    .get(ANNOTATION_HASH)
                    .cloned()
                    .unwrap_or_default(),
                annotations: s.annotations,
                log_path: s.log_path,
                id: s.id,
                name,
            }
        })
        .collect();
    containers.sort_by(|a, b| {
        b.created_at
            .cmp(&a.created_at)
            .then(b.attempt.cmp(&a.attempt))
    });
    PodRuntime {
        sandboxes,
        containers,
    }
}

/// Reads the pod's sandboxes and containers from the runtime.
pub async fn fetch(cri: &Cri, uid: &str) -> CriResult<PodRuntime> {
    let sandboxes = cri
        .list_pod_sandbox(Some(pb::PodSandboxFilter {
            label_selector: uid_filter_labels(uid),
            ..Default::default()
        }))
        .await?;
    let containers = cri
        .list_containers(Some(pb::ContainerFilter {
            label_selector: uid_filter_labels(uid),
            ..Default::default()
        }))
        .await?;
    let newest = sandboxes.iter().max_by_key(|s| s.created_at);
    let newest_status = match newest {
        Some(s) if s.state == pb::PodSandboxState::SandboxReady as i32 => {
            match cri.pod_sandbox_status(&s.id).await {
                Ok(st) => Some(st),
                Err(e) if e.is_not_found() => None,
                Err(e) => return Err(e),
            }
        }
        _ => None,
    };
    let sandbox_of: HashMap<String, String> = containers
        .iter()
        .map(|c| (c.id.clone(), c.pod_sandbox_id.clone()))
        .collect();
    let mut statuses = Vec::with_capacity(containers.len());
    for c in &containers {
        match cri.container_status(&c.id).await {
            Ok(s) => statuses.push(s),
            // Removed between the listing and now.
            Err(e) if e.is_not_found() => {}
            Err(e) => return Err(e),
        }
    }
    let mut rt = from_cri(sandboxes, newest_status.as_ref(), statuses);
    for c in &mut rt.containers {
        c.sandbox_id = sandbox_of.get(&c.id).cloned().unwrap_or_default();
    }
    Ok(rt)
}

/// Nanoseconds since the epoch → RFC 3339 (whole seconds, as the API stores times).
pub fn rfc3339_ns(ns: i64) -> Option<String> {
    if ns <= 0 {
        return None;
    }
    let dt = chrono::DateTime::from_timestamp(ns / 1_000_000_000, 0)?;
    Some(dt.format("%Y-%m-%dT%H:%M:%SZ").to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn status(
        id: &str,
        name: &str,
        attempt: u32,
        created: i64,
        state: pb::ContainerState,
    ) -> pb::ContainerStatus {
        pb::ContainerStatus {
            id: id.into(),
            metadata: Some(pb::ContainerMetadata {
                name: name.into(),
                attempt,
            }),
            state: state as i32,
            created_at: created,
            ..Default::default()
        }
    }

    #[test]
    fn newest_first() {
        let rt = from_cri(
            vec![
                pb::PodSandbox {
                    id: "s1".into(),
                    created_at: 1,
                    state: pb::PodSandboxState::SandboxNotready as i32,
                    ..Default::default()
                },
                pb::PodSandbox {
                    id: "s2".into(),
                    created_at: 2,
                    state: pb::PodSandboxState::SandboxReady as i32,
                    ..Default::default()
                },
            ],
            Some(&pb::PodSandboxStatus {
                network: Some(pb::PodSandboxNetworkStatus {
                    ip: "10.42.0.5".into(),
                    additional_ips: vec![],
                }),
                ..Default::default()
            }),
            vec![
                status("a0", "app", 0, 10, pb::ContainerState::ContainerExited),
                status("a1", "app", 1, 20, pb::ContainerState::ContainerRunning),
                status("b0", "side", 0, 15, pb::ContainerState::ContainerRunning),
            ],
        );
        assert_eq!(rt.ready_sandbox().unwrap().id, "s2");
        assert_eq!(
            rt.ready_sandbox().unwrap().ips,
            vec!["10.42.0.5".to_owned()]
        );
        assert_eq!(rt.latest("app").unwrap().id, "a1");
        assert_eq!(rt.previous("app").unwrap().id, "a0");
        assert!(rt.previous("side").is_none());
        assert_eq!(rt.running().count(), 2);
        assert_eq!(
            rfc3339_ns(1_700_000_000_000_000_000).unwrap(),
            "2023-11-14T22:13:20Z"
        );
        assert_eq!(rfc3339_ns(0), None);
    }
}
