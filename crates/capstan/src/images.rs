//! `capstan images`: images in the node's container runtime (air-gapped imports).

use std::path::PathBuf;
use std::sync::Arc;

use anyhow::{Context, Result, bail};
use clap::{Args, Subcommand};

#[derive(Subcommand, Debug)]
pub enum ImagesCommand {
    /// Import docker-archive or OCI archives (FILE.tar…) into the runtime.
    Import {
        /// Archives to import.
        #[arg(required = true)]
        files: Vec<PathBuf>,
        #[command(flatten)]
        runtime: RuntimeArgs,
    },
    /// List the images the runtime holds.
    List {
        #[command(flatten)]
        runtime: RuntimeArgs,
    },
}

#[derive(Args, Debug)]
pub struct RuntimeArgs {
    /// The agent's data directory (its containerd socket is under DATA_DIR/agent/containerd).
    #[arg(long, default_value = "/var/lib/capstan")]
    data_dir: PathBuf,
    /// The CRI runtime socket (overrides --data-dir).
    #[arg(long)]
    container_runtime_endpoint: Option<PathBuf>,
}

impl RuntimeArgs {
    fn socket(&self) -> PathBuf {
        match &self.container_runtime_endpoint {
            Some(e) => capstan_agent::cri::socket_path(e),
            None => capstan_agent::default_runtime_socket(&self.data_dir),
        }
    }
}

pub async fn run(cmd: ImagesCommand) -> Result<()> {
    match cmd {
        ImagesCommand::Import { files, runtime } => {
            let socket = runtime.socket();
            if !socket.exists() {
                bail!(
                    "no container runtime socket at {}: start the agent first (or give --container-runtime-endpoint / --data-dir)",
                    socket.display()
                );
            }
            for file in &files {
                let names = capstan_agent::import_archive(&socket, file)
                    .await
                    .with_context(|| format!("cannot import {}", file.display()))?;
                for name in names {
                    println!("{name}");
                }
            }
            Ok(())
        }
        ImagesCommand::List { runtime } => {
            let socket = runtime.socket();
            let cri = capstan_agent::cri::Cri::new(
                &socket,
                Arc::new(capstan_agent::metrics::Metrics::new()),
            )?;
            let images = cri.list_images().await.map_err(|e| {
                anyhow::anyhow!(
                    "cannot list images through {}: {} (is the agent running?)",
                    socket.display(),
                    e.message()
                )
            })?;
            println!("{:<60} {:<20} {:>10}", "IMAGE", "ID", "SIZE");
            for image in images {
                let id = image.id.trim_start_matches("sha256:");
                let short = &id[..id.len().min(13)];
                let names = if image.repo_tags.is_empty() {
                    image.repo_digests.clone()
                } else {
                    image.repo_tags.clone()
                };
                for name in names {
                    println!("{:<60} {:<20} {:>10}", name, short, human(image.size));
                }
            }
            Ok(())
        }
    }
}

fn human(bytes: u64) -> String {
    const UNITS: [&str; 4] = ["B", "KiB", "MiB", "GiB"];
    let mut v = bytes as f64;
    let mut unit = 0;
    while v >= 1024.0 && unit < UNITS.len() - 1 {
        v /= 1024.0;
        unit += 1;
    }
    if unit == 0 {
        format!("{bytes}B")
    } else {
        format!("{v:.1}{}", UNITS[unit])
    }
}
