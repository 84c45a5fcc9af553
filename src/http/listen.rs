//! Binding the listeners the board names: for each interface (LAN, WAN) an HTTPS
//! port and optionally a plain HTTP port, on the interface's address.

use std::net::{IpAddr, SocketAddr};

use tokio::net::TcpListener;

use crate::config::{Config, Listener};

#[derive(Debug, thiserror::Error)]
pub enum ListenError {
    #[error("interface {interface} ({which}) has no IPv4 address; set {which}.address in the board file or bring the interface up")]
    NoAddress { which: &'static str, interface: String },
    #[error("cannot list the network interfaces: {0}")]
    Interfaces(nix::Error),
    #[error("cannot listen on {addr} ({which}): {source}")]
    Bind { which: &'static str, addr: SocketAddr, source: std::io::Error },
}

/// Which interface a listener belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Side {
    Lan,
    Wan,
}

impl Side {
    pub fn label(self) -> &'static str {
        match self {
            Side::Lan => "LAN",
            Side::Wan => "WAN",
        }
    }
    fn key(self) -> &'static str {
        match self {
            Side::Lan => "lan",
            Side::Wan => "wan",
        }
    }
}

/// One interface's bound sockets. Whether WebCTI answers on the WAN, and
/// whether plain HTTP redirects, is decided per request
/// (`services::exposure`).
#[derive(Debug)]
pub struct BoundInterface {
    pub side: Side,
    pub https: TcpListener,
    pub http: Option<TcpListener>,
}

impl BoundInterface {
    pub fn https_addr(&self) -> SocketAddr {
        self.https.local_addr().unwrap_or_else(|_| SocketAddr::from(([0, 0, 0, 0], 0)))
    }
    pub fn http_addr(&self) -> Option<SocketAddr> {
        self.http.as_ref().and_then(|l| l.local_addr().ok())
    }
}

/// The addresses the listeners will use, for the certificate's names.
pub fn addresses(config: &Config) -> Result<Vec<IpAddr>, ListenError> {
    let mut out = vec![address_of(&config.lan, Side::Lan)?];
    if let Some(wan) = &config.wan {
        out.push(address_of(wan, Side::Wan)?);
    }
    Ok(out)
}

/// Binds every listener the board names.
pub async fn bind_all(config: &Config) -> Result<Vec<BoundInterface>, ListenError> {
    let mut out = vec![bind_one(&config.lan, Side::Lan).await?];
    if let Some(wan) = &config.wan {
        out.push(bind_one(wan, Side::Wan).await?);
    }
    Ok(out)
}

async fn bind_one(l: &Listener, side: Side) -> Result<BoundInterface, ListenError> {
    let ip = address_of(l, side)?;
    let https = bind(SocketAddr::new(ip, l.https_port), side).await?;
    let http = match l.http_port {
        Some(port) => Some(bind(SocketAddr::new(ip, port), side).await?),
        None => None,
    };
    Ok(BoundInterface { side, https, http })
}

async fn bind(addr: SocketAddr, side: Side) -> Result<TcpListener, ListenError> {
    TcpListener::bind(addr).await.map_err(|source| ListenError::Bind { which: side.key(), addr, source })
}

fn address_of(l: &Listener, side: Side) -> Result<IpAddr, ListenError> {
    if let Some(ip) = l.address {
        return Ok(ip);
    }
    let addrs = nix::ifaddrs::getifaddrs().map_err(ListenError::Interfaces)?;
    for ifa in addrs {
        if ifa.interface_name != l.interface {
            continue;
        }
        if let Some(sin) = ifa.address.as_ref().and_then(|a| a.as_sockaddr_in()) {
            return Ok(IpAddr::V4(sin.ip()));
        }
    }
    Err(ListenError::NoAddress { which: side.key(), interface: l.interface.clone() })
}
