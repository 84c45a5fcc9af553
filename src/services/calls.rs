//! Click-to-call (SPEC W4): the exchange rings the subscriber's extension (or,
//! "MobilePhone first", his mobile) and, on answer, dials the number. The number
//! is checked by `domain::number`, and so are the extension's restriction and
//! phone lock for it and for the mobile rung first; the exchange checks them
//! once more when it dials.

use super::{Context, Exchange, ServiceError};
use crate::domain::access::{Action, Actor, Area, Facet, Target};
use crate::domain::line::LineState;
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

impl Calls {
    /// Every line's state as the exchange says it now, by number (what an
    /// operator panel or a wallboard shows); the exchange must answer.
    #[tracing::instrument(name = "service", skip_all, fields(call = "calls.lines", actor = %actor.label(), via = actor.via.code()))]
    pub async fn lines(&self, actor: &Actor) -> Result<Vec<(String, LineState)>, ServiceError> {
        self.ctx.may_do(actor, Action::Read, Target::Administration(Area::Calls))?;
        match self.ctx.core.command(Command::Snapshot).await {
            Ok(Reply::Snapshot { lines }) => {
                let mut lines: Vec<(String, LineState)> =
                    lines.into_iter().map(|l| (l.ext, l.state.into())).collect();
                lines.sort_by(|a, b| a.0.cmp(&b.0));
                Ok(lines)
            }
            _ => Err(ServiceError::Exchange(Exchange::Unreachable)),
        }
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
