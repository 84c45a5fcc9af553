//! The traffic generator: calls at a given rate, with a mix of internal,
//! incoming and outgoing calls, ringing and talk times, some unanswered. With the
//! wall clock it runs in real time ([`run`]); with a manual clock, a whole call
//! happens in one step ([`Traffic::complete_call`]), for benchmarks and tests.

use std::time::Duration;

use super::{Clock, Sim};
use crate::shutdown::Shutdown;

/// What the generated traffic looks like.
#[derive(Debug, Clone)]
pub struct TrafficConfig {
    pub calls_per_minute: f64,
    /// Percentages of internal, incoming and outgoing calls (the rest internal).
    pub internal_pct: u8,
    pub incoming_pct: u8,
    pub mean_talk_secs: u32,
    /// Percentage of calls that are answered.
    pub answered_pct: u8,
}

impl Default for TrafficConfig {
    fn default() -> Self {
        TrafficConfig {
            calls_per_minute: 6.0,
            internal_pct: 30,
            incoming_pct: 50,
            mean_talk_secs: 90,
            answered_pct: 75,
        }
    }
}

/// A small deterministic random source (xorshift), seeded by the caller.
#[derive(Debug, Clone)]
pub struct Traffic {
    state: u64,
    pub config: TrafficConfig,
}

/// One generated call: who calls whom, and how it goes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Script {
    pub kind: Kind,
    pub ext: String,
    /// The other party: an extension, or an external number.
    pub other: String,
    pub ring_secs: u32,
    /// None: nobody answers.
    pub talk_secs: Option<u32>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Internal,
    Incoming,
    Outgoing,
}

impl Traffic {
    pub fn new(seed: u64, config: TrafficConfig) -> Traffic {
        Traffic { state: seed.max(1), config }
    }

    fn next(&mut self) -> u64 {
        let mut x = self.state;
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        self.state = x;
        x
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }

    /// The next call to place among `extensions`.
    pub fn script(&mut self, extensions: &[String]) -> Option<Script> {
        if extensions.is_empty() {
            return None;
        }
        let pick = |t: &mut Traffic| extensions[t.below(extensions.len() as u64) as usize].clone();
        let ext = pick(self);
        let roll = self.below(100) as u8;
        let kind = if roll < self.config.internal_pct {
            Kind::Internal
        } else if roll < self.config.internal_pct.saturating_add(self.config.incoming_pct) {
            Kind::Incoming
        } else {
            Kind::Outgoing
        };
        let other = match kind {
            Kind::Internal => {
                let mut o = pick(self);
                if o == ext && extensions.len() > 1 {
                    o = extensions.iter().find(|e| **e != ext).cloned().unwrap_or(o);
                }
                o
            }
            _ => format!("0{}", 221_000_000 + self.below(1_000_000)),
        };
        let answered = self.below(100) < u64::from(self.config.answered_pct);
        let talk = 1 + self.below(u64::from(self.config.mean_talk_secs.max(1)) * 2) as u32;
        Some(Script {
            kind,
            ext,
            other,
            ring_secs: 1 + self.below(8) as u32,
            talk_secs: answered.then_some(talk),
        })
    }

    /// Places, answers (or not) and ends one call at once; needs a manual clock.
    pub fn complete_call(&mut self, sim: &Sim, extensions: &[String]) -> bool {
        if sim.clock() != Clock::Manual {
            return false;
        }
        let Some(s) = self.script(extensions) else { return false };
        let placed = match s.kind {
            Kind::Internal => sim.with(|ex| ex.dial(&s.ext, &s.other)),
            Kind::Incoming => sim.with(|ex| ex.incoming(&s.other, &s.ext)),
            Kind::Outgoing => sim.with(|ex| ex.dial(&s.ext, &s.other)),
        };
        if placed.is_err() {
            return false;
        }
        sim.advance(i64::from(s.ring_secs));
        if let Some(talk) = s.talk_secs {
            let answered = match s.kind {
                Kind::Internal => sim.with(|ex| ex.answer(&s.other)).is_ok(),
                Kind::Incoming => sim.with(|ex| ex.answer(&s.ext)).is_ok(),
                Kind::Outgoing => sim.with(|ex| ex.answer_external(&s.other)).is_ok(),
            };
            if answered {
                sim.advance(i64::from(talk));
            }
        }
        let _ = sim.with(|ex| ex.hang_up(&s.ext));
        let _ = sim.with(|ex| ex.hang_up_external(&s.other));
        if s.kind == Kind::Internal {
            let _ = sim.with(|ex| ex.hang_up(&s.other));
        }
        true
    }
}

/// Generates traffic in real time until the stop.
pub async fn run(
    sim: Sim,
    extensions: Vec<String>,
    config: TrafficConfig,
    seed: u64,
    mut shutdown: Shutdown,
) {
    let mut traffic = Traffic::new(seed, config.clone());
    let mean_gap = 60.0 / config.calls_per_minute.max(0.01);
    loop {
        // Roughly exponential gaps between calls.
        let u = (traffic.below(10_000) as f64 + 1.0) / 10_001.0;
        let gap = Duration::from_secs_f64((-u.ln() * mean_gap).min(mean_gap * 10.0));
        tokio::select! {
            _ = tokio::time::sleep(gap) => {}
            _ = shutdown.wait() => return,
        }
        let Some(script) = traffic.script(&extensions) else { return };
        tokio::spawn(play(sim.clone(), script));
    }
}

/// Plays one call in real time.
async fn play(sim: Sim, s: Script) {
    let placed = match s.kind {
        Kind::Internal | Kind::Outgoing => sim.with(|ex| ex.dial(&s.ext, &s.other)),
        Kind::Incoming => sim.with(|ex| ex.incoming(&s.other, &s.ext)),
    };
    if placed.is_err() {
        return;
    }
    tokio::time::sleep(Duration::from_secs(u64::from(s.ring_secs))).await;
    let Some(talk) = s.talk_secs else {
        // Nobody answers: the caller gives up after the no-answer time, or the
        // exchange's own rules take the call elsewhere first.
        tokio::time::sleep(Duration::from_secs(25)).await;
        let _ = sim.with(|ex| ex.hang_up_external(&s.other));
        let _ = sim.with(|ex| ex.hang_up(&s.ext));
        return;
    };
    let _ = match s.kind {
        Kind::Internal => sim.with(|ex| ex.answer(&s.other)),
        Kind::Incoming => sim.with(|ex| ex.answer(&s.ext)),
        Kind::Outgoing => sim.with(|ex| ex.answer_external(&s.other)),
    };
    tokio::time::sleep(Duration::from_secs(u64::from(talk))).await;
    let _ = sim.with(|ex| ex.hang_up(&s.ext));
    let _ = sim.with(|ex| ex.hang_up_external(&s.other));
    if s.kind == Kind::Internal {
        let _ = sim.with(|ex| ex.hang_up(&s.other));
    }
}
