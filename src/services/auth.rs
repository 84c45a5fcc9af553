//! Logging in (SPEC W1, X1-X3): extension and password; a PIN logs in only while
//! no password is set, and then only to set one; with neither, no login. Failures
//! are throttled; a password change ends the subscriber's other sessions.

use std::net::IpAddr;

use super::password::{HashError, Hasher};
use super::sessions::{Session, Sessions};
use super::throttle::Throttle;
use crate::store::{Store, StoreError};

/// The shortest password accepted.
pub const MIN_PASSWORD: usize = 8;
pub const MAX_PASSWORD: usize = 256;

#[derive(Debug, thiserror::Error)]
pub enum AuthError {
    /// The same answer whether the extension exists or not.
    #[error("wrong extension or password")]
    Failed,
    #[error("too many attempts; try again in {0} seconds")]
    Throttled(u64),
    #[error("password: {0}")]
    Policy(PasswordProblem),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Hash(#[from] HashError),
    #[error("no session could be made: {0}")]
    Session(std::io::Error),
}

/// Why a new password is not accepted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum PasswordProblem {
    #[error("too short")]
    TooShort,
    #[error("too long")]
    TooLong,
    #[error("the two entries differ")]
    Mismatch,
    #[error("the extension number itself")]
    SameAsExtension,
    #[error("the current password is wrong")]
    WrongCurrent,
}

/// The login service.
pub struct Auth {
    store: Store,
    hasher: Hasher,
    throttle: Throttle,
    pub sessions: Sessions,
}

impl Auth {
    pub fn new(store: Store) -> Result<Auth, HashError> {
        Ok(Auth {
            store,
            hasher: Hasher::new()?,
            throttle: Throttle::default(),
            sessions: Sessions::default(),
        })
    }

    pub fn hasher(&self) -> &Hasher {
        &self.hasher
    }

    /// Checks the extension's password (or, while it has none, its PIN).
    pub async fn login(&self, ext: &str, secret: &str, addr: IpAddr, now: i64) -> Result<Session, AuthError> {
        let ext = ext.trim();
        if let Err(ms) = self.throttle.check(ext, addr, now * 1000) {
            return Err(AuthError::Throttled(((ms + 999) / 1000) as u64));
        }
        let creds = if ext.is_empty() || ext.len() > 32 || secret.len() > MAX_PASSWORD {
            None
        } else {
            self.store.credentials(ext).await?
        };
        let (hash, by_pin) = match &creds {
            Some(c) if c.password_hash.is_some() => (c.password_hash.as_deref(), false),
            // A PIN is four digits; it works only until a password is set.
            Some(c) if c.pin_hash.is_some() && is_pin(secret) => (c.pin_hash.as_deref(), true),
            _ => (None, false),
        };
        if !self.hasher.verify(secret, hash).await {
            self.throttle.failed(ext, addr, now * 1000);
            tracing::info!(extension = %ext, %addr, "login failed");
            return Err(AuthError::Failed);
        }
        self.throttle.succeeded(ext, addr);
        tracing::info!(extension = %ext, %addr, pin = by_pin, "logged in");
        self.sessions.create(ext, by_pin, now).map_err(AuthError::Session)
    }

    /// Sets a new password. With `current`, it must match (a change); without, the
    /// session must be a PIN login (the first password). Ends the other sessions.
    pub async fn set_password(
        &self,
        session: &Session,
        current: Option<&str>,
        new: &str,
        repeat: &str,
        now: i64,
    ) -> Result<(), AuthError> {
        check_policy(&session.ext, new, repeat).map_err(AuthError::Policy)?;
        if !session.must_set_password {
            let creds = self.store.credentials(&session.ext).await?;
            let hash = creds.and_then(|c| c.password_hash);
            if !self.hasher.verify(current.unwrap_or(""), hash.as_deref()).await {
                return Err(AuthError::Policy(PasswordProblem::WrongCurrent));
            }
        }
        let hash = self.hasher.hash(new).await?;
        self.store.set_password_hash(&session.ext, &hash, now).await?;
        self.sessions.password_set(&session.id);
        self.sessions.remove_others(&session.ext, &session.id);
        tracing::info!(extension = %session.ext, "password changed");
        Ok(())
    }

    pub fn logout(&self, session: &Session) {
        self.sessions.remove(&session.id);
    }
}

/// Whether `new` may be the password of `ext`.
pub fn check_policy(ext: &str, new: &str, repeat: &str) -> Result<(), PasswordProblem> {
    if new != repeat {
        return Err(PasswordProblem::Mismatch);
    }
    if new.chars().count() < MIN_PASSWORD {
        return Err(PasswordProblem::TooShort);
    }
    if new.len() > MAX_PASSWORD {
        return Err(PasswordProblem::TooLong);
    }
    if new.trim() == ext {
        return Err(PasswordProblem::SameAsExtension);
    }
    Ok(())
}

fn is_pin(s: &str) -> bool {
    s.len() == 4 && s.bytes().all(|b| b.is_ascii_digit())
}
