//! Joining a cluster with a token, as k3s agents do: the token `K10<sha256 of the CA>::node:<secret>`
//! pins the cluster CA, which is fetched from the server's `/cacerts` without verification and
//! checked against the hash; the whole token is then the bearer credential.

use std::sync::Arc;

use anyhow::{Context, bail};
use base64::Engine;
use http_body_util::{BodyExt, Empty};
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};

use crate::image::archive::sha256_hex;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Token {
    /// Hex sha256 of the CA certificate bundle (PEM bytes), when the token pins one.
    pub ca_hash: Option<String>,
    pub whole: String,
}

pub fn parse_token(text: &str) -> Result<Token, String> {
    let text = text.trim();
    if text.is_empty() {
        return Err("the join token is empty".into());
    }
    if let Some(rest) = text.strip_prefix("K10") {
        let (hash, _) = rest.split_once("::").ok_or(
            "the join token has no \"::\" after the CA hash (expected K10<hash>::node:<secret>)",
        )?;
        if hash.len() != 64 || !hash.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err("the join token's CA hash is not 64 hex digits".into());
        }
        return Ok(Token {
            ca_hash: Some(hash.to_ascii_lowercase()),
            whole: text.to_owned(),
        });
    }
    Ok(Token {
        ca_hash: None,
        whole: text.to_owned(),
    })
}

/// The DER certificates of a PEM bundle.
pub fn pem_certificates(pem: &str) -> Vec<Vec<u8>> {
    let mut out = Vec::new();
    let mut inside = false;
    let mut b64 = String::new();
    for line in pem.lines() {
        let line = line.trim();
        if line == "-----BEGIN CERTIFICATE-----" {
            inside = true;
            b64.clear();
        } else if line == "-----END CERTIFICATE-----" {
            inside = false;
            if let Ok(der) = base64::engine::general_purpose::STANDARD.decode(&b64) {
                out.push(der);
            }
        } else if inside {
            b64.push_str(line);
        }
    }
    out
}

#[derive(Debug)]
struct AcceptAny;

impl ServerCertVerifier for AcceptAny {
    fn verify_server_cert(
        &self,
        _: &CertificateDer<'_>,
        _: &[CertificateDer<'_>],
        _: &ServerName<'_>,
        _: &[u8],
        _: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        Ok(ServerCertVerified::assertion())
    }
    fn verify_tls12_signature(
        &self,
        _: &[u8],
        _: &CertificateDer<'_>,
        _: &rustls::DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        Ok(HandshakeSignatureValid::assertion())
    }
    fn verify_tls13_signature(
        &self,
        _: &[u8],
        _: &CertificateDer<'_>,
        _: &rustls::DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        Ok(HandshakeSignatureValid::assertion())
    }
    fn supported_verify_schemes(&self) -> Vec<rustls::SignatureScheme> {
        rustls::crypto::ring::default_provider()
            .signature_verification_algorithms
            .supported_schemes()
    }
}

/// GET `{server}/cacerts`, trusting nothing yet (the token's hash is the check).
pub async fn fetch_cacerts(server: &str) -> anyhow::Result<String> {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let uri: http::Uri = server
        .parse()
        .with_context(|| format!("invalid --server {server:?}"))?;
    let host = uri.host().context("--server has no host")?.to_owned();
    let port = uri.port_u16().unwrap_or(443);
    let config = rustls::ClientConfig::builder()
        .dangerous()
        .with_custom_certificate_verifier(Arc::new(AcceptAny))
        .with_no_client_auth();
    let connector = tokio_rustls::TlsConnector::from(Arc::new(config));
    let tcp = tokio::net::TcpStream::connect((host.as_str(), port))
        .await
        .with_context(|| format!("cannot reach {server}"))?;
    let name = ServerName::try_from(host.trim_matches(['[', ']']).to_owned())
        .map_err(|e| anyhow::anyhow!("invalid server name {host}: {e}"))?;
    let tls = connector.connect(name, tcp).await?;
    let (mut sender, conn) = hyper::client::conn::http1::handshake::<_, Empty<bytes::Bytes>>(
        hyper_util::rt::TokioIo::new(tls),
    )
    .await?;
    tokio::spawn(conn);
    let req = http::Request::get("/cacerts")
        .header("Host", format!("{host}:{port}"))
        .body(Empty::new())?;
    let resp = sender.send_request(req).await?;
    let status = resp.status();
    let body = resp.into_body().collect().await?.to_bytes();
    if !status.is_success() {
        bail!("GET {server}/cacerts answered {status}");
    }
    Ok(String::from_utf8_lossy(&body).into_owned())
}

/// A kube client config for `server` authenticated by `token`, trusting the fetched CA.
pub async fn config(server: &str, token_text: &str) -> anyhow::Result<kube::Config> {
    let token = parse_token(token_text).map_err(anyhow::Error::msg)?;
    let pem = fetch_cacerts(server).await?;
    if let Some(expected) = &token.ca_hash {
        let got = sha256_hex(pem.as_bytes());
        if &got != expected {
            bail!(
                "the server's CA certificate (sha256 {got}) does not match the join token's CA hash {expected}: refusing to join (wrong --server or token?)"
            );
        }
    }
    let certs = pem_certificates(&pem);
    if certs.is_empty() {
        bail!("{server}/cacerts returned no certificate");
    }
    let uri: http::Uri = server.parse()?;
    let mut config = kube::Config::new(uri);
    config.root_cert = Some(certs);
    config.auth_info = serde_json::from_value(serde_json::json!({"token": token.whole}))?;
    Ok(config)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens() {
        let hash = "a".repeat(64);
        let t = parse_token(&format!("K10{hash}::node:s3cret\n")).unwrap();
        assert_eq!(t.ca_hash.as_deref(), Some(hash.as_str()));
        assert_eq!(t.whole, format!("K10{hash}::node:s3cret"));
        assert!(parse_token("K10abc::node:x").is_err());
        assert!(parse_token(&format!("K10{hash}node")).is_err());
        assert_eq!(parse_token("plain").unwrap().ca_hash, None);
        assert!(parse_token("  ").is_err());
    }

    #[test]
    fn pem_bundle() {
        let pem = "-----BEGIN CERTIFICATE-----\nAAEC\nAw==\n-----END CERTIFICATE-----\n-----BEGIN CERTIFICATE-----\nBA==\n-----END CERTIFICATE-----\n";
        assert_eq!(pem_certificates(pem), vec![vec![0, 1, 2, 3], vec![4]]);
    }
}
