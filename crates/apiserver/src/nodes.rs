//! Nodes joining and the API server reaching them: the join token in `DATA_DIR/node-token`, the
//! unauthenticated `/cacerts` an agent pins with it, bearer authentication with that token, and the
//! HTTPS client for the agents' port 10250 (container logs).
//!
//! The token has k3s's shape, `K10<sha256 hex of the CA PEM>::node:<secret>`: an agent fetches
//! `/cacerts` without verification, checks the hash, and from then on trusts the CA. Until full
//! authentication lands every holder of the token is the same node identity.

use std::path::Path;
use std::sync::Arc;

use anyhow::{Context, Result};
use bytes::Bytes;
use capstan_apimachinery::ApiError;
use http_body_util::BodyExt;
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use sha2::Digest;

use crate::handler::User;

/// The user every join-token holder is, with the group upstream gives kubelets.
pub const NODE_TOKEN_USER: &str = "system:node:join-token";

#[derive(Debug)]
pub struct NodeAccess {
    pub token: String,
    pub ca_pem: String,
}

pub fn ca_hash(ca_pem: &str) -> String {
    hex(&sha2::Sha256::digest(ca_pem.as_bytes()))
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

impl NodeAccess {
    /// Reads `DATA_DIR/node-token`, or writes a new one; a token pinning another CA (the CA was
    /// replaced) is replaced too, since no agent could join with it.
    pub fn load_or_create(data_dir: &Path, ca_pem: &str) -> Result<NodeAccess> {
        let path = data_dir.join("node-token");
        let prefix = format!("K10{}::", ca_hash(ca_pem));
        if let Ok(existing) = std::fs::read_to_string(&path) {
            let existing = existing.trim();
            if existing.starts_with(&prefix) && existing.len() > prefix.len() {
                return Ok(NodeAccess {
                    token: existing.to_owned(),
                    ca_pem: ca_pem.to_owned(),
                });
            }
        }
        let secret: [u8; 16] = rand::random();
        let token = format!("{prefix}node:{}", hex(&secret));
        crate::pki::write_secret_file(&path, &format!("{token}\n"))
            .with_context(|| format!("cannot write the node join token {}", path.display()))?;
        Ok(NodeAccess {
            token,
            ca_pem: ca_pem.to_owned(),
        })
    }

    /// The identity behind an `Authorization: Bearer …` header carrying the join token.
    pub fn authenticate(&self, authorization: Option<&str>) -> Option<User> {
        let presented = authorization?.strip_prefix("Bearer ")?.trim();
        constant_time_eq(presented.as_bytes(), self.token.as_bytes()).then(|| User {
            name: NODE_TOKEN_USER.to_owned(),
            groups: vec!["system:nodes".into(), "system:authenticated".into()],
        })
    }

    /// GET `https://ADDRESS:PORT/PATH_AND_QUERY` on a node agent, answering with its body as a
    /// stream. The agent's serving certificate is self-signed, so it is not verified (as
    /// kube-apiserver without `--kubelet-certificate-authority`); the agent checks our token.
    pub async fn kubelet_get(
        &self,
        address: &str,
        port: u16,
        path_and_query: &str,
    ) -> Result<http::Response<hyper::body::Incoming>, ApiError> {
        let unreachable = |e: &dyn std::fmt::Display| {
            ApiError::new(
                500,
                "InternalError",
                format!("Get \"https://{address}:{port}{path_and_query}\": {e}"),
            )
        };
        let tcp = tokio::time::timeout(
            std::time::Duration::from_secs(10),
            tokio::net::TcpStream::connect((address, port)),
        )
        .await
        .map_err(|_| unreachable(&"dial tcp: i/o timeout"))?
        .map_err(|e| unreachable(&e))?;
        let config = rustls::ClientConfig::builder_with_provider(Arc::new(
            rustls::crypto::ring::default_provider(),
        ))
        .with_safe_default_protocol_versions()
        .map_err(|e| unreachable(&e))?
        .dangerous()
        .with_custom_certificate_verifier(Arc::new(AnyCertificate))
        .with_no_client_auth();
        let server_name = ServerName::try_from(address.to_owned())
            .unwrap_or_else(|_| ServerName::try_from("localhost").expect("static name"));
        let tls = tokio_rustls::TlsConnector::from(Arc::new(config))
            .connect(server_name, tcp)
            .await
            .map_err(|e| unreachable(&e))?;
        let (mut sender, conn) =
            hyper::client::conn::http1::handshake(hyper_util::rt::TokioIo::new(tls))
                .await
                .map_err(|e| unreachable(&e))?;
        tokio::spawn(async move {
            let _ = conn.await;
        });
        let request = http::Request::get(path_and_query)
            .header(http::header::HOST, format!("{address}:{port}"))
            .header(
                http::header::AUTHORIZATION,
                format!("Bearer {}", self.token),
            )
            .body(http_body_util::Empty::<Bytes>::new())
            .map_err(|e| unreachable(&e))?;
        sender
            .send_request(request)
            .await
            .map_err(|e| unreachable(&e))
    }
}

/// Turns an agent's error answer into the Status upstream's response checker makes of it.
pub async fn kubelet_error(response: http::Response<hyper::body::Incoming>) -> ApiError {
    let code = response.status().as_u16();
    let body = http_body_util::Limited::new(response.into_body(), 64 * 1024)
        .collect()
        .await
        .map(|b| String::from_utf8_lossy(&b.to_bytes()).trim().to_owned())
        .unwrap_or_default();
    let (code, reason) = match code {
        400 => (400, "BadRequest"),
        401 => (401, "Unauthorized"),
        403 => (403, "Forbidden"),
        404 => (404, "NotFound"),
        _ => (500, "InternalError"),
    };
    ApiError::new(code, reason, body)
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[derive(Debug)]
struct AnyCertificate;

impl ServerCertVerifier for AnyCertificate {
    fn verify_server_cert(
        &self,
        _end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &rustls::DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(
            message,
            cert,
            dss,
            &rustls::crypto::ring::default_provider().signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &rustls::DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(
            message,
            cert,
            dss,
            &rustls::crypto::ring::default_provider().signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<rustls::SignatureScheme> {
        rustls::crypto::ring::default_provider()
            .signature_verification_algorithms
            .supported_schemes()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_token_pins_the_ca_and_survives_restarts() {
        let dir = tempfile::tempdir().unwrap();
        let first = NodeAccess::load_or_create(dir.path(), "CA ONE").unwrap();
        assert!(
            first
                .token
                .starts_with(&format!("K10{}::node:", ca_hash("CA ONE")))
        );
        let again = NodeAccess::load_or_create(dir.path(), "CA ONE").unwrap();
        assert_eq!(first.token, again.token);
        let other = NodeAccess::load_or_create(dir.path(), "CA TWO").unwrap();
        assert_ne!(first.token, other.token);
    }

    #[test]
    fn only_the_exact_token_authenticates() {
        let dir = tempfile::tempdir().unwrap();
        let access = NodeAccess::load_or_create(dir.path(), "CA").unwrap();
        let header = format!("Bearer {}", access.token);
        let user = access.authenticate(Some(&header)).unwrap();
        assert_eq!(user.name, NODE_TOKEN_USER);
        assert!(user.groups.iter().any(|g| g == "system:nodes"));
        assert!(
            access
                .authenticate(Some(&header[..header.len() - 1]))
                .is_none()
        );
        assert!(access.authenticate(Some(&access.token)).is_none());
        assert!(access.authenticate(None).is_none());
    }
}
