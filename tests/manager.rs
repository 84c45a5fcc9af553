//! Managers (SPEC M1-M4) against the real service and the simulated exchange:
//! 101 manages Sales (100 and 101); 120 is in Office; 107 is in the pool. He
//! sees and changes his people's settings through their own pages (`?for=N`),
//! the exchange is programmed with what he set, their journals say he did it,
//! and nothing outside his departments is his.

mod support;

use support::portal::{seeded_db, settings_snapshot, with_manager, Browser, T0};
use support::Service;
use webcti::sim::{demo, Clock, Sim};

struct World {
    dir: tempfile::TempDir,
    sim: Sim,
    svc: Service,
    _stop: webcti::shutdown::Trigger,
}

fn world() -> World {
    let dir = tempfile::tempdir().expect("tempdir");
    let data = dir.path().join("data");
    seeded_db(&data);
    with_manager(&data);
    let sim = Sim::new(demo::plan(), Clock::Manual, T0);
    let sock = dir.path().join("core.sock");
    let stop = support::simulator(&sim, &sock);
    let svc = Service::start(dir.path(), &format!("link=unix:{}", sock.display()));
    svc.wait_log("core link up", 1);
    // The core's other lines are extensions too, in the pool, from here on.
    svc.wait_log("extensions learnt from the core's lines", 1);
    World { dir, sim, svc, _stop: stop }
}

#[test]
fn a_manager_sets_up_his_peoples_extensions_and_their_journals_say_so() {
    let w = world();
    let mut m = Browser::new(w.svc.client(), w.svc.lan_https);
    assert_eq!(m.login("101", "secret-101").status, 303);
    assert!(m.get("/settings").body.contains("href=\"/manager\""), "the settings link to his team");
    let team = m.get("/manager");
    assert_eq!(team.status, 200);
    let (members, pool) = team.body.split_once("id=\"pool\"").expect("the pool is listed");
    assert!(members.contains("Anna Kowalska") && !members.contains("Ewa Lis"), "{members}");
    assert!(pool.contains("Jan Szymański") && !pool.contains("Ewa Lis"), "{pool}");

    // 100's forwarding, from her own page opened for her.
    let page = m.get("/forwarding?for=100");
    assert_eq!(page.status, 200);
    assert!(page.body.contains("100 Anna Kowalska"), "the page says whose it is");
    assert!(page.body.contains("action=\"/forwarding?for=100\""), "and posts back to her");
    let r = m.post(
        "/forwarding?for=100",
        &[("no_answer_secs", "20"), ("voicemail", "1"), ("announcement", "0"), ("forward_always", "104")],
    );
    assert!(r.body.contains("Saved, and the exchange has it."), "{}", r.body);
    // The exchange has it: a call to 100 rings 104.
    w.sim.with(|ex| ex.dial("107", "100")).expect("call placed");
    assert!(!w.sim.with(|ex| ex.calls_of("104")).is_empty(), "forwarded to 104");
    // His own forwarding is untouched.
    assert!(!m.get("/forwarding").body.contains("value=\"104\""));

    // What a manager sets on her page; a bad MobilePhone number changes nothing.
    m.get("/manager/extension?for=100");
    let bad = m.post("/manager/extension?for=100", &[("mobile", "call me"), ("comment", "x")]);
    assert_eq!(bad.status, 422, "{}", bad.body);
    let ok = m.post(
        "/manager/extension?for=100",
        &[("comment", "Key accounts"), ("email", "anna@example.com"), ("notify_missed", "1")],
    );
    assert!(ok.body.contains("Saved."), "{}", ok.body);
    assert!(ok.body.contains("value=\"Key accounts\"") && ok.body.contains("id=\"notify_missed\" checked"));

    // She reads who did it in her journal.
    let mut anna = Browser::new(w.svc.client(), w.svc.lan_https);
    assert_eq!(anna.login("100", "secret-100").status, 303);
    let journal = anna.get("/journal").body;
    let rows: Vec<&str> = journal.split("<tr>").skip(2).collect();
    let row =
        |what: &str| *rows.iter().find(|r| r.contains(what)).unwrap_or_else(|| panic!("{what}: {journal}"));
    assert!(row("Forward to a number: Always").contains("101 (manager)"), "{journal}");
    assert!(row("E-mail about each missed call").contains("101 (manager)"), "{journal}");
    assert!(row("<td>Comment</td>").contains("<td>Key accounts</td>"), "{journal}");
    // Filtered by topic: the forwarding alone.
    let only = anna.get("/journal?topic=forwarding").body;
    assert!(only.contains("Forward to a number: Always") && !only.contains("<td>Comment</td>"), "{only}");
    // The manager reads it too; she cannot read his team or hers.
    assert!(m.get("/journal?for=100").body.contains("Key accounts"));
    assert_eq!(anna.get("/manager").status, 403);
    assert_eq!(anna.get("/manager/journal").status, 403);
    // His departments' journal: every change of his people, each with its extension.
    let all = m.get("/manager/journal").body;
    assert!(all.contains("<td>100</td>") && all.contains("Key accounts"), "{all}");
    assert!(!m.get("/manager/journal?topic=rights").body.contains("Key accounts"));
    assert_eq!(anna.get("/forwarding?for=101").status, 403);

    // The pool: 107 taken into Sales, with its journal entry.
    let sales = pool.split("<option value=\"").nth(1).and_then(|s| s.split('"').next()).expect("Sales' id");
    m.get("/manager");
    let taken = m.post("/manager/take", &[("ext", "107"), ("department", sales)]);
    assert_eq!(taken.status, 303, "{}", taken.body);
    let team = m.get("/manager").body;
    let (members, pool) = team.split_once("id=\"pool\"").unwrap_or((&team, ""));
    assert!(members.contains("Jan Szymański") && !pool.contains("value=\"107\""), "{team}");
    assert!(m.get("/journal?for=107").body.contains("101 (manager)"));
    // Twice is refused: it is no longer in the pool.
    assert_eq!(m.post("/manager/take", &[("ext", "107"), ("department", sales)]).status, 422);
}

#[test]
fn outside_his_departments_nothing_is_his() {
    let w = world();
    let data = w.dir.path().join("data");
    let mut m = Browser::new(w.svc.client(), w.svc.lan_https);
    assert_eq!(m.login("101", "secret-101").status, 303);
    let before = settings_snapshot(&data);
    m.get("/forwarding");
    for (path, fields) in [
        ("/forwarding?for=120", vec![("forward_always", "104"), ("no_answer_secs", "20")]),
        ("/services?for=120", vec![("phone_lock", "1")]),
        ("/manager/extension?for=120", vec![("comment", "mine now")]),
        ("/manager/extension/password?for=120", vec![]),
        ("/manager/take", vec![("ext", "120"), ("department", "1")]),
    ] {
        let r = m.post(path, &fields);
        assert!(matches!(r.status, 403 | 422), "{path}: {} {}", r.status, r.body);
    }
    for path in ["/forwarding?for=120", "/history?for=120", "/journal?for=120", "/manager/extension?for=120"]
    {
        assert_eq!(m.get(path).status, 403, "{path}");
    }
    // Inside, still not his: her voicemail and her calls.
    assert_eq!(m.get("/voicemail?for=100").status, 200, "his own voicemail page");
    assert!(!m.get("/voicemail?for=100").body.contains("0221111111"), "not hers");
    assert_eq!(settings_snapshot(&data), before, "nothing changed");
}

#[test]
fn a_manager_gives_a_temporary_password() {
    let w = world();
    let mut m = Browser::new(w.svc.client(), w.svc.lan_https);
    assert_eq!(m.login("101", "secret-101").status, 303);
    let mut anna = Browser::new(w.svc.client(), w.svc.lan_https);
    assert_eq!(anna.login("100", "secret-100").status, 303);
    m.get("/manager/extension?for=100");
    let r = m.post("/manager/extension/password?for=100", &[]);
    assert_eq!(r.status, 200, "{}", r.body);
    let temporary =
        r.body.split("id=\"temporary\">").nth(1).and_then(|s| s.split('<').next()).expect("shown");
    // Her session ended; the old password is gone; the temporary one only sets a new one.
    assert_eq!(anna.get("/start").status, 303);
    let mut again = Browser::new(w.svc.client(), w.svc.lan_https);
    assert_ne!(again.login("100", "secret-100").header("location"), Some("/start"));
    let login = again.login("100", temporary);
    assert_eq!(login.header("location"), Some("/password"), "{login:?}");
}

/// The id of the contact named `name` on a phonebook page.
fn contact_id(page: &str, name: &str) -> String {
    let row =
        page.split("<tr class=\"contact\"").find(|r| r.contains(name)).unwrap_or_else(|| panic!("{page}"));
    let id = row.split("data-id=\"").nth(1).and_then(|r| r.split('"').next());
    id.unwrap_or_else(|| panic!("{row}")).to_owned()
}

#[test]
fn a_manager_keeps_the_public_book_marks_vips_and_hides_additional_numbers() {
    let w = world();
    // 101 has only the right to read the public book, but as a manager he keeps it (M3).
    let mut m = Browser::new(w.svc.client(), w.svc.lan_https);
    assert_eq!(m.login("101", "secret-101").status, 303);
    m.get("/phonebook");
    let added = m.post(
        "/phonebook/contact",
        &[
            ("book", "public"),
            ("first_name", "Hans"),
            ("last_name", "Müller"),
            ("work", "0221 111 000"),
            ("mobile", "0170 222 000"),
            ("home", "0221 333 000"),
        ],
    );
    assert_eq!(added.status, 200, "{}", added.body);
    let made = m.post("/phonebook/group", &[("name", "Key accounts"), ("public", "1")]);
    assert_eq!(made.status, 200, "{}", made.body);
    let id = contact_id(&m.get("/phonebook?view=public").body, "Müller Hans");

    let mut anna = Browser::new(w.svc.client(), w.svc.lan_https);
    assert_eq!(anna.login("100", "secret-100").status, 303);
    let before = anna.get("/phonebook?view=public").body;
    assert!(before.contains("0170 222 000") && !before.contains("class=\"vip\""), "{before}");

    for action in ["vip_on", "hide_on"] {
        let marked =
            m.post("/phonebook/selection", &[("action", action), ("contact", &id), ("view", "public")]);
        assert_eq!(marked.status, 200, "{}", marked.body);
        assert!(marked.body.contains("1 contacts changed."), "{}", marked.body);
    }
    // He still sees every number, and that the others do not.
    let his = m.get("/phonebook?view=public").body;
    assert!(his.contains("0170 222 000") && his.contains("additional numbers hidden from others"), "{his}");

    // Anna sees the VIP and the first number only, in the list and in an export.
    let hers = anna.get("/phonebook?view=public").body;
    assert!(hers.contains("class=\"vip\"") && hers.contains("0221 111 000"), "{hers}");
    assert!(!hers.contains("0170 222 000") && !hers.contains("0221 333 000"), "{hers}");
    assert!(!hers.contains("id=\"vip-on\""), "no marking for a subscriber: {hers}");
    let csv = anna.get("/phonebook/export?format=csv&view=public").body;
    assert!(csv.contains("0221 111 000") && !csv.contains("0170 222 000"), "{csv}");
    // Her attempt to unmark is refused, and the mark stays.
    let refused =
        anna.post("/phonebook/selection", &[("action", "vip_off"), ("contact", &id), ("view", "public")]);
    assert_ne!(refused.status, 200, "{}", refused.body);
    assert!(anna.get("/phonebook?view=public").body.contains("class=\"vip\""));
    // The administrator keeps the public book's groups (A4), whatever his own right to it.
    let mut admin = Browser::new(w.svc.client(), w.svc.lan_https);
    assert_eq!(admin.login("120", "secret-120").status, 303);
    admin.get("/phonebook");
    let made = admin.post("/phonebook/group", &[("name", "Suppliers"), ("public", "1")]);
    assert_eq!(made.status, 200, "{}", made.body);
    let groups = anna.get("/phonebook").body;
    assert!(
        groups.contains("Suppliers") && groups.contains("Key accounts"),
        "public groups everybody sees: {groups}"
    );
    // Public groups are renamed and deleted by those who keep the book, not by Anna.
    let group_id = |page: &str, name: &str| {
        let before =
            page.split(&format!("\" class=\"group\">{name}<")).next().unwrap_or_else(|| panic!("{page}"));
        before.rsplit("id=").next().unwrap_or_else(|| panic!("{page}")).to_owned()
    };
    let (key, suppliers) = (group_id(&groups, "Key accounts"), group_id(&groups, "Suppliers"));
    assert!(!anna.get(&format!("/phonebook?view=group&id={key}")).body.contains("id=\"rename-group\""));
    let refused = anna.post("/phonebook/group", &[("action", "rename"), ("group", &key), ("name", "Mine")]);
    assert_ne!(refused.status, 200, "{}", refused.body);
    let renamed =
        m.post("/phonebook/group", &[("action", "rename"), ("group", &key), ("name", "Top accounts")]);
    assert!(renamed.body.contains("The group is now called Top accounts."), "{}", renamed.body);
    let deleted = admin.post("/phonebook/group", &[("action", "delete"), ("group", &suppliers)]);
    assert!(deleted.body.contains("The group is deleted"), "{}", deleted.body);
    let groups = anna.get("/phonebook").body;
    assert!(
        groups.contains("Top accounts") && !groups.contains("Key accounts") && !groups.contains("Suppliers"),
        "{groups}"
    );

    // His journal says what he did to the book.
    let journal = m.get("/journal?topic=phonebook").body;
    for (field, old, new) in [
        ("contact", "—", "Müller Hans (public)"),
        ("vip", "Müller Hans: off", "Müller Hans: on"),
        ("hidden_numbers", "Müller Hans: off", "Müller Hans: on"),
        ("group", "Key accounts (public)", "Top accounts (public)"),
    ] {
        let cells = format!("<td>{field}</td><td>{old}</td><td>{new}</td>");
        assert!(journal.contains(&cells), "{cells} missing: {journal}");
    }
}

#[test]
fn a_manager_whose_department_is_taken_away_is_refused_at_his_next_request() {
    let w = world();
    let mut m = Browser::new(w.svc.client(), w.svc.lan_https);
    assert_eq!(m.login("101", "secret-101").status, 303);
    assert_eq!(m.get("/forwarding?for=100").status, 200, "his person's page");
    assert_eq!(m.get("/manager").status, 200);
    // The administrator takes Sales from him (through the API, as a script would).
    let token = support::make_token(w.dir.path(), "hr", &["extensions:write"]);
    let auth = format!("Bearer {token}");
    let headers = [("Authorization", auth.as_str()), ("Content-Type", "application/merge-patch+json")];
    let r = w
        .svc
        .client()
        .request(w.svc.lan_https, "PATCH", "/api/v1/extensions/101", &headers, r#"{"manages": []}"#)
        .expect("patch");
    assert_eq!(r.status, 200, "{}", r.body);
    // The same session, the very next request: no longer hers to open.
    assert_eq!(m.get("/forwarding?for=100").status, 403, "the right is gone at once");
    assert_ne!(m.get("/manager").status, 200);
}
