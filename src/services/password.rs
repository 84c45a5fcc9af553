//! Password and PIN hashing: Argon2id with parameters fit for the board (7 MiB,
//! five passes, one lane: one of the configurations OWASP's password storage
//! cheat sheet gives as equal, 19 MiB with two passes and 12 MiB with three
//! being others; the smallest work area spends the same time per guess in the
//! least of the board's memory).
//!
//! The memory is bounded by design (SPEC X5): [`WORKERS`] thread of our own
//! holds one Argon2 work area, allocated when the hasher is made and reused for
//! every hash, so a login storm never allocates a work area per attempt and the
//! service's resident memory stays what it was before the storm. Hashes made
//! by earlier versions (19 MiB with two passes, 12 MiB with three) still
//! verify: the work area grows for one to the at most [`MAX_M_COST_KIB`] it
//! needs and shrinks back after, and a successful login stores the password
//! hashed anew ([`outdated`]). One at a time is about 40 hashes a second on a
//! PC and several on the board: enough for logins, which throttling slows down
//! anyway. Work waits in a queue of at most [`QUEUE`] jobs; beyond that the
//! caller is told the hasher is busy, and nothing else waits.

use std::sync::mpsc::{sync_channel, Receiver, SyncSender, TrySendError};
use std::sync::{Arc, Mutex};

use argon2::password_hash::{PasswordHash, SaltString};
use argon2::{Algorithm, Argon2, Block, Params, Version};
use tokio::sync::oneshot;

pub const M_COST_KIB: u32 = 7 * 1024;
pub const T_COST: u32 = 5;
pub const P_COST: u32 = 1;
/// The most memory a stored hash may ask for: the earliest versions' hashes
/// (19 MiB, two passes). One that asks for more never matches.
pub const MAX_M_COST_KIB: u32 = 19 * 1024;
/// Hashes computed at once, each in its own work area of [`M_COST_KIB`].
pub const WORKERS: usize = 1;
/// Hash jobs waiting at most; more are answered "busy".
pub const QUEUE: usize = 32;
const OUTPUT_LEN: usize = 32;

#[derive(Debug, thiserror::Error)]
pub enum HashError {
    #[error("cannot hash: {0}")]
    Hash(String),
    #[error("no randomness for a salt: {0}")]
    Random(String),
    #[error("the password hasher is busy")]
    Busy,
}

enum Job {
    Hash(String, oneshot::Sender<Result<String, HashError>>),
    Verify(String, String, oneshot::Sender<bool>),
}

/// The hasher; cheap to clone. Its threads end when the last clone is dropped.
#[derive(Clone)]
pub struct Hasher {
    jobs: SyncSender<Job>,
    /// A hash checked when an account does not exist, so that answering takes as
    /// long as for one that does.
    dummy: Arc<String>,
}

fn params() -> Params {
    // The constants are valid Argon2 parameters; `Params::new` only rejects
    // values out of range.
    Params::new(M_COST_KIB, T_COST, P_COST, Some(OUTPUT_LEN)).unwrap_or_default()
}

/// One worker's Argon2 work area, allocated once (and grown for a while, to at
/// most [`MAX_M_COST_KIB`], for a hash of an earlier version).
struct Work {
    blocks: Vec<Block>,
}

impl Work {
    fn new() -> Work {
        Work { blocks: vec![Block::default(); M_COST_KIB as usize] }
    }

    fn hash(&mut self, secret: &str) -> Result<String, HashError> {
        let mut salt = [0u8; 16];
        getrandom::fill(&mut salt).map_err(|e| HashError::Random(e.to_string()))?;
        let params = params();
        let mut out = [0u8; OUTPUT_LEN];
        Argon2::new(Algorithm::Argon2id, Version::V0x13, params.clone())
            .hash_password_into_with_memory(secret.as_bytes(), &salt, &mut out, &mut self.blocks)
            .map_err(|e| HashError::Hash(e.to_string()))?;
        let err = |e: argon2::password_hash::Error| HashError::Hash(e.to_string());
        let salt = SaltString::encode_b64(&salt).map_err(err)?;
        let phc = PasswordHash {
            algorithm: argon2::ARGON2ID_IDENT,
            version: Some(Version::V0x13.into()),
            params: (&params).try_into().map_err(err)?,
            salt: Some(salt.as_salt()),
            hash: Some(argon2::password_hash::Output::new(&out).map_err(err)?),
        };
        Ok(phc.to_string())
    }

    /// Whether `secret` matches the PHC string `hash`. A hash that needs more
    /// memory than the work area (not one of ours) never matches.
    fn verify(&mut self, secret: &str, hash: &str) -> bool {
        let Ok(parsed) = PasswordHash::new(hash) else { return false };
        let (Some(salt), Some(expected)) = (parsed.salt, parsed.hash) else { return false };
        if parsed.algorithm != argon2::ARGON2ID_IDENT {
            return false;
        }
        let Ok(params) = Params::try_from(&parsed) else { return false };
        if params.block_count() > MAX_M_COST_KIB as usize || expected.len() > 64 {
            tracing::warn!("a stored hash needs more memory than the hasher has; it is refused");
            return false;
        }
        let mut salt_bytes = [0u8; 64];
        let Ok(salt) = salt.decode_b64(&mut salt_bytes) else { return false };
        let grown = params.block_count() > self.blocks.len();
        if grown {
            self.blocks.resize(params.block_count(), Block::default());
        }
        let mut out = [0u8; 64];
        let out = &mut out[..expected.len()];
        let argon = Argon2::new(Algorithm::Argon2id, Version::V0x13, params);
        let hashed = argon.hash_password_into_with_memory(secret.as_bytes(), salt, out, &mut self.blocks);
        if grown {
            self.blocks.truncate(M_COST_KIB as usize);
            self.blocks.shrink_to_fit();
        }
        hashed.is_ok() && crate::system::random::same_bytes(out, expected.as_bytes())
    }
}

/// Whether a stored hash was made with other parameters than this version's
/// (an earlier version's): once its secret is known to match, it is to be
/// hashed anew and stored.
pub fn outdated(hash: &str) -> bool {
    let Ok(parsed) = PasswordHash::new(hash) else { return false };
    match Params::try_from(&parsed) {
        Ok(p) => (p.m_cost(), p.t_cost(), p.p_cost()) != (M_COST_KIB, T_COST, P_COST),
        Err(_) => false,
    }
}

/// A hash in our parameters that no secret is known to match: verifying
/// against it costs what a real verification costs.
fn dummy_hash() -> Result<String, HashError> {
    let err = |e: argon2::password_hash::Error| HashError::Hash(e.to_string());
    let salt = SaltString::encode_b64(b"no such account!").map_err(err)?;
    let phc = PasswordHash {
        algorithm: argon2::ARGON2ID_IDENT,
        version: Some(Version::V0x13.into()),
        params: (&params()).try_into().map_err(err)?,
        salt: Some(salt.as_salt()),
        hash: Some(argon2::password_hash::Output::new(&[0u8; OUTPUT_LEN]).map_err(err)?),
    };
    Ok(phc.to_string())
}

fn worker(jobs: Arc<Mutex<Receiver<Job>>>) {
    let mut work = Work::new();
    loop {
        let job = {
            let rx = jobs.lock().unwrap_or_else(|e| e.into_inner());
            rx.recv()
        };
        match job {
            Ok(Job::Hash(secret, reply)) => {
                let _ = reply.send(work.hash(&secret));
            }
            Ok(Job::Verify(secret, hash, reply)) => {
                let _ = reply.send(work.verify(&secret, &hash));
            }
            Err(_) => return,
        }
    }
}

impl Hasher {
    pub fn new() -> Result<Hasher, HashError> {
        let (tx, rx) = sync_channel(QUEUE);
        let rx = Arc::new(Mutex::new(rx));
        for i in 0..WORKERS {
            let rx = rx.clone();
            std::thread::Builder::new()
                .name(format!("argon2-{i}"))
                .spawn(move || worker(rx))
                .map_err(|e| HashError::Hash(format!("no hashing thread: {e}")))?;
        }
        Ok(Hasher { jobs: tx, dummy: Arc::new(dummy_hash()?) })
    }

    fn submit(&self, job: Job) -> Result<(), HashError> {
        match self.jobs.try_send(job) {
            Ok(()) => Ok(()),
            Err(TrySendError::Full(_)) => Err(HashError::Busy),
            Err(TrySendError::Disconnected(_)) => Err(HashError::Hash("the hashing threads ended".into())),
        }
    }

    /// An Argon2id PHC string for `secret`.
    pub async fn hash(&self, secret: &str) -> Result<String, HashError> {
        let (tx, rx) = oneshot::channel();
        self.submit(Job::Hash(secret.to_owned(), tx))?;
        rx.await.map_err(|_| HashError::Hash("the hashing thread ended".into()))?
    }

    /// Whether `secret` matches `hash`; with no hash, spends the same time and says no.
    pub async fn verify(&self, secret: &str, hash: Option<&str>) -> Result<bool, HashError> {
        let (tx, rx) = oneshot::channel();
        let (against, real) = match hash {
            Some(h) => (h.to_owned(), true),
            None => (self.dummy.as_ref().clone(), false),
        };
        self.submit(Job::Verify(secret.to_owned(), against, tx))?;
        let matched = rx.await.map_err(|_| HashError::Hash("the hashing thread ended".into()))?;
        Ok(real && matched)
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
        assert!(a.starts_with("$argon2id$v=19$m=7168,t=5,p=1$"), "{a}");
        assert!(!outdated(&a));
        assert_ne!(a, b, "salted");
        assert!(h.verify("correct horse", Some(&a)).await.expect("verify"));
        assert!(!h.verify("wrong horse", Some(&a)).await.expect("verify"));
        assert!(!h.verify("correct horse", Some("not a hash")).await.expect("verify"));
        assert!(!h.verify("correct horse", None).await.expect("verify"));
    }

    #[tokio::test]
    async fn hashes_made_by_the_argon2_crate_itself_verify() {
        // The stored hashes of earlier versions were made by `PasswordHasher`.
        use argon2::password_hash::PasswordHasher;
        let salt = SaltString::encode_b64(b"0123456789abcdef").expect("salt");
        let argon = Argon2::new(
            Algorithm::Argon2id,
            Version::V0x13,
            Params::new(MAX_M_COST_KIB, 2, 1, None).expect("p"),
        );
        let old = argon.hash_password(b"secret-100", &salt).expect("hash").to_string();
        assert!(old.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"), "{old}");
        assert!(outdated(&old), "to be hashed anew");
        let h = Hasher::new().expect("hasher");
        assert!(h.verify("secret-100", Some(&old)).await.expect("verify"));
        assert!(!h.verify("secret-101", Some(&old)).await.expect("verify"));
        // The last version's (12 MiB, three passes) too.
        let argon =
            Argon2::new(Algorithm::Argon2id, Version::V0x13, Params::new(12 * 1024, 3, 1, None).expect("p"));
        let last = argon.hash_password(b"secret-103", &salt).expect("hash").to_string();
        assert!(outdated(&last));
        assert!(h.verify("secret-103", Some(&last)).await.expect("verify"));
        // New hashes after it, in the smaller area's parameters, verify too.
        let new = h.hash("secret-102").await.expect("hash");
        assert!(h.verify("secret-102", Some(&new)).await.expect("verify"));
        // More memory than any version asked for is refused, not allocated.
        let greedy = Argon2::new(
            Algorithm::Argon2id,
            Version::V0x13,
            Params::new(MAX_M_COST_KIB * 2, 1, 1, None).expect("p"),
        );
        let greedy = greedy.hash_password(b"secret-100", &salt).expect("hash").to_string();
        assert!(!h.verify("secret-100", Some(&greedy)).await.expect("verify"));
    }

    #[test]
    fn the_work_area_grown_for_an_old_hash_shrinks_back() {
        use argon2::password_hash::PasswordHasher;
        let salt = SaltString::encode_b64(b"0123456789abcdef").expect("salt");
        let params = Params::new(MAX_M_COST_KIB, 2, 1, None).expect("p");
        let old = Argon2::new(Algorithm::Argon2id, Version::V0x13, params).hash_password(b"pw", &salt);
        let mut work = Work::new();
        assert_eq!(work.blocks.len(), M_COST_KIB as usize);
        assert!(work.verify("pw", &old.expect("hash").to_string()));
        assert_eq!((work.blocks.len(), work.blocks.capacity()), (M_COST_KIB as usize, M_COST_KIB as usize));
    }

    #[tokio::test]
    async fn a_full_queue_says_busy_instead_of_waiting() {
        let h = Hasher::new().expect("hasher");
        let hash = h.hash("x").await.expect("hash");
        let many: Vec<_> = (0..WORKERS + QUEUE + 8).map(|_| h.verify("y", Some(&hash))).collect();
        let results = futures_util::future::join_all(many).await;
        assert!(results.iter().any(|r| matches!(r, Err(HashError::Busy))), "some were refused");
        assert!(results.iter().filter(|r| matches!(r, Ok(false))).count() >= QUEUE, "the queue was served");
    }
}
