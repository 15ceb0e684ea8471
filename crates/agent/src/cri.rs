//! The CRI v1 client: containerd's RuntimeService and ImageService over its unix socket, every call
//! counted and timed under the kubelet's operation_type names.

use std::future::Future;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use tonic::transport::{Channel, Endpoint};

use crate::metrics::Metrics;

#[allow(clippy::all, clippy::pedantic)]
pub mod pb {
    tonic::include_proto!("runtime.v1");
}

use pb::image_service_client::ImageServiceClient;
use pb::runtime_service_client::RuntimeServiceClient;

/// The kubelet's default runtime request timeout.
const TIMEOUT: Duration = Duration::from_secs(120);
/// The kubelet's limit on CRI messages (large listings on busy nodes).
const MAX_MESSAGE: usize = 16 * 1024 * 1024;

/// A CRI error: the gRPC status, or a timeout.
#[derive(Debug)]
pub enum CriError {
    Status(tonic::Status),
    Timeout(&'static str),
}

impl std::error::Error for CriError {}

impl std::fmt::Display for CriError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            CriError::Status(s) => {
                write!(f, "rpc error: code = {:?} desc = {}", s.code(), s.message())
            }
            CriError::Timeout(op) => write!(f, "{op}: context deadline exceeded"),
        }
    }
}

impl CriError {
    pub fn is_not_found(&self) -> bool {
        matches!(self, CriError::Status(s) if s.code() == tonic::Code::NotFound)
    }

    /// The message alone (without the gRPC code), as the kubelet shows runtime errors to users.
    pub fn message(&self) -> String {
        match self {
            CriError::Status(s) => s.message().to_owned(),
            CriError::Timeout(op) => format!("{op}: context deadline exceeded"),
        }
    }
}

pub type CriResult<T> = Result<T, CriError>;

/// Cloning is cheap: clones share one HTTP/2 connection.
#[derive(Clone)]
pub struct Cri {
    runtime: RuntimeServiceClient<Channel>,
    images: ImageServiceClient<Channel>,
    metrics: Arc<Metrics>,
    pub endpoint: PathBuf,
}

impl Cri {
    /// A client for the runtime at `socket` (a path, or `unix://path`). The connection is made on
    /// first use and remade after the runtime restarts.
    pub fn new(socket: &Path, metrics: Arc<Metrics>) -> anyhow::Result<Cri> {
        let path = socket_path(socket);
        let connect_path = path.clone();
        let channel = Endpoint::try_from("http://[::]:0")?
            .connect_timeout(Duration::from_secs(5))
            .connect_with_connector_lazy(tower::service_fn(move |_: http::Uri| {
                let path = connect_path.clone();
                async move {
                    let stream = tokio::net::UnixStream::connect(path).await?;
                    Ok::<_, std::io::Error>(hyper_util::rt::TokioIo::new(stream))
                }
            }));
        Ok(Cri {
            runtime: RuntimeServiceClient::new(channel.clone())
                .max_decoding_message_size(MAX_MESSAGE)
                .max_encoding_message_size(MAX_MESSAGE),
            images: ImageServiceClient::new(channel)
                .max_decoding_message_size(MAX_MESSAGE)
                .max_encoding_message_size(MAX_MESSAGE),
            metrics,
            endpoint: path,
        })
    }

    async fn timed<T, F>(
        &self,
        op: &'static str,
        timeout: Option<Duration>,
        call: F,
    ) -> CriResult<T>
    where
        F: Future<Output = Result<tonic::Response<T>, tonic::Status>>,
    {
        let started = Instant::now();
        let result = match timeout {
            Some(t) => match tokio::time::timeout(t, call).await {
                Ok(r) => r.map(tonic::Response::into_inner).map_err(CriError::Status),
                Err(_) => Err(CriError::Timeout(op)),
            },
            None => call
                .await
                .map(tonic::Response::into_inner)
                .map_err(CriError::Status),
        };
        self.metrics
            .runtime_operation(op, started.elapsed(), result.is_err());
        result
    }

    pub async fn version(&self) -> CriResult<pb::VersionResponse> {
        let mut c = self.runtime.clone();
        self.timed(
            "version",
            Some(Duration::from_secs(5)),
            c.version(pb::VersionRequest {
                version: "v1".into(),
            }),
        )
        .await
    }

    pub async fn status(&self) -> CriResult<pb::StatusResponse> {
        let mut c = self.runtime.clone();
        self.timed(
            "status",
            Some(TIMEOUT),
            c.status(pb::StatusRequest { verbose: false }),
        )
        .await
    }

    pub async fn run_pod_sandbox(&self, config: pb::PodSandboxConfig) -> CriResult<String> {
        let mut c = self.runtime.clone();
        // Network setup can be slow on a loaded node; the kubelet allows 4 minutes here.
        self.timed(
            "run_podsandbox",
            Some(Duration::from_secs(240)),
            c.run_pod_sandbox(pb::RunPodSandboxRequest {
                config: Some(config),
                runtime_handler: String::new(),
            }),
        )
        .await
        .map(|r| r.pod_sandbox_id)
    }

    pub async fn stop_pod_sandbox(&self, id: &str) -> CriResult<()> {
        let mut c = self.runtime.clone();
        self.timed(
            "stop_podsandbox",
            Some(TIMEOUT),
            c.stop_pod_sandbox(pb::StopPodSandboxRequest {
                pod_sandbox_id: id.into(),
            }),
        )
        .await
        .map(|_| ())
    }

    pub async fn remove_pod_sandbox(&self, id: &str) -> CriResult<()> {
        let mut c = self.runtime.clone();
        self.timed(
            "remove_podsandbox",
            Some(TIMEOUT),
            c.remove_pod_sandbox(pb::RemovePodSandboxRequest {
                pod_sandbox_id: id.into(),
            }),
        )
        .await
        .map(|_| ())
    }

    pub async fn pod_sandbox_status(&self, id: &str) -> CriResult<pb::PodSandboxStatus> {
        let mut c = self.runtime.clone();
        let r = self
            .timed(
                "podsandbox_status",
                Some(TIMEOUT),
                c.pod_sandbox_status(pb::PodSandboxStatusRequest {
                    pod_sandbox_id: id.into(),
                    verbose: false,
                }),
            )
            .await?;
        r.status
            .ok_or_else(|| CriError::Status(tonic::Status::not_found("no sandbox status")))
    }

    pub async fn list_pod_sandbox(
        &self,
        filter: Option<pb::PodSandboxFilter>,
    ) -> CriResult<Vec<pb::PodSandbox>> {
        let mut c = self.runtime.clone();
        self.timed(
            "list_podsandbox",
            Some(TIMEOUT),
            c.list_pod_sandbox(pb::ListPodSandboxRequest { filter }),
        )
        .await
        .map(|r| r.items)
    }

    pub async fn create_container(
        &self,
        sandbox_id: &str,
        config: pb::ContainerConfig,
        sandbox_config: pb::PodSandboxConfig,
    ) -> CriResult<String> {
        let mut c = self.runtime.clone();
        self.timed(
            "create_container",
            Some(TIMEOUT),
            c.create_container(pb::CreateContainerRequest {
                pod_sandbox_id: sandbox_id.into(),
                config: Some(config),
                sandbox_config: Some(sandbox_config),
            }),
        )
        .await
        .map(|r| r.container_id)
    }

    pub async fn start_container(&self, id: &str) -> CriResult<()> {
        let mut c = self.runtime.clone();
        self.timed(
            "start_container",
            Some(TIMEOUT),
            c.start_container(pb::StartContainerRequest {
                container_id: id.into(),
            }),
        )
        .await
        .map(|_| ())
    }

    /// Stops a container: its stop signal, then SIGKILL after `timeout_seconds`.
    pub async fn stop_container(&self, id: &str, timeout_seconds: i64) -> CriResult<()> {
        let mut c = self.runtime.clone();
        let deadline = TIMEOUT + Duration::from_secs(timeout_seconds.max(0) as u64);
        self.timed(
            "stop_container",
            Some(deadline),
            c.stop_container(pb::StopContainerRequest {
                container_id: id.into(),
                timeout: timeout_seconds,
            }),
        )
        .await
        .map(|_| ())
    }

    pub async fn remove_container(&self, id: &str) -> CriResult<()> {
        let mut c = self.runtime.clone();
        self.timed(
            "remove_container",
            Some(TIMEOUT),
            c.remove_container(pb::RemoveContainerRequest {
                container_id: id.into(),
            }),
        )
        .await
        .map(|_| ())
    }

    pub async fn list_containers(
        &self,
        filter: Option<pb::ContainerFilter>,
    ) -> CriResult<Vec<pb::Container>> {
        let mut c = self.runtime.clone();
        self.timed(
            "list_containers",
            Some(TIMEOUT),
            c.list_containers(pb::ListContainersRequest { filter }),
        )
        .await
        .map(|r| r.containers)
    }

    pub async fn container_status(&self, id: &str) -> CriResult<pb::ContainerStatus> {
        let mut c = self.runtime.clone();
        let r = self
            .timed(
                "container_status",
                Some(TIMEOUT),
                c.container_status(pb::ContainerStatusRequest {
                    container_id: id.into(),
                    verbose: false,
                }),
            )
            .await?;
        r.status
            .ok_or_else(|| CriError::Status(tonic::Status::not_found("no container status")))
    }

    /// Runs `cmd` in the container; (exit code, stdout, stderr).
    pub async fn exec_sync(
        &self,
        id: &str,
        cmd: Vec<String>,
        timeout: Duration,
    ) -> CriResult<(i32, Vec<u8>, Vec<u8>)> {
        let mut c = self.runtime.clone();
        let secs = timeout.as_secs().max(1) as i64;
        self.timed(
            "exec_sync",
            Some(timeout + Duration::from_secs(5)),
            c.exec_sync(pb::ExecSyncRequest {
                container_id: id.into(),
                cmd,
                timeout: secs,
            }),
        )
        .await
        .map(|r| (r.exit_code, r.stdout, r.stderr))
    }

    pub async fn list_container_stats(&self) -> CriResult<Vec<pb::ContainerStats>> {
        let mut c = self.runtime.clone();
        self.timed(
            "list_container_stats",
            Some(TIMEOUT),
            c.list_container_stats(pb::ListContainerStatsRequest { filter: None }),
        )
        .await
        .map(|r| r.stats)
    }

    pub async fn image_status(&self, image: &str) -> CriResult<Option<pb::Image>> {
        let mut c = self.images.clone();
        self.timed(
            "image_status",
            Some(TIMEOUT),
            c.image_status(pb::ImageStatusRequest {
                image: Some(image_spec(image)),
                verbose: false,
            }),
        )
        .await
        .map(|r| r.image)
    }

    pub async fn list_images(&self) -> CriResult<Vec<pb::Image>> {
        let mut c = self.images.clone();
        self.timed(
            "list_images",
            Some(TIMEOUT),
            c.list_images(pb::ListImagesRequest { filter: None }),
        )
        .await
        .map(|r| r.images)
    }

    /// Pulls `image`; returns the image reference (its id) the runtime now has.
    pub async fn pull_image(
        &self,
        image: &str,
        auth: Option<pb::AuthConfig>,
        sandbox: Option<pb::PodSandboxConfig>,
    ) -> CriResult<String> {
        let mut c = self.images.clone();
        // Pulls have no deadline in the kubelet; a progress deadline lives in the runtime.
        self.timed(
            "pull_image",
            None,
            c.pull_image(pb::PullImageRequest {
                image: Some(image_spec(image)),
                auth,
                sandbox_config: sandbox,
            }),
        )
        .await
        .map(|r| r.image_ref)
    }

    pub async fn image_fs_info(&self) -> CriResult<pb::ImageFsInfoResponse> {
        let mut c = self.images.clone();
        self.timed(
            "image_fs_info",
            Some(TIMEOUT),
            c.image_fs_info(pb::ImageFsInfoRequest {}),
        )
        .await
    }
}

pub fn image_spec(image: &str) -> pb::ImageSpec {
    pb::ImageSpec {
        image: image.into(),
        ..Default::default()
    }
}

/// `unix:///run/x.sock` or `/run/x.sock` → the path.
pub fn socket_path(endpoint: &Path) -> PathBuf {
    let text = endpoint.to_string_lossy();
    match text.strip_prefix("unix://") {
        Some(rest) => PathBuf::from(rest),
        None => endpoint.to_path_buf(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn endpoints_accept_both_forms() {
        assert_eq!(
            socket_path(Path::new("unix:///run/containerd/containerd.sock")),
            PathBuf::from("/run/containerd/containerd.sock")
        );
        assert_eq!(
            socket_path(Path::new("/tmp/c.sock")),
            PathBuf::from("/tmp/c.sock")
        );
    }
}
