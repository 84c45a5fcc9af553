//! Password and PIN hashing: Argon2id with parameters fit for the board (19 MiB,
//! two passes, one lane: OWASP's minimum), at most [`MAX_CONCURRENT`] hashes at a
//! time so a burst of logins cannot exhaust the board's memory. Hashing runs on
//! blocking threads.

use std::sync::Arc;

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};
use tokio::sync::Semaphore;

pub const M_COST_KIB: u32 = 19 * 1024;
pub const T_COST: u32 = 2;
pub const P_COST: u32 = 1;
pub const MAX_CONCURRENT: usize = 2;

#[derive(Debug, thiserror::Error)]
pub enum HashError {
    #[error("cannot hash: {0}")]
    Hash(String),
    #[error("no randomness for a salt: {0}")]
    Random(String),
}

/// The hasher; cheap to clone.
#[derive(Clone)]
pub struct Hasher {
    permits: Arc<Semaphore>,
    /// A hash checked when an account does not exist, so that answering takes as
    /// long as for one that does.
    dummy: Arc<String>,
}

fn argon() -> Argon2<'static> {
    // The constants are valid Argon2 parameters; `Params::new` only rejects
    // values out of range.
    let params = Params::new(M_COST_KIB, T_COST, P_COST, None).unwrap_or_default();
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
}

fn hash_now(secret: &str) -> Result<String, HashError> {
    let mut salt = [0u8; 16];
    getrandom::fill(&mut salt).map_err(|e| HashError::Random(e.to_string()))?;
    let salt = SaltString::encode_b64(&salt).map_err(|e| HashError::Hash(e.to_string()))?;
    argon()
        .hash_password(secret.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| HashError::Hash(e.to_string()))
}

fn verify_now(secret: &str, hash: &str) -> bool {
    match PasswordHash::new(hash) {
        Ok(parsed) => argon().verify_password(secret.as_bytes(), &parsed).is_ok(),
        Err(_) => false,
    }
}

impl Hasher {
    pub fn new() -> Result<Hasher, HashError> {
        Ok(Hasher {
            permits: Arc::new(Semaphore::new(MAX_CONCURRENT)),
            dummy: Arc::new(hash_now("no such account")?),
        })
    }

    /// An Argon2id PHC string for `secret`.
    pub async fn hash(&self, secret: &str) -> Result<String, HashError> {
        let _permit = self.permits.acquire().await.map_err(|e| HashError::Hash(e.to_string()))?;
        let secret = secret.to_owned();
        tokio::task::spawn_blocking(move || hash_now(&secret))
            .await
            .map_err(|e| HashError::Hash(e.to_string()))?
    }

    /// Whether `secret` matches `hash`; with no hash, spends the same time and says no.
    pub async fn verify(&self, secret: &str, hash: Option<&str>) -> bool {
        let Ok(_permit) = self.permits.acquire().await else { return false };
        let (secret, real) = (secret.to_owned(), hash.map(str::to_owned));
        let dummy = self.dummy.clone();
        tokio::task::spawn_blocking(move || match real {
            Some(h) => verify_now(&secret, &h),
            None => {
                let _ = verify_now(&secret, &dummy);
                false
            }
        })
        .await
        .unwrap_or(false)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn hashes_are_argon2id_salted_and_verify() {
        let h = Hasher::new().expect("hasher");
        let a = h.hash("correct horse").await.expect("hash");
        let b = h.hash("correct horse").await.expect("hash");
        assert!(a.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"), "{a}");
        assert_ne!(a, b, "salted");
        assert!(h.verify("correct horse", Some(&a)).await);
        assert!(!h.verify("wrong horse", Some(&a)).await);
        assert!(!h.verify("correct horse", Some("not a hash")).await);
        assert!(!h.verify("correct horse", None).await);
    }
}
