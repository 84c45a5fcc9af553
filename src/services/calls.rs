//! Click-to-call (SPEC W4): the exchange rings the subscriber's extension (or,
//! "MobilePhone first", his mobile) and, on answer, dials the number. The number
//! is checked by `domain::number`, and so are the extension's restriction and
//! phone lock for it and for the mobile rung first; the exchange checks them
//! once more when it dials. Call control (SPEC C15): answer, clear, hold,
//! retrieve, consult, transfer, conference, pick up and deflect, for a line the
//! actor may dial from; a number dialled on its behalf (consult, deflect) passes
//! the same checks. The calls up are the bus's (`Bus::calls_touching`), so a
//! client that starts over is shown them.

pub use super::bus::CallView;
use super::{Context, Exchange, ServiceError};
use crate::domain::access::{allowed, Action, Actor, Area, Facet, Target};
use crate::domain::line::{CallId, LineState};
use crate::domain::number::{dial_on_behalf, to_dial};
use crate::hal::{Command, Reply};

#[derive(Clone)]
pub struct Calls {
    ctx: Context,
}

/// Where the subscriber takes part in the call from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CallFrom {
    Extension,
    Mobile,
}

impl CallFrom {
    pub fn code(self) -> &'static str {
        match self {
            CallFrom::Extension => "extension",
            CallFrom::Mobile => "mobile",
        }
    }

    pub fn from_code(s: &str) -> Option<CallFrom> {
        match s {
            "extension" => Some(CallFrom::Extension),
            "mobile" => Some(CallFrom::Mobile),
            _ => None,
        }
    }
}

/// A call to place on an extension's behalf.
#[derive(Debug, Clone)]
pub struct PlaceCall {
    pub ext: String,
    /// As typed: spaces, dashes and brackets are allowed.
    pub number: String,
    /// `None`: the remembered choice, else from the extension.
    pub from: Option<CallFrom>,
    /// Remember `from` as the choice for next time.
    pub remember: bool,
}

/// What a client asks the exchange to do with a call at one of its lines.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verb {
    Answer {
        call: CallId,
    },
    Clear {
        call: CallId,
    },
    Hold {
        call: CallId,
    },
    Retrieve {
        call: CallId,
    },
    /// Put `call` on hold and dial `number`.
    Consult {
        call: CallId,
        number: String,
    },
    /// Connect the held call with the active one and drop out.
    Transfer {
        held: CallId,
        active: CallId,
    },
    Conference {
        held: CallId,
        active: CallId,
    },
    /// Take the call ringing at `target` (a monitored line, with the right).
    Pickup {
        target: String,
    },
    /// Send the call ringing here to `number` before it is answered.
    Deflect {
        call: CallId,
        number: String,
    },
}

impl Verb {
    pub fn code(&self) -> &'static str {
        match self {
            Verb::Answer { .. } => "answer",
            Verb::Clear { .. } => "clear",
            Verb::Hold { .. } => "hold",
            Verb::Retrieve { .. } => "retrieve",
            Verb::Consult { .. } => "consult",
            Verb::Transfer { .. } => "transfer",
            Verb::Conference { .. } => "conference",
            Verb::Pickup { .. } => "pickup",
            Verb::Deflect { .. } => "deflect",
        }
    }
}

/// Whether `actor` may follow `ext`'s calls.
fn follows(actor: &Actor, ext: &str) -> bool {
    let target = Target::Extension { number: ext, department: None, facet: Facet::Live };
    allowed(actor, Action::Read, target).is_ok()
}

impl Calls {
    /// The states of the lines `actor` may follow among `exts`, as the
    /// exchange says them now; the exchange must answer.
    pub async fn watched(
        &self,
        actor: &Actor,
        exts: &[String],
    ) -> Result<Vec<(String, LineState)>, ServiceError> {
        let seen: Vec<&String> = exts.iter().filter(|e| follows(actor, e)).collect();
        let mut lines = self.ctx.line_states().await?;
        lines.retain(|(ext, _)| seen.contains(&ext));
        Ok(lines)
    }

    /// The calls up now at the lines `actor` may follow among `exts`.
    pub fn up(&self, actor: &Actor, exts: &[String]) -> Vec<CallView> {
        let seen: Vec<String> = exts.iter().filter(|e| follows(actor, e)).cloned().collect();
        self.ctx.bus.calls_touching(&seen)
    }

    /// Does `verb` with a call at `ext`, a line `actor` may dial from; picking
    /// up needs the right on the target too, and a number dialled (consult,
    /// deflect) must pass `ext`'s restriction and phone lock. Returns the new
    /// call's id where there is one (consult, pickup).
    pub async fn control(
        &self,
        actor: &Actor,
        ext: &str,
        verb: Verb,
    ) -> Result<Option<CallId>, ServiceError> {
        let code = verb.code();
        self.ctx.may(actor, Action::Dial, ext, Facet::Live).await?;
        if let Verb::Pickup { target } = &verb {
            self.ctx.may(actor, Action::Dial, target, Facet::Pickup).await?;
        }
        let checked = |number: &str| -> Result<String, ServiceError> {
            to_dial(number).map_err(|p| ServiceError::Invalid(p.into()))
        };
        let e = ext.to_owned();
        let command = match verb {
            Verb::Answer { call } => Command::Answer { ext: e, call },
            Verb::Clear { call } => Command::Clear { ext: e, call },
            Verb::Hold { call } => Command::Hold { ext: e, call },
            Verb::Retrieve { call } => Command::Retrieve { ext: e, call },
            Verb::Transfer { held, active } => Command::Transfer { ext: e, held, active },
            Verb::Conference { held, active } => Command::Conference { ext: e, held, active },
            Verb::Pickup { target } => Command::Pickup { ext: e, target },
            Verb::Consult { call, ref number } | Verb::Deflect { call, ref number } => {
                let number = checked(number)?;
                let program = self.ctx.stored_program(ext).await?;
                if dial_on_behalf(program.restriction, program.phone_lock, &number, &self.ctx.outside_prefix)
                    .is_err()
                {
                    tracing::info!(actor = %actor.label(), extension = %ext, "call refused: restricted");
                    return Err(ServiceError::Exchange(Exchange::Restricted));
                }
                match verb {
                    Verb::Consult { .. } => Command::Consult { ext: e, call, number },
                    _ => Command::Deflect { ext: e, call, number },
                }
            }
        };
        let reply = self.ctx.core.command(command).await?;
        tracing::info!(actor = %actor.label(), via = actor.via.code(), extension = %ext, verb = code, "call control done");
        Ok(match reply {
            Reply::Call { call } => Some(call),
            _ => None,
        })
    }

    /// Every line's state as the exchange says it now, by number (what an
    /// operator panel or a wallboard shows); the exchange must answer.
    #[tracing::instrument(name = "service", skip_all, fields(call = "calls.lines", actor = %actor.label(), via = actor.via.code()))]
    pub async fn lines(&self, actor: &Actor) -> Result<Vec<(String, LineState)>, ServiceError> {
        self.ctx.may_do(actor, Action::Read, Target::Administration(Area::Calls))?;
        self.ctx.line_states().await
    }

    pub fn new(ctx: Context) -> Calls {
        Calls { ctx }
    }

    /// Places the call; returns the number as dialled.
    #[tracing::instrument(name = "service", skip_all, fields(call = "calls.place", actor = %actor.label(), via = actor.via.code()))]
    pub async fn place(&self, actor: &Actor, req: PlaceCall) -> Result<String, ServiceError> {
        self.ctx.may(actor, Action::Dial, &req.ext, Facet::Live).await?;
        let number = to_dial(&req.number).map_err(|p| ServiceError::Invalid(p.into()))?;
        let profile = self.ctx.store.profile(&req.ext).await?.ok_or(ServiceError::NotFound)?;
        let from = req
            .from
            .or_else(|| profile.callback_choice.as_deref().and_then(CallFrom::from_code))
            .unwrap_or(CallFrom::Extension);
        let program = self.ctx.stored_program(&req.ext).await?;
        let mut dialled = vec![number.as_str()];
        if from == CallFrom::Mobile {
            dialled.extend(program.mobile.as_deref());
        }
        for n in dialled {
            if dial_on_behalf(program.restriction, program.phone_lock, n, &self.ctx.outside_prefix).is_err() {
                tracing::info!(actor = %actor.label(), extension = %req.ext, "call refused: restricted");
                return Err(ServiceError::Exchange(Exchange::Restricted));
            }
        }
        if req.remember {
            let p = &profile;
            let now = self.ctx.clock.now();
            self.ctx
                .store
                .update_app_settings(&p.number, &p.language, &p.layout, Some(from.code()), now)
                .await?;
        }
        let (ext, n) = (req.ext.clone(), number.clone());
        let command = match from {
            CallFrom::Mobile => Command::DialViaMobile { ext, number: n },
            CallFrom::Extension => Command::Dial { ext, number: n },
        };
        self.ctx.core.command(command).await?;
        tracing::info!(actor = %actor.label(), extension = %req.ext, from = from.code(), "call placed");
        Ok(number)
    }
}
