//! The cluster's certificates: a CA made on first start, the API server's serving certificate, and
//! the admin client certificate behind `admin.kubeconfig`. Everything lives under `<data-dir>/tls`
//! and is reused on restart; the serving certificate is re-issued when its names change or it nears
//! expiry.

use std::net::IpAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::{Context, Result, bail};
use rcgen::{
    BasicConstraints, CertificateParams, DistinguishedName, DnType, ExtendedKeyUsagePurpose, IsCa,
    Issuer, KeyPair, KeyUsagePurpose, SanType,
};

/// The CA and the files it issued.
pub struct Pki {
    pub dir: PathBuf,
    pub ca_pem: String,
    ca_key: KeyPair,
}

pub struct IssuedCert {
    pub cert_pem: String,
    pub key_pem: String,
}

const CA_DAYS: i64 = 3650;
const LEAF_DAYS: i64 = 365;
/// Re-issue leaf certificates with less than this left.
const RENEW_BEFORE_DAYS: i64 = 90;

fn write_private(path: &Path, contents: &str) -> Result<()> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let mut f = std::fs::OpenOptions::new()
        .create(true)
        .write(true)
        .truncate(true)
        .mode(0o600)
        .open(path)
        .with_context(|| format!("cannot write {}", path.display()))?;
    f.write_all(contents.as_bytes())?;
    f.sync_all()?;
    Ok(())
}

fn validity(params: &mut CertificateParams, days: i64) {
    let now = time_now();
    params.not_before = now - rcgen_duration(1);
    params.not_after = now + rcgen_duration(days);
}

fn time_now() -> time::OffsetDateTime {
    time::OffsetDateTime::now_utc()
}

fn rcgen_duration(days: i64) -> time::Duration {
    time::Duration::days(days)
}

impl Pki {
    /// Loads the CA from `dir`, creating it on first start.
    pub fn load_or_create(dir: &Path) -> Result<Pki> {
        std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
        let (ca_crt, ca_key) = (dir.join("ca.crt"), dir.join("ca.key"));
        if ca_crt.exists() && ca_key.exists() {
            let ca_pem = std::fs::read_to_string(&ca_crt)?;
            let key_pem = std::fs::read_to_string(&ca_key)?;
            let ca_key = KeyPair::from_pem(&key_pem)
                .with_context(|| format!("{} is not a valid private key", ca_key.display()))?;
            return Ok(Pki {
                dir: dir.into(),
                ca_pem,
                ca_key,
            });
        }
        if ca_crt.exists() != ca_key.exists() {
            bail!(
                "{} has only half of the cluster CA (ca.crt and ca.key must both exist); restore the missing file or remove both to make a new CA",
                dir.display()
            );
        }
        let key = KeyPair::generate()?;
        let mut params = CertificateParams::default();
        let mut dn = DistinguishedName::new();
        dn.push(DnType::CommonName, "capstan-ca");
        params.distinguished_name = dn;
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        params.key_usages = vec![
            KeyUsagePurpose::KeyCertSign,
            KeyUsagePurpose::CrlSign,
            KeyUsagePurpose::DigitalSignature,
        ];
        validity(&mut params, CA_DAYS);
        let cert = params.self_signed(&key)?;
        write_private(&ca_key, &key.serialize_pem())?;
        std::fs::write(&ca_crt, cert.pem())?;
        Ok(Pki {
            dir: dir.into(),
            ca_pem: cert.pem(),
            ca_key: key,
        })
    }

    fn issuer(&self) -> Result<Issuer<'_, &KeyPair>> {
        Ok(Issuer::from_ca_cert_pem(&self.ca_pem, &self.ca_key)?)
    }

    /// Issues (or reuses) a certificate stored as `<name>.crt`/`<name>.key`. `identity` is a
    /// description of what the certificate says (names, usage); a stored certificate with a
    /// different identity, or near expiry, is replaced.
    fn ensure(
        &self,
        name: &str,
        identity: &str,
        make: impl FnOnce() -> Result<CertificateParams>,
    ) -> Result<IssuedCert> {
        let crt = self.dir.join(format!("{name}.crt"));
        let key = self.dir.join(format!("{name}.key"));
        let id = self.dir.join(format!("{name}.identity"));
        if let (Ok(cert_pem), Ok(key_pem), Ok(stored_id)) = (
            std::fs::read_to_string(&crt),
            std::fs::read_to_string(&key),
            std::fs::read_to_string(&id),
        ) && stored_id == identity
            && !expires_soon(&cert_pem)
        {
            return Ok(IssuedCert { cert_pem, key_pem });
        }
        let mut params = make()?;
        validity(&mut params, LEAF_DAYS);
        let leaf_key = KeyPair::generate()?;
        let cert = params.signed_by(&leaf_key, &self.issuer()?)?;
        let issued = IssuedCert {
            cert_pem: cert.pem(),
            key_pem: leaf_key.serialize_pem(),
        };
        write_private(&key, &issued.key_pem)?;
        std::fs::write(&crt, &issued.cert_pem)?;
        std::fs::write(&id, identity)?;
        Ok(issued)
    }

    /// The API server's serving certificate for these DNS names and addresses.
    pub fn serving_cert(&self, dns: &[String], ips: &[IpAddr]) -> Result<IssuedCert> {
        let identity = format!("serving dns={dns:?} ips={ips:?}");
        self.ensure("serving", &identity, || {
            let mut params = CertificateParams::default();
            let mut dn = DistinguishedName::new();
            dn.push(DnType::CommonName, "kube-apiserver");
            params.distinguished_name = dn;
            for d in dns {
                params
                    .subject_alt_names
                    .push(SanType::DnsName(d.clone().try_into()?));
            }
            for ip in ips {
                params.subject_alt_names.push(SanType::IpAddress(*ip));
            }
            params.key_usages = vec![
                KeyUsagePurpose::DigitalSignature,
                KeyUsagePurpose::KeyEncipherment,
            ];
            params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
            Ok(params)
        })
    }

    /// A client certificate: Kubernetes reads the user from CN and groups from O.
    pub fn client_cert(&self, name: &str, user: &str, groups: &[&str]) -> Result<IssuedCert> {
        let identity = format!("client user={user} groups={groups:?}");
        self.ensure(name, &identity, || {
            let mut params = CertificateParams::default();
            let mut dn = DistinguishedName::new();
            dn.push(DnType::CommonName, user);
            for g in groups {
                dn.push(DnType::OrganizationName, *g);
            }
            params.distinguished_name = dn;
            params.key_usages = vec![
                KeyUsagePurpose::DigitalSignature,
                KeyUsagePurpose::KeyEncipherment,
            ];
            params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ClientAuth];
            Ok(params)
        })
    }
}

fn expires_soon(cert_pem: &str) -> bool {
    let Ok((_, pem)) = x509_parser::pem::parse_x509_pem(cert_pem.as_bytes()) else {
        return true;
    };
    let Ok(cert) = pem.parse_x509() else {
        return true;
    };
    let not_after = cert.validity().not_after.timestamp();
    let now = chrono::Utc::now().timestamp();
    not_after - now < RENEW_BEFORE_DAYS * 86400
}

/// The identity a verified client certificate carries: (user, groups).
pub fn identity_from_cert(der: &[u8]) -> Option<(String, Vec<String>)> {
    let (_, cert) = x509_parser::parse_x509_certificate(der).ok()?;
    let subject = cert.subject();
    let user = subject.iter_common_name().next()?.as_str().ok()?.to_owned();
    let groups = subject
        .iter_organization()
        .filter_map(|o| o.as_str().ok().map(str::to_owned))
        .collect();
    Some((user, groups))
}

/// A kubeconfig with the cluster CA and a client certificate, as kubectl and client libraries read it.
pub fn kubeconfig(server: &str, ca_pem: &str, client: &IssuedCert, user: &str) -> String {
    use base64::Engine;
    let b64 = |s: &str| base64::engine::general_purpose::STANDARD.encode(s.as_bytes());
    format!(
        "apiVersion: v1
kind: Config
clusters:
- name: capstan
  cluster:
    server: {server}
    certificate-authority-data: {ca}
contexts:
- name: capstan
  context:
    cluster: capstan
    user: {user}
current-context: capstan
preferences: {{}}
users:
- name: {user}
  user:
    client-certificate-data: {cert}
    client-key-data: {key}
",
        ca = b64(ca_pem),
        cert = b64(&client.cert_pem),
        key = b64(&client.key_pem),
    )
}

/// Writes a file readable only by its owner (kubeconfigs hold private keys).
pub fn write_secret_file(path: &Path, contents: &str) -> Result<()> {
    write_private(path, contents)
}

/// TLS for the API server: our serving certificate; client certificates are optional at the TLS
/// level (anonymous requests get a 401 from the API, not a failed handshake), and verified against
/// the cluster CA when presented.
pub fn server_tls_config(pki: &Pki, serving: &IssuedCert) -> Result<Arc<rustls::ServerConfig>> {
    use rustls::pki_types::pem::PemObject;
    use rustls::pki_types::{CertificateDer, PrivateKeyDer};
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut roots = rustls::RootCertStore::empty();
    for ca in CertificateDer::pem_slice_iter(pki.ca_pem.as_bytes()) {
        roots.add(ca?)?;
    }
    let verifier = rustls::server::WebPkiClientVerifier::builder_with_provider(
        Arc::new(roots),
        provider.clone(),
    )
    .allow_unauthenticated()
    .build()?;
    let chain: Vec<CertificateDer<'static>> =
        CertificateDer::pem_slice_iter(serving.cert_pem.as_bytes()).collect::<Result<_, _>>()?;
    let key = PrivateKeyDer::from_pem_slice(serving.key_pem.as_bytes())?;
    let mut config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()?
        .with_client_cert_verifier(verifier)
        .with_single_cert(chain, key)?;
    config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    Ok(Arc::new(config))
}
