//! Memory under a storm (`make bench`, `make bench-memory-a64`): prints the real
//! service's resident memory, passes or fails nothing.
//!
//! The service binary runs as on the board (under qemu user-mode emulation for
//! aarch64, where the figure is qemu's own, emulator included). Its resident
//! memory is read from /proc before anything happens, after 1,000 failed
//! logins from 1,000 addresses, with 1,000 open TLS connections (125
//! subscribers with eight live pages each), and after they are all gone.

#[path = "common/report.rs"]
mod report;
#[path = "common/resident.rs"]
mod resident;
#[path = "../tests/support/mod.rs"]
mod support;

use std::net::IpAddr;
use std::time::{Duration, Instant};

use resident::{mib, resident_kib};
use support::client::EventStream;
use support::portal::Browser;
use support::Service;
use webcti::store::Store;

const FAILED_LOGINS: usize = 1000;
const SUBSCRIBERS: usize = 125;
const PAGES_EACH: usize = 8;
const T0: i64 = 1_790_000_000;

fn ext(i: usize) -> String {
    format!("{}", 2000 + i)
}

/// A loopback address of its own for client `i` in `block`.
fn address(block: u8, i: usize) -> IpAddr {
    IpAddr::from([127, block, (i / 250) as u8, (i % 250 + 1) as u8])
}

fn main() {
    println!("== memory under a storm ==");
    let dir = tempfile::tempdir().expect("tempdir");
    let data = dir.path().join("data");
    std::fs::create_dir_all(&data).expect("data");
    std::thread::spawn({
        let db = data.join("webcti.db");
        move || {
            let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
            rt.block_on(async {
                let store = Store::open(&db).await.expect("store");
                let hash = webcti::services::password::Hasher::new()
                    .expect("hasher")
                    .hash("bench-password")
                    .await
                    .expect("hash");
                for i in 0..SUBSCRIBERS {
                    store.upsert_extension(&ext(i), &format!("Subscriber {i}"), T0).await.expect("ext");
                    store.set_password_hash(&ext(i), &hash, T0).await.expect("pw");
                }
                store.close().await.expect("close");
            })
        }
    })
    .join()
    .expect("seed");

    let svc = Service::start(dir.path(), "");
    let pid = svc.child.id();
    let client = svc.client();
    assert_eq!(client.get(svc.lan_https, "/healthz").map(|r| r.status), Ok(200));
    let at_start = resident_kib(pid);
    println!("started: {}", mib(at_start));

    // 1,000 failed logins, 16 at a time, each from an address of its own and for
    // an extension of its own, so the throttle lets most of them be hashed.
    let started = Instant::now();
    let next = std::sync::atomic::AtomicUsize::new(0);
    let (evaluated, throttled) = std::thread::scope(|s| {
        let workers: Vec<_> = (0..16)
            .map(|_| {
                s.spawn(|| {
                    let (mut evaluated, mut throttled) = (0, 0);
                    loop {
                        let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                        if i >= FAILED_LOGINS {
                            return (evaluated, throttled);
                        }
                        let mut b = Browser::new(client.connecting_from(address(4, i)), svc.lan_https);
                        match b.login(&format!("{}", 30_000 + i), "not-the-password").status {
                            401 => evaluated += 1,
                            _ => throttled += 1,
                        }
                    }
                })
            })
            .collect();
        workers.into_iter().map(|w| w.join().expect("worker")).fold((0, 0), |a, b| (a.0 + b.0, a.1 + b.1))
    });
    let after_logins = resident_kib(pid);
    println!(
        "after {FAILED_LOGINS} failed logins ({evaluated} hashed, {throttled} throttled, {:.1} s): {}",
        started.elapsed().as_secs_f64(),
        mib(after_logins)
    );

    // 125 subscribers log in, each from his desk, and open eight live pages.
    let started = Instant::now();
    let mut streams: Vec<EventStream> = Vec::with_capacity(SUBSCRIBERS * PAGES_EACH);
    for i in 0..SUBSCRIBERS {
        let desk = client.connecting_from(address(5, i));
        let mut b = Browser::new(desk.clone(), svc.lan_https);
        assert_eq!(b.login(&ext(i), "bench-password").status, 303, "login of {}", ext(i));
        for _ in 0..PAGES_EACH {
            let mut s = desk.events(svc.lan_https, "/events", &b.cookie_header()).expect("stream");
            assert!(s.wait_for("text/event-stream", Duration::from_secs(60)), "{}", s.seen);
            streams.push(s);
        }
    }
    let with_connections = resident_kib(pid);
    println!(
        "with {} open TLS connections (live pages, opened in {:.1} s): {}",
        streams.len(),
        started.elapsed().as_secs_f64(),
        mib(with_connections)
    );
    drop(streams);
    // The service notices the closed connections when it next reads them.
    std::thread::sleep(Duration::from_secs(2));
    assert_eq!(client.get(svc.lan_https, "/healthz").map(|r| r.status), Ok(200));
    let after = resident_kib(pid);
    println!("after the storm: {} (target: at most 64 MiB)", mib(after));
    let libc = if cfg!(target_env = "musl") { "musl" } else { "glibc" };
    let peak = with_connections.1.max(after_logins.1);
    report::figure(
        &format!(
            "resident memory, {libc}: after {FAILED_LOGINS} failed logins and with {} live TLS streams",
            SUBSCRIBERS * PAGES_EACH
        ),
        format!("{:.1} MiB", peak as f64 / 1024.0),
        "≤ 40 MiB",
        peak <= 40 * 1024,
    );
    let (status, _) = svc.stop();
    assert!(status.success(), "the service stopped cleanly");
}
