//! Golden bytes for every message of wire protocol version 1. These tests are
//! never edited: a failing one means the encoding changed, and a change of the
//! encoding is a new protocol version with new golden tests beside these.

use webcti::hal::frame::{encode, Decoder};
use webcti::hal::proto::*;

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Encodes `msg`, compares with `golden`, and decodes the golden bytes back.
fn check<T>(msg: T, golden: &str)
where
    T: serde::Serialize + serde::de::DeserializeOwned + PartialEq + std::fmt::Debug,
{
    let bytes = encode(&msg).expect("encode");
    assert_eq!(hex(&bytes), golden, "encoding of {msg:?}");
    let raw: Vec<u8> = (0..golden.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&golden[i..i + 2], 16).expect("hex"))
        .collect();
    let decoded: Vec<T> = Decoder::new().push::<T>(&raw).into_iter().map(|r| r.expect("decode")).collect();
    assert_eq!(decoded, vec![msg]);
}

fn to(msg: ToCore, golden: &str) {
    check(msg, golden)
}
fn from(msg: FromCore, golden: &str) {
    check(msg, golden)
}
fn req(command: Command, golden: &str) {
    to(ToCore::Request { id: 7, command }, golden)
}
fn ev(event: Event, golden: &str) {
    from(FromCore::Event { seq: 300, event }, golden)
}

fn sample_cdr() -> Cdr {
    Cdr {
        core_id: 1001,
        extension: "101".into(),
        direction: Direction::Incoming,
        disposition: Disposition::AnsweredElsewhere,
        peer: "0221234567".into(),
        external: true,
        withheld: false,
        voicemail_listen: false,
        answered_by: Some("102".into()),
        started_at: 1_800_000_000,
        ring_secs: 4,
        talk_secs: 0,
    }
}

fn sample_program() -> ExtensionProgram {
    ExtensionProgram {
        forward_always: None,
        forward_busy: Some("102".into()),
        forward_no_answer: None,
        no_answer_secs: 20,
        forward_unreachable: None,
        mobile: Some("0600123456".into()),
        mobile_on_no_answer: true,
        mobile_on_dnd: false,
        mobile_on_unreachable: true,
        dnd: Some(2),
        follow_me: None,
        rules: vec![ForwardRule {
            active: true,
            when: RuleWhen::NoAnswer,
            calls: RuleCalls::External,
            presentation: RulePresentation::Withheld,
            target: RuleTarget::Voicemail,
        }],
        phone_lock: false,
        clir: true,
        call_waiting: true,
        call_as: None,
        wakeup: Some(390),
        restriction: Restriction::NoInternational,
        language: Language::German,
        voicemail: true,
    }
}

#[test]
fn to_core_hello() {
    to(ToCore::Hello { version: PROTOCOL_VERSION, client: "webcti".into() }, "0109010677656263746900")
}
#[test]
fn to_core_ack_cdrs() {
    to(ToCore::AckCdrs { record_ids: vec![1, 1001, 70000] }, "09020301e907f0a20400")
}
#[test]
fn to_core_heartbeat() {
    to(ToCore::Heartbeat { seq: 65 }, "03034100")
}
#[test]
fn command_dial() {
    req(
        Command::Dial { ext: "100".into(), number: "0221234567".into() },
        "03010710033130300a3032323132333435363700",
    )
}
#[test]
fn command_dial_via_mobile() {
    req(Command::DialViaMobile { ext: "100".into(), number: "101".into() }, "0c010701033130300331303100")
}
#[test]
fn command_answer() {
    req(Command::Answer { ext: "100".into(), call: 3 }, "09010702033130300300")
}
#[test]
fn command_clear() {
    req(Command::Clear { ext: "100".into(), call: 3 }, "09010703033130300300")
}
#[test]
fn command_hold() {
    req(Command::Hold { ext: "100".into(), call: 3 }, "09010704033130300300")
}
#[test]
fn command_retrieve() {
    req(Command::Retrieve { ext: "100".into(), call: 3 }, "09010705033130300300")
}
#[test]
fn command_consult() {
    req(Command::Consult { ext: "100".into(), call: 3, number: "102".into() }, "0d01070603313030030331303200")
}
#[test]
fn command_transfer() {
    req(Command::Transfer { ext: "100".into(), held: 3, active: 4 }, "0a01070703313030030400")
}
#[test]
fn command_conference() {
    req(Command::Conference { ext: "100".into(), held: 3, active: 4 }, "0a01070803313030030400")
}
#[test]
fn command_pickup() {
    req(Command::Pickup { ext: "102".into(), target: "101".into() }, "0c010709033130320331303100")
}
#[test]
fn command_deflect() {
    req(Command::Deflect { ext: "101".into(), call: 3, number: "104".into() }, "0d01070a03313031030331303400")
}
#[test]
fn command_program() {
    req(Command::Program { ext: "101".into(), program: Box::new(sample_program()) }, "0801070b0331303106010331303202140e010a303630303132333435360104010102070101020202010301010701860302020100")
}
#[test]
fn command_snapshot() {
    req(Command::Snapshot, "0401070c00")
}
#[test]
fn from_core_hello() {
    from(
        FromCore::Hello {
            version: 1,
            board: BoardIdentity { model: "SIM-1".into(), serial: "0001".into(), firmware: "1.0".into() },
        },
        "0111010553494d2d31043030303103312e3000",
    )
}
#[test]
fn from_core_reply_done() {
    from(FromCore::Reply { id: 7, result: Ok(Reply::Done) }, "030107010100")
}
#[test]
fn from_core_reply_call() {
    from(FromCore::Reply { id: 7, result: Ok(Reply::Call { call: 12 }) }, "03010703010c00")
}
#[test]
fn from_core_reply_snapshot() {
    let lines = vec![
        LineInfo { ext: "100".into(), state: LineState::Idle },
        LineInfo { ext: "101".into(), state: LineState::Dnd },
    ];
    from(
        FromCore::Reply { id: 7, result: Ok(Reply::Snapshot { lines }) },
        "0301070702020331303006033130310600",
    )
}
#[test]
fn from_core_reply_errors() {
    let kinds = [
        (ErrorKind::UnknownExtension, "040107010100"),
        (ErrorKind::InvalidNumber, "050107010100"),
        (ErrorKind::NoSuchCall, "050107010200"),
        (ErrorKind::Busy, "050107010300"),
        (ErrorKind::Restricted, "050107010400"),
        (ErrorKind::NotAllowed, "050107010500"),
        (ErrorKind::NoMobileNumber, "050107010600"),
        (ErrorKind::Malformed, "050107010700"),
        (ErrorKind::Unavailable, "050107010800"),
    ];
    for (kind, golden) in kinds {
        from(FromCore::Reply { id: 7, result: Err(kind) }, golden);
    }
}
#[test]
fn from_core_heartbeat() {
    from(FromCore::Heartbeat { seq: 65 }, "03034100")
}
#[test]
fn from_core_refused() {
    from(FromCore::Refused { reason: "version 2 only".into() }, "11040e76657273696f6e2032206f6e6c7900")
}
#[test]
fn event_line() {
    let states = [
        (LineState::Idle, "0402ac0205033130300100"),
        (LineState::Ringing, "0402ac0206033130300100"),
        (LineState::Dialling, "0402ac0206033130300200"),
        (LineState::Busy, "0402ac0206033130300300"),
        (LineState::Held, "0402ac0206033130300400"),
        (LineState::Unreachable, "0402ac0206033130300500"),
        (LineState::Dnd, "0402ac0206033130300600"),
    ];
    for (state, golden) in states {
        ev(Event::Line { ext: "100".into(), state }, golden);
    }
}
#[test]
fn event_call() {
    let progress = [
        (Progress::Dialling, "0602ac020103140a30323231323334353637033130310331303100"),
        (Progress::Ringing, "1a02ac020103010a30323231323334353637033130310331303100"),
        (Progress::Answered, "1a02ac020103020a30323231323334353637033130310331303100"),
        (Progress::Held, "1a02ac020103030a30323231323334353637033130310331303100"),
        (Progress::Retrieved, "1a02ac020103040a30323231323334353637033130310331303100"),
        (Progress::Transferred, "1a02ac020103050a30323231323334353637033130310331303100"),
        (Progress::Conferenced, "1a02ac020103060a30323231323334353637033130310331303100"),
        (Progress::Forwarded, "1a02ac020103070a30323231323334353637033130310331303100"),
        (Progress::Cleared, "1a02ac020103080a30323231323334353637033130310331303100"),
    ];
    for (p, golden) in progress {
        ev(
            Event::Call {
                call: 3,
                progress: p,
                from: "0221234567".into(),
                to: "101".into(),
                at: "101".into(),
            },
            golden,
        );
    }
}
#[test]
fn event_cdr() {
    ev(
        Event::Cdr(sample_cdr()),
        "1902ac0202e9070331303101030a3032323132333435363701010c010331303280c8ceb40d040100",
    )
}
#[test]
fn event_cdr_dispositions() {
    let all = [
        (
            Direction::Outgoing,
            Disposition::Answered,
            "0b02ac0202e90703313031010f0a303232313233343536370101010780c8ceb40d040100",
        ),
        (
            Direction::Incoming,
            Disposition::Missed,
            "1b02ac0202e9070331303101010a303232313233343536370101010780c8ceb40d040100",
        ),
        (
            Direction::Incoming,
            Disposition::Busy,
            "1b02ac0202e9070331303101020a303232313233343536370101010780c8ceb40d040100",
        ),
        (
            Direction::Incoming,
            Disposition::Voicemail,
            "1b02ac0202e9070331303101040a303232313233343536370101010780c8ceb40d040100",
        ),
        (
            Direction::Outgoing,
            Disposition::Failed,
            "0b02ac0202e9070331303110050a303232313233343536370101010780c8ceb40d040100",
        ),
    ];
    for (direction, disposition, golden) in all {
        ev(
            Event::Cdr(Cdr {
                direction,
                disposition,
                withheld: true,
                voicemail_listen: true,
                answered_by: None,
                ..sample_cdr()
            }),
            golden,
        );
    }
}
#[test]
fn event_voicemail_deposited() {
    ev(
        Event::VoicemailDeposited {
            record_id: 9,
            ext: "105".into(),
            caller: "0221234567".into(),
            at: 1_800_000_000,
            duration_secs: 20,
        },
        "1b02ac020309033130350a3032323132333435363780c8ceb40d1400",
    )
}
#[test]
fn event_voicemail_heard() {
    ev(Event::VoicemailHeard { record_id: 9, ext: "105".into() }, "0a02ac0204090331303500")
}
#[test]
fn command_announcements() {
    req(Command::Announcements, "0401070d00")
}
#[test]
fn from_core_reply_announcements() {
    let list = vec![webcti::hal::proto::Announcement { id: 3, name: "On holiday".into() }];
    from(
        FromCore::Reply { id: 7, result: Ok(Reply::Announcements { list }) },
        "0301070f0301030a4f6e20686f6c6964617900",
    )
}
