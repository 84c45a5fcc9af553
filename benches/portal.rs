//! Portal benchmarks (`make bench`): prints figures, passes or fails nothing.
//!
//! - Latency from a core event to a subscriber's live stream, with 1000
//!   subscribers logged in and connected (server-sent events over TLS), p50/p99.
//! - Authenticated start-page requests per second over TLS (keep-alive).
//!
//! The real service (`app::run`) runs in this process with the simulated core on a
//! Unix socket, so the bench can make calls happen and time their arrival.

#[path = "common/report.rs"]
mod report;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, ServerName};
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;
use tokio::sync::Notify;
use tokio_rustls::TlsConnector;
use webcti::config::Config;
use webcti::sim::server::{self, Faults};
use webcti::sim::{Clock, Plan, Sim, SimExtension};
use webcti::store::Store;

const EVENTS: usize = 300;
const T0: i64 = 1_790_000_000;

/// How many subscribers log in and stay connected (BENCH_SUBSCRIBERS, default 1000).
fn subscribers() -> usize {
    std::env::var("BENCH_SUBSCRIBERS").ok().and_then(|v| v.parse().ok()).unwrap_or(1000)
}

fn ext(i: usize) -> String {
    format!("{}", 2000 + i)
}

/// A TLS client that trusts only the device's own certificate, as a browser
/// told to trust it would.
fn connector(cert: &std::path::Path) -> TlsConnector {
    let mut roots = rustls::RootCertStore::empty();
    for c in CertificateDer::pem_file_iter(cert).expect("device certificate") {
        roots.add(c.expect("parse certificate")).expect("trust it");
    }
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .expect("versions")
        .with_root_certificates(roots)
        .with_no_client_auth();
    TlsConnector::from(Arc::new(config))
}

type Tls = tokio_rustls::client::TlsStream<TcpStream>;

/// Subscriber `i`'s own desk: a loopback address of its own (127.1.x.y), as on
/// a LAN, where the service counts connections and logins per address.
fn desk(i: usize) -> std::net::IpAddr {
    std::net::IpAddr::from([127, 1, (i / 250) as u8, (i % 250 + 1) as u8])
}

async fn connect_from(tls: &TlsConnector, from: std::net::IpAddr, addr: std::net::SocketAddr) -> Tls {
    let socket = tokio::net::TcpSocket::new_v4().expect("socket");
    socket.bind(std::net::SocketAddr::new(from, 0)).expect("bind");
    let tcp = socket.connect(addr).await.expect("connect");
    tls.connect(ServerName::IpAddress(addr.ip().into()), tcp).await.expect("tls")
}

async fn connect(tls: &TlsConnector, addr: std::net::SocketAddr) -> Tls {
    let tcp = TcpStream::connect(addr).await.expect("connect");
    tls.connect(ServerName::IpAddress(addr.ip().into()), tcp).await.expect("tls")
}

/// Reads one response on a keep-alive connection: head and Content-Length body.
async fn response(r: &mut BufReader<Tls>) -> (u16, Vec<(String, String)>, String) {
    let mut status = String::new();
    r.read_line(&mut status).await.expect("status");
    let code = status.split(' ').nth(1).and_then(|c| c.parse().ok()).unwrap_or(0);
    let mut headers = Vec::new();
    loop {
        let mut line = String::new();
        r.read_line(&mut line).await.expect("header");
        let line = line.trim_end();
        if line.is_empty() {
            break;
        }
        if let Some((k, v)) = line.split_once(':') {
            headers.push((k.trim().to_lowercase(), v.trim().to_owned()));
        }
    }
    let len: usize =
        headers.iter().find(|(k, _)| k == "content-length").and_then(|(_, v)| v.parse().ok()).unwrap_or(0);
    let mut body = vec![0u8; len];
    r.read_exact(&mut body).await.expect("body");
    (code, headers, String::from_utf8_lossy(&body).into_owned())
}

async fn request(
    r: &mut BufReader<Tls>,
    addr: std::net::SocketAddr,
    head: &str,
    body: &str,
) -> (u16, Vec<(String, String)>, String) {
    let req = format!("{head}\r\nHost: {addr}\r\nContent-Length: {}\r\n\r\n{body}", body.len());
    r.get_mut().write_all(req.as_bytes()).await.expect("write");
    response(r).await
}

fn cookie(headers: &[(String, String)], name: &str) -> Option<String> {
    headers.iter().filter(|(k, _)| k == "set-cookie").find_map(|(_, v)| {
        let pair = v.split(';').next()?;
        pair.strip_prefix(&format!("{name}=")).map(str::to_owned)
    })
}

/// Logs one subscriber in; returns the session cookie.
async fn login(
    tls: TlsConnector,
    from: std::net::IpAddr,
    addr: std::net::SocketAddr,
    number: String,
) -> String {
    let mut r = BufReader::new(connect_from(&tls, from, addr).await);
    let (_, h, body) = request(&mut r, addr, "GET / HTTP/1.1", "").await;
    let pre = cookie(&h, "__Host-webcti_pre").expect("pre cookie");
    let csrf = body
        .split("name=\"csrf\" value=\"")
        .nth(1)
        .and_then(|s| s.split('"').next())
        .expect("csrf")
        .to_owned();
    let form = format!("extension={number}&password=bench-password&csrf={csrf}");
    let head = format!(
        "POST /login HTTP/1.1\r\nCookie: __Host-webcti_pre={pre}\r\nOrigin: https://{addr}\r\nContent-Type: application/x-www-form-urlencoded"
    );
    let (code, h, _) = request(&mut r, addr, &head, &form).await;
    assert_eq!(code, 303, "login of {number}");
    cookie(&h, "__Host-webcti_session").expect("session")
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let subs = subscribers();
    println!("== portal benchmarks ==");
    if std::env::var("BENCH_DEBUG").is_ok() {
        use tracing_subscriber::layer::SubscriberExt;
        use tracing_subscriber::util::SubscriberInitExt;
        let targets: tracing_subscriber::filter::Targets =
            std::env::var("BENCH_DEBUG").unwrap_or_default().parse().unwrap_or_default();
        let fmt = tracing_subscriber::fmt::layer().with_writer(std::io::stderr);
        tracing_subscriber::registry().with(fmt).with(targets).init();
    }
    let dir = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/bench-data/portal");
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(dir.join("data")).expect("dir");

    // 1000 subscribers (one hash, copied: hashing a thousand is not what is measured).
    let store = Store::open(&dir.join("data/webcti.db")).await.expect("store");
    let hash = webcti::services::password::Hasher::new()
        .expect("hasher")
        .hash("bench-password")
        .await
        .expect("hash");
    for i in 0..subs {
        store.upsert_extension(&ext(i), &format!("Subscriber {i}"), T0).await.expect("ext");
        store.set_password_hash(&ext(i), &hash, T0).await.expect("pw");
    }
    store.close().await.expect("close");
    drop(store);

    let plan = Plan {
        extensions: (0..subs).map(|i| SimExtension { number: ext(i), name: String::new() }).collect(),
        groups: vec![],
        voicemail: "800".into(),
        outside_prefix: "0".into(),
    };
    let sim = Sim::new(plan, Clock::Manual, T0);
    let (trigger, shutdown) = webcti::shutdown::channel();
    let sock = dir.join("core.sock");
    let (s, p, sh) = (sim.clone(), sock.clone(), shutdown.clone());
    tokio::spawn(async move { server::listen_unix(s, &p, Arc::new(Faults::default()), sh).await });
    while !sock.exists() {
        tokio::task::yield_now().await;
    }
    let board = format!(
        "[board]\nname = \"bench\"\nhostname = \"bench\"\ntime_zone = \"UTC\"\nsimulated = true\n\
         [paths]\ndata_dir = \"{}\"\n[service]\nlog = \"warn\"\n\
         [lan]\ninterface = \"lo\"\naddress = \"127.0.0.1\"\nhttps_port = 0\n\
         [core]\nlink = \"unix:{}\"\n",
        dir.join("data").display(),
        sock.display()
    );
    // A free port for the service's listener.
    let port_probe = std::net::TcpListener::bind("127.0.0.1:0").expect("probe");
    let port = port_probe.local_addr().expect("addr").port();
    drop(port_probe);
    let config =
        Config::parse(&board.replace("https_port = 0", &format!("https_port = {port}")), "bench board")
            .expect("board");
    let started = Instant::now();
    let app = tokio::spawn(webcti::app::run(config, shutdown.clone()));
    let addr: std::net::SocketAddr = format!("127.0.0.1:{port}").parse().expect("addr");
    while TcpStream::connect(addr).await.is_err() {
        tokio::task::yield_now().await;
    }

    // The device makes its key and certificate at start (after binding, as the
    // service user); trust exactly that.
    let cert = dir.join("data/tls/device.crt");
    while !cert.exists() {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let tls = connector(&cert);
    // The core link is up once the simulator has taken every extension's programming.
    loop {
        let mut r = BufReader::new(connect(&tls, addr).await);
        if request(&mut r, addr, "GET /healthz HTTP/1.1", "").await.0 == 200 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    println!("core link up with {subs} extensions programmed in {:.2} s", started.elapsed().as_secs_f64());

    // Log everyone in and open their live streams.
    let start = Instant::now();
    let mut cookies = Vec::with_capacity(subs);
    for chunk in (0..subs).collect::<Vec<_>>().chunks(8) {
        let logins: Vec<_> =
            chunk.iter().map(|i| tokio::spawn(login(tls.clone(), desk(*i), addr, ext(*i)))).collect();
        for l in logins {
            cookies.push(l.await.expect("login"));
        }
    }
    println!(
        "{subs} subscribers logged in in {:.1} s (Argon2id, one at a time)",
        start.elapsed().as_secs_f64()
    );
    let arrived: Arc<Mutex<HashMap<String, Instant>>> = Arc::default();
    let notify = Arc::new(Notify::new());
    let mut opened = 0;
    for (i, c) in cookies.iter().enumerate() {
        let mut stream = connect_from(&tls, desk(i), addr).await;
        let req = format!("GET /events HTTP/1.1\r\nHost: {addr}\r\nCookie: __Host-webcti_session={c}\r\nAccept: text/event-stream\r\n\r\n");
        stream.write_all(req.as_bytes()).await.expect("sse");
        let (arrived, notify, me) = (arrived.clone(), notify.clone(), ext(i));
        tokio::spawn(async move {
            let mut r = BufReader::new(stream);
            let mut line = String::new();
            while r.read_line(&mut line).await.map(|n| n > 0).unwrap_or(false) {
                // Only line events carry a state (`http::json`).
                if line.starts_with("data:") && line.contains("\"state\":\"ringing\"") {
                    arrived.lock().expect("lock").insert(me.clone(), Instant::now());
                    notify.notify_waiters();
                }
                line.clear();
            }
        });
        opened += 1;
    }
    println!("{opened} live streams open");

    // Core event to the subscriber's stream.
    let mut lat = Vec::with_capacity(EVENTS);
    for n in 0..EVENTS {
        let target = ext((n * 7919) % subs);
        let waiting = notify.notified();
        tokio::pin!(waiting);
        waiting.as_mut().enable();
        arrived.lock().expect("lock").clear();
        let t0 = Instant::now();
        sim.with(|ex| ex.incoming("0221234567", &target)).expect("call");
        loop {
            if let Some(t) = arrived.lock().expect("lock").remove(&target) {
                lat.push(t - t0);
                break;
            }
            tokio::time::timeout(Duration::from_secs(10), waiting.as_mut()).await.expect("event arrived");
            waiting.set(notify.notified());
            waiting.as_mut().enable();
        }
        let _ = sim.with(|ex| ex.hang_up_external("0221234567"));
    }
    lat.sort();
    let pct = |p: f64| lat[((lat.len() - 1) as f64 * p) as usize].as_secs_f64() * 1e3;
    println!("core event to live stream, {subs} connected: p50 {:.2} ms, p99 {:.2} ms", pct(0.5), pct(0.99));
    report::figure(
        &format!("core event to live stream, {subs} subscribers connected"),
        format!("p50 {:.2} ms, p99 {:.2} ms", pct(0.5), pct(0.99)),
        "p99 ≤ 2 ms",
        pct(0.99) <= 2.0,
    );

    // Start page over TLS, keep-alive, 8 clients for 5 seconds.
    let until = Instant::now() + Duration::from_secs(5);
    let mut tasks = Vec::new();
    for (i, c) in cookies.into_iter().take(8).enumerate() {
        let tls = tls.clone();
        tasks.push(tokio::spawn(async move {
            let mut r = BufReader::new(connect_from(&tls, desk(i), addr).await);
            let head = format!("GET /start HTTP/1.1\r\nCookie: __Host-webcti_session={c}");
            let mut n = 0u64;
            while Instant::now() < until {
                let (code, _, body) = request(&mut r, addr, &head, "").await;
                assert!(code == 200 && body.contains("Subscriber"), "start page");
                n += 1;
            }
            n
        }));
    }
    let mut total = 0;
    for t in tasks {
        total += t.await.expect("client");
    }
    println!(
        "authenticated start page over TLS: {:.0} requests/s (8 keep-alive clients)",
        total as f64 / 5.0
    );

    trigger.trigger();
    let _ = app.await;
    let _ = std::fs::remove_dir_all(&dir);
}
