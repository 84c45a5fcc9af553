//! The core client: the wire implementation of [`SwitchCore`].
//!
//! One task owns the link. It connects (with backoff), exchanges hellos, runs the
//! resync the service gives it (re-programming every extension from the store),
//! asks for a line-state snapshot, and then passes requests, replies, events,
//! acknowledgements and heartbeats until the link fails: the core closes it, or
//! sends nothing for three heartbeat intervals (a stalled core). Then it starts
//! over. Frames that do not decode are counted, logged and skipped.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::sync::{mpsc, oneshot};
use tokio::time::Instant;

use super::frame::{self, Decoder};
use super::proto::{
    negotiate, BoardIdentity, Command, ErrorKind, Event, FromCore, LineInfo, LineState, Reply, ToCore,
    HEARTBEAT_MS, NEWEST_VERSION,
};
use super::transport::{self, Endpoint, Stream};
use super::{BoxFuture, CoreError, CoreEvent, LinkHealth, LinkReporter, SwitchCore};
use crate::shutdown::Shutdown;

/// How long a command may wait for the core's reply.
pub const COMMAND_TIMEOUT: Duration = Duration::from_secs(5);
pub const BACKOFF_MIN: Duration = Duration::from_millis(100);
pub const BACKOFF_MAX: Duration = Duration::from_secs(5);
/// Heartbeats that may go missing before the link counts as stalled.
pub const MISSED_HEARTBEATS: u32 = 3;
/// Requests in flight while the service programs the core after a connect.
const RESYNC_WINDOW: usize = 32;

/// What the service re-sends to the core after every (re)connect.
pub trait Resync: Send + Sync + 'static {
    fn commands(&self) -> BoxFuture<'_, Vec<Command>>;
}

/// Counters of the link, for logs, health pages and tests.
#[derive(Debug, Default)]
pub struct LinkStats {
    pub connects: AtomicU64,
    pub malformed: AtomicU64,
    pub events: AtomicU64,
    pub stalls: AtomicU64,
    pub sequence_gaps: AtomicU64,
    /// The protocol version of the current (or last) session.
    pub version: AtomicU64,
    /// What the core said about itself in the hello of that session.
    pub identity: Mutex<Option<BoardIdentity>>,
}

enum Outgoing {
    Request(Command, oneshot::Sender<Result<Reply, CoreError>>),
    Ack(Vec<u64>),
}

/// The switching core reached over the wire.
pub struct WireCore {
    tx: mpsc::Sender<Outgoing>,
    events: Mutex<Option<mpsc::Receiver<CoreEvent>>>,
    health: LinkHealth,
    pub stats: Arc<LinkStats>,
}

impl WireCore {
    /// Starts the link task; it runs until `shutdown`.
    pub fn start(endpoint: Endpoint, resync: Arc<dyn Resync>, shutdown: Shutdown) -> WireCore {
        let (tx, rx) = mpsc::channel(256);
        let (ev_tx, ev_rx) = mpsc::channel(4096);
        let (reporter, health) = LinkHealth::new();
        let stats = Arc::new(LinkStats::default());
        let link = Link { endpoint, resync, rx, events: ev_tx, reporter, stats: stats.clone(), shutdown };
        tokio::spawn(link.run());
        WireCore { tx, events: Mutex::new(Some(ev_rx)), health, stats }
    }
}

impl SwitchCore for WireCore {
    fn describe(&self) -> super::CoreInfo {
        let version = self.stats.version.load(Ordering::Relaxed);
        super::CoreInfo {
            kind: "wire",
            protocol: u16::try_from(version).ok().filter(|v| *v > 0),
            connects: self.stats.connects.load(Ordering::Relaxed),
            identity: self.stats.identity.lock().unwrap_or_else(|e| e.into_inner()).clone(),
        }
    }

    fn command(&self, command: Command) -> BoxFuture<'_, Result<Reply, CoreError>> {
        Box::pin(async move {
            let (done, reply) = oneshot::channel();
            self.tx.send(Outgoing::Request(command, done)).await.map_err(|_| CoreError::LinkDown)?;
            match tokio::time::timeout(COMMAND_TIMEOUT, reply).await {
                Ok(Ok(result)) => result,
                Ok(Err(_)) => Err(CoreError::LinkDown),
                Err(_) => Err(CoreError::Timeout),
            }
        })
    }

    fn ack_cdrs(&self, record_ids: Vec<u64>) -> BoxFuture<'_, Result<(), CoreError>> {
        Box::pin(
            async move { self.tx.send(Outgoing::Ack(record_ids)).await.map_err(|_| CoreError::LinkDown) },
        )
    }

    fn take_events(&self) -> Option<mpsc::Receiver<CoreEvent>> {
        self.events.lock().ok()?.take()
    }

    fn health(&self) -> LinkHealth {
        self.health.clone()
    }
}

struct Link {
    endpoint: Endpoint,
    resync: Arc<dyn Resync>,
    rx: mpsc::Receiver<Outgoing>,
    events: mpsc::Sender<CoreEvent>,
    reporter: LinkReporter,
    stats: Arc<LinkStats>,
    shutdown: Shutdown,
}

/// Why a session ended.
enum End {
    Shutdown,
    Failed(String),
}

impl Link {
    async fn run(mut self) {
        let mut backoff = BACKOFF_MIN;
        loop {
            let attempt = tokio::select! {
                r = transport::connect(&self.endpoint) => r,
                _ = self.shutdown.wait() => return,
            };
            let end = match attempt {
                Ok(stream) => {
                    let started = Instant::now();
                    let n = self.stats.connects.load(Ordering::Relaxed) + 1;
                    let span = tracing::info_span!("core_session", core = %self.endpoint, session = n);
                    let end = tracing::Instrument::instrument(self.session(stream), span).await;
                    self.reporter.set_up(false);
                    if started.elapsed() > BACKOFF_MAX {
                        backoff = BACKOFF_MIN;
                    }
                    end
                }
                Err(e) => End::Failed(format!("cannot connect: {e}")),
            };
            match end {
                End::Shutdown => return,
                End::Failed(why) => {
                    tracing::warn!(core = %self.endpoint, reason = %why, retry_ms = backoff.as_millis() as u64, "core link down")
                }
            }
            // While down, commands fail at once rather than wait for a link that may not come.
            let wake = Instant::now() + backoff;
            loop {
                tokio::select! {
                    _ = tokio::time::sleep_until(wake) => break,
                    msg = self.rx.recv() => match msg {
                        Some(Outgoing::Request(_, done)) => { let _ = done.send(Err(CoreError::LinkDown)); }
                        Some(Outgoing::Ack(_)) => {}
                        None => return,
                    },
                    _ = self.shutdown.wait() => return,
                }
            }
            backoff = (backoff * 2).min(BACKOFF_MAX);
        }
    }

    async fn session(&mut self, mut stream: Box<dyn Stream>) -> End {
        let mut s = Session {
            decoder: Decoder::new(),
            buf: vec![0u8; 8192],
            last_rx: Instant::now(),
            next_id: 1,
            pending: HashMap::new(),
            last_seq: 0,
            want_snapshot: false,
            version: NEWEST_VERSION,
            lines: HashMap::new(),
        };
        let hello = ToCore::Hello {
            version: NEWEST_VERSION,
            client: format!("webcti {}", env!("CARGO_PKG_VERSION")),
        };
        if let Err(e) = write(&mut stream, &hello).await {
            return End::Failed(e);
        }
        // The core answers with its own hello.
        let deadline = Instant::now() + Duration::from_millis(HEARTBEAT_MS * u64::from(MISSED_HEARTBEATS));
        // Frames that came in the same read as the hello (resent CDRs, say) are kept.
        let mut early = Vec::new();
        let board = loop {
            let frames = tokio::select! {
                r = s.read(&mut stream) => match r { Ok(f) => f, Err(e) => return End::Failed(e) },
                _ = tokio::time::sleep_until(deadline) => return End::Failed("no hello from the core".into()),
                _ = self.shutdown.wait() => return End::Shutdown,
            };
            let mut hello = None;
            for f in frames {
                match f {
                    Ok(FromCore::Hello { version, board }) => hello = Some((version, board)),
                    Ok(FromCore::Refused { reason }) => return End::Failed(format!("refused: {reason}")),
                    Ok(other) if hello.is_some() => early.push(other),
                    Ok(_) => {}
                    Err(e) => self.malformed(&e.to_string()),
                }
            }
            if let Some((version, board)) = hello {
                // The core answers with the session's version; it may be older than ours.
                if negotiate(NEWEST_VERSION, version) != Some(version) {
                    return End::Failed(format!("the core speaks protocol version {version}"));
                }
                s.version = version;
                self.stats.version.store(u64::from(version), Ordering::Relaxed);
                tracing::debug!(core = %self.endpoint, model = %board.model, version, "core answered the hello");
                *self.stats.identity.lock().unwrap_or_else(|e| e.into_inner()) = Some(board.clone());
                break board;
            }
        };
        self.stats.connects.fetch_add(1, Ordering::Relaxed);
        // Resync: the stored settings are the truth; then where every line stands.
        let mut setup: Vec<Command> = self.resync.commands().await;
        setup.push(Command::Snapshot);
        for msg in early {
            if let Err(e) = self.handle(&mut s, msg).await {
                return End::Failed(e);
            }
        }
        // A window of requests in flight: a core answers while we still send, and
        // neither side may block writing while the other does (a thousand
        // extensions overflow a socket's buffer).
        for command in setup {
            if let Err(end) = self.await_replies(&mut s, &mut stream, RESYNC_WINDOW - 1).await {
                return end;
            }
            let (done, _ignored) = oneshot::channel();
            if let Err(e) = s.request(&mut stream, command, done).await {
                return End::Failed(e);
            }
        }
        // The link is up once the core has taken its programming.
        if let Err(end) = self.await_replies(&mut s, &mut stream, 0).await {
            return end;
        }
        self.reporter.set_up(true);
        tracing::info!(core = %self.endpoint, model = %board.model, serial = %board.serial, firmware = %board.firmware, "core link up");

        let beat = Duration::from_millis(HEARTBEAT_MS);
        let mut ticker = tokio::time::interval(beat);
        let mut beat_seq = 0u32;
        loop {
            tokio::select! {
                r = s.read(&mut stream) => {
                    let frames = match r { Ok(f) => f, Err(e) => return End::Failed(e) };
                    if let Err(e) = self.handle_all(&mut s, frames).await {
                        return End::Failed(e);
                    }
                    if std::mem::take(&mut s.want_snapshot) {
                        let (done, _ignored) = oneshot::channel();
                        if let Err(e) = s.request(&mut stream, Command::Snapshot, done).await { return End::Failed(e) }
                    }
                }
                msg = self.rx.recv() => match msg {
                    Some(Outgoing::Request(command, done)) => {
                        if let Err(e) = s.request(&mut stream, command, done).await { return End::Failed(e) }
                    }
                    Some(Outgoing::Ack(ids)) => {
                        if let Err(e) = write(&mut stream, &ToCore::AckCdrs { record_ids: ids }).await { return End::Failed(e) }
                    }
                    None => return End::Shutdown,
                },
                _ = ticker.tick() => {
                    if s.last_rx.elapsed() > beat * MISSED_HEARTBEATS {
                        self.stats.stalls.fetch_add(1, Ordering::Relaxed);
                        return End::Failed("the core stalled: no heartbeat".into());
                    }
                    beat_seq = beat_seq.wrapping_add(1);
                    if let Err(e) = write(&mut stream, &ToCore::Heartbeat { seq: beat_seq }).await { return End::Failed(e) }
                }
                _ = self.shutdown.wait() => return End::Shutdown,
            }
        }
    }

    /// Reads and handles frames until at most `most` requests are unanswered; fails
    /// if the core answers none of them for `COMMAND_TIMEOUT`.
    async fn await_replies(
        &mut self,
        s: &mut Session,
        stream: &mut Box<dyn Stream>,
        most: usize,
    ) -> Result<(), End> {
        let mut deadline = Instant::now() + COMMAND_TIMEOUT;
        while s.pending.len() > most {
            let before = s.pending.len();
            let frames = tokio::select! {
                r = s.read(stream) => r.map_err(End::Failed)?,
                _ = tokio::time::sleep_until(deadline) => return Err(End::Failed("the core did not answer the resync".into())),
                _ = self.shutdown.wait() => return Err(End::Shutdown),
            };
            self.handle_all(s, frames).await.map_err(End::Failed)?;
            if s.pending.len() < before {
                deadline = Instant::now() + COMMAND_TIMEOUT;
            }
        }
        Ok(())
    }

    /// Handles the frames of one read; a malformed one is counted and skipped.
    async fn handle_all(
        &mut self,
        s: &mut Session,
        frames: Vec<Result<FromCore, frame::FrameError>>,
    ) -> Result<(), String> {
        for f in frames {
            match f {
                Ok(msg) => self.handle(s, msg).await?,
                Err(e) => self.malformed(&e.to_string()),
            }
        }
        Ok(())
    }

    async fn handle(&mut self, s: &mut Session, msg: FromCore) -> Result<(), String> {
        match msg {
            FromCore::Reply { id, result } => {
                let Some(done) = s.pending.remove(&id) else { return Ok(()) };
                // A snapshot passes on, as events, the lines that differ from
                // what the session last told, so views resync too; asking for
                // one (a CTI login, a list of lines) repeats nothing.
                if let Ok(Reply::Snapshot { lines }) = &result {
                    for LineInfo { ext, state } in lines {
                        if s.told(ext, *state) {
                            self.event(CoreEvent {
                                seq: 0,
                                event: Event::Line { ext: ext.clone(), state: *state },
                            })
                            .await?;
                        }
                    }
                }
                let _ = done.send(result.map_err(CoreError::Refused));
            }
            FromCore::Event { seq, event } => {
                if seq > 0 {
                    if s.last_seq > 0 && seq != s.last_seq + 1 {
                        self.stats.sequence_gaps.fetch_add(1, Ordering::Relaxed);
                        tracing::warn!(
                            expected = s.last_seq + 1,
                            got = seq,
                            "events missed; asking for a snapshot"
                        );
                        s.want_snapshot = true;
                    }
                    s.last_seq = seq;
                }
                self.stats.events.fetch_add(1, Ordering::Relaxed);
                if let Event::Line { ext, state } = &event {
                    s.told(ext, *state);
                }
                self.event(CoreEvent { seq, event }).await?;
            }
            FromCore::Heartbeat { .. } | FromCore::Hello { .. } => {}
            FromCore::Refused { reason } => return Err(format!("refused: {reason}")),
        }
        Ok(())
    }

    async fn event(&self, ev: CoreEvent) -> Result<(), String> {
        self.events.send(ev).await.map_err(|_| "nobody takes the core's events".to_owned())
    }

    fn malformed(&self, detail: &str) {
        let n = self.stats.malformed.fetch_add(1, Ordering::Relaxed) + 1;
        tracing::warn!(core = %self.endpoint, total = n, detail, "malformed frame skipped");
    }
}

struct Session {
    decoder: Decoder,
    buf: Vec<u8>,
    last_rx: Instant,
    next_id: u32,
    pending: HashMap<u32, oneshot::Sender<Result<Reply, CoreError>>>,
    last_seq: u64,
    /// Events were missed: ask for a line-state snapshot.
    want_snapshot: bool,
    /// The session's protocol version.
    version: u16,
    /// Each line's state as the session last told the service (at most
    /// [`LINES_KEPT`] lines; those beyond are told every time).
    lines: HashMap<String, LineState>,
}

/// Lines whose last state a session keeps: more than an exchange has.
const LINES_KEPT: usize = 20_000;

impl Session {
    /// Notes that `ext` is told to be in `state`; whether that is news.
    fn told(&mut self, ext: &str, state: LineState) -> bool {
        match self.lines.get_mut(ext) {
            Some(last) if *last == state => false,
            Some(last) => {
                *last = state;
                true
            }
            None => {
                if self.lines.len() < LINES_KEPT {
                    self.lines.insert(ext.to_owned(), state);
                }
                true
            }
        }
    }

    async fn read(
        &mut self,
        stream: &mut Box<dyn Stream>,
    ) -> Result<Vec<Result<FromCore, frame::FrameError>>, String> {
        let n = stream.read(&mut self.buf).await.map_err(|e| e.to_string())?;
        if n == 0 {
            return Err("the core closed the link".into());
        }
        self.last_rx = Instant::now();
        Ok(self.decoder.push(&self.buf[..n]))
    }

    async fn request(
        &mut self,
        stream: &mut Box<dyn Stream>,
        command: Command,
        done: oneshot::Sender<Result<Reply, CoreError>>,
    ) -> Result<(), String> {
        // A core of an older version does not know the command: it is not sent.
        if command.since() > self.version {
            let _ = done.send(Err(CoreError::Refused(ErrorKind::NotAllowed)));
            return Ok(());
        }
        let id = self.next_id;
        self.next_id = self.next_id.wrapping_add(1).max(1);
        self.pending.insert(id, done);
        write(stream, &ToCore::Request { id, command }).await
    }
}

async fn write(stream: &mut Box<dyn Stream>, msg: &ToCore) -> Result<(), String> {
    let bytes = frame::encode(msg).map_err(|e| e.to_string())?;
    stream.write_all(&bytes).await.map_err(|e| e.to_string())?;
    stream.flush().await.map_err(|e| e.to_string())
}
