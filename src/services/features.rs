//! The services page (SPEC W8): phone lock, CLIR, call waiting, call-as (one
//! of the numbers assigned to the extension),
//! wake-up call and account recall. A change is checked whole, stored in one
//! job (program and recall together), then programmed into the core; if the
//! core is not reachable, the stored settings are what it gets on the resync.

use std::sync::Arc;

use super::auth::Auth;
use super::bus::{Changed, Live};
use super::{Context, ServiceError};
use crate::domain::access::{Action, Actor, Facet};
use crate::domain::journal::{program_changes, recall_changes};
use crate::domain::number::forward_target;
use crate::domain::program::ExtensionProgram;
use crate::domain::settings::{check_recall, wakeup, ServicesProblem};
use crate::hal::Command;

#[derive(Clone)]
pub struct Features {
    ctx: Context,
    auth: Arc<Auth>,
}

/// What the services page shows.
#[derive(Debug, Clone)]
pub struct FeaturesView {
    pub program: ExtensionProgram,
    /// The numbers assigned to the extension, which "call as" may present.
    pub call_as_choices: Vec<String>,
    pub recall_account: String,
    /// Whether a recall PIN is set (the PIN itself is never shown).
    pub recall_pin_set: bool,
    /// The board's time zone, which the wake-up time is in.
    pub time_zone: String,
}

/// The services page as sent.
#[derive(Debug, Clone, Default)]
pub struct FeaturesChange {
    pub phone_lock: bool,
    pub clir: bool,
    pub call_waiting: bool,
    pub call_as: String,
    /// `HH:MM`, or empty for none.
    pub wakeup: String,
    pub recall_account: String,
    /// Empty: keep the PIN that is set.
    pub recall_pin: String,
}

/// Whether the core took a stored change now, or gets it on the resync.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Programmed {
    Now,
    OnResync,
}

impl Features {
    pub fn new(ctx: Context, auth: Arc<Auth>) -> Features {
        Features { ctx, auth }
    }

    #[tracing::instrument(name = "service", skip_all, fields(call = "features.view", actor = %actor.label(), via = actor.via.code(), extension = %ext))]
    pub async fn view(&self, actor: &Actor, ext: &str) -> Result<FeaturesView, ServiceError> {
        self.ctx.may(actor, Action::Read, ext, Facet::Program).await?;
        let program = self.ctx.stored_program(ext).await?;
        let (recall_account, recall_pin_set) = self.ctx.store.recall(ext).await?;
        let call_as_choices = self.ctx.store.caller_ids(ext).await?;
        let time_zone = self.ctx.time_zone.clone();
        Ok(FeaturesView { program, call_as_choices, recall_account, recall_pin_set, time_zone })
    }

    #[tracing::instrument(name = "service", skip_all, fields(call = "features.save", actor = %actor.label(), via = actor.via.code(), extension = %ext))]
    pub async fn save(
        &self,
        actor: &Actor,
        ext: &str,
        c: FeaturesChange,
    ) -> Result<Programmed, ServiceError> {
        self.ctx.may(actor, Action::Change, ext, Facet::Program).await?;
        let before = self.ctx.stored_program(ext).await?;
        let mut p = before.clone();
        let wakeup = wakeup(&c.wakeup)?;
        let call_as = forward_target(&c.call_as, "").map_err(|_| ServicesProblem::BadCallAs)?;
        // Only a number the administrator assigned: no caller-ID spoofing.
        if let Some(n) = &call_as {
            if !self.ctx.store.caller_ids(ext).await?.contains(n) {
                return Err(ServicesProblem::NotAssigned.into());
            }
        }
        let (account, pin) = (c.recall_account.trim(), c.recall_pin.trim());
        let (old_account, pin_set) = self.ctx.store.recall(ext).await?;
        check_recall(account, pin, &old_account, pin_set)?;
        p.phone_lock = c.phone_lock;
        p.clir = c.clir;
        p.call_waiting = c.call_waiting;
        p.call_as = call_as;
        p.wakeup = wakeup;
        let pin_hash = if pin.is_empty() { None } else { Some(self.auth.hasher().hash(pin).await?) };
        let now = self.ctx.clock.now();
        let mut list = program_changes(&before, &p);
        list.extend(recall_changes(&old_account, account, pin_hash.is_some()));
        let changes = Context::changes(actor, list);
        if !self.ctx.store.save_services(ext, p, account, pin_hash, changes, now).await? {
            return Err(ServiceError::NotFound);
        }
        tracing::info!(actor = %actor.label(), extension = %ext, "services changed");
        let programmed = program_core(&self.ctx, ext).await?;
        self.ctx.bus.publish(Live::Changed { ext: ext.to_owned(), what: Changed::Program });
        Ok(programmed)
    }
}

/// Programs the core with what is stored for `ext`.
pub(crate) async fn program_core(ctx: &Context, ext: &str) -> Result<Programmed, ServiceError> {
    let program = ctx.core_program(ext).await?;
    let command = Command::Program { ext: ext.to_owned(), program: Box::new(program.into()) };
    match ctx.core.command(command).await {
        Ok(_) => Ok(Programmed::Now),
        Err(e) => {
            tracing::warn!(extension = %ext, error = %e, "the core did not take the settings now; it gets them on resync");
            Ok(Programmed::OnResync)
        }
    }
}
