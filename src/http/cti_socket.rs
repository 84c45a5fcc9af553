//! `/cti`: the CTI server's desktop protocol (SPEC C16, Y3), version 1, as
//! `docs/cti-protocol.md` describes it. JSON text messages over a WebSocket
//! (our own codec, `crate::websocket`), on the portal's TLS listener.
//!
//! A client logs in with an account's name and password (or a subscriber's
//! extension and WebCTI password) and the computer it runs on; the services
//! make it an `Actor` whose devices and monitored lines `domain::access`
//! decides by, so the protocol can do nothing the portal or the API could not.
//! Every event carries the bus's sequence number; a client that comes back
//! with this run's epoch and its last number is sent what it missed from the
//! bus's ring, else a snapshot (lines, calls up, presence). Bounded: one
//! message is 16 KiB, a client sends 20 a second (40 at once), must log in
//! within 15 s and be heard from every 90 s (the server pings every 30 s); a
//! client that does not take what it is sent within 10 s is dropped, and the
//! bus never waits for anyone. A bad message is answered with an error
//! and changes nothing.

use std::collections::{BTreeSet, VecDeque};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::extract::{ConnectInfo, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use hyper_util::rt::TokioIo;
use serde_json::{json, Value};
use tokio::io::{AsyncRead, AsyncWrite, WriteHalf};
use tokio::sync::mpsc;
use tokio::time::Instant;

use super::api::door::Problem;
use super::api::presence::presence_of;
use super::json::call_record;
use super::{HttpState, Upgrade};
use crate::domain::access::{allowed, sees_numbers, Action, Actor, Denied, Facet, Target, Who};
use crate::domain::cdr::HistoryRow;
use crate::domain::dialplan::Form;
use crate::domain::group::{Member, Panel, PanelMember};
use crate::domain::phonebook::{Entry, Source};
use crate::i18n::Tr;
use crate::phonebook::{Contact, Number, NumberKind, MAX_NUMBERS};
use crate::services::bus::{Behind, Changed, Live, Published, Subscription};
use crate::services::calls::{CallFrom, CallView, PlaceCall, Verb};
use crate::services::cti::{CtiLogin, JOURNAL_PAGE};
use crate::services::live::{Feed, Start};
use crate::services::presence::SetPresence;
use crate::services::{ServiceError, Services};
use crate::websocket::{self, Message, Reader, Side, WsError};

/// The protocol's version; a change of a message's shape is a new one.
pub const VERSION: u32 = 1;
/// The largest message a client may send.
pub const MAX_MESSAGE: usize = 16 * 1024;
const LOGIN_DEADLINE: Duration = Duration::from_secs(15);
const HEARTBEAT: Duration = Duration::from_secs(30);
const SILENCE: Duration = Duration::from_secs(90);
const WRITE_DEADLINE: Duration = Duration::from_secs(10);
/// Messages a second a client may send, and at once.
const RATE: f64 = 20.0;
const BURST: f64 = 40.0;
/// Messages over the rate before the client is dropped.
const STRIKES: u32 = 100;
/// Lines a client may follow at once (its devices, its panels' lines and
/// monitored lines: 16 + 500 at most by the rights).
const MAX_WATCHED: usize = 520;
/// Entries a book search answers with at most, and the longest search.
const BOOK_ENTRIES: usize = 50;
/// Contacts a page of a book's download holds (a message stays well under
/// the socket's frame bound).
const DOWNLOAD_PAGE: usize = 50;
const MAX_SEARCH: usize = 100;
/// Calls in one part of the offline journal (each part well under 16 KiB).
const JOURNAL_PART: usize = JOURNAL_PAGE as usize;

/// `GET /cti`: the WebSocket's opening handshake (RFC 6455, 4.2).
pub async fn open(
    State(state): State<HttpState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    mut req: axum::extract::Request,
) -> Response {
    // Passwords travel in the login: never over plain HTTP, even where the
    // portal is served there.
    if req.extensions().get::<super::session::Transport>().is_none_or(|t| !t.tls) {
        return (StatusCode::FORBIDDEN, "The CTI server is reached over TLS only: wss://.\n").into_response();
    }
    let h = req.headers();
    let has = |name: header::HeaderName, token: &str| {
        h.get_all(name)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .any(|v| v.split(',').any(|t| t.trim().eq_ignore_ascii_case(token)))
    };
    let key = h.get("sec-websocket-key").and_then(|v| v.to_str().ok()).map(str::to_owned);
    let version_ok = h.get("sec-websocket-version").is_some_and(|v| v.as_bytes() == b"13");
    let key_ok = key.as_deref().is_some_and(|k| {
        use base64::Engine;
        base64::engine::general_purpose::STANDARD.decode(k.trim()).is_ok_and(|b| b.len() == 16)
    });
    if !has(header::UPGRADE, "websocket") || !has(header::CONNECTION, "upgrade") || !key_ok {
        let text =
            "This is the CTI server's WebSocket (docs/cti-protocol.md): connect with a WebSocket client.\n";
        return (StatusCode::BAD_REQUEST, text).into_response();
    }
    if !version_ok {
        let mut r = (StatusCode::UPGRADE_REQUIRED, "WebSocket version 13 only.\n").into_response();
        r.headers_mut().insert("sec-websocket-version", HeaderValue::from_static("13"));
        return r;
    }
    let (Some(on_upgrade), Some(upgrade)) = (
        req.extensions_mut().remove::<hyper::upgrade::OnUpgrade>(),
        req.extensions().get::<Upgrade>().cloned(),
    ) else {
        return (StatusCode::INTERNAL_SERVER_ERROR, "The connection cannot be taken over.\n").into_response();
    };
    let accept = websocket::accept_key(key.as_deref().unwrap_or_default());
    let place = upgrade.keep();
    tokio::spawn(async move {
        let _place = place;
        match on_upgrade.await {
            Ok(io) => serve(TokioIo::new(io), state.services.clone(), state.cti.clone(), peer, upgrade).await,
            Err(e) => tracing::debug!(%peer, error = %e, "CTI upgrade failed"),
        }
    });
    let mut headers = HeaderMap::new();
    headers.insert(header::UPGRADE, HeaderValue::from_static("websocket"));
    headers.insert(header::CONNECTION, HeaderValue::from_static("Upgrade"));
    if let Ok(v) = HeaderValue::from_str(&accept) {
        headers.insert("sec-websocket-accept", v);
    }
    (StatusCode::SWITCHING_PROTOCOLS, headers).into_response()
}

/// Why a connection ended, as its close code.
enum End {
    /// The client closed, or its connection was lost.
    Gone,
    Close(u16),
}

/// The writing half, with the deadline a stalled client is dropped by.
struct Out<W> {
    w: WriteHalf<W>,
}

impl<W: AsyncRead + AsyncWrite> Out<W> {
    async fn send(&mut self, m: &Message) -> Result<(), End> {
        match tokio::time::timeout(WRITE_DEADLINE, websocket::send(&mut self.w, m, None)).await {
            Ok(Ok(())) => Ok(()),
            Ok(Err(_)) => Err(End::Gone),
            Err(_) => {
                tracing::info!("CTI client dropped: it did not take what it was sent");
                Err(End::Gone)
            }
        }
    }

    async fn json(&mut self, v: &Value) -> Result<(), End> {
        self.send(&Message::Text(v.to_string())).await
    }
}

/// Event messages as sent, made once for all the clients that are sent the
/// same one: the 500 clients of one panel are each sent a call's event, and
/// all but the first take the text the first made. Kept by the event's
/// number and what makes one client's text differ from another's.
#[derive(Default)]
pub struct Texts {
    made: Mutex<VecDeque<(u64, Variant, Arc<str>)>>,
}

/// What makes an event's text differ between clients.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Variant {
    /// A line's state: the same for all.
    Line,
    /// A call, at the line the client follows it at, with the numbers it may see.
    Call { at: String, clip: bool, from: bool, to: bool },
}

/// Texts kept: the events of the last moments (each made once per variant).
const TEXTS: usize = 64;

impl Texts {
    /// The text of event `seq` as `variant` shows it, made by `make` if no
    /// client was sent it yet.
    fn made(&self, seq: u64, variant: Variant, make: impl FnOnce() -> Value) -> Arc<str> {
        let found = {
            let made = self.made.lock().unwrap_or_else(|e| e.into_inner());
            made.iter().rev().find(|(s, v, _)| *s == seq && *v == variant).map(|(_, _, t)| t.clone())
        };
        if let Some(text) = found {
            return text;
        }
        let text: Arc<str> = make().to_string().into();
        let mut made = self.made.lock().unwrap_or_else(|e| e.into_inner());
        if made.len() == TEXTS {
            made.pop_front();
        }
        made.push_back((seq, variant, text.clone()));
        text
    }
}

/// A logged-in client.
struct Client {
    services: std::sync::Arc<Services>,
    texts: Arc<Texts>,
    login: CtiLogin,
    computer: String,
    actor: Actor,
    devices: Vec<String>,
    panels: Vec<Panel>,
    watched: BTreeSet<String>,
    feed: Feed,
}

async fn serve<S>(
    io: S,
    services: std::sync::Arc<Services>,
    texts: Arc<Texts>,
    peer: SocketAddr,
    upgrade: Upgrade,
) where
    S: AsyncRead + AsyncWrite + Send + 'static,
{
    let (r, w) = tokio::io::split(io);
    let mut out = Out { w };
    // The reader runs on its own, so a frame is never cut by the select below.
    let (tx, mut rx) = mpsc::channel::<Result<Message, WsError>>(8);
    let reader = tokio::spawn(async move {
        let mut reader = Reader::new(r, Side::Server, MAX_MESSAGE);
        loop {
            let m = reader.next().await;
            let last = m.is_err() || matches!(m, Ok(Message::Close(_)));
            if tx.send(m).await.is_err() || last {
                return;
            }
        }
    });
    let end = session(&mut out, &mut rx, services, texts, peer, upgrade).await;
    if let End::Close(code) = end {
        let _ = out.send(&Message::Close(Some(code))).await;
    }
    reader.abort();
}

/// A token bucket: `RATE` a second, `BURST` at once.
struct Rate {
    tokens: f64,
    at: Instant,
    strikes: u32,
}

impl Rate {
    fn take(&mut self) -> bool {
        let now = Instant::now();
        self.tokens = (self.tokens + now.duration_since(self.at).as_secs_f64() * RATE).min(BURST);
        self.at = now;
        if self.tokens >= 1.0 {
            self.tokens -= 1.0;
            return true;
        }
        self.strikes += 1;
        false
    }
}

async fn session<W: AsyncRead + AsyncWrite>(
    out: &mut Out<W>,
    rx: &mut mpsc::Receiver<Result<Message, WsError>>,
    services: std::sync::Arc<Services>,
    texts: Arc<Texts>,
    peer: SocketAddr,
    upgrade: Upgrade,
) -> End {
    let mut shutdown = upgrade.shutdown;
    let (epoch, _) = services.live.position();
    let hello = json!({ "type": "hello", "version": VERSION, "server": concat!("webcti ", env!("CARGO_PKG_VERSION")),
        "epoch": epoch, "heartbeat": HEARTBEAT.as_secs(), "max_message": MAX_MESSAGE });
    if let Err(e) = out.json(&hello).await {
        return e;
    }
    let mut rate = Rate { tokens: BURST, at: Instant::now(), strikes: 0 };
    // Before the login: only `login` and `ping`.
    let deadline = tokio::time::sleep(LOGIN_DEADLINE);
    tokio::pin!(deadline);
    // Where the call records stood when the client was last heard from.
    let mut heard_at;
    let (mut client, start, seat) = loop {
        let m = tokio::select! {
            m = rx.recv() => m,
            _ = &mut deadline => return End::Close(1008),
            _ = shutdown.wait() => return End::Close(1001),
        };
        let (id, v) = match message(m, out, &mut rate).await {
            Ok(Some(x)) => x,
            Ok(None) => continue,
            Err(e) => return e,
        };
        heard_at = services.cti.journal_position();
        match v["type"].as_str() {
            Some("ping") => {
                if let Err(e) = out.json(&json!({ "type": "pong", "id": id })).await {
                    return e;
                }
            }
            Some("login") => match login(&services, &v, peer).await {
                Ok((login, actor)) => {
                    let seat = match services.cti.seat(&login) {
                        Ok(s) => s,
                        Err(e) => {
                            let _ = out.json(&service_error(id, e)).await;
                            return End::Close(1008);
                        }
                    };
                    let devices = match &actor.who {
                        Who::CtiAccount { devices, .. } => devices.clone(),
                        _ => Vec::new(),
                    };
                    let panels = match services.cti.panels_of(&login).await {
                        Ok(p) => p,
                        Err(e) => {
                            let _ = out.json(&service_error(id, e)).await;
                            return End::Close(1011);
                        }
                    };
                    let mut watched: BTreeSet<String> = devices.iter().cloned().collect();
                    watched.extend(panels.iter().flat_map(Panel::lines));
                    if let Some(more) = v["monitor"].as_array() {
                        for ext in more.iter().filter_map(Value::as_str).take(MAX_WATCHED) {
                            let line =
                                Target::Extension { number: ext, department: None, facet: Facet::Live };
                            if allowed(&actor, Action::Read, line).is_ok() {
                                watched.insert(ext.to_owned());
                            }
                        }
                    }
                    let seen = v["resume"]["epoch"].as_str().zip(v["resume"]["seq"].as_u64());
                    let (feed, start) = services.live.follow(&actor, seen);
                    // Its first device is the one in use, unless another client
                    // of its account has bound one (SPEC C5).
                    if let Some(first) = devices.first() {
                        if let Err(e) = services.cti.bind(&actor, first, true) {
                            tracing::warn!(actor = %actor.label(), error = %e, "the device in use not bound");
                        }
                    }
                    let mut reply = logged_in(id, &login, &actor, &devices, &watched, &start);
                    reply["in_use"] = json!(services.cti.in_use(&login.account.name));
                    reply["panels"] = panels_value(&panels, |a| services.cti.in_use(a));
                    if let Err(e) = out.json(&reply).await {
                        return e;
                    }
                    let computer = v["computer"].as_str().unwrap_or_default().to_owned();
                    let client = Client {
                        services: services.clone(),
                        texts: texts.clone(),
                        login,
                        computer,
                        actor,
                        devices,
                        panels,
                        watched,
                        feed,
                    };
                    break (client, start, seat);
                }
                Err(reply) => {
                    if let Err(e) = out.json(&reply(id)).await {
                        return e;
                    }
                }
            },
            _ => {
                let reply = error(id, "login_first", "Log in first: {\"type\":\"login\", ...}.");
                if let Err(e) = out.json(&reply).await {
                    return e;
                }
            }
        }
    };
    tracing::info!(actor = %client.actor.label(), %peer, "CTI client connected");
    if let Err(e) = client.offline_journal(out).await {
        return e;
    }
    let mut events = match start {
        Start::From(missed, mut rx) => {
            for p in missed {
                let sent = match p.live {
                    Live::Groups => client.regroup(out, p.seq, &mut rx).await,
                    _ => client.send_event(out, &p).await,
                };
                if let Err(e) = sent {
                    return e;
                }
            }
            rx
        }
        Start::Reload(rx) => {
            if let Err(e) = client.snapshot(out).await {
                return e;
            }
            rx
        }
    };
    let mut heartbeat = tokio::time::interval(HEARTBEAT);
    heartbeat.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut heard = Instant::now();
    let end = loop {
        tokio::select! {
            m = rx.recv() => {
                heard = Instant::now();
                let at = services.cti.journal_position();
                let (id, v) = match message(m, out, &mut rate).await {
                    Ok(Some(x)) => x,
                    Ok(None) => {
                        heard_at = at;
                        continue;
                    }
                    // A close is no sign that the client still reads.
                    Err(e) => break e,
                };
                heard_at = at;
                let reply = client.command(id, &v).await;
                if let Err(e) = out.json(&reply).await {
                    break e;
                }
            }
            p = events.recv() => match p {
                Ok(p) if p.live == Live::Groups => {
                    if let Err(e) = client.regroup(out, p.seq, &mut events).await {
                        break e;
                    }
                }
                Ok(p) => {
                    if let Err(e) = client.send_event(out, &p).await {
                        break e;
                    }
                }
                // Fell behind: start over from a snapshot.
                Err(Behind) => {
                    if let Err(e) = client.snapshot(out).await {
                        break e;
                    }
                }
            },
            _ = heartbeat.tick() => {
                if heard.elapsed() > SILENCE {
                    tracing::info!(actor = %client.actor.label(), "CTI client dropped: silent");
                    break End::Close(1001);
                }
                if let Err(e) = out.send(&Message::Ping(Vec::new())).await {
                    break e;
                }
            }
            _ = shutdown.wait() => break End::Close(1001),
        }
    };
    tracing::info!(actor = %client.actor.label(), %peer, "CTI client disconnected");
    if let Err(e) = services.cti.leave(seat, heard_at).await {
        tracing::warn!(actor = %client.actor.label(), error = %e, "the CTI account's journal mark was not kept");
    }
    end
}

/// A client's next message, its id and body, after what is answered on the
/// way (`Ok(None)`): control and binary frames, a message over the rate, one
/// that does not parse. `Err`: the connection ends so.
async fn message<W: AsyncRead + AsyncWrite>(
    m: Option<Result<Message, WsError>>,
    out: &mut Out<W>,
    rate: &mut Rate,
) -> Result<Option<(Value, Value)>, End> {
    let Some(text) = incoming(m, out).await? else { return Ok(None) };
    let parsed = parse(&text);
    if !rate.take() {
        if rate.strikes > STRIKES {
            return Err(End::Close(1008));
        }
        let id = parsed.map(|(id, _)| id).unwrap_or(Value::Null);
        out.json(&error(id, "rate_limited", "More than 20 messages a second: this one was not done."))
            .await?;
        return Ok(None);
    }
    match parsed {
        Ok(x) => Ok(Some(x)),
        Err(reply) => out.json(&reply).await.map(|()| None),
    }
}

/// A client's message as text, after the frames a client needs no answer to
/// (`Ok(None)`: pong, binary is refused with an error).
async fn incoming<W: AsyncRead + AsyncWrite>(
    m: Option<Result<Message, WsError>>,
    out: &mut Out<W>,
) -> Result<Option<String>, End> {
    match m {
        None | Some(Ok(Message::Close(_))) => Err(End::Close(1000)),
        Some(Err(WsError::Io(_))) => Err(End::Gone),
        Some(Err(e)) => {
            tracing::debug!(error = %e, "CTI client's frame refused");
            Err(End::Close(e.close_code()))
        }
        Some(Ok(Message::Ping(p))) => out.send(&Message::Pong(p)).await.map(|()| None),
        Some(Ok(Message::Pong(_))) => Ok(None),
        Some(Ok(Message::Binary(_))) => {
            let reply = error(Value::Null, "bad_request", "Messages are JSON text, not binary.");
            out.json(&reply).await.map(|()| None)
        }
        Some(Ok(Message::Text(t))) => Ok(Some(t)),
    }
}

/// A message's id (echoed in the answer) and body, or the error to answer.
fn parse(text: &str) -> Result<(Value, Value), Value> {
    let v: Value = serde_json::from_str(text)
        .map_err(|e| error(Value::Null, "bad_request", &format!("Not JSON: {e}.")))?;
    if !v.is_object() {
        return Err(error(Value::Null, "bad_request", "A message is a JSON object."));
    }
    let id = match &v["id"] {
        Value::Null => Value::Null,
        id @ (Value::Number(_) | Value::String(_)) => id.clone(),
        _ => return Err(error(Value::Null, "bad_request", "\"id\" is a number or a string.")),
    };
    if !v["type"].is_string() {
        return Err(error(id, "bad_request", "\"type\" names what is asked for."));
    }
    Ok((id, v))
}

fn error(id: Value, code: &str, message: &str) -> Value {
    json!({ "type": "error", "id": id, "code": code, "message": message })
}

fn service_error(id: Value, e: ServiceError) -> Value {
    let p = Problem::from_service(&Tr::new("en"), e);
    error(id, p.code, &p.detail)
}

type LoginRefused = Box<dyn FnOnce(Value) -> Value + Send>;

async fn login(services: &Services, v: &Value, peer: SocketAddr) -> Result<(CtiLogin, Actor), LoginRefused> {
    let (Some(account), Some(computer)) = (v["account"].as_str(), v["computer"].as_str()) else {
        return Err(Box::new(|id| {
            error(id, "bad_request", "A login names its \"account\" and \"computer\".")
        }));
    };
    let password = v["password"].as_str().unwrap_or_default();
    let login = match services.cti.login(account, password, peer.ip()).await {
        Ok(l) => l,
        Err(crate::services::auth::AuthError::Throttled(secs)) => {
            let m = format!("Too many logins at once, or failed ones: try again in {secs} s.");
            return Err(Box::new(move |id| {
                let mut e = error(id, "throttled", &m);
                e["retry_after"] = json!(secs);
                e
            }));
        }
        Err(_) => return Err(Box::new(|id| error(id, "login_failed", "Wrong account or password."))),
    };
    match services.cti.actor_for(&login, computer).await {
        Ok(actor) => Ok((login, actor)),
        Err(e) => Err(Box::new(move |id| service_error(id, e))),
    }
}

fn logged_in(
    id: Value,
    login: &CtiLogin,
    actor: &Actor,
    devices: &[String],
    watched: &BTreeSet<String>,
    start: &Start,
) -> Value {
    let monitors: Vec<Value> = match &actor.who {
        Who::CtiAccount { monitors, .. } => {
            monitors.iter().map(|m| json!({ "ext": m.ext, "clip": m.clip, "pickup": m.pickup })).collect()
        }
        _ => Vec::new(),
    };
    let mut reply = json!({
        "type": "result", "id": id, "account": login.account.name, "kind": login.account.kind.code(),
        "extension": login.extension, "devices": devices, "monitors": monitors,
        "watched": watched, "resumed": matches!(start, Start::From(..)),
    });
    if let Some(p) = &login.handed_over {
        reply["password"] = json!(p);
    }
    reply
}

impl Client {
    /// The line a command is about: the one it names, or the first device.
    fn line<'a>(&'a self, v: &'a Value, field: &str) -> Option<&'a str> {
        v[field].as_str().or(self.devices.first().map(String::as_str))
    }

    async fn command(&mut self, id: Value, v: &Value) -> Value {
        let kind = v["type"].as_str().unwrap_or_default();
        let result = match kind {
            "ping" => return json!({ "type": "pong", "id": id }),
            "login" => return error(id, "bad_request", "Already logged in."),
            "monitor_start" => self.monitor_start(v).await,
            "monitor_stop" => Ok(self.monitor_stop(v)),
            "snapshot" => {
                return json!({ "type": "result", "id": id, "snapshot": self.snapshot_value().await })
            }
            "dial" => self.dial(v).await,
            "journal" => self.journal(v).await,
            "call_note" => self.call_note(v).await,
            "book_search" => self.book_search(v).await,
            "books" => self.books().await,
            "book_download" => self.book_download(v).await,
            "book_contact_save" => self.book_contact_save(v).await,
            "book_contact_delete" => self.book_contact_delete(v).await,
            "lookup" => self.lookup(v).await,
            "bind" => self.bind(v),
            "presence" | "presence_set" | "presence_end" => self.presence(kind, v).await,
            _ => match verb(kind, v) {
                Some(Ok(verb)) => self.control(v, verb).await,
                Some(Err(m)) => return error(id, "bad_request", &m),
                None => return error(id, "unknown", &format!("No message {kind:?} (docs/cti-protocol.md).")),
            },
        };
        match result {
            Ok(mut body) => {
                body["type"] = json!("result");
                body["id"] = id;
                body
            }
            Err(Refused::Bad(m)) => error(id, "bad_request", &m),
            Err(Refused::Service(e)) => service_error(id, e),
        }
    }

    /// Binds one of the login's devices as the one in use (SPEC C5).
    fn bind(&self, v: &Value) -> Result<Value, Refused> {
        let device =
            v["device"].as_str().ok_or_else(|| Refused::Bad("\"device\": one of your devices.".into()))?;
        self.services.cti.bind(&self.actor, device, false)?;
        Ok(json!({ "in_use": device }))
    }

    /// Whether the client hears of `account`'s device in use: its own, or a
    /// member of its panels whose lamp follows it.
    fn shows_use_of(&self, account: &str) -> bool {
        let named = |name: &str| name.eq_ignore_ascii_case(account);
        named(&self.login.account.name)
            || self.panels.iter().any(|p| {
                p.members.iter().any(|m| m.follows_use && matches!(&m.member, Member::Account(n) if named(n)))
            })
    }

    /// The calls missed while the account's clients were away (SPEC C4), in
    /// parts of [`JOURNAL_PART`] calls, so each stays a small message.
    async fn offline_journal<W: AsyncRead + AsyncWrite>(&self, out: &mut Out<W>) -> Result<(), End> {
        let missed = match self.services.cti.offline_journal(&self.login, &self.actor).await {
            Ok(Some(m)) => m,
            Ok(None) => return Ok(()),
            Err(e) => {
                tracing::warn!(actor = %self.actor.label(), error = %e, "offline journal not read");
                return Ok(());
            }
        };
        let parts: Vec<&[HistoryRow]> = match missed.calls.is_empty() {
            true => vec![&[]],
            false => missed.calls.chunks(JOURNAL_PART).collect(),
        };
        for (i, calls) in parts.iter().enumerate() {
            let calls: Vec<Value> = calls.iter().map(journal_entry).collect();
            out.json(&json!({ "type": "journal", "offline": true, "part": i + 1, "parts": parts.len(),
                "complete": missed.complete, "calls": calls }))
                .await?;
        }
        Ok(())
    }

    /// A page of the server journal, newest first.
    async fn journal(&self, v: &Value) -> Result<Value, Refused> {
        let before = match &v["before"] {
            Value::Null => None,
            b => match (b["started_at"].as_i64(), b["id"].as_i64()) {
                (Some(t), Some(id)) => Some((t, id)),
                _ => return Err(Refused::Bad("\"before\" is the \"next\" of the page before.".into())),
            },
        };
        let limit =
            v["limit"].as_u64().unwrap_or(u64::from(JOURNAL_PAGE)).min(u64::from(JOURNAL_PAGE)) as u32;
        let calls = self.services.cti.journal(&self.actor, before, limit).await?;
        let next = match calls.len() == limit as usize {
            true => calls.last().map(|h| json!({ "started_at": h.cdr.started_at, "id": h.id })),
            false => None,
        };
        let calls: Vec<Value> = calls.iter().map(journal_entry).collect();
        Ok(json!({ "calls": calls, "next": next }))
    }

    /// Keeps a note with one of the client's calls (SPEC C13), its record
    /// `record` at `device` (the first when left out); empty: the note goes.
    async fn call_note(&self, v: &Value) -> Result<Value, Refused> {
        let record =
            v["record"].as_u64().ok_or_else(|| Refused::Bad("\"record\" is the call record's id.".into()))?;
        let text = v["text"].as_str().ok_or_else(|| Refused::Bad("\"text\" is the note.".into()))?;
        let device = self.line(v, "device").ok_or(Refused::Service(ServiceError::NotFound))?;
        self.services.history.note(&self.actor, device, record, text).await?;
        Ok(json!({ "record": record, "device": device }))
    }

    /// The shared books (the extensions, the public book, the external
    /// sources' books) searched by name or number, as desk phones and the
    /// portal's lists search them.
    async fn book_search(&self, v: &Value) -> Result<Value, Refused> {
        let search = v["search"].as_str().unwrap_or_default();
        if search.chars().count() > MAX_SEARCH {
            return Err(Refused::Bad(format!("A search is at most {MAX_SEARCH} characters.")));
        }
        let limit = v["limit"].as_u64().unwrap_or(BOOK_ENTRIES as u64).clamp(1, BOOK_ENTRIES as u64) as usize;
        let entries = self.services.phonebook.directory(&self.actor, search, limit).await?;
        let entries: Vec<Value> = entries.iter().map(book_entry).collect();
        Ok(json!({ "entries": entries }))
    }

    /// The books the client may read, with what it may do with each (SPEC C11).
    async fn books(&self) -> Result<Value, Refused> {
        let books = self.services.phonebook.books(&self.actor).await?;
        let books: Vec<Value> = books
            .into_iter()
            .map(|(name, kind, access)| json!({ "name": name, "kind": kind, "access": access.code() }))
            .collect();
        Ok(json!({ "books": books }))
    }

    /// Adds a contact to a book the client may change, or (`uid`) changes one.
    async fn book_contact_save(&self, v: &Value) -> Result<Value, Refused> {
        let book = v["book"].as_str().ok_or_else(|| Refused::Bad("\"book\" is the book's name.".into()))?;
        let uid = match &v["uid"] {
            Value::Null => None,
            Value::String(u) => Some(u.clone()),
            _ => return Err(Refused::Bad("\"uid\" is a contact's permanent id.".into())),
        };
        let c = &v["contact"];
        if !c.is_object() {
            return Err(Refused::Bad("\"contact\" is an object with the contact's fields.".into()));
        }
        let text = |field: &str| c[field].as_str().unwrap_or_default().to_owned();
        let mut numbers = Vec::new();
        for n in c["numbers"].as_array().map(Vec::as_slice).unwrap_or_default().iter().take(MAX_NUMBERS + 1) {
            let number = n["number"]
                .as_str()
                .ok_or_else(|| Refused::Bad("A number is {\"kind\",\"number\"}.".into()))?;
            numbers.push(Number {
                kind: NumberKind::parse(n["kind"].as_str().unwrap_or("work")),
                number: number.to_owned(),
            });
        }
        let contact = Contact {
            first_name: text("first_name"),
            last_name: text("last_name"),
            company: text("company"),
            title: text("title"),
            email: text("email"),
            address: text("address"),
            numbers,
            ..Default::default()
        };
        let uid = self.services.phonebook.save_shared(&self.actor, book, uid, contact).await?;
        Ok(json!({ "book": book, "uid": uid }))
    }

    /// Deletes a contact of a book the client may change, by its `uid`.
    async fn book_contact_delete(&self, v: &Value) -> Result<Value, Refused> {
        let book = v["book"].as_str().ok_or_else(|| Refused::Bad("\"book\" is the book's name.".into()))?;
        let uid =
            v["uid"].as_str().ok_or_else(|| Refused::Bad("\"uid\" is the contact's permanent id.".into()))?;
        self.services.phonebook.delete_shared(&self.actor, book, uid).await?;
        Ok(json!({ "book": book, "uid": uid, "deleted": true }))
    }

    /// A page of a book the client may keep a copy of (its offline book):
    /// the contacts after `after` (the `next` of the page before), by id.
    async fn book_download(&self, v: &Value) -> Result<Value, Refused> {
        let book = v["book"].as_str().ok_or_else(|| Refused::Bad("\"book\" is the book's name.".into()))?;
        let after = v["after"].as_i64().unwrap_or(0);
        let page = self.services.phonebook.download(&self.actor, book, after, DOWNLOAD_PAGE).await?;
        let next = match page.len() {
            DOWNLOAD_PAGE => page.last().map(|e| e.id),
            _ => None,
        };
        let entries: Vec<Value> = page
            .iter()
            .map(|e| {
                let mut v = book_entry(e);
                v["id"] = json!(e.id);
                v["uid"] = json!(e.contact.uid);
                v
            })
            .collect();
        Ok(json!({ "book": book, "entries": entries, "next": next }))
    }

    /// Who a number is (reverse lookup, SPEC C14): the same answer as the
    /// API's `GET /api/v1/lookup`.
    async fn lookup(&self, v: &Value) -> Result<Value, Refused> {
        let number = v["number"].as_str().ok_or_else(|| Refused::Bad("\"number\" is the number.".into()))?;
        let form = match v["form"].as_str() {
            None => Form::Unknown,
            Some("written") => Form::Written,
            Some("dialled") => Form::Dialled,
            Some(_) => return Err(Refused::Bad("\"form\" is \"written\" or \"dialled\".".into())),
        };
        let found = self.services.phonebook.lookup(&self.actor, None, number, form).await?;
        let (name, source) = match &found.known {
            Some(k) => (Some(k.name.as_str()), Some(k.source.word())),
            None => (None, None),
        };
        Ok(json!({ "number": number, "canonical": found.canonical, "name": name, "source": source }))
    }

    async fn monitor_start(&mut self, v: &Value) -> Result<Value, Refused> {
        let ext = v["ext"].as_str().ok_or_else(|| Refused::Bad("\"ext\" names the line.".into()))?;
        if !self.watched.contains(ext) && self.watched.len() >= MAX_WATCHED {
            return Err(Refused::Bad(format!("At most {MAX_WATCHED} lines are followed at once.")));
        }
        let lines = self.services.calls.watched(&self.actor, &[ext.to_owned()]).await?;
        let Some((_, state)) = lines.first() else {
            // Not allowed, or no such line: the same refusal.
            return Err(Refused::Service(ServiceError::Denied(Denied::NotYours)));
        };
        self.watched.insert(ext.to_owned());
        Ok(json!({ "ext": ext, "state": state.code() }))
    }

    fn monitor_stop(&mut self, v: &Value) -> Value {
        let ext = v["ext"].as_str().unwrap_or_default();
        let was = !self.devices.iter().any(|d| d == ext) && self.watched.remove(ext);
        json!({ "ext": ext, "stopped": was })
    }

    async fn dial(&self, v: &Value) -> Result<Value, Refused> {
        let number =
            v["number"].as_str().ok_or_else(|| Refused::Bad("\"number\" is what to dial.".into()))?;
        let ext = self.line(v, "device").ok_or_else(|| Refused::Bad("No device to dial from.".into()))?;
        let req = PlaceCall {
            ext: ext.to_owned(),
            number: number.to_owned(),
            from: Some(CallFrom::Extension),
            remember: false,
        };
        let dialled = self.services.calls.place(&self.actor, req).await?;
        Ok(json!({ "device": ext, "number": dialled }))
    }

    async fn control(&self, v: &Value, verb: Verb) -> Result<Value, Refused> {
        let ext = self.line(v, "device").ok_or_else(|| Refused::Bad("No device named.".into()))?;
        let call = self.services.calls.control(&self.actor, ext, verb).await?;
        Ok(json!({ "device": ext, "call": call }))
    }

    async fn presence(&self, kind: &str, v: &Value) -> Result<Value, Refused> {
        let ext = self.line(v, "ext").ok_or_else(|| Refused::Bad("\"ext\" names the line.".into()))?;
        let p = &self.services.presence;
        match kind {
            "presence_set" => {
                let set = SetPresence {
                    status: v["status"].as_str().unwrap_or_default().to_owned(),
                    info: v["info"].as_str().unwrap_or_default().to_owned(),
                    start: v["start"].as_i64(),
                    end: v["end"].as_i64(),
                    minutes: v["minutes"].as_u64().map(|m| m.min(u64::from(u32::MAX)) as u32),
                    forward: v["forward"].as_str().unwrap_or_default().to_owned(),
                    ..SetPresence::default()
                };
                p.set(&self.actor, ext, set).await?;
            }
            "presence_end" => {
                let id = v["entry"]
                    .as_i64()
                    .ok_or_else(|| Refused::Bad("\"entry\" is the status's id.".into()))?;
                p.end(&self.actor, ext, id).await?;
            }
            _ => {}
        }
        let (shown, stack) = p.stack(&self.actor, ext).await?;
        let mut body = serde_json::to_value(presence_of(shown, &stack)).unwrap_or_default();
        body["ext"] = json!(ext);
        Ok(body)
    }

    /// The lines followed, the calls up at them and their presence, as now.
    async fn snapshot_value(&self) -> Value {
        let (epoch, seq) = self.services.live.position();
        let exts: Vec<String> = self.watched.iter().cloned().collect();
        let lines = match self.services.calls.watched(&self.actor, &exts).await {
            Ok(l) => l.into_iter().map(|(ext, s)| json!({ "ext": ext, "state": s.code() })).collect(),
            Err(_) => Vec::new(),
        };
        let calls: Vec<Value> =
            self.services.calls.up(&self.actor, &exts).iter().map(|c| self.call_value(c)).collect();
        let mut presence = Vec::new();
        for ext in &exts {
            if let Ok(shown) = self.services.presence.shown(&self.actor, ext).await {
                presence.push(presence_value(ext, &shown));
            }
        }
        json!({ "epoch": epoch, "seq": seq, "lines": lines, "calls": calls, "presence": presence })
    }

    async fn snapshot<W: AsyncRead + AsyncWrite>(&self, out: &mut Out<W>) -> Result<(), End> {
        let mut v = self.snapshot_value().await;
        v["type"] = json!("snapshot");
        out.json(&v).await
    }

    fn call_value(&self, c: &CallView) -> Value {
        call_value(&self.actor, &self.devices, c)
    }

    /// Sends `p` when the client follows what it is about.
    async fn send_event<W: AsyncRead + AsyncWrite>(
        &self,
        out: &mut Out<W>,
        p: &Published,
    ) -> Result<(), End> {
        let body = match &p.live {
            Live::CoreLink { up } => Some(json!({ "event": "core_link", "up": up })),
            // A member of its panels (or its own account) uses another device.
            Live::InUse { account, device } if self.shows_use_of(account) => {
                Some(json!({ "event": "in_use", "account": account, "device": device }))
            }
            // Alike for every client that follows the line: made once.
            Live::Line { ext, state } if self.follows(ext) => {
                let text = self.texts.made(p.seq, Variant::Line, || {
                    json!({ "event": "line", "ext": ext, "state": state.code(), "type": "event", "seq": p.seq })
                });
                return out.send(&Message::Text(text.to_string())).await;
            }
            Live::Call { call, progress, from, to, at, names }
                if [from, to, at].iter().any(|e| self.follows(e)) =>
            {
                let at = if self.follows(at) {
                    at
                } else {
                    [from, to].into_iter().find(|e| self.follows(e)).unwrap_or(at)
                };
                // Alike for every client that sees the same numbers at the same line.
                let clip = sees_numbers(&self.actor, at);
                let shown = |n: &String| clip || n == at || self.devices.contains(n);
                let variant = Variant::Call { at: at.clone(), clip, from: shown(from), to: shown(to) };
                let text = self.texts.made(p.seq, variant, || {
                    let view = CallView {
                        call: *call,
                        progress: *progress,
                        from: from.clone(),
                        to: to.clone(),
                        at: at.clone(),
                        names: names.clone(),
                    };
                    let mut v = self.call_value(&view);
                    v["event"] = json!("call");
                    v["type"] = json!("event");
                    v["seq"] = json!(p.seq);
                    v
                });
                return out.send(&Message::Text(text.to_string())).await;
            }
            Live::CallRecord { cdr } if self.devices.contains(&cdr.extension) && self.feed.shows(&p.live) => {
                let (_, mut v) = super::json::event(&p.live);
                v["event"] = json!("call_record");
                Some(v)
            }
            Live::Voicemail { ext, caller, at } if self.devices.contains(ext) && self.feed.shows(&p.live) => {
                Some(json!({ "event": "voicemail", "ext": ext, "caller": caller, "at": at }))
            }
            Live::Changed { ext, what: Changed::Presence | Changed::Program }
                if self.watched.contains(ext) =>
            {
                match self.services.presence.shown(&self.actor, ext).await {
                    Ok(shown) => {
                        let mut v = presence_value(ext, &shown);
                        v["event"] = json!("presence");
                        Some(v)
                    }
                    Err(_) => None,
                }
            }
            _ => None,
        };
        match body {
            Some(mut v) => {
                v["type"] = json!("event");
                v["seq"] = json!(p.seq);
                out.json(&v).await
            }
            None => Ok(()),
        }
    }

    fn follows(&self, ext: &str) -> bool {
        self.watched.contains(ext)
    }

    /// A group changed: the login's rights and panels are read again, `events`
    /// follows its lines from now on, and the client is sent its panels and a
    /// snapshot of what it now follows.
    async fn regroup<W: AsyncRead + AsyncWrite>(
        &mut self,
        out: &mut Out<W>,
        seq: u64,
        events: &mut Subscription,
    ) -> Result<(), End> {
        let (Ok(actor), Ok(panels)) = (
            self.services.cti.actor_for(&self.login, &self.computer).await,
            self.services.cti.panels_of(&self.login).await,
        ) else {
            // The account is gone: nothing more to show.
            return Err(End::Close(1008));
        };
        let old: Vec<String> = self.panels.iter().flat_map(Panel::lines).collect();
        self.watched.retain(|e| !old.contains(e) || self.devices.contains(e));
        self.watched.extend(panels.iter().flat_map(Panel::lines));
        self.watched.retain(|e| {
            let line = Target::Extension { number: e, department: None, facet: Facet::Live };
            allowed(&actor, Action::Read, line).is_ok()
        });
        self.feed = Feed::of(actor.clone());
        events.reach_to(self.feed.reach());
        self.actor = actor;
        self.panels = panels;
        let v = json!({ "type": "event", "seq": seq, "event": "panels", "panels": panels_value(&self.panels, |a| self.services.cti.in_use(a)) });
        out.json(&v).await?;
        self.snapshot(out).await
    }
}

/// Panels as the protocol shows them; a member whose lamp follows the
/// device in use has it as `in_use` while its account has one bound
/// (`in_use` of the account's name).
fn panels_value(panels: &[Panel], in_use: impl Fn(&str) -> Option<String>) -> Value {
    let member = |m: &PanelMember| {
        let kind = match m.member {
            Member::Account(_) => "account",
            Member::Subscriber(_) => "subscriber",
        };
        let mut v = json!({ "name": m.member.name(), "kind": kind, "label": m.label, "lines": m.lines });
        if let Member::Account(name) = &m.member {
            if let Some(device) = in_use(name).filter(|d| m.follows_use && m.lines.contains(d)) {
                v["in_use"] = json!(device);
            }
        }
        v
    };
    Value::Array(
        panels
            .iter()
            .map(|p| {
                json!({ "id": p.id, "name": p.name, "show_numbers": p.show_numbers,
                    "members": p.members.iter().map(member).collect::<Vec<_>>() })
            })
            .collect(),
    )
}

/// A call as a client may see it: a party's number is hidden on a monitored
/// line without the CLIP right, unless it is a line of the client's own.
fn call_value(actor: &Actor, devices: &[String], c: &CallView) -> Value {
    let clip = sees_numbers(actor, &c.at);
    let shown = |n: &String| clip || *n == c.at || devices.contains(n);
    let party = |n: &String| match shown(n) {
        true => json!(n),
        false => json!(""),
    };
    let mut v = json!({ "call": c.call, "progress": c.progress.code(), "from": party(&c.from),
        "to": party(&c.to), "at": c.at, "clip": clip });
    // A party's name, when the books know it and its number is shown.
    for (field, number, name) in [("from_name", &c.from, &c.names.from), ("to_name", &c.to, &c.names.to)] {
        if let Some(name) = name.as_ref().filter(|_| shown(number)) {
            v[field] = json!(name);
        }
    }
    v
}

/// A phonebook entry as the protocol shows it.
fn book_entry(e: &Entry) -> Value {
    let c = &e.contact;
    let numbers: Vec<Value> =
        c.numbers.iter().map(|n| json!({ "kind": n.kind.code(), "number": n.number })).collect();
    let book = match &e.source {
        Source::Directory(name) => Some(name.as_str()),
        _ => None,
    };
    json!({ "source": e.source.word(), "book": book, "name": c.display_name(),
        "first_name": c.first_name, "last_name": c.last_name, "company": c.company,
        "email": c.email, "numbers": numbers })
}

/// A call of a journal: a `call_record`'s fields and its note.
fn journal_entry(h: &HistoryRow) -> Value {
    let mut v = call_record(&h.cdr);
    v["note"] = json!(h.note);
    v
}

fn presence_value(ext: &str, s: &crate::domain::presence::Shown) -> Value {
    json!({ "ext": ext, "status": s.status.code(), "status_id": s.status.id(), "info": s.info,
        "end": s.end, "set_by": s.set_by, "forward": s.divert.as_ref().map(|d| d.text()) })
}

/// What a command can answer instead of its result.
enum Refused {
    Bad(String),
    Service(ServiceError),
}

impl From<ServiceError> for Refused {
    fn from(e: ServiceError) -> Self {
        Refused::Service(e)
    }
}

/// A call-control verb from its message, `None` when `kind` is none.
fn verb(kind: &str, v: &Value) -> Option<Result<Verb, String>> {
    let call = |f: &str| {
        v[f].as_u64()
            .and_then(|n| u32::try_from(n).ok())
            .ok_or_else(|| format!("\"{f}\" is a call's number."))
    };
    let text = |f: &str| v[f].as_str().map(str::to_owned).ok_or_else(|| format!("\"{f}\" is missing."));
    let verb = match kind {
        "answer" => call("call").map(|call| Verb::Answer { call }),
        "clear" => call("call").map(|call| Verb::Clear { call }),
        "hold" => call("call").map(|call| Verb::Hold { call }),
        "retrieve" => call("call").map(|call| Verb::Retrieve { call }),
        "consult" => call("call").and_then(|call| Ok(Verb::Consult { call, number: text("number")? })),
        "transfer" => call("held").and_then(|held| Ok(Verb::Transfer { held, active: call("active")? })),
        "conference" => call("held").and_then(|held| Ok(Verb::Conference { held, active: call("active")? })),
        "pickup" => text("target").map(|target| Verb::Pickup { target }),
        "deflect" => call("call").and_then(|call| Ok(Verb::Deflect { call, number: text("number")? })),
        _ => return None,
    };
    Some(verb)
}

#[cfg(test)]
mod tests {
    //! Version 1's shapes: a change here is a new version of the protocol.
    use super::*;
    use crate::domain::access::Channel;
    use crate::domain::cti::Monitor;
    use crate::domain::line::Progress;
    use crate::domain::presence::{Shown, Status};

    #[test]
    fn shapes_of_version_1() {
        let actor = Actor::new(
            Who::CtiAccount {
                name: "desk".into(),
                devices: vec!["100".into()],
                monitors: vec![Monitor { ext: "101".into(), clip: false, pickup: false }],
                journals: crate::domain::cti::Journals { server: true, offline: false },
                groups: vec![],
            },
            Channel::Cti,
        );
        let devices = vec!["100".to_owned()];
        let call = |from: &str, at: &str| CallView {
            call: 7,
            progress: Progress::Ringing,
            from: from.into(),
            to: at.into(),
            at: at.into(),
            names: Default::default(),
        };
        assert_eq!(
            call_value(&actor, &devices, &call("0223334444", "100")).to_string(),
            r#"{"at":"100","call":7,"clip":true,"from":"0223334444","progress":"ringing","to":"100"}"#
        );
        assert_eq!(
            call_value(&actor, &devices, &call("0223334444", "101")).to_string(),
            r#"{"at":"101","call":7,"clip":false,"from":"","progress":"ringing","to":"101"}"#,
            "no CLIP on 101: the caller's number is hidden"
        );
        assert_eq!(
            call_value(&actor, &devices, &call("100", "101"))["from"],
            "100",
            "its own line is never hidden from it"
        );
        let shown = Shown {
            status: Status::Meeting,
            info: "Board".into(),
            end: Some(1_800_000_600),
            set_by: "desk".into(),
            entry: Some(42),
            divert: None,
        };
        assert_eq!(
            presence_value("100", &shown).to_string(),
            r#"{"end":1800000600,"ext":"100","forward":null,"info":"Board","set_by":"desk","status":"meeting","status_id":6}"#
        );
        let panel = Panel {
            id: 1,
            name: "Front desk".into(),
            show_numbers: false,
            members: vec![PanelMember {
                member: Member::Subscriber("101".into()),
                label: "Piotr Nowak (101)".into(),
                lines: vec!["101".into()],
                follows_use: false,
            }]
            .into(),
        };
        assert_eq!(
            panels_value(&[panel], |_| None).to_string(),
            r#"[{"id":1,"members":[{"kind":"subscriber","label":"Piotr Nowak (101)","lines":["101"],"name":"101"}],"name":"Front desk","show_numbers":false}]"#
        );
        assert_eq!(
            error(json!(3), "forbidden", "No.").to_string(),
            r#"{"code":"forbidden","id":3,"message":"No.","type":"error"}"#
        );
    }

    #[test]
    fn an_event_text_is_made_once_a_variant_and_the_oldest_forgotten() {
        let texts = Texts::default();
        let made = std::cell::Cell::new(0);
        let make = |n: u64| {
            made.set(made.get() + 1);
            json!({ "seq": n })
        };
        let call = |clip| Variant::Call { at: "101".into(), clip, from: clip, to: true };
        assert_eq!(&*texts.made(7, Variant::Line, || make(7)), r#"{"seq":7}"#);
        assert_eq!(&*texts.made(7, Variant::Line, || make(99)), r#"{"seq":7}"#, "the first client's text");
        assert_eq!(made.get(), 1);
        texts.made(7, call(true), || make(7));
        texts.made(7, call(false), || make(7));
        texts.made(7, call(false), || make(7));
        assert_eq!(made.get(), 3, "one text a variant");
        for seq in 8..8 + TEXTS as u64 {
            texts.made(seq, Variant::Line, || make(seq));
        }
        texts.made(7, Variant::Line, || make(7));
        assert_eq!(made.get(), 3 + TEXTS + 1, "event 7 was forgotten, and made again");
        assert_eq!(texts.made.lock().map(|m| m.len()).unwrap_or_default(), TEXTS);
    }

    #[test]
    fn messages_are_objects_with_a_type_and_an_id_of_a_simple_kind() {
        assert!(parse(r#"{"type":"ping","id":1}"#).is_ok());
        assert!(parse(r#"{"type":"ping","id":"a"}"#).is_ok());
        assert!(parse(r#"{"type":"ping"}"#).is_ok());
        for bad in ["", "[]", "3", r#"{"id":1}"#, r#"{"type":1}"#, r#"{"type":"ping","id":[1]}"#] {
            let e = parse(bad).expect_err(bad);
            assert_eq!(e["code"], "bad_request", "{bad}");
        }
        assert_eq!(parse(r#"{"id":5}"#).expect_err("no type")["id"], json!(5), "the id is echoed");
        assert_eq!(parse(r#"{"id":5,"type":2}"#).expect_err("bad type")["id"], json!(5));
    }

    #[test]
    fn verbs_take_their_fields() {
        let v = json!({ "call": 3, "number": "101", "held": 1, "active": 2, "target": "105" });
        let cases: &[(&str, Verb)] = &[
            ("answer", Verb::Answer { call: 3 }),
            ("consult", Verb::Consult { call: 3, number: "101".into() }),
            ("transfer", Verb::Transfer { held: 1, active: 2 }),
            ("conference", Verb::Conference { held: 1, active: 2 }),
            ("pickup", Verb::Pickup { target: "105".into() }),
            ("deflect", Verb::Deflect { call: 3, number: "101".into() }),
        ];
        for (kind, want) in cases {
            assert_eq!(verb(kind, &v), Some(Ok(want.clone())), "{kind}");
        }
        assert!(matches!(verb("answer", &json!({ "call": -1 })), Some(Err(_))));
        assert!(matches!(verb("answer", &json!({ "call": 5_000_000_000u64 })), Some(Err(_))));
        assert!(matches!(verb("consult", &json!({ "call": 1 })), Some(Err(_))));
        assert_eq!(verb("teleport", &v), None);
    }
}
