//! The simulator's side of the wire protocol: it serves one service at a time over
//! any byte stream (a Unix socket, or the device end of a serial line), exactly as
//! a real core would, and it can misbehave on purpose ([`Faults`]).
//!
//! On each connection: the client's hello is checked, the simulator's hello sent,
//! every unacknowledged CDR sent again, and from then on events, replies and
//! heartbeats flow until either side goes away.

use std::path::Path;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::sync::{broadcast, Notify};

use super::Sim;
use crate::hal::frame::{self, Decoder};
use crate::hal::proto::{
    negotiate, BoardIdentity, ErrorKind, Event, FromCore, ToCore, HEARTBEAT_MS, MAX_FRAME, NEWEST_VERSION,
};
use crate::hal::transport::Stream;
use crate::shutdown::Shutdown;

/// A deliberate misbehaviour, sent before the next real frame.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    /// Bytes that are no frame at all.
    Garbage,
    /// The first half of a frame, then a zero byte.
    Truncated,
    /// A frame far longer than the protocol allows.
    Oversized,
}

/// Fault injection and observation for a running server.
#[derive(Default)]
pub struct Faults {
    pending: Mutex<Vec<Fault>>,
    stalled: AtomicBool,
    disconnect: Notify,
    /// Bumped by every [`Faults::disconnect`]; a session ends when it changes.
    disconnects: AtomicU64,
    /// Frames sent, real ones only.
    pub frames_sent: AtomicU64,
    /// Frames from the client that did not decode.
    pub malformed_received: AtomicU64,
    /// Connections accepted so far.
    pub connections: AtomicU64,
}

impl Faults {
    pub fn inject(&self, fault: Fault) {
        if let Ok(mut p) = self.pending.lock() {
            p.push(fault);
        }
    }

    /// A stalled core neither reads nor writes, but keeps the connection open.
    pub fn stall(&self, stalled: bool) {
        self.stalled.store(stalled, Ordering::SeqCst);
    }

    /// Drops the current connection.
    pub fn disconnect(&self) {
        self.disconnects.fetch_add(1, Ordering::SeqCst);
        self.disconnect.notify_waiters();
    }

    fn take(&self) -> Vec<Fault> {
        self.pending.lock().map(|mut p| std::mem::take(&mut *p)).unwrap_or_default()
    }
}

/// The simulator's identity in its hello.
pub fn identity() -> BoardIdentity {
    BoardIdentity {
        model: "webcti-sim".into(),
        serial: "SIM-0001".into(),
        firmware: env!("CARGO_PKG_VERSION").into(),
    }
}

/// Accepts connections on a Unix socket and serves them one after another.
pub async fn listen_unix(
    sim: Sim,
    path: &Path,
    faults: Arc<Faults>,
    mut shutdown: Shutdown,
) -> std::io::Result<()> {
    let _ = std::fs::remove_file(path);
    let listener = tokio::net::UnixListener::bind(path)?;
    loop {
        let stream = tokio::select! {
            r = listener.accept() => r?.0,
            _ = shutdown.wait() => return Ok(()),
        };
        // A real core has one service: a new connection replaces the old one.
        let (sim, faults, shutdown) = (sim.clone(), faults.clone(), shutdown.clone());
        serve(sim, Box::new(stream), faults, shutdown).await;
    }
}

/// Serves one connection until it ends.
pub async fn serve(sim: Sim, mut stream: Box<dyn Stream>, faults: Arc<Faults>, mut shutdown: Shutdown) {
    faults.connections.fetch_add(1, Ordering::SeqCst);
    let generation = faults.disconnects.load(Ordering::SeqCst);
    let mut decoder = Decoder::new();
    let mut buf = vec![0u8; 4096];
    // The client speaks first.
    let hello = tokio::time::timeout(Duration::from_secs(5), async {
        loop {
            let n = stream.read(&mut buf).await.ok()?;
            if n == 0 {
                return None;
            }
            for msg in decoder.push::<ToCore>(&buf[..n]) {
                match msg {
                    Ok(ToCore::Hello { version, .. }) => return Some(version),
                    Ok(_) => return Some(0),
                    Err(_) => {
                        faults.malformed_received.fetch_add(1, Ordering::SeqCst);
                    }
                }
            }
        }
    })
    .await;
    let offered = match hello {
        Ok(Some(v)) => v,
        _ => return,
    };
    // Subscribe before reading the backlog: a CDR may then arrive twice, never not at all.
    let mut events = sim.subscribe();
    let (mut version, greeting) = match greet(&sim, offered) {
        Ok(session) => session,
        Err(refused) => {
            let _ = send(&mut stream, &refused, &faults).await;
            return;
        }
    };
    for msg in &greeting {
        if send(&mut stream, msg, &faults).await.is_err() {
            return;
        }
    }
    let mut beat = tokio::time::interval(Duration::from_millis(HEARTBEAT_MS));
    let mut beat_seq = 0u32;
    loop {
        if faults.disconnects.load(Ordering::SeqCst) != generation {
            return;
        }
        while faults.stalled.load(Ordering::SeqCst) {
            tokio::select! {
                _ = tokio::time::sleep(Duration::from_millis(20)) => {}
                _ = faults.disconnect.notified() => return,
                _ = shutdown.wait() => return,
            }
        }
        let out = tokio::select! {
            r = stream.read(&mut buf) => match r {
                Ok(0) | Err(_) => return,
                Ok(n) => {
                    let mut replies = Vec::new();
                    for msg in decoder.push::<ToCore>(&buf[..n]) {
                        match msg {
                            Ok(ToCore::Request { id, command }) => {
                                // A command of a newer version than the session's is not known here.
                                let result = if command.since() > version {
                                    Err(ErrorKind::Malformed)
                                } else {
                                    sim.command(command)
                                };
                                replies.push(FromCore::Reply { id, result });
                            }
                            Ok(ToCore::AckCdrs { record_ids }) => sim.with(|ex| ex.ack(&record_ids)),
                            // A hello on a line that never went away (a serial line or a
                            // device: the board was reset, or its service restarted): a
                            // new session, as a real core would start one.
                            Ok(ToCore::Hello { version: offered, .. }) => match greet(&sim, offered) {
                                Ok((v, greeting)) => {
                                    version = v;
                                    replies = greeting;
                                }
                                Err(refused) => {
                                    let _ = send(&mut stream, &refused, &faults).await;
                                    return;
                                }
                            },
                            Ok(ToCore::Heartbeat { .. }) => {}
                            Err(_) => {
                                faults.malformed_received.fetch_add(1, Ordering::SeqCst);
                            }
                        }
                    }
                    replies
                }
            },
            ev = events.recv() => match ev {
                // An older session is not sent what its version does not have.
                Ok(ev) if ev.event.since() > version => vec![],
                Ok(ev) => vec![FromCore::Event { seq: ev.seq, event: ev.event }],
                // Fell behind: the client notices the gap in sequence numbers and resyncs.
                Err(broadcast::error::RecvError::Lagged(_)) => vec![],
                Err(broadcast::error::RecvError::Closed) => return,
            },
            _ = beat.tick() => {
                beat_seq = beat_seq.wrapping_add(1);
                vec![FromCore::Heartbeat { seq: beat_seq }]
            }
            _ = faults.disconnect.notified() => return,
            _ = shutdown.wait() => return,
        };
        for msg in out {
            if send(&mut stream, &msg, &faults).await.is_err() {
                return;
            }
        }
    }
}

/// The answer to a hello offering `offered`: the session's version (the older of
/// the two sides' newest) with the hello and every record not yet acknowledged,
/// or the refusal of a client with no version in common.
fn greet(sim: &Sim, offered: u16) -> Result<(u16, Vec<FromCore>), FromCore> {
    let Some(version) = negotiate(NEWEST_VERSION, offered) else {
        let reason = format!("this core speaks protocol version 1 through {NEWEST_VERSION}, not {offered}");
        return Err(FromCore::Refused { reason });
    };
    let mut greeting = vec![FromCore::Hello { version, board: identity() }];
    let backlog = sim.with(|ex| ex.unacked_cdrs());
    greeting.extend(backlog.into_iter().map(|cdr| FromCore::Event { seq: 0, event: Event::Cdr(cdr.into()) }));
    Ok((version, greeting))
}

async fn send(stream: &mut Box<dyn Stream>, msg: &FromCore, faults: &Faults) -> std::io::Result<()> {
    let bytes = frame::encode(msg).map_err(std::io::Error::other)?;
    for fault in faults.take() {
        let junk: Vec<u8> = match fault {
            Fault::Garbage => vec![0x13, 0x37, 0xff, 0x80, 0x01, 0x00],
            Fault::Truncated => {
                let mut half = bytes[..bytes.len() / 2].to_vec();
                half.push(0);
                half
            }
            Fault::Oversized => {
                let mut big = vec![0x05u8; MAX_FRAME * 2];
                big.push(0);
                big
            }
        };
        stream.write_all(&junk).await?;
    }
    stream.write_all(&bytes).await?;
    stream.flush().await?;
    faults.frames_sent.fetch_add(1, Ordering::Relaxed);
    Ok(())
}

/// Misbehaves every `every_secs` seconds, picking a fault at random: a bad frame,
/// a five-second stall, or a disconnect. For `webcti sim --faults`.
pub async fn misbehave(faults: Arc<Faults>, every_secs: u64, seed: u64, mut shutdown: Shutdown) {
    let mut state = seed.max(1);
    let mut tick = tokio::time::interval(Duration::from_secs(every_secs));
    tick.tick().await;
    loop {
        tokio::select! {
            _ = tick.tick() => {}
            _ = shutdown.wait() => return,
        }
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        match state % 5 {
            0 => faults.inject(Fault::Garbage),
            1 => faults.inject(Fault::Truncated),
            2 => faults.inject(Fault::Oversized),
            3 => {
                tracing::info!("simulating a stalled core for 5 s");
                faults.stall(true);
                tokio::time::sleep(Duration::from_secs(5)).await;
                faults.stall(false);
            }
            _ => {
                tracing::info!("simulating a disconnect");
                faults.disconnect();
            }
        }
    }
}
