//! SIGTERM and SIGINT ask for a clean stop.

use tokio::signal::unix::{signal, SignalKind};

use crate::shutdown::Trigger;

/// Installs the handlers and triggers `trigger` on the first SIGTERM or SIGINT.
pub fn stop_on_signals(trigger: Trigger) -> std::io::Result<()> {
    let mut term = signal(SignalKind::terminate())?;
    let mut int = signal(SignalKind::interrupt())?;
    tokio::spawn(async move {
        let name = tokio::select! {
            _ = term.recv() => "SIGTERM",
            _ = int.recv() => "SIGINT",
        };
        tracing::info!(signal = name, "stopping");
        trigger.trigger();
    });
    Ok(())
}
