//! Golden bytes of wire protocol version 2: what it added to version 1 (the hello
//! that offers version 2, the `Announcements` command and its reply). Every
//! other message is encoded as in version 1 and pinned by `tests/golden.rs`.
//! These tests are never edited: a change of the encoding is a new version.

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
fn to_core_hello_offers_version_2() {
    check(ToCore::Hello { version: PROTOCOL_V2, client: "webcti".into() }, "0109020677656263746900")
}

#[test]
fn from_core_hello_of_a_version_2_session() {
    check(
        FromCore::Hello {
            version: PROTOCOL_V2,
            board: BoardIdentity { model: "SIM-1".into(), serial: "0001".into(), firmware: "1.0".into() },
        },
        "0111020553494d2d31043030303103312e3000",
    )
}

#[test]
fn command_announcements() {
    check(ToCore::Request { id: 7, command: Command::Announcements }, "0401070d00")
}

#[test]
fn from_core_reply_announcements() {
    let list = vec![Announcement { id: 3, name: "On holiday".into() }];
    check(
        FromCore::Reply { id: 7, result: Ok(Reply::Announcements { list }) },
        "0301070f0301030a4f6e20686f6c6964617900",
    )
}

#[test]
fn versions_negotiate_down_never_below_1() {
    assert_eq!(negotiate(NEWEST_VERSION, 1), Some(1));
    assert_eq!(negotiate(NEWEST_VERSION, 2), Some(2));
    assert_eq!(negotiate(NEWEST_VERSION, 9), Some(NEWEST_VERSION));
    assert_eq!(negotiate(NEWEST_VERSION, 0), None);
    assert_eq!(Command::Announcements.since(), PROTOCOL_V2);
    assert_eq!(Command::Snapshot.since(), PROTOCOL_V1);
}
