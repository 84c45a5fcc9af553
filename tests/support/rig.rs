//! The services over an in-process simulated exchange, with a store of their
//! own and a clock the test moves: for tests of service calls that need no
//! HTTP (the demo plan's extensions, no passwords).

use std::path::Path;
use std::sync::Arc;

use webcti::services::auth::Auth;
use webcti::services::bus::Bus;
use webcti::services::reset::Reset;
use webcti::services::{Context, Services};
use webcti::sim::{demo, Clock, Sim, SimCore};
use webcti::store::Store;
use webcti::system::clock::Clock as ServiceClock;

/// Where the rig's clocks start.
pub const T0: i64 = 1_800_000_000;

pub struct Rig {
    pub services: Services,
    pub ctx: Context,
    pub store: Store,
    pub sim: Sim,
    pub clock: ServiceClock,
    pub dir: tempfile::TempDir,
}

impl Rig {
    /// The database file, for what an administrator would have set by hand.
    pub fn db(&self) -> rusqlite::Connection {
        rusqlite::Connection::open(self.dir.path().join("webcti.db")).expect("db")
    }
}

pub async fn rig() -> Rig {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = Store::open(&Path::new(dir.path()).join("webcti.db")).await.expect("store");
    let plan = demo::plan();
    for e in &plan.extensions {
        store.upsert_extension(&e.number, &e.name, T0).await.expect("extension");
    }
    let sim = Sim::new(plan, Clock::Manual, T0);
    let core = Arc::new(SimCore::start(sim.clone()));
    let auth = Arc::new(Auth::new(store.clone()).expect("auth"));
    let reset = Arc::new(Reset::new(store.clone(), Default::default(), "https://pbx".into(), 1800));
    let clock = ServiceClock::manual(T0);
    let ctx = Context::new(store.clone(), core, Bus::new(), clock.clone(), "Europe/Warsaw".into());
    let services = Services::new(ctx.clone(), auth, reset, dir.path().to_path_buf());
    Rig { services, ctx, store, sim, clock, dir }
}
