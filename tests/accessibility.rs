//! Every portal page in a real browser (Debian's headless Chromium), checked by
//! axe-core (tests/setup.sh installs it) with every rule that is not
//! experimental: logged out, as a subscriber, a manager and an administrator, in
//! the full layout and at 360 px. Any violation fails, named by page, width,
//! rule and element. The pages come from the router's own table (`ROUTES`), so
//! a new page is checked unless it is listed here as not a page.

mod support;

use std::path::PathBuf;
use std::time::Duration;

use support::portal::{seeded_db, with_manager, Browser as Form};
use support::webdriver::Browser;
use support::Service;
use webcti::http::routes::{Access, ROUTES};

/// GET routes that answer something other than a page for a person to read.
const NOT_PAGES: &[&str] = &[
    "/start/panels",
    "/events",
    "/download/installer",
    "/voicemail/audio",
    "/phonebook/export",
    "/admin/provision/bulk.json",
    "/admin/provision/csv",
    "/healthz",
    "/static/style.css",
    "/api/v1/openapi.json",
];

/// Pages whose states a plain visit does not show: two-factor enrolment (its
/// QR code and the recovery codes) and the login's second step. They are
/// visited by [`two_factor_tour`].
const OWN_STATE: &[&str] = &["/login/code"];

/// The address each page is visited at (a page about someone names him), and
/// who visits it.
fn visit(path: &str, access: Access) -> (String, &'static str) {
    let who = match access {
        Access::Anyone => "",
        Access::Subscriber | Access::SubscriberOrPin => "100",
        Access::Manager => "101",
        Access::Administrator => "120",
        Access::Token(_) | Access::DeskPhone | Access::CtiClient => unreachable!("not a portal page"),
    };
    let at = match path {
        "/manager/extension" => "/manager/extension?for=100",
        "/admin/employee" => "/admin/employee?ext=100",
        "/admin/journal" => "/admin/journal?ext=100",
        "/reset" => "/reset?token=no-longer-valid",
        "/tel" => "/tel?to=tel%3A101",
        other => other,
    };
    (at.to_owned(), who)
}

fn axe_source() -> String {
    let path: PathBuf =
        [env!("CARGO_MANIFEST_DIR"), "target/npm/node_modules/axe-core/axe.min.js"].iter().collect();
    std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("{}: {e} (tests/setup.sh installs axe-core)", path.display()))
}

#[test]
fn no_page_has_an_accessibility_violation_at_any_width() {
    let dir = tempfile::tempdir().expect("tempdir");
    let data = dir.path().join("data");
    seeded_db(&data);
    with_manager(&data);
    // 100 has a system phone (so /keys is his page), contacts of both kinds and a
    // forwarding rule, so that every part of his pages is shown.
    let db = rusqlite::Connection::open(data.join("webcti.db")).expect("db");
    db.execute(
        "UPDATE extension SET system_phone = 'ST-40', key_labels = '[\"Line 1\",\"101 Piotr\"]' WHERE number = '100'",
        [],
    )
    .expect("phone");
    drop(db);
    let svc = Service::start(dir.path(), "");
    let mut anna = Form::new(svc.client(), svc.lan_https);
    assert_eq!(anna.login("100", "secret-100").status, 303);
    anna.get("/phonebook");
    let contacts = "First Name,Last Name,Company,Business Phone,Mobile Phone,Categories\r\nJörg,Müller,ACME,0221 1234567,0171 7654321,Kunden\r\n";
    let r = anna.post_file(
        "/phonebook/import",
        &[("format", "auto"), ("book", "private")],
        "c.csv",
        contacts.as_bytes(),
    );
    assert_eq!(r.status, 200, "{}", r.body);
    // The contact's notes page, with a note.
    let at = r.body.find("id=\"notes-").expect("a notes link");
    let contact = r.body[at + 10..].split('"').next().expect("id").to_owned();
    let r = anna.post("/phonebook/notes", &[("id", &contact), ("action", "add"), ("text", "Speaks German")]);
    assert!(r.body.contains("Speaks German"), "{}", r.body);
    anna.get("/forwarding");
    let r = anna.post(
        "/forwarding",
        &[
            ("rules", "1"),
            ("rule_0_active", "1"),
            ("rule_0_when", "always"),
            ("rule_0_calls", "external"),
            ("rule_0_presentation", "any"),
            ("rule_0_kind", "voicemail"),
            ("no_answer_secs", "20"),
            ("announcement", "0"),
        ],
    );
    assert!(r.body.contains("Saved"), "{}", r.body);
    let axe = axe_source();

    let mut pages: Vec<(String, &str)> = ROUTES
        .iter()
        .filter(|(method, path, access)| {
            *method == "GET"
                && !matches!(access, Access::Token(_) | Access::DeskPhone | Access::CtiClient)
                && !NOT_PAGES.contains(path)
                && !OWN_STATE.contains(path)
        })
        .map(|(_, path, access)| visit(path, *access))
        .map(|(at, who)| match at.as_str() {
            "/phonebook/notes" => (format!("/phonebook/notes?id={contact}"), who),
            _ => (at, who),
        })
        .collect();
    // One browser per visitor: the visitor's pages first.
    pages.sort_by_key(|(_, who)| *who);
    assert!(pages.len() >= 25, "the table's pages: {pages:?}");

    let mut found = Vec::new();
    for (width, height) in [(1280, 900), (360, 780)] {
        let mut browser: Option<(Browser, &str)> = None;
        for (at, who) in &pages {
            if browser.as_ref().is_none_or(|(_, w)| w != who) {
                let b = Browser::start(width, height);
                if !who.is_empty() {
                    log_in(&b, &svc, who);
                    assert!(b.url().ends_with("/start"), "{who} is logged in: {}", b.url());
                }
                browser = Some((b, who));
            }
            let Some((b, _)) = &browser else { unreachable!() };
            b.goto(&format!("https://{}{at}", svc.lan_https));
            let landed = b.url();
            assert!(landed.contains(at.split('?').next().unwrap_or(at)), "{at} led to {landed}");
            assert_eq!(b.js("return document.contentType;"), "text/html", "{at} is a page");
            check(
                b,
                &axe,
                &mut found,
                &format!("{at} at {width} px as {}", if who.is_empty() { "visitor" } else { who }),
            );
        }
    }
    // The manager sets up his second factor in the full layout and then logs in
    // at 360 px; the administrator the other way round.
    two_factor_tour(&svc, &axe, &mut found, "101", "/manager/2fa", (1280, 900), (360, 780));
    two_factor_tour(&svc, &axe, &mut found, "120", "/admin/2fa", (360, 780), (1280, 900));
    assert!(found.is_empty(), "{} violations:\n{}", found.len(), found.join("\n"));
}

fn check(b: &Browser, axe: &str, found: &mut Vec<String>, what: &str) {
    found.extend(b.axe(axe).into_iter().map(|v| format!("{what}: {v}")));
}

fn log_in(b: &Browser, svc: &Service, who: &str) {
    b.goto(&format!("https://{}/", svc.lan_https));
    b.fill("#ext", who);
    b.fill("#pw", &format!("secret-{who}"));
    b.submit("#login");
}

/// Enrolment on `page` (the QR code, then the recovery codes) at one size,
/// then a login at the other that asks for the code.
fn two_factor_tour(
    svc: &Service,
    axe: &str,
    found: &mut Vec<String>,
    who: &str,
    page: &str,
    (w1, h1): (u32, u32),
    (w2, h2): (u32, u32),
) {
    use webcti::domain::totp;
    let b = Browser::start(w1, h1);
    log_in(&b, svc, who);
    b.goto(&format!("https://{}{page}", svc.lan_https));
    // The forms post to the page itself: wait for what the answer shows.
    let wait = |css: &str| {
        let shown = b.wait_until(&format!("document.querySelector('{css}')"), Duration::from_secs(120));
        assert!(shown, "{page} shows {css}: {}", b.body());
    };
    b.click("#begin");
    wait("#secret");
    check(&b, axe, found, &format!("{page} (enrolment) at {w1} px as {who}"));
    let secret = totp::from_base32(&b.text("#secret")).expect("the key in base32");
    let step = totp::step_of(now());
    b.fill("#code", &format!("{:06}", totp::code(&secret, step)));
    b.click("#confirm-code");
    wait("#recovery");
    check(&b, axe, found, &format!("{page} (recovery codes) at {w1} px as {who}"));

    let b = Browser::start(w2, h2);
    log_in(&b, svc, who);
    assert!(b.url().ends_with("/login/code"), "{}", b.url());
    check(&b, axe, found, &format!("/login/code at {w2} px as {who}"));
    // A code is taken once: the next step's, if the clock has not moved on.
    let next = totp::step_of(now()).max(step + 1);
    b.fill("#code", &format!("{:06}", totp::code(&secret, next)));
    b.submit("#send-code");
    assert!(b.url().ends_with("/start"), "{}", b.url());
}

fn now() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).expect("time").as_secs() as i64
}
