//! The CTI server under load (`make bench`, issue 14): 500 desktop clients
//! connected over TLS, each a member of a group whose panel has 50 lines, and
//! the latency from a core event (a call ringing at a panel's line, and its
//! end) to every client that follows the line, measured in the bench's own
//! clients on the same two cores (their TLS and JSON included); the
//! service's resident memory with them all connected. Prints figures, passes
//! or fails nothing.
//!
//! The service runs as on the board, the simulator over its Unix socket; the
//! clients are the reference client's library half, each from a loopback
//! address of its own (the listener's per-address share is what a site has).

#[path = "common/report.rs"]
mod report;
#[path = "common/resident.rs"]
mod resident;
#[path = "../tests/support/mod.rs"]
mod support;

use std::net::IpAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use resident::{mib, resident_kib};
use serde_json::json;
use support::Service;
use tokio::sync::{mpsc, Barrier};
use webcti::cti_client::{Connection, Url};
use webcti::domain::cti::{Data, Kind};
use webcti::sim::{demo, Clock, Sim};
use webcti::store::cti::SavedAccount;
use webcti::store::cti_group::SavedGroup;
use webcti::store::Store;

const CLIENTS: usize = 500;
const LINES: usize = 50;
/// Groups of 50 agents and the 50 lines: 100 members each.
const AGENTS_PER_GROUP: usize = 50;
const CALLS: usize = 40;
const T0: i64 = 1_790_000_000;

/// The panel's lines: extensions added to the demo plan for the bench.
fn line(i: usize) -> String {
    format!("{}", 2000 + i)
}

fn agent(i: usize) -> String {
    format!("agent-{i:03}")
}

fn address(i: usize) -> IpAddr {
    IpAddr::from([127, 9, (i / 250) as u8, (i % 250 + 1) as u8])
}

async fn seed(db: &std::path::Path) {
    let store = Store::open(db).await.expect("store");
    let hash = webcti::services::password::Hasher::new()
        .expect("hasher")
        .hash("agent-password")
        .await
        .expect("hash");
    for i in 0..LINES {
        store.upsert_extension(&line(i), &format!("Line {i}"), T0).await.expect("extension");
    }
    for i in 0..CLIENTS {
        let saved = SavedAccount { name: agent(i), kind: Kind::User, data: Data::default() };
        store
            .save_cti_account(0, saved, Some(hash.clone()), CLIENTS, T0)
            .await
            .expect("save")
            .expect("account");
    }
    let lines: Vec<String> = (0..LINES).map(line).collect();
    for g in 0..CLIENTS / AGENTS_PER_GROUP {
        let agents: Vec<String> = (g * AGENTS_PER_GROUP..(g + 1) * AGENTS_PER_GROUP).map(agent).collect();
        let members = format!("{}\n{}", lines.join("\n"), agents.join("\n"));
        let group = SavedGroup { name: format!("Team {g}"), show_numbers: true, members };
        store.save_cti_group(0, group).await.expect("save").expect("a group").expect("saved");
    }
    store.close().await.expect("close");
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    sorted[((sorted.len() as f64 * p).ceil() as usize).clamp(1, sorted.len()) - 1]
}

fn main() {
    println!("== the CTI server: {CLIENTS} clients, a {LINES}-line panel each ==");
    let dir = tempfile::tempdir().expect("tempdir");
    let data = dir.path().join("data");
    std::fs::create_dir_all(&data).expect("data");
    let rt =
        tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().expect("runtime");
    rt.block_on(seed(&data.join("webcti.db")));

    let mut plan = demo::plan();
    let template = plan.extensions[0].clone();
    for i in 0..LINES {
        let mut e = template.clone();
        e.number = line(i);
        e.name = format!("Line {i}");
        plan.extensions.push(e);
    }
    let sim = Sim::new(plan, Clock::Manual, T0);
    let sock = dir.path().join("core.sock");
    let _stop = support::simulator(&sim, &sock);
    let svc = Service::start(
        dir.path(),
        &format!("link=unix:{}\ncti_block=[cti]\\nlicences = {CLIENTS}\n", sock.display()),
    );
    svc.wait_log("core link up", 1);
    let pid = svc.child.id();
    let before = resident_kib(pid);
    println!("started: {}", mib(before));

    let url = Url::parse(&format!("wss://{}/cti", svc.lan_https)).expect("url");
    let addr = svc.lan_https;
    let ca = svc.dir.join("tls/device.crt");
    // Every client logs in, then waits for the events of the one line rung.
    let (samples_tx, mut samples_rx) = mpsc::unbounded_channel::<(usize, Instant)>();
    let ready = Arc::new(Barrier::new(CLIENTS + 1));
    // A few log in at a time (each login is an Argon2id hash on the board),
    // within the login's deadline.
    let door = Arc::new(tokio::sync::Semaphore::new(8));
    let started = Instant::now();
    let clients: Vec<_> = (0..CLIENTS)
        .map(|i| {
            let (url, ca, tx, ready) = (url.clone(), ca.clone(), samples_tx.clone(), ready.clone());
            let door = door.clone();
            rt.spawn(async move {
                let turn = door.acquire_owned().await.expect("door");
                let mut c = loop {
                    let desk = async {
                        let socket = tokio::net::TcpSocket::new_v4()?;
                        socket.bind(std::net::SocketAddr::new(address(i), 0))?;
                        socket.connect(addr).await
                    };
                    let tcp = match desk.await {
                        Ok(t) => t,
                        Err(e) => {
                            eprintln!("client {i}: {e}; again");
                            tokio::time::sleep(Duration::from_millis(200)).await;
                            continue;
                        }
                    };
                    match Connection::over(tcp, &url, Some(&ca)).await {
                        Ok(c) => break c,
                        Err(e) => {
                            eprintln!("client {i}: {e}; again");
                            tokio::time::sleep(Duration::from_millis(200)).await;
                        }
                    }
                };
                c.recv().await.expect("hello");
                let login = json!({ "type": "login", "id": 1, "account": agent(i), "computer": format!("PC-{i}"),
                    "password": "agent-password" });
                c.send(&login).await.expect("login");
                loop {
                    let v = c.recv().await.expect("message");
                    // Logins are hashed a few at a time: a crowd is told to come back.
                    if v["code"] == "throttled" {
                        let secs = v["retry_after"].as_u64().unwrap_or(1);
                        tokio::time::sleep(Duration::from_secs(secs)).await;
                        c.send(&login).await.expect("login");
                        continue;
                    }
                    if v["type"] == "error" {
                        panic!("client {i}: {v}");
                    }
                    if v["type"] == "snapshot" {
                        assert_eq!(v["lines"].as_array().map(Vec::len), Some(LINES), "the panel's lines");
                        break;
                    }
                }
                drop(turn);
                ready.wait().await;
                // The call events of each call: its ringing, then its end.
                while let Ok(v) = c.recv().await {
                    let heard = v["event"] == "call" && (v["progress"] == "ringing" || v["progress"] == "cleared");
                    if heard && tx.send((i, Instant::now())).is_err() {
                        break;
                    }
                }
            })
        })
        .collect();
    rt.block_on(ready.wait());
    println!(
        "{CLIENTS} clients logged in and following their panels in {:.1} s",
        started.elapsed().as_secs_f64()
    );
    let connected = resident_kib(pid);
    println!("with {CLIENTS} clients connected: {}", mib(connected));

    // Calls ring at the panel's lines and end; every client follows every one.
    // The first call is reported on its own: it took 6 s to reach the last
    // clients while each login's snapshot made the core link repeat every
    // line to every client (the earliest logins had 25,000 events to read
    // first); the link now tells only what changed.
    let mut latencies = Vec::with_capacity((CALLS + 1) * 2 * CLIENTS);
    let mut first_call = Duration::ZERO;
    for n in 0..=CALLS {
        if n == 1 {
            first_call = latencies.iter().max().copied().unwrap_or_default();
            latencies.clear();
        }
        let ext = line(n % LINES);
        for step in 0..2 {
            let at = Instant::now();
            match step {
                0 => sim.with(|ex| ex.incoming("0223334444", &ext)).map(|_| ()),
                _ => sim.with(|ex| ex.hang_up_external("0223334444")),
            }
            .expect("the call");
            let mut got = 0;
            while got < CLIENTS {
                let (_, when) = rt
                    .block_on(async {
                        tokio::time::timeout(Duration::from_secs(30), samples_rx.recv()).await
                    })
                    .expect("every client hears of the call")
                    .expect("clients");
                latencies.push(when.duration_since(at));
                got += 1;
            }
        }
    }
    latencies.sort();
    let (p50, p99) = (percentile(&latencies, 0.50), percentile(&latencies, 0.99));
    let max = latencies.last().copied().unwrap_or_default();
    println!(
        "core event to all {CLIENTS} clients ({} deliveries): p50 {:.2} ms, p99 {:.2} ms, max {:.2} ms",
        latencies.len(),
        p50.as_secs_f64() * 1e3,
        p99.as_secs_f64() * 1e3,
        max.as_secs_f64() * 1e3
    );
    println!(
        "the first call after the logins: its last client heard of it after {:.0} ms",
        first_call.as_secs_f64() * 1e3
    );
    let after = resident_kib(pid);
    println!("after the calls: {}", mib(after));
    let libc = if cfg!(target_env = "musl") { "musl" } else { "glibc" };
    report::figure(
        &format!("CTI: core event to each of {CLIENTS} clients (50-line panels), p99"),
        format!("{:.2} ms (p50 {:.2} ms)", p99.as_secs_f64() * 1e3, p50.as_secs_f64() * 1e3),
        "≤ 2 ms",
        p99 <= Duration::from_millis(2),
    );
    let peak = connected.1.max(after.1);
    report::figure(
        &format!("resident memory, {libc}: {CLIENTS} CTI clients connected"),
        format!("{:.1} MiB", peak as f64 / 1024.0),
        "≤ 40 MiB",
        peak <= 40 * 1024,
    );
    for c in clients {
        c.abort();
    }
    let (status, _) = svc.stop();
    assert!(status.success(), "the service stopped cleanly");
}
