//! The voicemail list (SPEC W3, W10): the messages the core reported for an
//! extension, newest first; and the messages in the browser (SPEC Y7): played
//! from the core's mailbox piece by piece, marked heard, deleted (in the core
//! too). A subscriber reaches only the messages of his own index.

use std::sync::Arc;

use super::{Context, ServiceError};
use crate::domain::access::{Action, Actor, Facet};
use crate::domain::voicemail::Voicemail;
use crate::hal::proto::{Command, Reply};
use crate::hal::{CoreError, ErrorKind, SwitchCore};

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

    /// Message `id` of `ext`'s mailbox, to be played: `NotFound` unless it is
    /// in `ext`'s index.
    #[tracing::instrument(name = "service", skip_all, fields(call = "voicemail.playback", actor = %actor.label(), via = actor.via.code(), extension = %ext, id))]
    pub async fn playback(&self, actor: &Actor, ext: &str, id: u64) -> Result<Playback, ServiceError> {
        self.mine(actor, Action::Read, ext, id).await?;
        Ok(Playback { core: self.ctx.core.clone(), ext: ext.to_owned(), id })
    }

    /// Marks message `id` heard, in the index and in the core (its lamp).
    #[tracing::instrument(name = "service", skip_all, fields(call = "voicemail.heard", actor = %actor.label(), via = actor.via.code(), extension = %ext, id))]
    pub async fn heard(&self, actor: &Actor, ext: &str, id: u64) -> Result<(), ServiceError> {
        self.mine(actor, Action::Change, ext, id).await?;
        let told =
            self.ctx.core.command(Command::VoicemailHeard { ext: ext.to_owned(), record_id: id }).await;
        match told {
            // A core of an older protocol keeps its own count.
            Ok(_) | Err(CoreError::Refused(ErrorKind::NotAllowed | ErrorKind::NoSuchMessage)) => {}
            Err(e) => return Err(e.into()),
        }
        self.ctx.store.voicemail_heard(id, self.ctx.clock.now()).await?;
        Ok(())
    }

    /// Deletes message `id`: from the core's mailbox first, then the index.
    #[tracing::instrument(name = "service", skip_all, fields(call = "voicemail.delete", actor = %actor.label(), via = actor.via.code(), extension = %ext, id))]
    pub async fn delete(&self, actor: &Actor, ext: &str, id: u64) -> Result<(), ServiceError> {
        self.mine(actor, Action::Change, ext, id).await?;
        let deleted =
            self.ctx.core.command(Command::VoicemailDelete { ext: ext.to_owned(), record_id: id }).await;
        match deleted {
            // Gone from the mailbox already (the phone's menu): the index follows.
            Ok(_) | Err(CoreError::Refused(ErrorKind::NoSuchMessage)) => {}
            Err(e) => return Err(e.into()),
        }
        self.ctx.store.delete_voicemail(ext, id).await?;
        Ok(())
    }

    async fn mine(&self, actor: &Actor, action: Action, ext: &str, id: u64) -> Result<(), ServiceError> {
        self.ctx.may(actor, action, ext, Facet::Voicemail).await?;
        match self.ctx.store.has_voicemail(ext, id).await? {
            true => Ok(()),
            false => Err(ServiceError::NotFound),
        }
    }
}

/// The most bytes of a recording one [`Playback::piece`] brings.
pub const MAX_PIECE: u32 = crate::hal::proto::MAX_AUDIO_CHUNK;

/// A message the actor may play, made by [`Voicemails::playback`] after its
/// checks: the recording comes from the core a piece at a time, so no message
/// is ever held whole in memory.
pub struct Playback {
    core: Arc<dyn SwitchCore>,
    ext: String,
    id: u64,
}

impl Playback {
    /// Up to `len` bytes from `offset` (the core sends at most
    /// `MAX_AUDIO_CHUNK` a time), and the recording's whole length.
    pub async fn piece(&self, offset: u32, len: u32) -> Result<(u32, Vec<u8>), ServiceError> {
        let command = Command::VoicemailAudio { ext: self.ext.clone(), record_id: self.id, offset, len };
        match self.core.command(command).await {
            Ok(Reply::Audio { total, bytes }) => Ok((total, bytes)),
            Ok(_) => Err(CoreError::Refused(ErrorKind::Malformed).into()),
            Err(CoreError::Refused(ErrorKind::NoSuchMessage)) => Err(ServiceError::NotFound),
            Err(e) => Err(e.into()),
        }
    }
}
