//! The provisioning API's bearer tokens (SPEC V1): administrators (and tokens
//! with `security:write`) make and revoke them; the secret is shown once and
//! only its SHA-256 is kept. A request's bearer secret becomes an [`Actor`]
//! here, checked by `domain::access` like any other. Wrong secrets are counted
//! per address, and an address with too many gets "throttled" for them; the
//! last use is written at most once a minute per token, so a busy script does
//! not wear the flash.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Mutex;

use super::reset::token_hash;
use super::throttle::Throttle;
use super::{may_do, ServiceError};
use crate::domain::access::{Action, Actor, Area, Channel, Denied, Scope, Target, Who};
use crate::domain::token::{self, TokenProblem};
use crate::store::tokens::{NewToken, Token};
use crate::store::Store;
use crate::system::clock::Clock;
use crate::system::random;

/// A use is written when the last one written is older than this.
pub const USE_RECORDED_EVERY_SECS: i64 = 60;
/// Tokens whose last write is remembered at most; beyond, the memory starts over.
const MAX_REMEMBERED: usize = 1024;

/// Tokens need the store and the clock only, so that `webcti token` on the
/// board's console makes them with the same rules as the portal and the API.
pub struct Tokens {
    store: Store,
    clock: Clock,
    throttle: Throttle,
    /// When each token's use was last written.
    recorded: Mutex<HashMap<i64, i64>>,
}

/// A token as its list shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenView {
    pub id: i64,
    pub name: String,
    pub scopes: Vec<Scope>,
    pub created_at: i64,
    pub created_by: String,
    pub expires_at: Option<i64>,
    pub last_used_at: Option<i64>,
    pub last_used_from: Option<String>,
    pub revoked_at: Option<i64>,
    /// Neither revoked nor expired.
    pub in_force: bool,
}

/// A token to make: its name, scope codes, and when it expires (Unix seconds).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TokenRequest {
    pub name: String,
    pub scopes: Vec<String>,
    pub expires_at: Option<i64>,
}

/// A token just made: the secret is in this answer and nowhere else.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MadeToken {
    pub id: i64,
    pub secret: String,
}

/// Why a bearer secret did not let a request in.
#[derive(Debug, thiserror::Error)]
pub enum BearerError {
    /// Unknown, revoked or expired: the caller is not told which.
    #[error("the token is not valid")]
    Invalid,
    /// Too many wrong secrets from this address; seconds to wait.
    #[error("too many wrong tokens from this address")]
    Throttled(u64),
    #[error(transparent)]
    Service(#[from] ServiceError),
}

fn view(t: Token, now: i64) -> TokenView {
    let scopes = t.scopes.split(' ').filter_map(Scope::from_code).collect();
    TokenView {
        in_force: token::in_force(t.expires_at, t.revoked_at, now),
        id: t.id,
        name: t.name,
        scopes,
        created_at: t.created_at,
        created_by: t.created_by,
        expires_at: t.expires_at,
        last_used_at: t.last_used_at,
        last_used_from: t.last_used_from,
        revoked_at: t.revoked_at,
    }
}

impl Tokens {
    pub fn new(store: Store, clock: Clock) -> Tokens {
        Tokens { store, clock, throttle: Throttle::default(), recorded: Mutex::default() }
    }

    /// Every token, the newest first.
    pub async fn list(&self, actor: &Actor) -> Result<Vec<TokenView>, ServiceError> {
        may_do(actor, Action::Read, Target::Administration(Area::Security))?;
        let now = self.clock.now();
        Ok(self.store.tokens().await?.into_iter().map(|t| view(t, now)).collect())
    }

    /// Makes a token; the answer holds its secret, shown once.
    pub async fn create(&self, actor: &Actor, req: &TokenRequest) -> Result<MadeToken, ServiceError> {
        may_do(actor, Action::Change, Target::Administration(Area::Security))?;
        let now = self.clock.now();
        let name = token::check_name(&req.name)?;
        let scopes = token::parse_scopes(req.scopes.iter().map(String::as_str))?;
        // A token that makes tokens gives no more than it holds itself.
        if let Some(beyond) = scopes.iter().find(|s| !actor.holds(**s)) {
            tracing::info!(actor = %actor.label(), scope = %beyond.code(), "refused: a token beyond its maker's scopes");
            return Err(ServiceError::Denied(Denied::Scope));
        }
        token::check_expiry(req.expires_at, now)?;
        let secret = format!(
            "{}{}",
            token::PREFIX,
            random::hex_token(24).map_err(|e| ServiceError::Files(e.to_string()))?
        );
        let new = NewToken {
            name: name.to_owned(),
            hash: token_hash(&secret),
            scopes: token::scopes_code(&scopes),
            created_by: actor.label(),
            expires_at: req.expires_at,
        };
        let id = self.store.add_token(new, now).await?.ok_or(ServiceError::Busy(super::Busy::Tokens))?;
        tracing::info!(actor = %actor.label(), token = id, scopes = %token::scopes_code(&scopes), "token made");
        Ok(MadeToken { id, secret })
    }

    /// Revokes a token: its next request is refused.
    pub async fn revoke(&self, actor: &Actor, id: i64) -> Result<(), ServiceError> {
        may_do(actor, Action::Change, Target::Administration(Area::Security))?;
        if !self.store.revoke_token(id, self.clock.now()).await? {
            return Err(ServiceError::NotFound);
        }
        tracing::info!(actor = %actor.label(), token = id, "token revoked");
        Ok(())
    }

    /// The actor behind a bearer secret sent from `addr`. A wrong secret is
    /// counted against the address; once it has too many, its wrong secrets
    /// are answered "throttled" instead. A right one is never held back, so a
    /// script behind the same address as a guesser keeps working.
    pub async fn authenticate(&self, secret: &str, addr: IpAddr) -> Result<Actor, BearerError> {
        let now = self.clock.now();
        let found = match token::looks_like_secret(secret) {
            true => self.store.token_by_hash(&token_hash(secret)).await.map_err(ServiceError::from)?,
            false => None,
        };
        let Some(t) = found.filter(|t| token::in_force(t.expires_at, t.revoked_at, now)) else {
            let wait = self.throttle.wait_from(addr, now * 1000);
            if wait > 0 {
                return Err(BearerError::Throttled(((wait + 999) / 1000) as u64));
            }
            self.throttle.failed_from(addr, now * 1000);
            tracing::warn!(%addr, "API request with a token that is unknown, revoked or expired");
            return Err(BearerError::Invalid);
        };
        if self.due(t.id, now) {
            self.store.token_used(t.id, &addr.to_string(), now).await.map_err(ServiceError::from)?;
        }
        let scopes = t.scopes.split(' ').filter_map(Scope::from_code).collect();
        Ok(Actor::new(Who::ApiToken { id: t.id, scopes }, Channel::Api))
    }

    /// Whether this use of token `id` is to be written (and notes it).
    fn due(&self, id: i64, now: i64) -> bool {
        let mut recorded = self.recorded.lock().unwrap_or_else(|e| e.into_inner());
        if recorded.get(&id).is_some_and(|at| now - at < USE_RECORDED_EVERY_SECS) {
            return false;
        }
        if recorded.len() >= MAX_REMEMBERED {
            recorded.clear();
        }
        recorded.insert(id, now);
        true
    }
}

impl From<TokenProblem> for ServiceError {
    fn from(p: TokenProblem) -> Self {
        ServiceError::Invalid(p.into())
    }
}
