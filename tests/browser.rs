//! The portal in a real browser: Debian's Chromium, headless, driven through
//! chromedriver. Logging in, the PIN's first login, a wrong password, a missed
//! call appearing live, a callback ringing the subscriber's phone, German, and the
//! mobile layout at 360 px.

mod support;

use std::sync::Arc;
use std::time::Duration;

use support::portal::seeded_db;
use support::webdriver::Browser;
use support::Service;
use webcti::sim::server::{self, Faults};
use webcti::sim::{demo, Clock, Sim};

const WAIT: Duration = Duration::from_secs(60);

/// One browser at a time: seven Chromiums on two cores make every page slow.
static ONE_AT_A_TIME: std::sync::Mutex<()> = std::sync::Mutex::new(());

fn turn() -> std::sync::MutexGuard<'static, ()> {
    ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner())
}

fn service(extra: &str) -> (tempfile::TempDir, Service) {
    let dir = tempfile::tempdir().expect("tempdir");
    seeded_db(&dir.path().join("data"));
    let svc = Service::start(dir.path(), extra);
    (dir, svc)
}

fn url(svc: &Service, path: &str) -> String {
    format!("https://{}{path}", svc.lan_https)
}

fn login(b: &Browser, svc: &Service, ext: &str, secret: &str) {
    b.goto(&url(svc, "/"));
    b.fill("#ext", ext);
    b.fill("#pw", secret);
    b.submit("#login");
}

#[test]
fn log_in_and_out() {
    let _turn = turn();
    let (_dir, svc) = service("");
    let b = Browser::start(1280, 900);
    login(&b, &svc, "100", "secret-100");
    assert!(b.url().ends_with("/start"), "{}", b.url());
    let body = b.body();
    for text in ["Missed calls", "Recent calls", "Voicemail", "Summary", "Anna Kowalska"] {
        assert!(body.contains(text), "{text} in {body}");
    }
    // The live stream is open.
    assert!(b.wait_until("document.body.dataset.live === '1'", WAIT));
    b.submit("#logout");
    assert!(b.url().ends_with('/'), "{}", b.url());
    b.goto(&url(&svc, "/start"));
    assert!(b.url().ends_with('/'), "logged out for good");
}

#[test]
fn a_wrong_password_is_refused() {
    let _turn = turn();
    let (_dir, svc) = service("");
    let b = Browser::start(1280, 900);
    login(&b, &svc, "100", "guess");
    assert_eq!(b.text("#error"), "Wrong extension or password.");
    assert!(!b.url().ends_with("/start"));
}

#[test]
fn the_pin_first_login() {
    let _turn = turn();
    let (_dir, svc) = service("");
    let b = Browser::start(1280, 900);
    login(&b, &svc, "107", "1234");
    assert!(b.url().ends_with("/password"), "{}", b.url());
    b.fill("#new", "a fine new password");
    b.fill("#repeat", "a fine new password");
    b.submit("#save-password");
    assert!(b.url().ends_with("/start"), "{}", b.url());
    assert!(b.wait_until("document.body.dataset.live === '1'", WAIT));
    b.submit("#logout");
    login(&b, &svc, "107", "1234");
    assert_eq!(b.text("#error"), "Wrong extension or password.", "the PIN works only once");
    login(&b, &svc, "107", "a fine new password");
    assert!(b.url().ends_with("/start"), "{} {}", b.url(), b.body());
}

#[test]
fn a_missed_call_appears_without_a_reload() {
    let _turn = turn();
    let dir = tempfile::tempdir().expect("tempdir");
    seeded_db(&dir.path().join("data"));
    let sock = dir.path().join("core.sock");
    let sim = Sim::new(demo::plan(), Clock::Manual, support::portal::T0);
    let (stop, shutdown) = webcti::shutdown::channel();
    let (s, p) = (sim.clone(), sock.clone());
    std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
        rt.block_on(server::listen_unix(s, &p, Arc::new(Faults::default()), shutdown)).expect("serve");
    });
    while !sock.exists() {
        std::thread::yield_now();
    }
    let svc = Service::start(dir.path(), &format!("link=unix:{}", sock.display()));
    svc.wait_log("core link up", 1);
    let b = Browser::start(1280, 900);
    login(&b, &svc, "100", "secret-100");
    assert!(b.wait_until("document.body.dataset.live === '1'", WAIT));
    b.js("window.samePage = 'yes';");
    sim.with(|ex| ex.incoming("0229998877", "100")).expect("incoming call");
    assert!(b.wait_until("document.body.dataset.line === 'Ringing'", WAIT), "the line rings live");
    sim.advance(20);
    assert!(
        b.wait_until("document.querySelector('#panels').innerText.includes('0229998877')", WAIT),
        "{}",
        b.body()
    );
    assert_eq!(b.js("return window.samePage;"), serde_json::json!("yes"), "no reload happened");
    stop.trigger();
}

#[test]
fn a_callback_rings_the_subscribers_extension() {
    let _turn = turn();
    let (_dir, svc) = service("");
    let b = Browser::start(1280, 900);
    login(&b, &svc, "100", "secret-100");
    assert!(b.wait_until("document.body.dataset.live === '1'", WAIT));
    // The number of the last outgoing call is a button that calls back.
    b.click("#recent button.number");
    assert!(
        b.wait_until("document.querySelector('#flash').innerText.includes('Your phone is ringing')", WAIT),
        "{}",
        b.body()
    );
    // The simulator rings extension 100 first: the page hears its own line ring.
    assert!(b.wait_until("document.body.dataset.line === 'Ringing'", WAIT));
}

#[test]
fn switching_to_german() {
    let _turn = turn();
    let (_dir, svc) = service("");
    let b = Browser::start(1280, 900);
    login(&b, &svc, "100", "secret-100");
    b.goto(&url(&svc, "/settings"));
    b.select("#language", "de");
    b.submit("#save-app");
    assert_eq!(b.text("#notice"), "Gespeichert.");
    b.goto(&url(&svc, "/start"));
    let body = b.body();
    for text in ["Verpasste Anrufe", "Letzte Anrufe", "Verlauf", "Einstellungen", "Abmelden"] {
        assert!(body.contains(text), "{text} in {body}");
    }
}

#[test]
fn the_mobile_layout_at_360_px() {
    let _turn = turn();
    let (_dir, svc) = service("");
    let b = Browser::start(360, 780);
    login(&b, &svc, "100", "secret-100");
    assert_eq!(b.js("return window.innerWidth;"), serde_json::json!(360));
    // Nothing wider than the screen, and the panels stack in one column.
    let overflow = b.js("return document.documentElement.scrollWidth;").as_i64().expect("width");
    assert!(overflow <= 360, "page is {overflow} px wide");
    let stacked = b.js("const m = document.querySelector('#missed').getBoundingClientRect();
         const r = document.querySelector('#recent').getBoundingClientRect();
         return r.top >= m.bottom && Math.abs(r.left - m.left) < 2;");
    assert_eq!(stacked, serde_json::json!(true));
    // The full layout on a wide screen puts them side by side.
    let wide = Browser::start(1280, 900);
    login(&wide, &svc, "101", "secret-101");
    let side = wide.js("const m = document.querySelector('#missed').getBoundingClientRect();
         const r = document.querySelector('#recent').getBoundingClientRect();
         return Math.abs(r.top - m.top) < 2 && r.left > m.right;");
    assert_eq!(side, serde_json::json!(true));
    // History stays usable at 360 px.
    b.goto(&url(&svc, "/history"));
    let w = b.js("return document.documentElement.scrollWidth;").as_i64().expect("width");
    assert!(w <= 360, "history is {w} px wide");
}
