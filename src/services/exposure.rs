//! How the portal is exposed (SPEC A7): HTTPS-only mode (plain HTTP redirects,
//! HSTS is sent) and whether WebCTI answers on the WAN interface at all. The
//! board file gives the defaults; an administrator changes both on the TLS page,
//! and the change is stored (setting `exposure`) and holds from the next request
//! on, through a restart, without one.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use serde::{Deserialize, Serialize};

use super::{Context, ServiceError};
use crate::domain::access::{Action, Actor, Area, Target};
use crate::store::{Store, StoreError};

/// Where the stored setting lives (`setting` table, JSON).
pub const SETTING: &str = "exposure";

/// The two switches, as stored and as the board file gives them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Switches {
    pub https_only: bool,
    pub wan_webcti: bool,
}

/// The switches in force, read by the listeners on every request.
#[derive(Debug)]
pub struct Exposure {
    https_only: AtomicBool,
    wan_webcti: AtomicBool,
    /// Whether the board has a WAN interface (else the WAN switch does nothing).
    has_wan: bool,
}

impl Exposure {
    pub fn new(s: Switches, has_wan: bool) -> Arc<Exposure> {
        Arc::new(Exposure {
            https_only: AtomicBool::new(s.https_only),
            wan_webcti: AtomicBool::new(s.wan_webcti),
            has_wan,
        })
    }

    pub fn https_only(&self) -> bool {
        self.https_only.load(Ordering::Relaxed)
    }

    pub fn wan_webcti(&self) -> bool {
        self.wan_webcti.load(Ordering::Relaxed)
    }

    pub fn switches(&self) -> Switches {
        Switches { https_only: self.https_only(), wan_webcti: self.wan_webcti() }
    }

    fn set(&self, s: Switches) {
        self.https_only.store(s.https_only, Ordering::Relaxed);
        self.wan_webcti.store(s.wan_webcti, Ordering::Relaxed);
    }
}

/// The stored switches, or the board file's where none are stored (or the
/// stored ones do not read).
pub async fn load(store: &Store, board: Switches) -> Result<Switches, StoreError> {
    let stored = store.setting(SETTING).await?;
    Ok(stored.and_then(|json| serde_json::from_str(&json).ok()).unwrap_or(board))
}

/// What the TLS page shows about the switches.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ExposureView {
    pub switches: Switches,
    pub has_wan: bool,
}

#[derive(Clone)]
pub struct Exposures {
    ctx: Context,
}

impl Exposures {
    pub fn new(ctx: Context) -> Exposures {
        Exposures { ctx }
    }

    /// The switches in force: the listeners' policy, asked on every request.
    pub fn current(&self) -> Arc<Exposure> {
        self.ctx.exposure.clone()
    }

    #[tracing::instrument(name = "service", skip_all, fields(call = "exposure.view", actor = %actor.label(), via = actor.via.code()))]
    pub fn view(&self, actor: &Actor) -> Result<ExposureView, ServiceError> {
        self.ctx.may_do(actor, Action::Read, Target::Administration(Area::Board))?;
        Ok(ExposureView { switches: self.ctx.exposure.switches(), has_wan: self.ctx.exposure.has_wan })
    }

    /// Stores the switches and puts them in force for the next request.
    #[tracing::instrument(name = "service", skip_all, fields(call = "exposure.set", actor = %actor.label(), via = actor.via.code()))]
    pub async fn set(&self, actor: &Actor, s: Switches) -> Result<(), ServiceError> {
        self.ctx.may_do(actor, Action::Change, Target::Administration(Area::Board))?;
        // Two booleans always serialise.
        let json = serde_json::to_string(&s).unwrap_or_default();
        self.ctx.store.set_setting(SETTING, &json).await?;
        self.ctx.exposure.set(s);
        tracing::info!(actor = %actor.label(), https_only = s.https_only, wan_webcti = s.wan_webcti, "exposure changed");
        Ok(())
    }
}
