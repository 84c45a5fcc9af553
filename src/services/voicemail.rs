//! The voicemail list (SPEC W3, W10): the messages the core reported for an
//! extension, newest first.

use super::{Context, ServiceError};
use crate::domain::access::{Action, Actor, Facet};
use crate::domain::voicemail::Voicemail;

/// The voicemail system's number: calling it plays the messages.
pub const VOICEMAIL_NUMBER: &str = "800";

#[derive(Clone)]
pub struct Voicemails {
    ctx: Context,
}

impl Voicemails {
    pub fn new(ctx: Context) -> Voicemails {
        Voicemails { ctx }
    }

    #[tracing::instrument(name = "service", skip_all, fields(call = "voicemail.list", actor = %actor.label(), via = actor.via.code(), extension = %ext))]
    pub async fn list(&self, actor: &Actor, ext: &str, limit: u32) -> Result<Vec<Voicemail>, ServiceError> {
        self.ctx.may(actor, Action::Read, ext, Facet::Voicemail).await?;
        Ok(self.ctx.store.voicemails(ext, limit).await?)
    }
}
