//! The subscriber's portal as a browser meets it, over real TLS: logging in (with a
//! password, with a PIN the first time), throttling, the start page, history,
//! settings and language, CSRF and cross-origin refusals, one subscriber never
//! seeing another's data, and calls placed through the core.

mod support;

use std::time::Duration;

use support::portal::{seconds_to_wait, seeded_db, Browser};
use support::Service;

fn start() -> (tempfile::TempDir, Service) {
    let dir = tempfile::tempdir().expect("tempdir");
    seeded_db(&dir.path().join("data"));
    let svc = Service::start(dir.path(), "");
    (dir, svc)
}

fn browser(svc: &Service) -> Browser {
    Browser::new(svc.client(), svc.lan_https)
}

#[test]
fn login_shows_the_start_page_and_logout_ends_the_session() {
    let (_dir, svc) = start();
    let mut b = browser(&svc);
    let r = b.login("100", "secret-100");
    assert_eq!(r.status, 303, "{}", r.body);
    assert_eq!(r.header("location"), Some("/start"));
    let cookie = r
        .headers
        .iter()
        .find(|(k, v)| k == "set-cookie" && v.starts_with("__Host-webcti_session="))
        .map(|(_, v)| v.clone())
        .expect("session cookie");
    for attr in ["HttpOnly", "Secure", "SameSite=Strict"] {
        assert!(cookie.contains(attr), "{cookie}");
    }
    let start = b.get("/start");
    assert_eq!(start.status, 200);
    for text in [
        "Anna Kowalska",
        "Missed calls",
        "Recent calls",
        "Voicemail",
        "Summary",
        "0221111111",
        "2 times",
        "0602222222",
    ] {
        assert!(start.body.contains(text), "{text} missing from the start page");
    }
    let out = b.post("/logout", &[]);
    assert_eq!(out.status, 303);
    let after = b.get("/start");
    assert_eq!(after.status, 303, "the session is gone");
    assert_eq!(after.header("location"), Some("/"));
}

#[test]
fn a_wrong_password_and_an_unknown_extension_get_the_same_answer_then_a_pause() {
    let (_dir, svc) = start();
    let mut b = browser(&svc);
    let wrong = b.login("100", "not-the-password");
    let unknown = b.login("555", "not-the-password");
    assert_eq!((wrong.status, unknown.status), (401, 401));
    assert!(
        wrong.body.contains("Wrong extension or password.")
            && unknown.body.contains("Wrong extension or password.")
    );
    assert!(!b.cookies.contains_key("__Host-webcti_session"));
    // A guessing burst: eight wrong passwords at once from one address. Each is
    // counted before it is checked, and only one is checked at a time: the
    // rest are told to wait.
    let guesses: Vec<_> = (0..8)
        .map(|i| {
            let mut g = browser(&svc);
            std::thread::spawn(move || g.login("100", &format!("guess-{i}")).status)
        })
        .collect();
    let statuses: Vec<u16> = guesses.into_iter().map(|g| g.join().expect("guess")).collect();
    assert!(statuses.iter().all(|s| *s == 401 || *s == 429), "{statuses:?}");
    // Guessing on from the same address, the pause grows; while it lasts, even
    // the right password must wait.
    let mut wait = 0;
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    while std::time::Instant::now() < deadline {
        let r = b.login("100", "wrong-again");
        wait = seconds_to_wait(&r.body);
        if r.status == 429 && wait >= 4 {
            break;
        }
    }
    assert!(wait >= 4, "the pause grew to {wait} s");
    let throttled = b.login("100", "secret-100");
    assert_eq!(throttled.status, 429, "{}", throttled.body);
    assert!(throttled.body.contains("Too many attempts"));
    assert!(!b.cookies.contains_key("__Host-webcti_session"));
}

#[test]
fn the_pin_logs_in_once_to_set_a_password() {
    let (_dir, svc) = start();
    let mut b = browser(&svc);
    let r = b.login("107", "1234");
    assert_eq!(r.header("location"), Some("/password"));
    // Nothing else is reachable until a password is set.
    assert_eq!(b.get("/start").header("location"), Some("/password"));
    let form = b.get("/password");
    assert!(form.body.contains("You logged in with your PIN"));
    let short = b.post("/password", &[("new", "short"), ("repeat", "short")]);
    assert!(short.body.contains("at least 8 characters"));
    let set = b.post("/password", &[("new", "my new password"), ("repeat", "my new password")]);
    assert_eq!(set.header("location"), Some("/start"));
    assert_eq!(b.get("/start").status, 200);

    let mut again = browser(&svc);
    assert_eq!(again.login("107", "1234").status, 401, "the PIN no longer logs in");
    assert_eq!(again.login("107", "my new password").status, 303);
}

#[test]
fn a_password_change_ends_the_other_sessions() {
    let (_dir, svc) = start();
    let mut phone = browser(&svc);
    let mut pc = browser(&svc);
    phone.login("100", "secret-100");
    pc.login("100", "secret-100");
    pc.get("/password");
    let changed = pc.post(
        "/password",
        &[("current", "secret-100"), ("new", "correct horse"), ("repeat", "correct horse")],
    );
    assert!(changed.body.contains("Your password is changed"), "{}", changed.body);
    assert_eq!(pc.get("/start").status, 200, "this session goes on");
    assert_eq!(phone.get("/start").status, 303, "the other one ended");
}

#[test]
fn a_subscriber_sees_only_his_own_calls() {
    let (_dir, svc) = start();
    let mut b = browser(&svc);
    b.login("100", "secret-100");
    for path in [
        "/history",
        "/history?extension=101",
        "/start?ext=101",
        "/start/panels",
        "/history?number=0609999999",
    ] {
        let r = b.get(path);
        assert_eq!(r.status, 200, "{path}");
        assert!(!r.body.contains("0609999999</button>"), "{path} shows 101's call");
    }
    let missed = b.get("/history?type=missed");
    assert_eq!(missed.body.matches("0221111111</button>").count(), 2, "{}", missed.body);
    assert!(!missed.body.contains("0602222222</button>"), "an outgoing call is not missed");
    let mut other = browser(&svc);
    other.login("101", "secret-101");
    assert!(other.get("/history").body.contains("0609999999</button>"));
    // Without a session, nothing but the login page.
    let mut stranger = browser(&svc);
    for path in ["/start", "/history", "/voicemail", "/settings", "/events"] {
        assert_eq!(stranger.get(path).header("location"), Some("/"), "{path}");
    }
}

#[test]
fn cross_origin_and_tokenless_posts_change_nothing() {
    let (_dir, svc) = start();
    let mut b = browser(&svc);
    b.login("100", "secret-100");
    b.get("/settings");
    let token = b.csrf.clone();
    let evil = b.post_as(
        "/settings/profile",
        &[("description", "hacked"), ("email", "x@evil.example")],
        "https://evil.example",
        &token,
    );
    assert_eq!(evil.status, 403);
    let origin = format!("https://{}", svc.lan_https);
    let tokenless = b.post_as("/settings/profile", &[("description", "hacked")], &origin, "");
    assert_eq!(tokenless.status, 403);
    assert!(!b.get("/settings").body.contains("hacked"));
    // A GET never changes anything, whatever it carries.
    b.get("/settings/profile?description=hacked");
    assert!(!b.get("/settings").body.contains("hacked"));

    let ok =
        b.post("/settings/profile", &[("description", "Sales, 2nd floor"), ("email", "anna@example.com")]);
    assert!(ok.body.contains("Saved."));
    assert!(b.get("/settings").body.contains("Sales, 2nd floor"));
    let bad = b.post("/settings/profile", &[("description", "x"), ("email", "not an address")]);
    assert_eq!(bad.status, 422);
    assert!(b.get("/settings").body.contains("anna@example.com"), "a bad e-mail changed nothing");
    // A new address receives reset links: it takes the current password.
    let fields = [("description", "x"), ("email", "anna@elsewhere.example")];
    let without = b.post("/settings/profile", &fields);
    assert_eq!(without.status, 422);
    assert!(without.body.contains("enter your current password"), "{}", without.body);
    let wrong = b.post("/settings/profile", &[fields[0], fields[1], ("current_password", "guess")]);
    assert_eq!(wrong.status, 422);
    assert!(b.get("/settings").body.contains("anna@example.com"), "the address stayed");
    let right = b.post("/settings/profile", &[fields[0], fields[1], ("current_password", "secret-100")]);
    assert!(right.body.contains("Saved."), "{}", right.body);
    assert!(b.get("/settings").body.contains("anna@elsewhere.example"));
}

#[test]
fn switching_to_german_shows_german() {
    let (_dir, svc) = start();
    let mut b = browser(&svc);
    b.login("100", "secret-100");
    b.get("/settings");
    let r = b.post("/settings/app", &[("language", "de"), ("layout", "mobile")]);
    assert!(r.body.contains("Gespeichert."), "{}", r.body);
    let start = b.get("/start");
    for text in ["Verpasste Anrufe", "Letzte Anrufe", "Verlauf", "lang=\"de\"", "layout-mobile"] {
        assert!(start.body.contains(text), "{text}");
    }
    b.get("/settings");
    b.post("/settings/app", &[("language", "pl"), ("layout", "auto")]);
    assert!(b.get("/start").body.contains("Nieodebrane"));
}

#[test]
fn a_callback_rings_the_subscribers_own_phone_first() {
    let (_dir, svc) = start();
    let mut b = browser(&svc);
    b.login("100", "secret-100");
    b.get("/start");
    let mut live = b.client.events(svc.lan_https, "/events", &b.cookie_header()).expect("event stream");
    assert!(live.wait_for("text/event-stream", Duration::from_secs(30)), "{}", live.seen);
    let r = b.post("/call", &[("number", "0602 222-222"), ("mode", "extension")]);
    assert_eq!(r.header("location"), Some("/start?called=0602222222"), "{}", r.body);
    // The simulator rings extension 100; the portal hears it live.
    assert!(live.wait_for("\"ext\":\"100\",\"state\":\"ringing\"", Duration::from_secs(30)), "{}", live.seen);
    assert!(b.get("/start?called=0602222222").body.contains("Your phone is ringing"));
    // MobilePhone first without a mobile number: a clear message.
    let r = b.post("/call", &[("number", "101"), ("mode", "mobile")]);
    assert_eq!(r.header("location"), Some("/start?error=no_mobile"));
    assert!(b.get("/start?error=no_mobile").body.contains("No MobilePhone number is set"));
    // Nonsense is refused before it reaches the exchange.
    let r = b.post("/call", &[("number", "call me maybe")]);
    assert_eq!(r.header("location"), Some("/start?error=invalid"));
}

/// The history's note fields as the page shows them, with the form's `shown`
/// field: what a browser sends with them when a Keep button is pressed.
fn note_form(page: &str) -> Vec<(String, String)> {
    let value = |s: &str| s.split("value=\"").nth(1).map(|v| v[..v.find('"').expect("quote")].to_owned());
    let mut fields: Vec<(String, String)> = page
        .split("<input name=\"n")
        .skip(1)
        .filter_map(|s| {
            let id = &s[..s.find('"').expect("quote")];
            id.parse::<u64>().is_ok().then(|| (format!("n{id}"), value(s).expect("a value")))
        })
        .collect();
    let shown = page.split("name=\"shown\"").nth(1).and_then(value).expect("the shown field");
    fields.push(("shown".to_owned(), shown));
    fields
}

/// The page's one notes form sends every note with the button pressed: the
/// pressed row's note is kept, so is a note typed in another row (Enter in a
/// field presses the first row's button), and a note changed in another tab
/// since the page was shown is never put back.
#[test]
fn the_history_keeps_the_notes_typed_on_its_page_and_never_puts_back_a_stale_one() {
    let (_dir, svc) = start();
    let mut b = browser(&svc);
    assert_eq!(b.login("100", "secret-100").status, 303);
    let page = b.get("/history").body;
    assert_eq!(page.matches("id=\"notes\"").count(), 1, "one notes form");
    let table = &page[page.find("id=\"history\"").expect("the table")..];
    assert!(!table[..table.find("</table>").expect("its end")].contains("csrf"), "no token per call");
    let ids: Vec<String> =
        note_form(&page).iter().filter_map(|(k, _)| k.strip_prefix('n').map(str::to_owned)).collect();
    assert!(ids.len() >= 3, "{ids:?}");
    let send = |b: &mut support::portal::Browser, page: &str, pressed: &str, typed: &[(&str, &str)]| {
        let mut fields = note_form(page);
        for (id, text) in typed {
            let at = fields.iter().position(|(k, _)| *k == format!("n{id}")).expect("a field");
            fields[at].1 = (*text).to_owned();
        }
        fields.push(("id".to_owned(), pressed.to_owned()));
        let pairs: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        b.post("/history/note", &pairs)
    };
    let note_of = |page: &str, id: &str| {
        note_form(page).into_iter().find(|(k, _)| *k == format!("n{id}")).map(|(_, v)| v).expect("a row")
    };
    // Keep pressed on the second row.
    let r = send(&mut b, &page, &ids[1], &[(&ids[1], "Call back after lunch")]);
    assert_eq!((r.status, r.header("location")), (303, Some(format!("/history#call-{}", ids[1]).as_str())));
    let page = b.get("/history").body;
    assert_eq!(note_of(&page, &ids[1]), "Call back after lunch");
    assert_eq!(note_of(&page, &ids[0]), "", "only the note typed");
    // Enter in the third row's field: the browser presses the first row's button.
    let r = send(&mut b, &page, &ids[0], &[(&ids[2], "Sent the price list")]);
    assert_eq!(r.status, 303);
    let fresh = b.get("/history").body;
    assert_eq!(note_of(&fresh, &ids[2]), "Sent the price list");
    assert_eq!(note_of(&fresh, &ids[0]), "");
    // Another tab changes the second row's note; this tab, still showing the old
    // one, keeps a note on the first row: the second stays as the other tab left it.
    let stale = page;
    send(&mut b, &fresh, &ids[1], &[(&ids[1], "Ordered 40 phones")]);
    let r = send(&mut b, &stale, &ids[0], &[(&ids[0], "Wants a demo")]);
    assert_eq!(r.status, 303, "{}", r.body);
    let now = b.get("/history").body;
    assert_eq!(note_of(&now, &ids[0]), "Wants a demo");
    assert_eq!(note_of(&now, &ids[1]), "Ordered 40 phones", "a stale page never puts a note back");
    assert_eq!(note_of(&now, &ids[2]), "Sent the price list", "nor takes one away it did not show");
    // A note that is none changes nothing, the others in the form included.
    let r = send(&mut b, &now, &ids[0], &[(&ids[0], "fine"), (&ids[1], &"x".repeat(2001))]);
    assert_eq!(r.status, 400);
    assert_eq!(note_of(&b.get("/history").body, &ids[0]), "Wants a demo");
}

/// A note kept with a call (SPEC C13) shows in the history, is changed or
/// taken away there, and is written only on the subscriber's own calls.
#[test]
fn a_note_kept_with_a_call_shows_in_the_history() {
    let (_dir, svc) = start();
    let mut b = browser(&svc);
    assert_eq!(b.login("100", "secret-100").status, 303);
    let row = |page: &str, id: u64| {
        let at = page.find(&format!("id=\"call-{id}\"")).unwrap_or_else(|| panic!("no call {id}: {page}"));
        page[at..].split("</tr>").next().unwrap_or_default().to_owned()
    };
    b.get("/history");
    let r = b.post("/history/note", &[("id", "2"), ("note", "  Wants an offer by Friday ")]);
    assert_eq!((r.status, r.header("location")), (303, Some("/history#call-2")), "{}", r.body);
    let page = b.get("/history").body;
    assert!(row(&page, 2).contains("value=\"Wants an offer by Friday\""), "{}", row(&page, 2));
    assert!(!row(&page, 1).contains("Wants an offer"), "only that call");
    // Changed, then taken away.
    b.post("/history/note", &[("id", "2"), ("note", "Offer sent")]);
    assert!(row(&b.get("/history").body, 2).contains("value=\"Offer sent\""));
    b.post("/history/note", &[("id", "2"), ("note", "")]);
    assert!(row(&b.get("/history").body, 2).contains("name=\"n2\" value=\"\""));
    // Another's call, no such call, a note that is none: refused, nothing kept.
    assert_eq!(b.post("/history/note", &[("id", "4"), ("note", "mine now")]).status, 404);
    assert_eq!(b.post("/history/note", &[("id", "99"), ("note", "x")]).status, 404);
    let r = b.post("/history/note", &[("id", "1"), ("note", &"x".repeat(2001))]);
    assert_eq!(r.status, 400, "{}", r.body);
    assert!(!b.get("/history").body.contains("xxxxxxxx"));
    let mut piotr = browser(&svc);
    assert_eq!(piotr.login("101", "secret-101").status, 303);
    assert!(!piotr.get("/history").body.contains("mine now"));
}
