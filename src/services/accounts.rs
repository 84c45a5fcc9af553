//! Who is asking, and what a subscriber sets about himself (SPEC W12): the actor
//! behind a login session, the profile (description, e-mail), the application
//! settings (language, layout, the remembered calling choice) and the system
//! phone's key labels (SPEC W11).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use super::auth::Auth;
use super::bus::{Changed, Live};
use super::sessions::Session;
use super::{Context, ServiceError};
use crate::domain::access::{Action, Actor, Channel, Denied, Facet, Who};
use crate::domain::account::{check_profile, Profile, ProfileProblem, LANGUAGES, LAYOUTS};
use crate::domain::phonebook::PublicRight;

/// Extensions whose profile and rights are kept between requests, at most.
pub const MAX_KNOWN: usize = 1024;

/// What every request of a session needs about its extension: the profile,
/// the right to the public book, the departments managed.
type Known = (Profile, PublicRight, Vec<i64>);

#[derive(Clone)]
pub struct Accounts {
    ctx: Context,
    auth: Arc<Auth>,
    /// The last read of each extension asked about, with the store's
    /// generation before it: good while the generation stays (no write since
    /// but call records'), so a changed right is seen at the next request.
    known: Arc<Mutex<HashMap<String, (u64, Known)>>>,
}

/// The application settings as chosen; a value that is not offered keeps the old one.
#[derive(Debug, Clone, Default)]
pub struct AppSettings {
    pub language: String,
    pub layout: String,
    pub forget_callback: bool,
}

/// A system phone's model and the labels of its keys, in order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyLabels {
    pub model: String,
    pub labels: Vec<String>,
}

impl Accounts {
    pub fn new(ctx: Context, auth: Arc<Auth>) -> Accounts {
        Accounts { ctx, auth, known: Arc::default() }
    }

    /// The actor behind a login session, with his profile. `NotFound` when the
    /// extension no longer exists (the session should end with it).
    pub async fn actor_for(&self, session: &Session, via: Channel) -> Result<(Actor, Profile), ServiceError> {
        let (profile, public_book, departments) = self.known(&session.ext).await?;
        let ext = session.ext.clone();
        // A manager is one while he has departments, and a password of his own.
        let who = if departments.is_empty() || session.must_set_password {
            Who::Subscriber { ext, pin_only: session.must_set_password, public_book }
        } else {
            Who::Manager { ext, departments, public_book }
        };
        Ok((Actor::new(who, via), profile))
    }

    /// The extension's profile and rights: as read before while nothing but
    /// call records was written since, else read now.
    async fn known(&self, ext: &str) -> Result<Known, ServiceError> {
        // The generation first: a write after it makes what is read now stale.
        let generation = self.ctx.store.generation();
        let kept = {
            let known = self.known.lock().unwrap_or_else(|e| e.into_inner());
            known.get(ext).filter(|(g, _)| *g == generation).map(|(_, k)| k.clone())
        };
        if let Some(k) = kept {
            return Ok(k);
        }
        let k = self.ctx.store.profile_and_right(ext).await?.ok_or(ServiceError::NotFound)?;
        let mut known = self.known.lock().unwrap_or_else(|e| e.into_inner());
        if known.len() >= MAX_KNOWN {
            known.clear();
        }
        known.insert(ext.to_owned(), (generation, k.clone()));
        Ok(k)
    }

    /// The administrator behind a login session: refused unless the extension
    /// has the administrator's rights. The portal's own pages keep taking
    /// [`Accounts::actor_for`], so an administrator's start page shows his own
    /// extension as anybody's does.
    pub async fn administrator_for(
        &self,
        session: &Session,
        via: Channel,
    ) -> Result<(Actor, Profile), ServiceError> {
        let profile = self.ctx.store.profile(&session.ext).await?.ok_or(ServiceError::NotFound)?;
        if !profile.is_admin || session.must_set_password {
            tracing::info!(extension = %session.ext, "refused: not an administrator");
            return Err(ServiceError::Denied(Denied::AdministratorsOnly));
        }
        Ok((Actor::new(Who::Administrator { name: session.ext.clone() }, via), profile))
    }

    #[tracing::instrument(name = "service", skip_all, fields(call = "accounts.profile", actor = %actor.label(), via = actor.via.code(), extension = %ext))]
    pub async fn profile(&self, actor: &Actor, ext: &str) -> Result<Profile, ServiceError> {
        self.ctx.may(actor, Action::Read, ext, Facet::Profile).await?;
        self.ctx.store.profile(ext).await?.ok_or(ServiceError::NotFound)
    }

    /// Sets the description and the e-mail address. A subscriber changing his
    /// own address gives his current password (the address receives reset
    /// links, so a borrowed session must not be able to redirect them).
    #[tracing::instrument(name = "service", skip_all, fields(call = "accounts.save_profile", actor = %actor.label(), via = actor.via.code(), extension = %ext))]
    pub async fn save_profile(
        &self,
        actor: &Actor,
        ext: &str,
        description: &str,
        email: &str,
        current_password: &str,
    ) -> Result<Profile, ServiceError> {
        self.ctx.may(actor, Action::Change, ext, Facet::Profile).await?;
        let (description, email) = (description.trim(), email.trim());
        check_profile(description, email).map_err(|p| ServiceError::Invalid(p.into()))?;
        let old = self.ctx.store.profile(ext).await?.ok_or(ServiceError::NotFound)?;
        let own = matches!(&actor.who, Who::Subscriber { ext: mine, .. } if mine == ext);
        if own
            && old.email != email
            && !self.auth.check_password(ext, current_password, self.ctx.clock.now()).await?
        {
            return Err(ServiceError::Invalid(ProfileProblem::PasswordNeeded.into()));
        }
        self.ctx.store.update_profile(ext, description, email, self.ctx.clock.now()).await?;
        tracing::info!(actor = %actor.label(), extension = %ext, "profile changed");
        self.ctx.bus.publish(Live::Changed { ext: ext.to_owned(), what: Changed::Profile });
        self.ctx.store.profile(ext).await?.ok_or(ServiceError::NotFound)
    }

    /// Sets language and layout, or forgets the remembered calling choice.
    #[tracing::instrument(name = "service", skip_all, fields(call = "accounts.save_app", actor = %actor.label(), via = actor.via.code(), extension = %ext))]
    pub async fn save_app(&self, actor: &Actor, ext: &str, s: AppSettings) -> Result<Profile, ServiceError> {
        self.ctx.may(actor, Action::Change, ext, Facet::Profile).await?;
        let p = self.ctx.store.profile(ext).await?.ok_or(ServiceError::NotFound)?;
        let language = if LANGUAGES.contains(&s.language.as_str()) { s.language } else { p.language };
        let layout = if LAYOUTS.contains(&s.layout.as_str()) { s.layout } else { p.layout };
        let choice = if s.forget_callback { None } else { p.callback_choice };
        self.ctx
            .store
            .update_app_settings(ext, &language, &layout, choice.as_deref(), self.ctx.clock.now())
            .await?;
        self.ctx.bus.publish(Live::Changed { ext: ext.to_owned(), what: Changed::Profile });
        self.ctx.store.profile(ext).await?.ok_or(ServiceError::NotFound)
    }

    /// The system phone's key labels, if the extension has a system phone.
    #[tracing::instrument(name = "service", skip_all, fields(call = "accounts.key_labels", actor = %actor.label(), via = actor.via.code(), extension = %ext))]
    pub async fn key_labels(&self, actor: &Actor, ext: &str) -> Result<Option<KeyLabels>, ServiceError> {
        self.ctx.may(actor, Action::Read, ext, Facet::Keys).await?;
        let phone = self.ctx.store.system_phone(ext).await?;
        Ok(phone.map(|(model, labels)| KeyLabels { model, labels }))
    }
}
