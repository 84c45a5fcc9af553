//! The HTTP side: TLS listeners per interface, the portal's routes, plain-HTTP
//! redirects, security headers, and a clean drain on stop.
//!
//! `http` turns requests into service calls and their results into pages; it
//! never imports `store` or `hal` (`tests/architecture.rs` checks). Handlers sit
//! in one file per feature and import only the edge's own rooms (`error`,
//! `session`, `form`, `i18n`, `json`), never each other; `routes` imports them.

mod assets;
mod error;
mod features;
mod form;
mod forwarding;
pub mod headers;
pub mod i18n;
mod installer;
mod json;
mod keys;
pub mod listen;
mod live;
mod login;
mod phonebook;
mod portal;
mod reset;
pub mod routes;
pub mod session;
mod settings;
pub mod tls;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::ConnectInfo;
use axum::Router;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::service::TowerToHyperService;
use tokio::net::TcpListener;
use tokio::sync::Semaphore;
use tokio_rustls::TlsAcceptor;
use tower::ServiceExt;

use crate::services::Services;
use crate::shutdown::Shutdown;
use listen::BoundInterface;

/// Connections served at once across all listeners; more wait in the kernel's queue.
/// Every open page holds one for its live events: room for 1000 subscribers and more.
pub const MAX_CONNECTIONS: usize = 1536;
/// A client that has not finished its TLS handshake or request head by then is dropped.
pub const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);
pub const HEADER_TIMEOUT: Duration = Duration::from_secs(15);

/// What request handlers share: the services, and the edge's own policy.
#[derive(Clone)]
pub struct HttpState {
    pub services: Services,
    pub https_only: bool,
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
    let limit = Arc::new(Semaphore::new(MAX_CONNECTIONS));
    let acceptor = TlsAcceptor::from(tls);
    let mut tasks = tokio::task::JoinSet::new();
    for iface in interfaces {
        let https_port = iface.https_addr().port();
        let app = routes::router(state.clone(), iface.webcti);
        let plain = match state.https_only {
            true => routes::redirect_router(https_port),
            false => app.clone(),
        };
        let side = iface.side.label();
        tasks.spawn(accept_loop(
            iface.https,
            Some(acceptor.clone()),
            app,
            side,
            limit.clone(),
            shutdown.clone(),
        ));
        if let Some(http) = iface.http {
            tasks.spawn(accept_loop(http, None, plain, side, limit.clone(), shutdown.clone()));
        }
    }
    while tasks.join_next().await.is_some() {}
    // Every connection holds a permit: when all are back, all connections are done.
    let all = MAX_CONNECTIONS as u32;
    let drained = tokio::time::timeout(drain, limit.acquire_many(all)).await.is_ok();
    if drained {
        tracing::info!("connections drained");
    } else {
        tracing::warn!(open = MAX_CONNECTIONS - limit.available_permits(), "drain timed out");
    }
}

async fn accept_loop(
    listener: TcpListener,
    tls: Option<TlsAcceptor>,
    app: Router,
    side: &'static str,
    limit: Arc<Semaphore>,
    mut shutdown: Shutdown,
) {
    loop {
        let permit = tokio::select! {
            p = limit.clone().acquire_owned() => match p { Ok(p) => p, Err(_) => return },
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
        let app = app.clone();
        let tls = tls.clone();
        let shutdown = shutdown.clone();
        tokio::spawn(async move {
            let _permit = permit;
            let _ = tcp.set_nodelay(true);
            match tls {
                Some(acceptor) => match tokio::time::timeout(HANDSHAKE_TIMEOUT, acceptor.accept(tcp)).await {
                    Ok(Ok(stream)) => serve_conn(TokioIo::new(stream), app, peer, true, shutdown).await,
                    Ok(Err(e)) => {
                        tracing::debug!(side, %peer, error = %e, "TLS handshake failed")
                    }
                    Err(_) => tracing::debug!(side, %peer, "TLS handshake timed out"),
                },
                None => serve_conn(TokioIo::new(tcp), app, peer, false, shutdown).await,
            }
        });
    }
}

async fn serve_conn<I>(io: I, app: Router, peer: SocketAddr, tls: bool, mut shutdown: Shutdown)
where
    I: hyper::rt::Read + hyper::rt::Write + Unpin + Send + 'static,
{
    let svc = app.map_request(move |mut req: hyper::Request<hyper::body::Incoming>| {
        req.extensions_mut().insert(ConnectInfo(peer));
        req.extensions_mut().insert(session::Transport { tls });
        req
    });
    let conn = hyper::server::conn::http1::Builder::new()
        .timer(TokioTimer::new())
        .header_read_timeout(HEADER_TIMEOUT)
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
