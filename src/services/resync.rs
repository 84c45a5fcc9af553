//! What the core is programmed with after every (re)connect: each extension's
//! stored settings, the tariff and the limited extensions' credit. The store
//! is the truth; the core is brought back in line.

use crate::domain::presence::program_for;
use crate::hal::client::Resync;
use crate::hal::proto::Command;
use crate::hal::BoxFuture;
use crate::store::Store;
use crate::system::clock::Clock;

/// Re-programs every extension from the store, with the presence status that
/// applies at the clock's time.
pub struct FromStore(Store, Clock, String);

impl FromStore {
    /// With the system's clock and the default outside prefix.
    pub fn new(store: Store) -> FromStore {
        FromStore(store, Clock::system(), crate::config::DEFAULT_OUTSIDE_PREFIX.to_owned())
    }

    /// With the service's clock and the exchange's outside prefix (a status's
    /// divert is checked against it).
    pub fn with(store: Store, clock: Clock, outside_prefix: &str) -> FromStore {
        FromStore(store, clock, outside_prefix.to_owned())
    }
}

impl Resync for FromStore {
    fn commands(&self) -> BoxFuture<'_, Vec<Command>> {
        Box::pin(async move {
            let presences = self.0.presences().await.unwrap_or_default();
            let now = self.1.now();
            let mut commands: Vec<Command> = match self.0.programs().await {
                Ok(programs) => {
                    let prefix = &self.2;
                    programs
                        .into_iter()
                        .map(|(ext, stored)| {
                            let entries = presences.get(&ext).map(Vec::as_slice).unwrap_or_default();
                            let program = program_for(&stored, entries, now, prefix);
                            Command::Program { ext, program: Box::new(program.into()) }
                        })
                        .collect()
                }
                Err(e) => {
                    tracing::error!(error = %e, "cannot read the extensions' settings to program the core");
                    Vec::new()
                }
            };
            commands.extend(super::costs::programming(&self.0).await);
            commands
        })
    }
}
