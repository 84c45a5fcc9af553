//! Logging in (SPEC W1, X1-X3): extension and password; a PIN logs in only while
//! no password is set, and then only to set one; with neither, no login. Failures
//! are throttled; a password change ends the subscriber's other sessions.

use std::net::IpAddr;

use super::password::{self, HashError, Hasher};
use super::sessions::{Session, Sessions};
use super::throttle::{Budget, Throttle};
use crate::domain::account::is_extension;
use crate::domain::journal::password_set;
use crate::store::journal::{Author, Changes};
use crate::store::{Store, StoreError};

/// Whose password a hash is: an extension's (the portal's login) or a CTI account's.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Whose<'a> {
    Extension(&'a str),
    Account(i64),
}

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

    /// Checks the extension's password (or, while it has none, its PIN). The
    /// guess is reserved with the throttle before it is hashed, so parallel
    /// guesses are counted as they come; what cannot be an extension is refused
    /// before it is looked up, throttled or logged.
    pub async fn login(&self, ext: &str, secret: &str, addr: IpAddr, now: i64) -> Result<Session, AuthError> {
        let ext = ext.trim();
        if !is_extension(ext) || secret.len() > MAX_PASSWORD {
            return Err(AuthError::Failed);
        }
        let creds = self.store.credentials(ext).await?;
        let (hash, by_pin) = match &creds {
            Some(c) if c.password_hash.is_some() => (c.password_hash.as_deref(), false),
            // A PIN is four digits; it works only until a password is set.
            Some(c) if c.pin_hash.is_some() && is_pin(secret) => (c.pin_hash.as_deref(), true),
            _ => (None, false),
        };
        let pin_only = creds.as_ref().is_some_and(|c| c.password_hash.is_none() && c.pin_hash.is_some());
        let budget = if pin_only { Budget::PIN } else { Budget::NORMAL };
        let attempt = self
            .throttle
            .reserve(ext, addr, budget, now * 1000)
            .map_err(|ms| AuthError::Throttled(((ms + 999) / 1000) as u64))?;
        let matched = match self.hasher.verify(secret, hash).await {
            Ok(m) => m,
            // Busy hashing: the reservation stays counted, so a storm cannot
            // make room for itself by filling the queue.
            Err(HashError::Busy) => return Err(AuthError::Throttled(1)),
            Err(e) => return Err(e.into()),
        };
        if !matched {
            drop(attempt);
            tracing::info!(extension = %ext, %addr, "login failed");
            return Err(AuthError::Failed);
        }
        attempt.succeeded();
        if let (false, Some(old)) = (by_pin, hash.filter(|h| password::outdated(h))) {
            self.rehash(Whose::Extension(ext), old, secret).await;
        }
        // A PIN or a temporary password logs in only to choose a password.
        let temporary = !by_pin && creds.as_ref().is_some_and(|c| c.temporary);
        tracing::info!(extension = %ext, %addr, pin = by_pin, temporary, "logged in");
        let session = self.sessions.create(ext, by_pin || temporary, now).map_err(AuthError::Session)?;
        if temporary {
            self.sessions.mark_temporary(&session.id);
        }
        // With a second factor, the session waits for its code.
        let needs_code = self.store.second_factor(ext).await?.is_some_and(|f| f.enabled);
        if needs_code {
            self.sessions.require_code(&session.id);
        }
        // Where it is mandatory, an administrator or a manager without one enrols first.
        let must_enrol = !needs_code && !session.must_set_password && self.must_enrol(ext).await?;
        if must_enrol {
            self.sessions.require_enrolment(&session.id);
        }
        Ok(Session { temporary, needs_code, must_enrol, ..session })
    }

    /// Stores the password of `whose`, which matched the hash `old` of an
    /// earlier version's parameters, hashed in this version's. The login goes
    /// on if this fails: the old hash still verifies.
    pub(crate) async fn rehash(&self, whose: Whose<'_>, old: &str, secret: &str) {
        let stored = match self.hasher.hash(secret).await {
            Ok(new) => match whose {
                Whose::Extension(ext) => self.store.rehash_password(ext, old, &new).await,
                Whose::Account(id) => self.store.rehash_cti_password(id, old.to_owned(), new).await,
            },
            Err(e) => {
                tracing::warn!(?whose, error = %e, "password not hashed anew");
                return;
            }
        };
        match stored {
            Ok(true) => tracing::info!(?whose, "password hashed anew in this version's parameters"),
            Ok(false) => {}
            Err(e) => tracing::warn!(?whose, error = %e, "password not hashed anew"),
        }
    }

    /// Whether two-factor login is mandatory (SPEC X3) and `ext`, an
    /// administrator or a manager, has none.
    async fn must_enrol(&self, ext: &str) -> Result<bool, StoreError> {
        if self.store.setting(super::two_factor::MANDATORY_SETTING).await?.as_deref() != Some("true") {
            return Ok(false);
        }
        let Some((profile, _, departments)) = self.store.profile_and_right(ext).await? else {
            return Ok(false);
        };
        Ok(profile.is_admin || !departments.is_empty())
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
        if !session.must_set_password
            && !self.check_password(&session.ext, current.unwrap_or(""), now).await?
        {
            return Err(AuthError::Policy(PasswordProblem::WrongCurrent));
        }
        let by = Author { actor: format!("subscriber:{}", session.ext), via: "web" };
        self.store_password(&session.ext, new, by, now).await?;
        self.sessions.password_set(&session.id);
        self.sessions.remove_others(&session.ext, &session.id);
        tracing::info!(extension = %session.ext, "password changed");
        Ok(())
    }

    /// Sets the password of `ext` from a reset link (its token already used up):
    /// every session of the extension ends.
    pub async fn reset_password(
        &self,
        ext: &str,
        new: &str,
        repeat: &str,
        now: i64,
    ) -> Result<(), AuthError> {
        check_policy(ext, new, repeat).map_err(AuthError::Policy)?;
        let by = Author { actor: "reset-link".to_owned(), via: "web" };
        self.store_password(ext, new, by, now).await?;
        self.sessions.end_all(ext);
        Ok(())
    }

    /// Hashes and stores a new password, with the journal's entry (never its value).
    async fn store_password(&self, ext: &str, new: &str, by: Author, now: i64) -> Result<(), AuthError> {
        let hash = self.hasher.hash(new).await?;
        self.store.set_password_hash(ext, &hash, now).await?;
        self.store.record_changes(ext, Changes { by, list: vec![password_set()] }, now).await?;
        Ok(())
    }

    /// Whether `password` is the current password of `ext`, asked from within a
    /// session (to change the password or the e-mail address). These guesses
    /// count against the account's budget like logins, so a borrowed session
    /// cannot guess faster than a stranger.
    pub async fn check_password(&self, ext: &str, password: &str, now: i64) -> Result<bool, HashError> {
        if password.len() > MAX_PASSWORD {
            return Ok(false);
        }
        let hash = match self.store.credentials(ext).await {
            Ok(c) => c.and_then(|c| c.password_hash),
            Err(e) => return Err(HashError::Hash(e.to_string())),
        };
        let within = IpAddr::from([0, 0, 0, 0]);
        let Ok(attempt) = self.throttle.reserve(ext, within, Budget::NORMAL, now * 1000) else {
            return Ok(false);
        };
        let matched = self.hasher.verify(password, hash.as_deref()).await?;
        if matched {
            attempt.succeeded();
        }
        Ok(matched)
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
