//! What the core is programmed with after every (re)connect: each extension's
//! stored settings, the tariff and the limited extensions' credit. The store
//! is the truth; the core is brought back in line.

use crate::hal::client::Resync;
use crate::hal::proto::Command;
use crate::hal::BoxFuture;
use crate::store::Store;

/// Re-programs every extension from the store.
pub struct FromStore(pub Store);

impl Resync for FromStore {
    fn commands(&self) -> BoxFuture<'_, Vec<Command>> {
        Box::pin(async move {
            let mut commands: Vec<Command> = match self.0.programs().await {
                Ok(programs) => programs
                    .into_iter()
                    .map(|(ext, program)| Command::Program { ext, program: Box::new(program.into()) })
                    .collect(),
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
