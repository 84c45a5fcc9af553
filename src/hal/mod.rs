//! The hardware abstraction layer: the only code that talks to the switching core.
//!
//! For now it carries the core link's health as the rest of the service sees it;
//! the `SwitchCore` trait, the wire protocol and the core client live here too.

use tokio::sync::watch;

/// Whether the link to the switching core is up, as the health check and the
/// watchdog see it.
#[derive(Debug, Clone)]
pub struct LinkHealth(watch::Receiver<bool>);

/// The side that reports the link's state.
#[derive(Debug)]
pub struct LinkReporter(watch::Sender<bool>);

impl LinkHealth {
    /// A reporter and its receiver, starting down.
    pub fn new() -> (LinkReporter, LinkHealth) {
        let (tx, rx) = watch::channel(false);
        (LinkReporter(tx), LinkHealth(rx))
    }

    pub fn is_up(&self) -> bool {
        *self.0.borrow()
    }
}

impl LinkReporter {
    pub fn set_up(&self, up: bool) {
        self.0.send_replace(up);
    }
}
