//! A shutdown signal that many tasks can wait for: the stop is asked once (SIGTERM,
//! SIGINT, or a test) and every listener, connection and background task sees it.

use tokio::sync::watch;

/// The side that asks for the stop.
#[derive(Debug, Clone)]
pub struct Trigger(watch::Sender<bool>);

/// The side that waits for it; cheap to clone.
#[derive(Debug, Clone)]
pub struct Shutdown(watch::Receiver<bool>);

/// A new, not yet triggered, shutdown signal.
pub fn channel() -> (Trigger, Shutdown) {
    let (tx, rx) = watch::channel(false);
    (Trigger(tx), Shutdown(rx))
}

impl Trigger {
    /// Asks everything to stop. Asking twice is harmless.
    pub fn trigger(&self) {
        self.0.send_replace(true);
    }
}

impl Shutdown {
    /// Completes when the stop has been asked for (at once if it already was).
    pub async fn wait(&mut self) {
        // An error means every trigger is gone, which also means stop.
        let _ = self.0.wait_for(|stop| *stop).await;
    }

    pub fn is_triggered(&self) -> bool {
        *self.0.borrow()
    }
}
