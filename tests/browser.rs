//! The portal in a real browser: Debian's Chromium, headless, driven through
//! chromedriver. Logging in, the PIN's first login, a wrong password, a missed
//! call appearing live, a callback ringing the subscriber's phone, German, and the
//! mobile layout at 360 px, a team panel's lamps following the phones.

mod support;

use std::time::Duration;

use support::portal::{seeded_db, with_manager};
use support::webdriver::Browser;
use support::Service;
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

/// The service with departments: 101 manages Sales (100, 101); 120 is in Office.
fn with_departments() -> (tempfile::TempDir, Service) {
    let dir = tempfile::tempdir().expect("tempdir");
    let data = dir.path().join("data");
    seeded_db(&data);
    with_manager(&data);
    let svc = Service::start(dir.path(), "");
    (dir, svc)
}

/// The seeded service linked to a simulated exchange of the test's own, on a
/// manual clock (`departments`: with Sales and Office, as `with_manager`).
struct Linked {
    _dir: tempfile::TempDir,
    svc: Service,
    sim: Sim,
    stop: webcti::shutdown::Trigger,
}

fn linked(departments: bool) -> Linked {
    linked_at(departments, support::portal::T0)
}

/// As [`linked`], with the exchange's clock starting at `start`.
fn linked_at(departments: bool, start: i64) -> Linked {
    linked_with(start, |data| {
        if departments {
            with_manager(data);
        }
    })
}

/// As [`linked`], with the seeded database's data directory handed to
/// `prepare` before the service starts.
fn linked_with(start: i64, prepare: impl FnOnce(&std::path::Path)) -> Linked {
    let dir = tempfile::tempdir().expect("tempdir");
    let data = dir.path().join("data");
    seeded_db(&data);
    prepare(&data);
    let sock = dir.path().join("core.sock");
    let sim = Sim::new(demo::plan(), Clock::Manual, start);
    let stop = support::simulator(&sim, &sock);
    let svc = Service::start(dir.path(), &format!("link=unix:{}", sock.display()));
    svc.wait_log("core link up", 1);
    Linked { _dir: dir, svc, sim, stop }
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
    let Linked { _dir, svc, sim, stop } = linked(false);
    let b = Browser::start(1280, 900);
    login(&b, &svc, "100", "secret-100");
    assert!(b.wait_until("document.body.dataset.live === '1'", WAIT));
    b.js("window.samePage = 'yes';");
    sim.with(|ex| ex.incoming("0229998877", "100")).expect("incoming call");
    assert!(b.wait_until("document.body.dataset.line === 'ringing'", WAIT), "the line rings live");
    sim.advance(20);
    assert!(
        b.wait_until("document.querySelector('#panels').innerText.includes('0229998877')", WAIT),
        "{}",
        b.body()
    );
    assert_eq!(b.js("return window.samePage;"), serde_json::json!("yes"), "no reload happened");
    stop.trigger();
}

/// A browser opens at most six connections to the exchange over HTTP/1.1:
/// with a stream of its own per page, a seventh page never loaded. The pages
/// share one stream, and each follows it live.
#[test]
fn eight_pages_in_one_browser_all_load_and_follow_the_line_live() {
    let _turn = turn();
    let Linked { _dir, svc, sim, stop } = linked(false);
    let b = Browser::start(1280, 900);
    login(&b, &svc, "100", "secret-100");
    assert!(b.wait_until("document.body.dataset.live === '1'", WAIT));
    let mut tabs = vec![b.tab()];
    for _ in 1..8 {
        tabs.push(b.new_tab());
        b.goto(&url(&svc, "/start"));
        assert!(b.url().ends_with("/start"), "{}", b.url());
        assert!(b.wait_until("document.body.dataset.live === '1'", WAIT), "tab {} is live", tabs.len());
    }
    sim.with(|ex| ex.incoming("0229998877", "100")).expect("incoming call");
    for (i, tab) in tabs.iter().enumerate() {
        b.switch_to(tab);
        assert!(b.wait_until("document.body.dataset.line === 'ringing'", WAIT), "tab {i} shows the ringing");
    }
    // A ninth page still loads: the pages hold one connection between them.
    b.new_tab();
    b.goto(&url(&svc, "/history"));
    assert!(b.url().ends_with("/history") && b.body().contains("History"), "{}", b.body());
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
    assert!(b.wait_until("document.body.dataset.line === 'ringing'", WAIT));
}

/// An incoming call shows a popup on whatever portal page is open, with the
/// caller's name from the extensions and books; it goes when the call stops
/// ringing there. A withheld number is shown as withheld.
#[test]
fn an_incoming_call_pops_up_on_any_page() {
    let _turn = turn();
    let Linked { _dir, svc, sim, stop } = linked(false);
    let b = Browser::start(1280, 900);
    login(&b, &svc, "100", "secret-100");
    // Through a few pages, each with its own stream, to one without panels.
    for path in ["/history", "/settings", "/phonebook"] {
        b.goto(&url(&svc, path));
    }
    assert!(b.wait_until("document.body.dataset.live === '1'", WAIT), "the phonebook page is live");
    assert_eq!(b.js("return document.getElementById('popup').hidden;"), serde_json::json!(true));
    sim.with(|ex| ex.dial("101", "100")).expect("101 calls 100");
    assert!(b.wait_until("!document.getElementById('popup').hidden", WAIT), "the popup shows");
    assert_eq!(b.text("#popup-name"), "Piotr Nowak");
    assert_eq!(b.text("#popup-number"), "101");
    sim.with(|ex| ex.answer("100")).expect("answered");
    assert!(b.wait_until("document.getElementById('popup').hidden", WAIT), "answered: the popup goes");
    sim.with(|ex| ex.hang_up("100")).expect("hang up");
    // A caller who withholds his number.
    sim.with(|ex| ex.incoming("", "100")).expect("withheld call");
    assert!(b.wait_until("!document.getElementById('popup').hidden", WAIT));
    assert_eq!(b.text("#popup-number"), "Number withheld");
    assert_eq!(b.text("#popup-name"), "");
    b.click("#popup-close");
    assert_eq!(b.js("return document.getElementById('popup').hidden;"), serde_json::json!(true));
    // A call the subscriber places himself (the exchange rings him first) is no popup.
    sim.with(|ex| ex.hang_up_external("")).expect("the caller gives up");
    b.goto(&url(&svc, "/start"));
    assert!(b.wait_until("document.body.dataset.live === '1'", WAIT));
    b.click("#recent button.number");
    assert!(b.wait_until("document.body.dataset.line === 'ringing'", WAIT));
    assert_eq!(b.js("return document.getElementById('popup').hidden;"), serde_json::json!(true));
    stop.trigger();
}

/// The popup answers the call at the subscriber's phone, or sends it on to a
/// number he types, which must be one his extension may dial.
#[test]
fn the_popup_answers_a_call_or_sends_it_on() {
    let _turn = turn();
    let Linked { _dir, svc, sim, stop } = linked(false);
    let b = Browser::start(1280, 900);
    login(&b, &svc, "100", "secret-100");
    b.goto(&url(&svc, "/history"));
    assert!(b.wait_until("document.body.dataset.live === '1'", WAIT));
    sim.with(|ex| ex.incoming("0223334444", "100")).expect("incoming");
    assert!(b.wait_until("!document.getElementById('popup').hidden", WAIT), "the popup shows");
    b.click("#popup-answer");
    assert!(b.wait_until("document.getElementById('popup').hidden", WAIT), "answered: the popup goes");
    assert_eq!(sim.with(|ex| ex.line_state("100")), Some(webcti::hal::proto::LineState::Busy), "talking");
    sim.with(|ex| ex.hang_up("100")).expect("hang up");

    sim.with(|ex| ex.incoming("0225556666", "100")).expect("incoming");
    assert!(b.wait_until("!document.getElementById('popup').hidden", WAIT));
    // Not a number: said in the popup, and the call keeps ringing here.
    b.fill("#popup-to", "reception");
    b.click("#popup-deflect");
    assert!(b.wait_until("document.getElementById('popup-status').innerText !== ''", WAIT));
    assert!(b.text("#popup-status").contains("could not be placed"), "{}", b.text("#popup-status"));
    assert_eq!(sim.with(|ex| ex.line_state("100")), Some(webcti::hal::proto::LineState::Ringing));
    // Sent on to 107: it rings there, and the popup goes.
    b.fill("#popup-to", "107");
    b.click("#popup-deflect");
    assert!(b.wait_until("document.getElementById('popup').hidden", WAIT), "sent on: the popup goes");
    assert_eq!(sim.with(|ex| ex.line_state("107")), Some(webcti::hal::proto::LineState::Ringing));
    stop.trigger();
}

/// A tel: link opens a page that shows the number and who it is, and places no
/// call until the subscriber says so; then the exchange rings his extension.
/// The history's notes share one form: Enter in a row's field keeps that row's
/// note (the browser presses the form's first button, the first row's), and a
/// row's Keep button keeps its own.
#[test]
fn a_note_is_kept_by_its_button_or_by_enter_in_its_field() {
    let _turn = turn();
    let (_dir, svc) = service("");
    let b = Browser::start(1280, 900);
    login(&b, &svc, "100", "secret-100");
    b.goto(&url(&svc, "/history"));
    let field = |row: usize| format!("#history tbody tr:nth-child({row}) input[form=notes]");
    let value = |row: usize| b.js(&format!("return document.querySelector('{}').value", field(row)));
    let before = b.url();
    b.fill(&field(3), "Sent the offer\u{E007}");
    let cond = format!("location.href !== {:?} && document.readyState === 'complete'", before);
    assert!(b.wait_until(&cond, WAIT), "Enter sent nothing");
    assert_eq!(value(3), serde_json::json!("Sent the offer"), "{}", b.body());
    assert_eq!(value(1), serde_json::json!(""));
    b.goto(&url(&svc, "/history"));
    b.fill(&field(2), "Call back");
    b.submit("#history tbody tr:nth-child(2) button[form=notes]");
    assert_eq!(value(2), serde_json::json!("Call back"));
    assert_eq!(value(3), serde_json::json!("Sent the offer"));
}

#[test]
fn a_tel_link_asks_before_it_calls() {
    let _turn = turn();
    let Linked { _dir, svc, sim, stop } = linked(false);
    let b = Browser::start(1280, 900);
    login(&b, &svc, "100", "secret-100");
    // The settings page offers to register the portal for tel: links.
    b.goto(&url(&svc, "/settings"));
    b.click("#tel-handler");
    assert!(b.wait_until("document.getElementById('tel-handler-state').innerText !== ''", WAIT));
    // The browser opens a link the way it was registered: the whole URI, escaped.
    b.goto(&url(&svc, "/tel?to=tel%3A101"));
    assert_eq!(b.text("#tel-number"), "101");
    assert_eq!(b.text("#tel-name"), "Piotr Nowak", "who it is, from the extensions");
    assert!(sim.with(|ex| ex.calls_of("100").is_empty()), "opening the link placed no call");
    b.goto(&url(&svc, "/tel?to=tel%3A%2B48%2022%20555%2001%2002%3Bphone-context%3D%2B48"));
    assert_eq!(b.text("#tel-number"), "+48 22 555 01 02");
    b.submit("#tel-go");
    assert!(b.url().contains("/start?called="), "{}", b.url());
    // The exchange rings 100's phone first, to dial the number when he answers.
    assert_eq!(sim.with(|ex| ex.calls_of("100").len()), 1);
    assert_eq!(sim.with(|ex| ex.line_state("100")), Some(webcti::hal::proto::LineState::Ringing));
    // A link without a number says so and offers nothing to call.
    b.goto(&url(&svc, "/tel?to=javascript%3Aalert(1)"));
    assert!(b.text("#error").contains("no number that can be dialled"), "{}", b.body());
    assert_eq!(b.js("return document.querySelectorAll('#tel-call').length;"), serde_json::json!(0));
    stop.trigger();
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

#[test]
fn the_phonebook_import_search_group_delete_and_export() {
    let _turn = turn();
    let (dir, svc) = service("");
    let b = Browser::start(1280, 900);
    login(&b, &svc, "100", "secret-100");
    b.goto(&url(&svc, "/phonebook"));
    // Import through the file dialog: a German Outlook export in Windows-1252.
    let file = dir.path().join("Kontakte.CSV");
    let text = "Vorname;Nachname;Firma;Telefon geschäftlich;Mobiltelefon\r\n\
                Sabine;Krüger;Krüger Logistik;0221 555 0202;\r\n\
                Jürgen;Weiß;;030 555 0303;0171 555 0404\r\n\
                Hans;Öztürk;Öztürk & Co;040 555 0505;\r\n";
    std::fs::write(&file, encoding_rs::WINDOWS_1252.encode(text).0).expect("file");
    b.fill("#import-file", &file.display().to_string());
    b.click("#import-go");
    assert!(
        b.wait_until("(document.getElementById('notice') || {}).textContent?.includes('3 added')", WAIT),
        "{}",
        b.body()
    );
    assert!(b.body().contains("Weiß Jürgen"), "{}", b.body());
    // Search.
    b.fill("#search", "krüger");
    b.submit("#search-go");
    let body = b.body();
    assert!(body.contains("Krüger Sabine") && !body.contains("Weiß Jürgen"), "{body}");
    // A group, then two contacts into it.
    b.goto(&url(&svc, "/phonebook?view=private"));
    b.fill("#group-name", "Lieferanten");
    b.submit("#create-group");
    b.goto(&url(&svc, "/phonebook?view=private"));
    b.click("input[aria-label='Krüger Sabine']");
    b.click("input[aria-label='Öztürk Hans']");
    let group = b.js(
        "return [...document.querySelectorAll('#target-group option')].find(o => o.textContent === 'Lieferanten').value;",
    );
    b.select("#target-group", group.as_str().expect("group id"));
    b.submit("#group-selected");
    assert!(b.body().contains("Contacts put into the group: 2."), "{}", b.body());
    b.goto(&url(&svc, &format!("/phonebook?view=group&id={}", group.as_str().expect("id"))));
    assert_eq!(b.js("return document.querySelectorAll('tr.contact').length;"), serde_json::json!(2));
    // Delete one.
    b.goto(&url(&svc, "/phonebook?view=private"));
    b.click("input[aria-label='Weiß Jürgen']");
    b.submit("#delete-selected");
    let body = b.body();
    assert!(body.contains("Contacts deleted: 1.") && !body.contains("Weiß Jürgen"), "{body}");
    // Export the group: a CSV file lands in the downloads.
    b.goto(&url(&svc, &format!("/phonebook?view=group&id={}", group.as_str().expect("id"))));
    b.click("#export-csv");
    let path = b.downloaded(WAIT).expect("the export was downloaded");
    let csv = std::fs::read_to_string(&path).expect("read export");
    assert!(path.display().to_string().ends_with(".csv"), "{}", path.display());
    assert!(csv.starts_with("\u{feff}First Name,Last Name,"), "{csv}");
    assert!(
        csv.contains("Sabine,Krüger,") && csv.contains("Hans,Öztürk,") && !csv.contains("Jürgen"),
        "{csv}"
    );
}

#[test]
fn the_forwarding_page_and_its_preview() {
    let _turn = turn();
    let (_dir, svc) = service("");
    let b = Browser::start(1280, 900);
    login(&b, &svc, "100", "secret-100");
    b.goto(&url(&svc, "/forwarding"));
    assert!(b.body().contains("No MobilePhone number is set for you"), "{}", b.body());
    // Every setting on a row of its own: each field below its label, each
    // checkbox below the one before, nothing side by side.
    let rows = b.js("const out = [];
         for (const s of document.querySelectorAll('#mobile, #forward, #dnd, #follow')) {
           const items = [...s.querySelectorAll(':scope > label, :scope > input, :scope > select')];
           for (let i = 1; i < items.length; i++) {
             const a = items[i - 1].getBoundingClientRect(), c = items[i].getBoundingClientRect();
             if (c.top < a.bottom - 1) out.push(`${s.id}: ${items[i].outerHTML.slice(0, 60)}`);
           }
         }
         return out;");
    assert_eq!(rows, serde_json::json!([]), "side by side");
    b.fill("#forward_no_answer", "0600 123 456");
    b.fill("#no_answer_secs", "15");
    b.select("#new-rule-kind", "voicemail");
    b.select("#new-rule-calls", "external");
    b.select("#new-rule-presentation", "withheld");
    // The page posts to itself: wait for its answer rather than a new address.
    b.click("#save-forwarding");
    assert!(b.wait_until("!!document.getElementById('notice')", WAIT), "{}", b.body());
    assert!(b.body().contains("Saved, and the exchange has it."), "{}", b.body());
    assert_eq!(b.js("return document.querySelectorAll('tr.rule:not(.new)').length;"), serde_json::json!(1));
    // The preview: a withheld external call goes to voicemail at once...
    b.select("#preview-caller", "external");
    b.click("#preview-withheld");
    b.submit("#preview-go");
    assert!(b.text("#preview-result").contains("The call goes to your voicemail."), "{}", b.body());
    // ...a presented one rings, then goes to the forwarding number.
    b.goto(&url(&svc, "/forwarding?caller=external&number=0221234567&line=free"));
    let result = b.text("#preview-result");
    assert!(
        result.contains("Your phone rings (for 15 seconds).") && result.contains("forwarded to 0600123456"),
        "{result}"
    );
    // A bad number is refused with a clear message and nothing changes.
    b.goto(&url(&svc, "/forwarding"));
    b.fill("#forward_always", "not a number");
    b.click("#save-forwarding");
    assert!(b.wait_until("!!document.getElementById('error')", WAIT), "{}", b.body());
    assert!(b.text("#error").contains("not a phone number"), "{}", b.body());
    b.goto(&url(&svc, "/forwarding"));
    assert_eq!(b.js("return document.getElementById('forward_always').value;"), serde_json::json!(""));
}

#[test]
fn the_phonebook_and_forwarding_pages_fit_a_phone() {
    let _turn = turn();
    let (_dir, svc) = service("");
    let b = Browser::start(360, 740);
    login(&b, &svc, "100", "secret-100");
    for path in ["/phonebook", "/forwarding", "/services"] {
        b.goto(&url(&svc, path));
        // Nothing is wider than the screen: no sideways scrolling.
        let wide = b.js("return document.documentElement.scrollWidth;");
        assert!(wide.as_u64().is_some_and(|w| w <= 360), "{path} is {wide} px wide at 360 px");
    }
}

#[test]
fn the_first_administrator_is_set_up_in_the_browser() {
    let _turn = turn();
    let (_dir, svc) = service("");
    let secret = svc.setup_secret();
    let b = Browser::start(1280, 900);
    b.goto(&url(&svc, "/setup"));
    b.fill("#secret", "WRONG-WRONG-WRONG-1");
    b.fill("#ext", "101");
    b.fill("#new", "admin-password-1");
    b.fill("#repeat", "admin-password-1");
    // The refusal comes back on the same address: wait for its message.
    b.click("#save-password");
    assert!(
        b.wait_until("document.querySelector('#error') !== null && document.readyState === 'complete'", WAIT)
    );
    assert_eq!(b.text("#error"), "That is not the setup secret.");
    b.fill("#secret", &secret);
    b.fill("#new", "admin-password-1");
    b.fill("#repeat", "admin-password-1");
    b.submit("#save-password");
    assert!(b.url().ends_with("/start"), "{}", b.url());
    assert!(b.body().contains("Piotr Nowak"));
    b.goto(&url(&svc, "/setup"));
    assert!(b.body().contains("Not found"), "{}", b.body());
}

#[test]
fn an_administrator_changes_an_employees_department_and_rights() {
    let _turn = turn();
    let dir = tempfile::tempdir().expect("tempdir");
    let data = dir.path().join("data");
    seeded_db(&data);
    let db = rusqlite::Connection::open(data.join("webcti.db")).expect("db");
    db.execute("INSERT INTO department (name) VALUES ('Service')", []).expect("department");
    drop(db);
    let svc = Service::start(dir.path(), "");
    let b = Browser::start(1280, 900);
    login(&b, &svc, "120", "secret-120");
    b.goto(&url(&svc, "/settings"));
    b.submit("#administration");
    assert!(b.url().ends_with("/admin"), "{}", b.url());
    b.goto(&url(&svc, "/admin/employees"));
    b.submit("a[href='/admin/employee?ext=101']");
    let service = b.js("return document.querySelector('#department option:nth-child(2)').value;");
    b.select("#department", service.as_str().expect("id"));
    b.select("#public_book", "edit");
    b.select("#restriction", "national");
    b.click("#save-employee");
    assert!(b.wait_until(
        "document.querySelector('#notice') !== null && document.readyState === 'complete'",
        WAIT
    ));
    assert_eq!(b.text("#notice"), "Saved, and the exchange has it.");
    assert_eq!(
        b.js("return document.querySelector('#department').selectedOptions[0].text;"),
        serde_json::json!("Service")
    );
    assert_eq!(b.js("return document.querySelector('#restriction').value;"), serde_json::json!("national"));
    // Piotr sees it in his journal.
    b.submit("#logout");
    login(&b, &svc, "101", "secret-101");
    b.goto(&url(&svc, "/journal"));
    let body = b.body();
    assert!(body.contains("Public phonebook") && body.contains("120 (administrator)"), "{body}");
}

#[test]
fn a_manager_changes_a_subscribers_forwarding_and_she_sees_it_in_her_journal() {
    let _turn = turn();
    let (_dir, svc) = with_departments();
    let b = Browser::start(1280, 900);
    login(&b, &svc, "101", "secret-101");
    b.goto(&url(&svc, "/settings"));
    b.submit("#team");
    assert!(b.url().ends_with("/manager"), "{}", b.url());
    b.submit("a[href='/manager/extension?for=100']");
    assert!(b.body().contains("100 Anna Kowalska"), "{}", b.body());
    b.submit("#member-forwarding");
    assert!(b.url().ends_with("/forwarding?for=100"), "{}", b.url());
    b.fill("#forward_busy", "107");
    b.click("#save-forwarding");
    assert!(b.wait_until("!!document.getElementById('notice')", WAIT), "{}", b.body());
    assert!(b.body().contains("Saved, and the exchange has it."), "{}", b.body());
    assert!(b.url().ends_with("/forwarding?for=100"), "still on her page: {}", b.url());
    // His own forwarding is untouched.
    b.goto(&url(&svc, "/forwarding"));
    assert_eq!(b.js("return document.getElementById('forward_busy').value;"), serde_json::json!(""));
    b.submit("#logout");
    login(&b, &svc, "100", "secret-100");
    b.goto(&url(&svc, "/forwarding"));
    assert_eq!(b.js("return document.getElementById('forward_busy').value;"), serde_json::json!("107"));
    b.goto(&url(&svc, "/journal"));
    let body = b.body();
    assert!(body.contains("When busy") && body.contains("101 (manager)"), "{body}");
}

#[test]
fn the_administrators_and_managers_pages_fit_a_phone() {
    let _turn = turn();
    let (_dir, svc) = with_departments();
    let b = Browser::start(360, 740);
    let fits = |who: &str, paths: &[&str]| {
        for path in paths {
            b.goto(&url(&svc, path));
            assert!(
                !b.url().contains("/login") && b.url().ends_with(path),
                "{who}: {path} went to {}",
                b.url()
            );
            let wide = b.js("return document.documentElement.scrollWidth;");
            assert!(wide.as_u64().is_some_and(|w| w <= 360), "{who}: {path} is {wide} px wide at 360 px");
        }
    };
    login(&b, &svc, "120", "secret-120");
    fits(
        "administrator",
        &[
            "/admin",
            "/admin/employees",
            "/admin/employee?ext=100",
            "/admin/departments",
            "/admin/journal?ext=100",
            "/admin/smtp",
            "/admin/tls",
            "/admin/installer",
            "/admin/2fa",
        ],
    );
    b.goto(&url(&svc, "/settings"));
    b.submit("#logout");
    login(&b, &svc, "101", "secret-101");
    fits("manager", &["/manager", "/manager/extension?for=100", "/manager/journal", "/manager/2fa"]);
}

/// The department's callback list in two members' browsers: a missed external
/// call appears in both, one claims it and the other sees the claim live, and
/// the other member's call back (a call record) resolves it; the popup's "call
/// back later" puts a ringing caller on the list, claimed.
#[test]
fn the_department_works_through_its_callback_list() {
    let _turn = turn();
    let Linked { _dir, svc, sim, stop } = linked(true);
    let anna = Browser::start(1280, 900);
    let piotr = Browser::start(1280, 900);
    for (b, ext) in [(&anna, "100"), (&piotr, "101")] {
        login(b, &svc, ext, &format!("secret-{ext}"));
        b.goto(&url(&svc, "/callbacks"));
        assert!(b.text("h1").contains("Sales"), "{}", b.body());
        assert!(b.wait_until("document.body.dataset.live === '1'", WAIT));
        assert_eq!(b.js("return document.querySelectorAll('tr.callback').length;"), serde_json::json!(0));
    }
    // A customer calls Anna; nobody answers.
    sim.with(|ex| ex.incoming("0221234567", "100")).expect("incoming");
    sim.advance(40);
    let row = "document.querySelector('tr.callback[data-number=\"0221234567\"]')";
    for b in [&anna, &piotr] {
        assert!(b.wait_until(row, WAIT), "the missed call is on the list: {}", b.body());
    }
    // Anna takes it; Piotr sees that without reloading.
    anna.submit_here("tr.callback[data-number=\"0221234567\"] button.claim-it");
    assert!(anna.text("#notice").contains("You call back"), "{}", anna.body());
    assert!(
        piotr.wait_until(&format!("{row} && {row}.querySelector('.claim').innerText === '100'"), WAIT),
        "{}",
        piotr.body()
    );
    assert_eq!(
        piotr.js(&format!("return {row}.querySelectorAll('button.claim-it').length;")),
        serde_json::json!(0)
    );
    // Piotr reaches the customer after all (through the outside line): the call
    // record resolves the entry for everyone, with who called back.
    sim.with(|ex| ex.dial("101", "00221234567")).expect("call back");
    sim.with(|ex| ex.answer_external("00221234567")).expect("the customer answers");
    sim.advance(60);
    sim.with(|ex| ex.hang_up("101")).expect("hang up");
    for b in [&anna, &piotr] {
        assert!(b.wait_until(&format!("!{row}"), WAIT), "resolved: {}", b.body());
        assert_eq!(b.text("#callbacks-done td.by"), "101");
        assert_eq!(b.text("#callbacks-done td.how"), "Called back");
    }
    // A caller ringing now: "call back later" in the popup puts him on the list, Anna's.
    sim.with(|ex| ex.incoming("0229998877", "100")).expect("incoming");
    assert!(anna.wait_until("!document.getElementById('popup').hidden", WAIT));
    anna.click("#popup-later");
    assert!(anna.wait_until("document.getElementById('popup-status').innerText !== ''", WAIT));
    assert!(anna.text("#popup-status").contains("callback list"), "{}", anna.text("#popup-status"));
    let later = "document.querySelector('tr.callback[data-number=\"0229998877\"] .claim')";
    assert!(piotr.wait_until(&format!("{later} && {later}.innerText === '100'"), WAIT), "{}", piotr.body());
    stop.trigger();
}

/// A message left in the simulated mailbox plays in the page (the recording
/// streamed from the exchange with byte ranges), playing marks it heard in
/// the portal and the exchange, and deleting takes it out of both; another
/// subscriber's message is not found.
#[test]
fn voicemail_plays_in_the_browser() {
    let _turn = turn();
    let Linked { _dir, svc, sim, stop } = linked(false);
    // Callers nobody answers leave messages for 100 and 101.
    for ext in ["100", "101"] {
        sim.with(|ex| ex.incoming("0221234567", ext)).expect("incoming");
    }
    sim.advance(60);
    let b = Browser::start(1280, 900);
    login(&b, &svc, "100", "secret-100");
    b.goto(&url(&svc, "/voicemail"));
    let newest = "document.querySelector('tr.message.new audio')";
    assert!(b.wait_until(newest, WAIT), "{}", b.body());
    let id: u64 =
        b.js(&format!("return {newest}.dataset.id;")).as_str().expect("id").parse().expect("number");
    assert_eq!(sim.with(|ex| ex.mailbox_message("100", id)), Some(false));
    // The element loads the recording and knows its length: the simulator's 20 s.
    assert!(b.wait_until(&format!("{newest}.readyState >= 3"), WAIT), "canplay");
    assert_eq!(b.js(&format!("return Math.round({newest}.duration);")), serde_json::json!(20));
    // A person's click on the player first: browsers play only after one.
    b.click(&format!("#message-{id} audio"));
    let played = b.js(&format!("return {newest}.play().then(() => 'playing', e => String(e));"));
    assert_eq!(played, serde_json::json!("playing"));
    let row = format!("document.getElementById('message-{id}')");
    assert!(b.wait_until(&format!("!{row}.classList.contains('new')"), WAIT), "marked heard");
    assert_eq!(sim.with(|ex| ex.mailbox_message("100", id)), Some(true), "the exchange counts it heard");
    b.goto(&url(&svc, "/voicemail"));
    assert_eq!(b.text(&format!("#message-{id} td.state")), "Heard");

    // A range, as a browser seeks: the bytes asked for and no more.
    let mut anna = support::portal::Browser::new(svc.client(), svc.lan_https);
    assert_eq!(anna.login("100", "secret-100").status, 303);
    let cookie = anna.cookie_header();
    let path = format!("/voicemail/audio?id={id}");
    let headers = [("Cookie", cookie.as_str()), ("Range", "bytes=100-199")];
    let r = svc.client().request(svc.lan_https, "GET", &path, &headers, "").expect("range");
    assert_eq!(r.status, 206);
    assert_eq!(r.header("content-range"), Some("bytes 100-199/160044"));
    assert_eq!(r.header("content-length"), Some("100"));
    let headers = [("Cookie", cookie.as_str()), ("Range", "bytes=200000-")];
    let r = svc.client().request(svc.lan_https, "GET", &path, &headers, "").expect("range");
    assert_eq!(r.status, 416);
    // 101's message, and a message the exchange no longer has, are not found for 100.
    let mut piotr = support::portal::Browser::new(svc.client(), svc.lan_https);
    assert_eq!(piotr.login("101", "secret-101").status, 303);
    let theirs = piotr.get("/voicemail").body;
    let theirs =
        theirs.split("id=\"message-").nth(1).and_then(|s| s.split('"').next()).expect("101's message");
    assert_eq!(anna.get(&format!("/voicemail/audio?id={theirs}")).status, 404);
    anna.get("/voicemail");
    assert_eq!(anna.post("/voicemail", &[("action", "delete"), ("id", theirs)]).status, 404);
    assert!(sim.with(|ex| ex.mailbox_message("101", theirs.parse().expect("id"))).is_some(), "still there");

    // Deleting takes it out of the page and the mailbox.
    b.submit_here(&format!("#message-{id} button.delete"));
    assert!(b.url().ends_with("/voicemail"), "{}", b.url());
    assert_eq!(b.js(&format!("return !!{row};")), serde_json::json!(false));
    assert_eq!(sim.with(|ex| ex.mailbox_message("100", id)), None);
    stop.trigger();
}

/// An administrator sets the tariff and a small limit in the portal; the
/// subscriber's Costs page shows them, follows his calls live, and tells him
/// when the exchange cut a call off at the limit.
#[test]
fn call_costs_in_the_browser() {
    let _turn = turn();
    // The exchange's clock an hour ahead of the board's: its calls start after
    // the tariff is made, by the board's clock, as they would.
    let Linked { _dir, svc, sim, stop } = linked_at(false, webcti::sim::wall_clock() + 3600);
    let b = Browser::start(1280, 900);
    login(&b, &svc, "120", "secret-120");
    b.goto(&url(&svc, "/admin/tariff"));
    b.js("document.querySelector('#rates').value = 'prefix;name;setup;peak;offpeak;first_secs;step_secs\\n;Elsewhere;0;0.30;0.15;60;60\\n22;Warsaw;0.05;0,12;0,06;1;1';");
    b.fill("#bands", "Mon-Fri 22:00-06:00");
    b.submit_here("#tariff button[type=submit]");
    assert!(b.text("#notice").contains("The tariff is saved"), "{}", b.body());
    assert!(b.body().contains("2 rates in force"), "{}", b.body());
    // A wrong line is refused with where it is, and the text typed stays.
    b.js("document.querySelector('#rates').value += '\\n5;Mobile;0;0.25;0.25;30';");
    b.submit_here("#tariff button[type=submit]");
    assert_eq!(
        b.text("#error"),
        "Line 5: expected prefix; name; setup; peak per minute; off-peak per minute; first block; step."
    );
    assert!(b
        .js("return document.querySelector('#rates').value;")
        .as_str()
        .is_some_and(|v| v.contains("5;Mobile")));

    b.goto(&url(&svc, "/admin/costs"));
    b.fill("#account-101 input[name=limit]", "0.60");
    b.select("#account-101 select[name=mode]", "monthly");
    b.submit_here("#account-101 button[value=configure]");
    assert!(b.text("#notice").contains("101"), "{}", b.body());
    assert_eq!(b.text("#account-101 .limit"), "0.60");
    b.submit("#logout");

    login(&b, &svc, "101", "secret-101");
    b.goto(&url(&svc, "/costs"));
    assert_eq!((b.text("#spent"), b.text("#limit")), ("0.00".to_owned(), "0.60".to_owned()));
    assert!(b.text("#credit").starts_with("0.60"), "{}", b.body());
    assert!(b.wait_until("document.body.dataset.live === '1'", WAIT));
    b.js("window.samePage = 'yes';");
    // Two minutes at 0.30 a minute spend it all: the exchange cuts the call
    // off, the page says so, and the figures follow without a reload.
    sim.with(|ex| ex.dial("101", "0341000001")).expect("dial");
    sim.with(|ex| ex.answer_external("0341000001")).expect("answered");
    sim.advance(600);
    assert!(b.wait_until("!document.getElementById('credit-warning').hidden", WAIT), "{}", b.body());
    assert_eq!(b.text("#credit-warning"), "The call was cut off: the call credit is used up.");
    assert!(b.wait_until("document.getElementById('spent').innerText === '0.60'", WAIT), "{}", b.body());
    assert!(b.text("#credit").starts_with("0.00"), "{}", b.body());
    assert_eq!(b.js("return window.samePage;"), serde_json::json!("yes"), "no reload happened");
    b.goto(&url(&svc, "/history?type=outgoing"));
    assert!(b.text("td.cost").contains("0.60"), "{}", b.body());
    b.goto(&url(&svc, "/start"));
    assert!(
        b.text("#costs-line").contains("0.60 this period; 0.00 of 0.60 left"),
        "{}",
        b.text("#costs-line")
    );
    stop.trigger();
}

/// A subscriber in a group sees its members' lamps on his start page follow
/// their phones as they ring, talk, hang up and turn DND on, with no reload.
#[test]
fn the_team_panel_lamps_follow_the_members_phones_live() {
    let _turn = turn();
    let Linked { _dir, svc, sim, stop } = linked_with(support::portal::T0, |data| {
        let db = rusqlite::Connection::open(data.join("webcti.db")).expect("db");
        db.execute_batch(
            "INSERT INTO cti_group (id, name, show_numbers) VALUES (1, 'Sales desk', 1);
             INSERT INTO cti_group_subscriber (group_id, extension) VALUES (1, '100'), (1, '101'), (1, '107');",
        )
        .expect("a team of 100, 101 and 107");
    });
    let b = Browser::start(1280, 900);
    login(&b, &svc, "100", "secret-100");
    b.goto(&url(&svc, "/start"));
    assert!(b.wait_until("document.body.dataset.live === '1'", WAIT));
    assert!(b.body().contains("Sales desk"), "{}", b.body());
    b.js("window.samePage = 'yes';");
    let lamp = |ext: &str, state: &str| {
        format!(
            "document.querySelector('#team-live .lamp[data-lines=\"{ext}\"]')?.dataset.state === '{state}'"
        )
    };
    let label = |ext: &str| b.text(&format!("#team-live .lamp[data-lines=\"{ext}\"] .lamp-state"));
    assert!(b.wait_until(&lamp("101", "idle"), WAIT), "{}", b.body());
    assert_eq!(label("101"), "free");

    sim.with(|ex| ex.incoming("0223334444", "101")).expect("a call for 101");
    assert!(b.wait_until(&lamp("101", "ringing"), WAIT), "ringing: {}", b.body());
    assert_eq!(label("101"), "ringing");
    sim.with(|ex| ex.answer("101")).expect("answered");
    assert!(b.wait_until(&lamp("101", "busy"), WAIT), "talking: {}", b.body());
    sim.with(|ex| ex.hang_up("101")).expect("hung up");
    assert!(b.wait_until(&lamp("101", "idle"), WAIT), "free again: {}", b.body());

    sim.with(|ex| ex.key_in("107", "*26#")).expect("DND on at 107's phone");
    assert!(b.wait_until(&lamp("107", "dnd"), WAIT), "DND: {}", b.body());
    assert_eq!(b.js("return window.samePage;"), serde_json::json!("yes"), "no reload happened");
    stop.trigger();
}

#[test]
fn presence_is_set_in_the_browser_and_follows_the_phone_without_a_reload() {
    let _turn = turn();
    let Linked { _dir, svc, sim, stop } = linked(false);
    let b = Browser::start(1280, 900);
    login(&b, &svc, "100", "secret-100");
    b.goto(&url(&svc, "/presence"));
    assert_eq!(b.text("#presence-state"), "Available");
    // In a meeting for an hour, calls to 101 meanwhile.
    b.select("#status", "meeting");
    b.fill("#info", "Board meeting");
    b.select("#minutes", "60");
    b.click("#divert-number");
    b.fill("#number", "101");
    b.submit_here("#presence-save");
    assert!(
        b.wait_until("document.querySelector('#presence-state').innerText === 'In a meeting'", WAIT),
        "{}",
        b.body()
    );
    assert_eq!(b.text("#presence-info"), "Board meeting");
    assert!(b.text("#presence-forward").contains("101"), "{}", b.body());
    assert_eq!(sim.with(|ex| ex.program("100").and_then(|p| p.forward_always.clone())), Some("101".into()));

    // Back at the desk, the subscriber keys a forward in at the phone: the
    // meeting's forward ends, and the open page shows it without a reload.
    assert!(b.wait_until("document.body.dataset.live === '1'", WAIT));
    b.js("window.samePage = 'yes';");
    sim.with(|ex| ex.key_in("100", "*26#")).expect("DND on at the phone");
    sim.with(|ex| ex.key_in("100", "#21#")).expect("forwarding off at the phone");
    assert!(
        b.wait_until("document.querySelector('#presence-state').innerText === 'Do not disturb'", WAIT),
        "{}",
        b.body()
    );
    assert_eq!(b.js("return window.samePage;"), serde_json::json!("yes"), "no reload happened");
    stop.trigger();
}
