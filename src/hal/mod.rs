//! The hardware abstraction layer: the only code that talks to the switching core.
//!
//! [`SwitchCore`] is what the rest of the service sees: fallible async commands
//! and one stream of events, with no board detail in them. Two implementations
//! exist and the board file chooses: the wire client ([`client`]), which speaks
//! the protocol ([`proto`], [`frame`]) over a Unix socket or a device
//! ([`transport`]), and the in-process simulator (`crate::sim`).

pub mod client;
pub mod frame;
pub mod proto;
pub mod transport;

use std::future::Future;
use std::pin::Pin;

use tokio::sync::{mpsc, watch};

pub use proto::{Command, ErrorKind, Event, Reply};

/// A boxed future, so the trait can be used as `dyn SwitchCore`.
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// Why a command did not succeed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CoreError {
    /// The core refused the command.
    #[error("the exchange refused: {0:?}")]
    Refused(ErrorKind),
    /// The link to the core is down; the command was not delivered.
    #[error("the exchange is not reachable")]
    LinkDown,
    /// The core did not answer in time.
    #[error("the exchange did not answer in time")]
    Timeout,
}

impl CoreError {
    pub fn kind(&self) -> ErrorKind {
        match self {
            CoreError::Refused(k) => *k,
            CoreError::LinkDown | CoreError::Timeout => ErrorKind::Unavailable,
        }
    }
}

/// An event from the core, with the core's sequence number.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CoreEvent {
    pub seq: u64,
    pub event: Event,
}

/// The switching core, as the service drives it.
pub trait SwitchCore: Send + Sync + 'static {
    /// Sends a command and waits for the core's answer.
    fn command(&self, command: Command) -> BoxFuture<'_, Result<Reply, CoreError>>;
    /// Tells the core that these CDRs are committed and may be forgotten.
    fn ack_cdrs(&self, record_ids: Vec<u64>) -> BoxFuture<'_, Result<(), CoreError>>;
    /// The event stream; there is one, and the first caller gets it.
    fn take_events(&self) -> Option<mpsc::Receiver<CoreEvent>>;
    /// Whether the link is up, as it changes.
    fn health(&self) -> LinkHealth;
    /// What the core is and how it is reached, for the administrator's page.
    fn describe(&self) -> CoreInfo;
}

/// What the administrator is told about the core.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CoreInfo {
    /// "simulator" (in this process) or "wire" (a core over its link).
    pub kind: &'static str,
    /// The wire protocol version of the current (or last) session; `None` in
    /// process or before the first session.
    pub protocol: Option<u16>,
    /// Sessions opened with the core since the start.
    pub connects: u64,
    /// The core's model, serial number and firmware, as its hello said.
    pub identity: Option<proto::BoardIdentity>,
}

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

    /// Completes when the link's state is `up`.
    pub async fn wait_for(&mut self, up: bool) {
        let _ = self.0.wait_for(|s| *s == up).await;
    }
}

impl LinkReporter {
    pub fn set_up(&self, up: bool) {
        self.0.send_replace(up);
    }
}
