//! The change journal, read (SPEC Y2): "who changed my forwarding?". A
//! subscriber reads his own, a manager his departments' extensions', an
//! administrator everybody's: `domain::access` decides, as for the settings
//! themselves. The entries are written by the services that make the changes,
//! in the same store job.

use super::{Context, ServiceError};
use crate::domain::access::{Action, Actor, Facet};
use crate::domain::journal::Topic;
use crate::store::journal::JournalEntry;

/// Entries on one page.
pub const PAGE: usize = 50;

#[derive(Clone)]
pub struct Journal {
    ctx: Context,
}

impl Journal {
    pub fn new(ctx: Context) -> Journal {
        Journal { ctx }
    }

    /// `ext`'s journal, newest first, older than the entry `before` when paging.
    #[tracing::instrument(name = "service", skip_all, fields(call = "journal.page", actor = %actor.label(), via = actor.via.code(), extension = %ext))]
    pub async fn page(
        &self,
        actor: &Actor,
        ext: &str,
        before: Option<i64>,
        topic: Option<Topic>,
    ) -> Result<Vec<JournalEntry>, ServiceError> {
        self.ctx.may(actor, Action::Read, ext, Facet::Program).await?;
        Ok(self.ctx.store.journal(ext, before, topic, PAGE).await?)
    }
}
