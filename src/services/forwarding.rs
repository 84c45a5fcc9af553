//! Forwarding (SPEC W9) and the "why would my phone ring?" preview (SPEC Y1).
//! A change is checked whole before anything is stored, then programmed into
//! the core. The preview asks `domain::routing`, the rules the simulator routes
//! by, with the stored program and the line as it is now or as described.

use super::bus::{Changed, Live};
use super::features::{program_core, Programmed};
use super::{Context, ServiceError};
use crate::domain::access::{Action, Actor, Area, Channel, Facet, Target, Who};
use crate::domain::journal::program_changes;
use crate::domain::line::LineState;
use crate::domain::number::{dial_string, forward_target};
use crate::domain::phonebook::PublicRight;
use crate::domain::program::{ExtensionProgram, PhoneChange, Restriction};
use crate::domain::routing::{self, CallerInfo, Decision, LineCondition};
use crate::domain::settings::{
    check_toll, no_answer_secs, rule_from_draft, ForwardingProblem, RuleDraft, MAX_RULES,
};
use crate::hal::{Command, Reply};

#[derive(Clone)]
pub struct Forwarding {
    ctx: Context,
}

/// The forwarding page as sent: numbers as typed, rules in their order.
#[derive(Debug, Clone, Default)]
pub struct ForwardingChange {
    pub forward_always: String,
    pub forward_busy: String,
    pub forward_no_answer: String,
    pub forward_unreachable: String,
    pub no_answer_secs: String,
    pub voicemail: bool,
    /// "I am here": an extension of this exchange, or empty.
    pub follow_me: String,
    /// DND with this announcement (as typed), or off.
    pub dnd: Option<String>,
    pub mobile_on_no_answer: bool,
    pub mobile_on_dnd: bool,
    pub mobile_on_unreachable: bool,
    pub rules: Vec<RuleDraft>,
}

/// A call to preview.
#[derive(Debug, Clone, Default)]
pub struct PreviewCall {
    /// Internal or external, when no number is given.
    pub internal: bool,
    /// The caller's number as typed: an extension of this exchange is internal.
    pub number: String,
    pub withheld: bool,
    /// The line as described; `None`: as it is now.
    pub line: Option<LineCondition>,
}

/// Where the previewed call goes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PreviewOutcome {
    pub arrival: Decision,
    /// After the no-answer time, when it rings at first.
    pub no_answer: Option<Decision>,
    pub no_answer_secs: u16,
    pub line: LineCondition,
    /// The line's state now, when the preview asked the core (`None`: it did not
    /// answer, or the line was described).
    pub line_now: Option<LineState>,
    pub asked_core: bool,
}

impl Forwarding {
    pub fn new(ctx: Context) -> Forwarding {
        Forwarding { ctx }
    }

    /// The extension's stored program.
    #[tracing::instrument(name = "service", skip_all, fields(call = "forwarding.program", actor = %actor.label(), via = actor.via.code(), extension = %ext))]
    pub async fn program(&self, actor: &Actor, ext: &str) -> Result<ExtensionProgram, ServiceError> {
        self.ctx.may(actor, Action::Read, ext, Facet::Program).await?;
        self.ctx.stored_program(ext).await
    }

    /// Every extension's stored program, by number, in one read (an
    /// administrator's view of all of them: the configuration export).
    pub async fn programs(&self, actor: &Actor) -> Result<Vec<(String, ExtensionProgram)>, ServiceError> {
        self.ctx.may_do(actor, Action::Read, Target::Administration(Area::Extensions))?;
        Ok(self.ctx.store.programs().await?)
    }

    /// The announcements the core offers for DND, with `current` kept selectable
    /// while the core is away.
    pub async fn announcements(&self, current: Option<u16>) -> Vec<(u16, String)> {
        let mut list: Vec<(u16, String)> = match self.ctx.core.command(Command::Announcements).await {
            Ok(Reply::Announcements { list }) => list.into_iter().map(|a| (a.id, a.name)).collect(),
            _ => Vec::new(),
        };
        if let Some(id) = current {
            if !list.iter().any(|(i, _)| *i == id) {
                list.push((id, format!("#{id}")));
            }
        }
        list
    }

    /// Checks the whole change, stores it, programs the core.
    #[tracing::instrument(name = "service", skip_all, fields(call = "forwarding.save", actor = %actor.label(), via = actor.via.code(), extension = %ext))]
    pub async fn save(
        &self,
        actor: &Actor,
        ext: &str,
        c: ForwardingChange,
    ) -> Result<Programmed, ServiceError> {
        let (before, p) = self.checked(actor, ext, &c).await?;
        let changes = Context::changes(actor, program_changes(&before, &p));
        if !self.ctx.store.save_program(ext, p, changes, self.ctx.clock.now()).await? {
            return Err(ServiceError::NotFound);
        }
        tracing::info!(actor = %actor.label(), extension = %ext, "forwarding changed");
        let programmed = program_core(&self.ctx, ext).await?;
        self.ctx.bus.publish(Live::Changed { ext: ext.to_owned(), what: Changed::Program });
        Ok(programmed)
    }

    /// What [`Forwarding::save`] would change (the fields), or why it
    /// would refuse; nothing is written.
    /// `becomes` gives the restriction and MobilePhone number the extension
    /// is about to have, which the change is checked against.
    pub async fn check(
        &self,
        actor: &Actor,
        ext: &str,
        c: &ForwardingChange,
        becomes: Option<(Restriction, Option<String>)>,
    ) -> Result<Vec<&'static str>, ServiceError> {
        let (mut before, p) = self.checked_as(actor, ext, c, becomes).await?;
        // The fields the administrator's change makes are not this one's.
        (before.restriction, before.mobile) = (p.restriction, p.mobile.clone());
        Ok(program_changes(&before, &p).into_iter().map(|c| c.field).collect())
    }

    /// The program before the change and the one it makes, checked.
    async fn checked(
        &self,
        actor: &Actor,
        ext: &str,
        c: &ForwardingChange,
    ) -> Result<(ExtensionProgram, ExtensionProgram), ServiceError> {
        self.checked_as(actor, ext, c, None).await
    }

    async fn checked_as(
        &self,
        actor: &Actor,
        ext: &str,
        c: &ForwardingChange,
        becomes: Option<(Restriction, Option<String>)>,
    ) -> Result<(ExtensionProgram, ExtensionProgram), ServiceError> {
        self.ctx.may(actor, Action::Change, ext, Facet::Program).await?;
        let before = self.ctx.stored_program(ext).await?;
        let mut p = before.clone();
        if let Some((restriction, mobile)) = becomes {
            (p.restriction, p.mobile) = (restriction, mobile);
        }
        let target = |raw: &str| forward_target(raw, ext).map_err(ForwardingProblem::from);
        p.forward_always = target(&c.forward_always)?;
        p.forward_busy = target(&c.forward_busy)?;
        p.forward_no_answer = target(&c.forward_no_answer)?;
        p.forward_unreachable = target(&c.forward_unreachable)?;
        p.no_answer_secs = no_answer_secs(&c.no_answer_secs)?;
        p.voicemail = c.voicemail;
        let follow = c.follow_me.trim();
        p.follow_me = if follow.is_empty() {
            None
        } else if follow == ext {
            return Err(ForwardingProblem::ToSelf.into());
        } else if self.ctx.store.program(follow).await?.is_some() {
            Some(follow.to_owned())
        } else {
            return Err(ForwardingProblem::UnknownExtension.into());
        };
        p.dnd = match &c.dnd {
            None => None,
            Some(raw) => {
                let id = raw.trim().parse::<u16>().map_err(|_| ForwardingProblem::BadAnnouncement)?;
                let offered = self.announcements(p.dnd).await;
                if !offered.iter().any(|(i, _)| *i == id) {
                    return Err(ForwardingProblem::BadAnnouncement.into());
                }
                Some(id)
            }
        };
        let mobile = [c.mobile_on_no_answer, c.mobile_on_dnd, c.mobile_on_unreachable];
        if mobile.iter().any(|m| *m) && p.mobile.is_none() {
            return Err(ForwardingProblem::NoMobile.into());
        }
        [p.mobile_on_no_answer, p.mobile_on_dnd, p.mobile_on_unreachable] = mobile;
        if c.rules.len() > MAX_RULES {
            return Err(ForwardingProblem::TooManyRules.into());
        }
        p.rules = c.rules.iter().map(|d| rule_from_draft(d, ext)).collect::<Result<_, _>>()?;
        check_toll(&p, &self.ctx.outside_prefix)?;
        Ok((before, p))
    }

    /// A change the subscriber keyed in at his phone, which the core has made:
    /// checked by the same rules as the page's, stored as the truth and
    /// journaled as from the phone. Refused, the core is programmed back from
    /// the store, so it holds what the store holds.
    #[tracing::instrument(name = "service", skip_all, fields(call = "forwarding.from_phone", extension = %ext))]
    pub async fn from_phone(&self, ext: &str, change: PhoneChange) -> Result<(), ServiceError> {
        let who = Who::Subscriber { ext: ext.to_owned(), pin_only: false, public_book: PublicRight::None };
        let actor = Actor::new(who, Channel::Phone);
        self.ctx.may(&actor, Action::Change, ext, Facet::Program).await?;
        let before = self.ctx.stored_program(ext).await?;
        let p = change.applied_to(&before);
        let target = p.forward_always.as_deref().unwrap_or_default();
        let checked = match forward_target(target, ext) {
            Err(e) => Err(ForwardingProblem::from(e)),
            Ok(_) => check_toll(&p, &self.ctx.outside_prefix),
        };
        if let Err(problem) = checked {
            tracing::warn!(extension = %ext, %problem, "a change keyed in at the phone is refused; the core is set back");
            program_core(&self.ctx, ext).await?;
            return Err(problem.into());
        }
        let changes = Context::changes(&actor, program_changes(&before, &p));
        if !self.ctx.store.save_program(ext, p, changes, self.ctx.clock.now()).await? {
            return Err(ServiceError::NotFound);
        }
        // The status that diverted the same way ends first: the change is whole
        // when it is logged and published.
        super::presence::end_at_phone(&self.ctx, ext, &change).await?;
        tracing::info!(extension = %ext, "forwarding changed at the phone");
        self.ctx.bus.publish(Live::Changed { ext: ext.to_owned(), what: Changed::Program });
        Ok(())
    }

    /// Where the described call would go under the stored settings.
    #[tracing::instrument(name = "service", skip_all, fields(call = "forwarding.preview", actor = %actor.label(), via = actor.via.code(), extension = %ext))]
    pub async fn preview(
        &self,
        actor: &Actor,
        ext: &str,
        call: PreviewCall,
    ) -> Result<PreviewOutcome, ServiceError> {
        self.ctx.may(actor, Action::Read, ext, Facet::Program).await?;
        // As the core routes: with a presence status's divert, if one applies.
        let p = self.ctx.core_program(ext).await?;
        let number = dial_string(&call.number);
        // A number that is an extension here is an internal caller, whatever was chosen.
        let external =
            if number.is_empty() { !call.internal } else { self.ctx.store.program(&number).await?.is_none() };
        let caller = CallerInfo { external, withheld: call.withheld };
        let (line, line_now, asked_core) = match call.line {
            Some(l) => (l, None, false),
            None => {
                self.ctx.may(actor, Action::Read, ext, Facet::Live).await?;
                let now = match self.ctx.core.command(Command::Snapshot).await {
                    Ok(Reply::Snapshot { lines }) => {
                        lines.into_iter().find(|l| l.ext == ext).map(|l| l.state.into())
                    }
                    _ => None,
                };
                let line = match now {
                    Some(LineState::Unreachable) => LineCondition::Unreachable,
                    Some(LineState::Idle | LineState::Dnd) | None => LineCondition::Free,
                    Some(_) => LineCondition::Busy,
                };
                (line, now, true)
            }
        };
        let arrival = routing::on_arrival(&p, caller, line);
        let no_answer = (arrival == Decision::Ring).then(|| routing::on_no_answer(&p, caller));
        Ok(PreviewOutcome {
            arrival,
            no_answer,
            no_answer_secs: p.no_answer_secs,
            line,
            line_now,
            asked_core,
        })
    }
}

/// Takes the changes keyed in at phones until the stop, one after another.
pub async fn take_phone_changes(
    forwarding: Forwarding,
    mut changes: tokio::sync::mpsc::Receiver<(String, PhoneChange)>,
    mut shutdown: crate::shutdown::Shutdown,
) {
    loop {
        tokio::select! {
            next = changes.recv() => match next {
                Some((ext, change)) => {
                    if let Err(e) = forwarding.from_phone(&ext, change).await {
                        tracing::info!(extension = %ext, error = %e, "change at the phone not taken");
                    }
                }
                None => return,
            },
            _ = shutdown.wait() => return,
        }
    }
}
