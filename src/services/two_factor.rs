//! Two-factor login (SPEC X3) for administrators (and, with the managers'
//! pages, managers): a TOTP authenticator enrolled by QR code (rendered here as
//! SVG), confirmed by a first code, with ten one-time recovery codes stored as
//! hashes. At login, a password is followed by a code; codes are throttled like
//! passwords and none is accepted twice.

use std::net::IpAddr;

use super::reset::token_hash;
use super::throttle::{Budget, Throttle};
use super::{Context, ServiceError};
use crate::domain::access::{Action, Actor, Area, Denied, Facet, Target, Who};
use crate::domain::journal::{Change, Topic, ON};
use crate::domain::totp::{self, CodeProblem, SECRET_BYTES};
use crate::system::random;

/// Recovery codes made at enrolment.
pub const RECOVERY_CODES: usize = 10;

#[derive(Clone)]
pub struct TwoFactor {
    ctx: Context,
    throttle: Throttle,
    sessions: super::sessions::Sessions,
}

/// Where an administrator makes two-factor login mandatory for administrators
/// and managers (`setting` table: `true` or absent).
pub const MANDATORY_SETTING: &str = "two_factor_mandatory";

/// What the enrolment page shows: the secret, for typing, and its QR code.
#[derive(Debug, Clone)]
pub struct Enrolment {
    /// Base32 in groups of four, as people type it.
    pub secret: String,
    pub uri: String,
    pub qr_svg: String,
}

/// Whether an extension has a second factor.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Status {
    pub enabled: bool,
    pub recovery_left: i64,
}

/// Why a code at login is not accepted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CodeRefused {
    Wrong,
    Throttled(u64),
}

fn grouped(s: &str) -> String {
    s.as_bytes().chunks(4).map(|c| String::from_utf8_lossy(c).into_owned()).collect::<Vec<_>>().join(" ")
}

impl TwoFactor {
    pub fn new(ctx: Context, sessions: super::sessions::Sessions) -> TwoFactor {
        TwoFactor { ctx, throttle: Throttle::default(), sessions }
    }

    /// Whether two-factor login is mandatory for administrators and managers.
    pub async fn mandatory(&self, actor: &Actor) -> Result<bool, ServiceError> {
        self.ctx.may_do(actor, Action::Read, Target::Administration(Area::Security))?;
        Ok(self.ctx.store.setting(MANDATORY_SETTING).await?.as_deref() == Some("true"))
    }

    /// Makes it mandatory (from their next login on), or not.
    #[tracing::instrument(name = "service", skip_all, fields(call = "two_factor.set_mandatory", actor = %actor.label()))]
    pub async fn set_mandatory(&self, actor: &Actor, on: bool) -> Result<(), ServiceError> {
        self.ctx.may_do(actor, Action::Change, Target::Administration(Area::Security))?;
        self.ctx.store.set_setting(MANDATORY_SETTING, if on { "true" } else { "false" }).await?;
        tracing::info!(actor = %actor.label(), mandatory = on, "two-factor login for administrators and managers");
        Ok(())
    }

    /// Only the extension's own administrator (or manager) enrols it: what
    /// `domain::access` lets change the extension's password, and his own.
    async fn own(&self, actor: &Actor, ext: &str) -> Result<(), ServiceError> {
        self.ctx.may(actor, Action::Change, ext, Facet::Password).await?;
        match &actor.who {
            Who::Administrator { name } if name == ext => Ok(()),
            Who::Manager { ext: mine, .. } if mine == ext => Ok(()),
            _ => Err(ServiceError::Denied(Denied::AdministratorsOnly)),
        }
    }

    pub async fn status(&self, actor: &Actor, ext: &str) -> Result<Status, ServiceError> {
        self.own(actor, ext).await?;
        let enabled = self.ctx.store.second_factor(ext).await?.is_some_and(|f| f.enabled);
        Ok(Status { enabled, recovery_left: self.ctx.store.recovery_codes_left(ext).await? })
    }

    /// Starts (or starts again) an enrolment: a new secret, shown once.
    #[tracing::instrument(name = "service", skip_all, fields(call = "two_factor.begin", actor = %actor.label(), extension = %ext))]
    pub async fn begin(&self, actor: &Actor, ext: &str) -> Result<Enrolment, ServiceError> {
        self.own(actor, ext).await?;
        let mut secret = vec![0u8; SECRET_BYTES];
        getrandom::fill(&mut secret)
            .map_err(|e| ServiceError::Hash(super::password::HashError::Random(e.to_string())))?;
        if !self.ctx.store.begin_second_factor(ext, secret.clone(), self.ctx.clock.now()).await? {
            return Err(ServiceError::Denied(Denied::AdministratorsOnly));
        }
        let issuer = format!("WebCTI {}", self.ctx.board.hostname);
        let uri = totp::uri(issuer.trim(), ext, &secret);
        let qr_svg = qrcode::QrCode::new(uri.as_bytes())
            .map(|q| q.render::<qrcode::render::svg::Color<'_>>().min_dimensions(200, 200).build())
            .unwrap_or_default();
        Ok(Enrolment { secret: grouped(&totp::base32(&secret)), uri, qr_svg })
    }

    /// Confirms the enrolment with a code from the app; returns the recovery
    /// codes, shown this once.
    #[tracing::instrument(name = "service", skip_all, fields(call = "two_factor.confirm", actor = %actor.label(), extension = %ext))]
    pub async fn confirm(&self, actor: &Actor, ext: &str, typed: &str) -> Result<Vec<String>, ServiceError> {
        self.own(actor, ext).await?;
        let now = self.ctx.clock.now();
        let factor =
            self.ctx.store.second_factor(ext).await?.filter(|f| !f.enabled).ok_or(ServiceError::NotFound)?;
        let step = totp::check(&factor.secret, typed, now, factor.last_step)
            .map_err(|p| ServiceError::Invalid(super::Invalid::Code(p)))?;
        let codes: Vec<String> = (0..RECOVERY_CODES)
            .map(|_| random::secret_code().map(|c| c[..9].to_owned()))
            .collect::<Result<_, _>>()
            .map_err(|e| ServiceError::Hash(super::password::HashError::Random(e.to_string())))?;
        let hashes = codes.iter().map(|c| token_hash(c)).collect();
        let change =
            Change { topic: Topic::Password, field: "two_factor", old: String::new(), new: ON.to_owned() };
        let changes = Context::changes(actor, vec![change]);
        if !self.ctx.store.confirm_second_factor(ext, step, hashes, changes, now).await? {
            return Err(ServiceError::NotFound);
        }
        tracing::info!(extension = %ext, "two-factor login enabled");
        self.sessions.enrolled(ext);
        Ok(codes)
    }

    /// Whether a login of `ext` needs a code after the password.
    pub async fn required(&self, ext: &str) -> Result<bool, ServiceError> {
        Ok(self.ctx.store.second_factor(ext).await?.is_some_and(|f| f.enabled))
    }

    /// Checks the code typed at login (from the app, or a recovery code):
    /// throttled like a password, and never accepted twice.
    pub async fn verify(&self, ext: &str, typed: &str, addr: IpAddr) -> Result<(), CodeRefused> {
        let now = self.ctx.clock.now();
        let attempt = self
            .throttle
            .reserve(ext, addr, Budget::PIN, now * 1000)
            .map_err(|ms| CodeRefused::Throttled(((ms + 999) / 1000) as u64))?;
        let Ok(Some(factor)) = self.ctx.store.second_factor(ext).await else {
            return Err(CodeRefused::Wrong);
        };
        let accepted = match totp::check(&factor.secret, typed, now, factor.last_step) {
            Ok(step) => self.ctx.store.use_step(ext, step).await.unwrap_or(false),
            Err(CodeProblem::Malformed) => {
                let code = typed.trim().to_ascii_uppercase();
                self.ctx.store.use_recovery_code(ext, &token_hash(&code), now).await.unwrap_or(false)
            }
            Err(_) => false,
        };
        if !accepted {
            tracing::info!(extension = %ext, %addr, "wrong second-factor code");
            return Err(CodeRefused::Wrong);
        }
        attempt.succeeded();
        Ok(())
    }
}
