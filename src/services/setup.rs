//! First boot (SPEC A1, P4): the one-time setup secret, printed at the first
//! start and kept in the data directory (mode 0600), names the first
//! administrator (an extension) and sets its password, exactly once. Then the
//! secret is deleted and setup is over for good. Wrong secrets are throttled
//! like logins (one guess in flight per address, a budget for all addresses).

use std::net::IpAddr;
use std::path::PathBuf;
use std::sync::Arc;

use super::auth::{check_policy, Auth, PasswordProblem};
use super::password::HashError;
use super::sessions::Session;
use super::throttle::{Budget, Throttle};
use crate::domain::account::is_extension;
use crate::store::accounts::SetupDone;
use crate::store::{Store, StoreError};
use crate::system::random;

/// The secret's file in the data directory.
pub const SECRET_FILE: &str = "setup-secret";

/// The throttle's account for setup guesses: whoever tries, from wherever.
const SETUP_KEY: &str = "setup";

/// Why setup did not happen.
#[derive(Debug, thiserror::Error)]
pub enum SetupError {
    /// Setup is over (or was never possible): the page is gone.
    #[error("setup is done")]
    Done,
    #[error("wrong setup secret")]
    WrongSecret,
    #[error("too many attempts; try again in {0} seconds")]
    Throttled(u64),
    #[error("no such extension")]
    UnknownExtension,
    #[error("password: {0}")]
    Policy(PasswordProblem),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Hash(#[from] HashError),
    #[error("cannot finish setup: {0}")]
    Io(std::io::Error),
}

pub struct Setup {
    store: Store,
    auth: Arc<Auth>,
    secret_file: PathBuf,
    throttle: Throttle,
}

/// What the setup form sends.
#[derive(Debug, Clone, Default)]
pub struct SetupForm {
    pub secret: String,
    pub extension: String,
    pub password: String,
    pub repeat: String,
}

impl Setup {
    pub fn new(store: Store, auth: Arc<Auth>, secret_file: PathBuf) -> Setup {
        Setup { store, auth, secret_file, throttle: Throttle::default() }
    }

    /// The secret, while setup is still to be done.
    async fn secret(&self) -> Result<Option<String>, SetupError> {
        if self.store.setting("setup.done").await?.is_some() {
            return Ok(None);
        }
        match std::fs::read_to_string(&self.secret_file) {
            Ok(s) if !s.trim().is_empty() => Ok(Some(s.trim().to_owned())),
            Ok(_) => Ok(None),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(SetupError::Io(e)),
        }
    }

    /// Whether the setup page is offered.
    pub async fn pending(&self) -> bool {
        matches!(self.secret().await, Ok(Some(_)))
    }

    /// Names the first administrator, if the secret is right; returns his session.
    pub async fn complete(&self, f: &SetupForm, addr: IpAddr, now: i64) -> Result<Session, SetupError> {
        let secret = self.secret().await?.ok_or(SetupError::Done)?;
        let attempt = self
            .throttle
            .reserve(SETUP_KEY, addr, Budget::NORMAL, now * 1000)
            .map_err(|ms| SetupError::Throttled(((ms + 999) / 1000) as u64))?;
        let typed = f.secret.trim().to_ascii_uppercase();
        if !random::same_bytes(typed.as_bytes(), secret.as_bytes()) {
            drop(attempt);
            tracing::warn!(%addr, "wrong setup secret");
            return Err(SetupError::WrongSecret);
        }
        attempt.succeeded();
        let ext = f.extension.trim();
        if !is_extension(ext) || self.store.credentials(ext).await?.is_none() {
            return Err(SetupError::UnknownExtension);
        }
        check_policy(ext, &f.password, &f.repeat).map_err(SetupError::Policy)?;
        let hash = self.auth.hasher().hash(&f.password).await?;
        match self.store.complete_setup(ext, &hash, now).await? {
            SetupDone::Now => {}
            SetupDone::Already => return Err(SetupError::Done),
            SetupDone::NoSuchExtension => return Err(SetupError::UnknownExtension),
        }
        if let Err(e) = std::fs::remove_file(&self.secret_file) {
            // Setup is done in the store, which is what counts; the file is stale.
            tracing::warn!(error = %e, "the setup secret file could not be deleted");
        }
        self.auth.sessions.end_all(ext);
        tracing::info!(extension = %ext, %addr, "setup done: the first administrator is named");
        self.auth.sessions.create(ext, false, now).map_err(SetupError::Io)
    }
}
