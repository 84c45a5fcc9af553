//! A department's callback list (SPEC Y5): the external callers its members
//! missed, claimed ("I will call back") and resolved by hand, or by the call
//! records themselves when someone of the department reaches the caller
//! (`store::callback`). Every change is published, so every member's open
//! list shows it at once.

use std::collections::HashMap;

use super::bus::Live;
use super::error::Invalid;
use super::{Context, ServiceError};
use crate::domain::access::{Action, Actor, Target, Who};
use crate::domain::callback::{CallbackList, Refused, Step};
use crate::domain::dialplan::Form;
use crate::domain::number::{is_phone_number, NumberProblem};

/// Open entries a page shows (the list holds at most `domain::callback::MAX_OPEN`).
const SHOWN_OPEN: u32 = 200;
/// Resolved entries a page shows, newest first.
const SHOWN_DONE: u32 = 50;

/// A department's list as a member sees it.
#[derive(Debug, Clone)]
pub struct DepartmentCallbacks {
    pub department: i64,
    pub name: String,
    pub list: CallbackList,
    /// Names for the numbers, as the member knows them (extensions, his books).
    pub names: HashMap<String, String>,
}

#[derive(Clone)]
pub struct Callbacks {
    ctx: Context,
}

impl Callbacks {
    pub fn new(ctx: Context) -> Callbacks {
        Callbacks { ctx }
    }

    /// The list of `ext`'s department, as the actor may see it; `None` while
    /// `ext` is in no department.
    #[tracing::instrument(name = "service", skip_all, fields(call = "callbacks.list", actor = %actor.label(), via = actor.via.code(), extension = %ext))]
    pub async fn list(&self, actor: &Actor, ext: &str) -> Result<Option<DepartmentCallbacks>, ServiceError> {
        let Some(department) = self.department(actor, Action::Read, ext).await? else { return Ok(None) };
        let list = self.ctx.store.callbacks(department, SHOWN_OPEN, SHOWN_DONE).await?;
        // The numbers of missed callers, as they were presented.
        let numbers = list.open.iter().chain(&list.done).map(|c| (c.number.clone(), Form::Written)).collect();
        let names = self.ctx.store.names_for(ext, numbers).await?;
        let name = self.ctx.store.departments().await?.into_iter().find(|(id, _)| *id == department);
        Ok(Some(DepartmentCallbacks {
            department,
            name: name.map(|(_, n)| n).unwrap_or_default(),
            list,
            names,
        }))
    }

    /// Claims, releases or resolves entry `id` of `ext`'s department's list,
    /// as the subscriber of `ext`.
    #[tracing::instrument(name = "service", skip_all, fields(call = "callbacks.step", actor = %actor.label(), via = actor.via.code(), extension = %ext, id))]
    pub async fn step(
        &self,
        actor: &Actor,
        ext: &str,
        id: i64,
        step: Step,
    ) -> Result<Result<(), Refused>, ServiceError> {
        let department = self.department(actor, Action::Change, ext).await?.ok_or(ServiceError::NotFound)?;
        let done = self.ctx.store.callback_step(department, id, ext, step, self.ctx.clock.now()).await?;
        if done.is_ok() {
            self.ctx.bus.publish(Live::Callbacks { department });
        }
        Ok(done)
    }

    /// "Call back later" for a caller who rings now: on `ext`'s department's
    /// list, claimed by him. False when the list is full.
    #[tracing::instrument(name = "service", skip_all, fields(call = "callbacks.later", actor = %actor.label(), via = actor.via.code(), extension = %ext))]
    pub async fn later(&self, actor: &Actor, ext: &str, number: &str) -> Result<bool, ServiceError> {
        let department = self.department(actor, Action::Change, ext).await?.ok_or(ServiceError::NotFound)?;
        if !is_phone_number(number.trim()) {
            return Err(Invalid::Number(NumberProblem::NotDialable).into());
        }
        let added =
            self.ctx.store.callback_later(department, number.trim(), ext, self.ctx.clock.now()).await?;
        if added {
            self.ctx.bus.publish(Live::Callbacks { department });
        }
        Ok(added)
    }

    /// `ext`'s department, once `domain::access` lets the actor do `action`
    /// with its list (a member acts as his own extension).
    async fn department(
        &self,
        actor: &Actor,
        action: Action,
        ext: &str,
    ) -> Result<Option<i64>, ServiceError> {
        let Some(department) = self.ctx.store.department_of(ext).await?.flatten() else { return Ok(None) };
        let member = matches!(&actor.who, Who::Subscriber { ext: own, .. } | Who::Manager { ext: own, .. } if own == ext);
        self.ctx.may_do(actor, action, Target::Callbacks { department, member })?;
        Ok(Some(department))
    }
}
