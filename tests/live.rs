//! Live updates end to end: a call that the exchange makes to the subscriber
//! travels from the simulated core over the wire protocol, into the store and onto
//! the bus, and reaches the subscriber's open page without a reload; after a
//! network blip the page resumes where it left off and misses nothing.

mod support;

use std::time::Duration;

use support::portal::{seeded_db, Browser};
use support::Service;
use webcti::sim::{demo, Clock, Sim};

const WAIT: Duration = Duration::from_secs(60);

#[test]
fn a_missed_call_appears_live_and_a_blip_loses_nothing() {
    let dir = tempfile::tempdir().expect("tempdir");
    seeded_db(&dir.path().join("data"));
    let sock = dir.path().join("core.sock");
    let sim = Sim::new(demo::plan(), Clock::Manual, support::portal::T0);
    let stop_sim = support::simulator(&sim, &sock);
    let svc = Service::start(dir.path(), &format!("link=unix:{}", sock.display()));
    svc.wait_log("core link up", 1);

    let mut b = Browser::new(svc.client(), svc.lan_https);
    b.login("100", "secret-100");
    let mut live = b.client.events(svc.lan_https, "/events", &b.cookie_header()).expect("stream");
    assert!(live.wait_for("text/event-stream", WAIT));

    // Somebody calls extension 100; nobody answers.
    sim.with(|ex| ex.incoming("0223334444", "100")).expect("incoming call");
    assert!(live.wait_for("\"state\":\"ringing\"", WAIT), "{}", live.seen);
    sim.advance(20);
    // Stored voicemail is on for the extension: the caller left a message.
    assert!(live.wait_for("event: voicemail", WAIT), "{}", live.seen);
    assert!(live.wait_for("\"peer\":\"0223334444\"", WAIT), "{}", live.seen);
    assert!(
        live.seen.contains("event: call_record") && live.seen.contains("\"disposition\":\"voicemail\""),
        "{}",
        live.seen
    );
    let panels = b.get("/start/panels");
    assert!(panels.body.contains("0223334444</button>"), "the missed-calls panel shows it");

    // The network drops; meanwhile another call is missed.
    let last = live.id_of("0223334444").expect("an event id");
    drop(live);
    sim.with(|ex| ex.incoming("0225556666", "100")).expect("incoming call");
    sim.advance(20);
    // A third party's call is not the subscriber's business.
    sim.with(|ex| ex.incoming("0227778888", "101")).expect("incoming call");
    sim.advance(20);
    // A last call to the subscriber: everything of 101's comes before it on the bus.
    sim.with(|ex| ex.incoming("0229990000", "100")).expect("incoming call");
    sim.advance(20);
    let mut unacked = sim.unacked();
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
    rt.block_on(async { tokio::time::timeout(WAIT, unacked.wait_for(|n| *n == 0)).await })
        .expect("stored")
        .expect("watch");

    // The page reconnects with the last id it saw and gets what it missed.
    let mut again =
        b.client.events_after(svc.lan_https, "/events", &b.cookie_header(), Some(&last)).expect("stream");
    assert!(again.wait_for("0225556666", WAIT), "{}", again.seen);
    // Read on to the last call's record, so every event of 101's has gone by.
    assert!(again.wait_for("\"peer\":\"0229990000\"", WAIT), "{}", again.seen);
    assert!(!again.seen.contains("0223334444"), "nothing twice");
    assert!(!again.seen.contains("0227778888"), "nothing of another subscriber: {}", again.seen);
    assert!(!again.seen.contains("\"ext\":\"101\""), "no line of another subscriber: {}", again.seen);
    stop_sim.trigger();
}
