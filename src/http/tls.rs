//! TLS: the per-device key and certificate, and the rustls server configuration
//! (ring provider, TLS 1.2 and 1.3 only).
//!
//! At first start the device makes its own ECDSA P-256 key (file mode 0600) and a
//! self-signed certificate naming the board's host name and listener addresses;
//! later starts reuse them, so browsers that trusted the device keep trusting it.

use std::net::IpAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use rustls::ServerConfig;

use crate::system::files;

pub const TLS_DIR: &str = "tls";
use crate::services::certificate::CertSlot;
pub use crate::services::certificate::{DEVICE_CERT as CERT_FILE, DEVICE_KEY as KEY_FILE};

#[derive(Debug, thiserror::Error)]
pub enum TlsError {
    #[error("cannot write {path}: {source}")]
    Write { path: PathBuf, source: std::io::Error },
    #[error("cannot make the device certificate: {0}")]
    Generate(#[from] rcgen::Error),
    #[error("cannot read {path}: {detail}; delete it to have a new one made at the next start")]
    Read { path: PathBuf, detail: String },
    #[error("the certificate and key do not make a TLS configuration: {0}")]
    Config(#[from] rustls::Error),
}

/// Where the device's key and certificate live.
#[derive(Debug, Clone)]
pub struct DeviceIdentity {
    pub key: PathBuf,
    pub cert: PathBuf,
}

impl DeviceIdentity {
    pub fn in_data_dir(data_dir: &Path) -> DeviceIdentity {
        let dir = data_dir.join(TLS_DIR);
        DeviceIdentity { key: dir.join(KEY_FILE), cert: dir.join(CERT_FILE) }
    }

    /// Makes the key and certificate unless both exist. Returns true when it made them.
    pub fn ensure(&self, hostname: &str, addresses: &[IpAddr]) -> Result<bool, TlsError> {
        if self.key.exists() && self.cert.exists() {
            return Ok(false);
        }
        let mut names = vec![hostname.to_owned(), "localhost".to_owned()];
        names.dedup();
        let mut params = rcgen::CertificateParams::new(names)?;
        let mut ips: Vec<IpAddr> = addresses.to_vec();
        ips.push(IpAddr::from([127, 0, 0, 1]));
        ips.sort();
        ips.dedup();
        for ip in ips {
            params.subject_alt_names.push(rcgen::SanType::IpAddress(ip));
        }
        params.distinguished_name.push(rcgen::DnType::CommonName, hostname);
        params.distinguished_name.push(rcgen::DnType::OrganizationName, "webcti device");
        let key = rcgen::KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256)?;
        let cert = params.self_signed(&key)?;
        let dir = self.key.parent().unwrap_or(Path::new("."));
        let err = |path: &Path| {
            let path = path.to_path_buf();
            move |source| TlsError::Write { path, source }
        };
        files::private_dir(dir).map_err(err(dir))?;
        files::write_private(&self.key, key.serialize_pem().as_bytes()).map_err(err(&self.key))?;
        files::write_public(&self.cert, cert.pem().as_bytes()).map_err(err(&self.cert))?;
        Ok(true)
    }

    /// The served certificate: the uploaded one if there is one, else this identity.
    pub fn slot(&self) -> Result<Arc<CertSlot>, TlsError> {
        let dir = self.cert.parent().unwrap_or(Path::new("."));
        CertSlot::open(dir).map(Arc::new).map_err(|detail| TlsError::Read { path: self.cert.clone(), detail })
    }
}

/// The rustls server configuration, answering each handshake with what `slot`
/// holds then.
pub fn server_config(slot: Arc<CertSlot>) -> Result<Arc<ServerConfig>, TlsError> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut config = ServerConfig::builder_with_provider(provider)
        .with_protocol_versions(&[&rustls::version::TLS13, &rustls::version::TLS12])?
        .with_no_client_auth()
        .with_cert_resolver(slot);
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(Arc::new(config))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::fs;
    use std::os::unix::fs::PermissionsExt;

    #[test]
    fn identity_is_made_once_with_a_private_key() {
        let dir = tempfile::tempdir().expect("tempdir");
        let id = DeviceIdentity::in_data_dir(dir.path());
        assert!(id.ensure("pbx", &[IpAddr::from([10, 0, 0, 1])]).expect("made"));
        let mode = fs::metadata(&id.key).expect("key").permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
        let first = fs::read(&id.cert).expect("cert");
        assert!(!id.ensure("pbx", &[]).expect("kept"));
        assert_eq!(fs::read(&id.cert).expect("cert"), first);
        server_config(id.slot().expect("loads")).expect("rustls accepts it");
    }

    #[test]
    fn a_damaged_key_is_reported_with_its_path() {
        let dir = tempfile::tempdir().expect("tempdir");
        let id = DeviceIdentity::in_data_dir(dir.path());
        id.ensure("pbx", &[]).expect("made");
        fs::write(&id.key, "not a key").expect("write");
        let err = id.slot().expect_err("refused").to_string();
        assert!(err.contains("device.key"), "{err}");
    }
}
