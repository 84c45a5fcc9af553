//! The certificate the portal is served with (SPEC A7): the device's own, made
//! at first start, or a chain and key an administrator uploaded. An upload is
//! checked whole (`domain::certificate`: PEM, the key matches, valid now, names
//! the board), stored atomically beside the device's (the key 0600), and served
//! from the next handshake on; it survives a restart. Until then, and whenever
//! one is refused, the certificate in use stays.

use std::path::{Path, PathBuf};
use std::sync::{Arc, RwLock};

use rustls::server::{ClientHello, ResolvesServerCert};
use rustls::sign::CertifiedKey;
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, PrivateKeyDer};

use super::{Context, ServiceError};
use crate::domain::access::{Action, Actor, Area, Target};
use crate::domain::certificate::{check, CertProblem};
use crate::system::files;

pub const DEVICE_CERT: &str = "device.crt";
pub const DEVICE_KEY: &str = "device.key";
pub const UPLOADED_CERT: &str = "uploaded.crt";
pub const UPLOADED_KEY: &str = "uploaded.key";

/// The certificate every new handshake is answered with.
#[derive(Debug)]
pub struct CertSlot {
    current: RwLock<(Arc<CertifiedKey>, bool)>,
}

impl ResolvesServerCert for CertSlot {
    fn resolve(&self, _hello: ClientHello<'_>) -> Option<Arc<CertifiedKey>> {
        Some(self.current.read().unwrap_or_else(|e| e.into_inner()).0.clone())
    }
}

impl CertSlot {
    /// The uploaded certificate of `tls_dir` if there is one that loads, else the device's.
    pub fn open(tls_dir: &Path) -> Result<CertSlot, String> {
        let uploaded = load(&tls_dir.join(UPLOADED_CERT), &tls_dir.join(UPLOADED_KEY));
        let current = match uploaded {
            Ok(key) => (key, true),
            Err(e) => {
                if tls_dir.join(UPLOADED_CERT).exists() {
                    tracing::error!(error = %e, "the uploaded certificate does not load; the device's own is served");
                }
                (load(&tls_dir.join(DEVICE_CERT), &tls_dir.join(DEVICE_KEY))?, false)
            }
        };
        Ok(CertSlot { current: RwLock::new(current) })
    }

    /// Whether an uploaded certificate is served.
    pub fn uploaded(&self) -> bool {
        self.current.read().unwrap_or_else(|e| e.into_inner()).1
    }

    fn set(&self, key: Arc<CertifiedKey>, uploaded: bool) {
        *self.current.write().unwrap_or_else(|e| e.into_inner()) = (key, uploaded);
    }
}

fn certified(
    chain: Vec<CertificateDer<'static>>,
    key: PrivateKeyDer<'static>,
) -> Result<Arc<CertifiedKey>, String> {
    let provider = rustls::crypto::ring::default_provider();
    let signer = provider.key_provider.load_private_key(key).map_err(|e| e.to_string())?;
    Ok(Arc::new(CertifiedKey::new(chain, signer)))
}

/// A certificate chain and key from PEM files.
pub fn load(cert: &Path, key: &Path) -> Result<Arc<CertifiedKey>, String> {
    let read_err = |path: &Path, e: String| format!("cannot read {}: {e}", path.display());
    let chain: Vec<CertificateDer<'static>> = CertificateDer::pem_file_iter(cert)
        .map_err(|e| read_err(cert, e.to_string()))?
        .collect::<Result<_, _>>()
        .map_err(|e| read_err(cert, e.to_string()))?;
    if chain.is_empty() {
        return Err(read_err(cert, "no certificate in the file".to_owned()));
    }
    let private = PrivateKeyDer::from_pem_file(key).map_err(|e| read_err(key, e.to_string()))?;
    certified(chain, private).map_err(|e| read_err(key, e))
}

#[derive(Clone)]
pub struct Certificates {
    ctx: Context,
}

fn slot(ctx: &Context) -> Result<(&Arc<CertSlot>, &PathBuf), ServiceError> {
    ctx.certificates.as_ref().map(|(s, d)| (s, d)).ok_or(ServiceError::NotFound)
}

impl Certificates {
    pub fn new(ctx: Context) -> Certificates {
        Certificates { ctx }
    }

    /// Whether the uploaded certificate is served (else the device's own).
    #[tracing::instrument(name = "service", skip_all, fields(call = "certificates.uploaded", actor = %actor.label(), via = actor.via.code()))]
    pub fn uploaded(&self, actor: &Actor) -> Result<bool, ServiceError> {
        self.ctx.may_do(actor, Action::Read, Target::Administration(Area::Board))?;
        Ok(slot(&self.ctx)?.0.uploaded())
    }

    /// Checks, stores and serves an uploaded chain and key.
    #[tracing::instrument(name = "service", skip_all, fields(call = "certificates.upload", actor = %actor.label(), via = actor.via.code()))]
    pub async fn upload(&self, actor: &Actor, chain_pem: &str, key_pem: &str) -> Result<(), ServiceError> {
        self.ctx.may_do(actor, Action::Change, Target::Administration(Area::Board))?;
        let (slot, dir) = slot(&self.ctx)?;
        let checked = check(chain_pem, key_pem, &self.ctx.board.names, self.ctx.clock.now())
            .map_err(|p| ServiceError::Invalid(p.into()))?;
        let key = certified(checked.chain, checked.key)
            .map_err(|_| ServiceError::Invalid(CertProblem::NoKey.into()))?;
        let (cert_file, key_file) = (dir.join(UPLOADED_CERT), dir.join(UPLOADED_KEY));
        let (chain, private) = (chain_pem.trim().to_owned() + "\n", key_pem.trim().to_owned() + "\n");
        tokio::task::spawn_blocking(move || {
            files::write_private(&key_file, private.as_bytes())?;
            files::write_public(&cert_file, chain.as_bytes())
        })
        .await
        .map_err(|e| ServiceError::Files(e.to_string()))?
        .map_err(|e| ServiceError::Files(e.to_string()))?;
        slot.set(key, true);
        tracing::info!(actor = %actor.label(), "an uploaded certificate is served");
        Ok(())
    }

    /// Serves the device's own certificate again; the uploaded one is deleted.
    #[tracing::instrument(name = "service", skip_all, fields(call = "certificates.use_device", actor = %actor.label(), via = actor.via.code()))]
    pub async fn use_device(&self, actor: &Actor) -> Result<(), ServiceError> {
        self.ctx.may_do(actor, Action::Change, Target::Administration(Area::Board))?;
        let (slot, dir) = slot(&self.ctx)?;
        let key = load(&dir.join(DEVICE_CERT), &dir.join(DEVICE_KEY)).map_err(ServiceError::Files)?;
        for f in [UPLOADED_CERT, UPLOADED_KEY] {
            let _ = std::fs::remove_file(dir.join(f));
        }
        slot.set(key, false);
        tracing::info!(actor = %actor.label(), "the device's own certificate is served");
        Ok(())
    }
}
