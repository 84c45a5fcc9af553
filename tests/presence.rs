//! Presence (SPEC C7, C8) end to end. With the services over the simulated
//! exchange and a clock the test moves: a timed status gives way to the one it
//! covered, a status's divert is programmed into the exchange, which routes by
//! it, and undone at its end; a divert the extension may not dial is refused.
//! With the real service and the simulator over the wire: DND keyed in at the
//! phone is the DND state on the presence page, a DND status switches the
//! phone's DND on and the phone switches it off again; `PrmImport.csv` in both
//! code pages: the good lines applied, the bad ones reported by number, a
//! changed file read again.

mod support;

use support::portal::{seeded_db, Browser, T0 as PORTAL_T0};
use support::Service;
use webcti::domain::access::{Actor, Channel, Denied, Who};
use webcti::domain::phonebook::PublicRight;
use webcti::domain::presence::{PresenceProblem, Status};
use webcti::domain::program::Restriction;
use webcti::hal::proto::CallId;
use webcti::services::presence::SetPresence;
use webcti::services::{Invalid, ServiceError};
use webcti::sim::{demo, Clock, Ending, Sim};

use support::rig::{rig, T0};

fn subscriber(ext: &str) -> Actor {
    Actor::new(
        Who::Subscriber { ext: ext.into(), pin_only: false, public_book: PublicRight::Read },
        Channel::Web,
    )
}

fn status(code: &str, minutes: Option<i64>, forward: &str, now: i64) -> SetPresence {
    SetPresence {
        status: code.into(),
        info: String::new(),
        start: None,
        end: minutes.map(|m| now + m * 60),
        forward: forward.into(),
        ..Default::default()
    }
}

/// Where an outside call to 100 goes now: "ring:N" (ringing at N), or how it ended.
fn outside_call_to_100(sim: &Sim) -> String {
    let id: CallId = sim.with(|ex| ex.incoming("0221234567", "100")).expect("call");
    let landed = match sim.with(|ex| ex.ending(id)) {
        Some(Ending::Announcement(a)) => format!("announcement:{a}"),
        Some(other) => format!("{other:?}"),
        None => format!("ring:{}", sim.with(|ex| ex.call_parties(id)).expect("call").1.join(",")),
    };
    let _ = sim.with(|ex| ex.hang_up_external("0221234567"));
    landed
}

#[tokio::test]
async fn a_timed_status_gives_way_to_the_one_it_covered_and_the_exchange_routes_by_each() {
    let r = rig().await;
    let p = &r.services.presence;
    let anna = subscriber("100");

    let shown = p.set(&anna, "100", status("busy", None, "", T0)).await.expect("busy");
    assert_eq!(shown.status, Status::Busy);
    assert_eq!(outside_call_to_100(&r.sim), "ring:100", "a status without divert changes no routing");

    // In a meeting for an hour, calls to 105 meanwhile.
    let mut meeting = status("meeting", Some(60), "105", T0);
    meeting.info = "Board meeting".into();
    let shown = p.set(&anna, "100", meeting).await.expect("meeting");
    assert_eq!(
        (shown.status, shown.info.as_str(), shown.end),
        (Status::Meeting, "Board meeting", Some(T0 + 3600))
    );
    assert_eq!(outside_call_to_100(&r.sim), "ring:105");
    // A holiday set now for tomorrow, with DND: nothing changes before it starts.
    let holiday = SetPresence {
        start: Some(T0 + 86_400),
        end: Some(T0 + 2 * 86_400),
        ..status("holiday", None, "dnd", T0)
    };
    p.set(&anna, "100", holiday).await.expect("holiday");
    assert_eq!(p.shown(&anna, "100").await.expect("shown").status, Status::Meeting);

    // Half an hour on, nothing has started or ended.
    r.clock.set(T0 + 1800);
    assert!(p.tick().await.expect("tick").is_empty());
    // The meeting ends: busy returns, and calls ring at 100 again.
    r.clock.set(T0 + 3600);
    assert_eq!(p.tick().await.expect("tick"), ["100"]);
    assert_eq!(p.shown(&anna, "100").await.expect("shown").status, Status::Busy);
    assert_eq!(outside_call_to_100(&r.sim), "ring:100");
    assert_eq!(r.store.presence("100").await.expect("read").len(), 2, "the ended meeting is gone");

    // The holiday starts: DND at the exchange, callers hear the announcement.
    r.clock.set(T0 + 86_400);
    assert_eq!(p.tick().await.expect("tick"), ["100"]);
    let (shown, stack) = p.stack(&anna, "100").await.expect("stack");
    assert_eq!(shown.status, Status::Holiday);
    assert_eq!(stack.iter().map(|e| e.status).collect::<Vec<_>>(), [Status::Holiday, Status::Busy]);
    assert_eq!(outside_call_to_100(&r.sim), "announcement:0");
    assert_eq!(r.sim.with(|ex| ex.line_state("100")), Some(webcti::hal::proto::LineState::Dnd));
    // A restart of the link programs the exchange the same (the resync's view).
    assert_eq!(r.sim.with(|ex| ex.program("100").and_then(|p| p.dnd)), Some(0));

    // Available by hand ends what applies (the holiday and busy) at once.
    let shown = p.set(&anna, "100", status("available", None, "", T0 + 86_400)).await.expect("available");
    assert_eq!(shown.status, Status::Available);
    assert_eq!(outside_call_to_100(&r.sim), "ring:100");
    assert_eq!(
        r.store.programs().await.expect("programs").into_iter().find(|(e, _)| e == "100").expect("100").1.dnd,
        None
    );
}

#[tokio::test]
async fn a_divert_the_extension_may_not_dial_or_another_subscribers_status_is_refused_and_nothing_changes() {
    let r = rig().await;
    let p = &r.services.presence;
    // An administrator has restricted 101 to calls inside the exchange.
    let db = r.db();
    db.execute_batch(
        "INSERT INTO extension_services (extension, restriction, updated_at) VALUES ('101', 'internal', 0)
         ON CONFLICT (extension) DO UPDATE SET restriction = 'internal';",
    )
    .expect("restrict");
    let restricted = r.store.program("101").await.expect("read").expect("101").restriction;
    assert_eq!(restricted, Restriction::InternalOnly);
    let piotr = subscriber("101");

    let outside = p.set(&piotr, "101", status("ext_work", Some(60), "0221555123", T0)).await;
    assert!(
        matches!(outside, Err(ServiceError::Invalid(Invalid::Forwarding(_)))),
        "an outside number for an internal-only extension: {outside:?}"
    );
    let own = p.set(&piotr, "101", status("away", None, "101", T0)).await;
    assert!(
        matches!(own, Err(ServiceError::Invalid(Invalid::Presence(PresenceProblem::ForwardToSelf)))),
        "{own:?}"
    );
    let bad = p.set(&piotr, "101", status("sleeping", None, "", T0)).await;
    assert!(
        matches!(bad, Err(ServiceError::Invalid(Invalid::Presence(PresenceProblem::BadStatus)))),
        "{bad:?}"
    );
    let past = SetPresence { end: Some(T0 - 60), ..status("away", None, "", T0) };
    assert!(matches!(p.set(&piotr, "101", past).await, Err(ServiceError::Invalid(_))));
    let intruder = p.set(&piotr, "100", status("dnd", None, "", T0)).await;
    assert!(matches!(intruder, Err(ServiceError::Denied(Denied::NotYours))), "{intruder:?}");

    assert!(r.store.presence("101").await.expect("read").is_empty());
    assert!(r.store.presence("100").await.expect("read").is_empty());
    assert_eq!(r.sim.with(|ex| ex.program("100").and_then(|p| p.dnd)), None);
    // Inside the exchange is allowed.
    let shown = p.set(&piotr, "101", status("ext_work", Some(60), "105", T0)).await.expect("inside");
    assert_eq!(shown.status, Status::ExtWork);

    // A stack has room for 20 statuses; the 21st is refused.
    for i in 1..20 {
        p.set(&piotr, "101", status("brb", Some(i), "", T0)).await.expect("room");
    }
    let full = p.set(&piotr, "101", status("brb", Some(30), "", T0)).await;
    assert!(
        matches!(full, Err(ServiceError::Invalid(Invalid::Presence(PresenceProblem::TooMany)))),
        "{full:?}"
    );
}

// ---- The real service, with the simulator over the wire. ----

struct World {
    dir: tempfile::TempDir,
    sim: Sim,
    svc: Service,
    _stop: webcti::shutdown::Trigger,
}

fn world(extra: &str) -> World {
    let dir = tempfile::tempdir().expect("tempdir");
    let data = dir.path().join("data");
    seeded_db(&data);
    let db = rusqlite::Connection::open(data.join("webcti.db")).expect("db");
    db.execute_batch(
        "UPDATE extension SET email = 'anna.nowak@firma.pl' WHERE number = '100';
         UPDATE extension SET email = 'schmidt@firma.de' WHERE number = '101';",
    )
    .expect("mail");
    drop(db);
    let sim = Sim::new(demo::plan(), Clock::Manual, PORTAL_T0);
    let sock = dir.path().join("core.sock");
    let trigger = support::simulator(&sim, &sock);
    let board_extra = format!("link=unix:{}\n{extra}", sock.display());
    let svc = Service::start(dir.path(), &board_extra);
    svc.wait_log("core link up", 1);
    World { dir, sim, svc, _stop: trigger }
}

fn state_on_page(page: &str) -> String {
    let at = page.find("data-presence=\"").unwrap_or_else(|| panic!("no state on {page}"));
    let rest = &page[at + 15..];
    rest[..rest.find('"').expect("quote")].to_owned()
}

#[test]
fn dnd_at_the_phone_and_the_dnd_state_are_one_truth() {
    let w = world("");
    let mut b = Browser::new(w.svc.client(), w.svc.lan_https);
    assert_eq!(b.login("100", "secret-100").status, 303);
    assert_eq!(state_on_page(&b.get("/presence").body), "available");

    // DND keyed in at the phone: the presence page shows DND, set at the phone.
    w.sim.with(|ex| ex.key_in("100", "*26#")).expect("DND on");
    w.svc.wait_log("forwarding changed at the phone", 1);
    let page = b.get("/presence").body;
    assert_eq!(state_on_page(&page), "dnd");
    assert!(page.contains("at the phone"), "{page}");
    // Available in the portal switches the phone's DND off.
    let r = b.post("/presence", &[("status", "available")]);
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(state_on_page(&r.body), "available");
    assert_eq!(w.sim.with(|ex| ex.program("100").and_then(|p| p.dnd)), None);

    // A DND status with an hour to go lights the phone's DND...
    let r = b.post("/presence", &[("status", "dnd"), ("info", "Focus"), ("minutes", "60")]);
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(state_on_page(&r.body), "dnd");
    assert!(r.body.contains("Focus"), "{}", r.body);
    assert_eq!(w.sim.with(|ex| ex.line_state("100")), Some(webcti::hal::proto::LineState::Dnd));
    // ...and DND switched off at the phone ends it.
    w.sim.with(|ex| ex.key_in("100", "#26#")).expect("DND off");
    w.svc.wait_log("forwarding changed at the phone", 2);
    let page = b.get("/presence").body;
    assert_eq!(state_on_page(&page), "available", "{page}");
    assert!(!page.contains("Focus"), "{page}");

    // Another subscriber cannot set 100's state; a bad state is said in words.
    let r = b.post("/presence", &[("status", "sleeping")]);
    assert!(r.body.contains("There is no such presence state."), "{}", r.body);
    assert_eq!(state_on_page(&b.get("/presence").body), "available");
}

/// `text` in Windows-1252 (German) or Windows-1250 (Polish).
fn code_page(text: &str, polish: bool) -> Vec<u8> {
    text.chars()
        .map(|c| match (c, polish) {
            ('ß', false) => 0xDF,
            ('ü', _) => 0xFC,
            ('ą', true) => 0xB9,
            ('ł', true) => 0xB3,
            (c, _) if c.is_ascii() => c as u8,
            (c, _) => panic!("{c} is not in the table"),
        })
        .collect()
}

#[test]
fn prm_import_applies_good_lines_reports_bad_ones_by_number_and_reads_a_changed_file_again() {
    let dir = tempfile::tempdir().expect("prm dir");
    let file = dir.path().join("PrmImport.csv");
    // Far ahead and long: the statuses apply while the test runs, whatever today is.
    let german = "ID;Client;Status;Activity;StartTime;EndTime;Info;Caption;CallForward;SetBy\r\n\
        0;schmidt;8;0;2020-01-01 08:00;2099-12-31 18:00;Außer Haus;Caption;105;Outlook-Calendar\r\n\
        1;nobody;6;0;;;Meeting;Caption;;Outlook-Calendar\r\n\
        2;100;13;0;;;;;;\r\n\
        3;100;4;0;2020-01-01 14:00;gestern;Yoga;Caption;dnd;Outlook-Calendar\r\n\
        4;100;4;0;;2099-04-31 10:00;Yoga;Caption;dnd;Outlook-Calendar\r\n";
    std::fs::write(&file, code_page(german, false)).expect("write");
    let w = world(&format!(
        "presence_block=[presence]\\nimport = \"{}\"\\nimport_interval_min = 1",
        file.display()
    ));
    w.svc.wait_log("presence import read", 1);

    let mut admin = Browser::new(w.svc.client(), w.svc.lan_https);
    assert_eq!(admin.login("120", "secret-120").status, 303);
    let page = admin.get("/admin/presence").body;
    assert!(page.contains("Applied: 1"), "{page}");
    for (line, words) in
        [("3", "no such client"), ("4", "not a number from 0 to 11"), ("5", "end time"), ("6", "end time")]
    {
        let row = page
            .split("<tr")
            .find(|r| r.contains(&format!("<td>{line}</td>")))
            .unwrap_or_else(|| panic!("line {line} is not reported: {page}"));
        assert!(row.to_lowercase().contains(words), "line {line}: {row}");
    }
    // Schmidt (101 by his e-mail's login name) is out of the house, calls go to 105.
    let mut piotr = Browser::new(w.svc.client(), w.svc.lan_https);
    assert_eq!(piotr.login("101", "secret-101").status, 303);
    let own = piotr.get("/presence").body;
    assert_eq!(state_on_page(&own), "ext_work");
    assert!(own.contains("Außer Haus") && own.contains("Outlook-Calendar"), "{own}");
    assert_eq!(w.sim.with(|ex| ex.program("101").and_then(|p| p.forward_always.clone())), Some("105".into()));
    // Nothing else changed: 100 shows what it showed.
    let mut anna = Browser::new(w.svc.client(), w.svc.lan_https);
    assert_eq!(anna.login("100", "secret-100").status, 303);
    assert_eq!(state_on_page(&anna.get("/presence").body), "available");

    // The calendar writes the file again, in Polish: Schmidt's line is gone,
    // Anna (by her login name) is on holiday.
    let polish = "ID;Client;Status;Activity;StartTime;EndTime;Info;Caption;CallForward;SetBy\r\n\
        7;anna.nowak;10;0;2020-01-01 00:00;2099-12-31 23:59;Urlop nad Bałtykiem, wracam w poniedziałek;;;Kalendarz\r\n";
    std::fs::write(&file, code_page(polish, true)).expect("write again");
    let r = admin.post("/admin/presence/read", &[]);
    assert_eq!(r.status, 200, "{}", r.body);
    assert!(r.body.contains("Applied: 1") && !r.body.contains("<td>3</td>"), "{}", r.body);
    let anna_page = anna.get("/presence").body;
    assert_eq!(state_on_page(&anna_page), "holiday");
    assert!(anna_page.contains("Urlop nad Bałtykiem"), "{anna_page}");
    assert_eq!(state_on_page(&piotr.get("/presence").body), "available");
    assert_eq!(w.sim.with(|ex| ex.program("101").and_then(|p| p.forward_always.clone())), None);
    drop(w.dir);
}
