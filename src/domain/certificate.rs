//! Whether an uploaded certificate chain and key may serve the portal (SPEC A7):
//! PEM, the key matches the first certificate, the chain is valid at `now`, and
//! it names the board (its host name or one of its addresses). Checked with
//! rustls' own verifier, the chain's last certificate standing as its root, so
//! what is accepted here is what a browser trusting that root accepts.

use std::sync::Arc;

use rustls::client::danger::ServerCertVerifier;
use rustls::client::WebPkiServerVerifier;
use rustls::{CertificateError, RootCertStore};
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, PrivateKeyDer, ServerName, UnixTime};

/// The longest PEM text accepted for the chain, or the key.
pub const MAX_PEM: usize = 32 * 1024;

/// Why a certificate is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum CertProblem {
    #[error("no PEM certificate")]
    NoCertificate,
    #[error("no PEM private key")]
    NoKey,
    #[error("the key does not belong to the certificate")]
    KeyMismatch,
    #[error("the certificate has expired")]
    Expired,
    #[error("the certificate is not valid yet")]
    NotYetValid,
    #[error("the certificate does not name this board")]
    WrongName,
    #[error("the certificate chain is not valid")]
    Invalid,
    #[error("too large")]
    TooLarge,
}

/// A chain and key that passed [`check`].
#[derive(Debug)]
pub struct Checked {
    pub chain: Vec<CertificateDer<'static>>,
    pub key: PrivateKeyDer<'static>,
}

pub fn check(chain_pem: &str, key_pem: &str, names: &[String], now: i64) -> Result<Checked, CertProblem> {
    if chain_pem.len() > MAX_PEM || key_pem.len() > MAX_PEM {
        return Err(CertProblem::TooLarge);
    }
    let chain: Vec<CertificateDer<'static>> = CertificateDer::pem_slice_iter(chain_pem.as_bytes())
        .collect::<Result<_, _>>()
        .map_err(|_| CertProblem::NoCertificate)?;
    let (Some(leaf), Some(root)) = (chain.first(), chain.last()) else {
        return Err(CertProblem::NoCertificate);
    };
    let key = PrivateKeyDer::from_pem_slice(key_pem.as_bytes()).map_err(|_| CertProblem::NoKey)?;
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let signer = provider.key_provider.load_private_key(key.clone_key()).map_err(|_| CertProblem::NoKey)?;
    let certified = rustls::sign::CertifiedKey::new(chain.clone(), signer);
    if let Err(rustls::Error::InconsistentKeys(rustls::InconsistentKeys::KeyMismatch)) =
        certified.keys_match()
    {
        return Err(CertProblem::KeyMismatch);
    }
    let mut roots = RootCertStore::empty();
    roots.add(root.clone()).map_err(|_| CertProblem::Invalid)?;
    let verifier = WebPkiServerVerifier::builder_with_provider(Arc::new(roots), provider)
        .build()
        .map_err(|_| CertProblem::Invalid)?;
    let time = UnixTime::since_unix_epoch(std::time::Duration::from_secs(now.max(0) as u64));
    let intermediates = &chain[1..];
    let mut problem = CertProblem::WrongName;
    for name in names {
        let Ok(name) = ServerName::try_from(name.as_str()) else { continue };
        match verifier.verify_server_cert(leaf, intermediates, &name, &[], time) {
            Ok(_) => return Ok(Checked { chain, key }),
            Err(rustls::Error::InvalidCertificate(e)) => {
                problem = match e {
                    CertificateError::NotValidForName | CertificateError::NotValidForNameContext { .. } => {
                        continue
                    }
                    CertificateError::Expired | CertificateError::ExpiredContext { .. } => {
                        CertProblem::Expired
                    }
                    CertificateError::NotValidYet | CertificateError::NotValidYetContext { .. } => {
                        CertProblem::NotYetValid
                    }
                    _ => CertProblem::Invalid,
                };
                break;
            }
            Err(_) => return Err(CertProblem::Invalid),
        }
    }
    Err(problem)
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: i64 = 1_790_000_000;

    /// A self-signed certificate for `names`, valid from `from` to `to` (Unix seconds).
    fn made(names: &[&str], from: i64, to: i64) -> (String, String) {
        let mut p = rcgen::CertificateParams::new(names.iter().map(|n| (*n).to_owned()).collect::<Vec<_>>())
            .expect("params");
        let day = |t: i64| {
            let (y, m, d, ..) = crate::domain::time::civil(t);
            rcgen::date_time_ymd(y as i32, m as u8, d as u8)
        };
        p.not_before = day(from);
        p.not_after = day(to);
        let key = rcgen::KeyPair::generate().expect("key");
        let cert = p.self_signed(&key).expect("cert");
        (cert.pem(), key.serialize_pem())
    }

    #[test]
    fn what_is_refused_and_why() {
        let board = vec!["pbx.example.com".to_owned(), "10.0.0.5".to_owned()];
        let (good, key) = made(&["pbx.example.com"], NOW - 86_400, NOW + 86_400 * 90);
        assert!(check(&good, &key, &board, NOW).is_ok());
        let (by_ip, ip_key) = made(&["10.0.0.5"], NOW - 86_400, NOW + 86_400);
        assert!(check(&by_ip, &ip_key, &board, NOW).is_ok(), "an address names the board too");
        let (_, other_key) = made(&["pbx.example.com"], NOW - 86_400, NOW + 86_400);
        assert_eq!(check(&good, &other_key, &board, NOW).err(), Some(CertProblem::KeyMismatch));
        let (old, old_key) = made(&["pbx.example.com"], NOW - 86_400 * 400, NOW - 86_400);
        assert_eq!(check(&old, &old_key, &board, NOW).err(), Some(CertProblem::Expired));
        let (later, later_key) = made(&["pbx.example.com"], NOW + 86_400, NOW + 86_400 * 90);
        assert_eq!(check(&later, &later_key, &board, NOW).err(), Some(CertProblem::NotYetValid));
        let (elsewhere, elsewhere_key) = made(&["mail.example.com"], NOW - 86_400, NOW + 86_400);
        assert_eq!(check(&elsewhere, &elsewhere_key, &board, NOW).err(), Some(CertProblem::WrongName));
        assert_eq!(check("hello", &key, &board, NOW).err(), Some(CertProblem::NoCertificate));
        assert_eq!(check(&good, "hello", &board, NOW).err(), Some(CertProblem::NoKey));
        assert_eq!(check(&"x".repeat(MAX_PEM + 1), &key, &board, NOW).err(), Some(CertProblem::TooLarge));
    }
}
