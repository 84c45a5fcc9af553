//! Golden bytes of wire protocol version 3: what it added to version 2 (the hello
//! that offers version 3, the `Licences` command and its reply, the
//! `PhoneChanged` event). Every other
//! message is encoded as in versions 1 and 2 and pinned by `tests/golden.rs` and
//! `tests/golden_v2.rs`. These tests are never edited: a change of the encoding
//! is a new version.

use webcti::hal::frame::{encode, Decoder};
use webcti::hal::proto::*;

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

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

#[test]
fn to_core_hello_offers_version_3() {
    check(ToCore::Hello { version: PROTOCOL_V3, client: "webcti".into() }, "0109030677656263746900")
}

#[test]
fn command_licences() {
    check(ToCore::Request { id: 8, command: Command::Licences }, "0401080e00")
}

#[test]
fn from_core_reply_licences() {
    let list = vec![
        Licence { function: CtiFunction::Dialer, count: 32 },
        Licence { function: CtiFunction::Popups, count: 32 },
        Licence { function: CtiFunction::Monitor, count: 16 },
        Licence { function: CtiFunction::CallControl, count: 300 },
    ];
    check(FromCore::Reply { id: 8, result: Ok(Reply::Licences { list }) }, "03010803040409200120021003ac0200")
}

#[test]
fn from_core_reply_no_licences() {
    check(FromCore::Reply { id: 9, result: Ok(Reply::Licences { list: vec![] }) }, "03010902040100")
}

#[test]
fn licences_need_version_3() {
    assert_eq!(Command::Licences.since(), PROTOCOL_V3);
    let dnd = Event::PhoneChanged { ext: "100".into(), change: PhoneChange::Dnd { on: false } };
    assert_eq!(dnd.since(), PROTOCOL_V3);
    assert_eq!(Event::Line { ext: "100".into(), state: LineState::Idle }.since(), PROTOCOL_V1);
    assert_eq!(negotiate(PROTOCOL_V3, 2), Some(2));
    assert_eq!(negotiate(PROTOCOL_V3, 3), Some(3));
}

#[test]
fn from_core_event_phone_changed() {
    let forward = PhoneChange::ForwardAlways { number: Some("0221555".into()) };
    check(
        FromCore::Event { seq: 9, event: Event::PhoneChanged { ext: "100".into(), change: forward } },
        "08020905033130300a01073032323135353500",
    );
    let dnd = PhoneChange::Dnd { on: true };
    check(
        FromCore::Event { seq: 10, event: Event::PhoneChanged { ext: "100".into(), change: dnd } },
        "0a020a0503313030010100",
    );
}
