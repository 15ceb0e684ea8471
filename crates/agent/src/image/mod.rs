//! Images: building (the pause image, test images), importing archives, registry settings, and
//! making sure a container's image is there as its pull policy says, with the kubelet's reasons
//! (ErrImagePull, ImagePullBackOff, ErrImageNeverPull, InvalidImageName) and back-off.

pub mod archive;
pub mod import;
pub mod reference;
pub mod registry;
pub mod tar;

use parking_lot::Mutex;
use serde_json::Value;

use crate::backoff::Backoff;
use crate::cri::{Cri, pb};
use crate::status::Waiting;
use reference::PullPolicy;

/// Pulls images for containers, remembering failures per pod and image.
pub struct ImageManager {
    cri: Cri,
    backoff: Mutex<Backoff>,
}

fn waiting(reason: &str, message: String) -> Waiting {
    Waiting {
        reason: reason.to_owned(),
        message,
    }
}

impl ImageManager {
    pub fn new(cri: Cri) -> ImageManager {
        ImageManager {
            cri,
            backoff: Mutex::new(Backoff::default()),
        }
    }

    /// Makes sure `image` is present for a container of pod `uid`; the image reference to create
    /// the container from, or why it is not there. `emit(type, reason, message)` records the
    /// kubelet's events on the way (Pulling, Pulled, Failed, BackOff, ErrImageNeverPull).
    pub async fn ensure(
        &self,
        uid: &str,
        image: &str,
        policy: Option<&str>,
        pull_secrets: &[Value],
        sandbox: &pb::PodSandboxConfig,
        emit: &(dyn Fn(&str, &str, String) + Sync),
    ) -> Result<String, Waiting> {
        let parsed = reference::parse(image).map_err(|e| {
            waiting(
                "InvalidImageName",
                format!("Failed to apply default image tag \"{image}\": couldn't parse image name \"{image}\": {e}"),
            )
        })?;
        let normalized = parsed.normalized();
        let policy = reference::pull_policy(image, policy);
        if policy != PullPolicy::Always {
            let present = self.cri.image_status(&normalized).await.map_err(|e| {
                waiting(
                    "ErrImageInspect",
                    format!("Failed to inspect image \"{image}\": {}", e.message()),
                )
            })?;
            if let Some(img) = present {
                emit(
                    "Normal",
                    "Pulled",
                    format!("Container image \"{image}\" already present on machine"),
                );
                return Ok(img.id);
            }
            if policy == PullPolicy::Never {
                let message =
                    format!("Container image \"{image}\" is not present with pull policy of Never");
                emit("Warning", "ErrImageNeverPull", message.clone());
                return Err(waiting("ErrImageNeverPull", message));
            }
        }
        let key = format!("{uid}_{normalized}");
        let now = crate::now_ms();
        {
            let b = self.backoff.lock();
            if b.in_backoff_since_update(&key, now) {
                let message = format!("Back-off pulling image \"{image}\"");
                emit("Normal", "BackOff", message.clone());
                return Err(waiting("ImagePullBackOff", message));
            }
        }
        let auth = registry::secret_auth(&parsed.registry, pull_secrets);
        tracing::info!(image = %image, "pulling image");
        emit("Normal", "Pulling", format!("Pulling image \"{image}\""));
        let started = std::time::Instant::now();
        match self
            .cri
            .pull_image(&normalized, auth, Some(sandbox.clone()))
            .await
        {
            Ok(r) => {
                self.backoff.lock().forget(&key);
                // Pulls are not queued here, so the time pulling is the time waited.
                let took = crate::backoff::go_duration(started.elapsed().as_millis() as i64);
                let size = match self.cri.image_status(&r).await {
                    Ok(Some(img)) => img.size,
                    _ => 0,
                };
                emit(
                    "Normal",
                    "Pulled",
                    format!(
                        "Successfully pulled image \"{image}\" in {took} ({took} including waiting). Image size: {size} bytes."
                    ),
                );
                Ok(r)
            }
            Err(e) => {
                self.backoff.lock().next(&key, crate::now_ms());
                let message = e.message();
                emit(
                    "Warning",
                    "Failed",
                    format!("Failed to pull image \"{image}\": {message}"),
                );
                Err(waiting("ErrImagePull", message))
            }
        }
    }

    /// Forgets failures of long ago.
    pub fn gc(&self) {
        self.backoff.lock().gc(crate::now_ms());
    }
}
