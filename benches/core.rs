//! Switching-core benchmarks (`make bench`): prints figures, passes or fails nothing.
//!
//! - Events per second through the wire client: the simulator serves the protocol
//!   on a Unix socket and the client decodes and delivers every event.
//! - CDRs per second from the simulator's traffic generator into the store, through
//!   the in-process core and the intake (commit, then acknowledge).
//! - Bytes written to the disk per CDR under the traffic generator's load, at the
//!   intake's own batching: the demo's rate and a busy hour's, an hour of calls
//!   each, played in tokio's paused time.

#[path = "common/disk.rs"]
mod disk;
#[path = "common/report.rs"]
mod report;

use std::sync::Arc;
use std::time::Instant;

use webcti::hal::client::WireCore;
use webcti::hal::transport::Endpoint;
use webcti::hal::{Event, SwitchCore};
use webcti::services::bus::Bus;
use webcti::services::intake;
use webcti::services::resync::FromStore;
use webcti::sim::server::{self, Faults};
use webcti::sim::traffic::{self, Traffic, TrafficConfig};
use webcti::sim::{demo, Clock, Sim, SimCore};
use webcti::store::Store;

fn exts() -> Vec<String> {
    demo::plan().extensions.iter().map(|e| e.number.clone()).collect()
}

async fn wire_events(dir: &std::path::Path) {
    let sim = Sim::new(demo::plan(), Clock::Manual, 1_800_000_000);
    let (_trigger, shutdown) = webcti::shutdown::channel();
    let sock = dir.join("core.sock");
    let (s, p, sh) = (sim.clone(), sock.clone(), shutdown.clone());
    tokio::spawn(async move { server::listen_unix(s, &p, Arc::new(Faults::default()), sh).await });
    while !sock.exists() {
        tokio::task::yield_now().await;
    }
    let store = Store::open(&dir.join("wire.db")).await.expect("store");
    let core = WireCore::start(Endpoint::Unix(sock), Arc::new(FromStore::new(store)), shutdown);
    let mut events = core.take_events().expect("events");
    let mut health = core.health();
    health.wait_for(true).await;
    // Drain the snapshot's line events.
    while let Ok(Some(_)) = tokio::time::timeout(std::time::Duration::from_millis(200), events.recv()).await {
    }
    let mut traffic = Traffic::new(7, TrafficConfig::default());
    let exts = exts();
    let mut total = 0usize;
    let start = Instant::now();
    for _ in 0..200 {
        let mut sub = sim.subscribe();
        for _ in 0..50 {
            traffic.complete_call(&sim, &exts);
        }
        let n = std::iter::from_fn(|| sub.try_recv().ok()).count();
        for _ in 0..n {
            events.recv().await.expect("event");
        }
        total += n;
    }
    let t = start.elapsed();
    println!(
        "wire client: {total} events in {:.2} s: {:.0} events/s",
        t.as_secs_f64(),
        total as f64 / t.as_secs_f64()
    );
}

/// The service's intake of `sim`'s records into `store`, through the in-process core.
fn intake_of(sim: &Sim, store: &Store, shutdown: webcti::shutdown::Shutdown) -> tokio::task::JoinHandle<()> {
    let core: Arc<dyn SwitchCore> = Arc::new(SimCore::start(sim.clone()));
    tokio::spawn(intake::run(
        core,
        store.clone(),
        Bus::new(),
        webcti::system::clock::Clock::system(),
        shutdown,
    ))
}

async fn generator_into_store(dir: &std::path::Path) {
    let sim = Sim::new(demo::plan(), Clock::Manual, 1_800_000_000);
    let store = Store::open(&dir.join("intake.db")).await.expect("store");
    let (trigger, shutdown) = webcti::shutdown::channel();
    let intake = intake_of(&sim, &store, shutdown);
    let mut traffic = Traffic::new(11, TrafficConfig::default());
    let exts = exts();
    let mut unacked = sim.unacked();
    let mut cdrs = 0usize;
    let start = Instant::now();
    for _ in 0..40 {
        let mut sub = sim.subscribe();
        for _ in 0..250 {
            traffic.complete_call(&sim, &exts);
        }
        cdrs +=
            std::iter::from_fn(|| sub.try_recv().ok()).filter(|e| matches!(e.event, Event::Cdr(_))).count();
        // Keep the simulator's buffers from overflowing: wait for the intake, all but
        // the batch still open.
        unacked.wait_for(|n| *n < intake::MAX_BATCH).await.expect("watch");
    }
    unacked.wait_for(|n| *n == 0).await.expect("watch");
    let t = start.elapsed();
    println!(
        "generator into store: {cdrs} CDRs in {:.2} s: {:.0} CDRs/s (stored: {})",
        t.as_secs_f64(),
        cdrs as f64 / t.as_secs_f64(),
        store.cdr_count().await.expect("count")
    );
    trigger.trigger();
    let _ = intake.await;
}

/// Bytes written to the disk per CDR while the traffic generator places
/// `calls_per_minute` among the demo exchange's extensions for an hour,
/// through the in-process core and the intake as the service runs them (a
/// batch is committed 500 ms after its first record, or at 200), WAL and the
/// checkpoint at the close included. The hour runs in tokio's paused time, in
/// seconds of the bench. The clock moves on by itself whenever nothing runs,
/// a commit on its way to the disk included, so a batch may gather a call's
/// records more than it would in real time: the figure is if anything low.
fn wear_under_generator(dir: &std::path::Path, calls_per_minute: f64) -> (i64, f64) {
    let db = dir.join(format!("wear-{calls_per_minute}.db"));
    let rt =
        tokio::runtime::Builder::new_current_thread().enable_all().start_paused(true).build().expect("rt");
    rt.block_on(async {
        let sim = Sim::new(demo::plan(), Clock::Manual, 1_800_000_000);
        let store = Store::open(&db).await.expect("store");
        let before = disk::write_bytes();
        let (trigger, shutdown) = webcti::shutdown::channel();
        let intake = intake_of(&sim, &store, shutdown.clone());
        let config = TrafficConfig { calls_per_minute, ..TrafficConfig::default() };
        let calls = tokio::spawn(traffic::run(sim.clone(), exts(), config, 3, shutdown));
        tokio::time::sleep(std::time::Duration::from_secs(3600)).await;
        trigger.trigger();
        let _ = calls.await;
        let _ = intake.await;
        let stored = store.cdr_count().await.expect("count");
        store.close().await.expect("close");
        let bytes = disk::write_bytes() - before;
        (stored, bytes as f64 / stored.max(1) as f64)
    })
}

fn wear(dir: &std::path::Path) {
    for (label, rate) in [("the demo's 6 calls a minute", 6.0), ("a busy hour's 60 calls a minute", 60.0)] {
        let (stored, per) = wear_under_generator(dir, rate);
        println!(
            "bytes written per CDR under the traffic generator, {label}: {per:.0} ({stored} CDRs in an hour)"
        );
        report::figure(
            &format!("bytes written to flash per CDR, traffic generator at {rate} calls/min"),
            format!("{per:.0} ({stored} CDRs in an hour, the demo exchange, the intake's batching)"),
            "≤ 512",
            per <= 512.0,
        );
    }
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    println!("== switching-core benchmarks ==");
    let dir = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/bench-data/core");
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("bench dir");
    wire_events(&dir).await;
    generator_into_store(&dir).await;
    let at = dir.clone();
    std::thread::spawn(move || wear(&at)).join().expect("wear");
    let _ = std::fs::remove_dir_all(&dir);
}
