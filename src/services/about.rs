//! The administrator's "About" page (SPEC A1): what runs here and how it fares:
//! the firmware and protocol versions, the board, the core and its link, the
//! uptime, the storage (database, write-ahead log, free flash), and the CTI
//! licences the core reports with how many of each are given.

use super::employees::{licence_use, LicenceUse};
use super::{Context, ServiceError};
use crate::domain::access::{Action, Actor, Area, Target};
use crate::hal::proto::{BoardIdentity, NEWEST_VERSION};
use crate::system::files;

#[derive(Clone)]
pub struct About {
    ctx: Context,
}

/// What the page shows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AboutView {
    pub firmware: &'static str,
    /// The newest core protocol this firmware speaks, and the one in use.
    pub protocol_newest: u16,
    pub protocol_in_use: Option<u16>,
    pub board: String,
    pub hostname: String,
    pub simulated: bool,
    pub core_kind: &'static str,
    pub core_up: bool,
    pub core_connects: u64,
    /// The core's model, serial and firmware, as it said in its hello.
    pub core_identity: Option<BoardIdentity>,
    pub uptime_secs: i64,
    pub db_bytes: u64,
    pub wal_bytes: u64,
    /// `None` when the file system does not say.
    pub free_bytes: Option<u64>,
    pub schema_version: i64,
    /// Each CTI function: how many extensions hold it of the core's count.
    pub licences: Vec<LicenceUse>,
}

impl About {
    pub fn new(ctx: Context) -> About {
        About { ctx }
    }

    #[tracing::instrument(name = "service", skip_all, fields(call = "about.view", actor = %actor.label(), via = actor.via.code()))]
    pub async fn view(&self, actor: &Actor) -> Result<AboutView, ServiceError> {
        self.ctx.may_do(actor, Action::Read, Target::Administration(Area::Board))?;
        let core = self.ctx.core.describe();
        let (db_bytes, wal_bytes) = self.ctx.store.file_sizes();
        let board = &self.ctx.board;
        Ok(AboutView {
            firmware: env!("CARGO_PKG_VERSION"),
            protocol_newest: NEWEST_VERSION,
            protocol_in_use: core.protocol,
            board: board.name.clone(),
            hostname: board.hostname.clone(),
            simulated: board.simulated,
            core_kind: core.kind,
            core_up: self.ctx.core.health().is_up(),
            core_connects: core.connects,
            core_identity: core.identity,
            uptime_secs: (self.ctx.clock.now() - board.started).max(0),
            db_bytes,
            wal_bytes,
            free_bytes: files::free_bytes(&board.data_dir).ok(),
            schema_version: self.ctx.store.schema_version().await?,
            licences: licence_use(&self.ctx).await?,
        })
    }
}
