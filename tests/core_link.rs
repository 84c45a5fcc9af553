//! The wire link to the core: the simulator serves the protocol on a Unix socket
//! or a pseudo-terminal, the service's core client and CDR intake run against a
//! real store, and faults are injected between frames. Whatever the link does, no
//! call record is lost and none is stored twice.

use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;

use webcti::hal::client::WireCore;
use webcti::hal::frame::{encode, Decoder};
use webcti::hal::proto::{FromCore, ToCore, NEWEST_VERSION};
use webcti::hal::transport::{Device, Endpoint};
use webcti::hal::SwitchCore;
use webcti::services::bus::{Bus, Live};
use webcti::services::intake;
use webcti::services::resync::FromStore;
use webcti::sim::server::{self, Fault, Faults};
use webcti::sim::traffic::{Traffic, TrafficConfig};
use webcti::sim::{demo, Clock, Sim};
use webcti::store::Store;

const LIMIT: Duration = Duration::from_secs(60);

struct Rig {
    _dir: tempfile::TempDir,
    sim: Sim,
    faults: Arc<Faults>,
    store: Store,
    core: Arc<WireCore>,
    bus: Bus,
    trigger: webcti::shutdown::Trigger,
    intake: tokio::task::JoinHandle<()>,
    exts: Vec<String>,
}

async fn rig() -> Rig {
    let dir = tempfile::tempdir().expect("tempdir");
    let plan = demo::plan();
    let exts = plan.extensions.iter().map(|e| e.number.clone()).collect();
    let sim = Sim::new(plan, Clock::Manual, 1_800_000_000);
    let faults = Arc::new(Faults::default());
    let (trigger, shutdown) = webcti::shutdown::channel();
    let sock = dir.path().join("core.sock");
    let (s, f, sh, p) = (sim.clone(), faults.clone(), shutdown.clone(), sock.clone());
    tokio::spawn(async move { server::listen_unix(s, &p, f, sh).await });
    // The listener exists before the client tries it.
    while !sock.exists() {
        tokio::task::yield_now().await;
    }
    let store = Store::open(&dir.path().join("webcti.db")).await.expect("store");
    let core = Arc::new(WireCore::start(
        Endpoint::Unix(sock),
        Arc::new(FromStore::new(store.clone())),
        shutdown.clone(),
    ));
    let bus = Bus::new();
    let intake = tokio::spawn(intake::run(
        core.clone(),
        store.clone(),
        bus.clone(),
        webcti::system::clock::Clock::system(),
        shutdown,
    ));
    let mut health = core.health();
    tokio::time::timeout(LIMIT, health.wait_for(true)).await.expect("link up");
    Rig { _dir: dir, sim, faults, store, core, bus, trigger, intake, exts }
}

impl Rig {
    /// Places `n` whole calls; returns how many call records the simulator wrote.
    fn calls(&self, traffic: &mut Traffic, n: usize) -> usize {
        let mut events = self.sim.subscribe();
        for _ in 0..n {
            traffic.complete_call(&self.sim, &self.exts);
        }
        std::iter::from_fn(|| events.try_recv().ok())
            .filter(|e| matches!(e.event, webcti::hal::Event::Cdr(_)))
            .count()
    }

    /// Waits until the simulator holds no unacknowledged record.
    async fn all_acknowledged(&self) {
        let mut unacked = self.sim.unacked();
        if tokio::time::timeout(LIMIT, unacked.wait_for(|n| *n == 0)).await.is_err() {
            let left = self.sim.with(|ex| ex.unacked_len());
            let stored = self.store.cdr_count().await.expect("count");
            panic!("not all acknowledged: {left} left, {stored} stored");
        }
    }

    async fn stop(self) {
        self.trigger.trigger();
        self.intake.await.expect("intake");
    }
}

fn traffic() -> Traffic {
    Traffic::new(42, TrafficConfig { answered_pct: 70, ..TrafficConfig::default() })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn call_records_reach_the_store_once_and_are_acknowledged() {
    let rig = rig().await;
    let mut records = rig.bus.subscribe();
    let mut t = traffic();
    let produced = rig.calls(&mut t, 100);
    assert!(produced >= 100, "{produced}");
    rig.all_acknowledged().await;
    assert_eq!(rig.store.cdr_count().await.expect("count") as usize, produced);
    // Line states and call progress reached the bus too.
    let mut lines = 0;
    while let Ok(ev) = records.try_recv() {
        if matches!(ev.live, Live::Line { .. }) {
            lines += 1;
        }
    }
    assert!(lines > 0);
    rig.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn garbage_truncated_oversized_frames_and_disconnects_lose_nothing() {
    let rig = rig().await;
    let mut t = traffic();
    let mut produced = 0;
    for round in 0..10 {
        rig.faults.inject(Fault::Garbage);
        rig.faults.inject(Fault::Truncated);
        rig.faults.inject(Fault::Oversized);
        produced += rig.calls(&mut t, 10);
        if round % 3 == 2 {
            rig.faults.disconnect();
        }
    }
    // Whatever was in flight when the link dropped is sent again after the reconnect.
    let mut health = rig.core.health();
    tokio::time::timeout(LIMIT, health.wait_for(true)).await.expect("link back");
    rig.all_acknowledged().await;
    assert_eq!(
        rig.store.cdr_count().await.expect("count") as usize,
        produced,
        "every record stored exactly once"
    );
    assert!(rig.core.stats.malformed.load(Ordering::Relaxed) >= 10, "bad frames were seen and skipped");
    assert!(rig.core.stats.connects.load(Ordering::Relaxed) >= 2, "the link reconnected");
    rig.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stalled_core_is_detected_and_its_records_arrive_after_recovery() {
    let rig = rig().await;
    let mut health = rig.core.health();
    rig.faults.stall(true);
    let mut t = traffic();
    let produced = rig.calls(&mut t, 20);
    tokio::time::timeout(LIMIT, health.wait_for(false)).await.expect("stall detected");
    assert_eq!(rig.core.stats.stalls.load(Ordering::Relaxed), 1);
    assert!(
        rig.core.command(webcti::hal::Command::Snapshot).await.is_err(),
        "commands fail while the core is away"
    );
    rig.faults.stall(false);
    tokio::time::timeout(LIMIT, health.wait_for(true)).await.expect("link back");
    rig.all_acknowledged().await;
    assert_eq!(rig.store.cdr_count().await.expect("count") as usize, produced);
    rig.stop().await;
}

/// Asking the core where its lines stand (each CTI login, the administrators'
/// line list) tells the views nothing they know: only a line whose state
/// differs from what the link last told becomes an event. (Every snapshot
/// used to repeat every line to every view: 500 logins, 35,000 events.)
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_snapshot_tells_the_views_only_what_changed() {
    use webcti::domain::line::LineState;
    use webcti::hal::{Command, Reply};
    let rig = rig().await;
    let mut live = rig.bus.subscribe();
    // The session's first snapshot (at the connect) told every line: past it,
    // marked by a call ringing at 107 after the link answered a snapshot.
    assert!(rig.core.command(Command::Snapshot).await.is_ok());
    rig.sim.with(|ex| ex.incoming("0221234567", "107")).expect("incoming");
    let marker = async {
        loop {
            if let Live::Line { ext, state: LineState::Ringing } =
                live.recv().await.expect("events").live.clone()
            {
                if ext == "107" {
                    return;
                }
            }
        }
    };
    tokio::time::timeout(LIMIT, marker).await.expect("107 rings");
    for _ in 0..2 {
        let r = rig.core.command(Command::Snapshot).await;
        assert!(matches!(&r, Ok(Reply::Snapshot { lines }) if !lines.is_empty()), "{r:?}");
    }
    // A call rings at 101: the first line event the views get is that one.
    rig.sim.with(|ex| ex.incoming("0227654321", "101")).expect("incoming");
    let first_line = async {
        loop {
            match live.recv().await.expect("events").live.clone() {
                Live::Line { ext, state } => return (ext, state),
                _ => continue,
            }
        }
    };
    let told = tokio::time::timeout(LIMIT, first_line).await.expect("an event");
    assert_eq!(told, ("101".to_owned(), LineState::Ringing), "the snapshots repeated nothing");
    rig.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn after_a_reconnect_the_core_is_programmed_from_the_store() {
    let rig = rig().await;
    rig.store.upsert_extension("101", "Piotr Nowak", 0).await.expect("extension");
    let db = rig.store.path().to_path_buf();
    // A setting changed in the store while the core was not told (e.g. a restore).
    let raw = rusqlite::Connection::open(&db).expect("raw");
    raw.busy_timeout(Duration::from_secs(5)).expect("timeout");
    raw.execute("UPDATE extension_services SET forward_to = '102', dnd = 1, dnd_announcement = 4 WHERE extension = '101'", []).expect("update");
    drop(raw);
    assert_eq!(rig.sim.with(|ex| ex.program("101").cloned()).expect("program").forward_always, None);
    let mut health = rig.core.health();
    rig.faults.disconnect();
    tokio::time::timeout(LIMIT, health.wait_for(false)).await.expect("down");
    tokio::time::timeout(LIMIT, health.wait_for(true)).await.expect("up again");
    let p = rig.sim.with(|ex| ex.program("101").cloned()).expect("program");
    assert_eq!((p.forward_always.as_deref(), p.dnd), (Some("102"), Some(4)));
    // And a command goes through the link and is carried out.
    let reply =
        rig.core.command(webcti::hal::Command::Dial { ext: "100".into(), number: "101".into() }).await;
    assert!(matches!(reply, Ok(webcti::hal::Reply::Call { .. })), "{reply:?}");
    assert_eq!(
        rig.core.command(webcti::hal::Command::Dial { ext: "999".into(), number: "101".into() }).await,
        Err(webcti::hal::CoreError::Refused(webcti::hal::ErrorKind::UnknownExtension))
    );
    rig.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_core_on_a_serial_line() {
    // The simulator on the master side of a pseudo-terminal; the client opens the
    // slave side by its path, as it would open /dev/ttyS1 or /dev/swcore0.
    let pty = nix::pty::openpty(None, None).expect("openpty");
    let slave_path = nix::unistd::ttyname(&pty.slave).expect("ttyname");
    let master = Device::from_file(std::fs::File::from(pty.master)).expect("master");
    let dir = tempfile::tempdir().expect("tempdir");
    let plan = demo::plan();
    let exts: Vec<String> = plan.extensions.iter().map(|e| e.number.clone()).collect();
    let sim = Sim::new(plan, Clock::Manual, 1_800_000_000);
    let (trigger, shutdown) = webcti::shutdown::channel();
    tokio::spawn(server::serve(sim.clone(), Box::new(master), Arc::new(Faults::default()), shutdown.clone()));
    let store = Store::open(&dir.path().join("webcti.db")).await.expect("store");
    let core = Arc::new(WireCore::start(
        Endpoint::Device(slave_path),
        Arc::new(FromStore::new(store.clone())),
        shutdown.clone(),
    ));
    let intake = tokio::spawn(intake::run(
        core.clone(),
        store.clone(),
        Bus::new(),
        webcti::system::clock::Clock::system(),
        shutdown,
    ));
    let mut health = core.health();
    tokio::time::timeout(LIMIT, health.wait_for(true)).await.expect("link up over the pty");
    let mut t = traffic();
    let mut events = sim.subscribe();
    for _ in 0..30 {
        t.complete_call(&sim, &exts);
    }
    let produced = std::iter::from_fn(|| events.try_recv().ok())
        .filter(|e| matches!(e.event, webcti::hal::Event::Cdr(_)))
        .count();
    let mut unacked = sim.unacked();
    tokio::time::timeout(LIMIT, unacked.wait_for(|n| *n == 0)).await.expect("acked").expect("watch");
    assert_eq!(store.cdr_count().await.expect("count") as usize, produced);
    trigger.trigger();
    intake.await.expect("intake");
    drop(pty.slave);
}

#[tokio::test]
async fn a_client_with_no_version_in_common_is_refused() {
    let dir = tempfile::tempdir().expect("tempdir");
    let sock = dir.path().join("core.sock");
    let sim = Sim::new(demo::plan(), Clock::Manual, 0);
    let (_trigger, shutdown) = webcti::shutdown::channel();
    let p = sock.clone();
    tokio::spawn(async move { server::listen_unix(sim, &p, Arc::new(Faults::default()), shutdown).await });
    while !sock.exists() {
        tokio::task::yield_now().await;
    }
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut s = tokio::net::UnixStream::connect(&sock).await.expect("connect");
    s.write_all(&encode(&ToCore::Hello { version: 0, client: "prehistoric".into() }).expect("encode"))
        .await
        .expect("write");
    let mut buf = vec![0u8; 512];
    let mut d = Decoder::new();
    let n = s.read(&mut buf).await.expect("read");
    let got: Vec<FromCore> = d.push::<FromCore>(&buf[..n]).into_iter().map(|r| r.expect("frame")).collect();
    assert!(matches!(&got[0], FromCore::Refused { reason } if reason.contains("version 1")), "{got:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_exchange_of_a_thousand_extensions_is_programmed_over_the_link() {
    // A thousand requests written at once overflow a socket's buffer while the
    // core's replies fill the other direction: the client must read as it writes.
    let dir = tempfile::tempdir().expect("tempdir");
    let numbers: Vec<String> = (0..1000).map(|i| format!("{}", 3000 + i)).collect();
    let plan = webcti::sim::Plan {
        extensions: numbers
            .iter()
            .map(|n| webcti::sim::SimExtension { number: n.clone(), name: String::new() })
            .collect(),
        groups: vec![],
        voicemail: "800".into(),
        outside_prefix: "0".into(),
    };
    let sim = Sim::new(plan, Clock::Manual, 1_800_000_000);
    let store = Store::open(&dir.path().join("webcti.db")).await.expect("store");
    let mut raw = rusqlite::Connection::open(store.path()).expect("raw");
    raw.busy_timeout(Duration::from_secs(5)).expect("timeout");
    let tx = raw.transaction().expect("tx");
    for (i, n) in numbers.iter().enumerate() {
        tx.execute("INSERT INTO extension (number, name, created_at, updated_at) VALUES (?1, ?1, 0, 0)", [n])
            .expect("extension");
        let to = numbers[(i + 1) % numbers.len()].clone();
        tx.execute(
            "INSERT INTO extension_services (extension, forward_to, updated_at) VALUES (?1, ?2, 0)",
            [n, &to],
        )
        .expect("services");
    }
    tx.commit().expect("commit");
    drop(raw);
    let (trigger, shutdown) = webcti::shutdown::channel();
    let sock = dir.path().join("core.sock");
    let (s, sh, p) = (sim.clone(), shutdown.clone(), sock.clone());
    tokio::spawn(async move { server::listen_unix(s, &p, Arc::new(Faults::default()), sh).await });
    while !sock.exists() {
        tokio::task::yield_now().await;
    }
    let core = WireCore::start(Endpoint::Unix(sock), Arc::new(FromStore::new(store.clone())), shutdown);
    let mut health = core.health();
    tokio::time::timeout(LIMIT, health.wait_for(true)).await.expect("link up with 1000 extensions");
    for (i, n) in numbers.iter().enumerate() {
        let p = sim.with(|ex| ex.program(n).cloned()).expect("programmed");
        assert_eq!(p.forward_always.as_deref(), Some(numbers[(i + 1) % numbers.len()].as_str()), "{n}");
    }
    trigger.trigger();
    store.close().await.expect("close");
}

/// A core that speaks only version 1, as one released before version 2 would:
/// its hello is version 1's golden bytes, and it answers what version 1 has.
async fn v1_core(sock: std::path::PathBuf, seen: tokio::sync::mpsc::UnboundedSender<ToCore>) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let listener = tokio::net::UnixListener::bind(&sock).expect("bind");
    let (mut s, _) = listener.accept().await.expect("accept");
    let mut d = Decoder::new();
    let mut buf = vec![0u8; 4096];
    loop {
        let n = match s.read(&mut buf).await {
            Ok(0) | Err(_) => return,
            Ok(n) => n,
        };
        for msg in d.push::<ToCore>(&buf[..n]) {
            let Ok(msg) = msg else { continue };
            let answer = match &msg {
                // FromCore::Hello { version: 1, board: SIM-1 0001 1.0 }, from tests/golden.rs.
                ToCore::Hello { .. } => Some(hex("0111010553494d2d31043030303103312e3000")),
                ToCore::Request { id, command } => {
                    let result = match command {
                        webcti::hal::Command::Snapshot => Ok(webcti::hal::Reply::Snapshot { lines: vec![] }),
                        _ => Ok(webcti::hal::Reply::Done),
                    };
                    Some(encode(&FromCore::Reply { id: *id, result }).expect("encode"))
                }
                ToCore::Heartbeat { seq } => {
                    Some(encode(&FromCore::Heartbeat { seq: *seq }).expect("encode"))
                }
                ToCore::AckCdrs { .. } => None,
            };
            let _ = seen.send(msg);
            if let Some(bytes) = answer {
                if s.write_all(&bytes).await.is_err() {
                    return;
                }
            }
        }
    }
}

fn hex(s: &str) -> Vec<u8> {
    (0..s.len()).step_by(2).map(|i| u8::from_str_radix(&s[i..i + 2], 16).expect("hex")).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_version_1_core_still_links_and_is_sent_no_version_2_command() {
    use webcti::hal::{Command, CoreError, ErrorKind, Reply};
    let dir = tempfile::tempdir().expect("tempdir");
    let sock = dir.path().join("v1.sock");
    let (tx, mut seen) = tokio::sync::mpsc::unbounded_channel();
    tokio::spawn(v1_core(sock.clone(), tx));
    while !sock.exists() {
        tokio::task::yield_now().await;
    }
    let store = Store::open(&dir.path().join("webcti.db")).await.expect("store");
    let (_trigger, shutdown) = webcti::shutdown::channel();
    let core = WireCore::start(Endpoint::Unix(sock), Arc::new(FromStore::new(store.clone())), shutdown);
    let mut health = core.health();
    tokio::time::timeout(LIMIT, health.wait_for(true)).await.expect("the link comes up");
    assert_eq!(core.stats.version.load(Ordering::Relaxed), 1, "the session speaks version 1");
    // The client offered its newest version.
    assert!(matches!(seen.recv().await, Some(ToCore::Hello { version: NEWEST_VERSION, .. })));
    // Version 1's commands work; version 2's is answered here and never sent.
    let dial = Command::Dial { ext: "100".into(), number: "101".into() };
    assert_eq!(core.command(dial).await, Ok(Reply::Done));
    assert_eq!(core.command(Command::Announcements).await, Err(CoreError::Refused(ErrorKind::NotAllowed)));
    assert_eq!(core.command(Command::Licences).await, Err(CoreError::Refused(ErrorKind::NotAllowed)));
    assert_eq!(core.command(Command::Snapshot).await, Ok(Reply::Snapshot { lines: vec![] }));
    while let Ok(msg) = seen.try_recv() {
        assert!(
            !matches!(msg, ToCore::Request { command: Command::Announcements | Command::Licences, .. }),
            "a newer command reached a version 1 core"
        );
    }
    store.close().await.expect("close");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_newest_core_gets_the_newer_commands() {
    use webcti::hal::{Command, Reply};
    let rig = rig().await;
    let mut health = rig.core.health();
    tokio::time::timeout(LIMIT, health.wait_for(true)).await.expect("the link comes up");
    assert_eq!(rig.core.stats.version.load(Ordering::Relaxed), u64::from(NEWEST_VERSION));
    let Ok(Reply::Announcements { list }) = rig.core.command(Command::Announcements).await else {
        panic!("the simulator lists its announcements")
    };
    assert!(!list.is_empty(), "the simulator has announcements");
    let Ok(Reply::Licences { list }) = rig.core.command(Command::Licences).await else {
        panic!("the simulator lists its licences")
    };
    let monitor = list.iter().find(|l| l.function == webcti::hal::proto::CtiFunction::Monitor);
    assert_eq!(monitor.map(|l| l.count), Some(16), "the simulator's licence file: {list:?}");
}

/// On a line that never goes away (a serial port, the emulated board's virtio
/// port), a reset board's service says hello again: the core starts a new session
/// and sends again what was not acknowledged, as it does on a new connection.
#[tokio::test]
async fn a_hello_on_the_same_line_starts_a_new_session() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let dir = tempfile::tempdir().expect("tempdir");
    let sock = dir.path().join("core.sock");
    let plan = demo::plan();
    let exts: Vec<String> = plan.extensions.iter().map(|e| e.number.clone()).collect();
    let sim = Sim::new(plan, Clock::Manual, 1_800_000_000);
    let (_trigger, shutdown) = webcti::shutdown::channel();
    let (s2, p) = (sim.clone(), sock.clone());
    tokio::spawn(async move { server::listen_unix(s2, &p, Arc::new(Faults::default()), shutdown).await });
    while !sock.exists() {
        tokio::task::yield_now().await;
    }
    let mut line = tokio::net::UnixStream::connect(&sock).await.expect("connect");
    let hello = encode(&ToCore::Hello { version: NEWEST_VERSION, client: "board".into() }).expect("encode");
    let mut decoder = Decoder::new();
    let mut buf = vec![0u8; 64 * 1024];
    // Reads frames until `want` says the last one is what it waits for.
    async fn until(
        line: &mut tokio::net::UnixStream,
        decoder: &mut Decoder,
        buf: &mut [u8],
        want: impl Fn(&FromCore) -> bool,
    ) -> Vec<FromCore> {
        let mut got = Vec::new();
        loop {
            let n = tokio::time::timeout(LIMIT, line.read(buf)).await.expect("in time").expect("read");
            assert!(n > 0, "the core hung up: {got:?}");
            for f in decoder.push::<FromCore>(&buf[..n]) {
                let f = f.expect("frame");
                let done = want(&f);
                got.push(f);
                if done {
                    return got;
                }
            }
        }
    }
    line.write_all(&hello).await.expect("hello");
    until(&mut line, &mut decoder, &mut buf, |f| matches!(f, FromCore::Hello { .. })).await;
    traffic().complete_call(&sim, &exts);
    let first = until(&mut line, &mut decoder, &mut buf, |f| {
        matches!(f, FromCore::Event { event: webcti::hal::Event::Cdr(_), .. })
    })
    .await;
    let Some(FromCore::Event { event: webcti::hal::Event::Cdr(cdr), .. }) = first.last() else {
        unreachable!()
    };
    // Half a frame, as a service killed mid-write leaves on the line, then a new hello.
    line.write_all(&hello[..hello.len() / 2]).await.expect("half");
    line.write_all(&[0]).await.expect("end of the broken frame");
    line.write_all(&hello).await.expect("hello again");
    let again = until(&mut line, &mut decoder, &mut buf, |f| {
        matches!(f, FromCore::Event { event: webcti::hal::Event::Cdr(c), .. } if c.core_id == cdr.core_id)
    })
    .await;
    let hellos = again.iter().position(|f| matches!(f, FromCore::Hello { .. }));
    assert!(hellos.is_some(), "a new session's hello comes first: {again:?}");
}
