//! Forwarding and services end to end (SPEC W8, W9, Y1): the subscriber sets them
//! on the web page, the service stores them and programs the simulated core over
//! the wire protocol; a call placed in the simulator lands where the setting
//! says, and the "why would my phone ring?" preview predicts the same place.

mod support;

use support::portal::{seeded_db, Browser, T0};
use support::Service;
use webcti::hal::proto::CallId;
use webcti::sim::{demo, Clock, Ending, Sim};

const MOBILE: &str = "0600100100";

struct World {
    _dir: tempfile::TempDir,
    sim: Sim,
    svc: Service,
    _stop: webcti::shutdown::Trigger,
}

fn world() -> World {
    world_with("")
}

/// The world, with `sql` run on the store before the service starts (what an
/// administrator would have set).
fn world_with(sql: &str) -> World {
    let dir = tempfile::tempdir().expect("tempdir");
    let data = dir.path().join("data");
    seeded_db(&data);
    let db = rusqlite::Connection::open(data.join("webcti.db")).expect("db");
    db.execute("UPDATE extension SET mobile_number = ?1 WHERE number = '100'", [MOBILE]).expect("mobile");
    db.execute_batch(sql).expect("setup");
    drop(db);
    let sim = Sim::new(demo::plan(), Clock::Manual, T0);
    sim.with(|ex| ex.set_time_zone("Europe/Warsaw")).expect("zone");
    let sock = dir.path().join("core.sock");
    let trigger = support::simulator(&sim, &sock);
    let svc = Service::start(dir.path(), &format!("link=unix:{}", sock.display()));
    svc.wait_log("core link up", 1);
    World { _dir: dir, sim, svc, _stop: trigger }
}

/// The whole forwarding form with nothing set, changed by `set`.
fn post_forwarding(b: &mut Browser, set: &[(&str, &str)]) -> support::client::Response {
    let mut fields: Vec<(&str, &str)> =
        vec![("no_answer_secs", "20"), ("voicemail", "1"), ("announcement", "0")];
    for (k, v) in set {
        fields.retain(|(f, _)| f != k || k.starts_with("rule_"));
        if !v.is_empty() {
            fields.push((k, v));
        }
    }
    let rules = fields.iter().filter(|(k, _)| k.ends_with("_kind")).count().to_string();
    fields.push(("rules", &rules));
    b.get("/forwarding");
    let r = b.post("/forwarding", &fields);
    assert_eq!(r.status, 200, "{}", r.body);
    assert!(r.body.contains("Saved, and the exchange has it."), "{}", r.body);
    r
}

/// Where a call is now, in the preview's words: "ring" (100 rings), "to:N"
/// (forwarded or followed to N, ringing there), or how it ended.
fn landed(sim: &Sim, id: CallId) -> String {
    if let Some(e) = sim.with(|ex| ex.ending(id)) {
        return match e {
            Ending::Voicemail(_) => "voicemail".into(),
            Ending::FaxToMail(_) => "fax_to_mail".into(),
            Ending::Announcement(a) => format!("announcement:{a}"),
            Ending::BusyTone => "busy".into(),
            Ending::NoAnswer => "missed".into(),
            other => format!("{other:?}"),
        };
    }
    let (_, ringing) = sim.with(|ex| ex.call_parties(id)).expect("call");
    if ringing == ["100"] {
        "ring".into()
    } else {
        format!("to:{}", ringing.join(","))
    }
}

fn preview_code(code: &str) -> String {
    match code.split_once(':') {
        Some(("forward" | "follow", n)) => format!("to:{n}"),
        _ => code.to_owned(),
    }
}

/// The preview for a call, as (arrival, after no answer).
fn preview(b: &mut Browser, caller: &str, number: &str, withheld: bool) -> (String, String) {
    let path = format!(
        "/forwarding?caller={caller}&number={number}&withheld={}&line=now",
        if withheld { "1" } else { "" }
    );
    let page = b.get(&path).body;
    let attr = |name: &str| {
        let at = page.find(&format!("{name}=\"")).unwrap_or_else(|| panic!("no {name} in {page}"));
        let rest = &page[at + name.len() + 2..];
        rest[..rest.find('"').expect("quote")].to_owned()
    };
    (preview_code(&attr("data-arrival")), preview_code(&attr("data-no-answer")))
}

#[derive(Clone, Copy)]
enum Caller {
    External,
    Withheld,
    Internal,
}

#[derive(Clone, Copy, PartialEq)]
enum Line {
    Free,
    Busy,
    Unreachable,
}

/// Places the call, checks where it lands against the preview (on arrival and,
/// if it rings, after the no-answer time), and clears everything up.
fn check(w: &World, b: &mut Browser, name: &str, caller: Caller, line: Line, expect: (&str, &str)) {
    let sim = &w.sim;
    match line {
        Line::Busy => {
            sim.with(|ex| ex.dial("100", "104")).expect("100 busy on a call");
        }
        Line::Unreachable => sim.with(|ex| ex.set_reachable("100", false)).expect("unplug"),
        Line::Free => {}
    }
    let (kind, number, withheld) = match caller {
        Caller::External => ("external", "0221234567", false),
        Caller::Withheld => ("external", "", true),
        Caller::Internal => ("internal", "107", false),
    };
    let predicted = preview(b, kind, number, withheld);
    let id = match caller {
        Caller::Internal => sim.with(|ex| ex.dial("107", "100")),
        _ => sim.with(|ex| ex.incoming(number, "100")),
    }
    .expect("call placed");
    let arrival = landed(sim, id);
    let after = if arrival == "ring" {
        sim.advance(21);
        landed(sim, id)
    } else {
        String::new()
    };
    assert_eq!((arrival.as_str(), after.as_str()), expect, "{name}: where the call went");
    assert_eq!(predicted, (arrival, after), "{name}: the preview predicts the same");
    // Clean up: end what is still going on.
    let _ = sim.with(|ex| match caller {
        Caller::Internal => ex.hang_up("107"),
        _ => ex.hang_up_external(number),
    });
    let _ = sim.with(|ex| ex.hang_up("100"));
    let _ = sim.with(|ex| ex.set_reachable("100", true));
    assert!(sim.with(|ex| ex.calls_of("100")).is_empty(), "{name}: 100 is free again");
}

#[test]
fn every_forwarding_kind_lands_where_the_preview_says() {
    let w = world();
    let mut b = Browser::new(w.svc.client(), w.svc.lan_https);
    assert_eq!(b.login("100", "secret-100").status, 303);
    // Busy must mean busy: call waiting off (a service).
    b.get("/services");
    let r = b.post("/services", &[("clir", "")]);
    assert!(r.body.contains("Saved, and the exchange has it."), "{}", r.body);
    assert!(!w.sim.with(|ex| ex.program("100").expect("program").call_waiting));

    use Caller::*;
    use Line::*;
    post_forwarding(&mut b, &[]);
    check(&w, &mut b, "nothing set", External, Free, ("ring", "voicemail"));
    check(&w, &mut b, "busy, voicemail", External, Busy, ("voicemail", ""));
    post_forwarding(&mut b, &[("voicemail", "")]);
    check(&w, &mut b, "no voicemail", External, Free, ("ring", "missed"));
    check(&w, &mut b, "busy, no voicemail", External, Busy, ("busy", ""));
    check(&w, &mut b, "unreachable, nothing set", External, Unreachable, ("missed", ""));
    post_forwarding(&mut b, &[("forward_always", "0221 765 432")]);
    check(&w, &mut b, "always to a number", External, Free, ("to:0221765432", ""));
    post_forwarding(&mut b, &[("forward_busy", "101")]);
    check(&w, &mut b, "when busy", Internal, Busy, ("to:101", ""));
    check(&w, &mut b, "when busy, but free", Internal, Free, ("ring", "voicemail"));
    post_forwarding(&mut b, &[("forward_no_answer", "101"), ("no_answer_secs", "10")]);
    check(&w, &mut b, "on no answer", External, Free, ("ring", "to:101"));
    post_forwarding(&mut b, &[("forward_unreachable", "0600 999 999")]);
    check(&w, &mut b, "when unreachable", External, Unreachable, ("to:0600999999", ""));
    post_forwarding(&mut b, &[("mobile_on_no_answer", "1")]);
    check(&w, &mut b, "MobilePhone on no answer", External, Free, ("ring", &format!("to:{MOBILE}")));
    post_forwarding(&mut b, &[("mobile_on_unreachable", "1")]);
    check(&w, &mut b, "MobilePhone when unreachable", External, Unreachable, (&format!("to:{MOBILE}"), ""));
    post_forwarding(&mut b, &[("dnd", "1"), ("announcement", "3")]);
    check(&w, &mut b, "DND with an announcement", External, Free, ("announcement:3", ""));
    post_forwarding(&mut b, &[("dnd", "1"), ("announcement", "1"), ("mobile_on_dnd", "1")]);
    check(&w, &mut b, "MobilePhone on DND", External, Free, (&format!("to:{MOBILE}"), ""));
    post_forwarding(&mut b, &[("follow_me", "101")]);
    check(&w, &mut b, "I am here", External, Free, ("to:101", ""));
}

/// One advanced rule (or two) and the calls that tell its dimensions apart.
#[test]
fn advanced_rules_by_when_which_calls_presentation_and_target() {
    let w = world();
    let mut b = Browser::new(w.svc.client(), w.svc.lan_https);
    assert_eq!(b.login("100", "secret-100").status, 303);
    b.get("/services");
    b.post("/services", &[]);
    use Caller::*;
    use Line::*;
    let rule = |i: usize,
                when: &'static str,
                calls: &'static str,
                pres: &'static str,
                kind: &'static str,
                to: &'static str| {
        let k = |f: &str| -> &'static str { Box::leak(format!("rule_{i}_{f}").into_boxed_str()) };
        vec![
            (k("active"), "1"),
            (k("when"), when),
            (k("calls"), calls),
            (k("presentation"), pres),
            (k("kind"), kind),
            (k("target"), to),
        ]
    };
    // Which calls.
    post_forwarding(&mut b, &rule(0, "always", "external", "any", "number", "0600111222"));
    check(&w, &mut b, "external rule, external call", External, Free, ("to:0600111222", ""));
    check(&w, &mut b, "external rule, internal call", Internal, Free, ("ring", "voicemail"));
    post_forwarding(&mut b, &rule(0, "always", "internal", "any", "voicemail", ""));
    check(&w, &mut b, "internal rule, internal call", Internal, Free, ("voicemail", ""));
    check(&w, &mut b, "internal rule, external call", External, Free, ("ring", "voicemail"));
    // Presentation.
    post_forwarding(&mut b, &rule(0, "always", "all", "withheld", "fax_to_mail", ""));
    check(&w, &mut b, "withheld rule, withheld call", Withheld, Free, ("fax_to_mail", ""));
    check(&w, &mut b, "withheld rule, presented call", External, Free, ("ring", "voicemail"));
    post_forwarding(&mut b, &rule(0, "always", "all", "presented", "number", "102"));
    check(&w, &mut b, "presented rule, presented call", External, Free, ("to:102", ""));
    check(&w, &mut b, "presented rule, withheld call", Withheld, Free, ("ring", "voicemail"));
    // When.
    post_forwarding(&mut b, &rule(0, "busy", "all", "any", "number", "101"));
    check(&w, &mut b, "busy rule, busy", External, Busy, ("to:101", ""));
    check(&w, &mut b, "busy rule, free", External, Free, ("ring", "voicemail"));
    post_forwarding(
        &mut b,
        &[rule(0, "no_answer", "all", "any", "fax_to_mail", ""), vec![("voicemail", "")]].concat(),
    );
    check(&w, &mut b, "no-answer rule", External, Free, ("ring", "fax_to_mail"));
    post_forwarding(&mut b, &rule(0, "unreachable", "all", "any", "number", "0600333444"));
    check(&w, &mut b, "unreachable rule", External, Unreachable, ("to:0600333444", ""));
    post_forwarding(
        &mut b,
        &[
            rule(0, "dnd", "external", "any", "number", "0600555666"),
            vec![("dnd", "1"), ("announcement", "2")],
        ]
        .concat(),
    );
    check(&w, &mut b, "DND rule, external call", External, Free, ("to:0600555666", ""));
    check(&w, &mut b, "DND rule, internal call", Internal, Free, ("announcement:2", ""));
    // Active or not.
    let mut off = rule(0, "always", "all", "any", "number", "101");
    off.retain(|(k, _)| !k.ends_with("_active"));
    post_forwarding(&mut b, &off);
    check(&w, &mut b, "inactive rule", External, Free, ("ring", "voicemail"));
    // Order: the first matching rule decides; moving it down changes that.
    let two = [
        rule(0, "always", "external", "any", "number", "0600777888"),
        rule(1, "always", "all", "any", "number", "101"),
    ]
    .concat();
    post_forwarding(&mut b, &two);
    check(&w, &mut b, "first rule", External, Free, ("to:0600777888", ""));
    check(&w, &mut b, "second rule", Internal, Free, ("to:101", ""));
    post_forwarding(&mut b, &[two.clone(), vec![("move", "down:0")]].concat());
    check(&w, &mut b, "after moving", External, Free, ("to:101", ""));
}

#[test]
fn bad_forwarding_is_refused_and_changes_nothing() {
    let w = world();
    let mut b = Browser::new(w.svc.client(), w.svc.lan_https);
    assert_eq!(b.login("100", "secret-100").status, 303);
    post_forwarding(&mut b, &[("forward_always", "0221 765 432")]);
    let before = w.sim.with(|ex| ex.program("100").cloned());
    for (fields, message) in [
        (vec![("forward_busy", "call me")], "not a phone number"),
        (vec![("forward_always", "100")], "your own extension"),
        (vec![("follow_me", "999")], "needs an extension of this exchange"),
        (vec![("no_answer_secs", "3")], "between 5 and 120"),
        (vec![("dnd", "1"), ("announcement", "77")], "one of the exchange"),
        (
            vec![
                ("rule_0_kind", "number"),
                ("rule_0_when", "always"),
                ("rule_0_calls", "all"),
                ("rule_0_presentation", "any"),
                ("rules", "1"),
            ],
            "needs the number",
        ),
        (
            vec![
                ("rule_0_kind", "number"),
                ("rule_0_when", "sometimes"),
                ("rule_0_calls", "all"),
                ("rule_0_presentation", "any"),
                ("rule_0_target", "101"),
                ("rules", "1"),
            ],
            "could not be read",
        ),
    ] {
        b.get("/forwarding");
        let mut all = vec![("no_answer_secs", "20"), ("announcement", "0")];
        all.retain(|(k, _)| !fields.iter().any(|(f, _)| f == k));
        all.extend(fields);
        let r = b.post("/forwarding", &all);
        assert_eq!(r.status, 422, "{message}");
        assert!(r.body.contains(message), "{message}: {}", r.body);
    }
    assert_eq!(w.sim.with(|ex| ex.program("100").cloned()), before, "the core kept its program");
    assert!(b.get("/forwarding").body.contains("value=\"0221765432\""), "the stored setting is unchanged");
    // Without a MobilePhone number: a clear message, and the fallbacks are refused.
    let mut piotr = Browser::new(w.svc.client(), w.svc.lan_https);
    assert_eq!(piotr.login("101", "secret-101").status, 303);
    let page = piotr.get("/forwarding").body;
    assert!(page.contains("No MobilePhone number is set for you"), "{page}");
    let r = piotr.post("/forwarding", &[("no_answer_secs", "20"), ("mobile_on_no_answer", "1")]);
    assert_eq!(r.status, 422);
    // A cross-origin POST changes nothing.
    let csrf = b.csrf.clone();
    let r = b.post_as(
        "/forwarding",
        &[("no_answer_secs", "20"), ("forward_always", "0600666666")],
        "https://evil.example",
        &csrf,
    );
    assert_eq!(r.status, 403);
    assert_eq!(w.sim.with(|ex| ex.program("100").cloned()), before);
}

#[test]
fn services_are_programmed_and_the_exchange_honours_them() {
    let w = world();
    let mut b = Browser::new(w.svc.client(), w.svc.lan_https);
    assert_eq!(b.login("100", "secret-100").status, 303);
    // Phone lock: no outgoing call, from the phone or by click-to-dial.
    b.get("/services");
    let r = b.post("/services", &[("phone_lock", "1"), ("call_waiting", "1")]);
    assert!(r.body.contains("Saved, and the exchange has it."), "{}", r.body);
    assert_eq!(w.sim.with(|ex| ex.dial("100", "0221234567")), Err(webcti::hal::ErrorKind::Restricted));
    b.get("/start");
    let r = b.post("/call", &[("number", "0221234567"), ("mode", "extension")]);
    assert_eq!(r.header("location"), Some("/start?error=restricted"));
    // Call-as and CLIR: what the called party is shown.
    let mut piotr = Browser::new(w.svc.client(), w.svc.lan_https);
    assert_eq!(piotr.login("101", "secret-101").status, 303);
    let withheld_before = piotr.get("/history?type=missed").body.matches("<td>—</td>").count();
    let mut live = piotr.client.events(w.svc.lan_https, "/events", &piotr.cookie_header()).expect("stream");
    assert!(live.wait_for("text/event-stream", std::time::Duration::from_secs(30)));
    b.get("/services");
    b.post("/services", &[("call_as", "0221 99 88 77"), ("call_waiting", "1")]);
    w.sim.with(|ex| ex.dial("100", "101")).expect("call");
    w.sim.with(|ex| ex.hang_up("100")).expect("hang up");
    b.get("/services");
    b.post("/services", &[("clir", "1"), ("call_waiting", "1")]);
    w.sim.with(|ex| ex.dial("100", "101")).expect("call");
    w.sim.with(|ex| ex.hang_up("100")).expect("hang up");
    // The records reach the store (and 101's live stream) in the intake's next batch.
    let wait = std::time::Duration::from_secs(60);
    assert!(live.wait_for("\"peer\":\"0221998877\"", wait), "{}", live.seen);
    assert!(live.wait_for("\"withheld\":true", wait), "{}", live.seen);
    let history = piotr.get("/history?type=missed").body;
    assert!(history.contains("0221998877"), "101 saw the call-as number: {history}");
    assert!(history.matches("<td>—</td>").count() > withheld_before, "101 saw a withheld number: {history}");
    // Wake-up: at 06:30 Warsaw time the exchange rings the extension.
    b.get("/services");
    let r = b.post("/services", &[("wakeup", "06:30"), ("call_waiting", "1")]);
    assert!(r.body.contains("value=\"06:30\""), "{}", r.body);
    assert!(r.body.contains("Europe/Warsaw"));
    let warsaw = jiff::tz::TimeZone::get("Europe/Warsaw").expect("zone");
    let now = jiff::Timestamp::from_second(w.sim.with(|ex| ex.now())).expect("now").to_zoned(warsaw);
    let mut at = now.with().hour(6).minute(30).second(0).build().expect("06:30");
    if at <= now {
        at = at.tomorrow().expect("tomorrow");
    }
    let secs = at.timestamp().as_second() - now.timestamp().as_second();
    w.sim.advance(secs - 61);
    assert!(w.sim.with(|ex| ex.calls_of("100")).is_empty(), "not yet");
    w.sim.advance(61);
    assert_eq!(
        w.sim.with(|ex| ex.line_state("100")),
        Some(webcti::hal::proto::LineState::Ringing),
        "the wake-up call rings"
    );
    // Account recall: the PIN is kept as a hash, never shown.
    b.get("/services");
    let r = b.post("/services", &[("recall_account", "4711"), ("call_waiting", "1")]);
    assert_eq!(r.status, 422);
    assert!(r.body.contains("An account needs a PIN."));
    let r = b.post("/services", &[("recall_account", "4711"), ("recall_pin", "2468"), ("call_waiting", "1")]);
    assert!(
        r.body.contains("value=\"4711\"") && r.body.contains("set; leave empty to keep it"),
        "{}",
        r.body
    );
    assert!(!r.body.contains("2468"));
}

#[test]
fn a_restricted_extension_cannot_forward_or_call_back_outside() {
    let w = world_with(
        "INSERT INTO extension_services (extension, restriction, updated_at) VALUES ('100', 'internal', 0)
         ON CONFLICT (extension) DO UPDATE SET restriction = 'internal';",
    );
    let mut b = Browser::new(w.svc.client(), w.svc.lan_https);
    assert_eq!(b.login("100", "secret-100").status, 303);
    let before = w.sim.with(|ex| ex.program("100").cloned());
    let refused = "may not call that number";
    let base = [("no_answer_secs", "20"), ("voicemail", "1"), ("announcement", "0"), ("rules", "0")];
    let with = |extra: &[(&'static str, &'static str)]| {
        let mut f: Vec<(&str, &str)> = base.to_vec();
        f.retain(|(k, _)| !extra.iter().any(|(e, _)| e == k));
        f.extend_from_slice(extra);
        f
    };
    for (what, fields) in [
        ("always", with(&[("forward_always", "0900 123 456")])),
        ("busy", with(&[("forward_busy", "+44 20 1234 5678")])),
        ("no answer", with(&[("forward_no_answer", "0601234567")])),
        ("unreachable", with(&[("forward_unreachable", "0601234567")])),
        ("MobilePhone on no answer", with(&[("mobile_on_no_answer", "1")])),
        (
            "a rule",
            with(&[
                ("rules", "1"),
                ("rule_0_active", "1"),
                ("rule_0_when", "busy"),
                ("rule_0_calls", "all"),
                ("rule_0_presentation", "any"),
                ("rule_0_kind", "number"),
                ("rule_0_target", "00441234567"),
            ]),
        ),
    ] {
        b.get("/forwarding");
        let r = b.post("/forwarding", &fields);
        assert_eq!(r.status, 422, "{what}: {}", r.body);
        assert!(r.body.contains(refused), "{what}: {}", r.body);
    }
    assert_eq!(w.sim.with(|ex| ex.program("100").cloned()), before, "the exchange kept its program");
    // Internal targets are fine; follow-me goes to an extension anyway.
    post_forwarding(&mut b, &[("forward_busy", "107"), ("follow_me", "101")]);
    // Click-to-call with the MobilePhone first would dial the mobile: refused.
    b.get("/start");
    let r = b.post("/call", &[("number", "101"), ("mode", "mobile")]);
    assert_eq!(r.header("location"), Some("/start?error=restricted"));
    let r = b.post("/call", &[("number", "0221234567"), ("mode", "extension")]);
    assert_eq!(r.header("location"), Some("/start?error=restricted"));
}

#[test]
fn the_journal_says_who_changed_what() {
    let w = world();
    let mut b = Browser::new(w.svc.client(), w.svc.lan_https);
    assert_eq!(b.login("100", "secret-100").status, 303);
    assert!(b.get("/journal").body.contains("Nothing has been changed yet."));
    post_forwarding(&mut b, &[("forward_busy", "101")]);
    b.get("/services");
    b.post(
        "/services",
        &[("phone_lock", "1"), ("call_waiting", "1"), ("recall_account", "4711"), ("recall_pin", "1234")],
    );
    b.get("/password");
    let r = b.post(
        "/password",
        &[("current", "secret-100"), ("new", "another-secret"), ("repeat", "another-secret")],
    );
    assert!(r.body.contains("changed"), "{}", r.body);
    let page = b.get("/journal");
    assert_eq!(page.status, 200);
    let body = page.body;
    let rows: Vec<&str> = body.split("<tr>").skip(2).collect();
    let row =
        |what: &str| rows.iter().find(|r| r.contains(what)).unwrap_or_else(|| panic!("{what} in {body}"));
    let busy = row("Forward to a number: When busy");
    assert!(
        busy.contains("<td>100</td>") && busy.contains("WebCTI") && busy.contains("<td>101</td>"),
        "{busy}"
    );
    let lock = row("Phone lock");
    assert!(lock.contains("<td>off</td><td>on</td>"), "{lock}");
    assert!(row("Account recall: Account number").contains("<td>4711</td>"));
    let pin = row("Account recall: PIN");
    assert!(pin.contains("set (not shown)") && !pin.contains("1234"), "{pin}");
    let password = row("<td>Password</td>");
    assert!(password.contains("set (not shown)") && !password.contains("another-secret"), "{password}");
    // Newest first: the password came last.
    assert!(body.find("<td>Password</td>") < body.find("Phone lock"), "{body}");
    // Another subscriber's journal is his own.
    let mut piotr = Browser::new(w.svc.client(), w.svc.lan_https);
    assert_eq!(piotr.login("101", "secret-101").status, 303);
    assert!(piotr.get("/journal").body.contains("Nothing has been changed yet."));
}

#[test]
fn a_service_code_keyed_in_at_the_phone_is_stored_and_journaled_as_from_the_phone() {
    let w = world_with(
        "INSERT INTO extension_services (extension, restriction, updated_at) VALUES ('101', 'internal', 0)
         ON CONFLICT (extension) DO UPDATE SET restriction = 'internal';",
    );
    w.sim.with(|ex| ex.key_in("100", "*21*0221555123#")).expect("the exchange takes the code");
    w.svc.wait_log("forwarding changed at the phone", 1);
    let mut b = Browser::new(w.svc.client(), w.svc.lan_https);
    assert_eq!(b.login("100", "secret-100").status, 303);
    let page = b.get("/forwarding").body;
    assert!(page.contains("value=\"0221555123\""), "the page shows what the phone set: {page}");
    let journal = b.get("/journal").body;
    let row = journal
        .split("<tr>")
        .find(|r| r.contains("Forward to a number: Always"))
        .unwrap_or_else(|| panic!("{journal}"));
    assert!(row.contains("the phone") && row.contains("<td>0221555123</td>"), "{row}");

    w.sim.with(|ex| ex.key_in("100", "*26#")).expect("DND on");
    w.sim.with(|ex| ex.key_in("100", "#21#")).expect("forwarding off");
    w.svc.wait_log("forwarding changed at the phone", 3);
    let page = b.get("/forwarding").body;
    assert!(page.contains("id=\"dnd-on\" checked") && !page.contains("value=\"0221555123\""), "{page}");
    // The store is the truth the core is programmed from: what the phone set stays.
    let held = w.sim.with(|ex| ex.program("100").cloned()).expect("program");
    assert_eq!((held.dnd, held.forward_always), (Some(0), None));

    // 101 may call inside only: the exchange refuses his forwarding outside, and nothing changes.
    assert_eq!(w.sim.with(|ex| ex.key_in("101", "*21*0221555123#")), Err(webcti::hal::ErrorKind::Restricted));
    assert_eq!(w.sim.with(|ex| ex.key_in("101", "*21*oops#")), Err(webcti::hal::ErrorKind::InvalidNumber));
    let theirs = w.sim.with(|ex| ex.program("101").cloned()).expect("program");
    assert_eq!(theirs.forward_always, None);
}
