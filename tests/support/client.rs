//! A small blocking HTTP/1.1 client over rustls, for the tests: it trusts only the
//! certificate it is given, so a passing test proves the device's TLS identity.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::Path;
use std::sync::Arc;

use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, ServerName};

#[derive(Clone)]
pub struct Client {
    config: Arc<rustls::ClientConfig>,
    /// The local address to connect from (a loopback address such as 127.0.3.7).
    source: Option<std::net::IpAddr>,
}

/// A TCP connection to `addr`, from `source` when given.
pub fn tcp_from(source: Option<std::net::IpAddr>, addr: SocketAddr) -> std::io::Result<TcpStream> {
    let Some(ip) = source else { return TcpStream::connect(addr) };
    let socket = socket2::Socket::new(socket2::Domain::for_address(addr), socket2::Type::STREAM, None)?;
    socket.bind(&SocketAddr::new(ip, 0).into())?;
    socket.connect(&addr.into())?;
    Ok(socket.into())
}

#[derive(Debug)]
pub struct Response {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: String,
}

impl Response {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(k, _)| k.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
    }
}

impl Client {
    pub fn trusting(cert: &Path) -> Client {
        Client::with_versions(cert, &[&rustls::version::TLS13, &rustls::version::TLS12])
    }

    pub fn with_versions(cert: &Path, versions: &[&'static rustls::SupportedProtocolVersion]) -> Client {
        let mut roots = rustls::RootCertStore::empty();
        for c in CertificateDer::pem_file_iter(cert).expect("read cert") {
            roots.add(c.expect("parse cert")).expect("add root");
        }
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let config = rustls::ClientConfig::builder_with_provider(provider)
            .with_protocol_versions(versions)
            .expect("versions")
            .with_root_certificates(roots)
            .with_no_client_auth();
        Client { config: Arc::new(config), source: None }
    }

    /// A client with a TLS configuration of its own (a verifier of the test's).
    pub fn with_config(config: Arc<rustls::ClientConfig>) -> Client {
        Client { config, source: None }
    }

    /// The same client, connecting from `ip`.
    pub fn connecting_from(&self, ip: std::net::IpAddr) -> Client {
        Client { config: self.config.clone(), source: Some(ip) }
    }

    /// A GET over TLS; errors are returned, not panicked, so tests can assert refusals.
    pub fn get(&self, addr: SocketAddr, path: &str) -> Result<Response, String> {
        let tcp = tcp_from(self.source, addr).map_err(|e| e.to_string())?;
        let name = ServerName::IpAddress(addr.ip().into());
        let conn = rustls::ClientConnection::new(self.config.clone(), name).map_err(|e| e.to_string())?;
        let mut tls = rustls::StreamOwned::new(conn, tcp);
        exchange(&mut tls, addr, path)
    }

    /// Any request, with extra headers and a body; the raw response.
    pub fn request(
        &self,
        addr: SocketAddr,
        method: &str,
        path: &str,
        headers: &[(&str, &str)],
        body: &str,
    ) -> Result<Response, String> {
        self.request_bytes(addr, method, path, headers, body.as_bytes())
    }

    /// Like [`Client::request`] with a body of any bytes; a form's content type
    /// unless the headers name one.
    pub fn request_bytes(
        &self,
        addr: SocketAddr,
        method: &str,
        path: &str,
        headers: &[(&str, &str)],
        body: &[u8],
    ) -> Result<Response, String> {
        let mut tls = self.connect(addr)?;
        let mut req = format!("{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n");
        for (k, v) in headers {
            req.push_str(&format!("{k}: {v}\r\n"));
        }
        if !body.is_empty() || method == "POST" {
            if !headers.iter().any(|(k, _)| k.eq_ignore_ascii_case("content-type")) {
                req.push_str("Content-Type: application/x-www-form-urlencoded\r\n");
            }
            req.push_str(&format!("Content-Length: {}\r\n", body.len()));
        }
        req.push_str("\r\n");
        let mut req = req.into_bytes();
        req.extend_from_slice(body);
        tls.write_all(&req).map_err(|e| e.to_string())?;
        let mut raw = Vec::new();
        if let Err(e) = tls.read_to_end(&mut raw) {
            if raw.is_empty() || e.kind() != std::io::ErrorKind::UnexpectedEof {
                return Err(e.to_string());
            }
        }
        parse(&raw)
    }

    /// A TLS connection to write a request of one's own on.
    pub fn connect(
        &self,
        addr: SocketAddr,
    ) -> Result<rustls::StreamOwned<rustls::ClientConnection, TcpStream>, String> {
        let tcp = tcp_from(self.source, addr).map_err(|e| e.to_string())?;
        let name = ServerName::IpAddress(addr.ip().into());
        let conn = rustls::ClientConnection::new(self.config.clone(), name).map_err(|e| e.to_string())?;
        Ok(rustls::StreamOwned::new(conn, tcp))
    }

    /// Opens a server-sent event stream; read it with [`EventStream::wait_for`].
    pub fn events(&self, addr: SocketAddr, path: &str, cookie: &str) -> Result<EventStream, String> {
        self.events_after(addr, path, cookie, None)
    }

    /// Opens the stream again after a blip, saying which event was seen last.
    pub fn events_after(
        &self,
        addr: SocketAddr,
        path: &str,
        cookie: &str,
        last: Option<&str>,
    ) -> Result<EventStream, String> {
        let mut tls = self.connect(addr)?;
        let last = last.map(|id| format!("Last-Event-ID: {id}\r\n")).unwrap_or_default();
        let req = format!("GET {path} HTTP/1.1\r\nHost: {addr}\r\nCookie: {cookie}\r\nAccept: text/event-stream\r\n{last}\r\n");
        tls.write_all(req.as_bytes()).map_err(|e| e.to_string())?;
        tls.sock.set_read_timeout(Some(std::time::Duration::from_millis(200))).map_err(|e| e.to_string())?;
        Ok(EventStream { tls, seen: String::new() })
    }

    /// The protocol version a handshake ends with.
    pub fn negotiated(&self, addr: SocketAddr) -> Result<rustls::ProtocolVersion, String> {
        let tcp = TcpStream::connect(addr).map_err(|e| e.to_string())?;
        let name = ServerName::IpAddress(addr.ip().into());
        let conn = rustls::ClientConnection::new(self.config.clone(), name).map_err(|e| e.to_string())?;
        let mut tls = rustls::StreamOwned::new(conn, tcp);
        exchange(&mut tls, addr, "/healthz")?;
        tls.conn.protocol_version().ok_or_else(|| "no version".to_owned())
    }
}

/// A plain-HTTP GET.
pub fn get_plain(addr: SocketAddr, path: &str) -> Result<Response, String> {
    let mut tcp = TcpStream::connect(addr).map_err(|e| e.to_string())?;
    exchange(&mut tcp, addr, path)
}

fn exchange<S: Read + Write>(s: &mut S, addr: SocketAddr, path: &str) -> Result<Response, String> {
    let req = format!("GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n");
    s.write_all(req.as_bytes()).map_err(|e| e.to_string())?;
    let mut raw = Vec::new();
    // A peer that closes without TLS close_notify still sent a whole response.
    if let Err(e) = s.read_to_end(&mut raw) {
        if raw.is_empty() || e.kind() != std::io::ErrorKind::UnexpectedEof {
            return Err(e.to_string());
        }
    }
    parse(&raw)
}

fn parse(raw: &[u8]) -> Result<Response, String> {
    let text = String::from_utf8_lossy(raw);
    let (head, body) = text.split_once("\r\n\r\n").ok_or("no end of headers")?;
    let mut lines = head.split("\r\n");
    let status_line = lines.next().ok_or("empty response")?;
    let status = status_line.split(' ').nth(1).and_then(|s| s.parse().ok()).ok_or("bad status line")?;
    let headers = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_owned(), v.trim().to_owned()))
        .collect();
    Ok(Response { status, headers, body: body.to_owned() })
}

/// A live server-sent event stream.
pub struct EventStream {
    tls: rustls::StreamOwned<rustls::ClientConnection, TcpStream>,
    pub seen: String,
}

impl EventStream {
    /// The id of the last event whose data contains `needle`.
    pub fn id_of(&self, needle: &str) -> Option<String> {
        self.seen
            .split("\n\n")
            .filter(|e| e.contains(needle))
            .last()
            .and_then(|e| e.lines().find_map(|l| l.strip_prefix("id:").map(|v| v.trim().to_owned())))
    }

    /// Reads until the server ends the stream (its last chunk, or the connection
    /// closing), or the deadline passes: whether it ended.
    pub fn wait_end(&mut self, within: std::time::Duration) -> bool {
        !matches!(self.read_until(|seen| seen.ends_with("\r\n0\r\n\r\n"), within), Reading::Late)
    }

    /// Reads until `needle` has arrived (or the deadline passes): an event awaited.
    pub fn wait_for(&mut self, needle: &str, within: std::time::Duration) -> bool {
        matches!(self.read_until(|seen| seen.contains(needle), within), Reading::Done)
    }

    fn read_until(&mut self, done: impl Fn(&str) -> bool, within: std::time::Duration) -> Reading {
        let deadline = std::time::Instant::now() + within;
        let mut buf = [0u8; 4096];
        while !done(&self.seen) {
            if std::time::Instant::now() > deadline {
                return Reading::Late;
            }
            match self.tls.read(&mut buf) {
                Ok(0) => return Reading::Closed,
                Ok(n) => self.seen.push_str(&String::from_utf8_lossy(&buf[..n])),
                Err(e)
                    if matches!(e.kind(), std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut) => {}
                Err(_) => return Reading::Closed,
            }
        }
        Reading::Done
    }
}

/// How reading a stream until something arrives ended.
enum Reading {
    Done,
    Closed,
    Late,
}
