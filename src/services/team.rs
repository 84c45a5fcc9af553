//! A manager's people (SPEC M1-M4): the extensions of the departments assigned
//! to him and the unassigned pool he may take extensions from. For each he sets
//! the comment, description, e-mail, MobilePhone number and the mails about
//! answered and missed calls, and may give a temporary password; forwarding,
//! services, history and the journal are the subscriber's own pages, opened for
//! that extension (`?for=N`), through the same services. What is his to touch
//! is decided in `domain::access`, here as everywhere.

use std::collections::HashMap;
use std::sync::Arc;

use super::auth::Auth;
use super::bus::{Changed, Live};
use super::features::program_core;
use super::password::HashError;
use super::{Context, ServiceError};
use crate::domain::access::{Action, Actor, Denied, Facet, Target, Who};
use crate::domain::account::{check_profile, Employee, EmployeeProblem, Profile};
use crate::domain::journal::{password_set, Change, Topic, OFF, ON};
use crate::domain::line::LineState;
use crate::domain::number::to_dial;
use crate::hal::{Command, Reply};
use crate::store::org::Member;
use crate::system::random;

#[derive(Clone)]
pub struct Team {
    ctx: Context,
    auth: Arc<Auth>,
}

/// What a manager's start page shows.
#[derive(Debug, Clone, Default)]
pub struct TeamView {
    /// His departments, by id, with their names.
    pub departments: Vec<(i64, String)>,
    /// The extensions of his departments, by number.
    pub members: Vec<Employee>,
    /// The extensions in no department, which he may take.
    pub pool: Vec<Employee>,
    /// Each line's state as the core reports it now (empty if it cannot be asked).
    pub lines: HashMap<String, LineState>,
}

/// A manager's change of one extension, as typed.
#[derive(Debug, Clone, Default)]
pub struct MemberChange {
    pub comment: String,
    pub description: String,
    pub email: String,
    pub mobile: String,
    pub notify_answered: bool,
    pub notify_missed: bool,
}

/// The departments of an actor `domain::access` let at [`Target::Team`]: a
/// manager's (an administrator manages none of his own).
fn departments_of(actor: &Actor) -> Result<&[i64], ServiceError> {
    match &actor.who {
        Who::Manager { departments, .. } => Ok(departments),
        _ => Err(ServiceError::Denied(Denied::NotYours)),
    }
}

impl Team {
    pub fn new(ctx: Context, auth: Arc<Auth>) -> Team {
        Team { ctx, auth }
    }

    /// Refused unless `actor` manages departments.
    pub fn manager(&self, actor: &Actor) -> Result<(), ServiceError> {
        self.ctx.may_do(actor, Action::Read, Target::Team)?;
        departments_of(actor).map(|_| ())
    }

    /// His departments' extensions and the pool, with their lines' states.
    #[tracing::instrument(name = "service", skip_all, fields(call = "team.view", actor = %actor.label(), via = actor.via.code()))]
    pub async fn view(&self, actor: &Actor) -> Result<TeamView, ServiceError> {
        self.ctx.may_do(actor, Action::Read, Target::Team)?;
        let mine = departments_of(actor)?;
        let departments =
            self.ctx.store.departments().await?.into_iter().filter(|(id, _)| mine.contains(id)).collect();
        let (mut members, mut pool) = (Vec::new(), Vec::new());
        for e in self.ctx.store.employees().await? {
            match e.department {
                Some(d) if mine.contains(&d) => members.push(e),
                None => pool.push(e),
                Some(_) => {}
            }
        }
        let lines = match self.ctx.core.command(Command::Snapshot).await {
            Ok(Reply::Snapshot { lines }) => lines.into_iter().map(|l| (l.ext, l.state.into())).collect(),
            _ => HashMap::new(),
        };
        Ok(TeamView { departments, members, pool, lines })
    }

    /// One of his extensions, as its page shows it.
    #[tracing::instrument(name = "service", skip_all, fields(call = "team.member", actor = %actor.label(), via = actor.via.code(), extension = %ext))]
    pub async fn member(&self, actor: &Actor, ext: &str) -> Result<Profile, ServiceError> {
        self.manager(actor)?;
        self.ctx.may(actor, Action::Read, ext, Facet::Profile).await?;
        self.ctx.store.profile(ext).await?.ok_or(ServiceError::NotFound)
    }

    /// Stores a manager's change of one of his extensions, checked whole, with
    /// its journal entries; the MobilePhone number is programmed into the core.
    #[tracing::instrument(name = "service", skip_all, fields(call = "team.save", actor = %actor.label(), via = actor.via.code(), extension = %ext))]
    pub async fn save(&self, actor: &Actor, ext: &str, c: MemberChange) -> Result<Profile, ServiceError> {
        self.manager(actor)?;
        self.ctx.may(actor, Action::Change, ext, Facet::Profile).await?;
        self.ctx.may(actor, Action::Change, ext, Facet::Program).await?;
        let old = self.ctx.store.profile(ext).await?.ok_or(ServiceError::NotFound)?;
        let (comment, description, email) = (c.comment.trim(), c.description.trim(), c.email.trim());
        check_profile(description, email).map_err(|p| ServiceError::Invalid(p.into()))?;
        check_profile(comment, "").map_err(|p| ServiceError::Invalid(p.into()))?;
        let mobile = match c.mobile.trim() {
            "" => String::new(),
            m => to_dial(m).map_err(|_| ServiceError::Invalid(EmployeeProblem::BadMobile.into()))?,
        };
        let new = Member {
            number: old.number.clone(),
            comment: comment.to_owned(),
            description: description.to_owned(),
            email: email.to_owned(),
            mobile,
            notify_answered: c.notify_answered,
            notify_missed: c.notify_missed,
        };
        let changes = Context::changes(actor, member_changes(&old, &new));
        if !self.ctx.store.save_member(new, changes, self.ctx.clock.now()).await? {
            return Err(ServiceError::NotFound);
        }
        tracing::info!(actor = %actor.label(), extension = %ext, "extension changed by its manager");
        program_core(&self.ctx, ext).await?;
        self.ctx.bus.publish(Live::Changed { ext: ext.to_owned(), what: Changed::Profile });
        self.ctx.store.profile(ext).await?.ok_or(ServiceError::NotFound)
    }

    /// The journals of his departments' extensions, newest first.
    #[tracing::instrument(name = "service", skip_all, fields(call = "team.journal", actor = %actor.label(), via = actor.via.code()))]
    pub async fn journal(
        &self,
        actor: &Actor,
        before: Option<i64>,
        topic: Option<crate::domain::journal::Topic>,
    ) -> Result<Vec<crate::domain::journal::JournalEntry>, ServiceError> {
        self.manager(actor)?;
        let own = actor.own_extension().unwrap_or_default();
        Ok(self.ctx.store.departments_journal(own, before, topic, super::journal::PAGE).await?)
    }

    /// Takes an extension of the pool into one of his departments.
    #[tracing::instrument(name = "service", skip_all, fields(call = "team.take", actor = %actor.label(), via = actor.via.code(), extension = %ext))]
    pub async fn take(&self, actor: &Actor, ext: &str, department: i64) -> Result<(), ServiceError> {
        self.ctx.may_do(actor, Action::Change, Target::Team)?;
        if !departments_of(actor)?.contains(&department) {
            return Err(ServiceError::Denied(Denied::OutsideDepartments));
        }
        if self.ctx.store.department_of(ext).await?.ok_or(ServiceError::NotFound)?.is_some() {
            return Err(ServiceError::Invalid(EmployeeProblem::NotInPool.into()));
        }
        self.ctx.may(actor, Action::Change, ext, Facet::Profile).await?;
        let taken = Change {
            topic: Topic::Rights,
            field: "department",
            old: String::new(),
            new: department.to_string(),
        };
        let changes = Context::changes(actor, vec![taken]);
        // Another manager may have taken it meanwhile: then it is not in the pool.
        if !self.ctx.store.take_from_pool(ext, department, changes, self.ctx.clock.now()).await? {
            return Err(ServiceError::Invalid(EmployeeProblem::NotInPool.into()));
        }
        tracing::info!(actor = %actor.label(), extension = %ext, department, "taken from the pool");
        self.ctx.bus.publish(Live::Changed { ext: ext.to_owned(), what: Changed::Profile });
        Ok(())
    }

    /// Gives `ext` a new temporary password and returns it, to be shown once:
    /// the old password stops working, the extension's sessions end, and the
    /// temporary one only lets its subscriber choose a password. For an
    /// administrator, or the extension's manager.
    #[tracing::instrument(name = "service", skip_all, fields(call = "team.temporary_password", actor = %actor.label(), via = actor.via.code(), extension = %ext))]
    pub async fn temporary_password(&self, actor: &Actor, ext: &str) -> Result<String, ServiceError> {
        self.ctx.may(actor, Action::Change, ext, Facet::Credentials).await?;
        let password =
            random::secret_code().map_err(|e| ServiceError::Hash(HashError::Random(e.to_string())))?;
        let hash = self.auth.hasher().hash(&password).await?;
        let changes = Context::changes(actor, vec![password_set()]);
        if !self.ctx.store.set_temporary_password(ext, &hash, changes, self.ctx.clock.now()).await? {
            return Err(ServiceError::NotFound);
        }
        self.auth.sessions.end_all(ext);
        tracing::info!(actor = %actor.label(), extension = %ext, "temporary password given");
        Ok(password)
    }
}

/// What a manager's change changed, for the journal.
fn member_changes(old: &Profile, new: &Member) -> Vec<Change> {
    let flag = |b: bool| if b { ON } else { OFF }.to_owned();
    let fields: [(Topic, &'static str, String, String); 6] = [
        (Topic::Profile, "comment", old.comment.clone(), new.comment.clone()),
        (Topic::Profile, "description", old.description.clone(), new.description.clone()),
        (Topic::Profile, "email", old.email.clone(), new.email.clone()),
        (Topic::Forwarding, "mobile", old.mobile_number.clone(), new.mobile.clone()),
        (Topic::Profile, "notify_answered", flag(old.notify_answered), flag(new.notify_answered)),
        (Topic::Profile, "notify_missed", flag(old.notify_missed), flag(new.notify_missed)),
    ];
    fields
        .into_iter()
        .filter(|(_, _, o, n)| o != n)
        .map(|(topic, field, old, new)| Change { topic, field, old, new })
        .collect()
}
