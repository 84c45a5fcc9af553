//! HTTPS to the API, one request a connection, blocking: what a command-line
//! client needs and no more. rustls (already in the binary for the portal and
//! mail) does the TLS; the HTTP/1.1 here is a request line, a few headers and
//! a body out, and a status, headers and a body (by length, chunked, or to
//! the end) back, bounded. Every byte of it is in the board's binary, so it
//! is this and not hyper's client half on top of its server half.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use rustls::pki_types::{pem::PemObject, CertificateDer, ServerName};

/// The largest answer taken: an export of 5,000 extensions is some 2 MB.
pub const MAX_ANSWER: usize = 32 * 1024 * 1024;
/// How long a connection may wait for the exchange: a bulk import of 5,000
/// rows is written in seconds; a minute is a dead link.
const DEADLINE: Duration = Duration::from_secs(60);

#[derive(Debug, thiserror::Error)]
pub enum WireError {
    #[error("{0}")]
    Usage(String),
    #[error("cannot connect to {to}: {why}")]
    Connect { to: String, why: String },
    #[error("the exchange's answer is not HTTP: {0}")]
    Garbled(&'static str),
    #[error("the exchange's answer is larger than {MAX_ANSWER} bytes")]
    TooLarge,
}

/// Where the API is: `https://HOST[:PORT]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Base {
    pub host: String,
    pub port: u16,
}

impl Base {
    /// `https://192.0.2.1:8443`, `https://pbx.example.com`, `https://[::1]:8443`;
    /// a path after the address is ignored (the API is at `/api/v1`).
    pub fn parse(url: &str) -> Result<Base, WireError> {
        let bad = || WireError::Usage(format!("{url:?} is not https://HOST[:PORT]"));
        let rest = url.trim().strip_prefix("https://").ok_or_else(|| {
            WireError::Usage(format!("{url:?}: the API is only served over https:// (tokens are secrets)"))
        })?;
        let (host, port) = host_port(rest.split('/').next().unwrap_or_default()).ok_or_else(bad)?;
        Ok(Base { host, port })
    }
}

/// A URL's `HOST[:PORT]` (`[v6]:PORT` too), the port 443 unless given; `None`
/// when it is not one. `webcti provision` and `webcti cti` read theirs so.
pub fn host_port(authority: &str) -> Option<(String, u16)> {
    let (host, port) = match authority.strip_prefix('[') {
        Some(v6) => {
            let (host, after) = v6.split_once(']')?;
            (host, after.strip_prefix(':'))
        }
        None => match authority.rsplit_once(':') {
            Some((h, p)) => (h, Some(p)),
            None => (authority, None),
        },
    };
    let port = match port {
        None => 443,
        Some(p) => p.parse().ok().filter(|p| *p > 0)?,
    };
    match host.is_empty() || host.contains(['@', ' ']) {
        true => None,
        false => Some((host.to_owned(), port)),
    }
}

/// An answer: its status, the headers asked for, its body.
#[derive(Debug)]
pub struct Answer {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Answer {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(k, _)| k.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
    }
}

/// TLS as a client of the exchange: trusts the certificates in `ca` (the
/// board's own, `tls/device.crt`, for its self-signed one), or else the
/// machine's trust store. `webcti provision` and `webcti cti` connect with it.
pub fn client_config(ca: Option<&Path>) -> Result<Arc<rustls::ClientConfig>, WireError> {
    let mut roots = rustls::RootCertStore::empty();
    match ca {
        Some(file) => {
            let certs = CertificateDer::pem_file_iter(file)
                .map_err(|e| WireError::Usage(format!("{}: {e}", file.display())))?;
            for c in certs {
                let c = c.map_err(|e| WireError::Usage(format!("{}: {e}", file.display())))?;
                roots.add(c).map_err(|e| WireError::Usage(format!("{}: {e}", file.display())))?;
            }
        }
        None => {
            for c in rustls_native_certs::load_native_certs().certs {
                let _ = roots.add(c);
            }
        }
    }
    if roots.is_empty() {
        return Err(WireError::Usage("no certificate to trust: give the board's with --ca FILE".into()));
    }
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let tls = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| WireError::Usage(e.to_string()))?
        .with_root_certificates(roots)
        .with_no_client_auth();
    Ok(Arc::new(tls))
}

/// A connection's settings: where, whom to trust, what to send each time.
pub struct Wire {
    base: Base,
    tls: Arc<rustls::ClientConfig>,
    /// `Authorization` and `Accept-Language`.
    always: Vec<(&'static str, String)>,
}

impl Wire {
    /// Trusts the certificates in `ca` (the board's own, `tls/device.crt`, for
    /// its self-signed one), or else the machine's trust store.
    pub fn new(
        base: Base,
        ca: Option<&Path>,
        always: Vec<(&'static str, String)>,
    ) -> Result<Wire, WireError> {
        Ok(Wire { base, tls: client_config(ca)?, always })
    }

    /// Sends one request and reads its whole answer.
    pub fn send(
        &self,
        method: &str,
        path: &str,
        content_type: Option<&str>,
        body: &[u8],
    ) -> Result<Answer, WireError> {
        let Base { host, port } = &self.base;
        let to = format!("{host}:{port}");
        let connect = |why: String| WireError::Connect { to: to.clone(), why };
        let name = ServerName::try_from(host.clone()).map_err(|e| connect(e.to_string()))?;
        let tcp = TcpStream::connect((host.as_str(), *port)).map_err(|e| connect(e.to_string()))?;
        tcp.set_read_timeout(Some(DEADLINE)).map_err(|e| connect(e.to_string()))?;
        tcp.set_write_timeout(Some(DEADLINE)).map_err(|e| connect(e.to_string()))?;
        let conn =
            rustls::ClientConnection::new(self.tls.clone(), name).map_err(|e| connect(e.to_string()))?;
        let mut tls = rustls::StreamOwned::new(conn, tcp);
        let authority = match host.contains(':') {
            true => format!("[{host}]:{port}"),
            false => format!("{host}:{port}"),
        };
        let mut head = format!("{method} {path} HTTP/1.1\r\nHost: {authority}\r\nConnection: close\r\n");
        for (k, v) in &self.always {
            head.push_str(&format!("{k}: {v}\r\n"));
        }
        if let Some(t) = content_type {
            head.push_str(&format!("Content-Type: {t}\r\n"));
        }
        if !body.is_empty() || method != "GET" {
            head.push_str(&format!("Content-Length: {}\r\n", body.len()));
        }
        head.push_str("\r\n");
        let mut out = head.into_bytes();
        out.extend_from_slice(body);
        tls.write_all(&out).and_then(|()| tls.flush()).map_err(|e| connect(e.to_string()))?;
        let mut raw = Vec::new();
        match tls.take(MAX_ANSWER as u64 + 64 * 1024).read_to_end(&mut raw) {
            Ok(_) => {}
            // The exchange closes without a TLS close_notify now and then; what
            // was read is whole when its length says so (checked below).
            Err(e) if e.kind() == std::io::ErrorKind::UnexpectedEof && !raw.is_empty() => {}
            Err(e) => return Err(connect(e.to_string())),
        }
        answer(&raw)
    }
}

/// Parses an HTTP/1.1 answer read to its end.
pub fn answer(raw: &[u8]) -> Result<Answer, WireError> {
    let end = raw.windows(4).position(|w| w == b"\r\n\r\n").ok_or(WireError::Garbled("no end of headers"))?;
    let head = std::str::from_utf8(&raw[..end]).map_err(|_| WireError::Garbled("headers not UTF-8"))?;
    let mut lines = head.split("\r\n");
    let status = lines
        .next()
        .and_then(|l| l.strip_prefix("HTTP/1.1 ").or_else(|| l.strip_prefix("HTTP/1.0 ")))
        .and_then(|l| l.get(..3))
        .and_then(|s| s.parse().ok())
        .ok_or(WireError::Garbled("no status line"))?;
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_owned(), v.trim().to_owned()))
        .collect();
    let find = |name: &str| headers.iter().find(|(k, _)| k.eq_ignore_ascii_case(name)).map(|(_, v)| v);
    let rest = &raw[end + 4..];
    let body = if find("transfer-encoding").is_some_and(|v| v.eq_ignore_ascii_case("chunked")) {
        unchunk(rest)?
    } else if let Some(length) = find("content-length") {
        let length: usize = length.parse().map_err(|_| WireError::Garbled("bad Content-Length"))?;
        if length > MAX_ANSWER {
            return Err(WireError::TooLarge);
        }
        rest.get(..length).ok_or(WireError::Garbled("shorter than its Content-Length"))?.to_vec()
    } else {
        rest.to_vec()
    };
    if body.len() > MAX_ANSWER {
        return Err(WireError::TooLarge);
    }
    Ok(Answer { status, headers, body })
}

/// A chunked body, decoded; it must end with its last (empty) chunk.
fn unchunk(mut rest: &[u8]) -> Result<Vec<u8>, WireError> {
    let mut body = Vec::new();
    loop {
        let line = rest.windows(2).position(|w| w == b"\r\n").ok_or(WireError::Garbled("cut-off chunk"))?;
        let size = std::str::from_utf8(&rest[..line])
            .ok()
            .map(|s| s.split(';').next().unwrap_or_default().trim())
            .and_then(|s| usize::from_str_radix(s, 16).ok())
            .ok_or(WireError::Garbled("bad chunk size"))?;
        rest = &rest[line + 2..];
        if size == 0 {
            return Ok(body);
        }
        if size > MAX_ANSWER - body.len().min(MAX_ANSWER) {
            return Err(WireError::TooLarge);
        }
        let chunk = rest.get(..size).ok_or(WireError::Garbled("cut-off chunk"))?;
        body.extend_from_slice(chunk);
        rest = rest.get(size + 2..).ok_or(WireError::Garbled("cut-off chunk"))?;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses() {
        let b = |host: &str, port| Ok(Base { host: host.into(), port });
        let parse = |u: &str| Base::parse(u).map_err(|e| e.to_string());
        assert_eq!(parse("https://192.0.2.1:8443"), b("192.0.2.1", 8443));
        assert_eq!(parse("https://pbx.example.com/"), b("pbx.example.com", 443));
        assert_eq!(parse("https://[::1]:8443/api/v1"), b("::1", 8443));
        for bad in ["http://pbx", "pbx:8443", "https://", "https://pbx:0", "https://pbx:x", "https://u@pbx"] {
            assert!(Base::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn answers() {
        let a = answer(b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\nETag: \"x\"\r\n\r\nhello").expect("plain");
        assert_eq!((a.status, a.body.as_slice(), a.header("etag")), (200, &b"hello"[..], Some("\"x\"")));
        let c = answer(
            b"HTTP/1.1 201 Created\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n2;x=y\r\nde\r\n0\r\n\r\n",
        )
        .expect("chunked");
        assert_eq!((c.status, c.body.as_slice()), (201, &b"abcde"[..]));
        let to_end = answer(b"HTTP/1.0 404 Not Found\r\n\r\nnope").expect("to the end");
        assert_eq!((to_end.status, to_end.body.as_slice()), (404, &b"nope"[..]));
        for bad in [
            &b"HTTP/1.1 200 OK\r\nContent-Length: 9\r\n\r\nshort"[..],
            b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nab",
            b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
            b"SMTP 220 hello\r\n\r\n",
            b"HTTP/1.1 200 OK",
            b"HTTP/1.1 200 OK\r\nContent-Length: 99999999999\r\n\r\n",
        ] {
            assert!(answer(bad).is_err(), "{:?}", String::from_utf8_lossy(bad));
        }
    }
}
