//! The service's event bus: everything live (line states, call progress, stored
//! call records, voicemail) is published here once, with a sequence number, and
//! every view subscribes. A bounded ring keeps the recent events, so a browser
//! that lost its connection for a moment resumes from the last number it saw
//! without losing an event. The bus also keeps the calls that are up, as their
//! last events told (the core's snapshot has line states only), for views that
//! start over from a snapshot.

use std::collections::{BTreeMap, VecDeque};
use std::sync::{Arc, Mutex};

use tokio::sync::broadcast;

use crate::domain::cdr::Cdr;
use crate::domain::line::{CallId, LineState, Progress};

/// Events kept for resuming subscribers.
pub const RING: usize = 4096;

/// Something that happened, as views see it. Its JSON shapes are defined at
/// each front end (`http::json` for pages), never derived from these types.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Live {
    Line {
        ext: String,
        state: LineState,
    },
    Call {
        call: CallId,
        progress: Progress,
        from: String,
        to: String,
        at: String,
        /// Who the parties are, as the shared books say (reverse lookup).
        names: Names,
    },
    /// A call record is stored (and so in the history).
    CallRecord {
        cdr: Cdr,
    },
    Voicemail {
        ext: String,
        caller: String,
        at: i64,
    },
    /// A CTI account's clients bound `device` as the one in use, or (`None`)
    /// its last client left (SPEC C5): lamps fed by "the device in use" follow.
    InUse {
        account: String,
        device: Option<String>,
    },
    /// The link to the core went up or down.
    CoreLink {
        up: bool,
    },
    /// A department's callback list changed (a call record, a member's step).
    Callbacks {
        department: i64,
    },
    /// A call of `ext`'s is running out of credit (`credit` is what is left),
    /// or the exchange cleared it when it ran out (`credit` is `None`).
    Credit {
        ext: String,
        call: CallId,
        credit: Option<i64>,
    },
    /// An extension's costs changed (a priced call, a top-up, a reset, a new
    /// limit), and the exchange was given its credit.
    Costs {
        ext: String,
    },
    /// The CTI groups changed (a group saved or deleted, or an account's
    /// rights): panels are to be read again.
    Groups,
    /// An extension's settings were changed (by anyone, through any front end).
    Changed {
        ext: String,
        what: Changed,
    },
}

/// Which settings changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Changed {
    Profile,
    /// Services or forwarding: what the core is programmed with.
    Program,
    /// The presence state shown (a status set, ended, started or ended by the
    /// clock, or read from the import file).
    Presence,
}

/// A call that is up, as the last event about it told.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CallView {
    pub call: CallId,
    pub progress: Progress,
    pub from: String,
    pub to: String,
    pub at: String,
    pub names: Names,
}

/// A call's parties' names, as the extensions and the shared books (the
/// public book, the external sources) know their numbers (SPEC C14); looked
/// up once a call, by the intake.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Names {
    pub from: Option<String>,
    pub to: Option<String>,
}

/// Calls kept at most (a board's exchange carries a few hundred); a call never
/// cleared (a lost event) is forgotten first.
pub const MAX_CALLS: usize = 4096;

/// A published event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Published {
    pub seq: u64,
    pub live: Live,
}

/// The bus; cheap to clone.
#[derive(Clone)]
pub struct Bus {
    inner: Arc<Inner>,
}

struct Inner {
    /// Names this run of the service: sequence numbers start over at each.
    epoch: String,
    tx: broadcast::Sender<Published>,
    ring: Mutex<(u64, VecDeque<Published>)>,
    calls: Mutex<BTreeMap<CallId, CallView>>,
}

/// What a resuming subscriber gets.
pub enum Resume {
    /// The events it missed, then the live stream.
    From(Vec<Published>, broadcast::Receiver<Published>),
    /// Too much was missed: start over from a fresh view.
    TooOld(broadcast::Receiver<Published>),
}

impl Default for Bus {
    fn default() -> Self {
        Bus::new()
    }
}

impl Bus {
    pub fn new() -> Bus {
        let (tx, _) = broadcast::channel(RING);
        let epoch = crate::system::random::hex_token(8).unwrap_or_else(|_| "0".repeat(16));
        let ring = Mutex::new((0, VecDeque::with_capacity(RING)));
        Bus { inner: Arc::new(Inner { epoch, tx, ring, calls: Mutex::default() }) }
    }

    /// This run's name: a number seen in another run means nothing here.
    pub fn epoch(&self) -> &str {
        &self.inner.epoch
    }

    /// Publishes an event and returns its sequence number.
    pub fn publish(&self, live: Live) -> u64 {
        let mut ring = self.inner.ring.lock().unwrap_or_else(|e| e.into_inner());
        self.keep_call(&live);
        ring.0 += 1;
        let ev = Published { seq: ring.0, live };
        if ring.1.len() == RING {
            ring.1.pop_front();
        }
        ring.1.push_back(ev.clone());
        // Sent under the lock, so subscribers see the same order as the ring.
        let _ = self.inner.tx.send(ev);
        ring.0
    }

    /// Keeps the calls up from their events (under the ring's lock, so a
    /// view sees them as of a sequence number).
    fn keep_call(&self, live: &Live) {
        let mut calls = self.inner.calls.lock().unwrap_or_else(|e| e.into_inner());
        match live {
            Live::Call { call, progress: Progress::Cleared, .. } => {
                calls.remove(call);
            }
            Live::Call { call, progress, from, to, at, names } => {
                if calls.len() >= MAX_CALLS && !calls.contains_key(call) {
                    // Call ids grow; the smallest is the oldest.
                    calls.pop_first();
                }
                let (from, to, at, names) = (from.clone(), to.clone(), at.clone(), names.clone());
                calls.insert(*call, CallView { call: *call, progress: *progress, from, to, at, names });
            }
            // The link lost: what was up is unknown until the core tells again.
            Live::CoreLink { up: false } => calls.clear(),
            _ => {}
        }
    }

    /// The names a call up was published with, if it is up.
    pub fn names_of(&self, call: CallId) -> Option<Names> {
        let calls = self.inner.calls.lock().unwrap_or_else(|e| e.into_inner());
        calls.get(&call).map(|c| c.names.clone())
    }

    /// The calls up now that touch one of `lines`.
    pub fn calls_touching(&self, lines: &[String]) -> Vec<CallView> {
        let calls = self.inner.calls.lock().unwrap_or_else(|e| e.into_inner());
        let on = |e: &String| lines.contains(e);
        calls.values().filter(|c| on(&c.from) || on(&c.to) || on(&c.at)).cloned().collect()
    }

    /// The newest sequence number.
    pub fn last_seq(&self) -> u64 {
        self.inner.ring.lock().map(|r| r.0).unwrap_or(0)
    }

    pub fn subscribe(&self) -> broadcast::Receiver<Published> {
        self.inner.tx.subscribe()
    }

    /// Subscribes after `last_seen`: the missed events first, then the live ones.
    pub fn resume(&self, last_seen: u64) -> Resume {
        let ring = self.inner.ring.lock().unwrap_or_else(|e| e.into_inner());
        let rx = self.inner.tx.subscribe();
        let oldest = ring.1.front().map(|e| e.seq).unwrap_or(ring.0 + 1);
        if last_seen + 1 < oldest && last_seen < ring.0 {
            return Resume::TooOld(rx);
        }
        let missed = ring.1.iter().filter(|e| e.seq > last_seen).cloned().collect();
        Resume::From(missed, rx)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn line(ext: &str) -> Live {
        Live::Line { ext: ext.into(), state: LineState::Idle }
    }

    #[test]
    fn resume_returns_exactly_what_was_missed() {
        let bus = Bus::new();
        for i in 0..10 {
            bus.publish(line(&i.to_string()));
        }
        let Resume::From(missed, mut rx) = bus.resume(7) else { panic!("recent enough") };
        assert_eq!(missed.iter().map(|e| e.seq).collect::<Vec<_>>(), vec![8, 9, 10]);
        bus.publish(line("x"));
        assert_eq!(rx.try_recv().expect("live").seq, 11);
    }

    #[test]
    fn the_calls_up_are_kept_until_they_clear_or_the_link_goes() {
        let bus = Bus::new();
        let call = |call, progress, at: &str| Live::Call {
            call,
            progress,
            from: "0221".into(),
            to: at.into(),
            at: at.into(),
            names: Names::default(),
        };
        bus.publish(call(1, Progress::Ringing, "100"));
        bus.publish(call(2, Progress::Ringing, "101"));
        bus.publish(call(1, Progress::Answered, "100"));
        let up = bus.calls_touching(&["100".to_owned()]);
        assert_eq!(
            up.iter().map(|c| (c.call, c.progress)).collect::<Vec<_>>(),
            vec![(1, Progress::Answered)]
        );
        bus.publish(call(1, Progress::Cleared, "100"));
        assert!(bus.calls_touching(&["100".to_owned()]).is_empty());
        assert_eq!(bus.calls_touching(&["101".to_owned()]).len(), 1);
        bus.publish(Live::CoreLink { up: false });
        assert!(bus.calls_touching(&["101".to_owned()]).is_empty(), "unknown once the link is lost");
    }

    #[test]
    fn a_subscriber_too_far_behind_is_told_so() {
        let bus = Bus::new();
        for i in 0..(RING + 10) {
            bus.publish(line(&i.to_string()));
        }
        assert!(matches!(bus.resume(3), Resume::TooOld(_)));
        assert!(matches!(bus.resume(bus.last_seq()), Resume::From(v, _) if v.is_empty()));
    }
}
