//! The service's event bus: everything live (line states, call progress, stored
//! call records, voicemail) is published here once, with a sequence number, and
//! every view subscribes. A bounded ring keeps the recent events, so a browser
//! that lost its connection for a moment resumes from the last number it saw
//! without losing an event. The bus also keeps the calls that are up, as their
//! last events told (the core's snapshot has line states only), for views that
//! start over from a snapshot.

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::sync::{Arc, Mutex};

use tokio::sync::{broadcast, Notify};

use crate::domain::cdr::Cdr;
use crate::domain::line::{CallId, LineState, Progress};

/// Events kept for resuming subscribers.
pub const RING: usize = 4096;

/// Events a feed may have waiting before it is told it fell behind (and its
/// view starts over): a feed gets only the events about its lines, so this is
/// a burst a reader did not keep up with, not the bus's whole traffic.
pub const QUEUE: usize = 512;

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
    /// Every event, for the service's own workers (costs, mail): the ring's
    /// own copies, shared.
    tx: broadcast::Sender<Arc<Published>>,
    ring: Mutex<(u64, VecDeque<Arc<Published>>)>,
    /// The views' feeds, by what they may see; taken under the ring's lock.
    routes: Mutex<Routes>,
    calls: Mutex<BTreeMap<CallId, CallView>>,
}

/// What a resuming subscriber gets.
pub enum Resume {
    /// The events it missed, then the live stream.
    From(Vec<Arc<Published>>, Subscription),
    /// Too much was missed: start over from a fresh view.
    TooOld(Subscription),
}

/// Which events a feed is handed: those about its lines or its department,
/// and those about no extension (the link, the groups), or every one. What
/// it is then shown is the access rules' to say (`services::live`); this
/// only spares a feed the events it could never show, so that an event
/// wakes the few views it is for, not every one (SPEC W3).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reach {
    Everything,
    Lines { lines: Vec<String>, department: Option<i64> },
}

/// Whom an event is about.
enum About<'a> {
    Everyone,
    Lines([&'a str; 3]),
    Department(i64),
}

impl Live {
    fn about(&self) -> About<'_> {
        match self {
            Live::Line { ext, .. }
            | Live::Voicemail { ext, .. }
            | Live::Credit { ext, .. }
            | Live::Costs { ext }
            | Live::Changed { ext, .. }
            | Live::InUse { device: Some(ext), .. } => About::Lines([ext, "", ""]),
            Live::Call { from, to, at, .. } => About::Lines([from, to, at]),
            Live::CallRecord { cdr } => About::Lines([&cdr.extension, "", ""]),
            Live::Callbacks { department } => About::Department(*department),
            Live::InUse { device: None, .. } | Live::CoreLink { .. } | Live::Groups => About::Everyone,
        }
    }
}

/// One view's queue of events.
struct Queue {
    state: Mutex<Waiting>,
    ready: Notify,
}

#[derive(Default)]
struct Waiting {
    events: VecDeque<Arc<Published>>,
    /// The newest event queued (an event about two of its lines comes once).
    last: u64,
    /// Events were dropped: the view is to start over.
    behind: bool,
}

impl Queue {
    fn push(&self, ev: &Arc<Published>) {
        let mut w = self.state.lock().unwrap_or_else(|e| e.into_inner());
        if w.last == ev.seq {
            return;
        }
        w.last = ev.seq;
        if w.events.len() >= QUEUE {
            w.events = VecDeque::new();
            w.behind = true;
        } else {
            w.events.push_back(ev.clone());
        }
        drop(w);
        self.ready.notify_one();
    }
}

/// The feeds, by what they are handed.
#[derive(Default)]
struct Routes {
    every: Vec<Arc<Queue>>,
    /// Feeds handed every event.
    wide: Vec<Arc<Queue>>,
    lines: HashMap<String, Vec<Arc<Queue>>>,
    departments: HashMap<i64, Vec<Arc<Queue>>>,
}

impl Routes {
    fn deliver(&self, ev: &Arc<Published>) {
        match ev.live.about() {
            About::Everyone => self.every.iter().for_each(|q| q.push(ev)),
            About::Lines(lines) => {
                self.wide.iter().for_each(|q| q.push(ev));
                for line in lines.iter().filter(|l| !l.is_empty()) {
                    self.lines.get(*line).into_iter().flatten().for_each(|q| q.push(ev));
                }
            }
            About::Department(d) => {
                self.wide.iter().for_each(|q| q.push(ev));
                self.departments.get(&d).into_iter().flatten().for_each(|q| q.push(ev));
            }
        }
    }

    fn add(&mut self, queue: &Arc<Queue>, reach: &Reach) {
        self.every.push(queue.clone());
        match reach {
            Reach::Everything => self.wide.push(queue.clone()),
            Reach::Lines { lines, department } => {
                for line in lines {
                    let feeds = self.lines.entry(line.clone()).or_default();
                    if !feeds.iter().any(|q| Arc::ptr_eq(q, queue)) {
                        feeds.push(queue.clone());
                    }
                }
                if let Some(d) = department {
                    self.departments.entry(*d).or_default().push(queue.clone());
                }
            }
        }
    }

    fn remove(&mut self, queue: &Arc<Queue>, reach: &Reach) {
        let out = |feeds: &mut Vec<Arc<Queue>>| feeds.retain(|q| !Arc::ptr_eq(q, queue));
        out(&mut self.every);
        match reach {
            Reach::Everything => out(&mut self.wide),
            Reach::Lines { lines, department } => {
                for line in lines {
                    if let Some(feeds) = self.lines.get_mut(line) {
                        out(feeds);
                        if feeds.is_empty() {
                            self.lines.remove(line);
                        }
                    }
                }
                if let Some(feeds) = department.and_then(|d| self.departments.get_mut(&d)) {
                    out(feeds);
                }
                self.departments.retain(|_, feeds| !feeds.is_empty());
            }
        }
    }
}

/// The events within its reach, in order, from the
/// moment it was made; it leaves the bus when dropped.
pub struct Subscription {
    queue: Arc<Queue>,
    reach: Reach,
    bus: Bus,
}

/// The feed fell behind by more than `QUEUE` events: what it missed is lost.
#[derive(Debug, PartialEq, Eq)]
pub struct Behind;

impl Subscription {
    /// The next event, or `Behind` once when events were lost (then the
    /// ones after). Cancel-safe: an event not taken stays queued.
    pub async fn recv(&mut self) -> Result<Arc<Published>, Behind> {
        loop {
            let ready = self.queue.ready.notified();
            if let Some(next) = self.try_recv() {
                return next;
            }
            ready.await;
        }
    }

    /// The next event if one is waiting.
    pub fn try_recv(&self) -> Option<Result<Arc<Published>, Behind>> {
        let mut w = self.queue.state.lock().unwrap_or_else(|e| e.into_inner());
        if w.behind {
            w.behind = false;
            return Some(Err(Behind));
        }
        w.events.pop_front().map(Ok)
    }
}

impl Subscription {
    /// Hands the feed the events within `reach` from now on (its rights changed).
    pub fn reach_to(&mut self, reach: Reach) {
        let mut routes = self.bus.inner.routes.lock().unwrap_or_else(|e| e.into_inner());
        routes.remove(&self.queue, &self.reach);
        routes.add(&self.queue, &reach);
        self.reach = reach;
    }
}

impl Drop for Subscription {
    fn drop(&mut self) {
        let mut routes = self.bus.inner.routes.lock().unwrap_or_else(|e| e.into_inner());
        routes.remove(&self.queue, &self.reach);
    }
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
        let (routes, calls) = (Mutex::default(), Mutex::default());
        Bus { inner: Arc::new(Inner { epoch, tx, ring, routes, calls }) }
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
        let ev = Arc::new(Published { seq: ring.0, live });
        if ring.1.len() == RING {
            ring.1.pop_front();
        }
        ring.1.push_back(ev.clone());
        // Handed out under the lock, so subscribers see the same order as the ring.
        self.inner.routes.lock().unwrap_or_else(|e| e.into_inner()).deliver(&ev);
        if self.inner.tx.receiver_count() > 0 {
            let _ = self.inner.tx.send(ev);
        }
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

    /// Every event, for the service's own workers.
    pub fn subscribe(&self) -> broadcast::Receiver<Arc<Published>> {
        self.inner.tx.subscribe()
    }

    /// A view's feed of the events within `reach`, from now on.
    pub fn feed(&self, reach: Reach) -> Subscription {
        let _ring = self.inner.ring.lock().unwrap_or_else(|e| e.into_inner());
        self.join(reach)
    }

    /// Joins the routes (under the ring's lock).
    fn join(&self, reach: Reach) -> Subscription {
        let queue = Arc::new(Queue { state: Mutex::default(), ready: Notify::new() });
        self.inner.routes.lock().unwrap_or_else(|e| e.into_inner()).add(&queue, &reach);
        Subscription { queue, reach, bus: self.clone() }
    }

    /// A feed of the events within `reach` after `last_seen`: the missed
    /// events first (all of them: the view filters), then the live ones.
    pub fn resume(&self, last_seen: u64, reach: Reach) -> Resume {
        let ring = self.inner.ring.lock().unwrap_or_else(|e| e.into_inner());
        let feed = self.join(reach);
        let oldest = ring.1.front().map(|e| e.seq).unwrap_or(ring.0 + 1);
        if last_seen + 1 < oldest && last_seen < ring.0 {
            return Resume::TooOld(feed);
        }
        let missed = ring.1.iter().filter(|e| e.seq > last_seen).cloned().collect();
        Resume::From(missed, feed)
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
        let Resume::From(missed, rx) = bus.resume(7, Reach::Everything) else { panic!("recent enough") };
        assert_eq!(missed.iter().map(|e| e.seq).collect::<Vec<_>>(), vec![8, 9, 10]);
        bus.publish(line("x"));
        assert_eq!(rx.try_recv().expect("live").expect("in order").seq, 11);
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

    fn lines(of: &[&str], department: Option<i64>) -> Reach {
        Reach::Lines { lines: of.iter().map(|l| l.to_string()).collect(), department }
    }

    fn taken(feed: &Subscription) -> Vec<u64> {
        std::iter::from_fn(|| feed.try_recv()).map(|e| e.expect("in time").seq).collect()
    }

    #[test]
    fn a_feed_is_handed_the_events_about_its_lines_once_each_in_order() {
        let bus = Bus::new();
        let mine = bus.feed(lines(&["100", "102"], Some(7)));
        let other = bus.feed(lines(&["101"], None));
        let wide = bus.feed(Reach::Everything);
        let call = |from: &str, to: &str| Live::Call {
            call: 1,
            progress: Progress::Ringing,
            from: from.into(),
            to: to.into(),
            at: to.into(),
            names: Names::default(),
        };
        bus.publish(line("100")); // 1
        bus.publish(line("101")); // 2
        bus.publish(call("102", "100")); // 3: about two of its lines, handed once
        bus.publish(Live::CoreLink { up: true }); // 4: about everyone
        bus.publish(Live::Callbacks { department: 7 }); // 5
        bus.publish(Live::Callbacks { department: 8 }); // 6
        bus.publish(call("0221", "101")); // 7
        bus.publish(Live::InUse { account: "desk".into(), device: Some("102".into()) }); // 8
        assert_eq!(taken(&mine), vec![1, 3, 4, 5, 8]);
        assert_eq!(taken(&other), vec![2, 4, 7]);
        assert_eq!(taken(&wide), (1..=8).collect::<Vec<_>>());
    }

    #[tokio::test]
    async fn a_feed_waits_for_its_next_event() {
        let bus = Bus::new();
        let mut feed = bus.feed(lines(&["100"], None));
        let waiting = tokio::spawn(async move { feed.recv().await.map(|e| e.seq) });
        bus.publish(line("101"));
        bus.publish(line("100"));
        assert_eq!(waiting.await.expect("task"), Ok(2));
    }

    #[test]
    fn a_feed_that_falls_behind_is_told_once_then_follows_again() {
        let bus = Bus::new();
        let slow = bus.feed(lines(&["100"], None));
        let idle = bus.feed(lines(&["101"], None));
        for _ in 0..QUEUE + 5 {
            bus.publish(line("100"));
        }
        bus.publish(line("100"));
        assert_eq!(slow.try_recv(), Some(Err(Behind)));
        assert_eq!(
            taken(&slow),
            vec![QUEUE as u64 + 2, QUEUE as u64 + 3, QUEUE as u64 + 4, QUEUE as u64 + 5, QUEUE as u64 + 6]
        );
        assert!(idle.try_recv().is_none(), "the other feed was never handed them");
    }

    #[test]
    fn a_dropped_feed_leaves_the_bus() {
        let bus = Bus::new();
        let kept = bus.feed(lines(&["100"], Some(1)));
        drop(bus.feed(lines(&["100", "101"], Some(1))));
        drop(bus.feed(Reach::Everything));
        let routes = bus.inner.routes.lock().expect("routes");
        assert_eq!((routes.every.len(), routes.wide.len()), (1, 0));
        assert_eq!(routes.lines.keys().collect::<Vec<_>>(), vec!["100"]);
        assert_eq!(routes.lines["100"].len(), 1);
        assert_eq!(routes.departments[&1].len(), 1);
        drop(routes);
        drop(kept);
        let routes = bus.inner.routes.lock().expect("routes");
        assert!(routes.every.is_empty() && routes.lines.is_empty() && routes.departments.is_empty());
    }

    #[test]
    fn a_subscriber_too_far_behind_is_told_so() {
        let bus = Bus::new();
        for i in 0..(RING + 10) {
            bus.publish(line(&i.to_string()));
        }
        assert!(matches!(bus.resume(3, Reach::Everything), Resume::TooOld(_)));
        assert!(matches!(bus.resume(bus.last_seq(), Reach::Everything), Resume::From(v, _) if v.is_empty()));
    }
}
