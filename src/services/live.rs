//! Which live events an actor may see (SPEC W3, C3): the one filter behind the
//! pages' event stream, and the CTI server's and managers' views to come. An
//! event is shown when `domain::access` lets the actor read the facet of the
//! extension it is about.

use std::collections::HashMap;
use std::sync::Arc;

use super::bus::{Changed, Live, Published, Reach, Resume, Subscription};
use super::sessions::{SessionStream, Sessions, StreamRefused};
use super::{Busy, Context, ServiceError};
use crate::domain::access::{allowed, live_lines, sees_lamp, Action, Actor, Facet, Target, Who};
use crate::store::cti_group::PanelsOf;

#[derive(Clone)]
pub struct LiveEvents {
    ctx: Context,
    sessions: Sessions,
}

/// What one actor sees of the bus, for as long as the session it came with lives.
pub struct Feed {
    actor: Actor,
    /// Departments of the extensions, for actors whose rights depend on them
    /// (managers); empty for everyone else.
    departments: HashMap<String, Option<i64>>,
    /// The department of the actor's own extension (its callback list).
    department: Option<i64>,
    /// The login session the feed belongs to: the feed ends with it.
    session: Option<SessionStream>,
    /// The lines of the panels of the groups the actor is a member of.
    panel_lines: Vec<String>,
}

/// The end of a feed's session, as a future of its own.
pub type Ended = std::pin::Pin<Box<dyn std::future::Future<Output = ()> + Send>>;

/// Where a subscription starts. The bus hands it only the events within the
/// actor's reach (`domain::access::live_lines`); [`Feed::shows`] decides.
pub enum Start {
    /// The events missed since the last one seen, then the live ones.
    From(Vec<Arc<Published>>, Subscription),
    /// Too much was missed: the view should reload, then follow the live ones.
    Reload(Subscription),
}

/// What of the bus `actor`'s feed is handed.
fn reach(actor: &Actor, department: Option<i64>, panel_lines: &[String]) -> Reach {
    match live_lines(actor, panel_lines) {
        Some(lines) => Reach::Lines { lines, department },
        None => Reach::Everything,
    }
}

impl LiveEvents {
    pub fn new(ctx: Context, sessions: Sessions) -> LiveEvents {
        LiveEvents { ctx, sessions }
    }

    /// Subscribes `actor`, logged in with `session`, to the bus, after
    /// `last_seen` when resuming. The feed counts against the extension's
    /// streams and ends with the session.
    #[tracing::instrument(name = "service", skip_all, fields(call = "live.subscribe", actor = %actor.label(), via = actor.via.code()))]
    pub async fn subscribe(
        &self,
        actor: &Actor,
        session: &str,
        last_seen: Option<u64>,
    ) -> Result<(Feed, Start), ServiceError> {
        let session = match self.sessions.stream(session, self.ctx.clock.clone()) {
            Ok(s) => s,
            Err(StreamRefused::Ended) => return Err(ServiceError::SessionEnded),
            Err(StreamRefused::TooMany) => {
                tracing::info!(actor = %actor.label(), "too many live streams");
                return Err(ServiceError::Busy(Busy::Streams));
            }
        };
        let departments = match actor.who {
            Who::Manager { .. } => self.ctx.store.departments_of_all().await?,
            _ => HashMap::new(),
        };
        let department = match &actor.who {
            Who::Subscriber { ext, .. } | Who::Manager { ext, .. } => {
                self.ctx.store.department_of(ext).await?.flatten()
            }
            _ => None,
        };
        let panel_lines = match &actor.who {
            Who::Subscriber { ext, .. } | Who::Manager { ext, .. } => {
                let panels = self.ctx.store.panels(PanelsOf::Subscriber(ext.clone())).await?;
                let mut lines: Vec<String> = panels.iter().flat_map(|p| p.lines()).collect();
                lines.sort();
                lines.dedup();
                lines
            }
            _ => Vec::new(),
        };
        let reach = reach(actor, department, &panel_lines);
        let start = match last_seen {
            None => Start::From(Vec::new(), self.ctx.bus.feed(reach)),
            Some(seen) => match self.ctx.bus.resume(seen, reach) {
                Resume::From(missed, rx) => Start::From(missed, rx),
                Resume::TooOld(rx) => Start::Reload(rx),
            },
        };
        let feed =
            Feed { actor: actor.clone(), departments, department, session: Some(session), panel_lines };
        Ok((feed, start))
    }

    /// A CTI client's subscription (its login is its session): after `seen`
    /// (this run's epoch and the last number), or from now on, to start over
    /// from a snapshot. A number from another run starts over too.
    pub fn follow(&self, actor: &Actor, seen: Option<(&str, u64)>) -> (Feed, Start) {
        let reach = reach(actor, None, &[]);
        let start = match seen {
            Some((epoch, seq)) if epoch == self.ctx.bus.epoch() && seq <= self.ctx.bus.last_seq() => {
                match self.ctx.bus.resume(seq, reach) {
                    Resume::From(missed, rx) => Start::From(missed, rx),
                    Resume::TooOld(rx) => Start::Reload(rx),
                }
            }
            _ => Start::Reload(self.ctx.bus.feed(reach)),
        };
        (Feed::of(actor.clone()), start)
    }

    /// This run's epoch and the newest sequence number.
    pub fn position(&self) -> (String, u64) {
        (self.ctx.bus.epoch().to_owned(), self.ctx.bus.last_seq())
    }
}

impl Feed {
    /// The feed of an actor whose rights do not depend on departments.
    pub fn of(actor: Actor) -> Feed {
        Feed { actor, departments: HashMap::new(), department: None, session: None, panel_lines: Vec::new() }
    }

    /// A future that completes when the feed's session ends (never, for a feed
    /// without one). Made once and polled along with the events: it holds the
    /// stream's place in the extension's count until it is dropped.
    pub fn ended(&mut self) -> Ended {
        match self.session.take() {
            Some(mut s) => Box::pin(async move { s.ended().await }),
            None => Box::pin(std::future::pending()),
        }
    }

    /// What of the bus this feed is to be handed (after its actor's rights changed).
    pub fn reach(&self) -> Reach {
        reach(&self.actor, self.department, &self.panel_lines)
    }

    /// Whether the actor may see this event.
    pub fn shows(&self, live: &Live) -> bool {
        let may = |ext: &str, facet| {
            let department = self.departments.get(ext).copied().flatten();
            allowed(&self.actor, Action::Read, Target::Extension { number: ext, department, facet }).is_ok()
        };
        match live {
            Live::Line { ext, .. } => may(ext, Facet::Live) || sees_lamp(&self.actor, ext, &self.panel_lines),
            Live::Groups => true,
            // A lamp on his panels now shows another device of its account.
            Live::InUse { device: Some(d), .. } => sees_lamp(&self.actor, d, &self.panel_lines),
            Live::InUse { device: None, .. } => !self.panel_lines.is_empty(),
            Live::Call { from, to, at, .. } => [from, to, at].into_iter().any(|e| may(e, Facet::Live)),
            Live::CallRecord { cdr } => may(&cdr.extension, Facet::History),
            Live::Voicemail { ext, .. } => may(ext, Facet::Voicemail),
            Live::Changed { ext, what } => {
                may(ext, Facet::Program)
                    || (*what != Changed::Profile && sees_lamp(&self.actor, ext, &self.panel_lines))
            }
            Live::Credit { ext, .. } | Live::Costs { ext } => may(ext, Facet::Costs),
            Live::CoreLink { .. } => true,
            Live::Callbacks { department } => {
                let member = self.department == Some(*department);
                let list = Target::Callbacks { department: *department, member };
                allowed(&self.actor, Action::Read, list).is_ok()
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::access::Channel;
    use crate::domain::line::{LineState, Progress};
    use crate::domain::phonebook::PublicRight;

    /// The bus hands each feed a subset of its events: none that the feed
    /// would show may be missing from it.
    #[test]
    fn every_event_a_feed_shows_is_handed_to_it() {
        use crate::domain::cdr::{Cdr, Direction, Disposition};
        use crate::domain::cti::Monitor;
        use crate::services::bus::{Bus, Names};
        let sub = |ext: &str, pin_only| Who::Subscriber {
            ext: ext.into(),
            pin_only,
            public_book: PublicRight::Read,
        };
        let cti = Who::CtiAccount {
            name: "desk".into(),
            devices: vec!["103".into()],
            monitors: vec![Monitor { ext: "104".into(), clip: true, pickup: false }],
            journals: Default::default(),
            groups: vec![],
        };
        let manager =
            Who::Manager { ext: "105".into(), departments: vec![1], public_book: PublicRight::Read };
        let panel = vec!["101".to_owned(), "102".to_owned()];
        let feeds = [
            (sub("100", false), Some(1), panel.clone()),
            (sub("101", false), None, vec![]),
            (sub("100", true), Some(1), panel.clone()),
            (cti, None, vec![]),
            (manager, Some(1), vec![]),
            (Who::Administrator { name: "root".into() }, None, vec![]),
        ];
        let bus = Bus::new();
        let subscribed: Vec<(Feed, Subscription)> = feeds
            .into_iter()
            .map(|(who, department, panel_lines)| {
                let actor = Actor::new(who, Channel::Web);
                let handed = bus.feed(reach(&actor, department, &panel_lines));
                let departments = [("106", Some(2)), ("107", Some(1))].map(|(e, d)| (e.to_owned(), d)).into();
                (Feed { actor, departments, department, session: None, panel_lines }, handed)
            })
            .collect();
        let mut events = vec![Live::CoreLink { up: true }, Live::Groups, Live::Callbacks { department: 1 }];
        for ext in ["100", "101", "102", "103", "104", "105", "106", "107", "0221"] {
            let e = || ext.to_owned();
            events.extend([
                Live::Line { ext: e(), state: LineState::Busy },
                Live::Call {
                    call: 1,
                    progress: Progress::Ringing,
                    from: "0221".into(),
                    to: e(),
                    at: e(),
                    names: Names::default(),
                },
                Live::Call {
                    call: 2,
                    progress: Progress::Answered,
                    from: e(),
                    to: "0221".into(),
                    at: "0221".into(),
                    names: Names::default(),
                },
                Live::CallRecord {
                    cdr: Cdr {
                        core_id: 1,
                        extension: e(),
                        direction: Direction::Incoming,
                        disposition: Disposition::Answered,
                        peer: "0221".into(),
                        external: true,
                        withheld: false,
                        voicemail_listen: false,
                        answered_by: None,
                        started_at: 0,
                        ring_secs: 1,
                        talk_secs: 1,
                    },
                },
                Live::Voicemail { ext: e(), caller: "0221".into(), at: 0 },
                Live::InUse { account: "desk".into(), device: Some(e()) },
                Live::Credit { ext: e(), call: 1, credit: None },
                Live::Costs { ext: e() },
                Live::Changed { ext: e(), what: Changed::Presence },
                Live::Changed { ext: e(), what: Changed::Profile },
            ]);
        }
        events.push(Live::InUse { account: "desk".into(), device: None });
        let published: Vec<Published> =
            events.into_iter().map(|live| Published { seq: bus.publish(live.clone()), live }).collect();
        for (feed, handed) in &subscribed {
            let handed: Vec<u64> =
                std::iter::from_fn(|| handed.try_recv()).map(|e| e.expect("kept").seq).collect();
            let shown: Vec<u64> = published.iter().filter(|p| feed.shows(&p.live)).map(|p| p.seq).collect();
            let missing: Vec<&Live> = published
                .iter()
                .filter(|p| shown.contains(&p.seq) && !handed.contains(&p.seq))
                .map(|p| &p.live)
                .collect();
            assert!(missing.is_empty(), "{}: {missing:?}", feed.actor.label());
            // The routing spares a subscriber the other lines' events.
            if feed.actor.label() == "subscriber:101" {
                assert!(handed.len() * 4 < published.len(), "{} of {}", handed.len(), published.len());
            }
        }
    }

    #[test]
    fn a_subscriber_sees_only_his_own_events() {
        let who = Who::Subscriber { ext: "100".into(), pin_only: false, public_book: PublicRight::Read };
        let feed = Feed::of(Actor::new(who, Channel::Web));
        let line = |e: &str| Live::Line { ext: e.into(), state: LineState::Ringing };
        assert!(feed.shows(&line("100")));
        assert!(!feed.shows(&line("101")));
        let call = |to: &str| Live::Call {
            call: 1,
            progress: Progress::Ringing,
            from: "0221".into(),
            to: to.into(),
            at: to.into(),
            names: Default::default(),
        };
        assert!(feed.shows(&call("100")) && !feed.shows(&call("101")));
        assert!(feed.shows(&Live::CoreLink { up: false }));
        let pin = Who::Subscriber { ext: "100".into(), pin_only: true, public_book: PublicRight::Read };
        assert!(!Feed::of(Actor::new(pin, Channel::Web)).shows(&line("100")), "a PIN login sees nothing");
    }
}
