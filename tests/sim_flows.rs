//! One test per call flow of the simulated exchange, checking what a subscriber
//! would see: the line states along the way and the call records at the end.
//! Time is the simulator's manual clock.

use webcti::domain::cdr::{Cdr, Direction, Disposition, HistoryKind};
use webcti::domain::program::{
    ExtensionProgram, ForwardRule, Restriction, RuleCalls, RulePresentation, RuleTarget, RuleWhen,
};
use webcti::hal::proto::{Command, ErrorKind, Event, LineState, Reply};
use webcti::sim::{Clock, Plan, Sim, SimExtension};

const T0: i64 = 1_800_000_000;

struct World {
    sim: Sim,
    events: tokio::sync::broadcast::Receiver<webcti::hal::CoreEvent>,
}

fn world() -> World {
    let extensions =
        (100..=105).map(|n| SimExtension { number: n.to_string(), name: format!("Ext {n}") }).collect();
    let plan = Plan {
        extensions,
        groups: vec![("600".into(), vec!["101".into(), "102".into(), "103".into()])],
        voicemail: "800".into(),
        outside_prefix: "0".into(),
    };
    let sim = Sim::new(plan, Clock::Manual, T0);
    let events = sim.subscribe();
    World { sim, events }
}

impl World {
    fn state(&self, ext: &str) -> LineState {
        self.sim.with(|ex| ex.line_state(ext)).expect("known line")
    }
    fn program(&self, ext: &str, f: impl FnOnce(&mut ExtensionProgram)) {
        let mut p = self.sim.with(|ex| ex.program(ext).cloned()).expect("program");
        f(&mut p);
        assert_eq!(
            self.sim.command(Command::Program { ext: ext.into(), program: Box::new(p.into()) }),
            Ok(Reply::Done)
        );
    }
    /// Everything recorded since the last call, in order.
    fn cdrs(&mut self) -> Vec<Cdr> {
        let mut out = Vec::new();
        while let Ok(ev) = self.events.try_recv() {
            if let Event::Cdr(c) = ev.event {
                out.push(c.into());
            }
        }
        out
    }
    fn voicemails(&mut self) -> Vec<Event> {
        let mut out = Vec::new();
        while let Ok(ev) = self.events.try_recv() {
            if matches!(ev.event, Event::VoicemailDeposited { .. }) {
                out.push(ev.event);
            }
        }
        out
    }
}

fn one(cdrs: &[Cdr], ext: &str) -> Cdr {
    let mine: Vec<&Cdr> = cdrs.iter().filter(|c| c.extension == ext).collect();
    assert_eq!(mine.len(), 1, "one record for {ext} in {cdrs:#?}");
    mine[0].clone()
}

#[test]
fn internal_call_answered() {
    let mut w = world();
    w.sim.with(|ex| ex.dial("100", "101")).expect("dial");
    assert_eq!(w.state("100"), LineState::Dialling);
    assert_eq!(w.state("101"), LineState::Ringing);
    w.sim.with(|ex| ex.answer("101")).expect("answer");
    assert_eq!((w.state("100"), w.state("101")), (LineState::Busy, LineState::Busy));
    w.sim.advance(95);
    w.sim.with(|ex| ex.hang_up("100")).expect("hang up");
    assert_eq!((w.state("100"), w.state("101")), (LineState::Idle, LineState::Idle));
    let cdrs = w.cdrs();
    let a = one(&cdrs, "100");
    assert_eq!(
        (a.direction, a.disposition, a.peer.as_str(), a.talk_secs, a.external),
        (Direction::Outgoing, Disposition::Answered, "101", 95, false)
    );
    let b = one(&cdrs, "101");
    assert_eq!(
        (b.direction, b.disposition, b.peer.as_str(), b.talk_secs),
        (Direction::Incoming, Disposition::Answered, "100", 95)
    );
    assert_ne!(a.core_id, b.core_id);
}

#[test]
fn incoming_external_call_answered() {
    let mut w = world();
    w.sim.with(|ex| ex.incoming("0221234567", "102")).expect("incoming");
    assert_eq!(w.state("102"), LineState::Ringing);
    w.sim.advance(4);
    w.sim.with(|ex| ex.answer("102")).expect("answer");
    w.sim.advance(30);
    w.sim.with(|ex| ex.hang_up_external("0221234567")).expect("caller hangs up");
    let c = one(&w.cdrs(), "102");
    assert_eq!(
        (c.direction, c.disposition, c.external, c.ring_secs, c.talk_secs),
        (Direction::Incoming, Disposition::Answered, true, 4, 30)
    );
    assert_eq!(c.peer, "0221234567");
}

#[test]
fn outgoing_external_call() {
    let mut w = world();
    w.sim.with(|ex| ex.dial("103", "0612345678")).expect("dial out");
    w.sim.with(|ex| ex.answer_external("0612345678")).expect("far end answers");
    w.sim.advance(12);
    w.sim.with(|ex| ex.hang_up("103")).expect("hang up");
    let c = one(&w.cdrs(), "103");
    assert_eq!(
        (c.direction, c.disposition, c.external, c.talk_secs),
        (Direction::Outgoing, Disposition::Answered, true, 12)
    );
}

#[test]
fn busy_line() {
    let mut w = world();
    w.sim.with(|ex| ex.incoming("0221111111", "101")).expect("first call");
    w.sim.with(|ex| ex.answer("101")).expect("answer");
    w.sim.with(|ex| ex.dial("100", "101")).expect("second call");
    assert_eq!(w.state("100"), LineState::Idle, "the caller heard busy and the call ended");
    let cdrs = w.cdrs();
    assert_eq!(one(&cdrs, "100").disposition, Disposition::Busy);
    let b = one(&cdrs, "101");
    assert_eq!((b.disposition, b.kind()), (Disposition::Busy, HistoryKind::Missed));
}

#[test]
fn no_answer_after_the_timeout_is_missed() {
    let mut w = world();
    w.sim.with(|ex| ex.incoming("0601000000", "104")).expect("incoming");
    w.sim.advance(19);
    assert_eq!(w.state("104"), LineState::Ringing);
    w.sim.advance(1);
    assert_eq!(w.state("104"), LineState::Idle);
    let c = one(&w.cdrs(), "104");
    assert_eq!((c.disposition, c.kind(), c.ring_secs), (Disposition::Missed, HistoryKind::Missed, 20));
}

#[test]
fn unconditional_forwarding() {
    let mut w = world();
    w.program("101", |p| p.forward_always = Some("102".into()));
    w.sim.with(|ex| ex.incoming("0221234567", "101")).expect("incoming");
    assert_eq!((w.state("101"), w.state("102")), (LineState::Idle, LineState::Ringing));
    w.sim.with(|ex| ex.answer("102")).expect("answer");
    w.sim.with(|ex| ex.hang_up("102")).expect("hang up");
    let cdrs = w.cdrs();
    let first = one(&cdrs, "101");
    assert_eq!(
        (first.disposition, first.answered_by.as_deref()),
        (Disposition::AnsweredElsewhere, Some("102"))
    );
    assert_eq!(one(&cdrs, "102").disposition, Disposition::Answered);
}

#[test]
fn forwarding_when_busy() {
    let w = world();
    w.program("101", |p| p.forward_busy = Some("0699000000".into()));
    w.sim.with(|ex| ex.dial("101", "102")).expect("101 is busy");
    let id = w.sim.with(|ex| ex.incoming("0221234567", "101")).expect("incoming");
    let (_, b) = w.sim.with(|ex| ex.call_parties(id)).expect("the forwarded call");
    assert_eq!(b, vec!["0699000000".to_owned()], "forwarded out over a trunk");
}

#[test]
fn forwarding_on_no_answer() {
    let mut w = world();
    w.program("101", |p| {
        p.forward_no_answer = Some("103".into());
        p.no_answer_secs = 10
    });
    w.sim.with(|ex| ex.incoming("0221234567", "101")).expect("incoming");
    w.sim.advance(10);
    assert_eq!((w.state("101"), w.state("103")), (LineState::Idle, LineState::Ringing));
    w.sim.with(|ex| ex.answer("103")).expect("answer");
    w.sim.with(|ex| ex.hang_up("103")).expect("hang up");
    assert_eq!(one(&w.cdrs(), "101").disposition, Disposition::AnsweredElsewhere);
}

#[test]
fn forwarding_when_unreachable_and_mobile_phone() {
    let w = world();
    w.program("104", |p| {
        p.mobile = Some("0600111222".into());
        p.mobile_on_unreachable = true
    });
    w.sim.with(|ex| ex.set_reachable("104", false)).expect("unplug");
    assert_eq!(w.state("104"), LineState::Unreachable);
    let id = w.sim.with(|ex| ex.incoming("0221234567", "104")).expect("incoming");
    assert_eq!(w.sim.with(|ex| ex.call_parties(id)).expect("call").1, vec!["0600111222".to_owned()]);
}

#[test]
fn advanced_rules_by_caller_and_presentation() {
    let mut w = world();
    w.program("102", |p| {
        p.rules = vec![
            ForwardRule {
                active: true,
                when: RuleWhen::Always,
                calls: RuleCalls::External,
                presentation: RulePresentation::Withheld,
                target: RuleTarget::Voicemail,
            },
            ForwardRule {
                active: true,
                when: RuleWhen::Always,
                calls: RuleCalls::Internal,
                presentation: RulePresentation::Any,
                target: RuleTarget::Number("105".into()),
            },
        ]
    });
    // Withheld external caller: voicemail.
    w.sim.with(|ex| ex.incoming("", "102")).expect("withheld");
    assert_eq!(w.voicemails().len(), 1);
    // Presented external caller: rings.
    w.sim.with(|ex| ex.incoming("0221234567", "102")).expect("presented");
    assert_eq!(w.state("102"), LineState::Ringing);
    w.sim.with(|ex| ex.hang_up_external("0221234567")).expect("gone");
    // Internal caller: to 105.
    w.sim.with(|ex| ex.dial("100", "102")).expect("internal");
    assert_eq!((w.state("102"), w.state("105")), (LineState::Idle, LineState::Ringing));
}

#[test]
fn dnd_plays_the_announcement_and_records_a_missed_call() {
    let mut w = world();
    w.program("103", |p| p.dnd = Some(2));
    assert_eq!(w.state("103"), LineState::Dnd);
    w.sim.with(|ex| ex.incoming("0221234567", "103")).expect("incoming");
    assert_eq!(w.state("103"), LineState::Dnd, "never rang");
    assert_eq!(one(&w.cdrs(), "103").kind(), HistoryKind::Missed);
}

#[test]
fn follow_me() {
    let mut w = world();
    w.program("100", |p| p.follow_me = Some("105".into()));
    w.sim.with(|ex| ex.dial("101", "100")).expect("dial");
    assert_eq!((w.state("100"), w.state("105")), (LineState::Idle, LineState::Ringing));
    w.sim.with(|ex| ex.answer("105")).expect("answer");
    w.sim.with(|ex| ex.hang_up("101")).expect("done");
    assert_eq!(one(&w.cdrs(), "105").disposition, Disposition::Answered);
}

#[test]
fn click_to_dial_rings_the_subscriber_first() {
    let mut w = world();
    let Reply::Call { call } =
        w.sim.command(Command::Dial { ext: "100".into(), number: "0221234567".into() }).expect("dial")
    else {
        panic!("no call")
    };
    assert_eq!(w.state("100"), LineState::Ringing, "the subscriber's own phone rings first");
    w.sim.with(|ex| ex.answer("100")).expect("subscriber answers");
    assert_eq!(w.sim.with(|ex| ex.call_parties(call)).expect("call").1, vec!["0221234567".to_owned()]);
    w.sim.with(|ex| ex.answer_external("0221234567")).expect("far end answers");
    w.sim.advance(7);
    w.sim.with(|ex| ex.hang_up("100")).expect("done");
    let c = one(&w.cdrs(), "100");
    assert_eq!((c.direction, c.disposition, c.talk_secs), (Direction::Outgoing, Disposition::Answered, 7));
}

#[test]
fn mobile_phone_first() {
    let mut w = world();
    assert_eq!(
        w.sim.command(Command::DialViaMobile { ext: "100".into(), number: "101".into() }),
        Err(ErrorKind::NoMobileNumber)
    );
    w.program("100", |p| p.mobile = Some("0600123456".into()));
    w.sim.command(Command::DialViaMobile { ext: "100".into(), number: "101".into() }).expect("dial");
    assert_eq!(w.state("100"), LineState::Idle, "the desk phone stays free");
    assert_eq!(w.state("101"), LineState::Idle, "nothing dialled before the mobile answers");
    w.sim.with(|ex| ex.answer_external("0600123456")).expect("mobile answers");
    assert_eq!(w.state("101"), LineState::Ringing);
    w.sim.with(|ex| ex.answer("101")).expect("answer");
    w.sim.with(|ex| ex.hang_up_external("0600123456")).expect("mobile hangs up");
    let cdrs = w.cdrs();
    assert_eq!(one(&cdrs, "100").disposition, Disposition::Answered);
    assert_eq!(one(&cdrs, "101").disposition, Disposition::Answered);
}

#[test]
fn pickup_of_a_ringing_colleague() {
    let mut w = world();
    w.sim.with(|ex| ex.incoming("0221234567", "101")).expect("incoming");
    assert_eq!(
        w.sim.command(Command::Pickup { ext: "102".into(), target: "101".into() }).map(|_| ()),
        Ok(())
    );
    assert_eq!((w.state("101"), w.state("102")), (LineState::Idle, LineState::Busy));
    w.sim.with(|ex| ex.hang_up("102")).expect("done");
    let cdrs = w.cdrs();
    let a = one(&cdrs, "101");
    assert_eq!((a.disposition, a.answered_by.as_deref()), (Disposition::AnsweredElsewhere, Some("102")));
    assert_eq!(one(&cdrs, "102").disposition, Disposition::Answered);
}

#[test]
fn hold_and_retrieve() {
    let w = world();
    let call = w.sim.with(|ex| ex.dial("100", "101")).expect("dial");
    w.sim.with(|ex| ex.answer("101")).expect("answer");
    w.sim.command(Command::Hold { ext: "100".into(), call }).expect("hold");
    assert_eq!(w.state("100"), LineState::Held);
    assert_eq!(
        w.sim.command(Command::Hold { ext: "100".into(), call }),
        Err(ErrorKind::NoSuchCall),
        "already held"
    );
    w.sim.command(Command::Retrieve { ext: "100".into(), call }).expect("retrieve");
    assert_eq!(w.state("100"), LineState::Busy);
}

#[test]
fn consultation_and_transfer() {
    let mut w = world();
    let call = w.sim.with(|ex| ex.incoming("0221234567", "100")).expect("incoming");
    w.sim.with(|ex| ex.answer("100")).expect("answer");
    w.sim.advance(10);
    let Reply::Call { call: consult } =
        w.sim.command(Command::Consult { ext: "100".into(), call, number: "102".into() }).expect("consult")
    else {
        panic!()
    };
    w.sim.with(|ex| ex.answer("102")).expect("colleague answers");
    w.sim.advance(5);
    w.sim.command(Command::Transfer { ext: "100".into(), held: call, active: consult }).expect("transfer");
    assert_eq!((w.state("100"), w.state("102")), (LineState::Idle, LineState::Busy));
    assert_eq!(
        w.sim.with(|ex| ex.call_parties(call)).expect("call"),
        ("0221234567".to_owned(), vec!["102".to_owned()])
    );
    w.sim.advance(60);
    w.sim.with(|ex| ex.hang_up("102")).expect("done");
    let cdrs = w.cdrs();
    let mine: Vec<&Cdr> = cdrs.iter().filter(|c| c.extension == "100").collect();
    assert_eq!(mine.len(), 2, "the consultation and the subscriber's part of the call: {cdrs:#?}");
    assert!(mine.iter().any(|c| c.direction == Direction::Incoming
        && c.disposition == Disposition::Answered
        && c.talk_secs == 15));
    let theirs: Vec<&Cdr> = cdrs.iter().filter(|c| c.extension == "102").collect();
    assert!(theirs.iter().any(|c| c.peer == "0221234567" && c.talk_secs == 60), "{theirs:#?}");
}

#[test]
fn three_party_conference() {
    let w = world();
    let call = w.sim.with(|ex| ex.dial("100", "101")).expect("dial");
    w.sim.with(|ex| ex.answer("101")).expect("answer");
    let Reply::Call { call: consult } =
        w.sim.command(Command::Consult { ext: "100".into(), call, number: "102".into() }).expect("consult")
    else {
        panic!()
    };
    w.sim.with(|ex| ex.answer("102")).expect("answer");
    w.sim
        .command(Command::Conference { ext: "100".into(), held: call, active: consult })
        .expect("conference");
    for ext in ["100", "101", "102"] {
        assert_eq!(w.state(ext), LineState::Busy, "{ext}");
    }
    let (_, b) = w.sim.with(|ex| ex.call_parties(call)).expect("call");
    assert_eq!(b, vec!["101".to_owned(), "102".to_owned()]);
}

#[test]
fn voicemail_after_no_answer() {
    let mut w = world();
    w.program("105", |p| {
        p.voicemail = true;
        p.no_answer_secs = 15
    });
    w.sim.with(|ex| ex.incoming("0221234567", "105")).expect("incoming");
    w.sim.advance(15);
    let all: Vec<Event> = std::iter::from_fn(|| w.events.try_recv().ok()).map(|e| e.event).collect();
    assert!(all.iter().any(|e| matches!(e, Event::VoicemailDeposited { ext, caller, .. } if ext == "105" && caller == "0221234567")));
    let cdr = all
        .iter()
        .find_map(|e| match e {
            Event::Cdr(c) if c.extension == "105" => Some(Cdr::from(c.clone())),
            _ => None,
        })
        .expect("cdr");
    assert_eq!((cdr.disposition, cdr.kind()), (Disposition::Voicemail, HistoryKind::Missed));
}

#[test]
fn group_call_answered_by_another_member() {
    let mut w = world();
    w.sim.with(|ex| ex.incoming("0221234567", "600")).expect("group call");
    for m in ["101", "102", "103"] {
        assert_eq!(w.state(m), LineState::Ringing, "{m}");
    }
    w.sim.with(|ex| ex.answer("102")).expect("answer");
    assert_eq!((w.state("101"), w.state("103")), (LineState::Idle, LineState::Idle));
    w.sim.with(|ex| ex.hang_up("102")).expect("done");
    let cdrs = w.cdrs();
    for m in ["101", "103"] {
        let c = one(&cdrs, m);
        assert_eq!(
            (c.kind(), c.answered_by.as_deref()),
            (HistoryKind::AnsweredElsewhere, Some("102")),
            "{m}"
        );
    }
    assert_eq!(one(&cdrs, "102").kind(), HistoryKind::Incoming);
}

#[test]
fn listening_to_voicemail_has_no_duration_shown() {
    let mut w = world();
    w.sim.with(|ex| ex.dial("101", "800")).expect("call voicemail");
    w.sim.advance(40);
    w.sim.with(|ex| ex.hang_up("101")).expect("done");
    let c = one(&w.cdrs(), "101");
    assert!(c.voicemail_listen);
    assert_eq!(c.shown_duration(), None);
}

#[test]
fn deflect_a_ringing_call() {
    let w = world();
    let call = w.sim.with(|ex| ex.incoming("0221234567", "101")).expect("incoming");
    w.sim.command(Command::Deflect { ext: "101".into(), call, number: "104".into() }).expect("deflect");
    assert_eq!((w.state("101"), w.state("104")), (LineState::Idle, LineState::Ringing));
}

#[test]
fn phone_lock_and_restrictions_stop_outgoing_calls() {
    let w = world();
    w.program("100", |p| p.phone_lock = true);
    assert_eq!(w.sim.with(|ex| ex.dial("100", "0221234567")), Err(ErrorKind::Restricted));
    w.program("101", |p| p.restriction = Restriction::NoInternational);
    // Outside line 0, then 00 for abroad.
    assert_eq!(w.sim.with(|ex| ex.dial("101", "000491234567")), Err(ErrorKind::Restricted));
    assert!(w.sim.with(|ex| ex.dial("101", "0221234567")).is_ok());
    assert_eq!(w.sim.with(|ex| ex.dial("102", "12ab")), Err(ErrorKind::InvalidNumber));
}

#[test]
fn wake_up_call_rings_at_its_time() {
    let w = world();
    let minute_now = ((T0.rem_euclid(86_400)) / 60) as u16;
    w.program("103", |p| p.wakeup = Some(minute_now + 2));
    w.sim.advance(60);
    assert_eq!(w.state("103"), LineState::Idle);
    w.sim.advance(60);
    assert_eq!(w.state("103"), LineState::Ringing);
}

#[test]
fn unacknowledged_records_are_kept_until_acknowledged() {
    let mut w = world();
    w.sim.with(|ex| ex.incoming("0221234567", "101")).expect("incoming");
    w.sim.advance(20);
    let cdrs = w.cdrs();
    assert_eq!(w.sim.with(|ex| ex.unacked_cdrs()), cdrs);
    w.sim.with(|ex| ex.ack(&[cdrs[0].core_id]));
    assert!(w.sim.with(|ex| ex.unacked_cdrs()).is_empty());
}

#[test]
fn the_exchange_does_not_forward_where_the_extension_may_not_call() {
    use webcti::sim::Ending;
    let w = world();
    // Internal only: forwarding outside, by any road, is refused when the call comes.
    w.program("100", |p| {
        p.restriction = Restriction::InternalOnly;
        p.forward_always = Some("0900123456".into());
    });
    let call = w.sim.with(|ex| ex.incoming("0221234567", "100")).expect("incoming");
    assert_eq!(w.sim.with(|ex| ex.ending(call)), Some(Ending::ForwardRefused("100".into())));
    // An internal target is fine.
    w.program("100", |p| p.forward_always = Some("101".into()));
    let call = w.sim.with(|ex| ex.incoming("0221234567", "100")).expect("incoming");
    assert_eq!(w.sim.with(|ex| ex.call_parties(call)).map(|(_, b)| b), Some(vec!["101".to_owned()]));
    w.sim.with(|ex| ex.hang_up("101")).expect("hang up");
    // After ringing unanswered, by a rule to a foreign number.
    w.program("100", |p| {
        p.forward_always = None;
        p.restriction = Restriction::NoInternational;
        p.rules = vec![ForwardRule {
            active: true,
            when: RuleWhen::NoAnswer,
            calls: RuleCalls::All,
            presentation: RulePresentation::Any,
            target: RuleTarget::Number("000441234567".into()),
        }];
    });
    let call = w.sim.with(|ex| ex.incoming("0221234567", "100")).expect("incoming");
    w.sim.advance(30);
    assert_eq!(w.sim.with(|ex| ex.ending(call)), Some(Ending::ForwardRefused("100".into())));
    // A locked phone does not hand its calls to the MobilePhone, nor call it back.
    w.program("100", |p| {
        p.rules.clear();
        p.restriction = Restriction::None;
        p.phone_lock = true;
        p.mobile = Some("0600100100".into());
        p.mobile_on_unreachable = true;
    });
    w.sim.with(|ex| ex.set_reachable("100", false)).expect("unplugged");
    let call = w.sim.with(|ex| ex.incoming("0221234567", "100")).expect("incoming");
    assert_eq!(w.sim.with(|ex| ex.ending(call)), Some(Ending::ForwardRefused("100".into())));
    let callback = w.sim.command(Command::DialViaMobile { ext: "100".into(), number: "101".into() });
    assert_eq!(callback, Err(ErrorKind::Restricted));
}

/// A caller who withholds his number (CLIR) rings the other phone without it:
/// the call's events show the called side no number, the caller his own.
#[test]
fn a_withheld_number_is_not_shown_to_the_called_side() {
    let mut w = world();
    w.program("100", |p| p.clir = true);
    while w.events.try_recv().is_ok() {}
    w.sim.with(|ex| ex.dial("100", "101")).expect("dial");
    let mut seen = Vec::new();
    while let Ok(ev) = w.events.try_recv() {
        if let Event::Call { progress, from, at, .. } = ev.event {
            seen.push((progress, from, at));
        }
    }
    use webcti::hal::proto::Progress;
    assert_eq!(
        seen,
        [
            (Progress::Dialling, "100".to_owned(), "100".to_owned()),
            (Progress::Ringing, String::new(), "101".to_owned()),
        ]
    );
    // Without CLIR the number is shown.
    w.sim.with(|ex| ex.hang_up("100")).expect("hang up");
    w.program("100", |p| p.clir = false);
    while w.events.try_recv().is_ok() {}
    w.sim.with(|ex| ex.dial("100", "101")).expect("dial");
    let ringing: Vec<String> = std::iter::from_fn(|| w.events.try_recv().ok())
        .filter_map(|ev| match ev.event {
            Event::Call { progress: webcti::hal::proto::Progress::Ringing, from, .. } => Some(from),
            _ => None,
        })
        .collect();
    assert_eq!(ringing, ["100"]);
}

/// The tariff the exchange is given: 30 a minute everywhere, by the minute.
fn metered(w: &World) {
    let tariff = webcti::hal::proto::Tariff {
        zone: "UTC".into(),
        outside_prefix: "0".into(),
        emergency: vec!["112".into()],
        offpeak: vec![],
        rates: vec![webcti::hal::proto::Rate {
            prefix: String::new(),
            setup: 0,
            peak: 30,
            offpeak: 30,
            first_secs: 60,
            step_secs: 60,
        }],
    };
    assert_eq!(w.sim.command(Command::Tariff { tariff: Box::new(tariff) }), Ok(Reply::Done));
}

#[test]
fn the_exchange_does_not_dial_what_the_credit_cannot_pay_for() {
    use webcti::sim::Ending;
    let mut w = world();
    metered(&w);
    let credit = |c: i64| Command::Credit { ext: "100".into(), credit: Some(c), as_of: 0 };
    assert_eq!(w.sim.command(credit(20)), Ok(Reply::Done));
    // Dialled, clicked, or forwarded by the extension: all refused; internal
    // calls and the emergency number go through.
    assert_eq!(w.sim.with(|ex| ex.dial("100", "0221234567")), Err(ErrorKind::NoCredit));
    assert_eq!(
        w.sim.command(Command::Dial { ext: "100".into(), number: "0221234567".into() }),
        Err(ErrorKind::NoCredit)
    );
    w.program("100", |p| p.forward_always = Some("0600123456".into()));
    let call = w.sim.with(|ex| ex.incoming("0221234567", "100")).expect("incoming");
    assert_eq!(w.sim.with(|ex| ex.ending(call)), Some(Ending::ForwardRefused("100".into())));
    w.program("100", |p| p.forward_always = None);
    w.sim.with(|ex| ex.dial("100", "101")).expect("internal");
    w.sim.with(|ex| ex.hang_up("100")).expect("hang up");
    w.sim.with(|ex| ex.dial("100", "0112")).expect("emergency");
    w.sim.with(|ex| ex.hang_up("100")).expect("hang up");

    // With 1.00: a call pays its first minute when answered, each further
    // minute when it begins, and is cleared when the next one is not covered.
    assert_eq!(w.sim.command(credit(100)), Ok(Reply::Done));
    let call = w.sim.with(|ex| ex.dial("100", "0221234567")).expect("dial");
    w.sim.with(|ex| ex.answer_external("0221234567")).expect("answered");
    assert_eq!(w.sim.with(|ex| ex.credit("100")), Some(70));
    w.cdrs();
    w.sim.advance(3600);
    assert_eq!(w.sim.with(|ex| ex.ending(call)), Some(Ending::CreditRanOut));
    let cdrs = w.cdrs();
    let mine: Vec<&Cdr> = cdrs.iter().filter(|c| c.extension == "100").collect();
    assert_eq!(
        mine.iter().map(|c| c.talk_secs).collect::<Vec<_>>(),
        [180],
        "three minutes paid, then cleared"
    );
    assert_eq!(w.sim.with(|ex| ex.credit("100")), Some(10));
    // The service counts the record in the credit it gives next: the exchange
    // takes the record's cost off no more.
    let as_of = mine[0].core_id;
    assert_eq!(
        w.sim.command(Command::Credit { ext: "100".into(), credit: Some(10), as_of }),
        Ok(Reply::Done)
    );
    assert_eq!(w.sim.with(|ex| ex.credit("100")), Some(10));
    // No limit: nothing is refused.
    assert_eq!(w.sim.command(Command::Credit { ext: "100".into(), credit: None, as_of }), Ok(Reply::Done));
    w.sim.with(|ex| ex.dial("100", "0221234567")).expect("unlimited");
}
