//! The switching-core simulator: a product of its own (`webcti sim`), and the core
//! of the simulated board and of the tests.
//!
//! [`exchange`] is the exchange's state machine. [`Sim`] shares it between the
//! in-process core ([`SimCore`], which implements [`crate::hal::SwitchCore`]), the
//! wire server ([`server`], the same protocol a real core speaks), the traffic
//! generator ([`traffic`]) and tests, which act as the people at the phones.
//! Time is either the wall clock or a manual clock that tests move.

pub mod demo;
pub mod exchange;
mod recording;
pub mod server;
pub mod traffic;

use std::sync::{Arc, Mutex, MutexGuard};

use tokio::sync::{broadcast, mpsc, watch};

use crate::hal::proto::{Command, ErrorKind, Event, Reply};
use crate::hal::{BoxFuture, CoreError, CoreEvent, LinkHealth, LinkReporter, SwitchCore};
pub use exchange::{Ending, Exchange, Plan, SimExtension};

/// How the simulator tells time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Clock {
    /// The wall clock: timers fire by themselves.
    Real,
    /// Time moves only when a test calls [`Sim::advance`].
    Manual,
}

/// The shared simulator: the exchange and the subscribers to its events.
#[derive(Clone)]
pub struct Sim {
    inner: Arc<Inner>,
}

struct Inner {
    exchange: Mutex<Exchange>,
    clock: Clock,
    seq: Mutex<u64>,
    events: broadcast::Sender<CoreEvent>,
    /// How many CDRs wait for acknowledgement: an observation hook.
    unacked: watch::Sender<usize>,
}

/// Events kept for a subscriber that falls behind.
const EVENT_BUFFER: usize = 4096;

pub use crate::system::clock::wall_clock;

impl Sim {
    pub fn new(plan: Plan, clock: Clock, start: i64) -> Sim {
        let (events, _) = broadcast::channel(EVENT_BUFFER);
        Sim {
            inner: Arc::new(Inner {
                exchange: Mutex::new(Exchange::new(plan, start)),
                clock,
                seq: Mutex::new(0),
                events,
                unacked: watch::channel(0).0,
            }),
        }
    }

    pub fn clock(&self) -> Clock {
        self.inner.clock
    }

    /// Runs `f` on the exchange and publishes the events it caused.
    pub fn with<T>(&self, f: impl FnOnce(&mut Exchange) -> T) -> T {
        let mut ex = self.lock();
        if self.inner.clock == Clock::Real {
            ex.advance_to(wall_clock());
        }
        let out = f(&mut ex);
        let events = ex.drain_events();
        let unacked = ex.unacked_len();
        drop(ex);
        self.inner.unacked.send_if_modified(|n| std::mem::replace(n, unacked) != unacked);
        self.publish(events);
        out
    }

    fn lock(&self) -> MutexGuard<'_, Exchange> {
        // The exchange is plain data; a panic elsewhere leaves it usable.
        self.inner.exchange.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn publish(&self, events: Vec<Event>) {
        if events.is_empty() {
            return;
        }
        let mut seq = self.inner.seq.lock().unwrap_or_else(|e| e.into_inner());
        for event in events {
            *seq += 1;
            let _ = self.inner.events.send(CoreEvent { seq: *seq, event });
        }
    }

    /// The number of CDRs waiting for acknowledgement, as it changes.
    pub fn unacked(&self) -> watch::Receiver<usize> {
        self.inner.unacked.subscribe()
    }

    /// Every event from now on.
    pub fn subscribe(&self) -> broadcast::Receiver<CoreEvent> {
        self.inner.events.subscribe()
    }

    /// Carries out a command as the core would.
    pub fn command(&self, command: Command) -> Result<Reply, ErrorKind> {
        self.with(|ex| ex.handle(command))
    }

    /// Moves a manual clock forward by `secs` (timers fire).
    pub fn advance(&self, secs: i64) {
        self.with(|ex| {
            let to = ex.now() + secs;
            ex.advance_to(to)
        });
    }

    /// With the wall clock, fires what is due; run every second by [`SimCore`].
    pub fn tick(&self) {
        if self.inner.clock == Clock::Real {
            self.with(|_| ());
        }
    }
}

/// The simulator as the service's switching core, in the same process.
pub struct SimCore {
    sim: Sim,
    events: Mutex<Option<mpsc::Receiver<CoreEvent>>>,
    health: LinkHealth,
    _reporter: LinkReporter,
}

impl SimCore {
    /// Starts forwarding the simulator's events; CDRs not yet acknowledged (from
    /// before this core existed) are delivered first.
    pub fn start(sim: Sim) -> SimCore {
        let (tx, rx) = mpsc::channel(EVENT_BUFFER);
        let mut sub = sim.subscribe();
        let backlog = sim.with(|ex| ex.unacked_cdrs());
        let ticker = sim.clone();
        tokio::spawn(async move {
            for cdr in backlog {
                if tx.send(CoreEvent { seq: 0, event: Event::Cdr(cdr.into()) }).await.is_err() {
                    return;
                }
            }
            let mut tick = tokio::time::interval(std::time::Duration::from_secs(1));
            loop {
                tokio::select! {
                    ev = sub.recv() => match ev {
                        Ok(ev) => if tx.send(ev).await.is_err() { return },
                        Err(broadcast::error::RecvError::Lagged(n)) => {
                            // As after a reconnect: every unacknowledged record again.
                            tracing::warn!(missed = n, "simulator events dropped; resending call records");
                            for cdr in ticker.with(|ex| ex.unacked_cdrs()) {
                                if tx.send(CoreEvent { seq: 0, event: Event::Cdr(cdr.into()) }).await.is_err() {
                                    return;
                                }
                            }
                        }
                        Err(broadcast::error::RecvError::Closed) => return,
                    },
                    _ = tick.tick() => ticker.tick(),
                }
            }
        });
        let (reporter, health) = LinkHealth::new();
        reporter.set_up(true);
        SimCore { sim, events: Mutex::new(Some(rx)), health, _reporter: reporter }
    }

    pub fn sim(&self) -> &Sim {
        &self.sim
    }
}

impl SwitchCore for SimCore {
    fn describe(&self) -> crate::hal::CoreInfo {
        crate::hal::CoreInfo {
            kind: "simulator",
            protocol: None,
            connects: 0,
            identity: Some(server::identity()),
        }
    }

    fn command(&self, command: Command) -> BoxFuture<'_, Result<Reply, CoreError>> {
        let result = self.sim.command(command).map_err(CoreError::Refused);
        Box::pin(async move { result })
    }

    fn ack_cdrs(&self, record_ids: Vec<u64>) -> BoxFuture<'_, Result<(), CoreError>> {
        self.sim.with(|ex| ex.ack(&record_ids));
        Box::pin(async { Ok(()) })
    }

    fn take_events(&self) -> Option<mpsc::Receiver<CoreEvent>> {
        self.events.lock().ok()?.take()
    }

    fn health(&self) -> LinkHealth {
        self.health.clone()
    }
}
