//! The HTTP side: TLS listeners per interface, the portal's routes, plain-HTTP
//! redirects, security headers, and a clean drain on stop.
//!
//! `http` turns requests into service calls and their results into pages; it
//! never imports `store` or `hal` (`tests/architecture.rs` checks). Handlers sit
//! in one file per feature and import only the edge's own rooms (`error`,
//! `session`, `form`, `i18n`, `json`), never each other; `routes` imports them.

mod admin;
pub mod api;
mod assets;
mod books;
mod callbacks;
mod costs;
mod cti;
mod cti_socket;
mod error;
mod features;
mod form;
mod forwarding;
pub mod headers;
pub use crate::i18n;
mod installer;
mod journal;
mod json;
mod keys;
mod linger;
pub mod listen;
mod live;
mod login;
mod manager;
mod phonebook;
mod phones;
mod portal;
mod presence;
mod provision;
mod recordings;
mod reset;
pub mod routes;
pub mod session;
mod settings;
mod setup;
mod tel;
pub mod tls;
mod tokens;

use std::collections::HashMap;
use std::net::{IpAddr, Ipv6Addr, SocketAddr};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::extract::ConnectInfo;
use axum::Router;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::service::TowerToHyperService;
use tokio::net::TcpListener;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use tokio_rustls::TlsAcceptor;
use tower::ServiceExt;

use crate::services::Services;
use crate::shutdown::Shutdown;
use listen::{BoundInterface, Side};

/// How many connections one interface's listeners (HTTPS and plain HTTP) serve
/// at once, in all and from one address. Each interface has its own pool, so a
/// flood on one never starves another; beyond the pool, connections wait in the
/// kernel's queue of that listener only.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Pool {
    pub connections: usize,
    /// From one IPv4 address, or one IPv6 /64.
    pub per_address: usize,
}

/// The LAN: every open page holds one connection for its live events, so room
/// for 1000 subscribers and more.
pub const LAN_POOL: Pool = Pool { connections: 1280, per_address: 64 };
/// The WAN, where WebCTI is on: remote workers, behind NAT a few share an address.
pub const WAN_POOL: Pool = Pool { connections: 256, per_address: 16 };
/// Where WebCTI is off: enough to say so, and nothing more.
pub const OFF_POOL: Pool = Pool { connections: 16, per_address: 2 };
/// A client that has not finished its TLS handshake or request head by then is dropped.
pub const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);
pub const HEADER_TIMEOUT: Duration = Duration::from_secs(15);
/// The request head's size, and its header lines, at most (larger: 431).
pub const MAX_HEAD_BYTES: usize = 16 * 1024;
pub const MAX_HEADERS: usize = 64;
/// A request (its body included) must be answered within this, or it gets 408:
/// a slow body cannot hold a connection. Streams of live events run longer, as
/// their answer starts at once.
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(60);

/// What request handlers share: the services, behind one `Arc` (every extractor
/// of every request clones the state: a pointer, not twenty services).
#[derive(Clone)]
pub struct HttpState {
    pub services: Arc<Services>,
    /// What the provisioning API keeps between requests.
    pub api: Arc<api::ApiState>,
    /// The CTI server's event texts, made once for all its clients.
    pub cti: Arc<cti_socket::Texts>,
}

/// One interface's pool: its permits and who holds them. The WAN's pool is
/// [`OFF_POOL`] while WebCTI is off there, [`WAN_POOL`] while it is on.
struct Gate {
    pool: Pool,
    /// The pool in force now, at most `pool`.
    now: Box<dyn Fn() -> Pool + Send + Sync>,
    permits: Arc<Semaphore>,
    by_address: Mutex<HashMap<IpAddr, usize>>,
}

/// A connection let in: it gives its place back when it ends.
struct Admitted {
    _permit: OwnedSemaphorePermit,
    gate: Arc<Gate>,
    addr: IpAddr,
}

/// Addresses counted together: an IPv4 address, or an IPv6 /64 (one site).
fn address_key(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V4(_) => ip,
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => IpAddr::V4(v4),
            None => IpAddr::V6(Ipv6Addr::from(u128::from(v6) & !((1u128 << 64) - 1))),
        },
    }
}

impl Gate {
    fn new(pool: Pool, now: impl Fn() -> Pool + Send + Sync + 'static) -> Arc<Gate> {
        Arc::new(Gate {
            pool,
            now: Box::new(now),
            permits: Arc::new(Semaphore::new(pool.connections)),
            by_address: Mutex::default(),
        })
    }

    fn counts(&self) -> std::sync::MutexGuard<'_, HashMap<IpAddr, usize>> {
        self.by_address.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Lets a connection from `ip` in, unless that address has its share
    /// already, or the pool in force is full (`permit` is one more than open).
    fn admit(self: &Arc<Gate>, permit: OwnedSemaphorePermit, ip: IpAddr) -> Option<Admitted> {
        let addr = address_key(ip);
        let now = (self.now)();
        if self.open() > now.connections {
            return None;
        }
        let mut counts = self.counts();
        let n = counts.entry(addr).or_default();
        if *n >= now.per_address {
            return None;
        }
        *n += 1;
        Some(Admitted { _permit: permit, gate: self.clone(), addr })
    }

    fn open(&self) -> usize {
        self.pool.connections - self.permits.available_permits()
    }
}

impl Drop for Admitted {
    fn drop(&mut self) {
        let mut counts = self.gate.counts();
        if let Some(n) = counts.get_mut(&self.addr) {
            *n -= 1;
            if *n == 0 {
                counts.remove(&self.addr);
            }
        }
    }
}

/// Serves every bound interface until `shutdown`, then drains open connections
/// for at most `drain`.
pub async fn serve(
    interfaces: Vec<BoundInterface>,
    tls: Arc<rustls::ServerConfig>,
    state: HttpState,
    shutdown: Shutdown,
    drain: Duration,
) {
    let acceptor = TlsAcceptor::from(tls);
    let mut tasks = tokio::task::JoinSet::new();
    let mut gates = Vec::new();
    let exposure = state.services.exposure.current();
    for iface in interfaces {
        let https_port = iface.https_addr().port();
        let app = routes::router(state.clone(), iface.side);
        let plain = routes::plain_router(app.clone(), https_port, exposure.clone());
        let side = iface.side.label();
        let gate = match iface.side {
            Side::Lan => Gate::new(LAN_POOL, || LAN_POOL),
            Side::Wan => {
                let exposure = exposure.clone();
                Gate::new(WAN_POOL, move || if exposure.wan_webcti() { WAN_POOL } else { OFF_POOL })
            }
        };
        gates.push(gate.clone());
        tasks.spawn(accept_loop(
            iface.https,
            Some(acceptor.clone()),
            app,
            side,
            gate.clone(),
            shutdown.clone(),
        ));
        if let Some(http) = iface.http {
            tasks.spawn(accept_loop(http, None, plain, side, gate, shutdown.clone()));
        }
    }
    while tasks.join_next().await.is_some() {}
    // Every connection holds a permit: when all are back, all connections are done.
    let all = futures_util::future::join_all(
        gates.iter().map(|g| g.permits.acquire_many(g.pool.connections as u32)),
    );
    let drained = tokio::time::timeout(drain, all).await.is_ok();
    if drained {
        tracing::info!("connections drained");
    } else {
        tracing::warn!(open = gates.iter().map(|g| g.open()).sum::<usize>(), "drain timed out");
    }
}

async fn accept_loop(
    listener: TcpListener,
    tls: Option<TlsAcceptor>,
    app: Router,
    side: &'static str,
    gate: Arc<Gate>,
    mut shutdown: Shutdown,
) {
    loop {
        let permit = tokio::select! {
            p = gate.permits.clone().acquire_owned() => match p { Ok(p) => p, Err(_) => return },
            _ = shutdown.wait() => return,
        };
        let (tcp, peer) = tokio::select! {
            r = listener.accept() => match r {
                Ok(x) => x,
                Err(e) => {
                    // Out of descriptors and the like: log, pause a moment, carry on.
                    tracing::warn!(side, error = %e, "accept failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            _ = shutdown.wait() => return,
        };
        let Some(admitted) = gate.admit(permit, peer.ip()) else {
            // That address has its share: the connection is closed at once.
            tracing::debug!(side, %peer, "too many connections from this address");
            drop(tcp);
            continue;
        };
        let app = app.clone();
        let tls = tls.clone();
        let shutdown = shutdown.clone();
        tokio::spawn(async move {
            let held = Held(Arc::new(std::sync::Mutex::new(Some(admitted))));
            let _ = tcp.set_nodelay(true);
            match tls {
                Some(acceptor) => match tokio::time::timeout(HANDSHAKE_TIMEOUT, acceptor.accept(tcp)).await {
                    Ok(Ok(stream)) => {
                        serve_conn(TokioIo::new(stream), app, peer, true, Upgrade { held, shutdown }).await
                    }
                    Ok(Err(e)) => {
                        tracing::debug!(side, %peer, error = %e, "TLS handshake failed")
                    }
                    Err(_) => tracing::debug!(side, %peer, "TLS handshake timed out"),
                },
                None => serve_conn(TokioIo::new(tcp), app, peer, false, Upgrade { held, shutdown }).await,
            }
        });
    }
}

/// A connection's place in its listener's counts, shared with the request
/// that may take the connection over (a WebSocket): it is given back when the
/// last holder lets go.
#[derive(Clone)]
struct Held(Arc<std::sync::Mutex<Option<Admitted>>>);

/// What a request that takes its connection over (`/cti`) needs: the
/// connection's place in the counts, to keep for as long as it lives, and the
/// service's shutdown, to end with it.
#[derive(Clone)]
pub struct Upgrade {
    held: Held,
    pub shutdown: Shutdown,
}

/// A connection's place in the counts, kept by whoever took it over.
pub struct Place {
    _admitted: Option<Admitted>,
}

impl Upgrade {
    /// Takes the connection's place in the counts over.
    pub fn keep(&self) -> Place {
        Place { _admitted: self.held.0.lock().unwrap_or_else(|e| e.into_inner()).take() }
    }
}

async fn serve_conn<I>(io: I, app: Router, peer: SocketAddr, tls: bool, upgrade: Upgrade)
where
    I: hyper::rt::Read + hyper::rt::Write + Unpin + Send + 'static,
{
    let mut shutdown = upgrade.shutdown.clone();
    let svc = app.map_request(move |mut req: hyper::Request<hyper::body::Incoming>| {
        req.extensions_mut().insert(ConnectInfo(peer));
        req.extensions_mut().insert(session::Transport { tls });
        req.extensions_mut().insert(upgrade.clone());
        req
    });
    let conn = hyper::server::conn::http1::Builder::new()
        .timer(TokioTimer::new())
        .header_read_timeout(HEADER_TIMEOUT)
        .max_header_size(MAX_HEAD_BYTES)
        .max_headers(MAX_HEADERS)
        .serve_connection(io, TowerToHyperService::new(svc))
        .with_upgrades();
    tokio::pin!(conn);
    tokio::select! {
        r = conn.as_mut() => { if let Err(e) = r { tracing::debug!(%peer, error = %e, "connection ended") } }
        _ = shutdown.wait() => {
            conn.as_mut().graceful_shutdown();
            let _ = conn.await;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_are_counted_by_host_or_ipv6_site() {
        let v4: IpAddr = "203.0.113.9".parse().expect("v4");
        assert_eq!(address_key(v4), v4);
        let a: IpAddr = "2001:db8:1:2:aaaa::1".parse().expect("v6");
        let b: IpAddr = "2001:db8:1:2:bbbb::2".parse().expect("v6");
        let other: IpAddr = "2001:db8:1:3::1".parse().expect("v6");
        assert_eq!(address_key(a), address_key(b), "one /64 is one site");
        assert_ne!(address_key(a), address_key(other));
        let mapped: IpAddr = "::ffff:203.0.113.9".parse().expect("mapped");
        assert_eq!(address_key(mapped), v4);
    }

    #[tokio::test]
    async fn an_address_gets_its_share_and_gives_it_back() {
        let pool = Pool { connections: 10, per_address: 2 };
        let gate = Gate::new(pool, move || pool);
        let ip: IpAddr = "10.0.0.5".parse().expect("ip");
        let permit = || gate.permits.clone().try_acquire_owned().expect("permit");
        let first = gate.admit(permit(), ip).expect("first");
        let second = gate.admit(permit(), ip).expect("second");
        assert!(gate.admit(permit(), ip).is_none(), "beyond the share");
        assert!(gate.admit(permit(), "10.0.0.6".parse().expect("ip")).is_some(), "another address");
        drop(first);
        assert!(gate.admit(permit(), ip).is_some(), "a place given back");
        drop(second);
        assert_eq!(gate.open(), 0, "every permit is back");
    }

    #[tokio::test]
    async fn a_smaller_pool_in_force_admits_fewer() {
        use std::sync::atomic::Ordering;
        let small = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(true));
        let flag = small.clone();
        let gate =
            Gate::new(WAN_POOL, move || if flag.load(Ordering::Relaxed) { OFF_POOL } else { WAN_POOL });
        let permit = || gate.permits.clone().try_acquire_owned().expect("permit");
        let ip = |i: u8| IpAddr::from([10, 0, 0, i]);
        let mut held: Vec<_> = (0..OFF_POOL.connections as u8).map(|i| gate.admit(permit(), ip(i))).collect();
        assert!(held.iter().all(Option::is_some));
        assert!(gate.admit(permit(), ip(200)).is_none(), "the small pool is full");
        small.store(false, Ordering::Relaxed);
        held.push(gate.admit(permit(), ip(200)));
        assert!(held.last().is_some_and(Option::is_some), "the large pool has room");
    }
}
