//! `webcti cti`: the CTI protocol's reference client (SPEC C16;
//! `docs/cti-protocol.md`). It connects to `wss://HOST[:PORT]/cti` over TLS,
//! logs in as an account from a computer, prints every message the server
//! sends as one JSON line on standard output, and sends every line read from
//! standard input as a message, so an integrator can try the protocol by hand
//! and scripts and tests can drive it. It speaks the protocol like any other
//! client: nothing here reaches into the service.
//!
//! [`Connection`] is the same client as a library: the tests use it.

use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde_json::{json, Value};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::sync::mpsc;

use crate::provision::wire::{client_config, host_port};
use crate::websocket::{self, Message, Reader, Side};

/// The largest message taken from the server (a snapshot of many lines).
const MAX_FROM_SERVER: usize = 4 * 1024 * 1024;
/// The longest the server's handshake answer may be.
const MAX_HEAD: usize = 16 * 1024;

#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    #[error("{0}")]
    Usage(String),
    #[error("cannot connect to {to}: {why}")]
    Connect { to: String, why: String },
    #[error("the server did not open the WebSocket: {0}")]
    Handshake(String),
    #[error("the connection was closed{}", .0.map(|c| format!(" (code {c})")).unwrap_or_default())]
    Closed(Option<u16>),
}

/// Where the CTI server is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Url {
    pub host: String,
    pub port: u16,
    pub path: String,
}

impl Url {
    /// `wss://pbx.example.com`, `wss://192.0.2.1:8443/cti`, `wss://[::1]:8443`
    /// (`https://` is taken too); the path is `/cti` unless given.
    pub fn parse(url: &str) -> Result<Url, ClientError> {
        let bad = || ClientError::Usage(format!("{url:?} is not wss://HOST[:PORT][/cti]"));
        let rest = url.trim();
        let rest =
            rest.strip_prefix("wss://").or_else(|| rest.strip_prefix("https://")).ok_or_else(|| {
                ClientError::Usage(format!("{url:?}: the CTI server is only reached over wss:// (TLS)"))
            })?;
        let (authority, path) = match rest.find('/') {
            Some(i) => (&rest[..i], &rest[i..]),
            None => (rest, "/cti"),
        };
        let (host, port) = host_port(authority).ok_or_else(bad)?;
        if path.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err(bad());
        }
        Ok(Url { host, port, path: path.to_owned() })
    }
}

/// What the connection's reader hands over.
enum Incoming {
    Text(String),
    Closed(Option<u16>),
}

/// An open connection to the CTI server.
pub struct Connection {
    rx: mpsc::Receiver<Incoming>,
    tx: mpsc::Sender<Message>,
}

impl Connection {
    /// Connects and opens the WebSocket; the server's `hello` is the first message.
    pub async fn open(url: &Url, ca: Option<&Path>) -> Result<Connection, ClientError> {
        let tcp = TcpStream::connect((url.host.as_str(), url.port)).await.map_err(|e| {
            ClientError::Connect { to: format!("{}:{}", url.host, url.port), why: e.to_string() }
        })?;
        Connection::over(tcp, url, ca).await
    }

    /// The same over a TCP connection the caller made (a benchmark's many
    /// desks, each from a loopback address of its own).
    pub async fn over(tcp: TcpStream, url: &Url, ca: Option<&Path>) -> Result<Connection, ClientError> {
        let to = format!("{}:{}", url.host, url.port);
        let connect = |why: String| ClientError::Connect { to: to.clone(), why };
        let tls = client_config(ca).map_err(|e| ClientError::Usage(e.to_string()))?;
        let name =
            rustls::pki_types::ServerName::try_from(url.host.clone()).map_err(|e| connect(e.to_string()))?;
        let _ = tcp.set_nodelay(true);
        let mut stream = tokio_rustls::TlsConnector::from(Arc::clone(&tls))
            .connect(name, tcp)
            .await
            .map_err(|e| connect(e.to_string()))?;
        let mut random = [0u8; 16];
        ring::rand::SecureRandom::fill(&ring::rand::SystemRandom::new(), &mut random)
            .map_err(|_| connect("no randomness".into()))?;
        let key = websocket::client_key(random);
        let authority = match url.host.contains(':') {
            true => format!("[{}]:{}", url.host, url.port),
            false => format!("{}:{}", url.host, url.port),
        };
        let head = format!(
            "GET {} HTTP/1.1\r\nHost: {authority}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
             Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n",
            url.path
        );
        stream.write_all(head.as_bytes()).await.map_err(|e| connect(e.to_string()))?;
        // The answer's head, byte by byte: what follows it is the first frame.
        let mut answer = Vec::new();
        while !answer.ends_with(b"\r\n\r\n") {
            if answer.len() > MAX_HEAD {
                return Err(ClientError::Handshake("the answer's head is too long".into()));
            }
            let b = stream.read_u8().await.map_err(|e| ClientError::Handshake(e.to_string()))?;
            answer.push(b);
        }
        let answer = String::from_utf8_lossy(&answer).into_owned();
        let status = answer.lines().next().unwrap_or_default().to_owned();
        if status.split(' ').nth(1) != Some("101") {
            return Err(ClientError::Handshake(status));
        }
        let expected = websocket::accept_key(&key);
        let accepted = answer.lines().any(|l| {
            l.split_once(':')
                .is_some_and(|(k, v)| k.eq_ignore_ascii_case("sec-websocket-accept") && v.trim() == expected)
        });
        if !accepted {
            return Err(ClientError::Handshake("wrong Sec-WebSocket-Accept".into()));
        }
        let (r, mut w) = tokio::io::split(stream);
        let (in_tx, rx) = mpsc::channel(256);
        let (tx, mut out_rx) = mpsc::channel::<Message>(64);
        // The writer masks every frame with a fresh key (RFC 6455, 5.3).
        tokio::spawn(async move {
            let random = ring::rand::SystemRandom::new();
            while let Some(m) = out_rx.recv().await {
                let mut mask = [0u8; 4];
                let _ = ring::rand::SecureRandom::fill(&random, &mut mask);
                let close = matches!(m, Message::Close(_));
                if websocket::send(&mut w, &m, Some(mask)).await.is_err() || close {
                    let _ = w.shutdown().await;
                    return;
                }
            }
        });
        let pong = tx.clone();
        tokio::spawn(async move {
            let mut reader = Reader::new(r, Side::Client, MAX_FROM_SERVER);
            loop {
                let next = match reader.next().await {
                    Ok(Message::Text(t)) => Incoming::Text(t),
                    Ok(Message::Ping(p)) => {
                        let _ = pong.send(Message::Pong(p)).await;
                        continue;
                    }
                    Ok(Message::Pong(_) | Message::Binary(_)) => continue,
                    Ok(Message::Close(code)) => Incoming::Closed(code),
                    Err(_) => Incoming::Closed(None),
                };
                let last = matches!(next, Incoming::Closed(_));
                if in_tx.send(next).await.is_err() || last {
                    return;
                }
            }
        });
        Ok(Connection { rx, tx })
    }

    /// Sends a message as JSON text.
    pub async fn send(&self, v: &Value) -> Result<(), ClientError> {
        self.send_raw(Message::Text(v.to_string())).await
    }

    /// Sends any frame (the tests send what a client should not).
    pub async fn send_raw(&self, m: Message) -> Result<(), ClientError> {
        self.tx.send(m).await.map_err(|_| ClientError::Closed(None))
    }

    /// The next message from the server; `Closed` once it closed.
    pub async fn recv(&mut self) -> Result<Value, ClientError> {
        match self.rx.recv().await {
            Some(Incoming::Text(t)) => serde_json::from_str(&t)
                .map_err(|e| ClientError::Handshake(format!("not JSON from the server: {e}"))),
            Some(Incoming::Closed(code)) => Err(ClientError::Closed(code)),
            None => Err(ClientError::Closed(None)),
        }
    }

    /// Says goodbye (close 1000).
    pub async fn close(self) {
        let _ = self.tx.send(Message::Close(Some(1000))).await;
    }
}

/// What `webcti cti` is told on its command line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Options {
    pub url: String,
    pub account: String,
    pub computer: String,
    pub password: Option<String>,
    pub ca: Option<PathBuf>,
    pub monitor: Vec<String>,
    /// This run's epoch and the last number seen, to resume from.
    pub resume: Option<(String, u64)>,
}

pub const USAGE: &str = "\
usage: webcti cti --url wss://HOST[:PORT] --account NAME [--computer NAME]
                  [--ca FILE] [--monitor EXT,EXT] [--resume EPOCH:SEQ]
  Logs in to the CTI server, prints each message it sends as a JSON line and
  sends each line read from standard input (docs/cti-protocol.md).
  The password is read from WEBCTI_CTI_PASSWORD (none: a handed-over login).
  WEBCTI_CTI_URL and WEBCTI_CA stand for --url and --ca.
";

impl Options {
    pub fn parse(args: Vec<OsString>) -> Result<Options, ClientError> {
        use lexopt::prelude::*;
        let usage = |e: lexopt::Error| ClientError::Usage(e.to_string());
        let mut parser = lexopt::Parser::from_args(args);
        let env = |k: &str| std::env::var(k).ok().filter(|v| !v.is_empty());
        let mut o = Options {
            url: env("WEBCTI_CTI_URL").unwrap_or_default(),
            account: String::new(),
            computer: std::fs::read_to_string("/etc/hostname")
                .map(|h| h.trim().to_owned())
                .unwrap_or_default(),
            password: env("WEBCTI_CTI_PASSWORD"),
            ca: env("WEBCTI_CA").map(PathBuf::from),
            monitor: Vec::new(),
            resume: None,
        };
        while let Some(arg) = parser.next().map_err(usage)? {
            let name = match arg {
                Long(name) => name.to_owned(),
                other => return Err(usage(other.unexpected())),
            };
            let mut value = || -> Result<String, ClientError> {
                parser
                    .value()
                    .map_err(usage)?
                    .into_string()
                    .map_err(|_| ClientError::Usage("not UTF-8".into()))
            };
            match name.as_str() {
                "url" => o.url = value()?,
                "account" => o.account = value()?,
                "computer" => o.computer = value()?,
                "ca" => o.ca = Some(PathBuf::from(value()?)),
                "monitor" => o
                    .monitor
                    .extend(value()?.split(',').map(str::trim).filter(|e| !e.is_empty()).map(str::to_owned)),
                "resume" => {
                    let v = value()?;
                    let bad = || ClientError::Usage(format!("--resume {v:?}: expected EPOCH:SEQ"));
                    let (epoch, seq) = v.split_once(':').ok_or_else(bad)?;
                    o.resume = Some((epoch.to_owned(), seq.parse().map_err(|_| bad())?));
                }
                _ => return Err(ClientError::Usage(format!("invalid option '--{name}'"))),
            }
        }
        if o.url.is_empty() || o.account.is_empty() {
            return Err(ClientError::Usage("--url and --account are needed".into()));
        }
        Ok(o)
    }

    /// The login message.
    pub fn login(&self) -> Value {
        let mut v =
            json!({ "type": "login", "id": "login", "account": self.account, "computer": self.computer });
        if let Some(p) = &self.password {
            v["password"] = json!(p);
        }
        if !self.monitor.is_empty() {
            v["monitor"] = json!(self.monitor);
        }
        if let Some((epoch, seq)) = &self.resume {
            v["resume"] = json!({ "epoch": epoch, "seq": seq });
        }
        v
    }
}

/// Runs the client until the server closes or standard input ends.
pub async fn run(o: &Options, out: &mut (impl std::io::Write + ?Sized)) -> Result<(), ClientError> {
    let url = Url::parse(&o.url)?;
    let mut conn = Connection::open(&url, o.ca.as_deref()).await?;
    let hello = conn.recv().await?;
    let _ = writeln!(out, "{hello}");
    conn.send(&o.login()).await?;
    // Standard input is read on a thread of its own (blocking, as it is).
    let (lines_tx, mut lines) = mpsc::channel::<String>(16);
    std::thread::spawn(move || {
        for line in std::io::stdin().lines().map_while(Result::ok) {
            if lines_tx.blocking_send(line).is_err() {
                return;
            }
        }
    });
    let mut input_open = true;
    loop {
        tokio::select! {
            m = conn.recv() => match m {
                Ok(v) => {
                    let _ = writeln!(out, "{v}");
                    let _ = out.flush();
                }
                Err(ClientError::Closed(Some(1000 | 1001)) | ClientError::Closed(None)) => return Ok(()),
                Err(e) => return Err(e),
            },
            line = lines.recv(), if input_open => match line {
                Some(l) if l.trim().is_empty() => {}
                Some(l) => conn.send_raw(Message::Text(l)).await?,
                // The server answers what was sent, then the close.
                None => {
                    input_open = false;
                    conn.send_raw(Message::Close(Some(1000))).await?;
                }
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls() {
        let u = |s: &str| Url::parse(s).map(|u| (u.host, u.port, u.path)).ok();
        assert_eq!(u("wss://pbx.example.com"), Some(("pbx.example.com".into(), 443, "/cti".into())));
        assert_eq!(u("wss://192.0.2.1:8443/cti"), Some(("192.0.2.1".into(), 8443, "/cti".into())));
        assert_eq!(u("https://[::1]:8443"), Some(("::1".into(), 8443, "/cti".into())));
        for bad in
            ["ws://pbx", "wss://", "wss://pbx:0", "wss://pbx:x", "wss://[::1", "wss://a b", "wss://pbx/c ti"]
        {
            assert!(Url::parse(bad).is_err(), "{bad}");
        }
    }
}
